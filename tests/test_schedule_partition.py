"""Intra-layer partitioning: split shapes, collectives (hand counts on 2x2), shared DRAM
interfaces, validation rules, JSON, layers.csv columns, the partition search and Simba split-k."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mcmsched.cost.split import SplitCosts, split_extent, split_layer
from mcmsched.cost.table import CostTable
from mcmsched.hardware import ChipletClass, get_dataflow
from mcmsched.hardware.package import Package, grid_chiplets, mesh_links
from mcmsched.report.tables import layer_rows
from mcmsched.schedule import (
    EvalOptions,
    ModelPlan,
    Schedule,
    ScheduleError,
    Segment,
    Window,
    evaluate,
    validate,
)
from mcmsched.schedule.shared import dram_time_s, ring_collective, ring_order
from mcmsched.search.objective import make_objective
from mcmsched.search.options import SearchOptions
from mcmsched.search.partition import partition_search
from mcmsched.search.registry import get_strategy
from mcmsched.workload import Layer, Model, OpKind, Scenario
from sched_helpers import grid_package

E_NOP = 2.04e-12  # J/bit/hop (package default)
DRAM_BW = 64e9  # B/s
DRAM_LAT = 200e-9  # s
HOP = 35e-9  # s


def _gemms() -> Model:
    return Model.chain(
        "g",
        [
            Layer("a", OpKind.GEMM, K=256, C=128, Y=64, X=1),
            Layer("b", OpKind.GEMM, K=128, C=256, Y=64, X=1),
        ],
    )


@pytest.fixture(scope="module")
def two_by_two() -> tuple[Scenario, Package, CostTable]:
    pkg = grid_package([["nvd", "nvd"], ["nvd", "nvd"]], name="p22")
    sc = Scenario.of("s", (_gemms(), 1))
    return sc, pkg, CostTable(sc, pkg, use_disk_cache=False)


def _one(seg: Segment) -> Schedule:
    return Schedule((Window((ModelPlan(0, (seg,), 1),)),), "s", "p22")


# ---- split shapes ---------------------------------------------------------------------------
def test_split_layer_shapes() -> None:
    g = Layer("g", OpKind.GEMM, K=10, C=6, Y=7, X=1)
    assert split_layer(g, "K", 4) == (Layer("g", OpKind.GEMM, K=3, C=6, Y=7, X=1), 4)
    assert split_layer(g, "C", 4)[0].C == 2  # ceil(6 / 4)
    assert split_layer(g, "Y", 3)[0].Y == 3  # ceil(7 / 3)
    assert split_layer(g, "C", 9) == (Layer("g", OpKind.GEMM, K=10, C=1, Y=7, X=1), 6)
    conv = Layer("c", OpKind.CONV, K=8, C=8, Y=10, X=10, R=3, S=3)  # 8 output rows
    share, k = split_layer(conv, "Y", 3)
    assert (share.out_y, share.Y, k) == (3, 5, 3)  # ceil(8/3) rows + 2-row halo
    heads = Layer("m", OpKind.MATMUL, K=12 * 64, C=12 * 32, Y=16, X=1, groups=12)
    share, k = split_layer(heads, "K", 5)
    assert (share.groups, share.K, share.C, k) == (3, 3 * 64, 3 * 32, 5)
    assert split_extent(heads, "C") == 1 and split_extent(heads, "K") == 12


def test_split_costs_k1_equal_the_table(two_by_two: tuple[Scenario, Package, CostTable]) -> None:
    _sc, _pkg, ct = two_by_two
    sc1 = SplitCosts(ct).model_costs(0, 1, "K", 1)
    mc = ct.model_costs(0, 1)
    np.testing.assert_allclose(sc1.compute_s, mc.compute_s, rtol=1e-12)
    np.testing.assert_allclose(sc1.energy_j, mc.energy_j, rtol=1e-12)


# ---- collectives: hand counts on a 2x2 mesh ---------------------------------------------------
def test_collective_bytes_and_energy_hand_count_2x2(
    two_by_two: tuple[Scenario, Package, CostTable],
) -> None:
    _sc, pkg, ct = two_by_two
    out_a = 256 * 64  # bytes of layer a's output (1 B/element)
    out_b = 128 * 64
    # K split over the ring 0-1-3-2 (every hop 1): one all-gather of a's output (b needs all of
    # it; b's output goes to DRAM sharded). 3 steps x 4 chiplets x out_a/4 = 3 out_a bytes.
    m = evaluate(_one(Segment((0, 2), 0, (0, 1, 3, 2), "K")), ct)
    assert m.collective_bytes == pytest.approx(3 * out_a)
    assert m.energy.collective_j == pytest.approx(3 * out_a * 8 * E_NOP * 1)
    assert m.energy.nop_j >= m.energy.collective_j
    # ring 0-1-2-3: hops 1, 2, 1, 2 -> each step moves out_a/4 over 6 hops in all
    m2 = evaluate(_one(Segment((0, 2), 0, (0, 1, 2, 3), "K")), ct)
    assert m2.collective_bytes == pytest.approx(3 * out_a)
    assert m2.energy.collective_j == pytest.approx(3 * (out_a / 4) * 6 * 8 * E_NOP)
    # C split: a reduce-scatter of every layer's partial sums
    m3 = evaluate(_one(Segment((0, 2), 0, (0, 1, 3, 2), "C")), ct)
    assert m3.collective_bytes == pytest.approx(3 * (out_a + out_b))
    # Y split of GEMMs: no collective (tokens are independent)
    m4 = evaluate(_one(Segment((0, 2), 0, (0, 1, 3, 2), "Y")), ct)
    assert m4.collective_bytes == 0.0
    # the ring time: 3 steps of (out_a/4 / 100 GB/s + 1 hop)
    c = ring_collective(pkg, (0, 1, 3, 2), out_a, link_sharing=False)
    assert c.time_s == pytest.approx(3 * (out_a / 4 / 100e9 + HOP))
    assert c.bytes_per_chiplet == pytest.approx(0.75 * out_a)
    # with link sharing: ring 0-1-2-3 routes XY 1->2 as 1->0->2 and 3->0 as 3->2->0; the six
    # directed links used (0>1, 1>0, 0>2, 2>3, 3>2, 2>0) each carry one piece: no sharing, but
    # the longest route has 2 hops
    cs = ring_collective(pkg, (0, 1, 2, 3), out_a, link_sharing=True)
    assert cs.time_s == pytest.approx(3 * (out_a / 4 / 100e9 + 2 * HOP))


def test_unsplit_segment_is_unchanged(two_by_two: tuple[Scenario, Package, CostTable]) -> None:
    _sc, _pkg, ct = two_by_two
    plain = evaluate(_one(Segment((0, 2), 0)), ct)
    explicit = evaluate(_one(Segment((0, 2), 0, (0,), "")), ct)
    assert plain.latency_s == explicit.latency_s and plain.energy_j == explicit.energy_j
    assert plain.collective_bytes == 0.0 and plain.energy.collective_j == 0.0


def test_split_is_faster_and_energy_adds_up(
    two_by_two: tuple[Scenario, Package, CostTable],
) -> None:
    _sc, _pkg, ct = two_by_two
    plain = evaluate(_one(Segment((0, 2), 0)), ct)
    split = evaluate(_one(Segment((0, 2), 0, (0, 1, 3, 2), "K")), ct)
    assert split.latency_s < plain.latency_s
    e = split.energy
    assert e.total_j == pytest.approx(e.compute_j + e.nop_j + e.dram_j)
    # K split: the shards' weights add up to the whole tensor -> same weight DRAM bytes
    # (window input is read by all four chiplets: 4x the input bytes)
    assert split.window_dram_bound_s[0] > 0
    bars = [ev for ev in split.timeline if ev.kind == "fill"]
    assert sorted(ev.chiplet for ev in bars) == [0, 1, 2, 3]
    assert {ev.split for ev in bars} == {"K/4"}


# ---- shared DRAM interfaces ---------------------------------------------------------------------
def _row_package(dram_ids: list[int], n: int = 2) -> Package:
    # many PEs and a large L2: weight loads, not compute, dominate
    big = ChipletClass("nvd", get_dataflow("nvd"), n_pes=16384, l2_bytes=64 * 1024 * 1024)
    return Package(
        "row",
        {"nvd": big},
        tuple(grid_chiplets([["nvd"] * n], dram_ids)),
        tuple(mesh_links(1, n)),
    )


def test_two_chiplets_through_one_interface_take_twice_as_long() -> None:
    pkg = _row_package([0])  # only chiplet 0 has a DRAM interface; chiplet 1 goes through it
    b = 1e6
    one = dram_time_s(pkg, {0: b})
    two = dram_time_s(pkg, {0: b, 1: b})
    assert one == pytest.approx(b / DRAM_BW + DRAM_LAT)
    assert two == pytest.approx(2 * b / DRAM_BW + DRAM_LAT + HOP)
    assert (two - DRAM_LAT - HOP) == pytest.approx(2 * (one - DRAM_LAT))
    # SCAR's model (no sharing): as fast as one
    assert dram_time_s(pkg, {0: b, 1: b}, sharing=False) == pytest.approx(one + HOP)
    # an interface each: as fast as one
    both = _row_package([0, 1])
    assert dram_time_s(both, {0: b, 1: b}) == pytest.approx(one)


def test_split_weight_load_shares_the_interface() -> None:
    layer = Layer("w", OpKind.GEMM, K=4096, C=1024, Y=1, X=1)  # 4 MiB of weights, tiny compute
    sc = Scenario.of("s", (Model.chain("w", [layer]), 1))
    w = 4096 * 1024
    for ids, expect in (([0], w / DRAM_BW), ([0, 1], w / 2 / DRAM_BW)):
        pkg = _row_package(ids)
        ct = CostTable(sc, pkg, use_disk_cache=False)
        seg = Segment((0, 1), 0, (0, 1), "K")
        sched = Schedule((Window((ModelPlan(0, (seg,), 1),)),), "s", "row")
        m = evaluate(sched, ct)
        # the window's busiest interface moves the weights (plus the input/output bytes)
        assert m.window_dram_bound_s[0] == pytest.approx(expect, rel=0.01)
        assert m.latency_s > expect


def test_window_bound_from_shared_interface() -> None:
    # four models on the chiplets of a 1x4 row whose only interface is chiplet 0
    big = Layer("w", OpKind.GEMM, K=4096, C=2048, Y=1, X=1)  # 8 MiB each
    sc = Scenario.of("s", *((Model.chain(f"m{i}", [big]), 1) for i in range(4)))
    pkg = _row_package([0], 4)
    ct = CostTable(sc, pkg, use_disk_cache=False)
    plans = tuple(ModelPlan(i, (Segment((0, 1), i),), 1) for i in range(4))
    sched = Schedule((Window(plans),), "s", "row")
    shared_m = evaluate(sched, ct)
    alone = evaluate(sched, ct, EvalOptions(dram_sharing="none"))
    w = 4096 * 2048
    assert shared_m.window_dram_bound_s[0] >= 4 * w / DRAM_BW
    assert shared_m.latency_s == pytest.approx(shared_m.window_dram_bound_s[0])
    assert alone.latency_s < shared_m.latency_s
    assert alone.latency_s == pytest.approx(max(r[0] for r in alone.model_latency_s))


# ---- validation and JSON ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "seg, rule",
    [
        (Segment((0, 2), 0, (0, 0, 1), "K"), "split"),  # repeated chiplet
        (Segment((0, 2), 0, (1, 0), "K"), "split"),  # does not start with its chiplet
        (Segment((0, 2), 0, (0, 1), "Z"), "split"),  # unknown dim
        (Segment((0, 2), 0, (0,), "K"), "split"),  # dim on a one-chiplet segment
        (Segment((0, 2), 0, (0, 7), "K"), "chiplet"),  # bad id
    ],
)
def test_validation_rules(
    two_by_two: tuple[Scenario, Package, CostTable], seg: Segment, rule: str
) -> None:
    sc, pkg, _ = two_by_two
    with pytest.raises(ScheduleError) as err:
        validate(_one(seg), sc, pkg)
    assert err.value.rule == rule


def test_validation_k_larger_than_dim_and_window_reuse() -> None:
    pkg = grid_package([["nvd", "nvd"], ["nvd", "nvd"]], name="p22")
    small = Layer("s", OpKind.GEMM, K=3, C=3, Y=2, X=1)
    sc = Scenario.of("s", (Model.chain("m", [small]), 1), (Model.chain("n", [small]), 1))
    over = Schedule(
        (
            Window((ModelPlan(0, (Segment((0, 1), 0, (0, 1, 3, 2), "K"),), 1),)),
            Window((ModelPlan(1, (Segment((0, 1), 0),), 1),)),
        ),
        "s",
        "p22",
    )
    with pytest.raises(ScheduleError) as err:
        validate(over, sc, pkg)
    assert err.value.rule == "split" and "at most 3" in str(err.value)
    ok = Schedule(
        (
            Window(
                (
                    ModelPlan(0, (Segment((0, 1), 0, (0, 1, 3), "K"),), 1),
                    ModelPlan(1, (Segment((0, 1), 2),), 1),
                )
            ),
        ),
        "s",
        "p22",
    )
    validate(ok, sc, pkg)
    clash = Schedule(
        (
            Window(
                (
                    ModelPlan(0, (Segment((0, 1), 0, (0, 1, 3), "K"),), 1),
                    ModelPlan(1, (Segment((0, 1), 3),), 1),
                )
            ),
        ),
        "s",
        "p22",
    )
    with pytest.raises(ScheduleError) as err:
        validate(clash, sc, pkg)
    assert err.value.rule == "chiplet"


def test_json_round_trip_and_old_json() -> None:
    sched = _one(Segment((0, 2), 0, (0, 1, 3, 2), "C"))
    back = Schedule.from_json(sched.to_json())
    assert back == sched and back.windows[0].plans[0].segments[0].dim == "C"
    plain = _one(Segment((0, 2), 1))
    d = json.loads(plain.to_json())
    assert d["windows"][0][0]["segments"][0] == {"layers": [0, 2], "chiplet": 1}  # unchanged
    assert Schedule.from_dict(d).windows[0].plans[0].segments[0].chiplets == (1,)


def test_layer_rows_show_split(two_by_two: tuple[Scenario, Package, CostTable]) -> None:
    sc, pkg, ct = two_by_two
    sched = _one(Segment((0, 2), 0, (0, 1, 3, 2), "K"))
    rows = layer_rows(sched, sc, pkg, ct)
    assert [r["chiplets"] for r in rows] == ["0 1 3 2"] * 2
    assert [r["split_dim"] for r in rows] == ["K", "K"]
    m = evaluate(sched, ct)
    assert sum(float(r["energy_j"]) for r in rows) == pytest.approx(m.energy.compute_j)


# ---- search ---------------------------------------------------------------------------------
def test_ring_order_is_a_unit_hop_cycle_on_a_6x6() -> None:
    from mcmsched.hardware.presets import get_preset

    pkg = get_preset("simba-6x6-nvd")
    ring = ring_order(pkg, range(36), 7)
    assert ring[0] == 7 and sorted(ring) == list(range(36))
    assert all(int(pkg.hop_matrix[ring[i], ring[(i + 1) % 36]]) == 1 for i in range(36))


def test_partition_search_improves_and_validates(
    two_by_two: tuple[Scenario, Package, CostTable],
) -> None:
    sc, pkg, ct = two_by_two
    start = _one(Segment((0, 2), 0))
    obj = make_objective("latency")
    res = partition_search(start, ct, obj, EvalOptions())
    validate(res.schedule, sc, pkg)
    base = evaluate(start, ct)
    assert res.metrics.latency_s < base.latency_s
    assert any(s.is_split for w in res.schedule.windows for p in w.plans for s in p.segments)
    # the reported metrics are evaluate's
    assert evaluate(res.schedule, ct).latency_s == pytest.approx(res.metrics.latency_s)


def test_scar_partition_option_and_simba_split_k(
    two_by_two: tuple[Scenario, Package, CostTable],
) -> None:
    sc, pkg, ct = two_by_two
    off = get_strategy("scar")(sc, pkg, ct, "latency", SearchOptions())
    on = get_strategy("scar")(sc, pkg, ct, "latency", SearchOptions(partition=True))
    assert not any(s.is_split for w in off.schedule.windows for p in w.plans for s in p.segments)
    assert on.metrics.latency_s <= off.metrics.latency_s
    validate(on.schedule, sc, pkg)
    simba = get_strategy("simba")(sc, pkg, ct, "latency", SearchOptions(simba_scheme="split-k"))
    seg = simba.schedule.windows[0].plans[0].segments[0]
    assert seg.k == 4 and seg.dim == "K" and seg.layers == (0, 2)
    validate(simba.schedule, sc, pkg)


def test_link_sharing_serialises_a_shared_link() -> None:
    pkg = _row_package([0], 4)
    piece = 4000.0
    # ring 0-2-1-3 on a 1x4 row: 0->2 and 1->3 both cross the directed link 1->2
    none = ring_collective(pkg, (0, 2, 1, 3), 4 * piece, link_sharing=False)
    shared_t = ring_collective(pkg, (0, 2, 1, 3), 4 * piece, link_sharing=True)
    assert none.time_s == pytest.approx(3 * (piece / 100e9 + 3 * HOP))  # 3->0: 3 hops
    assert shared_t.time_s == pytest.approx(3 * (2 * piece / 100e9 + 3 * HOP))
    # hops 2 + 1 + 2 + 3 = 8 per step
    assert none.energy_j == pytest.approx(3 * piece * 8 * 8 * E_NOP)


def _bound(model: Model, pkg: Package) -> float:
    """Lower bound (s): MACs over all PEs at the clock, weight bytes plus KV-cache bytes (a
    decode step reads its cache and writes the new K/V) over the aggregate DRAM bandwidth of the
    package's interfaces; the larger of the two."""
    pes_per_s = sum(
        pkg.chiplet_class(c.id).n_pes * pkg.chiplet_class(c.id).clock_hz for c in pkg.chiplets
    )
    n_if = sum(c.dram_interface for c in pkg.chiplets)
    compute = sum(ly.macs for ly in model.layers) / pes_per_s
    dram_bytes = sum(
        ly.weight_bytes() + ly.kv_read_bytes + ly.kv_write_bytes for ly in model.layers
    )
    weights = dram_bytes / (n_if * pkg.dram.bw_gbps * 1e9)
    return max(compute, weights)


