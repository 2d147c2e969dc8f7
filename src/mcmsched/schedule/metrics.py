"""The score of a schedule (what :func:`mcmsched.schedule.evaluate.evaluate` returns)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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
      active window plus its own latency in that window (PAPERS.md §3.4 item 4).
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
