"""Scenario files: every model source and package form resolves to the right objects, relative
paths are relative to the file, options reach SearchOptions / EvalOptions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.presets import family_dataflow, get_preset
from mcmsched.hardware.yaml_io import save_package
from mcmsched.runner.config import config_from_dict, load_scenario_file
from mcmsched.runner.run import homogeneous_like
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.zoo import get_model

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_zoo_options_name_batch_target_and_search_options(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.yaml",
        """
models:
  - {zoo: gpt2-small, options: {seq_len: 64}, batch: 3, latency_target_s: 0.25}
  - {zoo: resnet50, name: rn}
package: het-sides
strategy: standalone
objective: latency
options: {n_splits: 2, top_k: 1, prov: exhaustive, search: evolutionary, pop_size: 6}
eval: {window_boundary: nop, contention: link-sharing}
seed: 7
baselines: false
""",
    )
    cfg = load_scenario_file(f)
    assert cfg.name == "s"  # defaults to the file stem
    a, b = cfg.scenario.entries
    assert a.model.name == "gpt2-small[seq_len=64]" and a.batch == 3
    assert a.latency_target_s == 0.25
    assert a.model.macs == get_model("gpt2-small", seq_len=64).macs
    assert b.model.name == "rn" and b.batch == 1
    assert b.model.layers == get_model("resnet50").layers
    o = cfg.options
    assert (o.n_splits, o.top_k, o.prov, o.search, o.pop_size, o.seed) == (
        2,
        1,
        "exhaustive",
        "evolutionary",
        6,
        7,
    )
    assert o.eval_options.window_boundary == "nop"
    assert o.eval_options.contention == "link-sharing"
    assert (cfg.strategy, cfg.objective, cfg.baselines) == ("standalone", "latency", False)
    assert cfg.package.name == "het-sides" and cfg.package_label == "het-sides"


def test_maestro_paths_are_relative_to_the_scenario_file(
    tmp_path: Path, reference_dir: Path
) -> None:
    m_file = reference_dir / "xrbench" / "usage_scenarios" / "AR_gaming.m"
    scen_dir = tmp_path / "deep" / "dir"
    scen_dir.mkdir(parents=True)
    rel = os.path.relpath(m_file, scen_dir)
    f = write(
        scen_dir / "x.yaml",
        f"""
name: xr
models:
  - {{maestro: {rel}, batch: 2}}
  - {{maestro: {rel}, network: DE_midas_v21_small, name: depth}}
