#!/usr/bin/env python3
"""Benchmark: the local rehearsal, total and per stage, for the default plan (or --plan).

Prints seconds per stage; asserts nothing (benchmarks are not tests).

    python benchmarks/rehearsal.py [--plan FILE]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from offline.rehearsal import rehearse
from operations.clock import SystemClock
from operations.progress import progress_for

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--plan", default=str(ROOT / "continuity-plan.yaml"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        result = rehearse(Path(args.plan), Path(work), progress_for(io.StringIO(), SystemClock(), live=False))
    print(
        f"rehearsal of {Path(args.plan).name}: {'passed' if result.ok else 'FAILED'} in {result.seconds:.2f}s"
    )
    for stage in result.stages:
        state = "ok" if stage.ok else ("FAILED" if stage.ok is False else "not run")
        print(f"  {stage.title:58} {stage.seconds:7.2f}s  {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
