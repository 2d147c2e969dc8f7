"""Sweep files: a YAML grid and/or list of scheduler runs, expanded to a deterministic job list.

A sweep file (format in docs/SWEEPS.md)::

    name: sc4-layouts
    scenarios: [scar-sc4]                # zoo names, inline {name, models: [...]}, or YAML files
    packages:                            # presets, package YAML files, inline descriptions,
      - het-sides                        #   or a layout generator
      - {preset: het-cb, pes_per_chiplet: 1024}
      - generate: {rows: 3, cols: 3, base: nvd, other: shi,
                   count: [0, 3, 4, 9], arrangement: [columns, checkerboard]}
    grid:                                # package overrides, crossed with every package
      l2_bytes: [4 MiB, 10 MiB]
      nop_bw_gbps: [50, 100]
    strategies: [scar]
    objectives: [edp]
    seeds: [0]
    search: {n_splits: 4, top_k: 4}      # SearchOptions fields
    eval: {minibatch_rule: divisor-fit}  # EvalOptions fields
    jobs:                                # explicit extra jobs (each field defaults as above)
      - {scenario: paper1, package: mcm-2x2, strategy: standalone}

The cartesian product scenarios x packages x grid x strategies x objectives x seeds plus the
explicit ``jobs`` gives the job list, in that nesting order (jobs of one scenario and package are
adjacent, so batches share cost tables). A job's id is the first 16 hex digits of the SHA-256 of
its canonical JSON parameters (scenario, package, overrides, strategy, objective, seed, search and
evaluation options); package YAML files are read and embedded, so the id changes when the file's
content changes and jobs run on remote workers that do not have the file. Duplicate jobs (same
id) are kept once. Nothing is built while expanding: a package that cannot be built becomes an
error row when its job runs, and the sweep goes on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mcmsched.errors import MCMSchedError, excerpt
from mcmsched.hardware.presets import (
    COMMON_OVERRIDES,
    DATAFLOW_FAMILIES,
    DEFAULT_FAMILY,
    get_preset,
    preset_names,
)
from mcmsched.hardware.yaml_io import parse_yaml
from mcmsched.limits import Batch, OptionInt, Seconds, Seed
from mcmsched.safe_io import check_path, read_text
from mcmsched.schedule.options import EvalOptions
from mcmsched.search.objective import NAMED
from mcmsched.search.options import SearchOptions
from mcmsched.search.registry import list_strategies

JSON = Any

_FORBID = ConfigDict(extra="forbid")
_M = TypeVar("_M", bound=BaseModel)

#: Most jobs one sweep file may expand to (a larger grid is refused before it is built).
MAX_JOBS = 100_000

# ---- pydantic models ------------------------------------------------------------------------


class ModelEntry(BaseModel):
    """One model of an inline scenario: a zoo model name, its batch and zoo options. The name is
    given as ``model:`` or, as in scenario files, ``zoo:`` (one of the two)."""

    model_config = _FORBID
    model: str = Field(min_length=1)
    batch: Batch = 1
    options: dict[str, OptionInt | bool] = Field(default_factory=dict)
    latency_target_s: Seconds | None = None

    @model_validator(mode="before")
    @classmethod
    def _zoo_alias(cls, data: Any) -> Any:
        """Accept the scenario files' ``zoo:`` for ``model:``; name both when neither is given."""
        if not isinstance(data, dict):
            return data
        if "zoo" in data:
            if "model" in data:
                raise ValueError("give the zoo model name once: 'model' or 'zoo', not both")
            data = {("model" if k == "zoo" else k): v for k, v in data.items()}
        elif "model" not in data:
            raise ValueError(
                "a model entry needs 'model' (a zoo model name; scenario files call it 'zoo', "
                "which is accepted too)"
            )
        return data


class InlineScenario(BaseModel):
    """A scenario written in the sweep file: ``{name, models: [{model, batch, options}]}``."""

    model_config = _FORBID
    name: str = Field(min_length=1)
    models: list[ModelEntry] = Field(min_length=1)


Arrangement = Literal["columns", "rows", "checkerboard", "sides", "centre", "corners"]
ARRANGEMENTS: tuple[str, ...] = ("columns", "rows", "checkerboard", "sides", "centre", "corners")


def _default_arrangement() -> list[Arrangement]:
    return ["columns"]


