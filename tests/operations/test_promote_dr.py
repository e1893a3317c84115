"""scripts/promote_dr.py in-process against moto: the failover, its safety gates, resuming, retries."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from botocore.exceptions import NoCredentialsError

from operations.aws import mutating
from tests.operations.harness import FailCalls, FakePulumi, RaiseAfter, Scenario, Throttle, TtyInput
from tests.operations.world import ServiceSpec

Make = Callable[..., Scenario]


def assert_untouched(s: Scenario) -> None:
    replica = s.dr_instance()
    assert replica.get("ReadReplicaSourceDBInstanceIdentifier") == s.world.primary_arn
    assert replica["MultiAZ"] is False
    assert s.service()["desiredCount"] == 1
    assert s.scaling_minimum() == 1
    assert not s.primary_inverted()


def assert_failed_over(s: Scenario) -> None:
    instance = s.dr_instance()
    assert "ReadReplicaSourceDBInstanceIdentifier" not in instance
    assert instance["DBInstanceStatus"] == "available"
    assert instance["BackupRetentionPeriod"] == 30
    assert instance["MultiAZ"] is True
    assert instance["DeletionProtection"] is True
    assert s.service()["desiredCount"] == 4
    assert s.service()["runningCount"] == 4
    assert s.scaling_minimum() == 4
    assert s.primary_inverted()


def test_failover__happy_path(scenario: Make) -> None:
    # GIVEN a warm standby whose primary region is down
    s = scenario()
    assert_untouched(s)
    # WHEN the on-call engineer runs the failover
    result = s.run()
    # THEN it promotes, scales, routes and records, in that order of steps, and reports it
    assert result.code == 0, result.err
    assert_failed_over(s)
    report = result.report
    assert report is not None
    assert report["outcome"] == "promoted"
    assert report["mode"] == "failover"
    assert [(st["step"], st["outcome"]) for st in report["steps"]] == [
        ("preflight", "done"),
        ("safety", "done"),
        ("promote", "done"),
        ("scale", "done"),
        ("route", "done"),
        ("record", "done"),
    ]
    assert report["rto"]["objective_seconds"] == 1800
    assert report["rto"]["met"] is True
    assert report["rpo"]["databases"][0]["data_at_risk_seconds"] == 4.0
    assert report["rpo"]["databases"][0]["met"] is True
    assert report["safety"]["primary_down"] is True
    assert s.pulumi.commands == [["config", "set", "promoted", "true", "--stack", "dr"]]
    update = report["incident_update"]
    assert update["status"] == "Monitoring: orders restored from the DR region us-west-2"
    assert "writes from the last 4s before the failover may be missing" in update["impact"]
    assert update["text"].startswith(
        "INCIDENT UPDATE: orders, regional failover to us-west-2\nStatus: Monitoring"
    )
    assert "Next update:" in update["text"]
    assert result.markdown is not None
    assert "## Incident update (ready to send)" in result.markdown
    assert "| RPO, database (rds, critical) | 15m 00s | 4s | met |" in result.markdown
    assert "orders runs in us-west-2: promoted" in result.out


def test_failover__promotes_and_scales_at_once(scenario: Make) -> None:
    # GIVEN a world with two services
    s = scenario(extra_services=(ServiceSpec("worker", "critical", 3, 1),))
    result = s.run()
    assert result.code == 0, result.err
    # THEN steps 3 and 4 overlapped: each started before the other ended
    promote, scale = result.step("promote"), result.step("scale")
    assert promote["started_at"] <= scale["ended_at"]
    assert scale["started_at"] <= promote["ended_at"]
    assert s.service("worker")["desiredCount"] == 3
    # and traffic moved only after both
    assert result.step("route")["started_at"] >= max(promote["ended_at"], scale["ended_at"])


def test_dry_run__prints_the_plan_and_changes_nothing(scenario: Make) -> None:
    s = scenario()
    result = s.run("--dry-run")
    assert result.code == 0, result.err
    assert mutating(result.operations) == []
    assert_untouched(s)
    assert "promote_read_replica orders-database-dr (BackupRetentionPeriod=30)" in result.out
    assert "update_service orders-api: desiredCount 1 -> 4" in result.out
    assert "dry run: nothing was changed" in result.out
    assert result.report is not None
    assert [st["outcome"] for st in result.report["steps"]][2:] == ["planned"] * 4
    assert s.pulumi.commands == []


def test_dry_run__of_a_refused_failover__exit_3(scenario: Make) -> None:
    s = scenario(primary_down=False)
    result = s.run("--dry-run")
    assert result.code == 3
    assert "dry run: would refuse: the primary is healthy" in result.err
    assert mutating(result.operations) == []


def test_primary_healthy__refused_exit_3__nothing_changed(scenario: Make) -> None:
    # GIVEN a primary that Route 53 reports healthy and whose alarm is OK
    s = scenario(primary_down=False)
    # WHEN someone runs the failover without --force
    result = s.run()
    # THEN it refuses, says why, and changes nothing
    assert result.code == 3
    assert "refused: the primary is healthy (Route 53 health check" in result.err
    assert "use --force for a drill" in result.err
    assert mutating(result.operations) == []
    assert_untouched(s)
    assert result.report is not None
    assert result.step("safety")["outcome"] == "refused"
    assert result.report["incident_update"]["status"].startswith(
        "Investigating: failover to us-west-2 not started"
    )


def test_primary_healthy__with_force__a_drill(scenario: Make) -> None:
    s = scenario(primary_down=False)
    result = s.run("--force")
    assert result.code == 0, result.err
    assert_failed_over(s)
    assert result.report is not None
    assert result.report["mode"] == "drill"
    assert result.report["safety"]["summary"].startswith("forced (--force): the primary reports healthy")
    assert result.report["incident_update"]["status"] == "Drill complete: orders is served from us-west-2"


def test_alarm_in_alarm_but_checkers_healthy__refused(scenario: Make) -> None:
    # GIVEN the checkers report the primary healthy again while its alarm has not cleared
    s = scenario()
    s.world.unhealthy.clear()
    result = s.run()
    assert result.code == 3
    assert "the checkers report healthy now: the primary is back or flapping" in result.err
    assert_untouched(s)


def test_health_status_unreadable__the_alarm_decides(scenario: Make) -> None:
    # GIVEN Route 53's status API fails (its control plane is down) but the alarm is readable
    s = scenario()
    status_down = FailCalls("GetHealthCheckStatus", "ServiceUnavailable", times=1, status=503)
    result = s.run(hooks=[status_down.hook])
    assert result.code == 0, result.err
    assert result.report is not None
    assert (
        "the primary is down: alarm orders-primary-health (us-east-1): ALARM"
        in result.report["safety"]["summary"]
    )


def test_no_terminal_and_no_yes__refused(scenario: Make) -> None:
    s = scenario()
    result = s.run(yes=False)
    assert result.code == 3
    assert "no terminal to confirm on; run again with --yes to confirm" in result.err
    assert_untouched(s)


@pytest.mark.parametrize(("answer", "code"), [("orders\n", 0), ("yes\n", 3), ("", 3)])
def test_confirmation_prompt__needs_the_service_name(scenario: Make, answer: str, code: int) -> None:
    s = scenario()
    result = s.run(yes=False, stdin=TtyInput(answer))
    assert result.code == code, result.err
    assert 'Type the service name "orders" to fail over to us-west-2: ' in result.err
    assert "promote_read_replica orders-database-dr" in result.err
    if code == 3:
        assert "refused: not confirmed by the operator" in result.err
        assert_untouched(s)


def test_already_promoted__clean_success_without_changes(scenario: Make) -> None:
    s = scenario()
    assert s.run().code == 0
    # WHEN it runs again, with nothing left to do (even without a terminal to confirm on)
    again = s.run(yes=False)
    assert again.code == 0, again.err
    assert again.report is not None
    assert again.report["outcome"] == "already promoted"
    assert mutating(again.operations) == []
    assert [st["outcome"] for st in again.report["steps"][2:5]] == ["already done"] * 3
    assert again.report["rto"]["achieved_seconds"] is None
    assert "orders runs in us-west-2 (nothing left to do)" in again.out


def test_already_promoted__even_when_the_primary_came_back(scenario: Make) -> None:
    s = scenario()
    assert s.run().code == 0
    s.primary_recovers()
    again = s.run()
    assert again.code == 0, again.err
    assert again.report is not None
    assert again.report["safety"]["summary"].startswith("finishing a failover an earlier run began")


# ---------------------------------------------------------------------------------------------
# Resuming after a failure in each step


def test_resume__preflight_failed__nothing_changed(scenario: Make) -> None:
    s = scenario()
    denied = FailCalls("DescribeDBInstances", "AccessDenied", status=403)
    first = s.run(hooks=[denied.hook])
    assert first.code == 4
    assert first.err.splitlines() == [
        "promote_dr: AccessDenied (DescribeDBInstances): injected AccessDenied on DescribeDBInstances"
    ]
    assert first.step("preflight")["outcome"] == "failed"
    assert mutating(first.operations) == []
    assert_untouched(s)
    second = s.run()
    assert second.code == 0, second.err
    assert_failed_over(s)


def test_resume__safety_signals_unreadable__refused_then_finished(scenario: Make) -> None:
    s = scenario()
    status = FailCalls("GetHealthCheckStatus", "ServiceUnavailable", status=503)
    alarms = FailCalls("DescribeAlarms", "ServiceUnavailable", status=503)
    first = s.run(hooks=[status.hook, alarms.hook])
    assert first.code == 3
    assert "cannot confirm the primary is down" in first.err
    assert "run again with --force" in first.err
    assert_untouched(s)
    assert s.run().code == 0
    assert_failed_over(s)


def test_resume__promotion_failed__scaling_done__route_not_run(scenario: Make) -> None:
    s = scenario()
    fail = FailCalls("PromoteReadReplica", "InvalidParameterCombination")
    first = s.run(hooks=[fail.hook])
    # THEN step 3 failed, step 4 (concurrent) finished, and traffic did not move
    assert first.code == 4
    assert "step 3 Promote databases failed: orders-database-dr: InvalidParameterCombination" in first.err
    assert "traffic still goes to the primary region us-east-1" in first.out
    assert [st["outcome"] for st in first.report["steps"]] == [  # type: ignore[index]
        "done",
        "done",
        "failed",
        "done",
        "not run",
        "not run",
    ]
    assert s.service()["desiredCount"] == 4
    assert not s.primary_inverted()
    assert "--outputs" in first.report["next_actions"][0]  # type: ignore[index]
    assert first.report["incident_update"]["status"].startswith("Identified")  # type: ignore[index]
    # WHEN run again
    second = s.run()
    assert second.code == 0, second.err
    assert_failed_over(s)
    assert "PromoteReadReplica" in second.operations
    assert "UpdateService" not in second.operations  # already scaled


def test_resume__modify_failed_after_promotion(scenario: Make) -> None:
    s = scenario()
    first = s.run(hooks=[FailCalls("ModifyDBInstance", "InvalidDBInstanceState").hook])
    assert first.code == 4
    assert "ReadReplicaSourceDBInstanceIdentifier" not in s.dr_instance()
    assert s.dr_instance()["MultiAZ"] is False
    second = s.run()
    assert second.code == 0, second.err
    assert "PromoteReadReplica" not in second.operations
    assert second.step("promote")["actions"] == [
        "modified orders-database-dr: MultiAZ=true, DeletionProtection=true "
        "(applied immediately; Multi-AZ converts online)"
    ]
    assert_failed_over(s)


def test_resume__scaling_failed__finishes_even_if_the_primary_came_back(scenario: Make) -> None:
    s = scenario()
    first = s.run(hooks=[FailCalls("UpdateService", "ServerException").hook])
    assert first.code == 4
    assert "step 4 Scale services failed: api: ServerException (UpdateService)" in first.err
    assert "ReadReplicaSourceDBInstanceIdentifier" not in s.dr_instance()  # promoted concurrently
    # GIVEN the primary answers again before the re-run: a promoted replica cannot go back
    s.primary_recovers()
    second = s.run()
    assert second.code == 0, second.err
    assert second.report is not None
    assert second.report["safety"]["summary"].startswith(
        "finishing a failover an earlier run began (orders-database-dr is promoted)"
    )
    assert_failed_over(s)


def test_resume__route_failed(scenario: Make) -> None:
    s = scenario()
    first = s.run(hooks=[FailCalls("UpdateHealthCheck", "InvalidInput").hook])
    assert first.code == 4
    assert "InvalidInput (UpdateHealthCheck)" in first.err
    assert first.step("route")["outcome"] == "failed"
    assert not s.primary_inverted()
    second = s.run()
    assert second.code == 0, second.err
    assert mutating(second.operations) == ["UpdateHealthCheck"]
    assert_failed_over(s)


def test_resume__record_failed__prints_the_command(scenario: Make) -> None:
    s = scenario()
    first = s.run(pulumi=FakePulumi(fail_config=True))
    assert first.code == 4
    assert (
        "`pulumi config set promoted true --stack dr` failed: error: could not reach the state backend"
        in first.err
    )
    assert_failed_over(s)  # traffic moved; only the record is missing
    pulumi = FakePulumi()
    second = s.run(pulumi=pulumi)
    assert second.code == 0
    assert pulumi.commands == [["config", "set", "promoted", "true", "--stack", "dr"]]


def test_record__without_the_cli__prints_the_exact_command(scenario: Make) -> None:
    s = scenario()
    result = s.run(pulumi=FakePulumi(available=False))
    assert result.code == 0
    assert result.step("record")["outcome"] == "action needed"
    assert "Next: run: pulumi config set promoted true --stack dr" in result.out


def test_resume__crash_right_after_the_promotion_was_accepted(scenario: Make) -> None:
    # GIVEN a run interrupted (Ctrl-C) the moment RDS accepted the promotion
    s = scenario()
    first = s.run(hooks=[RaiseAfter("PromoteReadReplica", KeyboardInterrupt()).hook])
    assert first.code == 130
    assert first.err.splitlines() == ["promote_dr: interrupted"]
    assert "run again to resume: python scripts/promote_dr.py --outputs" in first.out
    # WHEN run again, it sees the promoted instance and finishes
    second = s.run()
    assert second.code == 0, second.err
    assert "PromoteReadReplica" not in second.operations
    assert_failed_over(s)


# ---------------------------------------------------------------------------------------------
# Throttling, restore mode, bad input


def test_throttling__retried_by_botocore(
    scenario: Make, throttle: Callable[[dict[str, int]], Throttle]
) -> None:
    s = scenario()
    throttled = throttle(
        {
            "rds.DescribeDBInstances": 2,
            "rds.PromoteReadReplica": 2,
            "ecs.UpdateService": 2,
            "application-auto-scaling.RegisterScalableTarget": 2,
            "route-53.UpdateHealthCheck": 2,
            "cloudwatch.DescribeAlarms": 2,
        }
    )
    result = s.run(hooks=[Throttle.hook])
    assert result.code == 0, result.err
    assert throttled.throttled == dict.fromkeys(throttled.throttled, 2)
    # each operation was called once; botocore retried below the call
    assert result.operations.count("PromoteReadReplica") == 1
    assert result.operations.count("UpdateHealthCheck") == 1
    assert_failed_over(s)


def test_restore_mode__restores_the_newest_point(scenario: Make) -> None:
    s = scenario(mode="restore")
    result = s.run()
    assert result.code == 0, result.err
    instance = s.dr_instance()
    assert instance["DBInstanceStatus"] == "available"
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == "orders-dr-db"
    assert instance["DeletionProtection"] is True
    assert instance["MultiAZ"] is True
    assert "RestoreDBInstanceToPointInTime" in result.operations
    assert result.step("promote")["actions"][0].startswith("restored orders-database-dr from the replicated")
    rpo = result.report["rpo"]["databases"][0]  # type: ignore[index]
    assert rpo["mode"] == "restore"
    assert 299 <= rpo["data_at_risk_seconds"] <= 330  # backups' newest point: 5 minutes before
    again = s.run()
    assert again.code == 0
    assert again.report["outcome"] == "already promoted"  # type: ignore[index]


def test_bad_outputs_file__one_line_exit_2(scenario: Make) -> None:
    s = scenario()
    path = s.tmp_path / "broken.json"
    path.write_text('{"promotion": {')
    result = s.run(outputs=path)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"promote_dr: {path}: line 1, column 16: not JSON (Expecting property name enclosed in double quotes)"
    ]
    assert result.report is None
    assert result.operations == []


def test_outputs_missing_a_field__one_line_exit_2(scenario: Make) -> None:
    s = scenario()
    document = json.loads(json.dumps(s.world.outputs))
    del document["promotion"]["dns"]["dr_health_check_id"]
    path = s.outputs_file(document)
    result = s.run(outputs=path)
    assert result.code == 2
    assert result.err.splitlines() == [
        f"promote_dr: {path}: outputs.promotion.dns.dr_health_check_id: missing"
    ]


def test_missing_replica__refused_exit_3(scenario: Make) -> None:
    s = scenario()
    document = json.loads(json.dumps(s.world.outputs))
    document["promotion"]["databases"][0]["replica_identifier"] = "orders-database-gone"
    result = s.run(outputs=s.outputs_file(document))
    assert result.code == 3
    assert result.err.splitlines() == [
        "promote_dr: refused: preflight: database database: orders-database-gone not found in us-west-2"
    ]
    assert mutating(result.operations) == []
    assert_untouched(s)


def test_replica_of_another_source__refused_exit_3(scenario: Make) -> None:
    s = scenario()
    document = json.loads(json.dumps(s.world.outputs))
    other = "arn:aws:rds:us-east-1:123456789012:db:someone-else"
    document["promotion"]["databases"][0]["source_arn"] = other
    result = s.run(outputs=s.outputs_file(document))
    assert result.code == 3
    assert f"is a read replica of {s.world.primary_arn}, not of the recorded {other}" in result.err
    assert_untouched(s)


def test_wrong_region__one_line_exit_2(scenario: Make) -> None:
    s = scenario()
    document = json.loads(json.dumps(s.world.outputs))
    document["promotion"]["dr_region"] = "eu-west-1"
    result = s.run(outputs=s.outputs_file(document))
    assert result.code == 2
    assert result.err.splitlines() == [
        f"promote_dr: outputs.promotion.databases[0].replica_arn: {s.world.replica_arn} is in us-west-2, "
        "not the DR region eu-west-1"
    ]
    assert result.operations == []


def test_no_credentials__one_line_exit_2(scenario: Make) -> None:
    s = scenario()

    def no_credentials(**_: object) -> None:
        raise NoCredentialsError()

    result = s.run(hooks=[("before-call.rds.DescribeDBInstances", no_credentials)])
    assert result.code == 2
    assert result.err.splitlines() == ["promote_dr: AWS credentials: Unable to locate credentials"]


def test_stack_without_the_cli__one_line_exit_2(aws_env: None) -> None:
    import io

    from scripts.promote_dr import main

    err = io.StringIO()
    code = main(["--stack", "dr"], pulumi=FakePulumi(available=False), stderr=err, stdout=io.StringIO())
    assert code == 2
    assert err.getvalue().splitlines() == [
        "promote_dr: --stack needs the Pulumi CLI, which is not on PATH; use --outputs FILE with a saved "
        "`pulumi stack output --json --show-secrets`"
    ]


def test_stack__reads_the_outputs_with_the_cli(scenario: Make) -> None:
    s = scenario()
    pulumi = FakePulumi(outputs=s.world.outputs)
    import io

    from operations.aws import Aws
    from scripts.promote_dr import main
    from tests.operations.harness import FakeClock

    out, err = io.StringIO(), io.StringIO()
    report = s.tmp_path / "stack-report.json"
    code = main(
        ["--stack", "dr", "--yes", "--report", str(report), "--json"],
        aws=Aws(s.session),
        pulumi=pulumi,
        clock=FakeClock(),
        stdout=out,
        stderr=err,
        stdin=io.StringIO(),
    )
    assert code == 0, err.getvalue()
    assert pulumi.commands[0] == ["stack", "output", "--json", "--show-secrets", "--stack", "dr"]
    assert json.loads(out.getvalue())["outcome"] == "promoted"  # --json: stdout is the report alone
    assert "orders runs in us-west-2: promoted" in err.getvalue()
