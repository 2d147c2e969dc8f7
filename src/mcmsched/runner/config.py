"""Scenario files: the YAML a user writes to run models on a package (format in
docs/SCENARIO_FILES.md).

::

    name: paper1
    models:
      - {zoo: gpt2-small, options: {seq_len: 128}, batch: 1}
      - {zoo: resnet50, batch: 1, latency_target_s: 0.05}
      - {onnx: models/net.onnx, batch: 4}
      - {maestro: ../xr/AR_gaming.m, network: DE_midas_v21_small, batch: 1}
      - {hf: gpt2, options: {seq_len: 64}}          # needs the torch extra
    package: mcm-2x2                  # preset, hardware YAML path, or a mapping (see below)
    strategy: scar
    objective: edp
    options: {n_splits: 4, top_k: 4}  # mcmsched.search.SearchOptions fields
    eval: {window_boundary: dram}     # mcmsched.schedule.EvalOptions fields
    seed: 0

Relative paths are relative to the scenario file's directory. :func:`load_scenario_file` checks
everything (keys, types, model files, presets, strategy, objective, package size) and raises one
:class:`MCMSchedError` naming the file, the key path (``models[1].batch``) and the reason.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from mcmsched.errors import MCMSchedError, excerpt
from mcmsched.hardware.package import Package
from mcmsched.limits import Batch, OptionInt, PosFinite, Seconds, Seed
from mcmsched.schedule.options import USER_EVAL_DEFAULTS, EvalOptions
from mcmsched.search.objective import NAMED as OBJECTIVES
from mcmsched.search.options import USER_DEFAULTS, SearchOptions
from mcmsched.search.registry import list_strategies
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario, ScenarioModel

PosInt = Annotated[int, Field(gt=0, le=1 << 20, strict=True)]
NonNegInt = Annotated[int, Field(ge=0, le=1 << 20, strict=True)]
PosFloat = PosFinite

_FORBID = ConfigDict(extra="forbid")

#: Keys that say where a model comes from (exactly one per model entry).
MODEL_SOURCES = ("zoo", "onnx", "maestro", "hf")

#: Strategies that give every model its own chiplet at the same time.
ONE_CHIPLET_PER_MODEL = ("standalone",)


# ---- pydantic models ------------------------------------------------------------------------


class _ModelCommon(BaseModel):
    model_config = _FORBID
    batch: Batch = 1
    latency_target_s: Seconds | None = None
    fps: PosFloat | None = None
    steps: PosInt = 1
    after: str | None = Field(default=None, min_length=1)
    tpot_target_s: Seconds | None = None
    name: str | None = Field(default=None, min_length=1)


class ServeSpec(BaseModel):
    """An LLM request: ``prompt`` tokens of prefill, then ``decode_steps`` decode steps (one
    output token each; step t reads a KV cache of ``prompt + t`` tokens)."""

    model_config = _FORBID
    prompt: PosInt
    decode_steps: PosInt
    ttft_target_s: PosFloat | None = None


#: Zoo LLMs that ``serve`` expands: prefill model -> (decode model, prefill length option).
SERVE_MODELS: dict[str, tuple[str, str]] = {
    **{f"gpt2-{s}": (f"gpt2-{s}-decode", "seq_len") for s in ("small", "medium", "large", "xl")},
    "llama2-7b": ("llama2-7b-decode", "seq_len"),
}


class ZooModelSpec(_ModelCommon):
    """A built-in model: ``zoo`` name and its ``options`` (see ``mcmsched models``); ``serve``
    (LLMs of :data:`SERVE_MODELS`) makes it a prefill + decode pair."""

    zoo: str
    options: dict[str, OptionInt | bool | str] = Field(default_factory=dict)
    serve: ServeSpec | None = None


class OnnxModelSpec(_ModelCommon):
    """An ONNX file (path relative to the scenario file)."""

    onnx: str


class MaestroModelSpec(_ModelCommon):
    """A MAESTRO / XRBench ``.m`` file; ``network`` picks one ``Network`` block. Without it a
    file with one network gives that network, and a file with several gives all of them (each
    with this entry's batch; ``name`` is then not allowed)."""

    maestro: str
    network: str | None = None
    fps_targets: bool = False  # each network's XRBench FPS line becomes its fps target


class HFOptions(BaseModel):
    model_config = _FORBID
    seq_len: PosInt = 128
    image_size: PosInt | None = None


class HFModelSpec(_ModelCommon):
    """A Hugging Face architecture built from its default configuration (``"gpt2"``, ``"bert"``,
    ...) or a local ``config.json`` path; never downloads. Needs the torch extra."""

    hf: str
    options: HFOptions = Field(default_factory=HFOptions)


_SPEC_OF: dict[str, type[_ModelCommon]] = {
    "zoo": ZooModelSpec,
    "onnx": OnnxModelSpec,
    "maestro": MaestroModelSpec,
    "hf": HFModelSpec,
}


_OPTION_INT = Annotated[int, Field(ge=-(1 << 20), le=1 << 20)]
_OPTION_FLOAT = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]


