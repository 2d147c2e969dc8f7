"""evaluate(): a hand-computed 2-chiplet example and the semantics of every option."""

from __future__ import annotations

import numpy as np
import pytest

from mcmsched.cost.transfer import dram_transfer_j, dram_transfer_s, nop_transfer_j, nop_transfer_s
from mcmsched.schedule import EvalOptions, ModelPlan, Schedule, Segment, Window, evaluate
from mcmsched.workload import Model, Scenario
from mcmsched.workload.layer import Layer, OpKind
from sched_helpers import MIB, StubCosts, StubModel, as_table, grid_package

# Table II constants (the package defaults), written out for the hand computation.
DRAM_BW = 64e9  # B/s
DRAM_LAT = 200e-9  # s
E_DRAM = 14.8e-12  # J/bit
NOP_BW = 100e9  # B/s
HOP = 35e-9  # s
E_NOP = 2.04e-12  # J/bit/hop


def _layers(n: int) -> list[Layer]:
    return [Layer(f"l{i}", OpKind.GEMM, K=8, C=8, Y=8, X=1) for i in range(n)]


@pytest.fixture
def example() -> tuple[Scenario, StubCosts]:
    # 1x3 mesh: chiplet 0 nvd (DRAM interface), 1 shi (middle: one hop to an interface), 2 nvd.
    pkg = grid_package([["nvd", "shi", "nvd"]], name="p3")
    a = Model.chain("a", _layers(3))
    b = Model.chain("b", _layers(1))
    sc = Scenario.of("ex", (a, 2), (b, 1))
    stub_a = StubModel(
        compute_s=np.array([[1e-3, 2e-3], [3e-3, 1e-3], [2e-3, 2e-3]]),
        energy_j=np.array([[1e-3, 3e-3], [2e-3, 1e-3], [1e-3, 1e-3]]),
        weight_bytes=np.array([1e6, 2e6, 0.5e6]),
        input_bytes=np.array([1e5, 2e5, 2e5]),
        output_bytes=np.array([2e5, 2e5, 1e5]),
    )
    stub_b = StubModel(
        compute_s=np.array([[4e-3, 5e-3]]),
        energy_j=np.array([[2e-3, 1e-3]]),
        weight_bytes=np.array([3e6]),
        input_bytes=np.array([1e5]),
        output_bytes=np.array([1e5]),
    )
    return sc, StubCosts(sc, pkg, [stub_a, stub_b])


def _schedule() -> Schedule:
    w0 = Window((ModelPlan(0, (Segment((0, 1), 0), Segment((1, 3), 1)), 1),))
    w1 = Window((ModelPlan(1, (Segment((0, 1), 1),), 1),))
    return Schedule((w0, w1), "ex", "p3")


