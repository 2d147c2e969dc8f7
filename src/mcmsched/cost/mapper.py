"""Per-layer mapping search (``mapping: searched``).

A dataflow is a stationarity and a directive order; the tile sizes, the spatial tile per unit and
the cluster sizes are free. For each layer shape (at its mini-batch) and chiplet class the mapper
generates candidate directive lists from *templates* -- the dataflow's directives with tunable
sizes (``?name``, see :mod:`mcmsched.hardware.dataflow`) -- ranks them with the existing analysis
(:func:`mcmsched.cost.vectorised.analyse_batch` with per-row tile sizes; costs come from
:func:`mcmsched.cost.batch._fill`, the one place that turns counts into cycles and energy) and
keeps the best by the class's objective (``edp`` default, ``latency`` or ``energy``; ties: fewer
cycles, then less energy). Mappings whose L1 (per PE) or L2 need exceeds the class's buffers, or
that count fewer MACs than the layer has, are discarded. The class's fixed mapping (the dataflow
as written, with its sequential fallback) is always evaluated too and kept when it is at least as
good, so ``searched`` is never worse than ``fixed`` on the objective.

The analysis rounds each step's off-chip transfer time down to whole cycles, so on layers with
small tiles (element-wise adds) its cycles can fall a little below the physical roofline bound
(:mod:`mcmsched.cost.roofline`). With ``mapping: searched`` every candidate's cycles -- the fixed
mapping's included -- are raised to at least that bound, so the search cannot win by exploiting
the rounding; ``mapping: fixed`` reports the analysis unchanged (MAESTRO's numbers).

Search space (documented in docs/COST_MODEL.md): each tunable variable takes powers of two up to
its bound, the bound itself and its near-divisors ``ceil(bound / j)`` -- the bound is the largest
dimension it tiles (for a map) or the PE count (for a cluster; a variable used by both gets the
smaller bound) -- within its ``{lo..hi}`` range. A *sub-tile* variable (one that sizes only a map
below the top level whose dimension a variable of an enclosing level also tiles, e.g. the per-PE
``C`` tile of an output-stationary template) starts from its parent's value, a quarter of it,
and 1. The product of the cluster sizes must not exceed the PEs. The search runs in two stages:
a coarse grid (powers of four, the bound and its non-power-of-two near-divisors for
``j`` = 2, 4, 8), of which candidates whose estimated spatial PE fill is below half of the best
candidate's are dropped and the :data:`COARSE_KEEP` with the smallest estimated cycles (a
per-level model of the analysis's steps: first-step ingress, per-step ingress / compute /
egress, the top's ``mem_bw`` floor) are analysed; then rounds of fine neighbours (the next
smaller / larger fine value of one variable) around each layer's best so far.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from mcmsched.cost.analysis import hardware_of, to_problem
from mcmsched.cost.directives_analysis import Problem
from mcmsched.cost.roofline import problem_counts, roofline
from mcmsched.cost.vectorised import analyse_batch, structure_key
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import (
    BUILTIN_DATAFLOWS,
    Dataflow,
    Directive,
    DirectiveKind,
    Size,
    is_tunable,
    parse_directives,
    size_parts,
    tunable_parts,
)
from mcmsched.workload.layer import Layer

Arr = np.ndarray

_R_S = "TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;"

#: Search templates of the built-in dataflows: (templates for normal layers, templates for
#: depthwise / element-wise layers). Each keeps the built-in's stationarity and directive order;
#: the output-stationary ones add a second template whose spatial pair is output rows x output
#: channels (tokens x output features on a GEMM) instead of output rows x columns. Below the top
#: level the templates have their own (sub-tile) sizes: the output-stationary ones iterate the
#: reduction ``C`` inside each cluster level and inside the PE (``?cm``, ``?ci``: the outputs stay
#: while ``C`` streams, and a level with several steps overlaps its ingress with compute instead
#: of paying it once per step of the level above), the weight-stationary ones iterate output
#: rows / columns inside the cluster (``?yi``, ``?xi``; ``?ym``, ``?xm``) while the weights stay.
#: The row-stationary one (``eyeriss``, XRBench ``RS.m``) keeps its innermost diagonal pair
#: ``SpatialMap(1,1) Y; SpatialMap(1,1) R`` (one input row x one filter row per PE, the partial
#: sums of an output row accumulated across the cluster) and its one-output-row middle level;
#: the top ``Y'``/``X'``/``C`` tiles, ``K`` per top unit, the ``X'`` cluster (tied to the ``X'``
#: tile as in ``RS.m``: 16 and 16), the ``C``/``K`` sub-tiles and the Y/R cluster size vary
#: (``RS.m``'s sizes: ``y=1 x=16 c=4 k=1 cm=4 ki=1 r=4``). On depthwise / element-wise layers
#: (``K = 1``) the channels ``C`` take ``K``'s place over the top units.
SEARCH_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nvdla": (
        (
            "TemporalMap(?ct,?ct) C; TemporalMap(?k,?k) K; TemporalMap(?y,?y) Y'; "
            "SpatialMap(?x,?x) X'; Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?c,?c) C; "
            "TemporalMap(?ym,?ym) Y'; TemporalMap(?xm,?xm) X'; Cluster(?c,P); SpatialMap(1,1) C;",
        ),
        (
            "TemporalMap(?ct,?ct) C; TemporalMap(?k,?k) K; TemporalMap(?y,?y) Y'; "
            "SpatialMap(?x,?x) X'; Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?c,?c) C; "
            "TemporalMap(?ym,?ym) Y'; TemporalMap(?xm,?xm) X'; Cluster(?c,P); SpatialMap(1,1) C;",
        ),
    ),
    "shidiannao": (
        (
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; Cluster(?c,P); "
            "SpatialMap(1,1) C;",
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?ci,?ci) C;",
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; TemporalMap(?cm,?cm) C; "
            "Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?ci,?ci) C;",
        ),
        (
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; Cluster(?c,P); "
            "SpatialMap(1,1) C;",
        ),
    ),
    "eyeriss": (
        (
            "TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; TemporalMap(?c,?c) C; "
            "SpatialMap(?k,?k) K; Cluster(?x,P); TemporalMap(1,1) Y'; SpatialMap(1,1) X'; "
            "TemporalMap(?cm,?cm) C; TemporalMap(?ki,?ki) K; Cluster(?r{1..16},P); "
            "SpatialMap(1,1) Y; SpatialMap(1,1) R;",
        ),
        (
            "TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; SpatialMap(?c,?c) C; "
            "Cluster(?x,P); TemporalMap(1,1) Y'; SpatialMap(1,1) X'; TemporalMap(?cm,?cm) C; "
            "Cluster(?r{1..16},P); SpatialMap(1,1) Y; SpatialMap(1,1) R;",
        ),
    ),
    "nvdla-maestro": (
        (
            "SpatialMap(?k,?k) K; TemporalMap(?c,?c) C; " + _R_S + " TemporalMap(?y,?y) Y'; "
            "TemporalMap(?x,?x) X'; Cluster(?c,P); SpatialMap(1,1) C; TemporalMap(?yi,?yi) Y'; "
            "TemporalMap(?xi,?xi) X'; " + _R_S,
        ),
        ("SpatialMap(?c,?c) C; TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; " + _R_S,),
    ),
    "shidiannao-maestro": (
        (
            "TemporalMap(?k,?k) K; TemporalMap(?c,?c) C; SpatialMap(?y,?y) Y'; "
            "TemporalMap(?x,?x) X'; Cluster(?x,P); SpatialMap(1,1) X'; TemporalMap(?ci,?ci) C; "
            + _R_S,
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?ci,?ci) C; "
            + _R_S,
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; TemporalMap(?cm,?cm) C; "
            "Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?ci,?ci) C; " + _R_S,
        ),
        (
            "TemporalMap(?c,?c) C; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "Cluster(?x,P); SpatialMap(1,1) X'; " + _R_S,
        ),
    ),
}

N_FIELDS = 9  # rows of the value arrays: the BatchCosts fields of mcmsched.cost.batch


@lru_cache(maxsize=64)
def _parsed(text: str) -> tuple[Directive, ...]:
    return parse_directives(text)


def templates_for(
    df: Dataflow, depthwise: bool, strided: bool = False
) -> list[tuple[Directive, ...]]:
    """The tunable directive lists the mapper searches for ``df`` on a (depthwise) layer: the
    dataflow's own list if it has tunable sizes, the built-in's :data:`SEARCH_TEMPLATES` if
    ``df`` is a built-in, else none (only the fixed mapping). On a layer ``strided`` along
    ``X`` an ``X'`` cluster whose size is tied to the ``X'`` tile above it (``?x``) gets its own
    size ``?xc`` (output-stationary and row-stationary templates): the tile counts stride-1
    positions, the cluster's units outputs."""
    own = df.directives_for(depthwise)
    if any(is_tunable(d.size) or is_tunable(d.offset) for d in own):
        return [own]
    builtin = BUILTIN_DATAFLOWS.get(df.name)
    if builtin is None or builtin != df or df.name not in SEARCH_TEMPLATES:
        return []
    main, dw = SEARCH_TEMPLATES[df.name]
    texts = dw if depthwise else main
    if strided:
        texts = tuple(
            t.replace(
                "Cluster(?x,P); SpatialMap(1,1) X'", "Cluster(?xc,P); SpatialMap(1,1) X'"
            ).replace(
                "Cluster(?x,P); TemporalMap(1,1) Y'; SpatialMap(1,1) X'",
                "Cluster(?xc,P); TemporalMap(1,1) Y'; SpatialMap(1,1) X'",
            )
            for t in texts
        )
    return [_parsed(t) for t in texts]


