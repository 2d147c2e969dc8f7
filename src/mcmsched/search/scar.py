"""SCAR: the two-level search (SCAR §IV; docs/REFERENCES.md#scar-part-by-part).

Top level (MCM-Reconfig): expected layer costs (Eq. 1), horizon, window boundaries and layer
packing give one or more window layouts. Per window: PROV chooses chiplet counts N_m, SEG lists
each model's segmentations into at most N_m segments and keeps the top-k per model (Heuristic 1:
each scored by its best placement alone), SCHED places the combined segmentations on disjoint
chiplet paths (exhaustive scheduling trees by branch and bound, or the evolutionary search).
Windows are optimised independently and greedily with the objective's window key; the whole
schedules are scored with :func:`mcmsched.schedule.evaluate` and the best one is returned.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.schedule.costing import CostModels
from mcmsched.schedule.evaluate import evaluate
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.schedule.validate import ScheduleError, validate
from mcmsched.search import segment
from mcmsched.search.evolutionary import affine_path, evolve_window, random_path
from mcmsched.search.expected import expected_costs
from mcmsched.search.objective import Objective, ObjectiveLike, make_objective
from mcmsched.search.options import PortfolioEntry, SearchOptions, SearchResult, SearchStats
from mcmsched.search.place import Candidates, best_assignment, pareto_by_mask, simple_paths
from mcmsched.search.portfolio import class_path, portfolio_schedules
from mcmsched.search.provision import exhaustive_prov, uniform_prov
from mcmsched.search.segment import (
    SegEval,
    l2_fill_bounds,
    map_segmentation,
    proxy_keys,
    segmentations,
)
from mcmsched.search.windows import (
    Layout,
    WindowContent,
    confine_phases,
    front_load,
    horizon,
    pack_greedy,
    pack_uniform,
    periodic_boundaries,
    random_boundaries,
    split_crowded,
)
from mcmsched.workload.scenario import Scenario

#: ``placements="auto"``: every ordered choice of distinct chiplets when there are at most this
#: many for a segment count (tiny packages), else mesh paths
ANY_PLACEMENTS = 64


def phase_models(scenario: Scenario) -> dict[int, int | None]:
    """Models that must run whole in one window (``steps`` > 1 or an ``after`` model), with
    the index of the model they run after (or None)."""
    return {
        i: (scenario.index_of(e.after) if e.after is not None else None)
        for i, e in enumerate(scenario.entries)
        if e.steps > 1 or e.after is not None
    }


@dataclass
class WindowSolution:
    """The chosen plans of a window with its latency (s), energy (J), key, and the (latency,
    energy) of the improving alternatives met on the way (for Pareto plots)."""

    window: Window
    latency_s: float
    energy_j: float
    key: float
    alternatives: list[tuple[float, float]]


class ScarEngine:
    """Shared state of one SCAR run: cost models, expected costs, caches, counters."""

    def __init__(
        self,
        scenario: Scenario,
        package: Package,
        costs: CostTable,
        objective: Objective,
        options: SearchOptions,
        *,
        force_single: bool = False,
        rows: dict[tuple[int, int, int, int], np.ndarray] | None = None,
    ) -> None:
        if costs.package is not package and costs.package.name != package.name:
            raise MCMSchedError("the cost table was built for another package", field="costs")
        self.scenario = scenario
        self.package = package
        self.costs = costs
        self.obj = objective
        self.opts = options
        self.force_single = force_single
        self.cm = CostModels(costs, options.eval_options)
        self.exp = expected_costs(costs)
        self.rng = np.random.default_rng(options.seed)
        self.class_ids = np.unique(np.asarray(package.class_index))
        self.mode = options.placement_mode(package.n_chiplets)
        self.evaluations = 0
        self.windows_solved = 0
        cap = options.time_cap_s
        self.deadline = None if cap is None else time.perf_counter() + cap
        self._rows: dict[tuple[int, int, int, int], np.ndarray] = {} if rows is None else rows
        self._ranked: dict[tuple[int, int, int, int], np.ndarray] = {}
        self._seg_cache: dict[tuple[int, int, int, int], list[SegEval]] = {}
        self._cand_cache: dict[tuple[int, int, int, int], Candidates] = {}
        self._pool_cache: dict[tuple[int, int, int, int], list[tuple[int, ...]]] = {}
        self._win_cache: dict[tuple[WindowContent, tuple[float, float] | None], WindowSolution] = {}
        self._paths: dict[int, np.ndarray] = {}
        self._ratio_cache: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}
        self._ga_cost_cache: dict[
            tuple[int, tuple[int, ...], tuple[int, ...]], tuple[float, float, int]
        ] = {}

    # ---- SEG ---------------------------------------------------------------------------------
    def _ranked_rows(self, m: int, s: int, e: int, n: int) -> np.ndarray:
        """Model m's segmentations of [s, e) into n segments, the best ``prefilter`` by proxy
        key. Sampled rows come from a generator seeded by (seed, m, s, e, n), so they are the
        same for every search of a run (and shared through ``rows``)."""
        k = (m, s, e, n)
        hit = self._ranked.get(k)
        if hit is not None:
            return hit
        rows = self._rows.get(k)
        if rows is None:
            rng = np.random.default_rng([self.opts.seed, m, s, e, n])
            cap = self.opts.max_segmentations
            if self.mode == "evolutionary":
                cap = min(cap, self.opts.ga_segmentations)
            rows = segmentations(s, e, n, cap, rng, self.exp.latency_s[m])
            self._rows[k] = rows
        if len(rows) > self.opts.prefilter:
            keys = proxy_keys(self.cm[m], rows, self.obj, self.class_ids)
            rows = rows[np.argsort(keys, kind="stable")[: self.opts.prefilter]]
        self._ranked[k] = rows
        return rows

    def seg_evals(self, m: int, s: int, e: int, n: int) -> list[SegEval]:
        """Top-k segmentations of model m's layers [s, e) into n segments, each mapped on every
        path of n chiplets (Heuristic 1 score = best key over paths)."""
        k = (m, s, e, n)
        hit = self._seg_cache.get(k)
        if hit is not None:
            return hit
        paths = self.paths(n)
        if len(paths) == 0:
            self._seg_cache[k] = []
            return []
        rows = self._ranked_rows(m, s, e, n)
        evs = [
            map_segmentation(self.cm[m], tuple(int(x) for x in r), paths, self.obj) for r in rows
        ]
        self.evaluations += len(rows) * len(paths)
        evs.sort(key=lambda v: v.score)
        self._seg_cache[k] = evs[: self.opts.top_k]
        return self._seg_cache[k]

    def model_candidates(self, m: int, s: int, e: int, n_max: int) -> Candidates:
        """Placement candidates of model m in a window with at most n_max segments: all paths of
        its top-k segmentations (over every n <= n_max), Pareto-pruned per chiplet set.
        Memoised (the result is read, never changed, by the window solvers)."""
        k = (m, s, e, n_max)
        hit = self._cand_cache.get(k)
        if hit is not None:
            return hit
        evs: list[SegEval] = []
        for n in range(1, n_max + 1):
            evs.extend(self.seg_evals(m, s, e, n))
        evs.sort(key=lambda v: v.score)
        evs = evs[: self.opts.top_k]
        lats: list[np.ndarray] = []
        ens: list[np.ndarray] = []
        masks: list[np.ndarray] = []
        refs: list[tuple[int, int]] = []
        for j, ev in enumerate(evs):
            n = len(ev.bounds) - 1
            paths = self.paths(n)
            lats.append(ev.lat)
            ens.append(ev.en)
            masks.append(np.bitwise_or.reduce(np.left_shift(np.int64(1), paths), axis=1))
            refs.extend((j, p) for p in range(len(paths)))
        c = Candidates(np.concatenate(lats), np.concatenate(ens), np.concatenate(masks), list(refs))
        c = pareto_by_mask(c, self.obj.window_key(c.lat, c.en))
        pairs: list[tuple[int, int]] = c.ref  # type: ignore[assignment]
        c.ref = [self._plan_ref(m, evs[j], p) for j, p in pairs]
        self._cand_cache[k] = c
        return c

    def _plan_ref(self, m: int, ev: SegEval, p: int) -> ModelPlan:
        n = len(ev.bounds) - 1
        path = self.paths(n)[p]
        segs = tuple(Segment((ev.bounds[k], ev.bounds[k + 1]), int(path[k])) for k in range(n))
        return ModelPlan(m, segs, int(ev.mb[p]))

    # ---- PROV --------------------------------------------------------------------------------
    def caps(self, content: WindowContent) -> list[int]:
        out = []
        for _, s, e in content:
            c = min(e - s, self.package.n_chiplets - (len(content) - 1))
            if self.opts.node_cap is not None:
                c = min(c, self.opts.node_cap)
            out.append(max(1, 1 if self.force_single else c))
        return out

    def prov_vectors(self, content: WindowContent) -> list[list[int]]:
        caps = self.caps(content)
        if self.force_single:
            return [[1] * len(content)]
        if self.opts.prov == "exhaustive":
            return list(exhaustive_prov(self.package.n_chiplets, caps))
        metric = self.exp.metric(self.obj.window_metric)
        expected = [float(metric[m][s:e].sum()) for m, s, e in content]
        return [uniform_prov(expected, self.package.n_chiplets, caps)]

    # ---- a window ----------------------------------------------------------------------------
    def solve_window(
        self, content: WindowContent, context: tuple[float, float] | None = None
    ) -> WindowSolution:
        """Best plans of a window; ``context`` = (latency, energy) of the other windows makes the
        key the whole schedule's EDP (only used for EDP-like objectives)."""
        ck = (content, context)
        hit = self._win_cache.get(ck)
        if hit is not None:
            return hit
        key: Callable[[Any, Any], Any] = self.obj.window_key
        if context is not None:
            lr, er = context

            def key(lat: Any, en: Any) -> Any:
                return (lr + lat) * (er + en)

        best: WindowSolution | None = None
        alts: list[tuple[float, float]] = []
        for vec in self.prov_vectors(content):
            sol = (
                self._solve_bnb(content, vec, key)
                if self.mode == "exhaustive"
                else self._solve_ga(content, vec, key)
            )
            if sol is None:
                continue
            alts.extend(sol.alternatives)
            if best is None or sol.key < best.key:
                best = sol
        if best is None or not np.isfinite(best.key):
            names = ", ".join(self.scenario.entries[m].model.name for m, _, _ in content)
            raise MCMSchedError(
                f"no valid placement for the window of {names} on package "
                f"'{self.package.name}' (with memory='strict', a segment's weights and "
                "activations must fit its chiplet's L2)",
                field="eval_options",
            )
        best.alternatives = alts
        if self.opts.eval_options.minibatch_rule == "search":
            best = self._polish_minibatch(best, key)
        self._win_cache[ck] = best
        self.windows_solved += 1
        return best

    def _polish_minibatch(
        self, sol: WindowSolution, key: Callable[[Any, Any], Any]
    ) -> WindowSolution:
        """b' as a decision on the window's chosen plans (``minibatch_rule="search"``): per
        plan in turn, every b' of :meth:`ModelCostModel.minibatch_candidates` on its segments
        and chiplets, kept when the window key (max latency, sum of energies) gets strictly
        lower; two rounds over the plans."""
        plans = list(sol.window.plans)
        segs = [[sg.layers for sg in p.segments] for p in plans]
        chips = [np.array([[sg.chiplet for sg in p.segments]], dtype=np.int64) for p in plans]
        lat, en = [], []
        for p, sg, ch in zip(plans, segs, chips, strict=True):
            pc = self.cm[p.model].plan_cost(sg, ch, p.minibatch)
            lat.append(float(pc.latency_s[0]))
            en.append(float(pc.energy_j[0]))
        cur = float(key(max(lat), sum(en)))
        for _ in range(2):
            changed = False
            for i, p in enumerate(plans):
                mcm = self.cm[p.model]
                for mb in mcm.minibatch_candidates(segs[i], mcm.l2[chips[i][0]]):
                    if mb == plans[i].minibatch or not mcm.fits_strict(segs[i], chips[i], mb)[0]:
                        continue
                    pc = mcm.plan_cost(segs[i], chips[i], mb)
                    la, ej = float(pc.latency_s[0]), float(pc.energy_j[0])
                    v = float(key(max([*lat[:i], la, *lat[i + 1 :]]), sum(en) - en[i] + ej))
                    self.evaluations += 1
                    if v < cur * (1 - 1e-12):
                        plans[i] = dataclasses.replace(plans[i], minibatch=mb)
                        lat[i], en[i], cur, changed = la, ej, v, True
            if not changed:
                break
        if cur >= sol.key:
            return sol
        return WindowSolution(Window(tuple(plans)), max(lat), sum(en), cur, sol.alternatives)

    def _solve_bnb(
        self, content: WindowContent, vec: list[int], key: Callable[[Any, Any], Any]
    ) -> WindowSolution | None:
        cands = [
            self.model_candidates(m, s, e, n) for (m, s, e), n in zip(content, vec, strict=True)
        ]
        asg = best_assignment(cands, key, self.opts.bnb_node_limit)
        if asg is None:
            return None
        plans = tuple(c.ref[q] for c, q in zip(cands, asg.choice, strict=True))
        return WindowSolution(
            Window(plans),  # type: ignore[arg-type]
            asg.latency_s,
            asg.energy_j,
            asg.key,
            list(asg.trace),
        )

    def _ga_pool(self, m: int, s: int, e: int, n_max: int) -> list[tuple[int, ...]]:
        """Model m's segmentation pool for the evolutionary search: the proxy-ranked rows of every
        n <= n_max, best 4 * top_k by proxy key, plus the single-segment row."""
        k = (m, s, e, n_max)
        hit = self._pool_cache.get(k)
        if hit is not None:
            return hit
        scored: list[tuple[float, tuple[int, ...]]] = []
        for n in range(1, n_max + 1):
            rows = self._ranked_rows(m, s, e, n)
            if len(rows) == 0:
                continue
            keys = proxy_keys(self.cm[m], rows, self.obj, self.class_ids)
            scored.extend(
                (float(kv), tuple(int(x) for x in row)) for kv, row in zip(keys, rows, strict=True)
            )
        scored.sort(key=lambda t: t[0])
        out = [r for _, r in scored[: 4 * self.opts.top_k]]
        if (s, e) not in out:
            out.append((s, e))
        self._pool_cache[k] = out
        return out

    def _ga_cost(
        self, m: int, bounds: tuple[int, ...], path: tuple[int, ...]
    ) -> tuple[float, float, int]:
        k = (m, bounds, path)
        hit = self._ga_cost_cache.get(k)
        if hit is None:
            mcm = self.cm[m]
            segs = list(itertools.pairwise(bounds))
            arr = np.array([path], dtype=np.int64)
            for mb in mcm.minibatch_candidates(segs, mcm.l2[list(path)], segment.SEG_MINIBATCHES):
                pc = mcm.plan_cost(segs, arr, mb)
                got = (float(pc.latency_s[0]), float(pc.energy_j[0]), mb)
                if not mcm.fits_strict(segs, arr, mb)[0]:
                    got = (np.inf, np.inf, mb)
                if hit is None or self.obj.window_key(got[0], got[1]) < self.obj.window_key(
                    hit[0], hit[1]
                ):
                    hit = got  # the rule's choice first; later ones only when strictly better
            assert hit is not None
            self._ga_cost_cache[k] = hit
            self.evaluations += 1
        return hit

    def paths(self, n: int) -> np.ndarray:
        """Placements of n segments: the simple mesh paths of n chiplets (SCAR), or every ordered
        choice of n distinct chiplets when ``placements`` allows it (``"any"``, or ``"auto"``
        with at most ``ANY_PLACEMENTS`` of them)."""
        hit = self._paths.get(n)
        if hit is None:
            c = self.package.n_chiplets
            mode = self.opts.placements
            if mode == "any" or (mode == "auto" and math.perm(c, n) <= ANY_PLACEMENTS):
                hit = np.array(list(itertools.permutations(range(c), n)), dtype=np.int64)
                hit = hit.reshape(-1, n)
            else:
                hit = simple_paths(self.package, n)
            self._paths[n] = hit
        return hit

    def ga_budget(self) -> tuple[int, int]:
        """(population, generations) of the evolutionary search (``SearchOptions.ga_budget``)."""
        pop, gens = self.opts.pop_size, self.opts.generations
        n_c = self.package.n_chiplets
        if self.opts.ga_budget == "auto" and n_c > 16:
            f = math.sqrt(n_c / 16)
            pop, gens = round(pop * f), round(gens * f)
        return pop, gens

    def _ratio(self, m: int, bounds: tuple[int, ...]) -> np.ndarray:
        """``[n, n_chiplets]``: each segment's compute time (b' = 1) on each chiplet's class over
        its time on the package's fastest class for it (the class affinity)."""
        k = (m, bounds)
        hit = self._ratio_cache.get(k)
        if hit is None:
            cp = self.cm[m].tables(1)[0]
            a = np.array(bounds[:-1], dtype=np.int64)
            e = np.array(bounds[1:], dtype=np.int64)
            seg = cp[e] - cp[a]  # [n, classes]
            best = seg[:, self.class_ids].min(axis=1, keepdims=True)
            cls = np.asarray(self.package.class_index, dtype=np.int64)
            hit = seg[:, cls] / np.maximum(best, 1e-30)
            self._ratio_cache[k] = hit
        return hit

    def _affine_path(self, m: int, bounds: tuple[int, ...], used: int) -> tuple[int, ...] | None:
        return affine_path(self.package, self._ratio(m, bounds), used, self.rng)

    def _greedy_genes(
        self,
        models: list[int],
        pools: list[list[tuple[int, ...]]],
        key: Callable[[Any, Any], Any],
        tries: int = 48,
    ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """A greedy individual: models in decreasing order of their best-row proxy latency
        (the window's bottleneck first) each take their best-ranked row on the cheapest of up
        to ``tries`` random free paths (falling back to the single-segment row)."""
        order = sorted(
            range(len(models)),
            key=lambda i: (
                -float(
                    proxy_keys(
                        self.cm[models[i]],
                        np.array([pools[i][0]], dtype=np.int64),
                        make_objective("latency"),
                        self.class_ids,
                    )[0]
                )
            ),
        )
        used = 0
        genes: list[tuple[tuple[int, ...], tuple[int, ...]]] = [((), ())] * len(models)
        for i in order:
            m = models[i]
            for row in (pools[i][0], min(pools[i], key=len)):
                n = len(row) - 1
                paths = {random_path(self.package, n, used, self.rng) for _ in range(tries)}
                paths |= {self._affine_path(m, row, used) for _ in range(tries)}
                paths.discard(None)
                if paths:
                    break
            cand = sorted(p for p in paths if p is not None)
            mcm = self.cm[m]
            segs = list(itertools.pairwise(row))
            arr = np.array(cand, dtype=np.int64)
            best_k, best_p = np.inf, cand[0]
            for g in np.unique(mcm.l2[arr], axis=0):
                sel = (mcm.l2[arr] == g).all(axis=1)
                mb = mcm.choose_minibatch(segs, g)
                pc = mcm.plan_cost(segs, arr[sel], mb)
                ok = mcm.fits_strict(segs, arr[sel], mb)
                kv = np.where(ok, key(pc.latency_s, pc.energy_j), np.inf)
                self.evaluations += int(sel.sum())
                j = int(np.argmin(kv))
                if kv[j] < best_k or best_k == np.inf:
                    best_k, best_p = float(kv[j]), tuple(int(c) for c in arr[sel][j])
            genes[i] = (row, best_p)
            for c in best_p:
                used |= 1 << c
        return genes

    def _solve_ga(
        self, content: WindowContent, vec: list[int], key: Callable[[Any, Any], Any]
    ) -> WindowSolution | None:
        pools = [self._ga_pool(m, s, e, n) for (m, s, e), n in zip(content, vec, strict=True)]
        models = [m for m, _, _ in content]

        def cost(i: int, bounds: tuple[int, ...], path: tuple[int, ...]) -> tuple[float, float]:
            la, en, _ = self._ga_cost(models[i], bounds, path)
            return la, en

        def path_fn(i: int, bounds: tuple[int, ...], used: int) -> tuple[int, ...] | None:
            return self._affine_path(models[i], bounds, used)

        pop, gens = self.ga_budget()
        res = evolve_window(
            self.package,
            pools,
            cost,
            key,
            pop,
            gens,
            self.rng,
            initial=self._greedy_genes(models, pools, key),
            path_fn=path_fn if self.opts.class_affinity else None,
            deadline=self.deadline,
        )
        plans = []
        for m, (bounds, path) in zip(models, res.genes, strict=True):
            mb = self._ga_cost(m, bounds, path)[2]
            segs = tuple(Segment((bounds[k], bounds[k + 1]), path[k]) for k in range(len(path)))
            plans.append(ModelPlan(m, segs, mb))
        return WindowSolution(Window(tuple(plans)), res.latency_s, res.energy_j, res.key, res.trace)

    # ---- top level ---------------------------------------------------------------------------
    def confine(self, layout: Layout) -> Layout:
        """Decode phases (``steps`` > 1 or ``after``) whole in one window, after their prefill."""
        return confine_phases(
            layout,
            phase_models(self.scenario),
            [len(e.model.layers) for e in self.scenario.entries],
        )

    def layouts(self) -> list[Layout]:
        n_layers = [len(e.model.layers) for e in self.scenario.entries]
        out: list[Layout] = []
        if self.opts.packing == "uniform":
            out.append(pack_uniform(n_layers, self.opts.n_splits + 1))
        else:
            h = horizon(self.exp.latency_s)
            splits = (
                range(self.opts.n_splits + 1) if self.opts.sweep_splits else [self.opts.n_splits]
            )
            bounds = [periodic_boundaries(h, n) for n in splits]
            for _ in range(self.opts.boundary_samples):
                bounds.append(random_boundaries(h, self.opts.n_splits, self.rng))
            out.extend(pack_greedy(self.exp.latency_s, t) for t in bounds)
        if self.obj.targets:
            # deadline layouts: every model with a target also tried whole in its first window
            # (a model cut by a window barrier completes only when the later window does), and
            # whole in a first window of its own (where the window key optimises it alone)
            phases = phase_models(self.scenario)
            sizes = [len(e.model.layers) for e in self.scenario.entries]
            free: dict[int, int | None] = {
                t.model: None for t in self.obj.targets if t.model not in phases
            }
            if free:
                base = list(out)
                out.extend(confine_phases(lay, free, sizes) for lay in base)
                out.extend(front_load(lay, sorted(free), sizes) for lay in base)
        uniq: list[Layout] = []
        for lay in out:
            lay = self.confine(lay)
            lay = split_crowded(lay, self.package.n_chiplets)
            if lay not in uniq:
                uniq.append(lay)
        return uniq


def _cuts(layout: Layout, n_layers: list[int]) -> list[list[int]]:
    """Per model, the cut positions c_0 = 0 <= c_1 <= ... <= c_W = L of a layout."""
    n_w = len(layout)
    cuts = [[0] * (n_w + 1) for _ in n_layers]
    for m, n in enumerate(n_layers):
        cuts[m][n_w] = n
    for w, content in enumerate(layout):
        for m, s, e in content:
            cuts[m][w] = s
            cuts[m][w + 1] = e
    # models absent from a window: carry the previous cut forward
    for m, n in enumerate(n_layers):
        for w in range(1, n_w + 1):
            present = any(mm == m for mm, _, _ in layout[w - 1])
            if not present:
                cuts[m][w] = cuts[m][w - 1] if w < n_w else n
        for w in range(n_w - 1, 0, -1):
            cuts[m][w] = min(cuts[m][w], cuts[m][w + 1])
    return cuts


def _layout(cuts: list[list[int]]) -> Layout:
    n_w = len(cuts[0]) - 1
    out = []
    for w in range(n_w):
        content = tuple((m, c[w], c[w + 1]) for m, c in enumerate(cuts) if c[w + 1] > c[w])
        if content:
            out.append(content)
    return tuple(out)


def _neighbours(cuts: list[list[int]]) -> list[list[list[int]]]:
    """Layouts one move away: shift one model's cut by one layer (or by 1/8 of the two windows'
    span), merge two adjacent windows, or move the head or tail of one model's range in a window
    to a new window of its own (split anywhere in ranges of <= 8 layers, else at the quartiles)."""
    n_w = len(cuts[0]) - 1
    out = []
    for m, c in enumerate(cuts):
        for k in range(1, n_w):
            span = max(1, (c[k + 1] - c[k - 1]) // 8)
            for d in sorted({-1, 1, -span, span}):
                v = c[k] + d
                if c[k - 1] <= v <= c[k + 1]:
                    nc = [list(x) for x in cuts]
                    nc[m][k] = v
                    out.append(nc)
    for k in range(1, n_w):
        out.append([[*c[:k], *c[k + 1 :]] for c in cuts])
    # split: one model's head or tail of a window moves to a new window of its own
    for w in range(n_w):
        for m, c in enumerate(cuts):
            s, e = c[w], c[w + 1]
            points = (
                range(s + 1, e) if e - s <= 8 else sorted({s + (e - s) * q // 4 for q in (1, 2, 3)})
            )
            for p in points:
                tail = [[*x[: w + 1], x[w + 1], *x[w + 1 :]] for x in cuts]
                tail[m] = [*c[: w + 1], p, *c[w + 1 :]]
                head = [[*x[: w + 1], x[w], *x[w + 1 :]] for x in cuts]
                head[m] = [*c[: w + 1], p, *c[w + 1 :]]
                out.extend((tail, head))
    return out


def _pair_shifts(cuts: list[list[int]]) -> list[list[list[int]]]:
    """Layouts two moves away: the cuts of two models at one window boundary shifted by one
    layer each, together (a boundary that should move for several models at once, where each
    single shift alone is uphill)."""
    n_w = len(cuts[0]) - 1
    out = []
    for k in range(1, n_w):
        for m1 in range(len(cuts)):
            for m2 in range(m1 + 1, len(cuts)):
                for d1 in (-1, 1):
                    for d2 in (-1, 1):
                        v1, v2 = cuts[m1][k] + d1, cuts[m2][k] + d2
                        if (
                            cuts[m1][k - 1] <= v1 <= cuts[m1][k + 1]
                            and cuts[m2][k - 1] <= v2 <= cuts[m2][k + 1]
                        ):
                            nc = [list(x) for x in cuts]
                            nc[m1][k], nc[m2][k] = v1, v2
                            out.append(nc)
    return out


#: Joint splits of one window tried per window at most (see :func:`_joint_splits`).
JOINT_SPLITS = 64


def _joint_splits(cuts: list[list[int]]) -> list[list[list[int]]]:
    """Layouts with one window cut in two through every model at once: each model of window w
    is cut at any point of its range (or at its quartiles when the combinations would exceed
    :data:`JOINT_SPLITS`), the heads forming window w and the tails a new window w + 1."""
    n_w = len(cuts[0]) - 1
    out = []
    for w in range(n_w):
        spans = [(c[w], c[w + 1]) for c in cuts]
        pts = [list(range(s, e + 1)) for s, e in spans]
        if math.prod(len(p) for p in pts) > JOINT_SPLITS:
            pts = [sorted({s + (e - s) * q // 4 for q in range(5)}) for s, e in spans]
        for combo in itertools.product(*pts):
            if all(p == s for p, (s, _) in zip(combo, spans, strict=True)) or all(
                p == e for p, (_, e) in zip(combo, spans, strict=True)
            ):
                continue
            out.append([[*c[: w + 1], p, *c[w + 1 :]] for c, p in zip(cuts, combo, strict=True)])
    return out


#: Starting layouts of the local search (``refine_passes`` > 0): the best of each window count.
REFINE_STARTS = 3


def _local_search(
    start: Layout,
    n_layers: list[int],
    score: Callable[[Layout], float],
    confine: Callable[[Layout], Layout],
    n_chiplets: int,
    passes: int,
) -> Layout:
    """First-improvement local search over window cuts from ``start``: passes over the single
    moves of :func:`_neighbours`; when none improves, the pair moves of :func:`_pair_shifts` and
    the joint window splits of :func:`_joint_splits` once (variable neighbourhood descent; an
    improving one resumes the passes)."""
    cur, cur_score = start, score(start)

    def descend(moves: list[list[list[int]]], first_only: bool) -> bool:
        """Take each move that beats the current layout (all of them, or only the first)."""
        nonlocal cur, cur_score
        improved = False
        for nc in moves:
            lay = _fitting_layout(nc, confine, n_chiplets)
            if lay is None:
                continue
            sc_ = score(lay)
            if sc_ < cur_score * (1 - 1e-12):
                cur, cur_score, improved = lay, sc_, True
                if first_only:
                    break
        return improved

    for _ in range(passes):
        if descend(_neighbours(_cuts(cur, n_layers)), False):
            continue
        cuts = _cuts(cur, n_layers)
        if not descend([*_pair_shifts(cuts), *_joint_splits(cuts)], True):
            break
    return cur


def _fitting_layout(
    cuts: list[list[int]], confine: Callable[[Layout], Layout], n_chiplets: int
) -> Layout | None:
    """The layout of ``cuts`` (decode phases confined), or ``None`` when a window holds more
    models than the package has chiplets."""
    lay = confine(_layout(cuts))
    return None if any(len(w) > n_chiplets for w in lay) else lay


#: ``effort="auto"``: instances with at most this many layers in all and this many chiplets
#: also get SCAR's outer loop (every n_splits' <= n_splits and 3 local-search passes)
SMALL_LAYERS = 24
SMALL_CHIPLETS = 9


def effective_options(scenario: Scenario, package: Package, opts: SearchOptions) -> SearchOptions:
    """``opts`` with ``effort="auto"`` applied: small instances (<= SMALL_LAYERS layers, <=
    SMALL_CHIPLETS chiplets) also sweep the split counts and run 3 refine passes."""
    small = (
        sum(len(e.model.layers) for e in scenario.entries) <= SMALL_LAYERS
        and package.n_chiplets <= SMALL_CHIPLETS
    )
    if opts.effort != "auto" or not small:
        return opts
    return dataclasses.replace(
        opts, sweep_splits=True, refine_passes=max(opts.refine_passes, 3), prov="exhaustive"
    )


def run_scar(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
    *,
    strategy: str = "scar",
    force_single: bool = False,
    portfolio: bool = False,
) -> SearchResult:
    """Run SCAR's search; ``force_single`` pins N_m = 1 (the Standalone baseline). The searches
    keyed by ``options.seed_objectives`` (other than the objective's own window key) run too;
    with ``portfolio`` (and ``options.portfolio``) the standalone baseline and the simple
    schedules of :mod:`mcmsched.search.portfolio` are scored as well. The best whole schedule
    under the real objective wins; on ties the earlier one (the objective's own search first)."""
    t0 = time.perf_counter()
    opts = effective_options(scenario, package, options or SearchOptions())
    obj = make_objective(objective)
    rows: dict[tuple[int, int, int, int], np.ndarray] = {}
    res = _run_scar_once(scenario, package, costs, obj, opts, strategy, force_single, rows)
    best, best_score = res, obj.score(res.metrics)
    candidates = list(res.candidates)
    evaluations, windows = res.stats.evaluations, res.stats.windows_solved
    entries: list[tuple[str, float, float, float]] = [
        (
            f"search ({obj.window_metric} windows)",
            res.metrics.latency_s,
            res.metrics.energy_j,
            best_score,
        )
    ]
    chosen = 0

    def consider(name: str, alt: SearchResult, window_objective: str | None) -> None:
        nonlocal best, best_score, chosen
        score = obj.score(alt.metrics)
        entries.append((name, alt.metrics.latency_s, alt.metrics.energy_j, score))
        if score < best_score - 1e-12 * abs(best_score):
            meta = {**res.schedule.meta, **alt.schedule.meta}
            meta.update(strategy=strategy, objective=obj.name)
            if window_objective is not None:
                meta["window_objective"] = window_objective
            best = dataclasses.replace(alt, schedule=dataclasses.replace(alt.schedule, meta=meta))
            best_score = score
            chosen = len(entries) - 1

    sub_opts = dataclasses.replace(opts, progress=None)
    seeds = list(dict.fromkeys(opts.seed_objectives))
    if obj.name == "real-time" and "energy" not in seeds:
        seeds.append("energy")  # real-time breaks ties of met frames by energy
    for name in seeds:
        if name == obj.window_metric:
            continue  # the same window keys: the same search
        # the seed search picks its layout under the same targets
        seed_obj = make_objective(name, obj.targets)
        alt = _run_scar_once(
            scenario, package, costs, seed_obj, sub_opts, strategy, force_single, rows
        )
        candidates.extend(alt.candidates)
        evaluations += alt.stats.evaluations
        windows += alt.stats.windows_solved
        consider(f"search ({name} windows)", alt, name)
    if portfolio and opts.portfolio and not force_single:
        try:  # memory="strict" may leave a model no single chiplet that holds it
            alt = _run_scar_once(scenario, package, costs, obj, sub_opts, "standalone", True, rows)
        except MCMSchedError:
            pass
        else:
            evaluations += alt.stats.evaluations
            windows += alt.stats.windows_solved
            candidates.append((alt.metrics.latency_s, alt.metrics.energy_j))
            consider("standalone", alt, None)
        cm = CostModels(costs, opts.eval_options)
        members = portfolio_schedules(scenario, package, costs, obj, cm)
        members.append(("nn-baton", _nn_baton_schedule(scenario, package, costs, cm)))
        if (
            isinstance(costs, CostTable)  # test stubs have no per-package tables
            and len(package.class_names) > 1
            and opts.placement_mode(package.n_chiplets) == "evolutionary"
        ):
            view = _class_view(scenario, package, costs)
            vcosts = CostTable(
                scenario,
                view,
                cache_dir=costs.cache_dir,
                use_disk_cache=costs.use_disk_cache,
                orientation=costs.orientation,
            )
            vrows: dict[tuple[int, int, int, int], np.ndarray] = {}
            for name in dict.fromkeys([obj.window_metric, *seeds]):
                key_obj = obj if name == obj.window_metric else make_objective(name, obj.targets)
                try:  # e.g. memory="strict": no placement fits the view
                    alt = _run_scar_once(
                        scenario, view, vcosts, key_obj, sub_opts, strategy, False, vrows
                    )
                except MCMSchedError:
                    break
                evaluations += alt.stats.evaluations
                windows += alt.stats.windows_solved
                sched = dataclasses.replace(alt.schedule, package=package.name)
                members.append((f"class-blind-{view.class_names[0]} ({name} windows)", sched))
        for name, sched in members:
            meta = {
                **sched.meta,
                **{f"eval.{k}": v for k, v in opts.eval_options.to_dict().items()},
            }
            sched = dataclasses.replace(sched, meta=meta)
            if not within_node_cap(sched, opts.node_cap):
                continue  # the portfolio's layouts ignore the cap the user set (Heuristic 2)
            try:  # e.g. memory="strict": a member whose segments overflow L2 is not a candidate
                validate(sched, scenario, package, costs, opts.eval_options)
            except ScheduleError:
                continue
            metrics = evaluate(sched, costs, opts.eval_options, cost_models=cm)
            evaluations += 1
            candidates.append((metrics.latency_s, metrics.energy_j))
            stats0 = SearchStats(1, 0.0, 0)
            consider(name, SearchResult(sched, metrics, [], stats0, package), None)
    stats = SearchStats(evaluations, time.perf_counter() - t0, windows)
    table = tuple(
        PortfolioEntry(n, la, en, sc_, i == chosen) for i, (n, la, en, sc_) in enumerate(entries)
    )
    return dataclasses.replace(best, candidates=candidates, stats=stats, portfolio=table)


def within_node_cap(schedule: Schedule, node_cap: int | None) -> bool:
    """True if every plan of ``schedule`` uses at most ``node_cap`` chiplets (split segments
    count all their chiplets) and so at most ``node_cap`` segments; always true without a cap."""
    if node_cap is None:
        return True
    return all(
        len(p.segments) <= node_cap and len(set(p.all_chiplets)) <= node_cap
        for w in schedule.windows
        for p in w.plans
    )


def _class_view(scenario: Scenario, package: Package, costs: CostTable) -> Package:
    """``package`` with every chiplet of one class (same topology, ids, NoP and DRAM): the class
    that runs the scenario's work fastest on one chiplet (sum over models of batch x the model's
    compute time at b' = 1). SCAR's search on this homogeneous view (the Simba-like setting,
    where its evolutionary placement is strongest: every path is as good as its shape) gives a
    schedule that is valid on ``package`` and is scored there with the real per-class costs."""
    totals = np.zeros(len(package.class_names))
    for m, entry in enumerate(scenario.entries):
        totals += entry.batch * costs.model_costs(m, 1).compute_s.sum(axis=0)
    best = package.class_names[int(np.argmin(totals))]
    chiplets = tuple(dataclasses.replace(c, cls=best) for c in package.chiplets)
    return dataclasses.replace(
        package,
        name=f"{package.name}~{best}",
        classes={best: package.classes[best]},
        chiplets=chiplets,
    )


def _nn_baton_schedule(
    scenario: Scenario, package: Package, costs: CostTable, cm: CostModels
) -> Schedule:
    """An NN-Baton-like schedule: each model alone in a window, split only where its weights
    exceed chiplet 0's L2 (see :func:`mcmsched.search.baselines.nn_baton`), at most one segment
    per chiplet, on a path found by a budgeted DFS from the chiplets nearest DRAM."""
    l2 = float(package.chiplet_class(0).l2_bytes)
    windows = []
    for m, entry in enumerate(scenario.entries):
        w = cm[m].w
        n_l = len(entry.model.layers)
        bounds = l2_fill_bounds(w, l2)
        n = min(len(bounds) - 1, package.n_chiplets)
        bounds = [*bounds[:n], n_l]
        path: tuple[int, ...] = ()
        while not path:  # a budgeted DFS (long paths may not exist); merge the tail if none
            path = class_path(package, (1 << package.n_chiplets) - 1, n, budget=5000)
            if not path:
                bounds = [*bounds[: n - 1], n_l]
                n -= 1
        segs = [(bounds[k], bounds[k + 1]) for k in range(n)]
        mb = cm[m].choose_minibatch(segs, cm[m].l2[list(path)])
        plan = ModelPlan(m, tuple(Segment(r, path[k]) for k, r in enumerate(segs)), mb)
        windows.append(Window((plan,)))
    meta = {"strategy": "portfolio", "portfolio": "nn-baton"}
    return Schedule(tuple(windows), scenario.name, package.name, meta)


def _run_scar_once(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    obj: Objective,
    opts: SearchOptions,
    strategy: str,
    force_single: bool,
    rows: dict[tuple[int, int, int, int], np.ndarray] | None = None,
) -> SearchResult:
    """One SCAR search with window keys of ``obj``; ``rows`` shares sampled segmentations
    between the searches of one run."""
    t0 = time.perf_counter()
    eng = ScarEngine(scenario, package, costs, obj, opts, force_single=force_single, rows=rows)
    layouts = eng.layouts()
    total = sum(len(lay) for lay in layouts)
    done = 0
    best: tuple[float, Schedule] | None = None
    best_metrics = None
    candidates: list[tuple[float, float]] = []
    meta = {
        "strategy": strategy,
        "objective": obj.name,
        "n_splits": str(opts.n_splits),
        "packing": opts.packing,
        "prov": "single" if force_single else opts.prov,
        "search": eng.mode,
        "top_k": str(opts.top_k),
        "seed": str(opts.seed),
        **{f"eval.{k}": v for k, v in opts.eval_options.to_dict().items()},
    }

    def approx_score(lay: Layout) -> float:
        sols = [eng.solve_window(c) for c in lay]
        lat = sum(sol.latency_s for sol in sols)
        en = sum(sol.energy_j for sol in sols)
        return float(obj.window_key(lat, en))

    if opts.refine_passes > 0:
        n_layers = [len(e.model.layers) for e in scenario.entries]
        # the starts also consider every joint split of the one-window layout (all models
        # whole in one window, cut in two through every model at once)
        pool = list(layouts)
        whole = tuple((m, 0, n) for m, n in enumerate(n_layers) if n > 0)
        if len(whole) <= package.n_chiplets:
            for nc in _joint_splits(_cuts((whole,), n_layers)):
                lay = _fitting_layout(nc, eng.confine, package.n_chiplets)
                if lay is not None and lay not in pool:
                    pool.append(lay)
        scored = sorted(pool, key=approx_score)
        # multi-start: the best layout of each window count (up to REFINE_STARTS of them), since
        # the moves keep the window count except by merging or splitting one model's range
        starts: list[Layout] = []
        for lay in scored:
            if all(len(x) != len(lay) for x in starts):
                starts.append(lay)
        for start in starts[:REFINE_STARTS]:
            cur = _local_search(
                start, n_layers, approx_score, eng.confine, package.n_chiplets, opts.refine_passes
            )
            if cur not in layouts:
                layouts.append(cur)
        total = sum(len(lay) for lay in layouts)

    for lay in layouts:
        sols = []
        for content in lay:
            sols.append(eng.solve_window(content))
            done += 1
            if opts.progress is not None:
                opts.progress(done, total)
        if obj.window_metric == "edp" and len(sols) > 1:
            for _ in range(opts.context_passes):
                changed = False
                for w, content in enumerate(lay):
                    lr = sum(x.latency_s for i, x in enumerate(sols) if i != w)
                    er = sum(x.energy_j for i, x in enumerate(sols) if i != w)
                    cand = eng.solve_window(content, (lr, er))
                    old_v = (lr + sols[w].latency_s) * (er + sols[w].energy_j)
                    new_v = (lr + cand.latency_s) * (er + cand.energy_j)
                    if new_v < old_v * (1 - 1e-12):
                        sols[w] = cand
                        changed = True
                if not changed:
                    break
        sched = Schedule(tuple(s.window for s in sols), scenario.name, package.name, dict(meta))
        metrics = evaluate(sched, costs, opts.eval_options, cost_models=eng.cm)
        eng.evaluations += 1
        candidates.append((metrics.latency_s, metrics.energy_j))
        for w, sol in enumerate(sols):
            for la, en in sol.alternatives:
                candidates.append(
                    (
                        metrics.latency_s - metrics.window_latency_s[w] + la,
                        metrics.energy_j - metrics.window_energy_j[w] + en,
                    )
                )
        score = obj.score(metrics)
        if best is None or score < best[0]:
            best = (score, sched)
            best_metrics = metrics
    assert best is not None and best_metrics is not None
    stats = SearchStats(eng.evaluations, time.perf_counter() - t0, eng.windows_solved)
    return SearchResult(best[1], best_metrics, candidates, stats, package)
