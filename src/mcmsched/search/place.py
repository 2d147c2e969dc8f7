"""SCHED: placement of segments on chiplets by scheduling trees (SCAR §IV-D, Fig. 5).

A tree is an ordered choice of distinct start chiplets, one per model; model i's subtree is a
depth-first search from its start over mesh (NoP) neighbours not used by earlier models, emitting
every simple path of N_i chiplets; segment k runs on the k-th chiplet of the path.

Enumerating every tree yields exactly every tuple of pairwise-disjoint simple paths (one per model,
of the models' lengths). :func:`best_assignment` searches that same set by branch and bound: with
δ = 0 a model's cost depends only on its own path, so per-model costs are computed once per path
and combined (window latency = max, energy = sum). :func:`enumerate_trees` is the naive
enumeration, kept for tests and small cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package

MAX_PATHS = 500_000


def _adjacency(package: Package) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(package.neighbours(c)) for c in range(package.n_chiplets))


@lru_cache(maxsize=64)
def _paths_cached(adj: tuple[tuple[int, ...], ...], length: int) -> np.ndarray:
    n = len(adj)
    out: list[tuple[int, ...]] = []

    def dfs(path: list[int], used: int) -> None:
        if len(path) == length:
            out.append(tuple(path))
            if len(out) > MAX_PATHS:
                raise MCMSchedError(
                    f"more than {MAX_PATHS} chiplet paths of length {length}; use the "
                    "evolutionary search for this package",
                    field="search",
                )
            return
        for nb in adj[path[-1]]:
            if not used >> nb & 1:
                path.append(nb)
                dfs(path, used | 1 << nb)
                path.pop()

    for s in range(n):
        dfs([s], 1 << s)
    arr = np.array(out, dtype=np.int64).reshape(len(out), length)
    arr.setflags(write=False)
    return arr


def simple_paths(package: Package, length: int) -> np.ndarray:
    """All simple paths of ``length`` chiplets over NoP links, ``[P, length]`` (DFS order)."""
    return _paths_cached(_adjacency(package), length)


def path_mask(paths: np.ndarray) -> np.ndarray:
    """Bitmask of the chiplets of each path (``[P]`` int64)."""
    out: np.ndarray = np.bitwise_or.reduce(np.left_shift(np.int64(1), paths), axis=1)
    return out


def dfs_paths(package: Package, start: int, length: int, used: int) -> Iterator[tuple[int, ...]]:
    """Every simple path of ``length`` chiplets from ``start`` avoiding the ``used`` bitmask."""
    if used >> start & 1:
        return

    def rec(path: list[int], u: int) -> Iterator[tuple[int, ...]]:
        if len(path) == length:
            yield tuple(path)
            return
        for nb in package.neighbours(path[-1]):
            if not u >> nb & 1:
                path.append(nb)
                yield from rec(path, u | 1 << nb)
                path.pop()

    yield from rec([start], used | 1 << start)


def enumerate_trees(
    package: Package, lengths: Sequence[int]
) -> Iterator[tuple[tuple[int, ...], ...]]:
    """The naive SCHED enumeration: for every permutation of distinct start chiplets (one per
    model, in model order), DFS each model's paths avoiding earlier models' chiplets."""
    n = package.n_chiplets
    for starts in itertools.permutations(range(n), len(lengths)):

        def rec(
            i: int, used: int, starts: tuple[int, ...] = starts
        ) -> Iterator[tuple[tuple[int, ...], ...]]:
            if i == len(lengths):
                yield ()
                return
            for p in dfs_paths(package, starts[i], lengths[i], used):
                m = 0
                for c in p:
                    m |= 1 << c
                for rest in rec(i + 1, used | m, starts):
                    yield (p, *rest)

        # a start chiplet may not be reused by a later model's path either: rec's used masks
        # handle it, and a later start inside an earlier path yields nothing
        yield from rec(0, 0)


@dataclass
class Candidates:
    """One model's placement candidates in a window: latency (s), energy (J), chiplet bitmask,
    and a reference (``ref``) the caller maps back to (segmentation, path, b')."""

    lat: np.ndarray
    en: np.ndarray
    mask: np.ndarray
    ref: list[object] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lat)


