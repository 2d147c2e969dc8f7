"""Gantt timeline of a schedule: one row per chiplet, bars coloured by model, windows shaded.

Bars come from :attr:`mcmsched.schedule.metrics.Metrics.timeline`: a ``fill`` bar (the first
mini-batch through the stage; the chiplet is busy the whole bar) is drawn solid. A ``steady`` bar
(the remaining mini-batches; the chiplet is busy ``busy_s`` of its span) is drawn as a dashed
outline of the span filled to a height of ``busy_s / span`` of the row: the filled area is the busy
time, so a chiplet busy 1 % of a long steady state shows a sliver, not a full bar. Each row's
label gives the chiplet's utilisation (busy time / scenario latency).
Windows (barriers) are shaded alternately and labelled W0, W1, ... at the top. Times in ms when
the scenario is shorter than 1 s, otherwise in s.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mcmsched.hardware.package import Package
from mcmsched.safe_io import no_mathtext
from mcmsched.schedule.metrics import Metrics, TimelineEvent
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


#: Height of a chiplet's bar row (y units; rows are 1 apart).
BAR_HEIGHT = 0.62


def steady_density(ev: TimelineEvent) -> float:
    """The share (0..1) of a steady-state bar's span during which its chiplet is busy."""
    span = ev.end_s - ev.start_s
    if span <= 0:
        return 0.0
    return min(1.0, max(0.0, ev.busy_s / span))


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
    ``schedule``, bars wide enough for it are labelled with their layer range (``L0-15``) and, for
    a split segment, its split (``K/4``: dimension / chiplets; one bar per chiplet)."""
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
                f"L{rng[0]}-{rng[1] - 1}" + (f" {ev.split}" if ev.split else ""),
                ha="center",
                va="center",
                fontsize=7,
                color="white",
                zorder=4,
                clip_on=True,
            )
        if ev.kind == "steady":
            # the span of the steady state, outlined; inside it a bar whose height is the
            # fraction of the span the chiplet is busy (area = busy time)
            density = steady_density(ev)
            ax.barh(
                ev.chiplet,
                width,
                left=start,
                height=BAR_HEIGHT,
                facecolor="none",
                edgecolor=colour,
                lw=0.6,
                ls=(0, (2, 2)),
                zorder=2,
                gid="steady-span",
            )
            ax.barh(
                ev.chiplet + BAR_HEIGHT / 2,
                width,
                left=start,
                height=-BAR_HEIGHT * density,
                align="edge",
                color=colour,
                alpha=0.8,
                lw=0,
                zorder=2,
                gid="steady-busy",
            )
        else:
            ax.barh(
                ev.chiplet,
                width,
                left=start,
                height=BAR_HEIGHT,
                color=colour,
                edgecolor="white",
                lw=0.6,
                zorder=3,
                gid="fill",
            )

    util = metrics.chiplet_utilisation
    labels = [
        f"C{c.id} {package.chiplet_class(c.id).name}"
        + (f"\n{util[c.id]:.1%} busy" if c.id < len(util) else "")
        for c in package.chiplets
    ]
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
            Patch(
                facecolor="#bbbbbb",
                edgecolor="#555555",
                ls="--",
                label="steady state\n(filled height = busy share)",
            )
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
