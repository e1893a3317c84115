"""Every report (failover, its incident update, drill, failback) rendered for every example plan,
and the failover's RTO counted from the outage.

The runs are built as a completed run leaves them (steps finished on a fake clock, the databases'
lag at promotion, the safety signals read), from the DR outputs the plan's derivation exports, so
each plan's report is checked without deploying it: services named, data items named with their
store, no "promoted database" where there is none, an RPO row for every data item, and tiers with
nothing in them "not applicable".
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from continuity.derive import Settings, derive
from continuity.outputs import (
    DatabaseTarget,
    DataExposure,
    DnsTarget,
    Inventory,
    KubernetesServiceTarget,
    KubernetesTargets,
    Objectives,
    Promotion,
    ServiceTarget,
    TierObjectives,
)
from continuity.plan import Plan, load_plan
from operations.cloudwatch import AlarmView, LagReading
from operations.drill import report as drill_report
from operations.drill.measure import Split, gantt, tier_results
from operations.drill.run import COMPLETED, DrillOptions, DrillRun
from operations.failback import report as failback_report
from operations.failback.checks import FailbackTarget
from operations.failback.run import FAILED_BACK, FailbackOptions, FailbackRun
from operations.failover import report as failover_report
from operations.failover.checks import Assessment, DatabaseState, DnsState
from operations.failover.run import PROMOTED, FailoverOptions, FailoverRun
from operations.failover.safety import SafetySignals, judge_safety
from operations.progress import SilentProgress
from operations.report import DONE, Timeline
from operations.route53 import HealthCheckView, HealthVerdict
from tests.conftest import DEFAULT_PLAN, EXAMPLE_PLANS
from tests.operations.harness import FakeClock

PLANS = [*EXAMPLE_PLANS, DEFAULT_PLAN]
LAG = 4.0  # each replica's lag at promotion, seconds
STEP = 30.0  # how long each step of a run takes on the fake clock
REGIONS = ("us-east-1", "us-west-2")


def promotion_for(settings: Settings, *, databases: bool = True) -> Promotion:
    """The DR stack's ``promotion`` output for a plan, as components/standby_region.py exports it."""
    plan, objectives = settings.plan, settings.objectives
    svc = plan.service
    return Promotion(
        service=svc,
        strategy=plan.strategy,
        stack="dr",
        primary_region=plan.regions.primary,
        dr_region=plan.regions.dr,
        promoted=False,
        databases=[
            DatabaseTarget(
                data_item=r.data_item,
                tier=r.tier,
                mode="replica" if r.replica else "restore",
                identifier=f"{svc}-{r.data_item}-dr",
                source_identifier=f"{svc}-{r.data_item}",
                source_arn=f"arn:aws:rds:{plan.regions.primary}:123456789012:db:{svc}-{r.data_item}",
                replica_arn=f"arn:aws:rds:{plan.regions.dr}:123456789012:db:{svc}-{r.data_item}-dr"
                if r.replica
                else None,
                backup_retention_days=r.backup_retention_period,
                multi_az=True,
                deletion_protection=True,
                rpo_seconds=r.rpo.seconds,
            )
            for r in settings.rds
            if databases
        ],
        services=[
            ServiceTarget(
                s.name,
                s.tier,
                s.compute,
                f"{svc}-dr",
                s.name,
                s.full_desired_count,
                s.warm_desired_count,
                None,
            )
            for s in settings.services
            if s.compute == "ecs"
        ],
        dns=DnsTarget(
            zone_id="Z1",
            record_name=f"{svc}.example.com",
            primary_health_check_id="hc-primary",
            dr_health_check_id="hc-dr",
            dr_endpoint="dr.elb.amazonaws.com",
            health_check_path="/health",
            primary_health_alarm=f"{svc}-primary-health",
            alarm_region="us-east-1",
        ),
        objectives=Objectives(
            rto_seconds=objectives.rto_seconds,
            rpo_seconds=objectives.rpo_seconds,
            tiers={name: TierObjectives(rto, rpo) for name, (rto, rpo) in objectives.tiers.items()},
            applicable=objectives.applicable,
        ),
        operator_role_arn="arn:aws:iam::123456789012:role/operator",
        kubernetes=KubernetesTargets(
            cluster=f"{svc}-dr",
            context=f"arn:aws:eks:{plan.regions.dr}:123456789012:cluster/{svc}-dr",
            services=[
                KubernetesServiceTarget(
                    s.name, s.tier, svc, s.name, s.name, s.full_desired_count, s.warm_desired_count
                )
                for s in settings.services
                if s.compute == "kubernetes"
            ],
        )
        if any(s.compute == "kubernetes" for s in settings.services)
        else None,
        data=[
            DataExposure(
                data_item=e.data_item,
                tier=e.tier,
                store=e.store,
                rpo_seconds=e.rpo_seconds,
                dr_worst_case_seconds=e.dr.worst_case_seconds,
                dr_protection=None if (b := e.dr.best_protection) is None else b.explain(),
            )
            for e in settings.exposures.values()
        ],
    )


