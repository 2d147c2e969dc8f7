"""``scar-arvr``: SCAR's AR/VR evaluation (docs/REFERENCES.md#scar-results) from XRBench's
usage-scenario
files (passed by directory: ``--xrbench PATH``, e.g.
``tests/data/reference/xrbench/usage_scenarios``).

Each scenario is one file; the networks SCAR uses are picked by name and the others dropped; a
network's FPS line is its batch (SCAR's batches equal XRBench's FPS targets,
docs/REFERENCES.md#xrbench):

==== ====================== ===========================================================
Sc6  AR_Assistant.m         D2GO, PlaneRCNN, MiDaS, Emformer, HRViT (drop KD)
Sc7  AR_gaming.m            PlaneRCNN, Hand S/P, MiDaS
Sc8  outdoor_activity_B.m   D2GO, Emformer (drop KD)
Sc9  social_interactionA.m  EyeCod, Hand S/P, Sp2Dense (drop ES)
Sc10 VR_gaming.m            EyeCod, Hand S/P (drop ES)
==== ====================== ===========================================================

Network names in the files (mapped by inspection): D2GO = ``OD_D2go_FasterRCNN`` /
``D2go_FastRCNN``, PlaneRCNN = ``PD_Plane_RCNN_Quarter``, MiDaS = ``DE_midas_v21_small``,
Emformer = ``ASR_EM_24L``, HRViT = ``SS_HRViT_b1``, Hand S/P = ``HT_hand_graph_cnn_half``,
EyeCod (gaze estimation) = ``GE_FBNet_C``, Sp2Dense (depth refinement) = ``DR_RGBd_200``.

The six 3x3 strategies of ``scar-datacenter`` with 256 PEs per chiplet (and 16 KiB L1 per PE,
see :data:`L1_BYTES`), EDP search, SCAR's defaults. ``--quick``: Sc8 only with ``top_k = 2``,
``prefilter = 16``.
"""

from __future__ import annotations

import time
from pathlib import Path

from mcmsched.errors import MCMSchedError
from mcmsched.experiments.base import ExperimentResult, Finding, RunContext
from mcmsched.experiments.datacenter import affinity, scenario_labels
from mcmsched.experiments.findings import fmt, percent, qualitative, ratio, reduction_pct
from mcmsched.experiments.grid import GRID_COLUMNS, SIX, Grid, build_packages, headline, run_grid
from mcmsched.search.options import SearchOptions
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario

ALL = ("Sc6", "Sc7", "Sc8", "Sc9", "Sc10")
PES = 256
#: Per-PE L1 (bytes) for the AR/VR chiplets: the presets' 8 KiB (SCAR gives none). Layers whose
#: batched tiles do not fit (the directive mappings keep the batch N inside one PE tile, e.g.
#: MiDaS conv105 at b'=30) run their samples one after another (see docs/COST_MODEL.md).
L1_BYTES = 8192
#: scenario -> (file, [(paper name, network name in the file)])
SCENARIOS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Sc6": (
        "AR_Assistant.m",
        [
            ("D2GO", "OD_D2go_FasterRCNN"),
            ("PlaneRCNN", "PD_Plane_RCNN_Quarter"),
            ("MiDaS", "DE_midas_v21_small"),
            ("Emformer", "ASR_EM_24L"),
            ("HRViT", "SS_HRViT_b1"),
        ],
    ),
    "Sc7": (
        "AR_gaming.m",
        [
            ("PlaneRCNN", "PD_Plane_RCNN_Quarter"),
            ("Hand S/P", "HT_hand_graph_cnn_half"),
            ("MiDaS", "DE_midas_v21_small"),
        ],
    ),
    "Sc8": ("outdoor_activity_B.m", [("D2GO", "D2go_FastRCNN"), ("Emformer", "ASR_EM_24L")]),
    "Sc9": (
        "social_interactionA.m",
        [
            ("EyeCod", "GE_FBNet_C"),
            ("Hand S/P", "HT_hand_graph_cnn_half"),
            ("Sp2Dense", "DR_RGBd_200"),
        ],
    ),
    "Sc10": ("VR_gaming.m", [("EyeCod", "GE_FBNet_C"), ("Hand S/P", "HT_hand_graph_cnn_half")]),
}
HEAVY = ("Sc6", "Sc7")
SIMILAR = 0.10


def load_scenario(directory: Path, label: str) -> Scenario:
    """Scenario ``label`` (Sc6..Sc10) from the XRBench usage-scenario files in ``directory``."""
    fname, members = SCENARIOS[label]
    path = Path(directory) / fname
    if not path.is_file():
        raise MCMSchedError(
            f"XRBench usage-scenario file '{fname}' not found (pass the usage_scenarios "
            "directory with --xrbench)",
            file=str(path),
            field="xrbench",
        )
    nets = {m.name: m for m in load_maestro(path)}
    picked: list[tuple[Model, int]] = []
    for paper_name, net in members:
        m = nets.get(net)
        if m is None:
            raise MCMSchedError(
                f"network '{net}' ({paper_name}) not in file (found: {', '.join(nets)})",
                file=str(path),
                field="Network",
            )
        picked.append((m, m.default_batch))
    return Scenario.of(f"scar-{label.lower()}", *picked)


