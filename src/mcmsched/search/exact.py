"""Exact optimum for small instances: exhaustive over the whole scheduling space.

The space: every partition of each model's layers into consecutive windows (any number of
windows, a model may skip windows), every segmentation of every model in every window, and every
placement of the segments on distinct chiplets (any injective assignment, not only mesh paths),
with b' fixed by the evaluation rule. With δ = 0 and windows that meet in DRAM (the default
evaluation options, required here), a window's cost depends only on its content, so the search is
a dynamic programme over progress states (layers done per model):

- per (model, layer range): every (segmentation, placement) is costed, keeping per chiplet set
  the Pareto front of (latency, energy);
- per window content: models are combined over disjoint chiplet sets (latency = max, energy =
  sum), keeping the Pareto front;
- over states: fronts of (sum of latencies, sum of energies) are extended window by window.

The optimum of any objective non-decreasing in latency and energy (latency, energy, EDP,
throughput) is on the final front. Cost grows as prod_m C(L_m + 2, 2) window contents; keep
instances tiny (e.g. 2-3 models of <= 6-8 layers on <= 4 chiplets).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from typing import Any

import numpy as np

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.schedule.costing import CostModels
from mcmsched.schedule.evaluate import evaluate
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.search.objective import Objective, ObjectiveLike, make_objective
from mcmsched.search.options import SearchOptions, SearchResult, SearchStats
from mcmsched.search.place import simple_paths
from mcmsched.search.segment import map_segmentation
from mcmsched.workload.scenario import Scenario

Point = tuple[float, float, Any]


def _pareto(points: list[Point], single: str | None) -> list[Point]:
    """Non-dominated points (by latency and energy). ``single``: keep only the best point by
    ``"latency"`` or ``"energy"`` (ties broken by the other)."""
    if not points:
        return points
    if single == "latency":
        return [min(points, key=lambda p: (p[0], p[1]))]
    if single == "energy":
        return [min(points, key=lambda p: (p[1], p[0]))]
    points = sorted(points, key=lambda p: (p[0], p[1]))
    out: list[Point] = []
    best_en = float("inf")
    for p in points:
        if p[1] < best_en:
            out.append(p)
            best_en = p[1]
    return out


def exact_search(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
    *,
    max_contents: int = 2_000_000,
    placements: str = "any",
) -> SearchResult:
    """The optimum schedule over the whole space (see module docstring). ``placements="paths"``
    restricts segment placements to simple mesh paths (SCAR's scheduling-tree space) instead of
    any injective assignment."""
    t0 = time.perf_counter()
    opts = options or SearchOptions()
    obj = make_objective(objective)
    if obj.fn is not None:
        raise MCMSchedError(
            "the exhaustive search supports named objectives only", field="objective"
        )
    ev = opts.eval_options
    if ev.contention != "none" or ev.window_boundary != "dram":
        raise MCMSchedError(
            "the exhaustive search needs contention='none' and window_boundary='dram'",
            field="eval_options",
        )
    if any(e.steps > 1 or e.after is not None for e in scenario.entries):
        raise MCMSchedError(
            "the exhaustive search does not support decode phases (steps / after)",
            field="scenario",
        )
    n_layers = [len(e.model.layers) for e in scenario.entries]
    n_contents = 1
    for n in n_layers:
        n_contents *= (n + 1) * (n + 2) // 2
    if n_contents > max_contents:
        raise MCMSchedError(
            f"instance too large for the exhaustive search ({n_contents} window contents > "
            f"{max_contents})",
            field="scenario",
        )
    single = {"latency": "latency", "energy": "energy"}.get(obj.window_metric)
    if obj.targets or obj.name == "real-time":
        single = None  # per-model targets: keep the whole (latency, energy) front
    cm = CostModels(costs, ev)
    n_c = package.n_chiplets
    if placements not in ("any", "paths"):
        raise MCMSchedError("placements must be 'any' or 'paths'", field="placements")
    seqs = {
        n: (
            np.array(list(itertools.permutations(range(n_c), n)), dtype=np.int64)
            if placements == "any"
            else np.asarray(simple_paths(package, n))
        )
        for n in range(1, n_c + 1)
    }
    seq_masks = {
        n: np.bitwise_or.reduce(np.left_shift(np.int64(1), a), axis=1) for n, a in seqs.items()
    }
    evaluations = 0

    range_cache: dict[tuple[int, int, int], dict[int, list[Point]]] = {}

    def range_front(m: int, s: int, e: int) -> dict[int, list[Point]]:
        nonlocal evaluations
        hit = range_cache.get((m, s, e))
        if hit is not None:
            return hit
        mcm = cm[m]
        per: dict[int, list[Point]] = defaultdict(list)
        for n in range(1, min(e - s, n_c) + 1):
            pl, pm = seqs[n], seq_masks[n]
            if len(pl) == 0:
                continue
            for cuts in itertools.combinations(range(s + 1, e), n - 1):
                bounds = (s, *cuts, e)
                sev = map_segmentation(mcm, bounds, pl, obj)
                evaluations += len(pl)
                for i in range(len(pl)):
                    per[int(pm[i])].append(
                        (float(sev.lat[i]), float(sev.en[i]), (m, bounds, i, n, int(sev.mb[i])))
                    )
        out = {mk: _pareto(v, single) for mk, v in per.items()}
        range_cache[(m, s, e)] = out
        return out

    win_cache: dict[tuple[tuple[int, int, int], ...], list[Point]] = {}

    def window_front(content: tuple[tuple[int, int, int], ...]) -> list[Point]:
        hit = win_cache.get(content)
        if hit is not None:
            return hit
        partial: dict[int, list[Point]] = {0: [(0.0, 0.0, ())]}
        for m, s, e in content:
            rf = range_front(m, s, e)
            new: dict[int, list[Point]] = defaultdict(list)
            for um, items in partial.items():
                for mk, opts_m in rf.items():
                    if um & mk:
                        continue
                    tgt = new[um | mk]
                    for l1, e1, p1 in items:
                        for l2, e2, p2 in opts_m:
                            tgt.append((l1 if l1 > l2 else l2, e1 + e2, (*p1, p2)))
            partial = {k: _pareto(v, single) for k, v in new.items()}
        allp = [p for v in partial.values() for p in v]
        out = _pareto(allp, single)
        win_cache[content] = out
        return out

    full = tuple(n_layers)
    states = sorted(itertools.product(*(range(n + 1) for n in n_layers)), key=sum)
    fronts: dict[tuple[int, ...], list[Point]] = {tuple(0 for _ in n_layers): [(0.0, 0.0, None)]}
    for p in states:
        pts = fronts.get(p)
        if pts is None:
            continue
        pts = _pareto(pts, single)
        fronts[p] = pts
        if p == full:
            continue
        for q in itertools.product(*(range(a, n + 1) for a, n in zip(p, n_layers, strict=True))):
            if q == p:
                continue
            content = tuple((m, a, b) for m, (a, b) in enumerate(zip(p, q, strict=True)) if b > a)
            if len(content) > n_c:
                continue
            wf = window_front(content)
            tgt = fronts.setdefault(q, [])
            for big_l, big_e, _ in pts:
                for la, en, plans in wf:
                    tgt.append((big_l + la, big_e + en, (p, big_l, big_e, plans)))
            if len(tgt) > 256:
                fronts[q] = _pareto(tgt, single)
    final = _pareto(fronts[full], single)
    best = min(final, key=lambda t: (obj.window_key(t[0], t[1]), t[0], t[1]))
    if not np.isfinite(best[0] + best[1]):
        raise MCMSchedError(
            "no valid schedule (with memory='strict' some layer does not fit any chiplet's L2)",
            field="eval_options",
        )
    meta = {
        "strategy": "exhaustive",
        "objective": obj.name,
        **{f"eval.{k}": v for k, v in ev.to_dict().items()},
    }

    def rebuild(point: Point) -> Schedule:
        windows: list[Window] = []
        cur: Point = point
        state = full
        while cur[2] is not None:
            prev, prev_l, prev_e, plans = cur[2]
            mplans = []
            for m, bounds, i, n, mb in plans:
                seq = seqs[n][i]
                segs = tuple(Segment((bounds[k], bounds[k + 1]), int(seq[k])) for k in range(n))
                mplans.append(ModelPlan(m, segs, mb))
            windows.append(Window(tuple(mplans)))
            state = prev
            cur = next(pt for pt in fronts[state] if pt[0] == prev_l and pt[1] == prev_e)
        windows.reverse()
        return Schedule(tuple(windows), scenario.name, package.name, dict(meta))

    sched = rebuild(best)
    metrics = evaluate(sched, costs, ev, cost_models=cm)
    if obj.targets or obj.name == "real-time":
        # per-model targets are not monotone in (latency, energy): score every front point
        best_score = obj.score(metrics)
        for pt in final:
            if pt is best or not np.isfinite(pt[0] + pt[1]):
                continue
            alt = rebuild(pt)
            alt_m = evaluate(alt, costs, ev, cost_models=cm)
            evaluations += 1
            if obj.score(alt_m) < best_score:
                sched, metrics, best_score = alt, alt_m, obj.score(alt_m)
    cands = [(float(a), float(b)) for a, b, _ in final]
    stats = SearchStats(evaluations + 1, time.perf_counter() - t0, len(win_cache))
    return SearchResult(sched, metrics, cands, stats, package)
