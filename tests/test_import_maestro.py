"""MAESTRO / XRBench ``.m`` importer: every reference file, hand-computed MACs, MAESTRO's own MAC
counts, and the error messages."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.dataflow import parse_directives
from mcmsched.workload import OpKind
from mcmsched.workload.importers.maestro import (
    find_layer,
    load_maestro,
    load_maestro_networks,
    parse_maestro,
    printed_name,
)

_LAYER_RE = re.compile(r"^\s*Layer\s+\S+\s*\{", re.M)
_NETWORK_RE = re.compile(r"^\s*Network\s+(\S+)\s*\{", re.M)


def _model_files(reference_dir: Path) -> list[Path]:
    files = sorted((reference_dir / "maestro-models").glob("*.m"))
    files += sorted((reference_dir / "maestro" / "mappings").glob("*.m"))
    files += sorted((reference_dir / "xrbench" / "usage_scenarios").glob("*.m"))
    return [f for f in files if f.name != "accelerator_1.m"]


def _count_layers_per_network(text: str) -> list[tuple[str, int]]:
    """Independent count: split the text at each ``Network`` header, count ``Layer`` headers."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    heads = list(_NETWORK_RE.finditer(text))
    out = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out.append((h.group(1), len(_LAYER_RE.findall(text, h.end(), end))))
    return out


def test_reference_file_set_is_complete(reference_dir: Path) -> None:
    files = _model_files(reference_dir)
    # 13 MAESTRO model files (+ accelerator_1.m excluded), 15 mapping files, 7 XRBench scenarios.
    assert len(files) == 13 + 15 + 7


def test_every_reference_file_imports_with_the_right_layer_counts(reference_dir: Path) -> None:
    for path in _model_files(reference_dir):
        models = load_maestro(path)
        expected = _count_layers_per_network(path.read_text())
        assert [(m.name, len(m)) for m in models] == expected, path.name
        for m in models:
            assert m.source == str(path)
            # a chain: the format carries no edges
            assert m.edges == tuple((i, i + 1) for i in range(len(m) - 1))
            assert m.macs > 0


@pytest.mark.parametrize(
    ("relpath", "layers"),
    [
        ("maestro-models/Resnet50_model.m", 66),
        ("maestro-models/UNet_model.m", 23),
        ("maestro-models/Transformer_Complete_model.m", 288),
        ("maestro-models/MobileNetV2_model.m", 56),
        ("maestro-models/vgg16_model.m", 13),
        ("maestro/mappings/Resnet50_kcp_ws.m", 66),
    ],
)
def test_hard_layer_counts(reference_dir: Path, relpath: str, layers: int) -> None:
    (model,) = load_maestro(reference_dir / relpath)
    assert len(model) == layers


def test_resnet50_layers_by_hand(reference_dir: Path) -> None:
    (m,) = load_maestro(reference_dir / "maestro-models/Resnet50_model.m")
    by = {layer.name: layer for layer in m.layers}
    conv1 = by["CONV1"]
    assert (conv1.kind, conv1.K, conv1.C, conv1.R, conv1.Y, conv1.stride_y) == (
        OpKind.CONV,
        64,
        3,
        7,
        224,
        2,
    )
    assert conv1.out_y == (224 - 7) // 2 + 1 == 109
    assert conv1.macs == 64 * 3 * 7 * 7 * 109 * 109 == 111_776_448
    # DSCONV "K: 1, C: 256" -> depthwise with K = C = groups = 256
    res = by["CONV2_1_Residual"]
    assert (res.kind, res.K, res.C, res.groups) == (OpKind.DWCONV, 256, 256, 256)
    assert res.macs == 256 * 56 * 56
    # the file names CONV3_1_Residual twice; the second copy gets a suffix
    names = [layer.name for layer in m.layers]
    assert names.count("CONV3_1_Residual") == 1
    assert names.count("CONV3_1_Residual_2") == 1
    assert names.index("CONV3_1_Residual") < names.index("CONV3_1_Residual_2")


