"""A scenario: several models run together, each with a batch size (Def. 1 of SCAR)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mcmsched.errors import MCMSchedError
from mcmsched.limits import check_number
from mcmsched.workload.model import Model


@dataclass(frozen=True)
class ScenarioModel:
    """A model in a scenario: its batch (samples to process) and optional targets.

    - ``latency_target_s``: the model's completion time must not exceed it (s);
    - ``fps``: a periodic model (XRBench): sample j of the batch is a frame due at
      ``(j + 1) / fps`` seconds; the target is met when every frame completes by its deadline;
    - ``steps``: sequential passes over the model per sample (an LLM decode phase generating
      ``steps`` tokens; step t reads a KV cache of ``model.cache_len + t`` tokens). A stepped model
      runs in one window;
    - ``after``: name of the scenario model that must finish first (the decode phase's prefill);
      its window comes after that model's last window;
    - ``tpot_target_s``: for a decode phase, time per output token must not exceed it (s).
    """

    model: Model
    batch: int
    latency_target_s: float | None = None
    fps: float | None = None
    steps: int = 1
    after: str | None = None
    tpot_target_s: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.steps, int) or self.steps <= 0:
            raise MCMSchedError(
                f"model '{self.model.name}': steps must be a positive integer, got {self.steps!r}",
                field="steps",
            )
        for fname in ("fps", "tpot_target_s"):
            v = getattr(self, fname)
            if v is not None and not (v > 0 and v < float("inf")):
                raise MCMSchedError(
                    f"model '{self.model.name}': {fname} must be a positive number, got {v!r}",
                    field=fname,
                )
        if not isinstance(self.batch, int) or self.batch <= 0:
            raise MCMSchedError(
                f"model '{self.model.name}': batch must be a positive integer, got {self.batch!r}",
                field="batch",
            )
        if self.latency_target_s is not None and self.latency_target_s <= 0:
            raise MCMSchedError(
                f"model '{self.model.name}': latency target must be positive",
                field="latency_target_s",
            )
        check_number(self.batch, "batch", what=f"model '{self.model.name}'")
        if self.latency_target_s is not None:
            check_number(
                self.latency_target_s, "latency_target_s", what=f"model '{self.model.name}'"
            )


@dataclass(frozen=True)
class Scenario:
    """Models that share the accelerator, with their batch sizes."""

    name: str
    entries: tuple[ScenarioModel, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(self.entries))
        if not self.entries:
            raise MCMSchedError(f"scenario '{self.name}' has no models", field="models")
        seen: set[str] = set()
        for e in self.entries:
            if e.model.name in seen:
                raise MCMSchedError(
                    f"scenario '{self.name}': model name '{e.model.name}' used twice (rename one)",
                    field="models",
                )
            seen.add(e.model.name)
        for e in self.entries:
            if e.after is not None and (e.after not in seen or e.after == e.model.name):
                raise MCMSchedError(
                    f"scenario '{self.name}': model '{e.model.name}' runs after "
                    f"'{e.after}', which is not another model of the scenario",
                    field="after",
                )

    def index_of(self, name: str) -> int:
        """Index of the model called ``name``."""
        for i, e in enumerate(self.entries):
            if e.model.name == name:
                return i
        raise MCMSchedError(f"scenario '{self.name}': no model '{name}'", field="models")

    @staticmethod
    def of(name: str, *models: tuple[Model, int]) -> Scenario:
        """Shorthand: ``Scenario.of("sc", (gpt2, 1), (resnet, 32))``."""
        return Scenario(name, tuple(ScenarioModel(m, b) for m, b in models))

    def __iter__(self) -> Iterator[ScenarioModel]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def models(self) -> tuple[Model, ...]:
        return tuple(e.model for e in self.entries)

    @property
    def batches(self) -> tuple[int, ...]:
        return tuple(e.batch for e in self.entries)

    @property
    def total_layers(self) -> int:
        return sum(len(e.model) for e in self.entries)

    @property
    def total_macs(self) -> int:
        """MACs of one pass over every model at its scenario batch."""
        return sum(e.model.macs * e.batch for e in self.entries)