package: {{preset: het-cb, pes_per_chiplet: 256}}
""",
    )
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path)  # the path must not depend on the working directory
        cfg = load_scenario_file(f)
    finally:
        os.chdir(cwd)
    nets = load_maestro(m_file)
    names = [e.model.name for e in cfg.scenario.entries]
    assert names == [*(m.name for m in nets), "depth"]
    assert [e.batch for e in cfg.scenario.entries] == [2, 2, 2, 1]
    depth = next(m for m in nets if m.name == "DE_midas_v21_small")
    assert cfg.scenario.entries[3].model.layers == depth.layers
    assert {cfg.package.classes[n].n_pes for n in cfg.package.class_names} == {256}


def test_maestro_name_needs_one_network(tmp_path: Path, reference_dir: Path) -> None:
    m_file = reference_dir / "xrbench" / "usage_scenarios" / "AR_gaming.m"
    with pytest.raises(MCMSchedError) as ei:
        config_from_dict(
            {"models": [{"maestro": str(m_file), "name": "x"}], "package": "het-cb"},
            source="f.yaml",
        )
    assert ei.value.field == "models[0].name" and ei.value.file == "f.yaml"
    with pytest.raises(MCMSchedError) as ei:
        config_from_dict(
            {"models": [{"maestro": str(m_file), "network": "nope"}], "package": "het-cb"},
            source="f.yaml",
        )
    assert ei.value.field == "models[0].network" and "HT_hand_graph_cnn_half" in ei.value.reason


def test_package_forms(tmp_path: Path) -> None:
    hw = tmp_path / "hw" / "mine.yaml"
    hw.parent.mkdir()
    save_package(get_preset("het-cb", name="mine"), hw)
    models = [{"zoo": "resnet50"}]
    cfg = config_from_dict({"models": models, "package": "hw/mine.yaml"}, base_dir=tmp_path)
    assert cfg.package.name == "mine" and cfg.package.n_chiplets == 9
    cfg = config_from_dict(
        {"models": models, "package": {"file": "hw/mine.yaml", "l2_bytes": 1 << 20}},
        base_dir=tmp_path,
    )
    assert {c.l2_bytes for c in cfg.package.classes.values()} == {1 << 20}
    cfg = config_from_dict(
        {"models": models, "package": {"preset": "simba-3x3-shi", "pes_per_chiplet": 1024}}
    )
    assert cfg.package.class_names == ("shi",) and cfg.package.classes["shi"].n_pes == 1024
    inline = {
        "name": "two",
        "classes": {"nvd": {"dataflow": "nvdla"}},
        "layout": ["nvd nvd"],
        "dram": {"interfaces": "all"},
    }
    cfg = config_from_dict({"models": models, "package": inline})
    assert cfg.package.name == "two" and cfg.package.n_chiplets == 2
    with pytest.raises(MCMSchedError) as ei:
        config_from_dict(
            {"models": models, "package": {"file": "hw/mine.yaml", "bogus": 1}},
            source="s.yaml",
            base_dir=tmp_path,
        )
    assert ei.value.field == "package.bogus"


def test_compare_section(tmp_path: Path) -> None:
    cfg = config_from_dict(
        {
            "models": [{"zoo": "resnet50"}],
            "package": "mcm-2x2",
            "compare": {"packages": ["mcm-2x2", {"preset": "het-cb"}], "baseline": "mcm-2x2"},
        }
    )
    assert cfg.compare_packages == ("mcm-2x2", {"preset": "het-cb"})
    assert cfg.compare_baseline == "mcm-2x2"
    with pytest.raises(MCMSchedError) as ei:
        config_from_dict(
            {
                "models": [{"zoo": "resnet50"}],
                "package": "mcm-2x2",
                "compare": {"packages": ["mcm-2x2", "nope"]},
            },
            source="s.yaml",
        )
    assert ei.value.field == "compare.packages[1]"


def test_hf_model_from_config_name() -> None:
    """A Hugging Face architecture by type name, built offline from its default config: GPT-2
    small at 32 tokens has the zoo model's GEMM/MATMUL MACs plus the 2 x 12 residual adds
    (one MAC per output element each, 32 x 768 elements)."""
    cfg = config_from_dict(
        {"models": [{"hf": "gpt2", "options": {"seq_len": 32}}], "package": "mcm-2x2"}
    )
    m = cfg.scenario.entries[0].model
    assert m.macs == get_model("gpt2-small", seq_len=32).macs + 2 * 12 * 32 * 768


def test_homogeneous_like_keeps_layout_and_class_parameters() -> None:
    pkg = get_preset("het-sides")
    nvd = homogeneous_like(pkg, "nvdla-maestro")
    assert nvd.n_chiplets == 9 and nvd.links == pkg.links
    assert [c.dram_interface for c in nvd.chiplets] == [c.dram_interface for c in pkg.chiplets]
    assert nvd.class_names == ("nvd",) and nvd.classes["nvd"] == pkg.classes["nvd"]
    assert nvd.total_pes == pkg.total_pes
    only_nvd = get_preset("simba-3x3-nvd", pes_per_chiplet=512)
    shi = homogeneous_like(only_nvd, "shidiannao")
    cls = shi.classes["shi"]
    assert cls.dataflow.name == "shidiannao" and cls.n_pes == 512
    xrb = get_preset("het-sides", dataflows="xrbench")
    assert family_dataflow(xrb, "shi") == "shidiannao"
    assert family_dataflow(get_preset("simba-3x3-nvd", dataflows="xrbench"), "shi") == "shidiannao"
    assert family_dataflow(get_preset("simba-3x3-nvd"), "shi") == "shidiannao-maestro"
    assert cls.l2_bytes == only_nvd.classes["nvd"].l2_bytes
