"""Evolutionary per-window search for large packages (SCAR §IV-D encoding, 6x6 mode).

An individual is SCAR's 2|M| encoding: per model, its segmentation (a boundary row) and its
mapping (a simple chiplet path of the segmentation's length). Operators (SCAR leaves them
open; these are ours):

- initial population: individual 0 is a greedy placement when the caller gives one (SCAR: each
  model, slowest first, takes its best-ranked segmentation on the cheapest of up to 48 random
  free paths), else every model's best-ranked segmentation on random paths; the others
  draw segmentations from the ranked pools (biased to the top); paths are random DFS walks
  (shuffled neighbour order) from random free start chiplets, models placed in random order;
- selection: binary tournament; elitism keeps the best two;
- crossover: one-point over the model list (the child takes models ``< p`` from one parent and
  ``>= p`` from the other);
- mutation (one per child): with probability 1/3 each, (a) move one cut point of one model by
  ±1..3 layers, (b) swap one model's segmentation for another from its pool, (c) re-draw one
  model's path;
- repair: models are placed in order; a path that collides with earlier models' chiplets is
  re-drawn on free chiplets; if no path of that length exists, the model falls back to the
  segmentation of its pool with the fewest segments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mcmsched.hardware.package import Package

Gene = tuple[tuple[int, ...], tuple[int, ...]]  # (boundary row, chiplet path)


@dataclass
class GAResult:
    genes: list[Gene]
    latency_s: float
    energy_j: float
    key: float
    evaluations: int
    trace: list[tuple[float, float]]


def random_path(
    package: Package, length: int, used: int, rng: np.random.Generator, tries: int = 8
) -> tuple[int, ...] | None:
    """A random simple path of ``length`` free chiplets (randomised DFS with backtracking, at
    most ``tries`` start chiplets); None if none is found."""
    free = [c for c in range(package.n_chiplets) if not used >> c & 1]
    if len(free) < length:
        return None
    starts = list(rng.permutation(free))[:tries]
    budget = [2000]

    def rec(path: list[int], u: int) -> tuple[int, ...] | None:
        if len(path) == length:
            return tuple(path)
        budget[0] -= 1
        if budget[0] < 0:
            return None
        nbs = [nb for nb in package.neighbours(path[-1]) if not u >> nb & 1]
        for nb in rng.permutation(nbs) if len(nbs) > 1 else nbs:
            nb = int(nb)
            path.append(nb)
            got = rec(path, u | 1 << nb)
            if got is not None:
                return got
            path.pop()
        return None

    for s in starts:
        got = rec([int(s)], used | 1 << int(s))
        if got is not None:
            return got
    return None


def evolve_window(
    package: Package,
    pools: Sequence[Sequence[tuple[int, ...]]],
    cost: Callable[[int, tuple[int, ...], tuple[int, ...]], tuple[float, float]],
    key: Callable[[float, float], float],
    pop_size: int,
    generations: int,
    rng: np.random.Generator,
    initial: Sequence[Gene] | None = None,
) -> GAResult:
    """Search one window: ``pools[i]`` are model i's candidate boundary rows (best first; the
    single-segment row must be among them); ``cost(i, bounds, path)`` gives (latency, energy);
    ``initial`` (optional) replaces individual 0 (e.g. a greedy placement)."""
    n_models = len(pools)
    evals = [0]
    trace: list[tuple[float, float]] = []
    fewest = [min(p, key=len) for p in pools]

    def repair(genes: list[Gene]) -> list[Gene]:
        used = 0
        out: list[Gene] = []
        for i, (bounds, path) in enumerate(genes):
            n = len(bounds) - 1
            pm = 0
            for c in path:
                pm |= 1 << c
            if len(path) != n or len(set(path)) != n or pm & used:
                p2 = random_path(package, n, used, rng)
                if p2 is None:
                    bounds = fewest[i]
                    p2 = random_path(package, len(bounds) - 1, used, rng, tries=package.n_chiplets)
                    assert p2 is not None, "PROV guarantees a free chiplet per model"
                path = p2
                pm = 0
                for c in path:
                    pm |= 1 << c
            used |= pm
            out.append((bounds, path))
        return out

    def fitness(genes: list[Gene]) -> tuple[float, float, float]:
        lat, en = 0.0, 0.0
        for i, (bounds, path) in enumerate(genes):
            la, e = cost(i, bounds, path)
            evals[0] += 1
            lat = max(lat, la)
            en += e
        return key(lat, en), lat, en

    def pick_row(i: int) -> tuple[int, ...]:
        pool = pools[i]
        j = min(int(rng.geometric(0.4)) - 1, len(pool) - 1)
        return pool[j]

    def fresh(best_rows: bool) -> list[Gene]:
        genes: list[Gene] = [
            (pools[i][0] if best_rows else pick_row(i), ()) for i in range(n_models)
        ]
        return repair(genes)

    pop: list[tuple[float, float, float, list[Gene]]] = []
    for j in range(pop_size):
        g = repair(list(initial)) if (j == 0 and initial is not None) else fresh(j == 0)
        pop.append((*fitness(g), g))
    pop.sort(key=lambda t: t[0])
    trace.append((pop[0][1], pop[0][2]))

    def tournament() -> list[Gene]:
        a, b = rng.integers(0, len(pop), size=2)
        return pop[min(int(a), int(b))][3]  # pop is sorted: lower index is fitter

    for _ in range(generations):
        children: list[tuple[float, float, float, list[Gene]]] = []
        while len(children) < max(pop_size - 2, 1):
            p1, p2 = tournament(), tournament()
            if n_models > 1:
                cut = int(rng.integers(1, n_models))
                child = list(p1[:cut]) + list(p2[cut:])
            else:
                child = list(p1)
            i = int(rng.integers(0, n_models))
            bounds, path = child[i]
            op = int(rng.integers(0, 3))
            if op == 0 and len(bounds) > 2:
                k = int(rng.integers(1, len(bounds) - 1))
                shift = int(rng.integers(1, 4)) * (1 if rng.random() < 0.5 else -1)
                c = min(max(bounds[k] + shift, bounds[k - 1] + 1), bounds[k + 1] - 1)
                bounds = (*bounds[:k], c, *bounds[k + 1 :])
            elif op == 1:
                nb = pick_row(i)
                if len(nb) != len(bounds):
                    path = ()
                bounds = nb
            else:
                path = ()
            child[i] = (bounds, path)
            # re-place models whose paths were invalidated, keep the others first
            child = repair(child)
            children.append((*fitness(child), child))
        pop = sorted(pop[:2] + children, key=lambda t: t[0])[:pop_size]
        trace.append((pop[0][1], pop[0][2]))
    best = pop[0]
    return GAResult(best[3], best[1], best[2], best[0], evals[0], trace)
