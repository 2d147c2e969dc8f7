"""Named scenarios: SCAR's datacenter workloads (Table III, Sc1-Sc5) and paper 1's pair.

SCAR's model names map to zoo models as follows (docs/REFERENCES.md#scar-workloads): GPT-L ->
``scar-gpt-l``
(seq 128), BERT-L -> ``scar-bert-l`` (seq 128), ResNet-50 -> ``scar-resnet50`` (224x224x3),
U-Net -> ``scar-unet`` (512x512x1), BERT-base (128) -> ``bert-base`` in the coarse 5-GEMM form
(named ``bert-base[coarse=True]``), GoogleNet -> ``googlenet`` (224x224x3). Batches are Table
III's. ``paper1`` is GPT-2 small prefill at 128 tokens plus ResNet-50, batch 1 each (paper 1's
"GPT-2 and ResNet-50"; variant and batch are INFERRED, docs/REFERENCES.md#paper-1-experiment).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from mcmsched.errors import MCMSchedError
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario
from mcmsched.workload.zoo.registry import get_model


def _gpt_l() -> Model:
    return get_model("scar-gpt-l")


def _bert_l() -> Model:
    return get_model("scar-bert-l")


def _resnet() -> Model:
    return get_model("scar-resnet50")


def _unet() -> Model:
    return get_model("scar-unet")


def _bert_base() -> Model:
    return get_model("bert-base", coarse=True)


def _googlenet() -> Model:
    return get_model("googlenet")


# name -> (description, [(model factory, batch), ...])
_SCENARIOS: dict[str, tuple[str, list[tuple[Callable[[], Model], int]]]] = {
    "scar-sc1": ("SCAR Sc1, LMs", [(_gpt_l, 1), (_bert_l, 3)]),
    "scar-sc2": ("SCAR Sc2, LMs + image", [(_gpt_l, 1), (_bert_l, 3), (_resnet, 1)]),
    "scar-sc3": ("SCAR Sc3, LMs + image", [(_gpt_l, 1), (_bert_l, 3), (_resnet, 32)]),
    "scar-sc4": (
        "SCAR Sc4, LMs + segmentation + image",
        [(_gpt_l, 8), (_bert_l, 24), (_unet, 1), (_resnet, 32)],
    ),
    "scar-sc5": (
        "SCAR Sc5, LMs + segmentation + image",
        [(_gpt_l, 8), (_bert_l, 24), (_bert_base, 24), (_unet, 1), (_resnet, 32), (_googlenet, 32)],
    ),
    "paper1": (
        "Paper 1: GPT-2 small prefill (seq 128) + ResNet-50, batch 1 each",
        [(lambda: get_model("gpt2-small"), 1), (lambda: get_model("resnet50"), 1)],
    ),
}


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios."""
    return list(_SCENARIOS)


def scenario_description(name: str) -> str:
    """One-line description of a built-in scenario."""
    return _lookup(name)[0]


def _lookup(name: str) -> tuple[str, list[tuple[Callable[[], Model], int]]]:
    key = str(name).strip().lower()
    if key not in _SCENARIOS:
        close = difflib.get_close_matches(key, list(_SCENARIOS), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise MCMSchedError(
            f"unknown scenario {name!r}; {hint}valid: {', '.join(_SCENARIOS)}", field="scenario"
        )
    return _SCENARIOS[key]


def get_scenario(name: str) -> Scenario:
    """The built-in scenario ``name`` (models with their batch sizes)."""
    _, members = _lookup(name)
    return Scenario.of(str(name).strip().lower(), *((make(), batch) for make, batch in members))
