"""A portfolio of simple schedules every SCAR search also scores ("never worse than the obvious").

Each member is a whole schedule built in closed form on the searched package and scored with
:func:`mcmsched.schedule.evaluate`; the search returns the best of its own result and the
portfolio under the requested :class:`~mcmsched.search.objective.Objective` (so constraints the
objective adds are honoured by the same comparison). Members (all b' by the evaluation rule):

- ``one-window-whole[-latency|-energy]``: every model in one window, the whole model on one
  chiplet of its best class (the class whose single chiplet gives the model the lowest latency,
  resp. energy), models with the most work choosing first, chiplets nearest a DRAM interface first
  (windows of at most |C| models when there are more models than chiplets);
- ``one-window-split[-latency|-energy]``: every model in one window on a path of chiplets of its
  best class (Simba-like pipelining inside the class), the class's chiplets shared among the models
  that prefer it in proportion to their single-chiplet latency; the layers are cut at the
  quantiles of their compute time on that class;
- ``sequential-split[-latency|-energy]``: one window per model, each on the path of its best class
  whose length n (1, 2, 3, 4, 6, 8, ... up to the class's chiplet count) gives the best window key;
- ``nn-baton``: the NN-Baton-like baseline (one model at a time from chiplet 0).

The standalone baseline and the searches keyed by the other window objectives are added by
:func:`mcmsched.search.scar.run_scar`.
"""

from __future__ import annotations

import itertools

import numpy as np

from mcmsched.cost.table import CostTable
from mcmsched.hardware.package import Package
from mcmsched.schedule.costing import CostModels, ModelCostModel
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.search.objective import Objective
from mcmsched.search.segment import balanced_boundaries
from mcmsched.workload.scenario import Scenario


def class_path(package: Package, allowed: int, length: int, budget: int = 20000) -> tuple[int, ...]:
    """A simple path of ``length`` chiplets inside the bitmask ``allowed`` (empty tuple if none is
    found within ``budget`` DFS steps). Starts nearest a DRAM interface first; neighbours with the
    fewest free onward neighbours first (Warnsdorff's rule, which finds long paths in meshes)."""
    if length < 1:
        return ()
    hops = np.asarray(package.dram_hops)
    starts = sorted(
        (c for c in range(package.n_chiplets) if allowed >> c & 1), key=lambda c: (hops[c], c)
    )
    steps = [budget]

    def rec(path: list[int], free: int) -> tuple[int, ...]:
        if len(path) == length:
            return tuple(path)
        steps[0] -= 1
        if steps[0] < 0:
            return ()
        nbs = [nb for nb in package.neighbours(path[-1]) if free >> nb & 1]
        nbs.sort(key=lambda nb: (sum(1 for x in package.neighbours(nb) if free >> x & 1), nb))
        for nb in nbs:
            path.append(nb)
            got = rec(path, free & ~(1 << nb))
            if got:
                return got
            path.pop()
        return ()

    for s in starts:
        got = rec([s], allowed & ~(1 << s))
        if got:
            return got
    return ()


