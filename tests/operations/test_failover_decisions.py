"""The failover's pure decisions, table first: what AWS's answers mean and what is left to do."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from continuity.outputs import DatabaseTarget, parse_promotion
from operations.cloudwatch import AlarmView, latest_lag
from operations.ecs import ServiceView, resource_id_for, view_service
from operations.failover.checks import DatabaseState, Phase, input_problems
from operations.failover.safety import SafetySignals, judge_safety
from operations.rds import modifications_needed, view_instance
from operations.route53 import HealthVerdict, RecordView, failover_record_problems, judge_observations

SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:orders-database"
REPLICA_ARN = "arn:aws:rds:us-west-2:123456789012:db:orders-database-dr"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def target(**changes: Any) -> DatabaseTarget:
    base = DatabaseTarget(
        data_item="database",
        tier="critical",
        mode="replica",
        identifier="orders-database-dr",
        source_identifier="orders-database",
        source_arn=SOURCE_ARN,
        replica_arn=REPLICA_ARN,
        backup_retention_days=30,
        multi_az=True,
        deletion_protection=True,
        rpo_seconds=900,
    )
    return dataclasses.replace(base, **changes)


def instance(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "DBInstanceIdentifier": "orders-database-dr",
        "DBInstanceArn": REPLICA_ARN,
        "DBInstanceStatus": "available",
        "ReadReplicaSourceDBInstanceIdentifier": SOURCE_ARN,
        "StatusInfos": [{"StatusType": "read replication", "Status": "replicating", "Normal": True}],
        "MultiAZ": False,
        "DeletionProtection": False,
        "BackupRetentionPeriod": 0,
    }
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


PROMOTED = {"ReadReplicaSourceDBInstanceIdentifier": None, "StatusInfos": None}


@pytest.mark.parametrize(
    ("changes", "phase"),
    [
        ({}, Phase.REPLICA),
        ({"DBInstanceStatus": "backing-up"}, Phase.BUSY_REPLICA),
        # AWS: promotion under way, the source still listed while the instance reboots
        ({"DBInstanceStatus": "modifying"}, Phase.BUSY_REPLICA),
        # replication broken because the primary is gone: still a replica to promote
        (
            {"StatusInfos": [{"StatusType": "read replication", "Status": "error", "Normal": False}]},
            Phase.REPLICA,
        ),
        ({**PROMOTED, "DBInstanceStatus": "rebooting"}, Phase.PROMOTING),
        (PROMOTED, Phase.PROMOTED),
        # the source gone from the description but replication still reported: not promoted yet
        ({"ReadReplicaSourceDBInstanceIdentifier": None}, Phase.REPLICA),
        ({"DBInstanceStatus": "storage-full"}, Phase.BROKEN),
        (
            {"ReadReplicaSourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:123456789012:db:other"},
            Phase.FOREIGN,
        ),
        ({"DBInstanceArn": "arn:aws:rds:us-west-2:999999999999:db:orders-database-dr"}, Phase.FOREIGN),
        # a same-region replica names its source by identifier
        ({"ReadReplicaSourceDBInstanceIdentifier": "orders-database"}, Phase.REPLICA),
    ],
)
def test_database_phase__replica_mode(changes: dict[str, Any], phase: Phase) -> None:
    state = DatabaseState(target(), "us-west-2", view_instance(instance(**changes)))
    assert state.phase is phase


def test_database_phase__missing_replica_is_a_problem() -> None:
    state = DatabaseState(target(), "us-west-2", None)
    assert state.phase is Phase.MISSING
    assert state.problems == ["database database: orders-database-dr not found in us-west-2"]


def test_database_phase__foreign_source_names_both() -> None:
    other = "arn:aws:rds:us-east-1:123456789012:db:other"
    state = DatabaseState(
        target(), "us-west-2", view_instance(instance(ReadReplicaSourceDBInstanceIdentifier=other))
    )
    assert state.problems == [
        f"database database: orders-database-dr is a read replica of {other}, not of the recorded {SOURCE_ARN}"
    ]


@pytest.mark.parametrize(
    ("changes", "phase"),
    [
        (None, Phase.NOT_RESTORED),
        ({**PROMOTED, "DBInstanceStatus": "creating"}, Phase.RESTORING),
        (PROMOTED, Phase.RESTORED),
        ({}, Phase.FOREIGN),  # a replica where a restore was expected
    ],
)
def test_database_phase__restore_mode(changes: dict[str, Any] | None, phase: Phase) -> None:
    t = target(
        mode="restore", replica_arn=None, automated_backups_arn="arn:aws:rds:us-west-2:1:auto-backup:ab-1"
    )
    view = None if changes is None else view_instance(instance(**changes))
    assert DatabaseState(t, "us-west-2", view).phase is phase


@pytest.mark.parametrize(
    ("changes", "wanted"),
    [
        ({}, {"MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 30}),
        ({"MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 30}, {}),
        (
            {
                "PendingModifiedValues": {"MultiAZ": True},
                "DeletionProtection": True,
                "BackupRetentionPeriod": 35,
            },
            {},
        ),
        (
            {"MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 7},
            {"BackupRetentionPeriod": 30},
        ),
    ],
)
def test_modifications_needed(changes: dict[str, Any], wanted: dict[str, Any]) -> None:
    view = view_instance(instance(**PROMOTED, **changes))
    assert (
        modifications_needed(view, multi_az=True, deletion_protection=True, backup_retention_days=30)
        == wanted
    )


def test_modifications_needed__never_lowers_protection() -> None:
    view = view_instance(
        instance(**PROMOTED, MultiAZ=True, DeletionProtection=True, BackupRetentionPeriod=35)
    )
    assert (
        modifications_needed(view, multi_az=False, deletion_protection=False, backup_retention_days=7) == {}
    )


@pytest.mark.parametrize(
    ("healthy", "total", "verdict"),
    [
        (0, 8, False),
        (1, 8, False),  # 12.5%: 18% or fewer is unhealthy
        (2, 8, True),  # 25%
        (8, 8, True),
        (1, 1, True),
        (0, 0, None),
    ],
)
def test_judge_observations__route53s_18_percent_rule(healthy: int, total: int, verdict: bool | None) -> None:
    observations = [
        {
            "StatusReport": {
                "Status": "Success: HTTP Status Code: 200" if i < healthy else "Failure: timed out"
            }
        }
        for i in range(total)
    ]
    assert judge_observations(observations).healthy is verdict


def test_latest_lag__newest_datapoint_wins() -> None:
    points = [
        {"Timestamp": NOW - timedelta(minutes=3), "Maximum": 30.0},
        {"Timestamp": NOW - timedelta(minutes=1), "Maximum": 2.0},
        {"Timestamp": NOW - timedelta(minutes=2), "Maximum": 12.0},
    ]
    reading = latest_lag(points, NOW)
    assert (reading.seconds, reading.at, reading.note) == (2.0, NOW - timedelta(minutes=1), "")


def test_latest_lag__old_datapoint_says_how_old() -> None:
    reading = latest_lag([{"Timestamp": NOW - timedelta(minutes=20), "Maximum": 7.0}], NOW)
    assert reading.describe() == "7s (measured 1200s ago)"


@pytest.mark.parametrize(
    ("points", "described"),
    [
        ([], "unknown (no ReplicaLag datapoint in the last 3h)"),
        ([{"Timestamp": NOW, "Maximum": -1.0}], "unknown (ReplicaLag -1: replication was not running)"),
    ],
)
def test_latest_lag__unknown(points: list[dict[str, Any]], described: str) -> None:
    assert latest_lag(points, NOW).describe() == described


def signals(health: bool | None, alarm: str | None, **changes: Any) -> SafetySignals:
    verdict = None if health is None else HealthVerdict(health, 8 if health else 0, 8)
    view = None if alarm is None else AlarmView("orders-primary-health", alarm, NOW, "")
    base = SafetySignals("hc-1", "orders-primary-health", "us-east-1", health=verdict, alarm=view)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("health", "alarm", "force", "proceed", "summary"),
    [
        (False, "ALARM", False, True, "the primary is down: Route 53 health check hc-1 (primary): unhealthy"),
        (False, "OK", False, True, "the primary is down: Route 53 health check hc-1 (primary): unhealthy"),
        (None, "ALARM", False, True, "the primary is down: alarm orders-primary-health (us-east-1): ALARM"),
        (True, "OK", False, False, "the primary is healthy (Route 53 health check hc-1 (primary): healthy"),
        (
            True,
            "ALARM",
            False,
            False,
            "the primary is healthy (Route 53 health check hc-1 (primary): healthy",
        ),
        (None, "OK", False, False, "the primary is healthy (alarm orders-primary-health (us-east-1): OK"),
        (None, None, False, False, "cannot confirm the primary is down"),
        (None, "INSUFFICIENT_DATA", False, False, "cannot confirm the primary is down"),
        (True, "OK", True, True, "forced (--force): the primary reports healthy; proceeding as a drill"),
        (
            None,
            None,
            True,
            True,
            "forced (--force): the primary cannot be confirmed down; proceeding on the operator's word",
        ),
    ],
)
def test_judge_safety(
    health: bool | None, alarm: str | None, force: bool, proceed: bool, summary: str
) -> None:
    decision = judge_safety(signals(health, alarm), force=force, under_way=[], inverted=False)
    assert decision.proceed is proceed
    assert decision.summary.startswith(summary)


def test_judge_safety__a_failover_under_way_is_finished_even_if_the_primary_is_healthy() -> None:
    decision = judge_safety(
        signals(True, "OK"), force=False, under_way=["orders-database-dr is promoted"], inverted=False
    )
    assert decision.proceed
    assert decision.summary == "finishing a failover an earlier run began (orders-database-dr is promoted)"


def test_judge_safety__an_inverted_check_says_nothing_about_the_primary() -> None:
    decision = judge_safety(signals(False, "ALARM"), force=False, under_way=[], inverted=True)
    assert not decision.proceed
    assert "it no longer reflects the primary" in decision.summary


@pytest.mark.parametrize(
    ("service", "steady"),
    [
        ({"desiredCount": 4, "runningCount": 4, "deployments": [{"status": "PRIMARY"}]}, True),
        ({"desiredCount": 4, "runningCount": 2, "deployments": [{"status": "PRIMARY"}]}, False),
        (
            {
                "desiredCount": 4,
                "runningCount": 4,
                "deployments": [{"status": "PRIMARY"}, {"status": "ACTIVE"}],
            },
            False,
        ),
        ({"desiredCount": 2, "runningCount": 2, "deployments": [{"status": "PRIMARY"}]}, False),  # below full
        (
            {"desiredCount": 6, "runningCount": 6, "deployments": [{"status": "PRIMARY"}]},
            True,
        ),  # above: left alone
    ],
)
def test_service_steady_at_full(service: dict[str, Any], steady: bool) -> None:
    view: ServiceView = view_service(
        "orders-dr", {"serviceName": "orders-api", "status": "ACTIVE", **service}
    )
    assert view.steady_at(4) is steady


def test_resource_id_for__names_and_arns() -> None:
    assert resource_id_for("orders-dr", "orders-api") == "service/orders-dr/orders-api"
    assert (
        resource_id_for(
            "arn:aws:ecs:us-west-2:123456789012:cluster/orders-dr",
            "arn:aws:ecs:us-west-2:123456789012:service/orders-dr/orders-api",
        )
        == "service/orders-dr/orders-api"
    )


def record(failover: str, health_check: str | None) -> RecordView:
    return RecordView("orders.example.com", "A", failover.lower(), failover, health_check)


@pytest.mark.parametrize(
    ("records", "problems"),
    [
        ([record("PRIMARY", "hc-1"), record("SECONDARY", "hc-2")], []),
        (
            [record("PRIMARY", "hc-9"), record("SECONDARY", "hc-2")],
            [
                "record orders.example.com: the PRIMARY failover record uses health check hc-9, not hc-1; "
                "inverting it would not move traffic"
            ],
        ),
        (
            [record("PRIMARY", "hc-1")],
            ["record orders.example.com has no SECONDARY failover record to move traffic to"],
        ),
        (
            [],
            [
                "record orders.example.com has no PRIMARY failover record",
                "record orders.example.com has no SECONDARY failover record to move traffic to",
            ],
        ),
    ],
)
def test_failover_record_problems(records: list[RecordView], problems: list[str]) -> None:
    assert failover_record_problems(records, "orders.example.com", "hc-1") == problems


def outputs(**changes: Any) -> dict[str, Any]:
    promotion: dict[str, Any] = {
        "service": "orders",
        "strategy": "warm-standby",
        "stack": "dr",
        "primary_region": "us-east-1",
        "dr_region": "us-west-2",
        "promoted": False,
        "databases": [
            {
                "data_item": "database",
                "tier": "critical",
                "mode": "replica",
                "replica_identifier": "orders-database-dr",
                "replica_arn": REPLICA_ARN,
                "source_identifier": "orders-database",
                "source_arn": SOURCE_ARN,
                "backup_retention_days": 30,
                "multi_az": True,
                "deletion_protection": True,
                "rpo_seconds": 900,
            }
        ],
        "services": [
            {
                "name": "api",
                "tier": "critical",
                "compute": "ecs",
                "cluster": "orders-dr",
                "service": "orders-api",
                "full_desired_count": 4,
                "warm_desired_count": 1,
                "scalable_target": "service/orders-dr/orders-api",
            }
        ],
        "dns": {
            "zone_id": "Z1",
            "record_name": "orders.example.com",
            "primary_health_check_id": "hc-1",
            "dr_health_check_id": "hc-2",
            "dr_endpoint": "dr-alb.us-west-2.elb.amazonaws.com",
            "health_check_path": "/health",
            "primary_health_alarm": "orders-primary-health",
            "alarm_region": "us-east-1",
        },
        "objectives": {
            "rto_seconds": 1800,
            "rpo_seconds": 900,
            "tiers": {"critical": {"rto_seconds": 1800, "rpo_seconds": 900}},
        },
        "operator_role_arn": "arn:aws:iam::123456789012:role/orders-dr-operator",
    }
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = promotion
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return {"promotion": promotion}


def test_input_problems__none_for_good_outputs() -> None:
    assert input_problems(parse_promotion(outputs())) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"dr_region": "us-east-1"}, "outputs.promotion.dr_region: us-east-1 is also the primary region"),
        (
            {"databases__0__source_arn": "arn:aws:rds:eu-west-1:123456789012:db:orders-database"},
            "outputs.promotion.databases[0].source_arn: arn:aws:rds:eu-west-1:123456789012:db:orders-database "
            "is in eu-west-1, not the primary region us-east-1",
        ),
        (
            {"databases__0__replica_arn": "arn:aws:rds:us-east-2:123456789012:db:orders-database-dr"},
            "outputs.promotion.databases[0].replica_arn: arn:aws:rds:us-east-2:123456789012:db:orders-database-dr "
            "is in us-east-2, not the DR region us-west-2",
        ),
        (
            {"services__0__compute": "kubernetes"},
            "outputs.promotion.services[0].compute: kubernetes services are not scaled by this script (ecs only)",
        ),
        (
            {"services__0__scalable_target": "service/other/orders-api"},
            "outputs.promotion.services[0].scalable_target: service/other/orders-api is not "
            "service/orders-dr/orders-api",
        ),
    ],
)
def test_input_problems(changes: dict[str, Any], problem: str) -> None:
    assert input_problems(parse_promotion(outputs(**changes)))[0] == problem
