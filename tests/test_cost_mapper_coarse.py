"""The fast coarse stage of the mapper (masked product of the fill variables, sub-tiles expanded
on columns, cycles from a per-template plan) returns exactly the rows, in the same order, of the
direct computation (whole grid, fill of every row, full estimate of every expanded row)."""

from __future__ import annotations

import numpy as np
import pytest

from mcmsched.cost.analysis import to_problem
from mcmsched.cost.mapper import (
    _coarse_candidates_reference,
    _coarse_fill,
    _estimate,
    _full_dims,
    _plan,
    _variables,
    coarse_candidates,
    coarse_grid,
    templates_for,
)
from mcmsched.hardware.dataflow import Dataflow, Directive, get_dataflow
from mcmsched.workload.layer import Layer, OpKind

LAYERS = [
    Layer("conv", OpKind.CONV, K=128, C=64, Y=56, X=56, R=3, S=3),
    Layer("stem", OpKind.CONV, K=64, C=3, Y=229, X=229, R=7, S=7, stride_y=2, stride_x=2),
    Layer("s2", OpKind.CONV, K=256, C=128, Y=28, X=28, stride_y=2, stride_x=2),
    Layer(
        "dw", OpKind.DWCONV, K=96, C=96, Y=113, X=113, R=3, S=3, stride_y=2, stride_x=2, groups=96
    ),
    Layer("gemm", OpKind.GEMM, K=768, C=3072, Y=128, X=1),
    Layer("gemm8", OpKind.GEMM, K=1024, C=1024, Y=1, X=1).with_batch(8),
    Layer("add", OpKind.ELTWISE, K=256, C=256, Y=14, X=14, groups=256),
]

#: user templates: ranged variables, an offset that is not the size, a ``Sz()`` cluster, and
#: sub-tiles that decide the fill (those take the direct computation)
USER = {
    "ranged": "SpatialMap(?k{2..8},?) K; TemporalMap(?c{4..512},?c) C; TemporalMap(Sz(R),Sz(R)) R; "
    "TemporalMap(Sz(S),Sz(S)) S; TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; Cluster(?c,P); "
    "SpatialMap(1,1) C;",
    "offset": "SpatialMap(?k,1) K; TemporalMap(?c,?c) C; TemporalMap(Sz(R),1) R; "
    "TemporalMap(Sz(S),Sz(S)) S; TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; Cluster(16,P); "
    "SpatialMap(1,1) C; TemporalMap(?ci,?ci) C;",
    "sz_cluster": "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?c,?c) C; "
    "TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; TemporalMap(?x,?x) X'; "
    "Cluster(Sz(S),P); SpatialMap(1,1) X'; TemporalMap(?ci,?ci) C;",
    "spatial_sub_tile": "TemporalMap(?c,?c) C; TemporalMap(?k,?k) K; TemporalMap(?y,?y) Y'; "
    "Cluster(8,P); SpatialMap(?ci,?ci) C;",
    "chain_sub_tile": "TemporalMap(?c,?c) C; SpatialMap(?k,?k) K; Cluster(16,P); "
    "TemporalMap(?cm,?cm) C; Cluster(4,P); SpatialMap(1,1) C;",
}


def _templates() -> list[tuple[str, bool, tuple[Directive, ...]]]:
    out: list[tuple[str, bool, tuple[Directive, ...]]] = []
    for name in ("nvdla-maestro", "shidiannao-maestro", "nvdla", "shidiannao", "eyeriss"):
        df = get_dataflow(name)
        for dw in (False, True):
            for strided in (False, True):
                for i, t in enumerate(templates_for(df, dw, strided)):
                    out.append((f"{name}/{dw}/{strided}/{i}", dw, t))
    for name, text in USER.items():
        (t,) = templates_for(Dataflow.parse(text, name=name), False)
        out.append((name, False, t))
    return out


TEMPLATES = _templates()


@pytest.mark.parametrize(("tid", "dw", "t"), TEMPLATES, ids=[x[0] for x in TEMPLATES])
def test_fast_coarse_stage_gives_the_direct_computations_rows(
    tid: str, dw: bool, t: tuple[Directive, ...]
) -> None:
    compared = 0
    for ly in LAYERS:
        p, _ = to_problem(ly)
        if p.depthwise != dw:
            continue
        for n_pes in (64, 1024, 16384):
            for objective in ("edp", "latency", "energy"):
                for mem_bw, noc_bw in ((128.0, 256.0), (16.0, 64.0)):
                    args = (p, t, n_pes, mem_bw, noc_bw, objective)
                    fast = coarse_candidates(*args)
                    ref = _coarse_candidates_reference(*args)
                    assert fast.dtype == ref.dtype == np.int64
                    assert fast.shape == ref.shape
                    assert np.array_equal(fast, ref), (tid, ly.name, n_pes, objective)
                    compared += fast.shape[0]
    assert compared > 0


def test_plan_takes_the_direct_path_when_a_sub_tile_decides_the_fill() -> None:
    fast = {tid: _plan(t).fast for tid, _, t in TEMPLATES}
    assert not fast["spatial_sub_tile"] and not fast["chain_sub_tile"]
    assert all(v for k, v in fast.items() if k not in ("spatial_sub_tile", "chain_sub_tile"))


def test_fill_on_the_choice_product_equals_the_fill_of_each_grid_row() -> None:
    # nvdla-maestro's weight-stationary template on a 3x3 conv and the output-stationary
    # shidiannao template with both clusters on a GEMM: the n-d fill, read at each grid row's
    # choice indices, is the fill the direct estimate gives that row
    cases = [
        (get_dataflow("nvdla-maestro"), 0, LAYERS[0], 1024),
        (get_dataflow("shidiannao"), 2, LAYERS[4], 16384),
    ]
    for df, ti, ly, n_pes in cases:
        t = templates_for(df, False)[ti]
        p, _ = to_problem(ly)
        dims = _full_dims(p)
        vars_ = _variables(t)
        grid = coarse_grid(p, t, n_pes)
        values = {v.name: grid[:, i] for i, v in enumerate(vars_)}
        direct = _estimate(t, p, dims, values, n_pes, 128.0, grid.shape[0], fill_only=True)[0]
        axes = []
        for i in range(len(vars_)):
            col = np.unique(grid[:, i])  # the variable's choices that survive the validity test
            shape = [1] * len(vars_)
            shape[i] = col.size
            axes.append(col.reshape(shape))
        ok, fill = _coarse_fill(_plan(t), p, dims, axes, n_pes)
        idx = tuple(np.searchsorted(np.unique(grid[:, i]), grid[:, i]) for i in range(len(vars_)))
        full = tuple(a.size for a in axes)
        assert np.all(np.broadcast_to(ok, full)[idx])
        assert np.array_equal(np.broadcast_to(fill, full)[idx], direct)
        assert direct.max() == 1.0 and direct.min() < 0.5  # the prune has work to do
