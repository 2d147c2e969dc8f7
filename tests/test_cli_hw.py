"""`mcmsched hw` (typer CliRunner) and the package drawing."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.hardware import Chiplet, ChipletClass, Package, get_dataflow, get_preset
from mcmsched.hardware.draw import draw_package, format_bytes
from mcmsched.hardware.yaml_io import load_package

runner = CliRunner()
LABEL = re.compile(r"\|\s*(NVD|Shi|RS|[a-z]+)\s*\|")
IDS = re.compile(r"\|\s*(\d+)\*?\s*\|")


def label_grid(text: str) -> list[list[str]]:
    """The dataflow labels of the drawn boxes, row by row."""
    return [LABEL.findall(line) for line in text.splitlines() if LABEL.search(line)]


def id_grid(text: str) -> list[list[int]]:
    return [[int(x) for x in IDS.findall(line)] for line in text.splitlines() if IDS.search(line)]


def test_hw_list_names_every_preset() -> None:
    res = runner.invoke(app, ["hw", "list"])
    assert res.exit_code == 0, res.output
    for name in ("simba-3x3-nvd", "het-sides", "het-cb", "het-cross", "mcm-2x2", "het-t"):
        assert name in res.output
    assert "monolithic" in res.output


def test_hw_show_het_sides_draws_the_layout() -> None:
    res = runner.invoke(app, ["hw", "show", "het-sides"])
    assert res.exit_code == 0, res.output
    assert label_grid(res.output) == [["NVD", "Shi", "NVD"]] * 3
    assert id_grid(res.output) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    # DRAM marks on both outer sides of every row's two content lines: 3 rows x 2 lines.
    assert (
        sum(1 for ln in res.output.splitlines() if ln.startswith("==") and ln.endswith("==")) == 6
    )
    assert "totals: 9 chiplets (nvd 6, shi 3), 36864 PEs, L2 90 MiB" in res.output
    assert "100 GB/s per link" in res.output and "14.8 pJ/bit" in res.output


def test_hw_show_checkerboard_and_pes_option() -> None:
    res = runner.invoke(app, ["hw", "show", "het-cb", "--pes", "256"])
    assert res.exit_code == 0, res.output
    assert label_grid(res.output) == [
        ["NVD", "Shi", "NVD"],
        ["Shi", "NVD", "Shi"],
        ["NVD", "Shi", "NVD"],
    ]
    assert "2304 PEs" in res.output


def test_hw_show_file(tmp_path: Path) -> None:
    f = tmp_path / "two.yaml"
    f.write_text("classes:\n  a: {dataflow: rs}\n  b: {dataflow: shi}\nlayout: [a b, b a]\n")
    res = runner.invoke(app, ["hw", "show", str(f)])
    assert res.exit_code == 0, res.output
    assert label_grid(res.output) == [["RS", "Shi"], ["Shi", "RS"]]


def test_hw_validate_good_file(tmp_path: Path) -> None:
    f = tmp_path / "good.yaml"
    f.write_text("preset: het-cross\npes_per_chiplet: 256\n")
    res = runner.invoke(app, ["hw", "validate", str(f)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("OK ")
    assert "36 chiplets (nvd 20, shi 16)" in res.output and "9216 PEs" in res.output


def test_hw_validate_bad_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\nclasses:\n  nvd: {dataflow: nvdla, n_pes: 0}\nlayout: [nvd nvd]\n")
    res = runner.invoke(app, ["hw", "validate", str(f)])
    assert res.exit_code == 2
    assert "bad.yaml" in res.output and "classes.nvd.n_pes" in res.output
    assert "greater than 0" in res.output
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit)  # a clean exit, not an uncaught error


def test_hw_validate_message_with_brackets_is_printed_verbatim(tmp_path: Path) -> None:
    f = tmp_path / "links.yaml"
    f.write_text(
        "topology: graph\nclasses:\n  nvd: {dataflow: nvdla}\nchiplets:\n"
        "  - {class: nvd, row: 0, col: 0, dram: true}\n  - {class: nvd, row: 0, col: 1}\n"
        "links: [[0, 1], [1, 0]]\n"
    )
    res = runner.invoke(app, ["hw", "validate", str(f)])
    assert res.exit_code == 2
    assert "links[1]" in res.output and "duplicate link [1, 0]" in res.output
    assert "Traceback" not in res.output
    f.write_text(f.read_text().replace("[[0, 1], [1, 0]]", "[[0, 1], [1]]"))
    res = runner.invoke(app, ["hw", "validate", str(f)])
    assert res.exit_code == 2
    assert "a link is a pair of chiplet ids [a, b], got [1]" in res.output


def test_hw_validate_malformed_yaml(tmp_path: Path) -> None:
    f = tmp_path / "syntax.yaml"
    f.write_text("classes: [\n")
    res = runner.invoke(app, ["hw", "validate", str(f)])
    assert res.exit_code == 2
    assert "syntax.yaml" in res.output and "line 2" in res.output
    assert "Traceback" not in res.output


def test_hw_export_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "ht.yaml"
    res = runner.invoke(app, ["hw", "export", "het-t", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert load_package(out) == get_preset("het-t")
    res = runner.invoke(app, ["hw", "export", "mcm-2x2", "-o", "-", "--pes", "256"])
    assert res.exit_code == 0
    assert "name: mcm-2x2" in res.output and "n_pes: 256" in res.output


def test_hw_unknown_preset_exits_2() -> None:
    res = runner.invoke(app, ["hw", "show", "het-side"])
    assert res.exit_code == 2
    assert "neither a preset nor a YAML file" in res.output and "het-sides" in res.output
    res = runner.invoke(app, ["hw", "export", "nope", "-o", "x.yaml"])
    assert res.exit_code == 2


# ---- drawing --------------------------------------------------------------------------------


def test_draw_triangular_diagonals() -> None:
    text = draw_package(get_preset("het-t"))
    gaps = [ln for ln in text.splitlines() if "\\" in ln]
    assert len(gaps) == 2 and all(ln.count("\\") == 2 and ln.count("|") == 3 for ln in gaps)
    assert "other links" not in text and "shortest-path routing" in text


def test_draw_lists_links_it_cannot_draw_and_interior_dram() -> None:
    cc = ChipletClass("nvd", get_dataflow("nvd"))
    chips = (
        Chiplet(0, "nvd", 0, 0, False),
        Chiplet(1, "nvd", 0, 1, True),
        Chiplet(2, "nvd", 0, 2, False),
    )
    pkg = Package("ring", {"nvd": cc}, chips, ((0, 1), (1, 2), (0, 2)), topology="graph")
    text = draw_package(pkg)
    assert "other links: 0-2" in text
    assert id_grid(text) == [[0, 1, 2]]
    assert re.search(r"\|\s+1\*\s+\|", text)
    assert "'*' after the id elsewhere" in text
    assert "1 on chiplets 1" in text


def test_draw_monolithic_and_class_name_labels() -> None:
    text = draw_package(get_preset("monolithic"))
    assert label_grid(text) == [["Shi"]] and "1 chiplet (shi 1), 36864 PEs" in text
    a = ChipletClass("fast", get_dataflow("nvd"), n_pes=64)
    b = ChipletClass("slow", get_dataflow("nvd"), n_pes=16)
    pkg = Package(
        "two-nvd",
        {"fast": a, "slow": b},
        (Chiplet(0, "fast", 0, 0, True), Chiplet(1, "slow", 0, 1, True)),
        ((0, 1),),
    )
    assert label_grid(draw_package(pkg)) == [["fast", "slow"]]
    assert "80 PEs" in draw_package(pkg)


def test_format_bytes() -> None:
    assert format_bytes(10 * 1024 * 1024) == "10 MiB"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(100) == "100 B"
    assert format_bytes(3 * 1024**3) == "3 GiB"
