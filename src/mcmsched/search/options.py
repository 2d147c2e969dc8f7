"""Search options and results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.schedule.metrics import Metrics
from mcmsched.schedule.model import Schedule
from mcmsched.schedule.options import EvalOptions

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SearchOptions:
    """Hyper-parameters of SCAR's search (docs/REFERENCES.md#scar-part-by-part) and of the other
    strategies.

    - ``n_splits``: window cut points (n_splits + 1 periodic windows before empty ones are
      dropped); ``packing``: ``"greedy"`` (Algorithm 1 first fit) or ``"uniform"`` (each model's
      layers spread evenly over the windows);
    - ``sweep_splits``: also try the periodic boundaries of every n_splits' < n_splits (fewer,
      longer windows) and keep the best whole schedule (SCAR's outer loop,
      docs/REFERENCES.md#scar-algorithm-1);
    - ``refine_passes``: passes of a local search over the best layout's window boundaries
      (move one model's boundary between two windows by one layer, or merge two adjacent
      windows; a move is kept when the schedule's score improves); 0 disables it;
    - ``context_passes``: for EDP (and user) objectives, passes that re-solve each window of the
      best layout with the key ``(L_rest + lat) * (E_rest + energy)``, where L_rest and E_rest
      are the other windows' totals, i.e. the whole schedule's EDP (the first pass uses the
      window's own EDP, as SCAR); 0 keeps SCAR's purely per-window greedy choice;
    - ``seed_objectives``: SCAR's search is also run with each of these window objectives
      (``latency``, ``energy``, ``edp``; the objective's own window key is skipped) and the whole
      schedule with the best score under the real objective is kept. EDP is not additive over
      windows, so per-window EDP choices can lose to the latency-optimal windows on the
      scenario's EDP, and latency-keyed windows can lose to EDP-keyed ones on latency; ``()``
      keeps the single search;
    - ``portfolio``: the ``scar`` strategy also scores the simple schedules of
      :mod:`mcmsched.search.portfolio` and the standalone baseline on the same package and
      returns the best (never worse than the obvious);
    - ``boundary_samples``: extra random boundary samplings (sorted uniform cut points in the
      horizon, seeded) tried besides the periodic one; the best whole schedule wins;
    - ``prov``: ``"uniform"`` (Eq. 2 with repair) or ``"exhaustive"`` (every chiplet-count
      vector); ``node_cap``: optional cap on every model's chiplet count (Heuristic 2);
    - ``top_k``: segmentations kept per model (Heuristic 1, scored by the model's best placement
      alone); ``prefilter``: when a model has more segmentations than this for one segment
      count, a dataflow-agnostic proxy (best chiplet class per segment, one-hop transfers) ranks
      them and only the best ``prefilter`` are mapped; ``max_segmentations``: above this count
      segmentations are sampled (seeded) instead of enumerated, plus the balanced one
      (``ga_segmentations`` caps the sample in the evolutionary mode, whose pools keep only the
      best 4·top_k rows per model);
    - ``search``: placement by ``"exhaustive"`` scheduling trees (branch and bound, equal to
      enumerating every tree), ``"evolutionary"`` (population ``pop_size``, ``generations``) or
      ``"auto"`` (evolutionary above 16 chiplets); ``bnb_node_limit`` bounds branch and bound
      (the best assignment found so far is kept when hit);
    - ``placements``: where a model's segments may go: ``"paths"`` (SCAR: simple mesh paths),
      ``"any"`` (every ordered choice of distinct chiplets), ``"auto"`` (``any`` when there are at
      most 64 such choices for a segment count, i.e. tiny packages, else paths);
    - ``effort``: ``"auto"`` turns on ``sweep_splits``, 3 ``refine_passes`` and
      ``prov="exhaustive"`` for small instances (<= 24 layers in all on <= 9 chiplets), where they
      cost about a second; ``"fixed"`` uses the options as given;
    - ``ga_budget``: ``"auto"`` scales the evolutionary budget with the package: population and
      generations are multiplied by sqrt(|C| / 16) when |C| > 16 (36 chiplets: 15 x 6 instead of
      10 x 4), a fixed count of evaluations, so the result stays deterministic; ``"fixed"`` uses
      ``pop_size`` and ``generations`` as given;
    - ``class_affinity``: the evolutionary search draws 3 of 4 paths (and half of the greedy
      individual's candidate paths) class-aware: each segment prefers chiplets whose class runs it
      within 1.5x (then 4x, then 20x) of the package's fastest class for it;
    - ``time_cap_s``: a wall-clock safety net for the evolutionary search: once a search has run
      this long, each window's GA stops after its current generation. The budget above is what
      normally bounds the time; a cap that is hit makes the result depend on the machine's speed
      (not deterministic), so it is off (None) by default;
    - ``start_chiplet``: the chiplet the ``nn-baton`` baseline starts every model on (the
      motivational study compares the same single-model schedule on a Shi and an NVD chiplet);
    - ``partition``: after the search, try splitting segments across idle chiplets of their
      class (intra-layer partitioning along K, Y or C; :mod:`mcmsched.search.partition`) and
      keep improvements under the objective, for ``partition_rounds`` passes. Off in the
      dataclass (SCAR's space, used by the ``reproduce`` experiments); on by default for users
      (``run``, ``compare``, sweeps: :data:`USER_DEFAULTS`). Applies to ``scar`` and ``simba``;
    - ``simba_scheme``: ``"pipeline"`` (SCAR's engines on the homogeneous package) or
      ``"split-k"`` (Simba's own scheme: every layer split along K across all chiplets, the
      models one after another);
    - ``seed``: randomness (evolutionary search, sampling); ``progress(done, total)`` is called
      after every window solved; ``eval_options``: how schedules are scored.
    """

    n_splits: int = 4
    packing: Literal["greedy", "uniform"] = "greedy"
    boundary_samples: int = 0
    sweep_splits: bool = False
    refine_passes: int = 0
    context_passes: int = 1
    seed_objectives: tuple[str, ...] = ("latency", "edp")
    portfolio: bool = True
    prov: Literal["uniform", "exhaustive"] = "uniform"
    node_cap: int | None = None
    top_k: int = 4
    prefilter: int = 48
    max_segmentations: int = 20000
    search: Literal["exhaustive", "evolutionary", "auto"] = "auto"
    pop_size: int = 10
    generations: int = 4
    placements: Literal["paths", "any", "auto"] = "auto"
    effort: Literal["fixed", "auto"] = "auto"
    ga_segmentations: int = 4000
    ga_budget: Literal["fixed", "auto"] = "auto"
    class_affinity: bool = True
    time_cap_s: float | None = None
    bnb_node_limit: int = 200_000
    seed: int = 0
    start_chiplet: int = 0
    partition: bool = False
    partition_rounds: int = 2
    simba_scheme: Literal["pipeline", "split-k"] = "pipeline"
    progress: Progress | None = field(default=None, compare=False)
    eval_options: EvalOptions = field(default_factory=EvalOptions)

    def __post_init__(self) -> None:
        if self.n_splits < 0:
            raise MCMSchedError("n_splits must be >= 0", field="n_splits")
        if self.packing not in ("greedy", "uniform"):
            raise MCMSchedError("packing must be 'greedy' or 'uniform'", field="packing")
        if self.prov not in ("uniform", "exhaustive"):
            raise MCMSchedError("prov must be 'uniform' or 'exhaustive'", field="prov")
        if self.search not in ("exhaustive", "evolutionary", "auto"):
            raise MCMSchedError(
                "search must be 'exhaustive', 'evolutionary' or 'auto'", field="search"
            )
        for name in (
            "top_k",
            "prefilter",
            "max_segmentations",
            "ga_segmentations",
            "pop_size",
            "bnb_node_limit",
        ):
            if getattr(self, name) < 1:
                raise MCMSchedError("must be >= 1", field=name)
        if self.generations < 0 or self.boundary_samples < 0 or self.refine_passes < 0:
            raise MCMSchedError("must be >= 0", field="generations")
        if self.placements not in ("paths", "any", "auto"):
            raise MCMSchedError("placements must be 'paths', 'any' or 'auto'", field="placements")
        if self.effort not in ("fixed", "auto"):
            raise MCMSchedError("effort must be 'fixed' or 'auto'", field="effort")
        if self.ga_budget not in ("fixed", "auto"):
            raise MCMSchedError("ga_budget must be 'fixed' or 'auto'", field="ga_budget")
        if self.time_cap_s is not None and not self.time_cap_s > 0:
            raise MCMSchedError("time_cap_s must be positive", field="time_cap_s")
        if self.context_passes < 0:
            raise MCMSchedError("must be >= 0", field="context_passes")
        object.__setattr__(self, "seed_objectives", tuple(self.seed_objectives))
        for name in self.seed_objectives:
            if name not in ("latency", "energy", "edp"):
                raise MCMSchedError(
                    f"seed objective must be 'latency', 'energy' or 'edp', got {name!r}",
                    field="seed_objectives",
                )
        if self.start_chiplet < 0:
            raise MCMSchedError("start_chiplet must be >= 0", field="start_chiplet")
        if self.partition_rounds < 1:
            raise MCMSchedError("partition_rounds must be >= 1", field="partition_rounds")
        if self.simba_scheme not in ("pipeline", "split-k"):
            raise MCMSchedError(
                "simba_scheme must be 'pipeline' or 'split-k'", field="simba_scheme"
            )
        if self.node_cap is not None and self.node_cap < 1:
            raise MCMSchedError("node_cap must be >= 1", field="node_cap")

    def placement_mode(self, n_chiplets: int) -> str:
        if self.search == "auto":
            return "evolutionary" if n_chiplets > 16 else "exhaustive"
        return self.search


#: Search-option defaults for users (``run``, ``compare``, sweeps) that differ from the dataclass
#: defaults (which stay in SCAR's space for the reproduction experiments).
USER_DEFAULTS: dict[str, object] = {"partition": True}


@dataclass(frozen=True)
class SearchStats:
    """``evaluations``: plan-cost evaluations (one model plan on one chiplet path) plus whole
    schedule evaluations; ``wall_s``: wall-clock seconds of the search."""

    evaluations: int
    wall_s: float
    windows_solved: int = 0


@dataclass(frozen=True)
class PortfolioEntry:
    """A whole schedule a search scored besides its own result (a portfolio member or the search
    keyed by another window objective): ``name``, latency (s), energy (J) and objective score
    (lower is better); ``chosen`` marks the one returned."""

    name: str
    latency_s: float
    energy_j: float
    score: float
    chosen: bool = False


@dataclass(frozen=True)
class SearchResult:
    """What a strategy returns. ``candidates`` are (latency_s, energy_j) points of whole
    schedules the search scored (for Pareto plots); ``package`` is the package the schedule runs
    on (differs from the input package for the monolithic baseline); ``portfolio`` lists the
    alternatives scored (empty for strategies without a portfolio)."""

    schedule: Schedule
    metrics: Metrics
    candidates: list[tuple[float, float]]
    stats: SearchStats
    package: Package
    portfolio: tuple[PortfolioEntry, ...] = ()
