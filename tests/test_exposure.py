"""Worst-case data loss: each protection's arithmetic, and what the derivation gives each item.

Every expectation is written out from the plan's numbers and the AWS figures named in
continuity/exposure.py, so a changed window, schedule or figure shows up here as a changed sum.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from continuity import exposure
from continuity.derive import derive
from continuity.plan import parse_plan
from tests.conftest import changed, plan_document

BASE = plan_document()
DUMP = {
    "tier": "important",
    "store": "kubernetes",
    "namespace": "orders",
    "image": "postgres:16",
    "command": "pg_dump orders",
    "frequency": "1h",
    "retention": "30d",
    "copy_to_dr": True,
}


def with_changes(*changes: tuple[str, Any]) -> dict[str, Any]:
    document = BASE
    for path, value in changes:
        document = changed(document, path, value)
    return document


def test_scheduled_backup__gap_plus_both_windows() -> None:
    found = exposure.scheduled_backup("files-scheduled", timedelta(hours=1), 60, 120, "cron(0 * * * ? *)")
    assert found.key == "backup:files-scheduled"
    assert found.seconds == 4 * 3600
    assert found.arithmetic() == "1h gap + 1h start window + 2h completion window = 4h"
    assert [t.kind for t in found.terms] == ["plan", "plan", "plan"]


def test_backup_copy__adds_the_copy_window_to_what_it_copies() -> None:
    snapshots = exposure.scheduled_backup("files-scheduled", timedelta(hours=1), 60, 120, "cron(0 * * * ? *)")
    copy = exposure.backup_copy(snapshots, "files-scheduled", 120)
    assert (copy.key, copy.seconds) == ("copy:files-scheduled", 6 * 3600)
    assert copy.arithmetic() == "1h gap + 1h start window + 2h completion window + 2h copy = 6h"


@pytest.mark.parametrize(
    ("rpo_seconds", "arithmetic", "seconds"),
    [
        (3600, "5m transaction log upload + 55m cross-Region copy = 1h", 3600),
        (300, "5m transaction log upload + 0s cross-Region copy = 5m", 300),
        # Below the upload interval nothing is left for the copy: the 5 minutes stand.
        (60, "5m transaction log upload + 0s cross-Region copy = 5m", 300),
    ],
)
def test_replicated_backups__watched_at_the_rpo_never_below_the_upload(
    rpo_seconds: int, arithmetic: str, seconds: int
) -> None:
    found = exposure.replicated_backups(rpo_seconds)
    assert (found.arithmetic(), found.seconds) == (arithmetic, seconds)
    assert [t.kind for t in found.terms] == ["aws", "alarm"]


@pytest.mark.parametrize(
    ("windows", "at_risk"),
    [
        ((3600, 7200), 4 * 3600.0),
        ((3600.0, 7200.0), 4 * 3600.0),
        ((None, 7200), math.inf),
        ((3600, "7200"), math.inf),
        ((True, 7200), math.inf),
    ],
)
def test_declared_at_risk__a_window_not_set_is_unbounded(windows: tuple[object, ...], at_risk: float) -> None:
    assert exposure.declared_at_risk(timedelta(hours=1), *windows) == at_risk


def test_region_exposure__nothing_kept_is_none() -> None:
    region = exposure.region_exposure("dr", "us-west-2", [])
    assert (region.worst_case_seconds, region.best, region.best_protection) == (None, None, None)


EXPOSURE_CASES = [
    pytest.param(
        BASE,
        "user-files",
        ["user-files-scheduled", "user-files-continuous"],
        "continuous backup (rule user-files-continuous): 1s restore precision",
        "S3 replication (Replication Time Control): 15m replication",
        id="frequency_equal_to_rpo_gets_continuous_backup",
    ),
    pytest.param(
        with_changes(("tiers.important.rpo", "4h")),
        "user-files",
        ["user-files-scheduled"],
        "scheduled backup (rule user-files-scheduled): 1h gap + 1h start window + 2h completion window = 4h",
        "S3 replication (Replication Time Control): 15m replication",
        id="schedule_with_the_default_windows_keeps_the_rpo",
    ),
    pytest.param(
        with_changes(("tiers.important.rpo", "1d"), ("data.user-files.frequency", "12h")),
        "user-files",
        ["user-files-scheduled"],
        "scheduled backup (rule user-files-scheduled): 12h gap + 1h start window + 11h completion window = 24h",
        "S3 replication (Replication Time Control): 15m replication",
        id="tighter_completion_window_keeps_the_rpo",
    ),
    pytest.param(
        with_changes(("data.user-files.copy_to_dr", False)),
        "user-files",
        ["user-files-scheduled", "user-files-continuous"],
        "continuous backup (rule user-files-continuous): 1s restore precision",
        None,
        id="not_copied_keeps_nothing_in_dr",
    ),
    pytest.param(
        with_changes(("tiers.critical.rpo", "6h"), ("data.database.frequency", "6h")),
        "database",
        ["database-scheduled"],
        "point-in-time recovery (RDS automated backups): 5m transaction log upload",
        "read replica: 6h replica lag",
        id="rds_on_a_schedule_keeps_its_rpo_by_point_in_time_recovery",
    ),
    pytest.param(
        with_changes(("strategy", "backup-restore"), ("services.api.capacity.dr", 0)),
        "database",
        ["database-continuous"],
        "point-in-time recovery (RDS automated backups): 5m transaction log upload",
        "replicated automated backups: 5m transaction log upload + 10m cross-Region copy = 15m",
        id="backup_restore_rds_relies_on_replicated_backups",
    ),
    pytest.param(
        with_changes(("data.dump", DUMP)),
        "dump",
        [],
        "CronJob dump: 20m gap + 10m starting deadline + 10m active deadline = 40m",
        "replicated CronJob dump (Replication Time Control): 20m gap + 10m starting deadline + 10m active "
        "deadline + 15m replication = 55m",
        id="hourly_dump_runs_every_20m_for_a_1h_rpo_with_replication",
    ),
    pytest.param(
        with_changes(("tiers.important.rpo", "4h"), ("data.dump", {**DUMP, "copy_to_dr": False})),
        "dump",
        [],
        "CronJob dump: 1h gap + 30m starting deadline + 30m active deadline = 2h",
        None,
        id="hourly_dump_keeps_a_4h_rpo",
    ),
    pytest.param(
        with_changes(
            ("tiers.optional.rpo", "3d"), ("data.dump", {**DUMP, "tier": "optional", "frequency": "1d"})
        ),
        "dump",
        [],
        "CronJob dump: 24h gap + 1h starting deadline + 23h active deadline = 2d",
        "replicated CronJob dump (Replication Time Control): 24h gap + 1h starting deadline + 23h active "
        "deadline + 15m replication = 2d 15m",
        id="daily_dump_starts_within_the_hour_and_ends_before_the_next",
    ),
]


@pytest.mark.parametrize(("document", "name", "rules", "primary", "dr"), EXPOSURE_CASES)
def test_derive__each_items_best_copy_per_region(
    document: dict[str, Any], name: str, rules: list[str], primary: str, dr: str | None
) -> None:
    settings = derive(parse_plan(document, "plan.yaml"))
    item = settings.exposures[name]
    assert [r.rule_name for r in settings.backup_rules if r.data_item == name] == rules
    best = item.primary.best_protection
    assert best is not None
    assert best.explain() == primary
    assert item.within_rpo(item.primary) is True
    kept = item.dr.best_protection
    assert (kept.explain() if kept else None) == dr
    assert item.within_rpo(item.dr) is (None if dr is None else True)
    assert (item.primary.region, item.dr.region) == ("us-east-1", "us-west-2")


def test_derive__says_why_it_went_beyond_the_plans_schedule() -> None:
    settings = derive(parse_plan(with_changes(("data.dump", DUMP)), "plan.yaml"))
    (added,) = [r for r in settings.backup_rules if r.reason]
    assert (added.rule_name, added.reason) == (
        "user-files-continuous",
        "scheduled backups alone risk 1h gap + 1h start window + 2h completion window = 4h, over tier "
        "important RPO 1h",
    )
    (job,) = settings.cron_jobs
    assert (job.schedule, job.starting_deadline_seconds, job.active_deadline_seconds) == (
        "*/20 * * * *",
        600,
        600,
    )
    assert job.reason == (
        "a dump every 1h risks 1h gap + 30m starting deadline + 30m active deadline = 2h + 15m replication, "
        "over tier important RPO 1h"
    )