def test_ngconv_trconv_and_constants_by_hand(reference_dir: Path) -> None:
    (rx,) = load_maestro(reference_dir / "maestro-models/ResNeXt50_model.m")
    g = next(layer for layer in rx.layers if layer.name == "CONV2_1_2")  # G: 32, K: 4, C: 128
    # MAESTRO's NGCONV convention: K and C per group, MACs = G K C R S Y' X'
    assert (g.kind, g.K, g.C, g.groups, g.R) == (OpKind.CONV, 32 * 4, 32 * 128, 32, 3)
    assert g.macs == 32 * 4 * 128 * 3 * 3 * 54 * 54 == 429_981_696
    assert g.input_elements == 32 * 128 * 56 * 56 and g.weight_elements == 32 * 4 * 128 * 9
    assert g.output_elements == 32 * 4 * 54 * 54

    (unet,) = load_maestro(reference_dir / "maestro-models/UNet_model.m")
    tr = next(layer for layer in unet.layers if layer.name == "TRCONV1")
    assert (tr.kind, tr.K, tr.C, tr.R, tr.Y) == (OpKind.TRCONV, 512, 1024, 2, 28)
    assert tr.macs == 512 * 1024 * 28 * 28 * 2 * 2 == 1_644_167_168

    (tf,) = load_maestro(reference_dir / "maestro-models/Transformer_Complete_model.m")
    first = tf.layers[0]  # N: Seq_Len (Constant Seq_Len 128), K: 1536, S: 512, X: 512
    assert (first.N, first.K, first.C, first.S, first.X) == (128, 1536, 1, 512, 512)
    assert first.macs == 128 * 1536 * 512
    qk = tf.layers[1]  # K: Seq_Len, R: 64, Y: 64, X: Seq_Len
    assert (qk.K, qk.R, qk.Y, qk.X) == (128, 64, 64, 128)


def test_xrbench_fps_dependencies_and_padding(reference_dir: Path) -> None:
    nets = load_maestro_networks(reference_dir / "xrbench/usage_scenarios/AR_gaming.m")
    assert [(n.model.name, n.fps, n.model.default_batch) for n in nets] == [
        ("HT_hand_graph_cnn_half", 45, 45),
        ("DE_midas_v21_small", 30, 30),
        ("PD_Plane_RCNN_Quarter", 15, 15),
    ]
    ht = nets[0]
    # conv56 is written as a 3x3 kernel on a 2x2 input: read as "same"-padded (input 4x4)
    assert "conv56" in ht.padded_layers
    c56 = next(layer for layer in ht.model.layers if layer.name == "conv56")
    assert (c56.Y, c56.X, c56.out_y, c56.out_x) == (4, 4, 2, 2)
    assert c56.macs == 128 * 128 * 2 * 2 * 9
    # layers that fit keep their written size
    c1 = ht.model.layers[0]
    assert (c1.K, c1.C, c1.Y, c1.R, c1.macs) == (64, 3, 128, 7, 64 * 3 * 122 * 122 * 49)

    aa = load_maestro_networks(reference_dir / "xrbench/usage_scenarios/AR_Assistant.m")
    asr = next(n for n in aa if n.model.name == "ASR_EM_24L")
    assert (asr.fps, asr.probability, asr.dependencies) == (3, 0.5, ("KD_res8_narrow",))
    vr = load_maestro_networks(reference_dir / "xrbench/usage_scenarios/VR_gaming.m")
    assert [n.fps for n in vr] == [60, 60, 45]
    assert vr[1].dependencies == ("ES_RITNet",) and vr[1].probability == 1.0


