#!/usr/bin/env python3
"""Fail the service over to the DR region: promote, scale, route traffic, record. Safe to re-run.

    python scripts/promote_dr.py (--stack NAME | --outputs FILE) [--dry-run] [--force] [--yes]
                                 [--report FILE] [--json]

Exit status: 0 promoted (or already promoted), 2 bad input, 3 refused by a safety check (nothing
changed), 4 a step failed (the report says which and what to run next). docs/failover.md is the
runbook; operations/failover/ holds the steps.
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
    interactive,
    rerun_command,
    run_cli,
    run_script,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.failover.report import plan_text, report_data, report_markdown, summary_lines
from operations.failover.run import DRY_RUN, FailoverOptions, FailoverRun, run_failover
from operations.failover.steps import Timing
from operations.progress import progress_for
from operations.report import write_report
from operations.stack_outputs import PulumiCli, load_promotion

PROG = "promote_dr"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("promote_dr.py", __doc__)
    add_outputs_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the plan of actions; change nothing")
    parser.add_argument(
        "--force", action="store_true", help="fail over even though the primary looks healthy (a drill)"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_report_arguments(parser, "promote-dr")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    aws: Aws | None = None,
    pulumi: PulumiCli | None = None,
    clock: Clock | None = None,
    timing: Timing | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line; the keyword arguments let tests run it in-process against moto."""
    args = parse_args(argv)
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr

    def run() -> int:
        cli = pulumi or PulumiCli()
        promotion = load_promotion(stack=args.stack, outputs_file=args.outputs, pulumi=cli)
        the_clock = clock or SystemClock()
        # Human output (progress, plan, summary) on stdout, or on stderr when stdout carries the
        # JSON report; stderr's first line is what went wrong, when something did.
        human = stderr if args.json else stdout
        progress = progress_for(human, the_clock)

        def confirm(failover: FailoverRun) -> bool:
            stderr.write(plan_text(failover) + "\n")
            answer = ask(
                f'Type the service name "{promotion.service}" to fail over to {promotion.dr_region}: ',
                stdin,
                stderr,
            )
            return answer == promotion.service

        command = rerun_command("scripts/promote_dr.py", list(argv if argv is not None else sys.argv[1:]))
        try:
            failover = run_failover(
                promotion,
                aws or Aws(),
                options=FailoverOptions(dry_run=args.dry_run, force=args.force, assume_yes=args.yes),
                clock=the_clock,
                progress=progress,
                confirm=confirm if interactive(stdin) else None,
                pulumi=cli,
                timing=timing,
                command=command,
            )
        finally:
            progress.close()
        data = report_data(failover)
        paths = None
        if args.report or failover.outcome != DRY_RUN:
            stamp = failover.started_at.strftime("%Y%m%dT%H%M%SZ")
            target = args.report or f"reports/promote-dr-{promotion.stack.replace('/', '-')}-{stamp}.json"
            try:
                json_path, md_path = write_report(data, report_markdown(data), target)
                paths = (str(json_path), str(md_path))
            except OSError as exc:
                print(f"{PROG}: could not write the report to {target}: {exc.strerror or exc}", file=stderr)
        if failover.options.dry_run and failover.plan:
            print(plan_text(failover), file=human)
        first, *rest = summary_lines(failover, paths)
        if failover.exit_code == 0:
            print(first, file=human)
        else:
            print(f"{PROG}: {first}", file=stderr)
        if rest:
            print("\n".join(rest), file=human)
        if args.json:
            print(json.dumps(data, indent=2), file=stdout)
        return int(failover.exit_code)

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
