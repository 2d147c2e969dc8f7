"""Costs of layers split across k chiplets (intra-layer partitioning).

A layer split ``k`` ways along a dimension runs one *share* on each chiplet:

- ``"K"`` (output channels): each share computes ``ceil(K / k)`` output channels and holds that
  fraction of the weights. A grouped layer (``groups > 1``: attention heads, depthwise, element-
  wise) is split by groups: ``ceil(groups / k)`` groups per share (so ``k <= groups``).
- ``"Y"`` (tokens / output rows): each share computes ``ceil(out_y / k)`` output rows (input rows
  ``(rows - 1) * stride + R``, halo included; a transposed conv splits its input rows); weights
  are replicated.
- ``"C"`` (input channels): each share reduces over ``ceil(C / k)`` input channels and produces
  partial sums of the whole output (reduced afterwards); grouped layers cannot be split along C.

When ``k`` exceeds a layer's extent along the dimension (:func:`split_extent`), only
``k_eff = min(k, extent)`` chiplets work on that layer. The largest (ceil) share decides the
latency; the energy of the layer is ``k_eff`` times the share's energy (the ceil share; an
uneven split over-counts by at most one row/channel per chiplet).

:class:`SplitCosts` evaluates share shapes through :func:`mcmsched.cost.batch.evaluate_layers`
(deduplicated by shape, cached in memory per table). Times in seconds, energies in joules, sizes
in bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.workload.layer import Layer, OpKind

SPLIT_DIMS = ("K", "Y", "C")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def split_extent(layer: Layer, dim: str) -> int:
    """The largest useful number of shares of ``layer`` along ``dim`` (1: not splittable)."""
    if dim == "K":
        return layer.groups if layer.groups > 1 else layer.K
    if dim == "Y":
        return layer.Y if layer.kind is OpKind.TRCONV else layer.out_y
    if dim == "C":
        return layer.C if layer.groups == 1 else 1
    raise MCMSchedError(f"unknown split dimension {dim!r} (valid: K, Y, C)", field="dim")


def split_layer(layer: Layer, dim: str, k: int) -> tuple[Layer, int]:
    """``(share, k_eff)``: the largest share of ``layer`` split ``k`` ways along ``dim`` and the
    number of chiplets that get work (``min(k, split_extent)``)."""
    if k < 1:
        raise MCMSchedError(f"split count must be >= 1, got {k}", field="chiplets")
    k_eff = min(k, split_extent(layer, dim))
    if k_eff <= 1:
        return layer, 1
    if dim == "K":
        if layer.groups > 1:
            g = _ceil(layer.groups, k_eff)
            kg, cg = layer.K // layer.groups, layer.C // layer.groups
            return replace(layer, K=g * kg, C=g * cg, groups=g), k_eff
        return replace(layer, K=_ceil(layer.K, k_eff)), k_eff
    if dim == "C":
        return replace(layer, C=_ceil(layer.C, k_eff)), k_eff
    if layer.kind is OpKind.TRCONV:
        return replace(layer, Y=_ceil(layer.Y, k_eff)), k_eff
    rows = _ceil(layer.out_y, k_eff)
    return replace(layer, Y=(rows - 1) * layer.stride_y + layer.R), k_eff


@dataclass(frozen=True)
class SplitModelCosts:
    """One model's layers split ``k`` ways along ``dim`` at one mini-batch size.

    ``compute_s``/``energy_j`` (``[n_layers, n_classes]``): time (s) and energy (J) of the largest
    share on each class; ``k_eff`` (``[n_layers]``): chiplets with work; ``share_weight_bytes``
    (``[n_layers]``): weight bytes each working chiplet loads (the whole tensor for ``Y``)."""

    compute_s: np.ndarray
    energy_j: np.ndarray
    k_eff: np.ndarray
    share_weight_bytes: np.ndarray


@dataclass
class SplitCosts:
    """Split-share costs of ``table``'s scenario on ``table``'s package classes, cached.

    Costs are computed lazily per (share shape, class): a split segment only needs its own
    layers on the classes of its team, and a share's cost on a class does not depend on the
    other layers or classes evaluated with it (see :mod:`mcmsched.cost.batch`), so entries
    never asked for are never searched."""

    table: CostTable
    #: (share shape, class index) -> (compute seconds, energy joules)
    _shapes: dict[tuple[tuple[object, ...], int], tuple[float, float]] = field(
        default_factory=dict, repr=False
    )
    #: (model, minibatch, dim, k) -> (shares, costs with NaN where not yet computed)
    _models: dict[tuple[int, int, str, int], tuple[list[Layer], SplitModelCosts]] = field(
        default_factory=dict, repr=False
    )

    def _base(
        self, model_idx: int, minibatch: int, dim: str, k: int
    ) -> tuple[list[Layer], SplitModelCosts]:
        key = (model_idx, minibatch, dim, k)
        hit = self._models.get(key)
        if hit is not None:
            return hit
        model = self.table.scenario.entries[model_idx].model
        shares: list[Layer] = []
        k_eff = np.empty(len(model.layers), dtype=np.int64)
        w_share = np.empty(len(model.layers), dtype=float)
        for i, ly in enumerate(model.layers):
            share, ke = split_layer(ly, dim, k)
            k_eff[i] = ke
            w_share[i] = float(ly.weight_bytes() if dim == "Y" else share.weight_bytes())
            shares.append(share.with_batch(share.N * minibatch))
        n_cls = len(self.table.class_names)
        comp = np.full((len(shares), n_cls), np.nan)
        energy = np.full((len(shares), n_cls), np.nan)
        out = (shares, SplitModelCosts(comp, energy, k_eff, w_share))
        self._models[key] = out
        return out

    def model_costs(
        self,
        model_idx: int,
        minibatch: int,
        dim: str,
        k: int,
        layers: tuple[int, int] | None = None,
        classes: Iterable[int] | None = None,
    ) -> SplitModelCosts:
        """Costs of model ``model_idx``'s layers at ``minibatch`` samples, split ``k`` ways
        along ``dim``. With ``layers`` (``(start, stop)``) and/or ``classes`` (class indices),
        only those entries are guaranteed computed (others may be NaN); by default all are."""
        shares, out = self._base(model_idx, minibatch, dim, k)
        s0, s1 = layers if layers is not None else (0, len(shares))
        n_cls = len(self.table.class_names)
        cls_list = sorted({int(c) for c in classes}) if classes is not None else list(range(n_cls))
        for c in cls_list:
            need = [i for i in range(s0, s1) if np.isnan(out.compute_s[i, c])]
            if not need:
                continue
            todo = list(
                {
                    shares[i].shape_key: shares[i]
                    for i in need
                    if (shares[i].shape_key, c) not in self._shapes
                }.values()
            )
            if todo:
                cls = self.table.package.classes[self.table.class_names[c]]
                res = evaluate_layers(todo, [cls], orientation=self.table.orientation)[0]
                for j, s in enumerate(todo):
                    self._shapes[(s.shape_key, c)] = (
                        float(res.cycles[j]) / cls.clock_hz,
                        float(res.energy_pj[j]) * 1e-12,
                    )
            for i in need:
                t, e = self._shapes[(shares[i].shape_key, c)]
                out.compute_s[i, c] = t
                out.energy_j[i, c] = e
        return out