def test_mapping_files_keep_per_layer_dataflow(reference_dir: Path) -> None:
    for path in sorted((reference_dir / "maestro/mappings").glob("*.m")):
        (m,) = load_maestro(path)
        for layer in m.layers:
            assert layer.dataflow is not None and layer.dataflow.startswith("Dataflow")
            assert parse_directives(layer.dataflow)
    (m,) = load_maestro(reference_dir / "maestro/mappings/Resnet50_kcp_ws.m")
    directives = parse_directives(m.layers[0].dataflow or "")
    assert str(directives[0]) == "SpatialMap(1,1) K;"
    assert str(directives[1]) == "TemporalMap(64,64) C;"
    assert len(directives) == 12
    assert "TemporalMap(64,64) C;" in (m.layers[0].dataflow or "")
    # model files without dataflows leave it empty
    (plain,) = load_maestro(reference_dir / "maestro-models/Resnet50_model.m")
    assert all(layer.dataflow is None for layer in plain.layers)


def test_macs_agree_with_maestro(reference_dir: Path) -> None:
    """MAESTRO's ``Num MACs`` per (mapping file, layer, hardware) against ``Layer.macs``.

    Agreement is exact for every CONV and DSCONV row except in the output-stationary
    ``*_yxp_os.m`` mappings, where MAESTRO's count includes edge-tile work of spatially mapped
    strided rows (it also changes with the PE count). TRCONV differs by design: MAESTRO analyses
    it as a plain CONV of the same dimensions (output (Y - R + 1) x (X - S + 1))."""
    root = reference_dir / "maestro"
    rows = list(csv.DictReader((root / "maestro_layer_costs.csv").open()))
    models = {}
    checked = {"CONV": 0, "DWCONV": 0, "TRCONV": 0}
    yxp_mismatch: set[tuple[str, str]] = set()
    for row in rows:
        f = row["mapping_file"]
        if f not in models:
            (models[f],) = load_maestro(root / "mappings" / f)
        layer = next(x for x in models[f].layers if x.name == row["Layer Number"])
        maestro_macs = int(float(row["Num MACs"]))
        checked[layer.kind.value] += 1
        if layer.kind is OpKind.TRCONV:
            as_conv = layer.K * layer.C * (layer.Y - layer.R + 1) * (layer.X - layer.S + 1)
            assert maestro_macs == as_conv * layer.R * layer.S
            assert layer.macs == layer.K * layer.C * layer.Y * layer.X * layer.R * layer.S
        elif f.endswith("_yxp_os.m"):
            if maestro_macs != layer.macs:
                yxp_mismatch.add((f, layer.name))
        else:
            assert maestro_macs == layer.macs, (f, layer.name)
    assert checked["CONV"] > 1000 and checked["DWCONV"] > 300 and checked["TRCONV"] == 36
    assert yxp_mismatch == {
        ("MobileNetV2_yxp_os.m", "CONV1"),
        ("MobileNetV2_yxp_os.m", "Bottleneck2_1_2"),
        ("MobileNetV2_yxp_os.m", "Bottleneck3_1_2"),
        ("MobileNetV2_yxp_os.m", "Bottleneck4_1_2"),
        ("MobileNetV2_yxp_os.m", "Bottleneck6_1_2"),
        ("Resnet50_yxp_os.m", "CONV1"),
        ("Resnet50_yxp_os.m", "CONV4_1_1"),
        ("Resnet50_yxp_os.m", "CONV5_1_1"),
        ("UNet_yxp_os.m", "CONV1_5"),
    }


# ---- error cases ---------------------------------------------------------------------------------

_GOOD_LAYER = "Layer L1 { Type: CONV Dimensions { K: 4, C: 3, R: 3, S: 3, Y: 8, X: 8 } }"


def _err(text: str) -> MCMSchedError:
    with pytest.raises(MCMSchedError) as info:
        parse_maestro(text, "bad.m")
    return info.value