def finish_steps(timeline: Timeline, clock: FakeClock, keys: list[str]) -> None:
    for key in keys:
        timeline.start(key)
        clock.sleep(STEP)
        timeline.finish(key, DONE)


def signals(
    promotion: Promotion,
    *,
    alarm: str,
    since: datetime | None,
    healthy: bool,
    failing_since: datetime | None = None,
) -> SafetySignals:
    return SafetySignals(
        health_check_id=promotion.dns.primary_health_check_id,
        alarm_name=promotion.dns.primary_health_alarm,
        alarm_region="us-east-1",
        health=HealthVerdict(healthy, 16 if healthy else 0, 16, failing_since),
        alarm=AlarmView(promotion.dns.primary_health_alarm, alarm, since, "", 60, 1),
    )


def failover_run(promotion: Promotion, clock: FakeClock, sig: SafetySignals) -> FailoverRun:
    """A failover that promoted everything: each step took STEP seconds."""
    run = FailoverRun.begin(
        clock=clock,
        progress=SilentProgress(io.StringIO(), clock),
        options=FailoverOptions(force=True, assume_yes=True),
        command="python scripts/promote_dr.py",
        promotion=promotion,
    )
    run.assessment = Assessment(
        read_at=clock.now(),
        databases=[
            DatabaseState(t, promotion.dr_region, None, lag=LagReading(LAG, clock.now(), ""))
            for t in promotion.databases
        ],
        services=[],
        dns=DnsState(
            record_name=promotion.dns.record_name,
            primary_health_check_id="hc-primary",
            dr_health_check_id="hc-dr",
            primary=HealthCheckView("hc-primary", False, "HTTPS", 30, 3, 1),
            dr=HealthCheckView("hc-dr", False, "HTTPS", 30, 3, 1),
            records=None,
        ),
    )
    run.signals = sig
    run.safety = judge_safety(sig, force=True, under_way=[], inverted=False)
    finish_steps(run.timeline, clock, [k for k, _ in FailoverRun.all_steps()])
    run.outcome, run.ended_at, run.seconds = PROMOTED, clock.now(), run.timeline.elapsed()
    run.message = f"{promotion.service} runs in {promotion.dr_region}: promoted"
    return run


def failback_run(plan: Plan, promotion: Promotion, clock: FakeClock) -> FailbackRun:
    run = FailbackRun.begin(
        clock=clock,
        progress=SilentProgress(io.StringIO(), clock),
        options=FailbackOptions(assume_yes=True),
        command="python scripts/failback.py",
        promotion=promotion,
        inventory=cast(Inventory, None),
        plan_doc=plan,
    )
    for t in promotion.databases:
        run.targets.append(
            FailbackTarget(
                t.data_item,
                t.tier,
                t.identifier,
                t.replica_arn or "",
                t.source_identifier,
                t.source_arn,
                None,
                [],
                "db.t4g.medium",
                "alias/aws/rds",
                t.backup_retention_days,
                True,
                True,
                t.rpo_seconds,
            )
        )
        run.lags[t.source_identifier] = LagReading(LAG, clock.now(), "")
    finish_steps(run.timeline, clock, [k for k, _ in FailbackRun.all_steps()])
    run.outcome, run.ended_at, run.seconds = FAILED_BACK, clock.now(), run.timeline.elapsed()
    run.message = f"{promotion.service} runs in {promotion.primary_region} again"
    return run


