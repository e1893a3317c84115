#!/usr/bin/env python3
"""Check a stack against the continuity policy pack, offline: no Pulumi CLI, no cloud credentials.

usage:
    python scripts/check_policies.py --stack primary|dr [--config KEY=VALUE ...]   # the program, under mocks
    python scripts/check_policies.py --state export.json         # `pulumi stack export`
    python scripts/check_policies.py --preview preview.json      # `pulumi preview --json`
        [--plan PLAN] [--policy-pack-config FILE] [--format text|json|sarif] [--sarif FILE]
    python scripts/check_policies.py --print-pack-config [--plan PLAN]

It runs the very pack `pulumi preview --policy-pack policies` runs (offline/policy_check.py), and
reports every violation, and per policy how many resources passed, failed and were not applicable.
--format json keeps its schema (violations, summary) and adds policyResults and exemptions;
--format sarif writes SARIF 2.1.0 for GitHub code scanning; --sarif FILE writes that too, beside
the chosen format. Inside GitHub Actions (GITHUB_ACTIONS=true) the text format also prints
::error / ::warning workflow commands, which annotate the pull request.

exit status:
    0  no mandatory violation
    1  mandatory violations
    2  input that cannot be checked (an unreadable file, an unknown format or stack, an invalid
       plan or configuration, a policy that fails), in one line on stderr

example:
    python scripts/check_policies.py --stack dr --plan examples/plans/katya.yaml --sarif dr.sarif
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

# Scripts run as `python scripts/<name>.py`, which puts scripts/ (not the repository) on the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from continuity.derive import derive
from continuity.plan import PlanError, load_plan
from continuity.schedule import ScheduleError
from offline.policy_check import (
    DEFAULT_PLAN,
    PACK_DIR,
    PolicyFailedError,
    check,
    load_pack,
    pack_config_for,
    pack_version,
    parse_pack_config,
)
from offline.policy_report import Locator, json_report, sarif_report, text_report, workflow_commands
from offline.stack_state import (
    InputError,
    config_overrides,
    read_json,
    states_from_preview,
    states_from_program,
    states_from_stack_export,
)
from operations.cli import run_script, script_parser

PROG = "check_policies.py"


def _plan(path: str | None) -> Path:
    """The plan's path, once it is known to load and derive (as the pack will need it)."""
    plan = Path(path).resolve() if path else DEFAULT_PLAN
    try:
        derive(load_plan(plan))
    except PlanError as err:
        raise InputError("; ".join(err.messages)) from None
    except ScheduleError as err:
        raise InputError(f"{plan}: {err}") from None
    return plan


def _write(path: Path, document: dict[str, Any]) -> None:
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        raise InputError(f"--sarif {path}: cannot be written ({err.strerror or err})") from None


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(PROG, __doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="check the program's stack (primary or dr) under mocks")
    source.add_argument("--state", type=Path, metavar="FILE", help="a `pulumi stack export` document")
    source.add_argument("--preview", type=Path, metavar="FILE", help="a `pulumi preview --json` document")
    source.add_argument(
        "--print-pack-config",
        action="store_true",
        help="print a --policy-pack-config document that points the pack at --plan, and stop",
    )
    parser.add_argument("--plan", metavar="FILE", help=f"the continuity plan (default {DEFAULT_PLAN.name})")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --stack: stack config beyond Pulumi.<stack>.yaml (e.g. eksClusterName=vapora)",
    )
    parser.add_argument(
        "--policy-pack-config", type=Path, metavar="FILE", help="policy configuration, as for the CLI"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="what to print (default text)"
    )
    output.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument(
        "--sarif", type=Path, metavar="FILE", help="also write the SARIF 2.1.0 report to FILE"
    )
    args = parser.parse_args(argv)
    form = "json" if args.json else args.format

    started = time.perf_counter()
    try:
        plan = _plan(args.plan)
        if args.print_pack_config:
            print(json.dumps(pack_config_for(load_pack(), plan), indent=2))
            return 0
        file_config = (
            parse_pack_config(read_json(args.policy_pack_config), str(args.policy_pack_config))
            if args.policy_pack_config
            else None
        )
        if args.stack is not None:
            overrides = config_overrides(args.config)
            label, states = f"stack {args.stack}", states_from_program(args.stack, plan, overrides)
        elif args.state is not None:
            label, states = str(args.state), states_from_stack_export(read_json(args.state), str(args.state))
        else:
            label, states = str(args.preview), states_from_preview(read_json(args.preview), str(args.preview))
        result = check(states, plan, file_config)
        locator = Locator(states, plan)
        if args.sarif is not None or form == "sarif":
            sarif = sarif_report(result, locator, label, pack_version(PACK_DIR))
        if args.sarif is not None:
            _write(args.sarif, sarif)
    except (InputError, PolicyFailedError) as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    if form == "json":
        print(json.dumps(json_report(result, label, plan, time.perf_counter() - started), indent=2))
    elif form == "sarif":
        print(json.dumps(sarif, indent=2))
    else:
        print("\n".join(text_report(result, label, plan)))
        if os.environ.get("GITHUB_ACTIONS") == "true":
            for command in workflow_commands(result, locator):
                print(command)
    return 1 if result.mandatory else 0


if __name__ == "__main__":
    run_script(main)
