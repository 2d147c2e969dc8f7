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
        lat.append(_feasible_mean(mc.compute_s, frac, mc.feasible))
        en.append(_feasible_mean(mc.energy_j, frac, mc.feasible))
        edp.append(_feasible_mean(mc.compute_s * mc.energy_j, frac, mc.feasible))
    return ExpectedCosts(tuple(lat), tuple(en), tuple(edp))


def _feasible_mean(values: np.ndarray, frac: np.ndarray, ok: np.ndarray | None) -> np.ndarray:
    """``values @ frac`` per layer, over the classes that can run the layer (``ok``; a class
    that cannot hold a layer is left out and the weights of the others renormalised)."""
    if ok is None or ok.all():
        return np.asarray(values @ frac)
    w = np.where(ok, frac[None, :], 0.0)
    total = w.sum(axis=1)
    safe = np.where(ok, values, 0.0)
    return np.where(total > 0, (safe * w).sum(axis=1) / np.where(total > 0, total, 1.0), np.inf)
