"""Search: SCAR's engines, baselines, the exact optimum for small instances, and the registry."""

from mcmsched.search.objective import Objective, make_objective
from mcmsched.search.options import SearchOptions, SearchResult, SearchStats
from mcmsched.search.registry import get_strategy, list_strategies

__all__ = [
    "Objective",
    "SearchOptions",
    "SearchResult",
    "SearchStats",
    "get_strategy",
    "list_strategies",
    "make_objective",
]
