"""The built-in dataflows ``nvdla-maestro`` (``kcp_ws``) and ``shidiannao-maestro`` (``yxp_os``)
reproduce MAESTRO's per-network mapping files for every reference row of those styles.

Each reference row whose mapping file is ``*_kcp_ws.m`` or ``*_yxp_os.m`` is evaluated with the
built-in dataflow (not the layer's own directives) on the row's hardware: cycles must equal
MAESTRO's ``Runtime (Cycles)`` and the energy MAESTRO prints (composed as in
``test_cost_maestro_agreement``) must agree to its six printed digits.

The one exception is ``UNet_yxp_os.m`` layer ``CONV1_5`` (a 1x1 convolution, three rows): the file
writes ``TemporalMap(10,8) X`` (the 3x3 layers' tile) where the template's ``Sz(S)+7`` gives 8.
Every other block variant in those files gives the template's numbers: MobileNetV2_yxp_os puts
``R``/``S`` at the outer level for its first layers, vgg16 CONV1 adds a second ``S`` map, the 7x7
``FC1000``/``CONV2D_3`` layers use a tile of 8 (their X is 7, so any tile >= 7 covers it), and
ResNet/UNet/VGG write ``TemporalMap(Sz(R),Sz(R)) S`` (all layers there have R = S).
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from mcmsched.cost.analysis import LayerAnalysis, analyse_layer
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.energy import MAESTRO_ENERGY
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import (
    BUILTIN_DATAFLOWS,
    Dataflow,
    Directive,
    DirectiveKind,
    get_dataflow,
    parse_directives,
    size_parts,
)
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.zoo import get_model
from test_cost_maestro_agreement import _hw, _mapping, maestro_reported_energy_nj
from test_cost_vectorised import _check

STYLE = {"_kcp_ws.m": "kcp_ws", "_yxp_os.m": "yxp_os"}
# (mapping file, layer): the file's block differs from the template in a way that changes numbers
DIFFERENT_BLOCK = {("UNet_yxp_os.m", "CONV1_5")}


def _style(mapping: str) -> str | None:
    return next((s for suffix, s in STYLE.items() if mapping.endswith(suffix)), None)


def _builtin_analysis(ref: Path, mapping: str, layer: str, hw_file: str) -> LayerAnalysis:
    layers, _ = _mapping(str(ref / "mappings" / mapping))
    style = _style(mapping)
    assert style is not None
    cls = dataclasses.replace(_hw(str(ref / hw_file)), dataflow=get_dataflow(style))
    return analyse_layer(layers[layer], cls)


def _builtin_reported_energy_nj(ref: Path, mapping: str, layer: str, hw_file: str) -> float:
    """MAESTRO's printed energy (see ``maestro_reported_energy_nj``) from the built-in's counts:
    with more than one cluster level, the previous layer's L1 accesses, and no MAC energy."""
    la = _builtin_analysis(ref, mapping, layer, hw_file)
    e = MAESTRO_ENERGY
    l1 = la.l1_accesses
    if la.n_levels > 1:
        _, order = _mapping(str(ref / "mappings" / mapping))
        i = order.index(layer)
        l1 = _builtin_analysis(ref, mapping, order[i - 1], hw_file).l1_accesses if i > 0 else 0
    return float((la.l2_accesses_csv * e.l2_factor + l1 * e.l1_factor) * e.mac_pj * 1e-3)


@pytest.fixture(scope="module")
def style_rows(reference_dir: Path) -> list[dict[str, str]]:
    with open(reference_dir / "maestro" / "maestro_layer_costs.csv", newline="") as f:
        return [r for r in csv.DictReader(f) if _style(r["mapping_file"]) is not None]


def _hw_file(r: dict[str, str]) -> str:
    return f"hw_{r['hw_num_pes']}_{r['hw_noc_bw']}_{r['hw_offchip_bw']}.m"


