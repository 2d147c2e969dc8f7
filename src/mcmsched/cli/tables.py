"""Terminal tables that never elide a digit.

:func:`print_columns` prints a table whose first column names the row (it may fold onto several
lines) and whose other columns are numbers printed whole (never wrapped, never cut with "…").
When the table is wider than the console, its columns are split over several tables, each
repeating the first column ("wrap by columns"), so an 80-column terminal shows every digit.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

#: The row-name column is allowed to fold down to this many cells when columns are split.
_MIN_LABEL = 12


def _width(texts: Sequence[str]) -> int:
    return max((cell_len(t) for t in texts), default=0)


def _table(
    out: Console,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    cols: Sequence[int],
    just: Sequence[str],
    label_width: int,
) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", pad_edge=False)
    t.add_column(
        headers[0],
        justify=just[0],  # type: ignore[arg-type]
        overflow="fold",
        min_width=label_width,
        max_width=label_width,
    )
    for j in cols:
        t.add_column(
            headers[j],
            justify=just[j],  # type: ignore[arg-type]
            no_wrap=True,
            overflow="fold",
            min_width=_width([headers[j], *(r[j] for r in rows)]),
        )
    for r in rows:
        t.add_row(r[0], *(r[j] for j in cols))
    return t


def _natural_width(table: Table) -> int:
    """Cells the widest line of ``table`` takes when nothing constrains it."""
    wide = Console(width=100_000, file=io.StringIO(), color_system=None, legacy_windows=False)
    with wide.capture() as cap:
        wide.print(table)
    return max((cell_len(line.rstrip()) for line in cap.get().splitlines()), default=0)


def column_groups(
    out: Console, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> tuple[list[list[int]], int]:
    """Indices of the value columns (1..n-1) of each printed table, so that every table fits
    the console with the first column beside it (a column wider than the console alone gets a
    table of its own), and the width of the first column (its longest text, or a third of the
    console when that is longer; longer names fold)."""
    just = ["left"] * len(headers)
    full = _width([headers[0], *(r[0] for r in rows)])
    everything = list(range(1, len(headers)))
    natural = _natural_width(_table(out, "", headers, rows, everything, just, full))
    if natural <= out.width:
        return [everything], full
    folded = full - (natural - out.width)
    if folded >= max(_MIN_LABEL, min(full, 16)):
        return [everything], folded  # one table: only the names fold
    label = min(full, max(_MIN_LABEL, out.width // 3))
    groups: list[list[int]] = []
    current: list[int] = []
    for j in range(1, len(headers)):
        trial = [*current, j]
        t = _table(out, "", headers, rows, trial, just, label)
        if current and _natural_width(t) > out.width:
            groups.append(current)
            trial = [j]
        current = trial
    if current or not groups:
        groups.append(current)
    return groups, label


def print_columns(
    out: Console,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    justify: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` (strings; rich markup already escaped) under ``headers``; split by
    columns when the console is too narrow (see the module docstring)."""
    just = list(justify) if justify is not None else ["left"] + ["right"] * (len(headers) - 1)
    groups, label = column_groups(out, headers, rows)
    for g, cols in enumerate(groups):
        part = f" (columns {g + 1}/{len(groups)})" if len(groups) > 1 else ""
        out.print(_table(out, title + part, headers, rows, cols, just, label))


__all__ = ["column_groups", "print_columns"]
