"""Gantt timeline of a schedule: one row per chiplet, bars coloured by model, windows shaded.

Bars come from :attr:`mcmsched.schedule.metrics.Metrics.timeline`: a ``fill`` bar (the first
mini-batch through the stage; the chiplet is busy the whole bar) is drawn solid, a ``steady`` bar
(the remaining mini-batches; the chiplet is busy ``busy_s`` of it) is drawn lighter and hatched.
Windows (barriers) are shaded alternately and labelled W0, W1, ... at the top. Times in ms when
the scenario is shorter than 1 s, otherwise in s.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mcmsched.hardware.package import Package
from mcmsched.safe_io import no_mathtext
from mcmsched.schedule.metrics import Metrics
from mcmsched.schedule.model import Schedule
from mcmsched.workload.scenario import Scenario

#: Colours of the models (cycled).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def model_colour(i: int) -> str:
    """The colour of model ``i`` in every figure."""
    return PALETTE[i % len(PALETTE)]


def time_unit(latency_s: float) -> tuple[float, str]:
    """``(scale, unit)`` to show times of a scenario lasting ``latency_s`` seconds."""
    if latency_s < 1e-3:
        return 1e6, "µs"
    if latency_s < 1.0:
        return 1e3, "ms"
    return 1.0, "s"


@no_mathtext
def timeline_figure(
    metrics: Metrics,
    scenario: Scenario,
    package: Package,
    *,
    schedule: Schedule | None = None,
    title: str | None = None,
    width_in: float = 11.0,
) -> Figure:
    """The Gantt chart of a schedule's timeline (a matplotlib Figure, no pyplot state). With
    ``schedule``, bars wide enough for it are labelled with their layer range (``L0-15``)."""
    n_c = package.n_chiplets
    height = max(2.6, 0.9 + 0.42 * n_c)
    fig = Figure(figsize=(width_in, height), layout="constrained")
    ax = fig.add_subplot()
    scale, unit = time_unit(metrics.latency_s)

    # windows: alternate shading, label at the top
    t = 0.0
    for w, lat in enumerate(metrics.window_latency_s):
        a, b = t * scale, (t + lat) * scale
        if w % 2 == 0:
            ax.axvspan(a, b, color="#eef1f5", zorder=0, lw=0)
        ax.axvline(a, color="#9aa4b2", lw=0.8, ls="--", zorder=1)
        ax.text(
            (a + b) / 2,
            -0.62,
            f"W{w}",
            ha="center",
            va="bottom",
            fontsize=8,
            color="#4a5568",
            clip_on=False,
        )
        t += lat
    ax.axvline(t * scale, color="#9aa4b2", lw=0.8, ls="--", zorder=1)

    span = max(t * scale, 1e-12)
    seg_layers: dict[tuple[int, int, int], tuple[int, int]] = {}
    if schedule is not None:
        for w, win in enumerate(schedule.windows):
            for p in win.plans:
                for k, sg in enumerate(p.segments):
                    seg_layers[(w, p.model, k)] = sg.layers
    for ev in metrics.timeline:
        start = ev.start_s * scale
        width = max((ev.end_s - ev.start_s) * scale, 0.0)
        colour = model_colour(ev.model)
        rng = seg_layers.get((ev.window, ev.model, ev.segment))
        if rng is not None and ev.kind == "fill" and width > 0.07 * span:
            ax.text(
                start + width / 2,
                ev.chiplet,
                f"L{rng[0]}-{rng[1] - 1}",
                ha="center",
                va="center",
                fontsize=7,
                color="white",
                zorder=4,
                clip_on=True,
            )
        if ev.kind == "steady":
            ax.barh(
                ev.chiplet,
                width,
                left=start,
                height=0.62,
                color=colour,
                alpha=0.45,
                hatch="//",
                edgecolor=colour,
                lw=0.6,
                zorder=2,
            )
        else:
            ax.barh(
                ev.chiplet,
                width,
                left=start,
                height=0.62,
                color=colour,
                edgecolor="white",
                lw=0.6,
                zorder=3,
            )

    labels = [f"C{c.id} {package.chiplet_class(c.id).name}" for c in package.chiplets]
    ax.set_yticks(range(n_c), labels, fontsize=8)
    ax.set_ylim(n_c - 0.4, -0.6)
    ax.set_xlim(0, max(t * scale, 1e-12))
    ax.set_xlabel(f"time ({unit})")
    ax.grid(axis="x", color="#d0d5dd", lw=0.5, zorder=0)
    ax.set_axisbelow(True)
    handles: list[Patch] = [
        Patch(color=model_colour(i), label=e.model.name) for i, e in enumerate(scenario.entries)
    ]
    if any(ev.kind == "steady" for ev in metrics.timeline):
        handles.append(
            Patch(facecolor="white", edgecolor="#555555", hatch="//", label="steady state")
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.005, 1.0),
        fontsize=8,
        frameon=False,
    )
    ax.set_title(
        title or f"{scenario.name} on {package.name}: timeline",
        fontsize=10,
        loc="left",
        pad=14,
    )
    return fig