def _bounded(hint: Any) -> Any:
    """``hint`` with ints bounded to +-2^20 and floats finite (also inside ``X | None``), so an
    option value can never be huge or infinite (ranges are then checked by the dataclass)."""
    if hint is int:
        return _OPTION_INT
    if hint is float:
        return _OPTION_FLOAT
    args = typing.get_args(hint)
    if args and type(None) in args and len(args) == 2:
        inner = next(a for a in args if a is not type(None))
        if inner in (int, float):
            return _bounded(inner) | None
    return hint


def _options_model(name: str, cls: type[Any], skip: tuple[str, ...]) -> type[BaseModel]:
    """A strict pydantic model with the fields (types and defaults) of the dataclass ``cls``,
    so a scenario file accepts exactly the options the search layer has (value ranges are then
    checked by ``cls`` itself)."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        fields[f.name] = (_bounded(hints[f.name]), default)
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid", strict=True), **fields
    )
    model.__doc__ = f"The {cls.__name__} fields a scenario file may set."
    return model


#: The :class:`mcmsched.search.SearchOptions` fields a file may set (``seed`` is top level).
SearchOptionsModel = _options_model(
    "SearchOptionsModel", SearchOptions, ("seed", "progress", "eval_options")
)
#: The :class:`mcmsched.schedule.EvalOptions` fields.
EvalOptionsModel = _options_model("EvalOptionsModel", EvalOptions, ())


class CompareModel(BaseModel):
    """Packages for ``mcmsched compare`` when none are given on the command line."""

    model_config = _FORBID
    packages: list[Any] = Field(min_length=1)
    baseline: str | None = None


class ScenarioFileModel(BaseModel):
    """The top level of a scenario file."""

    model_config = _FORBID
    name: str | None = Field(default=None, min_length=1)
    description: str = ""
    models: list[Any] = Field(min_length=1)
    package: Any  # checked by resolve_package (preset, path or mapping)
    strategy: str = "scar"
    objective: str = "edp"
    options: dict[str, Any] = Field(default_factory=dict)
    eval: dict[str, Any] = Field(default_factory=dict)
    seed: Seed = 0
    baselines: bool = True
    compare: CompareModel | None = None


# ---- resolved configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class RunConfig:
    """A checked scenario file: everything :func:`mcmsched.runner.run.run` needs.

    ``source`` is the scenario file (None for a dict); ``package_label`` is how the package was
    named (preset name or file); ``compare_packages`` / ``compare_baseline`` come from the
    file's ``compare`` section; ``base_dir`` resolves relative paths."""

    name: str
    scenario: Scenario
    package: Package
    package_label: str
    strategy: str = "scar"
    objective: str = "edp"
    options: SearchOptions = field(default_factory=SearchOptions)
    baselines: bool = True
    description: str = ""
    source: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    compare_packages: tuple[str | dict[str, Any], ...] = ()
    compare_baseline: str | None = None

    def with_package(self, package: Package, label: str | None = None) -> RunConfig:
        """This configuration on another package (checked like the original)."""
        cfg = replace(self, package=package, package_label=label or package.name)
        check_strategy_fits(cfg)
        return cfg


# ---- error translation ----------------------------------------------------------------------


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(prefix: str, rest: str | None) -> str:
    if not rest:
        return prefix
    if not prefix:
        return rest
    return prefix + rest if rest.startswith("[") else f"{prefix}.{rest}"


