"""Data-centric analysis of a MAESTRO-style directive list (the core of the per-layer cost model).

This module turns a dataflow (``TemporalMap`` / ``SpatialMap`` / ``Cluster`` directives over the
dimensions ``N K C Y X R S``) and a layer's dimensions into runtime cycles and buffer access counts,
following the analysis that MAESTRO (github maestro-project/maestro, ``cost-model/include``)
performs, re-expressed in our own structure:

1. **Cluster hierarchy.** ``Cluster(n)`` directives split the directive list into levels. Level 0
   (outermost) has ``n_pes // prod(n)`` units, every lower level as many units as the ``Cluster``
   size above it. Output-dimension directives (``Y'``, ``X'``) are converted to input rows/columns
   (tile ``Y' + R - 1``), directives missing at a lower level are inherited from the level above as
   temporal maps, and input dimensions mapped nowhere are appended as full-size temporal maps. A
   convolution stride rescales the ``Y``/``X`` tile and offset (``ApplyOuterStride``). A lower
   level's dimension is ``min(tile, dimension)`` of the level above.
2. **Iteration cases.** Per directive the iterations fall in an *init* step, ``steady`` steps and
   possibly one *edge* step (a partial tile, or fewer active sub-clusters at a spatial edge). Every
   combination of states is one case with an occurrence count (the product of the states').
3. **Per case**: the data each tensor moves over the level's NoC (ingress for input and weight
   tiles, taking the reuse between consecutive steps into account; egress for outputs), the partial
   sums one sub-cluster computes (the compute delay at the innermost level, the runtime of the
   sub-cluster analysis above it), and the delays ``ceil(traffic / noc_bw)``. With double
   buffering a step costs ``max(ingress, compute, egress)`` (the first step ``ingress + compute``);
   at level 0 a step also cannot be shorter than half the time to stream the level-0 tile buffers
   through the off-chip bandwidth.
4. **Counts.** L2 (upstream) reads / writes and L1 (downstream) reads / writes per tensor, the
   buffer sizes needed (double-buffered), the average number of busy PEs.

Every quantity is an element count (not bytes) and every time a cycle count. MAESTRO's integer
arithmetic (C++ truncating division) is kept where it changes results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from math import ceil

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.dataflow import Directive, DirectiveKind, format_size, size_parts

# Directive classes as small ints (hot loops).
TEMPORAL = 0
SPATIAL = 1

# Iteration positions.
INIT = 0
STEADY = 1
EDGE = 2

# Tensor roles.
INPUT = 0
WEIGHT = 1
OUTPUT = 2

OUT_OF = {"Y": "Y'", "X": "X'"}  # reference (input) dim -> output dim
SLIDING = {"Y": "R", "X": "S"}  # reference dim -> sliding (kernel) dim
REFERENCE = {"R": "Y", "S": "X"}


def _tdiv(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


@dataclass(frozen=True, slots=True)
class Problem:
    """What the analysis needs from a layer, in MAESTRO's view.

    ``dims``: dimension sizes (``N K C Y X R S``, and ``G`` for a grouped convolution whose
    directives map ``G``: then ``K`` and ``C`` are per group; ``Y``/``X`` include padding),
    ``strides``: convolution stride of ``Y`` and ``X``, ``depthwise``: MAESTRO's DSCONV tensor
    couplings (every tensor follows ``C``; no ``K``). ``maestro_ngconv_output``: couple ``C``
    to the output of a grouped problem as MAESTRO's NGCONV does (``G K C Y' X'`` outputs; only
    for reproducing MAESTRO's numbers, see :meth:`couplings`).
    """

    dims: tuple[tuple[str, int], ...]
    stride_y: int = 1
    stride_x: int = 1
    depthwise: bool = False
    maestro_ngconv_output: bool = False

    def dim(self, name: str) -> int:
        for k, v in self.dims:
            if k == name:
                return v
        raise KeyError(name)

    def couplings(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """Coupled dimensions of the input, weight and output tensors (output rows/columns are
        written ``Y``/``X`` and read through ``Y'``/``X'``)."""
        grouped = any(k == "G" for k, _ in self.dims)
        if self.depthwise:
            if grouped:  # G = 1 here: a G-mapping dataflow on a depthwise layer
                return ("N", "G", "C", "Y", "X"), ("G", "C", "R", "S"), ("N", "G", "C", "Y", "X")
            return ("N", "C", "Y", "X"), ("C", "R", "S"), ("N", "C", "Y", "X")
        if grouped:
            # MAESTRO NGCONV: G couples every tensor. MAESTRO also couples C to the output
            # (API_user-interface-v2.hpp), which would count G*K*C*Y'*X' outputs; the output of a
            # grouped convolution is G*K*Y'*X' (C is reduced), and that is what we analyse.
            out: tuple[str, ...] = ("N", "G", "K", "Y", "X")
            if self.maestro_ngconv_output:
                out = ("N", "G", "K", "C", "Y", "X")
            return ("N", "G", "C", "Y", "X"), ("G", "K", "C", "R", "S"), out
        return ("N", "C", "Y", "X"), ("K", "C", "R", "S"), ("N", "K", "Y", "X")


@dataclass(slots=True)
class _Map:
    """A resolved directive of one cluster level (mutable while the level is being built)."""

    cls: int
    size: int
    ofs: int
    var: str


@dataclass(slots=True)
class _Level:
    """One cluster level: its directives, its static dimension table and its unit count."""

    maps: list[_Map]
    dims: dict[str, int]
    n_units: int
    n_edge_units: int = 1
    index: dict[str, int] = field(default_factory=dict)
    sp_idx: int = -1


@dataclass(frozen=True, slots=True)
class Hardware:
    """The accelerator parameters the analysis uses: PEs, NoC bandwidth (elements/cycle, every
    level), off-chip bandwidth (elements/cycle), NoC head latency (cycles), SIMD lanes per PE."""

    n_pes: int
    noc_bw: int
    offchip_bw: int
    noc_latency: int = 1
    simd_lanes: int = 1


@dataclass(slots=True)
class LevelResult:
    """Results of analysing one cluster level for one sub-problem (counts are elements)."""

    runtime: int = 0
    computations: int = 0
    l2_read: list[int] = field(default_factory=lambda: [0, 0, 0])
    l2_write: list[int] = field(default_factory=lambda: [0, 0, 0])
    l1_read: list[int] = field(default_factory=lambda: [0, 0, 0])
    l1_write: list[int] = field(default_factory=lambda: [0, 0, 0])
    l2_size: list[int] = field(default_factory=lambda: [0, 0, 0])
    l1_size: list[int] = field(default_factory=lambda: [0, 0, 0])
    avg_active: float = 0.0
    ingress_delay: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # min max avg
    egress_delay: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    compute_delay: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    peak_noc_bw: int = 0
    offchip_bw_req: int = 0


@dataclass(frozen=True, slots=True)
class Analysis:
    """Outcome of :func:`analyse`: the level-0 results, the L1 size needed by the first innermost
    analysis (MAESTRO's ``L1 SRAM Size Req``), the number of cluster levels and the PE count the
    mapping actually uses (``n_pes`` rounded down to a multiple of the cluster sizes)."""

    top: LevelResult
    l1_size_first_leaf: int
    n_levels: int
    n_pes_used: int


# ---------------------------------------------------------------------------------------------
# 1. cluster hierarchy
# ---------------------------------------------------------------------------------------------


def _resolve(v: int | str, dims: dict[str, int]) -> int:
    """The value of a size (an int, ``Sz(D)`` or ``Sz(D)+n``) for the layer's dimensions."""
    if isinstance(v, int):
        return v
    dim, add = size_parts(v)
    if dim not in dims:
        raise MCMSchedError(
            f"Sz({dim}) names a dimension the layer does not have", field="Dataflow"
        )
    out = dims[dim] + add
    if add and out <= 0:
        raise MCMSchedError(
            f"{format_size(v)} is {out} for this layer (sizes must be positive)", field="Dataflow"
        )
    return out


def build_levels(
    problem: Problem, directives: tuple[Directive, ...], hw: Hardware
) -> tuple[list[_Level], int]:
    """Split ``directives`` into cluster levels (outermost first). Returns the levels and the
    number of PEs used."""
    full = dict(problem.dims)
    full["Y'"] = full["Y"] - full["R"] + 1
    full["X'"] = full["X"] - full["S"] + 1
    sizes_for_sz = dict(full)
    groups: list[list[_Map]] = [[]]
    cluster_sizes: list[int] = []
    for d in directives:
        if d.kind is DirectiveKind.CLUSTER:
            cluster_sizes.append(_resolve(d.size, sizes_for_sz))
            groups.append([])
            continue
        cls = SPATIAL if d.kind is DirectiveKind.SPATIAL else TEMPORAL
        groups[-1].append(
            _Map(cls, _resolve(d.size, sizes_for_sz), _resolve(d.offset, sizes_for_sz), d.dim)
        )
    # Defined treatment: cluster sizes whose product exceeds the PE count are clamped level by
    # level (outer first) to the PEs that remain, so a mapping never needs more PEs than exist.
    avail = hw.n_pes
    clamped: list[int] = []
    for c in cluster_sizes:
        c = max(1, min(c, avail))
        clamped.append(c)
        avail = max(1, avail // c)
    uppermost = 1
    for c in clamped:
        uppermost *= c
    n_used = uppermost * (hw.n_pes // uppermost)
    couple_in, couple_w, _ = problem.couplings()
    input_vars = sorted({v for v in (*couple_in, *couple_w) if v in full})

    levels: list[_Level] = []
    dims = full
    prev: list[_Map] | None = None
    last_cluster = n_used
    for li, group in enumerate(groups):
        maps = [_Map(m.cls, m.size, m.ofs, m.var) for m in group]
        _to_input_centric(maps, dims)
        if prev is not None:
            present = {m.var for m in maps}
            for up in prev:
                if up.var not in present:
                    maps.insert(0, _Map(TEMPORAL, up.size, up.ofs, up.var))
                    present.add(up.var)
        present = {m.var for m in maps}
        for v in input_vars:
            if v not in present and v in dims:
                maps.append(_Map(TEMPORAL, dims[v], dims[v], v))
        is_top = li == 0
        _apply_stride(maps, is_top, problem, full)
        n_units = (n_used // uppermost) if is_top else last_cluster
        if li < len(clamped):
            last_cluster = clamped[li]
        lvl = _Level(maps=maps, dims=dims, n_units=max(n_units, 1))
        _analyse_level_static(lvl, li)
        levels.append(lvl)
        lower: dict[str, int] = {}
        for v in [*input_vars, *(m.var for m in maps if m.var in full and m.var not in input_vars)]:
            if v not in dims or v in lower:
                continue
            m = lvl.maps[lvl.index[v]]
            lower[v] = min(m.size, dims[v])
        dims = lower
        prev = maps
    return levels, n_used


def _to_input_centric(maps: list[_Map], dims: dict[str, int]) -> None:
    vars_ = {m.var for m in maps}
    for out, inp, kern in (("X'", "X", "S"), ("Y'", "Y", "R")):
        if out in vars_ and inp not in vars_:
            k = next((m.size for m in maps if m.var == kern), dims.get(kern, 1))
            for m in maps:
                if m.var == out:
                    m.var = inp
                    m.size = m.size + k - 1


def _apply_stride(maps: list[_Map], is_top: bool, problem: Problem, full: dict[str, int]) -> None:
    for m in maps:
        if m.var not in ("Y", "X"):
            continue
        s = problem.stride_y if m.var == "Y" else problem.stride_x
        if s == 1:
            continue
        k = full[SLIDING[m.var]]
        if m.size >= k:
            out = (m.size + s - k) // s
            m.size = out * min(s, k) + max(k - s, 0)
            m.ofs = out * s
            if not is_top and k < s:
                m.ofs = out * k


def _analyse_level_static(lvl: _Level, li: int) -> None:
    spatial = [i for i, m in enumerate(lvl.maps) if m.cls == SPATIAL]
    if not spatial:
        raise MCMSchedError(
            f"cluster level {li} of the dataflow has no SpatialMap", field="Dataflow"
        )
    if len(spatial) > 2:
        raise MCMSchedError(
            f"cluster level {li} of the dataflow has more than two SpatialMaps", field="Dataflow"
        )
    seen: set[str] = set()
    for m in lvl.maps:
        if m.var in seen:
            raise MCMSchedError(
                f"dimension {m.var} is mapped twice in cluster level {li}", field="Dataflow"
            )
        seen.add(m.var)
        if m.var not in lvl.dims:
            raise MCMSchedError(
                f"dataflow maps dimension {m.var}, which this layer does not have",
                field="Dataflow",
            )
    lvl.index = {m.var: i for i, m in enumerate(lvl.maps)}
    lvl.sp_idx = spatial[0]
    sp = lvl.maps[lvl.sp_idx]
    sz = lvl.dims[sp.var]
    cs = lvl.n_units
    full_cov = sp.ofs * (cs - 1) + sp.size
    if sz > full_cov:
        steady = _tdiv(_tdiv(sz - sp.size, sp.ofs) + 1, cs) - 1
        remaining = sz - (steady + 1) * sp.ofs * cs
        ec = 1 if remaining < sp.size else _tdiv(remaining - sp.size, sp.ofs) + 1
    elif sz > sp.size:
        ec = _tdiv(sz - sp.size, sp.ofs) + 1
        if sp.ofs * (ec - 1) + sp.size < sz:
            ec += 1
    else:
        ec = 1
    if sz <= sp.size:
        ec = 1
    lvl.n_edge_units = ec


# ---------------------------------------------------------------------------------------------
# 2./3. per-level case analysis
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _State:
    pos: int
    occ: int
    unrolled: bool
    init_edge: bool = False
    sp_edge_edge: bool = False

    @property
    def edge(self) -> bool:
        return self.pos == EDGE or self.init_edge


class _Sizes:
    """Tile sizes of one level (MAESTRO's ReuseAnalysis tables), from the level's static dims."""

    __slots__ = ("mapped", "mapped_e", "unique", "unique_e")

    def __init__(self, lvl: _Level) -> None:
        mapped: dict[str, int] = {}
        mapped_e: dict[str, int] = {}
        unique: dict[str, int] = {}
        unique_e: dict[str, int] = {}
        for m in lvl.maps:
            d = lvl.dims[m.var]
            steady = max(_tdiv(d - m.size, m.ofs), 0)
            has_edge = steady * m.ofs + m.size < d or m.size > d
            mapped[m.var] = m.size
            unique[m.var] = min(m.size, m.ofs)
            if m.cls == TEMPORAL and d <= m.size:
                unique[m.var] = 0
            em = d - (steady + 1) * m.ofs
            if em < 0:
                em = d
            mapped_e[m.var] = em if has_edge else m.size
            unique_e[m.var] = max(m.ofs - (m.size - em), 0)
        for m in lvl.maps:
            if m.var in OUT_OF:
                o, k = OUT_OF[m.var], SLIDING[m.var]
                mapped[o] = mapped[m.var] - mapped.get(k, 0) + 1
                unique[o] = min(m.ofs, m.size)
                mapped_e[o] = mapped_e[m.var] - mapped_e.get(k, 0) + 1
                unique_e[o] = min(m.ofs, mapped_e[o])
        self.mapped = mapped
        self.mapped_e = mapped_e
        self.unique = unique
        self.unique_e = unique_e


def _states(lvl: _Level, dims: dict[str, int]) -> list[list[_State]]:
    out: list[list[_State]] = []
    ns = lvl.n_units
    for m in lvl.maps:
        d = dims.get(m.var, lvl.dims[m.var])
        st: list[_State] = []
        if m.cls == TEMPORAL:
            st.append(_State(INIT, 1, d <= m.size, d < m.size))
            n_steady = _tdiv(d - m.size, m.ofs)
            if m.size < d and n_steady > 0:
                st.append(_State(STEADY, n_steady, False))
            if not d < m.size and n_steady * m.ofs + m.size < d:
                st.append(_State(EDGE, 1, False))
        else:
            cov = m.size + m.ofs * (ns - 1)
            init_unroll = d <= cov
            init_edge = d < cov
            st.append(_State(INIT, 1, init_unroll, init_edge, init_edge))
            n_steady = _tdiv(_tdiv(d - m.size, m.ofs) + 1, ns) - 1
            has_edge = (
                not init_unroll
                and (n_steady + 1) * (m.ofs * ns) + cov > d
                and n_steady * (m.ofs * ns) + cov != d
            )
            if cov < d and n_steady > 0:
                st.append(_State(STEADY, n_steady, False))
            remaining = d - (n_steady + 1) * m.ofs * ns
            active = 1 if remaining < m.size else _tdiv(remaining - m.size, m.ofs) + 1
            spee = (active - 1) * m.ofs + m.size < remaining
            if not init_edge and has_edge:
                st.append(_State(EDGE, 1, False, False, spee))
        out.append(st)
    return out


class _LevelAnalyser:
    """Analyses one cluster level for given sub-problem dimensions (MAESTRO's
    ``AnalyzeClusterLevel_V2``); lower levels are analysed recursively and memoised."""

    def __init__(self, levels: list[_Level], problem: Problem, hw: Hardware) -> None:
        self.levels = levels
        self.sizes = [_Sizes(lv) for lv in levels]
        ci, cw, co = problem.couplings()
        self.couple = (ci, cw, co)
        self.hw = hw
        self.memo: dict[tuple[int, tuple[tuple[str, int], ...]], LevelResult] = {}
        self.first_leaf_l1: int | None = None

    # -- per-PE volumes ----------------------------------------------------------------------
    def _pe_mapped(self, li: int, t: int, sts: list[_State], first: bool, spee: bool) -> int:
        lvl, sz = self.levels[li], self.sizes[li]
        cpl = self.couple[t]
        ret = 1
        for i, m in enumerate(lvl.maps):
            if m.var not in cpl:
                continue
            s = sts[i]
            if m.cls == TEMPORAL:
                ret *= sz.mapped_e[m.var] if s.edge else sz.mapped[m.var]
            elif s.edge:
                nac = lvl.n_edge_units
                if nac == 1 and (first or spee):
                    ret *= sz.mapped_e[m.var]
                elif nac > 1:
                    ret *= sz.mapped_e[m.var] if spee else sz.mapped[m.var]
            else:
                ret *= sz.mapped[m.var]
        return ret

    def _pe_ingress(
        self, li: int, t: int, sts: list[_State], changing: int, first: bool, spee: bool
    ) -> int:
        lvl, sz = self.levels[li], self.sizes[li]
        cpl = self.couple[t]
        if changing == -1:
            return self._pe_mapped(li, t, sts, first, spee)
        inited = False
        for i in range(changing + 1, len(lvl.maps)):
            s = sts[i]
            if s.pos == INIT and lvl.maps[i].var in cpl and not s.unrolled:
                inited = True
                break
        ret = 1
        tensor_changing = False
        for i, m in enumerate(lvl.maps):
            if m.var not in cpl:
                continue
            s = sts[i]
            is_changing = i == changing
            if is_changing:
                tensor_changing = True
            v = m.var
            if m.cls == TEMPORAL:
                if s.pos == INIT:
                    ret *= sz.mapped_e[v] if s.edge else sz.mapped[v]
                elif is_changing and not inited:
                    ret *= max(sz.unique[v], 1)
                else:
                    ret *= sz.mapped[v]
            else:
                full_v = sz.mapped_e[v] if spee else sz.mapped[v]
                uniq_v = sz.unique_e[v] if spee else sz.unique[v]
                if s.pos == INIT:
                    if first or i <= changing:
                        ret *= full_v
                    else:
                        ret *= uniq_v
                else:
                    if first:
                        ret *= full_v
                    elif not inited and is_changing:
                        ret *= uniq_v
                    else:
                        ret *= full_v
        return ret if tensor_changing else 0

    def _pe_egress(
        self,
        li: int,
        sts: list[_State],
        psum: bool,
        first: bool,
        spee: bool,
        reuse_at_edge: bool = True,
    ) -> int:
        lvl, sz = self.levels[li], self.sizes[li]
        cpl = self.couple[OUTPUT]
        mapped, mapped_e, unique, unique_e = sz.mapped, sz.mapped_e, sz.unique, sz.unique_e
        nac = lvl.n_edge_units
        ret = 1
        if psum:
            for i, m in enumerate(lvl.maps):
                v = m.var
                if v in cpl:
                    continue
                s = sts[i]
                if m.cls == TEMPORAL:
                    ret *= mapped_e[v] if s.edge else mapped[v]
                    continue
                if s.pos == INIT:
                    if s.edge and spee:
                        if nac == 1 and (first or spee):
                            ret *= mapped_e[v]
                        elif nac > 1:
                            if spee:
                                ret *= mapped_e[v]
                            elif first:
                                ret *= mapped[v]
                            elif unique[v] != 0:
                                ret *= unique[v]
                    elif first:
                        ret *= mapped[v]
                    elif unique[v] != 0:
                        ret *= unique[v]
                elif s.pos == STEADY:
                    if first:
                        ret *= mapped[v]
                    elif unique[v] != 0:
                        ret *= unique[v]
                else:
                    if nac == 1 and (first or spee):
                        ret *= mapped_e[v]
                    elif nac > 1:
                        if spee:
                            ret *= unique_e[v]
                        elif first:
                            ret *= mapped[v]
                        elif unique[v] != 0:
                            ret *= unique[v]
        for v in cpl:
            ix = lvl.index.get(v)
            if ix is None:
                continue
            m = lvl.maps[ix]
            s = sts[ix]
            a = OUT_OF.get(v, v)
            if m.cls == TEMPORAL:
                if s.pos == INIT:
                    ret *= mapped_e.get(a, 0) if s.edge else mapped.get(a, 0)
                elif s.pos == STEADY:
                    ret *= mapped.get(a, 0)
                else:
                    ret *= mapped_e.get(a, 0)
                continue
            ua = unique.get(a, 0)
            if s.pos == INIT:
                if s.edge and spee:
                    if nac == 1 and (first or spee):
                        ret *= mapped_e.get(a, 0)
                    elif nac > 1:
                        if spee:
                            ret *= unique_e.get(a, 0) if reuse_at_edge else mapped_e.get(a, 0)
                        elif first:
                            ret *= mapped.get(a, 0)
                        elif ua != 0:
                            ret *= ua
                elif first:
                    ret *= mapped.get(a, 0)
                elif ua != 0:
                    ret *= ua
            elif s.pos == STEADY:
                if first:
                    ret *= mapped.get(a, 0)
                elif ua != 0:
                    ret *= ua
            else:
                if nac == 1 and (first or spee):
                    ret *= mapped_e.get(v, 0)  # MAESTRO reads the input-centric entry here
                elif nac > 1:
                    if spee:
                        ret *= unique_e.get(a, 0)
                    elif first:
                        ret *= mapped.get(a, 0)
                    elif ua != 0:
                        ret *= ua
        return ret

    # -- spatial aggregation -----------------------------------------------------------------
    def _sp_info(self, li: int, t: int, sts: list[_State]) -> tuple[bool, bool, bool]:
        """(spatially mapped, at a spatial edge, spatial edge has a partial last unit)."""
        lvl = self.levels[li]
        mapped = edge = spee = False
        for v in self.couple[t]:
            i = lvl.index.get(v)
            if i is None or lvl.maps[i].cls != SPATIAL:
                continue
            mapped = True
            s = sts[i]
            spee = s.sp_edge_edge
            if s.edge:
                edge = True
        return mapped, edge, spee

    def _ingress(self, li: int, t: int, sts: list[_State], changing: int) -> int:
        mapped, edge, spee = self._sp_info(li, t, sts)
        if not mapped:
            return self._pe_ingress(li, t, sts, changing, True, False)
        lvl = self.levels[li]
        nc, nec = lvl.n_units, lvl.n_edge_units
        if not edge:
            ret = self._pe_ingress(li, t, sts, changing, True, False)
            if nc > 1:
                ret += (nc - 1) * self._pe_ingress(li, t, sts, changing, False, False)
            return ret
        ret = self._pe_ingress(li, t, sts, changing, True, nec == 1 and spee)
        if nec > 1:
            n_spee = 1 if spee else 0
            n_full = max(nec - n_spee - 1, 0)
            if n_full:
                ret += n_full * self._pe_ingress(li, t, sts, changing, False, False)
            if n_spee:
                ret += self._pe_ingress(li, t, sts, changing, False, True)
        return ret

    def _egress(self, li: int, sts: list[_State]) -> int:
        mapped, edge, spee = self._sp_info(li, OUTPUT, sts)
        if not mapped:
            return self._pe_egress(li, sts, False, True, False)
        lvl = self.levels[li]
        nc, nec = lvl.n_units, lvl.n_edge_units
        if not edge:
            ret = self._pe_egress(li, sts, False, True, False)
            if nc > 1:
                ret += (nc - 1) * self._pe_egress(li, sts, False, False, False)
            return ret
        ret = self._pe_egress(li, sts, False, True, nec == 1 and spee)
        if nec > 1:
            n_spee = 1 if spee else 0
            n_full = max(nec - n_spee - 1, 0)
            if n_full:
                ret += n_full * self._pe_egress(li, sts, False, False, False)
            if n_spee:
                ret += self._pe_egress(li, sts, False, False, True)
        return ret

    def _critical_psums(self, li: int, sts: list[_State]) -> int:
        mapped, edge, spee = self._sp_info(li, OUTPUT, sts)
        if not mapped or not edge:
            return self._pe_egress(li, sts, True, True, False)
        nec = self.levels[li].n_edge_units
        return self._pe_egress(li, sts, True, True, nec == 1 and spee)

    def _psum_mapping(self, li: int, sts: list[_State]) -> int:
        """Partial sums computed over all sub-clusters in one step (MACs of the step)."""
        lvl = self.levels[li]
        edge = spee = False
        for i, m in enumerate(lvl.maps):
            if m.cls == SPATIAL:
                s = sts[i]
                spee = s.sp_edge_edge
                if s.edge:
                    edge = True
        nc, nec = lvl.n_units, lvl.n_edge_units
        if not edge:
            return nc * self._pe_egress(li, sts, True, True, False)
        ret = self._pe_egress(li, sts, True, True, nec == 1 and spee)
        if nec > 1:
            n_spee = 1 if spee else 0
            n_full = max(nec - n_spee - 1, 0)
            ret += n_full * self._pe_egress(li, sts, True, True, False)
            if n_spee:
                ret += self._pe_egress(li, sts, True, False, True, False)
        return ret

    def _mapped_volume(self, li: int, t: int) -> int:
        sz = self.sizes[li]
        ret = 1
        for v in self.couple[t]:
            if v in sz.mapped:
                ret *= sz.mapped[v]
        return ret

    def _sub_dims(self, li: int, sts: list[_State], spee: bool) -> dict[str, int]:
        lvl, sz = self.levels[li], self.sizes[li]
        nec = lvl.n_edge_units
        out: dict[str, int] = {}
        for i, m in enumerate(lvl.maps):
            s = sts[i]
            v = m.var
            if m.cls == TEMPORAL:
                out[v] = sz.mapped_e[v] if s.edge else sz.mapped[v]
            elif s.pos == STEADY or (s.pos == INIT and not s.edge):
                out[v] = sz.mapped[v]
            else:
                out[v] = sz.mapped_e[v] if (nec == 1 or spee) else sz.mapped[v]
        for m in lvl.maps:
            if m.var in OUT_OF:
                out[OUT_OF[m.var]] = out[m.var] - out.get(SLIDING[m.var], 0) + 1
        return out

    # -- the level ---------------------------------------------------------------------------
    def analyse(self, li: int, dims: dict[str, int]) -> LevelResult:
        key = (li, tuple(sorted(dims.items())))
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        res = self._analyse(li, dims)
        self.memo[key] = res
        if self.first_leaf_l1 is None:
            self.first_leaf_l1 = sum(res.l1_size)
        return res

    def _analyse(self, li: int, dims: dict[str, int]) -> LevelResult:
        lvl = self.levels[li]
        hw = self.hw
        last = li == len(self.levels) - 1
        res = LevelResult()
        state_lists = _states(lvl, dims)
        nc, nec = lvl.n_units, lvl.n_edge_units
        n_maps = len(lvl.maps)
        sp_i = lvl.sp_idx
        bw, lat = hw.noc_bw, hw.noc_latency
        total_occ = 0
        d_min = [float("inf")] * 3
        d_max = [0.0] * 3
        d_sum = [0.0] * 3
        active_sum = 0.0
        first_case = True
        for combo in product(*state_lists):
            sts = list(combo)
            occ = 1
            for s in sts:
                occ *= s.occ
            changing = -1
            for i in range(n_maps - 1, -1, -1):
                if sts[i].pos != INIT:
                    changing = i
                    break
            if first_case:
                first_case = False
                self._buffer_sizes(li, res, dims, sts, changing)
            egress = self._egress(li, sts)
            psum_map = self._psum_mapping(li, sts)
            res.l2_write[OUTPUT] += occ * egress
            res.l1_write[OUTPUT] += occ * psum_map
            res.l1_read[OUTPUT] += occ * psum_map
            n_psums = self._critical_psums(li, sts)
            if n_psums <= 0:
                continue
            ingress = 0
            for t in (INPUT, WEIGHT):
                tin = self._ingress(li, t, sts, changing)
                ingress += tin
                res.l2_read[t] += occ * tin
                res.l1_write[t] = res.l2_read[t]
                res.l1_read[t] += occ * psum_map
            sp_state = sts[sp_i]
            active = nec if sp_state.edge else nc
            if not last:
                subs: list[tuple[LevelResult, int]] = []
                if sp_state.edge:
                    if sp_state.sp_edge_edge:
                        subs.append((self.analyse(li + 1, self._sub_dims(li, sts, True)), 1))
                        if nec - 1 > 0:
                            subs.append(
                                (self.analyse(li + 1, self._sub_dims(li, sts, False)), nec - 1)
                            )
                    else:
                        subs.append((self.analyse(li + 1, self._sub_dims(li, sts, False)), nec))
                else:
                    subs.append((self.analyse(li + 1, self._sub_dims(li, sts, False)), nc))
                comp = max(r.runtime for r, _ in subs)
                act = sum(r.avg_active * k for r, k in subs)
                if act == 0:
                    act = active
            else:
                comp = -(-n_psums // hw.simd_lanes)
                act = active
            d_in = lat + ceil(ingress / bw) - 1 if ingress > 0 else lat - 1
            d_out = lat + ceil(egress / bw) - 1 if egress > 0 else lat - 1
            all_init = all(s.pos == INIT for s in sts)
            step = comp + d_in if all_init else max(d_out, comp, d_in)
            if li == 0:
                ob = res.l2_size[OUTPUT] // hw.offchip_bw
                ib = (res.l2_size[INPUT] + res.l2_size[WEIGHT]) // hw.offchip_bw
                step = max(ib // 2, step, ob // 2)
            res.runtime += occ * step
            res.computations += occ * psum_map
            active_sum += act * occ
            c_eff = comp if comp != 0 else 1
            if li == 0:
                req = max(
                    res.l2_size[OUTPUT] // c_eff,
                    (res.l2_size[INPUT] + res.l2_size[WEIGHT]) // c_eff,
                )
                res.offchip_bw_req = max(res.offchip_bw_req, req // 2)
            res.peak_noc_bw = max(res.peak_noc_bw, max(ingress, egress) // c_eff)
            for k, dv in enumerate((d_in, d_out, c_eff)):
                d_sum[k] += occ * dv
                d_min[k] = min(d_min[k], dv)
                d_max[k] = max(d_max[k], dv)
            total_occ += occ
        if total_occ:
            res.avg_active = active_sum / total_occ
            for k, arr in enumerate((res.ingress_delay, res.egress_delay, res.compute_delay)):
                arr[0] = float(d_min[k])
                arr[1] = float(d_max[k])
                arr[2] = float(int(d_sum[k] / total_occ))
        return res

    def _buffer_sizes(
        self, li: int, res: LevelResult, dims: dict[str, int], sts: list[_State], changing: int
    ) -> None:
        for t in (INPUT, WEIGHT):
            size = 1
            for v in self.couple[t]:
                size *= dims.get(v, 1) if v == "N" else dims[v]
            res.l2_size[t] = 2 * self._ingress(li, t, sts, changing)
            res.l2_write[t] = size
            res.l1_size[t] = 2 * self._mapped_volume(li, t)
        size = 1
        for v in self.couple[OUTPUT]:
            if v in SLIDING:
                size *= dims[v] - dims[SLIDING[v]] + 1
            else:
                size *= dims.get(v, 1) if v == "N" else dims[v]
        res.l2_size[OUTPUT] = 2 * self._egress(li, sts)
        res.l2_read[OUTPUT] = size
        res.l1_size[OUTPUT] = 2 * self._mapped_volume(li, OUTPUT)


def analyse(problem: Problem, directives: tuple[Directive, ...], hw: Hardware) -> Analysis:
    """Run the whole analysis for one layer (MAESTRO's ``AnalyzeEntireCluster``)."""
    levels, n_used = build_levels(problem, directives, hw)
    la = _LevelAnalyser(levels, problem, hw)
    top_dims = dict(levels[0].dims)
    top = la.analyse(0, top_dims)
    first = la.first_leaf_l1 if la.first_leaf_l1 is not None else sum(top.l1_size)
    return Analysis(top=top, l1_size_first_leaf=first, n_levels=len(levels), n_pes_used=n_used)
