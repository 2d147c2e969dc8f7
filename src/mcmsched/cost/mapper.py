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
its bound plus the bound itself -- the largest dimension it tiles (for a map) or the PE count (for
a cluster; a variable used by both gets the smaller bound) -- within its ``{lo..hi}`` range. The
product of the cluster sizes must not exceed the PEs. The search runs in two stages: a coarse grid
(powers of four plus the bound), of which candidates whose estimated spatial PE fill is below half
of the best candidate's are dropped; then the fine neighbours (x/2, x, 2x per variable) of the
best coarse candidate.
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
#: channels (tokens x output features on a GEMM) instead of output rows x columns.
SEARCH_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nvdla": (
        (
            "TemporalMap(?c,?c) C; TemporalMap(?k,?k) K; TemporalMap(?y,?y) Y'; "
            "SpatialMap(?x,?x) X'; Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?c,?c) C; "
            "TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; Cluster(?c,P); SpatialMap(1,1) C;",
        ),
        (
            "TemporalMap(?c,?c) C; TemporalMap(?k,?k) K; TemporalMap(?y,?y) Y'; "
            "SpatialMap(?x,?x) X'; Cluster(?k,P); SpatialMap(1,1) K; TemporalMap(?c,?c) C; "
            "TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; Cluster(?c,P); SpatialMap(1,1) C;",
        ),
    ),
    "shidiannao": (
        (
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; Cluster(?c,P); "
            "SpatialMap(1,1) C;",
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?k,P); SpatialMap(1,1) K;",
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; Cluster(?k,P); "
            "SpatialMap(1,1) K;",
        ),
        (
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; Cluster(?c,P); "
            "SpatialMap(1,1) C;",
        ),
    ),
    "nvdla-maestro": (
        (
            "SpatialMap(?k,?k) K; TemporalMap(?c,?c) C; " + _R_S + " TemporalMap(?y,?y) Y'; "
            "TemporalMap(?x,?x) X'; Cluster(?c,P); SpatialMap(1,1) C; TemporalMap(?y,?y) Y'; "
            "TemporalMap(?x,?x) X'; " + _R_S,
        ),
        ("SpatialMap(?c,?c) C; TemporalMap(?y,?y) Y'; TemporalMap(?x,?x) X'; " + _R_S,),
    ),
    "shidiannao-maestro": (
        (
            "TemporalMap(?k,?k) K; TemporalMap(?c,?c) C; SpatialMap(?y,?y) Y'; "
            "TemporalMap(?x,?x) X'; Cluster(?x,P); SpatialMap(1,1) X'; " + _R_S,
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?k,P); SpatialMap(1,1) K; " + _R_S,
            "TemporalMap(?k,?k) K; SpatialMap(?y,?y) Y'; TemporalMap(?x,?x) X'; "
            "TemporalMap(?c,?c) C; Cluster(?x,P); SpatialMap(1,1) X'; Cluster(?k,P); "
            "SpatialMap(1,1) K; " + _R_S,
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


def templates_for(df: Dataflow, depthwise: bool) -> list[tuple[Directive, ...]]:
    """The tunable directive lists the mapper searches for ``df`` on a (depthwise) layer: the
    dataflow's own list if it has tunable sizes, the built-in's :data:`SEARCH_TEMPLATES` if
    ``df`` is a built-in, else none (only the fixed mapping)."""
    own = df.directives_for(depthwise)
    if any(is_tunable(d.size) or is_tunable(d.offset) for d in own):
        return [own]
    builtin = BUILTIN_DATAFLOWS.get(df.name)
    if builtin is None or builtin != df or df.name not in SEARCH_TEMPLATES:
        return []
    main, dw = SEARCH_TEMPLATES[df.name]
    return [_parsed(t) for t in (dw if depthwise else main)]


@dataclass(frozen=True)
class _Var:
    name: str
    lo: int
    hi: int  # 0: no range limit
    cluster: bool
    dims: tuple[str, ...]


@lru_cache(maxsize=256)
def _variables(template: tuple[Directive, ...]) -> tuple[_Var, ...]:
    info: dict[str, tuple[int, int, bool, set[str]]] = {}
    for d in template:
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
            info[name] = (lo, hi, cl, dims)
    return tuple(_Var(n, lo, hi, cl, tuple(sorted(ds))) for n, (lo, hi, cl, ds) in info.items())


def _full_dims(p: Problem) -> dict[str, int]:
    dims = dict(p.dims)
    dims["Y'"] = dims["Y"] - dims["R"] + 1
    dims["X'"] = dims["X"] - dims["S"] + 1
    return dims


def _choices(var: _Var, dims: dict[str, int], n_pes: int, coarse: bool) -> np.ndarray:
    bound = max((dims.get(d, 1) for d in var.dims), default=n_pes)
    if var.cluster:
        bound = min(bound, n_pes)
    if var.hi:
        bound = min(bound, var.hi)
    lo = var.lo
    if bound < lo:
        return np.zeros(0, dtype=np.int64)
    step = 4 if coarse else 2
    vals = {bound}
    v = 1
    while v < bound:
        if v >= lo:
            vals.add(v)
        v *= step
    return np.array(sorted(vals), dtype=np.int64)


def _resolve_size(v: Size, dims: dict[str, int], values: dict[str, Arr], n: int) -> Arr:
    if isinstance(v, int):
        return np.full(n, v, dtype=np.int64)
    if is_tunable(v):
        return values[tunable_parts(v)[0]]
    dim, add = size_parts(v)
    return np.full(n, dims.get(dim, 0) + add, dtype=np.int64)


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
) -> tuple[Arr, Arr]:
    """Per candidate: the estimated fraction of PEs the spatial maps keep busy (product over
    levels of min(1, spatial tiles / units)) and a rough cycle estimate, max(MACs / busy PEs,
    top-level steps x (input + weight tile) / mem_bw). Used only to prune the coarse grid
    before the analysis ranks the survivors."""
    clusters = [
        _resolve_size(d.size, dims, values, n) for d in template if d.kind is DirectiveKind.CLUSTER
    ]
    prod = np.ones(n, dtype=np.int64)
    for c in clusters:
        prod = prod * np.maximum(c, 1)
    units = [np.maximum(n_pes // np.maximum(prod, 1), 1), *clusters]
    cur = {k: np.full(n, max(v, 1), dtype=np.int64) for k, v in dims.items()}
    cur["Y"] = cur["Y'"]
    cur["X"] = cur["X'"]
    fill = np.ones(n)
    level = 0
    tiles: dict[str, Arr] = {}
    top: dict[str, Arr] = {}
    for d in [*template, Directive(DirectiveKind.CLUSTER, 1)]:
        if d.kind is DirectiveKind.CLUSTER:
            for k, tile in tiles.items():
                cur[k] = np.minimum(cur[k], tile)
            tiles = {}
            level += 1
            continue
        key = {"Y": "Y'", "X": "X'"}.get(d.dim, d.dim)
        size = np.maximum(_resolve_size(d.size, dims, values, n), 1)
        ofs = np.maximum(_resolve_size(d.offset, dims, values, n), 1)
        tiles[key] = size
        full = cur.get(key, np.ones(n, dtype=np.int64))
        if d.kind is DirectiveKind.SPATIAL and level < len(units):
            n_tiles = -(-np.maximum(full - size, 0) // ofs) + 1
            fill = fill * np.minimum(1.0, n_tiles / np.maximum(units[level], 1))
            if level == 0:
                top[key] = np.minimum(full, size + ofs * (units[0] - 1))
        elif level == 0:
            top[key] = np.minimum(full, size)
    steps = np.ones(n)
    t: dict[str, Arr] = {}
    for k in ("N", "K", "C", "Y'", "X'", "R", "S"):
        full_k = max(dims.get(k, 1), 1)
        t[k] = top.get(k, np.full(n, full_k, dtype=np.int64))
        if k in ("Y'", "X'") and k not in top:
            t[k] = np.full(n, full_k, dtype=np.int64)
        steps = steps * np.ceil(full_k / t[k])
    iy = (t["Y'"] - 1) * p.stride_y + t["R"]
    ix = (t["X'"] - 1) * p.stride_x + t["S"]
    inp = t["N"] * t["C"] * iy * ix
    wgt = t["C"] * t["R"] * t["S"] * (1 if p.depthwise else t["K"])
    macs = problem_counts(p, 1)[0]
    est = np.maximum(macs / np.maximum(fill * n_pes, 1.0), steps * (inp + wgt) / mem_bw)
    return fill, est


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


REFINE_ROUNDS = 2
"""Rounds of one-variable-at-a-time refinement around the best candidate so far."""
EVALUATED = [0]
"""Candidate evaluations so far in this process (read by bench/cost_model.py)."""
COARSE_KEEP = 16
"""Coarse candidates per (layer, template) the analysis ranks (after the fill prune, the ones
with the smallest rough cycle estimate)."""


def coarse_candidates(
    p: Problem, template: tuple[Directive, ...], n_pes: int, mem_bw: float = 128.0
) -> np.ndarray:
    """The coarse grid of one template for one problem, pruned: cluster products within the
    PEs, estimated fill at least half the best, then the :data:`COARSE_KEEP` smallest rough
    cycle estimates (``[n, n_vars]`` values)."""
    vars_ = _variables(template)
    dims = _full_dims(p)
    grid = _grid(vars_, [_choices(v, dims, n_pes, True) for v in vars_])
    grid = grid[_valid_clusters(grid, vars_, template, n_pes)]
    if grid.shape[0] == 0:
        empty: np.ndarray = grid
        return empty
    values = {v.name: grid[:, i] for i, v in enumerate(vars_)}
    fill, est = _estimate(template, p, dims, values, n_pes, mem_bw, grid.shape[0])
    keep = np.nonzero(fill >= 0.5 * fill.max())[0]
    keep = keep[np.argsort(est[keep], kind="stable")[:COARSE_KEEP]]
    out: np.ndarray = grid[keep]
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
    size that resolves badly for one layer then drops only that layer's group)."""
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


def search_layers(
    reps: list[Layer], cls: ChipletClass, fixed: np.ndarray | None
) -> tuple[np.ndarray, list[str]]:
    """Searched costs of distinct layers ``reps`` on ``cls``: ``([N_FIELDS, n] values, directive
    text per layer)``. ``fixed`` holds the fixed mapping's values (``None`` when the dataflow has
    no fixed form); a layer keeps them unless a candidate is strictly better. The text of a
    layer that keeps its fixed mapping is ``""``."""
    n = len(reps)
    pr = [to_problem(ly) for ly in reps]
    probs = [p for p, _ in pr]
    reps_count = np.array([g for _, g in pr], dtype=np.int64)
    need = np.array([_needed_macs(ly) for ly in reps], dtype=float)
    dimtab: dict[str, np.ndarray] = {}
    for k in ("N", "K", "C", "R", "S", "Y", "X", "Y'", "X'"):
        dimtab[k] = np.array([_full_dims(p).get(k, 1) for p in probs], dtype=np.int64)
    bound = roofline(reps, cls)[0]
    out = np.zeros((N_FIELDS, n))
    out[0] = np.inf
    if fixed is not None:
        out[:] = fixed
        out[0] = np.maximum(out[0], bound)
    text = [""] * n
    tmpl_of: dict[tuple[Directive, ...], list[int]] = {}
    for j, p in enumerate(probs):
        for t in templates_for(cls.dataflow, p.depthwise):
            tmpl_of.setdefault(t, []).append(j)
    for t, js in tmpl_of.items():
        vars_ = _variables(t)
        names = [v.name for v in vars_]
        # stage 1: coarse grid, pruned by estimated fill
        lay: list[np.ndarray] = []
        vals_l: list[np.ndarray] = []
        for j in js:
            grid = coarse_candidates(probs[j], t, cls.n_pes, float(max(1, int(cls.mem_bw))))
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
    "fine_neighbours",
    "fixed_class",
    "instantiate",
    "search_layers",
    "templates_for",
]
