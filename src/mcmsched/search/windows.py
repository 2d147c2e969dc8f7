"""MCM-Reconfig: time horizon, window boundaries and layer packing (SCAR §IV-A, Algorithm 1).

A *layout* is a tuple of windows; a window is a tuple of ``(model, start, stop)`` layer ranges
(only models with layers in the window appear).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WindowContent = tuple[tuple[int, int, int], ...]
Layout = tuple[WindowContent, ...]


def horizon(expected_latency: Sequence[np.ndarray]) -> float:
    """H = max over models of the sum of their expected layer latencies (s)."""
    return float(max(float(np.sum(e)) for e in expected_latency))


def periodic_boundaries(h: float, n_splits: int) -> list[float]:
    """Cumulative boundaries ``T[k] = (k + 1) * H / (n_splits + 1)``, k = 0..n_splits-1."""
    return [(k + 1) * h / (n_splits + 1) for k in range(n_splits)]


def random_boundaries(h: float, n_splits: int, rng: np.random.Generator) -> list[float]:
    """``n_splits`` sorted uniform cut points in (0, H)."""
    return sorted(float(x) for x in rng.uniform(0.0, h, size=n_splits))


def pack_greedy(expected_latency: Sequence[np.ndarray], bounds: Sequence[float]) -> Layout:
    """Algorithm 1 (first fit): each model independently, in layer order, puts a layer in the
    current window if its expected latency fits the slack before the window's boundary, else
    closes the window and moves on; after the last boundary the slack is unlimited. Windows with
    no layers are dropped."""
    n_win = len(bounds) + 1
    per_win: list[list[tuple[int, int, int]]] = [[] for _ in range(n_win)]
    for m, lat in enumerate(expected_latency):
        win, used, start = 0, 0.0, 0
        for i, e in enumerate(np.asarray(lat, dtype=float)):
            while True:
                if win == len(bounds) or e <= bounds[win] - used:
                    used += float(e)
                    break
                if i > start:
                    per_win[win].append((m, start, i))
                start = i
                used = bounds[win]
                win += 1
        per_win[win].append((m, start, len(lat)))
    return tuple(tuple(w) for w in per_win if w)


def pack_uniform(n_layers: Sequence[int], n_windows: int) -> Layout:
    """Each model's layers spread evenly over ``n_windows`` (layer i of L goes to window
    ``floor(i * n_windows / L)``); empty windows are dropped."""
    per_win: list[list[tuple[int, int, int]]] = [[] for _ in range(n_windows)]
    for m, n in enumerate(n_layers):
        w_of = [i * n_windows // n for i in range(n)]
        for w in range(n_windows):
            idx = [i for i in range(n) if w_of[i] == w]
            if idx:
                per_win[w].append((m, idx[0], idx[-1] + 1))
    return tuple(tuple(w) for w in per_win if w)


def split_crowded(layout: Layout, n_chiplets: int) -> Layout:
    """Split every window with more models than chiplets into consecutive windows of at most
    ``n_chiplets`` models (scenario order)."""
    out: list[WindowContent] = []
    for w in layout:
        for i in range(0, len(w), n_chiplets):
            out.append(w[i : i + n_chiplets])
    return tuple(out)


def confine_phases(
    layout: Layout, phases: dict[int, int | None], n_layers: Sequence[int]
) -> Layout:
    """Place every model of ``phases`` (model -> the model it runs after, or None) whole in one
    window: the window after the last window of the model it runs after (a new last window if
    there is none), else the first window it appears in. A decode phase (``steps`` > 1) cannot
    be split across windows (each step needs the previous token) and starts after its prefill."""
    if not phases:
        return layout
    wins = [[c for c in w if c[0] not in phases] for w in layout]
    first: dict[int, int] = {}
    for w, content in enumerate(layout):
        for m, _, _ in content:
            first.setdefault(m, w)
    for m in sorted(phases):
        after = phases[m]
        if after is None:
            target = first.get(m, 0)
        else:
            last = max((w for w, c in enumerate(wins) if any(x[0] == after for x in c)), default=-1)
            target = last + 1
        while target >= len(wins):
            wins.append([])
        wins[target].append((m, 0, int(n_layers[m])))
    return tuple(tuple(sorted(w)) for w in wins if w)


def front_load(layout: Layout, models: Sequence[int], n_layers: Sequence[int]) -> Layout:
    """``models`` whole in a first window of their own (every other model's windows follow):
    the earliest completion a window barrier allows them."""
    if not models:
        return layout
    chosen = set(models)
    first = tuple((m, 0, int(n_layers[m])) for m in sorted(chosen))
    rest = [tuple(c for c in w if c[0] not in chosen) for w in layout]
    return (first, *(w for w in rest if w))
