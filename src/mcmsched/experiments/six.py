"""``scar-6x6``: SCAR on the full 36-chiplet Simba-sized MCM (docs/REFERENCES.md#scar-results).

Sc4, EDP search, n_splits in {2, 3}, evolutionary SEG/placement (population 10, 4 generations,
seed 0): Het-Cross (strategy ``scar`` on ``het-cross``) vs Simba(Shi) and Simba(NVD) (strategy
``simba`` on ``simba-6x6-shi`` / ``simba-6x6-nvd``). The paper gives one pair of numbers without
saying which n_splits it belongs to, so the findings compare each strategy's best EDP schedule over
the two n_splits values (the per-n_splits rows are in the table).

``--quick``: n_splits = 2 only, 2 generations.
"""

from __future__ import annotations

import time

from mcmsched.experiments.base import ExperimentResult, Job, Row, RunContext, SearchRun, search_job
from mcmsched.experiments.findings import factor, ratio
from mcmsched.experiments.grid import StrategySpec, build_packages
from mcmsched.search.options import SearchOptions
from mcmsched.workload.zoo import get_scenario

SPECS: tuple[StrategySpec, ...] = (
    StrategySpec("Simba(Shi)", "simba", "simba-6x6-shi"),
    StrategySpec("Simba(NVD)", "simba", "simba-6x6-nvd"),
    StrategySpec("Het-Cross", "scar", "het-cross"),
)
N_SPLITS = (2, 3)
COLUMNS = [
    "n_splits",
    "strategy",
    "package",
    "latency_s",
    "energy_j",
    "edp_js",
    "edp_vs_het_cross",
    "latency_vs_het_cross",
    "windows",
    "search_s",
]


def run(ctx: RunContext) -> ExperimentResult:
    """Run the six (or, quick, three) searches."""
    t0 = time.perf_counter()
    splits = (2,) if ctx.quick else N_SPLITS
    gens = 2 if ctx.quick else 4
    sc = get_scenario("scar-sc4")
    packages = build_packages(SPECS)
    jobs: list[Job] = []
    keys: list[tuple[int, str]] = []
    for k in splits:
        opts = SearchOptions(n_splits=k, search="evolutionary", pop_size=10, generations=gens)
        for spec in SPECS:
            keys.append((k, spec.label))
            jobs.append(
                search_job(
                    ctx,
                    f"n_splits={k} {spec.label}",
                    sc,
                    packages[spec.preset],
                    spec.strategy,
                    "edp",
                    opts,
                )
            )
    runs: dict[tuple[int, str], SearchRun] = dict(
        zip(keys, ctx.run_jobs("scar-6x6", jobs), strict=True)
    )
    rows: list[Row] = []
    for k in splits:
        hc = runs[(k, "Het-Cross")].result.metrics
        for spec in SPECS:
            r = runs[(k, spec.label)]
            m = r.result.metrics
            rows.append(
                {
                    "n_splits": k,
                    "strategy": spec.label,
                    "package": r.package.name,
                    "latency_s": m.latency_s,
                    "energy_j": m.energy_j,
                    "edp_js": m.edp,
                    "edp_vs_het_cross": m.edp / hc.edp,
                    "latency_vs_het_cross": m.latency_s / hc.latency_s,
                    "windows": len(r.result.schedule.windows),
                    "search_s": round(r.search_s, 3),
                }
            )

    def best(label: str) -> SearchRun:
        return min((runs[(k, label)] for k in splits), key=lambda r: r.result.metrics.edp)

    hc_best = best("Het-Cross").result.metrics
    findings = []
    for label, x_edp, x_lat in (("Simba(Shi)", 2.3, 2.1), ("Simba(NVD)", 1.9, 1.8)):
        b = best(label).result.metrics
        findings.append(
            factor(
                f"6x6.edp.{label}",
                f"Sc4 on 6x6 (EDP search): Het-Cross has {x_edp}x lower EDP than {label} "
                "(best over n_splits 2, 3)",
                x_edp,
                ratio(b.edp, hc_best.edp),
            )
        )
        findings.append(
            factor(
                f"6x6.latency.{label}",
                f"Sc4 on 6x6 (EDP search): Het-Cross has {x_lat}x lower latency than {label}",
                x_lat,
                ratio(b.latency_s, hc_best.latency_s),
            )
        )
    total_search = sum(r.search_s for r in runs.values())
    return ExperimentResult(
        name="scar-6x6",
        title="SCAR 6x6: Sc4, EDP search, evolutionary (pop 10), Het-Cross vs Simba",
        columns=COLUMNS,
        rows=rows,
        findings=findings,
        notes=[
            "edp_vs_het_cross / latency_vs_het_cross = value / Het-Cross at the same n_splits "
            "(> 1: Het-Cross is better).",
            "findings use each strategy's best EDP schedule over the n_splits values run.",
            f"search time over all cells: {total_search:.1f} s (target <= 120 s).",
        ],
        config={
            "scenario": "scar-sc4",
            "n_splits": ",".join(str(k) for k in splits),
            "search": "evolutionary",
            "pop_size": 10,
            "generations": gens,
            "seed": 0,
            "quick": ctx.quick,
        },
        summary={"search_s_total": total_search},
        wall_s=time.perf_counter() - t0,
    )
