"""CostTable: values equal layer_cost, deduplication, mini-batch scaling and the disk cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mcmsched.cost.table as table_mod
from mcmsched.cost.analysis import layer_cost
from mcmsched.cost.table import CostTable, default_cache_dir
from mcmsched.hardware.presets import get_preset
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario


def _scenario() -> Scenario:
    a = Layer("a", OpKind.CONV, K=32, C=16, Y=30, X=30, R=3, S=3)
    b = Layer("b", OpKind.GEMM, K=64, C=32, Y=49, X=1)
    c = Layer("c", OpKind.CONV, K=32, C=16, Y=30, X=30, R=3, S=3)  # same shape as a
    m1 = Model("m1", (a, b, c))
    m2 = Model("m2", (Layer("d", OpKind.DWCONV, K=16, C=16, Y=18, X=18, R=3, S=3, groups=16),))
    return Scenario.of("tiny", (m1, 2), (m2, 1))


def test_table_matches_layer_cost_and_scales_bytes(tmp_path: Path) -> None:
    sc, pkg = _scenario(), get_preset("het-sides")
    ct = CostTable(sc, pkg, cache_dir=tmp_path, orientation="as-written")  # == layer_cost
    mc = ct.model_costs(0, 2)
    assert mc.cycles.shape == (3, len(pkg.class_names))
    for j, name in enumerate(pkg.class_names):
        cls = pkg.classes[name]
        for i, ly in enumerate(sc.entries[0].model.layers):
            lc = layer_cost(ly.with_batch(2), cls)
            assert mc.cycles[i, j] == lc.cycles
            assert mc.compute_s[i, j] == pytest.approx(lc.cycles / cls.clock_hz)
            assert mc.energy_j[i, j] == pytest.approx(lc.energy_pj * 1e-12)
            assert mc.l2_bytes[i, j] == lc.l2_bytes_needed
    np.testing.assert_array_equal(mc.cycles[0], mc.cycles[2])  # a and c share a shape
    one = ct.model_costs(0, 1)
    np.testing.assert_allclose(mc.input_bytes, 2 * one.input_bytes)
    np.testing.assert_allclose(mc.weight_bytes, one.weight_bytes)
    assert np.all(mc.cycles >= one.cycles)  # twice the samples never take fewer cycles


def test_disk_cache_round_trip_and_invalidation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, pkg = _scenario(), get_preset("het-sides")
    first = CostTable(sc, pkg, cache_dir=tmp_path)
    first.precompute([1, 2])
    assert first.cache_path.is_file()
    ref = first.model_costs(1, 2).cycles.copy()

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("cached table must not re-evaluate")

    monkeypatch.setattr(table_mod, "evaluate_layers", boom)
    second = CostTable(sc, pkg, cache_dir=tmp_path)
    np.testing.assert_array_equal(second.model_costs(1, 2).cycles, ref)
    monkeypatch.undo()

    # another package (different PE count) hashes differently and is computed afresh
    other = CostTable(sc, get_preset("het-sides", pes_per_chiplet=16), cache_dir=tmp_path)
    assert other.cache_key != first.cache_key
    assert not np.array_equal(other.model_costs(1, 2).cycles, ref)

    # a corrupt cache file is ignored, and the cache directory may be deleted at any time
    first.cache_path.write_bytes(b"not an npz")
    again = CostTable(sc, pkg, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.model_costs(1, 2).cycles, ref)
    for f in tmp_path.iterdir():
        f.unlink()
    tmp_path.rmdir()
    np.testing.assert_array_equal(
        CostTable(sc, pkg, cache_dir=tmp_path).model_costs(1, 2).cycles, ref
    )


def test_default_cache_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MCMSCHED_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("MCMSCHED_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "mcmsched"
