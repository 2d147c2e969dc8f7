"""Tables of a run: summary, per model, per chiplet, per window, per layer, baselines.

A :class:`Table` is plain data (title, headers, rows of cells) that renders to Markdown, CSV and
HTML. Cells keep their numeric values; :func:`fmt` formats them for humans (CSV keeps full
precision). Units are in the column names (s, J, J·s, inferences/s).
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcmsched.cost.split import SplitCosts
from mcmsched.cost.table import CostTable
from mcmsched.hardware.package import Package
from mcmsched.safe_io import csv_cell, md_cell
from mcmsched.schedule.metrics import Metrics
from mcmsched.schedule.model import Schedule, Segment
from mcmsched.workload.scenario import Scenario

Cell = str | int | float | None

#: Columns of ``layers.csv`` (one row per layer of every model).
LAYER_COLUMNS = (
    "model",
    "model_index",
    "layer",
    "layer_index",
    "kind",
    "macs",
    "window",
    "segment",
    "chiplet",
    "chiplet_class",
    "dataflow",
    "minibatch",
    "n_minibatches",
    "compute_s",
    "energy_j",
    "cycles",
    "bound_cycles",
    "bound",
    "pe_util",
    "mapping",
    "chiplets",
    "split_dim",
)
"""The last five: per mini-batch run on the layer's class: ``cycles``, the roofline lower bound
``bound_cycles`` and which bound holds (``compute``/``noc``/``memory``), ``pe_util`` = MACs /
(cycles x PEs) with the layer's own MACs, and ``mapping`` the searched directives (``as
written`` when the class runs its dataflow's own directives)."""


