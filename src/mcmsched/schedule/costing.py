"""The cost of one model's plan in one window, vectorised over candidate chiplet paths.

This is the single place where SCAR's performance model (docs/REFERENCES.md#scar-performance-model)
is written
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

A segment split across several chiplets (``splits``, one path at a time) replaces its compute,
weight-load, input, hand-off and output terms by those of the partition model and adds a
collective stage term ``coll_k`` (:class:`_SplitSeg`, :mod:`mcmsched.schedule.shared`;
docs/SCHEDULER.md, "Partition model"). ``PlanCost.dram_bytes`` feeds the window DRAM-interface
bound of :func:`mcmsched.schedule.evaluate.evaluate`.
All times are seconds, energies joules, sizes bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mcmsched.cost.split import SplitCosts
from mcmsched.cost.table import CostTable
from mcmsched.schedule import shared
from mcmsched.schedule.options import EvalOptions
from mcmsched.workload.layer import OpKind

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
    #: sequential passes over the plan (decode steps); with steps > 1, ``first_s`` and
    #: ``steady_s`` are those of step 0, ``latency_s`` and the energies cover every step, and
    #: ``busy_s`` ([P, n]) is each stage's busy time over all steps
    steps: int = 1
    busy_s: FloatArray | None = None
    kv_bytes: FloatArray | None = None  # [P] KV-cache bytes moved to/from DRAM (all steps)
    collective_j: FloatArray | None = None  # [P] part of nop_j spent in split collectives
    collective_bytes: FloatArray | None = None  # [P] bytes moved by split collectives
    dram_bytes: FloatArray | None = None  # [P, n] DRAM bytes per segment over the window

    @property
    def energy_j(self) -> FloatArray:
        out: FloatArray = self.compute_j + self.nop_j + self.dram_j
        return out


class ModelCostModel:
    """Everything needed to cost plans of one model of ``costs.scenario`` on ``costs.package``."""

    def __init__(
        self,
        costs: CostTable,
        model_idx: int,
        options: EvalOptions,
        split_costs: SplitCosts | None = None,
    ) -> None:
        self.costs = costs
        self._split_costs = split_costs
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
        # KV-cache traffic per sample (bytes): reads of the cached positions, writes of new K/V
        self.steps = entry.steps
        self.cache_len = model.cache_len
        self.kvr: FloatArray = np.array([ly.kv_read_bytes for ly in model.layers], dtype=float)
        # live activation bytes per sample (the cached K/V a layer reads is streamed from
        # DRAM, not held in L2)
        self.act1: FloatArray = self.in1 - self.kvr + self.out1
        self.kvw: FloatArray = np.array([ly.kv_write_bytes for ly in model.layers], dtype=float)
        self.kvr_prefix: FloatArray = np.concatenate([[0.0], np.cumsum(self.kvr)])
        self.kvw_prefix: FloatArray = np.concatenate([[0.0], np.cumsum(self.kvw)])
        self.attn: np.ndarray = self.kvr > 0  # layers whose work grows with the cache
        self._attn_cache: dict[int, tuple[FloatArray, FloatArray]] = {}
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
        self._skip_cache: dict[tuple[bytes, bytes, bool], _SkipPlan] = {}
        self._split_cache: dict[tuple[int, int, tuple[int, ...], str, int], _SplitSeg] = {}
        # sparse table for range maxima of act1
        table = [self.act1]
        span = 1
        while 2 * span <= self.n_layers:
            prev = table[-1]
            table.append(np.maximum(prev[:-span], prev[span:]))
            span *= 2
        # the levels as rows of one matrix (zero-padded), for one gather per query
        self._sparse_m: FloatArray = np.zeros((len(table), max(self.n_layers, 1)))
        for j, row in enumerate(table):
            self._sparse_m[j, : row.shape[0]] = row
        self.kinds = [ly.kind for ly in model.layers]
        # bytes of a MATMUL's second (activation) operand per sample (0 for other layers)
        self.second1: FloatArray = np.array(
            [
                float(ly.weight_elements * ly.bytes_per_element)
                if ly.kind is OpKind.MATMUL
                else 0.0
                for ly in model.layers
            ]
        )

    @property
    def split_costs(self) -> SplitCosts:
        if self._split_costs is None:
            self._split_costs = SplitCosts(self.costs)
        return self._split_costs

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
        t = self._sparse_m
        out: FloatArray = np.maximum(t[lvl, a], t[lvl, b - (1 << lvl)])
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
        self, segments: Sequence[tuple[int, int]], l2_bytes: FloatArray, limit: int | None = None
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
        out = [first, *(d for d in more if d <= lim + 1e-9)]
        return out if limit is None else out[: max(1, limit)]

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
        size_a = np.asarray(size, dtype=float)
        t = size_a / self.dram_bw + self.dram_hops[ch] * self.hop_s + self.dram_lat_s
        out: FloatArray = np.where(size_a > 0, t, 0.0)
        return out

    def dram_j(self, ch: IntArray, size: FloatArray | float) -> FloatArray:
        size_a = np.asarray(size, dtype=float)
        e = size_a * 8 * (self.e_dram_bit + self.e_nop_bit * self.dram_hops[ch])
        out: FloatArray = np.where(size_a > 0, e, 0.0)
        return out

    def nop_s(self, src: IntArray, dst: IntArray, size: FloatArray | float) -> FloatArray:
        h = self.hops[src, dst]
        size_a = np.asarray(size, dtype=float)
        t = size_a / self.nop_bw + h * self.hop_s
        out: FloatArray = np.where((size_a > 0) & (src != dst), t, 0.0)
        return out

    def nop_j(self, src: IntArray, dst: IntArray, size: FloatArray | float) -> FloatArray:
        h = self.hops[src, dst]
        size_a = np.asarray(size, dtype=float)
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
        splits: Sequence[tuple[tuple[int, ...], str]] | None = None,
    ) -> PlanCost:
        """Cost of ``segments`` (``[start, stop)`` layer ranges, contiguous) placed on
        ``chiplets`` (``[P, n]``: P candidate paths, one chiplet per segment), with ``minibatch``
        samples per mini-batch. ``in_src`` (``[P]``): chiplet holding the window input (None:
        DRAM). ``out_to_dram``: the last segment writes its output to DRAM. ``extra_out_s``
        (``[P, n]``): contention δ added to each stage's output transfer. ``splits`` (one path
        only): per segment the ordered chiplet tuple and split dimension (see
        :class:`mcmsched.schedule.model.Segment`); a tuple of one chiplet is an unsplit segment."""
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
        wl_s = self.dram_s(ch, wk[None, :])
        wl_j = self.dram_j(ch, wk[None, :])
        w_bytes = np.broadcast_to(wk[None, :], (n_p, n)).copy()
        sp = self._split_plan(segments, splits, minibatch, n_p)
        coll_s = np.zeros((n_p, n))
        coll_j = np.zeros(n_p)
        coll_b = np.zeros(n_p)
        if sp is not None:
            for k, info in enumerate(sp):
                if info is None:
                    continue
                comp_s[0, k], comp_j[0, k] = info.compute_s, info.compute_j
                wl_s[0, k], wl_j[0, k] = info.weights_s, info.weights_j
                w_bytes[0, k] = info.weight_bytes
                fits[0, k] = info.fits(float(ak[k]))
                coll_s[0, k] = info.collective_s
                coll_j[0] += info.collective_j
                coll_b[0] += info.collective_bytes
        resident = fits if self.options.weight_reload == "once" else np.zeros_like(fits)
        in_s = np.zeros((n_p, n))
        out_s = np.zeros((n_p, n))
        spill_s = np.zeros((n_p, n))
        nop_j = np.zeros(n_p)
        dram_j = np.zeros(n_p)  # per mini-batch activation traffic
        dram_b = np.zeros((n_p, n))  # per mini-batch activation DRAM bytes per segment
        c0 = ch[:, 0]
        # the cached K/V part of a decode attention operand is KV-cache traffic (below), not
        # window input: never charged twice
        in0 = max(float(inb[start]) - minibatch * float(self.kvr[start]), 0.0)
        if sp is not None and sp[0] is not None:
            t, e, by = sp[0].receive(self, in_src, in0)
            in_s[0, 0] = t
            if in_src is None:
                dram_j[0] += e
                dram_b[0, 0] += by
            else:
                nop_j[0] += e
        elif in_src is None:
            in_s[:, 0] = self.dram_s(c0, in0)
            dram_j += self.dram_j(c0, in0)
            dram_b[:, 0] += in0
        else:
            src = np.broadcast_to(np.asarray(in_src, dtype=np.int64), (n_p,))
            in_s[:, 0] = self.nop_s(src, c0, in0)
            nop_j += self.nop_j(src, c0, in0)
        # the chain edges (last layer of a segment -> next layer), all boundaries at once; a
        # branch start that does not consume the previous layer gets its inputs through the other
        # (skip) edges instead
        ends = b[:-1] - 1
        sizes = np.where(self.chain[ends], outb[ends], 0.0)[None, :]
        if n > 1:
            out_s[:, :-1] = self.nop_s(ch[:, :-1], ch[:, 1:], sizes)
            hand_j = self.nop_j(ch[:, :-1], ch[:, 1:], sizes)
        for k in range(n - 1):
            if sp is not None and (sp[k] is not None or sp[k + 1] is not None):
                sk = sp[k]
                prod = sk.team if sk is not None else (int(ch[0, k]),)
                size = float(sizes[0, k])
                t, e = _SplitSeg.handoff(self, prod, sp[k + 1], int(ch[0, k + 1]), size)
                out_s[0, k] = t
                nop_j[0] += e
                continue
            nop_j += hand_j[:, k]
        if out_to_dram:
            last = sp[n - 1] if sp is not None else None
            if last is not None:
                t, e, by = last.write_dram(self, float(outb[stop - 1]))
                out_s[0, n - 1] = t
                dram_j[0] += e
                dram_b[0, n - 1] += by
            else:
                out_s[:, n - 1] = self.dram_s(ch[:, n - 1], outb[stop - 1])
                dram_j += self.dram_j(ch[:, n - 1], outb[stop - 1])
                dram_b[:, n - 1] += outb[stop - 1]
        if len(self.skip_u):
            self._skip_costs(a, b, ch, outb, out_to_dram, out_s, in_s, nop_j, dram_j, dram_b)
        if self.options.memory == "spill":
            # a layer (not last of its segment) whose activations do not fit beside the resident
            # weights writes its output to DRAM and reads it back
            lay = np.arange(start, stop)
            seg_of_l = np.searchsorted(b, lay, side="right")
            not_last = lay != (b[seg_of_l] - 1)
            act = minibatch * self.act1[lay]
            wl = np.where(fits[:, seg_of_l], wk[seg_of_l][None, :], self.w[lay][None, :])
            l2l = l2[:, seg_of_l]
            if sp is not None:
                # a split segment's chiplets hold weight shards: the largest resident shard of
                # the team (or the layer's own shard when streamed) beside the activations
                for k, info in enumerate(sp):
                    if info is None:
                        continue
                    on = seg_of_l == k
                    wl[0, on] = np.where(
                        fits[0, k], info.max_shard_bytes, info.layer_shard_bytes[lay[on] - a[k]]
                    )
                    l2l[0, on] = info.min_l2
            spill = (act[None, :] > l2l - wl) & not_last[None, :]
            if spill.any():
                chl = ch[:, seg_of_l]
                one_s = self.dram_s(chl, outb[lay][None, :])
                one_j = self.dram_j(chl, outb[lay][None, :])
                per_l = np.where(spill, 2.0 * one_s, 0.0)
                per_b = np.where(spill, 2.0 * outb[lay][None, :], 0.0)
                for k in range(n):
                    spill_s[:, k] = per_l[:, seg_of_l == k].sum(axis=1)
                    dram_b[:, k] += per_b[:, seg_of_l == k].sum(axis=1)
                dram_j += np.where(spill, 2.0 * one_j, 0.0).sum(axis=1)
        if extra_out_s is not None:
            out_s = out_s + extra_out_s
        # KV cache: each stage reads its layers' cached K/V and writes the new K/V, b' samples
        # per mini-batch, from / to DRAM (step 0's cache length)
        kvr_k = minibatch * (self.kvr_prefix[b] - self.kvr_prefix[a])
        kvw_k = minibatch * (self.kvw_prefix[b] - self.kvw_prefix[a])
        kv_s = self.dram_s(ch, (kvr_k + kvw_k)[None, :])
        kv_j = self.dram_j(ch, (kvr_k + kvw_k)[None, :])
        if sp is not None:
            # a split segment's chiplets each read / write the K/V of their own share (heads,
            # tokens or channels): 1/k of the bytes each, through their shared interfaces
            for k, info in enumerate(sp):
                kv_k = float(kvr_k[k] + kvw_k[k])
                if info is None or kv_k <= 0:
                    continue
                kv_s[0, k], kv_j[0, k] = info.spread_dram(self, kv_k)
        n_mb = -(-self.batch // minibatch)
        first = comp_s + kv_s + wl_s + in_s + out_s + spill_s + coll_s
        steady = comp_s + kv_s + in_s + out_s + spill_s + coll_s + np.where(resident, 0.0, wl_s)
        latency = first.sum(axis=1) + (n_mb - 1) * steady.max(axis=1)
        w_times = np.where(resident, 1.0, float(n_mb))
        kv_bytes = n_mb * float((kvr_k + kvw_k).sum()) * np.ones(n_p)
        if self.steps > 1:
            return self._stepped(
                a, b, ch, minibatch, n_mb, first, steady, comp_j, kvr_k, kvw_k, kv_s, kv_j,
                wl_s, wl_j, resident, nop_j, dram_j, coll_j, coll_b, dram_b, w_bytes,
            )  # fmt: skip
        return PlanCost(
            first_s=first,
            steady_s=steady,
            latency_s=latency,
            compute_j=n_mb * comp_j.sum(axis=1),
            nop_j=n_mb * (nop_j + coll_j),
            dram_j=n_mb * (dram_j + kv_j.sum(axis=1)) + (wl_j * w_times).sum(axis=1),
            n_minibatches=n_mb,
            kv_bytes=kv_bytes,
            collective_j=n_mb * coll_j,
            collective_bytes=n_mb * coll_b,
            dram_bytes=n_mb * (dram_b + (kvr_k + kvw_k)[None, :]) + w_bytes * w_times,
        )

    def _stepped(
        self,
        a: IntArray,
        b: IntArray,
        ch: IntArray,
        minibatch: int,
        n_mb: int,
        first: FloatArray,
        steady: FloatArray,
        comp_j: FloatArray,
        kvr_k: FloatArray,
        kvw_k: FloatArray,
        kv_s: FloatArray,
        kv_j: FloatArray,
        wl_s: FloatArray,
        wl_j: FloatArray,
        resident: np.ndarray,
        nop_j: FloatArray,
        dram_mb_j: FloatArray,
        coll_j: FloatArray,
        coll_b: FloatArray,
        dram_b: FloatArray,
        w_bytes: FloatArray,
    ) -> PlanCost:
        """``steps`` sequential passes (decode steps) of the plan; step t (0-based) reads a KV
        cache of ``cache_len + t`` tokens and its attention layers (those reading the cache)
        attend to ``cache_len + 1 + t`` positions: their compute time and energy are step 0's
        scaled by ``(cache_len + 1 + t) / (cache_len + 1)`` (their MACs scale exactly so).
        Each step is a full pipelined pass of the batch (fill + ``(n_mb - 1)`` steady periods:
        the next token needs the previous one). Resident weights are loaded once (step 0);
        streamed weights every mini-batch of every step. A stage whose resident weights, live
        activations and whole KV cache (all samples, final length) fit its L2 keeps the cache
        there: it reads it from DRAM in step 0 only."""
        n_steps = self.steps
        c0 = max(self.cache_len, 1)
        kk = np.arange(len(a))[None, :]
        cls = self.cls_idx[ch]
        att_s, att_j = self._attn_tables(minibatch)
        d_comp_s = (att_s[b] - att_s[a])[kk, cls] / (c0 + 1)  # [P, n] per step
        d_comp_j = (att_j[b] - att_j[a])[kk, cls] / (c0 + 1)
        d_kv = kvr_k / c0  # bytes per stage per extra cached token
        kv0 = kvr_k + kvw_k
        # KV cache resident in L2 from step 1 on
        wk = self.w_prefix[b] - self.w_prefix[a]
        ak = minibatch * self.range_max_act(a, b)
        kv_final = n_mb * (kvr_k * (c0 + n_steps - 1) / c0 + kvw_k * n_steps)
        kv_res = resident & ((wk + ak + kv_final)[None, :] <= self.l2[ch]) & (kv0 > 0)[None, :]
        d_kv_s = np.where(kv_res | (kv0 <= 0)[None, :], 0.0, d_kv[None, :] / self.dram_bw)
        slope = d_comp_s + d_kv_s  # [P, n] stage time added per step (steps >= 1)
        # what steps >= 1 do not repeat: resident weight loads, resident KV-cache traffic
        saved = np.where(resident, wl_s, 0.0) + np.where(kv_res, kv_s, 0.0)
        tri = n_steps * (n_steps - 1) / 2.0
        fill_sum = (
            n_steps * first.sum(axis=1)
            + tri * slope.sum(axis=1)
            - (n_steps - 1) * saved.sum(axis=1)
        )
        steady_sum = np.zeros(first.shape[0])
        if n_mb > 1:
            steady_sum += steady.max(axis=1)
            base = steady - np.where(kv_res, kv_s, 0.0)
            chunk = 64
            for t0 in range(1, n_steps, chunk):
                t = np.arange(t0, min(t0 + chunk, n_steps), dtype=float)[:, None, None]
                steady_sum += (base[None] + t * slope[None]).max(axis=2).sum(axis=0)
        latency = fill_sum + (n_mb - 1) * steady_sum
        kv_saved = np.where(kv_res, kv_s, 0.0)
        busy = (
            n_steps * (first + (n_mb - 1) * steady)
            + tri * n_mb * slope
            - (n_steps - 1) * (np.where(resident, wl_s, 0.0) + n_mb * kv_saved)
        )
        # KV bytes and energy: streamed stages every step (growing), resident ones step 0 only
        streamed = ~kv_res
        kv_bytes = n_mb * (
            np.where(streamed, n_steps * kv0[None, :] + tri * d_kv[None, :], kv0[None, :])
        ).sum(axis=1)
        d_kv_j = self.dram_j(ch, d_kv[None, :])
        kv_energy = n_mb * np.where(streamed, n_steps * kv_j + tri * d_kv_j, kv_j).sum(axis=1)
        w_times = np.where(resident, 1.0, float(n_mb * n_steps))
        compute_j = n_mb * (n_steps * comp_j.sum(axis=1) + tri * d_comp_j.sum(axis=1))
        # DRAM bytes per segment over all steps (for the shared DRAM interfaces)
        kv_seg = n_mb * np.where(
            streamed, n_steps * kv0[None, :] + tri * d_kv[None, :], kv0[None, :]
        )
        return PlanCost(
            first_s=first,
            steady_s=steady,
            latency_s=latency,
            compute_j=compute_j,
            nop_j=n_mb * n_steps * (nop_j + coll_j),
            dram_j=n_mb * n_steps * dram_mb_j + kv_energy + (wl_j * w_times).sum(axis=1),
            n_minibatches=n_mb,
            steps=n_steps,
            busy_s=busy,
            kv_bytes=kv_bytes,
            collective_j=n_mb * n_steps * coll_j,
            collective_bytes=n_mb * n_steps * coll_b,
            dram_bytes=n_mb * n_steps * dram_b + w_bytes * w_times + kv_seg,
        )

    def _attn_tables(self, minibatch: int) -> tuple[FloatArray, FloatArray]:
        """Prefix sums ``[L+1, C]`` of compute time (s) and energy (J) of the layers that read
        the KV cache only, at ``minibatch`` samples."""
        hit = self._attn_cache.get(minibatch)
        if hit is None:
            mc = self.costs.model_costs(self.model_idx, minibatch)
            mask = self.attn[:, None]
            zero = np.zeros((1, mc.compute_s.shape[1]))
            hit = (
                np.concatenate([zero, np.cumsum(np.where(mask, mc.compute_s, 0.0), axis=0)]),
                np.concatenate([zero, np.cumsum(np.where(mask, mc.energy_j, 0.0), axis=0)]),
            )
            self._attn_cache[minibatch] = hit
        return hit

    def _split_plan(
        self,
        segments: Sequence[tuple[int, int]],
        splits: Sequence[tuple[tuple[int, ...], str]] | None,
        minibatch: int,
        n_p: int,
    ) -> list[_SplitSeg | None] | None:
        """Per segment, the split costs (None for one-chiplet segments); None if nothing is
        split."""
        if splits is None or all(len(t) <= 1 for t, _ in splits):
            return None
        if n_p != 1:
            raise ValueError("split segments are costed one path at a time")
        out: list[_SplitSeg | None] = []
        for (s0, s1), (team, dim) in zip(segments, splits, strict=True):
            if len(team) <= 1:
                out.append(None)
                continue
            key = (int(s0), int(s1), tuple(int(c) for c in team), dim, minibatch)
            seg = self._split_cache.get(key)
            if seg is None:
                seg = _SplitSeg.build(self, s0, s1, team, dim, minibatch)
                if len(self._split_cache) >= _MEMO_LIMIT:
                    self._split_cache.clear()
                self._split_cache[key] = seg
            out.append(seg)
        return out

    def _skip_plan(self, a: IntArray, b: IntArray, out_to_dram: bool) -> _SkipPlan:
        """Which non-chain edges of the window ``[a[0], b[-1])`` with segment ends ``b`` move
        which producer's output where (depends on the segments only, not on the chiplets;
        memoised). See :meth:`_skip_costs`."""
        key = (a.tobytes(), b.tobytes(), out_to_dram)
        hit = self._skip_cache.get(key)
        if hit is not None:
            return hit
        start, stop = int(a[0]), int(b[-1])
        u, v = self.skip_u, self.skip_v
        u_in = (u >= start) & (u < stop)
        v_in = (v >= start) & (v < stop)
        ku = np.searchsorted(b, u, side="right")
        kv = np.searchsorted(b, v, side="right")
        empty = np.zeros(0, dtype=np.int64)
        # same window, different segments: one NoP transfer per (producer, consuming segment),
        # unless the chain edge already brings the producer's output to that segment
        nop_u, nop_k, nop_ku = empty, empty, empty
        sel = u_in & v_in & (ku != kv)
        if sel.any():
            pu, pk = _unique_pairs(u[sel], kv[sel], len(b) + 1)
            pku = np.searchsorted(b, pu, side="right")
            keep = ~((pu == b[pku] - 1) & (pk == pku + 1) & self.chain[pu])
            nop_u, nop_k, nop_ku = pu[keep], pk[keep], pku[keep]
        # produced here, consumed in a later window: written to DRAM once
        wr_u, wr_ku = empty, empty
        sel = u_in & (v >= stop)
        if sel.any():
            pu = np.unique(u[sel])
            if out_to_dram:
                pu = pu[pu != stop - 1]
            wr_u, wr_ku = pu, np.searchsorted(b, pu, side="right")
        # produced in an earlier window, consumed here (not by the window's first layer, whose
        # input load covers it): read from DRAM once per consuming segment
        rd_u, rd_k = empty, empty
        sel = v_in & (u < start) & (v != start)
        if sel.any():
            rd_u, rd_k = _unique_pairs(u[sel], kv[sel], len(b) + 1)
        plan = _SkipPlan(nop_u, nop_k, nop_ku, wr_u, wr_ku, rd_u, rd_k)
        if len(self._skip_cache) >= _MEMO_LIMIT:
            self._skip_cache.clear()
        self._skip_cache[key] = plan
        return plan

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
        dram_b: FloatArray,
    ) -> None:
        """Add the transfers of non-chain edges (in place). Each producer's output moves once per
        consuming segment (same window: NoP; later window: one DRAM write, one read per consuming
        segment), and not at all if the chain transfer already brings it there."""
        sk = self._skip_plan(a, b, out_to_dram)
        if len(sk.nop_u):
            src, dst = ch[:, sk.nop_ku], ch[:, sk.nop_k]
            size = outb[sk.nop_u][None, :]
            t = self.nop_s(src, dst, size)
            np.add.at(out_s.T, sk.nop_ku, t.T)
            nop_j += self.nop_j(src, dst, size).sum(axis=1)
        # DRAM writes for later windows (the producing segment's output time), then reads from
        # earlier windows (the consuming segment's input time)
        for lay, seg, into in ((sk.wr_u, sk.wr_ku, out_s), (sk.rd_u, sk.rd_k, in_s)):
            if len(lay):
                chs = ch[:, seg]
                size = outb[lay][None, :]
                t = self.dram_s(chs, size)
                np.add.at(into.T, seg, t.T)
                np.add.at(dram_b.T, seg, np.broadcast_to(size.T, (len(lay), t.shape[0])))
                dram_j += self.dram_j(chs, size).sum(axis=1)


def _unique_pairs(x: IntArray, y: IntArray, y_bound: int) -> tuple[IntArray, IntArray]:
    """The distinct pairs ``(x[i], y[i])`` in lexicographic order (``0 <= y < y_bound``)."""
    code = np.unique(x * y_bound + y)
    return code // y_bound, code % y_bound


_MEMO_LIMIT = 16_384
"""Entries a per-model memo (skip-edge plans, split segments) keeps before it starts afresh."""


@dataclass(frozen=True)
class _SkipPlan:
    """The non-chain edges of one window's segmentation (layer and segment indices): NoP
    transfers inside the window (producer layer, consuming segment, producing segment), DRAM
    writes for later windows (producer layer, producing segment) and DRAM reads from earlier
    windows (producer layer, consuming segment)."""

    nop_u: IntArray
    nop_k: IntArray
    nop_ku: IntArray
    wr_u: IntArray
    wr_ku: IntArray
    rd_u: IntArray
    rd_k: IntArray


@dataclass(frozen=True)
class _SplitSeg:
    """Costs of one segment split across ``team`` along ``dim`` (one mini-batch; s, J, bytes).
    See docs/SCHEDULER.md, "Partition model"."""

    team: tuple[int, ...]
    dim: str
    compute_s: float
    compute_j: float
    weights_s: float
    weights_j: float
    weight_bytes: float  # all shards together
    max_shard_bytes: float
    min_l2: float
    collective_s: float
    collective_j: float
    collective_bytes: float
    #: [layers of the segment] the largest weight shard of each layer on one chiplet (bytes)
    layer_shard_bytes: FloatArray = field(default_factory=lambda: np.zeros(0))

    @staticmethod
    def build(
        mcm: ModelCostModel, s0: int, s1: int, team: tuple[int, ...], dim: str, minibatch: int
    ) -> _SplitSeg:
        pkg = mcm.costs.package
        k = len(team)
        cls_t = mcm.cls_idx[np.asarray(team, dtype=np.int64)]
        smc = mcm.split_costs.model_costs(
            mcm.model_idx, minibatch, dim, k, layers=(s0, s1), classes=cls_t.tolist()
        )
        lay = np.arange(s0, s1)
        ke = smc.k_eff[lay]
        # the slowest share decides: the largest share on the slowest class present
        comp_s = max(float(smc.compute_s[lay, c].sum()) for c in np.unique(cls_t))
        works = np.arange(k)[None, :] < ke[:, None]  # [layers, k] chiplet j has a share
        comp_j = float((smc.energy_j[lay][:, cls_t] * works).sum())
        shard = (smc.share_weight_bytes[lay][:, None] * works).sum(axis=0)  # [k]
        by_chip = {int(c): float(shard[j]) for j, c in enumerate(team)}
        sharing = mcm.options.dram_sharing == "interface"
        link = mcm.options.contention == "link-sharing"
        ring = shared.ring_params(pkg, team, link_sharing=link)
        outb = minibatch * mcm.out1[lay]
        sizes: list[float] = []
        for i, li in enumerate(range(s0, s1)):
            if ke[i] <= 1:
                continue
            if dim == "K":
                nxt = li + 1
                if nxt < s1 and mcm.kinds[nxt] not in (OpKind.DWCONV, OpKind.ELTWISE):
                    sizes.append(float(outb[i]))  # all-gather the output
            elif dim == "Y":
                if mcm.kinds[li] is OpKind.MATMUL:
                    sizes.append(float(minibatch * mcm.second1[li]))  # all-gather operand 2
            else:
                sizes.append(float(outb[i]))  # reduce-scatter the partial sums
        colls = [ring.collective(sz) for sz in sizes]
        return _SplitSeg(
            team=team,
            dim=dim,
            compute_s=comp_s,
            compute_j=comp_j,
            weights_s=shared.dram_time_s(pkg, by_chip, sharing=sharing),
            weights_j=shared.dram_energy_j(pkg, by_chip),
            weight_bytes=float(shard.sum()),
            max_shard_bytes=float(shard.max()),
            min_l2=float(mcm.l2[np.asarray(team, dtype=np.int64)].min()),
            collective_s=sum(c.time_s for c in colls),
            collective_j=sum(c.energy_j for c in colls),
            collective_bytes=sum(c.bytes_moved for c in colls),
            layer_shard_bytes=np.asarray(smc.share_weight_bytes[lay], dtype=float),
        )

    def fits(self, act_bytes: float) -> bool:
        """The largest weight shard plus ``act_bytes`` fit the smallest L2 of the team."""
        return self.max_shard_bytes + act_bytes <= self.min_l2

    def need(self, size: float) -> list[float]:
        """Bytes of an input tensor of ``size`` bytes each team member needs (K: the whole
        tensor; Y, C: its rows / channels)."""
        k = len(self.team)
        return [size if self.dim == "K" else size / k] * k

    def receive(
        self, mcm: ModelCostModel, in_src: IntArray | None, size: float
    ) -> tuple[float, float, float]:
        """``(time, energy, DRAM bytes)`` of the window input: from DRAM, or over the NoP from
        chiplet ``in_src``."""
        pkg = mcm.costs.package
        need = self.need(float(size))
        if in_src is None:
            by_chip = {c: nb for c, nb in zip(self.team, need, strict=True)}
            sharing = mcm.options.dram_sharing == "interface"
            return (
                shared.dram_time_s(pkg, by_chip, sharing=sharing),
                shared.dram_energy_j(pkg, by_chip),
                float(sum(need)),
            )
        src = int(np.asarray(in_src).reshape(-1)[0])
        flows = shared.redistribute_flows((src,), self.team, need)
        link = mcm.options.contention == "link-sharing"
        return (
            shared.flows_time_s(pkg, flows, link_sharing=link),
            shared.flows_energy_j(pkg, flows),
            0.0,
        )

    def write_dram(self, mcm: ModelCostModel, size: float) -> tuple[float, float, float]:
        """``(time, energy, bytes)``: every team member writes its 1/k of the output."""
        return (*self.spread_dram(mcm, size), float(size))

    def spread_dram(self, mcm: ModelCostModel, size: float) -> tuple[float, float]:
        """``(time, energy)`` of ``size`` DRAM bytes moved 1/k by each team member through
        their (shared) interfaces."""
        pkg = mcm.costs.package
        by_chip = {c: size / len(self.team) for c in self.team}
        sharing = mcm.options.dram_sharing == "interface"
        return (
            shared.dram_time_s(pkg, by_chip, sharing=sharing),
            shared.dram_energy_j(pkg, by_chip),
        )

    @staticmethod
    def handoff(
        mcm: ModelCostModel,
        producers: tuple[int, ...],
        consumer: _SplitSeg | None,
        consumer_lead: int,
        size: float,
    ) -> tuple[float, float]:
        """``(time, energy)`` of moving a segment's output (sharded evenly over ``producers``)
        to the next segment (split ``consumer`` or the one chiplet ``consumer_lead``)."""
        if size <= 0:
            return 0.0, 0.0
        pkg = mcm.costs.package
        if consumer is None:
            team: tuple[int, ...] = (consumer_lead,)
            need = [size]
        else:
            team, need = consumer.team, consumer.need(size)
        flows = shared.redistribute_flows(producers, team, need)
        link = mcm.options.contention == "link-sharing"
        return shared.flows_time_s(pkg, flows, link_sharing=link), shared.flows_energy_j(pkg, flows)


class CostModels:
    """Lazily built :class:`ModelCostModel` per model (shared by evaluate and the searches)."""

    def __init__(self, costs: CostTable, options: EvalOptions) -> None:
        self.costs = costs
        self.options = options
        self._models: dict[int, ModelCostModel] = {}
        self.split_costs = SplitCosts(costs)

    def __getitem__(self, model_idx: int) -> ModelCostModel:
        hit = self._models.get(model_idx)
        if hit is None:
            hit = ModelCostModel(self.costs, model_idx, self.options, self.split_costs)
            self._models[model_idx] = hit
        return hit