def drill_run(plan: Plan, promotion: Promotion, clock: FakeClock, failover: FailoverRun) -> DrillRun:
    failure = failover.started_at - timedelta(seconds=STEP)
    timeline = Timeline(
        [("readiness", "Readiness"), ("failover", "Failover")], clock, SilentProgress(io.StringIO(), clock)
    )
    inventory = cast(
        Inventory, type("Inv", (), {"stack": "dr", "primary_region": REGIONS[0], "dr_region": REGIONS[1]})
    )
    run = DrillRun(
        plan=plan,
        inventory=inventory,
        promotion=promotion,
        options=DrillOptions(failure_time=failure),
        timeline=timeline,
        started_at=failure,
        failure_time=failure,
        failover=failover,
        failover_data=failover_report.report_data(failover),
    )
    finish_steps(timeline, clock, ["readiness"])
    run.healthy_at = failover.timeline["route"].ended_at
    assert run.healthy_at is not None
    run.rto_seconds = (run.healthy_at - failure).total_seconds()
    run.tiers = tier_results(plan, run.rto_seconds, (run.failover_data or {})["rpo"]["databases"])
    run.outcome, run.ended_at, run.seconds = COMPLETED, clock.now(), timeline.elapsed()
    run.message = f"drill of {plan.service}"
    return run


def rendered(path: Path) -> dict[str, Any]:
    plan = load_plan(path)
    settings = derive(plan)
    promotion = promotion_for(settings)
    clock = FakeClock()
    # The primary's health alarm went to ALARM a minute before the run: a real outage.
    sig = signals(promotion, alarm="ALARM", since=clock.now() - timedelta(minutes=1), healthy=False)
    failover = failover_run(promotion, clock, sig)
    data = failover_report.report_data(failover)
    drill = drill_report.report_data(drill_run(plan, promotion, clock, failover))
    failback = failback_report.report_data(failback_run(plan, promotion, clock))
    return {
        "plan": plan,
        "settings": settings,
        "failover": data,
        "texts": {
            "failover": failover_report.report_markdown(data),
            "failover summary": "\n".join(failover_report.summary_lines(data)),
            "incident update": data["incident_update"]["text"],
            "drill": drill_report.report_markdown(drill),
            "drill summary": "\n".join(drill_report.summary_lines(drill)),
            "failback": failback_report.report_markdown(failback),
            "failback summary": "\n".join(failback_report.summary_lines(failback)),
        },
    }


@pytest.fixture(scope="module", params=PLANS, ids=[p.stem for p in PLANS])
def reports(request: pytest.FixtureRequest) -> dict[str, Any]:
    return rendered(request.param)


def test_reports__name_every_service(reports: dict[str, Any]) -> None:
    plan: Plan = reports["plan"]
    update = reports["texts"]["incident update"]
    named = ", ".join(f"{name} ({s.tier})" for name, s in plan.services.items())
    assert f"Affected services: {named}\n" in update
    assert "Affected services: none" not in update


def test_reports__name_every_data_item_with_its_store(reports: dict[str, Any]) -> None:
    plan: Plan = reports["plan"]
    failover = reports["texts"]["failover"]
    for name, item in plan.data.items():
        assert f"| RPO, {name} ({item.store}, {item.tier}) |" in failover, name
    update = reports["texts"]["incident update"]
    for name, item in plan.data.items():
        if item.store != "rds":
            assert f"{name} ({item.store})" in update, name