def fmt(v: Cell, digits: int = 4) -> str:
    """A number for humans: integers with thousands separators, floats with ``digits``
    significant digits (scientific notation for very small or large values)."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if v == 0:
            return "0"
        a = abs(v)
        if a >= 1e6 or a < 1e-3:
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(v)


@dataclass(frozen=True)
class Table:
    """A titled table; ``key`` is a short identifier (HTML id, file name stem)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def formatted(self) -> list[list[str]]:
        return [[fmt(c) for c in r] for r in self.rows]

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table (with a ``### title`` line)."""

        esc = md_cell

        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(esc(h) for h in self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        for r in self.formatted():
            lines.append("| " + " | ".join(esc(c) for c in r) + " |")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """CSV text with full-precision numbers."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.headers)
        for r in self.rows:
            w.writerow(
                ["" if c is None else (repr(c) if isinstance(c, float) else csv_cell(c)) for c in r]
            )
        return buf.getvalue()

    def to_html(self) -> str:
        """An HTML ``<table>`` with a caption; numeric cells are right-aligned."""
        out = [f'<table id="table-{html.escape(self.key)}" class="data">']
        out.append(f"<caption>{html.escape(self.title)}</caption>")
        out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in self.headers))
        out.append("</tr></thead><tbody>")
        for raw, r in zip(self.rows, self.formatted(), strict=True):
            cells = []
            for c, s in zip(raw, r, strict=True):
                cls = ' class="num"' if isinstance(c, int | float) else ""
                cells.append(f"<td{cls}>{html.escape(s)}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)

    def as_dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.headers, r, strict=True)) for r in self.rows]


def summary_table(metrics: Metrics, scenario: Scenario, package: Package, strategy: str) -> Table:
    """Scenario-level results of one schedule."""
    m = metrics
    util = float(np.mean(m.chiplet_utilisation)) if m.chiplet_utilisation else 0.0
    rows: list[tuple[Cell, ...]] = [
        ("scenario", scenario.name),
        ("package", f"{package.name} ({package.n_chiplets} chiplets)"),
        ("strategy", strategy),
        ("models / layers", f"{len(scenario.entries)} / {scenario.total_layers}"),
        ("windows", len(m.window_latency_s)),
        ("latency (s)", m.latency_s),
        ("throughput (inferences/s)", m.throughput_ips),
        ("energy (J)", m.energy_j),
        ("EDP (J·s)", m.edp),
        ("energy: compute (J)", m.energy.compute_j),
        ("energy: NoP (J)", m.energy.nop_j),
        ("energy: DRAM (J)", m.energy.dram_j),
        ("mean chiplet utilisation", util),
    ]
    if m.energy.collective_j > 0:
        rows.insert(11, ("energy: of NoP, split collectives (J)", m.energy.collective_j))
    if m.dram_bound_fraction >= 0.5:
        rows.append(
            (
                "DRAM-bound",
                f"busiest DRAM interface busy {m.dram_bound_fraction:.0%} of the latency",
            )
        )
    return Table("summary", "Summary", ("metric", "value"), tuple(rows))


def model_table(metrics: Metrics, scenario: Scenario) -> Table:
    """Per model: batch, layers, completion time (s), energy (J) and the latency target."""
    rows: list[tuple[Cell, ...]] = []
    for i, e in enumerate(scenario.entries):
        me = metrics.model_energy[i]
        done = metrics.model_completion_s[i]
        target = e.latency_target_s
        rows.append(
            (
                e.model.name,
                e.batch,
                len(e.model.layers),
                e.model.macs * e.batch,
                done,
                me.total_j,
                me.compute_j,
                me.nop_j,
                me.dram_j,
                target,
                None if target is None else ("yes" if done <= target else "no"),
            )
        )
    return Table(
        "models",
        "Per model",
        (
            "model",
            "batch",
            "layers",
            "MACs",
            "completion (s)",
            "energy (J)",
            "compute (J)",
            "NoP (J)",
            "DRAM (J)",
            "target (s)",
            "target met",
        ),
        tuple(rows),
    )


def chiplet_table(metrics: Metrics, package: Package) -> Table:
    """Per chiplet: class, dataflow, busy time (s) and utilisation (busy / latency)."""
    rows: list[tuple[Cell, ...]] = []
    for c in package.chiplets:
        cls = package.chiplet_class(c.id)
        rows.append(
            (
                c.id,
                f"({c.row}, {c.col})",
                cls.name,
                cls.dataflow.name,
                cls.n_pes,
                metrics.chiplet_busy_s[c.id],
                metrics.chiplet_utilisation[c.id],
            )
        )
    return Table(
        "chiplets",
        "Per chiplet",
        ("chiplet", "position", "class", "dataflow", "PEs", "busy (s)", "utilisation"),
        tuple(rows),
    )


def window_table(metrics: Metrics, schedule: Schedule, scenario: Scenario) -> Table:
    """Per window: latency (s), energy (J) and what each active model runs where."""
    rows: list[tuple[Cell, ...]] = []
    for w, win in enumerate(schedule.windows):
        parts = []
        for p in win.plans:
            segs = " -> ".join(f"L{s.start}-{s.stop - 1}@C{s.chiplet}" for s in p.segments)
            parts.append(f"{scenario.entries[p.model].model.name} (b'={p.minibatch}): {segs}")
        rows.append((w, metrics.window_latency_s[w], metrics.window_energy_j[w], "; ".join(parts)))
    return Table(
        "windows",
        "Per window",
        ("window", "latency (s)", "energy (J)", "plans (layers@chiplet)"),
        tuple(rows),
    )


@dataclass(frozen=True)
class BaselineEntry:
    """A baseline's label and metrics for :func:`baseline_table`."""

    key: str
    label: str
    package: str
    metrics: Metrics


def baseline_table(ours: Metrics, ours_label: str, baselines: Sequence[BaselineEntry]) -> Table:
    """This schedule against each baseline: latency, energy and EDP, and the ratios ours /
    baseline (design / baseline as in every table; below 1 means this schedule is better)."""
    rows: list[tuple[Cell, ...]] = [
        (ours_label, "", ours.latency_s, ours.energy_j, ours.edp, 1.0, 1.0, 1.0)
    ]
    for b in baselines:
        m = b.metrics
        rows.append(
            (
                b.label,
                b.package,
                m.latency_s,
                m.energy_j,
                m.edp,
                _ratio(ours.latency_s, m.latency_s),
                _ratio(ours.energy_j, m.energy_j),
                _ratio(ours.edp, m.edp),
            )
        )
    return Table(
        "baselines",
        "Against the baselines (ratio = this schedule / baseline; below 1: this schedule is "
        "better)",
        (
            "design",
            "package",
            "latency (s)",
            "energy (J)",
            "EDP (J·s)",
            "latency ratio",
            "energy ratio",
            "EDP ratio",
        ),
        tuple(rows),
    )


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def layer_rows(
    schedule: Schedule, scenario: Scenario, package: Package, costs: CostTable
) -> list[dict[str, Cell]]:
    """One row per layer of every model (columns :data:`LAYER_COLUMNS`), in model then layer
    order: where it runs (window, segment, chiplet, class, dataflow), the mini-batch b' and the
    number of mini-batches, its compute time over the whole batch (s: per-mini-batch compute
    time x mini-batches) and its on-chiplet energy (J, same convention; the sum over all rows is
    the schedule's compute energy). A layer of a split segment lists all its chiplets
    (``chiplets``, space-separated, ring order) and ``split_dim``; its compute time is the
    largest share's and its energy the sum over the working chiplets."""
    split_costs = SplitCosts(costs)
    seg_of: dict[tuple[int, int], Segment] = {}
    place: dict[tuple[int, int], tuple[int, int, int, int, int]] = {}
    for w, win in enumerate(schedule.windows):
        for p in win.plans:
            batch = scenario.entries[p.model].batch
            n_mb = -(-batch // p.minibatch)
            for k, s in enumerate(p.segments):
                for layer in range(s.start, s.stop):
                    place[(p.model, layer)] = (w, k, s.chiplet, p.minibatch, n_mb)
                    seg_of[(p.model, layer)] = s
    cls_col = {n: i for i, n in enumerate(package.class_names)}
    rows: list[dict[str, Cell]] = []
    for m, e in enumerate(scenario.entries):
        for i, ly in enumerate(e.model.layers):
            hit = place.get((m, i))
            if hit is None:
                rows.append(
                    dict.fromkeys(LAYER_COLUMNS)
                    | {"model": e.model.name, "model_index": m, "layer": ly.name, "layer_index": i}
                )
                continue
            w, k, chip, mb, n_mb = hit
            cls = package.chiplet_class(chip)
            mc = costs.model_costs(m, mb)
            j = cls_col[cls.name]
            seg = seg_of[(m, i)]
            comp = float(mc.compute_s[i, j])
            en = float(mc.energy_j[i, j])
            roof = _roofline_cells(mc, i, j, cls.n_pes, ly.macs * mb)
            if seg.is_split:
                smc = split_costs.model_costs(m, mb, seg.dim, seg.k)
                cols = [cls_col[package.chiplet_class(c).name] for c in seg.chiplets]
                comp = max(float(smc.compute_s[i, c]) for c in cols)
                en = sum(float(smc.energy_j[i, c]) for c in cols[: int(smc.k_eff[i])])
                roof = _split_roofline_cells(roof, comp * cls.clock_hz, int(smc.k_eff[i]), seg)
            rows.append(
                {
                    "model": e.model.name,
                    "model_index": m,
                    "layer": ly.name,
                    "layer_index": i,
                    "kind": ly.kind.value,
                    "macs": ly.macs * e.batch,
                    "window": w,
                    "segment": k,
                    "chiplet": chip,
                    "chiplet_class": cls.name,
                    "dataflow": cls.dataflow.name,
                    "minibatch": mb,
                    "n_minibatches": n_mb,
                    "compute_s": comp * n_mb,
                    "energy_j": en * n_mb,
                    **roof,
                    "chiplets": " ".join(str(c) for c in seg.chiplets),
                    "split_dim": seg.dim,
                }
            )
    return rows


def _split_roofline_cells(
    whole: dict[str, Cell], share_cycles: float, k_eff: int, seg: Segment
) -> dict[str, Cell]:
    """The roofline columns of a split layer's largest share (``share_cycles``, on the team's
    slowest class): the whole layer's bound divided by the ``k_eff`` chiplets that work (a lower
    bound of the share: its MACs and weights are 1/k_eff of the layer's), utilisation of one
    share's PEs, and which split it is (the share's mapping is searched per share shape)."""
    cyc = float(whole["cycles"] or 0.0)
    util = whole["pe_util"]
    bound = whole["bound_cycles"]
    return {
        "cycles": share_cycles,
        "bound_cycles": None if bound is None else float(bound) / k_eff,
        "bound": whole["bound"],
        "pe_util": (
            None
            if util is None or share_cycles <= 0
            else float(util) * cyc / (share_cycles * k_eff)
        ),
        "mapping": f"share of a {seg.dim}/{seg.k} split",
    }


def _roofline_cells(mc: Any, i: int, j: int, n_pes: int, macs: int) -> dict[str, Cell]:
    """The cycles / roofline / mapping columns of layer ``i`` on class column ``j``; ``macs``:
    the layer's MACs per mini-batch run (utilisation uses them, not the MACs a mapping counts,
    which can be more at strided tile edges)."""
    cyc = float(mc.cycles[i, j])
    mapping = str(mc.mapping[i, j]) if mc.mapping is not None else ""
    return {
        "cycles": cyc,
        "bound_cycles": float(mc.bound_cycles[i, j]) if mc.bound_cycles is not None else None,
        "bound": str(mc.bound[i, j]) if mc.bound is not None else None,
        "pe_util": macs / (cyc * n_pes) if cyc > 0 else None,
        "mapping": mapping or "as written",
    }


def layer_table(rows: Sequence[Mapping[str, Cell]]) -> Table:
    """:func:`layer_rows` as a :class:`Table` (columns :data:`LAYER_COLUMNS`)."""
    return Table(
        "layers",
        "Per layer",
        LAYER_COLUMNS,
        tuple(tuple(r.get(c) for c in LAYER_COLUMNS) for r in rows),
    )


def jsonable(v: Any) -> Any:
    """``v`` with NaN/inf floats replaced by None (strict JSON)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    return v
