"""The mapper's orientation choice: a layer and its transpose do the same work; with
``orientation="best"`` the cost table keeps the faster of the two per chiplet class."""

from __future__ import annotations

from mcmsched.cost.analysis import layer_cost
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.table import CostTable
from mcmsched.hardware.presets import get_preset
from mcmsched.workload import Layer, Model, OpKind, Scenario


def test_transpose_keeps_work_and_tensors() -> None:
    ly = Layer("c", OpKind.CONV, K=8, C=4, Y=20, X=11, R=3, S=1, stride_y=2, stride_x=1)
    t = ly.transposed()
    assert (t.Y, t.X, t.R, t.S, t.stride_y, t.stride_x) == (11, 20, 1, 3, 1, 2)
    assert (t.out_y, t.out_x) == (ly.out_x, ly.out_y)
    assert t.macs == ly.macs and t.params == ly.params
    assert t.transposed() == ly


def test_best_orientation_is_the_min_of_both_per_class() -> None:
    pkg = get_preset("het-sides", dataflows="xrbench")
    classes = [pkg.classes[n] for n in pkg.class_names]
    gemm = Layer("fc", OpKind.GEMM, K=1024, C=1024, Y=128, X=1)
    square = Layer("sq", OpKind.CONV, K=64, C=64, Y=30, X=30, R=3, S=3)  # its own transpose
    best = evaluate_layers([gemm, square], classes, orientation="best")
    for j, cls in enumerate(classes):
        a, b = layer_cost(gemm, cls), layer_cost(gemm.transposed(), cls)
        expect = a if (a.cycles, a.energy_pj) <= (b.cycles, b.energy_pj) else b
        assert best[j].cycles[0] == expect.cycles
        assert best[j].energy_pj[0] == expect.energy_pj
        sq = layer_cost(square, cls)
        assert best[j].cycles[1] == sq.cycles
    written = evaluate_layers([gemm], classes, orientation="as-written")
    assert all(w.cycles[0] >= b.cycles[0] for w, b in zip(written, best, strict=True))


def test_cost_table_orientation_is_part_of_the_cache_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # XRBench's NVDLA-like directives spread X' over the top-level clusters: orientation matters
    # (as written; a searched mapping can pick tiles that make both orientations equal).
    pkg = get_preset("het-sides", dataflows="xrbench", mapping="fixed")
    m = Model.chain("g", [Layer("fc", OpKind.GEMM, K=1024, C=1024, Y=128, X=1)])
    sc = Scenario.of("s", (m, 1))
    best = CostTable(sc, pkg, cache_dir=tmp_path)
    written = CostTable(sc, pkg, cache_dir=tmp_path, orientation="as-written")
    assert best.cache_key != written.cache_key
    b, w = best.model_costs(0, 1).cycles, written.model_costs(0, 1).cycles
    assert (b <= w).all() and (b < w).any()
