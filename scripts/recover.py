#!/usr/bin/env python3
"""Bring one data item back to its state at TIME, before a corruption, in the region that serves,
keeping what was corrupted. Safe to re-run.

    python scripts/recover.py (--stack NAME | --outputs FILE) --item ITEM --to TIME [--plan FILE]
                              [--region primary|dr] [--corrupted-at TIME] [--verify COMMAND]
                              [--dry-run] [--force] [--yes] [--deadline DURATION] [--break-lock]
                              [--report FILE] [--json]

rds: restores the instance the database's name points at, as it was at TIME (point-in-time
recovery, within its restore window), into a new instance <instance>-r<TIME> (Multi-AZ, protected,
the plan's backups and tags), runs --verify against it (RESTORE_ENDPOINT, PGHOST/PGPORT... in its
environment), then cuts over: the name the services read (a CNAME in the region's private zone) is
pointed at it; the corrupted instance is kept, tagged with what replaced it. s3: rolls the versioned
bucket back by copying each key's version of TIME forward and hiding keys written since behind
delete markers; nothing is deleted. kubernetes: the newest dump at or before TIME, checked against
its SHA-256, loaded by the plan's restore_command in a Job in the item's namespace.

It asks for the service's name (--yes: don't), holds the operations lock (the one promote_dr.py and
failback.py take), and ends by its deadline (default: the item's tier RTO). The report (reports/
recover-<stack>-<time>.json and .md) gives the recovered point, the data lost (from it to
--corrupted-at, default TIME) against the tier's RPO, the time taken against its RTO, and how to
switch back.

Exit status:
  0    recovered, or nothing left to do, or a dry run
  2    bad input: arguments, the plan, the outputs, TIME outside the window (the message gives its
       bounds), an unknown item, AWS credentials (one line on stderr)
  3    refused, nothing changed: a safety check (a region that does not serve; --force), no
       confirmation, a bucket without versioning, a dump that does not match its checksum, or
       another run holds the operations lock
  4    a step failed, or the deadline passed: the report says which; run the same command again
  130  interrupted (Ctrl-C): run the same command again to resume

Example:
  python scripts/recover.py --outputs dr-outputs.json --item database --to 2026-03-01T11:55:00Z \\
      --corrupted-at 2026-03-01T11:58:00Z --verify "psql -c 'select count(*) from orders'" --dry-run

docs/recovery.md is the runbook; operations/recover/ holds the steps.
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
    parse_moment,
    present,
    rerun_command,
    run_cli,
    run_script,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.errors import BadInput
from operations.inputs import add_plan_argument, load_inputs
from operations.kubernetes import Clusters
from operations.progress import progress_for
from operations.recover.report import plan_text, report_data, report_markdown, summary_lines
from operations.recover.run import POLL_SECONDS, run_recovery
from operations.runbook import RunbookOptions
from operations.stack_outputs import PulumiCli

PROG = "recover"
PRESENTER = RunbookPresenter(PROG, "recover", report_data, report_markdown, plan_text, summary_lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("recover.py", __doc__)
    add_outputs_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--item", required=True, metavar="ITEM", help="the plan's data item to recover")
    parser.add_argument(
        "--to",
        required=True,
        metavar="TIME",
        help="the moment to bring it back to, before the corruption (ISO 8601, UTC unless it says)",
    )
    parser.add_argument(
        "--region",
        choices=["primary", "dr"],
        help="where to recover (default: the region that serves now; another needs --force)",
    )
    parser.add_argument(
        "--corrupted-at",
        metavar="TIME",
        help="when the corruption happened, for the data lost in the report (default: --to)",
    )
    parser.add_argument(
        "--verify",
        metavar="COMMAND",
        help="rds: a shell command that checks the restored instance before the cut-over (its endpoint in "
        "RESTORE_ENDPOINT, RESTORE_PORT, PGHOST/PGPORT); non-zero stops before the name moves",
    )
    add_runbook_arguments(
        parser,
        "recover",
        force="recover in a region that does not serve now (its data is what nobody reads)",
    )
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    aws: Aws | None = None,
    pulumi: PulumiCli | None = None,
    clock: Clock | None = None,
    kubernetes: Clusters | None = None,
    poll_seconds: float = POLL_SECONDS,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line; the keyword arguments let tests run it in-process against moto."""
    args = parse_args(argv)
    stdin, stdout, stderr = stdin or sys.stdin, guarded(stdout or sys.stdout), guarded(stderr or sys.stderr)

    def run() -> int:
        the_clock = clock or SystemClock()
        point = parse_moment(args.to, "--to")
        corrupted = parse_moment(args.corrupted_at, "--corrupted-at") if args.corrupted_at else None
        if point > the_clock.now():
            raise BadInput(f"--to {args.to}: in the future")
        deadline = parse_deadline(args.deadline) if args.deadline else None
        cli = pulumi or PulumiCli()
        inputs = load_inputs(plan_path=args.plan, stack=args.stack, outputs_file=args.outputs, pulumi=cli)
        command = rerun_command("scripts/recover.py", list(argv if argv is not None else sys.argv[1:]))
        progress = progress_for(stderr if args.json else stdout, the_clock)
        question = f"Type the service name {{service}} to recover {args.item} to {args.to}"
        try:
            recovery = run_recovery(
                inputs.plan,
                inputs.inventory,
                aws or Aws(),
                item=args.item,
                point=point,
                role=args.region,
                options=RunbookOptions(
                    dry_run=args.dry_run,
                    force=args.force,
                    assume_yes=args.yes,
                    deadline_seconds=deadline,
                    break_lock=args.break_lock,
                ),
                clock=the_clock,
                progress=progress,
                confirm=confirm_by_name(plan_text, inputs.plan.service, question, stdin, stderr)
                if interactive(stdin)
                else None,
                pulumi=cli,
                corrupted_at=corrupted,
                verify=args.verify,
                clusters=kubernetes or Clusters(),
                command=command,
                poll_seconds=poll_seconds,
            )
        finally:
            progress.close()
        return present(
            recovery,
            PRESENTER,
            stack=inputs.inventory.stack,
            report=args.report,
            as_json=args.json,
            stdout=stdout,
            stderr=stderr,
        )

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
