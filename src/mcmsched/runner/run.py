"""Run a scenario file: search its package, score the baselines, return a :class:`Result`.

``run(path_or_config)`` is the notebook entry point (``mcmsched.run``)::

    res = run("examples/paper1.yaml")
    res.metrics.latency_s, res.metrics.energy_j
    res.timeline_figure()          # matplotlib Figure
    res.write("out/")              # schedule.json, metrics.json, layers.csv, PNGs, report.html

Baselines (``baselines: true`` in the file, the default): the same scenario on a monolithic
output-stationary accelerator with the package's total PEs and L2 (strategy ``monolithic``), and,
for each chiplet class of the package, on the package's layout with every chiplet of that class
exactly as the user defined it (``homogeneous-<class>``; strategy ``simba``, same objective and
search options). They run in worker processes while the main search runs.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mcmsched.cost.table import CostTable, NoClassFitsError
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.hardware.package import Chiplet, Package
from mcmsched.runner.config import (
    RunConfig,
    config_from_dict,
    load_scenario_file,
    resolve_package,
)
from mcmsched.runner.result import BaselineResult, ComparisonResult, Result
from mcmsched.search.objective import make_objective, scenario_targets
from mcmsched.search.options import SearchResult
from mcmsched.search.registry import get_strategy

#: ``progress(stage, done, total)``: ``stage`` names what runs (``"search"``, ``"baseline
#: monolithic"``, ...); ``done`` / ``total`` count its steps (windows solved).
RunProgress = Callable[[str, int, int], None]

ScenarioSource = str | Path | Mapping[str, Any] | RunConfig


def load_config(source: ScenarioSource) -> RunConfig:
    """A :class:`RunConfig` from a scenario file path, a parsed dict, or a RunConfig."""
    if isinstance(source, RunConfig):
        return source
    if isinstance(source, str | Path):
        return load_scenario_file(source)
    if isinstance(source, Mapping):
        return config_from_dict(source)
    raise MCMSchedError(
        f"run() takes a scenario file path, a dict or a RunConfig, got {type(source).__name__}"
    )


def homogeneous_like(pkg: Package, dataflow: str) -> Package:
    """``pkg``'s layout, links, DRAM interfaces, NoP and DRAM with every chiplet of one class
    running ``dataflow``: the package's own class with that dataflow if it has one, else its first
    chiplet's class with the dataflow swapped (same PEs, buffers, bandwidths, clock, energies)."""
    df = get_dataflow(dataflow)
    own = [pkg.classes[n] for n in pkg.class_names if pkg.classes[n].dataflow.name == df.name]
    if own:
        cls = own[0]
    else:
        from mcmsched.hardware.presets import CLASS_NAMES

        first = pkg.chiplet_class(0)
        cls = replace(first, name=CLASS_NAMES.get(df.name, df.name), dataflow=df)
    return _all_chiplets_of(pkg, cls, f"'{pkg.name}' with every chiplet {cls.name} ({df.name})")


def _all_chiplets_of(pkg: Package, cls: ChipletClass, description: str) -> Package:
    """``pkg`` (layout, links, DRAM interfaces, NoP, DRAM) with every chiplet of class ``cls``,
    named ``<pkg>-all-<class>``."""
    chiplets = tuple(Chiplet(c.id, cls.name, c.row, c.col, c.dram_interface) for c in pkg.chiplets)
    return Package(
        name=f"{pkg.name}-all-{cls.name}",
        classes={cls.name: cls},
        chiplets=chiplets,
        links=pkg.links,
        topology=pkg.topology,
        nop=pkg.nop,
        dram=pkg.dram,
        description=description,
    )