class GenerateSpec(BaseModel):
    """A layout generator: ``rows x cols`` chiplets of class ``base`` with ``count`` of them
    replaced by class ``other``, in the order an ``arrangement`` gives (see :func:`layout_of`).
    Every (count, arrangement) pair is one package."""

    model_config = _FORBID
    rows: int = Field(default=3, gt=0, le=64, strict=True)
    cols: int = Field(default=3, gt=0, le=64, strict=True)
    base: str = "nvd"
    other: str = "shi"
    count: list[Annotated[int, Field(ge=0, le=4096, strict=True)]] = Field(min_length=1)
    arrangement: list[Arrangement] = Field(default_factory=_default_arrangement, min_length=1)
    topology: Literal["mesh", "triangular"] = "mesh"
    classes: dict[str, Any] | None = None  # full class definitions (package YAML `classes`)
    dram: dict[str, Any] | None = None
    nop: dict[str, Any] | None = None


class GeneratedPackages(BaseModel):
    """``{generate: {...}}`` in ``packages``."""

    model_config = _FORBID
    generate: GenerateSpec


class SearchSpec(BaseModel):
    """Search options given in the file (unset fields keep :class:`SearchOptions` defaults)."""

    model_config = _FORBID
    n_splits: OptionInt | None = None
    packing: Literal["greedy", "uniform"] | None = None
    boundary_samples: OptionInt | None = None
    prov: Literal["uniform", "exhaustive"] | None = None
    node_cap: OptionInt | None = None
    top_k: OptionInt | None = None
    prefilter: OptionInt | None = None
    max_segmentations: OptionInt | None = None
    search: Literal["exhaustive", "evolutionary", "auto"] | None = None
    pop_size: OptionInt | None = None
    generations: OptionInt | None = None
    bnb_node_limit: OptionInt | None = None
    partition: bool | None = None
    partition_rounds: OptionInt | None = None
    simba_scheme: Literal["pipeline", "split-k"] | None = None


class EvalSpec(BaseModel):
    """Evaluation options given in the file (unset fields keep :class:`EvalOptions` defaults)."""

    model_config = _FORBID
    minibatch_rule: Literal["divisor-fit", "fit", "full", "single", "search"] | None = None
    window_boundary: Literal["dram", "nop"] | None = None
    weight_reload: Literal["once", "per-minibatch"] | None = None
    contention: Literal["none", "link-sharing"] | None = None
    memory: Literal["spill", "strict"] | None = None
    skip: Literal["transfer", "ignore"] | None = None
    dram_sharing: Literal["interface", "none"] | None = None


class ExplicitJob(BaseModel):
    """One entry of ``jobs``: fields left out take the first value of the sweep's lists."""

    model_config = _FORBID
    scenario: str | dict[str, Any]
    package: str | dict[str, Any]
    overrides: dict[str, Any] = Field(default_factory=dict)
    strategy: str | None = None
    objective: str | None = None
    seed: Seed | None = None
    search: SearchSpec | None = None
    eval: EvalSpec | None = None
    labels: dict[str, str | int | float | bool] = Field(default_factory=dict)


class SweepModel(BaseModel):
    """The whole sweep file."""

    model_config = _FORBID
    name: str = "sweep"
    description: str = ""
    scenarios: list[str | dict[str, Any]] = Field(default_factory=list)
    packages: list[str | dict[str, Any]] = Field(default_factory=list)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    strategies: list[str] = Field(default_factory=lambda: ["scar"], min_length=1)
    objectives: list[str] = Field(default_factory=lambda: ["edp"], min_length=1)
    seeds: list[Seed] = Field(default_factory=lambda: [0], min_length=1)
    search: SearchSpec = Field(default_factory=SearchSpec)
    eval: EvalSpec = Field(default_factory=EvalSpec)
    jobs: list[ExplicitJob] = Field(default_factory=list)
    store_schedules: bool = True


