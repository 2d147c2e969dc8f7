"""Roofline and mapping columns of layers.csv and the roofline figure of report.html."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from mcmsched.report.roofline import roofline_figure
from mcmsched.runner.run import run

SMALL: dict[str, Any] = {
    "name": "small",
    "models": [{"zoo": "mobilenetv2", "batch": 2}],
    "package": "mcm-2x2",
    "objective": "edp",
    "options": {"n_splits": 2, "top_k": 2},
}


def test_layers_csv_roofline_columns_and_figure(tmp_path: Path) -> None:
    res = run(SMALL, baselines=False)
    paths = res.write(tmp_path)
    with open(paths["layers.csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    placed = [r for r in rows if r["chiplet_class"]]
    assert placed
    classes = res.package.classes
    searched = 0
    for r in placed:
        cyc, bound = float(r["cycles"]), float(r["bound_cycles"])
        n_pes = classes[r["chiplet_class"]].n_pes
        assert cyc >= bound * (1 - 1e-12)  # searched classes are floored at the bound
        assert r["bound"] in ("compute", "noc", "memory")
        util = float(r["pe_util"])
        assert 0 < util <= 1 + 1e-12
        # compute_s over the whole batch = cycles per mini-batch run / clock x mini-batches
        clock = classes[r["chiplet_class"]].clock_hz
        expect = cyc / clock * int(r["n_minibatches"])
        assert abs(float(r["compute_s"]) - expect) <= 1e-9 * expect
        assert n_pes > 0
        searched += r["mapping"] != "as written"
    assert searched >= len(placed) // 2
    html = res.to_html()
    assert 'id="fig-roofline"' in html
    fig = roofline_figure(res.layers)
    used = {r["chiplet_class"] for r in placed}
    assert len(fig.axes) == len(used)
    for ax in fig.axes:
        assert "of MACs within 1.5x" in ax.get_title(loc="left")
