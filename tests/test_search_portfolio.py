"""Never worse than the obvious: the SCAR result against its portfolio, the baselines on the same
package and the certified lower bound, over random scenarios and packages (real cost tables)."""

from __future__ import annotations

import numpy as np
import pytest

from mcmsched.cost.table import CostTable
from mcmsched.schedule import evaluate, validate
from mcmsched.schedule.bounds import lower_bound
from mcmsched.schedule.costing import CostModels
from mcmsched.search import SearchOptions, get_strategy, make_objective
from mcmsched.search.portfolio import class_path, portfolio_schedules
from mcmsched.workload import Scenario
from sched_helpers import gemm_chain, grid_package

LAYOUTS = {
    "2x2-het": [["nvd", "shi"], ["shi", "nvd"]],
    "2x2-hom": [["nvd", "nvd"], ["nvd", "nvd"]],
    "3x3-het": [["nvd", "shi", "nvd"], ["shi", "nvd", "shi"], ["nvd", "shi", "nvd"]],
    "6x6-het": [["nvd" if (r + c) % 3 else "shi" for c in range(6)] for r in range(6)],
    "6x6-hom": [["shi"] * 6 for _ in range(6)],
}


def _scenario(rng: np.random.Generator, tag: str) -> Scenario:
    n_models = int(rng.integers(1, 4))
    models = []
    for m in range(n_models):
        n = int(rng.integers(2, 7))
        dims = tuple(int(d) for d in rng.choice([32, 64, 128, 256, 512], size=3))
        models.append((gemm_chain(f"{tag}-m{m}", n, dims), int(rng.choice([1, 2, 3, 4, 8]))))
    return Scenario.of(f"rand-{tag}", *models)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_result_never_worse_than_portfolio_or_baselines(layout: str) -> None:
    pkg = grid_package(LAYOUTS[layout], name=layout)
    rng = np.random.default_rng(len(layout) * 7 + sum(map(ord, layout)))
    sc = _scenario(rng, layout)
    costs = CostTable(sc, pkg)
    lb = lower_bound(sc, pkg, costs)
    opts = SearchOptions(n_splits=2)
    for name in ("latency", "energy", "edp", "throughput"):
        obj = make_objective(name)
        res = get_strategy("scar")(sc, pkg, costs, obj, opts)
        validate(res.schedule, sc, pkg, costs)
        ours = obj.score(res.metrics)
        # the returned metrics are the schedule's evaluation
        again = evaluate(res.schedule, costs, opts.eval_options)
        assert again.latency_s == pytest.approx(res.metrics.latency_s, rel=1e-12)
        # never worse than any portfolio member, re-scored here independently
        cm = CostModels(costs, opts.eval_options)
        for member, sched in portfolio_schedules(sc, pkg, costs, obj, cm):
            validate(sched, sc, pkg, costs)
            alt = obj.score(evaluate(sched, costs, opts.eval_options))
            assert ours <= alt + 1e-9 * abs(alt), (layout, name, member)
        for base in ("standalone", "nn-baton") + (("simba",) if pkg.is_homogeneous else ()):
            b = get_strategy(base)(sc, pkg, costs, obj, opts)
            alt = obj.score(b.metrics)
            assert ours <= alt + 1e-9 * abs(alt), (layout, name, base)
        assert sum(e.chosen for e in res.portfolio) == 1
        assert min(e.score for e in res.portfolio) == pytest.approx(ours, rel=1e-12)
        # the certified lower bound holds
        assert res.metrics.latency_s >= lb.latency_s * (1 - 1e-12)
        assert res.metrics.energy_j >= lb.energy_j * (1 - 1e-12)


def test_custom_objective_uses_the_portfolio() -> None:
    pkg = grid_package(LAYOUTS["2x2-het"], name="2x2")
    sc = Scenario.of("two", (gemm_chain("a", 4), 4), (gemm_chain("b", 3, (256, 512, 128)), 2))
    costs = CostTable(sc, pkg)

    def obj(m: object) -> float:
        return float(m.latency_s**2 * m.energy_j)  # type: ignore[attr-defined]

    res = get_strategy("scar")(sc, pkg, costs, obj, SearchOptions(n_splits=1))
    assert min(e.score for e in res.portfolio) == pytest.approx(obj(res.metrics), rel=1e-12)
    names = [e.name for e in res.portfolio]
    assert "standalone" in names and "one-window-whole-latency" in names