# ---- jobs -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Job:
    """One scheduler run.

    - ``scenario``: a zoo scenario name, or an inline scenario dict (``{name, models}``), or
      ``{"file": name, "yaml": parsed content, "dir": folder}`` for a scenario file (``dir``,
      used for relative model paths, is not part of the id);
    - ``package``: a preset name or a package description dict (``package_from_dict`` form);
    - ``overrides``: preset overrides applied on top (:data:`COMMON_OVERRIDES`);
    - ``strategy``, ``objective``, ``seed``; ``search`` / ``eval``: the options set explicitly;
    - ``labels``: the design parameters of the job for reports (scenario, package, generator
      parameters, override values); not part of the id;
    - ``id``: 16 hex digits, the SHA-256 of the canonical JSON of everything but the labels.
    """

    scenario: JSON
    package: JSON
    overrides: dict[str, Any]
    strategy: str
    objective: str
    seed: int
    search: dict[str, Any]
    eval: dict[str, Any]
    labels: dict[str, Any] = field(default_factory=dict)
    store_schedule: bool = True
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", job_id(self.key_params()))

    def key_params(self) -> dict[str, Any]:
        """The parameters that define the job (and its id)."""
        scenario = self.scenario
        if isinstance(scenario, dict) and "dir" in scenario:  # where the file was: not an id
            scenario = {k: v for k, v in scenario.items() if k != "dir"}
        return {
            "scenario": scenario,
            "package": self.package,
            "overrides": self.overrides,
            "strategy": self.strategy,
            "objective": self.objective,
            "seed": self.seed,
            "search": self.search,
            "eval": self.eval,
        }

    def params(self) -> dict[str, Any]:
        """Everything about the job as JSON-ready data (what the store keeps)."""
        return {**self.key_params(), "labels": self.labels}

    @property
    def scenario_name(self) -> str:
        """The scenario's name (for grouping and reports)."""
        return str(self.labels.get("scenario", scenario_label(self.scenario)))

    @property
    def design(self) -> str:
        """A short name of the hardware design (package label plus override values)."""
        parts = [str(self.labels.get("package", package_label(self.package)))]
        parts += [f"{k}={self.overrides[k]}" for k in sorted(self.overrides)]
        return " ".join(parts)


def canonical_json(data: Any) -> str:
    """Sorted-key, compact JSON (the form hashed for ids)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def job_id(params: Mapping[str, Any]) -> str:
    """First 16 hex digits of the SHA-256 of the canonical JSON of ``params``."""
    return hashlib.sha256(canonical_json(dict(params)).encode()).hexdigest()[:16]


def scenario_label(spec: JSON) -> str:
    """The name of a scenario spec."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        if "name" in spec:
            return str(spec["name"])
        data = spec.get("yaml")
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return str(data["name"])
        if "file" in spec:
            return Path(str(spec["file"])).stem
    return "scenario"


def package_label(spec: JSON) -> str:
    """The name of a package spec."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        for key in ("name", "preset"):
            if spec.get(key):
                return str(spec[key])
    return "package"


# ---- layout generator -----------------------------------------------------------------------


def arrangement_order(arrangement: str, rows: int, cols: int) -> list[int]:
    """Chiplet ids (row-major) in the order ``arrangement`` fills them with the other class.

    - ``columns``: centre column first, then the columns further out (left before right);
    - ``rows``: centre row first, then outward (top before bottom);
    - ``checkerboard``: chiplets with odd ``row + col`` first (row-major), then the rest;
    - ``sides``: the outer (DRAM-side) columns first, then inward;
    - ``centre``: by distance from the grid centre, nearest first;
    - ``corners``: by distance from the grid centre, farthest first.
    """
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    cr, cc = (rows - 1) / 2, (cols - 1) / 2

    def dist(rc: tuple[int, int]) -> float:
        return (rc[0] - cr) ** 2 + (rc[1] - cc) ** 2

    if arrangement == "columns":
        key = sorted(cells, key=lambda rc: (abs(rc[1] - cc), rc[1], rc[0]))
    elif arrangement == "rows":
        key = sorted(cells, key=lambda rc: (abs(rc[0] - cr), rc[0], rc[1]))
    elif arrangement == "checkerboard":
        key = sorted(cells, key=lambda rc: ((rc[0] + rc[1] + 1) % 2, rc[0], rc[1]))
    elif arrangement == "sides":
        key = sorted(cells, key=lambda rc: (-abs(rc[1] - cc), rc[1], rc[0]))
    elif arrangement == "centre":
        key = sorted(cells, key=lambda rc: (dist(rc), rc[0], rc[1]))
    elif arrangement == "corners":
        key = sorted(cells, key=lambda rc: (-dist(rc), rc[0], rc[1]))
    else:
        raise MCMSchedError(
            f"unknown arrangement '{arrangement}' (valid: {', '.join(ARRANGEMENTS)})",
            field="arrangement",
        )
    return [r * cols + c for r, c in key]


def layout_of(
    rows: int, cols: int, base: str, other: str, count: int, arrangement: str
) -> list[str]:
    """Layout rows (``"nvd shi nvd"``) with ``count`` chiplets of ``other`` placed by
    ``arrangement`` (:func:`arrangement_order`) and the rest ``base``."""
    if not 0 <= count <= rows * cols:
        raise MCMSchedError(
            f"count {count} is outside 0..{rows * cols} for a {rows}x{cols} grid", field="count"
        )
    grid = [base] * (rows * cols)
    for i in arrangement_order(arrangement, rows, cols)[:count]:
        grid[i] = other
    return [" ".join(grid[r * cols : (r + 1) * cols]) for r in range(rows)]


#: Classes of generated layouts: the presets' default dataflow family.
_DEFAULT_CLASSES: dict[str, dict[str, Any]] = {
    short: {"dataflow": df} for short, df in DATAFLOW_FAMILIES[DEFAULT_FAMILY].items()
}


def _generated(gen: GenerateSpec, where: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(package dict, labels)`` for every (arrangement, count) of a generator."""
    classes = gen.classes
    if classes is None:
        missing = [c for c in (gen.base, gen.other) if c not in _DEFAULT_CLASSES]
        if missing:
            raise MCMSchedError(
                f"class '{missing[0]}' needs a definition in 'classes' (built-in: "
                f"{', '.join(_DEFAULT_CLASSES)})",
                field=f"{where}.generate.classes",
            )
        classes = {c: dict(_DEFAULT_CLASSES[c]) for c in dict.fromkeys((gen.base, gen.other))}
    out: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for arrangement in gen.arrangement:
        for count in gen.count:
            try:
                layout = layout_of(gen.rows, gen.cols, gen.base, gen.other, count, arrangement)
            except MCMSchedError as err:
                raise MCMSchedError(err.reason, field=f"{where}.generate.count") from None
            name = f"{gen.rows}x{gen.cols}-{arrangement}-{gen.other}{count}"
            pkg: dict[str, Any] = {
                "name": name,
                "classes": classes,
                "layout": layout,
                "links": gen.topology,
            }
            if gen.topology == "triangular":
                pkg["topology"] = "graph"
            if gen.dram is not None:
                pkg["dram"] = gen.dram
            if gen.nop is not None:
                pkg["nop"] = gen.nop
            labels = {
                "package": name,
                "arrangement": arrangement,
                f"n_{gen.base}": gen.rows * gen.cols - count,
                f"n_{gen.other}": count,
            }
            out.append((pkg, labels))
    return out