def findings_for(grid: Grid, labels: list[str]) -> list[Finding]:
    """SCAR's stated AR/VR findings (docs/REFERENCES.md#scar-results) computed from ``grid`` (EDP
    search)."""
    f: list[Finding] = []
    complete = len(labels) == len(ALL)
    mean, _ = headline(grid, labels)
    claim = (
        "Headline: mean over Sc6-10 and {Simba(Shi), Simba(NVD)} of 1 - EDP(Het-Sides)/EDP(B) "
        "is 29.6%"
    )
    if complete:
        f.append(percent("arvr.headline", claim, 29.6, mean))
    else:
        f.append(
            Finding(
                "arvr.headline",
                claim,
                "29.6%",
                f"{fmt(mean)}% over {', '.join(labels)} only" if mean is not None else "n/a",
                None,
                "needs all five scenarios",
            )
        )
    for key, ref, pct in (("st_nvd", "Standalone(NVD)", 17.0), ("simba_nvd", "Simba(NVD)", 21.3)):
        terms = [
            v
            for s in labels
            if (
                v := reduction_pct(
                    grid.metric(s, "edp", "Het-Sides", "edp"), grid.metric(s, "edp", ref, "edp")
                )
            )
            is not None
        ]
        claim = f"Het-Sides improves EDP by {pct}% on average over {ref} (Sc6-10)"
        if complete and len(terms) == len(ALL):
            f.append(percent(f"arvr.{key}", claim, pct, sum(terms) / len(terms)))
        else:
            f.append(
                Finding(
                    f"arvr.{key}",
                    claim,
                    f"{pct}%",
                    (f"{sum(terms) / len(terms):.1f}% over {', '.join(labels)} only")
                    if terms
                    else "n/a",
                    None,
                    "needs all five scenarios",
                )
            )
    for s in HEAVY:
        hs = grid.metric(s, "edp", "Het-Sides", "edp")
        nvd = [grid.metric(s, "edp", b, "edp") for b in ("Standalone(NVD)", "Simba(NVD)")]
        nvd_vals = [v for v in nvd if v is not None]
        r = ratio(hs, min(nvd_vals)) if nvd_vals else None
        f.append(
            qualitative(
                f"arvr.{s}.similar",
                f"{s} (heavy): heterogeneous and NVDLA schedules end up similar (resource "
                "contention limits gains)",
                None if r is None else abs(r - 1.0) <= SIMILAR,
                f"EDP Het-Sides / best NVD homogeneous = {fmt(r)}",
                f"|EDP(Het-Sides) / min EDP(St NVD, Simba NVD) - 1| <= {SIMILAR:.0%}",
            )
        )
    return f


def run(ctx: RunContext) -> ExperimentResult:
    """Run the AR/VR grid (EDP search)."""
    t0 = time.perf_counter()
    if ctx.xrbench is None:
        raise MCMSchedError(
            "scar-arvr needs the XRBench usage-scenario directory: --xrbench PATH "
            "(e.g. tests/data/reference/xrbench/usage_scenarios)",
            field="xrbench",
        )
    labels = scenario_labels(ctx, ALL, "Sc8")
    scen = {lab: load_scenario(ctx.xrbench, lab) for lab in labels}
    opts = SearchOptions(top_k=2, prefilter=16) if ctx.quick else SearchOptions()
    packages = build_packages(SIX, pes_per_chiplet=PES, l1_bytes=L1_BYTES)
    grid = run_grid(
        ctx, "scar-arvr", [(lab, scen[lab]) for lab in labels], SIX, ("edp",), opts, packages
    )
    mean, terms = headline(grid, labels)
    notes = [
        "norm_* = value / Standalone(NVD) of the same scenario (Table V style).",
        "models and batches: "
        + "; ".join(
            f"{lab}: " + ", ".join(f"{e.model.name} x{e.batch}" for e in scen[lab].entries)
            for lab in labels
        ),
        "headline terms (1 - EDP(HS)/EDP(B), %): " + ", ".join(f"{t:.1f}" for t in terms),
        "dataflow affinity in our cost model (Shi / NVD, summed compute at b' = 1): "
        + "; ".join(
            dict.fromkeys(
                a for lab in labels for a in affinity(ctx, scen[lab], packages["het-sides"])
            )
        ),
    ]
    if ctx.quick:
        notes.append("quick mode: top_k = 2, prefilter = 16 (default 4 and 48).")
    return ExperimentResult(
        name="scar-arvr",
        title="SCAR AR/VR: Sc6-10 (XRBench) x six strategies, EDP search (3x3, 256 PEs)",
        columns=GRID_COLUMNS,
        rows=grid.rows(),
        findings=findings_for(grid, labels),
        notes=notes,
        config={
            "scenarios": ",".join(labels),
            "xrbench": str(ctx.xrbench),
            "pes_per_chiplet": PES,
            "l1_bytes": L1_BYTES,
            "objective": "edp",
            "n_splits": opts.n_splits,
            "top_k": opts.top_k,
            "quick": ctx.quick,
        },
        summary={
            "headline_pct": mean,
            "search_s_total": sum(r.search_s for r in grid.runs.values()),
        },
        wall_s=time.perf_counter() - t0,
    )
