"""Schedule data: windows of per-model plans, each plan a chain of segments on chiplets.

A :class:`Schedule` is plain, immutable data (SCAR Def. 9): an ordered tuple of time
:class:`Window` s (barriers); in each window, for each active model, a :class:`ModelPlan` listing
the model's contiguous layer :class:`Segment` s in order, the chiplet each segment runs on, and the
mini-batch size ``b'`` the model's pipeline processes at once. It serialises to JSON and back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mcmsched.errors import MCMSchedError

SPLIT_DIMS = ("K", "Y", "C")


@dataclass(frozen=True)
class Segment:
    """Layers ``[layers[0], layers[1])`` (model layer indices) run on ``chiplet``.

    Intra-layer partitioning: ``chiplets`` is the ordered tuple of chiplets the segment's layers
    are split across (``chiplets[0] == chiplet``; the order is the ring order of the
    collectives) and ``dim`` the split dimension: ``"K"`` (output channels), ``"Y"`` (tokens /
    output rows) or ``"C"`` (input channels). The default is one chiplet and no split
    (``chiplets == (chiplet,)``, ``dim == ""``). See docs/SCHEDULER.md, "Partition model"."""

    layers: tuple[int, int]
    chiplet: int
    chiplets: tuple[int, ...] = ()
    dim: str = ""

    def __post_init__(self) -> None:
        if not self.chiplets:
            object.__setattr__(self, "chiplets", (self.chiplet,))
        else:
            object.__setattr__(self, "chiplets", tuple(self.chiplets))

    @property
    def k(self) -> int:
        """Number of chiplets the segment is split across (1: not split)."""
        return len(self.chiplets)

    @property
    def is_split(self) -> bool:
        return len(self.chiplets) > 1

    @property
    def split_label(self) -> str:
        """``""`` for a one-chiplet segment, else e.g. ``"K/4"`` (dimension / chiplets)."""
        return f"{self.dim}/{self.k}" if self.is_split else ""

    @property
    def start(self) -> int:
        return self.layers[0]

    @property
    def stop(self) -> int:
        return self.layers[1]

    def __len__(self) -> int:
        return self.layers[1] - self.layers[0]


@dataclass(frozen=True)
class ModelPlan:
    """One model in one window: ``segments`` are contiguous, in pipeline order, and cover this
    window's layers of model ``model`` (index into ``scenario.entries``); ``minibatch`` is b'."""

    model: int
    segments: tuple[Segment, ...]
    minibatch: int

    @property
    def layers(self) -> tuple[int, int]:
        """The window's layer range ``[start, stop)`` of this model."""
        return (self.segments[0].start, self.segments[-1].stop)

    @property
    def chiplets(self) -> tuple[int, ...]:
        """The lead chiplet of each segment (``Segment.chiplet``)."""
        return tuple(s.chiplet for s in self.segments)

    @property
    def all_chiplets(self) -> tuple[int, ...]:
        """Every chiplet the plan uses (split segments contribute all their chiplets)."""
        return tuple(c for s in self.segments for c in s.chiplets)


@dataclass(frozen=True)
class Window:
    """A time window (barrier): the plans of the models that run concurrently in it."""

    plans: tuple[ModelPlan, ...]

    @property
    def models(self) -> tuple[int, ...]:
        return tuple(p.model for p in self.plans)


@dataclass(frozen=True)
class Schedule:
    """A full schedule of ``scenario`` (name) on ``package`` (name); ``meta`` holds free-form
    strings (strategy, objective, options used, ...)."""

    windows: tuple[Window, ...]
    scenario: str
    package: str
    meta: dict[str, str] = field(default_factory=dict, compare=False)

    # ---- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "package": self.package,
            "meta": dict(self.meta),
            "windows": [
                [
                    {
                        "model": p.model,
                        "minibatch": p.minibatch,
                        "segments": [_segment_dict(s) for s in p.segments],
                    }
                    for p in w.plans
                ]
                for w in self.windows
            ],
        }

    def to_json(self, indent: int | None = 1) -> str:
        """The schedule as a JSON string (see :meth:`from_json`)."""
        return json.dumps(self.to_dict(), indent=indent)

    @staticmethod
    def from_dict(data: Any, *, source: str | None = None) -> Schedule:
        """Parse the structure written by :meth:`to_dict`; raises :class:`MCMSchedError`."""
        try:
            windows = tuple(
                Window(
                    tuple(
                        ModelPlan(
                            model=_int(p["model"]),
                            minibatch=_int(p["minibatch"]),
                            segments=tuple(
                                Segment(
                                    (_int(s["layers"][0]), _int(s["layers"][1])),
                                    _int(s["chiplet"]),
                                    tuple(_int(c) for c in s.get("chiplets", ())),
                                    _str(s.get("dim", "")),
                                )
                                for s in p["segments"]
                            ),
                        )
                        for p in w
                    )
                )
                for w in data["windows"]
            )
            meta = {str(k): str(v) for k, v in dict(data.get("meta", {})).items()}
            return Schedule(windows, str(data["scenario"]), str(data["package"]), meta)
        except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
            raise MCMSchedError(
                f"malformed schedule: {exc!r}", file=source, field="windows"
            ) from None

    @staticmethod
    def from_json(text: str, *, source: str | None = None) -> Schedule:
        """Inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MCMSchedError(f"not valid JSON: {exc}", file=source) from None
        return Schedule.from_dict(data, source=source)

    # ---- helpers -----------------------------------------------------------------------------
    def plans_of(self, model: int) -> list[tuple[int, ModelPlan]]:
        """``(window index, plan)`` of every window where ``model`` is active, in order."""
        return [(w, p) for w, win in enumerate(self.windows) for p in win.plans if p.model == model]


def _segment_dict(s: Segment) -> dict[str, Any]:
    d: dict[str, Any] = {"layers": [s.start, s.stop], "chiplet": s.chiplet}
    if s.is_split or s.dim:
        d["chiplets"] = list(s.chiplets)
        d["dim"] = s.dim
    return d


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError(f"expected a string, got {v!r}")
    return v


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"expected an integer, got {v!r}")
    return v
