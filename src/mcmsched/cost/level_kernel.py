"""Compiled (numba) form of the per-pair volumes of :mod:`mcmsched.cost.vectorised`.

For every occurring (row, case) pair of a cluster level, the level analysis needs the egress
volume, the partial sums mapped, the critical partial sums, the input and weight ingress, the
spatial map's edge flags and the sub-cluster sizes. :mod:`mcmsched.cost.vectorised` computes
them with numpy over chunks of pairs; :func:`pair_volumes` computes the same integers one pair
at a time in a compiled loop: each pair's temporal factors once, then the few spatial factors
per unit variant, with no temporaries. The numpy path stays the reference
(``tests/test_cost_level_kernel.py`` checks that both give the same numbers) and is used when
numba (the ``fast`` extra) is not installed or ``MCMSCHED_NUMBA=0`` is set.

This module imports numba: import it only through :func:`mcmsched.cost.vectorised.kernel`.
Volumes are element counts (int64, wrapping on overflow exactly as numpy's int64 does).
The compiled code is cached on disk by numba (first compilation: a few seconds).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from mcmsched.cost.directives_analysis import INIT, STEADY, TEMPORAL

# cached on disk; no reference counting (the kernels allocate nothing: scratch comes from the
# caller), which numba's typed signature of ``njit`` does not list
_OPTS: dict[str, Any] = {"cache": True, "_nrt": False}
_inline = numba.njit(inline="always", **_OPTS)

# The spatial factors of a volume depend on whether the unit is the first (``first``), on the
# partial-last-unit flag (``spee``) and, for the egress, on output reuse (``reuse``). Each pair
# computes them for every combination into small arrays: ``first * 4 + spee * 2 + reuse`` for
# the egress and the partial sums (which are the egress formula without reuse), ``first * 2 +
# spee`` for the ingress.


@_inline
def _spatial_factors(
    out: np.ndarray,
    items: np.ndarray,
    maps: np.ndarray,
    single: np.ndarray,
    pos: np.ndarray,
    edge: np.ndarray,
    mm: np.ndarray,
    me: np.ndarray,
    u: np.ndarray,
    ue: np.ndarray,
    vme: np.ndarray,
    nec1: bool,
) -> None:
    """Products of the spatial factors of the per-unit egress (``items``: the spatial
    output-coupled entries, whose values ``mm`` ... ``ue`` are of the output form of the
    dimension and ``vme`` of the dimension itself) or of the partial sums (``items``: the
    spatial maps not coupled to the output, ``vme = me``). ``maps[k]`` is the map of
    ``items[k]``."""
    for v in range(8):
        first = v >= 4
        spee = (v & 2) != 0
        reuse = (v & 1) != 0
        ret = 1
        for k in range(items.shape[0]):
            q = items[k]
            ix = maps[k]
            base = mm[q] if first else (u[q] if u[q] != 0 else 1)
            if single[ix] or pos[ix] == INIT:
                at_edge = ue[q] if (reuse and not nec1) else me[q]
                ret *= at_edge if (edge[ix] and spee) else base
            elif pos[ix] == STEADY:
                ret *= base
            elif nec1:
                ret *= vme[q] if (first or spee) else 1
            else:
                ret *= ue[q] if spee else base
        out[v] = ret


@_inline
def _ingress_spatial(
    ins: np.ndarray,
    in_sp: np.ndarray,
    n_sp: int,
    single: np.ndarray,
    pos: np.ndarray,
    edge: np.ndarray,
    mm_: np.ndarray,
    me_: np.ndarray,
    u_: np.ndarray,
    ue_: np.ndarray,
    ch: int,
    inited: bool,
    nec1: bool,
) -> None:
    """Factors of the spatial maps coupled to a tensor in its per-unit ingress (``ch < 0``:
    every map at Init, the per-unit mapped volume)."""
    for v in range(4):
        first = v >= 2
        spee = (v & 1) != 0
        ret = 1
        for q in range(n_sp):
            i = in_sp[q]
            mm = mm_[i]
            me = me_[i]
            if ch < 0:
                if not edge[i]:
                    ret *= mm
                elif nec1:
                    ret *= me if (first or spee) else 1
                else:
                    ret *= me if spee else mm
                continue
            full = me if spee else mm
            if first:
                ret *= full
                continue
            uniq = ue_[i] if spee else u_[i]
            if single[i] or pos[i] == INIT:
                ret *= full if ch >= i else uniq
            elif ch == i:
                ret *= full if inited else uniq
            else:
                ret *= full
        ins[v] = ret


@_inline
def _aggregate(
    edge: bool, s: bool, nec: int, ns: int, v_tf: int, v_tx: int, v_ff: int, v_ft: int
) -> int:
    """A tensor's volume over the units of a level: the first unit, the others, and at the
    spatial edge the ``nec`` active units of which the last may be partial (``s``).
    ``v_tf``: first unit, ``v_tx``: first unit at the edge, ``v_ff``: another unit, ``v_ft``:
    the partial last unit."""
    if not edge:
        return v_tf + (ns - 1) * v_ff
    ret = v_tx
    if nec > 1:
        ret += max(nec - (1 if s else 0) - 1, 0) * v_ff
        if s:
            ret += v_ft
    return ret


@numba.njit(nogil=True, **_OPTS)
def pair_volumes(
    ci: np.ndarray,
    ri: np.ndarray,
    prow: np.ndarray,
    pos_c: np.ndarray,
    changing_c: np.ndarray,
    flags: np.ndarray,
    tab: np.ndarray,
    nec_t: np.ndarray,
    ns_t: np.ndarray,
    cls: np.ndarray,
    vkey: np.ndarray,
    single: np.ndarray,
    incpl: np.ndarray,
    ox: np.ndarray,
    oa: np.ndarray,
    ov: np.ndarray,
    sp_last: np.ndarray,
    sp_idx: int,
    sub_src: np.ndarray,
    top: bool,
    eg_m: np.ndarray,
    ps_m: np.ndarray,
    np_m: np.ndarray,
    in_m: np.ndarray,
    edge_sp_m: np.ndarray,
    spee_sp_m: np.ndarray,
    sub_f: np.ndarray,
    sub_t: np.ndarray,
    o_sp: np.ndarray,
    o_sp_map: np.ndarray,
    r_sp: np.ndarray,
    in_sp: np.ndarray,
    n_in_sp: np.ndarray,
    last_sp: int,
    masks: np.ndarray,
    tr_l: np.ndarray,
    tt_l: np.ndarray,
    n_tt: np.ndarray,
    sm: np.ndarray,
    sb: np.ndarray,
    so: np.ndarray,
    sv: np.ndarray,
) -> None:
    """Per-pair volumes of one level (see :meth:`mcmsched.cost.vectorised._VAnalyser.analyse`
    for the inputs; ``flags``: see :func:`level_states`; ``tab[table, key, row]``: mapped,
    mapped at the edge, unique, unique at the edge).
    Writes ``eg_m`` (egress), ``ps_m`` (partial sums mapped, ``top`` only), ``np_m`` (critical
    partial sums), ``in_m`` (input, weight ingress), the spatial map's edge flags and the
    sub-cluster sizes ``sub_f``/``sub_t`` of the maps ``sub_src`` (none at the last level).
    ``o_sp`` ... ``n_tt``: maps by role (:class:`mcmsched.cost.vectorised._KStatic`; ``masks``
    as bit sets of maps);
    ``sm``, ``sb``, ``so``, ``sv``: scratch (int64 ``[5, maps]``, bool ``[3, maps]``, int64
    ``[5, output entries]``, int64 ``[3, 8]``), so the kernel allocates nothing."""
    n_maps = cls.shape[0]
    n_o = ox.shape[0]
    pos, mm_, me_, u_, ue_ = sm[0], sm[1], sm[2], sm[3], sm[4]
    edge, unrolled, spe = sb[0], sb[1], sb[2]
    amm, ame, au, aue, vme = so[0], so[1], so[2], so[3], so[4]
    es, ps8, ins = sv[0], sv[1], sv[2]
    n_sub = sub_f.shape[0]
    prev = -1
    nec = 0
    ns = 0
    nec1 = False
    for p in range(ci.shape[0]):
        c = ci[p]
        r = ri[p]
        row = prow[p]
        ch = changing_c[c]
        if r != prev:  # a row's pairs are consecutive: its table entries are read once
            prev = r
            for j in range(n_maps):
                k = vkey[j]
                mm_[j] = tab[row, 0, k]
                me_[j] = tab[row, 1, k]
                u_[j] = tab[row, 2, k]
                ue_[j] = tab[row, 3, k]
            for q in range(n_o):
                a = oa[q]
                amm[q] = tab[row, 0, a]
                ame[q] = tab[row, 1, a]
                au[q] = tab[row, 2, a]
                aue[q] = tab[row, 3, a]
                vme[q] = tab[row, 1, ov[q]]
            nec = nec_t[row]
            ns = ns_t[row]
            nec1 = nec == 1
        eb = 0  # maps at an edge, as bits
        ib = 0  # maps at Init and not unrolled, as bits
        for j in range(n_maps):
            f = flags[r, j * 3 + pos_c[j, c]]
            pj = pos_c[j, c]
            pos[j] = pj
            edge[j] = (f & 1) != 0
            unrolled[j] = (f & 2) != 0
            spe[j] = (f & 4) != 0
            if f & 1:
                eb |= 1 << j
            if pj == INIT and not (f & 2):
                ib |= 1 << j
        # temporal factors (the same for every unit): output-coupled and reduced dimensions
        e_to = 1
        for q in range(n_o):
            ix = ox[q]
            if cls[ix] != TEMPORAL:
                continue
            if single[ix] or pos[ix] == INIT:
                e_to *= ame[q] if edge[ix] else amm[q]
            elif pos[ix] == STEADY:
                e_to *= amm[q]
            else:
                e_to *= ame[q]
        e_tr = 1
        for i in tr_l:
            e_tr *= me_[i] if edge[i] else mm_[i]
        _spatial_factors(es, o_sp, o_sp_map, single, pos, edge, amm, ame, au, aue, vme, nec1)
        _spatial_factors(ps8, r_sp, r_sp, single, pos, edge, mm_, me_, u_, ue_, me_, nec1)
        # egress and critical partial sums (output coupled spatially or not)
        e_o = (eb & masks[0]) != 0
        s_o = spe[sp_last[2]] if sp_last[2] >= 0 else False
        sx = 2 if (nec1 and s_o) else 0
        if sp_last[2] < 0:
            eg_m[p] = e_to * es[5]
        else:
            eg_m[p] = _aggregate(
                e_o,
                s_o,
                nec,
                ns,
                e_to * es[5],
                e_to * es[4 + sx + 1],
                e_to * es[1],
                e_to * es[3],
            )
        sc = 2 if (e_o and nec1 and s_o) else 0
        np_m[p] = e_to * es[4 + sc + 1] * e_tr * ps8[4 + sc]
        # input and weight ingress
        for t in range(2):
            if ch >= 0 and not incpl[t, ch]:
                in_m[t, p] = 0
                continue
            inited = False
            tt = 1
            if ch < 0:
                for q in range(n_tt[t]):
                    i = tt_l[t, q]
                    tt *= me_[i] if edge[i] else mm_[i]
            else:
                # a coupled map inside the changing one at Init and not unrolled
                inited = (ib & masks[4 + t] & ~((2 << ch) - 1)) != 0
                for q in range(n_tt[t]):
                    i = tt_l[t, q]
                    if single[i] or pos[i] == INIT:
                        tt *= me_[i] if edge[i] else mm_[i]
                    elif ch == i:
                        tt *= mm_[i] if inited else max(u_[i], 1)
                    else:
                        tt *= mm_[i]
            _ingress_spatial(
                ins,
                in_sp[t],
                n_in_sp[t],
                single,
                pos,
                edge,
                mm_,
                me_,
                u_,
                ue_,
                ch,
                inited,
                nec1,
            )
            if sp_last[t] < 0:
                in_m[t, p] = tt * ins[2]
                continue
            e_t = (eb & masks[1 + t]) != 0
            s_t = spe[sp_last[t]]
            tx = 1 if (nec1 and s_t) else 0
            in_m[t, p] = _aggregate(
                e_t, s_t, nec, ns, tt * ins[2], tt * ins[2 + tx], tt * ins[0], tt * ins[1]
            )
        if top:  # partial sums mapped (the L1 counts)
            e_all = (eb & masks[3]) != 0
            s_all = spe[last_sp] if last_sp >= 0 else False
            sa = 1 if (nec1 and s_all) else 0
            v_tf = e_to * es[5] * e_tr * ps8[4]
            ps_m[p] = _aggregate(
                e_all,
                s_all,
                nec,
                ns,
                v_tf,
                e_to * es[5 + 2 * sa] * e_tr * ps8[4 + 2 * sa],
                v_tf,
                e_to * es[2] * e_tr * ps8[2],
            )
        edge_sp_m[p] = edge[sp_idx]
        spee_sp_m[p] = spe[sp_idx]
        # sub-cluster sizes of the map dimensions (without and with the partial last unit)
        for q in range(n_sub):
            i = sub_src[q]
            mm = mm_[i]
            me = me_[i]
            if cls[i] == TEMPORAL:
                v = me if edge[i] else mm
                sub_f[q, p] = v
                sub_t[q, p] = v
            elif single[i] or pos[i] == INIT:
                sub_f[q, p] = (me if nec1 else mm) if edge[i] else mm
                sub_t[q, p] = me if edge[i] else mm
            elif pos[i] == STEADY:
                sub_f[q, p] = mm
                sub_t[q, p] = mm
            else:
                sub_f[q, p] = me if nec1 else mm
                sub_t[q, p] = me


@numba.njit(nogil=True, **_OPTS)
def level_totals(
    starts: np.ndarray,
    occ_p: np.ndarray,
    np_m: np.ndarray,
    all_init: np.ndarray,
    comp: np.ndarray,
    act: np.ndarray,
    in_m: np.ndarray,
    eg_m: np.ndarray,
    ps_m: np.ndarray,
    lat: int,
    bw: int,
    offchip: bool,
    off_in: np.ndarray,
    off_out: np.ndarray,
    top: bool,
    runtime: np.ndarray,
    total_occ: np.ndarray,
    active_sum: np.ndarray,
    sums: np.ndarray,
) -> None:
    """Per-row totals of a level from its pairs (rows are the segments ``starts``; see
    :meth:`mcmsched.cost.vectorised._VAnalyser.analyse`): ``runtime`` (cycles: occurrences x
    step delay, a step taking the larger of the NoC ingress, egress and compute delays and,
    with ``offchip`` (the top level), at least the row's off-chip delays ``off_in``/``off_out``),
    the occurring valid steps ``total_occ``, the float sum of active units x occurrences in
    case order, and with ``top`` ``sums``: computations, L2 output writes, L1 output writes,
    L2 input reads, L2 weight reads."""
    n = starts.shape[0]
    n_pairs = occ_p.shape[0]
    for r in range(n):
        p1 = starts[r + 1] if r + 1 < n else n_pairs
        rt = 0
        tot = 0
        act_s = 0.0
        s_comp = 0
        s_l2w = 0
        s_l1w = 0
        s_in = 0
        s_w = 0
        for p in range(starts[r], p1):
            occ = occ_p[p]
            vocc = occ if (np_m[p] > 0 and occ > 0) else 0
            ingress = in_m[0, p] + in_m[1, p]
            d_in = lat + (-(-ingress // bw)) - 1 if ingress > 0 else lat - 1
            if all_init[p]:
                step = comp[p] + d_in
            else:
                e = eg_m[p]
                d_out = lat + (-(-e // bw)) - 1 if e > 0 else lat - 1
                step = max(max(d_out, comp[p]), d_in)
            if offchip:
                step = max(max(off_in[r], step), off_out[r])
            rt += vocc * step
            tot += vocc
            act_s += act[p] * vocc
            if top:
                s_comp += vocc * ps_m[p]
                s_l2w += occ * eg_m[p]
                s_l1w += occ * ps_m[p]
                s_in += vocc * in_m[0, p]
                s_w += vocc * in_m[1, p]
        runtime[r] = rt
        total_occ[r] = tot
        active_sum[r] = act_s
        if top:
            sums[0, r] = s_comp
            sums[1, r] = s_l2w
            sums[2, r] = s_l1w
            sums[3, r] = s_in
            sums[4, r] = s_w


@numba.njit(nogil=True, **_OPTS)
def unique_sub_rows(
    prow: np.ndarray,
    m_false: np.ndarray,
    m_true: np.ndarray,
    pi: np.ndarray,
    use_true: np.ndarray,
    order: np.ndarray,
    keys: np.ndarray,
    rep: np.ndarray,
    inv: np.ndarray,
) -> int:
    """Distinct sub-level rows among entries ``e``: a row is ``prow[pi[e]]`` and column
    ``pi[e]`` of ``m_true`` (if ``use_true[e]``) or ``m_false``. Entries are visited in
    ``order`` (by pair, so by problem row); equal rows share their problem row, so each entry
    is compared only with the distinct rows found since its problem row began, whose sizes are
    kept in ``keys`` (scratch ``[entries, sizes]``). Writes the first entry of every distinct
    row into ``rep`` and the row's number into ``inv`` for every entry; returns the number of
    distinct rows. (A problem row met again later would start a new group: its rows would be
    analysed twice, with the same results.)"""
    n_keys = m_false.shape[0]
    n_u = 0
    seg = 0
    cur = -1
    for o in range(order.shape[0]):
        e = order[o]
        p = pi[e]
        m = m_true if use_true[e] else m_false
        if prow[p] != cur:
            cur = prow[p]
            seg = n_u
        found = -1
        for u in range(seg, n_u):
            k = 0
            while k < n_keys and keys[u, k] == m[k, p]:
                k += 1
            if k == n_keys:
                found = u
                break
        if found < 0:
            for k in range(n_keys):
                keys[n_u, k] = m[k, p]
            rep[n_u] = e
            found = n_u
            n_u += 1
        inv[e] = found
    return n_u


@_inline
def _tdiv(a: int, b: int) -> int:
    """C++ truncating division for positive ``b``."""
    return a // b if a >= 0 else -((-a) // b)


@numba.njit(nogil=True, **_OPTS)
def level_states(
    d: np.ndarray,
    size: np.ndarray,
    ofs: np.ndarray,
    ns: np.ndarray,
    cls: np.ndarray,
    occ: np.ndarray,
    flags: np.ndarray,
) -> None:
    """Iteration states of every map of a level for every row (``d``, ``size``, ``ofs``:
    ``[maps, rows]`` dimension sizes and tile sizes and offsets; ``ns``: units per row):
    ``occ[row, map, state]`` how often the map is at Init (1), Steady, Edge, and
    ``flags[row, map * 3 + state]`` its init-edge (1), unrolled (2) and partial-last-unit (4)
    flags, as :meth:`mcmsched.cost.vectorised._VAnalyser.analyse` computes them."""
    n_maps, n = d.shape
    for r in range(n):
        for j in range(n_maps):
            dd = d[j, r]
            sz = size[j, r]
            of = ofs[j, r]
            occ[r, j, 0] = 1
            if cls[j] == TEMPORAL:
                n_steady = _tdiv(dd - sz, of)
                occ[r, j, 1] = n_steady if (sz < dd and n_steady > 0) else 0
                occ[r, j, 2] = 1 if (dd >= sz and n_steady * of + sz < dd) else 0
                flags[r, j * 3] = (1 if dd < sz else 0) | (2 if dd <= sz else 0)
                flags[r, j * 3 + 1] = 0
                flags[r, j * 3 + 2] = 1
                continue
            u = ns[r]
            cov = sz + of * (u - 1)
            init_edge = dd < cov
            n_steady = _tdiv(_tdiv(dd - sz, of) + 1, u) - 1
            has_edge = (
                not (dd <= cov)
                and (n_steady + 1) * (of * u) + cov > dd
                and n_steady * (of * u) + cov != dd
            )
            occ[r, j, 1] = n_steady if (cov < dd and n_steady > 0) else 0
            occ[r, j, 2] = 1 if (not init_edge and has_edge) else 0
            remaining = dd - (n_steady + 1) * of * u
            active = 1 if remaining < sz else _tdiv(remaining - sz, of) + 1
            spee = (active - 1) * of + sz < remaining
            flags[r, j * 3] = (5 if init_edge else 0) | (2 if dd <= cov else 0)
            flags[r, j * 3 + 1] = 0
            flags[r, j * 3 + 2] = 1 | (4 if spee else 0)


@numba.njit(nogil=True, **_OPTS)
def level_pair_counts(
    occ: np.ndarray, states: np.ndarray, n_states: np.ndarray, counts: np.ndarray
) -> None:
    """Occurring cases per row: the product over maps of the number of the map's listed
    states (``states[map, :n_states[map]]``) that occur in the row."""
    n_maps = occ.shape[1]
    for r in range(counts.shape[0]):
        c = 1
        for j in range(n_maps):
            k = 0
            for q in range(n_states[j]):
                if occ[r, j, states[j, q]] != 0:
                    k += 1
            c *= k
        counts[r] = c


@numba.njit(nogil=True, **_OPTS)
def level_pairs(
    occ: np.ndarray,
    states: np.ndarray,
    n_states: np.ndarray,
    starts: np.ndarray,
    ci: np.ndarray,
    ri: np.ndarray,
    occ_p: np.ndarray,
    work: np.ndarray,
    avail: np.ndarray,
) -> int:
    """The occurring (row, case) pairs, rows in order and each row's cases in increasing case
    number (a case numbers the listed states ``states[map, :n_states[map]]`` of the maps, the
    last map fastest), with their occurrence (the product of the maps'); ``starts``: the first
    pair of every row. Returns the number of pairs. Scratch: ``work`` int64 ``[6, maps + 1]``,
    ``avail`` int64 ``[maps, 3]``."""
    n_maps = occ.shape[1]
    stride = work[0]
    cur = work[1]
    n_av = work[2]
    var = work[3]  # the maps with more than one occurring state in the row, in order
    pp = work[4]  # prefix products of their occurrences
    pc = work[5]  # prefix sums of their case-number terms
    s = 1
    for j in range(n_maps - 1, -1, -1):
        stride[j] = s
        s *= n_states[j]
    p = 0
    for r in range(starts.shape[0]):
        starts[r] = p
        # per map, the listed states that occur in this row (Init always does); maps with one
        # such state contribute a constant factor and case term
        o0 = 1
        c0 = 0
        n_var = 0
        for j in range(n_maps):
            k = 0
            for q in range(n_states[j]):
                if occ[r, j, states[j, q]] != 0:
                    avail[j, k] = q
                    k += 1
            n_av[j] = k
            if k == 1:
                q = avail[j, 0]
                o0 *= occ[r, j, states[j, q]]
                c0 += q * stride[j]
            else:
                var[n_var] = j
                n_var += 1
        pp[0] = o0
        pc[0] = c0
        for v in range(n_var):
            j = var[v]
            cur[v] = 0
            q = avail[j, 0]
            pp[v + 1] = pp[v] * occ[r, j, states[j, q]]
            pc[v + 1] = pc[v] + q * stride[j]
        while True:  # odometer over the varying maps, the last fastest
            if pp[n_var] != 0:
                ci[p] = pc[n_var]
                ri[p] = r
                occ_p[p] = pp[n_var]
                p += 1
            v = n_var - 1
            while v >= 0:
                cur[v] += 1
                if cur[v] < n_av[var[v]]:
                    break
                cur[v] = 0
                v -= 1
            if v < 0:
                break
            for w in range(v, n_var):
                j = var[w]
                q = avail[j, cur[w]]
                pp[w + 1] = pp[w] * occ[r, j, states[j, q]]
                pc[w + 1] = pc[w] + q * stride[j]
    return p


@numba.njit(nogil=True, **_OPTS)
def level_tables(
    size: np.ndarray,
    ofs: np.ndarray,
    d: np.ndarray,
    cls: np.ndarray,
    units: np.ndarray,
    sp_idx: int,
    key_map: np.ndarray,
    key_ref: np.ndarray,
    key_slide: np.ndarray,
    tab: np.ndarray,
    n_edge: np.ndarray,
) -> None:
    """A level's per-row tables (``size``, ``ofs``, ``d``: ``[maps, rows]`` tile sizes,
    offsets and dimension sizes; ``units``: units per row): ``tab[row, table, key]`` with the
    tables mapped, mapped at the edge, unique, unique at the edge, and ``n_edge``, the units
    active at the spatial map's edge, as :func:`mcmsched.cost.vectorised._static` computes
    them. A key is a map's dimension (``key_map``: the map) or an output dimension (Y', X')
    from its reference key ``key_ref`` (the map ``key_map``) less its sliding key
    ``key_slide`` (-1: none) plus one."""
    n_keys = key_map.shape[0]
    for r in range(size.shape[1]):
        ssz = size[sp_idx, r]
        sof = ofs[sp_idx, r]
        sz = d[sp_idx, r]
        cs = units[r]
        full_cov = sof * (cs - 1) + ssz
        steady = _tdiv(_tdiv(sz - ssz, sof) + 1, cs) - 1
        remaining = sz - (steady + 1) * sof * cs
        ec_a = 1 if remaining < ssz else _tdiv(remaining - ssz, sof) + 1
        ec_b = _tdiv(sz - ssz, sof) + 1
        if sof * (ec_b - 1) + ssz < sz:
            ec_b += 1
        ec = ec_a if sz > full_cov else (ec_b if sz > ssz else 1)
        n_edge[r] = 1 if sz <= ssz else ec
        for k in range(n_keys):
            if key_ref[k] >= 0:
                continue
            i = key_map[k]
            dd = d[i, r]
            sz_i = size[i, r]
            of = ofs[i, r]
            steady_n = max(_tdiv(dd - sz_i, of), 0)
            has_edge = steady_n * of + sz_i < dd or sz_i > dd
            uniq = min(sz_i, of)
            if cls[i] == TEMPORAL and dd <= sz_i:
                uniq = 0
            em = dd - (steady_n + 1) * of
            if em < 0:
                em = dd
            tab[r, 0, k] = sz_i
            tab[r, 1, k] = em if has_edge else sz_i
            tab[r, 2, k] = uniq
            tab[r, 3, k] = max(of - (sz_i - em), 0)
        for k in range(n_keys):
            a = key_ref[k]
            if a < 0:
                continue
            i = key_map[k]
            sl = key_slide[k]
            of = ofs[i, r]
            mapped = tab[r, 0, a] - (tab[r, 0, sl] if sl >= 0 else 0) + 1
            mapped_e = tab[r, 1, a] - (tab[r, 1, sl] if sl >= 0 else 0) + 1
            tab[r, 0, k] = mapped
            tab[r, 1, k] = mapped_e
            tab[r, 2, k] = min(of, size[i, r])
            tab[r, 3, k] = min(of, mapped_e)
