"""Expected layer costs over chiplet classes (SCAR Eq. 1), at each model's full batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcmsched.cost.table import CostTable


@dataclass(frozen=True)
class ExpectedCosts:
    """Per model, per layer: ``E[Lat(l)] = sum_i n_df_i/|C| * Lat(l -> i)`` (s), likewise energy
    (J) and EDP (J·s, the expectation of latency x energy), at the model's full batch b."""

    latency_s: tuple[np.ndarray, ...]
    energy_j: tuple[np.ndarray, ...]
    edp: tuple[np.ndarray, ...]

    def metric(self, name: str) -> tuple[np.ndarray, ...]:
        return {"latency": self.latency_s, "energy": self.energy_j}.get(name, self.edp)


def expected_costs(costs: CostTable) -> ExpectedCosts:
    """Eq. (1) for every model of ``costs.scenario`` on ``costs.package``."""
    pkg = costs.package
    counts = pkg.class_counts
    frac = np.array([counts[n] / pkg.n_chiplets for n in pkg.class_names])
    lat, en, edp = [], [], []
    for m, entry in enumerate(costs.scenario.entries):
        mc = costs.model_costs(m, entry.batch)
        lat.append(mc.compute_s @ frac)
        en.append(mc.energy_j @ frac)
        edp.append((mc.compute_s * mc.energy_j) @ frac)
    return ExpectedCosts(tuple(lat), tuple(en), tuple(edp))
