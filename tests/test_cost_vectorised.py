"""The vectorised batch evaluation equals the scalar analysis (which matches MAESTRO exactly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcmsched.cost.analysis import layer_cost
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.energy import load_maestro_hw
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.layer import Layer
from mcmsched.workload.zoo import get_model

FIELDS = (
    "cycles",
    "energy_pj",
    "mac_energy_pj",
    "l1_energy_pj",
    "l2_energy_pj",
    "macs",
    "utilization",
    "l1_bytes_needed",
    "l2_bytes_needed",
)


def _check(layers: list[Layer], cls: ChipletClass, **kw: bool) -> None:
    (res,) = evaluate_layers(layers, [cls], **kw)
    cols = (res.cycles, res.energy_pj, res.mac_pj, res.l1_pj, res.l2_pj, res.macs)
    got = np.stack([*cols, res.utilization, res.l1_bytes, res.l2_bytes])
    for i, ly in enumerate(layers):
        lc = layer_cost(ly, cls, **kw)
        want = [float(getattr(lc, f)) for f in FIELDS]
        np.testing.assert_allclose(got[:, i], want, rtol=1e-12, err_msg=f"{ly.name} on {cls.name}")


def test_maestro_mapping_layers(reference_dir: Path) -> None:
    ref = reference_dir / "maestro"
    layers = [
        ly
        for f in sorted((ref / "mappings").glob("*.m"))
        for m in load_maestro(f)
        for ly in m.layers
    ]
    assert len(layers) > 600
    for hw in ("hw_256_1000_50.m", "hw_4096_64_8.m"):
        _check(layers, load_maestro_hw(ref / hw), use_layer_dataflow=True, check_buffers=False)


@pytest.mark.parametrize("df", ["nvdla", "shidiannao", "eyeriss"])
def test_zoo_layers_on_builtin_dataflows(df: str) -> None:
    layers: list[Layer] = []
    for name in ("resnet50", "mobilenetv2", "unet", "gpt2-small"):
        for ly in get_model(name).layers:
            layers += [ly, ly.with_batch(3)]
    cls = ChipletClass(df, get_dataflow(df), n_pes=4096, noc_bw=256, mem_bw=128)
    _check(layers, cls)
    small = ChipletClass(df, get_dataflow(df), n_pes=256, noc_bw=16, mem_bw=8)
    _check(layers[::7], small, check_buffers=False)
