"""The on-disk searched-mapping store: bit-identical reuse across processes, per-class keys,
and a store that can be turned off or broken without changing any result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcmsched.cost import batch, mapper, mapping_store
from mcmsched.cost.batch import COST_MODEL_VERSION, evaluate_layers
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.workload.layer import Layer
from mcmsched.workload.zoo import get_model


def _layers() -> list[Layer]:
    m = get_model("resnet50")
    return list({ly.shape_key: ly for ly in m.layers}.values())[:12]


def _cls(pes: int = 1024) -> ChipletClass:
    return ChipletClass("nvd", get_dataflow("nvdla-maestro"), n_pes=pes, mapping="searched")


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCMSCHED_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MCMSCHED_MAPPING_STORE", "1")
    monkeypatch.setattr(mapping_store, "_DISABLED", [False])
    monkeypatch.setattr(batch, "_SEARCH_MEMO", {})
    return tmp_path


def test_a_second_process_reuses_the_stored_mappings_bit_for_bit(store_dir: Path) -> None:
    layers, cls = _layers(), _cls()
    n0 = mapper.EVALUATED[0]
    first = evaluate_layers(layers, [cls])[0]
    searched = mapper.EVALUATED[0] - n0
    assert searched > 0
    assert mapping_store.store_path(COST_MODEL_VERSION).is_file()
    stored = mapping_store.load(COST_MODEL_VERSION, cls, [ly.shape_key for ly in layers])
    assert len(stored) == len(layers)
    batch._SEARCH_MEMO.clear()  # as in a fresh process: only the disk store remains
    n1 = mapper.EVALUATED[0]
    again = evaluate_layers(layers, [cls])[0]
    assert mapper.EVALUATED[0] == n1  # nothing searched again
    for f in ("cycles", "energy_pj", "l1_pj", "l2_pj", "macs", "l1_bytes", "l2_bytes"):
        assert np.array_equal(getattr(first, f), getattr(again, f)), f
    assert first.mapping is not None and again.mapping is not None
    assert list(first.mapping) == list(again.mapping)


def test_another_class_misses_the_store(store_dir: Path) -> None:
    layers = _layers()
    evaluate_layers(layers, [_cls(1024)])
    shapes = [ly.shape_key for ly in layers]
    assert mapping_store.load(COST_MODEL_VERSION, _cls(4096), shapes) == {}
    assert mapping_store.load("another-version", _cls(1024), shapes) == {}


def test_turned_off_or_broken_store_changes_no_result(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers, cls = _layers(), _cls()
    monkeypatch.setenv("MCMSCHED_MAPPING_STORE", "0")
    off = evaluate_layers(layers, [cls])[0]
    assert not mapping_store.store_path(COST_MODEL_VERSION).exists()
    batch._SEARCH_MEMO.clear()
    monkeypatch.setenv("MCMSCHED_MAPPING_STORE", "1")
    path = mapping_store.store_path(COST_MODEL_VERSION)
    path.write_bytes(b"this is not an SQLite database" * 100)
    broken = evaluate_layers(layers, [cls])[0]
    assert mapping_store._DISABLED[0]  # the error turned the store off for this process
    assert np.array_equal(off.cycles, broken.cycles)
    assert np.array_equal(off.energy_pj, broken.energy_pj)


def test_cost_tables_keep_the_store_in_their_cache_folder(
    store_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from mcmsched.cost.table import CostTable
    from mcmsched.hardware.presets import get_preset
    from mcmsched.workload import Scenario

    sc = Scenario.of("r", (get_model("resnet50"), 1))
    pkg = get_preset("het-sides", pes_per_chiplet=1024)
    mine = tmp_path_factory.mktemp("table-cache")
    CostTable(sc, pkg, cache_dir=mine).model_costs(0, 1)
    with mapping_store.location(mine):
        path = mapping_store.store_path(COST_MODEL_VERSION)
    assert path.is_file() and path.parent == mine
    assert not mapping_store.store_path(COST_MODEL_VERSION).exists()  # not the default folder
    batch._SEARCH_MEMO.clear()
    off = tmp_path_factory.mktemp("no-disk")
    CostTable(sc, pkg, cache_dir=off, use_disk_cache=False).model_costs(0, 1)
    assert list(off.iterdir()) == []  # use_disk_cache=False writes nothing, the store included
