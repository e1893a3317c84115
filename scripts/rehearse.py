#!/usr/bin/env python3
"""Rehearse the whole disaster-recovery lifecycle on an emulated AWS, in one command.

    python scripts/rehearse.py [--plan FILE] [--config KEY=VALUE ...] [--keep] [--json] [--work DIR]

Starts an AWS emulator (moto) on 127.0.0.1, deploys the primary and DR stacks into it with the
real program (in the plan's own regions, whatever Pulumi.<stack>.yaml says; --config adds stack
config as check_policies.py and preview.py take it), checks both with the policy pack, writes data,
declares a regional outage, fails over with scripts/promote_dr.py, verifies what it did and what it
lost, judges the promoted region with scripts/dr_readiness.py, writes the drill report, then
corrupts data in the region that now serves and recovers each item with scripts/recover.py. No AWS
account, no Pulumi CLI. Progress goes to stdout (stderr with --json, so that stdout is the JSON
result alone); --keep leaves the emulator running to explore, its instructions on stderr.

Exit status:
  0    every stage did what it should
  1    a stage did not (the summary names it; the reports are under --work)
  2    bad input: an invalid plan or --config (one line on stderr)

Example:
  python scripts/rehearse.py --plan examples/plans/katya.yaml
  python scripts/rehearse.py --json > rehearsal.json
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from continuity.plan import PlanError, load_plan
from offline.stack_state import InputError, config_overrides
from operations.cli import add_config_argument, run_script, script_parser
from operations.clock import SystemClock
from operations.progress import progress_for

if TYPE_CHECKING:
    from offline.moto_server import Emulator

ROOT = Path(__file__).resolve().parent.parent


def _explore(emulator: Emulator, region: str) -> None:
    # On stderr: with --json, stdout carries the result alone.
    print(
        "\nThe emulator is still running. In another shell:\n"
        + "".join(f"  export {k}={v}\n" for k, v in emulator.environment(region).items())
        + "  aws rds describe-db-instances   # or any script: python scripts/dr_readiness.py --outputs ...\n"
        "Press Enter (or Ctrl-C) to stop it.",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(EOFError, KeyboardInterrupt):
        input()


def main(argv: list[str] | None = None) -> int:
    parser = script_parser("rehearse.py", __doc__)
    parser.add_argument("--plan", default=str(ROOT / "continuity-plan.yaml"), help="the plan to rehearse")
    add_config_argument(parser)
    parser.add_argument(
        "--keep", action="store_true", help="leave the emulator running afterwards, to explore"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON (progress on stderr)")
    parser.add_argument("--work", help="where reports and data go (default .rehearsal/<plan>-<time>)")
    args = parser.parse_args(argv)
    try:
        plan = load_plan(args.plan)
        config = config_overrides(args.config)
    except PlanError as err:
        print("\n".join(err.messages), file=sys.stderr)
        return 2
    except InputError as err:
        print(f"rehearse: {err}", file=sys.stderr)
        return 2
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(args.work) if args.work else ROOT / ".rehearsal" / f"{Path(args.plan).stem}-{stamp}"
    stream = sys.stderr if args.json else sys.stdout
    progress = progress_for(stream, SystemClock())
    # Loaded once the arguments are good: the emulator and the program take seconds to import,
    # which --help and --version do not need.
    rehearse = importlib.import_module("offline.rehearsal").rehearse
    try:
        result = rehearse(
            Path(args.plan),
            work,
            progress,
            keep=(lambda emulator: _explore(emulator, plan.regions.dr)) if args.keep else None,
            config=config,
        )
    finally:
        progress.close()
    if args.json:
        print(json.dumps(result.as_data(), indent=2, default=str))
    else:
        print(f"\nRehearsal {'passed' if result.ok else 'FAILED'} in {result.seconds:.1f}s. Reports:")
        for name, path in result.reports.items():
            print(f"  {name:10} {path}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    run_script(main)
