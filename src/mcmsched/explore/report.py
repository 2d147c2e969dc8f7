"""Sweep reports from a result store: a CSV table, a pandas DataFrame (when pandas is installed),
per-scenario latency-vs-energy Pareto fronts, a heatmap of the best objective over two design
parameters, and a self-contained HTML page (images embedded as base64 PNG).

A *design* is a package plus its overrides; the parameters of a row are its job's labels
(scenario, package, generator parameters such as ``arrangement`` / ``n_shi``, override values
such as ``l2_bytes``, strategy, objective, seed).
"""

from __future__ import annotations

import base64
import csv
import html
import importlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.explore.store import ResultStore, StoredResult
from mcmsched.safe_io import atomic_dir, csv_cell, no_mathtext

METRIC_COLUMNS = (
    "latency_s",
    "energy_j",
    "edp",
    "throughput_ips",
    "compute_j",
    "nop_j",
    "dram_j",
    "n_windows",
    "n_chiplets",
)
#: objective name -> (metric column, True if higher is better)
OBJECTIVE_METRIC = {
    "latency": ("latency_s", False),
    "energy": ("energy_j", False),
    "edp": ("edp", False),
    "throughput": ("throughput_ips", True),
}
_FIXED = ("job_id", "status", "scenario", "package", "strategy", "objective", "seed")
_NOT_DESIGN = {"scenario", "strategy", "objective", "seed"}


# ---- table ----------------------------------------------------------------------------------


def _design(r: StoredResult) -> str:
    lab = r.labels
    over = r.params.get("overrides", {})
    parts = [str(lab.get("package", "?"))] + [f"{k}={over[k]}" for k in sorted(over)]
    return " ".join(parts)


def flatten(results: Iterable[StoredResult]) -> list[dict[str, Any]]:
    """One flat dict per result: fixed columns, every label, the metrics, wall time, error."""
    rows: list[dict[str, Any]] = []
    for r in results:
        lab = r.labels
        row: dict[str, Any] = {"job_id": r.job_id, "status": r.status}
        for k in _FIXED[2:]:
            row[k] = lab.get(k, r.params.get(k))
        row["design"] = _design(r)
        for k, v in lab.items():
            if k not in row:
                row[k] = v
        m = r.metrics or {}
        for k in METRIC_COLUMNS:
            row[k] = m.get(k)
        row["wall_s"] = r.wall_s
        row["finished_at"] = r.finished_at
        row["error"] = (r.error or "").splitlines()[0] if r.error else ""
        rows.append(row)
    return rows


def columns_of(rows: Sequence[dict[str, Any]]) -> list[str]:
    """All column names, first-seen order."""
    cols: dict[str, None] = {}
    for row in rows:
        for k in row:
            cols.setdefault(k, None)
    return list(cols)


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write ``rows`` (from :func:`flatten`) as CSV with a header; returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    cols = columns_of(rows)
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, restval="")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if v is None else csv_cell(v)) for k, v in row.items()})
    return p


def load_rows(store: str | Path | ResultStore) -> list[dict[str, Any]]:
    """Flat rows of every result in a store (a path or an open store)."""
    if isinstance(store, ResultStore):
        return flatten(store.results())
    with ResultStore(store, readonly=True) as st:
        return flatten(st.results())


def to_dataframe(store: str | Path | ResultStore) -> Any:
    """The results as a pandas DataFrame (one row per job). Needs pandas."""
    try:
        pd: Any = importlib.import_module("pandas")
    except ImportError:
        raise MCMSchedError("to_dataframe needs pandas: pip install pandas") from None
    rows = load_rows(store)
    return pd.DataFrame(rows, columns=columns_of(rows))


# ---- Pareto ---------------------------------------------------------------------------------


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points (both coordinates minimised), sorted by the first
    coordinate. Of equal points only the first is kept."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1], i))
    front: list[int] = []
    best_y = math.inf
    for i in order:
        if points[i][1] < best_y:
            front.append(i)
            best_y = points[i][1]
    return front


def _ok(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["status"] == "ok" and r.get("latency_s") is not None]


def _scenarios(rows: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(str(r["scenario"]) for r in rows))


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 2)
    return math.ceil(n / cols), cols