def test_reports__say_promoted_or_restored_database_only_where_there_is_one(reports: dict[str, Any]) -> None:
    plan: Plan = reports["plan"]
    databases = [n for n, d in plan.data.items() if d.store == "rds"]
    for title, text in reports["texts"].items():
        if not databases:
            assert "promoted database" not in text, title
            assert "restored from the DR region" not in text, title
            assert "no replica lag measured" not in text, title
    status = reports["failover"]["incident_update"]["status"]
    assert ("restored from the DR region" in status) == bool(databases)


def test_reports__kubernetes_data_has_an_rpo_row_with_its_dump_exposure(reports: dict[str, Any]) -> None:
    settings: Settings = reports["settings"]
    rows = {d["data_item"]: d for d in reports["failover"]["rpo"]["other_data"]}
    dumps = [e for e in settings.exposures.values() if e.store == "kubernetes"]
    for e in dumps:
        row = rows[e.data_item]
        assert row["worst_case_seconds"] == e.dr.worst_case_seconds
        assert row["protection"].startswith("Kubernetes") or "dump" in row["protection"], row["protection"]
        assert f"| RPO, {e.data_item} (kubernetes, {e.tier}) |" in reports["texts"]["failover"]


def test_reports__empty_tiers_are_not_applicable_never_met(reports: dict[str, Any]) -> None:
    settings: Settings = reports["settings"]
    empty = [t for t in settings.plan.tiers if t not in settings.objectives.applicable]
    tiers = reports["failover"]["rto"]["tiers"]
    for name in empty:
        assert (tiers[name]["applicable"], tiers[name]["met"]) == (False, None)
        assert f"| RTO, tier {name} | " in reports["texts"]["failover"]
        assert "| not applicable (nothing in this tier) |" in reports["texts"]["failover"]
        assert f"tier {name}: not applicable (nothing in this tier)" in reports["texts"]["drill summary"]
    for name in settings.objectives.applicable:
        assert tiers[name]["applicable"] is True


def test_drill_report__gantt_shows_the_rto_split_to_the_millisecond(reports: dict[str, Any]) -> None:
    drill = reports["texts"]["drill"]
    assert "    axisFormat %H:%M:%S.%L" in drill
    assert "    section RTO split" in drill
    # The failover saw 30s x 3 health check failures + 60s x 1 alarm period; it began a step
    # after the declared failure and the DR endpoint answered at the end of its 5th step.
    assert "    Detection, derived 2m 30s (not counted) :active, detection, " in drill
    assert "    Decision 30s :decision, " in drill
    assert "    Recovery 2m 30s :recovery, " in drill
    assert "| Recovery | 2m 30s (failover start → DR endpoint healthy) |" in drill


def test_reports__every_markdown_table_has_a_header_row(reports: dict[str, Any]) -> None:
    for title, text in reports["texts"].items():
        lines = text.splitlines()
        for n, line in enumerate(lines):
            if line.startswith("|---") or line.startswith("|—"):
                header = lines[n - 1]
                assert header.startswith("| "), (title, header)
                assert header.strip("| "), (title, header)
                assert "|  |" not in header, (title, header)


def test_failover_report__kubernetes_only_plan__no_rpo_claims_for_databases() -> None:
    vapora = next(p for p in EXAMPLE_PLANS if p.stem == "vapora")
    both = rendered(vapora)
    data, texts = both["failover"], both["texts"]
    assert data["rpo"]["databases"] == []
    assert {d["store"] for d in data["rpo"]["other_data"]} == {"kubernetes"}
    assert "| RPO, surrealdb (kubernetes, critical) | 1h 00m | up to 55m 00s (worst case) | within |" in (
        failover_report.report_markdown(data)
    )
    assert "data at risk: none (no database to return)" in texts["failback summary"]
    assert (
        "No database to return: the failback moves traffic and capacity only; surrealdb (kubernetes)"
        in (texts["failback"])
    )


# ---------------------------------------------------------------------------------------------
# RTO from the outage


NOW = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)
STEPS_TOTAL = STEP * len(FailoverRun.all_steps())  # the run, start to end
HEALTHY_AFTER = STEP * 5  # the route step (5th) ends when the DR endpoint answers healthy


