"""Grouped convolutions in the cost model (MAESTRO NGCONV semantics, issue 9 item 4).

A dataflow that maps ``G`` analyses a problem with a ``G`` dimension coupled to every tensor
(``K``, ``C`` per group); one that does not runs the groups one after another (one group
analysed, repeated ``G`` times). The scalar reference and the vectorised path agree exactly.
"""

from __future__ import annotations

import csv
import dataclasses
import random
from pathlib import Path

import pytest

from mcmsched.cost.analysis import analyse_layer, hardware_of, layer_cost, to_problem
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.directives_analysis import Analysis, analyse
from mcmsched.cost.energy import load_maestro_hw
from mcmsched.cost.vectorised import VResult, analyse_batch
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass, EnergyTable
from mcmsched.hardware.dataflow import Dataflow, DirectiveKind, get_dataflow, parse_directives
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.layer import Layer, OpKind

UNIT = EnergyTable(mac_pj=1.0, l1_factor=1.0, l2_factor=1.0)

# G spread over the top-level units, K over 8 PEs per unit (a grouped weight-stationary style)
G_SPATIAL = (
    "SpatialMap(1,1) G; TemporalMap(4,4) K; TemporalMap(4,4) C; TemporalMap(Sz(R),1) Y; "
    "TemporalMap(Sz(S),1) X; Cluster(8,P); SpatialMap(1,1) K; TemporalMap(Sz(R),Sz(R)) R; "
    "TemporalMap(Sz(S),Sz(S)) S; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;"
)
# G walked outermost, K spatial
G_TEMPORAL = (
    "TemporalMap(1,1) G; SpatialMap(1,1) K; TemporalMap(8,8) C; TemporalMap(Sz(R),1) Y; "
    "TemporalMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;"
)


def _cls(text_or_name: str, n_pes: int = 256, noc_bw: float = 64.0) -> ChipletClass:
    df = Dataflow.parse(text_or_name, "g") if "Map" in text_or_name else get_dataflow(text_or_name)
    return ChipletClass(
        "c",
        df,
        n_pes=n_pes,
        noc_bw=noc_bw,
        mem_bw=32.0,
        l1_bytes=1 << 20,
        l2_bytes=1 << 30,
        energy=UNIT,
    )


def test_parser_accepts_g() -> None:
    d = parse_directives("SpatialMap(1,1) G; TemporalMap(Sz(G),Sz(G)) G;")
    assert [(x.kind, x.dim, x.size) for x in d] == [
        (DirectiveKind.SPATIAL, "G", 1),
        (DirectiveKind.TEMPORAL, "G", "G"),
    ]
    with pytest.raises(MCMSchedError, match="unknown dimension 'Q'"):
        parse_directives("SpatialMap(1,1) Q;")


def test_layer_counts_of_a_grouped_conv() -> None:
    ly = Layer("gc", OpKind.CONV, K=128, C=128, Y=58, X=58, R=3, S=3, groups=32)
    assert ly.macs == 32 * 4 * 4 * 9 * 56 * 56  # G K C R S Y' X' with K, C per group
    assert ly.input_elements == 128 * 58 * 58
    assert ly.weight_elements == ly.params == 32 * 4 * 4 * 9
    assert ly.output_elements == 128 * 56 * 56


@pytest.mark.parametrize("text", [G_SPATIAL, G_TEMPORAL])
def test_g_mapped_counts_every_mac_and_tensor(text: str) -> None:
    ly = Layer("gc", OpKind.CONV, K=128, C=128, Y=58, X=58, R=3, S=3, groups=32)
    a = analyse_layer(ly, _cls(text))
    assert a.repeats == 1
    assert a.macs == ly.macs
    # L2 writes of input and weights are the tensors once; the finished outputs are read once
    assert a.l2_write[0] == ly.input_elements
    assert a.l2_write[1] == ly.weight_elements
    assert a.l2_read[2] == ly.output_elements
    assert a.cycles >= ly.macs / 256


def test_g_spatial_runs_groups_in_parallel() -> None:
    ly = Layer("gc", OpKind.CONV, K=128, C=128, Y=58, X=58, R=3, S=3, groups=32)
    a = analyse_layer(ly, _cls(G_SPATIAL))
    # 256 PEs = 32 units of 8; each unit holds one group and K = 4 of its 8 PEs busy
    assert a.avg_active_pes == 32 * 4
    # one group alone on one 8-PE unit: the same work per unit, so (bandwidth aside) the same
    # number of compute steps; the 32-unit run can not be faster than that
    one = Layer("one", OpKind.CONV, K=4, C=4, Y=58, X=58, R=3, S=3, groups=1)
    b = analyse_layer(one, _cls(G_SPATIAL, n_pes=8, noc_bw=1e9))
    assert b.avg_active_pes == 4 and b.macs == one.macs == ly.macs // 32
    assert a.cycles >= b.cycles
    # versus the groups one after another on the same 256 PEs (the built-in ws dataflow,
    # which does not map G): spreading G is faster here
    seq = analyse_layer(ly, _cls("nvdla"))
    assert seq.repeats == 32 and a.cycles < seq.cycles


