"""CostTable: every (layer, chiplet class, mini-batch) cost a scenario needs, as numpy arrays.

The search layers query only this. Costs are computed once per distinct layer shape (a GPT-2
repeats the same shapes many times) and per mini-batch size, and kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mcmsched.cost.analysis import layer_cost
from mcmsched.cost.layer_cost import LayerCost
from mcmsched.hardware.package import Package
from mcmsched.workload.scenario import Scenario


@dataclass(frozen=True)
class ModelCosts:
    """Costs of one model's layers at one mini-batch size; arrays are ``[n_layers, n_classes]``
    with classes in ``Package.class_names`` order."""

    compute_s: np.ndarray  # seconds
    energy_j: np.ndarray  # joules (on-chiplet: MAC + L1 + L2)
    cycles: np.ndarray  # chiplet cycles
    l2_bytes: np.ndarray  # L2 bytes the mapping needs
    weight_bytes: np.ndarray  # [n_layers] trained weight bytes
    input_bytes: np.ndarray  # [n_layers] input activation bytes (per mini-batch)
    output_bytes: np.ndarray  # [n_layers] output activation bytes (per mini-batch)


@dataclass
class CostTable:
    """Lazily filled table of layer costs for ``scenario`` on ``package``."""

    scenario: Scenario
    package: Package
    _shape_cache: dict[tuple[object, ...], LayerCost] = field(default_factory=dict, repr=False)
    _model_cache: dict[tuple[int, int], ModelCosts] = field(default_factory=dict, repr=False)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.package.class_names

    def model_costs(self, model_idx: int, minibatch: int) -> ModelCosts:
        """Costs of model ``model_idx``'s layers with ``minibatch`` samples processed at once."""
        key = (model_idx, minibatch)
        hit = self._model_cache.get(key)
        if hit is not None:
            return hit
        model = self.scenario.entries[model_idx].model
        classes = [self.package.classes[n] for n in self.class_names]
        n_l, n_c = len(model.layers), len(classes)
        cycles = np.zeros((n_l, n_c))
        energy = np.zeros((n_l, n_c))
        secs = np.zeros((n_l, n_c))
        l2 = np.zeros((n_l, n_c))
        for i, layer in enumerate(model.layers):
            batched = layer.with_batch(layer.N * minibatch)
            for j, cls in enumerate(classes):
                ck = (batched.shape_key, cls.name)
                lc = self._shape_cache.get(ck)
                if lc is None:
                    lc = layer_cost(batched, cls)
                    self._shape_cache[ck] = lc
                cycles[i, j] = lc.cycles
                secs[i, j] = lc.cycles / cls.clock_hz
                energy[i, j] = lc.energy_pj * 1e-12
                l2[i, j] = lc.l2_bytes_needed
        mc = ModelCosts(
            compute_s=secs,
            energy_j=energy,
            cycles=cycles,
            l2_bytes=l2,
            weight_bytes=np.array([ly.weight_bytes() for ly in model.layers], dtype=float),
            input_bytes=np.array(
                [ly.input_bytes() * minibatch for ly in model.layers], dtype=float
            ),
            output_bytes=np.array(
                [ly.output_bytes() * minibatch for ly in model.layers], dtype=float
            ),
        )
        self._model_cache[key] = mc
        return mc
