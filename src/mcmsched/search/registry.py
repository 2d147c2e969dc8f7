"""Strategies by name: ``get_strategy(name)`` / ``list_strategies()``.

A strategy is ``(scenario, package, costs, objective, options) -> SearchResult``.
"""

from __future__ import annotations

from collections.abc import Callable

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.search.baselines import monolithic, nn_baton, scar, simba, standalone
from mcmsched.search.exact import exact_search
from mcmsched.search.objective import Objective, ObjectiveLike
from mcmsched.search.options import SearchOptions, SearchResult
from mcmsched.workload.scenario import Scenario

Strategy = Callable[
    [Scenario, Package, CostTable, ObjectiveLike | Objective, SearchOptions | None], SearchResult
]

_STRATEGIES: dict[str, tuple[Strategy, str]] = {
    "scar": (scar, "SCAR: windows, PROV, SEG top-k, scheduling-tree placement"),
    "standalone": (standalone, "SCAR's engines with one chiplet per model per window"),
    "simba": (simba, "Simba-like pipelining: SCAR's engines on a homogeneous package"),
    "monolithic": (monolithic, "one big output-stationary chiplet, models in sequence"),
    "nn-baton": (nn_baton, "one model at a time from chiplet 0, split only when weights overflow"),
    "exhaustive": (exact_search, "exact optimum over the whole space (tiny instances only)"),
}


def list_strategies() -> list[tuple[str, str]]:
    """``(name, one-line description)`` of every strategy."""
    return [(k, d) for k, (_, d) in _STRATEGIES.items()]


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name``."""
    try:
        return _STRATEGIES[name.lower()][0]
    except KeyError:
        raise MCMSchedError(
            f"unknown strategy '{name}' (valid: {', '.join(_STRATEGIES)})", field="strategy"
        ) from None
