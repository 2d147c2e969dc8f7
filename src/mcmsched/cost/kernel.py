"""Optional compiled kernel (numba) for the per-pair volumes of :mod:`mcmsched.cost.vectorised`.

The vectorised analysis computes, for every occurring (row, case) pair of a cluster level, the
ingress volumes (input, weight), the egress volume, the partial sums and the sub-cluster
dimensions with numpy arrays over the pairs (``_VAnalyser._egress`` and friends). This module
computes the same integers pair by pair in one compiled loop, with no temporaries. It is used
only when numba is installed (the ``fast`` extra) and :data:`ENABLED` is true; the numpy path is
the reference and ``tests/test_cost_kernel.py`` checks both give identical costs.

All values are int64 (element counts); the arithmetic (products, sums, comparisons) is the
numpy path's, term by term, so results are bit-identical.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

ENABLED = os.environ.get("MCMSCHED_NO_NUMBA", "") in ("", "0")
"""Use the kernel when numba is importable (``MCMSCHED_NO_NUMBA=1`` forces the numpy path)."""

level_pairs: Callable[..., Any] | None = None
"""The compiled kernel (``None`` without numba)."""

try:  # pragma: no cover - exercised when numba is installed
    import numba as _nb
except ImportError:  # pragma: no cover
    _nb = None

if _nb is not None:  # pragma: no branch
    _jit = _nb.njit(cache=True, nogil=True)
    _jit_inline = _nb.njit(cache=True, nogil=True, inline="always")

    @_jit_inline  # type: ignore[misc]
    def _ingress(  # type: ignore[no-untyped-def]
        first, spee, sp, nsp, mvid, pos, edge, ch, mm, me, u, ue, nec, tc, inited, ret_t, mt
    ):
        """Per-unit ingress volume of one tensor (``sp``: its coupled spatial maps; ``tc``,
        ``inited``, ``ret_t``: the case terms; ``mt``: the temporal mapped volume)."""
        if ch < 0:  # every map at Init: the mapped volume
            ret = mt
            for q in range(nsp):
                j = sp[q]
                v = mvid[j]
                if nec == 1:
                    f_edge = me[v] if (first or spee) else np.int64(1)
                else:
                    f_edge = me[v] if spee else mm[v]
                ret = ret * (f_edge if edge[j] else mm[v])
            return ret
        if not tc:
            return np.int64(0)
        ret = ret_t
        for q in range(nsp):
            j = sp[q]
            v = mvid[j]
            full = me[v] if spee else mm[v]
            uniq = ue[v] if spee else u[v]
            if first:
                f = full
            elif pos[j] == 0:
                f = full if ch >= j else uniq
            elif ch == j:
                f = full if inited else uniq
            else:
                f = full
            ret = ret * f
        return ret

    @_jit_inline  # type: ignore[misc]
    def _egress(  # type: ignore[no-untyped-def]
        psum, first, spee, reuse, sp_red, n_red, sp_out, n_out, mvid, maid, pos, edge,
        mm, me, u, ue, nec, et_red, et_out,
    ):  # fmt: skip
        """Per-unit egress volume: the output part and, with ``psum``, the reduced part
        (``et_red``/``et_out``: their temporal factors)."""
        nec1 = nec == 1
        ret = et_out
        for q in range(n_out):
            j = sp_out[q]
            a = maid[j]
            v = mvid[j]
            base = mm[a] if first else (u[a] if u[a] != 0 else np.int64(1))
            if pos[j] == 0:
                f = (me[a] if nec1 or not reuse else ue[a]) if edge[j] and spee else base
            elif pos[j] == 1:
                f = base
            elif nec1:
                f = me[v] if (first or spee) else np.int64(1)
            else:
                f = ue[a] if spee else base
            ret = ret * f
        if not psum:
            return ret
        ret = ret * et_red
        for q in range(n_red):
            j = sp_red[q]
            v = mvid[j]
            base = mm[v] if first else (u[v] if u[v] != 0 else np.int64(1))
            if pos[j] == 0:
                f = me[v] if (edge[j] and spee) else base
            elif pos[j] == 1:
                f = base
            elif nec1:
                f = me[v] if (first or spee) else np.int64(1)
            else:
                f = ue[v] if spee else base
            ret = ret * f
        return ret

    @_jit  # type: ignore[misc]
    def _level_pairs(  # type: ignore[no-untyped-def]
        ci, ri, prow, n, pos_c, sidx, changing_c, flags,
        t_mapped, t_mapped_e, t_unique, t_unique_e, n_edge, n_units,
        mcls, mvid, maid, cpl, last_sp, last_sp_all, sp_idx,
        rk_kind, rk_j, rk_k, top, last,
        eg_o, ps_o, np_o, in_o, edge_sp_o, spee_sp_o, subf_o, subt_o,
    ):  # fmt: skip
        m = mcls.shape[0]
        nv = t_mapped.shape[0]
        nk = rk_kind.shape[0]
        # map lists per role: spatial / temporal maps coupled to each tensor, and not to the
        # output (the reduced dimensions)
        sp = np.zeros((3, m), dtype=np.int64)
        nsp = np.zeros(3, dtype=np.int64)
        tm = np.zeros((3, m), dtype=np.int64)
        ntm = np.zeros(3, dtype=np.int64)
        sp_red = np.zeros(m, dtype=np.int64)
        tm_red = np.zeros(m, dtype=np.int64)
        n_sp_red = 0
        n_tm_red = 0
        all_sp = np.zeros(m, dtype=np.int64)
        n_all_sp = 0
        for j in range(m):
            for t in range(3):
                if cpl[t, j]:
                    if mcls[j] == 1:
                        sp[t, nsp[t]] = j
                        nsp[t] += 1
                    else:
                        tm[t, ntm[t]] = j
                        ntm[t] += 1
            if not cpl[2, j]:
                if mcls[j] == 1:
                    sp_red[n_sp_red] = j
                    n_sp_red += 1
                else:
                    tm_red[n_tm_red] = j
                    n_tm_red += 1
            if mcls[j] == 1:
                all_sp[n_all_sp] = j
                n_all_sp += 1
        pos = np.empty(m, dtype=np.int64)
        edge = np.empty(m, dtype=np.bool_)
        unr = np.empty(m, dtype=np.bool_)
        spj = np.empty(m, dtype=np.bool_)
        mm = np.empty(nv, dtype=np.int64)
        me = np.empty(nv, dtype=np.int64)
        u = np.empty(nv, dtype=np.int64)
        ue = np.empty(nv, dtype=np.int64)
        vals = np.empty(m, dtype=np.int64)
        one = np.int64(1)
        for p in range(ci.shape[0]):
            c = ci[p]
            r = ri[p]
            row = prow[p]
            for j in range(m):
                pos[j] = pos_c[j, c]
                fl = flags[j, sidx[j, c] * n + r]
                edge[j] = (fl & 1) != 0
                unr[j] = (fl & 2) != 0
                spj[j] = (fl & 4) != 0
            for v in range(nv):
                mm[v] = t_mapped[v, row]
                me[v] = t_mapped_e[v, row]
                u[v] = t_unique[v, row]
                ue[v] = t_unique_e[v, row]
            nec = n_edge[row]
            ns = n_units[row]
            ch = changing_c[c]
            # ingress of the input and weight tensors, aggregated over the units
            for t in range(2):
                tc = ch < 0 or cpl[t, ch]
                inited = False
                for j in range(m):
                    if cpl[t, j] and ch < j and pos[j] == 0 and not unr[j]:
                        inited = True
                ret_t = one
                mt = one
                for q in range(ntm[t]):
                    j = tm[t, q]
                    v = mvid[j]
                    mt = mt * (me[v] if edge[j] else mm[v])
                    if pos[j] == 0:
                        f = me[v] if edge[j] else mm[v]
                    elif ch == j:
                        f = mm[v] if inited else max(u[v], one)
                    else:
                        f = mm[v]
                    ret_t = ret_t * f
                spt = sp[t]
                n_t = nsp[t]
                val = _ingress(
                    True, False, spt, n_t, mvid, pos, edge, ch, mm, me, u, ue, nec, tc, inited,
                    ret_t, mt,
                )  # fmt: skip
                ls = last_sp[t]
                if ls >= 0:
                    ed = False
                    for q in range(n_t):
                        if edge[spt[q]]:
                            ed = True
                    s_l = spj[ls]
                    v_ff = np.int64(0)
                    if ns > 1 or (ed and nec > 1):
                        v_ff = _ingress(
                            False, False, spt, n_t, mvid, pos, edge, ch, mm, me, u, ue, nec, tc,
                            inited, ret_t, mt,
                        )  # fmt: skip
                    if not ed:
                        if ns > 1:
                            val = val + (ns - 1) * v_ff
                    else:
                        at = _ingress(
                            True, nec == 1 and s_l, spt, n_t, mvid, pos, edge, ch, mm, me, u, ue,
                            nec, tc, inited, ret_t, mt,
                        )  # fmt: skip
                        if nec > 1:
                            extra = max(nec - (1 if s_l else 0) - 1, np.int64(0)) * v_ff
                            if s_l:
                                extra = extra + _ingress(
                                    False, True, spt, n_t, mvid, pos, edge, ch, mm, me, u, ue,
                                    nec, tc, inited, ret_t, mt,
                                )  # fmt: skip
                            at = at + extra
                        val = at
                in_o[t, p] = val
            # temporal factors of the egress: reduced dimensions, output dimensions
            et_red = one
            for q in range(n_tm_red):
                j = tm_red[q]
                v = mvid[j]
                et_red = et_red * (me[v] if edge[j] else mm[v])
            et_out = one
            for q in range(ntm[2]):
                j = tm[2, q]
                a = maid[j]
                if pos[j] == 0:
                    f = me[a] if edge[j] else mm[a]
                elif pos[j] == 1:
                    f = mm[a]
                else:
                    f = me[a]
                et_out = et_out * f
            spo = sp[2]
            n_o = nsp[2]
            eg = _egress(
                False, True, False, True, sp_red, n_sp_red, spo, n_o, mvid, maid, pos, edge,
                mm, me, u, ue, nec, et_red, et_out,
            )  # fmt: skip
            ls = last_sp[2]
            ed_o = False
            s_o = False
            if ls >= 0:
                for q in range(n_o):
                    if edge[spo[q]]:
                        ed_o = True
                s_o = spj[ls]
                v_ff = np.int64(0)
                if ns > 1 or (ed_o and nec > 1):
                    v_ff = _egress(
                        False, False, False, True, sp_red, n_sp_red, spo, n_o, mvid, maid, pos,
                        edge, mm, me, u, ue, nec, et_red, et_out,
                    )  # fmt: skip
                if not ed_o:
                    if ns > 1:
                        eg = eg + (ns - 1) * v_ff
                else:
                    at = _egress(
                        False, True, nec == 1 and s_o, True, sp_red, n_sp_red, spo, n_o, mvid,
                        maid, pos, edge, mm, me, u, ue, nec, et_red, et_out,
                    )  # fmt: skip
                    if nec > 1:
                        extra = max(nec - (1 if s_o else 0) - 1, np.int64(0)) * v_ff
                        if s_o:
                            extra = extra + _egress(
                                False, False, True, True, sp_red, n_sp_red, spo, n_o, mvid, maid,
                                pos, edge, mm, me, u, ue, nec, et_red, et_out,
                            )  # fmt: skip
                        at = at + extra
                    eg = at
            eg_o[p] = eg
            # critical partial sums
            np_o[p] = _egress(
                True, True, ed_o and nec == 1 and s_o, True, sp_red, n_sp_red, spo, n_o, mvid,
                maid, pos, edge, mm, me, u, ue, nec, et_red, et_out,
            )  # fmt: skip
            # partial sums over every spatial map (the L1 counts of the top level)
            if top:
                ed = False
                for q in range(n_all_sp):
                    if edge[all_sp[q]]:
                        ed = True
                s_a = spj[last_sp_all] if last_sp_all >= 0 else False
                plain = _egress(
                    True, True, False, True, sp_red, n_sp_red, spo, n_o, mvid, maid, pos, edge,
                    mm, me, u, ue, nec, et_red, et_out,
                )  # fmt: skip
                if not ed:
                    ps_o[p] = ns * plain
                else:
                    at = _egress(
                        True, True, nec == 1 and s_a, True, sp_red, n_sp_red, spo, n_o, mvid,
                        maid, pos, edge, mm, me, u, ue, nec, et_red, et_out,
                    )  # fmt: skip
                    if nec > 1:
                        extra = max(nec - (1 if s_a else 0) - 1, np.int64(0)) * plain
                        if s_a:
                            extra = extra + _egress(
                                True, False, True, False, sp_red, n_sp_red, spo, n_o, mvid, maid,
                                pos, edge, mm, me, u, ue, nec, et_red, et_out,
                            )  # fmt: skip
                        at = at + extra
                    ps_o[p] = at
            edge_sp_o[p] = edge[sp_idx]
            spee_sp_o[p] = spj[sp_idx]
            # sub-cluster dimensions (without and with the partial last unit)
            if not last:
                for s in range(2):
                    for j in range(m):
                        v = mvid[j]
                        if mcls[j] == 0:
                            vals[j] = me[v] if edge[j] else mm[v]
                            continue
                        full = me[v] if (nec == 1 or s == 1) else mm[v]
                        if pos[j] == 0:
                            vals[j] = full if edge[j] else mm[v]
                        elif pos[j] == 1:
                            vals[j] = mm[v]
                        else:
                            vals[j] = full
                    for k in range(nk):
                        if rk_kind[k] == 0:
                            x = vals[rk_j[k]]
                        else:
                            x = vals[rk_j[k]] - (vals[rk_k[k]] if rk_k[k] >= 0 else 0) + 1
                        if s == 0:
                            subf_o[k, p] = x
                        else:
                            subt_o[k, p] = x

    level_pairs = _level_pairs
