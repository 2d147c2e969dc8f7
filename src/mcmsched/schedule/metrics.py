"""The score of a schedule (what :func:`mcmsched.schedule.evaluate.evaluate` returns)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mcmsched.workload.scenario import Scenario


@dataclass(frozen=True)
class TimelineEvent:
    """One bar of a Gantt chart: ``chiplet`` runs segment ``segment`` of ``model`` in ``window``
    from ``start_s`` to ``end_s`` (scenario time, seconds).

    ``kind`` is ``"fill"`` (the first mini-batch passing the stage: weights load, input, compute,
    output; the chiplet is busy the whole bar) or ``"steady"`` (the remaining ``n_mb - 1``
    mini-batches: the bar spans the stage's steady-state interval of ``n_mb - 1`` pipeline periods,
    during which the chiplet is busy ``busy_s`` in all, i.e. its own stage time of every period).
    A segment split across k chiplets has one bar per chiplet, ``split`` naming the split."""

    chiplet: int
    model: int
    window: int
    segment: int
    start_s: float
    end_s: float
    kind: str
    busy_s: float
    split: str = ""  # "" or the segment's split, e.g. "K/4" (dimension / chiplets)


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy by component (J): on-chiplet compute (MAC + L1 + L2), NoP chiplet-to-chiplet
    transfers, DRAM accesses (including the NoP hops to the DRAM interface).
    ``collective_j`` is the part of ``nop_j`` spent in the all-gathers / reduce-scatters of
    split segments (already included in ``nop_j`` and ``total_j``)."""

    compute_j: float
    nop_j: float
    dram_j: float
    collective_j: float = 0.0

    @property
    def total_j(self) -> float:
        return self.compute_j + self.nop_j + self.dram_j


@dataclass(frozen=True)
class Metrics:
    """Scenario-level results (s, J, J·s).

    - ``latency_s``: sum of window latencies (windows are barriers); a window's latency is the
      maximum of its models' pipelined latencies.
    - ``energy_j``: compute + NoP + DRAM energy of every window; ``edp = energy_j * latency_s``.
    - ``throughput_ips``: inferences per second = total samples of the scenario (sum of the
      models' batches) / ``latency_s``.
    - ``window_latency_s`` / ``window_energy_j``: per window, in order.
    - ``model_energy``: per model (scenario order); ``model_latency_s[m][w]``: model m's
      pipelined latency in window w (0 where inactive).
    - ``model_period_s[m][w]``: model m's steady-state pipeline period in window w (s per
      mini-batch of b' samples: its slowest steady stage; 0 where inactive), for steady-state
      throughput figures (b' / period).
    - ``model_completion_s``: per model, the sum of the latencies of the windows before its last
      active window plus its own latency in that window (docs/REFERENCES.md#scar-performance-model).
    - ``chiplet_busy_s``: per chiplet, time spent running segments (fill + steady stage times);
      ``chiplet_utilisation = busy / latency_s``.
    - ``timeline``: Gantt bars (see :class:`TimelineEvent`).
    - ``collective_bytes``: bytes moved by the collectives of split segments (all chiplets'
      sends); ``window_dram_bound_s``: per window, its busiest DRAM interface's bytes / DRAM
      bandwidth (a lower bound of the window's latency under ``dram_sharing="interface"``).
    """

    latency_s: float
    energy_j: float
    edp: float
    throughput_ips: float
    total_samples: int
    energy: EnergyBreakdown
    model_energy: tuple[EnergyBreakdown, ...]
    window_latency_s: tuple[float, ...]
    window_energy_j: tuple[float, ...]
    model_latency_s: tuple[tuple[float, ...], ...]
    model_period_s: tuple[tuple[float, ...], ...]
    model_completion_s: tuple[float, ...]
    chiplet_busy_s: tuple[float, ...]
    chiplet_utilisation: tuple[float, ...]
    timeline: tuple[TimelineEvent, ...]
    #: per model, the start of its first window (s)
    model_start_s: tuple[float, ...] = ()
    #: per model, the completion time of each of its samples (s): in the model's last window,
    #: mini-batch i (samples i*b' .. (i+1)*b'-1) completes ``(n_mb - 1 - i)`` pipeline periods
    #: before the model's completion (a stepped model's samples all complete at the end)
    model_sample_done_s: tuple[tuple[float, ...], ...] = ()
    #: per model, KV-cache bytes moved between the chiplets and DRAM (reads + writes)
    model_kv_bytes: tuple[float, ...] = ()
    collective_bytes: float = 0.0
    window_dram_bound_s: tuple[float, ...] = ()

    @property
    def compute_j(self) -> float:
        return self.energy.compute_j

    @property
    def dram_bound_fraction(self) -> float:
        """Sum over windows of the busiest DRAM interface's busy time (bytes / bandwidth)
        divided by the latency: near 1, the schedule is DRAM-bound (0 if nothing known)."""
        if self.latency_s <= 0 or not self.window_dram_bound_s:
            return 0.0
        return sum(self.window_dram_bound_s) / self.latency_s

    @property
    def nop_j(self) -> float:
        return self.energy.nop_j

    @property
    def dram_j(self) -> float:
        return self.energy.dram_j

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        d["energy"]["total_j"] = self.energy.total_j
        return d


