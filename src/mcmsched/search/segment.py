"""SEG: segmentations of a model's layers in a window (SCAR §IV-C), with Heuristic 1 (per-model
top-k) and a dataflow-agnostic proxy for pre-ranking large candidate sets.

A segmentation of layers ``[start, stop)`` into n segments is a boundary row
``(start, c_1, ..., c_{n-1}, stop)`` with ``start < c_1 < ... < stop``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from mcmsched.schedule.costing import ModelCostModel
from mcmsched.search.objective import Objective


def count_segmentations(n_layers: int, n_segments: int) -> int:
    """C(L - 1, n - 1): ways to cut L layers into n contiguous non-empty segments."""
    if n_segments < 1 or n_segments > n_layers:
        return 0
    return math.comb(n_layers - 1, n_segments - 1)


def balanced_boundaries(weights: np.ndarray, start: int, stop: int, n: int) -> tuple[int, ...]:
    """Cuts at the quantiles of cumulative ``weights[start:stop]`` (expected latency), adjusted
    so that every segment is non-empty."""
    w = np.asarray(weights[start:stop], dtype=float)
    cum = np.cumsum(w)
    total = float(cum[-1]) if len(cum) else 0.0
    cuts: list[int] = []
    prev = start
    for k in range(1, n):
        target = total * k / n
        c = start + int(np.searchsorted(cum, target, side="left")) + 1
        lo = prev + 1
        hi = stop - (n - k)
        c = min(max(c, lo), hi)
        cuts.append(c)
        prev = c
    return (start, *cuts, stop)


def l2_fill_bounds(weights: np.ndarray, l2_bytes: float) -> list[int]:
    """NN-Baton-style cut points of a model (``[0, b1, ..., n_layers]``): a new segment starts
    at the layer whose weights (bytes) would overflow ``l2_bytes`` when added to the current
    segment's; a layer that alone exceeds it still gets a segment of its own."""
    bounds = [0]
    acc = 0.0
    for i in range(len(weights)):
        if i > bounds[-1] and acc + float(weights[i]) > l2_bytes:
            bounds.append(i)
            acc = 0.0
        acc += float(weights[i])
    bounds.append(len(weights))
    return bounds


