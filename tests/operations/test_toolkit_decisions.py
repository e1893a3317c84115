"""The toolkit's pure decisions, table first: scratch instances, drill measurements, failback phases
and its safety judgement."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from continuity.plan import load_plan
from operations.cloudwatch import LagReading
from operations.drill.measure import Bar, gantt, improvements, tier_results
from operations.ecs import ServiceView
from operations.failback.checks import DatabaseState, FailbackTarget, Phase, caught_up, retired_identifier
from operations.failback.safety import PrimaryService, judge_failback_safety
from operations.rds import FAILBACK_SOURCE_TAG, InstanceView
from operations.report import StepRecord
from operations.restore.scratch import (
    SCRATCH_TAG,
    is_ours,
    leftovers,
    run_token,
    scratch_identifier,
    scratch_tags,
    verification_environment,
)
from tests.conftest import DEFAULT_PLAN

NOW = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)
PLAN = load_plan(DEFAULT_PLAN)


def view(**changes: Any) -> InstanceView:
    base = InstanceView(
        identifier="orders-database",
        arn="arn:aws:rds:us-east-1:123456789012:db:orders-database",
        status="available",
        replica_source=None,
        replication_status=None,
        replication_message=None,
        multi_az=True,
        pending_multi_az=None,
        deletion_protection=True,
        backup_retention=30,
        pending_backup_retention=None,
        latest_restorable_time=None,
        endpoint_address="orders-database.abc.us-east-1.rds.amazonaws.com",
        endpoint_port=5432,
        engine="postgres",
        dbi_resource_id="db-OLDPRIMARY",
    )
    return replace(base, **changes)


# ---------------------------------------------------------------------------------------------
# Scratch instances


@pytest.mark.parametrize(
    ("service", "item", "identifier"),
    [
        ("orders", "database", "orders-database-rt-20261123120005"),
        ("a" * 24, "b" * 24, "a" * 24 + "-" + "b" * 20 + "-rt-20261123120005"),
        ("orders", "x" * 40, "orders-" + "x" * 38 + "-rt-20261123120005"),
    ],
    ids=["short", "longest-names", "trailing-hyphen-trimmed"],
)
def test_scratch_identifier__fits_rds_rules(service: str, item: str, identifier: str) -> None:
    found = scratch_identifier(service, item, NOW)
    assert found == identifier
    assert len(found) <= 63
    assert "--" not in found
    assert not found.endswith("-")


def test_scratch_tags__carry_the_run_token_and_the_plan_item() -> None:
    token = run_token(NOW)
    assert token.startswith("restore-test-20261123t120005z-")
    assert run_token(NOW) != token  # random part: no two runs share a token
    assert scratch_tags("orders", "database", token) == {
        SCRATCH_TAG: token,
        "continuity:service": "orders",
        "continuity:data-item": "database",
        "continuity:created-by": "restore_test",
    }


def test_is_ours__only_this_runs_token() -> None:
    token = run_token(NOW)
    assert is_ours(view(tags={SCRATCH_TAG: token}), token)
    assert not is_ours(view(tags={SCRATCH_TAG: "restore-test-other"}), token)
    assert not is_ours(view(tags={}), token)


def test_leftovers__earlier_scratch_instances_of_this_service_only() -> None:
    token = run_token(NOW)
    mine = view(identifier="a", tags={SCRATCH_TAG: token, "continuity:service": "orders"})
    earlier = view(identifier="b", tags={SCRATCH_TAG: "restore-test-old", "continuity:service": "orders"})
    other_service = view(
        identifier="c", tags={SCRATCH_TAG: "restore-test-old", "continuity:service": "books"}
    )
    not_scratch = view(identifier="d", tags={"continuity:service": "orders"})
    assert [
        v.identifier for v in leftovers([mine, earlier, other_service, not_scratch], "orders", token)
    ] == ["b"]


@pytest.mark.parametrize(
    ("engine", "extra"),
    [
        ("postgres", {"PGHOST": "h", "PGPORT": "5432"}),
        ("mysql", {"MYSQL_HOST": "h", "MYSQL_TCP_PORT": "5432"}),
        ("oracle-ee", {}),
    ],
)
def test_verification_environment__endpoint_and_client_variables(engine: str, extra: dict[str, str]) -> None:
    env = verification_environment(
        view(endpoint_address="h", engine=engine, identifier="orders-database-rt-1"),
        data_item="database",
        region="us-east-1",
        point=NOW,
    )
    assert env == {
        "RESTORE_ENDPOINT": "h",
        "RESTORE_PORT": "5432",
        "RESTORE_DB_INSTANCE": "orders-database-rt-1",
        "RESTORE_ENGINE": engine,
        "RESTORE_REGION": "us-east-1",
        "RESTORE_DATA_ITEM": "database",
        "RESTORE_POINT": "2026-11-23T12:00:05+00:00",
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Drill measurements


def database(tier: str, lag: float | None) -> dict[str, Any]:
    return {
        "identifier": f"{tier}-db",
        "tier": tier,
        "data_at_risk_seconds": lag,
        "note": "" if lag is not None else "no ReplicaLag datapoint in the last 3h",
    }


def test_tier_results__rto_for_every_tier_in_use__rpo_from_its_databases() -> None:
    results = {t.tier: t for t in tier_results(PLAN, 1200.0, [database("critical", 4.0)])}
    # optional is not used by any item or service: no row
    assert list(results) == ["critical", "important"]
    critical, important = results["critical"], results["important"]
    assert (critical.rto_met, critical.rpo_met, critical.met) == (True, True, True)
    assert critical.rpo_note == "replica lag at promotion: critical-db 4s"
    assert (important.rpo_achieved, important.rpo_met, important.met) == (None, None, True)
    assert (
        important.rpo_note
        == "no database in this tier: user-files (s3) worst case 15m 00s in the DR region, by S3 "
        "replication (Replication Time Control): 15m replication; readiness measures the copies' age"
    )


@pytest.mark.parametrize(
    ("rto", "lag", "met", "rto_met", "rpo_met"),
    [
        (1800.0, 900.0, True, True, True),
        (1801.0, 4.0, False, False, True),
        (60.0, 901.0, False, True, False),
        (60.0, None, False, True, None),
        (None, 4.0, False, None, True),
    ],
    ids=["at-both-limits", "rto-missed", "rpo-missed", "rpo-unmeasured", "not-measured"],
)
def test_tier_results__critical_tier(
    rto: float | None, lag: float | None, met: bool, rto_met: bool | None, rpo_met: bool | None
) -> None:
    critical = tier_results(PLAN, rto, [database("critical", lag)])[0]
    assert (critical.met, critical.rto_met, critical.rpo_met) == (met, rto_met, rpo_met)


def test_tier_results__a_used_tier_without_rpo() -> None:
    plan = load_plan(DEFAULT_PLAN)
    # A tier holding only services may go without an RPO (the validator requires one where data is).
    plan = plan.model_copy(
        update={
            "tiers": {**plan.tiers, "important": plan.tiers["important"].model_copy(update={"rpo": None})},
            "data": {n: d for n, d in plan.data.items() if d.tier != "important"},
            "services": {n: s.model_copy(update={"tier": "important"}) for n, s in plan.services.items()},
        }
    )
    important = next(t for t in tier_results(plan, 60.0, []) if t.tier == "important")
    assert (important.rpo_objective, important.rpo_note, important.met) == (
        None,
        "no RPO: the tier holds no data",
        True,
    )


def step(number: int, title: str, start: float, seconds: float, outcome: str = "done") -> StepRecord:
    started = NOW + timedelta(seconds=start)
    return StepRecord(
        title.lower(), number, title, started, started + timedelta(seconds=seconds), seconds, outcome
    )


def test_gantt__milestones_bars_and_failed_steps_marked() -> None:
    chart = [
        Bar("Failover", "1 Preflight", NOW, NOW, "done"),
        Bar("Failover", "3 Promote: databases", NOW, NOW + timedelta(minutes=5), "failed"),
    ]
    assert gantt(
        "Drill of orders", NOW - timedelta(minutes=2), NOW + timedelta(minutes=6), chart
    ) == "\n".join(
        [
            "gantt",
            "    title Drill of orders",
            "    dateFormat YYYY-MM-DDTHH:mm:ss.SSS",
            "    axisFormat %H:%M:%S.%L",
            "    section Outage",
            "    Declared failure :milestone, failure, 2026-11-23T11:58:05.000, 0s",
            "    section Failover",
            "    1 Preflight (done) :done, s1, 2026-11-23T12:00:05.000, 2026-11-23T12:00:05.001",
            "    3 Promote - databases (failed) :crit, s2, 2026-11-23T12:00:05.000, 2026-11-23T12:05:05.000",
            "    section Recovered",
            "    DR endpoint healthy :milestone, healthy, 2026-11-23T12:06:05.000, 0s",
        ]
    )


def test_improvements__most_important_first__operators_notes_last() -> None:
    steps = [
        step(1, "Preflight", 0, 5),
        step(3, "Promote databases", 5, 1000),
        step(5, "Route traffic", 1005, 60),
    ]
    found = improvements(
        readiness_checks=[
            {
                "check": "restore-test database",
                "verdict": "fail",
                "measured": "never",
                "target": "≤ 30d ago",
                "detail": "",
            },
            {
                "check": "recovery-point database primary",
                "verdict": "unknown",
                "measured": "not read",
                "target": "",
                "detail": "404",
            },
            {"check": "drill", "verdict": "pass", "measured": "", "target": "", "detail": ""},
        ],
        failover_outcome="promoted",
        failover_message="",
        tiers=tier_results(PLAN, 2000.0, [database("critical", 4.0)]),
        steps=steps,
        rto_objective=1800,
        notes=["paging reached the second on-call only"],
        waited_seconds=600.0,
    )
    assert found == [
        "tier critical: RTO missed by 3m 20s (achieved 33m 20s, objective 30m 00s); the slowest step was "
        "3 Promote databases (16m 40s); 10m 00s passed before the failover began (detection, decision)",
        "step 3 Promote databases took 16m 40s, more than half the RTO 30m 00s",
        "readiness: restore-test database failed (never; target ≤ 30d ago)",
        "readiness: recovery-point database primary could not be measured (404)",
        "noted: paging reached the second on-call only",
    ]


def test_improvements__a_thin_margin_and_an_unmeasured_rpo() -> None:
    found = improvements(
        readiness_checks=[],
        failover_outcome="promoted",
        failover_message="",
        tiers=tier_results(PLAN, 1500.0, [database("critical", None)]),
        steps=[],
        rto_objective=1800,
        notes=[],
    )
    assert found == [
        "tier critical: RTO met with little margin (25m 00s of 30m 00s)",
        "tier critical: RPO not measured (critical-db: no ReplicaLag datapoint in the last 3h): make replica "
        "lag measurable",
    ]


# ---------------------------------------------------------------------------------------------
# Failback


TARGET = FailbackTarget(
    data_item="database",
    tier="critical",
    dr_identifier="orders-database-dr",
    dr_arn="arn:aws:rds:us-west-2:123456789012:db:orders-database-dr",
    identifier="orders-database",
    arn="arn:aws:rds:us-east-1:123456789012:db:orders-database",
    subnet_group="orders-primary-db",
    security_group_ids=["sg-1"],
    instance_class="db.t4g.medium",
    kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k",
    backup_retention_days=30,
    multi_az=True,
    deletion_protection=True,
    rpo_seconds=900,
)
DR_PROMOTED = view(
    identifier="orders-database-dr",
    arn=TARGET.dr_arn,
    dbi_resource_id="db-DRINSTANCE",
)
OURS = {FAILBACK_SOURCE_TAG: "db-DRINSTANCE"}


@pytest.mark.parametrize(
    ("dr", "primary", "phase", "problems"),
    [
        (DR_PROMOTED, None, Phase.FREE, []),
        (DR_PROMOTED, view(), Phase.OCCUPIED, []),
        (
            DR_PROMOTED,
            view(tags=OURS, replica_source=TARGET.dr_arn, status="creating"),
            Phase.BUSY_REPLICA,
            [],
        ),
        (DR_PROMOTED, view(tags=OURS, replica_source=TARGET.dr_arn), Phase.REPLICA, []),
        (DR_PROMOTED, view(replica_source=TARGET.dr_arn), Phase.REPLICA, []),
        (DR_PROMOTED, view(tags=OURS, status="modifying"), Phase.PROMOTING, []),
        (DR_PROMOTED, view(tags=OURS), Phase.PROMOTED, []),
        (
            DR_PROMOTED,
            view(replica_source="arn:aws:rds:us-west-2:123456789012:db:elsewhere"),
            Phase.FOREIGN,
            [
                "database database: orders-database in us-east-1 is a read replica of "
                "arn:aws:rds:us-west-2:123456789012:db:elsewhere, not of "
                "arn:aws:rds:us-west-2:123456789012:db:orders-database-dr"
            ],
        ),
        (
            DR_PROMOTED,
            view(status="inaccessible-encryption-credentials"),
            Phase.BROKEN,
            [
                "database database: the old primary orders-database is inaccessible-encryption-credentials; "
                "rename or repair it by hand"
            ],
        ),
        (
            replace(DR_PROMOTED, backup_retention=0),
            None,
            Phase.FREE,
            [
                "database database: orders-database-dr keeps no automated backups (BackupRetentionPeriod 0); "
                "a read replica needs them"
            ],
        ),
        (None, None, Phase.FREE, ["database database: orders-database-dr not found in us-west-2"]),
    ],
    ids=[
        "free",
        "old-primary",
        "creating",
        "replica",
        "replica-untagged",
        "promoting",
        "promoted",
        "foreign",
        "old-primary-broken",
        "no-backups",
        "dr-missing",
    ],
)
def test_failback_phase(
    dr: InstanceView | None, primary: InstanceView | None, phase: Phase, problems: list[str]
) -> None:
    state = DatabaseState(TARGET, "us-east-1", "us-west-2", dr, primary)
    assert state.phase is phase
    assert state.problems == problems


def test_failback__an_old_primary_tagged_by_an_earlier_failback_of_another_instance_is_not_ours() -> None:
    # GIVEN the primary was itself created by a failback from an earlier DR instance of the same name
    earlier = view(tags={FAILBACK_SOURCE_TAG: "db-EARLIERDR"})
    assert DatabaseState(TARGET, "us-east-1", "us-west-2", DR_PROMOTED, earlier).phase is Phase.OCCUPIED


@pytest.mark.parametrize(
    ("identifier", "retired"),
    [
        ("orders-database", "orders-database-old-202611231200"),
        ("x" * 63, "x" * 46 + "-old-202611231200"),
    ],
)
def test_retired_identifier(identifier: str, retired: str) -> None:
    assert retired_identifier(identifier, NOW) == retired
    assert len(retired) <= 63


CREATED = NOW - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("lag", "ok", "text"),
    [
        (LagReading(2.0, NOW, ""), True, "lag 2s, within the RPO 900s"),
        (LagReading(901.0, NOW, ""), False, "lag 15m 01s, above the RPO 900s"),
        (
            LagReading(2.0, CREATED - timedelta(minutes=2), ""),
            False,
            "lag unknown (no datapoint since the replica was created)",
        ),
        (
            LagReading(None, None, "no ReplicaLag datapoint in the last 3h"),
            False,
            "lag unknown (no ReplicaLag datapoint in the last 3h)",
        ),
        (None, False, "lag unknown (not read)"),
    ],
)
def test_caught_up(lag: LagReading | None, ok: bool, text: str) -> None:
    assert caught_up(lag, CREATED, 900) == (ok, text)


def primary_service(running: int, desired: int = 4, status: str = "ACTIVE") -> PrimaryService:
    return PrimaryService(
        "api", "orders-api", view=ServiceView("c", "orders-api", "arn", status, desired, running, 0, 1, None)
    )


@pytest.mark.parametrize(
    ("services", "force", "under_way", "proceed", "summary"),
    [
        (
            [primary_service(4)],
            False,
            [],
            True,
            "the primary region serves again: primary service api (orders-api): 4/4 tasks running, steady",
        ),
        (
            [primary_service(1)],
            False,
            [],
            False,
            "the primary region does not serve yet (primary service api (orders-api): ACTIVE, 1/4 tasks running); "
            "fail back once it does, or run again with --force",
        ),
        (
            [PrimaryService("api", "orders-api", error="not read: EndpointConnectionError")],
            False,
            [],
            False,
            "the primary region does not serve yet (primary service api (orders-api): not read: "
            "EndpointConnectionError); fail back once it does, or run again with --force",
        ),
        (
            [primary_service(0, 0)],
            True,
            [],
            True,
            "forced (--force): the primary region is not confirmed to serve",
        ),
        (
            [primary_service(0)],
            False,
            ["orders-database is replica of the DR instance"],
            True,
            "finishing a failback an earlier run began (orders-database is replica of the DR instance)",
        ),
        (
            [],
            False,
            [],
            False,
            "no ECS service in the primary region to confirm it serves; confirm it another way and run again with --force",
        ),
    ],
    ids=["serving", "not-steady", "unreadable", "forced", "under-way", "no-services"],
)
def test_failback_safety(
    services: list[PrimaryService], force: bool, under_way: list[str], proceed: bool, summary: str
) -> None:
    decision = judge_failback_safety(services, force=force, under_way=under_way)
    assert (decision.proceed, decision.summary) == (proceed, summary)
