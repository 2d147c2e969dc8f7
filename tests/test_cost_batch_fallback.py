"""A batched layer whose tiles overflow the chiplet's buffers runs its samples one after another."""

from __future__ import annotations

import pytest

from mcmsched.cost.analysis import layer_cost
from mcmsched.cost.batch import evaluate_layers
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.presets import get_preset
from mcmsched.workload import Layer, OpKind


def _layer(n: int) -> Layer:
    return Layer("c", OpKind.CONV, K=64, C=64, Y=30, X=30, R=3, S=3, N=n)


def test_overflowing_batch_runs_sample_by_sample() -> None:
    # the fixed (as written) mapping: its batched tiles overflow L1 (a searched mapping picks
    # tiles that fit, see tests/test_cost_mapper.py)
    pkg = get_preset("het-sides", pes_per_chiplet=256, mapping="fixed")
    for name in pkg.class_names:
        cls = pkg.classes[name]
        # Unmapped N sits inside every tile: 256 samples need 9,234 B of L1 (> 8 KiB).
        raw = layer_cost(_layer(256), cls, check_buffers=False)
        assert raw.l1_bytes_needed > cls.l1_bytes
        one = layer_cost(_layer(1), cls)
        seq = layer_cost(_layer(256), cls)
        assert seq.cycles == 256 * one.cycles
        assert seq.energy_pj == pytest.approx(256 * one.energy_pj, rel=1e-12)
        assert seq.macs == 256 * one.macs
        assert seq.l1_bytes_needed == one.l1_bytes_needed <= cls.l1_bytes
        (batch,) = evaluate_layers([_layer(256)], [cls])
        assert batch.cycles[0] == seq.cycles
        assert batch.energy_pj[0] == pytest.approx(seq.energy_pj, rel=1e-12)
        # A batch that fits keeps the batched analysis (cross-sample reuse).
        fits = layer_cost(_layer(8), cls)
        assert fits == layer_cost(_layer(8), cls, check_buffers=False)


def test_a_single_sample_that_does_not_fit_is_still_an_error() -> None:
    pkg = get_preset("het-sides", pes_per_chiplet=256, l1_bytes=32)
    cls = pkg.classes["nvd"]
    with pytest.raises(MCMSchedError, match="layer 'c' on chiplet class 'nvd'"):
        layer_cost(_layer(64), cls)
    with pytest.raises(MCMSchedError, match="layer 'c' on chiplet class 'nvd'"):
        evaluate_layers([_layer(64)], [cls])