def test_builtins_reproduce_maestro_mapping_rows(
    style_rows: list[dict[str, str]], reference_dir: Path
) -> None:
    ref = reference_dir / "maestro"
    assert len(style_rows) == 828  # 360 kcp_ws + 468 yxp_os
    files = {r["mapping_file"] for r in style_rows}
    assert files == {
        "MobileNetV2_kcp_ws.m",
        "Resnet50_kcp_ws.m",
        "MobileNetV2_yxp_os.m",
        "Resnet50_yxp_os.m",
        "UNet_yxp_os.m",
        "vgg16_yxp_os.m",
    }
    mismatched: set[tuple[str, str]] = set()
    checked = 0
    for r in style_rows:
        mapping, layer, hw_file = r["mapping_file"], r["Layer Number"], _hw_file(r)
        la = _builtin_analysis(ref, mapping, layer, hw_file)
        cycles = int(float(r["Runtime (Cycles)"]))
        if (mapping, layer) in DIFFERENT_BLOCK:
            if la.cycles != cycles:
                mismatched.add((mapping, layer))
            continue
        checked += 1
        assert la.cycles == cycles, f"{mapping} {layer} {hw_file}"
        energy = _builtin_reported_energy_nj(ref, mapping, layer, hw_file)
        theirs = float(r["Activity count-based Energy (nJ)"])
        assert energy == pytest.approx(theirs, rel=1e-5), f"{mapping} {layer} {hw_file}"
        # and the very same detail as the layer's own directives from the file
        layers, _ = _mapping(str(ref / "mappings" / mapping))
        own = analyse_layer(layers[layer], _hw(str(ref / hw_file)), use_layer_dataflow=True)
        assert la == own, f"{mapping} {layer} {hw_file}"
        assert energy == maestro_reported_energy_nj(ref, mapping, layer, hw_file)
    assert checked == 825
    # the listed exceptions really differ (the list hides nothing that would match)
    assert mismatched == DIFFERENT_BLOCK


def test_the_exception_is_the_tile_written_in_the_file(reference_dir: Path) -> None:
    layers, _ = _mapping(str(reference_dir / "maestro" / "mappings" / "UNet_yxp_os.m"))
    ly = layers["CONV1_5"]
    assert (ly.R, ly.S) == (1, 1)
    assert ly.dataflow is not None
    own = parse_directives(ly.dataflow)
    assert Directive(DirectiveKind.TEMPORAL, 10, 8, "X") in own
    tile = next(d for d in get_dataflow("yxp_os").directives if d.dim == "X")
    assert tile == Directive(DirectiveKind.TEMPORAL, "S+7", 8, "X")  # 8 for S = 1


def test_builtins_are_registered_with_aliases() -> None:
    ws, os_ = BUILTIN_DATAFLOWS["nvdla-maestro"], BUILTIN_DATAFLOWS["shidiannao-maestro"]
    assert get_dataflow("kcp_ws") is ws and get_dataflow("KCP_WS") is ws
    assert get_dataflow("yxp_os") is os_
    assert ws.description == "NVDLA-like weight-stationary, MAESTRO kcp_ws mapping style"
    assert os_.description == "ShiDianNao-like output-stationary, MAESTRO yxp_os mapping style"
    assert ws.depthwise is not None and os_.depthwise is not None
    assert len(ws.directives) == 12 and len(ws.depthwise) == 5
    # the DSCONV variant of yxp_os is the CONV one without K
    assert os_.depthwise == tuple(d for d in os_.directives if d.dim != "K")
    # the older built-ins have no variant
    for name in ("nvdla", "shidiannao", "eyeriss"):
        assert BUILTIN_DATAFLOWS[name].depthwise is None
    assert ws.directives_for(True) is ws.depthwise
    assert ws.directives_for(False) is ws.directives
    nv = BUILTIN_DATAFLOWS["nvdla"]
    assert nv.directives_for(True) is nv.directives


def test_depthwise_variant_is_used_for_dwconv_and_eltwise() -> None:
    ws = get_dataflow("kcp_ws")
    main_only = Dataflow("main-only", ws.directives)
    dw_only = Dataflow("dw-only", ws.depthwise or ())
    dw = Layer("dw", OpKind.DWCONV, K=32, C=32, Y=30, X=30, R=3, S=3, groups=32)
    add = Layer("add", OpKind.ELTWISE, K=64, C=64, Y=28, X=28, groups=64)
    conv = Layer("conv", OpKind.CONV, K=64, C=32, Y=30, X=30, R=3, S=3)

    def cls(df: Dataflow) -> ChipletClass:
        return ChipletClass(df.name, df, n_pes=256, noc_bw=64, mem_bw=32)

    for ly in (dw, add):
        assert analyse_layer(ly, cls(ws)) == analyse_layer(ly, cls(dw_only))
        assert analyse_layer(ly, cls(ws)) != analyse_layer(ly, cls(main_only))
    assert analyse_layer(conv, cls(ws)) == analyse_layer(conv, cls(main_only))
    # hand check of the DSCONV mapping on the 1x1 element-wise layer: one C per PE (64 of 256
    # busy), one output element per step: 28*28 steps, every step's compute is 1 MAC
    la = analyse_layer(add, cls(ws))
    assert la.macs == 64 * 28 * 28
    assert la.avg_active_pes == 64
    assert la.n_levels == 1


