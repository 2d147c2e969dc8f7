"""Objectives: what a search minimises (lower is better).

Named objectives: ``"latency"`` (s), ``"energy"`` (J), ``"edp"`` (J·s), ``"throughput"`` (scored as
minus inferences per second), ``"real-time"`` (XRBench-style: fraction of frames meeting their
deadline, then energy; see :meth:`Objective.score`). A callable ``Metrics -> float`` is a user
objective (lower is better). Searches optimise windows one at a time with a *window key* of the
window's latency and energy: latency for ``latency``/``throughput``/``real-time``, energy for
``energy``, latency x energy for ``edp`` and for user objectives (which are applied to whole
schedules only). Latency keys break ties by energy and energy keys by latency (a 1e-9 weight).

**Targets** (:class:`Target`: a model's latency, an FPS deadline per frame, or a decode phase's
time per output token) turn an objective into a constrained one: :meth:`Objective.score` of a
schedule that misses a target is ``INFEASIBLE * (1 + violation)`` (violation = sum over targets
of ``max(0, value - limit) / limit``), larger than the score of any schedule that meets every
target; schedules that meet them all score as without targets. Every search that compares whole
schedules by ``score`` therefore returns a schedule meeting the targets whenever it scored one,
else the one with the least total relative violation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.schedule.metrics import Metrics, tpot_s
from mcmsched.workload.scenario import Scenario

NAMED = ("latency", "energy", "edp", "throughput", "real-time")
#: Score floor of a schedule that misses a target (far above any latency, energy or EDP).
INFEASIBLE = 1e30
#: Weight of one missed-frame fraction in the ``real-time`` score (J): a schedule that meets one
#: more frame always wins over any energy saving (no schedule spends 1e6 J).
REAL_TIME_WEIGHT = 1e6


@dataclass(frozen=True)
class Target:
    """A per-model target. ``kind``:

    - ``"latency"``: completion time of the model (all samples) <= ``limit_s``;
    - ``"fps"``: sample j of the batch is a frame due at ``(j + 1) / fps``; the measured value is
      the worst response time ``max_j (done_j - j / fps)`` and ``limit_s = 1 / fps`` (for one
      frame: completion <= 1 / fps);
    - ``"tpot"``: time per output token of a decode phase of ``steps`` steps:
      ``(completion - ttft) / steps <= limit_s``, with ttft the completion of the ``after``
      model (its prefill) or, without one, the phase's start.
    """

    model: int
    name: str
    kind: str
    limit_s: float
    fps: float | None = None
    steps: int = 1
    after: int | None = None

    def value(self, m: Metrics) -> float:
        """The measured value (s) compared with ``limit_s``."""
        if self.kind == "fps":
            assert self.fps is not None
            done = m.model_sample_done_s[self.model] if m.model_sample_done_s else ()
            if not done:
                return m.model_completion_s[self.model]
            return max(t - j / self.fps for j, t in enumerate(done))
        if self.kind == "tpot":
            return tpot_s(m, self.model, self.steps, self.after)
        return m.model_completion_s[self.model]

    def slack(self, m: Metrics) -> float:
        """``limit - value`` (s): >= 0 when met."""
        return self.limit_s - self.value(m)

    def frames(self, m: Metrics) -> tuple[int, int]:
        """``(met, total)`` deadlines for the ``real-time`` score: every sample of an ``fps``
        or ``latency`` target is a frame (deadline ``(j + 1) / fps``, resp. ``limit_s``); a
        ``tpot`` target is one frame."""
        if self.kind == "tpot":
            return (int(self.value(m) <= self.limit_s), 1)
        done = m.model_sample_done_s[self.model] if m.model_sample_done_s else ()
        if not done:
            done = (m.model_completion_s[self.model],)
        if self.kind == "fps":
            assert self.fps is not None
            met = sum(t <= (j + 1) / self.fps * (1 + 1e-12) for j, t in enumerate(done))
        else:
            met = sum(t <= self.limit_s * (1 + 1e-12) for t in done)
        return (met, len(done))


def scenario_targets(scenario: Scenario) -> tuple[Target, ...]:
    """The targets the scenario's models declare (``latency_target_s``, ``fps``,
    ``tpot_target_s``), in scenario order."""
    out: list[Target] = []
    for i, e in enumerate(scenario.entries):
        name = e.model.name
        if e.latency_target_s is not None:
            out.append(Target(i, name, "latency", float(e.latency_target_s)))
        if e.fps is not None:
            out.append(Target(i, name, "fps", 1.0 / float(e.fps), fps=float(e.fps)))
        if e.tpot_target_s is not None:
            after = scenario.index_of(e.after) if e.after is not None else None
            out.append(Target(i, name, "tpot", float(e.tpot_target_s), steps=e.steps, after=after))
    return tuple(out)


# Ties of the window latency (a max over models) are common: the remaining models' placements do
# not change it. A 1e-9 s/J (resp. J/s) term breaks such ties by energy (resp. latency) without
# trading any meaningful amount of the primary metric.
TIE_BREAK = 1e-9
ObjectiveLike = str | Callable[[Metrics], float]


@dataclass(frozen=True)
class Objective:
    """A resolved objective: ``name`` is one of :data:`NAMED` or ``"custom"``."""

    name: str
    fn: Callable[[Metrics], float] | None = None
    targets: tuple[Target, ...] = ()

    def violation(self, m: Metrics) -> float:
        """Total relative violation of the targets: ``sum max(0, value - limit) / limit``."""
        return float(sum(max(0.0, -t.slack(m)) / t.limit_s for t in self.targets))

    def met_fraction(self, m: Metrics) -> float:
        """Fraction of the targets' frames that meet their deadline (1 without targets)."""
        met = total = 0
        for t in self.targets:
            a, b = t.frames(m)
            met += a
            total += b
        return met / total if total else 1.0

    def score(self, m: Metrics) -> float:
        """The value to minimise for a whole schedule.

        ``real-time``: ``(1 - met_fraction) * REAL_TIME_WEIGHT + energy_j`` (the targets are the
        deadlines; they are not also constraints). Other objectives with targets: a schedule
        that misses any target scores ``INFEASIBLE * (1 + violation)``; one that meets them
        all scores the plain objective."""
        if self.name == "real-time":
            return (1.0 - self.met_fraction(m)) * REAL_TIME_WEIGHT + m.energy_j
        if self.targets:
            v = self.violation(m)
            if v > 0:
                return INFEASIBLE * (1.0 + v)
        return self.base_score(m)

    def base_score(self, m: Metrics) -> float:
        """The objective's value without targets."""
        if self.fn is not None:
            return float(self.fn(m))
        if self.name == "latency":
            return m.latency_s
        if self.name == "energy":
            return m.energy_j
        if self.name == "throughput":
            return -m.throughput_ips
        return m.edp

    @property
    def window_metric(self) -> str:
        """``latency``, ``energy`` or ``edp``: the per-window key."""
        if self.name in ("latency", "throughput", "real-time"):
            return "latency"
        if self.name == "energy":
            return "energy"
        return "edp"

    def window_key(self, latency_s: Any, energy_j: Any) -> Any:
        """Key of a window (or a model's plan) with this latency and energy (lower is better)."""
        wm = self.window_metric
        if wm == "latency":
            return latency_s + TIE_BREAK * energy_j
        if wm == "energy":
            return energy_j + TIE_BREAK * latency_s
        return latency_s * energy_j

    def with_targets(self, targets: tuple[Target, ...]) -> Objective:
        """The same objective constrained by ``targets``."""
        return Objective(self.name, self.fn, tuple(targets))


def make_objective(
    objective: ObjectiveLike | Objective, targets: tuple[Target, ...] | None = None
) -> Objective:
    """Resolve a name or a callable to an :class:`Objective`; ``targets`` (e.g.
    :func:`scenario_targets`) make it constrained."""
    if isinstance(objective, Objective):
        return objective if targets is None else objective.with_targets(targets)
    if isinstance(objective, str):
        key = objective.lower()
        if key not in NAMED:
            raise MCMSchedError(
                f"unknown objective '{objective}' (valid: {', '.join(NAMED)}, or a function)",
                field="objective",
            )
        return Objective(key, None, tuple(targets or ()))
    if callable(objective):
        return Objective("custom", objective, tuple(targets or ()))
    raise MCMSchedError(f"objective must be a name or a function, got {objective!r}")
