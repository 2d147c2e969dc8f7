"""Batch evaluation of many layers on chiplet classes (what the CostTable and the bench call).

:func:`evaluate_layers` deduplicates the layers by ``Layer.shape_key``, groups the distinct
shapes of each class by analysis structure (same directives, same kind, same cluster sizes) and
analyses each group in one vectorised pass (:mod:`mcmsched.cost.vectorised`). Layers whose
mapping yields no work as written fall back to the scalar analysis, which clamps the tiles
(:func:`mcmsched.cost.analysis.analyse_layer`). Results are numpy arrays aligned with the input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from mcmsched.cost import mapping_store
from mcmsched.cost.analysis import (
    _clamp_tiles,
    _directives_of,
    analyse_layer,
    cost_from_analysis,
    hardware_of,
    maps_groups,
    to_problem,
)
from mcmsched.cost.directives_analysis import Problem
from mcmsched.cost.roofline import roofline
from mcmsched.cost.vectorised import VResult, analyse_batch, structure_key
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import Directive, DirectiveKind
from mcmsched.workload.layer import Layer

# Bump whenever the analysis or the mapping search changes its numbers (invalidates the on-disk
# CostTable cache and the searched-mapping store).
COST_MODEL_VERSION = "directive-analysis-3-l2out-mapper-trconv-phases-subtiles-rs"

Orientation = Literal["as-written", "best"]
"""How a layer's spatial axes meet a dataflow. ``"as-written"``: Y and X as in the layer.
``"best"``: the mapper also tries the transposed layer (Y<->X, R<->S, strides; the same work) and
keeps, per layer and chiplet class, the orientation with fewer cycles (ties: less energy). This
matters for GEMMs written as ``Y = tokens, X = 1``: a dataflow that spreads X' over its top-level
clusters (the NVDLA-like built-in) would otherwise leave most PEs idle."""


@dataclass(frozen=True)
class BatchCosts:
    """Costs of a list of layers on one chiplet class (arrays of the list's length).

    ``cycles`` (cycles), ``energy_pj`` (MAC + L1 + L2, pJ), ``mac_pj``/``l1_pj``/``l2_pj``
    (components, pJ), ``macs``, ``utilization`` (0..1), ``l1_bytes``/``l2_bytes`` (buffer
    bytes the mapping needs); ``mapping``: the searched directive text per layer (``""``: the
    class's dataflow as written), ``bound_cycles``/``bound``: the roofline lower bound (cycles)
    and which bound holds (:func:`mcmsched.cost.roofline.roofline`).
    """

    cycles: np.ndarray
    energy_pj: np.ndarray
    mac_pj: np.ndarray
    l1_pj: np.ndarray
    l2_pj: np.ndarray
    macs: np.ndarray
    utilization: np.ndarray
    l1_bytes: np.ndarray
    l2_bytes: np.ndarray
    mapping: np.ndarray | None = None
    bound_cycles: np.ndarray | None = None
    bound: np.ndarray | None = None

    def take(self, index: np.ndarray | slice) -> BatchCosts:
        """The costs of the layers at ``index`` (every array indexed alike)."""
        a = [getattr(self, f)[index] for f in _ARRAY_FIELDS]
        return BatchCosts(
            a[0],
            a[1],
            a[2],
            a[3],
            a[4],
            a[5],
            a[6],
            a[7],
            a[8],
            mapping=None if self.mapping is None else self.mapping[index],
            bound_cycles=None if self.bound_cycles is None else self.bound_cycles[index],
            bound=None if self.bound is None else self.bound[index],
        )


_ARRAY_FIELDS = (
    "cycles",
    "energy_pj",
    "mac_pj",
    "l1_pj",
    "l2_pj",
    "macs",
    "utilization",
    "l1_bytes",
    "l2_bytes",
)


def evaluate_layers(
    layers: list[Layer],
    classes: list[ChipletClass],
    *,
    use_layer_dataflow: bool = False,
    check_buffers: bool = True,
    orientation: Orientation = "as-written",
) -> list[BatchCosts]:
    """Costs of every layer on every class (one :class:`BatchCosts` per class, in order).

    ``orientation="best"`` (see :data:`Orientation`) is ignored with ``use_layer_dataflow``:
    a layer's own directives are written for its own orientation."""
    if orientation not in ("as-written", "best"):
        raise MCMSchedError(
            f"unknown orientation {orientation!r} (valid: as-written, best)", field="orientation"
        )
    if orientation == "best" and not use_layer_dataflow:
        return _best_orientation(layers, classes, check_buffers)
    uniq: dict[tuple[object, ...], int] = {}
    index = np.empty(len(layers), dtype=np.int64)
    reps: list[Layer] = []
    for i, ly in enumerate(layers):
        sk = ly.shape_key
        j = uniq.get(sk)
        if j is None:
            j = len(reps)
            uniq[sk] = j
            reps.append(ly)
        index[i] = j
    out: list[BatchCosts] = []
    for cls in classes:
        searched = cls.mapping == "searched" and not use_layer_dataflow
        if searched:
            vals, text = _searched_memo(reps, cls)
        else:
            text = [""] * len(reps)
            vals = _evaluate_class(reps, cls, use_layer_dataflow, check_buffers=False)
            if check_buffers:
                _sequential_fallback(vals, reps, cls, use_layer_dataflow)
        if not any(text):
            text_arr = np.full(len(reps), "", dtype=object)
        else:
            text_arr = np.array(text, dtype=object)
        bound, kind = roofline(reps, cls)
        full = BatchCosts(
            vals[0],
            vals[1],
            vals[2],
            vals[3],
            vals[4],
            vals[5],
            vals[6],
            vals[7],
            vals[8],
            mapping=text_arr,
            bound_cycles=bound,
            bound=kind,
        )
        out.append(full.take(index))
    return out


#: Searched mappings already found in this process: (class, layer shape) -> (the 9 cost values,
#: the chosen directive text). A layer's search does not depend on the other layers evaluated
#: with it, so tables of other scenarios (or other mini-batch sizes) with the same shapes on the
#: same class reuse the result; the class (a frozen dataclass) is part of the key, so any
#: parameter change misses. Bounded: cleared when it reaches :data:`_MEMO_MAX` entries.
_SEARCH_MEMO: dict[tuple[ChipletClass, tuple[object, ...]], tuple[np.ndarray, str]] = {}
_MEMO_MAX = 200_000


def _searched_memo(reps: list[Layer], cls: ChipletClass) -> tuple[np.ndarray, list[str]]:
    """Searched-mapping costs (``[9, len(reps)]``) and directive texts of ``reps`` on ``cls``,
    searching only the shapes neither this process (:data:`_SEARCH_MEMO`) nor the on-disk store
    (:mod:`mcmsched.cost.mapping_store`) holds; new results go to both."""
    keys = [(cls, ly.shape_key) for ly in reps]
    found = {k: _SEARCH_MEMO[k] for k in keys if k in _SEARCH_MEMO}
    todo = [j for j, k in enumerate(keys) if k not in found]
    if todo:  # shapes another process searched already
        stored = mapping_store.load(COST_MODEL_VERSION, cls, [keys[j][1] for j in todo])
        found.update(((cls, shape), hit) for shape, hit in stored.items())
        todo = [j for j in todo if keys[j] not in found]
    new: dict[tuple[ChipletClass, tuple[object, ...]], tuple[np.ndarray, str]] = {}
    if todo:
        layers = [reps[j] for j in todo]
        if cls.dataflow.tunable:
            vals, text = _search(layers, cls, None)
        else:
            vals = _evaluate_class(layers, cls, False, check_buffers=False)
            _sequential_fallback(vals, layers, cls, False, soft=True)
            vals, text = _search(layers, cls, vals)
        for col, j in enumerate(todo):
            new[keys[j]] = (vals[:, col].copy(), text[col])
        mapping_store.save(COST_MODEL_VERSION, cls, [(k[1], v, t) for k, (v, t) in new.items()])
    found.update(new)
    fresh = {k: found[k] for k in keys if k not in _SEARCH_MEMO}
    if len(_SEARCH_MEMO) + len(fresh) > _MEMO_MAX:
        _SEARCH_MEMO.clear()
    _SEARCH_MEMO.update(fresh)
    hits = [found[k] for k in keys]
    return np.stack([h[0] for h in hits], axis=1), [h[1] for h in hits]


def _search(
    reps: list[Layer], cls: ChipletClass, fixed: np.ndarray | None
) -> tuple[np.ndarray, list[str]]:
    from mcmsched.cost.mapper import search_layers

    return search_layers(reps, cls, fixed)


def _sequential_fallback(
    vals: np.ndarray,
    reps: list[Layer],
    cls: ChipletClass,
    use_layer_dataflow: bool,
    soft: bool = False,
) -> None:
    """Layers whose batched tiles overflow the chiplet's L1 or L2 run their ``N`` samples one
    after another (as if ``TemporalMap(1,1) N`` led the dataflow, with no reuse across samples):
    ``N`` times the cycles, energy and MACs of one sample, one sample's buffers. A layer whose
    single sample does not fit raises the buffer error naming the layer and the class (with
    ``soft``, used before a mapping search, gets ``cycles = inf`` instead)."""
    bad = np.nonzero((vals[7] > cls.l1_bytes) | (vals[8] > cls.l2_bytes))[0]
    for j in bad:
        ly = reps[int(j)]
        try:
            if ly.N == 1:
                layer_cost_check(ly, cls, use_layer_dataflow)
            one = _evaluate_class([ly.with_batch(1)], cls, use_layer_dataflow, check_buffers=True)
        except MCMSchedError:
            if not soft:
                raise
            vals[0, j] = np.inf
            continue
        vals[:, j] = one[:, 0]
        vals[(0, 1, 2, 3, 4, 5), j] *= ly.N


def _best_orientation(
    layers: list[Layer], classes: list[ChipletClass], check_buffers: bool
) -> list[BatchCosts]:
    """Per layer and class, the cheaper of the layer and its transpose (fewer cycles, then less
    energy)."""
    flipped = [ly.transposed() for ly in layers]
    differs = np.array([f.shape_key != ly.shape_key for f, ly in zip(flipped, layers, strict=True)])
    if not differs.any():
        return evaluate_layers(layers, classes, check_buffers=check_buffers)
    both = evaluate_layers(
        [*layers, *(f for f, d in zip(flipped, differs, strict=True) if d)],
        classes,
        check_buffers=check_buffers,
    )
    n = len(layers)
    alt_index = np.cumsum(differs) - 1 + n  # position of each layer's transpose in ``both``
    out: list[BatchCosts] = []
    for bc, cls in zip(both, classes, strict=True):
        cyc, en = bc.cycles[:n], bc.energy_pj[:n]
        alt = np.where(differs, alt_index, np.arange(n))
        a_cyc, a_en = bc.cycles[alt], bc.energy_pj[alt]
        if cls.mapping == "searched":
            from mcmsched.cost.mapper import better

            take_alt = differs & better(np.stack([a_cyc, a_en]), np.stack([cyc, en]), cls.objective)
            if bc.mapping is not None:
                tagged = np.array(
                    [f"[transposed] {t}" if t else "[transposed]" for t in bc.mapping],
                    dtype=object,
                )
                bc = replace(bc, mapping=np.where(np.arange(len(tagged)) >= n, tagged, bc.mapping))
        else:
            take_alt = differs & ((a_cyc < cyc) | ((a_cyc == cyc) & (a_en < en)))
        pick = np.where(take_alt, alt, np.arange(n))
        out.append(bc.take(pick))
    return out


def _evaluate_class(
    reps: list[Layer], cls: ChipletClass, use_layer_dataflow: bool, check_buffers: bool
) -> np.ndarray:
    """``[9, len(reps)]``: the BatchCosts fields of every distinct layer on ``cls``."""
    n = len(reps)
    vals = np.zeros((9, n))
    hw = hardware_of(cls)
    # directive tuples are keyed by identity (hashing them per layer is slow); ``known`` keeps
    # them alive so the ids stay valid
    groups: dict[tuple[int, tuple[object, ...]], list[int]] = {}
    known: dict[int, tuple[Directive, ...]] = {}
    static: dict[int, bool] = {}  # directives whose cluster sizes do not depend on the layer
    with_g: dict[int, bool] = {}  # directives that map the group dimension G
    probs: list[Problem | None] = []
    reps_count = np.ones(n, dtype=np.int64)
    dfs: list[tuple[Directive, ...]] = []
    scalar: list[int] = []
    for j, ly in enumerate(reps):
        if use_layer_dataflow:
            if ly.dataflow is None:
                scalar.append(j)  # analyse_layer raises the error naming the layer
                probs.append(None)
                dfs.append(())
                continue
            try:
                d = _directives_of(ly.dataflow)
            except MCMSchedError:
                scalar.append(j)
                probs.append(None)
                dfs.append(())
                continue
        p, r = to_problem(ly)
        if not use_layer_dataflow:
            d = cls.dataflow.directives_for(p.depthwise)
        dkey = id(d)
        if dkey not in known:
            known[dkey] = d
            static[dkey] = all(
                isinstance(x.size, int) for x in d if x.kind is DirectiveKind.CLUSTER
            )
            with_g[dkey] = maps_groups(d)
        if with_g[dkey]:
            p, r = to_problem(ly, d)
        probs.append(p)
        dfs.append(d)
        reps_count[j] = r
        skey = (p.depthwise,) if static[dkey] else structure_key(p, d)
        groups.setdefault((dkey, skey), []).append(j)
    no_work: list[int] = []
    for clamped_pass in (False, True):
        if clamped_pass:
            # mappings with no work as written: clamp every tile to its dimension (as the
            # scalar path does) and analyse those groups again
            groups = {}
            canon: dict[tuple[Directive, ...], tuple[Directive, ...]] = {}
            for j in no_work:
                pj = probs[j]
                assert pj is not None
                d = _clamp_tiles(dfs[j], pj)
                d = canon.setdefault(d, d)  # equal clamped lists share one object (and group)
                known[id(d)] = d
                groups.setdefault((id(d), structure_key(pj, d)), []).append(j)
        for (dkey, _), idx in groups.items():
            d = known[dkey]
            ps = [p for p in (probs[j] for j in idx) if p is not None]
            try:
                res = analyse_batch(ps, d, hw)
            except MCMSchedError:
                scalar.extend(idx)  # the scalar path raises with the layer and class named
                continue
            ok = (res.runtime > 0) & (res.computations > 0)
            failed = [j for j, good in zip(idx, ok, strict=True) if not good]
            (scalar if clamped_pass else no_work).extend(failed)
            _fill(vals, res, ok, idx, reps, reps_count, cls, use_layer_dataflow, check_buffers)
    for j in scalar:
        ly = reps[j]
        la = analyse_layer(ly, cls, use_layer_dataflow=use_layer_dataflow)
        lc = cost_from_analysis(ly, cls, la, check_buffers=check_buffers)
        vals[:, j] = (
            lc.cycles,
            lc.energy_pj,
            lc.mac_energy_pj,
            lc.l1_energy_pj,
            lc.l2_energy_pj,
            lc.macs,
            lc.utilization,
            lc.l1_bytes_needed,
            lc.l2_bytes_needed,
        )
    return vals


def _fill(
    vals: np.ndarray,
    res: VResult,
    ok: np.ndarray,
    idx: list[int],
    reps: list[Layer],
    reps_count: np.ndarray,
    cls: ChipletClass,
    use_layer_dataflow: bool,
    check_buffers: bool,
    bpe: np.ndarray | None = None,
) -> None:
    """Write the costs of the rows of ``res`` that did work into ``vals`` (columns ``idx``).
    ``bpe``: optional bytes per element per column of ``vals`` (else read from ``reps``)."""
    e = cls.energy
    sel = np.nonzero(ok)[0]
    if sel.size == 0:
        return
    cols = np.asarray(idx)[sel]
    g = reps_count[cols]
    if bpe is None:
        bpe = np.array([reps[j].bytes_per_element for j in cols], dtype=np.int64)
    else:
        bpe = bpe[cols]
    macs = res.computations[sel] * g
    l1_acc = (res.l1_read[:, sel].sum(axis=0) + res.l1_write[:, sel].sum(axis=0)) * g
    l2_acc = (
        res.l2_read[0, sel]
        + res.l2_write[0, sel]
        + res.l2_read[1, sel]
        + res.l2_write[1, sel]
        + res.l2_write[2, sel]
        + res.l2_read[2, sel]
    ) * g
    l1_need = res.l1_size_first_leaf[sel] * bpe
    l2_need = res.l2_size[:, sel].sum(axis=0) * bpe
    if check_buffers:
        bad = (l1_need > cls.l1_bytes) | (l2_need > cls.l2_bytes)
        if bad.any():
            j = int(cols[np.argmax(bad)])
            layer_cost_check(reps[j], cls, use_layer_dataflow)
    vals[0, cols] = res.runtime[sel] * g
    vals[2, cols] = macs * e.mac_pj
    vals[3, cols] = l1_acc * e.mac_pj * e.l1_factor
    vals[4, cols] = l2_acc * e.mac_pj * e.l2_factor
    vals[1, cols] = vals[2, cols] + vals[3, cols] + vals[4, cols]
    vals[5, cols] = macs
    vals[6, cols] = res.avg_active[sel] / cls.n_pes
    vals[7, cols] = l1_need
    vals[8, cols] = l2_need


def layer_cost_check(layer: Layer, cls: ChipletClass, use_layer_dataflow: bool) -> None:
    """Raise the buffer error of ``layer`` on ``cls`` (scalar path, same message)."""
    la = analyse_layer(layer, cls, use_layer_dataflow=use_layer_dataflow)
    cost_from_analysis(layer, cls, la, check_buffers=True)
