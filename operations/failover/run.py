"""The regional failover, step by step: the order, the safety gates, and what each outcome means.

    1 Preflight   read every target; refuse (nothing changed) if one is missing or not as recorded
    2 Safety      refuse while the primary is healthy, unless --force; ask unless --yes
    3 Promote     promote each replica (or restore each database)  } at the same time: the
    4 Scale       scale each DR service to full capacity            } RTO is the slower of the two
    5 Route       invert the primary health check; wait until the DR endpoint is healthy
    6 Record      `pulumi config set promoted true`, or print the command

Traffic moves (step 5) only once every database is writable and every service is at full
capacity. Every step does only what is left, so running the whole thing again after a crash, a
failure or Ctrl-C finishes the job; a failover an earlier run began is finished even if the
primary has come back, since a promoted replica cannot be demoted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from continuity.outputs import Promotion
from operations.aws import Aws, describe_error, is_credentials_problem
from operations.clock import Clock, Interrupted, format_seconds
from operations.errors import BadInput, ExitCode, Refused, StepFailed
from operations.failover.checks import PROMOTED_KEY, Assessment, PlannedAction, input_problems, plan_actions
from operations.failover.safety import SafetyDecision, SafetySignals, judge_safety
from operations.failover.steps import (
    Timing,
    assess,
    promote_database,
    read_safety_signals,
    record_promoted,
    route_traffic,
    scale_kubernetes_service,
    scale_service,
)
from operations.kubernetes import Clusters
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
    ("promote", "Promote databases"),
    ("scale", "Scale services"),
    ("route", "Route traffic"),
    ("record", "Record"),
]

# Run outcomes.
PROMOTED = "promoted"
ALREADY_PROMOTED = "already promoted"
DRY_RUN = "dry run"


@dataclass(frozen=True)
class FailoverOptions:
    dry_run: bool = False
    force: bool = False
    assume_yes: bool = False
    concurrent: bool = True  # False runs every step and target one after another (the benchmark)


# Shown the plan and the safety verdict, says whether the operator confirmed. None: no terminal.
Confirm = Callable[["FailoverRun"], bool]


@dataclass
class FailoverRun:
    promotion: Promotion
    options: FailoverOptions
    command: str  # how to run it again (resume)
    timeline: Timeline
    started_at: datetime
    ended_at: datetime | None = None
    seconds: float | None = None
    outcome: str = "not started"
    exit_code: ExitCode = ExitCode.OK
    message: str = ""
    next_actions: list[str] = field(default_factory=list)
    assessment: Assessment | None = None
    plan: list[PlannedAction] = field(default_factory=list)
    signals: SafetySignals | None = None
    safety: SafetyDecision | None = None
    switch_seconds: int | None = None

    @property
    def steps(self) -> list[StepRecord]:
        return self.timeline.records()

    @property
    def mode(self) -> str:
        if self.options.dry_run:
            return "dry run"
        if self.safety is not None and self.safety.drill and self.options.force:
            return "drill"
        return "failover"

    @property
    def changed(self) -> bool:
        return any(s.actions for s in self.steps if s.key in ("promote", "scale", "route"))


def run_failover(
    promotion: Promotion,
    aws: Aws,
    *,
    options: FailoverOptions,
    clock: Clock,
    progress: Progress,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    timing: Timing | None = None,
    command: str = "python scripts/promote_dr.py",
    clusters: Clusters | None = None,
) -> FailoverRun:
    """Fail over (or plan to, with ``dry_run``); never raises for a refusal or a failed step: the
    run's ``exit_code``, ``message`` and steps say what happened. Raises BadInput for outputs or
    credentials that cannot drive a failover at all."""
    problems = input_problems(promotion)
    if problems:
        raise BadInput("\n".join(problems))
    timeline = Timeline(STEPS, clock, progress)
    run = FailoverRun(promotion, options, command, timeline, started_at=timeline.started_at)
    with settled(
        run,
        clock=clock,
        dry_run=options.dry_run,
        command=command,
        traffic=f"traffic still goes to the primary region {promotion.primary_region}",
    ):
        _run(
            run,
            aws=aws,
            clock=clock,
            confirm=confirm,
            pulumi=pulumi,
            timing=timing or Timing(),
            clusters=clusters or Clusters(),
        )
    return run


def _run(
    run: FailoverRun,
    *,
    aws: Aws,
    clock: Clock,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    timing: Timing,
    clusters: Clusters,
) -> None:
    promotion, options, timeline = run.promotion, run.options, run.timeline

    with timeline.step("preflight") as rec:
        try:
            assessment = assess(promotion, aws, clock, concurrent=options.concurrent, clusters=clusters)
        except StepFailed as exc:
            if exc.__cause__ is not None and is_credentials_problem(exc.__cause__):
                raise BadInput(f"AWS credentials: {describe_error(exc.__cause__)}") from None
            raise
        run.assessment = assessment
        rec.notes += _preflight_notes(assessment)
        if assessment.problems:
            raise Refused("preflight: " + "; ".join(assessment.problems))
        run.plan = plan_actions(promotion, assessment, pulumi_available=pulumi.available)

    with timeline.step("safety") as rec:
        run.signals = read_safety_signals(promotion, aws, concurrent=options.concurrent)
        run.safety = judge_safety(
            run.signals, force=options.force, under_way=assessment.started, inverted=assessment.dns.inverted
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
        for key in ("promote", "scale", "route", "record"):
            timeline[key].outcome = PLANNED
        run.outcome, run.exit_code = DRY_RUN, ExitCode.OK
        run.message = "dry run: nothing was changed"
        return

    def promote_step() -> None:
        with timeline.step("promote") as step:
            tasks = {
                db.identifier: partial(
                    promote_database,
                    promotion,
                    db,
                    aws=aws,
                    clock=clock,
                    timing=timing,
                    state=partial(timeline.state, "promote"),
                    did=step.actions.append,
                )
                for db in promotion.databases
            }
            _collect(step, run_all(tasks, concurrent=options.concurrent, interrupt=clock.interrupt))

    def scale_step() -> None:
        with timeline.step("scale") as step:
            tasks = {
                svc.name: partial(
                    scale_service,
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
            for target in promotion.kubernetes.services if promotion.kubernetes is not None else []:
                tasks[target.name] = partial(
                    scale_kubernetes_service,
                    promotion,
                    target,
                    clusters=clusters,
                    clock=clock,
                    timing=timing,
                    state=partial(timeline.state, "scale"),
                    did=step.actions.append,
                )
            _collect(step, run_all(tasks, concurrent=options.concurrent, interrupt=clock.interrupt))

    results = run_all(
        {"promote": promote_step, "scale": scale_step},
        concurrent=options.concurrent,
        interrupt=clock.interrupt,
    )
    failures = [(key, o.error) for key, o in results.items() if o.error is not None]
    for _, error in failures:
        if isinstance(error, Interrupted | KeyboardInterrupt):
            raise error
    if failures:
        raise StepFailed(
            "; ".join(f"step {timeline[key].label} failed: {_message(error)}" for key, error in failures)
        )
    for db in assessment.databases:
        if db.lag is not None:
            timeline["promote"].notes.append(
                f"{db.target.identifier}: data at risk {db.lag.describe()}, "
                f"RPO {format_seconds(db.target.rpo_seconds)}"
            )

    with timeline.step("route") as rec:
        try:
            routed = route_traffic(
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
        rec.notes += routed.notes
        rec.outcome = DONE if rec.actions else ALREADY_DONE
        run.switch_seconds = routed.switch_seconds

    with timeline.step("record") as rec:
        if promotion.promoted:
            rec.outcome = ALREADY_DONE
            rec.notes.append(f"the outputs already say stack {promotion.stack} is promoted")
        else:
            recorded = record_promoted(promotion, pulumi)
            rec.actions += recorded.actions
            rec.notes += recorded.notes
            if not recorded.done:
                rec.outcome = ACTION_NEEDED
                run.next_actions.append(f"run: {config_set_command(promotion.stack, PROMOTED_KEY, 'true')}")
        run.next_actions.append(
            f"run `pulumi up --stack {promotion.stack}` once the state backend is reachable, so the "
            "DR stack manages the promoted database and full capacity"
        )

    assert run.assessment is not None
    run.outcome = ALREADY_PROMOTED if run.assessment.complete and not run.changed else PROMOTED
    run.exit_code = ExitCode.OK
    where = f"{promotion.service} runs in {promotion.dr_region}"
    run.message = f"{where} (nothing left to do)" if run.outcome == ALREADY_PROMOTED else f"{where}: promoted"


def _message(error: BaseException) -> str:
    if isinstance(error, StepFailed):
        return str(error)
    return describe_error(error)


def _collect(step: StepRecord, outcomes: dict[str, Outcome[None]]) -> None:
    """Settle a step whose targets ran at once: fail it naming every target that failed."""
    errors = []
    for name, outcome in outcomes.items():
        if outcome.error is None:
            continue
        if isinstance(outcome.error, Interrupted | KeyboardInterrupt):
            raise outcome.error
        errors.append(f"{name}: {_message(outcome.error)}")
    if not outcomes:
        step.outcome = SKIPPED
        step.notes.append("nothing to do")
    else:
        step.outcome = DONE if step.actions else ALREADY_DONE
    if errors:
        raise StepFailed("; ".join(errors))


def _preflight_notes(assessment: Assessment) -> list[str]:
    notes = []
    for d in assessment.databases:
        status = f" ({d.instance.status})" if d.instance is not None else ""
        lag = f"; data at risk {d.lag.describe()}" if d.lag is not None else ""
        notes.append(f"database {d.target.identifier}: {d.phase.value}{status}{lag}")
    for s in assessment.services:
        view = s.service.describe() if s.service is not None else "not found"
        scaling = (
            f"; autoscaling min {s.scaling.minimum} max {s.scaling.maximum}" if s.scaling is not None else ""
        )
        notes.append(f"service {s.target.name}: {view}{scaling}")
    for k in assessment.kubernetes:
        view = k.deployment.describe() if k.deployment is not None else "not found"
        bounds = k.autoscaler
        scaling = f"; autoscaler min {bounds.minimum} max {bounds.maximum}" if bounds is not None else ""
        notes.append(f"service {k.target.name} ({k.cluster}): {view}{scaling}")
    dns = assessment.dns
    primary = "not read" if dns.primary is None else ("inverted" if dns.primary.inverted else "not inverted")
    notes.append(f"Route 53 health check {dns.primary_health_check_id} (primary): {primary}")
    notes += [f"unknown: {u}" for u in assessment.unknowns]
    return notes
