"""Agreement of the cost model with MAESTRO's own outputs (the fidelity bar of issue 3).

Every row of ``maestro/maestro_layer_costs.csv`` is evaluated with our model: the layer and its
own directives from the mapping file (through the MAESTRO importer), the hardware from the row's
hardware file. Runtime and energy must agree (median relative error <= 5 %, p90 <= 20 %, overall
and per dataflow style) and the fastest style per (network, layer, hardware) must agree on >= 90 %
of layers. The intermediate columns (MACs, L1/L2 reads and writes, utilised PEs, delays) are
checked too.

MAESTRO's printed energy has one reporting quirk that the comparison reproduces (it is not part
of our model): for a dataflow with more than one cluster level, its CSV writer charges the L1
accesses of the *previous* layer in the mapping file (the counters are read before they are
updated), and it never adds the MAC energy. ``maestro_reported_energy_nj`` composes that number
from our own per-layer counts.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from mcmsched.cost.analysis import LayerAnalysis, analyse_layer, layer_cost
from mcmsched.cost.energy import MAESTRO_ENERGY, load_maestro_hw
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.layer import Layer


@cache
def _mapping(path: str) -> tuple[dict[str, Layer], list[str]]:
    models = load_maestro(path)
    layers = [ly for m in models for ly in m.layers]
    return {ly.name: ly for ly in layers}, [ly.name for ly in layers]


@cache
def _hw(path: str) -> ChipletClass:
    return load_maestro_hw(path)


def _analyse(ref: Path, mapping: str, layer: str, hw_file: str) -> LayerAnalysis:
    layers, _ = _mapping(str(ref / "mappings" / mapping))
    return analyse_layer(layers[layer], _hw(str(ref / hw_file)), use_layer_dataflow=True)


def maestro_reported_energy_nj(ref: Path, mapping: str, layer: str, hw_file: str) -> float:
    """MAESTRO's ``Activity count-based Energy (nJ)`` composed from our counts (see module doc)."""
    la = _analyse(ref, mapping, layer, hw_file)
    e = MAESTRO_ENERGY
    l1 = la.l1_accesses
    if la.n_levels > 1:
        _, order = _mapping(str(ref / "mappings" / mapping))
        i = order.index(layer)
        l1 = _analyse(ref, mapping, order[i - 1], hw_file).l1_accesses if i > 0 else 0
    return (la.l2_accesses_csv * e.l2_factor + l1 * e.l1_factor) * e.mac_pj * 1e-3


@pytest.fixture(scope="module")
def rows(reference_dir: Path) -> list[dict[str, str]]:
    ref = reference_dir / "maestro"
    with open(ref / "maestro_layer_costs.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def evaluated(
    rows: list[dict[str, str]], reference_dir: Path
) -> list[tuple[dict[str, str], LayerAnalysis, float]]:
    ref = reference_dir / "maestro"
    out = []
    for r in rows:
        hw_file = f"hw_{r['hw_num_pes']}_{r['hw_noc_bw']}_{r['hw_offchip_bw']}.m"
        la = _analyse(ref, r["mapping_file"], r["Layer Number"], hw_file)
        energy = maestro_reported_energy_nj(ref, r["mapping_file"], r["Layer Number"], hw_file)
        out.append((r, la, energy))
    return out


def _rel(ours: float, theirs: float) -> float:
    return abs(ours - theirs) / max(abs(theirs), 1e-12)


def test_every_row_is_evaluated(rows: list[dict[str, str]], evaluated: list[object]) -> None:
    assert len(rows) == 1698
    assert len(evaluated) == len(rows)


