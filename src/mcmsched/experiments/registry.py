"""The experiments by name: ``get_experiment(name)``, ``list_experiments()``,
``run_experiment(name, ctx)``."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from mcmsched.errors import MCMSchedError
from mcmsched.experiments.base import ExperimentResult, RunContext

Runner = Callable[[RunContext], ExperimentResult]

# name -> (module under mcmsched.experiments, one-line description)
_EXPERIMENTS: dict[str, tuple[str, str]] = {
    "paper1": ("paper1", "GPT-2 + ResNet-50 on mcm-2x2 vs a monolithic OS accelerator"),
    "scar-motivation": ("motivation", "SCAR's 2x2 motivational study (A1-A3, B1-B3 EDP ratios)"),
    "scar-datacenter": ("datacenter", "Sc1-5 x six strategies x {latency, EDP} search, 3x3"),
    "scar-arvr": ("arvr", "Sc6-10 from XRBench usage scenarios, 256 PEs, EDP search"),
    "scar-6x6": ("six", "Sc4 on 6x6: Het-Cross vs Simba(Shi)/(NVD), evolutionary search"),
    "scar-ablations": ("ablations", "n_splits, triangular NoP, exhaustive PROV, packing"),
}


def list_experiments() -> list[tuple[str, str]]:
    """``(name, description)`` of every experiment."""
    return [(k, d) for k, (_, d) in _EXPERIMENTS.items()]


def get_experiment(name: str) -> Runner:
    """The ``run(ctx)`` function of experiment ``name``."""
    key = name.strip().lower()
    if key not in _EXPERIMENTS:
        raise MCMSchedError(
            f"unknown experiment '{name}' (valid: {', '.join(_EXPERIMENTS)})", field="experiment"
        )
    mod = importlib.import_module(f"mcmsched.experiments.{_EXPERIMENTS[key][0]}")
    runner: Runner = mod.run
    return runner


def run_experiment(name: str, ctx: RunContext | None = None) -> ExperimentResult:
    """Run experiment ``name`` with ``ctx`` (default: full configuration, no progress bar)."""
    return get_experiment(name)(ctx or RunContext())