def _validation_error(
    err: ValidationError, model: type[BaseModel], source: str | None, prefix: str = ""
) -> MCMSchedError:
    e = err.errors()[0]
    loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic names union members in locations (``package.str``); drop those tags
    loc = tuple(p for p in loc if p not in ("str", "dict[str,any]", "int", "bool"))
    fld = _join(prefix, _path(loc))
    if e["type"] == "extra_forbidden":
        parent: Any = model
        for part in loc[:-1]:
            ann = getattr(parent, "model_fields", {}).get(part)
            parent = ann.annotation if ann is not None else None
        keys = list(getattr(parent, "model_fields", {}))
        valid = f" (valid keys: {', '.join(keys)})" if keys else ""
        reason = f"unknown key '{loc[-1]}'{valid}"
    elif e["type"] == "missing":
        reason = "required key is missing"
    else:
        msg = str(e["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        reason = f"{msg}, got {excerpt(e['input'])}"
    n = len(err.errors())
    if n > 1:
        reason += f" (and {n - 1} more problem{'s' if n > 2 else ''})"
    return MCMSchedError(reason, file=source, field=fld or None)


def _err(reason: str, source: str | None, fld: str) -> MCMSchedError:
    return MCMSchedError(reason, file=source, field=fld)


def _rewrap(
    err: MCMSchedError, source: str | None, fld: str, *, keep_field: bool = True
) -> MCMSchedError:
    """An error from a lower layer re-labelled with the scenario file and key path; an error
    about another file (model or hardware file) keeps that file in the reason. ``keep_field``
    puts the lower layer's field name in the reason (when ``fld`` does not already hold it)."""
    inner = str(err) if err.file and err.file != source else err.reason
    if keep_field and err.field and not (err.file and err.file != source):
        inner = f"{err.field}: {inner}"
    return MCMSchedError(inner, file=source, field=fld)


# ---- models ---------------------------------------------------------------------------------


def _resolve_path(base_dir: Path, text: str, source: str | None, fld: str) -> Path:
    from mcmsched.safe_io import check_path

    try:
        check_path(text)
    except MCMSchedError as err:
        raise _err(err.reason, source, fld) from None
    p = Path(text).expanduser()
    if not p.is_absolute():
        p = base_dir / p
    if not p.is_file():
        where = "" if Path(text).is_absolute() else f" (relative to {base_dir})"
        raise _err(f"file not found: {text}{where}", source, fld)
    return p


def _build_models(
    raw: Any, i: int, base_dir: Path, source: str | None
) -> list[tuple[Model, _ModelCommon]]:
    fld = f"models[{i}]"
    if not isinstance(raw, Mapping):
        raise _err(
            f"a model entry must be a mapping with one of {', '.join(MODEL_SOURCES)}, "
            f"got {excerpt(raw)}",
            source,
            fld,
        )
    if "model" in raw and "zoo" not in raw:
        # sweep files name a zoo model with ``model:``; accept it here too
        raw = {("zoo" if k == "model" else k): v for k, v in raw.items()}
    kinds = [k for k in MODEL_SOURCES if k in raw]
    if len(kinds) != 1:
        what = "none" if not kinds else ", ".join(kinds)
        hint = " ('model' as in sweep files is accepted for 'zoo')" if not kinds else ""
        raise _err(
            f"a model entry needs exactly one of {', '.join(MODEL_SOURCES)} (found {what}){hint}",
            source,
            fld,
        )
    kind = kinds[0]
    try:
        spec = _SPEC_OF[kind].model_validate(dict(raw))
    except ValidationError as err:
        raise _validation_error(err, _SPEC_OF[kind], source, fld) from None
    if isinstance(spec, ZooModelSpec) and spec.serve is not None:
        return _serve_models(spec, spec.serve, source, fld)
    try:
        models = _load_models(kind, spec, base_dir, source, fld)
    except MCMSchedError as err:
        if source is not None and err.file == source:
            raise  # already names the scenario file and its key
        sub = _sub_key(kind, err)
        raise _rewrap(err, source, f"{fld}.{sub}", keep_field=sub == kind) from None
    specs: list[_ModelCommon] = [spec] * len(models)
    if isinstance(spec, MaestroModelSpec) and spec.fps_targets:
        specs = _fps_specs(spec, models, base_dir, source, fld)
    if spec.name is not None:
        if len(models) != 1:
            raise _err(
                f"'name' needs a single model but this entry gives {len(models)} "
                "(pick one with 'network')",
                source,
                f"{fld}.name",
            )
        models = [models[0].renamed(spec.name)]
    return list(zip(models, specs, strict=True))


def _fps_specs(
    spec: MaestroModelSpec, models: list[Model], base_dir: Path, source: str | None, fld: str
) -> list[_ModelCommon]:
    """``fps_targets: true``: each network's XRBench ``FPS`` line becomes its ``fps`` target."""
    from mcmsched.workload.importers.maestro import load_maestro_networks

    if spec.fps is not None:
        raise _err("give either 'fps' or 'fps_targets', not both", source, f"{fld}.fps_targets")
    path = _resolve_path(base_dir, spec.maestro, source, f"{fld}.maestro")
    fps_of = {n.model.name: n.fps for n in load_maestro_networks(path)}
    out: list[_ModelCommon] = []
    for m in models:
        fps = fps_of.get(m.name)
        if fps is None:
            raise _err(
                f"network '{m.name}' has no FPS line in {spec.maestro}",
                source,
                f"{fld}.fps_targets",
            )
        out.append(spec.model_copy(update={"fps": float(fps)}))
    return out


def _serve_models(
    spec: ZooModelSpec, serve: ServeSpec, source: str | None, fld: str
) -> list[tuple[Model, _ModelCommon]]:
    """``serve`` on a zoo LLM: a prefill of ``prompt`` tokens named ``NAME-prefill`` (its
    latency target is ``ttft_target_s``) and a decode phase ``NAME-decode`` of
    ``decode_steps`` steps from a ``prompt``-token cache, after the prefill (with the entry's
    ``latency_target_s`` and ``tpot_target_s``)."""
    from mcmsched.workload.zoo import get_model

    key = spec.zoo.strip().lower()
    if key not in SERVE_MODELS:
        raise _err(
            f"'serve' needs one of the LLMs {', '.join(SERVE_MODELS)}, got '{spec.zoo}'",
            source,
            f"{fld}.serve",
        )
    decode_name, len_opt = SERVE_MODELS[key]
    for opt in (len_opt, "cache_len"):
        if opt in spec.options:
            raise _err(
                f"option '{opt}' is set by serve.prompt; remove it", source, f"{fld}.options"
            )
    if spec.steps != 1 or spec.after is not None or spec.fps is not None:
        raise _err(
            "'steps', 'after' and 'fps' cannot be combined with 'serve' (serve.decode_steps "
            "sets the decode steps)",
            source,
            f"{fld}.serve",
        )
    try:
        prefill = get_model(key, **spec.options, **{len_opt: serve.prompt})
        decode = get_model(decode_name, **spec.options, cache_len=serve.prompt)
    except MCMSchedError as err:
        sub = f"options.{err.field}" if err.field and err.field != "model" else "zoo"
        raise _rewrap(err, source, f"{fld}.{sub}", keep_field=False) from None
    base = spec.name or key
    p_name, d_name = f"{base}-prefill", f"{base}-decode"
    p_spec = spec.model_copy(
        update={
            "serve": None,
            "name": p_name,
            "latency_target_s": serve.ttft_target_s,
            "tpot_target_s": None,
        }
    )
    d_spec = spec.model_copy(
        update={"serve": None, "name": d_name, "steps": serve.decode_steps, "after": p_name}
    )
    return [(prefill.renamed(p_name), p_spec), (decode.renamed(d_name), d_spec)]


def _sub_key(kind: str, err: MCMSchedError) -> str:
    if kind in ("zoo", "hf") and err.field and err.field not in ("model",):
        return f"options.{err.field}" if err.field != kind else kind
    return kind


def _load_models(
    kind: str, spec: _ModelCommon, base_dir: Path, source: str | None, fld: str
) -> list[Model]:
    if isinstance(spec, ZooModelSpec):
        from mcmsched.workload.zoo import get_model

        try:
            return [get_model(spec.zoo, **spec.options)]
        except MCMSchedError as err:
            if err.field == "model":
                raise _err(err.reason, source, f"{fld}.zoo") from None
            raise
    if isinstance(spec, OnnxModelSpec):
        from mcmsched.workload.importers.onnx_import import load_onnx

        return [load_onnx(_resolve_path(base_dir, spec.onnx, source, f"{fld}.onnx"))]
    if isinstance(spec, MaestroModelSpec):
        from mcmsched.workload.importers.maestro import load_maestro

        path = _resolve_path(base_dir, spec.maestro, source, f"{fld}.maestro")
        models = load_maestro(path)
        if not models:
            raise _err(f"no Network in {spec.maestro}", source, f"{fld}.maestro")
        if spec.network is None:
            return models
        hit = [m for m in models if m.name == spec.network]
        if not hit:
            names = ", ".join(m.name for m in models)
            raise _err(
                f"no network '{spec.network}' in {spec.maestro} (networks: {names})",
                source,
                f"{fld}.network",
            )
        return hit
    assert isinstance(spec, HFModelSpec)
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise _err(
            "Hugging Face models need the torch extra: pip install 'mcmsched[torch]'",
            source,
            f"{fld}.hf",
        ) from None
    from mcmsched.safe_io import exists as safe_exists
    from mcmsched.workload.importers.torch_import import load_hf_config

    target: str = spec.hf
    local = Path(spec.hf).expanduser()
    if not local.is_absolute():
        local = base_dir / local
    if safe_exists(local):
        target = str(local)
    return [
        load_hf_config(target, seq_len=spec.options.seq_len, image_size=spec.options.image_size)
    ]


# ---- package --------------------------------------------------------------------------------


def resolve_package(
    spec: str | Mapping[str, Any] | Package,
    base_dir: Path,
    source: str | None = None,
    fld: str = "package",
) -> tuple[Package, str]:
    """A package from a scenario file's ``package`` value: a preset name, a hardware YAML path
    (relative to ``base_dir``), a mapping ``{file: PATH, <preset overrides>}``, a mapping
    ``{preset: NAME, <overrides>}`` or a full inline package description. Returns the package
    and a label (preset name or file name)."""
    from mcmsched.hardware.presets import apply_overrides, preset_names
    from mcmsched.hardware.yaml_io import load_package, package_from_dict

    if isinstance(spec, Package):
        return spec, spec.name
    if isinstance(spec, str):
        looks_like_file = spec.lower().endswith((".yaml", ".yml")) or "/" in spec
        if looks_like_file:
            path = _resolve_path(base_dir, spec, source, fld)
            try:
                return load_package(path), spec
            except MCMSchedError as err:
                raise _rewrap(err, source, fld) from None
        if spec not in preset_names():
            raise _err(
                f"unknown preset '{spec}' and not a .yaml file (presets: "
                f"{', '.join(preset_names())})",
                source,
                fld,
            )
        from mcmsched.hardware.presets import get_preset

        return get_preset(spec), spec
    if not isinstance(spec, Mapping):
        raise _err(
            f"must be a preset name, a file path or a mapping, got {excerpt(spec)}", source, fld
        )
    data = dict(spec)
    if "file" in data:
        file_value = data.pop("file")
        if not isinstance(file_value, str):
            raise _err(f"must be a path, got {excerpt(file_value)}", source, f"{fld}.file")
        path = _resolve_path(base_dir, file_value, source, f"{fld}.file")
        try:
            pkg = load_package(path)
        except MCMSchedError as err:
            raise _rewrap(err, source, f"{fld}.file") from None
        try:
            return (apply_overrides(pkg, **data) if data else pkg), file_value
        except MCMSchedError as err:
            raise _rewrap(err, source, _join(fld, err.field)) from None
    try:
        pkg = package_from_dict(data)
    except MCMSchedError as err:
        raise _rewrap(
            MCMSchedError(err.reason, file=None, field=None), source, _join(fld, err.field)
        ) from None
    label = str(data.get("name") or data.get("preset") or pkg.name)
    return pkg, label


def check_strategy_fits(cfg: RunConfig) -> None:
    """Errors for a strategy that cannot run on the package (before any search)."""
    n_models = len(cfg.scenario.entries)
    pkg = cfg.package
    if cfg.strategy in ONE_CHIPLET_PER_MODEL and pkg.n_chiplets < n_models:
        raise MCMSchedError(
            f"strategy '{cfg.strategy}' gives every model its own chiplet, but package "
            f"'{pkg.name}' has {pkg.n_chiplets} chiplet(s) for {n_models} models",
            file=cfg.source,
            field="package",
        )
    if cfg.strategy == "simba" and not pkg.is_homogeneous:
        raise MCMSchedError(
            f"strategy 'simba' needs a homogeneous package; '{pkg.name}' mixes chiplet "
            "classes (use strategy 'scar')",
            file=cfg.source,
            field="strategy",
        )


# ---- loading --------------------------------------------------------------------------------


def _with_user_defaults(
    values: dict[str, Any], given: Mapping[str, object], defaults: Mapping[str, object]
) -> dict[str, Any]:
    """``values`` (every field, the dataclass defaults filled in) with the user defaults
    (``USER_DEFAULTS``, ``USER_EVAL_DEFAULTS``) for the fields the file did not set."""
    return {**values, **{k: v for k, v in defaults.items() if k not in given}}


def config_from_dict(
    data: Any, *, source: str | None = None, base_dir: str | Path | None = None
) -> RunConfig:
    """Check a parsed scenario file and build its :class:`RunConfig`. ``source`` names the file
    in errors; relative paths resolve against ``base_dir`` (default: the current directory)."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if not isinstance(data, Mapping):
        raise MCMSchedError(
            f"a scenario file must be a mapping of keys, got {type(data).__name__}", file=source
        )
    try:
        top = ScenarioFileModel.model_validate(dict(data))
    except ValidationError as err:
        raise _validation_error(err, ScenarioFileModel, source) from None

    strategies = [n for n, _ in list_strategies()]
    if top.strategy.lower() not in strategies:
        raise _err(
            f"unknown strategy '{top.strategy}' (valid: {', '.join(strategies)})",
            source,
            "strategy",
        )
    if top.objective.lower() not in OBJECTIVES:
        raise _err(
            f"unknown objective '{top.objective}' (valid: {', '.join(OBJECTIVES)})",
            source,
            "objective",
        )

    entries: list[ScenarioModel] = []
    for i, raw in enumerate(top.models):
        for model, spec in _build_models(raw, i, base, source):
            entries.append(
                ScenarioModel(
                    model,
                    spec.batch,
                    spec.latency_target_s,
                    fps=spec.fps,
                    steps=spec.steps,
                    after=spec.after,
                    tpot_target_s=spec.tpot_target_s,
                )
            )
    name = top.name or (Path(source).stem if source else "scenario")
    try:
        scenario = Scenario(name, tuple(entries))
    except MCMSchedError as err:
        raise _rewrap(err, source, "models") from None

    package, label = resolve_package(top.package, base, source)
    try:
        opt_values = _with_user_defaults(  # partitioning on
            SearchOptionsModel.model_validate(top.options).model_dump(), top.options, USER_DEFAULTS
        )
    except ValidationError as err:
        raise _validation_error(err, SearchOptionsModel, source, "options") from None
    try:
        eval_values = _with_user_defaults(  # b' searched
            EvalOptionsModel.model_validate(top.eval).model_dump(), top.eval, USER_EVAL_DEFAULTS
        )
    except ValidationError as err:
        raise _validation_error(err, EvalOptionsModel, source, "eval") from None
    try:
        eval_options = EvalOptions(**eval_values)
    except MCMSchedError as err:
        raise _rewrap(err, source, _join("eval", err.field), keep_field=False) from None
    try:
        options = SearchOptions(**opt_values, seed=top.seed, eval_options=eval_options)
    except MCMSchedError as err:
        raise _rewrap(err, source, _join("options", err.field), keep_field=False) from None

    compare_packages: tuple[str | dict[str, Any], ...] = ()
    compare_baseline = None
    if top.compare is not None:
        for j, pk in enumerate(top.compare.packages):
            resolve_package(pk, base, source, f"compare.packages[{j}]")
        compare_packages = tuple(top.compare.packages)
        compare_baseline = top.compare.baseline

    cfg = RunConfig(
        name=name,
        scenario=scenario,
        package=package,
        package_label=label,
        strategy=top.strategy.lower(),
        objective=top.objective.lower(),
        options=options,
        baselines=top.baselines,
        description=top.description,
        source=source,
        base_dir=base,
        compare_packages=compare_packages,
        compare_baseline=compare_baseline,
    )
    check_strategy_fits(cfg)
    return cfg


def load_scenario_file(path: str | Path) -> RunConfig:
    """Read and check a scenario YAML file (see the module docstring)."""
    from mcmsched.hardware.yaml_io import parse_yaml
    from mcmsched.safe_io import check_path, read_text

    p = check_path(path, what="scenario file path")
    source = str(path)
    if not p.exists() and not p.is_symlink():
        raise MCMSchedError("scenario file not found", file=source)
    text = read_text(p)
    try:
        data = parse_yaml(text, source)
    except yaml.YAMLError as err:  # pragma: no cover - parse_yaml converts these
        raise MCMSchedError(f"YAML error: {err}", file=source) from None
    if data is None:
        raise MCMSchedError("the file is empty", file=source)
    return config_from_dict(data, source=source, base_dir=p.resolve().parent)