@pytest.mark.parametrize(
    ("alarm", "alarm_ago", "healthy", "failing_ago", "measured_from", "achieved", "decision", "met"),
    [
        ("ALARM", 45 * 60, False, None, "outage detected", 45 * 60 + HEALTHY_AFTER, 45 * 60, False),
        ("ALARM", 60, False, None, "outage detected", 60 + HEALTHY_AFTER, 60, True),
        ("OK", None, False, 120, "outage detected", 120 + HEALTHY_AFTER, 120, True),
        ("OK", None, True, None, "run start", HEALTHY_AFTER, None, True),
        ("ALARM", -5, False, None, "outage detected", HEALTHY_AFTER, 0.0, True),
    ],
    ids=[
        "engineer-45-minutes-late-misses",
        "alarm-then-prompt-run",
        "check-failing-alarm-not-yet",
        "drill-healthy-primary",
        "alarm-after-the-run-began-counts-from-the-run",
    ],
)
def test_rto_data__counts_from_the_outage_detection(
    *,
    alarm: str,
    alarm_ago: int | None,
    healthy: bool,
    failing_ago: int | None,
    measured_from: str,
    achieved: float,
    decision: float | None,
    met: bool,
) -> None:
    # GIVEN the default plan (RTO 30m for its strictest tier) and a clock starting at the run
    settings = derive(load_plan(DEFAULT_PLAN))
    promotion = promotion_for(settings)
    clock = FakeClock()
    start = clock.now()
    since = None if alarm_ago is None else start - timedelta(seconds=alarm_ago)
    failing = None if failing_ago is None else start - timedelta(seconds=failing_ago)
    # WHEN a failover runs after the alarm (or the check) saw the outage
    run = failover_run(
        promotion, clock, signals(promotion, alarm=alarm, since=since, healthy=healthy, failing_since=failing)
    )
    rto = failover_report.rto_data(run)
    # THEN the RTO counts from the detection to the DR endpoint healthy, split, and the run apart
    assert (rto["measured_from"], rto["achieved_seconds"], rto["met"]) == (measured_from, achieved, met)
    assert rto["split"] == {
        "detection_seconds": 90.0 + 60.0,
        "detection_derived_from": "health check 30s interval × 3 failures + alarm 60s period × 1 evaluation periods",
        "decision_seconds": decision,
        "recovery_seconds": HEALTHY_AFTER,
    }
    assert rto["run_seconds"] == STEPS_TOTAL
    if measured_from == "run start":
        assert rto["note"].startswith("no outage was detected")
    markdown = failover_report.report_markdown(failover_report.report_data(run))
    assert "| Recovery | 2m 30s | run start → DR endpoint healthy |" in markdown
    assert f"| This run | {'3m 00s'} | run start → run end |" in markdown


@pytest.mark.parametrize(
    ("counted", "expected"),
    [
        (
            False,
            [
                "    Detection, derived 2m 30s (not counted) :active, detection, "
                "2026-11-23T11:57:35.000, 2026-11-23T12:00:05.000",
                "    Decision 30s :decision, 2026-11-23T12:00:05.000, 2026-11-23T12:00:35.000",
            ],
        ),
        (
            True,
            [
                "    Detection, derived 2m 30s :active, detection, 2026-11-23T12:00:05.000, 2026-11-23T12:02:35.000",
                "    Decision 0s :decision, 2026-11-23T12:00:35.000, 2026-11-23T12:00:35.001",
            ],
        ),
    ],
    ids=["declared-failure-stands-for-detection", "fault-injected-detection-counted"],
)
def test_gantt__rto_split_bars(counted: bool, expected: list[str]) -> None:
    split = Split(
        150.0,
        "health check 30s interval x 3 failures + alarm 60s period x 1",
        NOW + timedelta(seconds=30),
        counted,
    )
    chart = gantt("Drill", NOW, NOW + timedelta(minutes=3), [], split).splitlines()
    assert chart[7:9] == expected
    assert chart[9] == "    Recovery 2m 30s :recovery, 2026-11-23T12:00:35.000, 2026-11-23T12:03:05.000"
