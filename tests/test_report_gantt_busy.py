"""The Gantt chart shows when a chiplet is busy: a steady-state bar's filled height is its busy
share (a chiplet 1 % busy draws a sliver, not a full bar) and each row names its utilisation."""

from __future__ import annotations

import pytest
from matplotlib.container import BarContainer

from mcmsched.hardware.presets import get_preset
from mcmsched.report.gantt import BAR_HEIGHT, steady_density, timeline_figure
from mcmsched.schedule.metrics import EnergyBreakdown, Metrics, TimelineEvent
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario


def _metrics(events: tuple[TimelineEvent, ...], busy: tuple[float, ...]) -> Metrics:
    latency = 1.0
    e = EnergyBreakdown(1.0, 0.0, 0.0)
    return Metrics(
        latency_s=latency,
        energy_j=1.0,
        edp=1.0,
        throughput_ips=1.0,
        total_samples=1,
        energy=e,
        model_energy=(e,),
        window_latency_s=(latency,),
        window_energy_j=(1.0,),
        model_latency_s=((latency,),),
        model_period_s=((latency,),),
        model_completion_s=(latency,),
        chiplet_busy_s=busy,
        chiplet_utilisation=tuple(b / latency for b in busy),
        timeline=events,
    )


def _bars(fig: object, gid: str) -> list[tuple[float, float, float]]:
    """(x, width, |height|) of every bar drawn with ``gid``."""
    ax = fig.axes[0]  # type: ignore[attr-defined]
    out = []
    for c in ax.containers:
        if isinstance(c, BarContainer):
            for p in c.patches:
                if p.get_gid() == gid:
                    out.append((p.get_x(), p.get_width(), abs(p.get_height())))
    return out


def test_one_percent_busy_steady_state_draws_a_sliver() -> None:
    model = Model.chain("A", [Layer("a0", OpKind.GEMM, K=16, C=16, Y=8, X=1)])
    sc = Scenario.of("s", (model, 100))
    # C0: fill 0-0.01 s (busy all of it), then a 0.99 s steady state busy 0.0099 s (1 %)
    events = (
        TimelineEvent(0, 0, 0, 0, 0.0, 0.01, "fill", 0.01),
        TimelineEvent(0, 0, 0, 0, 0.01, 1.0, "steady", 0.0099),
    )
    m = _metrics(events, (0.0199, 0.0, 0.0, 0.0))
    assert steady_density(events[1]) == pytest.approx(0.01)
    fig = timeline_figure(m, sc, get_preset("mcm-2x2"))
    (span,) = _bars(fig, "steady-span")
    (busy,) = _bars(fig, "steady-busy")
    (fill,) = _bars(fig, "fill")
    # times in s (latency 1 s): the span covers the steady state, outlined only
    assert span[0] == pytest.approx(0.01) and span[1] == pytest.approx(0.99)
    assert span[2] == pytest.approx(BAR_HEIGHT)
    # the filled part: same span, 1 % of the row height -> filled area = busy time
    assert busy[1] == pytest.approx(0.99)
    assert busy[2] == pytest.approx(0.01 * BAR_HEIGHT)
    assert busy[1] * busy[2] / BAR_HEIGHT == pytest.approx(0.0099)
    assert fill[2] == pytest.approx(BAR_HEIGHT)  # the fill bar is busy the whole bar
    ax = fig.axes[0]
    spans = [p for c in ax.containers for p in c.patches if p.get_gid() == "steady-span"]
    assert spans[0].get_facecolor()[3] == 0.0  # the span itself is not filled
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "C0 nvd\n2.0% busy"  # 0.0199 s of 1 s
    assert labels[1] == "C1 nvd\n0.0% busy"


def test_fully_busy_steady_state_fills_the_row() -> None:
    ev = TimelineEvent(2, 0, 0, 0, 0.5, 1.0, "steady", 0.5)
    assert steady_density(ev) == 1.0
    # busy time a little above the span (rounding) is clipped, a zero-length span is empty
    assert steady_density(TimelineEvent(2, 0, 0, 0, 0.5, 1.0, "steady", 0.5000001)) == 1.0
    assert steady_density(TimelineEvent(2, 0, 0, 0, 0.5, 0.5, "steady", 0.0)) == 0.0
