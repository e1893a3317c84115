"""The failback as a runbook (operations.runbook): the failover in reverse, with the same safety,
lock, deadline and resumability.

    1 Preflight   read both regions' databases, the DR services and the primary health check;
                  refuse (nothing changed) if something is missing or not as a failover leaves it
    2 Safety      refuse until the primary region serves again (its services steady), unless
                  --force; ask unless --yes
    3 Replicate   rename the old primary out of the way; create a read replica of the DR database
                  in the primary region under the primary's name; wait until available
    4 Catch up    wait until each replica's lag is within its tier's RPO
    5 Promote     promote each replica (the failover's promotion), Multi-AZ and protection
    6 Route       un-invert the primary health check (or set the ARC routing controls back);
                  wait until the primary answers healthy
    7 Scale       the DR services back to warm capacity (autoscaling floor, then desired count)
    8 Record      `pulumi config set promoted false` on the DR stack, or print the command

Traffic moves back (6) only once every database is writable in the primary region, and DR scales
down (7) only once traffic has moved. It never deletes anything: the old primary is renamed and
kept, and the DR instance is left as it is (a stale copy once traffic moves; docs/failback.md says
how the stacks adopt the new primary and re-create the DR replica). The run's deadline is, by
default, the longest RTO in the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import ClassVar

from continuity.outputs import Inventory, Promotion
from continuity.plan import Plan
from operations.aws import Aws
from operations.clock import Clock, format_seconds
from operations.cloudwatch import LagReading
from operations.errors import ExitCode, Refused
from operations.failback.checks import (
    Assessment,
    FailbackTarget,
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
)
from operations.failover.checks import input_problems
from operations.failover.steps import scale_service
from operations.progress import Progress
from operations.report import ACTION_NEEDED, ALREADY_DONE, DONE, StepRecord
from operations.runbook import (
    PROMOTED_KEY,
    Confirm,
    Context,
    RunbookOptions,
    RunbookRun,
    Step,
    each,
    execute,
    raise_failures,
    record_promoted,
)
from operations.stack_outputs import PulumiCli, config_set_command
from operations.traffic import to_primary

ACTING = [
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


FailbackOptions = RunbookOptions


@dataclass(kw_only=True)
class FailbackRun(RunbookRun):
    KIND: ClassVar[str] = "failback"
    ACTING: ClassVar[list[tuple[str, str]]] = ACTING
    CHANGING: ClassVar[tuple[str, ...]] = ("replicate", "promote", "route", "scale")
    OUTPUT: ClassVar[str] = "inventory"

    promotion: Promotion
    inventory: Inventory
    plan_doc: Plan
    timing: FailbackTiming = field(default_factory=FailbackTiming)
    targets: list[FailbackTarget] = field(default_factory=list)
    assessment: Assessment | None = None
    primary_services: list[PrimaryService] = field(default_factory=list)
    lags: dict[str, LagReading] = field(default_factory=dict)  # at promotion, by identifier
    retired: dict[str, str] = field(default_factory=dict)  # new primary -> the old one's new name

    @property
    def service(self) -> str:
        return self.promotion.service

    @property
    def lock_place(self) -> tuple[str, str | None]:
        bucket = self.inventory.operations_bucket or self.promotion.operations_bucket
        return self.promotion.dr_region, bucket

    def input_problems(self) -> list[str]:
        return input_problems(self.promotion)

    def default_deadline(self) -> float:
        """The longest RTO in the plan: a return that takes longer than any outage may last is
        stuck, not slow (--deadline gives a large database's first copy more time)."""
        return float(max(t.rto.seconds for t in self.plan_doc.tiers.values()))

    def traffic_note(self) -> str | None:
        if self.timeline["route"].actions:
            return None
        return f"traffic still goes to the DR region {self.promotion.dr_region}"

    # -- 1 Preflight
    def preflight(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        assessment = assess(p, self.targets, ctx.aws, ctx.clock)
        self.assessment = assessment
        rec.notes += _preflight_notes(assessment)
        if assessment.problems:
            raise Refused("preflight: " + "; ".join(assessment.problems))
        if not assessment.failed_over:
            rec.notes.append("no DR database is promoted: the primary region is the writable one")
            self.conclude(NOT_FAILED_OVER, f"{p.service} runs in {p.primary_region}: nothing to fail back")
            return
        self.plan = plan_actions(
            assessment,
            stack=p.stack,
            pulumi_available=ctx.pulumi.available,
            now=ctx.clock.now(),
            dr_region=p.dr_region,
        )

    # -- 2 Safety
    def judge(self, ctx: Context, rec: StepRecord) -> SafetyDecision:
        assert self.assessment is not None
        self.primary_services = read_primary_services(self.plan_doc, self.inventory, ctx.aws)
        return judge_failback_safety(
            self.primary_services, force=self.options.force, under_way=self.assessment.started
        )

    # -- 3..8
    def phases(self, ctx: Context) -> list[list[Step]]:
        now = ctx.clock.now()
        return [
            [Step("replicate", partial(self._replicate, ctx, now))],
            [Step("catchup", partial(self._catch_up, ctx))],
            [Step("promote", partial(self._promote, ctx))],
            [Step("route", partial(self._route, ctx))],
            [Step("scale", partial(self._scale, ctx))],
            [Step("record", partial(self._record, ctx))],
        ]

    def _per_database(
        self, rec: StepRecord, ctx: Context, task: Callable[..., object], **kwargs: object
    ) -> dict[str, object]:
        state = partial(self.timeline.state, rec.key)
        outcomes = each(
            rec,
            ctx,
            {
                t.identifier: partial(
                    task, self.promotion, t, ctx=ctx, timing=self.timing, state=state, **kwargs
                )
                for t in self.targets
            },
        )
        return {name: o.value for name, o in outcomes.items()}

    def _replicate(self, ctx: Context, now: datetime, rec: StepRecord) -> None:
        retired = self._per_database(
            rec,
            ctx,
            partial(replicate_database, plan=self.plan_doc),
            did=rec.actions.append,
            now=now,
        )
        self.retired = {name: str(value) for name, value in retired.items() if value}

    def _catch_up(self, ctx: Context, rec: StepRecord) -> None:
        state = partial(self.timeline.state, "catchup")
        outcomes = ctx.all(
            {
                t.identifier: partial(
                    catch_up,
                    self.promotion,
                    t,
                    ctx=ctx,
                    timing=self.timing,
                    state=state,
                    force=self.options.force,
                )
                for t in self.targets
            }
        )
        raise_failures(outcomes)
        for t in self.targets:
            lag = outcomes[t.identifier].value
            if lag is None:
                rec.notes.append(f"{t.identifier}: promoted by an earlier run")
                continue
            self.lags[t.identifier] = lag
            rec.notes.append(
                f"{t.identifier}: data at risk {lag.describe()}, RPO {format_seconds(t.rpo_seconds)}"
            )
        rec.outcome = DONE if self.lags else ALREADY_DONE

    def _promote(self, ctx: Context, rec: StepRecord) -> None:
        self._per_database(rec, ctx, promote, did=rec.actions.append)

    def _route(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        rec.notes += to_primary(
            p.dns,
            primary_region=p.primary_region,
            ctx=ctx,
            limit=self.timing.dns_timeout,
            state=partial(self.timeline.state, "route"),
            did=rec.actions.append,
        )
        rec.outcome = DONE if rec.actions else ALREADY_DONE

    def _scale(self, ctx: Context, rec: StepRecord) -> None:
        state = partial(self.timeline.state, "scale")
        each(
            rec,
            ctx,
            {
                svc.name: partial(
                    scale_service,
                    self.promotion,
                    svc,
                    svc.warm_desired_count,
                    ctx=ctx,
                    limit=self.timing.service_timeout,
                    state=state,
                    did=rec.actions.append,
                )
                for svc in self.promotion.services
            },
        )

    def _record(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        recorded = record_promoted(p.stack, ctx.pulumi, "false", ctx)
        rec.actions += recorded.actions
        rec.notes += recorded.notes
        if not recorded.done:
            rec.outcome = ACTION_NEEDED
            self.next_actions.append(f"run: {config_set_command(p.stack, PROMOTED_KEY, 'false')}")

    def finish(self) -> None:
        assert self.assessment is not None
        self.next_actions += adoption_actions(self)
        self.outcome = ALREADY_FAILED_BACK if self.assessment.complete and not self.changed else FAILED_BACK
        self.exit_code = ExitCode.OK
        where = f"{self.promotion.service} runs in {self.promotion.primary_region} again"
        self.message = (
            f"{where} (nothing left to do)"
            if self.outcome == ALREADY_FAILED_BACK
            else f"{where}: failed back"
        )


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
    run = FailbackRun.begin(
        clock=clock,
        progress=progress,
        promotion=promotion,
        inventory=inventory,
        plan_doc=plan,
        options=options,
        command=command,
        timing=timing or FailbackTiming(),
    )
    if not input_problems(promotion):
        run.targets = failback_targets(promotion, inventory, plan)
    return execute(
        run, aws=aws, clock=clock, confirm=confirm, pulumi=pulumi, poll_seconds=run.timing.poll_seconds
    )


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
