"""Run one sweep job (or a batch of them) and turn any failure into an error result.

A job builds its scenario (zoo name, inline definition or scenario file content), its package
(preset or description, plus overrides), a :class:`CostTable` and runs its strategy. Every
:class:`MCMSchedError` and every other exception becomes a ``status="error"`` result carrying the
message, so one bad job never stops a sweep. Worker processes keep the last few scenarios, packages
and cost tables in memory (jobs of one scenario and package share them); cost tables also use
their disk cache.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.explore.sweep_file import InlineScenario, Job, canonical_json
from mcmsched.hardware.package import Package
from mcmsched.hardware.presets import apply_overrides, get_preset
from mcmsched.hardware.yaml_io import package_from_dict
from mcmsched.schedule.metrics import Metrics
from mcmsched.schedule.options import USER_EVAL_DEFAULTS, EvalOptions
from mcmsched.search.options import USER_DEFAULTS, SearchOptions, SearchResult
from mcmsched.search.registry import get_strategy
from mcmsched.workload.scenario import Scenario, ScenarioModel
from mcmsched.workload.zoo import get_model, get_scenario


@dataclass(frozen=True)
class JobResult:
    """What running a job gives.

    - ``status``: ``"ok"`` or ``"error"``; ``error``: the message (error rows only);
    - ``metrics``: :func:`summarize_metrics` of the best schedule (ok rows only);
    - ``schedule_json``: the schedule (``Schedule.to_json``) when the job keeps schedules;
    - ``wall_s``: wall-clock seconds of the whole job (building, costs, search);
    - ``finished_at``: UTC ISO-8601 time the job finished; ``worker``: host:pid that ran it;
    - ``cpu_s``: CPU seconds the worker process spent on the job (``cpu_s / wall_s`` well below 1
      means the worker waited for a core: other processes were competing for the CPU).
    """

    job_id: str
    params: dict[str, Any]
    status: str
    metrics: dict[str, Any] | None
    error: str | None
    schedule_json: str | None
    wall_s: float
    finished_at: str
    worker: str
    cpu_s: float = 0.0


def summarize_metrics(result: SearchResult) -> dict[str, Any]:
    """The scalar and per-model/per-window metrics of a search result (no timeline; the schedule
    re-creates it). Units: s, J, J·s, inferences/s."""
    m: Metrics = result.metrics
    return {
        "latency_s": m.latency_s,
        "energy_j": m.energy_j,
        "edp": m.edp,
        "throughput_ips": m.throughput_ips,
        "total_samples": m.total_samples,
        "compute_j": m.energy.compute_j,
        "nop_j": m.energy.nop_j,
        "dram_j": m.energy.dram_j,
        "n_windows": len(m.window_latency_s),
        "window_latency_s": list(m.window_latency_s),
        "window_energy_j": list(m.window_energy_j),
        "model_completion_s": list(m.model_completion_s),
        "chiplet_utilisation": list(m.chiplet_utilisation),
        "package_name": result.package.name,
        "n_chiplets": result.package.n_chiplets,
        "total_pes": result.package.total_pes,
        "search_evaluations": result.stats.evaluations,
        "search_wall_s": result.stats.wall_s,
    }


# ---- per-process caches -----------------------------------------------------------------------

_K = TypeVar("_K")
_V = TypeVar("_V")


class _LRU(OrderedDict[_K, _V]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: _K, make: Callable[[], _V]) -> _V:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


_SCENARIOS: _LRU[str, Scenario] = _LRU(16)
_PACKAGES: _LRU[str, Package] = _LRU(64)
_TABLES: _LRU[str, CostTable] = _LRU(8)


def _inline_scenario(data: Any, where: str) -> Scenario:
    try:
        spec = InlineScenario.model_validate(data)
    except Exception as err:  # pydantic ValidationError
        raise MCMSchedError(f"invalid scenario: {err}", field=where) from None
    entries = []
    for e in spec.models:
        model = get_model(e.model, **e.options)
        entries.append(ScenarioModel(model, e.batch, e.latency_target_s))
    return Scenario(spec.name, tuple(entries))


def _is_runner_file(data: Any) -> bool:
    models = data.get("models") if isinstance(data, dict) else None
    return isinstance(models, list) and any(
        isinstance(m, dict) and any(k in m for k in ("zoo", "onnx", "maestro", "hf"))
        for m in models
    )


def build_scenario(spec: Any) -> Scenario:
    """A scenario from a job's scenario spec: a zoo scenario name, an inline ``{name, models}``
    dict, or ``{"file", "yaml", "dir"}`` whose YAML is a scenario file of ``mcmsched run``
    (models given by ``zoo``/``onnx``/``maestro``/``hf``; its package, strategy and options are
    checked but the sweep's are used), or the inline form, or has a ``scenario`` key holding a
    zoo name or the inline form."""
    if isinstance(spec, str):
        return get_scenario(spec)
    if isinstance(spec, dict) and "yaml" in spec:
        data = spec["yaml"]
        src = str(spec.get("file", "scenario file"))
        if _is_runner_file(data):
            from mcmsched.runner.config import config_from_dict

            return config_from_dict(data, source=src, base_dir=spec.get("dir")).scenario
        try:
            if isinstance(data, dict) and "scenario" in data and "models" not in data:
                data = data["scenario"]
            if isinstance(data, str):
                return get_scenario(data)
            if isinstance(data, dict) and "name" not in data:
                data = {"name": src.rsplit(".", 1)[0], **data}
            return _inline_scenario(data, "scenario")
        except MCMSchedError as err:
            raise err.with_file(src) from None
    return _inline_scenario(spec, "scenario")


def build_package(spec: Any, overrides: dict[str, Any]) -> Package:
    """A package from a preset name or a description dict, with ``overrides`` applied."""
    if isinstance(spec, str):
        return get_preset(spec, **overrides)
    pkg = package_from_dict(spec)
    return apply_overrides(pkg, **overrides) if overrides else pkg


def _build(job: Job) -> tuple[Scenario, Package, CostTable]:
    skey = canonical_json(job.scenario)
    pkey = canonical_json([job.package, job.overrides])
    scenario = _SCENARIOS.get_or(skey, lambda: build_scenario(job.scenario))
    package = _PACKAGES.get_or(pkey, lambda: build_package(job.package, job.overrides))
    table = _TABLES.get_or(skey + "\0" + pkey, lambda: CostTable(scenario, package))
    return scenario, package, table


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job: Job) -> JobResult:
    """Run ``job``; never raises for a failure inside the job (it becomes an error result)."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    try:
        scenario, package, table = _build(job)
        strategy = get_strategy(job.strategy)
        search = {**USER_DEFAULTS, **job.search}  # user defaults (partitioning on)
        ev = {**USER_EVAL_DEFAULTS, **job.eval}  # user defaults (b' searched)
        options = SearchOptions(**search, seed=job.seed, eval_options=EvalOptions(**ev))
        result = strategy(scenario, package, table, job.objective, options)
        metrics = summarize_metrics(result)
        sched = result.schedule.to_json(indent=None) if job.store_schedule else None
        return JobResult(
            job.id,
            job.params(),
            "ok",
            metrics,
            None,
            sched,
            time.perf_counter() - t0,
            _now(),
            _worker(),
            time.process_time() - c0,
        )
    except MCMSchedError as err:
        message = str(err)
    except Exception as err:  # any bug or resource problem in one job must not stop the sweep
        tail = "".join(traceback.format_exception(err)[-3:]).strip()
        message = f"{type(err).__name__}: {err}\n{tail}"
    return JobResult(
        job.id,
        job.params(),
        "error",
        None,
        message,
        None,
        time.perf_counter() - t0,
        _now(),
        _worker(),
        time.process_time() - c0,
    )


def run_batch(jobs: Sequence[Job]) -> list[JobResult]:
    """Run several jobs one after another in this process (one executor task)."""
    return [run_job(j) for j in jobs]


def error_result(job: Job, message: str) -> JobResult:
    """An error result for a job that could not run at all (e.g. its worker died)."""
    return JobResult(job.id, job.params(), "error", None, message, None, 0.0, _now(), _worker())


__all__ = [
    "JobResult",
    "build_package",
    "build_scenario",
    "error_result",
    "run_batch",
    "run_job",
    "summarize_metrics",
]
