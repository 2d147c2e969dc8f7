"""Property tests: every strategy returns a valid schedule on random small scenarios/packages,
and its reported metrics equal a fresh evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcmsched.cost.table import CostTable
from mcmsched.schedule import evaluate, validate
from mcmsched.search import SearchOptions, get_strategy
from mcmsched.workload import Scenario
from sched_helpers import as_table, gemm_chain, grid_package, random_instance

SHAPES = [(1, 2), (2, 1), (1, 3), (2, 2), (3, 2), (3, 3)]


@st.composite
def instances(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    rows, cols = draw(st.sampled_from(SHAPES))
    layout = [[draw(st.sampled_from(["nvd", "shi"])) for _ in range(cols)] for _ in range(rows)]
    pkg = grid_package(layout, name="pkg")
    n_models = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31))
    sc, stub = random_instance(np.random.default_rng(seed), n_models, 6, pkg)
    return sc, pkg, stub


@pytest.mark.parametrize("strategy", ["scar", "standalone", "simba", "nn-baton", "exhaustive"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances(), obj=st.sampled_from(["latency", "energy", "edp", "throughput"]))
def test_every_strategy_returns_a_valid_schedule(strategy: str, inst, obj: str) -> None:  # type: ignore[no-untyped-def]
    sc, pkg, stub = inst
    if strategy == "simba" and not pkg.is_homogeneous:
        pkg = grid_package([["nvd"] * len(r) for r in _rows(pkg)], name="pkg")
        stub.package = pkg
    if strategy == "exhaustive" and pkg.n_chiplets > 4:
        pkg = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="pkg")
        stub.package = pkg
    table = as_table(stub)
    res = get_strategy(strategy)(sc, pkg, table, obj, None)
    validate(res.schedule, sc, res.package)
    again = evaluate(res.schedule, table)
    assert again.latency_s == pytest.approx(res.metrics.latency_s, rel=1e-12)
    assert again.energy_j == pytest.approx(res.metrics.energy_j, rel=1e-12)
    assert np.isfinite(res.metrics.edp) and res.metrics.latency_s > 0


def _rows(pkg):  # type: ignore[no-untyped-def]
    r, c = pkg.grid_shape
    return [[None] * c for _ in range(r)]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inst=instances(),
    prov=st.sampled_from(["uniform", "exhaustive"]),
    packing=st.sampled_from(["greedy", "uniform"]),
    search=st.sampled_from(["exhaustive", "evolutionary"]),
    n_splits=st.integers(0, 4),
    node_cap=st.sampled_from([None, 1, 2]),
)
def test_scar_options_keep_schedules_valid(  # type: ignore[no-untyped-def]
    inst, prov: str, packing: str, search: str, n_splits: int, node_cap: int | None
) -> None:
    sc, pkg, stub = inst
    opts = SearchOptions(
        prov=prov,  # type: ignore[arg-type]
        packing=packing,  # type: ignore[arg-type]
        search=search,  # type: ignore[arg-type]
        n_splits=n_splits,
        node_cap=node_cap,
        refine_passes=1,
        boundary_samples=1,
    )
    res = get_strategy("scar")(sc, pkg, as_table(stub), "edp", opts)
    validate(res.schedule, sc, pkg)
    if node_cap is not None:
        assert all(len(p.segments) <= node_cap for w in res.schedule.windows for p in w.plans)


def test_strategies_on_real_cost_table() -> None:
    pkg = grid_package([["nvd", "shi", "nvd"], ["shi", "nvd", "shi"], ["nvd", "shi", "nvd"]])
    sc = Scenario.of(
        "real",
        (gemm_chain("a", 6), 4),
        (gemm_chain("b", 4, (128, 512)), 2),
        (gemm_chain("c", 3), 1),
    )
    costs = CostTable(sc, pkg, use_disk_cache=False)
    for name in ("scar", "standalone", "monolithic", "nn-baton"):
        res = get_strategy(name)(sc, pkg, costs, "edp", None)
        validate(res.schedule, sc, res.package)
        assert res.metrics.edp > 0 and res.candidates


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inst=instances(),
    strategy=st.sampled_from(["scar", "standalone", "exhaustive"]),
    search=st.sampled_from(["exhaustive", "evolutionary"]),
)
def test_strict_memory_schedules_fit_or_fail_cleanly(inst, strategy: str, search: str) -> None:  # type: ignore[no-untyped-def]
    from mcmsched.errors import MCMSchedError
    from mcmsched.schedule import EvalOptions

    sc, pkg, stub = inst
    if strategy == "exhaustive" and pkg.n_chiplets > 4:
        return
    ev = EvalOptions(memory="strict")
    opts = SearchOptions(eval_options=ev, search=search)  # type: ignore[arg-type]
    try:
        res = get_strategy(strategy)(sc, pkg, as_table(stub), "edp", opts)
    except MCMSchedError as err:
        assert "strict" in str(err)
        return
    validate(res.schedule, sc, pkg, as_table(stub), ev)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(SHAPES),
    layers=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    batches=st.lists(st.sampled_from([1, 2, 3, 4]), min_size=3, max_size=3),
    strategy=st.sampled_from(["monolithic", "nn-baton", "scar", "standalone"]),
)
def test_strategies_with_real_costs(  # type: ignore[no-untyped-def]
    shape, layers: list[int], batches: list[int], strategy: str
) -> None:
    rows, cols = shape
    pkg = grid_package([[["nvd", "shi"][(r + c) % 2] for c in range(cols)] for r in range(rows)])
    models = [(gemm_chain(f"m{i}", n, (64, 96, 128)), batches[i]) for i, n in enumerate(layers)]
    sc = Scenario.of("real", *models)
    costs = CostTable(sc, pkg, use_disk_cache=False)
    res = get_strategy(strategy)(sc, pkg, costs, "edp", None)
    validate(res.schedule, sc, res.package)
    if strategy == "monolithic":
        assert res.package.n_chiplets == 1
        assert len(res.schedule.windows) == len(layers)