def pareto_by_mask(c: Candidates, key: np.ndarray, keep_per_mask: int = 0) -> Candidates:
    """Drop candidates dominated (no better in latency and energy) by another with the same
    chiplet set; order the survivors by ``key``. ``keep_per_mask`` > 0 also keeps at most that
    many per set (the best by key)."""
    if len(c) == 0:
        return c
    order = np.lexsort((c.en, c.lat, c.mask))
    keep: list[int] = []
    cur_mask = None
    best_en = np.inf
    count = 0
    for i in order:
        mk = int(c.mask[i])
        if mk != cur_mask:
            cur_mask, best_en, count = mk, np.inf, 0
        if c.en[i] < best_en:
            best_en = float(c.en[i])
            if keep_per_mask <= 0 or count < keep_per_mask:
                keep.append(int(i))
                count += 1
    idx = np.array(keep, dtype=np.int64)
    idx = idx[np.argsort(key[idx], kind="stable")]
    return Candidates(c.lat[idx], c.en[idx], c.mask[idx], [c.ref[i] for i in idx])


@dataclass
class Assignment:
    """Result of :func:`best_assignment`: the chosen candidate index per model, the window
    latency and energy, the key, and how many search nodes were visited."""

    choice: tuple[int, ...]
    latency_s: float
    energy_j: float
    key: float
    nodes: int
    trace: list[tuple[float, float]]


def best_assignment(
    cands: Sequence[Candidates],
    key: Callable[[float, float], float],
    node_limit: int = 200_000,
) -> Assignment | None:
    """Pick one candidate per model with pairwise-disjoint chiplet sets minimising
    ``key(max latency, sum energy)`` (``key`` must be non-decreasing in both). Branch and bound:
    models with fewer candidates first; bound = key(max(current, remaining min latencies),
    current + remaining min energies). Returns None if no disjoint choice exists."""
    n = len(cands)
    order = sorted(range(n), key=lambda i: (len(cands[i]), i))
    cs = [cands[i] for i in order]
    lats = [c.lat.tolist() for c in cs]
    ens = [c.en.tolist() for c in cs]
    masks = [c.mask.tolist() for c in cs]
    min_lat = [min(x) if x else np.inf for x in lats]
    min_en = [min(x) if x else np.inf for x in ens]
    suf_lat = [0.0] * (n + 1)
    suf_en = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suf_lat[i] = max(suf_lat[i + 1], min_lat[i])
        suf_en[i] = suf_en[i + 1] + min_en[i]
    best = [np.inf, 0.0, 0.0]
    best_choice: list[tuple[int, ...]] = []
    trace: list[tuple[float, float]] = []
    nodes = 0
    pick = [0] * n

    def rec(i: int, used: int, cur_lat: float, cur_en: float) -> None:
        nonlocal nodes
        if i == n:
            v = key(cur_lat, cur_en)
            if v < best[0]:
                best[0], best[1], best[2] = v, cur_lat, cur_en
                best_choice[:] = [tuple(pick)]
                trace.append((cur_lat, cur_en))
            return
        rl, re = suf_lat[i + 1], suf_en[i + 1]
        li, ei, mi = lats[i], ens[i], masks[i]
        for q in range(len(li)):
            if nodes >= node_limit and best_choice:
                return
            if mi[q] & used:
                continue
            nl = li[q] if li[q] > cur_lat else cur_lat
            ne = cur_en + ei[q]
            if key(nl if nl > rl else rl, ne + re) >= best[0]:
                continue
            nodes += 1
            pick[i] = q
            rec(i + 1, used | mi[q], nl, ne)

    if key(suf_lat[0], suf_en[0]) < np.inf or n == 0:
        rec(0, 0, 0.0, 0.0)
    if not best_choice:
        return None
    chosen = best_choice[0]
    choice = [0] * n
    for pos, model_i in enumerate(order):
        choice[model_i] = chosen[pos]
    return Assignment(tuple(choice), best[1], best[2], best[0], nodes, trace)
