#!/usr/bin/env python3
"""Return the service to the primary region after an outage: re-create the databases there from
DR, promote them once caught up, move DNS back, scale DR to warm, record. Safe to re-run.

    python scripts/failback.py (--stack NAME | --outputs FILE) [--plan FILE] [--dry-run] [--force]
                               [--yes] [--deadline DURATION] [--break-lock] [--report FILE] [--json]

Reads the plan and the DR stack's outputs, checks that a failover happened and that the primary
region serves again (its ECS services steady; --force: proceed without that evidence, or with a
new replica whose lag cannot be measured), asks for the service's name (--yes: don't), then,
holding the operations lock (the one promote_dr.py takes): renames the old primary database out of
the way (never deletes it), creates a cross-region read replica of the DR database under the
primary's name, waits until it is within its tier's RPO, promotes it, moves traffic back (un-inverts
the primary's health check, or sets the ARC routing controls back), scales the DR services to warm
and records `promoted: false`. The same command resumes after a failure, a crash or Ctrl-C; the run
ends by its deadline (default: the plan's longest RTO). It writes a JSON report and a Markdown page
(reports/failback-<stack>-<time>.json) with a status update and how the stacks adopt the new
primary.

Exit status:
  0    failed back, or nothing left to do, or nothing to fail back, or a dry run
  2    bad input: arguments, the plan, the outputs, AWS credentials (one line on stderr)
  3    refused, nothing changed: a safety check, no confirmation, or another run holds the
       operations lock (the message names it and how old it is)
  4    a step failed, or the deadline passed: the report says which; run the same command again
  130  interrupted (Ctrl-C): run the same command again to resume

Example:
  python scripts/failback.py --outputs dr-outputs.json --plan continuity-plan.yaml --dry-run
  python scripts/failback.py --outputs dr-outputs.json --plan continuity-plan.yaml --deadline 4h

docs/failback.md is the runbook, including how the stacks adopt the new primary; operations/failback/
holds the steps.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

# Scripts run as `python scripts/<name>.py`, which puts scripts/ (not the repository) on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from operations.aws import Aws
from operations.cli import (
    RunbookPresenter,
    add_outputs_arguments,
    add_runbook_arguments,
    confirm_by_name,
    guarded,
    interactive,
    parse_deadline,
    present,
    rerun_command,
    run_cli,
    run_script,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.failback.report import plan_text, report_data, report_markdown, summary_lines
from operations.failback.run import FailbackOptions, run_failback
from operations.failback.steps import FailbackTiming
from operations.inputs import add_plan_argument, load_inputs
from operations.progress import progress_for
from operations.stack_outputs import PulumiCli

PROG = "failback"
PRESENTER = RunbookPresenter(PROG, "failback", report_data, report_markdown, plan_text, summary_lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("failback.py", __doc__)
    add_outputs_arguments(parser)
    add_plan_argument(parser)
    add_runbook_arguments(
        parser,
        "failback",
        force="fail back although the primary region's services are not confirmed to serve, or the new "
        "replica's lag cannot be measured (a lag measured above the RPO always holds it back)",
    )
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    aws: Aws | None = None,
    pulumi: PulumiCli | None = None,
    clock: Clock | None = None,
    timing: FailbackTiming | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line; the keyword arguments let tests run it in-process against moto."""
    args = parse_args(argv)
    stdin, stdout, stderr = stdin or sys.stdin, guarded(stdout or sys.stdout), guarded(stderr or sys.stderr)

    def run() -> int:
        deadline = parse_deadline(args.deadline) if args.deadline else None
        cli = pulumi or PulumiCli()
        inputs = load_inputs(plan_path=args.plan, stack=args.stack, outputs_file=args.outputs, pulumi=cli)
        promotion = inputs.outputs.promotion()
        the_clock = clock or SystemClock()
        command = rerun_command("scripts/failback.py", list(argv if argv is not None else sys.argv[1:]))
        progress = progress_for(stderr if args.json else stdout, the_clock)
        question = f"Type the service name {{service}} to fail back to {promotion.primary_region}"
        try:
            failback = run_failback(
                promotion,
                inputs.inventory,
                inputs.plan,
                aws or Aws(),
                options=FailbackOptions(
                    dry_run=args.dry_run,
                    force=args.force,
                    assume_yes=args.yes,
                    deadline_seconds=deadline,
                    break_lock=args.break_lock,
                ),
                clock=the_clock,
                progress=progress,
                confirm=confirm_by_name(plan_text, promotion.service, question, stdin, stderr)
                if interactive(stdin)
                else None,
                pulumi=cli,
                timing=timing,
                command=command,
            )
        finally:
            progress.close()
        return present(
            failback,
            PRESENTER,
            stack=promotion.stack,
            report=args.report,
            as_json=args.json,
            stdout=stdout,
            stderr=stderr,
        )

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
