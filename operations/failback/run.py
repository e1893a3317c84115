"""The failback, step by step: the failover in reverse, with the same safety and resumability.

    1 Preflight   read both regions' databases, the DR services and the primary health check;
                  refuse (nothing changed) if something is missing or not as a failover leaves it
    2 Safety      refuse until the primary region serves again (its services steady), unless
                  --force; ask unless --yes
    3 Replicate   rename the old primary out of the way; create a read replica of the DR database
                  in the primary region under the primary's name; wait until available
    4 Catch up    wait until each replica's lag is within its tier's RPO
    5 Promote     promote each replica (the failover's promotion), Multi-AZ and protection
    6 Route       un-invert the primary health check; wait until the primary answers healthy
    7 Scale       the DR services back to warm capacity (autoscaling floor, then desired count)
    8 Record      `pulumi config set promoted false` on the DR stack, or print the command

Traffic moves back (6) only once every database is writable in the primary region, and DR scales
down (7) only once traffic has moved. It never deletes anything: the old primary is renamed and
kept, and the DR instance is left as it is (a stale copy once traffic moves; docs/failback.md says
how the stacks adopt the new primary and re-create the DR replica).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from continuity.outputs import Inventory, Promotion
from continuity.plan import Plan
from operations.aws import Aws, describe_error, is_credentials_problem
from operations.clock import Clock, Interrupted, format_seconds
from operations.cloudwatch import LagReading
from operations.errors import BadInput, ExitCode, Refused, StepFailed
from operations.failback.checks import (
    Assessment,
    FailbackTarget,
    PlannedAction,
    failback_targets,
    plan_actions,
)
from operations.failback.safety import PrimaryService, SafetyDecision, judge_failback_safety
from operations.failback.steps import (
    FailbackTiming,
    assess,
    catch_up,
    promote,
    read_primary_services,
    replicate_database,
    route_back,
    scale_to_warm,
)
from operations.failover.checks import input_problems
from operations.failover.steps import record_promoted
from operations.progress import Progress
from operations.report import (
    ACTION_NEEDED,
    ALREADY_DONE,
    DONE,
    PLANNED,
    SKIPPED,
    StepRecord,
    Timeline,
    settled,
)
from operations.stack_outputs import PulumiCli, config_set_command
from operations.tasks import Outcome, run_all

STEPS = [
    ("preflight", "Preflight"),
    ("safety", "Safety"),
    ("replicate", "Re-create primary databases"),
    ("catchup", "Catch up"),
    ("promote", "Promote in the primary"),
    ("route", "Route traffic back"),
    ("scale", "Scale DR to warm"),
    ("record", "Record"),
]

FAILED_BACK = "failed back"
ALREADY_FAILED_BACK = "already failed back"
NOT_FAILED_OVER = "nothing to fail back"
DRY_RUN = "dry run"


@dataclass(frozen=True)
class FailbackOptions:
    dry_run: bool = False
    force: bool = False
    assume_yes: bool = False


Confirm = Callable[["FailbackRun"], bool]


@dataclass
class FailbackRun:
    promotion: Promotion
    inventory: Inventory
    plan_doc: Plan
    options: FailbackOptions
    command: str
    timeline: Timeline
    started_at: datetime
    targets: list[FailbackTarget] = field(default_factory=list)
    ended_at: datetime | None = None
    seconds: float | None = None
    outcome: str = "not started"
    exit_code: ExitCode = ExitCode.OK
    message: str = ""
    next_actions: list[str] = field(default_factory=list)
    assessment: Assessment | None = None
    plan: list[PlannedAction] = field(default_factory=list)
    primary_services: list[PrimaryService] = field(default_factory=list)
    safety: SafetyDecision | None = None
    lags: dict[str, LagReading] = field(default_factory=dict)  # at promotion, by identifier
    retired: dict[str, str] = field(default_factory=dict)  # new primary -> the old one's new name

    @property
    def steps(self) -> list[StepRecord]:
        return self.timeline.records()

    @property
    def changed(self) -> bool:
        return any(s.actions for s in self.steps if s.key in ("replicate", "promote", "route", "scale"))


def run_failback(
    promotion: Promotion,
    inventory: Inventory,
    plan: Plan,
    aws: Aws,
    *,
    options: FailbackOptions,
    clock: Clock,
    progress: Progress,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    timing: FailbackTiming | None = None,
    command: str = "python scripts/failback.py",
) -> FailbackRun:
    """Fail back (or plan to, with ``dry_run``); refusals and failed steps are in the run's exit
    code and message, never raised. BadInput for outputs that cannot drive a failback at all."""
    problems = input_problems(promotion)
    if problems:
        raise BadInput("\n".join(problems))
    timeline = Timeline(STEPS, clock, progress)
    run = FailbackRun(promotion, inventory, plan, options, command, timeline, started_at=timeline.started_at)
    run.targets = failback_targets(promotion, inventory, plan)
    with settled(
        run,
        clock=clock,
        dry_run=options.dry_run,
        command=command,
        traffic=f"traffic still goes to the DR region {promotion.dr_region}",
    ):
        _run(run, aws=aws, clock=clock, confirm=confirm, pulumi=pulumi, timing=timing or FailbackTiming())
    return run


def _run(
    run: FailbackRun,
    *,
    aws: Aws,
    clock: Clock,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    timing: FailbackTiming,
) -> None:
    promotion, options, timeline = run.promotion, run.options, run.timeline

    with timeline.step("preflight") as rec:
        try:
            assessment = assess(promotion, run.targets, aws, clock)
        except StepFailed as exc:
            if exc.__cause__ is not None and is_credentials_problem(exc.__cause__):
                raise BadInput(f"AWS credentials: {describe_error(exc.__cause__)}") from None
            raise
        run.assessment = assessment
        rec.notes += _preflight_notes(assessment)
        if assessment.problems:
            raise Refused("preflight: " + "; ".join(assessment.problems))
        if not assessment.failed_over:
            rec.notes.append("no DR database is promoted: the primary region is the writable one")
            for key in ("safety", "replicate", "catchup", "promote", "route", "scale", "record"):
                timeline[key].outcome = SKIPPED
            run.outcome, run.exit_code = NOT_FAILED_OVER, ExitCode.OK
            run.message = f"{promotion.service} runs in {promotion.primary_region}: nothing to fail back"
            return
        run.plan = plan_actions(
            assessment,
            stack=promotion.stack,
            pulumi_available=pulumi.available,
            now=clock.now(),
            dr_region=promotion.dr_region,
        )

    with timeline.step("safety") as rec:
        run.primary_services = read_primary_services(run.plan_doc, run.inventory, aws)
        run.safety = judge_failback_safety(
            run.primary_services, force=options.force, under_way=assessment.started
        )
        rec.notes += [*run.safety.evidence, run.safety.summary]
        if not run.safety.proceed:
            raise Refused(run.safety.summary)
        if not options.dry_run and not options.assume_yes and any(a.mutating for a in run.plan):
            if confirm is None:
                raise Refused("no terminal to confirm on; run again with --yes to confirm")
            with timeline.progress.paused():
                confirmed = confirm(run)
            if not confirmed:
                raise Refused("not confirmed by the operator")
            rec.actions.append("confirmed by the operator")

    if options.dry_run:
        for key in ("replicate", "catchup", "promote", "route", "scale", "record"):
            timeline[key].outcome = PLANNED
        run.outcome, run.exit_code = DRY_RUN, ExitCode.OK
        run.message = "dry run: nothing was changed"
        return

    now = clock.now()
    replicated = _per_database(
        run,
        "replicate",
        lambda t, step: partial(
            replicate_database,
            promotion,
            run.plan_doc,
            t,
            aws=aws,
            clock=clock,
            timing=timing,
            state=partial(timeline.state, "replicate"),
            did=step.actions.append,
            now=now,
        ),
    )
    run.retired = {name: str(o.value) for name, o in replicated.items() if o.value}

    with timeline.step("catchup") as rec:
        tasks: dict[str, Callable[[], LagReading | None]] = {
            t.identifier: partial(
                catch_up,
                promotion,
                t,
                aws=aws,
                clock=clock,
                timing=timing,
                state=partial(timeline.state, "catchup"),
                force=options.force,
            )
            for t in run.targets
        }
        outcomes = run_all(tasks, interrupt=clock.interrupt)
        _raise_failures(outcomes)
        for t in run.targets:
            lag = outcomes[t.identifier].value
            if lag is None:
                rec.notes.append(f"{t.identifier}: promoted by an earlier run")
                continue
            run.lags[t.identifier] = lag
            rec.notes.append(
                f"{t.identifier}: data at risk {lag.describe()}, RPO {format_seconds(t.rpo_seconds)}"
            )
        rec.outcome = DONE if run.lags else ALREADY_DONE

    _per_database(
        run,
        "promote",
        lambda t, step: partial(
            promote,
            promotion,
            t,
            aws=aws,
            clock=clock,
            timing=timing,
            state=partial(timeline.state, "promote"),
            did=step.actions.append,
        ),
    )

    with timeline.step("route") as rec:
        try:
            rec.notes += route_back(
                promotion,
                aws=aws,
                clock=clock,
                timing=timing,
                state=partial(timeline.state, "route"),
                did=rec.actions.append,
            )
        except (StepFailed, Interrupted):
            raise
        except Exception as exc:
            raise StepFailed(describe_error(exc)) from exc
        rec.outcome = DONE if rec.actions else ALREADY_DONE

    with timeline.step("scale") as step:
        tasks = {
            svc.name: partial(
                scale_to_warm,
                promotion,
                svc,
                aws=aws,
                clock=clock,
                timing=timing,
                state=partial(timeline.state, "scale"),
                did=step.actions.append,
            )
            for svc in promotion.services
        }
        _settle(step, run_all(tasks, interrupt=clock.interrupt))

    with timeline.step("record") as rec:
        recorded = record_promoted(promotion, pulumi, "false")
        rec.actions += recorded.actions
        rec.notes += recorded.notes
        if not recorded.done:
            rec.outcome = ACTION_NEEDED
            run.next_actions.append(f"run: {config_set_command(promotion.stack, 'promoted', 'false')}")
    run.next_actions += adoption_actions(run)
    run.outcome = ALREADY_FAILED_BACK if assessment.complete and not run.changed else FAILED_BACK
    run.exit_code = ExitCode.OK
    where = f"{promotion.service} runs in {promotion.primary_region} again"
    run.message = (
        f"{where} (nothing left to do)" if run.outcome == ALREADY_FAILED_BACK else f"{where}: failed back"
    )


def _per_database(
    run: FailbackRun, key: str, task: Callable[[FailbackTarget, StepRecord], Callable[[], object]]
) -> Mapping[str, Outcome[Any]]:
    with run.timeline.step(key) as step:
        tasks = {t.identifier: task(t, step) for t in run.targets}
        outcomes = run_all(tasks, interrupt=run.timeline.clock.interrupt)
        _settle(step, outcomes)
    return outcomes


def _raise_failures(outcomes: Mapping[str, Outcome[Any]]) -> None:
    errors = []
    for name, outcome in outcomes.items():
        if outcome.error is None:
            continue
        if isinstance(outcome.error, Interrupted | KeyboardInterrupt):
            raise outcome.error
        errors.append(f"{name}: {_message(outcome.error)}")
    if errors:
        raise StepFailed("; ".join(errors))


def _settle(step: StepRecord, outcomes: Mapping[str, Outcome[Any]]) -> None:
    _raise_failures(outcomes)
    if not outcomes:
        step.outcome = SKIPPED
        step.notes.append("nothing to do")
    else:
        step.outcome = DONE if step.actions else ALREADY_DONE


def _message(error: BaseException) -> str:
    return str(error) if isinstance(error, StepFailed) else describe_error(error)


def _preflight_notes(assessment: Assessment) -> list[str]:
    notes = []
    for d in assessment.databases:
        dr = "not found" if d.dr is None else d.dr.describe()
        primary = "none" if d.primary is None else d.primary.describe()
        t = d.target
        notes.append(f"database {t.data_item}: DR {t.dr_identifier} {dr}; primary {t.identifier} {primary}")
        notes.append(f"database {t.data_item}: {d.phase.value}")
    for s in assessment.services:
        notes.append(f"DR service {s.name}: {'not found' if s.view is None else s.view.describe()}")
    check = assessment.primary_check
    state = "not found" if check is None else ("inverted" if check.inverted else "not inverted")
    notes.append(f"Route 53 health check {assessment.primary_check_id} (primary): {state}")
    return notes


def adoption_actions(run: FailbackRun) -> list[str]:
    """How the stacks take over what failback created (docs/failback.md explains each)."""
    p = run.promotion
    actions = []
    for t in run.targets:
        actions.append(
            f"primary stack: adopt the new {t.identifier} (docs/failback.md): pulumi state delete the "
            "URN of its aws:rds/instance:Instance, pulumi import aws:rds/instance:Instance <name> "
            f"{t.identifier}, then pulumi up"
        )
        if t.identifier in run.retired:
            actions.append(
                f"the old primary is kept as {run.retired[t.identifier]} in {p.primary_region}: "
                "delete it once nothing in it is needed"
            )
        actions.append(
            f"DR stack: {t.dr_identifier} is now a stale copy; rename it out of the way, pulumi state delete "
            f"its URN in stack {p.stack}, then pulumi up --stack {p.stack} to re-create the replica "
            "(docs/failback.md)"
        )
    return actions