@pytest.mark.parametrize("name", ["nvdla", "shidiannao", "eyeriss", "nvdla-maestro"])
def test_builtins_without_g_run_groups_one_after_another(name: str) -> None:
    ly = Layer("gc", OpKind.CONV, K=128, C=128, Y=58, X=58, R=3, S=3, groups=32)
    one = Layer("one", OpKind.CONV, K=4, C=4, Y=58, X=58, R=3, S=3)
    cls = _cls(name)
    a, b = analyse_layer(ly, cls), analyse_layer(one, cls)
    assert a.repeats == 32 and a.macs == ly.macs == 32 * b.macs
    assert a.cycles == 32 * b.cycles
    assert layer_cost(ly, cls).energy_pj == pytest.approx(32 * layer_cost(one, cls).energy_pj)


def test_g_directives_on_an_ungrouped_layer_see_g_equal_1() -> None:
    ly = Layer("c", OpKind.CONV, K=8, C=8, Y=10, X=10, R=3, S=3)
    a = analyse_layer(ly, _cls(G_TEMPORAL))
    plain = G_TEMPORAL.replace("TemporalMap(1,1) G; ", "")
    b = analyse_layer(ly, _cls(plain))
    assert a.macs == b.macs == ly.macs
    assert (a.cycles, a.l2_read, a.l2_write, a.l1_read) == (
        b.cycles,
        b.l2_read,
        b.l2_write,
        b.l1_read,
    )


def _random_grouped(rng: random.Random) -> Layer:
    g = rng.choice([2, 4, 8, 32])
    r = rng.choice([1, 3, 5])
    s = rng.choice([1, 2])
    y = rng.randint(r, 40)
    return Layer(
        "g",
        rng.choice([OpKind.CONV, OpKind.CONV, OpKind.GEMM]) if r == 1 else OpKind.CONV,
        K=g * rng.randint(1, 16),
        C=g * rng.randint(1, 16),
        Y=y,
        X=rng.randint(r, 40),
        R=r,
        S=r,
        stride_y=s,
        stride_x=s,
        groups=g,
        N=rng.choice([1, 1, 4]),
    )


@pytest.mark.parametrize("text", [G_SPATIAL, G_TEMPORAL, "nvdla", "shidiannao", "eyeriss"])
def test_vectorised_equals_scalar_on_grouped_layers(text: str) -> None:
    rng = random.Random(9)
    layers = [_random_grouped(rng) for _ in range(60)]
    layers += [Layer("p", OpKind.CONV, K=12, C=6, Y=20, X=20, R=3, S=3)]  # ungrouped in the mix
    cls = _cls(text)
    (bc,) = evaluate_layers(layers, [cls], check_buffers=False)
    for i, ly in enumerate(layers):
        lc = layer_cost(ly, cls, check_buffers=False)
        assert bc.cycles[i] == lc.cycles, ly
        assert bc.macs[i] == lc.macs, ly
        if ly.stride_y == 1 and "Map" in text:
            # (built-in tiles may count extra edge MACs on some shapes, as MAESTRO does)
            assert lc.macs == ly.macs, ly
        assert bc.energy_pj[i] == pytest.approx(lc.energy_pj, rel=1e-12), ly
        assert bc.l1_bytes[i] == lc.l1_bytes_needed and bc.l2_bytes[i] == lc.l2_bytes_needed
        assert bc.utilization[i] == pytest.approx(lc.utilization, rel=1e-12)


def test_maestro_ngconv_layer_with_its_own_g_directives() -> None:
    from mcmsched.workload.importers.maestro import parse_maestro

    (m,) = parse_maestro(
        "Network n { Layer g { Type: NGCONV Dimensions { G: 8, K: 2, C: 3, R: 3, S: 3, Y: 10, "
        "X: 10 } Dataflow { " + G_TEMPORAL + " } } }",
        "n.m",
    )
    (ly,) = m.layers
    assert (ly.K, ly.C, ly.groups, ly.macs) == (16, 24, 8, 8 * 2 * 3 * 9 * 8 * 8)
    a = analyse_layer(ly, _cls("nvdla"), use_layer_dataflow=True)
    assert a.repeats == 1 and a.macs == ly.macs
    (bc,) = evaluate_layers([ly], [_cls("nvdla")], use_layer_dataflow=True, check_buffers=False)
    assert bc.cycles[0] == a.cycles