def test_runtime_and_energy_agree_overall_and_per_style(
    evaluated: list[tuple[dict[str, str], LayerAnalysis, float]],
) -> None:
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r, la, energy in evaluated:
        err = (
            _rel(la.cycles, float(r["Runtime (Cycles)"])),
            _rel(energy, float(r["Activity count-based Energy (nJ)"])),
        )
        groups["all"].append(err)
        groups[r["dataflow_style"]].append(err)
    assert {"ws", "os", "rs"} <= set(groups) or len(groups) >= 4
    for style, errs in groups.items():
        arr = np.array(errs)
        for col, name in ((0, "cycles"), (1, "energy")):
            med = float(np.median(arr[:, col]))
            p90 = float(np.percentile(arr[:, col], 90))
            assert med <= 0.05, f"{style} {name}: median relative error {med:.3%}"
            assert p90 <= 0.20, f"{style} {name}: p90 relative error {p90:.3%}"


def test_fastest_style_per_layer_agrees(
    evaluated: list[tuple[dict[str, str], LayerAnalysis, float]],
) -> None:
    per_layer: dict[tuple[str, str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for r, la, _ in evaluated:
        hw = f"{r['hw_num_pes']}_{r['hw_noc_bw']}_{r['hw_offchip_bw']}"
        key = (r["Neural Network Name"], r["Layer Number"], hw)
        per_layer[key].append((r["dataflow_style"], float(r["Runtime (Cycles)"]), la.cycles))
    compared = agree = 0
    for cands in per_layer.values():
        if len(cands) < 2:
            continue
        compared += 1
        theirs = min(cands, key=lambda c: c[1])
        ours = min(cands, key=lambda c: c[2])
        # ties in MAESTRO's runtime count as agreement when our pick is among the tied styles
        agree += ours[1] == theirs[1]
    assert compared > 300
    assert agree / compared >= 0.90, f"fastest style agrees on {agree / compared:.1%}"


@pytest.mark.parametrize(
    ("column", "getter"),
    [
        ("Num MACs", lambda a: a.macs),
        ("input l2 read", lambda a: a.l2_read[0]),
        ("filter l2 read", lambda a: a.l2_read[1]),
        ("output l2 write", lambda a: a.l2_write[2]),
        ("input l1 write", lambda a: a.l1_write[0]),
        ("filter l1 write", lambda a: a.l1_write[1]),
        ("output l1 read", lambda a: a.l1_read[2]),
        ("L2 SRAM Size Req (Bytes)", lambda a: sum(a.l2_size)),
        ("L1 SRAM Size Req (Bytes)", lambda a: a.l1_size),
        ("Ingress Delay (Avg)", lambda a: a.ingress_delay[2]),
        ("Egress Delay (Avg)", lambda a: a.egress_delay[2]),
        ("Compute Delay (Avg)", lambda a: a.compute_delay[2]),
        ("Avg number of utilized PEs", lambda a: a.avg_active_pes),
    ],
)
def test_intermediate_columns_agree(
    evaluated: list[tuple[dict[str, str], LayerAnalysis, float]], column: str, getter: object
) -> None:
    assert callable(getter)
    errs = np.array([_rel(float(getter(la)), float(r[column])) for r, la, _ in evaluated])
    assert float(np.median(errs)) <= 0.01, column
    assert float(np.percentile(errs, 90)) <= 0.05, column


def test_layer_cost_energy_components_use_the_counts(reference_dir: Path) -> None:
    ref = reference_dir / "maestro"
    layers, _ = _mapping(str(ref / "mappings" / "Resnet50_kcp_ws.m"))
    cls = _hw(str(ref / "hw_256_1000_50.m"))
    ly = layers["CONV2_1_2"]
    la = analyse_layer(ly, cls, use_layer_dataflow=True)
    lc = layer_cost(ly, cls, use_layer_dataflow=True, check_buffers=False)
    assert lc.cycles == la.cycles
    assert lc.macs == la.macs == 64 * 64 * 9 * 54 * 54
    assert lc.mac_energy_pj == pytest.approx(la.macs * 0.23)
    assert lc.l1_energy_pj == pytest.approx(la.l1_accesses * 0.23 * 1.68)
    assert lc.l2_energy_pj == pytest.approx(la.l2_accesses * 0.23 * 18.61)
    assert 0 < lc.utilization <= 1
