"""Baselines and the exact search: structure of their schedules, and exactness on a micro case."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.schedule import ModelPlan, Schedule, Segment, Window, evaluate, validate
from mcmsched.search import SearchOptions, get_strategy, list_strategies
from mcmsched.search.objective import make_objective
from mcmsched.search.scar import ScarEngine
from mcmsched.workload import Scenario
from sched_helpers import (
    MIB,
    StubCosts,
    StubModel,
    as_table,
    gemm_chain,
    grid_package,
    random_instance,
)

HET = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="het")
HOM = grid_package([["nvd", "nvd"], ["nvd", "nvd"]], name="hom")


def _instance(pkg=HET, seed: int = 2):  # type: ignore[no-untyped-def]
    return random_instance(np.random.default_rng(seed), 3, 5, pkg)


def test_registry_lists_every_strategy() -> None:
    names = [n for n, _ in list_strategies()]
    assert names == ["scar", "standalone", "simba", "monolithic", "nn-baton", "exhaustive"]
    with pytest.raises(MCMSchedError, match="unknown strategy"):
        get_strategy("tangram")


def test_standalone_uses_one_chiplet_per_model_per_window() -> None:
    sc, stub = _instance()
    # pinned to effort="fixed": "auto" adds the outer loop on this small instance, whose layouts
    # differ from the engine's first periodic layout
    fixed = SearchOptions(effort="fixed")
    res = get_strategy("standalone")(sc, HET, as_table(stub), "edp", fixed)
    validate(res.schedule, sc, HET)
    assert all(len(p.segments) == 1 for w in res.schedule.windows for p in w.plans)
    eng = ScarEngine(sc, HET, as_table(stub), make_objective("edp"), fixed)
    layout = eng.layouts()[0]
    assert [tuple(p.model for p in w.plans) for w in res.schedule.windows] == [
        tuple(m for m, _, _ in c) for c in layout
    ]


def test_simba_needs_a_homogeneous_package_and_runs_scar_there() -> None:
    sc, stub = _instance(HET)
    with pytest.raises(MCMSchedError, match="homogeneous"):
        get_strategy("simba")(sc, HET, as_table(stub), "edp", None)
    sc, stub = _instance(HOM)
    simba = get_strategy("simba")(sc, HOM, as_table(stub), "latency", None)
    scar = get_strategy("scar")(sc, HOM, as_table(stub), "latency", None)
    validate(simba.schedule, sc, HOM)
    assert simba.schedule.windows == scar.schedule.windows
    assert simba.schedule.meta["strategy"] == "simba"


def test_monolithic_runs_models_in_sequence_on_one_big_chiplet() -> None:
    sc = Scenario.of("s", (gemm_chain("a", 3), 2), (gemm_chain("b", 2), 1))
    costs = CostTable(sc, HET, use_disk_cache=False)
    res = get_strategy("monolithic")(sc, HET, costs, "edp", None)
    mono = res.package
    assert mono.n_chiplets == 1
    assert mono.total_pes == HET.total_pes and mono.total_l2_bytes == HET.total_l2_bytes
    assert mono.chiplet_class(0).dataflow.name == "shidiannao"
    validate(res.schedule, sc, mono)
    assert [[(p.model, p.layers, p.chiplets) for p in w.plans] for w in res.schedule.windows] == [
        [(0, (0, 3), (0,))],
        [(1, (0, 2), (0,))],
    ]
    again = evaluate(res.schedule, CostTable(sc, mono, use_disk_cache=False))
    assert again.edp == pytest.approx(res.metrics.edp, rel=1e-12)


def test_nn_baton_splits_only_when_weights_overflow() -> None:
    pkg = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="p", l2_bytes=4 * MIB)
    sc = Scenario.of("s", (gemm_chain("small", 3), 1), (gemm_chain("big", 4), 1))
    small = StubModel(
        compute_s=np.full((3, 2), 1e-3),
        energy_j=np.full((3, 2), 1e-3),
        weight_bytes=np.full(3, 1.0 * MIB),
        input_bytes=np.full(3, 1e3),
        output_bytes=np.full(3, 1e3),
    )
    big = StubModel(
        compute_s=np.full((4, 2), 1e-3),
        energy_j=np.full((4, 2), 1e-3),
        weight_bytes=np.array([3.0, 2.0, 1.5, 3.5]) * MIB,  # greedy: [3] [2, 1.5] [3.5]
        input_bytes=np.full(4, 1e3),
        output_bytes=np.full(4, 1e3),
    )
    stub = StubCosts(sc, pkg, [small, big])
    res = get_strategy("nn-baton")(sc, pkg, as_table(stub), "edp", None)
    validate(res.schedule, sc, pkg)
    w0, w1 = res.schedule.windows
    assert [(s.layers, s.chiplet) for s in w0.plans[0].segments] == [((0, 3), 0)]
    segs = w1.plans[0].segments
    assert [s.layers for s in segs] == [(0, 1), (1, 3), (3, 4)]
    assert segs[0].chiplet == 0
    chips = [s.chiplet for s in segs]
    assert all(pkg.hop_matrix[a, b] == 1 for a, b in itertools.pairwise(chips))
    on_shi = get_strategy("nn-baton")(
        sc, pkg, as_table(stub), "edp", SearchOptions(start_chiplet=1)
    )
    assert on_shi.schedule.windows[0].plans[0].chiplets == (1,)
    with pytest.raises(MCMSchedError, match="start_chiplet"):
        get_strategy("nn-baton")(sc, pkg, as_table(stub), "edp", SearchOptions(start_chiplet=4))


def test_exhaustive_is_exact_on_a_micro_instance() -> None:
    """1 model of 2 layers (batch 2) on 2 chiplets: enumerate the whole space by hand."""
    pkg = grid_package([["nvd", "shi"]], name="p2")
    sc, stub = random_instance(np.random.default_rng(11), 1, 2, pkg)
    table = as_table(stub)
    from mcmsched.schedule.costing import ModelCostModel
    from mcmsched.schedule.options import EvalOptions

    mcm = ModelCostModel(table, 0, EvalOptions())
    n = len(sc.models[0].layers)
    assert n == 2
    scheds = []

    def plan(segs: list[tuple[tuple[int, int], int]]) -> ModelPlan:
        mb = mcm.choose_minibatch([r for r, _ in segs], mcm.l2[[c for _, c in segs]])
        return ModelPlan(0, tuple(Segment(r, c) for r, c in segs), mb)

    for c in range(2):  # one window, one segment
        scheds.append((Window((plan([((0, 2), c)]),)),))
    for c0, c1 in itertools.permutations(range(2), 2):  # one window, two segments
        scheds.append((Window((plan([((0, 1), c0), ((1, 2), c1)]),)),))
    for c0, c1 in itertools.product(range(2), repeat=2):  # two windows
        scheds.append((Window((plan([((0, 1), c0)]),)), Window((plan([((1, 2), c1)]),))))
    for obj in ("latency", "energy", "edp"):
        best = min(
            make_objective(obj).score(evaluate(Schedule(w, sc.name, pkg.name), table))
            for w in scheds
        )
        res = get_strategy("exhaustive")(sc, pkg, table, obj, None)
        assert make_objective(obj).score(res.metrics) == pytest.approx(best, rel=1e-12)


def test_exhaustive_beats_every_strategy_and_matches_evaluate() -> None:
    sc, stub = _instance(HET, seed=4)
    table = as_table(stub)
    ex = get_strategy("exhaustive")(sc, HET, table, "edp", None)
    validate(ex.schedule, sc, HET)
    assert evaluate(ex.schedule, table).edp == pytest.approx(ex.metrics.edp, rel=1e-12)
    for name in ("scar", "standalone", "nn-baton"):
        other = get_strategy(name)(sc, HET, table, "edp", None)
        assert ex.metrics.edp <= other.metrics.edp * (1 + 1e-9)
    with pytest.raises(MCMSchedError, match="named objectives"):
        get_strategy("exhaustive")(sc, HET, table, lambda m: m.latency_s, None)
