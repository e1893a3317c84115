"""scripts/failback.py in-process against the moto estate, after a failover: the way back, its
safety gates, its dry run, and resuming after a failure in each step."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from operations.aws import EventHook, mutating
from operations.failback.steps import FailbackTiming
from operations.failover.steps import Timing
from operations.lock import Holder, OperationsLock, lock_key
from operations.rds import FAILBACK_SOURCE_TAG
from tests.operations.estate import LagAfterReplica
from tests.operations.harness import FailCalls, FakeClock, FakePulumi, RaiseAfter, Throttle, TtyInput
from tests.operations.toolkit import Run, Toolkit
from tests.operations.world import DR, PRIMARY

Make = Callable[..., Toolkit]
FAST = FailbackTiming(
    poll_seconds=1, database_timeout=60, service_timeout=60, dns_timeout=60, catchup_timeout=60
)


def failed_over(make: Make, **kwargs: Any) -> Toolkit:
    """The estate after a failover (forced while the primary answers: a drill)."""
    t = make(primary_down=False, **kwargs)
    done = t.run(
        "promote_dr",
        "--force",
        "--yes",
        timing=Timing(poll_seconds=1, database_timeout=60, service_timeout=60, dns_timeout=60),
    )
    assert done.code == 0, done.err
    return t


def failback(
    t: Toolkit, *extra: str, hooks: list[EventHook] | None = None, yes: bool = True, **kwargs: Any
) -> Run:
    lag = LagAfterReplica(t.client)
    args = [*extra, *(["--yes"] if yes else [])]
    return t.run("failback", *args, timing=FAST, hooks=[lag.hook, *(hooks or [])], **kwargs)


def instance(t: Toolkit, region: str, identifier: str) -> dict[str, Any]:
    found = t.client("rds", region).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    assert isinstance(found, dict)
    return found


def identifiers(t: Toolkit, region: str) -> list[str]:
    return sorted(
        d["DBInstanceIdentifier"] for d in t.client("rds", region).describe_db_instances()["DBInstances"]
    )


def inverted(t: Toolkit) -> bool:
    check = t.client("route53", PRIMARY).get_health_check(
        HealthCheckId=t.estate.world.primary_health_check_id
    )
    return bool(check["HealthCheck"]["HealthCheckConfig"].get("Inverted"))


def dr_service(t: Toolkit) -> dict[str, Any]:
    found = t.client("ecs", DR).describe_services(
        cluster=t.estate.world.cluster, services=[t.estate.world.services["api"]]
    )
    service = found["services"][0]
    assert isinstance(service, dict)
    return service


def scaling_minimum(t: Toolkit) -> int:
    targets = t.client("application-autoscaling", DR).describe_scalable_targets(
        ServiceNamespace="ecs",
        ResourceIds=[f"service/{t.estate.world.cluster}/{t.estate.world.services['api']}"],
    )["ScalableTargets"]
    return int(targets[0]["MinCapacity"])


def assert_failed_back(t: Toolkit) -> None:
    world = t.estate.world
    new = instance(t, PRIMARY, world.primary_identifier)
    dr = instance(t, DR, world.dr_identifier)
    assert "ReadReplicaSourceDBInstanceIdentifier" not in new
    assert new["DBInstanceStatus"] == "available"
    assert {tag["Key"]: tag["Value"] for tag in new["TagList"]}[FAILBACK_SOURCE_TAG] == dr["DbiResourceId"]
    assert (new["MultiAZ"], new["DeletionProtection"], new["BackupRetentionPeriod"]) == (True, True, 30)
    assert not inverted(t)
    assert dr_service(t)["desiredCount"] == 1
    assert scaling_minimum(t) == 1


def test_failback__happy_path(estate: Make) -> None:
    # GIVEN the service failed over to DR, the old primary still there under its name
    t = failed_over(estate)
    world = t.estate.world
    old_primary = instance(t, PRIMARY, world.primary_identifier)["DbiResourceId"]
    # WHEN the operator fails back
    result = failback(t)
    # THEN the old primary is kept under a new name, a replica of DR replaced it and was promoted,
    # DNS points at the primary again and DR is back to warm
    assert result.code == 0, result.err
    assert_failed_back(t)
    retired = [i for i in identifiers(t, PRIMARY) if i.startswith(f"{world.primary_identifier}-old-")]
    assert len(retired) == 1
    assert instance(t, PRIMARY, retired[0])["DbiResourceId"] == old_primary
    assert instance(t, PRIMARY, retired[0])["DeletionProtection"] is True
    report = result.report
    assert report is not None
    assert report["outcome"] == "failed back"
    assert [(s["step"], s["outcome"]) for s in report["steps"]] == [
        ("preflight", "done"),
        ("safety", "done"),
        ("replicate", "done"),
        ("catchup", "done"),
        ("promote", "done"),
        ("route", "done"),
        ("scale", "done"),
        ("record", "done"),
    ]
    assert report["safety"]["summary"] == (
        "the primary region serves again: primary service api (orders-api): 4/4 tasks running, steady"
    )
    assert report["rpo"]["databases"][0]["data_at_risk_seconds"] == 2.0
    assert report["rpo"]["databases"][0]["met"] is True
    assert result.step("replicate")["actions"] == [
        f"renamed the old primary {world.primary_identifier} to {retired[0]} (kept with its data and protection)",
        f"created {world.primary_identifier} in us-east-1, a read replica of {world.replica_arn}",
    ]
    assert t.pulumi.commands[-1] == ["config", "set", "promoted", "false", "--stack", "dr"]
    assert "Next: primary stack: adopt the new orders-database (docs/failback.md)" in result.out
    assert (
        f"Next: the old primary is kept as {retired[0]} in us-east-1: delete it once nothing in it is needed"
        in result.out
    )
    assert report["status_update"]["status"] == "Resolved: orders is served from us-east-1 again"
    assert "DeleteDBInstance" not in result.operations
    # AND readiness sees a normal warm standby again, but for the DR replica still to re-create
    after = t.run("dr_readiness")
    assert after.check("capacity api")["verdict"] == "pass"
    assert after.check("health-check primary")["verdict"] == "pass"
    assert after.check("standby database")["detail"] == (
        "a stale copy left by the failback: re-create the replica (docs/failback.md)"
    )


def test_failback__rerun_is_a_clean_success_without_changes(estate: Make) -> None:
    t = failed_over(estate)
    assert failback(t).code == 0
    again = failback(t, yes=False)
    assert again.code == 0, again.err
    assert again.report is not None
    assert again.report["outcome"] == "already failed back"
    assert mutating(again.operations) == []


def test_dry_run__prints_the_plan_and_changes_nothing(estate: Make) -> None:
    t = failed_over(estate)
    result = failback(t, "--dry-run")
    assert result.code == 0, result.err
    assert mutating(result.operations) == []
    assert "create_db_instance_read_replica orders-database of" in result.out
    assert "update_service orders-api in us-west-2: desiredCount 4 -> 1" in result.out
    assert "dry run: nothing was changed" in result.out
    assert inverted(t)
    assert dr_service(t)["desiredCount"] == 4


def test_nothing_to_fail_back__before_any_failover__exit_0(estate: Make) -> None:
    t = estate(primary_down=False)
    result = failback(t)
    assert result.code == 0, result.err
    assert result.report is not None
    assert result.report["outcome"] == "nothing to fail back"
    assert mutating(result.operations) == []
    assert "orders runs in us-east-1: nothing to fail back" in result.out


def test_primary_not_serving__refused_exit_3__force_proceeds(estate: Make) -> None:
    t = failed_over(estate)
    t.client("ecs", PRIMARY).update_service(
        cluster=t.estate.primary_cluster, service=t.estate.world.services["api"], desiredCount=0
    )
    refused = failback(t)
    assert refused.code == 3
    assert refused.err.splitlines() == [
        "failback: refused: the primary region does not serve yet (primary service api (orders-api): ACTIVE, "
        "0/0 tasks running); fail back once it does, or run again with --force"
    ]
    assert mutating(refused.operations) == []
    forced = failback(t, "--force")
    assert forced.code == 0, forced.err
    assert_failed_back(t)


def test_no_terminal_and_no_yes__refused(estate: Make) -> None:
    t = failed_over(estate)
    result = failback(t, yes=False)
    assert result.code == 3
    assert "no terminal to confirm on; run again with --yes to confirm" in result.err


@pytest.mark.parametrize(("answer", "code"), [("orders\n", 0), ("no\n", 3)])
def test_confirmation__needs_the_service_name(estate: Make, answer: str, code: int) -> None:
    t = failed_over(estate)
    result = failback(t, yes=False, stdin=TtyInput(answer))
    assert result.code == code, result.err
    assert 'Type the service name "orders" to fail back to us-east-1: ' in result.err


def test_lag_above_the_rpo__never_promoted__exit_4(estate: Make) -> None:
    t = failed_over(estate)
    slow = LagAfterReplica(t.client, seconds=1200)
    result = t.run("failback", "--yes", "--force", timing=FAST, hooks=[slow.hook])
    assert result.code == 4
    assert "orders-database to catch up: still lag 20m 00s, above the RPO 900s after 1m 00s" in result.err
    assert "ReadReplicaSourceDBInstanceIdentifier" in instance(t, PRIMARY, t.estate.world.primary_identifier)
    assert inverted(t)


def test_lag_unknown__waits__force_proceeds(estate: Make) -> None:
    t = failed_over(estate)
    # GIVEN no ReplicaLag datapoint for the new replica (no LagAfterReplica hook)
    waited = t.run("failback", "--yes", timing=FAST)
    assert waited.code == 4
    assert "still lag unknown (no ReplicaLag datapoint in the last 3h)" in waited.err
    forced = t.run("failback", "--yes", "--force", timing=FAST)
    assert forced.code == 0, forced.err
    assert_failed_back(t)


# ---------------------------------------------------------------------------------------------
# Resuming after a failure in each step


@pytest.mark.parametrize(
    ("hook", "step", "message"),
    [
        (
            FailCalls("CreateDBInstanceReadReplica", "InsufficientDBInstanceCapacity"),
            "replicate",
            "InsufficientDBInstanceCapacity (CreateDBInstanceReadReplica)",
        ),
        (
            FailCalls("PromoteReadReplica", "InvalidParameterCombination"),
            "promote",
            "InvalidParameterCombination (PromoteReadReplica)",
        ),
        (FailCalls("UpdateHealthCheck", "InvalidInput"), "route", "InvalidInput (UpdateHealthCheck)"),
        (FailCalls("UpdateService", "ServerException"), "scale", "ServerException (UpdateService)"),
        (RaiseAfter("ModifyDBInstance", KeyboardInterrupt()), "replicate", ""),
    ],
    ids=["replicate", "promote", "route", "scale", "ctrl-c-after-rename"],
)
def test_resume__after_a_failure__the_same_command_finishes(
    estate: Make, hook: Any, step: str, message: str
) -> None:
    t = failed_over(estate)
    first = failback(t, hooks=[hook.hook])
    assert first.code in (4, 130)
    assert first.step(step)["outcome"] == "failed"
    assert message in (first.step(step)["error"] or "")
    second = failback(t)
    assert second.code == 0, second.err
    assert_failed_back(t)
    assert second.report is not None
    assert len([i for i in identifiers(t, PRIMARY) if "-old-" in i]) == 1


def test_throttling__retried_by_botocore(
    estate: Make, throttle: Callable[[dict[str, int]], Throttle]
) -> None:
    t = failed_over(estate)
    throttled = throttle(
        {"rds.CreateDBInstanceReadReplica": 2, "rds.PromoteReadReplica": 2, "route-53.UpdateHealthCheck": 2}
    )
    result = failback(t, hooks=[Throttle.hook])
    assert result.code == 0, result.err
    assert throttled.throttled == dict.fromkeys(throttled.throttled, 2)
    assert result.operations.count("CreateDBInstanceReadReplica") == 1
    assert_failed_back(t)


def test_record_failed__prints_the_command(estate: Make) -> None:
    t = failed_over(estate)
    result = failback(t, pulumi=FakePulumi(fail_config=True))
    assert result.code == 4
    assert (
        "`pulumi config set promoted false --stack dr` failed: error: could not reach the state backend"
        in result.err
    )


def test_outputs_that_cannot_drive_it__exit_2(estate: Make) -> None:
    t = failed_over(estate)
    document = json.loads(json.dumps(t.estate.outputs))
    document["promotion"]["dr_region"] = "eu-west-1"
    result = failback(t, outputs=t.outputs_file(document))
    assert result.code == 2
    assert result.err.splitlines()[0].startswith("failback: ")
    assert result.operations == []


def test_a_failover_holding_the_operations_lock__failback_refuses_exit_3(estate: Make) -> None:
    # GIVEN a failover run (on another host) holds the operations lock
    t = failed_over(estate)
    clock = FakeClock()
    other = Holder(
        **{
            **Holder.me("promote_dr", "python scripts/promote_dr.py", clock.now(), 1800).__dict__,
            "host": "ops-9",
        }
    )
    bucket = t.estate.world.promotion["operations_bucket"]
    OperationsLock(t.client("s3", DR), bucket, lock_key("orders"), clock).acquire(
        other, deadline_seconds=1800, break_lock=False
    )
    # WHEN failback runs, THEN it refuses and changes nothing: the two never run at once
    result = failback(t)
    assert result.code == 3, result.err
    assert "refused: the operations lock is held by promote_dr by " in result.err
    assert mutating(result.operations) == []
