"""The regional failover as a runbook (operations.runbook): its steps, and what each outcome means.

    1 Preflight   read every target; refuse (nothing changed) if one is missing or not as recorded
    2 Safety      refuse while the primary is healthy, unless --force; ask unless --yes
    3 Promote     promote each replica (or restore each database)  } at the same time: the
    4 Scale       scale each DR service to full capacity            } RTO is the slower of the two
    5 Route       move traffic (operations.traffic): already moved by Route 53's health checks
                  when the primary is seen down (the inversion of its check is then best effort),
                  else by inverting the primary's health check, or by ARC routing controls; wait
                  until the DR endpoint is healthy
    6 Record      `pulumi config set promoted true`, or print the command

Traffic moves (step 5) only once every database is writable and every service is at full
capacity. Every step does only what is left, so running the whole thing again after a crash, a
failure or Ctrl-C finishes the job; a failover an earlier run began is finished even if the
primary has come back, since a promoted replica cannot be demoted. The run's deadline is, by
default, the longest RTO of the tiers it fails over; each wait stops at its own tier's RTO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import ClassVar

from continuity.outputs import Promotion
from operations.aws import Aws
from operations.clock import Clock, format_seconds
from operations.errors import ExitCode, Refused
from operations.failover.checks import Assessment, input_problems, plan_actions
from operations.failover.safety import SafetyDecision, SafetySignals, judge_safety
from operations.failover.steps import (
    Timing,
    assess,
    promote_database,
    read_safety_signals,
    scale_kubernetes_service,
    scale_service,
    tier_rto,
)
from operations.kubernetes import Clusters
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
    record_promoted,
)
from operations.stack_outputs import PulumiCli, config_set_command
from operations.traffic import to_dr

ACTING = [
    ("promote", "Promote databases"),
    ("scale", "Scale services"),
    ("route", "Route traffic"),
    ("record", "Record"),
]

# Run outcomes.
PROMOTED = "promoted"
ALREADY_PROMOTED = "already promoted"


FailoverOptions = RunbookOptions


@dataclass(kw_only=True)
class FailoverRun(RunbookRun):
    KIND: ClassVar[str] = "promote_dr"
    ACTING: ClassVar[list[tuple[str, str]]] = ACTING
    CHANGING: ClassVar[tuple[str, ...]] = ("promote", "scale", "route")

    promotion: Promotion
    timing: Timing = field(default_factory=Timing)
    clusters: Clusters = field(default_factory=Clusters)
    assessment: Assessment | None = None
    signals: SafetySignals | None = None
    switch_seconds: int | None = None
    traffic_path: str | None = None  # which way traffic moved (operations.traffic)

    @property
    def mode(self) -> str:
        if self.options.dry_run:
            return "dry run"
        if isinstance(self.safety, SafetyDecision) and self.safety.drill and self.options.force:
            return "drill"
        return "failover"

    @property
    def service(self) -> str:
        return self.promotion.service

    @property
    def lock_place(self) -> tuple[str, str | None]:
        return self.promotion.dr_region, self.promotion.operations_bucket

    def input_problems(self) -> list[str]:
        return input_problems(self.promotion)

    def default_deadline(self) -> float:
        """The longest RTO among the tiers of what this failover brings up."""
        p = self.promotion
        tiers = {d.tier for d in p.databases} | {s.tier for s in p.services}
        tiers |= {k.tier for k in (p.kubernetes.services if p.kubernetes is not None else [])}
        known = [p.objectives.tiers[t].rto_seconds for t in tiers if t in p.objectives.tiers]
        return float(max(known, default=p.objectives.rto_seconds))

    def traffic_note(self) -> str | None:
        if self.timeline["route"].actions or self.traffic_path is not None:
            return None
        return f"traffic still goes to the primary region {self.promotion.primary_region}"

    # -- 1 Preflight
    def preflight(self, ctx: Context, rec: StepRecord) -> None:
        assessment = assess(self.promotion, ctx, clusters=self.clusters)
        self.assessment = assessment
        rec.notes += _preflight_notes(assessment)
        if assessment.problems:
            raise Refused("preflight: " + "; ".join(assessment.problems))
        self.plan = plan_actions(self.promotion, assessment, pulumi_available=ctx.pulumi.available)

    # -- 2 Safety
    def judge(self, ctx: Context, rec: StepRecord) -> SafetyDecision:
        assert self.assessment is not None
        self.signals = read_safety_signals(self.promotion, ctx)
        return judge_safety(
            self.signals,
            force=self.options.force,
            under_way=self.assessment.started,
            inverted=self.assessment.dns.inverted,
        )

    # -- 3..6
    def phases(self, ctx: Context) -> list[list[Step]]:
        return [
            [Step("promote", partial(self._promote, ctx)), Step("scale", partial(self._scale, ctx))],
            [Step("route", partial(self._route, ctx))],
            [Step("record", partial(self._record, ctx))],
        ]

    def _promote(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        state = partial(self.timeline.state, "promote")
        each(
            rec,
            ctx,
            {
                db.identifier: partial(
                    promote_database, p, db, ctx=ctx, timing=self.timing, state=state, did=rec.actions.append
                )
                for db in p.databases
            },
        )
        assert self.assessment is not None
        for db in self.assessment.databases:
            if db.lag is not None:
                rec.notes.append(
                    f"{db.target.identifier}: data at risk {db.lag.describe()}, "
                    f"RPO {format_seconds(db.target.rpo_seconds)}"
                )

    def _scale(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        state, did = partial(self.timeline.state, "scale"), rec.actions.append
        tasks = {
            svc.name: partial(
                scale_service,
                p,
                svc,
                svc.full_desired_count,
                ctx=ctx,
                limit=min(self.timing.service_timeout, tier_rto(p, svc.tier)),
                state=state,
                did=did,
            )
            for svc in p.services
        }
        for target in p.kubernetes.services if p.kubernetes is not None else []:
            tasks[target.name] = partial(
                scale_kubernetes_service,
                p,
                target,
                clusters=self.clusters,
                ctx=ctx,
                timing=self.timing,
                state=state,
                did=did,
            )
        each(rec, ctx, tasks)

    def _route(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        down = self.safety.primary_down if isinstance(self.safety, SafetyDecision) else None
        if self.assessment is not None and self.assessment.dns.inverted:
            down = False  # inverted by an earlier run: its verdict is void, and nothing is left to do
        moved = to_dr(
            p.dns,
            dr_region=p.dr_region,
            primary_down=down,
            ctx=ctx,
            limit=min(self.timing.dns_timeout, float(p.objectives.rto_seconds)),
            state=partial(self.timeline.state, "route"),
            did=rec.actions.append,
        )
        self.traffic_path, self.switch_seconds = moved.path, moved.switch_seconds
        rec.notes.append(f"traffic moved by {moved.path}")
        rec.notes += moved.notes
        if moved.action_needed is not None:
            rec.outcome = ACTION_NEEDED
            self.next_actions.append(moved.action_needed)
        else:
            rec.outcome = DONE if rec.actions else ALREADY_DONE

    def _record(self, ctx: Context, rec: StepRecord) -> None:
        p = self.promotion
        if p.promoted:
            rec.outcome = ALREADY_DONE
            rec.notes.append(f"the outputs already say stack {p.stack} is promoted")
        else:
            recorded = record_promoted(p.stack, ctx.pulumi, "true", ctx)
            rec.actions += recorded.actions
            rec.notes += recorded.notes
            if not recorded.done:
                rec.outcome = ACTION_NEEDED
                self.next_actions.append(f"run: {config_set_command(p.stack, PROMOTED_KEY, 'true')}")
        managed = "the promoted databases and full capacity" if p.databases else "full capacity"
        self.next_actions.append(
            f"run `pulumi up --stack {p.stack}` once the state backend is reachable, so the "
            f"DR stack manages {managed}"
        )

    def finish(self) -> None:
        assert self.assessment is not None
        self.outcome = ALREADY_PROMOTED if self.assessment.complete and not self.changed else PROMOTED
        self.exit_code = ExitCode.OK
        where = f"{self.promotion.service} runs in {self.promotion.dr_region}"
        self.message = (
            f"{where} (nothing left to do)" if self.outcome == ALREADY_PROMOTED else f"{where}: promoted"
        )


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
    run = FailoverRun.begin(
        clock=clock,
        progress=progress,
        promotion=promotion,
        options=options,
        command=command,
        timing=timing or Timing(),
        clusters=clusters or Clusters(),
    )
    return execute(
        run, aws=aws, clock=clock, confirm=confirm, pulumi=pulumi, poll_seconds=run.timing.poll_seconds
    )


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
