"""SCAR's engines one by one: expected costs, windows and packing, PROV, SEG top-k, placement."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.schedule import ModelPlan, Schedule, Segment, Window, evaluate
from mcmsched.search.evolutionary import evolve_window, random_path
from mcmsched.search.expected import expected_costs
from mcmsched.search.objective import make_objective
from mcmsched.search.options import SearchOptions
from mcmsched.search.place import (
    Candidates,
    best_assignment,
    enumerate_trees,
    path_mask,
    simple_paths,
)
from mcmsched.search.provision import exhaustive_prov, uniform_prov
from mcmsched.search.scar import ScarEngine
from mcmsched.search.segment import balanced_boundaries, count_segmentations, segmentations
from mcmsched.search.windows import (
    horizon,
    pack_greedy,
    pack_uniform,
    periodic_boundaries,
    split_crowded,
)
from mcmsched.workload import Scenario
from sched_helpers import StubCosts, StubModel, as_table, gemm_chain, grid_package, random_instance


def test_expected_costs_eq1() -> None:
    pkg = grid_package([["nvd", "nvd"], ["nvd", "shi"]])  # 3 NVD + 1 Shi
    sc = Scenario.of("s", (gemm_chain("a", 2), 3))
    stub = StubCosts(
        sc,
        pkg,
        [
            StubModel(
                compute_s=np.array([[1.0, 5.0], [2.0, 2.0]]),
                energy_j=np.array([[4.0, 0.0], [1.0, 3.0]]),
                weight_bytes=np.zeros(2),
                input_bytes=np.ones(2),
                output_bytes=np.ones(2),
            )
        ],
    )
    exp = expected_costs(as_table(stub))
    # full batch b = 3; weights 3/4 (nvd) and 1/4 (shi)
    assert exp.latency_s[0] == pytest.approx([3 * (0.75 * 1 + 0.25 * 5), 3 * 2.0])
    assert exp.energy_j[0] == pytest.approx([3 * 0.75 * 4, 3 * (0.75 + 0.25 * 3)])
    assert exp.edp[0] == pytest.approx([9 * 0.75 * 4, 9 * (0.75 * 2 + 0.25 * 6)])
    assert (0, 3) in stub.calls


def test_horizon_and_periodic_boundaries() -> None:
    assert horizon([np.array([1.0, 2.0]), np.array([4.0])]) == 4.0
    assert periodic_boundaries(10.0, 4) == pytest.approx([2.0, 4.0, 6.0, 8.0])
    assert periodic_boundaries(10.0, 0) == []


def test_greedy_first_fit_packing_hand_example() -> None:
    lat = [np.ones(6), np.array([4.0, 0.5, 0.5])]
    bounds = periodic_boundaries(horizon(lat), 2)  # H = 6 -> T = [2, 4]
    assert bounds == pytest.approx([2.0, 4.0])
    layout = pack_greedy(lat, bounds)
    # model 0: two unit layers per window; model 1's first layer (4) fits no bounded window, so
    # all of model 1 lands in the last (unbounded) window
    assert layout == (((0, 0, 2),), ((0, 2, 4),), ((0, 4, 6), (1, 0, 3)))


def test_greedy_packing_drops_empty_windows_and_short_layers_go_early() -> None:
    lat = [np.array([0.1, 0.1, 5.0]), np.array([5.0])]
    layout = pack_greedy(lat, periodic_boundaries(horizon(lat), 4))  # T = 1, 2, 3, 4
    assert layout == (((0, 0, 2),), ((0, 2, 3), (1, 0, 1)))


def test_uniform_packing_and_crowded_split() -> None:
    assert pack_uniform([5, 2], 2) == (((0, 0, 3), (1, 0, 1)), ((0, 3, 5), (1, 1, 2)))
    crowded = (((0, 0, 1), (1, 0, 1), (2, 0, 1)),)
    assert split_crowded(crowded, 2) == (((0, 0, 1), (1, 0, 1)), ((2, 0, 1),))


def test_uniform_prov_rounding_and_repair() -> None:
    assert uniform_prov([3.0, 1.0], 4, [9, 9]) == [3, 1]
    assert uniform_prov([1.0, 1.0, 1.0], 4, [9, 9, 9]) == [1, 1, 1]  # 1.33 rounds to 1
    # 1.5 rounds half up to 2 each; repair takes one from the first largest
    assert uniform_prov([1.0, 1.0], 3, [9, 9]) == [1, 2]
    # 3.28 -> 3, 0.66 -> 1, 0.07 -> 0 -> at least 1: sum 5 > 4, the largest loses one
    assert uniform_prov([5.0, 1.0, 0.1], 4, [9, 9, 9]) == [2, 1, 1]
    # caps: layer count / node cap
    assert uniform_prov([3.0, 1.0], 4, [1, 9]) == [1, 1]


def test_exhaustive_prov_vectors() -> None:
    vecs = list(exhaustive_prov(4, [3, 3]))
    assert sorted(map(tuple, vecs)) == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1)]


def test_segmentation_enumeration_and_sampling() -> None:
    rng = np.random.default_rng(0)
    rows = segmentations(2, 7, 3, 100, rng)
    assert len(rows) == count_segmentations(5, 3) == math.comb(4, 2)
    assert all(r[0] == 2 and r[-1] == 7 and all(np.diff(r) > 0) for r in rows)
    assert len({tuple(r) for r in rows}) == len(rows)
    w = np.ones(12)
    sampled = segmentations(0, 12, 4, 20, rng, w)
    assert len(sampled) == 20 and len({tuple(r) for r in sampled}) == 20
    assert (0, 3, 6, 9, 12) in {tuple(int(x) for x in r) for r in sampled}  # the balanced row
    assert balanced_boundaries(np.array([1.0, 1.0, 6.0, 1.0, 1.0]), 0, 5, 2) == (0, 3, 5)


def test_simple_path_counts() -> None:
    p22 = grid_package([["nvd", "shi"], ["shi", "nvd"]])
    assert [len(simple_paths(p22, n)) for n in (1, 2, 3, 4)] == [4, 8, 8, 8]
    p33 = grid_package([["nvd"] * 3] * 3)
    assert len(simple_paths(p33, 2)) == 24  # 12 links, two directions
    assert len(simple_paths(p33, 9)) == 40  # 20 Hamiltonian paths of the 3x3 grid, both ways
    for n in (2, 3, 5):
        for path in simple_paths(p33, n):
            assert len(set(path.tolist())) == n
            assert all(p33.hop_matrix[a, b] == 1 for a, b in itertools.pairwise(path.tolist()))


def test_trees_enumerate_exactly_the_disjoint_path_tuples() -> None:
    pkg = grid_package([["nvd", "shi", "nvd"], ["shi", "nvd", "shi"]])
    lengths = (2, 1, 2)
    trees = set(enumerate_trees(pkg, lengths))
    brute = set()
    pools = [[tuple(p.tolist()) for p in simple_paths(pkg, n)] for n in lengths]
    for combo in itertools.product(*pools):
        flat = [c for p in combo for c in p]
        if len(set(flat)) == len(flat):
            brute.add(combo)
    assert trees == brute and len(trees) > 0


@pytest.mark.parametrize("metric", ["latency", "energy", "edp"])
def test_branch_and_bound_equals_naive_tree_enumeration(metric: str) -> None:
    pkg = grid_package([["nvd", "shi", "nvd"], ["shi", "nvd", "shi"], ["nvd", "shi", "nvd"]])
    rng = np.random.default_rng(3)
    obj = make_objective(metric)
    lengths = (3, 1, 2)
    costs = []
    cands = []
    for n in lengths:
        paths = simple_paths(pkg, n)
        lat = rng.uniform(1, 10, len(paths))
        en = rng.uniform(1, 10, len(paths))
        costs.append({tuple(p.tolist()): (lat[i], en[i]) for i, p in enumerate(paths)})
        cands.append(Candidates(lat, en, path_mask(paths), list(range(len(paths)))))
    naive = min(
        obj.window_key(
            max(costs[i][p][0] for i, p in enumerate(t)),
            sum(costs[i][p][1] for i, p in enumerate(t)),
        )
        for t in enumerate_trees(pkg, lengths)
    )
    asg = best_assignment(cands, obj.window_key)
    assert asg is not None
    assert asg.key == pytest.approx(naive, rel=1e-12)
    masks = [int(cands[i].mask[q]) for i, q in enumerate(asg.choice)]
    assert sum(bin(m).count("1") for m in masks) == bin(np.bitwise_or.reduce(masks)).count("1")


def test_branch_and_bound_reports_infeasible() -> None:
    one = Candidates(np.array([1.0]), np.array([1.0]), np.array([1]), [0])
    assert best_assignment([one, one], lambda a, b: a) is None


def test_seg_top_k_is_the_k_best_by_best_placement() -> None:
    pkg = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="p")
    rng = np.random.default_rng(5)
    sc, stub = random_instance(rng, 1, 6, pkg)
    obj = make_objective("edp")
    eng = ScarEngine(sc, pkg, as_table(stub), obj, SearchOptions(top_k=3, placements="paths"))
    n_layers = len(sc.models[0].layers)
    n = 2
    top = eng.seg_evals(0, 0, n_layers, n)
    # naive: every segmentation into 2 segments on every 2-chiplet path, scored with evaluate()
    scores = {}
    for cut in range(1, n_layers):
        best = math.inf
        for path in simple_paths(pkg, n):
            segs = (Segment((0, cut), int(path[0])), Segment((cut, n_layers), int(path[1])))
            mcm = eng.cm[0]
            mb = mcm.choose_minibatch([(0, cut), (cut, n_layers)], mcm.l2[path])
            sched = Schedule((Window((ModelPlan(0, segs, mb),)),), sc.name, pkg.name)
            m = evaluate(sched, as_table(stub))
            best = min(best, m.edp)
        scores[(0, cut, n_layers)] = best
    expect = sorted(scores.items(), key=lambda kv: kv[1])[:3]
    assert [tuple(e.bounds) for e in top] == [k for k, _ in expect]
    assert [e.score for e in top] == pytest.approx([v for _, v in expect], rel=1e-9)


def test_random_path_and_evolutionary_window_are_valid() -> None:
    pkg = grid_package([["nvd"] * 4] * 4)
    rng = np.random.default_rng(0)
    p = random_path(pkg, 5, 0, rng)
    assert p is not None and len(set(p)) == 5
    assert all(pkg.hop_matrix[a, b] == 1 for a, b in itertools.pairwise(p))
    pools = [[(0, 2, 4), (0, 4)], [(0, 1, 2, 3), (0, 3)], [(0, 2)]]

    def cost(i: int, bounds: tuple[int, ...], path: tuple[int, ...]) -> tuple[float, float]:
        return 1.0 / len(path) + 0.1 * i, float(len(path) + sum(path) * 0.01)

    res = evolve_window(pkg, pools, cost, lambda a, b: a * b, 10, 4, np.random.default_rng(1))
    used = [c for _, path in res.genes for c in path]
    assert len(used) == len(set(used))
    for (bounds, path), pool in zip(res.genes, pools, strict=True):
        assert len(path) == len(bounds) - 1
        assert bounds[0] == pool[0][0] and bounds[-1] == pool[0][-1]
    lat = max(cost(i, b, p)[0] for i, (b, p) in enumerate(res.genes))
    en = sum(cost(i, b, p)[1] for i, (b, p) in enumerate(res.genes))
    assert res.key == pytest.approx(lat * en)
    again = evolve_window(pkg, pools, cost, lambda a, b: a * b, 10, 4, np.random.default_rng(1))
    assert again.genes == res.genes  # same seed, same result


def test_objectives() -> None:
    from mcmsched.schedule.metrics import EnergyBreakdown, Metrics

    e = EnergyBreakdown(1, 1, 1)
    m = Metrics(2.0, 3.0, 6.0, 5.0, 10, e, (), (2.0,), (3.0,), (), (), (), (), (), ())
    assert make_objective("latency").score(m) == 2.0
    assert make_objective("energy").score(m) == 3.0
    assert make_objective("EDP").score(m) == 6.0
    assert make_objective("throughput").score(m) == -5.0
    assert make_objective(lambda x: x.latency_s + x.energy_j).score(m) == 5.0
    assert make_objective("edp").window_key(2.0, 3.0) == 6.0
    assert make_objective("latency").window_key(2.0, 3.0) == pytest.approx(2.0, rel=1e-8)
    lat = make_objective("latency")
    assert lat.window_key(2.0, 3.0) < lat.window_key(2.0, 4.0)  # ties broken by energy
    with pytest.raises(MCMSchedError, match="objective"):
        make_objective("speed")


def test_search_options_validation() -> None:
    with pytest.raises(MCMSchedError):
        SearchOptions(top_k=0)
    with pytest.raises(MCMSchedError):
        SearchOptions(prov="rules")  # type: ignore[arg-type]
    assert SearchOptions().placement_mode(9) == "exhaustive"
    assert SearchOptions().placement_mode(36) == "evolutionary"


def test_progress_candidates_and_outer_loop_never_worse() -> None:
    from mcmsched.search import get_strategy

    pkg = grid_package([["nvd", "shi", "nvd"], ["shi", "nvd", "shi"]], name="p")
    sc, stub = random_instance(np.random.default_rng(8), 3, 6, pkg)
    calls: list[tuple[int, int]] = []
    base = get_strategy("scar")(
        sc, pkg, as_table(stub), "edp", SearchOptions(progress=lambda d, t: calls.append((d, t)))
    )
    assert calls and calls[-1][0] == calls[-1][1] == len(calls)
    assert (base.metrics.latency_s, base.metrics.energy_j) in base.candidates
    assert base.stats.evaluations > 0 and base.stats.wall_s > 0
    assert base.schedule.meta["strategy"] == "scar" and base.schedule.meta["objective"] == "edp"
    more = get_strategy("scar")(
        sc,
        pkg,
        as_table(stub),
        "edp",
        SearchOptions(sweep_splits=True, boundary_samples=3, refine_passes=2),
    )
    assert more.metrics.edp <= base.metrics.edp * (1 + 1e-12)


def test_evolutionary_mode_on_a_4x4_package() -> None:
    from mcmsched.schedule import validate
    from mcmsched.search import get_strategy

    pkg = grid_package([["nvd", "shi", "shi", "nvd"]] * 4, name="p16")
    sc, stub = random_instance(np.random.default_rng(9), 3, 8, pkg)
    opts = SearchOptions(search="evolutionary", seed=3)
    a = get_strategy("scar")(sc, pkg, as_table(stub), "edp", opts)
    b = get_strategy("scar")(sc, pkg, as_table(stub), "edp", opts)
    validate(a.schedule, sc, pkg)
    assert a.schedule.windows == b.schedule.windows  # seeded: reproducible
    assert a.schedule.meta["search"] == "evolutionary"


@pytest.mark.parametrize("metric", ["latency", "edp"])
def test_window_solver_equals_naive_enumeration_with_evaluate(metric: str) -> None:
    """SCAR's window solution (top-k segmentations x every scheduling tree, by branch and bound
    on per-path costs) equals enumerating every combination and tree and scoring each full window
    with evaluate()."""
    pkg = grid_package([["nvd", "shi", "nvd"], ["shi", "nvd", "shi"]], name="p")
    sc, stub = random_instance(np.random.default_rng(21), 2, 5, pkg)
    table = as_table(stub)
    obj = make_objective(metric)
    eng = ScarEngine(sc, pkg, table, obj, SearchOptions(top_k=2, placements="paths"))
    content = tuple((m, 0, len(sc.models[m].layers)) for m in range(2))
    vec = eng.prov_vectors(content)[0]
    sol = eng.solve_window(content)
    evs_per_model = []
    for (m, s, e), n_max in zip(content, vec, strict=True):
        evs = [ev for n in range(1, n_max + 1) for ev in eng.seg_evals(m, s, e, n)]
        evs_per_model.append(sorted(evs, key=lambda v: v.score)[:2])
    best = math.inf
    for combo in itertools.product(*evs_per_model):
        lengths = [len(ev.bounds) - 1 for ev in combo]
        for tree in enumerate_trees(pkg, lengths):
            plans = []
            for m, (ev, path) in enumerate(zip(combo, tree, strict=True)):
                segs = tuple(
                    Segment((ev.bounds[k], ev.bounds[k + 1]), path[k]) for k in range(len(path))
                )
                mcm = eng.cm[m]
                mb = mcm.choose_minibatch(list(itertools.pairwise(ev.bounds)), mcm.l2[list(path)])
                plans.append(ModelPlan(m, segs, mb))
            met = evaluate(Schedule((Window(tuple(plans)),), sc.name, pkg.name), table)
            best = min(best, obj.window_key(met.latency_s, met.energy_j))
    assert sol.key == pytest.approx(best, rel=1e-9)
    met = evaluate(Schedule((sol.window,), sc.name, pkg.name), table)
    assert obj.window_key(met.latency_s, met.energy_j) == pytest.approx(sol.key, rel=1e-9)
