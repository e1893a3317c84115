"""The drill, step by step.

    1 Readiness  the readiness check (all of it but the drill's own recency, which this run renews)
    2 Failover   operations.failover.run_failover with --force: a drill fails over while the
                 primary is healthy; confirmation as in promote_dr unless --yes
    3 Measure    achieved RTO (first healthy answer through the DR endpoint minus the declared
                 failure time) and RPO (replica lag at the cut), per tier, against the plan
    4 Record     append the drill to the drill history (readiness reads its date)

A readiness finding does not stop the drill: it is recorded among the improvements, and the
failover's own preflight refuses what would make it unsafe. The environment is left failed over
(``promoted: true`` recorded in the DR stack's config, as promote_dr does); scripts/failback.py
returns it.

Exit: 0 when the failover completed, every objective was met and readiness was ready; 1 when it
completed with a finding (an objective missed or not measured, readiness not ready); otherwise the
failover's own code (3 refused, 4 a step failed, 130 interrupted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from continuity.outputs import Inventory, Promotion
from continuity.plan import Plan
from operations.aws import Aws
from operations.clock import Clock, Interrupted
from operations.drill.experiment import ExperimentTemplate, InjectedFault, inject_step
from operations.drill.measure import TierResult, achieved_rto, improvements, tier_results
from operations.errors import ExitCode, OperationsError
from operations.failover.report import report_data as failover_report_data
from operations.failover.run import PROMOTED, FailoverOptions, FailoverRun, run_failover
from operations.failover.steps import Timing
from operations.history import DRILL, HistoryLocation, append_entry
from operations.progress import Nested, Progress
from operations.readiness.report import report_data as readiness_report_data
from operations.readiness.run import READY, ReadinessRun, run_readiness
from operations.report import DONE, FAILED, NOT_RUN, SKIPPED, Timeline, iso
from operations.runbook import Confirm
from operations.stack_outputs import PulumiCli

STEPS = [
    ("readiness", "Readiness"),
    ("failover", "Failover"),
    ("measure", "Measure"),
    ("record", "Record"),
]

COMPLETED = "completed"
COMPLETED_WITH_FINDINGS = "completed with findings"


@dataclass(frozen=True)
class DrillOptions:
    failure_time: datetime | None = None  # declared failure; the drill's start when not given
    assume_yes: bool = False
    allow_unknown: bool = False
    notes: tuple[str, ...] = ()
    deadline_seconds: float | None = None  # the failover's (operations.runbook)
    break_lock: bool = False
    experiment: ExperimentTemplate | None = None  # measured from its fault (drill.experiment)


@dataclass
class DrillRun:
    plan: Plan
    inventory: Inventory
    promotion: Promotion
    options: DrillOptions
    timeline: Timeline
    started_at: datetime
    failure_time: datetime
    readiness: ReadinessRun | None = None
    readiness_data: dict[str, Any] | None = None
    fault: InjectedFault | None = None
    failover: FailoverRun | None = None
    failover_data: dict[str, Any] | None = None
    healthy_at: datetime | None = None
    rto_seconds: float | None = None
    tiers: list[TierResult] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    recorded: bool = False
    ended_at: datetime | None = None
    seconds: float | None = None
    outcome: str = "not started"
    exit_code: ExitCode = ExitCode.OK
    message: str = ""
    next_actions: list[str] = field(default_factory=list)

    @property
    def failover_completed(self) -> bool:
        return self.failover is not None and self.failover.outcome == PROMOTED

    @property
    def objectives_met(self) -> bool:
        return bool(self.tiers) and all(t.met for t in self.tiers)


def run_drill(
    plan: Plan,
    inventory: Inventory,
    promotion: Promotion,
    aws: Aws,
    *,
    options: DrillOptions,
    clock: Clock,
    progress: Progress,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    history: HistoryLocation,
    timing: Timing | None = None,
    command: str = "python scripts/dr_drill.py",
    report_path: str | None = None,
) -> DrillRun:
    steps = STEPS if options.experiment is None else [STEPS[0], ("experiment", "Experiment"), *STEPS[1:]]
    timeline = Timeline(steps, clock, progress)
    run = DrillRun(
        plan=plan,
        inventory=inventory,
        promotion=promotion,
        options=options,
        timeline=timeline,
        started_at=timeline.started_at,
        failure_time=options.failure_time or timeline.started_at,
    )
    try:
        with timeline.step("readiness") as rec:
            run.readiness = run_readiness(
                plan,
                inventory,
                aws,
                promotion=promotion,
                promotion_problem=None,
                clock=clock,
                progress=Nested(progress, "readiness"),
                history=history,
                exclude=frozenset({"drill"}),
                allow_unknown=options.allow_unknown,
            )
            run.readiness_data = readiness_report_data(run.readiness)
            rec.notes.append(run.readiness.summary)
            rec.outcome = DONE if run.readiness.verdict == READY else "findings"

        if options.experiment is not None:
            try:
                run.fault = inject_step(timeline, options.experiment, aws, clock, timing, promotion)
            except OperationsError as exc:
                run.outcome, run.exit_code, run.message = "experiment failed", exc.exit_code, str(exc)
                _finish(run, clock)
                return run
            run.failure_time = run.fault.injected_at

        with timeline.step("failover") as rec:
            run.failover = run_failover(
                promotion,
                aws,
                options=FailoverOptions(
                    force=True,
                    assume_yes=options.assume_yes,
                    deadline_seconds=options.deadline_seconds,
                    break_lock=options.break_lock,
                ),
                clock=clock,
                progress=Nested(progress, "failover"),
                confirm=confirm,
                pulumi=pulumi,
                timing=timing,
                command=command,
            )
            run.failover_data = failover_report_data(run.failover)
            rec.notes.append(f"{run.failover.outcome}: {run.failover.message}")
            rec.outcome = DONE if run.failover_completed else run.failover.outcome
    except (KeyboardInterrupt, Interrupted):
        run.outcome, run.exit_code, run.message = "interrupted", ExitCode.INTERRUPTED, "interrupted"
        run.next_actions.append(f"run again to finish the failover: {command}")
        _finish(run, clock)
        return run

    with timeline.step("measure") as rec:
        failover = run.failover
        route = failover.timeline["route"] if failover is not None else None
        if (
            failover is not None
            and route is not None
            and route.outcome in (DONE, "already done")
            and failover.outcome == PROMOTED
        ):
            run.healthy_at = route.ended_at
        run.rto_seconds = achieved_rto(run.failure_time, run.healthy_at)
        databases = (run.failover_data or {}).get("rpo", {}).get("databases", [])
        run.tiers = tier_results(plan, run.rto_seconds, databases)
        if run.rto_seconds is None:
            rec.outcome = SKIPPED
            rec.notes.append("not measured: the failover did not complete in this run")
        else:
            rec.notes.append(
                f"achieved RTO {run.rto_seconds:.0f}s: declared failure {iso(run.failure_time)}, "
                f"DR endpoint healthy {iso(run.healthy_at)}"
            )
        run.improvements = improvements(
            readiness_checks=(run.readiness_data or {}).get("checks", []),
            failover_outcome=failover.outcome if failover else NOT_RUN,
            failover_message=failover.message if failover else "",
            tiers=run.tiers,
            steps=failover.steps if failover else [],
            rto_objective=promotion.objectives.rto_seconds,
            notes=list(options.notes),
            waited_seconds=_waited(run),
        )

    _decide(run)
    try:
        with timeline.step("record") as rec:
            append_entry(history, history_entry(run, report_path), aws, inventory.dr_region)
            rec.actions.append(f"appended the drill to the drill history {history.text}")
            run.recorded = True
    except Exception as exc:
        timeline["record"].outcome = FAILED
        run.improvements.append(f"the drill could not be recorded in {history.text}: {exc}")
        run.next_actions.append(
            f"the drill history {history.text} misses this drill: readiness will not count it"
        )
        if run.exit_code == ExitCode.OK:
            run.exit_code, run.outcome = ExitCode.FINDING, COMPLETED_WITH_FINDINGS
    _finish(run, clock)
    return run


def _waited(run: DrillRun) -> float | None:
    """From the declared failure to the failover's first step: detection and decision time."""
    if run.failover is None:
        return None
    first = run.failover.steps[0].started_at
    return None if first is None else (first - run.failure_time).total_seconds()


