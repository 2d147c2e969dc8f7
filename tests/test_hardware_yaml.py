"""Package YAML files: round trips, the documented examples, and one test per kind of mistake."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.hardware import (
    Chiplet,
    ChipletClass,
    Dataflow,
    EnergyTable,
    Package,
    get_preset,
    list_presets,
    load_package,
    package_from_dict,
    package_from_spec,
    package_to_dict,
    save_package,
)
from mcmsched.hardware.yaml_io import dump_package, parse_yaml

DOCS = Path(__file__).resolve().parents[1] / "docs" / "HARDWARE.md"
MIB = 1024 * 1024


def write(tmp_path: Path, text: str, name: str = "pkg.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def load_error(tmp_path: Path, text: str) -> MCMSchedError:
    path = write(tmp_path, text)
    with pytest.raises(MCMSchedError) as info:
        load_package(path)
    err = info.value
    assert err.file == str(path)
    assert str(path) in str(err)
    assert "Traceback" not in str(err)
    return err


# ---- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [p.name for p in list_presets()])
def test_every_preset_round_trips(tmp_path: Path, name: str) -> None:
    pkg = get_preset(name)
    path = tmp_path / f"{name}.yaml"
    save_package(pkg, path)
    back = load_package(path)
    assert back == pkg
    # The derived structure is equal too (hop counts, DRAM distances).
    assert (back.hop_matrix == pkg.hop_matrix).all()
    assert (back.dram_hops == pkg.dram_hops).all()
    assert package_from_dict(package_to_dict(pkg)) == pkg


def test_round_trip_with_overrides_and_layout_text(tmp_path: Path) -> None:
    pkg = get_preset("het-cross", pes_per_chiplet=256, l2_bytes=3 * MIB, dram_latency_ns=150)
    text = dump_package(pkg)
    assert "layout:\n- shi shi nvd nvd shi shi\n" in text
    assert "links: mesh" in text and "interfaces: sides" in text
    assert "n_pes: 256" in text and f"l2_bytes: {3 * MIB}" in text
    save_package(pkg, tmp_path / "x.yaml")
    assert load_package(tmp_path / "x.yaml") == pkg
    tri = dump_package(get_preset("het-t"))
    assert "links: triangular" in tri and "topology: graph" in tri


def test_round_trip_custom_package(tmp_path: Path) -> None:
    df = Dataflow.parse(
        "TemporalMap(1,1) K; SpatialMap(1,1) Y'; TemporalMap(Sz(R),1) X'; Cluster(8,P); "
        "SpatialMap(1,1) C;",
        name="mine",
    )
    df = dataclasses.replace(df, description="a custom one")
    classes = {
        "big": ChipletClass("big", df, n_pes=1000, l1_bytes=300, l2_bytes=12345, noc_bw=7.5),
        "small": ChipletClass(
            "small",
            Dataflow.parse("SpatialMap(1,1) K;", name="nvdla"),
            energy=EnergyTable(1.0, 0.5, 2.0),
        ),
    }
    chiplets = (
        Chiplet(0, "big", 0, 0, True),
        Chiplet(1, "small", 0, 2, False),
        Chiplet(2, "small", 2, 1, True),
    )
    pkg = Package("custom", classes, chiplets, ((0, 1), (1, 2), (0, 2)), topology="graph")
    save_package(pkg, tmp_path / "c.yaml")
    text = (tmp_path / "c.yaml").read_text()
    assert "chiplets:" in text and "layout" not in text
    # A dataflow named like a built-in but with other directives is saved as a mapping.
    assert "name: nvdla" in text
    back = load_package(tmp_path / "c.yaml")
    assert back == pkg
    assert back.classes["big"].dataflow.description == "a custom one"
    assert back.hop_matrix[1, 2] == 1


def test_interfaces_list_round_trip() -> None:
    pkg = package_from_dict(
        {
            "name": "mid",
            "classes": {"a": {"dataflow": "rs"}},
            "layout": ["a a a", "a a a"],
            "dram": {"interfaces": [1, 4]},
        }
    )
    assert [c.id for c in pkg.chiplets if c.dram_interface] == [1, 4]
    assert list(pkg.dram_hops) == [1, 0, 1, 1, 0, 1]
    d = package_to_dict(pkg)
    assert d["dram"]["interfaces"] == [1, 4]
    assert package_from_dict(d) == pkg


# ---- the documented examples ----------------------------------------------------------------


def doc_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.S)


def test_documented_full_example_is_het_sides() -> None:
    full = [b for b in doc_blocks() if b.startswith("name: het-sides")]
    assert len(full) == 1
    pkg = package_from_dict(parse_yaml(full[0]), "HARDWARE.md")
    ref = get_preset("het-sides")
    assert dataclasses.replace(pkg, description=ref.description) == ref


def test_documented_chiplet_and_preset_examples() -> None:
    (lshape,) = [b for b in doc_blocks() if b.startswith("name: l-shape")]
    pkg = package_from_dict(parse_yaml(lshape))
    assert pkg.topology == "graph" and pkg.n_chiplets == 3
    assert pkg.classes["os"].dataflow.name == "my-os"
    assert len(pkg.classes["os"].dataflow.directives) == 3
    assert pkg.hop_matrix[0, 2] == 2 and list(pkg.dram_hops) == [0, 1, 2]
    (preset,) = [b for b in doc_blocks() if b.startswith("preset: het-sides")]
    p = package_from_dict(parse_yaml(preset))
    assert p.total_pes == 9 * 256 and p.nop.bw_gbps == 50.0


def test_preset_file_and_spec(tmp_path: Path) -> None:
    path = write(tmp_path, "preset: monolithic\nlike: het-cross\npes_per_chiplet: 256\n")
    mono = load_package(path)
    assert mono.n_chiplets == 1 and mono.total_pes == 36 * 256
    assert package_from_spec(path) == mono
    assert package_from_spec("het-cb", pes_per_chiplet=256).total_pes == 9 * 256
    # Overrides on a file apply to every class.
    save_package(get_preset("het-sides"), tmp_path / "hs.yaml")
    assert package_from_spec(tmp_path / "hs.yaml", l2_bytes=MIB).total_l2_bytes == 9 * MIB
    with pytest.raises(MCMSchedError, match="neither a preset nor a YAML file"):
        package_from_spec("het-side")


def test_byte_sizes_with_units(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "classes:\n  a: {dataflow: nvd, l1_bytes: 8 KiB, l2_bytes: 4 MB}\nlayout: [a a]\n",
        "sizes.yaml",
    )
    pkg = load_package(path)
    assert pkg.classes["a"].l1_bytes == 8192 and pkg.classes["a"].l2_bytes == 4_000_000
    assert pkg.name == "sizes"  # defaults to the file stem


# ---- one test per kind of mistake -----------------------------------------------------------

GOOD_HEAD = "name: x\nclasses:\n  nvd: {dataflow: nvdla}\n"


def test_error_malformed_yaml(tmp_path: Path) -> None:
    err = load_error(tmp_path, "name: x\nclasses:\n  nvd: {dataflow: nvdla\nlayout: [nvd]\n")
    assert "YAML syntax error" in err.reason
    assert "line 4, column 7" in err.reason and "line 3" in err.reason


def test_error_unknown_preset(tmp_path: Path) -> None:
    err = load_error(tmp_path, "preset: het-side\n")
    assert err.field == "preset"
    assert "unknown preset 'het-side'" in err.reason and "het-sides" in err.reason


def test_error_unknown_dataflow(tmp_path: Path) -> None:
    err = load_error(tmp_path, "classes:\n  nvd: {dataflow: tpu}\nlayout: [nvd nvd]\n")
    assert err.field == "classes.nvd.dataflow"
    assert "unknown dataflow 'tpu'" in err.reason and "shidiannao" in err.reason


def test_error_bad_directive_text(tmp_path: Path) -> None:
    err = load_error(tmp_path, "classes:\n  c: {dataflow: 'SpatialMap(1,1) Q;'}\nlayout: [c c]\n")
    assert err.field == "classes.c.dataflow" and "unknown dimension 'Q'" in err.reason


@pytest.mark.parametrize("pes", [0, -4])
def test_error_non_positive_pes(tmp_path: Path, pes: int) -> None:
    err = load_error(
        tmp_path, f"classes:\n  nvd: {{dataflow: nvdla, n_pes: {pes}}}\nlayout: [nvd nvd]\n"
    )
    assert err.field == "classes.nvd.n_pes"
    assert "greater than 0" in err.reason and str(pes) in err.reason


def test_error_disconnected_package(tmp_path: Path) -> None:
    err = load_error(
        tmp_path,
        GOOD_HEAD + "topology: graph\nchiplets:\n"
        "  - {class: nvd, row: 0, col: 0, dram: true}\n"
        "  - {class: nvd, row: 0, col: 1}\n"
        "  - {class: nvd, row: 0, col: 2}\n"
        "links: [[0, 1]]\n",
    )
    assert err.field == "links"
    assert "disconnected" in err.reason and "[[0, 1], [2]]" in err.reason


def test_error_mesh_link_non_neighbour(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD_HEAD + "chiplets:\n"
        "  - {class: nvd, row: 0, col: 0, dram: true}\n"
        "  - {class: nvd, row: 0, col: 1}\n"
        "  - {class: nvd, row: 1, col: 0}\n"
        "  - {class: nvd, row: 1, col: 1}\n"
        "links: [[0, 1], [0, 2], [1, 3], [2, 3], [0, 3]]\n",
    )
    with pytest.raises(MCMSchedError) as info:
        load_package(path)
    err = info.value
    assert err.field == "links[4]"
    assert "not grid neighbours" in err.reason and "(0, 0) and (1, 1)" in err.reason
    # The same links are a valid graph package.
    graph = load_package(write(tmp_path, path.read_text() + "topology: graph\n", "g.yaml"))
    assert graph.hop_matrix[0, 3] == 1


def test_error_no_dram_interface(tmp_path: Path) -> None:
    err = load_error(tmp_path, GOOD_HEAD + "layout: [nvd nvd nvd]\ndram: {interfaces: []}\n")
    assert err.field == "dram.interfaces" and "no chiplet has a DRAM interface" in err.reason


def test_error_unknown_key(tmp_path: Path) -> None:
    err = load_error(tmp_path, "classes:\n  nvd: {dataflow: nvdla, n_pe: 16}\nlayout: [nvd nvd]\n")
    assert err.field == "classes.nvd.n_pe"
    assert "unknown key 'n_pe'" in err.reason and "n_pes" in err.reason
    top = load_error(tmp_path, GOOD_HEAD + "layout: [nvd]\nlinkz: mesh\n")
    assert top.field == "linkz" and "links" in top.reason


def test_error_duplicate_key(tmp_path: Path) -> None:
    err = load_error(tmp_path, GOOD_HEAD + "layout: [nvd]\nlayout: [nvd nvd]\n")
    assert "duplicate key 'layout'" in err.reason and "line 5" in err.reason


def test_error_layout_mistakes(tmp_path: Path) -> None:
    err = load_error(tmp_path, GOOD_HEAD + "layout: [nvd nvd, nvd shi]\n")
    assert err.field == "layout[1]" and "unknown chiplet class 'shi'" in err.reason
    err = load_error(tmp_path, GOOD_HEAD + "layout: [nvd nvd, nvd]\n")
    assert err.field == "layout[1]" and "equal length" in err.reason
    err = load_error(tmp_path, GOOD_HEAD + "layout: [nvd nvd]\nlinks: ring\n")
    assert err.field == "links" and "unknown link pattern 'ring'" in err.reason
    err = load_error(tmp_path, GOOD_HEAD)
    assert "exactly one of 'layout'" in err.reason


def test_error_link_mistakes(tmp_path: Path) -> None:
    head = GOOD_HEAD + "topology: graph\nchiplets:\n  - {class: nvd, row: 0, col: 0, dram: true}\n"
    head += "  - {class: nvd, row: 0, col: 1}\n"
    err = load_error(tmp_path, head + "links: [[0, 5]]\n")
    assert err.field == "links[0]" and "does not exist" in err.reason
    err = load_error(tmp_path, head + "links: [[0, 1], [1, 0]]\n")
    assert err.field == "links[1]" and "duplicate link" in err.reason
    err = load_error(tmp_path, head + "links: [[1, 1]]\n")
    assert err.field == "links[0]" and "itself" in err.reason


def test_error_several_problems_in_one_message(tmp_path: Path) -> None:
    err = load_error(
        tmp_path,
        "classes:\n  nvd: {dataflow: nvdla, n_pes: -3, noc_bw: fast}\nlayout: [nvd]\n",
    )
    assert err.field == "classes.nvd.n_pes"
    assert "and 1 more" in err.reason and "classes.nvd.noc_bw" in err.reason


def test_error_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    err = load_error(tmp_path, "- just\n- a list\n")
    assert "must be a mapping" in err.reason
    with pytest.raises(MCMSchedError, match="cannot read file") as info:
        load_package(tmp_path / "missing.yaml")
    assert info.value.file == str(tmp_path / "missing.yaml")
