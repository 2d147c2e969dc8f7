"""`mcmsched cost` (typer CliRunner): table, CSV and errors."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.cost.analysis import layer_cost
from mcmsched.hardware.presets import get_preset
from mcmsched.workload.zoo import get_model

runner = CliRunner()


def test_cost_zoo_model_on_preset_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    res = runner.invoke(
        app, ["cost", "mobilenetv2", "--hw", "het-sides", "--batch", "2", "--csv", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "fastest" in res.output
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    model = get_model("mobilenetv2")
    pkg = get_preset("het-sides")
    assert len(rows) == len(model.layers)
    ly = model.layers[0].with_batch(2)
    for name in pkg.class_names:
        lc = layer_cost(ly, pkg.classes[name])
        assert float(rows[0][f"{name}_cycles"]) == float(f"{lc.cycles:.6g}")
        assert float(rows[0][f"{name}_energy_nj"]) == float(f"{lc.energy_pj * 1e-3:.6g}")
    secs = {
        n: layer_cost(ly, pkg.classes[n]).cycles / pkg.classes[n].clock_hz for n in pkg.class_names
    }
    assert rows[0]["fastest"] == min(secs, key=lambda n: secs[n])


def test_cost_maestro_files_with_layer_dataflow(reference_dir: Path) -> None:
    ref = reference_dir / "maestro"
    res = runner.invoke(
        app,
        [
            "cost",
            str(ref / "mappings" / "vgg16_nlr.m"),
            "--hw",
            str(ref / "hw_256_1000_50.m"),
            "--layer-dataflow",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "not enforced" in res.output


def test_cost_errors_exit_2_without_traceback() -> None:
    res = runner.invoke(app, ["cost", "no-such-model", "--hw", "het-sides"])
    assert res.exit_code == 2
    assert "unknown model" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["cost", "resnet50", "--hw", "no-such-preset"])
    assert res.exit_code == 2
