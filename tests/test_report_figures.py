"""Report building blocks on hand-made metrics: tables (values, formats, ratios), the Pareto
front, and what the Gantt / energy / normalised figures draw."""

from __future__ import annotations

import csv
import io

import pytest
from matplotlib.container import BarContainer

from mcmsched.hardware.presets import get_preset
from mcmsched.report.compare import comparison_table, normalised_figure
from mcmsched.report.energy import energy_figure
from mcmsched.report.gantt import model_colour, timeline_figure
from mcmsched.report.html import FigureBlock, figure_png, figure_svg, page
from mcmsched.report.pareto import ParetoSeries, pareto_figure, pareto_front
from mcmsched.report.tables import (
    BaselineEntry,
    Table,
    baseline_table,
    chiplet_table,
    fmt,
    model_table,
    summary_table,
)
from mcmsched.schedule.metrics import EnergyBreakdown, Metrics, TimelineEvent
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario


def tiny_model(name: str, n: int) -> Model:
    # GEMM [8, 16] x [16, 16] as a 1x1 conv: Y=8 rows, C=16, K=16 -> 2,048 MACs
    return Model.chain(
        name, [Layer(f"{name}{i}", OpKind.GEMM, K=16, C=16, Y=8, X=1) for i in range(n)]
    )


def make_case() -> tuple[Metrics, Scenario, Schedule]:
    """Two models on mcm-2x2 in two windows (times in s, energies in J, by hand):
    W0 (0.004 s): A layers 0-1 on C0 (fill 0-0.001, steady 0.001-0.004, busy 0.002),
                  B layers 0-2 on C3 (fill 0-0.0025);
    W1 (0.002 s): A layers 2-3 on C1 (fill 0.004-0.006)."""
    sc = Scenario.of("hand", (tiny_model("A", 4), 4), (tiny_model("B", 3), 1))
    sched = Schedule(
        (
            Window(
                (
                    ModelPlan(0, (Segment((0, 2), 0),), 1),
                    ModelPlan(1, (Segment((0, 3), 3),), 1),
                )
            ),
            Window((ModelPlan(0, (Segment((2, 4), 1),), 4),)),
        ),
        "hand",
        "mcm-2x2",
    )
    timeline = (
        TimelineEvent(0, 0, 0, 0, 0.0, 0.001, "fill", 0.001),
        TimelineEvent(0, 0, 0, 0, 0.001, 0.004, "steady", 0.002),
        TimelineEvent(3, 1, 0, 0, 0.0, 0.0025, "fill", 0.0025),
        TimelineEvent(1, 0, 1, 0, 0.004, 0.006, "fill", 0.002),
    )
    ea = EnergyBreakdown(0.3, 0.1, 0.2)
    eb = EnergyBreakdown(0.2, 0.0, 0.1)
    m = Metrics(
        latency_s=0.006,
        energy_j=0.9,
        edp=0.0054,
        throughput_ips=5 / 0.006,
        total_samples=5,
        energy=EnergyBreakdown(0.5, 0.1, 0.3),
        model_energy=(ea, eb),
        window_latency_s=(0.004, 0.002),
        window_energy_j=(0.6, 0.3),
        model_latency_s=((0.004, 0.002), (0.0025, 0.0)),
        model_period_s=((0.004, 0.002), (0.0025, 0.0)),
        model_completion_s=(0.006, 0.0025),
        chiplet_busy_s=(0.003, 0.002, 0.0, 0.0025),
        chiplet_utilisation=(0.5, 1 / 3, 0.0, 0.0025 / 0.006),
        timeline=timeline,
    )
    return m, sc, sched


def test_fmt_hand_values() -> None:
    assert fmt(1234567) == "1,234,567"
    assert fmt(0.35053877) == "0.3505"
    assert fmt(0.000123) == "1.230e-04"
    assert fmt(2.5e7) == "2.500e+07"
    assert fmt(0.0) == "0"
    assert fmt(None) == "-"
    assert fmt(float("nan")) == "-"
    assert fmt("x|y") == "x|y"


def test_table_renderings_escape_and_keep_precision() -> None:
    t = Table("k", "T <1>", ("a|b", "v"), (("x<y", 0.1 + 0.2), ("z", 3)))
    md = t.to_markdown()
    assert "| a\\|b | v |" in md and "| x<y | 0.3 |" in md
    rows = list(csv.reader(io.StringIO(t.to_csv())))
    assert rows == [["a|b", "v"], ["x<y", "0.30000000000000004"], ["z", "3"]]
    h = t.to_html()
    assert 'id="table-k"' in h and "T &lt;1&gt;" in h and "x&lt;y" in h
    assert '<td class="num">0.3</td>' in h and "<td>x&lt;y</td>" in h


def test_summary_model_chiplet_tables() -> None:
    m, sc, _ = make_case()
    pkg = get_preset("mcm-2x2")
    s = dict(summary_table(m, sc, pkg, "scar").rows)
    assert s["latency (s)"] == 0.006 and s["energy (J)"] == 0.9 and s["EDP (J·s)"] == 0.0054
    assert s["windows"] == 2 and s["models / layers"] == "2 / 7"
    assert s["mean chiplet utilisation"] == pytest.approx((0.5 + 1 / 3 + 0 + 0.0025 / 0.006) / 4)
    rows = model_table(m, sc).as_dicts()
    assert rows[0]["completion (s)"] == 0.006 and rows[0]["energy (J)"] == pytest.approx(0.6)
    assert rows[0]["MACs"] == 4 * 4 * (8 * 16 * 16)
    assert rows[1]["target met"] is None
    ch = chiplet_table(m, pkg).as_dicts()
    assert [r["class"] for r in ch] == ["nvd", "nvd", "nvd", "shi"]
    assert ch[1]["utilisation"] == pytest.approx(1 / 3)


