"""Run a scenario file: search its package, score the baselines, return a :class:`Result`.

``run(path_or_config)`` is the notebook entry point (``mcmsched.run``)::

    res = run("examples/paper1.yaml")
    res.metrics.latency_s, res.metrics.energy_j
    res.timeline_figure()          # matplotlib Figure
    res.write("out/")              # schedule.json, metrics.json, layers.csv, PNGs, report.html

Baselines (``baselines: true`` in the file, the default): the same scenario on a monolithic
output-stationary accelerator with the package's total PEs and L2 (strategy ``monolithic``), and
on homogeneous packages of the same layout whose chiplets are all NVDLA-like or all
ShiDianNao-like (strategy ``simba``, same objective and search options).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.hardware.package import Chiplet, Package
from mcmsched.hardware.presets import family_dataflow
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

#: Homogeneous baselines: (key, preset class name); the dataflow is that class's in the package's
#: dataflow family (:func:`mcmsched.hardware.presets.family_dataflow`).
HOMOGENEOUS = (("homogeneous-nvd", "nvd"), ("homogeneous-shi", "shi"))

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
    chiplets = tuple(Chiplet(c.id, cls.name, c.row, c.col, c.dram_interface) for c in pkg.chiplets)
    short = cls.name
    return Package(
        name=f"{pkg.name}-all-{short}",
        classes={cls.name: cls},
        chiplets=chiplets,
        links=pkg.links,
        topology=pkg.topology,
        nop=pkg.nop,
        dram=pkg.dram,
        description=f"'{pkg.name}' with every chiplet {short} ({df.name})",
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
    except MCMSchedError as err:
        what = f"{err.field}: {err.reason}" if err.field else err.reason
        raise MCMSchedError(
            f"{stage} on '{package.name}' failed: {what}", file=cfg.source, field="strategy"
        ) from None
    if progress is not None:
        progress(stage, 1, 1)
    return res, table


def run(
    scenario: ScenarioSource,
    *,
    package: str | Mapping[str, Any] | Package | None = None,
    baselines: bool | None = None,
    progress: RunProgress | None = None,
) -> Result:
    """Search the scenario (file path, parsed dict or :class:`RunConfig`) on its package, or on
    ``package`` (preset name, YAML path or Package) when given, and score the baselines
    (unless ``baselines=False`` or the file says ``baselines: false``). Every input mistake
    raises :class:`MCMSchedError` before any search runs."""
    cfg = load_config(scenario)
    if package is not None:
        pkg, label = resolve_package(package, cfg.base_dir, cfg.source, "package")
        cfg = cfg.with_package(pkg, label)
    do_baselines = cfg.baselines if baselines is None else baselines

    main, costs = _search(cfg, cfg.strategy, cfg.package, None, "search", progress)
    found: dict[str, BaselineResult] = {}
    if do_baselines:
        mono, _ = _search(cfg, "monolithic", cfg.package, costs, "baseline monolithic", progress)
        found["monolithic"] = BaselineResult(
            "monolithic",
            "monolithic OS",
            "monolithic",
            mono.package,
            mono.metrics,
        )
        for key, short in HOMOGENEOUS:
            hpkg = homogeneous_like(cfg.package, family_dataflow(cfg.package, short))
            same = hpkg.is_homogeneous and _same_classes(hpkg, cfg.package)
            if same and cfg.strategy in ("scar", "simba"):
                res = main  # the package is already this homogeneous package
            else:
                res, _ = _search(cfg, "simba", hpkg, None, f"baseline {key}", progress)
            found[key] = BaselineResult(
                key,
                f"homogeneous {short.upper() if short == 'nvd' else short.title()}",
                "simba",
                res.package,
                res.metrics,
            )
    return Result(
        config=cfg,
        search=main,
        costs=costs,
        baselines=found,
    )


def _same_classes(a: Package, b: Package) -> bool:
    return a.classes == b.classes and [c.cls for c in a.chiplets] == [c.cls for c in b.chiplets]


def compare(
    scenario: ScenarioSource,
    packages: Sequence[str | Mapping[str, Any] | Package] | None = None,
    *,
    baseline: str | None = None,
    progress: RunProgress | None = None,
) -> ComparisonResult:
    """Run the scenario on each of ``packages`` (default: the file's ``compare.packages``) with
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
        pkg, label = resolve_package(spec, cfg.base_dir, cfg.source, fld)
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
    "HOMOGENEOUS",
    "RunProgress",
    "compare",
    "homogeneous_like",
    "load_config",
    "run",
]