def segmentations(
    start: int,
    stop: int,
    n: int,
    cap: int,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Boundary rows ``[S, n + 1]``: every segmentation if there are at most ``cap``, else
    ``cap`` distinct random ones (seeded) plus the balanced one."""
    n_layers = stop - start
    total = count_segmentations(n_layers, n)
    if total == 0:
        return np.zeros((0, n + 1), dtype=np.int64)
    if total <= cap:
        rows = [
            (start, *cuts, stop) for cuts in itertools.combinations(range(start + 1, stop), n - 1)
        ]
        return np.array(rows, dtype=np.int64).reshape(len(rows), n + 1)
    rows_out: list[np.ndarray] = []
    if weights is not None:
        rows_out.append(np.array([balanced_boundaries(weights, start, stop, n)], dtype=np.int64))
    have = 0
    for _ in range(20):
        # cap random (n - 1)-subsets of the L - 1 gaps: the n - 1 smallest of uniform keys
        keys = rng.random((cap, n_layers - 1))
        cuts = np.sort(np.argpartition(keys, n - 2, axis=1)[:, : n - 1], axis=1) + start + 1
        block = np.concatenate(
            [np.full((cap, 1), start), cuts, np.full((cap, 1), stop)], axis=1
        ).astype(np.int64)
        rows_out.append(block)
        allr = unique_rows(np.concatenate(rows_out))
        have = len(allr)
        if have >= cap:
            break
    if len(allr) > cap:
        keep = rng.choice(len(allr), size=cap, replace=False)
        if weights is not None:  # keep the balanced row
            bal = rows_out[0][0]
            idx = int(np.flatnonzero((allr == bal).all(axis=1))[0])
            if idx not in set(keep.tolist()):
                keep[0] = idx
        allr = allr[np.sort(keep)]
    return allr


def unique_rows(rows: np.ndarray) -> np.ndarray:
    """The distinct rows of an int array ``[S, k]`` in lexicographic order (what
    ``np.unique(rows, axis=0)`` returns). Rows are deduplicated on a 1-D key (exact when the
    values fit a mixed radix in 63 bits, else a 64-bit multiplicative hash checked for
    collisions), which is ~20x faster than ``np.unique(axis=0)``'s structured sort."""
    if len(rows) == 0:
        return rows
    lo = int(rows.min())
    span = int(rows.max()) - lo + 1
    shifted = (rows - lo).astype(np.uint64)
    if span ** rows.shape[1] < 2**63:
        key = np.zeros(len(rows), dtype=np.uint64)
        for j in range(rows.shape[1]):
            key = key * np.uint64(span) + shifted[:, j]
        _, idx = np.unique(key, return_index=True)
    else:
        mult = (np.arange(rows.shape[1], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | 1
        key = (shifted * mult[None, :]).sum(axis=1, dtype=np.uint64)
        key ^= key >> np.uint64(29)
        _, idx, inv = np.unique(key, return_index=True, return_inverse=True)
        if not (rows[idx][inv.reshape(-1)] == rows).all():  # a hash collision: exact fallback
            return np.unique(rows, axis=0)
    out = rows[idx]
    order = np.lexsort(out.T[::-1])
    return out[order]


def minibatch_many(mcm: ModelCostModel, bounds: np.ndarray, l2: float) -> np.ndarray:
    """b' per boundary row (vectorised :meth:`ModelCostModel.choose_minibatch` for chiplets that
    all have ``l2`` bytes of L2)."""
    rule = mcm.options.minibatch_rule
    b = mcm.batch
    s_rows = bounds.shape[0]
    if rule == "full":
        return np.full(s_rows, b, dtype=np.int64)
    if rule == "single":
        return np.ones(s_rows, dtype=np.int64)
    a, e = bounds[:, :-1], bounds[:, 1:]
    wk = mcm.w_prefix[e] - mcm.w_prefix[a]
    ak = mcm.range_max_act(a, e)
    lim_w = np.min((l2 - wk) / ak, axis=1)
    lim_a = np.min(l2 / ak, axis=1)
    cands = np.array(
        [d for d in range(1, b + 1) if b % d == 0]
        if rule in ("divisor-fit", "search")
        else range(1, b + 1),
        dtype=np.int64,
    )
    out = np.ones(s_rows, dtype=np.int64)
    iw = np.searchsorted(cands, lim_w + 1e-9, side="right") - 1
    ia = np.searchsorted(cands, lim_a + 1e-9, side="right") - 1
    out = np.where(ia >= 0, cands[np.maximum(ia, 0)], 1)
    out = np.where(iw >= 0, cands[np.maximum(iw, 0)], out)
    return out


def proxy_keys(
    mcm: ModelCostModel, bounds: np.ndarray, objective: Objective, class_ids: np.ndarray
) -> np.ndarray:
    """Dataflow-agnostic proxy key per boundary row: each segment on the best available class
    (``class_ids``) for the objective, weights and window input/output over DRAM with no hops,
    inter-segment transfers over one NoP hop; same pipeline formula as the real cost model."""
    l2 = float(np.min(mcm.l2))
    mbs = minibatch_many(mcm, bounds, l2)
    keys = np.empty(bounds.shape[0])
    a, e = bounds[:, :-1], bounds[:, 1:]
    wk = mcm.w_prefix[e] - mcm.w_prefix[a]
    for mb in np.unique(mbs):
        sel = mbs == mb
        cp, ep, inb, outb = mcm.tables(int(mb))
        aa, ee = a[sel], e[sel]
        cs = (cp[ee] - cp[aa])[:, :, class_ids]  # [S, n, C]
        cj = (ep[ee] - ep[aa])[:, :, class_ids]
        pick = np.argmin(objective.window_key(cs, cj), axis=2)
        comp_s = np.take_along_axis(cs, pick[:, :, None], axis=2)[:, :, 0]
        comp_j = np.take_along_axis(cj, pick[:, :, None], axis=2)[:, :, 0]
        w = wk[sel]
        wl_s = np.where(w > 0, w / mcm.dram_bw + mcm.dram_lat_s, 0.0)
        wl_j = w * 8 * mcm.e_dram_bit
        out_b = outb[ee - 1]
        io_s = out_b / mcm.nop_bw + mcm.hop_s
        io_j = out_b * 8 * mcm.e_nop_bit
        io_s[:, -1] = out_b[:, -1] / mcm.dram_bw + mcm.dram_lat_s
        io_j[:, -1] = out_b[:, -1] * 8 * mcm.e_dram_bit
        in_b = inb[aa[:, 0]]
        io_s[:, 0] += in_b / mcm.dram_bw + mcm.dram_lat_s
        io_j[:, 0] += in_b * 8 * mcm.e_dram_bit
        resident = (w + mb * mcm.range_max_act(aa, ee)) <= l2
        if mcm.options.weight_reload != "once":
            resident[:] = False
        n_mb = -(-mcm.batch // int(mb))
        first = comp_s + wl_s + io_s
        steady = comp_s + io_s + np.where(resident, 0.0, wl_s)
        lat = first.sum(axis=1) + (n_mb - 1) * steady.max(axis=1)
        en = n_mb * (comp_j + io_j).sum(axis=1) + (wl_j * np.where(resident, 1, n_mb)).sum(axis=1)
        keys[sel] = objective.window_key(lat, en)
    return keys


#: b' candidates per (segmentation, path) under minibatch_rule="search" (None: all): the rule's
#: choice and the largest that fits; every window's chosen plans then try all of them (see
#: :meth:`mcmsched.search.scar.ScarEngine._polish_minibatch`)
SEG_MINIBATCHES: int | None = 2


@dataclass
class SegEval:
    """A segmentation mapped on every path of its length: boundary row, b' per path, latency and
    energy per path (``[P]``), and the best key over paths (its Heuristic-1 score)."""

    bounds: tuple[int, ...]
    mb: np.ndarray
    lat: np.ndarray
    en: np.ndarray
    score: float


def map_segmentation(
    mcm: ModelCostModel, bounds: tuple[int, ...], paths: np.ndarray, objective: Objective
) -> SegEval:
    """Cost ``bounds`` on every path of ``paths`` (``[P, n]``)."""
    segs = list(itertools.pairwise(bounds))
    l2p = mcm.l2[paths]
    uniq, inv = np.unique(l2p, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    lat = np.empty(len(paths))
    en = np.empty(len(paths))
    mbs = np.empty(len(paths), dtype=np.int64)
    for g in range(len(uniq)):
        sel = inv == g
        # b' candidates (one unless minibatch_rule="search"); the rule's choice first, a later
        # one replaces it only where its key is strictly lower
        for c, mb in enumerate(mcm.minibatch_candidates(segs, uniq[g], SEG_MINIBATCHES)):
            pc = mcm.plan_cost(segs, paths[sel], mb)
            ok = mcm.fits_strict(segs, paths[sel], mb)  # memory="strict": infeasible -> inf
            la = np.where(ok, pc.latency_s, np.inf)
            ej = np.where(ok, pc.energy_j, np.inf)
            if c == 0:
                lat[sel], en[sel], mbs[sel] = la, ej, mb
                continue
            better = objective.window_key(la, ej) < objective.window_key(lat[sel], en[sel])
            lat[sel] = np.where(better, la, lat[sel])
            en[sel] = np.where(better, ej, en[sel])
            mbs[sel] = np.where(better, mb, mbs[sel])
    key = objective.window_key(lat, en)
    return SegEval(bounds, mbs, lat, en, float(key.min()) if len(key) else math.inf)