# ---- against MAESTRO's own NGCONV runs ----------------------------------------------------------

_COLUMNS = (
    "Runtime (Cycles)",
    "Num MACs",
    *(
        f"{t} {lv} {op}"
        for t in ("input", "filter", "output")
        for lv in ("l2", "l1")
        for op in ("read", "write")
    ),
    "L2 SRAM Size Req (Bytes)",
    "L1 SRAM Size Req (Bytes)",
    "Avg number of utilized PEs",
)


def _values(a: Analysis) -> dict[str, float]:
    t = a.top
    out = {"Runtime (Cycles)": t.runtime, "Num MACs": t.computations}
    for i, tensor in enumerate(("input", "filter", "output")):
        out[f"{tensor} l2 read"] = t.l2_read[i]
        out[f"{tensor} l2 write"] = t.l2_write[i]
        out[f"{tensor} l1 read"] = t.l1_read[i]
        out[f"{tensor} l1 write"] = t.l1_write[i]
    out["L2 SRAM Size Req (Bytes)"] = sum(t.l2_size)
    out["L1 SRAM Size Req (Bytes)"] = a.l1_size_first_leaf
    out["Avg number of utilized PEs"] = t.avg_active
    return {k: float(v) for k, v in out.items()}


def _vvalues(v: VResult) -> dict[str, float]:
    out = {"Runtime (Cycles)": v.runtime[0], "Num MACs": v.computations[0]}
    for i, tensor in enumerate(("input", "filter", "output")):
        out[f"{tensor} l2 read"] = v.l2_read[i, 0]
        out[f"{tensor} l2 write"] = v.l2_write[i, 0]
        out[f"{tensor} l1 read"] = v.l1_read[i, 0]
        out[f"{tensor} l1 write"] = v.l1_write[i, 0]
    out["L2 SRAM Size Req (Bytes)"] = v.l2_size[:, 0].sum()
    out["L1 SRAM Size Req (Bytes)"] = v.l1_size_first_leaf[0]
    out["Avg number of utilized PEs"] = v.avg_active[0]
    return {k: float(x) for k, x in out.items()}


def test_g_analysis_reproduces_maestro_ngconv_runs(reference_dir: Path) -> None:
    """MAESTRO's 80 NGCONV runs (``maestro_ngconv_runs.csv``): with MAESTRO's output coupling
    (``C`` coupled to the output, ``Problem.maestro_ngconv_output``) every column matches exactly,
    in the scalar and the vectorised analysis. With the physical coupling (our default) runtime,
    MACs, every input/weight count and every L1 count are still MAESTRO's; the output L2 read-back
    is MAESTRO's divided by ``C`` per group (MAESTRO counts ``G K C Y' X'`` outputs)."""
    ref = reference_dir / "maestro"
    with open(ref / "maestro_ngconv_runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 80
    models: dict[str, dict[str, Layer]] = {}
    for r in rows:
        mp = r["mapping_file"]
        if mp not in models:
            (m,) = load_maestro(ref / "mappings_ngconv" / mp)
            models[mp] = {ly.name: ly for ly in m.layers}
        ly = models[mp][r["Layer Number"]]
        hw = hardware_of(load_maestro_hw(ref / r["hw_file"]))
        assert ly.dataflow is not None
        d = parse_directives(ly.dataflow)
        p, reps = to_problem(ly, d)
        assert reps == 1 and p.dim("G") == ly.groups
        theirs = {c: float(r[c]) for c in _COLUMNS}
        compat = dataclasses.replace(p, maestro_ngconv_output=True)
        ours = _values(analyse(compat, d, hw))
        assert ours == pytest.approx(theirs, rel=1e-9), (mp, ly.name, r["hw_file"])
        assert _vvalues(analyse_batch([compat], d, hw)) == ours
        phys = _values(analyse(p, d, hw))
        assert _vvalues(analyse_batch([p], d, hw)) == phys
        same = [c for c in _COLUMNS if not c.startswith("output l2") and "SRAM" not in c]
        assert {c: phys[c] for c in same} == {c: theirs[c] for c in same}
        assert phys["output l2 read"] * (ly.C // ly.groups) == theirs["output l2 read"]
        if ly.stride_y == 1:
            assert phys["Num MACs"] == ly.macs  # G K C R S Y' X'
        oy = ly.Y - ly.R + 1  # MAESTRO's read-back ignores the stride
        assert phys["output l2 read"] == ly.K * oy * (ly.X - ly.S + 1)
