"""The mapping space of the search: near-divisor tile sizes, sub-tile variables below the top
level, the coarse estimate against the analysis, and large-array layers that need them (the
scaling acceptance of issue 9, checked on single layers against hand-computed bounds)."""

from __future__ import annotations

import numpy as np

from mcmsched.cost.analysis import hardware_of, to_problem
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.directives_analysis import analyse
from mcmsched.cost.mapper import (
    _choices,
    _estimate,
    _full_dims,
    _variables,
    coarse_candidates,
    instantiate,
    templates_for,
)
from mcmsched.hardware.presets import get_preset
from mcmsched.workload.layer import Layer, OpKind


def _cls(name: str, pes: int):  # type: ignore[no-untyped-def]
    return get_preset("het-sides", pes_per_chiplet=pes, mapping="searched").classes[name]


def test_tile_choices_include_near_divisors() -> None:
    (t, *_) = templates_for(_cls("shi", 256).dataflow, False)
    y = next(v for v in _variables(t) if v.name == "y")
    dims = {"Y'": 14, "X'": 14, "K": 64, "C": 64, "N": 1, "R": 1, "S": 1}
    coarse = _choices(y, dims, 256, True).tolist()
    fine = _choices(y, dims, 256, False).tolist()
    # powers of four (1, 4), the bound 14 and its non-power-of-two near-divisor 7 = ceil(14/2)
    assert coarse == [1, 4, 7, 14]
    # powers of two, 14 and ceil(14 / j) for j = 2..8: 7, 5, 4, 3, 3, 2, 2
    assert fine == [1, 2, 3, 4, 5, 7, 8, 14]
    dims["Y'"] = 56
    assert _choices(y, dims, 256, True).tolist() == [1, 4, 7, 14, 16, 28, 56]


def test_sub_tile_variables_have_their_enclosing_tile_as_parent() -> None:
    os_t = templates_for(_cls("shi", 256).dataflow, False)
    parents = {v.name: v.parent for v in _variables(os_t[2])}
    assert parents == {"k": None, "y": None, "x": None, "c": None, "cm": "c", "ci": "cm"}
    (ws_t,) = templates_for(_cls("nvd", 256).dataflow, False)
    parents = {v.name: v.parent for v in _variables(ws_t)}
    assert parents == {"k": None, "c": None, "y": None, "x": None, "yi": "y", "xi": "x"}
    # the coarse grid gives a sub-tile its parent's value, a quarter of it or 1, never more
    ly = Layer("g", OpKind.GEMM, K=768, C=3072, Y=128, X=1)
    p, _ = to_problem(ly)
    grid = coarse_candidates(p, os_t[1], 16384)
    names = [v.name for v in _variables(os_t[1])]
    c, ci = grid[:, names.index("c")], grid[:, names.index("ci")]
    assert grid.shape[0] > 0
    assert np.all((ci == c) | (ci == -(-c // 4)) | (ci == 1))


def test_coarse_estimate_tracks_the_analysis_on_a_stride_1_layer() -> None:
    cls = _cls("nvd", 16384)
    ly = Layer("c", OpKind.CONV, K=512, C=128, Y=28, X=28)
    p, _ = to_problem(ly)
    (t,) = templates_for(cls.dataflow, False)
    grid = coarse_candidates(p, t, cls.n_pes)
    names = [v.name for v in _variables(t)]
    values = {n: grid[:, i] for i, n in enumerate(names)}
    est = _estimate(t, p, _full_dims(p), values, cls.n_pes, 128.0, grid.shape[0])[1]
    hw = hardware_of(cls)
    real = np.array(
        [
            analyse(
                p, instantiate(t, {n: int(x) for n, x in zip(names, row, strict=True)}), hw
            ).top.runtime
            for row in grid
        ]
    )
    # measured: 3,500 estimated vs 3,502 analysed for the best; all within 10 %
    assert np.all(np.abs(est / real - 1.0) < 0.10)
    # compute bound 512*128*784 / 16,384 = 3,136 cycles: the kept ones are near it
    assert real.min() <= 1.2 * 3136


def test_os_on_16384_pes_reaches_its_output_parallelism_floor() -> None:
    """ResNet-50's 14x14 3x3 layer (K = C = 256): 50,176 outputs on 16,384 PEs need 4 rounds of
    C*R*S = 2,304 MACs (a PE owns whole outputs): >= 9,216 cycles = 1.31x the compute bound
    7,056 for any output-stationary mapping; the search gets within 1.5x of the bound."""
    cls = _cls("shi", 16384)
    ly = Layer("c", OpKind.CONV, K=256, C=256, Y=16, X=16, R=3, S=3)
    bc = evaluate_layers([ly], [cls], orientation="best")[0]
    assert bc.bound_cycles is not None
    assert bc.bound_cycles[0] == 256 * 256 * 9 * 196 / 16384
    assert 4 * 2304 <= bc.cycles[0] <= 1.5 * bc.bound_cycles[0]


def test_os_gemm_on_16384_pes_hides_the_pe_ingress() -> None:
    """GPT-2 fc2 (768 x 3072, 128 tokens): memory bound (128 x 3072 + 3072 x 768) / 128 =
    21,504 cycles. Without a C tile inside the PE the best mapping paid each PE's ingress once
    per top step (1.60x); with it the search stays within 1.25x."""
    cls = _cls("shi", 16384)
    ly = Layer("fc2", OpKind.GEMM, K=768, C=3072, Y=128, X=1)
    bc = evaluate_layers([ly], [cls], orientation="best")[0]
    assert bc.bound_cycles is not None
    assert bc.bound_cycles[0] == (128 * 3072 + 3072 * 768) / 128
    assert bc.cycles[0] <= 1.25 * bc.bound_cycles[0]
    assert "C; TemporalMap(Sz(R)" in bc.mapping[0]  # a C map inside the PE was chosen


def test_strided_layers_get_an_x_cluster_of_their_own() -> None:
    """At stride 2 the X' tile counts stride-1 positions, twice the outputs: a cluster tied to
    the tile left half its PEs idle (ResNet-50's K128 C128 58x58 stride-2 layer on shi at
    16,384 PEs was 5.66x its bound); with its own size it is measured at 1.53x."""
    df = _cls("shi", 256).dataflow
    plain = templates_for(df, False)
    strided = templates_for(df, False, strided=True)
    assert [any(v.name == "xc" for v in _variables(t)) for t in strided] == [True, False, True]
    assert not any(v.name == "xc" for t in plain for v in _variables(t))
    cls = _cls("shi", 16384)
    ly = Layer("c", OpKind.CONV, K=128, C=128, Y=58, X=58, R=3, S=3, stride_y=2, stride_x=2)
    bc = evaluate_layers([ly], [cls], orientation="best")[0]
    assert bc.bound_cycles is not None
    assert bc.bound_cycles[0] == 128 * 128 * 9 * 28 * 28 / 16384
    assert bc.cycles[0] <= 2.0 * bc.bound_cycles[0]
