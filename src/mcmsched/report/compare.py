"""Comparing designs: a table and normalised latency / energy / EDP bars against a baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from mcmsched.report.gantt import model_colour
from mcmsched.report.tables import Cell, Table
from mcmsched.safe_io import no_mathtext
from mcmsched.schedule.metrics import Metrics


def comparison_table(
    labels: Sequence[str],
    metrics: Sequence[Metrics],
    baseline: str,
    n_chiplets: Sequence[int],
    n_windows: Sequence[int] | None = None,
) -> Table:
    """One row per design: latency (s), throughput, energy (J), EDP (J·s), energy breakdown and
    each metric normalised to ``baseline`` (design / baseline: below 1 is better)."""
    b = metrics[list(labels).index(baseline)]
    rows: list[tuple[Cell, ...]] = []
    for i, (label, m) in enumerate(zip(labels, metrics, strict=True)):
        rows.append(
            (
                label + (" (baseline)" if label == baseline else ""),
                n_chiplets[i],
                None if n_windows is None else n_windows[i],
                m.latency_s,
                m.throughput_ips,
                m.energy_j,
                m.edp,
                m.energy.compute_j,
                m.energy.nop_j,
                m.energy.dram_j,
                m.latency_s / b.latency_s if b.latency_s > 0 else None,
                m.energy_j / b.energy_j if b.energy_j > 0 else None,
                m.edp / b.edp if b.edp > 0 else None,
            )
        )
    return Table(
        "compare",
        f"Designs compared (normalised = design / {baseline}; below 1 is better)",
        (
            "package",
            "chiplets",
            "windows",
            "latency (s)",
            "throughput (inferences/s)",
            "energy (J)",
            "EDP (J·s)",
            "compute (J)",
            "NoP (J)",
            "DRAM (J)",
            "norm. latency",
            "norm. energy",
            "norm. EDP",
        ),
        tuple(rows),
    )


@no_mathtext
def normalised_figure(
    labels: Sequence[str], metrics: Sequence[Metrics], baseline: str, *, width_in: float = 10.0
) -> Figure:
    """Grouped bars: latency, energy and EDP of every design divided by the baseline's (the
    baseline's bars are 1, drawn as a dashed line); each bar is labelled with its value."""
    b = metrics[list(labels).index(baseline)]
    groups = ("latency", "energy", "EDP")
    base_vals = (b.latency_s, b.energy_j, b.edp)
    n = len(labels)
    width = 0.8 / max(n, 1)
    x = np.arange(len(groups))
    fig = Figure(figsize=(width_in, 4.4), layout="constrained")
    ax = fig.add_subplot()
    top = 1.0
    for i, (label, m) in enumerate(zip(labels, metrics, strict=True)):
        vals = [
            v / bv if bv > 0 else 0.0
            for v, bv in zip((m.latency_s, m.energy_j, m.edp), base_vals, strict=True)
        ]
        top = max(top, *vals)
        pos = x - 0.4 + width * (i + 0.5)
        bars = ax.bar(pos, vals, width * 0.92, color=model_colour(i), label=label)
        for rect, v in zip(bars, vals, strict=True):
            ax.text(
                rect.get_x() + rect.get_width() / 2,
                rect.get_height(),
                f"{v:.2f}",
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_xticks(x, [f"{g} / {baseline}" for g in groups])
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("normalised to the baseline (lower is better)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", color="#d0d5dd", lw=0.5)
    ax.set_axisbelow(True)
    ax.set_title("latency, energy and EDP vs the baseline", fontsize=11, loc="left")
    return fig
