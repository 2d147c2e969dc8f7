"""Intra-layer partitioning on simba-6x6-nvd (issue 11 items 1 and 3): latency with and without
the partition step against the package's lower bound, printed as a table.

Usage: ``.venv/bin/python bench/partition.py [--skip-llama-scar]``. The bound is
``max(MACs / (all PEs x clock), weight bytes / (DRAM interfaces x DRAM bandwidth))``. Wall and
CPU seconds (time.process_time) of each search are printed (wall time is contended).
"""

from __future__ import annotations

import argparse
import time

from mcmsched.cost.table import CostTable
from mcmsched.hardware.package import Package
from mcmsched.hardware.presets import get_preset
from mcmsched.schedule import validate
from mcmsched.search import SearchOptions, get_strategy
from mcmsched.workload import Model, Scenario
from mcmsched.workload.zoo.registry import get_model


def bounds(model: Model, pkg: Package) -> tuple[float, float]:
    """(compute bound, weight-load bound) in seconds."""
    pes_per_s = sum(
        pkg.chiplet_class(c.id).n_pes * pkg.chiplet_class(c.id).clock_hz for c in pkg.chiplets
    )
    n_if = sum(c.dram_interface for c in pkg.chiplets)
    compute = sum(ly.macs for ly in model.layers) / pes_per_s
    weights = sum(ly.weight_bytes() for ly in model.layers) / (n_if * pkg.dram.bw_gbps * 1e9)
    return compute, weights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-llama-scar", action="store_true", help="skip the slow SCAR search")
    args = ap.parse_args()
    pkg = get_preset("simba-6x6-nvd")
    runs = [
        ("gpt2-small", "scar", SearchOptions()),
        ("gpt2-small", "scar", SearchOptions(partition=True)),
        ("gpt2-small", "simba", SearchOptions(simba_scheme="split-k")),
        ("llama2-7b-decode", "simba", SearchOptions(simba_scheme="split-k")),
    ]
    if not args.skip_llama_scar:
        runs += [
            ("llama2-7b-decode", "scar", SearchOptions()),
            ("llama2-7b-decode", "scar", SearchOptions(partition=True)),
        ]
    print(
        f"{'model':18} {'strategy':8} {'options':18} {'latency s':>11} {'bound s':>10} "
        f"{'x bound':>8} {'energy J':>9} {'coll J':>9} {'DRAM-bound':>10} "
        f"{'wall s':>7} {'cpu s':>7}"
    )
    for name, strategy, opts in runs:
        model = get_model(name)
        sc = Scenario.of(name, (model, 1))
        ct = CostTable(sc, pkg)
        ct.precompute([1])
        t0, c0 = time.perf_counter(), time.process_time()
        res = get_strategy(strategy)(sc, pkg, ct, "latency", opts)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        validate(res.schedule, sc, pkg)
        comp, wts = bounds(model, pkg)
        bound = max(comp, wts)
        m = res.metrics
        label = (
            "split-k"
            if opts.simba_scheme == "split-k"
            else ("partition" if opts.partition else "no partition")
        )
        print(
            f"{name:18} {strategy:8} {label:18} {m.latency_s:11.5g} {bound:10.4g} "
            f"{m.latency_s / bound:8.2f} {m.energy_j:9.4g} {m.energy.collective_j:9.3g} "
            f"{m.dram_bound_fraction:10.0%} {wall:7.1f} {cpu:7.1f}"
        )
        print(f"    bound: compute {comp:.4g} s, weights over all DRAM interfaces {wts:.4g} s")


if __name__ == "__main__":
    main()
