"""Readiness after a failover: what the failover leaves by design (the promoted database has no
replica until failback; the DR cluster's backup jobs, resumed by the failover, have not run yet)
is "expected", not a failure; a defect in the same place still fails, failover or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from operations.kubernetes import CronJobView
from operations.readiness.checks import (
    EXPECTED,
    FAIL,
    PASS,
    UNKNOWN,
    Check,
    Target,
    Verdict,
    judge_backup_job,
    judge_replica_lag,
    judge_standby,
)
from operations.readiness.run import NOT_READY, READY, UNKNOWN_VERDICT, ReadinessRun, counts_text
from tests.operations.test_readiness_checks import SOURCE_ARN, instance

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TARGET = Target("≤ 1h 20m", 4800)
JOB = CronJobView("vapora", "surrealdb-backup", "*/20 * * * *", False, None, None)
PROMOTED = instance(replica_source=None, replication_status=None)


def standby(view: object, *, in_effect: bool, failed_back: bool = False) -> Callable[[], Verdict]:
    return lambda: judge_standby(
        view,  # type: ignore[arg-type]
        source_arn=SOURCE_ARN,
        source_identifier="orders-database",
        region="us-west-2",
        failed_back=failed_back,
        failover_in_effect=in_effect,
    )


@pytest.mark.parametrize(
    ("judge", "status", "measured", "detail"),
    [
        (
            standby(PROMOTED, in_effect=True),
            EXPECTED,
            "standalone (available)",
            "expected after a failover: promoted, it serves the data (failback re-creates the replica)",
        ),
        (
            standby(PROMOTED, in_effect=False),
            FAIL,
            "standalone (available)",
            "promoted, yet no failover is in effect: nothing replicates to the DR region",
        ),
        (
            standby(PROMOTED, in_effect=True, failed_back=True),
            FAIL,
            "standalone (available)",
            "a stale copy left by the failback: re-create the replica (docs/failback.md)",
        ),
        (standby(None, in_effect=True), FAIL, "missing", "no instance of that name in us-west-2"),
        (
            standby(replace(PROMOTED, status="storage-full"), in_effect=True),
            FAIL,
            "storage-full",
            "it will not recover by waiting",
        ),
        (
            lambda: judge_replica_lag(None, Target("≤ 15m", 900), promoted=True),
            EXPECTED,
            "no replica",
            "expected after a failover: nothing replicates until failback re-creates the replica",
        ),
        (
            lambda: judge_replica_lag(None, Target("≤ 15m", 900)),
            FAIL,
            "no replica",
            "nothing replicates to the DR region (see standby)",
        ),
        (
            lambda: judge_backup_job(JOB, NOW, TARGET, resumed_by_failover=True),
            EXPECTED,
            "not run yet",
            "expected after a failover: vapora/surrealdb-backup runs from the failover on and has not "
            "been scheduled yet; its first run is due within the schedule's gap (*/20 * * * *)",
        ),
        (
            lambda: judge_backup_job(
                replace(JOB, last_scheduled=NOW - timedelta(minutes=20)),
                NOW,
                TARGET,
                resumed_by_failover=True,
            ),
            FAIL,
            "none",
            "no successful run of vapora/surrealdb-backup; last scheduled 2026-11-23T11:40:00Z",
        ),
        (
            lambda: judge_backup_job(replace(JOB, suspended=True), NOW, TARGET, resumed_by_failover=True),
            FAIL,
            "suspended",
            "vapora/surrealdb-backup runs no backups while suspended",
        ),
        (
            lambda: judge_backup_job(JOB, NOW, TARGET),
            FAIL,
            "none",
            "no successful run of vapora/surrealdb-backup",
        ),
        (
            lambda: judge_backup_job(None, NOW, TARGET, resumed_by_failover=True),
            FAIL,
            "cronjob missing",
            "",
        ),
    ],
    ids=[
        "promoted-during-a-failover",
        "promoted-without-a-failover",
        "stale-after-failback",
        "missing-during-a-failover",
        "broken-during-a-failover",
        "no-lag-promoted",
        "no-lag-not-promoted",
        "dr-job-not-yet-scheduled",
        "dr-job-scheduled-never-succeeded",
        "dr-job-suspended",
        "primary-job-never-ran",
        "dr-job-missing",
    ],
)
def test_after_a_failover__expected_state_apart_from_defects(
    judge: Callable[[], Verdict], status: str, measured: str, detail: str
) -> None:
    verdict = judge()
    assert (verdict.status, verdict.measured, verdict.detail) == (status, measured, detail)


def check(status: str) -> Check:
    return Check(f"c {status}", "databases", status, "m", "t")


class _Timeline:
    pass


@pytest.mark.parametrize(
    ("statuses", "verdict", "counts"),
    [
        ([PASS, EXPECTED], READY, "1 pass, 1 expected after a failover, 0 fail, 0 unknown"),
        ([PASS, EXPECTED, FAIL], NOT_READY, "1 pass, 1 expected after a failover, 1 fail, 0 unknown"),
        ([EXPECTED, UNKNOWN], UNKNOWN_VERDICT, "0 pass, 1 expected after a failover, 0 fail, 1 unknown"),
        ([PASS], READY, "1 pass, 0 fail, 0 unknown"),
    ],
)
def test_expected_checks_do_not_count_as_failures(statuses: list[str], verdict: str, counts: str) -> None:
    run = ReadinessRun(
        service="orders",
        stack="dr",
        plan_source="continuity-plan.yaml",
        history="h.jsonl",
        timeline=_Timeline(),  # type: ignore[arg-type]
        started_at=NOW,
        checks=[check(s) for s in statuses],
    )
    assert run.verdict == verdict
    assert counts_text({s: run.count(s) for s in (PASS, EXPECTED, FAIL, UNKNOWN)}) == counts