@dataclass(frozen=True)
class _Var:
    name: str
    lo: int
    hi: int  # 0: no range limit
    cluster: bool
    dims: tuple[str, ...]
    #: the variable of the nearest enclosing map of the same dimension (a level above), if this
    #: one sizes only a map below the top level: its value is a sub-tile of the parent's tile
    parent: str | None = None


def _level_of(template: tuple[Directive, ...]) -> list[int]:
    """Cluster level (0 = outermost) of each directive; a ``Cluster`` opens the next level."""
    out: list[int] = []
    level = 0
    for d in template:
        if d.kind is DirectiveKind.CLUSTER:
            level += 1
        out.append(level)
    return out


@lru_cache(maxsize=256)
def _variables(template: tuple[Directive, ...]) -> tuple[_Var, ...]:
    info: dict[str, tuple[int, int, bool, set[str]]] = {}
    levels: dict[str, set[int]] = {}
    lv = _level_of(template)
    for d, li in zip(template, lv, strict=True):
        for v in (d.size, d.offset):
            if not is_tunable(v):
                continue
            assert isinstance(v, str)
            name, lo, hi = tunable_parts(v)
            _, _, cl, dims = info.get(name, (lo, hi, False, set()))
            if d.kind is DirectiveKind.CLUSTER:
                cl = True
            else:
                dims.add(d.dim)
                levels.setdefault(name, set()).add(li)
            info[name] = (lo, hi, cl, dims)
    out: list[_Var] = []
    for n, (lo, hi, cl, ds) in info.items():
        parent: str | None = None
        if not cl and len(ds) == 1 and min(levels.get(n, {0})) > 0:
            (dim,) = tuple(ds)
            low = min(levels[n])
            best = -1
            for d, li in zip(template, lv, strict=True):
                if d.kind is DirectiveKind.CLUSTER or d.dim != dim or li >= low:
                    continue
                if is_tunable(d.size) and li > best:
                    pname = tunable_parts(str(d.size))[0]
                    if pname != n and pname in info:
                        parent, best = pname, li
        out.append(_Var(n, lo, hi, cl, tuple(sorted(ds)), parent))
    return tuple(out)


def _full_dims(p: Problem) -> dict[str, int]:
    dims = dict(p.dims)
    dims["Y'"] = dims["Y"] - dims["R"] + 1
    dims["X'"] = dims["X"] - dims["S"] + 1
    return dims


def _bound(var: _Var, dims: dict[str, int], n_pes: int) -> int:
    bound = max((dims.get(d, 1) for d in var.dims), default=n_pes)
    if var.cluster:
        bound = min(bound, n_pes)
    if var.hi:
        bound = min(bound, var.hi)
    return bound


def _choices(var: _Var, dims: dict[str, int], n_pes: int, coarse: bool) -> np.ndarray:
    """Values of a variable: powers of four (coarse) or two (fine) up to its bound, the bound
    itself and the near-divisors ``ceil(bound / j)`` of the bound (coarse: ``j`` = 2, 4, 8 where
    that is not a power of two; fine: ``j`` = 2 ... 8), so tiles like 7 or 14 of a 28- or
    56-row dimension are tried; all within the variable's ``{lo..hi}`` range."""
    return _choices_of(_bound(var, dims, n_pes), var.lo, coarse)


