"""A certified lower bound on a scenario's latency and energy on a package.

Every schedule :func:`mcmsched.schedule.evaluate` can score has latency >= :attr:`LowerBound.
latency_s` and energy >= :attr:`LowerBound.energy_j`. The bound uses only the layers' MAC counts
and byte sizes and the package's parameters (PEs, clocks, MAC energies, DRAM), i.e. physical
limits the cost model never beats (a layer of M MACs at b' samples needs at least
b'·M / (PEs · clock) seconds on a chiplet, and at least M·mac_pj of MAC energy per sample), not
the cost model's own per-layer numbers (those may be non-monotone in the mini-batch size).

With R_c = PEs_c · clock_c (MAC/s), R_max = max_c R_c, R_tot = Σ_c R_c, model m of batch b_m with
per-sample layer MACs M_l, weight bytes W_m, first-layer input bytes I_m and last-layer output
bytes O_m per sample, DRAM bandwidth B (bytes/s) and latency t_D:

- ``work``: Σ_m b_m Σ_l M_l / R_tot — every chiplet's busy time in a window is at most the
  window's latency, so the MACs of a window take at least their count over the package's rate;
- ``chain[m]`` (a model's latency summed over its windows is at most the scenario latency): one
  mini-batch (>= 1 sample) passes every layer in order through the pipeline fill, and each
  window's fill also loads every segment's weights and the window input from DRAM and writes the
  last output to DRAM, and every stage reads/writes its layers' KV cache (``kv_read_bytes`` +
  ``kv_write_bytes`` summed over layers, K_m per sample; step 0 always streams it, see
  :mod:`mcmsched.schedule.costing`): Σ_l M_l / R_max + W_m / B + (I_m + O_m + K_m) / B (+ t_D per
  non-empty term);
- ``layer[m]``: all b_m samples of a layer run on one chiplet: max_l b_m·M_l / R_max.

Energy: Σ_m b_m Σ_l M_l · min_c mac_pj_c (MAC energy on the cheapest class) + the DRAM bits
that cannot be avoided (each weight byte read once, each sample's input read, final output
written and step-0 KV cache read/written once) at the DRAM energy per bit.

With a cost table (``costs``, and ``allow_split=False``) and every batch at most
``table_batch_limit``, the per-layer compute times and energies of the table itself tighten the
bound: for every layer l, t_l = min over classes c and mini-batch sizes b' in 1..b of
ceil(b/b') · compute(l, b', c) (all b samples) and t1_l = min over c, b' of compute(l, b', c)
(one mini-batch), e_l likewise for energy. Then ``chain[m]`` uses Σ_l t1_l for the compute part,
``layer[m]`` max_l t_l, and the energy Σ_l e_l + the DRAM bits; these are the very numbers
:func:`~mcmsched.schedule.evaluate` sums (a model may use a different b' in each window, hence
the per-layer minimum over b').

``allow_split=True`` (a layer may run on several chiplets at once, issue 11): ``chain`` uses
R_tot instead of R_max and the weights and activations may stream through every DRAM interface
in parallel (bytes / (n_interfaces · B), no t_D); ``layer`` is dropped. Terms are in seconds and
joules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mcmsched.cost.table import CostTable
from mcmsched.hardware.package import Package
from mcmsched.workload.scenario import Scenario

#: relative margin below the computed bound (the evaluator adds the same terms in another order)
ROUNDING = 1e-12


@dataclass(frozen=True)
class LowerBound:
    """``latency_s`` (s) and ``energy_j`` (J) lower bounds; ``terms`` every latency term by name
    (s); ``binding`` the name of the largest one."""

    latency_s: float
    energy_j: float
    terms: dict[str, float] = field(default_factory=dict)
    binding: str = ""
    allow_split: bool = False

    def gap(self, latency_s: float, energy_j: float) -> tuple[float, float]:
        """``(latency / bound, energy / bound)`` (>= 1 for any valid schedule)."""
        lat = latency_s / self.latency_s if self.latency_s > 0 else float("inf")
        en = energy_j / self.energy_j if self.energy_j > 0 else float("inf")
        return lat, en

    def describe(self, latency_s: float, energy_j: float) -> str:
        """One line: how far a result is from the bound."""
        gl, ge = self.gap(latency_s, energy_j)
        return (
            f"within {gl:.2f}x of the latency lower bound {self.latency_s:.4g} s ({self.binding}) "
            f"and {ge:.2f}x of the energy lower bound {self.energy_j:.4g} J"
        )

    def to_dict(
        self, latency_s: float | None = None, energy_j: float | None = None
    ) -> dict[str, object]:
        out: dict[str, object] = {
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "binding": self.binding,
            "allow_split": self.allow_split,
            "terms": dict(self.terms),
        }
        if latency_s is not None and energy_j is not None:
            gl, ge = self.gap(latency_s, energy_j)
            out["latency_ratio"] = gl if math.isfinite(gl) else None
            out["energy_ratio"] = ge if math.isfinite(ge) else None
        return out


def _table_minima(
    costs: CostTable, m: int, batch: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per layer of model m: (min one-mini-batch compute s, min all-samples compute s, min
    all-samples energy J) over classes and b' in 1..batch."""
    t1 = t_all = e_all = None
    for mb in range(1, batch + 1):
        mc = costs.model_costs(m, mb)
        n_mb = -(-batch // mb)
        c1 = mc.compute_s.min(axis=1)
        ca = n_mb * c1
        ea = n_mb * mc.energy_j.min(axis=1)
        t1 = c1 if t1 is None else np.minimum(t1, c1)
        t_all = ca if t_all is None else np.minimum(t_all, ca)
        e_all = ea if e_all is None else np.minimum(e_all, ea)
    assert t1 is not None and t_all is not None and e_all is not None
    return t1, t_all, e_all


def lower_bound(
    scenario: Scenario,
    package: Package,
    costs: CostTable | None = None,
    *,
    allow_split: bool = False,
    table_batch_limit: int = 8,
) -> LowerBound:
    """The certified lower bound (see the module docstring)."""
    use_table = (
        costs is not None
        and not allow_split
        and max(e.batch for e in scenario.entries) <= table_batch_limit
    )
    rates = np.array(
        [
            float(package.chiplet_class(c.id).n_pes) * package.chiplet_class(c.id).clock_hz
            for c in package.chiplets
        ]
    )
    r_max, r_tot = float(rates.max()), float(rates.sum())
    mac_pj = min(package.classes[n].energy.mac_pj for n in package.class_names)
    bw = package.dram.bw_gbps * 1e9
    t_d = package.dram.latency_ns * 1e-9
    e_bit = package.dram.energy_pj_per_bit * 1e-12
    n_if = max(1, sum(1 for c in package.chiplets if c.dram_interface))
    terms: dict[str, float] = {}
    work = 0.0
    energy = 0.0
    for m, entry in enumerate(scenario.entries):
        layers = entry.model.layers
        b = entry.batch
        macs = np.array([float(ly.macs) for ly in layers])
        w = float(sum(ly.weight_bytes() for ly in layers))
        io = float(layers[0].input_bytes() + layers[-1].output_bytes())
        kv = float(sum(ly.kv_read_bytes + ly.kv_write_bytes for ly in layers))
        work += b * float(macs.sum())
        e_comp = b * float(macs.sum()) * mac_pj * 1e-12
        chain_c = float(macs.sum()) / r_max
        layer_c = b * float(macs.max()) / r_max
        if use_table:
            assert costs is not None
            t1, t_all, e_all = _table_minima(costs, m, b)
            e_comp = max(e_comp, float(e_all.sum()))
            chain_c = max(chain_c, float(t1.sum()))
            layer_c = max(layer_c, float(t_all.max()))
        energy += e_comp + (w + b * (io + kv)) * 8 * e_bit
        name = f"{m}:{entry.model.name}"
        if allow_split:
            terms[f"chain[{name}]"] = float(macs.sum()) / r_tot + (w + io + kv) / (n_if * bw)
        else:
            n_lat = (
                (w > 0) + (layers[0].input_bytes() > 0) + (layers[-1].output_bytes() > 0) + (kv > 0)
            )
            terms[f"chain[{name}]"] = chain_c + (w + io + kv) / bw + n_lat * t_d
            terms[f"layer[{name}]"] = layer_c
    terms["work"] = work / r_tot
    binding = max(terms, key=lambda k: terms[k])
    # the evaluator sums the same numbers in another order: keep a rounding margin
    margin = 1 - ROUNDING
    return LowerBound(terms[binding] * margin, energy * margin, terms, binding, allow_split)
