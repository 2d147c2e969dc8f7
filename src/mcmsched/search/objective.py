"""Objectives: what a search minimises (lower is better).

Named objectives: ``"latency"`` (s), ``"energy"`` (J), ``"edp"`` (J·s), ``"throughput"`` (scored as
minus inferences per second). A callable ``Metrics -> float`` is a user objective (lower is
better). Searches optimise windows one at a time with a *window key* of the window's latency and
energy: latency for ``latency``/``throughput``, energy for ``energy``, latency x energy for
``edp`` and for user objectives (which are applied to whole schedules only). Latency keys break
ties by energy and energy keys by latency (a 1e-9 weight).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.schedule.metrics import Metrics

NAMED = ("latency", "energy", "edp", "throughput")
# Ties of the window latency (a max over models) are common: the remaining models' placements do
# not change it. A 1e-9 s/J (resp. J/s) term breaks such ties by energy (resp. latency) without
# trading any meaningful amount of the primary metric.
TIE_BREAK = 1e-9
ObjectiveLike = str | Callable[[Metrics], float]


@dataclass(frozen=True)
class Objective:
    """A resolved objective: ``name`` is one of :data:`NAMED` or ``"custom"``."""

    name: str
    fn: Callable[[Metrics], float] | None = None

    def score(self, m: Metrics) -> float:
        """The value to minimise for a whole schedule."""
        if self.fn is not None:
            return float(self.fn(m))
        if self.name == "latency":
            return m.latency_s
        if self.name == "energy":
            return m.energy_j
        if self.name == "throughput":
            return -m.throughput_ips
        return m.edp

    @property
    def window_metric(self) -> str:
        """``latency``, ``energy`` or ``edp``: the per-window key."""
        if self.name in ("latency", "throughput"):
            return "latency"
        if self.name == "energy":
            return "energy"
        return "edp"

    def window_key(self, latency_s: Any, energy_j: Any) -> Any:
        """Key of a window (or a model's plan) with this latency and energy (lower is better)."""
        wm = self.window_metric
        if wm == "latency":
            return latency_s + TIE_BREAK * energy_j
        if wm == "energy":
            return energy_j + TIE_BREAK * latency_s
        return latency_s * energy_j


def make_objective(objective: ObjectiveLike | Objective) -> Objective:
    """Resolve a name or a callable to an :class:`Objective`."""
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        key = objective.lower()
        if key not in NAMED:
            raise MCMSchedError(
                f"unknown objective '{objective}' (valid: {', '.join(NAMED)}, or a function)",
                field="objective",
            )
        return Objective(key)
    if callable(objective):
        return Objective("custom", objective)
    raise MCMSchedError(f"objective must be a name or a function, got {objective!r}")
