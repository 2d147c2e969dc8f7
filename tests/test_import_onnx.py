"""ONNX importer: the weight-free ResNet-50 shipped with the onnx wheel, a hand-built graph with
hand-computed dimensions, and error cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mcmsched.errors import MCMSchedError
from mcmsched.workload import OpKind
from mcmsched.workload.importers.onnx_import import load_onnx

LIGHT = Path(onnx.__file__).parent / "backend/test/data/light"


def test_light_resnet50() -> None:
    path = LIGHT / "light_resnet50.onnx"
    full = load_onnx(path)
    compute = load_onnx(path, include_eltwise=False)
    kinds = [layer.kind for layer in compute.layers]
    assert kinds.count(OpKind.CONV) == 53 and kinds.count(OpKind.GEMM) == 1
    assert len(compute) == 54
    # 53 convolutions + the 2048 -> 1000 classifier: the well-known 4.089 GMACs
    assert compute.macs == 4_089_184_256
    fc = compute.layers[-1]
    assert (fc.kind, fc.C, fc.K, fc.Y, fc.macs) == (OpKind.GEMM, 2048, 1000, 1, 2_048_000)
    conv1 = compute.layers[0]  # 7x7/2 with pads 3: 224 + 6 = 230, output 112
    assert (conv1.K, conv1.C, conv1.R, conv1.Y, conv1.stride_y, conv1.out_y) == (
        64,
        3,
        7,
        230,
        2,
        112,
    )
    assert conv1.macs == 64 * 3 * 49 * 112 * 112
    # the 16 residual Sum nodes become ELTWISE layers, counted one op per output element
    elt = [layer for layer in full.layers if layer.kind is OpKind.ELTWISE]
    assert len(full) == 70 and len(elt) == 16
    adds = 3 * 256 * 56 * 56 + 4 * 512 * 28 * 28 + 6 * 1024 * 14 * 14 + 3 * 2048 * 7 * 7
    assert sum(layer.macs for layer in elt) == adds
    assert full.macs == compute.macs + adds
    # the dependency graph: every add joins two branches; the first block has a projection
    # shortcut, so the first add has two conv predecessors
    first_add = next(i for i, layer in enumerate(full.layers) if layer.kind is OpKind.ELTWISE)
    preds = full.predecessors(first_add)
    assert len(preds) == 2
    assert all(full.layers[p].kind is OpKind.CONV for p in preds)
    for i, layer in enumerate(full.layers):
        if layer.kind is OpKind.ELTWISE:
            assert len(full.predecessors(i)) == 2
    assert all(a < b for a, b in full.edges)


def test_other_light_models_import() -> None:
    # shufflenet has depthwise (group == C == K) convolutions
    shuffle = load_onnx(LIGHT / "light_shufflenet.onnx", include_eltwise=False)
    dw = [layer for layer in shuffle.layers if layer.kind is OpKind.DWCONV]
    assert dw and all(layer.K == layer.C == layer.groups for layer in dw)
    vgg = load_onnx(LIGHT / "light_vgg19.onnx")
    assert [layer.kind for layer in vgg.layers].count(OpKind.CONV) == 16
    assert [layer.kind for layer in vgg.layers].count(OpKind.GEMM) == 3
    # a pure chain
    assert vgg.edges == tuple((i, i + 1) for i in range(len(vgg) - 1))


def _init(name: str, shape: list[int]) -> TensorProto:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def _tiny(tmp_path: Path) -> Path:
    """x[N,3,8,8] -> Conv(4, 3x3, pads 1, stride 2) -> Relu -> Flatten -> MatMul(W[64,10]) -> + b
    q[1,2,5,8] @ kt[1,2,8,5] -> MATMUL;   y1 + y2 (two activations) -> ELTWISE
    z[1,4,10,10] -> depthwise Conv(group 4, 3x3, dilation 2) ; ConvTranspose(2x2, stride 2)."""
    nodes = [
        helper.make_node(
            "Conv", ["x", "w1"], ["c1"], name="conv", pads=[1, 1, 1, 1], strides=[2, 2]
        ),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
        helper.make_node("Flatten", ["r1"], ["f1"], name="flat"),
        helper.make_node("MatMul", ["f1", "w2"], ["m1"], name="fc"),
        helper.make_node("Add", ["m1", "b2"], ["out1"], name="bias"),  # constant operand: skipped
        helper.make_node("MatMul", ["q", "kt"], ["att"], name="qk"),
        helper.make_node("Add", ["att", "att2"], ["out2"], name="res"),
        helper.make_node("Conv", ["z", "w3"], ["out3"], name="dw", group=4, dilations=[2, 2]),
        helper.make_node("ConvTranspose", ["z", "w4"], ["out4"], name="up", strides=[2, 2]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8]),
            helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, 2, 5, 8]),
            helper.make_tensor_value_info("kt", TensorProto.FLOAT, [1, 2, 8, 5]),
            helper.make_tensor_value_info("att2", TensorProto.FLOAT, [1, 2, 5, 5]),
            helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 10, 10]),
        ],
        [
            helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
            for o in ("out1", "out2", "out3", "out4")
        ],
        initializer=[
            _init("w1", [4, 3, 3, 3]),
            _init("w2", [64, 10]),
            _init("b2", [10]),
            _init("w3", [4, 1, 3, 3]),
            _init("w4", [4, 6, 2, 2]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "tiny.onnx"
    onnx.save(model, str(path))
    return path


def test_tiny_graph_by_hand(tmp_path: Path) -> None:
    m = load_onnx(_tiny(tmp_path), name="tiny")
    assert m.name == "tiny"
    assert [layer.name for layer in m.layers] == ["conv", "fc", "qk", "res", "dw", "up"]
    conv, fc, qk, res, dw, up = m.layers
    # symbolic batch N -> 1; pads 1+1 added: Y = X = 10, output (10 - 3) // 2 + 1 = 4
    assert (conv.kind, conv.N, conv.K, conv.C, conv.Y, conv.X, conv.R, conv.stride_y) == (
        OpKind.CONV,
        1,
        4,
        3,
        10,
        10,
        3,
        2,
    )
    assert conv.out_y == 4 and conv.macs == 4 * 3 * 9 * 4 * 4
    # Flatten gives [1, 64]; W [64, 10] is an initializer -> GEMM rows 1, C 64, K 10
    assert (fc.kind, fc.Y, fc.X, fc.C, fc.K, fc.macs) == (OpKind.GEMM, 1, 1, 64, 10, 640)
    # [1,2,5,8] x [1,2,8,5]: 2 heads as groups, C = 2*8, K = 2*5
    assert (qk.kind, qk.groups, qk.Y, qk.C, qk.K, qk.N) == (OpKind.MATMUL, 2, 5, 16, 10, 1)
    assert qk.macs == 2 * 5 * 8 * 5 and qk.params == 0
    # [1,2,5,5] + [1,2,5,5]: rank 4 -> channels on axis 1
    assert (res.kind, res.C, res.Y, res.X, res.macs) == (OpKind.ELTWISE, 2, 5, 5, 50)
    # depthwise, dilation 2: effective kernel 5, output 6 -> Y = (6 - 1) + 3 = 8
    assert (dw.kind, dw.K, dw.C, dw.groups, dw.Y, dw.out_y) == (OpKind.DWCONV, 4, 4, 4, 8, 6)
    assert dw.macs == 4 * 9 * 6 * 6
    # ConvTranspose W [C=4, K=6, 2, 2], stride 2: output (10 - 1) * 2 + 2 = 20
    assert (up.kind, up.K, up.C, up.Y, up.R, up.stride_y, up.out_y) == (
        OpKind.TRCONV,
        6,
        4,
        10,
        2,
        2,
        20,
    )
    assert up.macs == 6 * 4 * 10 * 10 * 4
    # edges pass through Relu and Flatten; the bias Add is skipped; qk feeds res
    assert set(m.edges) == {(0, 1), (2, 3)}


def test_input_shapes_override(tmp_path: Path) -> None:
    m = load_onnx(_tiny(tmp_path), input_shapes={"x": [2, 3, 8, 8]}, include_eltwise=False)
    conv = m.layers[0]
    assert (conv.N, conv.Y, conv.out_y) == (2, 10, 4)  # 8 + 2 pads, (10 - 3) // 2 + 1
    assert m.layers[1].Y == 2  # Flatten -> [2, 64]: rows are the batch
    assert m.layers[1].C == 64
    assert OpKind.ELTWISE not in {layer.kind for layer in m.layers}
    # a 16x16 input flattens to 256 columns, which W[64, 10] cannot multiply: refused (it was
    # silently accepted as a 256-input GEMM before inner dimensions were checked)
    with pytest.raises(MCMSchedError, match="inner dimensions do not match"):
        load_onnx(_tiny(tmp_path), input_shapes={"x": [2, 3, 16, 16]}, include_eltwise=False)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(MCMSchedError, match="file not found"):
        load_onnx(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07this is not a protobuf\xff\xff\xff")
    with pytest.raises(MCMSchedError) as info:
        load_onnx(bad)
    assert "bad.onnx" in str(info.value) and "not a valid ONNX model" in str(info.value)
    with pytest.raises(MCMSchedError, match="no graph input named 'nope'"):
        load_onnx(_tiny(tmp_path), input_shapes={"nope": [1]})
    with pytest.raises(MCMSchedError, match="positive integers"):
        load_onnx(_tiny(tmp_path), input_shapes={"x": [1, 0, 8, 8]})
    relu_only = helper.make_model(
        helper.make_graph(
            [helper.make_node("Relu", ["a"], ["b"])],
            "r",
            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4])],
        )
    )
    p = tmp_path / "relu.onnx"
    onnx.save(relu_only, str(p))
    with pytest.raises(MCMSchedError, match="no compute layers"):
        load_onnx(p)


def test_missing_onnx_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(MCMSchedError, match=r"pip install mcmsched\[onnx\]"):
        load_onnx(tmp_path / "any.onnx")


def test_grouped_conv_that_is_not_depthwise(tmp_path: Path) -> None:
    # x[1,8,10,10] -> Conv(group 4, 8 -> 12 channels, 3x3, pads 1): each group maps 2 input
    # channels to 3 outputs; W is [12, 2, 3, 3]
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="gconv", group=4, pads=[1, 1, 1, 1])],
        "grouped",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 10, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[_init("w", [12, 2, 3, 3])],
    )
    path = tmp_path / "grouped.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    (ly,) = load_onnx(path).layers
    assert (ly.kind, ly.K, ly.C, ly.groups, ly.Y, ly.X, ly.R) == (OpKind.CONV, 12, 8, 4, 12, 12, 3)
    assert ly.macs == 12 * 2 * 9 * 10 * 10  # K x (C / groups) x R S x Y' X'
    assert ly.params == 12 * 2 * 3 * 3