@pytest.mark.parametrize(
    ("text", "size", "offset", "printed"),
    [
        ("TemporalMap(Sz(S)+7,8) X;", "S+7", 8, "TemporalMap(Sz(S)+7,8) X;"),
        ("TemporalMap( Sz( s ) + 7 , 8 ) X;", "S+7", 8, "TemporalMap(Sz(S)+7,8) X;"),
        ("SpatialMap(Sz(R)-1,Sz(R)) Y;", "R-1", "R", "SpatialMap(Sz(R)-1,Sz(R)) Y;"),
        ("SpatialMap(Sz(Y')+0,Sz(X')-2) X';", "Y'", "X'-2", "SpatialMap(Sz(Y'),Sz(X')-2) X';"),
        ("TemporalMap(3,1) C;", 3, 1, "TemporalMap(3,1) C;"),
        ("Cluster(Sz(K)+2,P);", "K+2", 1, "Cluster(Sz(K)+2,P);"),
    ],
)
def test_size_expressions_parse_print_and_round_trip(
    text: str, size: int | str, offset: int | str, printed: str
) -> None:
    (d,) = parse_directives(text)
    assert (d.size, d.offset) == (size, offset)
    assert str(d) == printed
    assert parse_directives(str(d)) == (d,)


def test_size_parts() -> None:
    assert size_parts("S+7") == ("S", 7)
    assert size_parts("R") == ("R", 0)
    assert size_parts("X'-12") == ("X'", -12)
    with pytest.raises(MCMSchedError):
        size_parts("S*2")


def test_builtin_texts_round_trip() -> None:
    for df in BUILTIN_DATAFLOWS.values():
        assert Dataflow.parse(df.to_text(), df.name).directives == df.directives
        if df.depthwise is not None:
            assert "Sz(S)" in df.to_text().split("DSCONV")[1]  # the variant is in the text


def test_expression_resolves_per_layer() -> None:
    """``Sz(S)+7`` is 8 for S = 1 and 10 for S = 3: the two layers analysed alone and in one
    batch (same structure group) give the same numbers as the explicit tiles."""
    os_ = get_dataflow("yxp_os")
    explicit = {
        s: Dataflow(f"t{s}", parse_directives(os_.to_text().replace("Sz(S)+7", str(s + 7))))
        for s in (1, 3)
    }
    for s in (1, 3):
        ly = Layer(f"c{s}", OpKind.CONV, K=16, C=8, Y=20 + s - 1, X=20 + s - 1, R=s, S=s)
        got = analyse_layer(ly, ChipletClass("a", os_, n_pes=256, noc_bw=64, mem_bw=32))
        want = analyse_layer(ly, ChipletClass("b", explicit[s], n_pes=256, noc_bw=64, mem_bw=32))
        assert got == want


def test_bad_expressions_are_user_errors() -> None:
    with pytest.raises(MCMSchedError):
        parse_directives("TemporalMap(Sz(S)*7,8) X;")
    df = Dataflow("neg", parse_directives("SpatialMap(1,1) K; TemporalMap(Sz(R)-1,1) Y;"))
    ly = Layer("c", OpKind.CONV, K=16, C=8, Y=20, X=20, R=1, S=1)
    with pytest.raises(MCMSchedError, match="layer 'c'"):
        analyse_layer(ly, ChipletClass("a", df, n_pes=64, noc_bw=64, mem_bw=32))


@pytest.mark.parametrize("df", ["nvdla-maestro", "shidiannao-maestro"])
def test_batch_path_equals_scalar_on_zoo_layers(df: str) -> None:
    layers: list[Layer] = []
    for name in ("scar-resnet50", "scar-gpt-l", "unet"):
        for ly in get_model(name).layers:
            layers += [ly, ly.with_batch(3)]
    cls = ChipletClass(df, get_dataflow(df), n_pes=4096, noc_bw=256, mem_bw=128)
    _check(layers, cls, check_buffers=False)
    small = ChipletClass(df, get_dataflow(df), n_pes=256, noc_bw=16, mem_bw=8)
    _check(layers[::5], small, check_buffers=False)


def test_best_orientation_accepts_a_tuple_of_layers() -> None:
    layers = get_model("scar-gpt-l").layers[:6]
    cls = ChipletClass("ws", get_dataflow("kcp_ws"), n_pes=4096, noc_bw=256, mem_bw=128)
    (a,) = evaluate_layers(tuple(layers), [cls], orientation="best")
    (b,) = evaluate_layers(list(layers), [cls], orientation="best")
    assert list(a.cycles) == list(b.cycles)
    assert a.cycles.min() > 0