def _choices_of(bound: int, lo: int, coarse: bool) -> np.ndarray:
    """:func:`_choices` of a variable with bound ``bound`` and lower limit ``lo``."""
    if bound < lo:
        return np.zeros(0, dtype=np.int64)
    step = 4 if coarse else 2
    vals = {bound}
    v = 1
    while v < bound:
        if v >= lo:
            vals.add(v)
        v *= step
    for j in (2, 4, 8) if coarse else range(2, 9):
        nd = -(-bound // j)
        if nd >= lo and (not coarse or nd & (nd - 1)):
            vals.add(nd)
    return np.array(sorted(vals), dtype=np.int64)


SUB_TILE_SHARES = (1, 4)
"""Coarse values of a sub-tile variable (one with a parent, e.g. the per-PE ``C`` tile under a
top-level ``C`` tile): its parent's value divided by these (rounded up), and its lowest value
(1); the refinement stage moves it by factors of two from there."""


def _expand_children(
    grid: np.ndarray, vars_: tuple[_Var, ...], dims: dict[str, int], n_pes: int
) -> np.ndarray:
    """Fill the columns of sub-tile variables (``grid`` holds their parents' values already):
    each row becomes one row per coarse sub-tile value, deduplicated."""
    names = [v.name for v in vars_]
    done = {v.name for v in vars_ if v.parent is None}
    while len(done) < len(vars_):
        progressed = False
        for i, v in enumerate(vars_):
            if v.name in done or v.parent not in done:
                continue
            par = grid[:, names.index(v.parent)]
            bound = _bound(v, dims, n_pes)
            opts = [np.clip(-(-par // s), v.lo, max(bound, v.lo)) for s in SUB_TILE_SHARES]
            opts.append(np.full_like(par, min(max(v.lo, 1), max(bound, v.lo))))
            parts = []
            for j, o in enumerate(opts):
                # a value an earlier option already gave this row is not repeated
                new_row = np.ones(o.shape[0], dtype=bool)
                for prev in opts[:j]:
                    new_row &= o != prev
                g = grid[new_row].copy()
                g[:, i] = o[new_row]
                parts.append(g)
            grid = np.concatenate(parts)
            done.add(v.name)
            progressed = True
        if not progressed:  # pragma: no cover - parents always precede (levels)
            break
    return grid


def _rows_size(v: Size, rdims: dict[str, Arr], vcols: dict[str, Arr]) -> Arr:
    """A size per row: a tunable's value, an int, or ``Sz(D)+n`` of the row's layer."""
    n = next(iter(rdims.values())).shape[0]
    if isinstance(v, int):
        return np.full(n, v, dtype=np.int64)
    if is_tunable(v):
        return vcols[tunable_parts(v)[0]].astype(np.int64)
    dim, add = size_parts(v)
    return (rdims[dim] + add).astype(np.int64)


def _estimate(
    template: tuple[Directive, ...],
    p: Problem,
    dims: dict[str, int],
    values: dict[str, Arr],
    n_pes: int,
    mem_bw: float,
    n: int,
    noc_bw: float = 256.0,
    fill_only: bool = False,
) -> tuple[Arr, Arr, Arr]:
    """Per candidate: the estimated fraction of PEs the spatial maps keep busy (product over
    levels of min(1, spatial tiles / units)) and a rough cycle estimate that follows the
    analysis's step model level by level, innermost first: a level runs its first step's
    ingress (the union of its units' input + weight tiles over ``noc_bw``) and then
    ``steps x max(sub-level time, step ingress / noc_bw)``; the innermost level's sub-level
    time is its per-PE MACs per step; a step is at least its output tile (egress) over
    ``noc_bw`` and, at the top, its input + weight tiles and its output tile over ``mem_bw``.
    Used only to prune the coarse grid before the analysis ranks the survivors. With
    ``fill_only`` the estimate is not computed (returned as the fill). Returns ``(fill, cycles,
    recount)``, ``recount`` being the factor by which the analysis over-counts MACs on a
    strided layer (levels below the top compute every stride-1 position of the top tile,
    ``((out - 1) * s + 1) / out`` per strided dimension): the L1 accesses, most of the energy,
    follow the counted MACs, the cycles do not."""

    sy, sx = p.stride_y, p.stride_x
    # strided output dimensions whose kernel covers the stride: their tiles are counted in
    # stride-1 positions below the top (the rest are approximated by dividing by the stride)
    recount = _recount_keys(p, dims)
    div = (1 if "Y'" in recount else sy) * (1 if "X'" in recount else sx)
    recounted: Arr | float = 1.0

    def val(v: Size) -> Arr | int:
        # a scalar for fixed sizes (numpy broadcasts it), the column for a tunable one
        if isinstance(v, int):
            return v
        if is_tunable(v):
            return values[tunable_parts(v)[0]]
        dim, add = size_parts(v)
        return dims.get(dim, 0) + add

    clusters = [np.maximum(val(d.size), 1) for d in template if d.kind is DirectiveKind.CLUSTER]
    prod: Arr | int = 1
    for c in clusters:
        prod = prod * c
    units = [np.maximum(n_pes // np.maximum(prod, 1), 1), *clusters]
    keys = ("N", "K", "C", "Y'", "X'", "R", "S")
    cur: dict[str, Arr | int] = {k: max(dims.get(k, 1), 1) for k in keys}
    fill: Arr | float = 1.0
    # per level: steps, per-step union extents of the tiles, per-unit tiles
    lv_steps: list[Arr | int] = []
    lv_union: list[dict[str, Arr | int]] = []
    level_maps: list[list[Directive]] = [[]]
    for d in template:
        if d.kind is DirectiveKind.CLUSTER:
            level_maps.append([])
        else:
            level_maps[-1].append(d)
    for li, maps in enumerate(level_maps):
        u_l = units[li] if li < len(units) else 1
        steps: Arr | int = 1
        union = dict(cur)
        tile = dict(cur)
        for d in maps:
            key = {"Y": "Y'", "X": "X'"}.get(d.dim, d.dim)
            if key not in cur:
                continue
            full = cur[key]
            size = np.minimum(np.maximum(val(d.size), 1), full)
            ofs = np.maximum(val(d.offset), 1)
            down = size
            if key in recount:
                # the analysis's stride rescale: a tile of ``size`` stride-1 positions holds
                # ceil(size / s) outputs, advances by that many outputs and hands the level
                # below (out - 1) * s + 1 positions
                s_k = recount[key]
                n_out = -(-size // s_k)
                ofs = np.maximum(ofs, n_out * s_k)
                down = np.minimum(full, (n_out - 1) * s_k + 1)
                if li == 0:
                    # the levels below count a MAC at every one of those positions
                    recounted = recounted * (down / np.maximum(n_out, 1))
            n_tiles = -(-np.maximum(full - size, 0) // ofs) + 1
            if d.kind is DirectiveKind.SPATIAL:
                st = -(-n_tiles // u_l)
                fill = fill * np.minimum(1.0, n_tiles / u_l)
                union[key] = np.minimum(full, size + ofs * (np.minimum(n_tiles, u_l) - 1))
            else:
                st = n_tiles
                union[key] = size
            steps = steps * st
            tile[key] = down
        lv_steps.append(steps)
        lv_union.append(union)
        cur = tile
    fill = np.broadcast_to(np.asarray(fill, dtype=float), (n,))
    if fill_only:
        return fill, fill, fill
    k1 = p.depthwise

    def traffic(t: dict[str, Arr | int]) -> Arr:
        # Y', X' count stride-1 output positions (the analysis's view of a map)
        inp = t["N"] * t["C"] * (t["Y'"] + t["R"] - 1) * (t["X'"] + t["S"] - 1)
        wgt = t["C"] * t["R"] * t["S"] * (1 if k1 else t["K"])
        out: Arr = np.asarray(inp + wgt, dtype=float)
        return out

    pe_macs = cur["N"] * cur["C"] * cur["R"] * cur["S"] * cur["Y'"] * cur["X'"]
    pe_macs = np.maximum(pe_macs // div, 1)
    run = np.asarray(pe_macs if k1 else pe_macs * cur["K"], dtype=float)
    for li in range(len(level_maps) - 1, -1, -1):
        un = lv_union[li]
        tr = traffic(un)
        outs = np.asarray(un["N"] * (un["C"] if k1 else un["K"]) * un["Y'"] * un["X'"], dtype=float)
        outs = outs / (p.stride_y * p.stride_x)
        step_in = tr / noc_bw
        step = np.maximum(np.maximum(run, step_in), outs / noc_bw)
        if li == 0:
            step = np.maximum(step, np.maximum(tr, outs) / mem_bw)
        run = step_in + lv_steps[li] * step
    macs = problem_counts(p, 1)[0]
    est = np.broadcast_to(np.maximum(run, macs / np.maximum(fill * n_pes, 1.0)), (n,))
    return fill, est, np.broadcast_to(np.asarray(recounted, dtype=float), (n,))


def _grid(vars_: tuple[_Var, ...], choices: list[np.ndarray]) -> np.ndarray:
    if not vars_:
        return np.zeros((1, 0), dtype=np.int64)
    mesh = np.meshgrid(*choices, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


def _valid_clusters(
    grid: np.ndarray, vars_: tuple[_Var, ...], template: tuple[Directive, ...], n_pes: int
) -> np.ndarray:
    prod = np.ones(grid.shape[0], dtype=np.int64)
    names = [v.name for v in vars_]
    for d in template:
        if d.kind is not DirectiveKind.CLUSTER:
            continue
        if is_tunable(d.size):
            assert isinstance(d.size, str)
            prod = prod * grid[:, names.index(tunable_parts(d.size)[0])]
        elif isinstance(d.size, int):
            prod = prod * d.size
    ok: np.ndarray = prod <= n_pes
    return ok


CHUNK_ROWS = 16384
"""Candidate rows analysed in one pass at most (larger batches run in chunks: with 10^5 rows
the per-pair arrays outgrow the CPU caches; XRBench nvdla's 87,658 bench candidates ran at
~81,000 /s in one pass, ~105,000 /s in chunks of 8-32 k rows on the same idle core)."""
REFINE_ROUNDS = 2
"""Rounds of one-variable-at-a-time refinement around the best candidate so far."""
EVALUATED = [0]
"""Candidate evaluations so far in this process (read by bench/cost_model.py)."""
COARSE_KEEP = 16
"""Coarse candidates per (layer, template) the analysis ranks (after the fill prune, the ones
with the smallest rough cycle estimate)."""


def coarse_grid(p: Problem, template: tuple[Directive, ...], n_pes: int) -> np.ndarray:
    """The unpruned coarse grid of the template's independent variables (cluster products
    within the PEs), each sub-tile variable at its parent's value (``[n, n_vars]``)."""
    vars_ = _variables(template)
    dims = _full_dims(p)
    choices = [
        _choices(v, dims, n_pes, True) if v.parent is None else np.ones(1, dtype=np.int64)
        for v in vars_
    ]
    grid = _grid(vars_, choices)
    grid = grid[_valid_clusters(grid, vars_, template, n_pes)]
    names = [v.name for v in vars_]
    for i, v in enumerate(vars_):  # parents precede their sub-tiles in level order
        if v.parent is not None:
            grid[:, i] = grid[:, names.index(v.parent)]
    out: np.ndarray = grid
    return out


_Fixed = int | tuple[str, int]
"""A size that is not a variable: an int, or ``Sz(dim) + add`` as ``(dim, add)``."""


@dataclass(frozen=True)
class _MapPlan:
    """One map of a template, its sizes pre-parsed: a variable's index (``-1``: fixed, then
    the fixed size)."""

    level: int
    key: str  # the dimension the estimate tracks (``Y`` -> ``Y'``, ``X`` -> ``X'``)
    spatial: bool
    size_var: int
    size_fixed: _Fixed
    ofs_var: int
    ofs_fixed: _Fixed
    #: the map decides the fill or an enclosing tile of a spatial map's dimension
    fill: bool


@dataclass(frozen=True)
class _Plan:
    """What :func:`coarse_candidates` needs about a template, worked out once per template."""

    vars_: tuple[_Var, ...]
    levels: tuple[tuple[_MapPlan, ...], ...]
    #: per ``Cluster``: (variable index or -1, fixed size)
    clusters: tuple[tuple[int, _Fixed], ...]
    #: the factors of the cluster-product validity test (:func:`_valid_clusters`): a variable's
    #: index, or -1 and an int size (``Sz()`` cluster sizes do not count there)
    valid_factors: tuple[tuple[int, int], ...]
    #: (sub-tile variable, its parent) in the order :func:`_expand_children` fills them
    children: tuple[tuple[int, int], ...]
    #: the fill depends on no sub-tile variable (else the direct computation runs)
    fast: bool


def _fixed_of(v: Size) -> _Fixed:
    if isinstance(v, int):
        return v
    return size_parts(v)


@lru_cache(maxsize=256)
def _plan(template: tuple[Directive, ...]) -> _Plan:
    vars_ = _variables(template)
    index = {v.name: i for i, v in enumerate(vars_)}

    def spec(v: Size) -> tuple[int, _Fixed]:
        if is_tunable(v):
            assert isinstance(v, str)
            return index[tunable_parts(v)[0]], 0
        return -1, _fixed_of(v)

    keys = ("N", "K", "C", "Y'", "X'", "R", "S")
    clusters: list[tuple[int, _Fixed]] = []
    valid: list[tuple[int, int]] = []
    raw: list[tuple[int, str, bool, tuple[int, _Fixed], tuple[int, _Fixed]]] = []
    level = 0
    for d in template:
        if d.kind is DirectiveKind.CLUSTER:
            level += 1
            clusters.append(spec(d.size))
            if is_tunable(d.size):
                valid.append((clusters[-1][0], 1))
            elif isinstance(d.size, int):
                valid.append((-1, d.size))
            continue
        key = {"Y": "Y'", "X": "X'"}.get(d.dim, d.dim)
        if key not in keys:
            continue  # the estimate skips maps of other dimensions
        raw.append((level, key, d.kind is DirectiveKind.SPATIAL, spec(d.size), spec(d.offset)))
    spatial_levels: dict[str, list[int]] = {}
    for li, key, sp, _, _ in raw:
        if sp:
            spatial_levels.setdefault(key, []).append(li)
    levels: list[list[_MapPlan]] = [[] for _ in range(level + 1)]
    deps = {i for i, _ in clusters if i >= 0}
    for li, key, sp, (si, sf), (oi, of) in raw:
        need = sp or any(lv > li for lv in spatial_levels.get(key, []))
        if need:
            deps.update(i for i in (si, oi) if i >= 0)
        levels[li].append(_MapPlan(li, key, sp, si, sf, oi, of, need))
    # the order of _expand_children: passes over the variables, a sub-tile once its parent is set
    children: list[tuple[int, int]] = []
    done = {v.name for v in vars_ if v.parent is None}
    progressed = True
    while len(done) < len(vars_) and progressed:
        progressed = False
        for i, v in enumerate(vars_):
            if v.name in done or v.parent not in done:
                continue
            assert v.parent is not None
            children.append((i, index[v.parent]))
            done.add(v.name)
            progressed = True
    fast = len(done) == len(vars_) and not any(i in deps for i, _ in children)
    return _Plan(
        vars_,
        tuple(tuple(m) for m in levels),
        tuple(clusters),
        tuple(valid),
        tuple(children),
        fast,
    )


def _fixed_value(f: _Fixed, dims: dict[str, int]) -> int:
    if isinstance(f, int):
        return f
    return dims.get(f[0], 0) + f[1]


def _recount_keys(p: Problem, dims: dict[str, int]) -> dict[str, int]:
    """Strided output dimensions whose kernel covers the stride (the stride per dimension):
    their tiles are counted in stride-1 positions below the top (:func:`_estimate`)."""
    return {
        k: s_k
        for k, s_k, r_k in (
            ("Y'", p.stride_y, dims.get("R", 1)),
            ("X'", p.stride_x, dims.get("S", 1)),
        )
        if s_k > 1 and r_k >= s_k
    }


def _coarse_fill(
    plan: _Plan,
    p: Problem,
    dims: dict[str, int],
    axes: list[Arr],
    n_pes: int,
) -> tuple[Arr | bool, Arr | float]:
    """Cluster-product validity and estimated fill of :func:`_estimate` on the product of the
    choices: ``axes[i]`` holds variable ``i``'s choices along axis ``i`` of an n-d array (the
    other axes of length 1), so each result has the axes of the variables it depends on and
    broadcasts over the others (the maps that decide no fill are skipped). Element for
    element the same operations as :func:`_valid_clusters` and :func:`_estimate`."""
    rc = _recount_keys(p, dims)
    valid: Arr | int = 1
    for i, factor in plan.valid_factors:
        valid = valid * (axes[i] if i >= 0 else factor)
    ok: Arr | bool = valid <= n_pes
    clusters = [
        np.maximum(axes[i] if i >= 0 else _fixed_value(f, dims), 1) for i, f in plan.clusters
    ]
    prod: Arr | int = 1
    for c in clusters:
        prod = prod * c
    units = [np.maximum(n_pes // np.maximum(prod, 1), 1), *clusters]
    keys = ("N", "K", "C", "Y'", "X'", "R", "S")
    cur: dict[str, Arr | int] = {k: max(dims.get(k, 1), 1) for k in keys}
    fill: Arr | float = 1.0
    for li, maps in enumerate(plan.levels):
        u_l = units[li] if li < len(units) else 1
        tile: dict[str, Arr | int] = {}
        for m in maps:
            if not m.fill:
                continue
            full = cur[m.key]
            sv = axes[m.size_var] if m.size_var >= 0 else _fixed_value(m.size_fixed, dims)
            ov = axes[m.ofs_var] if m.ofs_var >= 0 else _fixed_value(m.ofs_fixed, dims)
            size: Arr | int = np.minimum(np.maximum(sv, 1), full)
            ofs: Arr | int = np.maximum(ov, 1)
            down: Arr | int = size
            if m.key in rc:
                s_k = rc[m.key]
                n_out = -(-size // s_k)
                ofs = np.maximum(ofs, n_out * s_k)
                down = np.minimum(full, (n_out - 1) * s_k + 1)
            if m.spatial:
                n_tiles = -(-np.maximum(full - size, 0) // ofs) + 1
                fill = fill * np.minimum(1.0, n_tiles / u_l)
            tile[m.key] = down
        cur.update(tile)
    return ok, fill


def _imin(a: Arr | int, b: Arr | int) -> Arr | int:
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    out: Arr = np.minimum(a, b)
    return out


def _imax(a: Arr | int, b: Arr | int) -> Arr | int:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    out: Arr = np.maximum(a, b)
    return out


def _iprod(*factors: Arr | int) -> Arr | int:
    """Product of integer factors, the scalar ones first (exact: integers)."""
    s = 1
    arrs: list[Arr] = []
    for f in factors:
        if isinstance(f, int):
            s *= f
        else:
            arrs.append(f)
    if not arrs:
        return s
    out: Arr = arrs[0] if s == 1 else arrs[0] * s
    for a in arrs[1:]:
        out = out * a
    return out


def _imul(a: Arr | int, b: Arr | int) -> Arr | int:
    """``a * b`` of integers, a factor 1 folded away."""
    if isinstance(a, int) and a == 1:
        return b
    if isinstance(b, int) and b == 1:
        return a
    out: Arr | int = a * b
    return out


def _cdiv(a: Arr | int, b: Arr | int) -> Arr | int:
    """``ceil(a / b)`` of integers as ``-(-a // b)``; a divisor 1 folded away."""
    if isinstance(b, int) and b == 1:
        return a
    out: Arr | int = -(-a // b)
    return out


def _rows_cycles(
    plan: _Plan,
    p: Problem,
    dims: dict[str, int],
    cols: list[Arr],
    bounds: list[tuple[int, int]],
    n_pes: int,
    mem_bw: float,
    noc_bw: float,
    want_recount: bool,
) -> tuple[Arr | float, Arr | float]:
    """``(run, recount)`` of :func:`_estimate` on candidate rows (``cols``: one column per
    variable, its values within ``bounds``), the cycles before the fill's compute floor.

    The same operations element for element, except integer ones that cannot change a value:
    scalars stay Python numbers, integer products are grouped (exact), factors and divisors
    of 1 are folded, a ``max`` / ``min`` the bounds show to be the identity is skipped (every
    tile is at least 1), and a tile that advances by its own size ``v`` has
    ``ceil(full / v)`` steps (``ceil(max(full - size, 0) / v) + 1`` with ``size =
    min(v, full)``: the same integer)."""
    rc = _recount_keys(p, dims)
    sy, sx = p.stride_y, p.stride_x
    div = (1 if "Y'" in rc else sy) * (1 if "X'" in rc else sx)
    recounted: Arr | float = 1.0

    def value(i: int, f: _Fixed) -> tuple[Arr | int, int]:
        # max(size, 1) of a variable's column or of a fixed size, and its largest value
        if i < 0:
            x = max(_fixed_value(f, dims), 1)
            return x, x
        lo, hi = bounds[i]
        return (cols[i] if lo >= 1 else np.maximum(cols[i], 1)), max(hi, 1)

    # cluster sizes are max(size, 1) >= 1: their product is too
    clusters = [value(i, f)[0] for i, f in plan.clusters]
    prod: Arr | int = 1
    for c in clusters:
        prod = _imul(prod, c)
    units: list[Arr | int] = [_imax(n_pes // prod, 1), *clusters]
    keys = ("N", "K", "C", "Y'", "X'", "R", "S")
    cur: dict[str, Arr | int] = {k: max(dims.get(k, 1), 1) for k in keys}
    lv_steps: list[Arr | int] = []
    lv_union: list[dict[str, Arr | int]] = []
    for li, maps in enumerate(plan.levels):
        u_l = units[li] if li < len(units) else 1
        steps: Arr | int = 1
        union = dict(cur)
        tile = dict(cur)
        for m in maps:
            full = cur[m.key]  # >= 1
            v, v_hi = value(m.size_var, m.size_fixed)
            skip = v_hi <= 1 or (isinstance(full, int) and v_hi <= full)
            size = v if skip else _imin(v, full)
            same = m.ofs_var == m.size_var and (m.size_var >= 0 or m.ofs_fixed == m.size_fixed)
            ofs = v if same else value(m.ofs_var, m.ofs_fixed)[0]
            down = size
            if m.key in rc:
                s_k = rc[m.key]
                n_out = -(-size // s_k)
                ofs = _imax(ofs, n_out * s_k)
                down = _imin(full, (n_out - 1) * s_k + 1)
                if li == 0:
                    recounted = recounted * (down / _imax(n_out, 1))
                n_tiles = -(-_imax(full - size, 0) // ofs) + 1
            elif same:
                n_tiles = _cdiv(full, v)
            else:
                n_tiles = -(-_imax(full - size, 0) // ofs) + 1
            if m.spatial:
                st = _cdiv(n_tiles, u_l)
                used = _imin(n_tiles, u_l)
                if isinstance(size, int) and size == 1 and isinstance(ofs, int) and ofs == 1:
                    span = used  # 1 + 1 * (used - 1)
                else:
                    span = size + ofs * (used - 1)
                union[m.key] = _imin(full, span)
            else:
                st = n_tiles
                union[m.key] = size
            steps = _imul(steps, st)
            tile[m.key] = down
        lv_steps.append(steps)
        lv_union.append(union)
        cur = tile
    k1 = p.depthwise
    pe_macs = _iprod(cur["N"], cur["C"], cur["R"], cur["S"], cur["Y'"], cur["X'"])  # >= 1
    if div != 1:
        pe_macs = _imax(pe_macs // div, 1)
    run_i = pe_macs if k1 else _imul(pe_macs, cur["K"])
    run: Arr | float = float(run_i) if isinstance(run_i, int) else run_i.astype(float)
    s_xy = sy * sx
    for li in range(len(plan.levels) - 1, -1, -1):
        t = lv_union[li]
        r1 = t["R"] - 1
        s1 = t["S"] - 1
        inp = _iprod(t["N"], t["C"], t["Y'"] + r1, t["X'"] + s1)
        wgt = _iprod(t["C"], t["R"], t["S"], 1 if k1 else t["K"])
        tr_i = inp + wgt
        tr = float(tr_i) if isinstance(tr_i, int) else tr_i.astype(float)
        o_i = _iprod(t["N"], t["C"] if k1 else t["K"], t["Y'"], t["X'"])
        outs = float(o_i) if isinstance(o_i, int) else o_i.astype(float)
        if s_xy != 1:
            outs = outs / s_xy
        step_in = tr / noc_bw
        step = np.maximum(np.maximum(run, step_in), outs / noc_bw)
        if li == 0:
            step = np.maximum(step, np.maximum(tr, outs) / mem_bw)
        run = step_in + lv_steps[li] * step
    return run, recounted if want_recount else 1.0


def _smallest(key: Arr, k: int) -> Arr:
    """The first ``k`` indices of ``np.argsort(key, kind="stable")``: the rows up to the
    ``k``-th smallest value (a partition), sorted stably."""
    if key.size > 4 * k:
        kth = np.partition(key, k - 1)[k - 1]
        if kth == kth:  # not NaN
            cand = np.flatnonzero(key <= kth)
            out: Arr = cand[np.argsort(key[cand], kind="stable")[:k]]
            return out
    first: Arr = np.argsort(key, kind="stable")[:k]
    return first


def coarse_candidates(
    p: Problem,
    template: tuple[Directive, ...],
    n_pes: int,
    mem_bw: float = 128.0,
    noc_bw: float = 256.0,
    objective: str = "edp",
) -> np.ndarray:
    """The coarse grid of one template for one problem, pruned: cluster products within the
    PEs, estimated fill at least half the best, then the :data:`COARSE_KEEP` smallest rough
    cycle estimates (``[n, n_vars]`` values). Sub-tile variables take :data:`SUB_TILE_SHARES`
    of their parent's value and 1.

    Computed without forming the whole grid: the validity and the fill depend on a few
    variables (cluster sizes, the maps that tile a spatial map's dimension), so they are
    evaluated on the product of those variables' choices and broadcast to a mask over the
    grid's index space; only the rows that pass are formed (in the grid's order), expanded by
    their sub-tile values and estimated. The same rows in the same order as
    :func:`_coarse_candidates_reference` (checked in the tests)."""
    plan = _plan(template)
    if not plan.fast:
        return _coarse_candidates_reference(p, template, n_pes, mem_bw, noc_bw, objective)
    vars_ = plan.vars_
    nv = len(vars_)
    dims = _full_dims(p)
    choices = [
        _choices_cached(_bound(v, dims, n_pes), v.lo, True) if v.parent is None else _ONE
        for v in vars_
    ]
    shape = tuple(c.size for c in choices)
    if 0 in shape or nv == 0:
        return _coarse_candidates_reference(p, template, n_pes, mem_bw, noc_bw, objective)
    axes: list[Arr] = []
    for i, c in enumerate(choices):
        s = [1] * nv
        s[i] = c.size
        axes.append(c.reshape(s))
    ok, fill = _coarse_fill(plan, p, dims, axes, n_pes)
    ok_a = np.asarray(ok, dtype=bool)
    fill_a = np.asarray(fill, dtype=float)
    if not ok_a.any():
        return np.zeros((0, nv), dtype=np.int64)
    fmax = np.where(ok_a, fill_a, -np.inf).max()
    mask = np.broadcast_to(ok_a & (fill_a >= 0.5 * fmax), shape)
    idx = np.nonzero(mask)
    macs = problem_counts(p, 1)[0]
    floor = macs / np.maximum(fill_a * n_pes, 1.0)  # the fill's compute floor of the cycles
    floor_rows = np.broadcast_to(floor, shape)[idx]
    cols: list[Arr] = [c[ix] for c, ix in zip(choices, idx, strict=True)]
    bounds = [(int(c[0]), int(c[-1])) for c in choices]
    if plan.children:
        cols, src, bounds = _expand_rows(plan, cols, bounds, dims, n_pes)
        floor_rows = floor_rows[src]
    run, recount = _rows_cycles(
        plan, p, dims, cols, bounds, n_pes, mem_bw, noc_bw, objective != "latency"
    )
    n = floor_rows.shape[0]
    cyc = np.broadcast_to(np.maximum(run, floor_rows), (n,))
    if objective == "latency" or (isinstance(recount, float) and recount == 1.0):
        # without a MAC over-count (x 1.0) the second ranking is the first one
        chosen = _smallest(cyc, COARSE_KEEP)
    else:
        first = _smallest(cyc, COARSE_KEEP // 2)
        taken = set(first.tolist())
        nxt = _smallest(np.broadcast_to(cyc * recount, (n,)), COARSE_KEEP)
        rest = [r for r in nxt.tolist() if r not in taken][: COARSE_KEEP - first.size]
        chosen = np.concatenate([first, np.array(rest, dtype=first.dtype)])
    out = np.empty((chosen.size, nv), dtype=np.int64)
    for i, c in enumerate(cols):
        out[:, i] = c[chosen]
    return out


_ONE = np.ones(1, dtype=np.int64)
_ONE.flags.writeable = False


@lru_cache(maxsize=4096)
def _choices_cached(bound: int, lo: int, coarse: bool) -> np.ndarray:
    """:func:`_choices` of a variable with bound ``bound`` and lower limit ``lo`` (read-only)."""
    out = _choices_of(bound, lo, coarse)
    out.flags.writeable = False
    return out


def _expand_rows(
    plan: _Plan,
    cols: list[Arr],
    bounds: list[tuple[int, int]],
    dims: dict[str, int],
    n_pes: int,
) -> tuple[list[Arr], Arr, list[tuple[int, int]]]:
    """:func:`_expand_children` on columns: the rows' sub-tile values, in the same order
    (option by option, a value an earlier option gave the row not repeated). Returns the
    columns, the source row of each new row and the columns' value bounds."""
    src: Arr | None = None
    child_cols: dict[int, Arr] = {}
    bounds = list(bounds)
    for c, par in plan.children:
        v = plan.vars_[c]
        lo, hi = v.lo, max(_bound(v, dims, n_pes), v.lo)
        if par in child_cols:
            pcol = child_cols[par]
        else:
            pcol = cols[par] if src is None else cols[par][src]
        plo, phi = bounds[par]
        opts: list[Arr] = []
        c_lo, c_hi = hi, lo
        for s in SUB_TILE_SHARES:
            x = pcol if s == 1 else -(-pcol // s)
            x_lo, x_hi = -(-plo // s), -(-phi // s)
            if x_lo < lo:
                x = np.maximum(x, lo)
            if max(x_hi, lo) > hi:
                x = np.minimum(x, hi)
            opts.append(x)  # np.clip(x, lo, hi)
            c_lo = min(c_lo, min(max(x_lo, lo), hi))
            c_hi = max(c_hi, min(max(x_hi, lo), hi))
        last = min(max(lo, 1), hi)
        sel: list[Arr] = [np.arange(pcol.shape[0])]
        vals: list[Arr] = [opts[0]]
        for j in range(1, len(opts) + 1):
            o: Arr | int = opts[j] if j < len(opts) else last
            new_row = opts[0] != o
            for prev in opts[1:j]:
                new_row &= o != prev
            rows = np.flatnonzero(new_row)
            sel.append(rows)
            vals.append(np.full(rows.size, o, dtype=np.int64) if isinstance(o, int) else o[rows])
        pick = np.concatenate(sel)
        src = pick if src is None else src[pick]
        for k in child_cols:
            child_cols[k] = child_cols[k][pick]
        child_cols[c] = np.concatenate(vals)
        bounds[c] = (min(c_lo, last), max(c_hi, last))
    assert src is not None
    out = [child_cols[i] if i in child_cols else col[src] for i, col in enumerate(cols)]
    return out, src, bounds


def _coarse_candidates_reference(
    p: Problem,
    template: tuple[Directive, ...],
    n_pes: int,
    mem_bw: float = 128.0,
    noc_bw: float = 256.0,
    objective: str = "edp",
) -> np.ndarray:
    """:func:`coarse_candidates` computed the direct way: the whole :func:`coarse_grid`, the
    fill of every row, the sub-tiles of the survivors, the full :func:`_estimate` of every
    expanded row. The fast path must return the same array; it falls back to this one when a
    template's fill depends on a sub-tile variable."""
    vars_ = _variables(template)
    dims = _full_dims(p)
    grid = coarse_grid(p, template, n_pes)
    if grid.shape[0] == 0:
        empty: np.ndarray = grid
        return empty
    if any(v.parent is not None for v in vars_):
        # sub-tile variables are temporal: they do not change the fill, so the fill prune runs
        # before they multiply the grid
        values = {v.name: grid[:, i] for i, v in enumerate(vars_)}
        fill = _estimate(
            template, p, dims, values, n_pes, mem_bw, grid.shape[0], noc_bw, fill_only=True
        )[0]
        grid = _expand_children(grid[fill >= 0.5 * fill.max()], vars_, dims, n_pes)
    values = {v.name: grid[:, i] for i, v in enumerate(vars_)}
    fill, cyc, recount = _estimate(template, p, dims, values, n_pes, mem_bw, grid.shape[0], noc_bw)
    keep = np.nonzero(fill >= 0.5 * fill.max())[0]
    by_cycles = keep[np.argsort(cyc[keep], kind="stable")]
    if objective == "latency":
        chosen = by_cycles[:COARSE_KEEP]
    else:
        # half by estimated cycles, the rest by cycles x MAC over-count (energy-aware)
        first = by_cycles[: COARSE_KEEP // 2]
        rest = keep[np.argsort((cyc * recount)[keep], kind="stable")]
        rest = rest[~np.isin(rest, first)][: COARSE_KEEP - first.size]
        chosen = np.concatenate([first, rest])
    out: np.ndarray = grid[chosen]
    return out


def fine_neighbours(
    p: Problem, template: tuple[Directive, ...], n_pes: int, best: np.ndarray
) -> np.ndarray:
    """``best`` with one variable at a time moved to its next smaller or larger fine choice
    (x/2 or 2x for powers of two): at most ``2 x n_vars`` candidates."""
    vars_ = _variables(template)
    dims = _full_dims(p)
    rows: list[np.ndarray] = []
    for i, v in enumerate(vars_):
        fine = _choices(v, dims, n_pes, False)
        x = int(best[i])
        pos = int(np.searchsorted(fine, x))
        for j in (pos - 1, pos + 1 if pos < fine.size and fine[pos] == x else pos):
            if 0 <= j < fine.size and int(fine[j]) != x:
                r = best.copy()
                r[i] = fine[j]
                rows.append(r)
    if not rows:
        return np.zeros((0, len(vars_)), dtype=np.int64)
    grid = np.stack(rows)
    out: np.ndarray = grid[_valid_clusters(grid, vars_, template, n_pes)]
    return out


def instantiate(template: tuple[Directive, ...], values: dict[str, int]) -> tuple[Directive, ...]:
    """The concrete directive list of a template with its variables set."""

    def one(v: Size) -> Size:
        if is_tunable(v):
            assert isinstance(v, str)
            return int(values[tunable_parts(v)[0]])
        return v

    return tuple(
        Directive(d.kind, one(d.size), one(d.offset), d.dim, d.cluster_type) for d in template
    )


def _evaluate_rows(
    template: tuple[Directive, ...],
    layer_idx: np.ndarray,
    values: np.ndarray,
    reps: list[Layer],
    probs: list[Problem],
    reps_count: np.ndarray,
    cls: ChipletClass,
    dimtab: dict[str, np.ndarray],
) -> np.ndarray:
    """``[N_FIELDS, rows]`` costs (the BatchCosts fields) of each candidate row; rows that do
    no work get ``cycles = inf``.

    Candidates of all layers share one analysis pass per kind (depthwise or not): tile sizes
    and cluster sizes are per-row arrays (:func:`mcmsched.cost.vectorised.analyse_batch`).
    Only templates whose ``Cluster`` sizes use ``Sz()`` are split further by structure key (a
    size that resolves badly for one layer then drops only that layer's group). Batches above
    :data:`CHUNK_ROWS` rows run in chunks of that size (rows are independent: the same numbers;
    the arrays of a chunk stay cache-sized)."""
    n_all = layer_idx.shape[0]
    if n_all > CHUNK_ROWS:
        return np.concatenate(
            [
                _evaluate_rows(
                    template,
                    layer_idx[a : a + CHUNK_ROWS],
                    values[a : a + CHUNK_ROWS],
                    reps,
                    probs,
                    reps_count,
                    cls,
                    dimtab,
                )
                for a in range(0, n_all, CHUNK_ROWS)
            ],
            axis=1,
        )
    from mcmsched.cost.batch import _fill

    n_rows = layer_idx.shape[0]
    vals = np.zeros((N_FIELDS, n_rows))
    vals[0] = np.inf
    if n_rows == 0:
        return vals
    vars_ = _variables(template)
    names = [v.name for v in vars_]
    hw = hardware_of(cls)
    sized = any(
        d.kind is DirectiveKind.CLUSTER and isinstance(d.size, str) and not is_tunable(d.size)
        for d in template
    )
    dw_l = np.array([p.depthwise for p in probs], dtype=bool)
    bpe_l = np.array([ly.bytes_per_element for ly in reps], dtype=np.int64)
    parts: list[np.ndarray] = []
    for flag in (False, True):
        rows_arr = np.flatnonzero(dw_l[layer_idx] == flag)
        if rows_arr.size == 0:
            continue
        if not sized:
            parts.append(rows_arr)
            continue
        # Sz() cluster sizes resolve per layer: split further by the structure key
        first = {n: int(values[rows_arr[0], i]) for i, n in enumerate(names)}
        concrete = instantiate(template, first)
        sub: dict[tuple[object, ...], list[int]] = {}
        for r in rows_arr.tolist():
            sub.setdefault(structure_key(probs[int(layer_idx[r])], concrete), []).append(r)
        parts.extend(np.array(v, dtype=np.int64) for v in sub.values())
    for sidx in parts:
        first = {n: int(values[sidx[0], i]) for i, n in enumerate(names)}
        concrete = instantiate(template, first)
        lidx = layer_idx[sidx]
        uniq, rows = np.unique(lidx, return_inverse=True)
        ps = [probs[int(j)] for j in uniq]
        tiles: list[tuple[Arr, Arr] | None] = []
        clusters: list[Arr] = []
        vcols = {n: values[sidx, i] for i, n in enumerate(names)}
        rdims = {k: v[lidx] for k, v in dimtab.items()}
        for d in template:
            if d.kind is DirectiveKind.CLUSTER:
                clusters.append(_rows_size(d.size, rdims, vcols))
                continue
            if not (is_tunable(d.size) or is_tunable(d.offset)):
                tiles.append(None)
                continue
            tiles.append((_rows_size(d.size, rdims, vcols), _rows_size(d.offset, rdims, vcols)))
        try:
            res = analyse_batch(ps, concrete, hw, tiles, clusters, rows.reshape(-1), stats=False)
        except MCMSchedError:
            continue
        ok = (res.runtime > 0) & (res.computations > 0)
        sub_vals = np.zeros((N_FIELDS, sidx.size))
        _fill(
            sub_vals,
            res,
            ok,
            list(range(sidx.size)),
            [],
            reps_count[lidx],
            cls,
            False,
            False,
            bpe=bpe_l[lidx],
        )
        sub_vals[0] = np.where(ok, sub_vals[0], np.inf)
        vals[:, sidx] = sub_vals
    return vals


def _objective(vals: np.ndarray, objective: str) -> np.ndarray:
    cyc: np.ndarray = vals[0]
    en: np.ndarray = vals[1]
    if objective == "latency":
        return cyc
    if objective == "energy":
        return np.where(np.isfinite(cyc), en, np.inf)
    fin = np.isfinite(cyc)
    out: np.ndarray = np.where(fin, np.where(fin, cyc, 0.0) * en, np.inf)
    return out


def better(a: np.ndarray, b: np.ndarray, objective: str) -> np.ndarray:
    """Per column: candidate values ``a`` strictly better than ``b`` (objective, then cycles,
    then energy)."""
    oa, ob = _objective(a, objective), _objective(b, objective)
    out: np.ndarray = (oa < ob) | ((oa == ob) & ((a[0] < b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))))
    return out


def _admissible(vals: np.ndarray, need_macs: np.ndarray, cls: ChipletClass) -> np.ndarray:
    ok: np.ndarray = (
        np.isfinite(vals[0])
        & (vals[7] <= cls.l1_bytes)
        & (vals[8] <= cls.l2_bytes)
        & (vals[5] >= need_macs)
    )
    return ok


def _best_per_layer(vals: np.ndarray, layer_idx: np.ndarray, n: int, objective: str) -> np.ndarray:
    """Row index of the best admissible row per layer (-1: none). Rows must already be
    admissible or have ``cycles = inf``."""
    best = np.full(n, -1, dtype=np.int64)
    if layer_idx.size == 0:
        return best
    obj = _objective(vals, objective)
    order = np.lexsort((vals[1], vals[0], obj, layer_idx))
    li = layer_idx[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = li[1:] != li[:-1]
    for r in order[first]:
        if np.isfinite(vals[0, r]) and np.isfinite(obj[r]):
            best[layer_idx[r]] = r
    return best


def _row_key(layer: int | np.integer, row: np.ndarray) -> tuple[int, bytes]:
    """A hashable key of one candidate (layer index, variable values)."""
    return int(layer), np.asarray(row, dtype=np.int64).tobytes()


def layer_tables(
    reps: list[Layer],
) -> tuple[list[Problem], np.ndarray, dict[str, np.ndarray]]:
    """What :func:`_evaluate_rows` needs about layers ``reps``: the analysed problem of each,
    how many times it repeats (groups / heads) and each dimension per layer (``Y'``/``X'`` the
    output rows/columns at stride 1)."""
    pr = [to_problem(ly) for ly in reps]
    probs = [p for p, _ in pr]
    counts = np.array([g for _, g in pr], dtype=np.int64)
    dims = [_full_dims(p) for p in probs]
    dimtab = {
        k: np.array([d.get(k, 1) for d in dims], dtype=np.int64)
        for k in ("N", "K", "C", "R", "S", "Y", "X", "Y'", "X'")
    }
    return probs, counts, dimtab


def search_layers(
    reps: list[Layer], cls: ChipletClass, fixed: np.ndarray | None
) -> tuple[np.ndarray, list[str]]:
    """Searched costs of distinct layers ``reps`` on ``cls``: ``([N_FIELDS, n] values, directive
    text per layer)``. ``fixed`` holds the fixed mapping's values (``None`` when the dataflow has
    no fixed form); a layer keeps them unless a candidate is strictly better. The text of a
    layer that keeps its fixed mapping is ``""``."""
    n = len(reps)
    probs, reps_count, dimtab = layer_tables(reps)
    need = np.array([_needed_macs(ly) for ly in reps], dtype=float)
    bound = roofline(reps, cls)[0]
    out = np.zeros((N_FIELDS, n))
    out[0] = np.inf
    if fixed is not None:
        out[:] = fixed
        out[0] = np.maximum(out[0], bound)
    text = [""] * n
    tmpl_of: dict[tuple[Directive, ...], list[int]] = {}
    for j, p in enumerate(probs):
        for t in templates_for(cls.dataflow, p.depthwise, p.stride_x > 1):
            tmpl_of.setdefault(t, []).append(j)
    for t, js in tmpl_of.items():
        vars_ = _variables(t)
        names = [v.name for v in vars_]
        # stage 1: coarse grid, pruned by estimated fill
        lay: list[np.ndarray] = []
        vals_l: list[np.ndarray] = []
        for j in js:
            grid = coarse_candidates(
                probs[j],
                t,
                cls.n_pes,
                float(max(1, int(cls.mem_bw))),
                float(max(1, int(cls.noc_bw))),
                cls.objective,
            )
            if grid.shape[0] == 0:
                continue
            lay.append(np.full(grid.shape[0], j, dtype=np.int64))
            vals_l.append(grid)
        if not lay:
            continue

        def score(li: np.ndarray, vv: np.ndarray, t: tuple[Directive, ...] = t) -> np.ndarray:
            """Costs of candidate rows ``vv`` of layers ``li``: inadmissible ones get infinite
            cycles, the others are floored at the layer's roofline bound."""
            res = _evaluate_rows(t, li, vv, reps, probs, reps_count, cls, dimtab)
            EVALUATED[0] += li.size
            ok = _admissible(res, need[li], cls)
            res[0] = np.where(ok, np.maximum(res[0], bound[li]), np.inf)
            return res

        li = np.concatenate(lay)
        vv = np.concatenate(vals_l)
        res = score(li, vv)
        best = _best_per_layer(res, li, n, cls.objective)
        seen = {_row_key(j, row) for j, row in zip(li, vv, strict=True)}
        # stage 2: rounds of fine neighbours around each layer's best so far
        for _ in range(REFINE_ROUNDS):
            lay2: list[np.ndarray] = []
            vals2: list[np.ndarray] = []
            for j in js:
                if best[j] < 0:
                    continue
                nb = fine_neighbours(probs[j], t, cls.n_pes, vv[best[j]])
                # candidates this search already scored (the centre, grid points) are not
                # scored again: their costs are in ``res`` already
                fresh = [r for r in nb if _row_key(j, r) not in seen]
                seen.update(_row_key(j, r) for r in fresh)
                if fresh:
                    lay2.append(np.full(len(fresh), j, dtype=np.int64))
                    vals2.append(np.stack(fresh))
            if not lay2:
                break
            li2 = np.concatenate(lay2)
            vv2 = np.concatenate(vals2)
            res2 = score(li2, vv2)
            li = np.concatenate([li, li2])
            vv = np.concatenate([vv, vv2])
            res = np.concatenate([res, res2], axis=1)
            best = _best_per_layer(res, li, n, cls.objective)
        has = np.nonzero(best >= 0)[0]
        if has.size == 0:
            continue
        cand = res[:, best[has]]
        win = better(cand, out[:, has], cls.objective)
        for jj, r, w in zip(has.tolist(), best[has].tolist(), win.tolist(), strict=True):
            if w:
                out[:, jj] = res[:, r]
                vals_j = {nm: int(vv[r, i]) for i, nm in enumerate(names)}
                text[jj] = " ".join(str(d) for d in instantiate(t, vals_j))
    bad = np.nonzero(~np.isfinite(out[0]))[0]
    if bad.size:
        ly = reps[int(bad[0])]
        raise MCMSchedError(
            f"layer '{ly.name}' on chiplet class '{cls.name}': no candidate mapping of dataflow "
            f"'{cls.dataflow.name}' fits the L1 ({cls.l1_bytes} B per PE) and L2 "
            f"({cls.l2_bytes} B)",
            field="mapping",
        )
    return out, text


def _needed_macs(ly: Layer) -> int:
    """MACs a mapping must count for the layer: those of the analysed problem (the analysis may
    count some twice at strided tile edges, never fewer)."""
    p, g = to_problem(ly)
    return problem_counts(p, g)[0]


def fixed_class(cls: ChipletClass) -> ChipletClass:
    """``cls`` with ``mapping: fixed`` (its dataflow as written)."""
    return replace(cls, mapping="fixed")


__all__ = [
    "SEARCH_TEMPLATES",
    "coarse_candidates",
    "coarse_grid",
    "fine_neighbours",
    "fixed_class",
    "instantiate",
    "layer_tables",
    "search_layers",
    "templates_for",
]
