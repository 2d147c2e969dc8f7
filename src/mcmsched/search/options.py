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
    - ``seed_objectives``: for objectives other than latency and energy (EDP, throughput, user
      functions), SCAR's search is also run with each of these window objectives and the whole
      schedule with the best score under the real objective is kept. EDP is not additive over
      windows, so per-window EDP choices can lose to the latency-optimal windows on the
      scenario's EDP; ``()`` keeps the single EDP-keyed search;
    - ``boundary_samples``: extra random boundary samplings (sorted uniform cut points in the
      horizon, seeded) tried besides the periodic one; the best whole schedule wins;
    - ``prov``: ``"uniform"`` (Eq. 2 with repair) or ``"exhaustive"`` (every chiplet-count
      vector); ``node_cap``: optional cap on every model's chiplet count (Heuristic 2);
    - ``top_k``: segmentations kept per model (Heuristic 1, scored by the model's best placement
      alone); ``prefilter``: when a model has more segmentations than this for one segment
      count, a dataflow-agnostic proxy (best chiplet class per segment, one-hop transfers) ranks
      them and only the best ``prefilter`` are mapped; ``max_segmentations``: above this count
      segmentations are sampled (seeded) instead of enumerated, plus the balanced one;
    - ``search``: placement by ``"exhaustive"`` scheduling trees (branch and bound, equal to
      enumerating every tree), ``"evolutionary"`` (population ``pop_size``, ``generations``) or
      ``"auto"`` (evolutionary above 16 chiplets); ``bnb_node_limit`` bounds branch and bound
      (the best assignment found so far is kept when hit);
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
    seed_objectives: tuple[str, ...] = ("latency",)
    prov: Literal["uniform", "exhaustive"] = "uniform"
    node_cap: int | None = None
    top_k: int = 4
    prefilter: int = 48
    max_segmentations: int = 20000
    search: Literal["exhaustive", "evolutionary", "auto"] = "auto"
    pop_size: int = 10
    generations: int = 4
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
        for name in ("top_k", "prefilter", "max_segmentations", "pop_size", "bnb_node_limit"):
            if getattr(self, name) < 1:
                raise MCMSchedError("must be >= 1", field=name)
        if self.generations < 0 or self.boundary_samples < 0 or self.refine_passes < 0:
            raise MCMSchedError("must be >= 0", field="generations")
        if self.context_passes < 0:
            raise MCMSchedError("must be >= 0", field="context_passes")
        object.__setattr__(self, "seed_objectives", tuple(self.seed_objectives))
        for name in self.seed_objectives:
            if name not in ("latency", "energy"):
                raise MCMSchedError(
                    f"seed objective must be 'latency' or 'energy', got {name!r}",
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
class SearchResult:
    """What a strategy returns. ``candidates`` are (latency_s, energy_j) points of whole
    schedules the search scored (for Pareto plots); ``package`` is the package the schedule runs
    on (differs from the input package for the monolithic baseline)."""

    schedule: Schedule
    metrics: Metrics
    candidates: list[tuple[float, float]]
    stats: SearchStats
    package: Package
