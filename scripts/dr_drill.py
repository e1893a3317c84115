#!/usr/bin/env python3
"""The quarterly drill: readiness, a forced failover measured from a declared failure time, and a
report of targets against actuals per tier, the timeline and what to improve.

    python scripts/dr_drill.py (--stack NAME | --outputs FILE) [--plan FILE] [--yes]
                               [--failure-time TIME | --experiment NAME] [--note TEXT ...] [--allow-unknown]
                               [--deadline DURATION] [--break-lock]
                               [--history LOCATION] [--report FILE] [--json]

Runs the readiness check (all of it but the drill's own recency), then the failover of
scripts/promote_dr.py with --force (the primary is healthy in a drill; it holds the operations lock
and ends by its deadline like any failover), measures the achieved RTO from --failure-time (default:
the drill's start) to the DR endpoint's first healthy answer and the RPO from the replica lag at the
cut, per tier against the plan, and appends the drill to the drill history (readiness reads its
date). The report (reports/dr-drill-<stack>-<time>.json and .md) has the Gantt timeline and what to
improve. --experiment NAME first starts that AWS FIS experiment template of the DR stack (in the
primary region) and measures from the moment FIS injects its fault. The environment is left failed
over: return with scripts/failback.py.

Exit status:
  0    the failover completed, every objective was met and readiness was ready
  1    it completed with findings (an objective missed or not measured, readiness not ready)
  2    bad input: arguments, the plan, the outputs, AWS credentials (one line on stderr)
  3    the failover was refused (not confirmed, or another run holds the operations lock)
  4    a step of the failover failed, or its deadline passed
  130  interrupted (Ctrl-C): run the same command again to finish the failover

Example:
  python scripts/dr_drill.py --outputs dr-outputs.json --plan continuity-plan.yaml \\
      --failure-time 2026-11-23T09:00:00Z --note "paging took 4 minutes"

docs/operations.md is the runbook; operations/drill/ holds the steps.
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
    add_lock_arguments,
    add_outputs_arguments,
    add_report_arguments,
    confirm_by_name,
    default_report_path,
    guarded,
    interactive,
    parse_deadline,
    parse_moment,
    rerun_command,
    run_cli,
    run_script,
    save_report,
    script_parser,
)
from operations.clock import Clock, SystemClock
from operations.drill.experiment import template_for
from operations.drill.report import report_data, report_markdown, summary_lines
from operations.drill.run import DrillOptions, run_drill
from operations.errors import BadInput
from operations.failover.report import plan_text
from operations.failover.steps import Timing
from operations.inputs import add_history_argument, add_plan_argument, history_location, load_inputs
from operations.progress import progress_for
from operations.stack_outputs import PulumiCli

PROG = "dr_drill"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = script_parser("dr_drill.py", __doc__)
    add_outputs_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation before failing over")
    parser.add_argument(
        "--failure-time",
        metavar="TIME",
        help="when the (declared) outage began, ISO 8601, UTC unless it says; the RTO is measured from it "
        "(default: the start of the drill)",
    )
    parser.add_argument(
        "--experiment",
        metavar="NAME",
        help="start this FIS experiment template of the DR stack after readiness and measure the RTO from "
        "its fault (e.g. az-power-interruption; docs/assurance.md)",
    )
    parser.add_argument(
        "--note",
        metavar="TEXT",
        action="append",
        default=[],
        help="an observation to record among the improvements (repeat for several)",
    )
    parser.add_argument(
        "--allow-unknown",
        action="store_true",
        help="do not count readiness checks that could not be measured as a finding",
    )
    add_lock_arguments(parser)
    add_history_argument(parser)
    add_report_arguments(parser, "dr-drill")
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
        failure_time = parse_moment(args.failure_time, "--failure-time") if args.failure_time else None
        cli = pulumi or PulumiCli()
        inputs = load_inputs(plan_path=args.plan, stack=args.stack, outputs_file=args.outputs, pulumi=cli)
        promotion = inputs.outputs.promotion()
        if args.experiment and failure_time is not None:
            raise BadInput("give --failure-time or --experiment, not both: the fault is the failure")
        experiment = template_for(inputs.outputs, args.experiment, promotion) if args.experiment else None
        history = history_location(args.history, inputs.inventory)
        the_clock = clock or SystemClock()
        if failure_time is not None and failure_time > the_clock.now():
            raise BadInput(f"--failure-time {args.failure_time}: in the future")
        target = args.report or default_report_path("dr-drill", inputs.inventory.stack, the_clock.now())
        human = stderr if args.json else stdout
        progress = progress_for(human, the_clock)

        question = f"Drill: type the service name {{service}} to fail over to {promotion.dr_region}"
        confirm = confirm_by_name(plan_text, promotion.service, question, stdin, stderr)

        command = rerun_command("scripts/dr_drill.py", list(argv if argv is not None else sys.argv[1:]))
        try:
            drill = run_drill(
                inputs.plan,
                inputs.inventory,
                promotion,
                aws or Aws(),
                options=DrillOptions(
                    failure_time=failure_time,
                    assume_yes=args.yes,
                    allow_unknown=args.allow_unknown,
                    notes=tuple(args.note),
                    deadline_seconds=parse_deadline(args.deadline) if args.deadline else None,
                    break_lock=args.break_lock,
                    experiment=experiment,
                ),
                clock=the_clock,
                progress=progress,
                confirm=confirm if interactive(stdin) else None,
                pulumi=cli,
                history=history,
                timing=timing,
                command=command,
                report_path=target,
            )
        finally:
            progress.close()
        data = report_data(drill)
        paths = save_report(data, report_markdown(data), target, PROG, stderr)
        first, *rest = summary_lines(data)
        if drill.exit_code == 0:
            print(first, file=human)
        else:
            print(f"{PROG}: {drill.outcome}: {first}", file=stderr)
        if rest:
            print("\n".join(rest), file=human)
        if paths is not None:
            print(f"Report: {paths[0]} and {paths[1]}", file=human)
        if args.json:
            print(json.dumps(data, indent=2), file=stdout)
        return int(drill.exit_code)

    return run_cli(run, PROG, stderr)


if __name__ == "__main__":
    run_script(main)
