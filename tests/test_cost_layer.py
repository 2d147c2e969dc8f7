"""Hand-checked counts of the directive analysis on tiny layers, op-kind handling, invalid
mappings, buffer checks and the MAESTRO hardware-file loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcmsched.cost.analysis import analyse_layer, layer_cost
from mcmsched.cost.energy import MAESTRO_ENERGY, load_maestro_hw
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass, EnergyTable
from mcmsched.hardware.dataflow import Dataflow, get_dataflow
from mcmsched.workload.layer import Layer, OpKind

KSPATIAL = Dataflow.parse(
    "SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(1,1) Y; TemporalMap(1,1) X;", "k-spatial"
)
UNIT = EnergyTable(mac_pj=1.0, l1_factor=1.0, l2_factor=1.0)


def _cls(df: Dataflow, n_pes: int = 4, noc_bw: float = 1000.0, **kw: object) -> ChipletClass:
    return ChipletClass("tiny", df, n_pes=n_pes, noc_bw=noc_bw, mem_bw=1000.0, energy=UNIT, **kw)  # type: ignore[arg-type]


def test_1x1_conv_on_four_pes_every_count_by_hand() -> None:
    # K=4 spread over 4 PEs, C, Y, X walked one at a time: 16 steps of 4 MACs.
    # Input: one element per step, broadcast (16 L2 reads). Weights: 4 per step while C changes
    # (the 4 steps where Y, X restart: 1 init + 3 steady) and reused while Y/X move -> 16 reads.
    # Outputs: 4 partial sums leave per step -> 64 L2 writes; the 16 finished outputs are read.
    # Runtime at noc_bw=1000: the first step is ingress (1) + compute (1), the other 15 steps
    # are max(ingress, compute, egress) = 1 -> 17 cycles.
    ly = Layer("pw", OpKind.CONV, K=4, C=4, Y=2, X=2)
    a = analyse_layer(ly, _cls(KSPATIAL))
    assert a.macs == 64 == ly.macs
    assert a.cycles == 17
    assert a.l2_read == (16, 16, 16)
    assert a.l2_write == (16, 16, 64)
    assert a.l1_read == (64, 64, 64)
    assert a.l1_write == (16, 16, 64)
    assert a.l2_size == (2, 8, 8)  # double-buffered first-step tiles: 1 input, 4 weights, 4 outputs
    assert a.l1_size == 6  # per PE: 1 input, 1 weight, 1 output, double-buffered
    assert a.avg_active_pes == 4.0
    lc = layer_cost(ly, _cls(KSPATIAL))
    assert lc.utilization == 1.0
    assert lc.mac_energy_pj == 64
    assert lc.l1_energy_pj == 64 * 3 + 16 + 16 + 64
    # every L2 access, the 16 finished outputs read back included (MAESTRO's printed total)
    assert lc.l2_energy_pj == 16 + 16 + 16 + 16 + 64 + 16
    assert lc.l2_bytes_needed == 18 and lc.l1_bytes_needed == 6


def test_1x1_conv_bandwidth_bound_by_hand() -> None:
    # noc_bw = 1 element/cycle: step delays are the element counts. First step: ingress 5
    # (1 input + 4 weights) + compute 1 = 6. The 3 steps where C advances move 5 in and 4 out:
    # 5 each. The 12 steps where Y/X advance move 1 in, 4 out: 4 each. 6 + 15 + 48 = 69.
    a = analyse_layer(Layer("pw", OpKind.CONV, K=4, C=4, Y=2, X=2), _cls(KSPATIAL, noc_bw=1.0))
    assert a.cycles == 69
    assert a.ingress_delay == (1.0, 5.0, 2.0)  # min, max, occurrence-weighted mean (32/16)
    assert a.egress_delay == (4.0, 4.0, 4.0)


def test_depthwise_and_eltwise_follow_channels() -> None:
    df = Dataflow.parse("SpatialMap(1,1) C; TemporalMap(1,1) Y; TemporalMap(1,1) X;", "c")
    for kind in (OpKind.DWCONV, OpKind.ELTWISE):
        a = analyse_layer(Layer("d", kind, K=4, C=4, Y=2, X=2, groups=4), _cls(df))
        # 4 steps (one per pixel), 4 channels in parallel: 16 MACs, each weight loaded once,
        # every input pixel once; 2 + 1 + 1 + 1 cycles.
        assert a.macs == 16
        assert a.cycles == 5
        assert a.l2_read[:2] == (16, 4)
        assert a.avg_active_pes == 4.0


def test_strided_conv_counts_only_strided_outputs() -> None:
    df = Dataflow.parse(
        "SpatialMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;"
        " TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;",
        "s",
    )
    ly = Layer("s", OpKind.CONV, K=1, C=1, Y=7, X=7, R=3, S=3, stride_y=2, stride_x=2)
    a = analyse_layer(ly, _cls(df))
    assert ly.out_y == 3 and a.macs == ly.macs == 81  # 3x3 outputs x 9 taps
    assert a.compute_delay[2] == 9.0  # one output (9 MACs) per step on the single busy PE
    assert a.cycles == 82  # 9 steps: first 1 + 9, then 8 x 9


def test_gemm_matmul_and_groups_are_repeated_groups() -> None:
    cls = ChipletClass("n", get_dataflow("nvdla"), n_pes=256, noc_bw=64, mem_bw=32)
    gemm = analyse_layer(Layer("g", OpKind.GEMM, K=64, C=32, Y=16, X=1), cls)
    conv = analyse_layer(Layer("c", OpKind.CONV, K=64, C=32, Y=16, X=1), cls)
    assert gemm == conv
    mm = analyse_layer(Layer("m", OpKind.MATMUL, K=4 * 64, C=4 * 32, Y=16, X=1, groups=4), cls)
    assert mm.repeats == 4
    assert mm.cycles == 4 * conv.cycles
    assert mm.macs == 4 * conv.macs == 4 * 64 * 32 * 16
    grouped = analyse_layer(Layer("gc", OpKind.CONV, K=128, C=64, Y=16, X=1, groups=2), cls)
    assert grouped.macs == 2 * conv.macs and grouped.cycles == 2 * conv.cycles


@pytest.mark.parametrize("name", ["nvdla", "shidiannao", "eyeriss"])
def test_builtin_dataflows_count_every_mac_of_stride1_layers(name: str) -> None:
    cls = ChipletClass(name, get_dataflow(name), n_pes=4096, noc_bw=256, mem_bw=128)
    for ly in (
        Layer("a", OpKind.CONV, K=64, C=64, Y=58, X=58, R=3, S=3),
        Layer("g", OpKind.GEMM, K=768, C=768, Y=128, X=1),
        Layer("dw", OpKind.DWCONV, K=32, C=32, Y=114, X=114, R=3, S=3, groups=32),
    ):
        lc = layer_cost(ly, cls)
        assert lc.macs == ly.macs
        assert 0 < lc.utilization <= 1
        assert lc.cycles >= ly.macs / 4096  # never faster than every PE busy every cycle


def test_tile_larger_than_dimension_and_too_many_cluster_pes() -> None:
    # TemporalMap(64,64) C on C=3 is MAESTRO's init-edge case (the tile covers the dimension).
    df = Dataflow.parse(
        "SpatialMap(1,1) K; TemporalMap(64,64) C; Cluster(64,P); SpatialMap(1,1) C;"
    )
    ly = Layer("c", OpKind.CONV, K=8, C=3, Y=4, X=4)
    a = analyse_layer(ly, _cls(df, n_pes=16))  # Cluster(64) on 16 PEs: clamped to 16
    assert a.macs == ly.macs
    assert a.avg_active_pes <= 16
    lc = layer_cost(ly, _cls(df, n_pes=16))
    assert 0 < lc.utilization <= 1


def test_invalid_dataflows_name_layer_and_class() -> None:
    no_spatial = Dataflow.parse("TemporalMap(1,1) K; TemporalMap(1,1) C;", "nosp")
    with pytest.raises(MCMSchedError, match=r"layer 'x'.*class 'tiny'.*SpatialMap"):
        layer_cost(Layer("x", OpKind.CONV, K=4, C=4, Y=2, X=2), _cls(no_spatial))
    with pytest.raises(MCMSchedError, match="no dataflow of its own"):
        layer_cost(
            Layer("x", OpKind.CONV, K=4, C=4, Y=2, X=2), _cls(KSPATIAL), use_layer_dataflow=True
        )


def test_buffers_too_small_raise_and_can_be_ignored_like_maestro() -> None:
    ly = Layer("pw", OpKind.CONV, K=4, C=4, Y=2, X=2)
    with pytest.raises(MCMSchedError, match=r"layer 'pw'.*class 'tiny'.*L1 of 4 B"):
        layer_cost(ly, _cls(KSPATIAL, l1_bytes=4))
    with pytest.raises(MCMSchedError, match=r"layer 'pw'.*class 'tiny'.*L2 of 10 B"):
        layer_cost(ly, _cls(KSPATIAL, l2_bytes=10))
    assert layer_cost(ly, _cls(KSPATIAL, l1_bytes=4), check_buffers=False).cycles == 17


def test_load_maestro_hw(reference_dir: Path, tmp_path: Path) -> None:
    cls = load_maestro_hw(reference_dir / "maestro" / "hw_4096_64_8.m")
    assert (cls.n_pes, cls.noc_bw, cls.mem_bw, cls.l1_bytes, cls.l2_bytes) == (
        4096,
        64.0,
        8.0,
        100,
        3000,
    )
    assert cls.energy == MAESTRO_ENERGY
    bad = tmp_path / "bad.m"
    bad.write_text("num_pes: 16\n")
    with pytest.raises(MCMSchedError, match="noc_bw_cstr"):
        load_maestro_hw(bad)