def test_minimal_text_and_defaults() -> None:
    (m,) = parse_maestro(f"Network n {{ {_GOOD_LAYER} }}", "x.m")
    layer = m.layers[0]
    assert (layer.N, layer.stride_y, layer.stride_x, layer.out_y) == (1, 1, 1, 6)
    assert layer.macs == 4 * 3 * 6 * 6 * 9
    assert m.default_batch == 1
    (d,) = parse_maestro(
        "Network n { Layer a { Type: CONV Dimensions { K: 2, C: 2, Y: 5, X: 5 } } }", "x"
    )
    assert (d.layers[0].R, d.layers[0].S, d.layers[0].macs) == (1, 1, 2 * 2 * 25)


def test_gemm_dataflow_inheritance_duplicates_and_comments() -> None:
    text = """
    /* block comment with Layer inside */
    Constant M_rows 16;
    Network g {
      Layer a { Type: GEMM Dimensions { M: M_rows, N: 8, K: 32 }  // trailing
                Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) C; } }
      Layer a { Type: CONV Dimensions { K: 8, C: 8, Y: 4, X: 4 } }
      Layer a { Type: CONV Dimensions { K: 8, C: 8, Y: 4, X: 4 } }
    }"""
    (m,) = parse_maestro(text, "x.m")
    g = m.layers[0]
    assert (g.kind, g.Y, g.X, g.C, g.K, g.macs) == (OpKind.GEMM, 16, 1, 32, 8, 16 * 32 * 8)
    assert [layer.name for layer in m.layers] == ["a", "a_2", "a_3"]
    # as in MAESTRO, a layer without a Dataflow block reuses the previous layer's
    assert m.layers[1].dataflow == m.layers[0].dataflow is not None


def test_hardware_file_is_rejected_clearly(reference_dir: Path) -> None:
    path = reference_dir / "maestro-models/accelerator_1.m"
    with pytest.raises(MCMSchedError) as info:
        load_maestro(path)
    msg = str(info.value)
    assert "accelerator_1.m" in msg and "hardware" in msg and "line 1" in msg


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            "Network n { Layer p { Type: POOL Dimensions { K: 1, C: 1, Y: 2, X: 2 } } }",
            ["unknown layer type 'POOL'", "layer 'p'", "Type"],
        ),
        ("Network n { Layer p { Type: CONV } }", ["missing 'Dimensions'", "layer 'p'"]),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: 0, C: 1, Y: 2, X: 2 } } }",
            ["positive", "K", "layer 'p'"],
        ),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: -3, C: 1, Y: 2, X: 2 } } }",
            ["positive", "got -3"],
        ),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: 2, C: 1, Y: 2, X: 2 } }",
            ["unexpected end of file", "unbalanced"],
        ),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: Seq, C: 1, Y: 2, X: 2 } } }",
            ["unknown constant 'Seq'"],
        ),
        ("Network n { Layer p { Type: CONV Dimensions { K: 2, Y: 2, X: 2 } } }", ["lacks 'C'"]),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: 2, C: 1, Q: 2, Y: 2, X: 2 } } }",
            ["unknown dimension 'Q'"],
        ),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: 2, C: 1, Y: 2, X: 2 }\n"
            " Dataflow { FooMap(1,1) K; } } }",
            ["line 2", "cannot parse directive", "Dataflow"],
        ),
        (
            "Network n { Layer p { Type: DSCONV Dimensions { K: 3, C: 8, Y: 2, X: 2 } } }",
            ["DSCONV", "K: 3"],
        ),
        (
            "Network n { Layer p { Type: CONV Dimensions { G: 3, K: 2, C: 8, Y: 2, X: 2 } } }",
            ["'G' (groups) is only valid for NGCONV"],
        ),
        ("Network n { }", ["has no layers"]),
        ("// nothing here\n", ["no 'Network"]),
        (
            "Network n { Layer p { Type: CONV Dimensions { K: 2, C: 1, Y: 2, X: 2 } } } }",
            ["unexpected '}'"],
        ),
        ("Network n { /* open comment", ["unterminated"]),
    ],
)
def test_errors_name_file_layer_and_reason(text: str, needles: list[str]) -> None:
    msg = str(_err(text))
    assert msg.startswith("bad.m")
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_error_line_numbers() -> None:
    text = "Network n {\n" + _GOOD_LAYER + "\n\nLayer q {\nType: FOO\n}\n}\n"
    msg = str(_err(text))
    assert "line 5" in msg and "unknown layer type 'FOO'" in msg and "layer 'q'" in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MCMSchedError, match="file not found"):
        load_maestro(tmp_path / "nope.m")


