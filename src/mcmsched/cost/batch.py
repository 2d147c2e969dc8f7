"""Batch evaluation of many layers on chiplet classes (what the CostTable and the bench call).

:func:`evaluate_layers` deduplicates the layers by ``Layer.shape_key``, evaluates each distinct
shape once per class with :func:`mcmsched.cost.analysis.analyse_layer` (whose per-problem results
and per-level sub-analyses are memoised) and returns numpy arrays aligned with the input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcmsched.cost.analysis import analyse_layer, cost_from_analysis
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.workload.layer import Layer

# Bump whenever the analysis changes its numbers (invalidates the on-disk CostTable cache).
COST_MODEL_VERSION = "directive-analysis-1"


@dataclass(frozen=True)
class BatchCosts:
    """Costs of a list of layers on one chiplet class (arrays of the list's length).

    ``cycles`` (cycles), ``energy_pj`` (MAC + L1 + L2, pJ), ``mac_pj``/``l1_pj``/``l2_pj``
    (components, pJ), ``macs``, ``utilization`` (0..1), ``l1_bytes``/``l2_bytes`` (buffer
    bytes the mapping needs).
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


def evaluate_layers(
    layers: list[Layer],
    classes: list[ChipletClass],
    *,
    use_layer_dataflow: bool = False,
    check_buffers: bool = True,
) -> list[BatchCosts]:
    """Costs of every layer on every class (one :class:`BatchCosts` per class, in order)."""
    uniq: dict[tuple[object, ...], int] = {}
    index = np.empty(len(layers), dtype=np.int64)
    reps: list[Layer] = []
    for i, ly in enumerate(layers):
        j = uniq.get(ly.shape_key)
        if j is None:
            j = len(reps)
            uniq[ly.shape_key] = j
            reps.append(ly)
        index[i] = j
    out: list[BatchCosts] = []
    n = len(reps)
    for cls in classes:
        vals = np.zeros((9, n))
        for j, ly in enumerate(reps):
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
        v = vals[:, index]
        out.append(BatchCosts(*(v[k] for k in range(9))))
    return out
