#!/usr/bin/env python3
"""Return the service to the primary region after an outage: re-create the databases there from
DR, promote them once caught up, move DNS back, scale DR to warm, record. Safe to re-run.

    python scripts/failback.py (--stack NAME | --outputs FILE) [--plan FILE] [--dry-run] [--force]
                               [--yes] [--report FILE] [--json]

Exit status: 0 failed back (or nothing left to do), 2 bad input, 3 refused by a safety check
(nothing changed), 4 a step failed (the report says which and what to run next), 130 interrupted.
docs/failback.md is the runbook, including how the stacks adopt the new primary; operations/failback/
holds the steps.
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
    ask,
    default_report_path,
    interactive,
    rerun_command,
    run_cli,
    run_script,
    save_report,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.failback.report import plan_text, report_data, report_markdown, summary_lines
from operations.failback.run import DRY_RUN, FailbackOptions, FailbackRun, run_failback
from operations.failback.steps import FailbackTiming
from operations.inputs import add_plan_argument, load_inputs
from operations.progress import progress_for
from operations.stack_outputs import PulumiCli

PROG = "failback"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("failback.py", __doc__)
    add_outputs_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the plan of actions; change nothing")
    parser.add_argument(
        "--force",
        action="store_true",
        help="fail back although the primary region's services are not confirmed to serve, or the new "
        "replica's lag cannot be measured (a lag measured above the RPO always holds it back)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_report_arguments(parser, "failback")
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
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr

    def run() -> int:
        cli = pulumi or PulumiCli()
        inputs = load_inputs(plan_path=args.plan, stack=args.stack, outputs_file=args.outputs, pulumi=cli)
        promotion = inputs.outputs.promotion()
        the_clock = clock or SystemClock()
        human = stderr if args.json else stdout
        progress = progress_for(human, the_clock)

        def confirm(failback: FailbackRun) -> bool:
            stderr.write(plan_text(failback) + "\n")
            answer = ask(
                f'Type the service name "{promotion.service}" to fail back to {promotion.primary_region}: ',
                stdin,
                stderr,
            )
            return answer == promotion.service

        command = rerun_command("scripts/failback.py", list(argv if argv is not None else sys.argv[1:]))
        try:
            failback = run_failback(
                promotion,
                inputs.inventory,
                inputs.plan,
                aws or Aws(),
                options=FailbackOptions(dry_run=args.dry_run, force=args.force, assume_yes=args.yes),
                clock=the_clock,
                progress=progress,
                confirm=confirm if interactive(stdin) else None,
                pulumi=cli,
                timing=timing,
                command=command,
            )
        finally:
            progress.close()
        data = report_data(failback)
        paths = None
        if args.report or failback.outcome != DRY_RUN:
            target = args.report or default_report_path("failback", promotion.stack, failback.started_at)
            paths = save_report(data, report_markdown(data), target, PROG, stderr)
        if failback.options.dry_run and failback.plan:
            print(plan_text(failback), file=human)
        first, *rest = summary_lines(data)
        if failback.exit_code == 0:
            print(first, file=human)
        else:
            print(f"{PROG}: {first}", file=stderr)
        if rest:
            print("\n".join(rest), file=human)
        if paths is not None:
            print(f"Report: {paths[0]} and {paths[1]}", file=human)
        if args.json:
            print(json.dumps(data, indent=2), file=stdout)
        return int(failback.exit_code)

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
