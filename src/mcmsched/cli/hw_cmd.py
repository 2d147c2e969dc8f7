"""``mcmsched hw``: list, show, validate and export package descriptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mcmsched.cli.app import app, console, err_console
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.draw import draw_package, format_bytes
from mcmsched.hardware.package import Package
from mcmsched.hardware.presets import list_presets
from mcmsched.hardware.yaml_io import dump_package, load_package, package_from_spec

hw_app = typer.Typer(
    help="Hardware: built-in MCM presets and package YAML files.", no_args_is_help=True
)
app.add_typer(hw_app, name="hw")

Spec = Annotated[str, typer.Argument(help="a preset name (see `mcmsched hw list`) or a YAML file")]
Pes = Annotated[
    int | None,
    typer.Option("--pes", min=1, help="PEs per chiplet (SCAR: 4096 datacenter, 256 AR/VR)"),
]


def _fail(err: MCMSchedError) -> None:
    """Print a user error (escaped: messages contain brackets) and exit with code 2."""
    err_console.print(
        f"[bold red]error:[/] {escape(str(err))}", highlight=False, markup=True, soft_wrap=True
    )
    raise typer.Exit(code=2)


def _resolve(spec: str, pes: int | None) -> Package:
    overrides: dict[str, Any] = {}
    if pes is not None:
        overrides["pes_per_chiplet"] = pes
    try:
        return package_from_spec(spec, **overrides)
    except MCMSchedError as err:
        _fail(err)
        raise  # unreachable: _fail exits


def summary(pkg: Package) -> str:
    """One line: name, chiplets per class, topology, total PEs and L2."""
    counts = ", ".join(f"{n} {k}" for n, k in pkg.class_counts.items())
    rows, cols = pkg.grid_shape
    return (
        f"package '{pkg.name}': {pkg.n_chiplets} chiplets ({counts}) on a {rows}x{cols} "
        f"{pkg.topology}, {len(pkg.links)} links, "
        f"{sum(c.dram_interface for c in pkg.chiplets)} DRAM interfaces, {pkg.total_pes} PEs, "
        f"L2 {format_bytes(pkg.total_l2_bytes)}"
    )


@hw_app.command("list")
def list_cmd() -> None:
    """List the built-in presets."""
    table = Table(title="presets (mcmsched hw show NAME)")
    table.add_column("name", no_wrap=True)
    table.add_column("grid")
    table.add_column("topology")
    table.add_column("description")
    for p in list_presets():
        table.add_row(p.name, p.grid, p.topology, p.description)
    console.print(table)


@hw_app.command("show")
def show_cmd(spec: Spec, pes: Pes = None) -> None:
    """Draw a package and print its parameters."""
    pkg = _resolve(spec, pes)
    console.print(draw_package(pkg), markup=False, highlight=False, soft_wrap=True)
    classes = Table(title="chiplet classes")
    for col in (
        "class",
        "dataflow",
        "PEs",
        "L1/PE",
        "L2",
        "NoC el/cyc",
        "mem el/cyc",
        "clock",
        "n",
    ):
        classes.add_column(col, no_wrap=col == "dataflow")
    for name, c in pkg.classes.items():
        classes.add_row(
            name,
            c.dataflow.name,
            str(c.n_pes),
            format_bytes(c.l1_bytes),
            format_bytes(c.l2_bytes),
            f"{c.noc_bw:g}",
            f"{c.mem_bw:g}",
            f"{c.clock_hz / 1e6:g} MHz",
            str(pkg.class_counts[name]),
        )
    console.print(classes)
    params = Table(title="package")
    params.add_column("parameter")
    params.add_column("value")
    routing = "XY" if pkg.topology == "mesh" else "shortest path"
    params.add_row("topology", f"{pkg.topology} ({routing} routing), {len(pkg.links)} links")
    params.add_row("NoP bandwidth", f"{pkg.nop.bw_gbps:g} GB/s per link")
    params.add_row("NoP latency", f"{pkg.nop.hop_latency_ns:g} ns/hop")
    params.add_row("NoP energy", f"{pkg.nop.energy_pj_per_bit:g} pJ/bit/hop")
    params.add_row("DRAM bandwidth", f"{pkg.dram.bw_gbps:g} GB/s")
    params.add_row("DRAM latency", f"{pkg.dram.latency_ns:g} ns")
    params.add_row("DRAM energy", f"{pkg.dram.energy_pj_per_bit:g} pJ/bit")
    if pkg.description:
        params.add_row("description", escape(pkg.description))
    console.print(params)


@hw_app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="a package YAML file")],
) -> None:
    """Check a package YAML file; print OK and a summary, or the error (exit code 2)."""
    try:
        pkg = load_package(file)
    except MCMSchedError as err:
        _fail(err)
        return
    console.print(f"OK {file}: {summary(pkg)}", markup=False, highlight=False, soft_wrap=True)


@hw_app.command("export")
def export_cmd(
    spec: Spec,
    output: Annotated[
        str, typer.Option("--output", "-o", help="the YAML file to write ('-' for stdout)")
    ],
    pes: Pes = None,
) -> None:
    """Write a preset (or a file, normalised) as a full package YAML file."""
    pkg = _resolve(spec, pes)
    text = dump_package(pkg)
    if output == "-":
        console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        _fail(MCMSchedError(f"cannot write file: {err.strerror or err}", file=output))
    console.print(f"wrote {output}: {summary(pkg)}", markup=False, highlight=False, soft_wrap=True)


__all__ = ["hw_app", "summary"]
