"""LLM serving bench: examples/llm-serving.yaml end to end, and KV-cache growth per token.

Run: ``.venv/bin/python bench/serving.py`` (prints figures; asserts nothing).

1. ``run(examples/llm-serving.yaml)`` with its baselines: CPU and wall time (the machine is
   shared, so CPU time is the steadier figure), TTFT, TPOT, tokens/s, target slack.
2. LLaMA-2-7B decode (MHA) and its GQA variant (8 KV heads) on one chiplet of simba-3x3-nvd at
   cache lengths 128 .. 4096: KV bytes, DRAM energy and latency of one step, and the DRAM energy
   per cached token (constant: the growth is linear).
"""

from __future__ import annotations

import time
from pathlib import Path

from mcmsched.cost.table import CostTable
from mcmsched.hardware.presets import get_preset
from mcmsched.runner.run import run
from mcmsched.schedule.evaluate import evaluate
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.workload.scenario import Scenario, ScenarioModel
from mcmsched.workload.zoo import get_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "llm-serving.yaml"


def example() -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    res = run(EXAMPLE)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"llm-serving.yaml: {cpu:.1f} s CPU, {wall:.1f} s wall (search + 3 baselines)")
    for sv in res.serving():
        print(
            f"  {sv.model}: TTFT {sv.ttft_s:.4g} s, TPOT {sv.tpot_s:.4g} s, "
            f"{sv.tokens_per_s:.4g} tokens/s end to end ({sv.tokens} tokens in {sv.e2e_s:.4g} s)"
        )
    for row in res.target_rows():
        print(f"  target {row['model']} {row['kind']}: slack {row['slack_s']:.4g} s")
    print(f"  {res.targets_message()}")


def kv_growth() -> None:
    pkg = get_preset("simba-3x3-nvd")
    for heads in (32, 8):
        prev: tuple[int, float] | None = None
        for cache in (128, 512, 1024, 2048, 4096):
            m = get_model("llama2-7b-decode", cache_len=cache, n_kv_heads=heads)
            sc = Scenario("kv", (ScenarioModel(m, 1),))
            n = len(m)
            sched = Schedule((Window((ModelPlan(0, (Segment((0, n), 4),), 1),)),), "kv", pkg.name)
            met = evaluate(sched, CostTable(sc, pkg))
            per_tok = ""
            if prev is not None:
                slope = (met.energy.dram_j - prev[1]) / (cache - prev[0])
                per_tok = f", {slope * 1e6:.3f} uJ/token"
            print(
                f"  kv heads {heads:2d} cache {cache:4d}: "
                f"KV {met.model_kv_bytes[0] / 1e6:8.1f} MB, "
                f"DRAM {met.energy.dram_j:.4f} J, latency {met.latency_s * 1e3:.2f} ms{per_tok}"
            )
            prev = (cache, met.energy.dram_j)


if __name__ == "__main__":
    example()
    print("LLaMA-2-7B decode step, one chiplet of simba-3x3-nvd:")
    kv_growth()
