#!/usr/bin/env python3
"""Fail the service over to the DR region: promote, scale, route traffic, record. Safe to re-run.

    python scripts/promote_dr.py (--stack NAME | --outputs FILE) [--dry-run] [--force] [--yes]
                                 [--deadline DURATION] [--break-lock] [--notify] [--report FILE] [--json]

Reads the DR stack's outputs (from the Pulumi CLI, or a saved `pulumi stack output --json
--show-secrets` when the state backend is unreachable), checks every target, refuses while the
primary is healthy (--force: a drill), asks for the service's name (--yes: don't), then, holding
the operations lock in the DR region's operations bucket: promotes the DR databases and scales the
DR services at once, moves traffic (already moved by Route 53's health checks when the primary is
seen down; else by inverting the primary's health check, or by ARC routing controls when the stack
declares them), and records `promoted: true` on the DR stack. Every step does only what is left,
so the same command resumes after a failure, a crash or Ctrl-C. The run ends by its deadline
(default: the longest RTO of the tiers it brings up). It writes a JSON report and a Markdown page
(reports/promote-dr-<stack>-<time>.json) with the RTO counted from the outage's detection (the
primary health alarm's ALARM, or the health check's failing reports) to the DR endpoint answering
healthy, split into detection, decision and recovery, the data at risk, and an incident update;
--notify then publishes that update to the DR stack's alarm topic (the plan's notify endpoints),
never failing the failover when it cannot.

Exit status:
  0    promoted, or already promoted (nothing left to do), or a dry run
  2    bad input: arguments, the outputs file, AWS credentials (one line on stderr)
  3    refused, nothing changed: a safety check, no confirmation, or another run holds the
       operations lock (the message names it and how old it is)
  4    a step failed, or the deadline passed: the report says which; run the same command again
  130  interrupted (Ctrl-C): run the same command again to resume

Example:
  pulumi stack output --stack dr --json --show-secrets > dr-outputs.json   # after every pulumi up
  python scripts/promote_dr.py --outputs dr-outputs.json --dry-run
  python scripts/promote_dr.py --outputs dr-outputs.json --deadline 30m

docs/failover.md is the runbook; operations/failover/ holds the steps.
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
    default_report_path,
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
from operations.failover.report import incident_update, plan_text, report_data, report_markdown, summary_lines
from operations.failover.run import FailoverOptions, run_failover
from operations.failover.steps import Timing
from operations.notify import alarm_topic, send_incident_update
from operations.progress import progress_for
from operations.runbook import DRY_RUN
from operations.stack_outputs import PulumiCli, load_outputs

PROG = "promote_dr"
PRESENTER = RunbookPresenter(PROG, "promote-dr", report_data, report_markdown, plan_text, summary_lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("promote_dr.py", __doc__)
    add_outputs_arguments(parser)
    add_runbook_arguments(
        parser, "promote-dr", force="fail over even though the primary looks healthy (a drill)"
    )
    parser.add_argument(
        "--notify",
        action="store_true",
        help="publish the incident update to the DR stack's alarm topic once the report is written",
    )
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
    stdin, stdout, stderr = stdin or sys.stdin, guarded(stdout or sys.stdout), guarded(stderr or sys.stderr)

    def run() -> int:
        deadline = parse_deadline(args.deadline) if args.deadline else None
        cli = pulumi or PulumiCli()
        outputs = load_outputs(stack=args.stack, outputs_file=args.outputs, pulumi=cli)
        promotion = outputs.promotion()
        topic = alarm_topic(outputs.document, outputs.where) if args.notify else None
        session = aws or Aws()
        the_clock = clock or SystemClock()
        command = rerun_command("scripts/promote_dr.py", list(argv if argv is not None else sys.argv[1:]))
        # Human output (progress, plan, summary) on stdout, or on stderr when stdout carries the
        # JSON report; stderr's first line is what went wrong, when something did.
        progress = progress_for(stderr if args.json else stdout, the_clock)
        question = f"Type the service name {{service}} to fail over to {promotion.dr_region}"
        try:
            failover = run_failover(
                promotion,
                session,
                options=FailoverOptions(
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
        code = present(
            failover,
            PRESENTER,
            stack=promotion.stack,
            report=args.report,
            as_json=args.json,
            stdout=stdout,
            stderr=stderr,
        )
        if topic is not None and failover.outcome != DRY_RUN:
            target = args.report or default_report_path(PRESENTER.kind, promotion.stack, failover.started_at)
            human = stderr if args.json else stdout
            send_incident_update(session, topic, incident_update(failover), target, PROG, human, stderr)
        return code

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
