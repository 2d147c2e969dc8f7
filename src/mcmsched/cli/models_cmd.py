"""``mcmsched models`` (the model zoo) and ``mcmsched model show NAME`` (a model's layers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from mcmsched.cli.app import app, console, err_console
from mcmsched.errors import MCMSchedError
from mcmsched.workload.model import Model
from mcmsched.workload.zoo import get_entry, get_model, list_models

model_app = typer.Typer(
    name="model", help="Inspect one built-in model.", no_args_is_help=True, add_completion=False
)
app.add_typer(model_app, name="model")


def _fail(err: MCMSchedError) -> NoReturn:
    """Print a user error (verbatim: names may contain brackets) and exit with code 2."""
    err_console.print(f"error: {err}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=2)


def parse_options(pairs: list[str] | None) -> dict[str, str]:
    """``["seq_len=256", "coarse=true"]`` -> ``{"seq_len": "256", "coarse": "true"}``."""
    options: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise MCMSchedError(f"option {pair!r} is not of the form key=value", field="--opt")
        options[key] = value
    return options


def _options_text(options: dict[str, int | bool]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "-"


def _print_wide(table: Table, min_width: int) -> None:
    """Print ``table``; when stdout is not a terminal (a pipe, a file, a test runner) allow at
    least ``min_width`` columns so rows are not wrapped."""
    if console.is_terminal or console.width >= min_width:
        console.print(table)
        return
    saved = console.width
    console.width = min_width
    try:
        console.print(table)
    finally:
        console.width = saved


@app.command("models")
def models_cmd() -> None:
    """List the built-in models: layers, GMACs and parameters at batch 1, options."""
    table = Table(title="mcmsched model zoo (batch 1)", box=box.SIMPLE_HEAD)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("layers", justify="right", no_wrap=True)
    table.add_column("GMACs", justify="right", no_wrap=True)
    table.add_column("params (M)", justify="right", no_wrap=True)
    table.add_column("description")
    try:
        for entry in list_models():
            model = get_model(entry.name)
            table.add_row(
                escape(entry.name),
                str(len(model)),
                f"{model.macs / 1e9:,.4f}",
                f"{model.params / 1e6:,.2f}",
                escape(entry.description),
            )
    except MCMSchedError as err:
        _fail(err)
    _print_wide(table, 140)
    console.print("Options and layers of one model: mcmsched model show NAME [-o key=value ...]")


def _stride(y: int, x: int) -> str:
    return str(y) if y == x else f"{y}x{x}"


def layer_table(model: Model) -> Table:
    """A rich table of ``model``'s layers with their dimensions, MACs and parameters."""
    table = Table(
        title=f"{escape(model.name)}: {len(model)} layers, {model.macs:,} MACs "
        f"({model.macs / 1e9:,.4f} G), {model.params / 1e6:,.3f} M params, "
        f"{len(model.edges)} edges",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("kind", no_wrap=True)
    for dim in ("K", "C", "Y", "X", "R", "S", "stride", "groups"):
        table.add_column(dim, justify="right", no_wrap=True)
    table.add_column("MACs", justify="right", no_wrap=True)
    table.add_column("params", justify="right", no_wrap=True)
    for i, layer in enumerate(model.layers):
        table.add_row(
            str(i),
            escape(layer.name),
            layer.kind.value,
            str(layer.K),
            str(layer.C),
            str(layer.Y),
            str(layer.X),
            str(layer.R),
            str(layer.S),
            _stride(layer.stride_y, layer.stride_x),
            str(layer.groups),
            f"{layer.macs:,}",
            f"{layer.params:,}",
        )
    return table


#: File endings ``model show`` reads as model files (as a scenario file's ``onnx`` / ``maestro``).
MODEL_FILE_SUFFIXES = {".onnx": "onnx", ".m": "maestro"}


def _is_model_file(name: str) -> bool:
    p = Path(name).expanduser()
    return p.suffix.lower() in MODEL_FILE_SUFFIXES or p.is_file()


def load_model_file(name: str, network: str | None = None) -> list[Model]:
    """The models of an ONNX (``.onnx``) or MAESTRO / XRBench (``.m``) file, read as ``run``
    reads them (a path relative to the working directory); ``network`` picks one ``Network``
    block of a MAESTRO file."""
    path = Path(name).expanduser()
    if not path.is_file():
        raise MCMSchedError("file not found", file=name)
    kind = MODEL_FILE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise MCMSchedError(
            "not a model file: give a zoo model name, an .onnx file or a MAESTRO .m file",
            file=name,
        )
    if kind == "onnx":
        if network is not None:
            raise MCMSchedError("--network applies to MAESTRO .m files only", field="--network")
        from mcmsched.workload.importers.onnx_import import load_onnx

        return [load_onnx(path)]
    from mcmsched.workload.importers.maestro import load_maestro

    models = load_maestro(path)
    if not models:
        raise MCMSchedError("no Network in the file", file=name)
    if network is None:
        return models
    hit = [m for m in models if m.name == network]
    if not hit:
        names = ", ".join(m.name for m in models)
        raise MCMSchedError(f"no network '{network}' (networks: {names})", field="--network")
    return hit


@model_app.command("show")
def model_show_cmd(
    name: Annotated[
        str,
        typer.Argument(
            help="Model name (see `mcmsched models`), or an ONNX (.onnx) or MAESTRO (.m) file."
        ),
    ],
    opt: Annotated[
        list[str] | None,
        typer.Option("--opt", "-o", help="Model option key=value (repeatable), e.g. seq_len=256."),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option("--network", help="One Network block of a MAESTRO file (default: all)."),
    ] = None,
) -> None:
    """Print a model's layer table (dimensions in MAESTRO's convention, MACs, parameters)."""
    if _is_model_file(name):
        try:
            if opt:
                raise MCMSchedError(
                    "options apply to built-in models only, not to model files", field="--opt"
                )
            models = load_model_file(name, network)
        except MCMSchedError as err:
            _fail(err)
        console.print(f"{name}: {len(models)} model(s)", highlight=False, markup=False)
        for model in models:
            _print_wide(layer_table(model), 120)
        return
    try:
        if network is not None:
            raise MCMSchedError("--network applies to MAESTRO .m files only", field="--network")
        model = get_model(name, **parse_options(opt))
        entry = get_entry(name)
    except MCMSchedError as err:
        _fail(err)
    console.print(f"{entry.name}: {entry.description}", highlight=False, markup=False)
    console.print(
        f"options (defaults): {_options_text(dict(entry.options))}", highlight=False, markup=False
    )
    _print_wide(layer_table(model), 120)