def test_acceptance_gpt2_small_prefill_on_simba_6x6() -> None:
    from mcmsched.hardware.presets import get_preset
    from mcmsched.workload.zoo.registry import get_model

    pkg = get_preset("simba-6x6-nvd")
    model = get_model("gpt2-small")
    sc = Scenario.of("gpt2", (model, 1))
    ct = CostTable(sc, pkg)
    off = get_strategy("scar")(sc, pkg, ct, "latency", SearchOptions())
    on = get_strategy("scar")(sc, pkg, ct, "latency", SearchOptions(partition=True))
    validate(on.schedule, sc, pkg)
    assert off.metrics.latency_s / on.metrics.latency_s >= 8.0
    assert on.metrics.latency_s >= _bound(model, pkg)
    assert on.metrics.energy.collective_j > 0


def test_acceptance_llama_decode_simba_split_k_within_1_5x_of_bound() -> None:
    from mcmsched.hardware.presets import get_preset
    from mcmsched.workload.zoo.registry import get_model

    pkg = get_preset("simba-6x6-nvd")
    model = get_model("llama2-7b-decode")
    sc = Scenario.of("llama", (model, 1))
    ct = CostTable(sc, pkg)
    res = get_strategy("simba")(sc, pkg, ct, "latency", SearchOptions(simba_scheme="split-k"))
    bound = _bound(model, pkg)
    assert bound <= res.metrics.latency_s <= 1.5 * bound
    assert res.metrics.dram_bound_fraction >= 0.5  # DRAM-bound


