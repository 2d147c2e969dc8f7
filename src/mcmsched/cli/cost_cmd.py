"""``mcmsched cost``: per-layer cycles and energy of a model on each chiplet class of a package."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcmsched.cli.app import app, console, err_console
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.energy import load_maestro_hw
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.safe_io import is_file as safe_is_file
from mcmsched.workload.model import Model


def _fail(err: MCMSchedError) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def resolve_model(spec: str) -> Model:
    """A zoo model name, or a path to a MAESTRO (``.m``) or ONNX (``.onnx``) file."""
    p = Path(spec)
    if p.suffix.lower() == ".onnx":
        from mcmsched.workload.importers.onnx_import import load_onnx

        return load_onnx(p)
    if p.suffix.lower() == ".m" or safe_is_file(p):
        from mcmsched.workload.importers.maestro import load_maestro

        models = load_maestro(p)
        if not models:
            raise MCMSchedError("no network in file", file=str(p))
        if len(models) == 1:
            return models[0]
        layers = tuple(ly for m in models for ly in m.layers)
        return Model(p.stem, layers, source=str(p))
    from mcmsched.workload.zoo import get_model

    return get_model(spec)


def resolve_classes(spec: str) -> tuple[list[ChipletClass], bool]:
    """The chiplet classes of a preset or package YAML file, or the one class of a MAESTRO
    hardware file (``num_pes: ...``); the flag tells whether it was a MAESTRO hardware file."""
    p = Path(spec)
    if safe_is_file(p) and p.suffix.lower() not in (".yaml", ".yml"):
        from mcmsched.safe_io import read_bytes

        head = read_bytes(p)[:4096].decode("utf-8", errors="replace")
        if "num_pes" in head:
            return [load_maestro_hw(p)], True
    from mcmsched.hardware.yaml_io import package_from_spec

    pkg = package_from_spec(spec)
    return [pkg.classes[n] for n in pkg.class_names], False


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


@app.command("cost")
def cost_cmd(
    model: Annotated[str, typer.Argument(help="Zoo model name, or a MAESTRO (.m) / ONNX file.")],
    hw: Annotated[
        str,
        typer.Option("--hw", help="Package preset, package YAML file or MAESTRO hardware file."),
    ],
    batch: Annotated[int, typer.Option("--batch", min=1, help="Samples per layer run.")] = 1,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write the table to this CSV file.")
    ] = None,
    layer_dataflow: Annotated[
        bool,
        typer.Option(
            "--layer-dataflow",
            help="Use each layer's own directives (MAESTRO mapping files) instead of the class's.",
        ),
    ] = False,
    as_written: Annotated[
        bool,
        typer.Option(
            "--as-written",
            help="Analyse each layer only as written (Y, X). By default the mapper also tries "
            "the transposed layer and keeps the faster orientation, as the scheduler does.",
        ),
    ] = False,
    show_mapping: Annotated[
        bool,
        typer.Option(
            "--show-mapping",
            help="Print the directives chosen for every layer and class (mapping: searched; "
            "'as written' when the class keeps its dataflow's own directives).",
        ),
    ] = False,
) -> None:
    """Per layer: cycles and energy on each chiplet class and which class (dataflow) is
    fastest. Cycles are chiplet clock cycles; energy is on-chiplet MAC + L1 + L2 (nJ); util is
    PE utilisation MACs / (cycles x PEs); roof is cycles over the roofline lower bound and the
    bound that holds (c: compute, n: NoC, m: memory)."""
    try:
        m = resolve_model(model)
        classes, maestro_hw = resolve_classes(hw)
        layers = [ly.with_batch(ly.N * batch) for ly in m.layers]
        res = evaluate_layers(
            layers,
            classes,
            use_layer_dataflow=layer_dataflow,
            check_buffers=not maestro_hw,
            orientation="as-written" if as_written else "best",
        )
    except MCMSchedError as err:
        _fail(err)
    table = Table(
        title=f"{escape(m.name)} (batch {batch}) on {', '.join(escape(c.name) for c in classes)}",
        box=box.SIMPLE_HEAVY,
    )
    table.add_column("#", justify="right")
    table.add_column("layer")
    table.add_column("kind")
    table.add_column("MACs", justify="right")
    for c in classes:
        table.add_column(f"{escape(c.name)} ({escape(c.dataflow.name)}) cycles", justify="right")
        table.add_column(f"{escape(c.name)} nJ", justify="right")
        table.add_column(f"{escape(c.name)} util", justify="right")
        table.add_column(f"{escape(c.name)} roof", justify="right")
    table.add_column("fastest")
    rows: list[list[str]] = []
    mappings: list[tuple[int, str, str, str]] = []
    totals = [0.0] * (2 * len(classes))
    for i, ly in enumerate(layers):
        cyc = [float(r.cycles[i]) for r in res]
        nj = [float(r.energy_pj[i]) * 1e-3 for r in res]
        secs = [cyc[j] / classes[j].clock_hz for j in range(len(classes))]
        best = classes[min(range(len(classes)), key=lambda j: secs[j])]
        label = best.name
        cells: list[str] = []
        extra: list[str] = []
        for j, c in enumerate(classes):
            r = res[j]
            util = ly.macs / (cyc[j] * c.n_pes) if cyc[j] > 0 else 0.0
            bnd = float(r.bound_cycles[i]) if r.bound_cycles is not None else 0.0
            kind = str(r.bound[i]) if r.bound is not None else ""
            ratio = cyc[j] / bnd if bnd > 0 else float("nan")
            cells += [_fmt(cyc[j]), _fmt(nj[j]), f"{util:.1%}", f"{ratio:.2f}x {kind[:1]}"]
            totals[2 * j] += cyc[j]
            totals[2 * j + 1] += nj[j]
            mp = str(r.mapping[i]) if r.mapping is not None else ""
            extra += [f"{bnd:.6g}", kind, f"{util:.6g}", mp]
            mappings.append((i, ly.name, c.name, mp))
        table.add_row(str(i), escape(ly.name), ly.kind.value, _fmt(ly.macs), *cells, label)
        rows.append(
            [
                str(i),
                ly.name,
                ly.kind.value,
                str(ly.macs),
                *(f"{v:.6g}" for j in range(len(classes)) for v in (cyc[j], nj[j])),
                best.name,
                *extra,
            ]
        )
    table.add_section()
    tot_cells: list[str] = []
    for j in range(len(classes)):
        tot_cells += [_fmt(totals[2 * j]), _fmt(totals[2 * j + 1]), "", ""]
    table.add_row("", "total", "", _fmt(sum(ly.macs for ly in layers)), *tot_cells, "")
    width = 72 + 52 * len(classes)
    if console.width < width:
        Console(width=width).print(table)
    else:
        console.print(table)
    if show_mapping:
        for i, lname, cname, mp in mappings:
            cls = next(c for c in classes if c.name == cname)
            how = mp if mp else f"as written ({cls.dataflow.name}, mapping: {cls.mapping})"
            console.print(f"{i} {escape(lname)} on {escape(cname)}: {escape(how)}", soft_wrap=True)
    if maestro_hw:
        console.print(
            "note: MAESTRO hardware file: L1/L2 size constraints are not enforced (as in MAESTRO)"
        )
    if csv_path is not None:
        from mcmsched.safe_io import csv_cell

        try:
            with open(csv_path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(
                    ["index", "layer", "kind", "macs"]
                    + [f"{c.name}_{q}" for c in classes for q in ("cycles", "energy_nj")]
                    + ["fastest"]
                    + [
                        f"{c.name}_{q}"
                        for c in classes
                        for q in ("bound_cycles", "bound", "pe_util", "mapping")
                    ]
                )
                w.writerows([[csv_cell(v) for v in r] for r in rows])
        except OSError as err:
            _fail(MCMSchedError(f"cannot write CSV: {err.strerror}", file=str(csv_path)))
        console.print(f"wrote {escape(str(csv_path))}")
