"""scripts/dr_readiness.py in-process against the moto estate: a ready environment, each thing that
makes it not ready, what the emulator cannot answer, and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError

from operations.aws import mutating
from operations.failover.steps import Timing
from tests.conftest import plan_document, write_plan
from tests.operations.estate import history_entry
from tests.operations.harness import FailCalls, FakeClock, Throttle
from tests.operations.toolkit import Run, Toolkit, ready
from tests.operations.world import DR, PRIMARY

Make = Callable[..., Toolkit]
FAST = Timing(poll_seconds=1, database_timeout=60, service_timeout=60, dns_timeout=60)

CHECKS = [
    "standby database",
    "replica-lag database",
    "restorable database primary",
    "retention database",
    "restorable database dr",
    "vault-lock primary",
    "vault-lock dr",
    "recovery-point database primary",
    "recovery-point database dr",
    "recovery-point user-files primary",
    "recovery-point user-files dr",
    "recovery-point audit-logs primary",
    "recovery-point audit-logs dr",
    "object-lock user-files primary",
    "object-lock user-files dr",
    "replication user-files",
    "dr-copy user-files",
    "object-lock audit-logs primary",
    "object-lock audit-logs dr",
    "replication audit-logs",
    "dr-copy audit-logs",
    "health-check primary",
    "health-check dr",
    "failover-records",
    "capacity api",
    "restore-test database",
    "restore-test user-files",
    "restore-test audit-logs",
    "drill",
]
RECOVERY_POINTS = [c for c in CHECKS if c.startswith("recovery-point")]


def verdicts(run: Run) -> dict[str, str]:
    assert run.report is not None, run.err
    return {c["check"]: c["verdict"] for c in run.report["checks"]}


def test_ready__every_check_passes__exit_0__read_only(estate: Make) -> None:
    t = ready(estate)
    result = t.run("dr_readiness", "--json")
    assert result.code == 0, result.err
    assert list(verdicts(result)) == CHECKS
    assert set(verdicts(result).values()) == {"pass"}
    # --json: stdout is the report alone; the lines and the summary went to stderr
    assert json.loads(result.out)["verdict"] == "ready"
    assert "orders: ready (29 pass, 0 fail, 0 unknown of 29 checks)" in result.err
    lag = next(line for line in result.err.splitlines() if line.startswith("PASS     replica-lag database "))
    assert lag.endswith("  4s; target ≤ 15m (tier critical RPO)")
    assert mutating(result.operations) == []
    assert result.markdown is not None
    assert result.markdown.startswith("# Readiness of orders: ready")
    assert "| PASS | capacity api | 1/1 tasks running, autoscaling minimum 1 |" in result.markdown


def test_emulator__recovery_points_unknown__exit_1__unless_allowed(estate: Make) -> None:
    # GIVEN moto, which does not implement ListRecoveryPointsByBackupVault (no answering hook)
    t = ready(estate)
    t.answer_recovery_points = False
    result = t.run("dr_readiness")
    assert result.code == 1
    for check_id in RECOVERY_POINTS:
        check = result.check(check_id)
        assert (check["verdict"], check["measured"], check["detail"]) == (
            "unknown",
            "not read",
            "404 (ListRecoveryPointsByBackupVault): Not yet implemented",
        )
    assert result.err.splitlines() == [
        "dr_readiness: orders: unknown (23 pass, 0 fail, 6 unknown of 29 checks); "
        "an unknown check counts as not ready"
    ]
    allowed = t.run("dr_readiness", "--allow-unknown")
    assert allowed.code == 0
    assert (
        "orders: unknown (23 pass, 0 fail, 6 unknown of 29 checks); unknown allowed by --allow-unknown"
        in allowed.out
    )
    assert allowed.report is not None
    assert allowed.report["verdict"] == "unknown"


def lag_of(seconds: float) -> Callable[[Toolkit], None]:
    def act(t: Toolkit) -> None:
        t.client("cloudwatch", DR).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": t.estate.world.dr_identifier}],
                    "Value": seconds,
                }
            ],
        )

    return act


def shorter_lock(t: Toolkit) -> None:
    t.client("s3", PRIMARY).put_object_lock_configuration(
        Bucket=t.estate.buckets["primary"]["user-files"],
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}},
        },
    )


def replication_off(t: Toolkit) -> None:
    s3 = t.client("s3", PRIMARY)
    bucket = t.estate.buckets["primary"]["user-files"]
    config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    config["Rules"][0]["Status"] = "Disabled"
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=config)


def unlocked_vault(t: Toolkit) -> None:
    t.client("backup", PRIMARY).delete_backup_vault_lock_configuration(
        BackupVaultName=t.estate.vaults["primary"]
    )


def cold_standby(t: Toolkit) -> None:
    t.client("ecs", DR).update_service(
        cluster=t.estate.world.cluster, service=t.estate.world.services["api"], desiredCount=0
    )


def pinned_to_dr(t: Toolkit) -> None:
    t.client("route53", PRIMARY).update_health_check(
        HealthCheckId=t.estate.world.primary_health_check_id, Inverted=True
    )


def stale_backups(t: Toolkit) -> None:
    del t.estate.recovery_points[(t.estate.vaults["primary"], t.estate.resource_arn("user-files"))]
    t.estate.add_recovery_point("primary", "user-files", age=timedelta(hours=3))


def overdue_restore_test(t: Toolkit) -> None:
    t.estate.history.write_text("")
    t.estate.write_history(
        history_entry("restore_test", age=timedelta(days=40), data_item="database"),
        history_entry("restore_test", age=timedelta(days=2), ok=False, data_item="database"),
        history_entry("restore_test", age=timedelta(days=10), data_item="user-files"),
        history_entry("restore_test", age=timedelta(days=10), data_item="audit-logs"),
        history_entry("drill", age=timedelta(days=20)),
    )


@pytest.mark.parametrize(
    ("breaks", "check_id", "measured", "detail"),
    [
        (lag_of(1200), "replica-lag database", "20m", ""),
        (
            shorter_lock,
            "object-lock user-files primary",
            "COMPLIANCE 30 days",
            "the plan keeps COMPLIANCE 90 days",
        ),
        (replication_off, "replication user-files", "rule user-files-to-dr Disabled", ""),
        (
            unlocked_vault,
            "vault-lock primary",
            "not locked",
            "recovery points can be deleted or shortened; the plan asks for compliance mode",
        ),
        (cold_standby, "capacity api", "0/0 tasks running, autoscaling minimum 1", ""),
        (
            pinned_to_dr,
            "health-check primary",
            "inverted",
            "traffic is held in the DR region although no failover is in effect",
        ),
        (stale_backups, "recovery-point user-files primary", "3h old", ""),
        (overdue_restore_test, "restore-test database", "40d ago", "the last attempt, 2d ago, failed"),
    ],
    ids=[
        "lag",
        "object-lock",
        "replication",
        "vault-lock",
        "capacity",
        "inverted",
        "stale-backup",
        "restore-test",
    ],
)
def test_not_ready__one_thing_broken__its_line_fails__exit_1(
    estate: Make, breaks: Callable[[Toolkit], None], check_id: str, measured: str, detail: str
) -> None:
    t = ready(estate, breaks)
    result = t.run("dr_readiness")
    assert result.code == 1
    check = result.check(check_id)
    assert check["verdict"] == "fail"
    assert check["measured"].startswith(measured)
    assert check["detail"] == detail
    failing = [c for c, v in verdicts(result).items() if v != "pass"]
    assert failing == [check_id]
    assert result.err.startswith("dr_readiness: orders: not ready (28 pass, 1 fail, 0 unknown of 29 checks)")


def test_dr_copy_behind__the_oldest_missing_object_is_measured(estate: Make) -> None:
    # GIVEN an object written to the primary that has not reached DR, two hours ago
    t = ready(estate)
    t.estate.put_object(t.client, "primary", "audit-logs", "audit/late.json")
    clock = FakeClock()
    clock.start += timedelta(hours=2)
    result = t.run("dr_readiness", clock=clock)
    check = result.check("dr-copy audit-logs")
    assert (check["verdict"], check["measured"]) == ("fail", "1 missing, oldest written 2h ago")
    assert (
        check["target"] == "every object copied, none waiting 15m (tier critical RPO; frequency continuous)"
    )


def test_failover_in_effect__full_capacity_and_an_inverted_check_expected(estate: Make) -> None:
    t = ready(estate)
    failover = t.run("promote_dr", "--force", "--yes", timing=FAST)
    assert failover.code == 0, failover.err
    result = t.run("dr_readiness")
    # Ready: the promoted database's missing replica is the failover's expected state, not a failure.
    assert result.code == 0
    assert result.check("replica-lag database")["verdict"] == "expected"
    assert result.check("capacity api")["verdict"] == "pass"
    assert result.check("capacity api")["target"].startswith(
        "4 tasks running, steady (full: a failover is in effect)"
    )
    assert result.check("health-check primary")["verdict"] == "pass"
    assert result.check("standby database")["verdict"] == "expected"
    assert result.check("standby database")["detail"] == (
        "expected after a failover: promoted, it serves the data (failback re-creates the replica)"
    )
    assert result.report is not None
    assert result.report["notes"] == [
        "a failover is in effect (orders-database-dr is promoted): the DR services are judged at full capacity"
    ]


def test_history_unreadable__testing_checks_unknown(estate: Make) -> None:
    t = ready(estate)
    bucket = "orders-history"
    t.client("s3", DR).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": DR})
    denied = FailCalls("GetObject", "AccessDenied", times=5, status=403)
    result = t.run("dr_readiness", "--history", f"s3://{bucket}/history.jsonl", hooks=[denied.hook])
    assert result.code == 1
    for check_id in ("restore-test database", "drill"):
        check = result.check(check_id)
        assert (check["verdict"], check["detail"]) == (
            "unknown",
            "AccessDenied (GetObject): injected AccessDenied on GetObject",
        )


def test_throttling__retried_by_botocore(
    estate: Make, throttle: Callable[[dict[str, int]], Throttle]
) -> None:
    t = ready(estate)
    throttled = throttle(
        {"rds.DescribeDBInstances": 2, "s3.ListObjectsV2": 2, "backup.DescribeBackupVault": 2}
    )
    result = t.run("dr_readiness", hooks=[Throttle.hook])
    assert result.code == 0, result.err
    assert throttled.throttled == dict.fromkeys(throttled.throttled, 2)


# ---------------------------------------------------------------------------------------------
# Bad input: one line, exit 2, nothing read


def test_plan_for_another_service__exit_2(estate: Make) -> None:
    t = estate(primary_down=False)
    path = write_plan(t.tmp_path, {**plan_document(), "service": "books"})
    outputs = t.outputs_file()
    result = t.run("dr_readiness", plan=path, outputs=outputs)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"dr_readiness: {outputs}: outputs.inventory.service: orders, but plan {path} is for books"
    ]
    assert result.operations == []


def test_outputs_without_inventory__exit_2(estate: Make) -> None:
    t = estate(primary_down=False)
    document: dict[str, Any] = dict(t.estate.outputs)
    del document["inventory"]
    path = t.outputs_file(document)
    result = t.run("dr_readiness", outputs=path)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"dr_readiness: {path}: outputs.inventory: missing (outputs present: account_id, kms_key_arn, promotion, "
        "vpc_id); is this the DR stack's output?"
    ]


def test_invalid_plan__exit_2(estate: Make) -> None:
    t = estate(primary_down=False)
    path = write_plan(t.tmp_path, {**plan_document(), "strategy": "hope"})
    result = t.run("dr_readiness", plan=path)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"dr_readiness: {path}: strategy: \"hope\" is not one of 'backup-restore', 'pilot-light' or 'warm-standby'"
    ]


def test_no_credentials__exit_2(estate: Make) -> None:
    t = estate(primary_down=False)

    def no_credentials(**_: object) -> None:
        raise NoCredentialsError()

    result = t.run("dr_readiness", hooks=[("before-call.rds.DescribeDBInstances", no_credentials)])
    assert result.code == 2
    assert result.err.splitlines() == ["dr_readiness: AWS credentials: Unable to locate credentials"]
