"""Built-in packages: names, layouts, counts, DRAM interfaces, overrides, monolithic totals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.hardware import (
    ChipletClass,
    Package,
    get_dataflow,
    get_preset,
    grid_chiplets,
    list_presets,
    mesh_links,
    monolithic_like,
    triangular_links,
)

NAMES = [
    "simba-3x3-nvd",
    "simba-3x3-shi",
    "simba-6x6-nvd",
    "simba-6x6-shi",
    "het-sides",
    "het-cb",
    "het-cross",
    "mcm-2x2",
    "simba-t-nvd",
    "simba-t-shi",
    "het-t",
    "monolithic",
]
MIB = 1024 * 1024


def grid(pkg: Package) -> list[list[str]]:
    rows, cols = pkg.grid_shape
    out = [[""] * cols for _ in range(rows)]
    for c in pkg.chiplets:
        out[c.row][c.col] = c.cls
    return out


def neighbour_pairs(pkg: Package) -> list[tuple[str, str]]:
    return [(pkg.chiplets[a].cls, pkg.chiplets[b].cls) for a, b in pkg.links]


def test_preset_names_exact() -> None:
    assert [p.name for p in list_presets()] == NAMES
    assert all(p.description for p in list_presets())


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_has_table_ii_defaults(name: str) -> None:
    pkg = get_preset(name)
    assert (pkg.nop.bw_gbps, pkg.nop.hop_latency_ns, pkg.nop.energy_pj_per_bit) == (
        100.0,
        35.0,
        2.04,
    )
    assert (pkg.dram.bw_gbps, pkg.dram.latency_ns, pkg.dram.energy_pj_per_bit) == (
        64.0,
        200.0,
        14.8,
    )
    for cls in pkg.classes.values():
        assert cls.clock_hz == 500e6
    if name != "monolithic":
        for cls in pkg.classes.values():
            assert cls.n_pes == 4096 and cls.l2_bytes == 10 * MIB
        # DRAM interfaces exactly on the left and right columns.
        cols = pkg.grid_shape[1]
        assert [c.dram_interface for c in pkg.chiplets] == [
            c.col in (0, cols - 1) for c in pkg.chiplets
        ]
    assert set(pkg.classes) <= {"nvd", "shi"}
    for cname, cls in pkg.classes.items():  # default family: MAESTRO's mapping styles
        assert cls.dataflow == get_dataflow({"nvd": "kcp_ws", "shi": "yxp_os"}[cname])


def test_homogeneous_simba_presets() -> None:
    for name, n, cls in [
        ("simba-3x3-nvd", 9, "nvd"),
        ("simba-3x3-shi", 9, "shi"),
        ("simba-6x6-nvd", 36, "nvd"),
        ("simba-6x6-shi", 36, "shi"),
    ]:
        pkg = get_preset(name)
        assert pkg.class_counts == {cls: n}
        assert pkg.is_homogeneous and pkg.topology == "mesh"
        side = round(n**0.5)
        assert pkg.grid_shape == (side, side)
        assert len(pkg.links) == 2 * side * (side - 1)  # 12 for 3x3, 60 for 6x6
    six = get_preset("simba-6x6-nvd")
    assert list(six.dram_hops[:6]) == [0, 1, 2, 2, 1, 0]
    assert six.hop_matrix[0, 35] == 10


def test_het_sides_layout() -> None:
    pkg = get_preset("het-sides")
    assert grid(pkg) == [["nvd", "shi", "nvd"]] * 3
    assert pkg.class_counts == {"nvd": 6, "shi": 3}
    pairs = neighbour_pairs(pkg)
    homo = [p for p in pairs if p[0] == p[1]]
    hetero = [p for p in pairs if p[0] != p[1]]
    # Vertical links (6) are homogeneous, horizontal links (6) heterogeneous.
    assert len(homo) == 6 and len(hetero) == 6
    assert {p[0] for p in homo} == {"nvd", "shi"}
    # NVD chiplets are exactly the DRAM-interface chiplets.
    assert all(c.dram_interface == (c.cls == "nvd") for c in pkg.chiplets)


def test_het_cb_is_a_checkerboard() -> None:
    pkg = get_preset("het-cb")
    assert grid(pkg) == [["nvd", "shi", "nvd"], ["shi", "nvd", "shi"], ["nvd", "shi", "nvd"]]
    assert pkg.class_counts == {"nvd": 5, "shi": 4}
    assert all(a != b for a, b in neighbour_pairs(pkg))


def test_het_cross_layout() -> None:
    pkg = get_preset("het-cross")
    g = grid(pkg)
    for r, c in itertools.product(range(6), range(6)):
        in_cross = r in (2, 3) or c in (2, 3)
        assert g[r][c] == ("nvd" if in_cross else "shi"), (r, c)
    assert pkg.class_counts == {"nvd": 20, "shi": 16}
    pairs = neighbour_pairs(pkg)
    assert any(a == b == "nvd" for a, b in pairs) and any(a == b == "shi" for a, b in pairs)
    assert any(a != b for a, b in pairs)


def test_mcm_2x2() -> None:
    pkg = get_preset("mcm-2x2")
    assert grid(pkg) == [["nvd", "nvd"], ["nvd", "shi"]]
    assert pkg.class_counts == {"nvd": 3, "shi": 1}
    assert all(c.dram_interface for c in pkg.chiplets)  # both columns are side columns
    assert pkg.total_pes == 4 * 4096


def test_triangular_presets() -> None:
    assert triangular_links(3, 3) == sorted([*mesh_links(3, 3), (0, 4), (1, 5), (3, 7), (4, 8)])
    for name, counts in [
        ("simba-t-nvd", {"nvd": 9}),
        ("simba-t-shi", {"shi": 9}),
        ("het-t", {"nvd": 6, "shi": 3}),
    ]:
        pkg = get_preset(name)
        assert pkg.topology == "graph" and len(pkg.links) == 16
        assert pkg.class_counts == counts
    het_t = get_preset("het-t")
    assert grid(het_t) == grid(get_preset("het-sides"))
    # Along the diagonal the triangle halves the hops; the other diagonal is not linked.
    assert het_t.hop_matrix[0, 8] == 2 and het_t.hop_matrix[2, 6] == 4
    assert het_t.route(0, 8) == [(0, 4), (4, 8)]
    assert het_t.neighbours(4) == [0, 1, 3, 5, 7, 8]
    assert int(het_t.hop_matrix.sum()) < int(get_preset("het-sides").hop_matrix.sum())


def test_overrides() -> None:
    ar = get_preset("het-sides", pes_per_chiplet=256)
    assert ar.total_pes == 9 * 256
    assert all(c.n_pes == 256 for c in ar.classes.values())
    assert ar.chiplets == get_preset("het-sides").chiplets
    pkg = get_preset("het-cb", l2_bytes=4 * MIB, nop_bw_gbps=50.0, name="mine")
    assert pkg.total_l2_bytes == 9 * 4 * MIB
    assert pkg.nop.bw_gbps == 50.0 and pkg.nop.hop_latency_ns == 35.0
    assert pkg.name == "mine"
    assert get_preset("het-cb", dram_bw_gbps=128).dram.bw_gbps == 128.0
    # A fresh, equal object each call.
    assert get_preset("het-cross") == get_preset("het-cross")


def test_monolithic_matches_reference_totals() -> None:
    mono = get_preset("monolithic")
    assert mono.n_chiplets == 1 and mono.links == ()
    (cls,) = mono.classes.values()
    assert cls.dataflow.name == "shidiannao-maestro"
    assert cls.n_pes == 9 * 4096 == get_preset("het-sides").total_pes
    assert cls.l2_bytes == 90 * MIB
    assert cls.noc_bw == 9 * 256.0 and cls.mem_bw == 9 * 128.0
    assert mono.chiplets[0].dram_interface
    assert list(mono.dram_hops) == [0]

    big = get_preset("monolithic", like="het-cross", pes_per_chiplet=256, dataflow="nvdla")
    (bcls,) = big.classes.values()
    assert bcls.dataflow.name == "nvdla" and bcls.n_pes == 36 * 256
    assert big.total_l2_bytes == 36 * 10 * MIB


@pytest.mark.parametrize("name", [n for n in NAMES if n != "monolithic"])
def test_monolithic_like_keeps_totals(name: str) -> None:
    ref = get_preset(name, pes_per_chiplet=1000, l2_bytes=3 * MIB)
    mono = monolithic_like(ref, "eyeriss")
    assert mono.total_pes == ref.total_pes == 1000 * ref.n_chiplets
    assert mono.total_l2_bytes == ref.total_l2_bytes
    assert mono.class_names == ("rs",)


def test_dataflow_families() -> None:
    maestro, xrb = get_preset("het-sides"), get_preset("het-sides", dataflows="xrbench")
    assert maestro.classes["nvd"].dataflow.name == "nvdla-maestro"
    assert maestro.classes["shi"].dataflow.name == "shidiannao-maestro"
    assert xrb.classes["nvd"].dataflow.name == "nvdla"
    assert xrb.classes["shi"].dataflow.name == "shidiannao"
    assert [c.cls for c in maestro.chiplets] == [c.cls for c in xrb.chiplets]
    # The monolithic baseline follows the family of the package it is built like.
    assert monolithic_like(xrb).classes["shi"].dataflow.name == "shidiannao"
    assert monolithic_like(maestro).classes["shi"].dataflow.name == "shidiannao-maestro"
    assert monolithic_like(get_preset("simba-3x3-nvd")).classes["shi"].dataflow.name == (
        "shidiannao-maestro"
    )
    from mcmsched.hardware.yaml_io import package_from_dict

    assert package_from_dict({"preset": "het-sides", "dataflows": "xrbench"}) == xrb
    mono = get_preset("monolithic", dataflows="xrbench")
    assert mono.classes["shi"].dataflow.name == "shidiannao"
    with pytest.raises(MCMSchedError, match="unknown dataflow family 'tpu'") as err:
        get_preset("het-sides", dataflows="tpu")
    assert err.value.field == "dataflows"


def test_unknown_preset_and_override_errors() -> None:
    with pytest.raises(MCMSchedError, match=r"unknown preset 'het-side'.*het-sides.*monolithic"):
        get_preset("het-side")
    with pytest.raises(MCMSchedError, match=r"unknown override 'pes'.*pes_per_chiplet"):
        get_preset("het-sides", pes=256)
    with pytest.raises(MCMSchedError, match="unknown override 'dataflow'"):
        get_preset("het-sides", dataflow="nvdla")
    with pytest.raises(MCMSchedError, match="positive integer") as err:
        get_preset("het-sides", pes_per_chiplet=0)
    assert err.value.field == "pes_per_chiplet"
    with pytest.raises(MCMSchedError, match="unknown reference preset"):
        get_preset("monolithic", like="monolithic")
    with pytest.raises(MCMSchedError, match="unknown dataflow 'tpu'"):
        get_preset("monolithic", dataflow="tpu")
    with pytest.raises(MCMSchedError, match="NoP bandwidth must be positive"):
        get_preset("het-sides", nop_bw_gbps=0)


def test_package_rejects_partial_mesh_and_unknown_topology() -> None:
    cc = ChipletClass("nvd", get_dataflow("nvd"))
    chips = tuple(grid_chiplets([["nvd"] * 2] * 2))
    with pytest.raises(MCMSchedError, match=r"mesh link \(1, 3\).*missing"):
        Package("t", {"nvd": cc}, chips, ((0, 1), (0, 2), (2, 3)))
    # The same links are fine as a graph (shortest paths): 1 -> 3 takes 3 hops.
    g = Package("t", {"nvd": cc}, chips, ((0, 1), (0, 2), (2, 3)), topology="graph")
    assert g.hop_matrix[1, 3] == 3
    with pytest.raises(MCMSchedError, match="unknown topology 'torus'"):
        Package("t", {"nvd": cc}, chips, tuple(mesh_links(2, 2)), topology="torus")
    assert np.array_equal(
        Package("t", {"nvd": cc}, chips, tuple(mesh_links(2, 2))).hop_matrix,
        np.array([[0, 1, 1, 2], [1, 0, 2, 1], [1, 2, 0, 1], [2, 1, 1, 0]]),
    )


def test_grid_chiplets_dram_options() -> None:
    layout = [["a", "b", "c"], ["d", "e", "f"]]
    assert [c.dram_interface for c in grid_chiplets(layout, [1, 4])] == [
        False,
        True,
        False,
        False,
        True,
        False,
    ]
    assert all(c.dram_interface for c in grid_chiplets(layout, "all"))
    with pytest.raises(MCMSchedError, match="unknown DRAM interface placement 'top'"):
        grid_chiplets(layout, "top")
    with pytest.raises(MCMSchedError, match="not a chiplet id"):
        grid_chiplets(layout, [6])