def tpot_s(m: Metrics, model: int, steps: int, after: int | None) -> float:
    """Time per output token (s) of decode phase ``model`` (``steps`` decode steps): from the
    first token (the completion of its prefill ``after``, else the phase's start) to its last
    token (the phase's completion), divided by ``steps``."""
    first = m.model_completion_s[after] if after is not None else m.model_start_s[model]
    return (m.model_completion_s[model] - first) / max(steps, 1)


@dataclass(frozen=True)
class ServingMetrics:
    """LLM serving figures of one decode phase (a scenario model with ``steps`` decode steps,
    optionally ``after`` its prefill), from the schedule's timeline (s, tokens/s):

    - ``ttft_s``: time to first token = completion of the prefill (None without a prefill);
    - ``tpot_s``: time per output token = (decode completion - first token time) / steps, the
      first token time being ``ttft_s`` or, without a prefill, the decode phase's start;
    - ``tokens``: output tokens of the batch: ``batch * (steps + 1)`` with a prefill (its first
      token), ``batch * steps`` without;
    - ``e2e_s``: request latency = decode completion - request start (the prefill's start, else
      the decode phase's start);
    - ``tokens_per_s = tokens / e2e_s``; ``decode_tokens_per_s = batch / tpot_s``.
    """

    model: str
    prefill: str | None
    batch: int
    steps: int
    cache_len: int
    ttft_s: float | None
    tpot_s: float
    tokens: int
    e2e_s: float
    tokens_per_s: float
    decode_tokens_per_s: float


def serving_metrics(m: Metrics, scenario: Scenario) -> list[ServingMetrics]:
    """One :class:`ServingMetrics` per decode phase of ``scenario`` (models with ``steps`` > 1
    or an ``after`` model), in scenario order."""
    out: list[ServingMetrics] = []
    for i, e in enumerate(scenario.entries):
        if e.steps == 1 and e.after is None:
            continue
        after = scenario.index_of(e.after) if e.after is not None else None
        tpot = tpot_s(m, i, e.steps, after)
        ttft = m.model_completion_s[after] if after is not None else None
        start = m.model_start_s[after] if after is not None else m.model_start_s[i]
        tokens = e.batch * (e.steps + (1 if after is not None else 0))
        e2e = m.model_completion_s[i] - start
        out.append(
            ServingMetrics(
                model=e.model.name,
                prefill=e.after,
                batch=e.batch,
                steps=e.steps,
                cache_len=e.model.cache_len,
                ttft_s=ttft,
                tpot_s=tpot,
                tokens=tokens,
                e2e_s=e2e,
                tokens_per_s=tokens / e2e if e2e > 0 else 0.0,
                decode_tokens_per_s=e.batch / tpot if tpot > 0 else 0.0,
            )
        )
    return out