def _decide(run: DrillRun) -> None:
    failover = run.failover
    assert failover is not None
    run.next_actions += failover.next_actions
    if failover.exit_code != ExitCode.OK:
        run.outcome, run.exit_code = f"failover {failover.outcome}", failover.exit_code
        run.message = failover.message
        return
    if not run.failover_completed:
        # "already promoted": the environment was failed over before this drill; nothing measured.
        run.outcome, run.exit_code = COMPLETED_WITH_FINDINGS, ExitCode.FINDING
        run.message = f"nothing was measured: {failover.message}; fail back first (scripts/failback.py)"
        return
    readiness_ok = run.readiness is not None and run.readiness.exit_code == ExitCode.OK
    if run.objectives_met and readiness_ok:
        run.outcome, run.exit_code = COMPLETED, ExitCode.OK
    else:
        run.outcome, run.exit_code = COMPLETED_WITH_FINDINGS, ExitCode.FINDING
    assert run.rto_seconds is not None
    missed = [t.tier for t in run.tiers if t.rto_met is False or t.rpo_met is False]
    run.message = (
        f"drill of {run.plan.service}: achieved RTO {run.rto_seconds:.0f}s"
        + (f"; objectives missed for tier {', '.join(missed)}" if missed else "; objectives met")
        + ("" if readiness_ok else f"; readiness {run.readiness.verdict if run.readiness else 'not run'}")
    )
    run.next_actions.append("return to the primary region when the drill is over: python scripts/failback.py")


def _finish(run: DrillRun, clock: Clock) -> None:
    run.ended_at = clock.now()
    run.seconds = run.timeline.elapsed()


def history_entry(run: DrillRun, report_path: str | None) -> dict[str, Any]:
    worst = [t.rpo_achieved for t in run.tiers if t.rpo_achieved is not None]
    return {
        "kind": DRILL,
        "at": iso(run.started_at),
        "ok": run.failover_completed,
        "service": run.plan.service,
        "stack": run.inventory.stack,
        "failure_time": iso(run.failure_time),
        "experiment": run.fault.as_data() if run.fault else None,
        "healthy_at": iso(run.healthy_at),
        "rto_seconds": None if run.rto_seconds is None else round(run.rto_seconds, 3),
        "rto_objective_seconds": run.promotion.objectives.rto_seconds,
        "rto_met": None if run.rto_seconds is None else all(t.rto_met for t in run.tiers),
        "rpo_seconds": max(worst) if worst else None,
        "rpo_objective_seconds": run.promotion.objectives.rpo_seconds,
        "rpo_met": None if not worst else all(t.rpo_met is not False for t in run.tiers),
        "readiness": run.readiness.verdict if run.readiness else None,
        "outcome": run.outcome,
        "report": report_path,
    }