def test_baseline_ratios_by_hand() -> None:
    m, _, _ = make_case()
    other = Metrics(**{**m.__dict__, "latency_s": 0.012, "energy_j": 0.45, "edp": 0.0054})
    t = baseline_table(m, "ours", [BaselineEntry("x", "mono", "p", other)])
    ours, mono = t.as_dicts()
    assert (ours["latency ratio"], ours["energy ratio"], ours["EDP ratio"]) == (1.0, 1.0, 1.0)
    # ours / baseline (the one convention of every table): 0.006 / 0.012, 0.9 / 0.45
    assert mono["latency ratio"] == pytest.approx(0.5)
    assert mono["energy ratio"] == pytest.approx(2.0)
    assert mono["EDP ratio"] == pytest.approx(1.0)
    assert "this schedule / baseline" in t.title


def test_pareto_front_by_hand() -> None:
    pts = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (2.0, 3.0), (4.0, 1.0), (4.0, 2.0)]
    assert pareto_front(pts) == [(1.0, 5.0), (2.0, 3.0), (4.0, 1.0)]
    assert pareto_front([]) == []


def test_gantt_draws_one_bar_per_event_and_labels_windows() -> None:
    m, sc, sched = make_case()
    fig = timeline_figure(m, sc, get_preset("mcm-2x2"), schedule=sched)
    ax = fig.axes[0]
    # one span bar per event (fill bars solid, steady spans outlined; the steady span's busy
    # share is a separate filled bar, see test_report_gantt_busy.py)
    bars = [
        c
        for c in ax.containers
        if isinstance(c, BarContainer) and c.patches[0].get_gid() in ("fill", "steady-span")
    ]
    assert len(bars) == len(m.timeline)
    drawn = sorted(
        (round(b.patches[0].get_x(), 9), round(b.patches[0].get_width(), 9)) for b in bars
    )
    # times in ms (the scenario is shorter than 1 s)
    assert drawn == [(0.0, 1.0), (0.0, 2.5), (1.0, 3.0), (4.0, 2.0)]
    texts = [t.get_text() for t in ax.texts]
    assert "W0" in texts and "W1" in texts
    assert "L2-3" in texts  # A's segment in W1 is wide enough for its label
    # each row names the chiplet and its utilisation (busy / latency: 3/6, 2/6, 0, 2.5/6 ms)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "C0 nvd\n50.0% busy",
        "C1 nvd\n33.3% busy",
        "C2 nvd\n0.0% busy",
        "C3 shi\n41.7% busy",
    ]
    assert ax.get_xlabel() == "time (ms)"
    colours = {b.patches[0].get_facecolor()[:3] for b in bars if b.patches[0].get_gid() == "fill"}
    assert len(colours) == 2  # solid bars in the two model colours
    assert model_colour(0) != model_colour(1)


def test_energy_figure_bars_add_up() -> None:
    m, sc, _ = make_case()
    fig = energy_figure(m, sc)
    ax_total, ax_models = fig.axes
    total = sum(c.patches[0].get_width() for c in ax_total.containers)
    assert total == pytest.approx(900.0)  # mJ
    per_model = [0.0, 0.0]
    for c in ax_models.containers:
        for i, p in enumerate(c.patches):
            per_model[i] += p.get_width()
    assert per_model == pytest.approx([600.0, 300.0])


def test_normalised_bars_and_comparison_table() -> None:
    m, _, _ = make_case()
    other = Metrics(**{**m.__dict__, "latency_s": 0.003, "energy_j": 1.8, "edp": 0.0054})
    fig = normalised_figure(["a", "b"], [m, other], "a")
    ax = fig.axes[0]
    heights = [[p.get_height() for p in c.patches] for c in ax.containers]
    assert heights[0] == pytest.approx([1.0, 1.0, 1.0])
    assert heights[1] == pytest.approx([0.5, 2.0, 1.0])
    t = comparison_table(["a", "b"], [m, other], "a", [4, 9], [2, 2]).as_dicts()
    assert t[0]["package"] == "a (baseline)"
    assert (t[1]["norm. latency"], t[1]["norm. energy"]) == (pytest.approx(0.5), pytest.approx(2))


def test_pareto_figure_and_html_page() -> None:
    fig = pareto_figure(
        [ParetoSeries("p", ((1.0, 5.0), (2.0, 3.0), (4.0, 1.0)), (2.0, 3.0))], title="t"
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "latency (s)" and ax.get_ylabel() == "energy (J)"
    assert len(ax.collections) == 2  # explored points + the chosen star
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    svg = figure_svg(fig)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    html = page("T & t", "sub", [("One", [FigureBlock("p x", "cap", fig), "<p>raw</p>"])])
    assert html.startswith("<!DOCTYPE html>") and "<title>T &amp; t</title>" in html
    assert '<figure id="fig-p-x"' in html and '<section id="sec-one">' in html
    assert "<p>raw</p>" in html and "<script" not in html