def _search(
    cfg: RunConfig,
    strategy: str,
    package: Package,
    costs: CostTable | None,
    stage: str,
    progress: RunProgress | None,
) -> tuple[SearchResult, CostTable]:
    table = costs if costs is not None else CostTable(cfg.scenario, package)
    cb = None
    if progress is not None:
        report = progress

        def cb(done: int, total: int) -> None:
            report(stage, done, total)

        report(stage, 0, 1)
    opts = replace(cfg.options, progress=cb)
    fn = get_strategy(strategy)
    objective = make_objective(cfg.objective, scenario_targets(cfg.scenario))
    try:
        res = fn(cfg.scenario, package, table, objective, opts)
    except NoClassFitsError as err:  # a layer no class of this package can hold
        raise MCMSchedError(f"{stage}: {err.reason}", file=cfg.source, field="package") from None
    except MCMSchedError as err:
        what = f"{err.field}: {err.reason}" if err.field else err.reason
        raise MCMSchedError(
            f"{stage} on '{package.name}' failed: {what}", file=cfg.source, field="strategy"
        ) from None
    bad = infeasible_placement(res, table)
    if bad is not None:
        raise MCMSchedError(f"{stage} on '{package.name}': {bad}", file=cfg.source, field="package")
    if progress is not None:
        progress(stage, 1, 1)
    return res, table


def infeasible_placement(res: SearchResult, table: CostTable) -> str | None:
    """Why ``res``'s schedule cannot run (a layer on a chiplet whose class cannot hold it: the
    search found no placement avoiding it), or None when every placement is feasible."""
    if res.package is not table.package and res.package != table.package:
        return None  # a strategy that built its own package (monolithic) and its own table
    for w, win in enumerate(res.schedule.windows):
        for plan in win.plans:
            mc = table.model_costs(plan.model, plan.minibatch)
            if mc.feasible is None:
                continue
            for seg in plan.segments:
                cls = res.package.chiplet_class(seg.chiplet).name
                c = table.class_names.index(cls)
                for i in range(seg.start, seg.stop):
                    if not mc.feasible[i, c]:
                        entry = table.scenario.entries[plan.model]
                        return (
                            f"no schedule found that avoids class '{cls}' for layer "
                            f"'{entry.model.layers[i].name}' of model '{entry.model.name}', "
                            f"which the class cannot hold (window {w}, chiplet {seg.chiplet})"
                        )
    return None


