"""The directive analysis of :mod:`mcmsched.cost.directives_analysis`, vectorised over layers.

Many layers that share a dataflow (and a kind: depthwise or not) share the *structure* of the
analysis: the same cluster levels, the same maps in the same order, the same iteration cases.
Only the numbers differ (tile sizes after ``Sz()``/stride resolution, dimension sizes, which
iteration states occur and how often). This module runs the analysis once per structure with
numpy arrays over the layers: a case whose state does not occur for a layer gets occurrence 0.
Sub-level analyses are batched too: every (layer, case, sub-tile variant) of a level becomes one
row of a single recursive call, deduplicated.

It computes the same numbers as the scalar analysis (``tests/test_cost_vectorised.py`` checks
equality on the MAESTRO reference rows and on zoo layers); the scalar analysis is the reference
and handles the rare mappings that need tile clamping.

Each level's per-row and per-pair work (tables, states, pairs, volumes, sub-row deduplication,
per-row totals) has two implementations: numpy here, and compiled loops in
:mod:`mcmsched.cost.level_kernel` (numba, the ``fast`` extra), used when numba is installed
(:func:`kernel`; ``MCMSCHED_NUMBA=0`` turns them off). Both give the same numbers bit for bit
(``tests/test_cost_level_kernel.py``); the structure, the recursion and the top level's delay
statistics stay here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from mcmsched.cost.directives_analysis import (
    EDGE,
    INIT,
    INPUT,
    OUT_OF,
    OUTPUT,
    SLIDING,
    SPATIAL,
    STEADY,
    TEMPORAL,
    WEIGHT,
    Hardware,
    Problem,
    build_levels,
)
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.dataflow import Directive, DirectiveKind, format_size, size_parts

Arr = np.ndarray
I64 = np.int64
_CHUNK = 8192
"""(row, case) pairs analysed per chunk: small enough for the temporaries to stay in cache."""


_KERNEL: list[ModuleType | None] = []


def kernel() -> ModuleType | None:
    """The compiled level kernels (the module :mod:`mcmsched.cost.level_kernel`), or ``None``
    (the numpy path) when numba is not installed or the environment sets ``MCMSCHED_NUMBA=0``.
    Both give the same numbers."""
    if os.environ.get("MCMSCHED_NUMBA", "1") == "0":
        return None
    if not _KERNEL:
        try:
            from mcmsched.cost import level_kernel
        except ImportError:  # numba is not installed (or not for this numpy): the numpy path
            _KERNEL.append(None)
        except Exception as exc:  # e.g. no writable place for numba's cache
            warnings.warn(
                f"mcmsched: the compiled level kernel is unavailable ({exc}); using the numpy "
                "path (same numbers, slower)",
                RuntimeWarning,
                stacklevel=2,
            )
            _KERNEL.append(None)
        else:
            _KERNEL.append(level_kernel)
    return _KERNEL[0]


def warm_kernel() -> bool:
    """Compile the level kernels now (numba caches them on disk, so later processes only load
    them) by analysing two small layers on a three-level dataflow, which runs every kernel.
    Returns whether the compiled path is available. ``setup.sh`` calls it."""
    if kernel() is None:
        return False
    from mcmsched.cost.analysis import hardware_of, to_problem
    from mcmsched.hardware.chiplet import ChipletClass
    from mcmsched.hardware.dataflow import get_dataflow
    from mcmsched.workload.layer import Layer, OpKind

    cls = ChipletClass("warm", get_dataflow("nvdla"), n_pes=256)
    layers = [
        Layer("c", OpKind.CONV, K=48, C=40, Y=14, X=14, R=3, S=3),
        Layer("g", OpKind.GEMM, K=70, C=96, Y=33, X=1),
    ]
    probs = [to_problem(ly)[0] for ly in layers]
    directives = cls.dataflow.directives_for(False)
    analyse_batch(probs, directives, hardware_of(cls), stats=False)
    return True


MAX_KERNEL_MAPS = 30
"""Levels with more maps than this use the numpy path: the kernel keeps a level's maps as bits
of an int64 and numbers its cases (up to 3 states per map) in an int64. (Real dataflows have
fewer than ten maps per level.)"""


def _kernel_for(n_maps: int) -> ModuleType | None:
    """:func:`kernel` for a level of ``n_maps`` maps (``None`` above :data:`MAX_KERNEL_MAPS`)."""
    return kernel() if n_maps <= MAX_KERNEL_MAPS else None


def _tdiv(a: Arr, b: Arr | int) -> Arr:
    """C++ truncating division for positive ``b``."""
    if a.size and a.min() >= 0:
        return a // b
    q = np.abs(a) // b
    out: Arr = np.where(a >= 0, q, -q)
    return out


def _unique_sub_rows(
    prow: Arr, m_false: Arr, m_true: Arr, pi: Arr, use_true: Arr
) -> tuple[Arr, Arr, Arr]:
    """Distinct sub-level rows among entries ``(pair pi[e], matrix use_true[e])``: a row is the
    pair's problem row ``prow`` and its sub-dimension column of ``m_true`` or ``m_false``
    (``[keys, pairs]``, non-negative). Returns, per distinct row, a representative pair and
    matrix flag, and the inverse index of every entry. The columns are packed into as few int64
    words as their ranges allow, per pair, before the entries are gathered."""
    mx = np.maximum(m_false.max(axis=1), m_true.max(axis=1)) if m_false.size else []
    widths = [max(int(prow.max()).bit_length(), 1), *(max(int(v).bit_length(), 1) for v in mx)]
    if (
        max(widths) > 62
        or prow.min() < 0
        or (m_false.size and min(m_false.min(), m_true.min()) < 0)
    ):
        mat = np.concatenate(
            [prow[pi][None, :], np.where(use_true, m_true[:, pi], m_false[:, pi])]
        ).T
        _, first, inv = np.unique(mat, axis=0, return_index=True, return_inverse=True)
        return pi[first], use_true[first], inv.reshape(-1)
    cols_f = [prow, *m_false]
    cols_t = [prow, *m_true]
    words: list[Arr] = []
    used = 63
    wf: Arr | None = None
    wt: Arr | None = None
    for cf, ct, w in zip(cols_f, cols_t, widths, strict=True):
        if used + w > 62:
            if wf is not None and wt is not None:
                words.append(np.where(use_true, wt[pi], wf[pi]))
            wf = np.zeros(prow.shape[0], dtype=I64)
            wt = np.zeros(prow.shape[0], dtype=I64)
            used = 0
        assert wf is not None and wt is not None
        wf = (wf << w) | cf
        wt = (wt << w) | ct
        used += w
    assert wf is not None and wt is not None
    words.append(np.where(use_true, wt[pi], wf[pi]))
    if len(words) == 1:
        _, first, inv = np.unique(words[0], return_index=True, return_inverse=True)
        return pi[first], use_true[first], inv.reshape(-1)
    order = np.lexsort(words[::-1])
    same = np.ones(order.shape[0], dtype=bool)
    for wd in words:
        ws = wd[order]
        same[1:] &= ws[1:] == ws[:-1]
    new = ~same
    new[0] = True
    out = np.empty(order.shape[0], dtype=I64)
    out[order] = np.cumsum(new) - 1
    rep_e = order[new]
    return pi[rep_e], use_true[rep_e], out


def _nz(u: Arr) -> Arr:
    return np.where(u != 0, u, 1)


@dataclass
class _VMap:
    cls: int
    var: str
    size: Arr
    ofs: Arr


@dataclass
class _VLevel:
    """Static data of one cluster level for every problem of the batch (arrays of length P)."""

    maps: list[_VMap]
    dims: dict[str, Arr]
    n_units: Arr  # units (sub-clusters or PEs) of the level per problem
    n_edge: Arr = field(default_factory=lambda: np.zeros(0, dtype=I64))
    index: dict[str, int] = field(default_factory=dict)
    sp_idx: int = -1
    mapped: dict[str, Arr] = field(default_factory=dict)
    mapped_e: dict[str, Arr] = field(default_factory=dict)
    unique: dict[str, Arr] = field(default_factory=dict)
    unique_e: dict[str, Arr] = field(default_factory=dict)
    #: with the compiled kernel: the four tables as one ``[rows, 4, keys]`` array (the dicts
    #: above are views into it) and its keys in order
    tab: Arr | None = None
    keys: list[str] = field(default_factory=list)


@dataclass
class VResult:
    """Level-0 results per problem (arrays of length P; counts in elements, time in cycles)."""

    runtime: Arr
    computations: Arr
    l2_read: Arr  # [3, P]
    l2_write: Arr
    l1_read: Arr
    l1_write: Arr
    l2_size: Arr
    l1_size_first_leaf: Arr
    avg_active: Arr
    ingress_delay: Arr  # [3 (min, max, avg), P]
    egress_delay: Arr
    compute_delay: Arr
    offchip_bw_req: Arr
    n_levels: int


def _resolve(v: int | str, dims: dict[str, Arr], n: int) -> Arr:
    """A size (an int, ``Sz(D)`` or ``Sz(D)+n``) for every problem of the batch."""
    if isinstance(v, int):
        return np.full(n, v, dtype=I64)
    dim, add = size_parts(v)
    if dim not in dims:
        raise MCMSchedError(
            f"Sz({dim}) names a dimension the layer does not have", field="Dataflow"
        )
    out = dims[dim] + add
    if add < 0 and bool((out <= 0).any()):
        raise MCMSchedError(f"{format_size(v)} is not positive for some layers", field="Dataflow")
    return out


def structure_key(problem: Problem, directives: tuple[Directive, ...]) -> tuple[object, ...]:
    """Problems with equal keys share the analysis structure (and can be batched): the same
    kind and the same cluster sizes (which only differ when a ``Cluster`` uses ``Sz()``)."""
    sized = [d.size for d in directives if d.kind is DirectiveKind.CLUSTER]
    if all(isinstance(c, int) for c in sized):
        return (problem.depthwise,)
    dims = dict(problem.dims)
    dims["Y'"] = dims["Y"] - dims["R"] + 1
    dims["X'"] = dims["X"] - dims["S"] + 1
    return (problem.depthwise, tuple(_resolve_one(c, dims) for c in sized))


def _resolve_one(v: int | str, dims: dict[str, int]) -> int:
    if isinstance(v, int):
        return v
    dim, add = size_parts(v)
    return dims.get(dim, 0) + add


def _build(
    problems: list[Problem],
    directives: tuple[Directive, ...],
    hw: Hardware,
    tiles: list[tuple[Arr, Arr] | None] | None = None,
    clusters: list[Arr] | None = None,
    rows: Arr | None = None,
) -> list[_VLevel]:
    """Vectorised cluster levels; the structure comes from the scalar builder on the first
    problem (all problems of a batch share it), the sizes are computed with arrays.
    ``tiles``/``clusters``/``rows``: see :func:`analyse_batch`."""
    ref_levels, _ = build_levels(problems[0], directives, hw)
    names = [k for k, _ in problems[0].dims]
    table = np.array([[v for _, v in p.dims] for p in problems], dtype=I64)
    sy = np.array([p.stride_y for p in problems], dtype=I64)
    sx = np.array([p.stride_x for p in problems], dtype=I64)
    if rows is not None:
        table, sy, sx = table[rows], sy[rows], sx[rows]
    n = table.shape[0]
    full: dict[str, Arr] = {k: table[:, i].copy() for i, k in enumerate(names)}
    full["Y'"] = full["Y"] - full["R"] + 1
    full["X'"] = full["X"] - full["S"] + 1
    groups: list[list[_VMap]] = [[]]
    mi = 0
    ci = 0
    # cluster sizes per problem, clamped level by level (outer first) to the PEs that remain,
    # as the scalar builder does (:func:`build_levels`)
    avail = np.full(n, hw.n_pes, dtype=I64)
    clamped: list[Arr] = []
    for d in directives:
        if d.kind is DirectiveKind.CLUSTER:
            c = clusters[ci] if clusters is not None else _resolve(d.size, full, n)
            ci += 1
            c = np.maximum(1, np.minimum(c.astype(I64), avail))
            clamped.append(c)
            avail = np.maximum(1, avail // c)
            groups.append([])
            continue
        cls = SPATIAL if d.kind is DirectiveKind.SPATIAL else TEMPORAL
        given = tiles[mi] if tiles is not None else None
        mi += 1
        if given is not None:
            groups[-1].append(_VMap(cls, d.dim, given[0].astype(I64), given[1].astype(I64)))
            continue
        groups[-1].append(_VMap(cls, d.dim, _resolve(d.size, full, n), _resolve(d.offset, full, n)))
    couple_in, couple_w, _ = problems[0].couplings()
    input_vars = sorted({v for v in (*couple_in, *couple_w) if v in full})
    levels: list[_VLevel] = []
    dims = full
    prev: list[_VMap] | None = None
    for li, group in enumerate(groups):
        maps = [_VMap(m.cls, m.var, m.size.copy(), m.ofs.copy()) for m in group]
        vars_ = {m.var for m in maps}
        for out, inp, kern in (("X'", "X", "S"), ("Y'", "Y", "R")):
            if out in vars_ and inp not in vars_:
                km = next((m for m in maps if m.var == kern), None)
                k = km.size if km is not None else dims.get(kern, np.ones(n, dtype=I64))
                for m in maps:
                    if m.var == out:
                        m.var = inp
                        m.size = m.size + k - 1
        if prev is not None:
            present = {m.var for m in maps}
            for up in prev:
                if up.var not in present:
                    maps.insert(0, _VMap(TEMPORAL, up.var, up.size.copy(), up.ofs.copy()))
                    present.add(up.var)
        present = {m.var for m in maps}
        for v in input_vars:
            if v not in present and v in dims:
                maps.append(_VMap(TEMPORAL, v, dims[v].copy(), dims[v].copy()))
        is_top = li == 0
        for m in maps:
            if m.var not in ("Y", "X"):
                continue
            s = sy if m.var == "Y" else sx
            k = full[SLIDING[m.var]]
            hit = (s != 1) & (m.size >= k)
            if not hit.any():
                continue
            out = (m.size + s - k) // s
            size = out * np.minimum(s, k) + np.maximum(k - s, 0)
            ofs = out * s
            if not is_top:
                ofs = np.where(k < s, out * k, ofs)
            m.size = np.where(hit, size, m.size)
            m.ofs = np.where(hit, ofs, m.ofs)
        ref = ref_levels[li]
        assert [(m.cls, m.var) for m in maps] == [(m.cls, m.var) for m in ref.maps]
        if li == 0:
            uppermost = np.ones(n, dtype=I64)
            for c in clamped:
                uppermost = uppermost * c
            units = np.maximum(hw.n_pes // uppermost, 1)
        else:
            units = clamped[li - 1]
        lvl = _VLevel(maps=maps, dims=dims, n_units=units)
        lvl.index = dict(ref.index)
        lvl.sp_idx = ref.sp_idx
        if (compiled := _kernel_for(len(maps))) is not None:
            _static_compiled(compiled, lvl)
        else:
            _static(lvl)
        levels.append(lvl)
        lower: dict[str, Arr] = {}
        for v in [*input_vars, *(m.var for m in maps if m.var in full and m.var not in input_vars)]:
            if v not in dims or v in lower:
                continue
            m = maps[lvl.index[v]]
            lower[v] = np.minimum(m.size, dims[v])
        dims = lower
        prev = maps
    return levels


def _static(lvl: _VLevel) -> None:
    sp = lvl.maps[lvl.sp_idx]
    sz = lvl.dims[sp.var]
    cs = lvl.n_units
    full_cov = sp.ofs * (cs - 1) + sp.size
    steady = _tdiv(_tdiv(sz - sp.size, sp.ofs) + 1, cs) - 1
    remaining = sz - (steady + 1) * sp.ofs * cs
    ec_a = np.where(remaining < sp.size, 1, _tdiv(remaining - sp.size, sp.ofs) + 1)
    ec_b = _tdiv(sz - sp.size, sp.ofs) + 1
    ec_b = np.where(sp.ofs * (ec_b - 1) + sp.size < sz, ec_b + 1, ec_b)
    ec = np.where(sz > full_cov, ec_a, np.where(sz > sp.size, ec_b, 1))
    lvl.n_edge = np.where(sz <= sp.size, 1, ec).astype(I64)
    for m in lvl.maps:
        d = lvl.dims[m.var]
        steady_n = np.maximum(_tdiv(d - m.size, m.ofs), 0)
        has_edge = (steady_n * m.ofs + m.size < d) | (m.size > d)
        lvl.mapped[m.var] = m.size
        uniq = np.minimum(m.size, m.ofs)
        if m.cls == TEMPORAL:
            uniq = np.where(d <= m.size, 0, uniq)
        lvl.unique[m.var] = uniq
        em = d - (steady_n + 1) * m.ofs
        em = np.where(em < 0, d, em)
        lvl.mapped_e[m.var] = np.where(has_edge, em, m.size)
        lvl.unique_e[m.var] = np.maximum(m.ofs - (m.size - em), 0)
    for m in lvl.maps:
        if m.var in OUT_OF:
            o, k = OUT_OF[m.var], SLIDING[m.var]
            zero = np.zeros_like(m.size)
            lvl.mapped[o] = lvl.mapped[m.var] - lvl.mapped.get(k, zero) + 1
            lvl.unique[o] = np.minimum(m.ofs, m.size)
            lvl.mapped_e[o] = lvl.mapped_e[m.var] - lvl.mapped_e.get(k, zero) + 1
            lvl.unique_e[o] = np.minimum(m.ofs, lvl.mapped_e[o])


def _static_compiled(kern: ModuleType, lvl: _VLevel) -> None:
    """:func:`_static` with the compiled kernel, into one row-major table (``lvl.tab``)."""
    maps = lvl.maps
    n = lvl.n_units.shape[0]
    index = lvl.index
    out_keys = {OUT_OF[m.var]: m.var for m in maps if m.var in OUT_OF}
    keys = sorted([*index, *out_keys])
    kix = {k: i for i, k in enumerate(keys)}
    key_map = np.empty(len(keys), dtype=I64)
    key_ref = np.full(len(keys), -1, dtype=I64)
    key_slide = np.full(len(keys), -1, dtype=I64)
    for q, k in enumerate(keys):
        ref = out_keys.get(k)
        if ref is None:
            key_map[q] = index[k]
            continue
        key_map[q] = index[ref]
        key_ref[q] = kix[ref]
        key_slide[q] = kix.get(SLIDING[ref], -1)
    size = np.empty((len(maps), n), dtype=I64)
    ofs = np.empty((len(maps), n), dtype=I64)
    d = np.empty((len(maps), n), dtype=I64)
    for i, m in enumerate(maps):
        size[i], ofs[i], d[i] = m.size, m.ofs, lvl.dims[m.var]
    tab = np.empty((n, 4, len(keys)), dtype=I64)
    lvl.n_edge = np.empty(n, dtype=I64)
    kern.level_tables(
        size,
        ofs,
        d,
        np.array([m.cls for m in maps], dtype=I64),
        np.ascontiguousarray(lvl.n_units, dtype=I64),
        lvl.sp_idx,
        key_map,
        key_ref,
        key_slide,
        tab,
        lvl.n_edge,
    )
    lvl.tab, lvl.keys = tab, keys
    for a, table in enumerate((lvl.mapped, lvl.mapped_e, lvl.unique, lvl.unique_e)):
        for q, k in enumerate(keys):
            table[k] = tab[:, a, q]


class _Rows(dict[str, Arr]):
    """A level table (dimension -> per-problem array) gathered at ``rows`` on first use of
    each dimension (a chunk reads only some of them)."""

    def __init__(self, table: dict[str, Arr], rows: Arr) -> None:
        super().__init__()
        self._table = table
        self._rows = rows

    def __missing__(self, key: str) -> Arr:
        v: Arr = self._table[key][self._rows]
        self[key] = v
        return v


@dataclass
class _G:
    """Static level tables gathered for the rows of one call."""

    mapped: dict[str, Arr]
    mapped_e: dict[str, Arr]
    unique: dict[str, Arr]
    unique_e: dict[str, Arr]
    nec: Arr
    ns: Arr  # units of the level


@dataclass
class _St:
    """The states of every map for a chunk of occurring (row, case) pairs (every array has one
    entry per pair): ``pos[i]`` is the position of map ``i``, ``edge``/``unrolled``/``spee`` its
    flags, ``changing`` the innermost non-Init map (``-1``: every map at its first step)."""

    pos: list[Arr]
    edge: list[Arr]
    unrolled: list[Arr]
    spee: list[Arr]
    changing: Arr
    false: Arr
    true: Arr
    #: per map: it has only its Init state in this level (every pair has it at Init, and it is
    #: never the changing map), so the Init branch of a per-position choice is the value
    single: list[bool] = field(default_factory=list)
    memo: dict[tuple[object, ...], Arr] = field(default_factory=dict)


@dataclass(frozen=True)
class _KStatic:
    """The structure of a level as arrays, for :mod:`mcmsched.cost.level_kernel`."""

    tab: Arr  # [rows, 4 (mapped, mapped_e, unique, unique_e), keys]
    cls: Arr  # [maps] TEMPORAL / SPATIAL
    vkey: Arr  # [maps] table key of the map's dimension
    incpl: Arr  # [2 (input, weight), maps] the map's dimension is coupled to the tensor
    ox: Arr  # per output-coupled dimension with a map: the map,
    oa: Arr  # the key of its output form (Y', X') or itself,
    ov: Arr  # the key of the dimension itself
    sp_last: Arr  # [3 tensors] the last spatial map coupled to it, in coupling order (-1: none)
    sub_src: Arr  # the maps in the order of their dimension names (the sub-cluster dims)
    o_sp: Arr  # the spatial entries of ``ox``
    o_sp_map: Arr  # their maps
    r_sp: Arr  # the spatial maps not coupled to the output
    in_sp: Arr  # [2, maps] per input tensor, its coupled spatial maps (first ``n_in_sp``)
    n_in_sp: Arr
    last_sp: int  # the last spatial map (-1: none)
    masks: Arr  # bit sets of maps: spatial coupled to output, input, weight; spatial; coupled
    # to input, weight
    tr_l: Arr  # temporal maps not coupled to the output
    tt_l: Arr  # [2, maps] per input tensor, its coupled temporal maps (first ``n_tt``)
    n_tt: Arr


class _VAnalyser:
    def __init__(
        self, levels: list[_VLevel], problem: Problem, hw: Hardware, stats: bool = True
    ) -> None:
        self.levels = levels
        self.couple = problem.couplings()
        self.hw = hw
        self.stats = stats
        self._kstatic: dict[int, _KStatic] = {}

    def _kernel_static(self, li: int) -> _KStatic:
        hit = self._kstatic.get(li)
        if hit is not None:
            return hit
        lvl = self.levels[li]
        assert lvl.tab is not None  # built by _static_compiled
        tab, keys = lvl.tab, lvl.keys
        kix = {k: i for i, k in enumerate(keys)}
        maps = lvl.maps
        n_maps = len(maps)
        cpl = self.couple
        ox, oa, ov = [], [], []
        for v in cpl[OUTPUT]:
            ix = lvl.index.get(v)
            if ix is None:
                continue
            ox.append(ix)
            oa.append(kix[OUT_OF.get(v, v)])
            ov.append(kix[v])
        sp_bits = [0, 0, 0]  # per tensor, its spatial maps as bits
        sp_last = np.full(3, -1, dtype=I64)
        for t in (INPUT, WEIGHT, OUTPUT):
            for v in cpl[t]:
                i = lvl.index.get(v)
                if i is None or maps[i].cls != SPATIAL:
                    continue
                sp_bits[t] |= 1 << i
                sp_last[t] = i
        sub_src = np.array([lvl.index[k] for k in sorted(lvl.index)], dtype=I64)
        spatial = [i for i, m in enumerate(maps) if m.cls == SPATIAL]
        in_sp = np.zeros((2, n_maps), dtype=I64)
        n_in_sp = np.zeros(2, dtype=I64)
        tt_l = np.zeros((2, n_maps), dtype=I64)
        n_tt = np.zeros(2, dtype=I64)
        for t in (INPUT, WEIGHT):
            mine = [i for i in spatial if maps[i].var in cpl[t]]
            in_sp[t, : len(mine)] = mine
            n_in_sp[t] = len(mine)
            temporal = [i for i, m in enumerate(maps) if m.cls == TEMPORAL and m.var in cpl[t]]
            tt_l[t, : len(temporal)] = temporal
            n_tt[t] = len(temporal)
        ks = _KStatic(
            tab=tab,
            cls=np.array([m.cls for m in maps], dtype=I64),
            vkey=np.array([kix[m.var] for m in maps], dtype=I64),
            incpl=np.array([[m.var in cpl[t] for m in maps] for t in (INPUT, WEIGHT)]),
            ox=np.array(ox, dtype=I64),
            oa=np.array(oa, dtype=I64),
            ov=np.array(ov, dtype=I64),
            sp_last=sp_last,
            sub_src=sub_src,
            o_sp=np.array([q for q, ix in enumerate(ox) if maps[ix].cls == SPATIAL], dtype=I64),
            o_sp_map=np.array([ix for ix in ox if maps[ix].cls == SPATIAL], dtype=I64),
            r_sp=np.array([i for i in spatial if maps[i].var not in cpl[OUTPUT]], dtype=I64),
            in_sp=in_sp,
            n_in_sp=n_in_sp,
            last_sp=spatial[-1] if spatial else -1,
            masks=np.array(
                [sp_bits[OUTPUT], sp_bits[INPUT], sp_bits[WEIGHT], sum(1 << i for i in spatial)]
                + [
                    sum(1 << i for i, m in enumerate(maps) if m.var in cpl[t])
                    for t in (INPUT, WEIGHT)
                ],
                dtype=I64,
            ),
            tr_l=np.array(
                [i for i, m in enumerate(maps) if m.cls == TEMPORAL and m.var not in cpl[OUTPUT]],
                dtype=I64,
            ),
            tt_l=tt_l,
            n_tt=n_tt,
        )
        self._kstatic[li] = ks
        return ks

    # -- per-unit volumes --------------------------------------------------------------------
    def _pe_mapped(self, li: int, g: _G, st: _St, t: int, first: bool, spee: Arr, idx: Arr) -> Arr:
        """Per-unit mapped volume of tensor ``t`` at the pairs ``idx`` (those whose maps are
        all at Init, the only pairs that use it)."""
        lvl = self.levels[li]
        cpl = self.couple[t]
        key = ("mT", t)
        ret = st.memo.get(key)
        if ret is None:  # temporal factors: the same for every unit of a case
            ret = np.ones(idx.shape[0], dtype=I64)
            for i, m in enumerate(lvl.maps):
                if m.var in cpl and m.cls == TEMPORAL:
                    e = st.edge[i][idx]
                    ret = ret * np.where(e, g.mapped_e[m.var][idx], g.mapped[m.var][idx])
            st.memo[key] = ret
        sp = spee[idx]
        nec1 = g.nec[idx] == 1
        for i, m in enumerate(lvl.maps):
            if m.var not in cpl or m.cls == TEMPORAL:
                continue
            me, mm = g.mapped_e[m.var][idx], g.mapped[m.var][idx]
            f_edge = np.where(nec1, np.where(first | sp, me, 1), np.where(sp, me, mm))
            ret = ret * np.where(st.edge[i][idx], f_edge, mm)
        return ret

    def _pe_ingress(self, li: int, g: _G, st: _St, t: int, first: bool, spee: Arr) -> Arr:
        key = ("i", t, first, spee.tobytes())
        hit = st.memo.get(key)
        if hit is None:
            hit = self._pe_ingress_raw(li, g, st, t, first, spee)
            st.memo[key] = hit
        return hit

    def _ingress_case_terms(self, li: int, g: _G, st: _St, t: int) -> tuple[Arr, Arr, Arr]:
        """(tensor changes per case ``[K]``, ``inited`` ``[K, n]``, temporal factors ``[K, n]``)
        of the ingress volume: the same for every unit of a case."""
        key = ("iT", t)
        hit = st.memo.get(key)
        if hit is not None:
            return st.memo[("itc", t)], st.memo[("inited", t)], hit
        lvl = self.levels[li]
        cpl = self.couple[t]
        ch = st.changing
        # tensor changes: every map at Init (``ch = -1``, the last entry) or a coupled map moves
        tc = np.array([m.var in cpl for m in lvl.maps] + [True], dtype=bool)[ch]
        inited = st.false
        for i, m in enumerate(lvl.maps):
            if m.var in cpl:
                cond = (ch < i) & (st.pos[i] == INIT)
                if cond.any():
                    inited = inited | (cond & ~st.unrolled[i])
        ret = st.true.astype(I64)
        for i, m in enumerate(lvl.maps):
            v = m.var
            if v not in cpl or m.cls != TEMPORAL:
                continue
            mm, me = g.mapped[v], g.mapped_e[v]
            at_init = np.where(st.edge[i], me, mm)
            if st.single[i]:
                ret = ret * at_init
                continue
            is_init = st.pos[i] == INIT
            is_ch = ch == i
            other = np.where(is_ch, np.where(inited, mm, np.maximum(g.unique[v], 1)), mm)
            ret = ret * np.where(is_init, at_init, other)
        st.memo[("itc", t)] = tc
        st.memo[("inited", t)] = inited
        st.memo[key] = ret
        return tc, inited, ret

    def _pe_ingress_raw(self, li: int, g: _G, st: _St, t: int, first: bool, spee: Arr) -> Arr:
        lvl = self.levels[li]
        cpl = self.couple[t]
        ch = st.changing
        tc, inited, ret = self._ingress_case_terms(li, g, st, t)
        for i, m in enumerate(lvl.maps):
            v = m.var
            if v not in cpl or m.cls == TEMPORAL:
                continue
            mm, me = g.mapped[v], g.mapped_e[v]
            full = np.where(spee, me, mm)
            uniq = np.where(spee, g.unique_e[v], g.unique[v])
            f_init = full if first else np.where(ch >= i, full, uniq)
            if st.single[i]:
                ret = ret * f_init
                continue
            is_init = st.pos[i] == INIT
            f_other = full if first else np.where(ch == i, np.where(inited, full, uniq), full)
            ret = ret * np.where(is_init, f_init, f_other)
        ret = np.where(tc, ret, 0)
        idx = st.memo.get(("all_init",))
        if idx is None:
            idx = np.flatnonzero(ch < 0)
            st.memo[("all_init",)] = idx
        if idx.size:
            ret[idx] = self._pe_mapped(li, g, st, t, first, spee, idx)
        return ret

    def _pe_egress(
        self, li: int, g: _G, st: _St, psum: bool, first: bool, spee: Arr, reuse: bool = True
    ) -> Arr:
        sk = spee.tobytes()
        key = ("e", psum, first, reuse, sk)
        hit = st.memo.get(key)
        if hit is None:
            okey = ("o", first, reuse, sk)
            outp = st.memo.get(okey)
            if outp is None:
                outp = self._pe_egress_raw(li, g, st, False, first, spee, reuse)
                st.memo[okey] = outp
            hit = (
                outp * self._pe_egress_raw(li, g, st, True, first, spee, reuse, False)
                if psum
                else outp
            )
            st.memo[key] = hit
        return hit

    def _egress_temporal(self, li: int, g: _G, st: _St, reduced: bool) -> Arr:
        """Product of the temporal factors of the reduced (``reduced``) or the output-coupled
        dimensions: the same for every unit of a case."""
        key = ("eT", reduced)
        ret = st.memo.get(key)
        if ret is not None:
            return ret
        lvl = self.levels[li]
        cpl = self.couple[OUTPUT]
        ret = st.true.astype(I64)
        if reduced:
            for i, m in enumerate(lvl.maps):
                if m.var not in cpl and m.cls == TEMPORAL:
                    ret = ret * np.where(st.edge[i], g.mapped_e[m.var], g.mapped[m.var])
        else:
            for v in cpl:
                ix = lvl.index.get(v)
                if ix is None or lvl.maps[ix].cls != TEMPORAL:
                    continue
                a = OUT_OF.get(v, v)
                init_f = np.where(st.edge[ix], g.mapped_e[a], g.mapped[a])
                if st.single[ix]:
                    ret = ret * init_f
                    continue
                pos = st.pos[ix]
                other = np.where(pos == STEADY, g.mapped[a], g.mapped_e[a])
                ret = ret * np.where(pos == INIT, init_f, other)
        st.memo[key] = ret
        return ret

    def _pe_egress_raw(
        self,
        li: int,
        g: _G,
        st: _St,
        psum: bool,
        first: bool,
        spee: Arr,
        reuse: bool = True,
        out_part: bool = True,
    ) -> Arr:
        """Per-unit egress volume: the output-coupled factors (``out_part``) and, with ``psum``,
        the factors of the reduced (not output-coupled) dimensions."""
        lvl = self.levels[li]
        cpl = self.couple[OUTPUT]
        nec1 = g.nec == 1
        ret: Arr = st.true.astype(I64)
        if psum:
            ret = self._egress_temporal(li, g, st, True)
            for i, m in enumerate(lvl.maps):
                v = m.var
                if v in cpl or m.cls == TEMPORAL:
                    continue
                mm, me, u = g.mapped[v], g.mapped_e[v], g.unique[v]
                e = st.edge[i]
                pos = st.pos[i]
                base = mm if first else _nz(u)
                f_init = np.where(e & spee, me, base)
                if st.single[i]:
                    ret = ret * f_init
                    continue
                f_edge = np.where(
                    nec1, np.where(first | spee, me, 1), np.where(spee, g.unique_e[v], base)
                )
                f_other = np.where(pos == STEADY, base, f_edge)
                ret = ret * np.where(pos == INIT, f_init, f_other)
        if not out_part:
            return ret
        ret = ret * self._egress_temporal(li, g, st, False)
        for v in cpl:
            ix = lvl.index.get(v)
            if ix is None:
                continue
            m = lvl.maps[ix]
            if m.cls == TEMPORAL:
                continue
            a = OUT_OF.get(v, v)
            mm, me = g.mapped[a], g.mapped_e[a]
            pos = st.pos[ix]
            e = st.edge[ix]
            base = mm if first else _nz(g.unique[a])
            at_edge = np.where(nec1, me, g.unique_e[a] if reuse else me)
            f_init = np.where(e & spee, at_edge, base)
            if st.single[ix]:
                ret = ret * f_init
                continue
            f_edge = np.where(
                nec1,
                np.where(first | spee, g.mapped_e[v], 1),
                np.where(spee, g.unique_e[a], base),
            )
            f_other = np.where(pos == STEADY, base, f_edge)
            ret = ret * np.where(pos == INIT, f_init, f_other)
        return ret

    # -- spatial aggregation -----------------------------------------------------------------
    def _sp_info(self, li: int, st: _St, t: int) -> tuple[bool, Arr, Arr]:
        lvl = self.levels[li]
        mapped = False
        edge = st.false
        spee = st.false
        for v in self.couple[t]:
            i = lvl.index.get(v)
            if i is None or lvl.maps[i].cls != SPATIAL:
                continue
            mapped = True
            spee = st.spee[i]
            edge = edge | st.edge[i]
        return mapped, edge, spee

    def _aggregate(
        self, li: int, g: _G, st: _St, edge: Arr, spee: Arr, vol: Callable[[bool, Arr], Arr]
    ) -> Arr:
        nc = g.ns
        plain: Arr = vol(True, st.false)
        if (nc > 1).any():
            plain = plain + (nc - 1) * vol(False, st.false)
        if not edge.any():
            return plain
        nec = g.nec
        at: Arr = vol(True, (nec == 1) & spee)
        n_spee = spee.astype(I64)
        n_full = np.maximum(nec - n_spee - 1, 0)
        extra = n_full * vol(False, st.false) + n_spee * vol(False, st.true)
        at = at + np.where(nec > 1, extra, 0)
        result: Arr = np.where(edge, at, plain)
        return result

    def _ingress(self, li: int, g: _G, st: _St, t: int) -> Arr:
        mapped, edge, spee = self._sp_info(li, st, t)
        if not mapped:
            return self._pe_ingress(li, g, st, t, True, st.false)
        return self._aggregate(
            li, g, st, edge, spee, lambda f, s: self._pe_ingress(li, g, st, t, f, s)
        )

    def _egress(self, li: int, g: _G, st: _St) -> Arr:
        mapped, edge, spee = self._sp_info(li, st, OUTPUT)
        if not mapped:
            return self._pe_egress(li, g, st, False, True, st.false)
        return self._aggregate(
            li, g, st, edge, spee, lambda f, s: self._pe_egress(li, g, st, False, f, s)
        )

    def _critical_psums(self, li: int, g: _G, st: _St) -> Arr:
        mapped, edge, spee = self._sp_info(li, st, OUTPUT)
        if not mapped:
            return self._pe_egress(li, g, st, True, True, st.false)
        return self._pe_egress(li, g, st, True, True, edge & (g.nec == 1) & spee)

    def _psum_mapping(self, li: int, g: _G, st: _St) -> Arr:
        lvl = self.levels[li]
        edge = st.false
        spee = st.false
        for i, m in enumerate(lvl.maps):
            if m.cls == SPATIAL:
                spee = st.spee[i]
                edge = edge | st.edge[i]
        plain: Arr = g.ns * self._pe_egress(li, g, st, True, True, st.false)
        if not edge.any():
            return plain
        nec = g.nec
        at = self._pe_egress(li, g, st, True, True, (nec == 1) & spee)
        n_spee = spee.astype(I64)
        n_full = np.maximum(nec - n_spee - 1, 0)
        extra = n_full * self._pe_egress(
            li, g, st, True, True, st.false
        ) + n_spee * self._pe_egress(li, g, st, True, False, st.true, False)
        at = at + np.where(nec > 1, extra, 0)
        result: Arr = np.where(edge, at, plain)
        return result

    def _sub_dims(self, li: int, g: _G, st: _St, spee: bool) -> dict[str, Arr]:
        """Sub-cluster sizes of the level's map dimensions per pair (``spee``: for the partial
        last unit)."""
        lvl = self.levels[li]
        out: dict[str, Arr] = {}
        for i, m in enumerate(lvl.maps):
            v = m.var
            mm, me = g.mapped[v], g.mapped_e[v]
            if m.cls == TEMPORAL:
                out[v] = np.where(st.edge[i], me, mm)
                continue
            pos = st.pos[i]
            full = np.where((g.nec == 1) | spee, me, mm)
            f_init = np.where(st.edge[i], full, mm)
            if st.single[i]:
                out[v] = np.broadcast_to(f_init, st.false.shape)
                continue
            f_other = np.where(pos == STEADY, mm, full)
            out[v] = np.broadcast_to(np.where(pos == INIT, f_init, f_other), st.false.shape)
        return out

    def _pairs_numpy(
        self, li: int, pidx: Arr, dims: dict[str, Arr], ns: Arr
    ) -> tuple[int, list[Arr], list[Arr], Arr, Arr, Arr, Arr, Arr, list[Arr], list[bool]]:
        """The iteration states and occurring (row, case) pairs of :meth:`analyse` with numpy:
        (cases, per-map state index of every case, per-map state of every case, changing map of
        every case, pairs' case, row and occurrence, first pair of every row, per-map flags
        ``[states * rows]``, maps with only their Init state)."""
        lvl = self.levels[li]
        n = pidx.shape[0]
        n_maps = len(lvl.maps)
        # iteration states per map, stacked: pos [S], occ/unrolled/edge/spee [S, n]; ``edge`` is
        # the init-edge flag for Init, all False for Steady and all True for Edge
        false = np.zeros(n, dtype=bool)
        true = np.ones(n, dtype=bool)
        one = np.ones(n, dtype=I64)
        stacks: list[tuple[Arr, Arr, Arr, Arr, Arr]] = []
        for m in lvl.maps:
            d = dims[m.var] if m.var in dims else lvl.dims[m.var][pidx]
            size, ofs = m.size[pidx], m.ofs[pidx]
            sts: list[tuple[int, Arr, Arr, Arr, Arr]] = []
            if m.cls == TEMPORAL:
                sts.append((INIT, one, d <= size, d < size, false))
                n_steady = _tdiv(d - size, ofs)
                occ_s = np.where((size < d) & (n_steady > 0), n_steady, 0)
                if occ_s.any():
                    sts.append((STEADY, occ_s, false, false, false))
                occ_e = ((d >= size) & (n_steady * ofs + size < d)).astype(I64)
                if occ_e.any():
                    sts.append((EDGE, occ_e, false, true, false))
            else:
                cov = size + ofs * (ns - 1)
                init_edge = d < cov
                sts.append((INIT, one, d <= cov, init_edge, init_edge))
                n_steady = _tdiv(_tdiv(d - size, ofs) + 1, ns) - 1
                has_edge = (
                    ~(d <= cov)
                    & ((n_steady + 1) * (ofs * ns) + cov > d)
                    & (n_steady * (ofs * ns) + cov != d)
                )
                occ_s = np.where((cov < d) & (n_steady > 0), n_steady, 0)
                if occ_s.any():
                    sts.append((STEADY, occ_s, false, false, false))
                remaining = d - (n_steady + 1) * ofs * ns
                active = np.where(remaining < size, 1, _tdiv(remaining - size, ofs) + 1)
                spee = (active - 1) * ofs + size < remaining
                occ_e = (~init_edge & has_edge).astype(I64)
                if occ_e.any():
                    sts.append((EDGE, occ_e, false, true, spee))
            stacks.append(
                (
                    np.array([x[0] for x in sts], dtype=I64),
                    np.stack([x[1] for x in sts]),
                    np.stack([x[2] for x in sts]),
                    np.stack([x[3] for x in sts]),
                    np.stack([x[4] for x in sts]),
                )
            )
        # every combination of states (first: all at Init), as per-map state indices [C]
        grids = np.meshgrid(*[np.arange(x[0].shape[0]) for x in stacks], indexing="ij")
        sidx = [gr.reshape(-1) for gr in grids]
        n_cases = sidx[0].shape[0] if sidx else 1
        pos_c = [stacks[j][0][sidx[j]] for j in range(n_maps)]
        changing_c = np.full(n_cases, -1, dtype=I64)
        for j in range(n_maps):
            changing_c = np.where(pos_c[j] != INIT, j, changing_c)
        # [n, C]: the product of every map's occurrences, cases in the meshgrid's order (the
        # last map's state varies fastest)
        occ_nd = stacks[0][1].T.reshape((n, -1) + (1,) * (n_maps - 1))
        for j in range(1, n_maps):
            shape = [n] + [1] * n_maps
            shape[j + 1] = -1
            occ_nd = occ_nd * stacks[j][1].T.reshape(shape)
        occ_full = np.ascontiguousarray(occ_nd).reshape(n, n_cases)
        # the occurring (row, case) pairs, row-major: case 0 (all Init, occurrence 1) opens the
        # segment of every row
        flat = np.flatnonzero(occ_full)
        ri = flat // n_cases
        ci = flat - ri * n_cases
        starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
        occ_p = occ_full.ravel()[flat]
        # per map, the init-edge / unrolled / partial-last-unit flags of each (state, row) as
        # one byte, gathered once per pair
        flags = [
            (
                stacks[j][3].astype(np.uint8)
                | (stacks[j][2].astype(np.uint8) << 1)
                | (stacks[j][4].astype(np.uint8) << 2)
            ).ravel()
            for j in range(n_maps)
        ]
        single = [x[0].shape[0] == 1 for x in stacks]
        return n_cases, sidx, pos_c, changing_c, ci, ri, occ_p, starts, flags, single

    def _pairs_compiled(
        self, kern: ModuleType, li: int, pidx: Arr, dims: dict[str, Arr], ns: Arr
    ) -> tuple[int, list[Arr], list[Arr], Arr, Arr, Arr, Arr, Arr, Arr, list[bool]]:
        """:meth:`_pairs_numpy` with the compiled kernels ``kern``; the flags are one
        ``[rows, maps * 3]`` array indexed by the state itself (Init 0, Steady 1, Edge 2)."""
        lvl = self.levels[li]
        n = pidx.shape[0]
        maps = lvl.maps
        n_maps = len(maps)
        d = np.empty((n_maps, n), dtype=I64)
        size = np.empty((n_maps, n), dtype=I64)
        ofs = np.empty((n_maps, n), dtype=I64)
        for j, m in enumerate(maps):
            d[j] = dims[m.var] if m.var in dims else lvl.dims[m.var][pidx]
            size[j] = m.size[pidx]
            ofs[j] = m.ofs[pidx]
        occ = np.empty((n, n_maps, 3), dtype=I64)
        flags = np.empty((n, 3 * n_maps), dtype=np.uint8)
        kern.level_states(d, size, ofs, ns, np.array([m.cls for m in maps], dtype=I64), occ, flags)
        # the states that occur in some row, per map (Init always does)
        present: Arr = np.asarray(occ.any(axis=0))
        present[:, 0] = True
        lists = [np.flatnonzero(present[j]) for j in range(n_maps)]
        states = np.zeros((n_maps, 3), dtype=I64)
        n_states = np.array([x.shape[0] for x in lists], dtype=I64)
        for j, x in enumerate(lists):
            states[j, : x.shape[0]] = x
        grids = np.meshgrid(*[np.arange(x.shape[0]) for x in lists], indexing="ij")
        sidx = [gr.reshape(-1) for gr in grids]
        n_cases = sidx[0].shape[0] if sidx else 1
        pos_c = [lists[j][sidx[j]] for j in range(n_maps)]
        changing_c = np.full(n_cases, -1, dtype=I64)
        for j in range(n_maps):
            changing_c = np.where(pos_c[j] != INIT, j, changing_c)
        counts = np.empty(n, dtype=I64)
        kern.level_pair_counts(occ, states, n_states, counts)
        total = int(counts.sum())
        ci = np.empty(total, dtype=I64)
        ri = np.empty(total, dtype=I64)
        occ_p = np.empty(total, dtype=I64)
        starts = np.empty(n, dtype=I64)
        n_pairs = kern.level_pairs(
            occ,
            states,
            n_states,
            starts,
            ci,
            ri,
            occ_p,
            np.empty((6, n_maps + 1), dtype=I64),
            np.empty((n_maps, 3), dtype=I64),
        )
        single = [x.shape[0] == 1 for x in lists]
        return (
            n_cases,
            sidx,
            pos_c,
            changing_c,
            ci[:n_pairs],
            ri[:n_pairs],
            occ_p[:n_pairs],
            starts,
            flags,
            single,
        )

    def _pair_volumes_numpy(
        self,
        li: int,
        n: int,
        ci: Arr,
        ri: Arr,
        prow: Arr,
        sidx: list[Arr],
        pos_c: list[Arr],
        changing_c: Arr,
        flags: list[Arr],
        single: list[bool],
        top: bool,
        eg_m: Arr,
        ps_m: Arr,
        np_m: Arr,
        in_m: Arr,
        edge_sp_m: Arr,
        spee_sp_m: Arr,
        sub_keys: list[str],
        m_false: Arr,
        m_true: Arr,
    ) -> None:
        """The per-pair volumes of :meth:`analyse`, written into the ``*_m`` arrays, and the
        sub-cluster dimensions ``sub_keys`` into ``m_false``/``m_true`` (without and with the
        partial last unit; none at the last level), with numpy over chunks of pairs: the
        reference for :mod:`mcmsched.cost.level_kernel`."""
        lvl = self.levels[li]
        n_maps = len(lvl.maps)
        n_pairs = ci.shape[0]
        for p0 in range(0, n_pairs, _CHUNK):
            p1 = min(n_pairs, p0 + _CHUNK)
            k = p1 - p0
            c, r = ci[p0:p1], ri[p0:p1]
            fl = [np.take(flags[j], sidx[j][c] * n + r) for j in range(n_maps)]
            st = _St(
                [pos_c[j][c] for j in range(n_maps)],
                [(f & 1) > 0 for f in fl],
                [(f & 2) > 0 for f in fl],
                [(f & 4) > 0 for f in fl],
                changing_c[c],
                np.zeros(k, dtype=bool),
                np.ones(k, dtype=bool),
                single,
            )
            rows = prow[p0:p1]
            g = _G(
                _Rows(lvl.mapped, rows),
                _Rows(lvl.mapped_e, rows),
                _Rows(lvl.unique, rows),
                _Rows(lvl.unique_e, rows),
                lvl.n_edge[rows],
                lvl.n_units[rows],
            )
            eg_m[p0:p1] = self._egress(li, g, st)
            if top:  # the L1 counts (the only use) are reported for the top level only
                ps_m[p0:p1] = self._psum_mapping(li, g, st)
            np_m[p0:p1] = self._critical_psums(li, g, st)
            for t in (INPUT, WEIGHT):
                in_m[t, p0:p1] = self._ingress(li, g, st, t)
            edge_sp = st.edge[lvl.sp_idx]
            edge_sp_m[p0:p1] = edge_sp
            spee_sp_m[p0:p1] = st.spee[lvl.sp_idx]
            if sub_keys:
                d_false = self._sub_dims(li, g, st, False)
                for q, x in enumerate(sub_keys):
                    m_false[q, p0:p1] = d_false[x]
                if (edge_sp & st.spee[lvl.sp_idx]).any():
                    d_true = self._sub_dims(li, g, st, True)
                    for q, x in enumerate(sub_keys):
                        m_true[q, p0:p1] = d_true[x]
                else:
                    m_true[:, p0:p1] = m_false[:, p0:p1]

    # -- the level ---------------------------------------------------------------------------
    def analyse(self, li: int, pidx: Arr, dims: dict[str, Arr], top: bool) -> dict[str, Arr]:
        """One cluster level for the rows ``pidx`` (problem indices; ``dims``: the level's
        dimension sizes per row). Every combination of map states (a *case*) is a candidate
        step; only the (row, case) pairs whose occurrence count is non-zero are analysed, as
        flat arrays over the pairs (rows in order, each row's cases in order, the all-Init case
        first), and the per-row totals are segment reductions over them."""
        lvl = self.levels[li]
        hw = self.hw
        n = pidx.shape[0]
        last = li == len(self.levels) - 1
        ns = lvl.n_units[pidx]
        n_maps = len(lvl.maps)
        kern = _kernel_for(n_maps)
        if kern is not None:
            n_cases, sidx, pos_c, changing_c, ci, ri, occ_p, starts, flags3, single = (
                self._pairs_compiled(kern, li, pidx, dims, ns)
            )
        else:
            n_cases, sidx, pos_c, changing_c, ci, ri, occ_p, starts, flags, single = (
                self._pairs_numpy(li, pidx, dims, ns)
            )
        n_pairs = ri.shape[0]
        prow = pidx[ri]
        eg_m = np.empty(n_pairs, dtype=I64)
        ps_m = np.empty(n_pairs, dtype=I64)
        np_m = np.empty(n_pairs, dtype=I64)
        in_m = np.empty((2, n_pairs), dtype=I64)
        edge_sp_m = np.empty(n_pairs, dtype=bool)
        spee_sp_m = np.empty(n_pairs, dtype=bool)
        # sub-cluster dimensions of the level's maps per pair, without and with the partial
        # last unit (the output dimensions Y', X' follow from them after deduplication)
        sub_keys = sorted({m.var for m in lvl.maps}) if not last else []
        m_false = np.empty((len(sub_keys), n_pairs), dtype=I64)
        m_true = np.empty((len(sub_keys), n_pairs), dtype=I64)
        if kern is not None:
            ks = self._kernel_static(li)
            kern.pair_volumes(
                ci,
                ri,
                prow,
                np.stack(pos_c),
                changing_c,
                flags3,
                ks.tab,
                lvl.n_edge,
                lvl.n_units,
                ks.cls,
                ks.vkey,
                np.array(single),
                ks.incpl,
                ks.ox,
                ks.oa,
                ks.ov,
                ks.sp_last,
                lvl.sp_idx,
                ks.sub_src,
                top,
                eg_m,
                ps_m,
                np_m,
                in_m,
                edge_sp_m,
                spee_sp_m,
                m_false,
                m_true,
                ks.o_sp,
                ks.o_sp_map,
                ks.r_sp,
                ks.in_sp,
                ks.n_in_sp,
                ks.last_sp,
                ks.masks,
                ks.tr_l,
                ks.tt_l,
                ks.n_tt,
                np.empty((5, n_maps), dtype=I64),
                np.empty((3, n_maps), dtype=bool),
                np.empty((5, max(ks.ox.shape[0], 1)), dtype=I64),
                np.empty((3, 8), dtype=I64),
            )
        else:
            self._pair_volumes_numpy(
                li,
                n,
                ci,
                ri,
                prow,
                sidx,
                pos_c,
                changing_c,
                flags,
                single,
                top,
                eg_m,
                ps_m,
                np_m,
                in_m,
                edge_sp_m,
                spee_sp_m,
                sub_keys,
                m_false,
                m_true,
            )
        nec_p = lvl.n_edge[prow]
        ns_p = lvl.n_units[prow]
        act_m = np.where(edge_sp_m, nec_p, ns_p)
        all_init = changing_c[ci] < 0
        out: dict[str, Arr] = {}
        l2r = np.zeros((3, n), dtype=I64)
        l2w = np.zeros((3, n), dtype=I64)
        l1r = np.zeros((3, n), dtype=I64)
        l1w = np.zeros((3, n), dtype=I64)
        l2s = np.zeros((3, n), dtype=I64)
        if top:
            for t in (INPUT, WEIGHT):
                l2s[t] = 2 * in_m[t][starts]
                size = np.ones(n, dtype=I64)
                for v in self.couple[t]:
                    size = size * dims[v]
                l2w[t] = size
            size = np.ones(n, dtype=I64)
            for v in self.couple[OUTPUT]:
                size = size * (dims[v] - dims[SLIDING[v]] + 1 if v in SLIDING else dims[v])
            l2s[OUTPUT] = 2 * eg_m[starts]
            l2r[OUTPUT] = size
        valid_m = (np_m > 0) & (occ_p > 0)
        vocc = np.where(valid_m, occ_p, 0)
        if last:
            comp = -(-np_m // hw.simd_lanes)
            act = act_m.astype(float)
        else:
            comp = np.zeros(n_pairs, dtype=I64)
            act_sub = np.zeros(n_pairs, dtype=float)
            a_sel = valid_m & edge_sp_m & spee_sp_m
            groups = (
                (a_sel, True, np.ones(n_pairs, dtype=I64)),
                (a_sel & (nec_p > 1), False, nec_p - 1),
                (valid_m & edge_sp_m & ~spee_sp_m, False, nec_p),
                (valid_m & ~edge_sp_m, False, ns_p),
            )
            ps_l, tr_l, wts = [], [], []
            for mask, with_spee, wt in groups:
                pi = np.flatnonzero(mask)
                if pi.size:
                    ps_l.append(pi)
                    tr_l.append(np.full(pi.size, with_spee))
                    wts.append(wt[pi])
            if ps_l:
                pi = np.concatenate(ps_l)
                use_true = np.concatenate(tr_l)
                if kern is not None:
                    rep = np.empty(pi.shape[0], dtype=I64)
                    inv = np.empty(pi.shape[0], dtype=I64)
                    n_u = kern.unique_sub_rows(
                        prow,
                        m_false,
                        m_true,
                        pi,
                        use_true,
                        np.argsort(pi, kind="stable"),
                        np.empty((pi.shape[0], m_false.shape[0]), dtype=I64),
                        rep,
                        inv,
                    )
                    u_pair, u_true = pi[rep[:n_u]], use_true[rep[:n_u]]
                else:
                    u_pair, u_true, inv = _unique_sub_rows(prow, m_false, m_true, pi, use_true)
                u_dims = np.where(u_true, m_true[:, u_pair], m_false[:, u_pair])
                sub_dims = {x: u_dims[i] for i, x in enumerate(sub_keys)}
                for m in lvl.maps:  # output dims (X', Y') from their input and kernel dims
                    if m.var in OUT_OF:
                        k = SLIDING[m.var]
                        ref = sub_dims[m.var]
                        sub_dims[OUT_OF[m.var]] = (
                            ref - sub_dims[k] + 1 if k in sub_dims else ref + 1
                        )
                sub = self.analyse(li + 1, prow[u_pair], sub_dims, False)
                np.maximum.at(comp, pi, sub["runtime"][inv])
                np.add.at(act_sub, pi, sub["avg_active"][inv] * np.concatenate(wts))
            act = np.where(act_sub == 0, act_m, act_sub)
        bw, lat = hw.noc_bw, hw.noc_latency
        if li == 0:
            off_out = l2s[OUTPUT] // hw.offchip_bw // 2
            off_in = (l2s[INPUT] + l2s[WEIGHT]) // hw.offchip_bw // 2
        else:
            off_out = off_in = np.zeros(n, dtype=I64)
        if kern is not None and not (top and self.stats):
            runtime = np.empty(n, dtype=I64)
            total_occ = np.empty(n, dtype=I64)
            active_sum = np.empty(n)
            sums = np.empty((5, n), dtype=I64)
            kern.level_totals(
                starts,
                occ_p,
                np_m,
                all_init,
                comp,
                np.ascontiguousarray(act, dtype=float),
                in_m,
                eg_m,
                ps_m,
                int(lat),
                int(bw),
                li == 0,
                off_in,
                off_out,
                top,
                runtime,
                total_occ,
                active_sum,
                sums,
            )
            if top:
                out["computations"] = sums[0]
                l2w[OUTPUT], l1w[OUTPUT] = sums[1], sums[2]
                l2r[INPUT], l2r[WEIGHT] = sums[3], sums[4]
        else:
            ingress = in_m[0] + in_m[1]
            d_in = np.where(ingress > 0, lat + (-(-ingress // bw)) - 1, lat - 1)
            d_out = np.where(eg_m > 0, lat + (-(-eg_m // bw)) - 1, lat - 1)
            step = np.where(all_init, comp + d_in, np.maximum(np.maximum(d_out, comp), d_in))
            if li == 0:
                step = np.maximum(np.maximum(off_in[ri], step), off_out[ri])
            runtime = np.add.reduceat(vocc * step, starts)
            total_occ = np.add.reduceat(vocc, starts)
            # a float sum: added over the dense [cases, rows] grid (zeros where a case does not
            # occur) so the rounding is that of the dense analysis
            dense = np.zeros((n_cases, n))
            dense.ravel()[ci * n + ri] = act * vocc
            active_sum = dense.sum(axis=0)
            if top:
                out["computations"] = np.add.reduceat(vocc * ps_m, starts)
                l2w[OUTPUT] = np.add.reduceat(occ_p * eg_m, starts)
                l1w[OUTPUT] = np.add.reduceat(occ_p * ps_m, starts)
                for t in (INPUT, WEIGHT):
                    l2r[t] = np.add.reduceat(vocc * in_m[t], starts)
        out["runtime"] = runtime
        out["any_valid"] = total_occ > 0
        safe = np.where(total_occ > 0, total_occ, 1)
        out["avg_active"] = np.where(total_occ > 0, active_sum / safe, 0.0)
        if top:
            l1r[OUTPUT] = l1w[OUTPUT]
            l1r[INPUT] = l1r[WEIGHT] = out["computations"]
            l1w[INPUT] = l2r[INPUT]
            l1w[WEIGHT] = l2r[WEIGHT]
            out["l2_read"], out["l2_write"], out["l1_read"], out["l1_write"] = l2r, l2w, l1r, l1w
            out["l2_size"] = l2s
            if not self.stats:  # delay statistics and off-chip not asked for (the mapper)
                out["delays"] = np.zeros((3, 3, n))
                out["offchip"] = np.zeros(n, dtype=I64)
                return out
            c_eff = np.where(comp != 0, comp, 1)
            none = total_occ == 0
            # a row with a case that does not occur (or an invalid one) counts 0 in the maxima
            floor0 = (np.diff(np.r_[starts, n_pairs]) < n_cases) | ~np.logical_and.reduceat(
                valid_m, starts
            )
            big = np.iinfo(I64).max
            rows_d = []
            for dv in (d_in, d_out, c_eff):
                mn = np.minimum.reduceat(np.where(valid_m, dv, big), starts)
                mx = np.maximum.reduceat(np.where(valid_m, dv, 0), starts)
                mx = np.where(floor0, np.maximum(mx, 0), mx)
                avg = np.trunc(np.add.reduceat(vocc * dv, starts) / safe)
                rows_d.append(np.stack([np.where(none, 0, mn), np.where(none, 0, mx), avg]))
            out["delays"] = np.stack(rows_d)
            req = np.maximum(l2s[OUTPUT][ri] // c_eff, (l2s[INPUT] + l2s[WEIGHT])[ri] // c_eff)
            off = np.maximum.reduceat(np.where(valid_m, req // 2, 0), starts)
            out["offchip"] = np.where(floor0, np.maximum(off, 0), off)
        return out


def analyse_batch(
    problems: list[Problem],
    directives: tuple[Directive, ...],
    hw: Hardware,
    tiles: list[tuple[Arr, Arr] | None] | None = None,
    clusters: list[Arr] | None = None,
    rows: Arr | None = None,
    stats: bool = True,
) -> VResult:
    """Analyse problems that share a structure (:func:`structure_key`) in one vectorised pass.

    ``tiles`` (used by the mapper, :mod:`mcmsched.cost.mapper`): for each map directive of
    ``directives`` in order, ``None`` or per-problem ``(size, offset)`` int arrays that replace
    the directive's written size and offset, so one pass evaluates many candidate tile sizes
    (rows may repeat a problem). ``clusters``: ``None`` or, for each ``Cluster`` directive in
    order, per-row sizes that replace its written size (clamped to the PEs as written sizes
    are); the map order stays that of ``directives``. ``rows``: ``None`` (one row per problem)
    or the problem index of each row, so ``problems`` lists each distinct problem once.
    ``stats=False`` leaves the delay statistics and the off-chip bandwidth requirement at zero
    (nothing that the costs use; the mapper skips them)."""
    levels = _build(problems, directives, hw, tiles, clusters, rows)
    va = _VAnalyser(levels, problems[0], hw, stats)
    p = levels[0].n_units.shape[0]
    pidx = np.arange(p, dtype=I64)
    top = va.analyse(0, pidx, dict(levels[0].dims), True)

    def l1_of(lvl: _VLevel) -> Arr:
        tot = np.zeros(p, dtype=I64)
        for t in (INPUT, WEIGHT, OUTPUT):
            vol = np.ones(p, dtype=I64)
            for v in va.couple[t]:
                if v in lvl.mapped:
                    vol = vol * lvl.mapped[v]
            tot = tot + 2 * vol
        return tot

    # MAESTRO reports the L1 need of the first innermost analysis; without any sub-level
    # analysis (no valid step at the top) it is the top level's own.
    l1 = l1_of(levels[-1])
    if len(levels) > 1:
        l1 = np.where(top["any_valid"], l1, l1_of(levels[0]))
    return VResult(
        runtime=top["runtime"],
        computations=top["computations"],
        l2_read=top["l2_read"],
        l2_write=top["l2_write"],
        l1_read=top["l1_read"],
        l1_write=top["l1_write"],
        l2_size=top["l2_size"],
        l1_size_first_leaf=l1,
        avg_active=top["avg_active"],
        ingress_delay=top["delays"][0],
        egress_delay=top["delays"][1],
        compute_delay=top["delays"][2],
        offchip_bw_req=top["offchip"],
        n_levels=len(levels),
    )
