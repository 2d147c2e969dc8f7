"""A scenario: several models run together, each with a batch size (Def. 1 of SCAR)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mcmsched.errors import MCMSchedError
from mcmsched.limits import check_number
from mcmsched.workload.model import Model


@dataclass(frozen=True)
class ScenarioModel:
    """A model in a scenario: its batch (samples to process) and an optional latency target (s)."""

    model: Model
    batch: int
    latency_target_s: float | None = None

    def __post_init__(self) -> None:
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