@no_mathtext
def plot_pareto(rows: Sequence[dict[str, Any]], path: str | Path) -> Path | None:
    """Latency (s) vs energy (J) of every ok result, one panel per scenario, the Pareto front
    drawn as a line with its designs named. Returns None when there is no ok result."""
    ok = _ok(rows)
    if not ok:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scens = _scenarios(ok)
    nr, nc = _grid(len(scens))
    fig, axes = plt.subplots(nr, nc, figsize=(7.5 * nc, 5.5 * nr), squeeze=False)
    # colour by strategy when several are compared, else by objective
    hue = "strategy" if len({str(r["strategy"]) for r in ok}) > 1 else "objective"
    strategies = list(dict.fromkeys(str(r[hue]) for r in ok))
    colours = plt.get_cmap("tab10")
    for idx, scen in enumerate(scens):
        ax = axes[idx // nc][idx % nc]
        sub = [r for r in ok if str(r["scenario"]) == scen]
        for si, strat in enumerate(strategies):
            pts = [r for r in sub if str(r[hue]) == strat]
            if pts:
                ax.scatter(
                    [r["latency_s"] for r in pts],
                    [r["energy_j"] for r in pts],
                    s=22,
                    alpha=0.6,
                    color=colours(si % 10),
                    label=f"{hue} {strat} ({len(pts)})",
                )
        pts_xy = [(float(r["latency_s"]), float(r["energy_j"])) for r in sub]
        front = pareto_front(pts_xy)
        fx = [pts_xy[i][0] for i in front]
        fy = [pts_xy[i][1] for i in front]
        ax.step(fx, fy, where="post", color="crimson", lw=1.5, zorder=3)
        ax.scatter(
            fx,
            fy,
            s=60,
            facecolors="none",
            edgecolors="crimson",
            lw=1.5,
            zorder=4,
            label=f"Pareto front ({len(front)})",
        )
        for k, i in enumerate(front[:10]):
            ax.annotate(
                str(sub[i]["design"])[:40],
                (pts_xy[i][0], pts_xy[i][1]),
                textcoords="offset points",
                xytext=(6, 4 + 7 * (k % 2)),
                fontsize=7,
                color="crimson",
            )
        xs = [p[0] for p in pts_xy]
        ys = [p[1] for p in pts_xy]
        if min(xs) > 0 and max(xs) / min(xs) > 20:
            ax.set_xscale("log")
        if min(ys) > 0 and max(ys) / min(ys) > 20:
            ax.set_yscale("log")
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "linear":
                fmt = axis.get_major_formatter()
                if hasattr(fmt, "set_useOffset"):
                    fmt.set_useOffset(False)
        ax.set_xlabel("latency (s)")
        ax.set_ylabel("energy (J)")
        ax.set_title(f"{scen}: {len(sub)} results, {len({r['design'] for r in sub})} designs")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    for idx in range(len(scens), nr * nc):
        axes[idx // nc][idx % nc].axis("off")
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


# ---- heatmap --------------------------------------------------------------------------------


def varying_parameters(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Design parameters (label columns other than scenario/strategy/objective/seed) that take
    at least two values, most values first."""
    skip = {*_FIXED, *_NOT_DESIGN, "design", *METRIC_COLUMNS, "wall_s", "finished_at", "error"}
    counts: dict[str, int] = {}
    for col in columns_of(rows):
        if col in skip:
            continue
        n = len({_key(r.get(col)) for r in rows})
        if n >= 2:
            counts[col] = n
    return sorted(counts, key=lambda c: -counts[c])


def default_metric(rows: Sequence[dict[str, Any]]) -> str:
    """The objective of the rows when they share one, else ``edp``."""
    objs = {str(r.get("objective")) for r in rows}
    return (
        OBJECTIVE_METRIC[objs.pop()][0]
        if len(objs) == 1 and objs <= set(OBJECTIVE_METRIC)
        else "edp"
    )


def _key(v: Any) -> Any:
    return "n/a" if v is None or v == "" else v


def _sorted_values(values: Iterable[Any]) -> list[Any]:
    vals = list(dict.fromkeys(values))
    try:
        return sorted(vals, key=lambda v: (0, float(v)) if _num(v) else (1, str(v)))
    except (TypeError, ValueError):
        return vals


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def best_grid(
    rows: Sequence[dict[str, Any]], x: str, y: str, metric: str
) -> tuple[list[Any], list[Any], list[list[float | None]]]:
    """``(x values, y values, cells)``: each cell is the best ``metric`` over the ok rows with
    that x and y (minimum; maximum for ``throughput_ips``), None where there is none."""
    higher = metric == "throughput_ips"
    ok = [r for r in _ok(rows) if r.get(metric) is not None]
    xs = _sorted_values(_key(r.get(x)) for r in ok)
    ys = _sorted_values(_key(r.get(y)) for r in ok)
    cells: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    xi = {v: i for i, v in enumerate(xs)}
    yi = {v: i for i, v in enumerate(ys)}
    for r in ok:
        i, j = yi[_key(r.get(y))], xi[_key(r.get(x))]
        v = float(r[metric])
        cur = cells[i][j]
        if cur is None or (v > cur if higher else v < cur):
            cells[i][j] = v
    return xs, ys, cells


@no_mathtext
def plot_heatmap(
    rows: Sequence[dict[str, Any]], x: str, y: str, metric: str, path: str | Path
) -> Path | None:
    """Heatmap of the best ``metric`` over parameters ``x`` and ``y``, one panel per scenario
    (cells annotated with the value). Returns None when there is no ok result."""
    ok = _ok(rows)
    if not ok:
        return None
    cols = set(columns_of(rows))
    for name in (x, y):
        if name not in cols:
            raise MCMSchedError(
                f"unknown parameter '{name}' (parameters: {', '.join(varying_parameters(rows))})",
                field="x" if name == x else "y",
            )
    if metric not in METRIC_COLUMNS:
        raise MCMSchedError(
            f"unknown metric '{metric}' (valid: {', '.join(METRIC_COLUMNS)})", field="metric"
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    scens = _scenarios(ok)
    nr, nc = _grid(len(scens))
    fig, axes = plt.subplots(nr, nc, figsize=(6.5 * nc, 5 * nr), squeeze=False)
    cmap = "viridis" if metric == "throughput_ips" else "viridis_r"
    for idx, scen in enumerate(scens):
        ax = axes[idx // nc][idx % nc]
        sub = [r for r in ok if str(r["scenario"]) == scen]
        xs, ys, cells = best_grid(sub, x, y, metric)
        data = np.array([[np.nan if v is None else v for v in row] for row in cells], dtype=float)
        im = ax.imshow(data, cmap=cmap, aspect="auto", origin="lower")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs], rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(ys)), [str(v) for v in ys], fontsize=8)
        finite = data[np.isfinite(data)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = data[i, j]
                if np.isfinite(v):
                    better_half = v > mid if metric == "throughput_ips" else v < mid
                    ax.text(
                        j,
                        i,
                        f"{v:.4g}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black" if better_half else "white",
                    )
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(f"{scen}: best {metric}")
        fig.colorbar(im, ax=ax, shrink=0.85)
    for idx in range(len(scens), nr * nc):
        axes[idx // nc][idx % nc].axis("off")
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


# ---- HTML -----------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(path: Path | None, alt: str) -> str:
    if path is None:
        return f"<p><em>{html.escape(alt)}: nothing to plot.</em></p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}th{background:#f0f0f0}
img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}
.err{color:#a00}
"""


def write_html(
    rows: Sequence[dict[str, Any]],
    path: str | Path,
    *,
    title: str,
    pareto_png: Path | None,
    heatmap_png: Path | None,
    heatmap_note: str,
    csv_name: str,
    planned: int | None = None,
) -> Path:
    """A self-contained HTML page: summary, images, best designs and Pareto fronts per
    scenario, and the errors."""
    ok = _ok(rows)
    errors = [r for r in rows if r["status"] != "ok"]
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>{len(rows)} finished jobs"
        + (f" of {planned} planned" if planned is not None else "")
        + f": {len(ok)} ok, {len(errors)} errors. Full table: "
        f"<a href='{html.escape(csv_name)}'>{html.escape(csv_name)}</a>.</p>",
        "<h2>Latency vs energy (Pareto fronts per scenario)</h2>",
        _img(pareto_png, "Pareto fronts"),
        "<h2>Best objective over two parameters</h2>",
        f"<p>{html.escape(heatmap_note)}</p>",
        _img(heatmap_png, "heatmap") if heatmap_png is not None else "",
    ]
    cols = [
        "design",
        "strategy",
        "objective",
        "seed",
        "latency_s",
        "energy_j",
        "edp",
        "throughput_ips",
        "n_windows",
        "wall_s",
        "job_id",
    ]
    for scen in _scenarios(ok):
        sub = [r for r in ok if str(r["scenario"]) == scen]
        front = pareto_front([(float(r["latency_s"]), float(r["energy_j"])) for r in sub])
        best = sorted(sub, key=lambda r: float(r["edp"]))[:10]
        parts.append(f"<h2>{html.escape(scen)}</h2><h3>Pareto front (latency, energy)</h3>")
        parts.append(_table([sub[i] for i in front], cols))
        parts.append("<h3>Ten best by EDP</h3>")
        parts.append(_table(best, cols))
    if errors:
        parts.append(f"<h2 class='err'>Errors ({len(errors)})</h2>")
        parts.append(_table(errors, ["scenario", "design", "strategy", "job_id", "error"]))
    parts.append("</body></html>")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(parts), encoding="utf-8")
    return p


@dataclass(frozen=True)
class ReportFiles:
    """Paths :func:`write_report` wrote (``heatmap_png`` is None without two parameters)."""

    csv: Path
    pareto_png: Path | None
    heatmap_png: Path | None
    html: Path
    n_rows: int
    x: str | None
    y: str | None
    metric: str
    corrupt_rows: int = 0


def write_report(
    store: str | Path,
    out_dir: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    metric: str | None = None,
) -> ReportFiles:
    """Write ``results.csv``, ``pareto.png``, ``heatmap.png`` and ``report.html`` for a store.

    ``x`` / ``y``: the heatmap's parameters (default: the two design parameters with the most
    values); ``metric``: a metric column (default: the sweep's objective if it has one, else
    ``edp``)."""
    if (x is None) != (y is None):
        raise MCMSchedError("give both --x and --y (or neither)", field="x" if x is None else "y")
    if metric is not None and metric not in METRIC_COLUMNS:
        raise MCMSchedError(
            f"unknown metric '{metric}' (valid: {', '.join(METRIC_COLUMNS)})", field="metric"
        )
    with ResultStore(store, readonly=True) as st:
        rows = flatten(st.results())
        corrupt = len(st.corrupt_rows)
        planned = st.planned_count()
        name = st.get_meta("name") or Path(store).stem
    final = Path(out_dir)
    with atomic_dir(final) as out:
        files = _write_report_files(rows, out, x, y, metric, planned, name)
    return ReportFiles(
        final / files.csv.name,
        None if files.pareto_png is None else final / files.pareto_png.name,
        None if files.heatmap_png is None else final / files.heatmap_png.name,
        final / files.html.name,
        files.n_rows,
        files.x,
        files.y,
        files.metric,
        corrupt,
    )


def _write_report_files(
    rows: list[dict[str, Any]],
    out: Path,
    x: str | None,
    y: str | None,
    metric: str | None,
    planned: int,
    name: str,
) -> ReportFiles:
    csv_path = write_csv(rows, out / "results.csv")
    pareto = plot_pareto(rows, out / "pareto.png")
    metric = metric or default_metric(rows)
    varying = varying_parameters(_ok(rows))
    if x is None or y is None:
        if len(varying) >= 2:
            x, y = varying[1], varying[0]
        else:
            x = y = None
    heat = None
    if x is not None and y is not None:
        heat = plot_heatmap(rows, x, y, metric, out / "heatmap.png")
        note = f"Best {metric} over {x} (x) and {y} (y), per scenario."
    else:
        note = (
            "No heatmap: fewer than two design parameters vary in this sweep "
            f"(varying: {', '.join(varying) or 'none'})."
        )
    page = write_html(
        rows,
        out / "report.html",
        title=f"Sweep report: {name}",
        pareto_png=pareto,
        heatmap_png=heat,
        heatmap_note=note,
        csv_name=csv_path.name,
        planned=planned,
    )
    return ReportFiles(csv_path, pareto, heat, page, len(rows), x, y, metric)


__all__ = [
    "METRIC_COLUMNS",
    "ReportFiles",
    "best_grid",
    "flatten",
    "load_rows",
    "pareto_front",
    "plot_heatmap",
    "plot_pareto",
    "to_dataframe",
    "varying_parameters",
    "write_csv",
    "write_html",
    "write_report",
]
