"""The papers' experiments as named, runnable configurations (``mcmsched reproduce NAME``).

Each experiment module has ``run(ctx: RunContext) -> ExperimentResult``; :mod:`.registry` names
them, :mod:`.findings` checks the papers' stated findings against the numbers, :mod:`.writer`
writes Markdown, CSV and JSON. See docs/EXPERIMENTS.md.
"""

from mcmsched.experiments.base import ExperimentResult, Finding, Job, RunContext
from mcmsched.experiments.registry import get_experiment, list_experiments, run_experiment
from mcmsched.experiments.writer import print_result, to_markdown, write_result

__all__ = [
    "ExperimentResult",
    "Finding",
    "Job",
    "RunContext",
    "get_experiment",
    "list_experiments",
    "print_result",
    "run_experiment",
    "to_markdown",
    "write_result",
]