def test_hand_computed_two_chiplet_example(example: tuple[Scenario, StubCosts]) -> None:
    _sc, stub = example
    m = evaluate(_schedule(), as_table(stub))
    # --- window 0: model a, b = 2, b' = 1 -> 2 mini-batches; weights fit L2 -> loaded once.
    # stage 0 on chiplet 0 (nvd, 0 hops to DRAM): layer 0
    w0_s = 1e6 / DRAM_BW + DRAM_LAT
    in0_s = 1e5 / DRAM_BW + DRAM_LAT
    out0_s = 2e5 / NOP_BW + 1 * HOP
    first0 = 1e-3 + w0_s + in0_s + out0_s
    steady0 = 1e-3 + in0_s + out0_s
    # stage 1 on chiplet 1 (shi, 1 hop to DRAM): layers 1-2, weights 2.5 MB, output 1e5 to DRAM
    w1_s = 2.5e6 / DRAM_BW + HOP + DRAM_LAT
    out1_s = 1e5 / DRAM_BW + HOP + DRAM_LAT
    first1 = (1e-3 + 2e-3) + w1_s + out1_s
    steady1 = (1e-3 + 2e-3) + out1_s
    lat_a = first0 + first1 + (2 - 1) * max(steady0, steady1)
    comp_a = 2 * (1e-3 + 1e-3 + 1e-3)
    dram_a = (
        1e6 * 8 * E_DRAM  # weights of stage 0, once
        + 2.5e6 * 8 * (E_DRAM + E_NOP)  # weights of stage 1, once, one hop
        + 2 * 1e5 * 8 * E_DRAM  # window input, per mini-batch
        + 2 * 1e5 * 8 * (E_DRAM + E_NOP)  # window output from chiplet 1, per mini-batch
    )
    nop_a = 2 * 2e5 * 8 * E_NOP * 1
    # --- window 1: model b alone on chiplet 1, b = b' = 1
    lat_b = 5e-3 + (3e6 / DRAM_BW + HOP + DRAM_LAT) + 2 * (1e5 / DRAM_BW + HOP + DRAM_LAT)
    e_b = 1e-3 + (3e6 + 2 * 1e5) * 8 * (E_DRAM + E_NOP)
    assert m.window_latency_s == pytest.approx((lat_a, lat_b), rel=1e-12)
    assert m.latency_s == pytest.approx(lat_a + lat_b, rel=1e-12)
    assert m.compute_j == pytest.approx(comp_a + 1e-3, rel=1e-12)
    assert m.nop_j == pytest.approx(nop_a, rel=1e-12)
    assert m.dram_j == pytest.approx(dram_a + e_b - 1e-3, rel=1e-12)
    e_total = comp_a + dram_a + nop_a + e_b
    assert m.energy_j == pytest.approx(e_total, rel=1e-12)
    assert m.edp == pytest.approx(e_total * (lat_a + lat_b), rel=1e-12)
    assert m.throughput_ips == pytest.approx(3 / (lat_a + lat_b), rel=1e-12)
    assert m.model_completion_s == pytest.approx((lat_a, lat_a + lat_b), rel=1e-12)
    assert m.model_period_s[0] == pytest.approx((max(steady0, steady1), 0.0), rel=1e-12)
    period_b = 5e-3 + 2 * (1e5 / DRAM_BW + HOP + DRAM_LAT)  # steady stage: weights resident
    assert m.model_period_s[1] == pytest.approx((0.0, period_b), rel=1e-12)
    assert m.window_energy_j == pytest.approx((comp_a + dram_a + nop_a, e_b), rel=1e-12)
    # busy time: chiplet 0 runs stage 0 (fill + one steady), chiplet 1 stage 1 and model b
    assert m.chiplet_busy_s[0] == pytest.approx(first0 + steady0, rel=1e-12)
    assert m.chiplet_busy_s[1] == pytest.approx(first1 + steady1 + lat_b, rel=1e-12)
    assert m.chiplet_busy_s[2] == 0.0
    assert m.chiplet_utilisation[1] == pytest.approx(m.chiplet_busy_s[1] / m.latency_s)


def test_hand_example_matches_transfer_functions(example: tuple[Scenario, StubCosts]) -> None:
    """The vectorised transfers equal mcmsched.cost.transfer's scalar functions."""
    _sc, stub = example
    pkg = stub.package
    m = evaluate(_schedule(), as_table(stub))
    lat_b = 5e-3 + dram_transfer_s(pkg, 1, 3e6) + 2 * dram_transfer_s(pkg, 1, 1e5)
    assert m.window_latency_s[1] == pytest.approx(lat_b, rel=1e-12)
    nop = 2 * nop_transfer_j(pkg, 0, 1, 2e5)
    assert m.nop_j == pytest.approx(nop, rel=1e-12)
    assert nop_transfer_s(pkg, 0, 1, 2e5) == pytest.approx(2e5 / NOP_BW + HOP)
    assert dram_transfer_j(pkg, 1, 1e5) == pytest.approx(1e5 * 8 * (E_DRAM + E_NOP))


def test_timeline_bars(example: tuple[Scenario, StubCosts]) -> None:
    _sc, stub = example
    m = evaluate(_schedule(), as_table(stub))
    ev = m.timeline
    # window 0: fill + steady bar per stage; window 1: one fill bar
    assert [(e.window, e.segment, e.kind) for e in ev] == [
        (0, 0, "fill"),
        (0, 0, "steady"),
        (0, 1, "fill"),
        (0, 1, "steady"),
        (1, 0, "fill"),
    ]
    assert ev[2].start_s == pytest.approx(ev[0].end_s)  # stage 1 starts when stage 0's fill ends
    assert ev[3].end_s == pytest.approx(m.window_latency_s[0])  # last stage ends the model
    assert ev[4].start_s == pytest.approx(m.window_latency_s[0])  # windows are barriers
    assert ev[4].end_s == pytest.approx(m.latency_s)
    assert sum(e.busy_s for e in ev) == pytest.approx(sum(m.chiplet_busy_s))
    d = m.to_dict()
    assert d["timeline"][0]["kind"] == "fill" and d["energy"]["total_j"] == pytest.approx(
        m.energy_j
    )


