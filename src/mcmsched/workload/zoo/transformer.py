"""Transformer models: GPT-2 (prefill and one decode step), BERT, ViT-B/16, LLaMA-2-7B, and the
coarse 5-GEMM-per-block convention SCAR used.

Layers per block (full form), with ``M`` tokens computed and ``L`` positions attended to:

- ``qkv``: GEMM ``[M, d] x [d, (h + 2 h_kv) d_h]`` (Q, K, V projections fused),
- ``qk``: MATMUL ``Q K^T``, ``av``: MATMUL ``A V`` (softmax is not a layer),
- ``proj``: GEMM ``[M, h d_h] x [h d_h, d]`` (attention output projection),
- ``fc1``/``fc2``: the MLP GEMMs (``d -> f -> d``); LLaMA's SwiGLU has three: ``gate``, ``up``
  (``d -> f``) and ``down`` (``f -> d``).

Attention MATMULs carry the heads as ``groups`` (``C = groups * k``, ``K = groups * n``). With
grouped-query attention (``h_kv < h``) the ``h / h_kv`` query heads that share a key/value head
are stacked along ``M``: ``groups = h_kv`` and ``Y = M * h / h_kv``. MACs are the same as with one
group per query head, and the second operand (the K or V cache) is counted once per KV head, as
it is stored. Attention is counted over the full ``M x L`` score matrix (no causal halving).

Residual adds are not separate layers in transformers: each add is folded into the layer that
produces its second addend, so the DAG has a skip edge from the block input to ``proj`` and from
``proj`` to ``fc2``/``down``. LayerNorm, softmax, GELU and embedding look-ups are not layers.

Conventions that reproduce the published totals (batch 1; checked in ``tests/test_zoo.py``):

- GPT-2 prefill (``seq_len`` tokens, ``L = seq_len``) has no LM head by default: gpt2-small at 128
  tokens is 72 layers, 11,173,625,856 MACs.
- GPT-2 decode computes one new token with ``cache_len`` tokens already in the KV cache, so the
  attention spans ``L = cache_len + 1`` positions (the new token attends to itself too), and it
  includes the LM head (vocabulary 50257): gpt2-small-decode at cache 512 is 132,987,648 MACs
  (0.1330 G). Spanning 512 positions instead would give 132,969,216, which also rounds to 0.1330 G;
  ``cache_len + 1`` is the HF ``past_key_values`` semantics.
- BERT includes the pooler (a ``d x d`` GEMM on the [CLS] token): bert-base at 128 tokens is
  11,174,215,680 MACs (11.1742 G); no MLM/classification head.
- ViT-B/16 at 224 follows Hugging Face's ``ViTModel`` (as BERT does): patch-embedding conv
  (16x16 / 16, 196 patches), 197 tokens (with [CLS]) through 12 blocks, and the pooler (a
  ``d x d`` GEMM on [CLS]), no classification head: 17,563,650,048 MACs (17.5637 G; 86.11 M
  weights, 86,389,248 parameters with biases, norms and embeddings as HF reports).
  ``head=True`` adds the 1000-class head (``pooler=False, head=True`` is torchvision's
  ``vit_b_16``: 17,563,828,224 MACs, 17.5638 G).
- LLaMA-2-7B at 2048 tokens includes the LM head on every position (vocabulary 32000) and full
  (non-causal) attention: 14,630,806,093,824 MACs (14,630.8 G).

Coarse form (``coarse=True``, SCAR's convention as in XRBench's Emformer model file): five GEMMs
per block and nothing else: ``q`` (d -> d), ``kv`` (d -> 2 h_kv d_h), ``proj`` (d -> d), ``ff1``
(d -> f) and ``ff2`` (f -> d), with ``f = 4d`` for GPT-2/BERT/ViT. No attention MATMULs, heads,
pooler or embeddings.

SCAR's GPT-L (120 layers) and BERT-L (60 layers) — INFERRED: SCAR does not state the
decomposition (docs/REFERENCES.md#open-choices item 10). With 5 GEMMs per block, 120 and 60 layers
mean 24
and 12 blocks. ``scar-gpt-l`` is therefore the GPT-2-medium shape (24 blocks, d = 1024, 16 heads)
in coarse form at sequence 128, and ``scar-bert-l`` is 12 coarse blocks at BERT-large width
(d = 1024) at sequence 128. Neither matches GPT-2 Large (36 x 1280) or BERT-Large (24 x 1024).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcmsched.errors import MCMSchedError
from mcmsched.workload.model import Model
from mcmsched.workload.zoo._graph import GraphBuilder


@dataclass(frozen=True)
class TransformerSpec:
    """Shape of a transformer stack (counts of elements)."""

    n_layers: int
    d_model: int
    n_heads: int
    ffn_dim: int
    n_kv_heads: int = 0  # 0: same as n_heads
    gated_ffn: bool = False  # SwiGLU (gate, up, down) instead of fc1, fc2
    vocab: int = 0

    @property
    def kv_heads(self) -> int:
        return self.n_kv_heads or self.n_heads

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def check(self, model: str) -> None:
        """Raise :class:`MCMSchedError` for shapes that do not fit together."""
        for fname, value in (
            ("n_layers", self.n_layers),
            ("d_model", self.d_model),
            ("n_heads", self.n_heads),
            ("ffn_dim", self.ffn_dim),
            ("n_kv_heads", self.kv_heads),
        ):
            if value <= 0:
                raise MCMSchedError(f"model '{model}': {fname} must be positive", field=fname)
        if self.d_model % self.n_heads:
            raise MCMSchedError(
                f"model '{model}': d_model {self.d_model} is not divisible by n_heads "
                f"{self.n_heads}",
                field="n_heads",
            )
        if self.n_heads % self.kv_heads:
            raise MCMSchedError(
                f"model '{model}': n_kv_heads {self.kv_heads} must divide n_heads {self.n_heads}",
                field="n_kv_heads",
            )


GPT2_SPECS: dict[str, TransformerSpec] = {
    "small": TransformerSpec(12, 768, 12, 3072, vocab=50257),
    "medium": TransformerSpec(24, 1024, 16, 4096, vocab=50257),
    "large": TransformerSpec(36, 1280, 20, 5120, vocab=50257),
    "xl": TransformerSpec(48, 1600, 25, 6400, vocab=50257),
}
BERT_SPECS: dict[str, TransformerSpec] = {
    "base": TransformerSpec(12, 768, 12, 3072, vocab=30522),
    "large": TransformerSpec(24, 1024, 16, 4096, vocab=30522),
}
VIT_B16 = TransformerSpec(12, 768, 12, 3072)
LLAMA2_7B = TransformerSpec(32, 4096, 32, 11008, n_kv_heads=32, gated_ffn=True, vocab=32000)


def transformer_stack(
    g: GraphBuilder,
    spec: TransformerSpec,
    tokens: int,
    attended: int,
    prev: str | None,
    *,
    coarse: bool = False,
    kv_cache: bool = False,
) -> str | None:
    """Append ``spec.n_layers`` blocks computing ``tokens`` rows that attend to ``attended``
    positions; ``prev`` is the layer producing the stack input (``None`` for a graph input).
    Returns the name of the last layer.

    ``kv_cache=True`` (the LLM models) records the KV-cache traffic per sample and block, with
    ``d_kv = n_kv_heads * head_dim`` and 1 byte per element: the K/V projection (``qkv``, coarse
    ``kv``) writes ``2 * tokens * d_kv`` bytes; the ``attended - tokens`` positions computed
    earlier are read from the cache, ``(attended - tokens) * d_kv`` bytes of K by ``qk`` and as
    many of V by ``av``. The coarse form (SCAR's five-GEMM convention) records no KV
    traffic, so it keeps the layers of SCAR's models."""
    d, h, hkv, dh, f = spec.d_model, spec.n_heads, spec.kv_heads, spec.head_dim, spec.ffn_dim
    rep = h // hkv  # query heads per KV head
    d_kv = hkv * dh
    kv_cache = kv_cache and not coarse
    cached = max(attended - tokens, 0) if kv_cache else 0
    kv_w = 2 * tokens * d_kv if kv_cache else 0
    for i in range(spec.n_layers):
        p = f"h{i}"
        if coarse:
            q = g.gemm(f"{p}.q", tokens, d, h * dh, prev)
            kv = g.gemm(f"{p}.kv", tokens, d, 2 * hkv * dh, prev)
            proj = g.gemm(f"{p}.proj", tokens, h * dh, d, q, kv, prev)
            ff1 = g.gemm(f"{p}.ff1", tokens, d, f, proj)
            prev = g.gemm(f"{p}.ff2", tokens, f, d, ff1, proj)
            continue
        qkv = g.gemm(f"{p}.qkv", tokens, d, (h + 2 * hkv) * dh, prev, kv_write=kv_w)
        qk = g.matmul(f"{p}.qk", tokens * rep, dh, attended, hkv, qkv, kv_read=cached * d_kv)
        av = g.matmul(f"{p}.av", tokens * rep, attended, dh, hkv, qk, qkv, kv_read=cached * d_kv)
        proj = g.gemm(f"{p}.proj", tokens, h * dh, d, av, prev)
        if spec.gated_ffn:
            gate = g.gemm(f"{p}.gate", tokens, d, f, proj)
            up = g.gemm(f"{p}.up", tokens, d, f, proj)
            prev = g.gemm(f"{p}.down", tokens, f, d, gate, up, proj)
        else:
            fc1 = g.gemm(f"{p}.fc1", tokens, d, f, proj)
            prev = g.gemm(f"{p}.fc2", tokens, f, d, fc1, proj)
    return prev


def _positive(model: str, **values: int) -> None:
    for key, value in values.items():
        if value <= 0:
            raise MCMSchedError(f"model '{model}': {key} must be positive", field=key)


def gpt2(size: str, seq_len: int = 128, coarse: bool = False, lm_head: bool = False) -> Model:
    """GPT-2 ``size`` (small/medium/large/xl), prefill of ``seq_len`` tokens."""
    name = f"gpt2-{size}"
    _positive(name, seq_len=seq_len)
    spec = GPT2_SPECS[size]
    g = GraphBuilder()
    last = transformer_stack(g, spec, seq_len, seq_len, None, coarse=coarse, kv_cache=True)
    if lm_head and not coarse:
        g.gemm("lm_head", seq_len, spec.d_model, spec.vocab, last)
    return g.build(name)


def gpt2_decode(
    size: str, cache_len: int = 512, coarse: bool = False, lm_head: bool = True
) -> Model:
    """One GPT-2 decode step: 1 new token, ``cache_len`` cached tokens (spans cache_len + 1)."""
    name = f"gpt2-{size}-decode"
    _positive(name, cache_len=cache_len)
    spec = GPT2_SPECS[size]
    g = GraphBuilder()
    last = transformer_stack(g, spec, 1, cache_len + 1, None, coarse=coarse, kv_cache=True)
    if lm_head and not coarse:
        g.gemm("lm_head", 1, spec.d_model, spec.vocab, last)
    return g.build(name, cache_len=cache_len)


def bert(size: str, seq_len: int = 128, coarse: bool = False, pooler: bool = True) -> Model:
    """BERT ``size`` (base/large) encoder over ``seq_len`` tokens, with the pooler."""
    name = f"bert-{size}"
    _positive(name, seq_len=seq_len)
    spec = BERT_SPECS[size]
    g = GraphBuilder()
    last = transformer_stack(g, spec, seq_len, seq_len, None, coarse=coarse)
    if pooler and not coarse:
        g.gemm("pooler", 1, spec.d_model, spec.d_model, last)
    return g.build(name)


def vit_b16(
    image: int = 224,
    coarse: bool = False,
    pooler: bool = True,
    head: bool = False,
    num_classes: int = 1000,
) -> Model:
    """ViT-B/16: 16x16 patch embedding, [CLS] + patches through 12 blocks, pooler and/or
    class head on [CLS]."""
    name = "vit-b16"
    _positive(name, num_classes=num_classes)
    if image < 16:
        raise MCMSchedError(
            f"model '{name}': image size {image} is below the patch size 16", field="image"
        )
    spec = VIT_B16
    patches = (image // 16) ** 2
    g = GraphBuilder()
    if coarse:
        transformer_stack(g, spec, patches + 1, patches + 1, None, coarse=True)
        return g.build(name)
    embed, _ = g.conv("patch_embed", 3, spec.d_model, image, 16, stride=16)
    last = transformer_stack(g, spec, patches + 1, patches + 1, embed)
    if pooler:
        last = g.gemm("pooler", 1, spec.d_model, spec.d_model, last)
    if head:
        g.gemm("head", 1, spec.d_model, num_classes, last)
    return g.build(name)


def llama(
    name: str,
    spec: TransformerSpec,
    tokens: int,
    attended: int,
    coarse: bool,
    lm_head: bool,
) -> Model:
    """A LLaMA-style decoder (SwiGLU FFN, grouped-query attention) over ``tokens`` rows, with
    KV-cache traffic (``attended - tokens`` cached positions)."""
    spec.check(name)
    g = GraphBuilder()
    last = transformer_stack(g, spec, tokens, attended, None, coarse=coarse, kv_cache=True)
    if lm_head and not coarse:
        g.gemm("lm_head", tokens, spec.d_model, spec.vocab, last)
    return g.build(name, cache_len=attended - tokens)


def _llama2_7b_spec(n_layers: int, n_kv_heads: int) -> TransformerSpec:
    """LLaMA-2-7B's shape with ``n_layers`` blocks and ``n_kv_heads`` key/value heads."""
    return TransformerSpec(
        n_layers,
        LLAMA2_7B.d_model,
        LLAMA2_7B.n_heads,
        LLAMA2_7B.ffn_dim,
        n_kv_heads=n_kv_heads,
        gated_ffn=True,
        vocab=LLAMA2_7B.vocab,
    )


def llama2_7b(
    seq_len: int = 2048,
    n_kv_heads: int = 32,
    n_layers: int = 32,
    coarse: bool = False,
    lm_head: bool = True,
) -> Model:
    """LLaMA-2-7B prefill of ``seq_len`` tokens (``n_kv_heads`` < 32 gives GQA)."""
    _positive("llama2-7b", seq_len=seq_len)
    spec = _llama2_7b_spec(n_layers, n_kv_heads)
    return llama("llama2-7b", spec, seq_len, seq_len, coarse, lm_head)


def llama2_7b_decode(
    cache_len: int = 2048,
    n_kv_heads: int = 32,
    n_layers: int = 32,
    coarse: bool = False,
    lm_head: bool = True,
) -> Model:
    """One LLaMA-2-7B decode step with ``cache_len`` cached tokens (spans cache_len + 1)."""
    _positive("llama2-7b-decode", cache_len=cache_len)
    spec = _llama2_7b_spec(n_layers, n_kv_heads)
    return llama("llama2-7b-decode", spec, 1, cache_len + 1, coarse, lm_head)


def scar_gpt_l(seq_len: int = 128) -> Model:
    """SCAR's GPT-L (INFERRED): GPT-2-medium shape in coarse form, 24 x 5 = 120 GEMMs."""
    _positive("scar-gpt-l", seq_len=seq_len)
    g = GraphBuilder()
    transformer_stack(g, GPT2_SPECS["medium"], seq_len, seq_len, None, coarse=True)
    return g.build("scar-gpt-l")


def scar_bert_l(seq_len: int = 128) -> Model:
    """SCAR's BERT-L (INFERRED): 12 coarse blocks at d = 1024, 12 x 5 = 60 GEMMs."""
    _positive("scar-bert-l", seq_len=seq_len)
    spec = TransformerSpec(12, 1024, 16, 4096)
    g = GraphBuilder()
    transformer_stack(g, spec, seq_len, seq_len, None, coarse=True)
    return g.build("scar-bert-l")
