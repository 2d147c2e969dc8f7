"""PyTorch / Hugging Face importer: small modules with hand-computed layers, and GPT-2 / ResNet-50
from transformers configs (no weights) cross-checked layer by layer against the zoo."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from transformers import GPT2Config, ResNetConfig, ResNetForImageClassification

from mcmsched.errors import MCMSchedError
from mcmsched.workload import Layer, Model, OpKind
from mcmsched.workload.importers.torch_import import load_hf_config, trace_torch
from mcmsched.workload.zoo import get_model


def _key(layer: Layer) -> tuple[object, ...]:
    return (
        layer.kind,
        layer.K,
        layer.C,
        layer.Y,
        layer.X,
        layer.R,
        layer.S,
        layer.stride_y,
        layer.stride_x,
        layer.groups,
        layer.N,
    )


def _same_layers(ours: Model, zoo: Model) -> None:
    assert len(ours) == len(zoo)
    for a, b in zip(ours.layers, zoo.layers, strict=True):
        assert _key(a) == _key(b), (a.name, b.name)
    assert ours.macs == zoo.macs
    assert set(ours.edges) == set(zoo.edges)


def test_gpt2_small_matches_zoo() -> None:
    ours = load_hf_config(GPT2Config(), seq_len=128, include_eltwise=False)
    zoo = get_model("gpt2-small", seq_len=128)
    assert len(ours) == 72
    _same_layers(ours, zoo)
    assert ours.macs == 11_173_625_856
    kinds = [layer.kind for layer in ours.layers[:6]]
    assert kinds == [
        OpKind.GEMM,
        OpKind.MATMUL,
        OpKind.MATMUL,
        OpKind.GEMM,
        OpKind.GEMM,
        OpKind.GEMM,
    ]
    assert [layer.name for layer in ours.layers[:3]] == [
        "h.0.attn.c_attn",
        "h.0.attn.qk",
        "h.0.attn.av",
    ]
    # with residual adds as layers: two per block, each [128, 768]
    with_adds = load_hf_config(GPT2Config(), seq_len=128)
    adds = [layer for layer in with_adds.layers if layer.kind is OpKind.ELTWISE]
    assert len(with_adds) == 96 and len(adds) == 24
    assert all((a.C, a.Y, a.X, a.macs) == (768, 128, 1, 768 * 128) for a in adds)


def test_resnet50_matches_zoo() -> None:
    with torch.device("meta"):  # no weight memory
        net = ResNetForImageClassification(ResNetConfig(num_labels=1000))
    ours = trace_torch(net, torch.empty(1, 3, 224, 224, device="meta"), name="resnet50")
    zoo = get_model("resnet50")
    kinds = [layer.kind for layer in ours.layers]
    assert (kinds.count(OpKind.CONV), kinds.count(OpKind.GEMM), kinds.count(OpKind.ELTWISE)) == (
        53,
        1,
        16,
    )
    _same_layers(ours, zoo)
    assert ours.macs == 4_089_184_256 + 5_519_360  # convs + fc, plus the 16 adds
    # the base model from the config alone has no classifier
    base = load_hf_config("resnet")
    assert len(base) == 69 and base.macs == ours.macs - 2048 * 1000


class _Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.conv(x))  # [1, 8, 4, 4]
        b = self.dw(a)  # [1, 8, 4, 4]
        c = self.up(a + b)  # residual add, then [1, 4, 8, 8]
        return self.fc(c.flatten(1))


def test_small_module_by_hand() -> None:
    m = trace_torch(_Small(), torch.randn(1, 3, 8, 8), name="small")
    assert [layer.name for layer in m.layers] == ["conv", "dw", "add", "up", "fc"]
    conv, dw, add, up, fc = m.layers
    # pad 1 each side: Y = 8 + 2 = 10, output (10 - 3) // 2 + 1 = 4
    assert _key(conv) == (OpKind.CONV, 8, 3, 10, 10, 3, 3, 2, 2, 1, 1)
    assert conv.macs == 8 * 3 * 9 * 4 * 4
    # depthwise, pad 2, dilation 2: output 4, Y = (4 - 1) * 1 + 3 = 6
    assert _key(dw) == (OpKind.DWCONV, 8, 8, 6, 6, 3, 3, 1, 1, 8, 1)
    assert dw.out_y == 4 and dw.macs == 8 * 9 * 16
    assert _key(add) == (OpKind.ELTWISE, 8, 8, 4, 4, 1, 1, 1, 1, 8, 1)
    # transposed 2x2 / 2: 4 -> 8
    assert _key(up) == (OpKind.TRCONV, 4, 8, 4, 4, 2, 2, 2, 2, 1, 1)
    assert up.out_y == 8 and up.macs == 4 * 8 * 16 * 4
    assert _key(fc) == (OpKind.GEMM, 10, 256, 1, 1, 1, 1, 1, 1, 1, 1)
    # conv feeds dw and the add (through relu); the add joins conv and dw
    assert set(m.edges) == {(0, 1), (0, 2), (1, 2), (2, 3), (3, 4)}


class _Attention(nn.Module):
    """Grouped-query attention: 8 query heads, 2 key/value heads, plus an explicit matmul."""

    def __init__(self) -> None:
        super().__init__()
        self.q = nn.Linear(64, 64, bias=False)
        self.kv = nn.Linear(64, 32, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        q = self.q(x).view(b, s, 8, 8).transpose(1, 2)  # [b, 8, s, 8]
        k, v = self.kv(x).view(b, s, 2, 2, 8).unbind(2)  # [b, s, 2, 8] each
        k, v = k.transpose(1, 2), v.transpose(1, 2)  # [b, 2, s, 8]
        o = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)  # [b, 8, s, 8]
        scores = torch.matmul(q, q.transpose(-1, -2))  # activation x activation, 8 heads
        return o.sum() + scores.sum()


def test_attention_by_hand() -> None:
    m = trace_torch(_Attention(), torch.randn(3, 16, 64), name="attn")
    q, kv, qk, av, mm = m.layers
    assert _key(q) == (OpKind.GEMM, 64, 64, 48, 1, 1, 1, 1, 1, 1, 1)  # 3 * 16 rows
    assert _key(kv) == (OpKind.GEMM, 32, 64, 48, 1, 1, 1, 1, 1, 1, 1)
    # SDPA split in two: 2 KV heads as groups, the 4 query heads per KV head stacked on M
    assert (qk.kind, qk.N, qk.groups, qk.Y, qk.C, qk.K) == (OpKind.MATMUL, 3, 2, 64, 16, 32)
    assert qk.macs == 3 * 8 * 16 * 8 * 16  # batch * heads * M * d * L
    assert (av.kind, av.N, av.groups, av.Y, av.C, av.K) == (OpKind.MATMUL, 3, 2, 64, 32, 16)
    assert av.macs == qk.macs
    assert (mm.kind, mm.N, mm.groups, mm.Y, mm.C, mm.K) == (OpKind.MATMUL, 3, 8, 16, 64, 128)
    assert mm.params == 0 and mm.macs == 3 * 8 * 16 * 8 * 16
    assert set(m.edges) == {(0, 2), (1, 2), (1, 3), (2, 3), (0, 4)}


def test_errors() -> None:
    with pytest.raises(MCMSchedError, match=r"expected a torch\.nn\.Module"):
        trace_torch(object(), torch.zeros(1), name="x")
    with pytest.raises(MCMSchedError, match="no compute layers"):
        trace_torch(nn.ReLU(), torch.zeros(2, 3), name="relu")
    with pytest.raises(MCMSchedError, match="not downloaded"):
        load_hf_config("openai-community/gpt2-not-a-type")
    with pytest.raises(MCMSchedError, match="tracing 'bad' failed"):
        trace_torch(nn.Linear(4, 5), torch.zeros(2, 3), name="bad")  # shape mismatch
    with pytest.raises(MCMSchedError, match="expected a transformers config"):
        load_hf_config(42)


def test_missing_torch_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(MCMSchedError, match=r"pip install mcmsched\[torch\]"):
        trace_torch(object(), None, name="x")
    with pytest.raises(MCMSchedError, match=r"pip install mcmsched\[torch\]"):
        load_hf_config("gpt2")


def test_bert_vit_t5_from_configs() -> None:
    """BERT and ViT have separate Q, K, V projections (three GEMMs where the zoo fuses one), so
    the layer counts differ, but the MAC totals must equal the zoo's."""
    from transformers import BertConfig, T5Config, ViTConfig

    bert = load_hf_config(BertConfig(), seq_len=128, include_eltwise=False)
    kinds = [layer.kind for layer in bert.layers]
    assert (kinds.count(OpKind.GEMM), kinds.count(OpKind.MATMUL)) == (12 * 6 + 1, 12 * 2)
    assert bert.macs == get_model("bert-base", seq_len=128).macs == 11_174_215_680
    vit = load_hf_config(ViTConfig(), include_eltwise=False)
    assert vit.layers[0].kind is OpKind.CONV and vit.layers[0].stride_y == 16
    assert vit.macs == get_model("vit-b16").macs
    # encoder-decoder: decoder_input_ids are supplied; T5 writes attention as torch.matmul
    t5 = load_hf_config(T5Config(num_layers=2, num_decoder_layers=2), seq_len=32)
    mm = [layer for layer in t5.layers if layer.kind is OpKind.MATMUL]
    assert len(mm) == 2 * 2 + 2 * 4  # encoder: qk, av; decoder: self and cross attention
    assert all((layer.groups, layer.Y, layer.N) == (8, 32, 1) for layer in mm)


def test_grouped_conv_module() -> None:
    # nn.Conv2d(8, 12, 3, groups=4): 4 groups of 2 -> 3 channels (not depthwise)
    m = trace_torch(nn.Conv2d(8, 12, 3, padding=1, groups=4), torch.randn(1, 8, 10, 10), name="g")
    (ly,) = m.layers
    assert (ly.kind, ly.K, ly.C, ly.groups, ly.Y, ly.R) == (OpKind.CONV, 12, 8, 4, 12, 3)
    assert ly.macs == 12 * 2 * 9 * 10 * 10
    assert ly.params == sum(
        p.numel() for n, p in nn.Conv2d(8, 12, 3, groups=4).named_parameters() if n == "weight"
    )
