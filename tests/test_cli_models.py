"""``mcmsched models`` and ``mcmsched model show``."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.workload.zoo import list_models

runner = CliRunner()


def row_of(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in:\n{output}")


def test_models_table_lists_every_model() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    for entry in list_models():
        assert row_of(result.output, entry.name)
    # name, layers, GMACs at batch 1, params (M)
    assert row_of(result.output, "gpt2-small")[1:4] == ["72", "11.1736", "84.93"]
    assert row_of(result.output, "resnet50")[1:4] == ["70", "4.0947", "25.50"]
    assert row_of(result.output, "scar-gpt-l")[1:3] == ["120", "38.6547"]
    assert row_of(result.output, "llama2-7b")[1:3] == ["225", "14,630.8061"]


def test_model_show_layer_table() -> None:
    result = runner.invoke(app, ["model", "show", "gpt2-small", "--opt", "seq_len=16"])
    assert result.exit_code == 0, result.output
    # 12 blocks: 12 * (12 * 16 * 768^2 + 2 * 16 * 16 * 768) MACs
    total = 12 * (12 * 16 * 768**2 + 2 * 16 * 16 * 768)
    assert f"gpt2-small[seq_len=16]: 72 layers, {total:,} MACs" in result.output
    assert "options (defaults): seq_len=128, coarse=False, lm_head=False" in result.output
    # index, name, kind, K C Y X R S stride groups, MACs, params
    assert row_of(result.output, "0") == [
        "0", "h0.qkv", "GEMM", "2304", "768", "16", "1", "1", "1", "1", "1",
        f"{16 * 768 * 2304:,}", f"{768 * 2304:,}",
    ]  # fmt: skip
    assert row_of(result.output, "1") == [
        "1", "h0.qk", "MATMUL", str(12 * 16), str(12 * 64), "16", "1", "1", "1", "1", "12",
        f"{12 * 16 * 64 * 16:,}", "0",
    ]  # fmt: skip
    assert row_of(result.output, "71")[1] == "h11.fc2"


def test_model_show_conv_and_options() -> None:
    result = runner.invoke(app, ["model", "show", "resnet50", "-o", "image=112"])
    assert result.exit_code == 0, result.output
    assert row_of(result.output, "0")[1:12] == [
        "conv1", "CONV", "64", "3", "118", "118", "7", "7", "2", "1", f"{56 * 56 * 64 * 147:,}",
    ]  # fmt: skip


def test_unknown_model_exits_2_with_suggestion() -> None:
    result = runner.invoke(app, ["model", "show", "resnet5"])
    assert result.exit_code == 2
    assert "unknown model 'resnet5'" in result.output
    assert "did you mean 'resnet50'" in result.output
    assert "Traceback" not in result.output


def test_bad_options_exit_2() -> None:
    for args in (["-o", "seq_len"], ["-o", "seqlen=3"], ["-o", "seq_len=zero"]):
        result = runner.invoke(app, ["model", "show", "gpt2-small", *args])
        assert result.exit_code == 2, args
        assert re.search(r"error:.*(key=value|seqlen|seq_len)", result.output), result.output


def test_errors_with_brackets_are_printed_verbatim() -> None:
    result = runner.invoke(app, ["model", "show", "[/x]"])
    assert result.exit_code == 2
    assert "unknown model '[/x]'" in result.output
    result = runner.invoke(app, ["model", "show", "gpt2-small", "-o", "[b]x=1"])
    assert result.exit_code == 2
    assert "unknown option '[b]x'" in result.output
