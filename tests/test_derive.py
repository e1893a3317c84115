"""Plan -> settings, table by table; expectations come from the plan's own numbers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from continuity.derive import (
    ObjectLockRetention,
    backup_rules_for,
    derive,
    object_lock_retention,
    pitr_meets_rpo,
    rds_backup_retention_days,
    vault_lock_for,
)
from continuity.durations import parse_duration
from continuity.plan import DataItem, load_plan
from continuity.schedule import longest_gap
from tests.conftest import ALL_PLANS


@pytest.mark.parametrize(
    ("retention", "days"),
    [("12h", 1), ("1d", 1), ("7d", 7), ("30d", 30), ("35d", 35), ("5w", 35), ("90d", 35), ("7y", 35)],
)
def test_rds_backup_retention_days__within_what_rds_allows(retention: str, days: int) -> None:
    assert rds_backup_retention_days(parse_duration(retention)) == days


@pytest.mark.parametrize(
    ("rpo", "meets"), [("1m", False), ("4m", False), ("5m", True), ("15m", True), ("1h", True)]
)
def test_pitr_meets_rpo(rpo: str, meets: bool) -> None:
    assert pitr_meets_rpo(parse_duration(rpo)) is meets


@pytest.mark.parametrize(
    ("retention", "lock"),
    [
        ("12h", ObjectLockRetention("COMPLIANCE", 1, None)),
        ("90d", ObjectLockRetention("COMPLIANCE", 90, None)),
        ("2w", ObjectLockRetention("COMPLIANCE", 14, None)),
        ("7y", ObjectLockRetention("COMPLIANCE", None, 7)),
    ],
)
def test_object_lock_retention(retention: str, lock: ObjectLockRetention) -> None:
    assert object_lock_retention(parse_duration(retention)) == lock


def item(**fields: object) -> DataItem:
    return DataItem.model_validate({"tier": "critical", "store": "rds", "retention": "30d", **fields})


@pytest.mark.parametrize(
    ("fields", "rules"),
    [
        (
            {"frequency": "continuous", "copy_to_dr": True},
            [("db-continuous", True, 30, True)],
        ),
        ({"frequency": "15m"}, [("db-continuous", True, 30, False)]),
        ({"frequency": "6h"}, [("db-scheduled", False, 30, False)]),
        (
            {"frequency": "15m", "archive": {"frequency": "1w", "retention": "1y"}},
            [("db-continuous", True, 30, False), ("db-archive", False, 366, False)],
        ),
        ({"store": "s3", "frequency": "continuous", "retention": "7y"}, [("db-continuous", True, 35, False)]),
        ({"store": "kubernetes", "frequency": "1h", "namespace": "ns", "image": "i", "command": "c"}, []),
    ],
)
def test_backup_rules_for(fields: dict[str, object], rules: list[tuple[str, bool, int, bool]]) -> None:
    derived = backup_rules_for("db", item(**fields))
    assert [(r.rule_name, r.continuous, r.delete_after_days, r.copy_to_dr) for r in derived] == rules
    for rule in derived:
        assert rule.start_window_minutes >= 60
        assert rule.completion_window_minutes >= rule.start_window_minutes + 60
        if not rule.continuous:
            assert rule.longest_gap == longest_gap(rule.schedule)


@pytest.mark.parametrize(
    ("fields", "rpo", "rules"),
    [
        # 1h gap + 1h start window + 2h completion window = 4h: only continuous backup keeps 1h.
        (
            {"store": "s3", "frequency": "1h", "retention": "90d"},
            "1h",
            [("db-scheduled", False, 90, 60, 120), ("db-continuous", True, 35, 60, 120)],
        ),
        (
            {"store": "s3", "frequency": "1h", "retention": "90d"},
            "4h",
            [("db-scheduled", False, 90, 60, 120)],
        ),
        # 12h gap + 1h start + 12h completion = 25h; an 11h completion window keeps 24h.
        ({"store": "s3", "frequency": "12h"}, "1d", [("db-scheduled", False, 30, 60, 660)]),
        # 14h leaves 1h for the completion window, but AWS wants at least the start window + 60
        # minutes: continuous backup is added and the schedule keeps its windows.
        (
            {"store": "s3", "frequency": "12h"},
            "14h",
            [("db-scheduled", False, 30, 60, 720), ("db-continuous", True, 30, 60, 120)],
        ),
        # Point-in-time recovery keeps an RDS item's RPO whatever its schedule.
        ({"store": "rds", "frequency": "6h"}, "6h", [("db-scheduled", False, 30, 60, 360)]),
    ],
)
def test_backup_rules_for__given_the_rpo(
    fields: dict[str, object], rpo: str, rules: list[tuple[str, bool, int, int, int]]
) -> None:
    derived = backup_rules_for("db", item(**fields), parse_duration(rpo))
    assert [
        (r.rule_name, r.continuous, r.delete_after_days, r.start_window_minutes, r.completion_window_minutes)
        for r in derived
    ] == rules


def test_vault_lock__minimum_is_the_shortest_retention() -> None:
    rules = backup_rules_for("a", item(frequency="6h", retention="90d")) + backup_rules_for(
        "b", item(frequency="1d", retention="14d")
    )
    lock = vault_lock_for(rules)
    assert lock is not None
    assert (lock.mode, lock.min_retention_days, lock.changeable_for_days) == ("compliance", 14, 3)
    assert vault_lock_for([]) is None


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_derive__every_plan_item_is_carried(path: Path) -> None:
    plan = load_plan(path)
    settings = derive(plan)
    for name, data in plan.data.items():
        rpo = plan.rpo_of(data)
        assert settings.alarm_thresholds[name] == rpo.seconds
        if data.store == "kubernetes":
            (job,) = [j for j in settings.cron_jobs if j.data_item == name]
            assert job.longest_gap <= data.frequency.timedelta
            continue
        (first, *_) = [r for r in settings.backup_rules if r.data_item == name]
        assert first.copy_to_dr == data.copy_to_dr
        if data.continuous:
            assert first.continuous
            assert first.longest_gap == timedelta(0)
        else:
            assert first.longest_gap <= data.frequency.timedelta
            assert first.delete_after_days >= data.retention.days_ceil()
        if data.store == "rds":
            (rds,) = [r for r in settings.rds if r.data_item == name]
            assert rds.backup_retention_period == min(data.retention.days_ceil(), 35)
            assert rds.replica is (plan.strategy != "backup-restore")
        else:
            (bucket,) = [b for b in settings.buckets if b.data_item == name]
            assert bucket.noncurrent_expiration_days == data.retention.days_ceil()
            assert bucket.replicate_to_dr == data.copy_to_dr
            assert (bucket.object_lock is not None) is data.immutable
            if bucket.object_lock:
                assert bucket.object_lock.covers_days() >= data.retention.days_ceil() - 2
    for service in settings.services:
        spec = plan.services[service.name]
        assert (service.primary_desired_count, service.warm_desired_count) == (
            spec.capacity.primary,
            spec.capacity.dr,
        )
    if settings.vault_lock:
        assert settings.vault_lock.min_retention_days == min(
            r.delete_after_days for r in settings.backup_rules
        )
    assert settings.objectives.rpo_seconds == min(plan.rpo_of(d).seconds for d in plan.data.values())