def test_window_latency_is_max_and_windows_add(example: tuple[Scenario, StubCosts]) -> None:
    _sc, stub = example
    sched = _schedule()
    both = Schedule(
        (Window((sched.windows[0].plans[0], ModelPlan(1, (Segment((0, 1), 2),), 1))),),
        "ex",
        "p3",
    )
    m2 = evaluate(sched, as_table(stub))
    m1 = evaluate(both, as_table(stub))
    lat_b_on_2 = m1.model_latency_s[1][0]
    assert m1.latency_s == pytest.approx(max(m2.window_latency_s[0], lat_b_on_2))
    assert m1.model_completion_s[1] == pytest.approx(lat_b_on_2)


def test_weight_reload_per_minibatch(example: tuple[Scenario, StubCosts]) -> None:
    _sc, stub = example
    once = evaluate(_schedule(), as_table(stub))
    per = evaluate(_schedule(), as_table(stub), EvalOptions(weight_reload="per-minibatch"))
    # model a has 2 mini-batches: one extra load of each stage's weights
    extra_j = 1e6 * 8 * E_DRAM + 2.5e6 * 8 * (E_DRAM + E_NOP)
    assert per.energy_j - once.energy_j == pytest.approx(extra_j, rel=1e-9)
    w1_s = 2.5e6 / DRAM_BW + HOP + DRAM_LAT
    # the steady stage 1 (the slowest) now also loads its weights
    assert per.latency_s - once.latency_s == pytest.approx(w1_s, rel=1e-9)


def test_weights_streamed_when_they_do_not_fit() -> None:
    pkg = grid_package([["nvd", "nvd"]], name="p2", l2_bytes=MIB)
    sc = Scenario.of("s", (Model.chain("a", _layers(1)), 2))
    stub = StubCosts(
        sc,
        pkg,
        [
            StubModel(
                compute_s=np.array([[1e-3, 1e-3]]),
                energy_j=np.array([[0.0, 0.0]]),
                weight_bytes=np.array([2.0 * MIB]),
                input_bytes=np.array([1e3]),
                output_bytes=np.array([1e3]),
            )
        ],
    )
    sched = Schedule((Window((ModelPlan(0, (Segment((0, 1), 0),), 1),)),), "s", "p2")
    m = evaluate(sched, as_table(stub))
    assert m.dram_j == pytest.approx(2 * (2 * MIB + 2e3) * 8 * E_DRAM)


def test_spill_to_dram() -> None:
    pkg = grid_package([["nvd", "nvd"]], name="p2", l2_bytes=MIB)
    sc = Scenario.of("s", (Model.chain("a", _layers(2)), 1))
    act = 0.6 * MIB  # input + output of layer 0 = 1.2 MiB > 1 MiB L2
    stub = StubCosts(
        sc,
        pkg,
        [
            StubModel(
                compute_s=np.full((2, 2), 1e-3),
                energy_j=np.zeros((2, 2)),
                weight_bytes=np.array([0.0, 0.0]),
                input_bytes=np.array([act, act]),
                output_bytes=np.array([act, 1e3]),
            )
        ],
    )
    sched = Schedule((Window((ModelPlan(0, (Segment((0, 2), 0),), 1),)),), "s", "p2")
    spill = evaluate(sched, as_table(stub))
    strict = evaluate(sched, as_table(stub), EvalOptions(memory="strict"))
    # layer 0's output is written to DRAM and read back
    assert spill.dram_j - strict.dram_j == pytest.approx(2 * act * 8 * E_DRAM)
    assert spill.latency_s - strict.latency_s == pytest.approx(2 * (act / DRAM_BW + DRAM_LAT))


def test_skip_edge_across_segments_costs_a_transfer() -> None:
    pkg = grid_package([["nvd", "shi", "nvd"]], name="p3")
    layers = _layers(3)
    model = Model("a", tuple(layers), edges=((0, 1), (1, 2), (0, 2)))
    sc = Scenario.of("s", (model, 1))
    stub = StubCosts(
        sc,
        pkg,
        [
            StubModel(
                compute_s=np.full((3, 2), 1e-3),
                energy_j=np.zeros((3, 2)),
                weight_bytes=np.zeros(3),
                input_bytes=np.full(3, 1e4),
                output_bytes=np.array([3e5, 1e4, 1e4]),
            )
        ],
    )
    segs = (Segment((0, 1), 0), Segment((1, 2), 1), Segment((2, 3), 2))
    sched = Schedule((Window((ModelPlan(0, segs, 1),)),), "s", "p3")
    with_skip = evaluate(sched, as_table(stub))
    without = evaluate(sched, as_table(stub), EvalOptions(skip="ignore"))
    assert with_skip.nop_j - without.nop_j == pytest.approx(3e5 * 8 * E_NOP * 2)  # 0 -> 2: 2 hops
    assert with_skip.latency_s - without.latency_s == pytest.approx(3e5 / NOP_BW + 2 * HOP)


