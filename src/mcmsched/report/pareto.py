"""Latency-energy Pareto plot of the candidate schedules a search explored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from mcmsched.report.gantt import model_colour
from mcmsched.safe_io import no_mathtext


@dataclass(frozen=True)
class ParetoSeries:
    """One design's explored points (latency s, energy J) and its chosen schedule's point."""

    label: str
    points: tuple[tuple[float, float], ...]
    chosen: tuple[float, float]


def pareto_front(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The non-dominated points (lower latency and lower energy are better), sorted by latency;
    duplicates are kept once."""
    front: list[tuple[float, float]] = []
    best_e = float("inf")
    for lat, en in sorted(set(points)):
        if en < best_e:
            front.append((lat, en))
            best_e = en
    return front


@no_mathtext
def pareto_figure(
    series: Sequence[ParetoSeries], *, title: str = "latency vs energy", width_in: float = 9.0
) -> Figure:
    """Every series' points (small, faded), its Pareto front (step line) and its chosen point (a
    large star with a black edge). Log axes when the values span more than a decade."""
    fig = Figure(figsize=(width_in, 5.2), layout="constrained")
    ax = fig.add_subplot()
    all_l: list[float] = []
    all_e: list[float] = []
    for i, s in enumerate(series):
        c = model_colour(i)
        pts = list(s.points) or [s.chosen]
        ls = [p[0] for p in pts]
        es = [p[1] for p in pts]
        all_l += [*ls, s.chosen[0]]
        all_e += [*es, s.chosen[1]]
        ax.scatter(
            ls, es, s=30, color=c, alpha=0.55, lw=0, label=f"{s.label}: explored ({len(pts)})"
        )
        front = pareto_front(pts)
        if len(front) > 1:
            ax.step(
                [p[0] for p in front],
                [p[1] for p in front],
                where="post",
                color=c,
                lw=1.0,
                alpha=0.8,
            )
        ax.scatter(
            [s.chosen[0]],
            [s.chosen[1]],
            s=170,
            marker="*",
            color=c,
            edgecolors="black",
            linewidths=0.8,
            zorder=5,
            label=f"{s.label}: chosen",
        )
    pos_l = [v for v in all_l if v > 0]
    pos_e = [v for v in all_e if v > 0]
    if pos_l and max(pos_l) / min(pos_l) > 10:
        ax.set_xscale("log")
    if pos_e and max(pos_e) / min(pos_e) > 10:
        ax.set_yscale("log")
    ax.set_xlabel("latency (s)")
    ax.set_ylabel("energy (J)")
    ax.grid(color="#d0d5dd", lw=0.5)
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
