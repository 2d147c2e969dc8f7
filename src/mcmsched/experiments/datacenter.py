"""``scar-datacenter``: SCAR's datacenter evaluation (docs/REFERENCES.md#scar-results).

Sc1-Sc5 (zoo scenarios ``scar-sc1`` .. ``scar-sc5``) x the six 3x3 strategies (Standalone(Shi),
Standalone(NVD), Simba(Shi), Simba(NVD), Het-CB, Het-Sides; 4096 PEs and 10 MiB L2 per chiplet)
x {latency, EDP} search, SCAR's default options (n_splits 4, uniform PROV, exhaustive placement on
3x3). Every cell is normalised to Standalone(NVD) of the same scenario and objective.

``--quick``: Sc1 only (or the ``--scenarios`` subset), with ``top_k = 2`` and ``prefilter = 16``.
"""

from __future__ import annotations

import time

from mcmsched.errors import MCMSchedError
from mcmsched.experiments.base import ExperimentResult, Finding, RunContext
from mcmsched.experiments.findings import factor, fmt, percent, qualitative, ratio, reduction_pct
from mcmsched.experiments.grid import (
    GRID_COLUMNS,
    SIX,
    Grid,
    build_packages,
    headline,
    run_grid,
)
from mcmsched.hardware.package import Package
from mcmsched.search.options import SearchOptions
from mcmsched.workload.scenario import Scenario
from mcmsched.workload.zoo import get_scenario

ALL = ("Sc1", "Sc2", "Sc3", "Sc4", "Sc5")
OBJECTIVES = ("latency", "edp")
NVD_HOMOGENEOUS = ("Standalone(NVD)", "Simba(NVD)")


def scenario_labels(ctx: RunContext, all_labels: tuple[str, ...], default_quick: str) -> list[str]:
    """The scenario labels to run: ``ctx.scenarios`` (``sc4`` or ``scar-sc4`` spellings), else
    all, or only ``default_quick`` in quick mode."""
    if ctx.scenarios:
        out = []
        for s in ctx.scenarios:
            lab = "Sc" + s.lower().removeprefix("scar-").removeprefix("sc")
            if lab not in all_labels:
                raise MCMSchedError(
                    f"unknown scenario '{s}' for this experiment (valid: {', '.join(all_labels)})",
                    field="scenarios",
                )
            out.append(lab)
        return out
    return [default_quick] if ctx.quick else list(all_labels)


def last_windows(grid: Grid, sc: str, strat: str, obj: str) -> dict[str, int] | None:
    """Model name -> index of its last active window in a cell's schedule, or None."""
    r = grid.runs.get((sc, obj, strat))
    if r is None:
        return None
    names = [e.model.name for e in r.scenario.entries]
    last: dict[str, int] = {}
    for w, win in enumerate(r.result.schedule.windows):
        for p in win.plans:
            last[names[p.model]] = w
    return last


def affinity(ctx: RunContext, scenario: Scenario, package: Package) -> list[str]:
    """Per model, the Shi / NVD ratio of summed compute latency and energy at b' = 1 (from the
    package's cost table): explains which dataflow each model prefers in our cost model."""
    costs = ctx.tables.get(scenario, package)
    names = list(package.class_names)
    if "nvd" not in names or "shi" not in names:
        return []
    i_n, i_s = names.index("nvd"), names.index("shi")
    out = []
    for m, e in enumerate(scenario.entries):
        mc = costs.model_costs(m, 1)
        lat = mc.compute_s.sum(axis=0)
        en = mc.energy_j.sum(axis=0)
        out.append(
            f"{e.model.name}: latency {fmt(float(lat[i_s] / lat[i_n]))}x, "
            f"energy {fmt(float(en[i_s] / en[i_n]))}x"
        )
    return out