def run(
    scenario: ScenarioSource,
    *,
    package: str | Mapping[str, Any] | Package | None = None,
    baselines: bool | None = None,
    progress: RunProgress | None = None,
    baseline_workers: int | None = None,
) -> Result:
    """Search the scenario (file path, parsed dict or :class:`RunConfig`) on its package, or on
    ``package`` (preset name, YAML path relative to the working directory, or Package) when
    given, and score the baselines (unless ``baselines=False`` or the file says
    ``baselines: false``). Every input mistake raises :class:`MCMSchedError` before any search
    runs. The baselines (:func:`baseline_designs`) are searched in ``baseline_workers`` forked
    worker processes while the main search runs (default: one per CPU, at most one per baseline;
    ``$MCMSCHED_BASELINE_WORKERS`` overrides; 0 or 1 runs them one after another here). A
    baseline that cannot run (a class that cannot hold some layer) is left out and named in
    ``Result.skipped_baselines``."""
    cfg = load_config(scenario)
    if package is not None:
        # a path given here (or on the command line) is relative to the working directory
        pkg, label = resolve_package(package, Path.cwd(), cfg.source, "package")
        cfg = cfg.with_package(pkg, label)
    do_baselines = cfg.baselines if baselines is None else baselines

    jobs = baseline_designs(cfg.package) if do_baselines else []
    # a homogeneous package is its own homogeneous baseline: reuse the main search there
    reuse = [
        j.key
        for j in jobs
        if j.strategy == "simba"
        and cfg.strategy in ("scar", "simba")
        and _same_classes(j.package, cfg.package)
    ]
    todo = [j for j in jobs if j.key not in reuse]
    workers = _baseline_workers(baseline_workers, len(todo))
    pool = _start_pool(workers) if workers > 1 else None
    found: dict[str, BaselineResult] = {}
    skipped: dict[str, str] = {}
    try:
        futures = (
            {
                # pickled here, before the main search fills lazily cached attributes of the
                # scenario and package (the pool's feeder thread would pickle them meanwhile)
                j.key: pool.submit(
                    _baseline_search_pickled,
                    pickle.dumps((cfg, j.strategy, j.package, f"baseline {j.key}")),
                )
                for j in todo
            }
            if pool is not None
            else {}
        )
        main, costs = _search(cfg, cfg.strategy, cfg.package, None, "search", progress)
        for j in jobs:
            stage = f"baseline {j.key}"
            try:
                if j.key in reuse:
                    res = main
                elif pool is not None:
                    if progress is not None:
                        progress(stage, 0, 1)
                    try:
                        res = futures[j.key].result()
                    except BrokenProcessPool:  # the worker died: run this baseline here
                        res, _ = _search(cfg, j.strategy, j.package, None, stage, progress)
                    if progress is not None:
                        progress(stage, 1, 1)
                else:
                    shared = costs if j.strategy == "monolithic" else None
                    res, _ = _search(cfg, j.strategy, j.package, shared, stage, progress)
            except MCMSchedError as err:  # e.g. a class that cannot hold some layer
                skipped[j.key] = f"{j.label}: {err.reason}"
                continue
            found[j.key] = BaselineResult(j.key, j.label, j.strategy, res.package, res.metrics)
    except BaseException:
        if pool is not None:
            _stop_pool(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return Result(
        config=cfg,
        search=main,
        costs=costs,
        baselines=found,
        skipped_baselines=skipped,
    )


@dataclass(frozen=True)
class BaselineDesign:
    """A baseline to score: its ``key`` (``monolithic``, ``homogeneous-<class>``), the label the
    tables show (naming the class it is built from), the strategy and the package."""

    key: str
    label: str
    strategy: str
    package: Package


def homogeneous_of_class(pkg: Package, class_name: str) -> Package:
    """``pkg``'s layout, links, DRAM interfaces, NoP and DRAM with every chiplet of class
    ``class_name`` exactly as ``pkg`` defines it (same dataflow, PEs, buffers, bandwidths, clock
    and energies)."""
    if class_name not in pkg.classes:
        raise MCMSchedError(
            f"package '{pkg.name}' has no class '{class_name}' "
            f"(classes: {', '.join(pkg.class_names)})",
            field="package",
        )
    cls = pkg.classes[class_name]
    return _all_chiplets_of(
        pkg,
        cls,
        f"'{pkg.name}' with every chiplet of its class '{cls.name}' "
        f"({cls.dataflow.name}, {cls.n_pes} PEs)",
    )


def baseline_designs(pkg: Package) -> list[BaselineDesign]:
    """The baselines of a run on ``pkg``: the monolithic output-stationary accelerator with
    ``pkg``'s total PEs and L2, and one homogeneous package per class of ``pkg`` (the user's own
    class, as defined; strategy ``simba``)."""
    out = [BaselineDesign("monolithic", "monolithic OS", "monolithic", pkg)]
    for name in pkg.class_names:
        cls = pkg.classes[name]
        out.append(
            BaselineDesign(
                f"homogeneous-{name}",
                f"homogeneous {name} ({cls.dataflow.name}, {cls.n_pes} PEs)",
                "simba",
                homogeneous_of_class(pkg, name),
            )
        )
    return out


def _baseline_search_pickled(job: bytes) -> SearchResult:
    """One baseline search in a worker process (no progress callback); ``job`` is the pickled
    ``(config, strategy, package, stage)``."""
    cfg, strategy, package, stage = pickle.loads(job)
    res, _ = _search(cfg, strategy, package, None, stage, None)
    return res


def _baseline_workers(requested: int | None, n_jobs: int) -> int:
    if n_jobs == 0:
        return 0
    if requested is None:
        env = os.environ.get("MCMSCHED_BASELINE_WORKERS")
        requested = int(env) if env and env.strip().isdigit() else (os.cpu_count() or 1)
    return max(0, min(requested, n_jobs))


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (the run failed or was
    interrupted: the baselines are not needed)."""
    try:
        workers = list(dict(getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in workers:
            if p.is_alive():
                p.terminate()
        for p in workers:
            p.join(timeout=5)
    except Exception:  # never hide the error that stopped the run
        pass


def _start_pool(workers: int) -> ProcessPoolExecutor | None:
    """A pool of forked workers (no re-import of the caller's script, so ``run()`` in a script
    without ``if __name__ == "__main__"`` is safe), or None where fork is not available or in a
    daemonic process (the baselines then run one after another)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:
        return None  # inside a daemonic worker (multiprocessing.Pool): no children allowed
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )


