#!/usr/bin/env python3
"""Restore a data item's newest recovery point (or a point in time) into scratch, verify it, time it
against the tier's RTO, and delete the scratch; the result goes into the drill history.

    python scripts/restore_test.py (--stack NAME | --outputs FILE) [--plan FILE] [--data-item ITEM]
                                   [--region primary|dr] [--point-in-time TIME] [--verify COMMAND]
                                   [--sample N] [--history LOCATION] [--report FILE] [--json]

rds: a scratch instance from the automated backups (replicated ones in DR). s3: the newest objects
(--sample, 5 by default) copied from their versions into a scratch bucket and compared by SHA-256.
kubernetes: the newest dump, checked against its SHA-256, loaded by the plan's restore_command in a
restore Job into a scratch namespace. The scratch is tagged with the run's token and only what
carries it is ever deleted, whatever happened before (Ctrl-C included). --verify runs a shell command
with the scratch in its environment (rds: RESTORE_ENDPOINT, RESTORE_PORT, RESTORE_DB_INSTANCE, and
PGHOST/PGPORT or MYSQL_HOST/MYSQL_TCP_PORT; s3: RESTORE_BUCKET, RESTORE_KEYS; kubernetes:
RESTORE_NAMESPACE, RESTORE_CONTEXT). The report is reports/restore-test-<stack>-<time>.json and .md.

Exit status:
  0    passed
  1    a finding: the restore failed or was slower than the RTO, a checksum did not match, or the
       verification failed
  2    bad input: arguments, the plan, the outputs, AWS credentials (one line on stderr)
  4    a step failed (an AWS or Kubernetes error, or the scratch could not be deleted: the report
       gives the command that deletes it)
  130  interrupted (after deleting the scratch)

Example:
  python scripts/restore_test.py --outputs dr-outputs.json --plan continuity-plan.yaml \\
      --data-item database --region dr --verify "psql -c 'select count(*) from orders'"

docs/operations.md is the runbook; operations/restore/ holds the steps.
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

from continuity.plan import Plan
from operations.aws import Aws
from operations.cli import (
    add_outputs_arguments,
    add_report_arguments,
    default_report_path,
    guarded,
    parse_moment,
    run_cli,
    run_script,
    save_report,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.errors import BadInput
from operations.inputs import add_history_argument, add_plan_argument, history_location, load_inputs
from operations.kubernetes import Clusters
from operations.progress import progress_for
from operations.restore.report import report_data, report_markdown
from operations.restore.run import RestoreOptions, RestoreTiming, run_restore_test
from operations.stack_outputs import PulumiCli

PROG = "restore_test"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("restore_test.py", __doc__)
    add_outputs_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument(
        "--data-item",
        metavar="ITEM",
        help="the plan's data item to restore (default: its only rds item, or its only item)",
    )
    parser.add_argument(
        "--region",
        choices=["primary", "dr"],
        default="primary",
        help="restore in the primary region from its automated backups (default), or in the DR region "
        "from the backups replicated there",
    )
    parser.add_argument(
        "--point-in-time",
        metavar="TIME",
        help="restore to this ISO 8601 time (UTC unless it says) instead of the newest restorable point",
    )
    parser.add_argument(
        "--verify",
        metavar="COMMAND",
        help="a shell command that checks the restored data; it finds the scratch instance in "
        "RESTORE_ENDPOINT and RESTORE_PORT (and PGHOST/PGPORT or MYSQL_HOST); non-zero is a finding",
    )
    parser.add_argument(
        "--sample",
        metavar="N",
        type=_positive,
        help="s3 items: how many of the newest objects to restore and compare (default 5)",
    )
    add_history_argument(parser)
    add_report_arguments(parser, "restore-test")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def data_item(plan: Plan, given: str | None) -> str:
    if given is not None:
        if given not in plan.data:
            raise BadInput(f"--data-item {given}: not in plan {plan.source} (data: {', '.join(plan.data)})")
        return given
    databases = [name for name, item in plan.data.items() if item.store == "rds"]
    if len(databases) == 1:
        return databases[0]
    if len(databases) > 1:
        raise BadInput(
            f"plan {plan.source} has several rds data items ({', '.join(databases)}): "
            "choose one with --data-item"
        )
    if len(plan.data) == 1:
        return next(iter(plan.data))
    if not plan.data:
        raise BadInput(f"plan {plan.source} has no data item to restore")
    raise BadInput(
        f"plan {plan.source} has several data items ({', '.join(plan.data)}): choose one with --data-item"
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    aws: Aws | None = None,
    pulumi: PulumiCli | None = None,
    clock: Clock | None = None,
    timing: RestoreTiming | None = None,
    kubernetes: Clusters | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line; the keyword arguments let tests run it in-process against moto."""
    args = parse_args(argv)
    stdout, stderr = guarded(stdout or sys.stdout), guarded(stderr or sys.stderr)

    def run() -> int:
        point = parse_moment(args.point_in_time, "--point-in-time") if args.point_in_time else None
        inputs = load_inputs(
            plan_path=args.plan, stack=args.stack, outputs_file=args.outputs, pulumi=pulumi or PulumiCli()
        )
        item = data_item(inputs.plan, args.data_item)
        history = history_location(args.history, inputs.inventory)
        the_clock = clock or SystemClock()
        if point is not None and point > the_clock.now():
            raise BadInput(f"--point-in-time {args.point_in_time}: in the future")
        target = args.report or default_report_path("restore-test", inputs.inventory.stack, the_clock.now())
        human = stderr if args.json else stdout
        progress = progress_for(human, the_clock)
        try:
            test = run_restore_test(
                inputs.plan,
                inputs.inventory,
                aws or Aws(),
                options=RestoreOptions(item, args.region, point, args.verify, args.sample),
                clock=the_clock,
                progress=progress,
                history=history,
                timing=timing,
                report_path=target,
                kubernetes=kubernetes or Clusters(),
            )
        finally:
            progress.close()
        data = report_data(test, history.text)
        paths = save_report(data, report_markdown(data), target, PROG, stderr)
        if test.exit_code == 0:
            print(test.message, file=human)
        else:
            print(f"{PROG}: {test.outcome}: {test.message}", file=stderr)
        for action in test.next_actions:
            print(f"Next: {action}", file=human)
        if paths is not None:
            print(f"Report: {paths[0]} and {paths[1]}", file=human)
        if args.json:
            print(json.dumps(data, indent=2), file=stdout)
        return int(test.exit_code)

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
