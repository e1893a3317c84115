#!/usr/bin/env python3
"""Validate continuity plans and show what each one derives.

    python scripts/validate_plan.py PLAN... [--json]

Reads each plan (bounded: size, nesting, YAML aliases and numbers, continuity/documents.py),
checks it against the format of docs/plan.md and prints what it derives: per tier the backup
schedule, retention, replica and capacity settings the stacks will declare. Nothing here touches AWS.

Exit status:
  0    every plan is valid
  2    a plan is not (each problem on its own line, naming the file and the field)

Example:
  python scripts/validate_plan.py continuity-plan.yaml examples/plans/*.yaml
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Scripts run as `python scripts/<name>.py`, which puts scripts/ (not the repository) on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from continuity.derive import derive
from continuity.plan import PlanError, load_plan
from continuity.schedule import ScheduleError
from continuity.summary import settings_as_data, settings_as_text
from operations.cli import run_script, script_parser


def main(argv: list[str] | None = None) -> int:
    parser = script_parser("validate_plan.py", __doc__)
    parser.add_argument("plans", nargs="+", metavar="PLAN", help="continuity plan files (YAML)")
    parser.add_argument("--json", action="store_true", help="print the derived settings as JSON")
    args = parser.parse_args(argv)

    results: list[dict[str, object]] = []
    status = 0
    for path in args.plans:
        try:
            settings = derive(load_plan(path))
        except PlanError as err:
            status = 2
            results.append({"plan": path, "valid": False, "errors": err.messages})
            if not args.json:
                print("\n".join(err.messages), file=sys.stderr)
            continue
        except ScheduleError as err:
            status = 2
            results.append({"plan": path, "valid": False, "errors": [f"{path}: {err}"]})
            if not args.json:
                print(f"{path}: {err}", file=sys.stderr)
            continue
        results.append({"plan": path, "valid": True, "settings": settings_as_data(settings)})
        if not args.json:
            print(settings_as_text(settings))
            print()
    if args.json:
        print(json.dumps(results, indent=2))
    return status


if __name__ == "__main__":
    run_script(main)
