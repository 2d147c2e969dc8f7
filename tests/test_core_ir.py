"""Hand-checked counts of the workload IR and basic hardware geometry."""

from __future__ import annotations

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.hardware import ChipletClass, Package, get_dataflow
from mcmsched.hardware.package import grid_chiplets, mesh_links
from mcmsched.workload import Layer, Model, OpKind


def test_conv_counts_by_hand() -> None:
    # ResNet-50 conv1: 224x224x3 padded by 3 -> 230, 7x7 stride 2 -> 112x112x64.
    layer = Layer("conv1", OpKind.CONV, K=64, C=3, Y=230, X=230, R=7, S=7, stride_y=2, stride_x=2)
    assert (layer.out_y, layer.out_x) == (112, 112)
    assert layer.macs == 112 * 112 * 64 * 3 * 7 * 7 == 118_013_952
    assert layer.params == 64 * 3 * 49
    assert layer.input_elements == 3 * 230 * 230
    assert layer.output_elements == 64 * 112 * 112


def test_gemm_and_matmul_conventions() -> None:
    gemm = Layer("fc", OpKind.GEMM, K=3072, C=768, Y=128, X=1)
    assert gemm.macs == 128 * 768 * 3072
    assert gemm.params == 768 * 3072 and gemm.has_weights
    # Q K^T for 12 heads of 64 at seq 128: C = 12*64, K = 12*128, groups = 12.
    qk = Layer("qk", OpKind.MATMUL, K=12 * 128, C=12 * 64, Y=128, X=1, groups=12)
    assert qk.macs == 12 * 128 * 128 * 64
    assert qk.params == 0 and not qk.has_weights
    assert qk.input_bytes() == (128 * 768 + 12 * 128 * 64)


def test_dwconv_eltwise_trconv() -> None:
    dw = Layer("dw", OpKind.DWCONV, K=32, C=32, Y=114, X=114, R=3, S=3, groups=32)
    assert dw.macs == 32 * 112 * 112 * 9
    add = Layer("add", OpKind.ELTWISE, K=256, C=256, Y=56, X=56, groups=256)
    assert add.macs == 256 * 56 * 56 and add.params == 0
    up = Layer("up", OpKind.TRCONV, K=512, C=1024, Y=28, X=28, R=2, S=2, stride_y=2, stride_x=2)
    assert (up.out_y, up.out_x) == (56, 56)
    assert up.macs == 512 * 1024 * 28 * 28 * 4


@pytest.mark.parametrize("field", ["K", "C", "Y", "X", "R", "stride_y", "groups"])
def test_nonpositive_dims_rejected(field: str) -> None:
    kwargs = dict(K=8, C=8, Y=8, X=8)
    kwargs[field] = 0
    with pytest.raises(MCMSchedError, match=field):
        Layer("bad", OpKind.CONV, **kwargs)  # type: ignore[arg-type]


def test_model_cycle_is_an_error() -> None:
    a = Layer("a", OpKind.GEMM, K=4, C=4, Y=4, X=1)
    b = Layer("b", OpKind.GEMM, K=4, C=4, Y=4, X=1)
    with pytest.raises(MCMSchedError, match="cycle"):
        Model("m", (a, b), edges=((0, 1), (1, 0)))


def test_mesh_hops_and_dram_distance() -> None:
    cc = ChipletClass("nvd", get_dataflow("nvd"))
    pkg = Package(
        "t", {"nvd": cc}, tuple(grid_chiplets([["nvd"] * 3] * 3)), tuple(mesh_links(3, 3))
    )
    assert pkg.hop_matrix[0, 8] == 4 and pkg.hop_matrix[4, 4] == 0
    # Centre column (1, 4, 7) is one hop from a side column with DRAM interfaces.
    assert list(pkg.dram_hops) == [0, 1, 0, 0, 1, 0, 0, 1, 0]
    assert pkg.route(0, 8) == [(0, 1), (1, 2), (2, 5), (5, 8)]


def test_disconnected_package_rejected() -> None:
    cc = ChipletClass("nvd", get_dataflow("nvd"))
    with pytest.raises(MCMSchedError, match="disconnected"):
        Package("t", {"nvd": cc}, tuple(grid_chiplets([["nvd"] * 3])), ((0, 1),))


def test_top_level_api_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mcmsched\n"
        "heavy = [m for m in ('torch', 'onnx', 'dask', 'matplotlib', 'mcmsched.search')"
        " if m in sys.modules]\n"
        "assert heavy == [], heavy\n"
        "assert callable(mcmsched.run) and callable(mcmsched.compare)\n"
        "assert 'mcmsched.search' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
