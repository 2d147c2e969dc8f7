"""A strided transposed convolution is analysed as its sub-pixel decomposition: the analysed
MACs are the layer's own (K C Y X R S), so no mapping beats PEs x clock on it."""

from __future__ import annotations

import pytest

from mcmsched.cost.analysis import layer_cost, to_problem
from mcmsched.hardware.presets import get_preset
from mcmsched.workload.layer import Layer, OpKind


@pytest.mark.parametrize("mapping", ["fixed", "searched"])
def test_stride2_trconv_does_the_whole_work(mapping: str) -> None:
    up = Layer("up", OpKind.TRCONV, K=64, C=128, Y=20, X=20, R=2, S=2, stride_y=2, stride_x=2)
    # by hand: every input pixel times the whole 2x2 kernel
    assert up.macs == 64 * 128 * 20 * 20 * 2 * 2
    p, reps = to_problem(up)
    # 4 phases as output channels, a 1x1 stride-1 convolution over the 20x20 input
    assert dict(p.dims) == {"N": 1, "K": 256, "C": 128, "R": 1, "S": 1, "Y": 20, "X": 20}
    assert (p.stride_y, p.stride_x, reps) == (1, 1, 1)
    pkg = get_preset("het-sides", mapping=mapping)
    for cls in pkg.classes.values():
        lc = layer_cost(up, cls)
        assert lc.macs == up.macs
        assert lc.cycles >= up.macs / cls.n_pes


def test_overlapping_trconv_counts_at_least_its_macs() -> None:
    """R = 3, stride 2: two phases per axis with ceil(3/2) = 2 taps (one zero tap in one
    phase), input padded by 1 on both sides: (2*2)^2 taps x 13^2 outputs per channel pair."""
    up = Layer("up", OpKind.TRCONV, K=8, C=4, Y=12, X=12, R=3, S=3, stride_y=2, stride_x=2)
    p, _ = to_problem(up)
    d = dict(p.dims)
    assert (d["K"], d["R"], d["Y"]) == (32, 2, 14)
    analysed = d["K"] * d["C"] * d["R"] * d["S"] * (d["Y"] - d["R"] + 1) ** 2
    assert analysed == 8 * 4 * 4 * 4 * 13 * 13 >= up.macs == 8 * 4 * 12 * 12 * 9