def _worker_init(parent_pid: int) -> None:
    """In a baseline worker: leave Ctrl-C to the parent (which ends the workers), take back the
    default SIGTERM action and, on Linux, die with the parent so a killed run leaves no process.

    A forked worker inherits the CLI's clean-exit handler (:mod:`mcmsched.interrupt`), which turns
    SIGTERM into ``SystemExit`` and then ignores SIGTERM. The pool's worker loop catches the
    ``SystemExit`` raised inside a job, reports it and waits for the next job, so a worker killed
    that way lived on, ignoring every later SIGTERM. Here SIGTERM is the default action again,
    the parent-death signal is SIGKILL (``prctl(PR_SET_PDEATHSIG)``, which no handler can catch),
    and a parent that died before the ``prctl`` call (``parent_pid`` is no longer the parent)
    ends the worker at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _same_classes(a: Package, b: Package) -> bool:
    return a.classes == b.classes and [c.cls for c in a.chiplets] == [c.cls for c in b.chiplets]


def compare(
    scenario: ScenarioSource,
    packages: Sequence[str | Mapping[str, Any] | Package] | None = None,
    *,
    baseline: str | None = None,
    progress: RunProgress | None = None,
) -> ComparisonResult:
    """Run the scenario on each of ``packages`` (preset names, YAML paths relative to the working
    directory, or Packages; default: the file's ``compare.packages``, relative to the file) with
    its strategy, objective and options; ``baseline`` (a package label, default the first) is
    the reference of the normalised bars. All packages are checked before any search runs."""
    cfg = load_config(scenario)
    specs = list(packages) if packages else list(cfg.compare_packages)
    if not specs:
        raise MCMSchedError(
            "no packages to compare: pass --packages or add 'compare: {packages: [...]}'",
            file=cfg.source,
            field="compare.packages",
        )
    configs: list[RunConfig] = []
    for i, spec in enumerate(specs):
        fld = "compare.packages" if packages is None else f"--packages[{i}]"
        # paths in the file's compare.packages are relative to the file; paths passed here (or
        # on the command line) to the current working directory
        where = cfg.base_dir if not packages else Path.cwd()
        pkg, label = resolve_package(spec, where, cfg.source, fld)
        configs.append(cfg.with_package(pkg, label))
    labels = [c.package_label for c in configs]
    if len(set(labels)) != len(labels):
        raise MCMSchedError(
            f"a package is listed twice: {', '.join(labels)}", file=cfg.source, field="packages"
        )
    base = baseline if baseline is not None else (cfg.compare_baseline or labels[0])
    if base not in labels:
        raise MCMSchedError(
            f"baseline '{base}' is not one of the compared packages ({', '.join(labels)})",
            file=cfg.source,
            field="baseline",
        )
    results: list[Result] = []
    for c in configs:
        stage = f"search {c.package_label}"
        res, costs = _search(c, c.strategy, c.package, None, stage, progress)
        results.append(Result(config=c, search=res, costs=costs, baselines={}))
    return ComparisonResult(config=cfg, labels=tuple(labels), results=tuple(results), baseline=base)


__all__ = [
    "BaselineDesign",
    "RunProgress",
    "baseline_designs",
    "compare",
    "homogeneous_like",
    "homogeneous_of_class",
    "infeasible_placement",
    "load_config",
    "run",
]