# ---- parsing --------------------------------------------------------------------------------

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3}
_UNITS.update({"kib": 1024, "mib": 1024**2, "gib": 1024**3})
_BYTE_KEYS = {"l1_bytes", "l2_bytes"}


def _override_value(key: str, value: Any, where: str) -> Any:
    """Byte sizes may be written ``"4 MiB"``; other values pass through (checked at run time)."""
    if key in _BYTE_KEYS and isinstance(value, str):
        m = _SIZE_RE.match(value)
        if not m or m.group(2).lower() not in _UNITS:
            raise MCMSchedError(
                f"not a byte size: {excerpt(value)} (write e.g. '4 MiB')", field=where
            )
        n = float(m.group(1)) * _UNITS[m.group(2).lower()]
        if n != int(n):
            raise MCMSchedError(f"not a whole number of bytes: {excerpt(value)}", field=where)
        return int(n)
    return value


def _check_overrides(overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    allowed = [k for k in COMMON_OVERRIDES if k != "name"]
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in allowed:
            raise MCMSchedError(
                f"unknown package parameter '{key}' (valid: {', '.join(allowed)})",
                field=f"{where}.{key}",
            )
        out[key] = _override_value(key, value, f"{where}.{key}")
    return out


def _resolve(path: str, base_dir: Path | None) -> Path:
    check_path(path)
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    return p


def _is_file_spec(spec: str) -> bool:
    return spec.lower().endswith((".yaml", ".yml"))


def _read_yaml(path: Path, where: str) -> Any:
    try:
        text = read_text(path)
    except MCMSchedError as err:
        raise MCMSchedError(err.reason, field=where) from None
    return parse_yaml(text, str(path))


def _validate(cls: type[_M], data: Any, where: str) -> _M:
    try:
        return cls.model_validate(data)
    except ValidationError as err:
        e = _pydantic_error(err, None)
        raise MCMSchedError(e.reason, field=f"{where}.{e.field}" if e.field else where) from None


def _scenario_spec(entry: str | dict[str, Any], base_dir: Path | None, where: str) -> JSON:
    if isinstance(entry, dict):
        return _validate(InlineScenario, entry, where).model_dump(exclude_none=True)
    if _is_file_spec(entry):
        path = _resolve(entry, base_dir)
        data = _read_yaml(path, where)
        if not (isinstance(data, dict) and ("models" in data or "scenario" in data)):
            # never embed (and so store) a file that is not a scenario file
            raise MCMSchedError(
                f"{path.name} is not a scenario file (a mapping with 'models')", field=where
            )
        return {"file": path.name, "yaml": data, "dir": str(path.parent)}
    return entry.strip().lower()


def _package_entries(
    entry: str | dict[str, Any], base_dir: Path | None, where: str
) -> list[tuple[JSON, dict[str, Any]]]:
    """``(package spec, labels)`` for one ``packages`` entry."""
    if isinstance(entry, dict) and "generate" in entry:
        return list(_generated(_validate(GeneratedPackages, entry, where).generate, where))
    if isinstance(entry, str):
        if _is_file_spec(entry):
            path = _resolve(entry, base_dir)
            data = _read_yaml(path, where)
            if not (isinstance(data, dict) and ("classes" in data or "preset" in data)):
                raise MCMSchedError(
                    f"{path.name} is not a package file (a mapping with 'classes' or 'preset')",
                    field=where,
                )
            if "name" not in data and "preset" not in data:
                data = {"name": path.stem, **data}
            return [(data, {"package": package_label(data)})]
        if entry not in preset_names():
            raise MCMSchedError(
                f"{excerpt(entry, 40)} is neither a preset nor a YAML file (presets: "
                f"{', '.join(preset_names())})",
                field=where,
            )
        return [(entry, {"package": entry, **_class_counts(entry)})]
    data = dict(entry)
    if "preset" in data and set(data) <= {"preset"}:
        name = str(data["preset"])
        return [(name, {"package": name, **_class_counts(name)})]
    return [(data, {"package": package_label(data)})]


def _class_counts(preset: str) -> dict[str, int]:
    """``n_<class>`` labels of a preset (``n_nvd`` and ``n_shi`` always, 0 when absent), so
    presets line up with generated layouts in reports."""
    if preset == "monolithic":
        return {}
    counts = get_preset(preset).class_counts
    out = {"n_nvd": 0, "n_shi": 0}
    out.update({f"n_{k}": v for k, v in counts.items()})
    return out


def _check_names(model: SweepModel) -> None:
    strategies = [n for n, _ in list_strategies()]
    for i, s in enumerate(model.strategies):
        if s.lower() not in strategies:
            raise MCMSchedError(
                f"unknown strategy '{s}' (valid: {', '.join(strategies)})",
                field=f"strategies[{i}]",
            )
    for i, o in enumerate(model.objectives):
        if o.lower() not in NAMED:
            raise MCMSchedError(
                f"unknown objective '{o}' (valid: {', '.join(NAMED)})", field=f"objectives[{i}]"
            )
    for j, ej in enumerate(model.jobs):
        if ej.strategy is not None and ej.strategy.lower() not in strategies:
            raise MCMSchedError(
                f"unknown strategy '{ej.strategy}' (valid: {', '.join(strategies)})",
                field=f"jobs[{j}].strategy",
            )
        if ej.objective is not None and ej.objective.lower() not in NAMED:
            raise MCMSchedError(
                f"unknown objective '{ej.objective}' (valid: {', '.join(NAMED)})",
                field=f"jobs[{j}].objective",
            )


def _options(search: SearchSpec, ev: EvalSpec, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    s = search.model_dump(exclude_none=True)
    e = ev.model_dump(exclude_none=True)
    try:  # validate values now (the runs would all fail otherwise)
        SearchOptions(**s, eval_options=EvalOptions(**e))
    except MCMSchedError as err:
        raise MCMSchedError(err.reason, field=f"{where}.{err.field}") from None
    return s, e


def _pydantic_error(err: ValidationError, source: str | None) -> MCMSchedError:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("str", "dict")))
    # pydantic reports every union branch; the first message is the most specific
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    return MCMSchedError(f"{msg} ({len(err.errors())} problem(s))", file=source, field=loc)


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep: its name, description, the expanded jobs and the source model."""

    name: str
    description: str
    jobs: tuple[Job, ...]
    spec: dict[str, Any]

    def __len__(self) -> int:
        return len(self.jobs)


def sweep_from_dict(data: Any, *, source: str | None = None, base_dir: Path | None = None) -> Sweep:
    """Validate a parsed sweep file and expand it to jobs (see the module docstring)."""
    if not isinstance(data, dict):
        raise MCMSchedError("a sweep file must be a mapping of keys", file=source)
    try:
        model = SweepModel.model_validate(data)
    except ValidationError as err:
        raise _pydantic_error(err, source) from None
    try:
        return _expand(model, base_dir)
    except MCMSchedError as err:
        raise err.with_file(source) if source else err from None


def _expand(model: SweepModel, base_dir: Path | None) -> Sweep:
    _check_names(model)
    if not model.jobs and not (model.scenarios and model.packages):
        raise MCMSchedError(
            "a sweep needs 'scenarios' and 'packages' (or an explicit 'jobs' list)",
            field="scenarios" if not model.scenarios else "packages",
        )
    search, ev = _options(model.search, model.eval, "search")
    scenarios = [
        _scenario_spec(s, base_dir, f"scenarios[{i}]") for i, s in enumerate(model.scenarios)
    ]
    packages = [
        pe
        for i, p in enumerate(model.packages)
        for pe in _package_entries(p, base_dir, f"packages[{i}]")
    ]
    keys = list(model.grid)
    for k, values in model.grid.items():
        if not values:
            raise MCMSchedError("needs at least one value", field=f"grid.{k}")
    n_jobs = len(scenarios) * len(packages) * len(model.strategies) * len(model.objectives)
    n_jobs *= len(model.seeds)
    for values in model.grid.values():
        n_jobs *= len(values)
    n_jobs += len(model.jobs)
    if n_jobs > MAX_JOBS:
        raise MCMSchedError(
            f"the sweep expands to {n_jobs:,} jobs, more than the limit of {MAX_JOBS:,} "
            "(split it into several sweeps)",
            field="grid",
        )
    grid_points: list[dict[str, Any]] = [
        _check_overrides(dict(zip(keys, combo, strict=True)), "grid")
        for combo in itertools.product(*(model.grid[k] for k in keys))
    ]
    jobs: list[Job] = []
    for scen in scenarios:
        for pkg, plabels in packages:
            for ov in grid_points:
                for strategy, objective, seed in itertools.product(
                    model.strategies, model.objectives, model.seeds
                ):
                    labels = {
                        "scenario": scenario_label(scen),
                        **plabels,
                        **ov,
                        "strategy": strategy.lower(),
                        "objective": objective.lower(),
                        "seed": seed,
                    }
                    jobs.append(
                        Job(
                            scen,
                            pkg,
                            dict(ov),
                            strategy.lower(),
                            objective.lower(),
                            seed,
                            search,
                            ev,
                            labels,
                            model.store_schedules,
                        )
                    )
    for j, ej in enumerate(model.jobs):
        where = f"jobs[{j}]"
        scen = _scenario_spec(ej.scenario, base_dir, f"{where}.scenario")
        entries = _package_entries(ej.package, base_dir, f"{where}.package")
        if len(entries) != 1:
            raise MCMSchedError("an explicit job has exactly one package", field=where)
        pkg, plabels = entries[0]
        ov = _check_overrides(ej.overrides, f"{where}.overrides")
        s, e = (
            _options(ej.search or model.search, ej.eval or model.eval, f"{where}.search")
            if (ej.search or ej.eval)
            else (search, ev)
        )
        strategy = (ej.strategy or model.strategies[0]).lower()
        objective = (ej.objective or model.objectives[0]).lower()
        seed = ej.seed if ej.seed is not None else model.seeds[0]
        labels = {
            "scenario": scenario_label(scen),
            **plabels,
            **ov,
            "strategy": strategy,
            "objective": objective,
            "seed": seed,
            **ej.labels,
        }
        jobs.append(
            Job(scen, pkg, ov, strategy, objective, seed, s, e, labels, model.store_schedules)
        )
    unique: dict[str, Job] = {}
    for job in jobs:
        unique.setdefault(job.id, job)
    return Sweep(model.name, model.description, tuple(unique.values()), model.model_dump())


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and expand a sweep YAML file (relative paths inside it are relative to the
    file's folder)."""
    p = Path(path)
    text = read_text(p)
    return sweep_from_dict(parse_yaml(text, str(p)), source=str(p), base_dir=p.parent)


__all__ = [
    "ARRANGEMENTS",
    "Job",
    "Sweep",
    "arrangement_order",
    "canonical_json",
    "job_id",
    "layout_of",
    "load_sweep",
    "package_label",
    "scenario_label",
    "sweep_from_dict",
]