class PortfolioBuilder:
    """Builds the portfolio's schedules for one (scenario, package, costs, objective)."""

    def __init__(
        self,
        scenario: Scenario,
        package: Package,
        costs: CostTable,
        objective: Objective,
        cm: CostModels,
    ) -> None:
        self.scenario = scenario
        self.package = package
        self.costs = costs
        self.obj = objective
        self.cm = cm
        self.cls_idx = np.asarray(package.class_index, dtype=np.int64)
        self.n_classes = len(package.class_names)
        self.hops = np.asarray(package.dram_hops, dtype=float)
        # per class, its chiplets nearest a DRAM interface first
        self.members = [
            sorted(np.flatnonzero(self.cls_idx == k).tolist(), key=lambda c: (self.hops[c], c))
            for k in range(self.n_classes)
        ]
        self.n_models = len(scenario.entries)
        # single-chiplet (latency, energy) of each whole model on each class's best chiplet
        self.single = np.full((self.n_models, self.n_classes, 2), np.inf)
        for m in range(self.n_models):
            mcm = cm[m]
            for k in range(self.n_classes):
                if self.members[k]:
                    la, en, _ = self.plan(mcm, (0, mcm.n_layers), (self.members[k][0],))
                    self.single[m, k] = (la, en)

    # ---- helpers -------------------------------------------------------------------------------
    def plan(
        self, mcm: ModelCostModel, bounds: tuple[int, ...], path: tuple[int, ...]
    ) -> tuple[float, float, int]:
        segs = list(itertools.pairwise(bounds))
        mb = mcm.choose_minibatch(segs, mcm.l2[list(path)])
        arr = np.array([path], dtype=np.int64)
        pc = mcm.plan_cost(segs, arr, mb)
        if not mcm.fits_strict(segs, arr, mb)[0]:
            return np.inf, np.inf, mb
        return float(pc.latency_s[0]), float(pc.energy_j[0]), mb

    def model_plan(self, m: int, bounds: tuple[int, ...], path: tuple[int, ...]) -> ModelPlan:
        mb = self.plan(self.cm[m], bounds, path)[2]
        segs = tuple(Segment((bounds[k], bounds[k + 1]), path[k]) for k in range(len(path)))
        return ModelPlan(m, segs, mb)

    def class_order(self, m: int, metric: str) -> list[int]:
        """Classes by the model's single-chiplet latency (or energy), best first."""
        j = 0 if metric == "latency" else 1
        vals = self.single[m, :, j]
        other = self.single[m, :, 1 - j]
        return sorted(
            (k for k in range(self.n_classes) if self.members[k]),
            key=lambda k: (vals[k], other[k], k),
        )

    def bounds_on(self, m: int, k: int, n: int) -> tuple[int, ...]:
        """Model m's layers cut into n segments at the quantiles of their compute time on class
        k (at b' = 1)."""
        mcm = self.cm[m]
        cp = mcm.tables(1)[0][:, k]
        return balanced_boundaries(np.diff(cp), 0, mcm.n_layers, n)

    def schedule(self, windows: list[Window], name: str) -> Schedule:
        return Schedule(
            tuple(windows),
            self.scenario.name,
            self.package.name,
            {"strategy": "portfolio", "portfolio": name, "objective": self.obj.name},
        )

    def _chunks(self, order: list[int]) -> list[list[int]]:
        c = self.package.n_chiplets
        return [order[i : i + c] for i in range(0, len(order), c)]

    # ---- members -------------------------------------------------------------------------------
    def one_window_whole(self, metric: str) -> Schedule:
        order = sorted(range(self.n_models), key=lambda m: -float(self.single[m, :, 0].min()))
        windows = []
        for chunk in self._chunks(order):
            used: set[int] = set()
            plans = []
            for m in chunk:
                for k in self.class_order(m, metric):
                    free = [c for c in self.members[k] if c not in used]
                    if free:
                        break
                else:  # every class full: any free chiplet (chunks have <= |C| models)
                    free = [c for c in range(self.package.n_chiplets) if c not in used]
                c = free[0]
                used.add(c)
                plans.append(self.model_plan(m, (0, self.cm[m].n_layers), (c,)))
            windows.append(Window(tuple(sorted(plans, key=lambda p: p.model))))
        return self.schedule(windows, f"one-window-whole-{metric}")

    def one_window_split(self, metric: str) -> Schedule:
        order = sorted(range(self.n_models), key=lambda m: -float(self.single[m, :, 0].min()))
        windows = []
        for chunk in self._chunks(order):
            pref = {m: self.class_order(m, metric)[0] for m in chunk}
            counts: dict[int, int] = {}
            for k in set(pref.values()):
                ms = [m for m in chunk if pref[m] == k]
                size = len(self.members[k])
                w = np.array([max(float(self.single[m, k, 0]), 1e-30) for m in ms])
                ok = np.isfinite(w)  # a model no single chiplet holds (memory="strict")
                w = np.where(ok, w, float(w[ok].max()) if ok.any() else 1.0)
                share = np.maximum(1, np.floor(w / w.sum() * size)).astype(int)
                while share.sum() > size and share.max() > 1:
                    share[int(np.argmax(share))] -= 1
                for m, s in zip(ms, share, strict=True):
                    counts[m] = min(int(s), self.cm[m].n_layers)
            used = 0
            plans = []
            for j, m in enumerate(chunk):
                k = pref[m]
                allowed = sum(1 << c for c in self.members[k]) & ~used
                path: tuple[int, ...] = ()
                n_free = self.package.n_chiplets - bin(used).count("1")
                n = min(counts[m], n_free - (len(chunk) - j - 1))  # a chiplet for each later one
                while n >= 1 and not path:
                    path = class_path(self.package, allowed, n)
                    n = n - 1 if not path else n
                if not path:  # the class is full: the nearest free chiplet of any class
                    free = [c for c in range(self.package.n_chiplets) if not used >> c & 1]
                    path = (min(free, key=lambda c: (self.hops[c], c)),)
                    k = int(self.cls_idx[path[0]])
                bounds = self.bounds_on(m, k, len(path))
                plans.append(self.model_plan(m, bounds, path))
                for c in path:
                    used |= 1 << c
            windows.append(Window(tuple(sorted(plans, key=lambda p: p.model))))
        return self.schedule(windows, f"one-window-split-{metric}")

    def sequential_split(self, metric: str) -> Schedule:
        windows = []
        for m in range(self.n_models):
            k = self.class_order(m, metric)[0]
            allowed = sum(1 << c for c in self.members[k])
            size = min(len(self.members[k]), self.cm[m].n_layers)
            lengths = sorted({n for n in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, size) if n <= size})
            best: tuple[float, tuple[int, ...], tuple[int, ...]] | None = None
            for n in lengths:
                path = class_path(self.package, allowed, n)
                if not path:
                    continue
                bounds = self.bounds_on(m, k, n)
                la, en, _ = self.plan(self.cm[m], bounds, path)
                key = float(self.obj.window_key(la, en))
                if best is None or key < best[0]:
                    best = (key, bounds, path)
            assert best is not None  # n = 1 always has a path
            windows.append(Window((self.model_plan(m, best[1], best[2]),)))
        return self.schedule(windows, f"sequential-split-{metric}")

    def build(self) -> list[tuple[str, Schedule]]:
        out: list[tuple[str, Schedule]] = []
        for metric in ("latency", "energy"):
            for fn in (self.one_window_whole, self.one_window_split, self.sequential_split):
                s = fn(metric)
                out.append((s.meta["portfolio"], s))
        return out


def portfolio_schedules(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: Objective,
    cm: CostModels,
) -> list[tuple[str, Schedule]]:
    """The closed-form members of the portfolio (see the module docstring), unscored."""
    return PortfolioBuilder(scenario, package, costs, objective, cm).build()