def test_window_boundary_nop_option(example: tuple[Scenario, StubCosts]) -> None:
    _sc, stub = example
    # model a split over two windows: layer 0 on chiplet 0, then layers 1-2 on chiplet 2
    w0 = Window((ModelPlan(0, (Segment((0, 1), 0),), 2),))
    w1 = Window((ModelPlan(0, (Segment((1, 3), 2),), 2), ModelPlan(1, (Segment((0, 1), 1),), 1)))
    sched = Schedule((w0, w1), "ex", "p3")
    dram = evaluate(sched, as_table(stub))
    nop = evaluate(sched, as_table(stub), EvalOptions(window_boundary="nop"))
    # dram: layer 0's output (2e5 x 2 samples) written from chiplet 0, layer 1's input (2e5 x 2)
    # read at chiplet 2; nop: the input moves 0 -> 2 (2 hops) instead
    saved = 4e5 * 8 * E_DRAM + 4e5 * 8 * E_DRAM
    assert dram.energy_j - nop.energy_j == pytest.approx(saved - 4e5 * 8 * E_NOP * 2, rel=1e-9)


def test_link_sharing_contention() -> None:
    pkg = grid_package([["nvd", "nvd", "nvd", "nvd"]], name="p4")
    sc = Scenario.of("s", (Model.chain("a", _layers(2)), 1), (Model.chain("b", _layers(2)), 1))
    stub_m = StubModel(
        compute_s=np.full((2, 2), 1e-3),
        energy_j=np.zeros((2, 2)),
        weight_bytes=np.zeros(2),
        input_bytes=np.full(2, 1e3),
        output_bytes=np.array([5e5, 1e3]),
    )
    stub = StubCosts(sc, pkg, [stub_m, stub_m])
    # a: 0 -> 2 (links 0-1, 1-2), b: 1 -> 3 (links 1-2, 2-3): they share link 1->2
    plans = (
        ModelPlan(0, (Segment((0, 1), 0), Segment((1, 2), 2)), 1),
        ModelPlan(1, (Segment((0, 1), 1), Segment((1, 2), 3)), 1),
    )
    sched = Schedule((Window(plans),), "s", "p4")
    none = evaluate(sched, as_table(stub))
    shared = evaluate(sched, as_table(stub), EvalOptions(contention="link-sharing"))
    assert shared.model_latency_s[0][0] - none.model_latency_s[0][0] == pytest.approx(5e5 / NOP_BW)
    assert shared.energy_j == pytest.approx(none.energy_j)


def test_bad_option_is_a_user_error() -> None:
    from mcmsched.errors import MCMSchedError

    with pytest.raises(MCMSchedError, match="contention"):
        EvalOptions(contention="huge")  # type: ignore[arg-type]


def test_branches_and_shared_producers_move_data_once() -> None:
    """Layer 0 feeds layers 1 and 2 (two branches, no edge 1 -> 2) and layer 3 joins them.
    Segments [0,1) [1,2) [2,4) on chiplets 0, 1, 2 of a 1x3 mesh."""
    pkg = grid_package([["nvd", "shi", "nvd"]], name="p3")
    model = Model("dag", tuple(_layers(4)), edges=((0, 1), (0, 2), (1, 3), (2, 3)))
    sc = Scenario.of("s", (model, 1))
    out = np.array([1e5, 2e5, 3e5, 1e4])
    stub = StubCosts(
        sc,
        pkg,
        [
            StubModel(
                compute_s=np.full((4, 2), 1e-3),
                energy_j=np.zeros((4, 2)),
                weight_bytes=np.zeros(4),
                input_bytes=np.full(4, 1e4),
                output_bytes=out,
            )
        ],
    )
    segs = (Segment((0, 1), 0), Segment((1, 2), 1), Segment((2, 4), 2))
    sched = Schedule((Window((ModelPlan(0, segs, 1),)),), "s", "p3")
    m = evaluate(sched, as_table(stub))
    # 0 -> 1 (chain, 1 hop), 0 -> 2 (skip, 2 hops), 1 -> 3 (skip to segment 2, 1 hop);
    # no transfer of layer 1's output as "chain" input of layer 2 (edge 1 -> 2 does not exist)
    expect = (1e5 * 1 + 1e5 * 2 + 2e5 * 1) * 8 * E_NOP
    assert m.nop_j == pytest.approx(expect, rel=1e-12)
    ignore = evaluate(sched, as_table(stub), EvalOptions(skip="ignore"))
    # ignoring skips treats the model as a sequence: 0 -> 1 and 1 -> 2 only
    assert ignore.nop_j == pytest.approx((1e5 + 2e5) * 8 * E_NOP, rel=1e-12)
