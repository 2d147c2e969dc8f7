"""``sweep plan``: count the jobs of a sweep and estimate how long they take.

The estimate times a few real jobs in this process (``sample`` of them: the first job of each
of the largest (scenario, strategy) groups) and extrapolates: a job is assumed to take the sampled
time of its (scenario, strategy) group (else of its scenario, else the mean of all samples),
scaled by its package's chiplet count over the sampled job's (SCAR's placement work grows with
the number of chiplets). With ``sample=0`` no job runs and a fixed heuristic is used instead:
``1 ms x layers x chiplets`` per SCAR-engine job (scar, standalone, simba) and ``0.1 ms x
layers`` per sequential baseline, measured on this project's zoo scenarios (e.g. SCAR Sc4 on a
3x3 package: 269 layers x 9 chiplets -> 2.4 s estimated, 1.5 s measured). Estimates include the
first cost-table build of each (scenario, package), which later jobs find cached.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mcmsched.errors import MCMSchedError
from mcmsched.explore.jobs import build_package, build_scenario, run_job
from mcmsched.explore.sweep_file import Job, Sweep, canonical_json

_SCAR_LIKE = {"scar", "standalone", "simba", "exhaustive"}
HEURISTIC_S_PER_LAYER_CHIPLET = 1e-3
HEURISTIC_S_PER_LAYER_BASELINE = 1e-4


@dataclass(frozen=True)
class PlanEstimate:
    """Counts and time estimate of a sweep: ``serial_s`` is the sum of the estimated job
    times (one worker); ``samples`` are ``(job id, label, seconds)`` of the timed jobs;
    ``build_errors`` are ``(job id, design, message)`` of jobs whose scenario or package does
    not build (they will become error rows)."""

    n_jobs: int
    by_scenario: dict[str, int]
    by_strategy: dict[str, int]
    n_designs: int
    serial_s: float
    method: str
    samples: list[tuple[str, str, float]] = field(default_factory=list)
    build_errors: list[tuple[str, str, str]] = field(default_factory=list)

    def wall_s(self, workers: int) -> float:
        """Estimated wall time on ``workers`` workers (perfect balance)."""
        return self.serial_s / max(1, workers)


def _sizes(jobs: list[Job]) -> tuple[dict[str, int], dict[str, int], list[tuple[str, str, str]]]:
    """Layers per scenario key, chiplets per package key, and jobs that fail to build."""
    layers: dict[str, int] = {}
    chiplets: dict[str, int] = {}
    errors: list[tuple[str, str, str]] = []
    for j in jobs:
        sk = canonical_json(j.scenario)
        pk = canonical_json([j.package, j.overrides])
        try:
            if sk not in layers:
                layers[sk] = build_scenario(j.scenario).total_layers
            if pk not in chiplets:
                chiplets[pk] = build_package(j.package, j.overrides).n_chiplets
        except MCMSchedError as err:
            layers.setdefault(sk, 0)
            chiplets.setdefault(pk, 0)
            errors.append((j.id, f"{j.scenario_name} / {j.design}", str(err)))
    return layers, chiplets, errors


def estimate(sweep: Sweep, sample: int = 3) -> PlanEstimate:
    """Count ``sweep``'s jobs and estimate their run time (see the module docstring)."""
    jobs = list(sweep.jobs)
    layers, chiplets, errors = _sizes(jobs)
    bad = {e[0] for e in errors}
    by_scen = Counter(j.scenario_name for j in jobs)
    by_strat = Counter(j.strategy for j in jobs)
    designs = {canonical_json([j.package, j.overrides]) for j in jobs}

    def n_chip(j: Job) -> int:
        return max(1, chiplets[canonical_json([j.package, j.overrides])])

    samples: list[tuple[str, str, float]] = []
    per_group: dict[tuple[str, str], tuple[float, int]] = {}
    if sample > 0:
        groups = Counter((j.scenario_name, j.strategy) for j in jobs if j.id not in bad)
        for (scen, strat), _ in groups.most_common(sample):
            job = next(j for j in jobs if (j.scenario_name, j.strategy) == (scen, strat))
            res = run_job(job)
            per_group[(scen, strat)] = (res.wall_s, n_chip(job))
            samples.append((job.id, f"{scen} / {job.design} / {strat}", res.wall_s))
    total = 0.0
    for j in jobs:
        if j.id in bad:
            continue
        hit = per_group.get((j.scenario_name, j.strategy))
        if hit is None:
            same = [v for k, v in per_group.items() if k[0] == j.scenario_name]
            hit = same[0] if same else None
        if hit is None and per_group:
            vals = list(per_group.values())
            hit = (sum(v[0] for v in vals) / len(vals), round(sum(v[1] for v in vals) / len(vals)))
        if hit is not None:
            total += hit[0] * n_chip(j) / max(1, hit[1])
        else:
            n_layers = layers[canonical_json(j.scenario)]
            if j.strategy in _SCAR_LIKE:
                total += HEURISTIC_S_PER_LAYER_CHIPLET * n_layers * n_chip(j)
            else:
                total += HEURISTIC_S_PER_LAYER_BASELINE * n_layers
    method = (
        f"timed {len(samples)} sample job(s), scaled by chiplet count"
        if samples
        else "heuristic (1 ms x layers x chiplets per SCAR job)"
    )
    return PlanEstimate(
        n_jobs=len(jobs),
        by_scenario=dict(by_scen),
        by_strategy=dict(by_strat),
        n_designs=len(designs),
        serial_s=total,
        method=method,
        samples=samples,
        build_errors=errors,
    )


__all__ = ["PlanEstimate", "estimate"]
