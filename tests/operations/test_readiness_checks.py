"""Readiness judgements, table first: one reading and the plan's target in, a verdict out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from continuity.derive import ObjectLockRetention, VaultLockSettings, derive
from continuity.plan import load_plan
from operations.backup import RecoveryPoint, RecoveryPoints, VaultView
from operations.cloudwatch import LagReading
from operations.ecs import ScalableTargetView, ServiceView
from operations.rds import InstanceView, ReplicatedBackups
from operations.readiness.checks import (
    FAIL,
    PASS,
    UNKNOWN,
    Target,
    judge_age,
    judge_capacity,
    judge_dr_copy,
    judge_health_check,
    judge_object_lock,
    judge_recency,
    judge_recovery_points,
    judge_replica_lag,
    judge_replicated_backups,
    judge_replication,
    judge_standby,
    judge_vault_lock,
    recovery_point_target,
    rule_target,
)
from operations.route53 import HealthCheckView
from operations.s3 import Listing, ObjectLockView, ReplicationRule
from tests.conftest import DEFAULT_PLAN

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:orders-database"
PLAN = load_plan(DEFAULT_PLAN)
SETTINGS = derive(PLAN)


def instance(**changes: Any) -> InstanceView:
    base = InstanceView(
        identifier="orders-database-dr",
        arn="arn:aws:rds:us-west-2:123456789012:db:orders-database-dr",
        status="available",
        replica_source=SOURCE_ARN,
        replication_status="replicating",
        replication_message=None,
        multi_az=False,
        pending_multi_az=None,
        deletion_protection=True,
        backup_retention=0,
        pending_backup_retention=None,
        latest_restorable_time=None,
    )
    return replace(base, **changes)


# ---------------------------------------------------------------------------------------------
# Targets derive from the plan


def test_recovery_point_target__continuous_items_use_the_tier_rpo_scheduled_ones_their_frequency() -> None:
    assert recovery_point_target(PLAN, "database", PLAN.data["database"]) == Target(
        "≤ 15m (tier critical RPO; frequency continuous)", 900
    )
    assert recovery_point_target(PLAN, "user-files", PLAN.data["user-files"]) == Target(
        "≤ 1h (data.user-files.frequency)", 3600
    )


def test_rule_target__continuous_in_its_vault__schedule_plus_windows_for_copies() -> None:
    rule = next(r for r in SETTINGS.backup_rules if r.rule_name == "user-files-scheduled")
    assert rule_target(rule, copy=False) == Target(
        "≤ 2h (rule user-files-scheduled: gap 1h + start window 1h)", 7200
    )
    assert rule_target(rule, copy=True).seconds == 7200 + 120 * 60
    continuous = next(r for r in SETTINGS.backup_rules if r.rule_name == "database-continuous")
    assert rule_target(continuous, copy=False) == Target(
        "a continuous recovery point (rule database-continuous)"
    )


# ---------------------------------------------------------------------------------------------
# Databases


@pytest.mark.parametrize(
    ("view", "status", "measured", "detail"),
    [
        (instance(), PASS, "read replica of orders-database, replicating", ""),
        (None, FAIL, "missing", "no instance of that name in us-west-2"),
        (instance(status="storage-full"), FAIL, "storage-full", "it will not recover by waiting"),
        (
            instance(replica_source=None, replication_status=None),
            FAIL,
            "standalone (available)",
            "promoted, yet no failover is in effect: nothing replicates to the DR region",
        ),
        (
            instance(replica_source="arn:aws:rds:us-east-1:123456789012:db:someone-else"),
            FAIL,
            "read replica of arn:aws:rds:us-east-1:123456789012:db:someone-else",
            f"not of {SOURCE_ARN}",
        ),
        (
            instance(replication_status="error", replication_message="binlog position lost"),
            FAIL,
            "replication error",
            "read replication: binlog position lost",
        ),
        (
            instance(status="modifying"),
            UNKNOWN,
            "read replica, modifying",
            "judge again once it is available",
        ),
    ],
    ids=["replicating", "missing", "broken", "promoted", "other-source", "replication-error", "busy"],
)
def test_judge_standby(view: InstanceView | None, status: str, measured: str, detail: str) -> None:
    verdict = judge_standby(
        view, source_arn=SOURCE_ARN, source_identifier="orders-database", region="us-west-2"
    )
    assert (verdict.status, verdict.measured, verdict.detail) == (status, measured, detail)


def test_judge_standby__after_a_failback__says_it_is_a_stale_copy() -> None:
    view = instance(replica_source=None, replication_status=None)
    verdict = judge_standby(
        view, source_arn=SOURCE_ARN, source_identifier="orders-database", region="us-west-2", failed_back=True
    )
    assert verdict.detail == "a stale copy left by the failback: re-create the replica (docs/failback.md)"


@pytest.mark.parametrize(
    ("lag", "status", "measured"),
    [
        (LagReading(4.0, NOW, ""), PASS, "4s"),
        (LagReading(900.0, NOW, ""), PASS, "15m"),
        (LagReading(901.0, NOW, "measured 180s ago"), FAIL, "15m 1s (measured 180s ago)"),
        (LagReading(None, None, "no ReplicaLag datapoint in the last 3h"), UNKNOWN, "not measured"),
        (None, FAIL, "no replica"),
    ],
)
def test_judge_replica_lag(lag: LagReading | None, status: str, measured: str) -> None:
    verdict = judge_replica_lag(lag, Target("≤ 15m", 900))
    assert (verdict.status, verdict.measured) == (status, measured)


@pytest.mark.parametrize(
    ("moment", "status", "measured"),
    [
        (NOW - timedelta(minutes=5), PASS, "5m old (2026-11-23T11:55:00Z)"),
        (NOW - timedelta(minutes=16), FAIL, "16m old (2026-11-23T11:44:00Z)"),
        (None, FAIL, "none"),
    ],
)
def test_judge_age(moment: datetime | None, status: str, measured: str) -> None:
    verdict = judge_age(moment, NOW, Target("≤ 15m", 900), none="no restorable time")
    assert (verdict.status, verdict.measured) == (status, measured)


@pytest.mark.parametrize(
    ("backups", "status", "detail"),
    [
        (None, FAIL, "no automated backups of orders-database replicated to us-west-2"),
        (ReplicatedBackups("ab", "retained", None, NOW), FAIL, "replicated backups ab"),
        (
            ReplicatedBackups("ab", "replicating", None, None),
            FAIL,
            "replicated backups ab have no restorable time",
        ),
        (ReplicatedBackups("ab", "replicating", None, NOW - timedelta(minutes=3)), PASS, ""),
    ],
)
def test_judge_replicated_backups(backups: ReplicatedBackups | None, status: str, detail: str) -> None:
    verdict = judge_replicated_backups(
        backups, NOW, Target("≤ 15m", 900), source="orders-database", region="us-west-2"
    )
    assert (verdict.status, verdict.detail) == (status, detail)


# ---------------------------------------------------------------------------------------------
# AWS Backup


def point(age: timedelta, *, continuous: bool = False, status: str = "COMPLETED") -> RecoveryPoint:
    kind = "continuous:" if continuous else ""
    return RecoveryPoint(f"arn:aws:backup:us-east-1:1:recovery-point:{kind}x", "r", status, NOW - age, None)


SCHEDULED = next(r for r in SETTINGS.backup_rules if r.rule_name == "user-files-scheduled")
CONTINUOUS = next(r for r in SETTINGS.backup_rules if r.rule_name == "database-continuous")


@pytest.mark.parametrize(
    ("points", "rule", "copy", "status", "measured"),
    [
        (
            [point(timedelta(hours=1, minutes=59))],
            SCHEDULED,
            False,
            PASS,
            "1h 59m old (2026-11-23T10:01:00Z)",
        ),
        ([point(timedelta(hours=2, minutes=1))], SCHEDULED, False, FAIL, "2h 1m old (2026-11-23T09:59:00Z)"),
        ([point(timedelta(minutes=5), status="PARTIAL")], SCHEDULED, False, FAIL, "none"),
        ([point(timedelta(hours=3, minutes=59))], SCHEDULED, True, PASS, "3h 59m old (2026-11-23T08:01:00Z)"),
        (
            [point(timedelta(days=40), continuous=True, status="AVAILABLE")],
            CONTINUOUS,
            False,
            PASS,
            "continuous since 2026-10-14T12:00:00Z",
        ),
        ([point(timedelta(minutes=30))], CONTINUOUS, False, FAIL, "none"),
        ([point(timedelta(minutes=30))], CONTINUOUS, True, PASS, "30m old (2026-11-23T11:30:00Z)"),
    ],
    ids=[
        "fresh",
        "late",
        "partial-only",
        "copy-within-windows",
        "continuous",
        "no-continuous",
        "continuous-copy",
    ],
)
def test_judge_recovery_points(
    points: list[RecoveryPoint], rule: Any, copy: bool, status: str, measured: str
) -> None:
    verdict = judge_recovery_points(RecoveryPoints(points, True), NOW, rule, copy=copy, vault="v")
    assert (verdict.status, verdict.measured) == (status, measured)


def test_judge_recovery_points__too_many_to_list_is_unknown() -> None:
    verdict = judge_recovery_points(RecoveryPoints([], False), NOW, SCHEDULED, copy=False, vault="v")
    assert (verdict.status, verdict.detail) == (UNKNOWN, "too many to list")


LOCK = VaultLockSettings("compliance", 30, 3, "rule database-continuous (...)")


def vault(**changes: Any) -> VaultView:
    base = VaultView("orders-primary", "arn", True, 30, None, NOW - timedelta(days=1), 3)
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("view", "status", "measured", "detail"),
    [
        (vault(), PASS, "compliance, minimum 30 days, immutable since 2026-11-22T12:00:00Z", ""),
        (
            vault(lock_date=NOW + timedelta(days=2)),
            PASS,
            "compliance, minimum 30 days",
            "can still be changed until 2026-11-25T12:00:00Z",
        ),
        (
            vault(lock_date=None),
            FAIL,
            "governance mode",
            "recovery points can be deleted or shortened; the plan asks for compliance mode",
        ),
        (
            vault(locked=False, lock_date=None),
            FAIL,
            "not locked",
            "recovery points can be deleted or shortened; the plan asks for compliance mode",
        ),
        (
            vault(min_retention_days=7),
            FAIL,
            "compliance, minimum 7 days",
            "the plan's shortest retention is 30 days",
        ),
        (None, FAIL, "vault missing", ""),
    ],
    ids=["compliance", "cooling-off", "governance", "unlocked", "short-minimum", "missing"],
)
def test_judge_vault_lock(view: VaultView | None, status: str, measured: str, detail: str) -> None:
    verdict = judge_vault_lock(view, LOCK, NOW)
    assert (verdict.status, verdict.measured, verdict.detail) == (status, measured, detail)


# ---------------------------------------------------------------------------------------------
# Buckets


DAYS_90 = ObjectLockRetention("COMPLIANCE", 90, None)
YEARS_7 = ObjectLockRetention("COMPLIANCE", None, 7)


@pytest.mark.parametrize(
    ("view", "wanted", "status", "measured", "detail"),
    [
        (ObjectLockView(True, "COMPLIANCE", 90, None), DAYS_90, PASS, "COMPLIANCE 90 days", ""),
        (ObjectLockView(True, "COMPLIANCE", None, 7), YEARS_7, PASS, "COMPLIANCE 7 years", ""),
        (
            ObjectLockView(True, "GOVERNANCE", 90, None),
            DAYS_90,
            FAIL,
            "GOVERNANCE 90 days",
            "GOVERNANCE retention can be bypassed; the plan asks for COMPLIANCE",
        ),
        (
            ObjectLockView(True, "COMPLIANCE", 30, None),
            DAYS_90,
            FAIL,
            "COMPLIANCE 30 days",
            "the plan keeps COMPLIANCE 90 days",
        ),
        (
            ObjectLockView(True, "COMPLIANCE", 2557, None),
            YEARS_7,
            FAIL,
            "COMPLIANCE 2557 days",
            "the plan keeps COMPLIANCE 7 years",
        ),
        (
            ObjectLockView(True, None, None, None),
            DAYS_90,
            FAIL,
            "Object Lock on, no default retention",
            "objects are not write-once by default",
        ),
        (
            ObjectLockView(False, None, None, None),
            DAYS_90,
            FAIL,
            "Object Lock off",
            "objects are not write-once by default",
        ),
    ],
    ids=["days", "years", "governance", "shorter", "days-for-years", "no-default", "off"],
)
def test_judge_object_lock(
    view: ObjectLockView, wanted: ObjectLockRetention, status: str, measured: str, detail: str
) -> None:
    verdict = judge_object_lock(view, wanted)
    assert (verdict.status, verdict.measured, verdict.detail) == (status, measured, detail)


DESTINATION = "arn:aws:s3:::orders-user-files-us-west-2"


@pytest.mark.parametrize(
    ("rules", "status", "measured"),
    [
        (
            [ReplicationRule("to-dr", "Enabled", DESTINATION, True)],
            PASS,
            "rule to-dr enabled, Replication Time Control on",
        ),
        ([ReplicationRule("to-dr", "Disabled", DESTINATION, True)], FAIL, "rule to-dr Disabled"),
        (
            [ReplicationRule("to-dr", "Enabled", DESTINATION, False)],
            FAIL,
            "rule to-dr enabled, no Replication Time Control",
        ),
        ([ReplicationRule("elsewhere", "Enabled", "arn:aws:s3:::other", True)], FAIL, "no rule"),
        ([], FAIL, "no rule"),
    ],
)
def test_judge_replication(rules: list[ReplicationRule], status: str, measured: str) -> None:
    verdict = judge_replication(rules, DESTINATION)
    assert (verdict.status, verdict.measured) == (status, measured)


def listing(ages: dict[str, timedelta], complete: bool = True) -> Listing:
    return Listing({key: NOW - age for key, age in ages.items()}, complete)


@pytest.mark.parametrize(
    ("source", "copy", "status", "measured"),
    [
        (listing({}), listing({}), PASS, "nothing to copy (primary bucket empty)"),
        (
            listing({"a": timedelta(hours=5)}),
            listing({"a": timedelta(hours=5)}),
            PASS,
            "up to date (1 objects, newest 5h old)",
        ),
        (
            listing({"a": timedelta(hours=5), "b": timedelta(minutes=10)}),
            listing({"a": timedelta(hours=5)}),
            PASS,
            "1 missing, oldest written 10m ago",
        ),
        (
            listing({"a": timedelta(hours=5), "b": timedelta(minutes=20)}),
            listing({"a": timedelta(hours=5)}),
            FAIL,
            "1 missing, oldest written 20m ago",
        ),
        (
            listing({"a": timedelta(minutes=30)}),
            listing({"a": timedelta(hours=5)}),
            FAIL,
            "1 missing, oldest written 30m ago",
        ),
        (listing({"a": timedelta(hours=1)}, complete=False), listing({}), UNKNOWN, "too many objects"),
    ],
    ids=["empty", "current", "waiting-within", "waiting-too-long", "overwritten-since", "too-many"],
)
def test_judge_dr_copy(source: Listing, copy: Listing, status: str, measured: str) -> None:
    verdict = judge_dr_copy(source, copy, NOW, Target("≤ 15m", 900))
    assert (verdict.status, verdict.measured) == (status, measured)


# ---------------------------------------------------------------------------------------------
# Routing and services


def check(inverted: bool) -> HealthCheckView:
    return HealthCheckView("hc", inverted, "HTTPS", 30, 3, 1)


@pytest.mark.parametrize(
    ("view", "expect", "status", "detail"),
    [
        (check(False), False, PASS, ""),
        (check(True), True, PASS, ""),
        (check(True), False, FAIL, "traffic is held in the DR region although no failover is in effect"),
        (
            check(False),
            True,
            FAIL,
            "a failover is in effect but the check is not inverted: traffic returns to the primary as soon as it answers",
        ),
        (None, False, FAIL, ""),
    ],
)
def test_judge_health_check(view: HealthCheckView | None, expect: bool, status: str, detail: str) -> None:
    verdict = judge_health_check(view, expect_inverted=expect)
    assert (verdict.status, verdict.detail) == (status, detail)


def service(desired: int, running: int, deployments: int = 1) -> ServiceView:
    return ServiceView("c", "orders-api", "arn", "ACTIVE", desired, running, 0, deployments, "COMPLETED")


@pytest.mark.parametrize(
    ("view", "scaling", "expected", "status", "detail"),
    [
        (service(1, 1), ScalableTargetView("r", 1, 8), 1, PASS, ""),
        (service(2, 2), ScalableTargetView("r", 1, 8), 1, PASS, ""),
        (service(1, 0), ScalableTargetView("r", 1, 8), 1, FAIL, ""),
        (service(1, 1), ScalableTargetView("r", 0, 8), 1, FAIL, "scale-in may take it below 1 tasks"),
        (service(1, 1), None, 1, FAIL, "its autoscaling target is not registered"),
        (service(1, 1), ScalableTargetView("r", 1, 8), 4, FAIL, "scale-in may take it below 4 tasks"),
        (None, None, 1, FAIL, ""),
    ],
    ids=["warm", "above-warm", "not-running", "floor-too-low", "no-autoscaling", "should-be-full", "missing"],
)
def test_judge_capacity(
    view: ServiceView | None, scaling: ScalableTargetView | None, expected: int, status: str, detail: str
) -> None:
    verdict = judge_capacity(view, scaling, expected=expected, scaling_expected=True)
    assert (verdict.status, verdict.detail) == (status, detail)


# ---------------------------------------------------------------------------------------------
# Testing cadence


def entry(age: timedelta, ok: bool = True) -> dict[str, Any]:
    return {"kind": "drill", "at": (NOW - age).strftime("%Y-%m-%dT%H:%M:%SZ"), "ok": ok, "service": "orders"}


EVERY_30D = Target("≤ 30d ago", 30 * 86400)


def test_judge_recency__within__overdue__never__and_a_failed_last_attempt() -> None:
    recent, old, failed = (
        entry(timedelta(days=3)),
        entry(timedelta(days=31)),
        entry(timedelta(days=1), ok=False),
    )
    assert judge_recency(recent, recent, NOW, EVERY_30D).status == PASS
    overdue = judge_recency(old, old, NOW, EVERY_30D)
    assert (overdue.status, overdue.measured) == (FAIL, "31d ago (2026-10-23T12:00:00Z)")
    never = judge_recency(None, None, NOW, EVERY_30D)
    assert (never.status, never.measured, never.detail) == (
        FAIL,
        "never",
        "no successful one in the drill history",
    )
    after_failure = judge_recency(recent, failed, NOW, EVERY_30D)
    assert (after_failure.status, after_failure.detail) == (PASS, "the last attempt, 24h ago, failed")
    todo = "run scripts/restore_test.py --data-item surrealdb"
    assert judge_recency(None, None, NOW, EVERY_30D, remedy=todo).detail == (
        "no successful one in the drill history: run scripts/restore_test.py --data-item surrealdb"
    )
    assert judge_recency(old, old, NOW, EVERY_30D, remedy=todo).detail == (
        "overdue: run scripts/restore_test.py --data-item surrealdb"
    )
    assert judge_recency(recent, recent, NOW, EVERY_30D, remedy=todo).detail == ""
