"""Writing an :class:`~mcmsched.experiments.base.ExperimentResult`: ``<out>/<name>.md`` (the
table, the findings with held / not held, notes), ``<name>.csv`` (the table's rows, ``columns``
in order), ``<name>.json`` (everything, see :meth:`ExperimentResult.to_dict`), and a rich
rendering for the terminal."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.experiments.base import ExperimentResult, Finding
from mcmsched.experiments.findings import counts
from mcmsched.safe_io import atomic_dir, csv_cell


def cell(v: Any) -> str:
    """A table cell: floats with 4 significant digits, None as ``-``."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return f"{v:.4g}"
    return str(v)


def held_text(f: Finding) -> str:
    """``held`` / ``NOT held`` / ``not run``, plus ``(close)`` for numeric findings within
    tolerance."""
    if f.held is None:
        return "not run"
    base = "held" if f.held else "NOT held"
    if f.close is True:
        return base + " (close)"
    if f.close is False:
        return base + " (far)"
    return base


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(res: ExperimentResult) -> str:
    """The Markdown report of one experiment."""
    lines = [f"# {res.title}", ""]
    if res.config:
        lines.append("Configuration: " + ", ".join(f"{k} = {v}" for k, v in res.config.items()))
        lines.append("")
    lines.append("| " + " | ".join(res.columns) + " |")
    lines.append("|" + "|".join("---" for _ in res.columns) + "|")
    for row in res.rows:
        lines.append("| " + " | ".join(_md_escape(cell(row.get(c))) for c in res.columns) + " |")
    lines.append("")
    if res.summary:
        lines.append("Summary: " + ", ".join(f"{k} = {cell(v)}" for k, v in res.summary.items()))
        lines.append("")
    if res.findings:
        c = counts(res.findings)
        lines.append(
            f"## Findings ({c['held']} held, {c['not_held']} not held, {c['not_run']} not run; "
            f"{c['close']}/{c['numeric']} numeric ones close)"
        )
        lines.append("")
        lines.append("| finding | paper | ours | result | criterion |")
        lines.append("|---|---|---|---|---|")
        for f in res.findings:
            lines.append(
                f"| {_md_escape(f.claim)} | {_md_escape(f.paper)} | {_md_escape(f.ours)} | "
                f"{held_text(f)} | {_md_escape(f.criterion)} |"
            )
        lines.append("")
    if res.notes:
        lines.append("## Notes")
        lines.append("")
        lines.extend(f"- {n}" for n in res.notes)
        lines.append("")
    lines.append(f"Wall time: {res.wall_s:.1f} s")
    lines.append("")
    return "\n".join(lines)


def write_result(res: ExperimentResult, out: Path) -> list[Path]:
    """Write ``<out>/<name>.md``, ``.csv`` and ``.json``; returns the paths."""
    with atomic_dir(out) as tmp:
        _write_files(res, tmp)
    return [out / f"{res.name}.md", out / f"{res.name}.csv", out / f"{res.name}.json"]


def _write_files(res: ExperimentResult, out: Path) -> None:
    md = out / f"{res.name}.md"
    cs = out / f"{res.name}.csv"
    js = out / f"{res.name}.json"
    try:
        md.write_text(to_markdown(res), encoding="utf-8")
        with cs.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=res.columns, extrasaction="ignore")
            w.writeheader()
            for row in res.rows:
                w.writerow({c: csv_cell(row.get(c)) for c in res.columns})
        js.write_text(json.dumps(res.to_dict(), indent=1, default=str), encoding="utf-8")
    except OSError as exc:
        raise MCMSchedError(f"cannot write results: {exc}", file=str(out)) from None


def print_result(res: ExperimentResult, console: Any) -> None:
    """Print the table and the findings with rich."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(res.title), show_lines=False)
    for c in res.columns:
        t.add_column(escape(c), overflow="fold")
    for row in res.rows:
        t.add_row(*(escape(cell(row.get(c))) for c in res.columns))
    console.print(t)
    if res.summary:
        console.print(
            escape("Summary: " + ", ".join(f"{k} = {cell(v)}" for k, v in res.summary.items()))
        )
    if res.findings:
        ft = Table(title="Findings (paper vs ours)")
        for c in ("finding", "paper", "ours", "result"):
            ft.add_column(c, overflow="fold")
        for f in res.findings:
            style = "green" if f.held else ("red" if f.held is False else "dim")
            ft.add_row(
                escape(f.claim),
                escape(f.paper),
                escape(f.ours),
                f"[{style}]{escape(held_text(f))}[/]",
            )
        console.print(ft)
    for n in res.notes:
        console.print(escape(f"note: {n}"), soft_wrap=True)
    console.print(f"wall time {res.wall_s:.1f} s")
