#!/usr/bin/env python3
"""Restore a database's newest recovery point (or a point in time) into a scratch instance, verify
it, time it against the tier's RTO, and delete it; the result goes into the drill history.

    python scripts/restore_test.py (--stack NAME | --outputs FILE) [--plan FILE] [--data-item ITEM]
                                   [--region primary|dr] [--point-in-time TIME] [--verify COMMAND]
                                   [--history LOCATION] [--report FILE] [--json]

The scratch instance is tagged with the run's token and only an instance carrying it is ever
deleted, whatever happened before (Ctrl-C included). --verify runs a shell command with the scratch
endpoint in its environment (RESTORE_ENDPOINT, RESTORE_PORT, RESTORE_DB_INSTANCE, and PGHOST/PGPORT
or MYSQL_HOST/MYSQL_TCP_PORT for the engine's own client). The report is
reports/restore-test-<stack>-<time>.json and .md.

Exit status:
  0    passed
  1    a finding: the restore failed or was slower than the RTO, or the verification failed
  2    bad input: arguments, the plan, the outputs, AWS credentials (one line on stderr)
  4    a step failed (an AWS error, or the scratch instance could not be deleted: the report gives
       the command that deletes it)
  130  interrupted (after deleting the scratch instance)

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
        "--data-item", metavar="ITEM", help="the plan's rds data item to restore (default: the only one)"
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
    add_history_argument(parser)
    add_report_arguments(parser, "restore-test")
    return parser.parse_args(argv)


def data_item(plan: Plan, given: str | None) -> str:
    databases = [name for name, item in plan.data.items() if item.store == "rds"]
    if given is not None:
        if given not in plan.data:
            raise BadInput(f"--data-item {given}: not in plan {plan.source} (data: {', '.join(plan.data)})")
        if plan.data[given].store != "rds":
            raise BadInput(
                f"--data-item {given}: store {plan.data[given].store}; only rds items are restored"
            )
        return given
    if not databases:
        raise BadInput(f"plan {plan.source} has no rds data item to restore")
    if len(databases) > 1:
        raise BadInput(
            f"plan {plan.source} has several rds data items ({', '.join(databases)}): "
            "choose one with --data-item"
        )
    return databases[0]


def main(
    argv: Sequence[str] | None = None,
    *,
    aws: Aws | None = None,
    pulumi: PulumiCli | None = None,
    clock: Clock | None = None,
    timing: RestoreTiming | None = None,
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
                options=RestoreOptions(item, args.region, point, args.verify),
                clock=the_clock,
                progress=progress,
                history=history,
                timing=timing,
                report_path=target,
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
