"""The cost of one model's plan in one window, vectorised over candidate chiplet paths.

This is the single place where SCAR's performance model (PAPERS.md §2.5, §3.3-3.4) is written
down; :func:`mcmsched.schedule.evaluate.evaluate` and every search engine call it, so a schedule
found by a search scores the same when evaluated.

For a model with batch b, segments ``sg_1..sg_n`` on chiplets ``c_1..c_n`` and mini-batch b'
(``n_mb = ceil(b / b')`` mini-batches):

- stage latency of the first mini-batch (fill):
  ``first_k = compute_k + weights_k + in_k + out_k + spill_k``,
- stage latency of later mini-batches (steady state):
  ``steady_k = compute_k + in_k + out_k + spill_k (+ weights_k if they are streamed)``,
- model latency in the window: ``sum_k first_k + (n_mb - 1) * max_k steady_k``.

``compute_k`` sums the layers' compute time on the chiplet's class at b'. ``weights_k`` loads the
segment's weights from DRAM. ``in_1`` loads the window input from DRAM (``in_k`` for k > 1 is
zero: an activation between segments is charged once, as the producer's ``out``). ``out_k`` sends
the last layer's output to the next segment's chiplet over the NoP, or for the last segment to
DRAM. Skip edges and spills add to ``in``/``out``/``spill`` (see :mod:`.options`). Energies are
summed: compute per mini-batch, activations per mini-batch, weights once per window when resident.
All times are seconds, energies joules, sizes bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcmsched.cost.table import CostTable
from mcmsched.schedule.options import EvalOptions

FloatArray = np.ndarray
IntArray = np.ndarray


@dataclass(frozen=True)
class PlanCost:
    """Costs of one plan for ``P`` candidate chiplet paths (arrays ``[P, n]`` or ``[P]``)."""

    first_s: FloatArray  # [P, n] stage latency of the first mini-batch (s)
    steady_s: FloatArray  # [P, n] stage latency of each later mini-batch (s)
    latency_s: FloatArray  # [P] pipelined latency of the model in the window (s)
    compute_j: FloatArray  # [P]
    nop_j: FloatArray  # [P]
    dram_j: FloatArray  # [P]
    n_minibatches: int

    @property
    def energy_j(self) -> FloatArray:
        out: FloatArray = self.compute_j + self.nop_j + self.dram_j
        return out


class ModelCostModel:
    """Everything needed to cost plans of one model of ``costs.scenario`` on ``costs.package``."""

    def __init__(self, costs: CostTable, model_idx: int, options: EvalOptions) -> None:
        self.costs = costs
        self.model_idx = model_idx
        self.options = options
        pkg = costs.package
        entry = costs.scenario.entries[model_idx]
        self.batch = entry.batch
        model = entry.model
        self.n_layers = len(model.layers)
        base = costs.model_costs(model_idx, 1)
        self.w: FloatArray = np.asarray(base.weight_bytes, dtype=float)
        self.in1: FloatArray = np.asarray(base.input_bytes, dtype=float)
        self.out1: FloatArray = np.asarray(base.output_bytes, dtype=float)
        self.act1: FloatArray = self.in1 + self.out1  # live activation bytes per sample
        self.w_prefix: FloatArray = np.concatenate([[0.0], np.cumsum(self.w)])
        edges = set(model.edges)
        transfer = options.skip == "transfer"
        skips = sorted((u, v) for u, v in edges if v != u + 1) if transfer else []
        self.skip_u: IntArray = np.array([u for u, _ in skips], dtype=np.int64)
        self.skip_v: IntArray = np.array([v for _, v in skips], dtype=np.int64)
        # chain[u]: layer u + 1 consumes layer u's output (always true when skips are ignored:
        # the model is then treated as a pure sequence)
        self.chain: np.ndarray = np.array(
            [(not transfer) or (u, u + 1) in edges for u in range(self.n_layers)], dtype=bool
        )
        # package constants
        self.cls_idx: IntArray = np.asarray(pkg.class_index, dtype=np.int64)
        self.dram_hops: FloatArray = np.asarray(pkg.dram_hops, dtype=float)
        self.hops: FloatArray = np.asarray(pkg.hop_matrix, dtype=float)
        self.l2: FloatArray = np.array(
            [float(pkg.chiplet_class(c.id).l2_bytes) for c in pkg.chiplets]
        )
        self.nop_bw = pkg.nop.bw_gbps * 1e9
        self.hop_s = pkg.nop.hop_latency_ns * 1e-9
        self.e_nop_bit = pkg.nop.energy_pj_per_bit * 1e-12
        self.dram_bw = pkg.dram.bw_gbps * 1e9
        self.dram_lat_s = pkg.dram.latency_ns * 1e-9
        self.e_dram_bit = pkg.dram.energy_pj_per_bit * 1e-12
        self._mb_cache: dict[int, tuple[FloatArray, FloatArray, FloatArray, FloatArray]] = {}
        # sparse table for range maxima of act1
        table = [self.act1]
        span = 1
        while 2 * span <= self.n_layers:
            prev = table[-1]
            table.append(np.maximum(prev[:-span], prev[span:]))
            span *= 2
        self._sparse = table

    # ---- per-mini-batch tables ---------------------------------------------------------------
    def tables(self, minibatch: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(compute prefix [L+1, C] (s), energy prefix [L+1, C] (J), input bytes [L], output
        bytes [L])`` at ``minibatch`` samples."""
        hit = self._mb_cache.get(minibatch)
        if hit is None:
            mc = self.costs.model_costs(self.model_idx, minibatch)
            zero = np.zeros((1, mc.compute_s.shape[1]))
            hit = (
                np.concatenate([zero, np.cumsum(mc.compute_s, axis=0)]),
                np.concatenate([zero, np.cumsum(mc.energy_j, axis=0)]),
                np.asarray(mc.input_bytes, dtype=float),
                np.asarray(mc.output_bytes, dtype=float),
            )
            self._mb_cache[minibatch] = hit
        return hit

    def range_max_act(self, a: IntArray, b: IntArray) -> FloatArray:
        """max of per-sample live activation bytes over layers ``[a, b)`` (elementwise)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        length = b - a
        lvl = np.floor(np.log2(np.maximum(length, 1))).astype(np.int64)
        out = np.empty(a.shape, dtype=float)
        for j in np.unique(lvl):
            sel = lvl == j
            t = self._sparse[int(j)]
            out[sel] = np.maximum(t[a[sel]], t[b[sel] - (1 << int(j))])
        return out

    # ---- memory and b' -----------------------------------------------------------------------
    def segment_memory(
        self, segments: Sequence[tuple[int, int]], minibatch: int
    ) -> tuple[FloatArray, FloatArray]:
        """``(weights_k, activations_k)`` bytes per segment at ``minibatch`` samples."""
        a = np.array([s for s, _ in segments], dtype=np.int64)
        b = np.array([e for _, e in segments], dtype=np.int64)
        return self.w_prefix[b] - self.w_prefix[a], minibatch * self.range_max_act(a, b)

    def choose_minibatch(self, segments: Sequence[tuple[int, int]], l2_bytes: FloatArray) -> int:
        """b' for ``segments`` on chiplets with L2 sizes ``l2_bytes`` (per segment), by the
        configured rule (see :class:`EvalOptions`)."""
        rule = self.options.minibatch_rule
        b = self.batch
        if rule == "full":
            return b
        if rule == "single":
            return 1
        cands = (
            [d for d in range(b, 0, -1) if b % d == 0]
            if rule in ("divisor-fit", "search")
            else list(range(b, 0, -1))
        )
        a = np.array([s for s, _ in segments], dtype=np.int64)
        e = np.array([t for _, t in segments], dtype=np.int64)
        wk = self.w_prefix[e] - self.w_prefix[a]
        ak = self.range_max_act(a, e)
        l2 = np.asarray(l2_bytes, dtype=float)
        # largest d with weights + d * act <= L2 for all segments
        lim_w = np.min((l2 - wk) / ak) if np.all(ak > 0) else math.inf
        lim_a = np.min(l2 / ak) if np.all(ak > 0) else math.inf
        for lim in (lim_w, lim_a):
            for d in cands:
                if d <= lim + 1e-9:
                    return d
        return 1

    def minibatch_candidates(
        self, segments: Sequence[tuple[int, int]], l2_bytes: FloatArray
    ) -> list[int]:
        """b' values a search tries: the rule's choice, and with ``minibatch_rule="search"``
        also every ceil(b / k) (k = 1..b) whose activations fit every segment's L2."""
        first = self.choose_minibatch(segments, l2_bytes)
        if self.options.minibatch_rule != "search":
            return [first]
        _, ak1 = self.segment_memory(segments, 1)
        l2 = np.asarray(l2_bytes, dtype=float)
        lim = float(np.min(l2 / ak1)) if np.all(ak1 > 0) else float(self.batch)
        b = self.batch
        more = sorted({-(-b // k) for k in range(1, b + 1)} - {first}, reverse=True)
        return [first, *(d for d in more if d <= lim + 1e-9)]

    def fits_strict(
        self, segments: Sequence[tuple[int, int]], chiplets: IntArray, minibatch: int
    ) -> np.ndarray:
        """``[P]`` bool: every segment's weights plus the live activations of ``minibatch``
        samples fit its chiplet's L2 (the ``memory="strict"`` rule); all true in spill mode."""
        ch = np.asarray(chiplets, dtype=np.int64)
        if ch.ndim == 1:
            ch = ch[None, :]
        if self.options.memory != "strict":
            return np.ones(ch.shape[0], dtype=bool)
        wk, ak = self.segment_memory(segments, minibatch)
        out: np.ndarray = ((wk + ak)[None, :] <= self.l2[ch]).all(axis=1)
        return out

    # ---- transfers (mirror mcmsched.cost.transfer, vectorised) -------------------------------
    def dram_s(self, ch: IntArray, size: FloatArray | float) -> FloatArray:
        size_a = np.broadcast_to(np.asarray(size, dtype=float), np.shape(ch))
        t = size_a / self.dram_bw + self.dram_hops[ch] * self.hop_s + self.dram_lat_s
        out: FloatArray = np.where(size_a > 0, t, 0.0)
        return out

    def dram_j(self, ch: IntArray, size: FloatArray | float) -> FloatArray:
        size_a = np.broadcast_to(np.asarray(size, dtype=float), np.shape(ch))
        e = size_a * 8 * (self.e_dram_bit + self.e_nop_bit * self.dram_hops[ch])
        out: FloatArray = np.where(size_a > 0, e, 0.0)
        return out

    def nop_s(self, src: IntArray, dst: IntArray, size: FloatArray | float) -> FloatArray:
        h = self.hops[src, dst]
        size_a = np.broadcast_to(np.asarray(size, dtype=float), np.shape(h))
        t = size_a / self.nop_bw + h * self.hop_s
        out: FloatArray = np.where((size_a > 0) & (src != dst), t, 0.0)
        return out

    def nop_j(self, src: IntArray, dst: IntArray, size: FloatArray | float) -> FloatArray:
        h = self.hops[src, dst]
        size_a = np.broadcast_to(np.asarray(size, dtype=float), np.shape(h))
        out: FloatArray = np.where(size_a > 0, size_a * 8 * self.e_nop_bit * h, 0.0)
        return out

    # ---- the plan cost -----------------------------------------------------------------------
    def plan_cost(
        self,
        segments: Sequence[tuple[int, int]],
        chiplets: IntArray,
        minibatch: int,
        *,
        in_src: IntArray | None = None,
        out_to_dram: bool = True,
        extra_out_s: FloatArray | None = None,
    ) -> PlanCost:
        """Cost of ``segments`` (``[start, stop)`` layer ranges, contiguous) placed on
        ``chiplets`` (``[P, n]``: P candidate paths, one chiplet per segment), with ``minibatch``
        samples per mini-batch. ``in_src`` (``[P]``): chiplet holding the window input (None:
        DRAM). ``out_to_dram``: the last segment writes its output to DRAM. ``extra_out_s``
        (``[P, n]``): contention δ added to each stage's output transfer."""
        ch = np.asarray(chiplets, dtype=np.int64)
        if ch.ndim == 1:
            ch = ch[None, :]
        n_p, n = ch.shape
        a = np.array([s for s, _ in segments], dtype=np.int64)
        b = np.array([e for _, e in segments], dtype=np.int64)
        start, stop = int(a[0]), int(b[-1])
        cp, ep, inb, outb = self.tables(minibatch)
        cls = self.cls_idx[ch]
        kk = np.arange(n)[None, :]
        comp_s = (cp[b] - cp[a])[kk, cls]
        comp_j = (ep[b] - ep[a])[kk, cls]
        wk = self.w_prefix[b] - self.w_prefix[a]
        ak = minibatch * self.range_max_act(a, b)
        l2 = self.l2[ch]
        fits = (wk + ak)[None, :] <= l2
        resident = fits if self.options.weight_reload == "once" else np.zeros_like(fits)
        wl_s = self.dram_s(ch, wk[None, :])
        wl_j = self.dram_j(ch, wk[None, :])
        in_s = np.zeros((n_p, n))
        out_s = np.zeros((n_p, n))
        spill_s = np.zeros((n_p, n))
        nop_j = np.zeros(n_p)
        dram_j = np.zeros(n_p)  # per mini-batch activation traffic
        c0 = ch[:, 0]
        in0 = inb[start]
        if in_src is None:
            in_s[:, 0] = self.dram_s(c0, in0)
            dram_j += self.dram_j(c0, in0)
        else:
            src = np.broadcast_to(np.asarray(in_src, dtype=np.int64), (n_p,))
            in_s[:, 0] = self.nop_s(src, c0, in0)
            nop_j += self.nop_j(src, c0, in0)
        for k in range(n - 1):
            # the chain edge (last layer -> next layer); a branch start that does not consume the
            # previous layer gets its inputs through the other (skip) edges instead
            size = outb[b[k] - 1] if self.chain[b[k] - 1] else 0.0
            out_s[:, k] = self.nop_s(ch[:, k], ch[:, k + 1], size)
            nop_j += self.nop_j(ch[:, k], ch[:, k + 1], size)
        if out_to_dram:
            out_s[:, n - 1] = self.dram_s(ch[:, n - 1], outb[stop - 1])
            dram_j += self.dram_j(ch[:, n - 1], outb[stop - 1])
        if len(self.skip_u):
            self._skip_costs(a, b, ch, outb, out_to_dram, out_s, in_s, nop_j, dram_j)
        if self.options.memory == "spill":
            # a layer (not last of its segment) whose activations do not fit beside the resident
            # weights writes its output to DRAM and reads it back
            lay = np.arange(start, stop)
            seg_of_l = np.searchsorted(b, lay, side="right")
            not_last = lay != (b[seg_of_l] - 1)
            act = minibatch * self.act1[lay]
            wl = np.where(fits[:, seg_of_l], wk[seg_of_l][None, :], self.w[lay][None, :])
            spill = (act[None, :] > l2[:, seg_of_l] - wl) & not_last[None, :]
            if spill.any():
                chl = ch[:, seg_of_l]
                one_s = self.dram_s(chl, outb[lay][None, :])
                one_j = self.dram_j(chl, outb[lay][None, :])
                per_l = np.where(spill, 2.0 * one_s, 0.0)
                for k in range(n):
                    spill_s[:, k] = per_l[:, seg_of_l == k].sum(axis=1)
                dram_j += np.where(spill, 2.0 * one_j, 0.0).sum(axis=1)
        if extra_out_s is not None:
            out_s = out_s + extra_out_s
        n_mb = -(-self.batch // minibatch)
        first = comp_s + wl_s + in_s + out_s + spill_s
        steady = comp_s + in_s + out_s + spill_s + np.where(resident, 0.0, wl_s)
        latency = first.sum(axis=1) + (n_mb - 1) * steady.max(axis=1)
        w_times = np.where(resident, 1.0, float(n_mb))
        return PlanCost(
            first_s=first,
            steady_s=steady,
            latency_s=latency,
            compute_j=n_mb * comp_j.sum(axis=1),
            nop_j=n_mb * nop_j,
            dram_j=n_mb * dram_j + (wl_j * w_times).sum(axis=1),
            n_minibatches=n_mb,
        )

    def _skip_costs(
        self,
        a: IntArray,
        b: IntArray,
        ch: IntArray,
        outb: FloatArray,
        out_to_dram: bool,
        out_s: FloatArray,
        in_s: FloatArray,
        nop_j: FloatArray,
        dram_j: FloatArray,
    ) -> None:
        """Add the transfers of non-chain edges (in place). Each producer's output moves once per
        consuming segment (same window: NoP; later window: one DRAM write, one read per consuming
        segment), and not at all if the chain transfer already brings it there."""
        start, stop = int(a[0]), int(b[-1])
        u, v = self.skip_u, self.skip_v
        u_in = (u >= start) & (u < stop)
        v_in = (v >= start) & (v < stop)
        ku = np.searchsorted(b, u, side="right")
        kv = np.searchsorted(b, v, side="right")
        # same window, different segments
        sel = u_in & v_in & (ku != kv)
        if sel.any():
            pairs = np.unique(np.stack([u[sel], kv[sel]], axis=1), axis=0)
            pu, pk = pairs[:, 0], pairs[:, 1]
            pku = np.searchsorted(b, pu, side="right")
            chained = (pu == b[pku] - 1) & (pk == pku + 1) & self.chain[pu]
            pu, pk, pku = pu[~chained], pk[~chained], pku[~chained]
            if len(pu):
                src, dst = ch[:, pku], ch[:, pk]
                t = self.nop_s(src, dst, outb[pu][None, :])
                np.add.at(out_s.T, pku, t.T)
                nop_j += self.nop_j(src, dst, outb[pu][None, :]).sum(axis=1)
        # produced here, consumed in a later window: written to DRAM once
        sel = u_in & (v >= stop)
        if sel.any():
            pu = np.unique(u[sel])
            if out_to_dram:
                pu = pu[pu != stop - 1]
            if len(pu):
                pku = np.searchsorted(b, pu, side="right")
                t = self.dram_s(ch[:, pku], outb[pu][None, :])
                np.add.at(out_s.T, pku, t.T)
                dram_j += self.dram_j(ch[:, pku], outb[pu][None, :]).sum(axis=1)
        # produced in an earlier window, consumed here (not by the window's first layer, whose
        # input load covers it): read from DRAM once per consuming segment
        sel = v_in & (u < start) & (v != start)
        if sel.any():
            pairs = np.unique(np.stack([u[sel], kv[sel]], axis=1), axis=0)
            pu, pk = pairs[:, 0], pairs[:, 1]
            t = self.dram_s(ch[:, pk], outb[pu][None, :])
            np.add.at(in_s.T, pk, t.T)
            dram_j += self.dram_j(ch[:, pk], outb[pu][None, :]).sum(axis=1)


class CostModels:
    """Lazily built :class:`ModelCostModel` per model (shared by evaluate and the searches)."""

    def __init__(self, costs: CostTable, options: EvalOptions) -> None:
        self.costs = costs
        self.options = options
        self._models: dict[int, ModelCostModel] = {}

    def __getitem__(self, model_idx: int) -> ModelCostModel:
        hit = self._models.get(model_idx)
        if hit is None:
            hit = ModelCostModel(self.costs, model_idx, self.options)
            self._models[model_idx] = hit
        return hit
