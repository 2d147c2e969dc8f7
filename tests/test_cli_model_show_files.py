"""`mcmsched model show FILE` reads the ONNX and MAESTRO files that `run` accepts, and the
PyTorch -> ONNX export the docs show (``dynamo=False``: the default dynamo exporter needs
onnxscript, which no extra installs) gives a file both commands read."""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import pytest
from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.importers.onnx_import import load_onnx

REPO = Path(__file__).resolve().parents[1]
AR_GAMING = REPO / "tests/data/reference/xrbench/usage_scenarios/AR_gaming.m"
LIGHT_RESNET = Path(onnx.__file__).parent / "backend/test/data/light/light_resnet50.onnx"

runner = CliRunner()


def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcmsched.cli.app import console

    monkeypatch.setattr(console, "width", 200)


def test_model_show_onnx_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _wide(monkeypatch)
    model = load_onnx(LIGHT_RESNET)
    res = runner.invoke(app, ["model", "show", str(LIGHT_RESNET)])
    assert res.exit_code == 0, res.output
    assert f"{len(model)} layers, {model.macs:,} MACs" in res.stdout
    assert f"{model.layers[0].macs:,}" in res.stdout


def test_model_show_maestro_file_all_networks_and_one(monkeypatch: pytest.MonkeyPatch) -> None:
    _wide(monkeypatch)
    models = load_maestro(AR_GAMING)
    assert len(models) == 3
    res = runner.invoke(app, ["model", "show", str(AR_GAMING)])
    assert res.exit_code == 0, res.output
    for m in models:
        assert f"{m.name}: {len(m)} layers, {m.macs:,} MACs" in res.stdout
    one = models[1]
    res = runner.invoke(app, ["model", "show", str(AR_GAMING), "--network", one.name])
    assert res.exit_code == 0, res.output
    assert f"{one.name}: {len(one)} layers" in res.stdout and models[0].name not in res.stdout


def test_model_show_relative_path_from_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _wide(monkeypatch)
    monkeypatch.chdir(AR_GAMING.parent)
    res = runner.invoke(app, ["model", "show", AR_GAMING.name, "--network", "DE_midas_v21_small"])
    assert res.exit_code == 0, res.output
    assert "DE_midas_v21_small" in res.stdout


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["missing.onnx"], "file not found"),
        ([str(AR_GAMING), "--network", "nope"], "no network 'nope'"),
        ([str(LIGHT_RESNET), "--network", "x"], "MAESTRO .m files only"),
        ([str(LIGHT_RESNET), "-o", "seq_len=4"], "built-in models only"),
        (["resnet50", "--network", "x"], "MAESTRO .m files only"),
        ([str(REPO / "pyproject.toml")], "not a model file"),
    ],
)
def test_model_show_file_mistakes(args: list[str], text: str) -> None:
    res = runner.invoke(app, ["model", "show", *args])
    assert res.exit_code == 2, res.output
    assert text in res.output and "Traceback" not in res.output


def test_docs_torch_export_call_gives_a_file_run_reads(tmp_path: Path) -> None:
    import torch  # the torch extra (installed by setup)

    class Net(torch.nn.Module):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.fc = torch.nn.Linear(8 * 16 * 16, 10)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return self.fc(torch.relu(self.conv(x)).flatten(1))

    path = tmp_path / "net.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's notice
        # the call docs/SCENARIO_FILES.md shows
        torch.onnx.export(Net(), (torch.zeros(1, 3, 16, 16),), str(path), dynamo=False)
    m = load_onnx(path)
    # conv: 8 x 3 x 16 x 16 x 3 x 3 = 55,296 MACs; fc: 2,048 x 10 = 20,480 MACs
    assert [ly.macs for ly in m.layers] == [55_296, 20_480]
    res = runner.invoke(app, ["model", "show", str(path)])
    assert res.exit_code == 0, res.output
    assert "2 layers, 75,776 MACs" in res.stdout
