#!/usr/bin/env python3
"""Benchmark: the Pulumi program under plain mocks, per stack and plan.

Prints wall time per run and resources per second; asserts nothing (benchmarks are not tests).
The first run in a process also pays for importing pulumi-aws's modules, so it is shown apart.

    python benchmarks/program.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from offline.program import run_program

ROOT = Path(__file__).resolve().parent.parent
PLANS = [ROOT / "continuity-plan.yaml", *sorted((ROOT / "examples" / "plans").glob("*.yaml"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per stack and plan (default 3)")
    args = parser.parse_args()
    started = time.perf_counter()
    first = run_program("primary")
    elapsed = time.perf_counter() - started
    print(f"first run (imports included): {elapsed:.2f}s, {len(first.resources)} resources\n")
    print(f"{'plan':18} {'stack':8} {'resources':>9} {'median s':>9} {'resources/s':>12}")
    for plan in PLANS:
        primary_outputs = None
        for stack in ("primary", "dr"):
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                run = run_program(stack, plan, primary_outputs=primary_outputs)
                times.append(time.perf_counter() - began)
            if stack == "primary":
                primary_outputs = run.outputs
            median = statistics.median(times)
            count = len([r for r in run.resources if r.custom])
            print(f"{plan.stem:18} {stack:8} {count:>9} {median:>9.3f} {count / median:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