def findings_for(grid: Grid) -> list[Finding]:
    """SCAR's stated datacenter findings (docs/REFERENCES.md#scar-results) computed from
    ``grid``."""
    g = grid
    f: list[Finding] = []
    edp, lat = "edp", "latency"
    for sc in ("Sc1", "Sc2", "Sc3"):
        best = g.best(sc, edp)
        nvd = [v for b in NVD_HOMOGENEOUS if (v := g.metric(sc, edp, b, "edp")) is not None]
        margin = ratio(min(nvd), g.metric(sc, edp, best, "edp")) if nvd and best else None
        f.append(
            qualitative(
                f"dc.{sc}.nvd_best",
                f"{sc} (EDP search): an NVDLA homogeneous strategy (Standalone or Simba NVD) has "
                "the best EDP",
                None if best is None else best in NVD_HOMOGENEOUS,
                f"best = {best} (best NVD-homogeneous EDP / best = {fmt(margin, 4)})",
                "argmin EDP over the six strategies is Standalone(NVD) or Simba(NVD)",
            )
        )
    for sc in ("Sc4", "Sc5"):
        best = g.best(sc, edp)
        margin = (
            ratio(g.metric(sc, edp, "Het-Sides", "edp"), g.metric(sc, edp, best, "edp"))
            if best
            else None
        )
        f.append(
            qualitative(
                f"dc.{sc}.hs_best",
                f"{sc} (EDP search): Het-Sides has the best EDP of the six strategies",
                None if best is None else best == "Het-Sides",
                f"best = {best} (EDP Het-Sides / best = {fmt(margin, 4)})",
                "argmin EDP over the six strategies is Het-Sides",
            )
        )
    for sc in ("Sc4", "Sc5"):
        hs, cb = g.metric(sc, edp, "Het-Sides", "edp"), g.metric(sc, edp, "Het-CB", "edp")
        f.append(
            qualitative(
                f"dc.{sc}.hs_beats_cb",
                f"{sc} (EDP search): Het-Sides beats Het-CB",
                None if hs is None or cb is None else hs < cb,
                f"EDP Het-Sides/Het-CB = {fmt(ratio(hs, cb))}",
                "EDP(Het-Sides) < EDP(Het-CB)",
            )
        )
    for sc, pct in (("Sc4", 46.02), ("Sc5", 25.18)):
        f.append(
            percent(
                f"dc.{sc}.hs_vs_simba_nvd",
                f"{sc} (EDP search): Het-Sides has {pct}% less EDP than Simba(NVD)",
                pct,
                reduction_pct(
                    g.metric(sc, edp, "Het-Sides", "edp"), g.metric(sc, edp, "Simba(NVD)", "edp")
                ),
            )
        )
    for sc, x in (("Sc4", 1.7), ("Sc5", 1.25)):
        f.append(
            factor(
                f"dc.{sc}.hs_vs_st_nvd",
                f"{sc} (EDP search): Het-Sides has {x}x better EDP than Standalone(NVD) "
                "(EDP(St NVD) / EDP(Het-Sides))",
                x,
                ratio(
                    g.metric(sc, edp, "Standalone(NVD)", "edp"),
                    g.metric(sc, edp, "Het-Sides", "edp"),
                ),
            )
        )
    hs4 = g.runs.get(("Sc4", edp, "Het-Sides"))
    f.append(
        factor(
            "dc.Sc4.hs_edp_058",
            "Sc4 (EDP search): Het-Sides EDP is 0.58x that of Standalone(NVD)",
            0.58,
            ratio(
                g.metric("Sc4", edp, "Het-Sides", "edp"),
                g.metric("Sc4", edp, "Standalone(NVD)", "edp"),
            ),
        )
    )
    f.append(
        factor(
            "dc.Sc4.hs_speed",
            "Sc4 (EDP search): Het-Sides is 2x faster than Standalone(NVD) (7.94 s vs 3.8 s)",
            2.0,
            ratio(
                g.metric("Sc4", edp, "Standalone(NVD)", "latency_s"),
                g.metric("Sc4", edp, "Het-Sides", "latency_s"),
            ),
        )
    )
    f.append(
        factor(
            "dc.Sc4.hs_energy",
            "Sc4 (EDP search): Het-Sides uses 1.22x the energy of Standalone(NVD)",
            1.22,
            ratio(
                g.metric("Sc4", edp, "Het-Sides", "energy_j"),
                g.metric("Sc4", edp, "Standalone(NVD)", "energy_j"),
            ),
        )
    )
    best_en = g.best("Sc4", edp, "energy_j")
    f.append(
        qualitative(
            "dc.Sc4.hs_not_energy_best",
            "Sc4 (EDP search): Het-Sides wins EDP but not energy (insight §V-F)",
            None
            if best_en is None or g.best("Sc4", edp) is None
            else g.best("Sc4", edp) == "Het-Sides" and best_en != "Het-Sides",
            f"best EDP = {g.best('Sc4', edp)}, lowest energy = {best_en}",
            "argmin EDP is Het-Sides and argmin energy is another strategy",
        )
    )
    f.append(
        factor(
            "dc.Sc4.hs_latency_abs",
            "E3: Sc4's best Het-Sides EDP schedule takes 3.8 s in all",
            1.0,
            ratio(g.metric("Sc4", edp, "Het-Sides", "latency_s"), 3.8),
            label="x of 3.8 s",
        )
    )
    f.append(
        qualitative(
            "dc.Sc4.hs_windows",
            "E3: Sc4's best Het-Sides EDP schedule has five windows",
            None if hs4 is None else len(hs4.result.schedule.windows) == 5,
            "n/a" if hs4 is None else f"{len(hs4.result.schedule.windows)} windows",
            "number of windows == 5",
        )
    )
    if hs4 is not None:
        last = last_windows(g, "Sc4", "Het-Sides", edp) or {}
        rn, gl, bl = (last.get(n, -1) for n in ("scar-resnet50", "scar-gpt-l", "scar-bert-l"))
        held: bool | None = rn < min(gl, bl)
        ours = f"last window: ResNet-50 {rn}, GPT-L {gl}, BERT-L {bl}"
    else:
        held, ours = None, ""
    f.append(
        qualitative(
            "dc.Sc4.resnet_early",
            "E3: in Sc4's Het-Sides EDP schedule ResNet-50 is packed early; GPT-L and BERT-L "
            "dominate the later windows",
            held,
            ours,
            "ResNet-50's last window < the last windows of GPT-L and BERT-L",
        )
    )
    for sc, x in (("Sc1", 1.4), ("Sc2", 1.3), ("Sc3", 2.9)):
        f.append(
            factor(
                f"dc.{sc}.simba_nvd_speed",
                f"{sc} (latency search): Simba(NVD) is {x}x faster than Standalone(NVD)",
                x,
                ratio(
                    g.metric(sc, lat, "Standalone(NVD)", "latency_s"),
                    g.metric(sc, lat, "Simba(NVD)", "latency_s"),
                ),
            )
        )
    for sc in ("Sc4", "Sc5"):
        f.append(
            factor(
                f"dc.{sc}.simba_nvd_slower",
                f"{sc} (latency search): Simba(NVD) is 1.05x slower than Standalone(NVD)",
                1.05,
                ratio(
                    g.metric(sc, lat, "Simba(NVD)", "latency_s"),
                    g.metric(sc, lat, "Standalone(NVD)", "latency_s"),
                ),
            )
        )
    f.append(
        factor(
            "dc.Sc3.simba_nvd_vs_hs",
            "Sc3 (EDP search, mesh): Simba(NVD) beats Het-Sides by 1.47x (EDP(HS)/EDP(Simba NVD))",
            1.47,
            ratio(
                g.metric("Sc3", edp, "Het-Sides", "edp"), g.metric("Sc3", edp, "Simba(NVD)", "edp")
            ),
        )
    )
    ran = [
        s
        for s in ALL
        if all((s, edp, b) in g.runs for b in ("Het-Sides", "Simba(Shi)", "Simba(NVD)"))
    ]
    mean, _ = headline(g, ran)
    f.append(
        percent(
            "dc.headline",
            "Headline: mean over Sc1-5 and {Simba(Shi), Simba(NVD)} of 1 - EDP(Het-Sides)/EDP(B) "
            f"is 27.6% (ours over {', '.join(ran) or 'none'})",
            27.6,
            mean if len(ran) == len(ALL) else None,
        )
        if len(ran) == len(ALL)
        else Finding(
            "dc.headline",
            "Headline: mean over Sc1-5 and {Simba(Shi), Simba(NVD)} of 1 - EDP(Het-Sides)/EDP(B) "
            "is 27.6%",
            "27.6%",
            f"{fmt(mean)}% over {', '.join(ran)} only" if mean is not None else "n/a (not run)",
            None,
            "needs all five scenarios",
        )
    )
    return f