def test_resnext50_file_macs_follow_maestro_ngconv_convention(reference_dir: Path) -> None:
    """Every layer of MAESTRO's ResNeXt50 file imports with MAESTRO's MAC count, computed here
    from the file text alone: ``G K C R S Y' X'`` for NGCONV (K and C per group), ``K C R S Y'
    X'`` for CONV (``Y' = (Y - R) // stride + 1``)."""
    path = reference_dir / "maestro-models/ResNeXt50_model.m"
    text = path.read_text()
    blocks = re.findall(
        r"Layer\s+(\w+)\s*\{\s*Type:\s*(\w+)\s*Stride\s*\{\s*X:\s*(\d+),\s*Y:\s*(\d+)\s*\}\s*"
        r"Dimensions\s*\{([^}]*)\}",
        text,
    )
    (rx,) = load_maestro(path)
    assert len(blocks) == len(rx.layers) == 50
    total = 0
    for (name, kind, sx, _sy, dims_text), layer in zip(blocks, rx.layers, strict=True):
        dims = {k: int(v) for k, v in re.findall(r"(\w+)\s*:\s*(\d+)", dims_text)}
        oy = (dims["Y"] - dims["R"]) // int(sx) + 1
        ox = (dims["X"] - dims["S"]) // int(sx) + 1
        macs = dims.get("G", 1) * dims["K"] * dims["C"] * dims["R"] * dims["S"] * oy * ox
        assert layer.name == name and layer.macs == macs, name
        assert (layer.groups > 1) == (kind == "NGCONV")
        total += macs
    assert sum(layer.macs for layer in rx.layers) == total == 8_636_792_832
    grouped = sum(layer.macs for layer in rx.layers if layer.groups > 1)
    # the file writes C as the total channels (128 for ResNeXt's 128 -> 128 grouped conv) but
    # MAESTRO reads it per group: its 16 grouped convs are 32x those of ResNeXt-50 (32x4d)
    assert grouped == 5_631_049_728
    assert grouped % 32 == 0


def test_find_layer_by_maestro_printed_name() -> None:
    (m,) = parse_maestro(
        "Network n {\n"
        " Layer Conv2d-12 { Type: CONV Dimensions { K: 2, C: 1, Y: 2, X: 2 } }\n"
        " Layer Linear-13 { Type: CONV Dimensions { K: 2, C: 2, Y: 2, X: 2 } }\n"
        " Layer Add-13 { Type: CONV Dimensions { K: 2, C: 2, Y: 2, X: 2 } }\n"
        " Layer CONV2_1_2 { Type: CONV Dimensions { K: 2, C: 2, Y: 2, X: 2 } }\n"
        "}",
        "n.m",
    )
    assert printed_name("Conv2d-12") == "12"
    assert printed_name("a->b(c):d") == "d" and printed_name("x,\ty;z") == "z"
    assert printed_name("CONV2_1_2") == "CONV2_1_2"
    assert find_layer(m, "12").name == "Conv2d-12"  # MAESTRO prints it as "12"
    assert find_layer(m, "Conv2d-12").name == "Conv2d-12"  # own name first
    assert find_layer(m, "CONV2_1_2").K == 2
    with pytest.raises(MCMSchedError, match="prints 2 layers as '13'"):
        find_layer(m, "13")
    with pytest.raises(MCMSchedError, match="no layer named '99'"):
        find_layer(m, "99")
