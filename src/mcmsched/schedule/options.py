"""Evaluation options: every decision the papers leave open (docs/REFERENCES.md#open-choices), with
a documented default.

See docs/SCHEDULER.md for the full semantics. Summary of the defaults:

- ``minibatch_rule="divisor-fit"``: b' is the largest divisor of the batch b such that, for every
  segment, the weights plus the live activations of b' samples fit the chiplet's L2; if no divisor
  fits with weights, the largest divisor whose activations alone fit (weights are then streamed
  from DRAM for every mini-batch); if none, b' = 1. Other rules: ``"fit"`` (any b' <= b, the
  number of mini-batches is ceil(b / b')), ``"full"`` (b' = b), ``"single"`` (b' = 1),
  ``"search"`` (b' is a search decision per model and window: the divisor-fit choice first, then
  every b' = ceil(b / k) whose activations fit L2; any 1 <= b' <= b is valid; the last of the
  ceil(b / b') mini-batches is charged as a full one).
- ``window_boundary="dram"``: a model's first segment in a window reads its input activation
  from DRAM and its last segment writes its output to DRAM (windows regroup chiplets).
  ``"nop"``: an activation that crosses a window boundary moves chiplet-to-chiplet over the NoP
  (from the chiplet of the model's last segment in the previous window); the model's very first
  input and final output still use DRAM.
- ``weight_reload="once"``: a segment's weights are loaded from DRAM once per window if they fit
  in L2 next to the activations of b' samples (otherwise they are streamed for every mini-batch);
  ``"per-minibatch"`` reloads them for every mini-batch.
- ``contention="none"``: δ = 0. ``"link-sharing"``: each inter-segment NoP transfer of a window
  pays, as δ, the serialization of the other same-window NoP flows that share its most loaded
  XY-routed link (bytes of those flows / link bandwidth).
- ``memory="spill"``: a layer whose input plus output activations do not fit in the L2 left
  beside the resident weights spills its output to DRAM and reads it back; ``"strict"``: the
  schedule is invalid when a segment's weights plus the activations of b' samples exceed L2.
- ``skip="transfer"``: a dependency edge (u, v) other than the chain edge (v = u + 1) whose layers
  sit in different segments costs an extra NoP transfer of u's output (same window) or a DRAM
  write plus read (different windows). ``"ignore"`` charges nothing for such edges.
- ``dram_sharing="interface"``: each DRAM interface has the DRAM bandwidth and every chiplet's
  DRAM traffic goes through its nearest interface: concurrent loads of a split segment's shards
  share it, and a window lasts at least its busiest interface's bytes / bandwidth.
  ``"none"``: every chiplet loads at the full DRAM bandwidth (SCAR's model).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from mcmsched.errors import MCMSchedError

MinibatchRule = Literal["divisor-fit", "fit", "full", "single", "search"]
WindowBoundary = Literal["dram", "nop"]
WeightReload = Literal["once", "per-minibatch"]
Contention = Literal["none", "link-sharing"]
MemoryMode = Literal["spill", "strict"]
SkipMode = Literal["transfer", "ignore"]
DramSharing = Literal["interface", "none"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "minibatch_rule": ("divisor-fit", "fit", "full", "single", "search"),
    "window_boundary": ("dram", "nop"),
    "weight_reload": ("once", "per-minibatch"),
    "contention": ("none", "link-sharing"),
    "memory": ("spill", "strict"),
    "skip": ("transfer", "ignore"),
    "dram_sharing": ("interface", "none"),
}


#: Evaluation-option defaults for users (``run``, ``compare``, sweeps) that differ from the
#: dataclass defaults (which stay SCAR's rules for the reproduction experiments): b' is a search
#: decision per model and window (``minibatch_rule="search"``).
USER_EVAL_DEFAULTS: dict[str, object] = {"minibatch_rule": "search"}


@dataclass(frozen=True)
class EvalOptions:
    """How a schedule is scored (see the module docstring for each option's meaning)."""

    minibatch_rule: MinibatchRule = "divisor-fit"
    window_boundary: WindowBoundary = "dram"
    weight_reload: WeightReload = "once"
    contention: Contention = "none"
    memory: MemoryMode = "spill"
    skip: SkipMode = "transfer"
    dram_sharing: DramSharing = "interface"

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v not in _CHOICES[f.name]:
                raise MCMSchedError(
                    f"unknown value {v!r} (valid: {', '.join(_CHOICES[f.name])})", field=f.name
                )

    @property
    def requires_divisor(self) -> bool:
        """True if b' must divide the batch."""
        return self.minibatch_rule == "divisor-fit"

    def to_dict(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}