def test_class_path_stays_in_class() -> None:
    pkg = grid_package(LAYOUTS["6x6-het"], name="6x6")
    cls = np.asarray(pkg.class_index)
    nvd = sum(1 << c for c in range(pkg.n_chiplets) if cls[c] == cls[1])
    for n in (1, 2, 4, 8):
        path = class_path(pkg, nvd, n)
        assert len(path) == n and len(set(path)) == n
        assert all(nvd >> c & 1 for c in path)
        assert all(path[k + 1] in pkg.neighbours(path[k]) for k in range(n - 1))
    shi = sum(1 << c for c in range(pkg.n_chiplets) if cls[c] == cls[0])
    assert class_path(pkg, shi, 2) == ()  # the Shi chiplets of this layout are never adjacent


def test_strict_memory_portfolio_members_must_fit() -> None:
    """With memory="strict", a portfolio schedule whose segments overflow L2 is never returned."""
    from mcmsched.schedule.options import EvalOptions

    pkg = grid_package(LAYOUTS["2x2-het"], name="2x2", l2_bytes=400 * 1024)
    sc = Scenario.of("big", (gemm_chain("a", 4, (512, 256, 512)), 2))
    costs = CostTable(sc, pkg)
    ev = EvalOptions(memory="strict")
    opts = SearchOptions(n_splits=1, eval_options=ev)
    res = get_strategy("scar")(sc, pkg, costs, "latency", opts)
    validate(res.schedule, sc, pkg, costs, ev)
    cm = CostModels(costs, ev)
    whole = portfolio_schedules(sc, pkg, costs, make_objective("latency"), cm)[0][1]
    with pytest.raises(Exception, match="memory"):
        validate(whole, sc, pkg, costs, ev)  # the whole model on one chiplet does not fit
    assert all(e.name != "one-window-whole-latency" for e in res.portfolio)


def test_class_blind_member_on_a_large_heterogeneous_package() -> None:
    """Above 16 chiplets (evolutionary placement) a heterogeneous package also scores SCAR's
    search on its homogeneous view (every chiplet of the class with the least work), re-scored
    with the real per-class costs; the result is never worse than it."""
    from mcmsched.search.scar import _class_view

    layout = [["nvd", "shi", "nvd", "shi", "nvd"] for _ in range(4)]  # 20 chiplets
    pkg = grid_package(layout, name="het-5x4")
    sc = Scenario.of(
        "two", (gemm_chain("a", 6, (256, 512, 256)), 4), (gemm_chain("b", 4, (128, 256)), 2)
    )
    costs = CostTable(sc, pkg, use_disk_cache=False)
    view = _class_view(sc, pkg, costs)
    work = {
        c: sum(
            e.batch * costs.model_costs(m, 1).compute_s[:, i].sum()
            for m, e in enumerate(sc.entries)
        )
        for i, c in enumerate(pkg.class_names)
    }
    best = min(work, key=lambda c: work[c])
    assert view.class_names == (best,)
    assert all(ch.cls == best for ch in view.chiplets)
    assert view.links == pkg.links and len(view.chiplets) == pkg.n_chiplets
    res = get_strategy("scar")(sc, pkg, costs, "edp", SearchOptions())
    validate(res.schedule, sc, pkg, costs)
    members = [e for e in res.portfolio if e.name.startswith(f"class-blind-{best}")]
    assert {e.name for e in members} == {
        f"class-blind-{best} (edp windows)",
        f"class-blind-{best} (latency windows)",
    }
    for e in members:
        assert res.metrics.edp <= e.score * (1 + 1e-12)
    assert res.metrics.edp == pytest.approx(evaluate(res.schedule, costs).edp, rel=1e-12)
