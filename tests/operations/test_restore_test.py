"""scripts/restore_test.py in-process against the moto estate: restore, verify, time, delete (only
its own scratch instance, whatever happens), record."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from operations.restore.run import RestoreTiming
from operations.restore.scratch import scratch_identifier
from tests.conftest import plan_document, write_plan
from tests.operations.estate import Takes
from tests.operations.harness import FailCalls, FakeClock, RaiseAfter
from tests.operations.toolkit import Run, Toolkit
from tests.operations.world import DR, PRIMARY

Make = Callable[..., Toolkit]
FAST = RestoreTiming(poll_seconds=1, restore_timeout=60, cleanup_timeout=60, verify_timeout=30)


def instances(t: Toolkit, region: str) -> list[str]:
    return sorted(
        d["DBInstanceIdentifier"] for d in t.client("rds", region).describe_db_instances()["DBInstances"]
    )


def run(t: Toolkit, *extra: str, **kwargs: Any) -> Run:
    return t.run("restore_test", *extra, timing=FAST, **kwargs)


def test_restore__primary__verified__timed__deleted__recorded(estate: Make, tmp_path: Path) -> None:
    # GIVEN a verification that writes down what it was given
    t = estate(primary_down=False)
    seen = tmp_path / "seen.json"
    verify = f'{sys.executable} -c \'import json, os; json.dump(dict(os.environ), open("{seen}", "w"))\''
    before = instances(t, PRIMARY)
    clock = FakeClock()
    scratch = scratch_identifier("orders", "database", clock.now())
    # WHEN the restore test runs, the restore taking 12 minutes
    result = run(
        t, "--verify", verify, clock=clock, hooks=[Takes(clock, "RestoreDBInstanceToPointInTime", 720).hook]
    )
    # THEN it passed, and only its own instance came and went
    assert result.code == 0, result.err
    assert result.out.splitlines()[-2] == (
        "database restored in 12m 00s (tier critical RTO 30m 00s), verified; scratch instance deleted"
    )
    assert instances(t, PRIMARY) == before
    env = json.loads(seen.read_text())
    assert env["RESTORE_DB_INSTANCE"] == scratch
    assert env["RESTORE_ENDPOINT"] == f"{scratch}.aaaaaaaaaa.us-east-1.rds.amazonaws.com"
    assert (env["RESTORE_PORT"], env["PGPORT"], env["RESTORE_REGION"]) == ("5432", "5432", PRIMARY)
    report = result.report
    assert report is not None
    assert (report["outcome"], report["restore"]["seconds"], report["restore"]["met"]) == (
        "passed",
        720.0,
        True,
    )
    assert report["cleanup"] == {"deleted": True}
    assert [(s["step"], s["outcome"]) for s in report["steps"]] == [
        ("preflight", "done"),
        ("restore", "done"),
        ("verify", "done"),
        ("cleanup", "done"),
        ("record", "done"),
    ]
    assert result.step("cleanup")["actions"] == [
        # moto copies the source's deletion protection onto a restore (AWS does not): turned off first
        f"turned off deletion protection on scratch instance {scratch}",
        f"deleted scratch instance {scratch} (no final snapshot)",
    ]
    [entry] = t.estate.history_entries()
    assert {
        k: entry[k]
        for k in (
            "kind",
            "ok",
            "service",
            "data_item",
            "region",
            "restore_seconds",
            "rto_met",
            "verified",
            "deleted",
        )
    } == {
        "kind": "restore_test",
        "ok": True,
        "service": "orders",
        "data_item": "database",
        "region": PRIMARY,
        "restore_seconds": 720.0,
        "rto_met": True,
        "verified": True,
        "deleted": True,
    }
    # AND readiness now counts it
    assert t.run("dr_readiness").check("restore-test database")["verdict"] == "pass"


def test_restore__dr_region__from_the_replicated_backups(estate: Make) -> None:
    t = estate(primary_down=False)
    before = instances(t, DR)
    result = run(t, "--region", "dr")
    assert result.code == 0, result.err
    assert result.report is not None
    assert result.report["source"] == t.estate.world.replicated_backups_arn
    assert result.report["region"] == DR
    assert instances(t, DR) == before
    assert "RestoreDBInstanceToPointInTime" in result.operations


def test_restore__slower_than_the_rto__a_finding_still_deleted(estate: Make) -> None:
    t = estate(primary_down=False)
    clock = FakeClock()
    result = run(t, clock=clock, hooks=[Takes(clock, "RestoreDBInstanceToPointInTime", 2400).hook])
    assert result.code == 1
    assert result.err.splitlines() == [
        "restore_test: finding: the restore took 40m 00s, more than the tier critical RTO 30m 00s"
    ]
    assert result.report is not None
    assert result.report["cleanup"] == {"deleted": True}
    [entry] = t.estate.history_entries()
    assert (entry["ok"], entry["rto_met"]) == (True, False)


def test_restore__verification_fails__a_finding_still_deleted(estate: Make) -> None:
    t = estate(primary_down=False)
    before = instances(t, PRIMARY)
    result = run(t, "--verify", "echo 'orders table is empty' >&2; exit 3")
    assert result.code == 1
    assert result.err.splitlines() == [
        "restore_test: finding: the verification exited 3: echo 'orders table is empty' >&2; exit 3"
    ]
    assert result.report is not None
    assert result.report["verify"]["output"] == ["orders table is empty"]
    assert instances(t, PRIMARY) == before
    [entry] = t.estate.history_entries()
    assert (entry["ok"], entry["verified"]) == (False, False)


def test_restore__ctrl_c_while_waiting__deleted_before_exit_130(estate: Make) -> None:
    t = estate(primary_down=False)
    before = instances(t, PRIMARY)
    result = run(t, hooks=[RaiseAfter("RestoreDBInstanceToPointInTime", KeyboardInterrupt()).hook])
    assert result.code == 130
    assert result.err.splitlines() == [
        "restore_test: interrupted: interrupted; the scratch instance was deleted"
    ]
    assert instances(t, PRIMARY) == before
    assert result.step("restore")["outcome"] == "failed"
    assert result.step("cleanup")["outcome"] == "done"


def test_restore__delete_fails__exit_4_with_the_command(estate: Make) -> None:
    t = estate(primary_down=False)
    clock = FakeClock()
    scratch = scratch_identifier("orders", "database", clock.now())
    result = run(t, clock=clock, hooks=[FailCalls("DeleteDBInstance", "InvalidDBInstanceState").hook])
    assert result.code == 4
    assert result.err.splitlines() == [
        f"restore_test: failed: the scratch instance {scratch} was not deleted: InvalidDBInstanceState "
        "(DeleteDBInstance): injected InvalidDBInstanceState on DeleteDBInstance"
    ]
    assert result.report is not None
    assert result.report["next_actions"][0] == (
        f"delete the scratch instance by hand: aws rds delete-db-instance --region us-east-1 "
        f"--db-instance-identifier {scratch} --skip-final-snapshot --delete-automated-backups"
    )


def test_restore__never_deletes_an_instance_it_did_not_create(estate: Make) -> None:
    # GIVEN someone's instance already has the name this run would give its scratch instance
    t = estate(primary_down=False)
    clock = FakeClock()
    scratch = scratch_identifier("orders", "database", clock.now())
    t.client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=scratch,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        MasterUsername="someone",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    result = run(t, clock=clock)
    # THEN the test fails, and that instance is still there
    assert result.code == 4
    assert scratch in instances(t, PRIMARY)
    assert "DeleteDBInstance" not in result.operations
    assert result.step("cleanup")["error"] == (
        f"{scratch} does not carry continuity:scratch={result.report['scratch_tag']}: not ours, left alone"  # type: ignore[index]
    )


def test_restore__leftovers_of_earlier_tests_are_reported_not_deleted(estate: Make) -> None:
    t = estate(primary_down=False)
    first = run(t, hooks=[FailCalls("DeleteDBInstance", "InvalidDBInstanceState").hook])
    assert first.code == 4
    clock = FakeClock()
    clock.start += timedelta(minutes=5)  # a later test: another name, another token
    second = run(t, clock=clock)
    assert second.code == 0, second.err
    assert first.report is not None
    assert first.report["scratch"] in instances(t, PRIMARY)
    assert f"leftover scratch instance {first.report['scratch']} from an earlier test" in " ".join(
        second.step("preflight")["notes"]
    )
    assert second.report is not None
    assert second.report["next_actions"][0].startswith(
        "delete the leftover scratch instance: aws rds delete-db-instance"
    )


def test_restore__a_point_in_time(estate: Make) -> None:
    t = estate(primary_down=False)
    point = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    result = run(t, "--point-in-time", point.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert result.code == 0, result.err
    assert result.report is not None
    assert (result.report["point_in_time"], result.report["restored_point"]) == (
        point.strftime("%Y-%m-%dT%H:%M:%SZ"),
        point.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert result.step("preflight")["notes"][1] == f"restoring to {point.strftime('%Y-%m-%dT%H:%M:%SZ')}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--point-in-time", "yesterday"],
            "--point-in-time yesterday: not an ISO 8601 time (like 2026-11-23T09:00:00Z)",
        ),
        (["--point-in-time", "2099-01-01T00:00:00Z"], "--point-in-time 2099-01-01T00:00:00Z: in the future"),
        (
            ["--data-item", "ledger"],
            "--data-item ledger: not in plan {plan} (data: database, user-files, audit-logs)",
        ),
    ],
    ids=["not-a-time", "future", "unknown-item"],
)
def test_bad_input__one_line_exit_2(estate: Make, args: list[str], message: str) -> None:
    t = estate(primary_down=False)
    result = run(t, *args)
    assert result.code == 2
    from operations.inputs import DEFAULT_PLAN

    assert result.err.splitlines() == [f"restore_test: {message.format(plan=DEFAULT_PLAN)}"]
    assert result.operations == []


def test_point_after_the_latest_restorable_time__exit_2_nothing_created(estate: Make) -> None:
    t = estate(primary_down=False)
    before = instances(t, PRIMARY)
    latest = t.client("rds", PRIMARY).describe_db_instances(
        DBInstanceIdentifier=t.estate.world.primary_identifier
    )["DBInstances"][0]["LatestRestorableTime"]
    point = latest.astimezone(UTC) + timedelta(seconds=5)
    clock = FakeClock()
    clock.start += timedelta(minutes=1)  # so the point is not in the future
    result = run(t, "--point-in-time", point.strftime("%Y-%m-%dT%H:%M:%SZ"), clock=clock)
    assert result.code == 2
    assert result.err.startswith(
        f"restore_test: --point-in-time {point.strftime('%Y-%m-%dT%H:%M:%SZ')} is after the latest restorable time"
    )
    assert instances(t, PRIMARY) == before
    assert t.estate.history_entries() == []


def test_several_databases__must_choose(estate: Make) -> None:
    t = estate(primary_down=False)
    document = plan_document()
    document["data"]["ledger"] = dict(document["data"]["database"])
    path = write_plan(t.tmp_path, document)
    outputs = json.loads(json.dumps(t.estate.outputs))
    for role in ("primary", "dr"):
        ids = outputs["inventory"]["regions"][role]["db_instance_identifiers"]
        ids["ledger"] = ids["database"]
    result = run(t, plan=path, outputs=t.outputs_file(outputs))
    assert result.code == 2
    assert result.err.splitlines() == [
        f"restore_test: plan {path} has several rds data items (database, ledger): choose one with --data-item"
    ]
