#!/usr/bin/env python3
"""Judge the live environment against the continuity plan, read only: one line per check.

    python scripts/dr_readiness.py (--stack NAME | --outputs FILE) [--plan FILE] [--history LOCATION]
                                   [--allow-unknown] [--report FILE] [--json]

Reads the plan and the DR stack's outputs and checks, in both regions, what the plan promises:
backups on schedule and locked, replicas within their RPO, the DR services at warm capacity, the
health checks and alarms in place, the last restore test and drill recent enough (from the drill
history). Changes nothing. The report is
reports/dr-readiness-<stack>-<time>.json and .md.

Exit status:
  0    ready: every check passes
  1    not ready: a check failed, or could not be measured (unknown counts as not ready unless
       --allow-unknown)
  2    bad input: arguments, the plan, the outputs, AWS credentials (one line on stderr)

Example:
  python scripts/dr_readiness.py --outputs dr-outputs.json --plan continuity-plan.yaml

docs/operations.md explains each check; operations/readiness/ holds them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

# Scripts run as `python scripts/<name>.py`, which puts scripts/ (not the repository) on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from operations.aws import Aws
from operations.cli import (
    add_outputs_arguments,
    add_report_arguments,
    default_report_path,
    guarded,
    run_cli,
    run_script,
    save_report,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.errors import BadInput
from operations.inputs import add_history_argument, add_plan_argument, history_location, load_inputs
from operations.progress import progress_for
from operations.readiness.audit import audit_compliance, audit_lines, audit_markdown
from operations.readiness.report import check_lines, report_data, report_markdown
from operations.readiness.run import run_readiness
from operations.stack_outputs import PulumiCli

PROG = "dr_readiness"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("dr_readiness.py", __doc__)
    add_outputs_arguments(parser)
    add_plan_argument(parser)
    add_history_argument(parser)
    parser.add_argument(
        "--allow-unknown",
        action="store_true",
        help="exit 0 when nothing failed although some checks could not be measured (they are still listed)",
    )
    add_report_arguments(parser, "dr-readiness")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    aws: Aws | None = None,
    pulumi: PulumiCli | None = None,
    clock: Clock | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line; the keyword arguments let tests run it in-process against moto."""
    args = parse_args(argv)
    stdout, stderr = guarded(stdout or sys.stdout), guarded(stderr or sys.stderr)

    def run() -> int:
        inputs = load_inputs(
            plan_path=args.plan, stack=args.stack, outputs_file=args.outputs, pulumi=pulumi or PulumiCli()
        )
        try:
            promotion, problem = inputs.outputs.promotion(), None
        except BadInput as exc:
            # Without it only the failover records go unread (they are named there alone).
            promotion, problem = None, str(exc)
        the_clock = clock or SystemClock()
        human = stderr if args.json else stdout
        progress = progress_for(human, the_clock)
        session = aws or Aws()
        try:
            readiness = run_readiness(
                inputs.plan,
                inputs.inventory,
                session,
                promotion=promotion,
                promotion_problem=problem,
                clock=the_clock,
                progress=progress,
                history=history_location(args.history, inputs.inventory),
                allow_unknown=args.allow_unknown,
            )
        finally:
            progress.close()
        data = report_data(readiness)
        promoted = promotion is not None and promotion.promoted
        audit = audit_compliance(inputs.plan, inputs.inventory, session, promoted=promoted)
        data["audit_manager"] = [r.as_data() for r in audit]
        target = args.report or default_report_path(
            "dr-readiness", inputs.inventory.stack, readiness.started_at
        )
        paths = save_report(data, report_markdown(data) + audit_markdown(audit), target, PROG, stderr)
        print("\n".join(check_lines(data["checks"]) + audit_lines(audit)), file=human)
        for note in readiness.notes:
            print(f"note: {note}", file=human)
        if readiness.exit_code == 0:
            print(readiness.summary, file=human)
        else:
            print(f"{PROG}: {readiness.summary}", file=stderr)
        if paths is not None:
            print(f"Report: {paths[0]} and {paths[1]}", file=human)
        if args.json:
            print(json.dumps(data, indent=2), file=stdout)
        return int(readiness.exit_code)

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
