"""The model registry: names, descriptions, options with defaults, and ``get_model``.

Option values may be given as Python values or as strings (from the command line); they are
converted to the type of the option's default (``int`` or ``bool``). A model built with
non-default options is named ``name[key=value,...]`` (options in their declared order), so two
variants of one model can share a scenario.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.workload.model import Model
from mcmsched.workload.zoo import cnn, transformer, unet

Builder = Callable[..., Model]


@dataclass(frozen=True)
class ZooEntry:
    """A built-in model: its name, a one-line description and its options (name -> default,
    read-only)."""

    name: str
    description: str
    options: Mapping[str, int | bool] = field(hash=False)
    builder: Builder = field(repr=False, compare=False, hash=False)


_ENTRIES: dict[str, ZooEntry] = {}


def _register(name: str, description: str, builder: Builder, **options: int | bool) -> None:
    _ENTRIES[name] = ZooEntry(name, description, MappingProxyType(dict(options)), builder)


_register(
    "resnet50",
    "ResNet-50 v1.5 (torchvision), 53 conv + fc + 16 residual adds",
    cnn.resnet50,
    image=224,
    num_classes=1000,
)
_register(
    "resnext50",
    "ResNeXt-50 32x4d (torchvision), 53 conv (16 grouped) + fc + 16 residual adds",
    cnn.resnext50,
    image=224,
    num_classes=1000,
)
_register(
    "scar-resnet50",
    "ResNet-50 in MAESTRO's 66-layer layout used by SCAR (no projection convs)",
    cnn.scar_resnet50,
    image=224,
    num_classes=1000,
)
_register(
    "googlenet",
    "GoogLeNet / Inception v1 (paper Table 1, 5x5 branches)",
    cnn.googlenet,
    image=224,
    num_classes=1000,
)
_register(
    "mobilenetv2",
    "MobileNetV2 1.0 with residual adds",
    cnn.mobilenetv2,
    image=224,
    num_classes=1000,
)
_register(
    "unet",
    "U-Net, original 572x572x1 network (valid convs, 23 layers)",
    unet.unet,
    image=572,
    same_padding=False,
)
_register(
    "scar-unet",
    "U-Net at 512x512x1 as in SCAR Table III (23 layers)",
    unet.scar_unet,
    image=512,
    same_padding=False,
)
for _size in ("small", "medium", "large", "xl"):
    _spec = transformer.GPT2_SPECS[_size]
    _shape = f"{_spec.n_layers} blocks, d={_spec.d_model}"
    _register(
        f"gpt2-{_size}",
        f"GPT-2 {_size} prefill ({_shape}), no LM head",
        partial(transformer.gpt2, _size),
        seq_len=128,
        coarse=False,
        lm_head=False,
    )
    _register(
        f"gpt2-{_size}-decode",
        f"GPT-2 {_size} one decode step with KV cache ({_shape}), LM head",
        partial(transformer.gpt2_decode, _size),
        cache_len=512,
        coarse=False,
        lm_head=True,
    )
for _size in ("base", "large"):
    _spec = transformer.BERT_SPECS[_size]
    _register(
        f"bert-{_size}",
        f"BERT {_size} encoder ({_spec.n_layers} blocks, d={_spec.d_model}) with pooler",
        partial(transformer.bert, _size),
        seq_len=128,
        coarse=False,
        pooler=True,
    )
_register(
    "vit-b16",
    "ViT-B/16 (patch embedding, 197 tokens, 12 blocks, pooler; HF ViTModel)",
    transformer.vit_b16,
    image=224,
    coarse=False,
    pooler=True,
    head=False,
    num_classes=1000,
)
_register(
    "llama2-7b",
    "LLaMA-2-7B prefill (SwiGLU, GQA option), LM head on all tokens",
    transformer.llama2_7b,
    seq_len=2048,
    n_kv_heads=32,
    n_layers=32,
    coarse=False,
    lm_head=True,
)
_register(
    "llama2-7b-decode",
    "LLaMA-2-7B one decode step with KV cache, LM head",
    transformer.llama2_7b_decode,
    cache_len=2048,
    n_kv_heads=32,
    n_layers=32,
    coarse=False,
    lm_head=True,
)
_register(
    "scar-gpt-l",
    "SCAR's GPT-L (INFERRED): GPT-2-medium shape, 24 blocks x 5 GEMMs",
    transformer.scar_gpt_l,
    seq_len=128,
)
_register(
    "scar-bert-l",
    "SCAR's BERT-L (INFERRED): 12 blocks x 5 GEMMs at d=1024",
    transformer.scar_bert_l,
    seq_len=128,
)


def list_models() -> list[ZooEntry]:
    """Every built-in model, in registration order."""
    return list(_ENTRIES.values())


def model_names() -> list[str]:
    """Names of the built-in models."""
    return list(_ENTRIES)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return f"{hint}valid: {', '.join(choices)}"


def get_entry(name: str) -> ZooEntry:
    """The registry entry of ``name`` (case-insensitive); unknown names raise with suggestions."""
    key = str(name).strip().lower()
    entry = _ENTRIES.get(key)
    if entry is None:
        raise MCMSchedError(
            f"unknown model {name!r}; {_suggest(key, list(_ENTRIES))}", field="model"
        )
    return entry


_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f"}


def _coerce(model: str, key: str, value: Any, default: int | bool) -> int | bool:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise MCMSchedError(
            f"model '{model}': option {key} must be true or false, got {value!r}", field=key
        )
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if number is None or number <= 0:
        raise MCMSchedError(
            f"model '{model}': option {key} must be a positive integer, got {value!r}", field=key
        )
    return number


def resolve_options(entry: ZooEntry, options: Mapping[str, Any]) -> dict[str, int | bool]:
    """Defaults of ``entry`` overridden by ``options`` (converted to the defaults' types)."""
    values = dict(entry.options)
    for key, value in options.items():
        if key not in entry.options:
            valid = list(entry.options)
            raise MCMSchedError(
                f"model '{entry.name}': unknown option {key!r}; "
                + (_suggest(key, valid) if valid else "it takes no options"),
                field=key,
            )
        values[key] = _coerce(entry.name, key, value, entry.options[key])
    return values


def get_model(name: str, **options: Any) -> Model:
    """Build the zoo model ``name`` with ``options`` (see :func:`list_models` for each model's
    options and defaults). Unknown names or options raise :class:`MCMSchedError`. Models are
    immutable, so repeated calls with the same options return the same cached object."""
    entry = get_entry(name)
    values = resolve_options(entry, options)
    return _build(entry.name, tuple(values.items()))


@lru_cache(maxsize=128)
def _build(name: str, values: tuple[tuple[str, int | bool], ...]) -> Model:
    entry = _ENTRIES[name]
    model = entry.builder(**dict(values))
    changed = [f"{k}={v}" for k, v in values if v != entry.options[k]]
    label = f"{entry.name}[{','.join(changed)}]" if changed else entry.name
    return Model(
        name=label,
        layers=model.layers,
        edges=model.edges,
        default_batch=model.default_batch,
        source=f"zoo:{label}",
        cache_len=model.cache_len,
    )