def run(ctx: RunContext) -> ExperimentResult:
    """Run the grid and compute the findings."""
    t0 = time.perf_counter()
    labels = scenario_labels(ctx, ALL, "Sc1")
    opts = SearchOptions(top_k=2, prefilter=16) if ctx.quick else SearchOptions()
    scen = {lab: get_scenario(f"scar-sc{lab[2:]}") for lab in labels}
    packages = build_packages(SIX)
    grid = run_grid(
        ctx,
        "scar-datacenter",
        [(lab, scen[lab]) for lab in labels],
        SIX,
        OBJECTIVES,
        opts,
        packages,
    )
    rows = grid.rows()
    findings = findings_for(grid)
    seen: dict[str, str] = {}
    for lab in labels:
        for a in affinity(ctx, scen[lab], packages["het-sides"]):
            seen.setdefault(a.split(":")[0], a)
    mean, terms = headline(grid, labels)
    summary = {
        "headline_pct": mean,
        "headline_over": ",".join(labels),
        "tables_built": len(ctx.tables),
        "search_s_total": sum(r.search_s for r in grid.runs.values()),
    }
    notes = [
        "norm_* = value / Standalone(NVD) of the same scenario and objective (Fig. 7 style).",
        "Standalone(X) = strategy 'standalone' on simba-3x3-x; Simba(X) = 'simba' on "
        "simba-3x3-x; Het-CB / Het-Sides = 'scar' on het-cb / het-sides (layouts in "
        "docs/HARDWARE.md).",
        "headline terms (1 - EDP(HS)/EDP(B), %): " + ", ".join(f"{t:.1f}" for t in terms),
        "dataflow affinity in our cost model (Shi / NVD, summed compute at b' = 1): "
        + "; ".join(seen.values()),
    ]
    if ctx.quick:
        notes.append("quick mode: top_k = 2, prefilter = 16 (default 4 and 48).")
    return ExperimentResult(
        name="scar-datacenter",
        title="SCAR datacenter: Sc1-5 x six strategies x {latency, EDP} search (3x3, 4096 PEs)",
        columns=GRID_COLUMNS,
        rows=rows,
        findings=findings,
        notes=notes,
        config={
            "scenarios": ",".join(labels),
            "objectives": ",".join(OBJECTIVES),
            "n_splits": opts.n_splits,
            "top_k": opts.top_k,
            "prefilter": opts.prefilter,
            "prov": opts.prov,
            "quick": ctx.quick,
        },
        summary=summary,
        wall_s=time.perf_counter() - t0,
    )