def test_partition_is_on_for_users_and_off_in_search_options() -> None:
    from mcmsched.runner.config import config_from_dict

    assert SearchOptions().partition is False  # SCAR's space (reproduce experiments)
    base = {"models": [{"zoo": "gpt2-small"}], "package": "simba-3x3-nvd"}
    assert config_from_dict(base).options.partition is True
    off = config_from_dict({**base, "options": {"partition": False}})
    assert off.options.partition is False
    split_k = config_from_dict({**base, "options": {"simba_scheme": "split-k"}})
    assert split_k.options.simba_scheme == "split-k"
    ev = config_from_dict({**base, "eval": {"dram_sharing": "none"}})
    assert ev.options.eval_options.dram_sharing == "none"


def test_split_under_link_sharing_and_nop_boundaries(
    two_by_two: tuple[Scenario, Package, CostTable],
) -> None:
    sc, pkg, ct = two_by_two
    w0 = Window((ModelPlan(0, (Segment((0, 1), 0),), 1),))
    w1 = Window((ModelPlan(0, (Segment((1, 2), 1, (1, 3, 2, 0), "C"),), 1),))
    sched = Schedule((w0, w1), "s", "p22")
    validate(sched, sc, pkg)
    base = evaluate(sched, ct)
    link = evaluate(sched, ct, EvalOptions(contention="link-sharing"))
    nop = evaluate(sched, ct, EvalOptions(window_boundary="nop"))
    # ring 1-3-2-0 is a unit-hop cycle: link sharing changes nothing
    assert link.latency_s == pytest.approx(base.latency_s)
    # window 1's input comes over the NoP from chiplet 0 instead of DRAM: less DRAM energy
    assert nop.energy.dram_j < base.energy.dram_j
    assert nop.energy.nop_j > base.energy.nop_j
    # a C split needs 1/4 of the input on each chiplet: 3 of 4 quarters cross the NoP
    out_a = 256 * 64
    e_in = (out_a / 4) * 8 * E_NOP * (1 + 2 + 1)  # hops 0->1, 0->3, 0->2
    assert nop.energy.nop_j - nop.energy.collective_j == pytest.approx(e_in)
    assert base.to_dict()["energy"]["collective_j"] == base.energy.collective_j > 0
