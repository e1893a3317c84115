#!/usr/bin/env python3
"""Validate continuity plans and show what each one derives.

    python scripts/validate_plan.py PLAN... [--json] [--strict]

For each valid plan: every derived setting, each data item's worst-case loss per region beside its
tier's RPO, each tier's fastest recovery beside its RTO, and warnings for promises the architecture
cannot keep (an RTO below the fastest recovery, an RPO below what the item's store can deliver).

Reads each plan within bounds (size, nesting, YAML aliases, numbers: continuity/documents.py) and
checks it against the format of docs/plan.md. Nothing here touches AWS.

Exit status:
  0    every plan is valid (with --strict, what CI runs: and has no warning)
  2    a plan is not, or with --strict has a warning (each problem on its own line, naming the
       file and the field)

Example:
  python scripts/validate_plan.py continuity-plan.yaml examples/plans/*.yaml --strict
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Scripts run as `python scripts/<name>.py`, which puts scripts/ (not the repository) on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from continuity.derive import derive
from continuity.feasibility import warnings_for
from continuity.plan import PlanError, load_plan
from continuity.schedule import ScheduleError
from continuity.summary import settings_as_data, settings_as_text
from operations.cli import run_script, script_parser


def main(argv: list[str] | None = None) -> int:
    parser = script_parser("validate_plan.py", __doc__)
    parser.add_argument("plans", nargs="+", metavar="PLAN", help="continuity plan files (YAML)")
    parser.add_argument("--json", action="store_true", help="print the derived settings as JSON")
    parser.add_argument(
        "--strict", action="store_true", help="fail a plan that has warnings, as CI does (exit status 2)"
    )
    args = parser.parse_args(argv)

    results: list[dict[str, object]] = []
    status = 0
    for path in args.plans:
        try:
            settings = derive(load_plan(path))
        except PlanError as err:
            status = 2
            results.append({"plan": path, "valid": False, "errors": err.messages, "warnings": []})
            if not args.json:
                print("\n".join(err.messages), file=sys.stderr)
            continue
        except ScheduleError as err:
            status = 2
            results.append({"plan": path, "valid": False, "errors": [f"{path}: {err}"], "warnings": []})
            if not args.json:
                print(f"{path}: {err}", file=sys.stderr)
            continue
        warnings = [f"{path}: {w}" for w in warnings_for(settings)]
        refused = args.strict and bool(warnings)
        status = 2 if refused else status
        results.append(
            {
                "plan": path,
                "valid": not refused,
                "errors": [],
                "warnings": warnings,
                "settings": settings_as_data(settings),
            }
        )
        if not args.json:
            print(settings_as_text(settings))
            print()
            if refused:
                print("\n".join(f"{w} (--strict)" for w in warnings), file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
    return status


if __name__ == "__main__":
    run_script(main)
