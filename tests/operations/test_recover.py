"""scripts/recover.py in-process against the moto estate: an RDS item restored to a point in time and
cut over by its name, an S3 item rolled back version by version; every refusal (TIME outside the
window, an unknown item, a bucket without versioning, a region that does not serve), a dry run that
changes nothing, a verification that stops the cut-over, and a re-run that finds nothing left to do."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from operations.aws import mutating
from operations.recover.names import restored_identifier
from tests.operations.harness import FakeClock, RaiseAfter
from tests.operations.toolkit import Run, Toolkit
from tests.operations.world import DR, PRIMARY

Make = Callable[..., Toolkit]
HOST = "database.db.orders.internal"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def named(t: Toolkit) -> dict[str, Any]:
    """The estate with the database's name, as the stacks declare it: a CNAME in each region's private
    zone pointing at that region's instance (the outputs name it and the zone)."""
    outputs = json.loads(json.dumps(t.estate.outputs))
    route53 = t.client("route53", PRIMARY)
    for role, region in (("primary", PRIMARY), ("dr", DR)):
        where = outputs["inventory"]["regions"][role]
        identifier = where["db_instance_identifiers"]["database"]
        found = t.client("rds", region).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][
            0
        ]
        vpc = t.client("ec2", region).describe_vpcs()["Vpcs"][0]["VpcId"]
        zone = route53.create_hosted_zone(
            Name="db.orders.internal",
            CallerReference=f"{role}-zone",
            HostedZoneConfig={"PrivateZone": True, "Comment": role},
            VPC={"VPCRegion": region, "VPCId": vpc},
        )["HostedZone"]["Id"].rsplit("/", 1)[-1]
        route53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": HOST,
                            "Type": "CNAME",
                            "TTL": 60,
                            "ResourceRecords": [{"Value": found["Endpoint"]["Address"]}],
                        },
                    }
                ]
            },
        )
        where["db_host_names"] = {"database": HOST}
        where["db_endpoint_zone_id"] = zone
    return outputs


def cname(t: Toolkit, outputs: dict[str, Any], role: str = "primary") -> str:
    zone = outputs["inventory"]["regions"][role]["db_endpoint_zone_id"]
    records = t.client("route53", PRIMARY).list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    (record,) = [r for r in records if r["Type"] == "CNAME"]
    return str(record["ResourceRecords"][0]["Value"])


def recover(t: Toolkit, outputs: dict[str, Any], *args: str, **kwargs: Any) -> Run:
    return t.run("recover", *args, outputs=t.outputs_file(outputs), poll_seconds=1, **kwargs)


def instances(t: Toolkit, region: str = PRIMARY) -> dict[str, dict[str, Any]]:
    return {
        d["DBInstanceIdentifier"]: d for d in t.client("rds", region).describe_db_instances()["DBInstances"]
    }


def restorable(t: Toolkit) -> datetime:
    """A point the primary can be restored to: moto's instance is as old as the test, so its restore
    window starts when it was created (AWS: the retention back, or the instance's creation)."""
    return instances(t)["orders-database"]["InstanceCreateTime"].astimezone(UTC)


def exact(moment: datetime) -> str:
    """--to to the microsecond (ISO 8601), so a point right after the instance's creation is in it."""
    return moment.isoformat()


# ---------------------------------------------------------------------------------------------
# rds


def test_rds__restored_verified_cut_over_old_one_kept(estate: Make, tmp_path: Path) -> None:
    # GIVEN the primary serves, and its data was corrupted five minutes ago
    t = estate(primary_down=False)
    outputs = named(t)
    clock = FakeClock()
    point = restorable(t)
    corrupted = point + timedelta(minutes=5)
    seen = tmp_path / "seen"
    # WHEN the database is recovered to before it, with a verification
    result = recover(
        t,
        outputs,
        "--item",
        "database",
        "--to",
        exact(point),
        "--corrupted-at",
        exact(corrupted),
        "--yes",
        "--verify",
        f"echo $RESTORE_DB_INSTANCE > {seen}",
        clock=clock,
    )
    # THEN a new instance holds the data of that moment, and the database's name points at it
    assert result.code == 0, result.err
    target = restored_identifier("orders-database", point)
    found = instances(t)
    assert target in found
    restored = found[target]
    tags = {x["Key"]: x["Value"] for x in restored["TagList"]}
    assert tags["continuity:recovered-from"] == "orders-database"
    assert tags["continuity:data-item"] == "database"
    assert tags["continuity:backup"] == "active"
    assert (restored["MultiAZ"], restored["DeletionProtection"]) == (True, True)
    assert cname(t, outputs) == restored["Endpoint"]["Address"]
    assert seen.read_text().strip() == target
    # AND the corrupted instance is kept, marked with what replaced it
    old = {x["Key"]: x["Value"] for x in found["orders-database"]["TagList"]}
    assert old["continuity:superseded-by"] == target
    # AND the report: the point, the data lost to the corruption, the time against the RTO
    report = result.report
    assert report is not None
    assert (report["outcome"], report["recovered_point"], report["data_lost"]["seconds"]) == (
        "recovered",
        stamp(point),
        300.0,
    )
    assert report["data_lost"]["within_rpo"] is True  # tier critical RPO 15m
    assert report["time"]["rto_seconds"] == 1800
    assert report["details"]["switch_back"].startswith("aws route53 change-resource-record-sets")
    assert report["lock"]["released_at"] is not None
    assert [s["step"] for s in report["steps"]] == ["preflight", "safety", "restore", "verify", "cutover"]
    assert "DeleteDBInstance" not in result.operations
    # AND the same command again finds nothing to do
    again = recover(t, outputs, "--item", "database", "--to", exact(point), "--yes", clock=FakeClock())
    assert again.code == 0, again.err
    assert again.report is not None
    assert again.report["outcome"] == "already recovered"
    assert mutating(again.operations) == []


def test_rds__outside_the_restore_window__exit_2_with_its_bounds(estate: Make) -> None:
    t = estate(primary_down=False)
    outputs = named(t)
    point = restorable(t) - timedelta(days=1)
    result = recover(t, outputs, "--item", "database", "--to", stamp(point), "--yes")
    assert result.code == 2
    (line,) = result.err.splitlines()
    assert line.startswith(
        f"recover: --to {stamp(point)} is before the earliest point instance orders-database can be recovered to, "
    )
    assert "(window " in line
    assert mutating(result.operations) == []


def test_item_unknown__exit_2(estate: Make) -> None:
    t = estate(primary_down=False)
    result = recover(t, named(t), "--item", "ledger", "--to", stamp(datetime.now(UTC)), "--yes")
    assert result.code == 2
    from operations.inputs import DEFAULT_PLAN

    assert result.err.splitlines() == [
        f"recover: --item ledger: not in plan {DEFAULT_PLAN} (data: database, user-files, audit-logs)"
    ]
    assert result.operations == []


def test_rds__dry_run_changes_nothing(estate: Make) -> None:
    t = estate(primary_down=False)
    outputs = named(t)
    before = set(instances(t))
    point = restorable(t)
    result = recover(t, outputs, "--item", "database", "--to", exact(point), "--dry-run")
    assert result.code == 0, result.err
    assert mutating(result.operations) == []
    assert set(instances(t)) == before
    assert f"point {HOST} at orders-database-r" in result.out
    assert result.report is None or result.report["outcome"] == "dry run"


def test_rds__failed_verification_stops_before_the_name_moves(estate: Make) -> None:
    t = estate(primary_down=False)
    outputs = named(t)
    before = cname(t, outputs)
    point = restorable(t)
    result = recover(
        t,
        outputs,
        "--item",
        "database",
        "--to",
        exact(point),
        "--yes",
        "--verify",
        "echo 'no orders' >&2; exit 3",
    )
    assert result.code == 4
    target = restored_identifier("orders-database", point)
    assert result.err.splitlines()[0] == (
        f"recover: the verification exited 3: echo 'no orders' >&2; exit 3; {target} is kept, and the "
        f"database's name still points at {before}"
    )
    assert cname(t, outputs) == before
    assert target in instances(t)
    assert "SUPERSEDED" not in json.dumps(instances(t)["orders-database"]["TagList"]).upper()


def test_region_that_does_not_serve__refused_exit_3(estate: Make) -> None:
    t = estate(primary_down=False)
    outputs = named(t)
    point = restorable(t)
    result = recover(t, outputs, "--item", "database", "--to", exact(point), "--region", "dr", "--yes")
    assert result.code == 3
    assert result.err.splitlines()[0] == (
        f"recover: refused: the dr region {DR} does not serve now (the primary region does): recovering "
        "there changes data nobody reads; recover in the serving region, or --force"
    )
    assert mutating(result.operations) == []


# ---------------------------------------------------------------------------------------------
# s3


def next_second() -> None:
    time.sleep(1.0 - datetime.now(UTC).microsecond / 1e6 + 0.01)


def versions(t: Toolkit, bucket: str) -> list[tuple[str, str]]:
    page = t.client("s3", PRIMARY).list_object_versions(Bucket=bucket)
    return sorted(
        [(v["Key"], v["VersionId"]) for v in page.get("Versions") or []]
        + [(m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers") or []]
    )


def body(t: Toolkit, bucket: str, key: str) -> bytes | None:
    try:
        return bytes(t.client("s3", PRIMARY).get_object(Bucket=bucket, Key=key)["Body"].read())
    except t.client("s3", PRIMARY).exceptions.NoSuchKey:
        return None


def test_s3__rolled_back_to_the_point_nothing_deleted(estate: Make) -> None:
    # GIVEN user-files as it was, then overwritten, deleted and added to after the point
    t = estate(primary_down=False)
    bucket = t.estate.buckets["primary"]["user-files"]
    s3 = t.client("s3", PRIMARY)
    for key in ("a.json", "b.json", "c.json"):
        s3.put_object(Bucket=bucket, Key=key, Body=f"good {key}".encode())
    point = datetime.now(UTC).replace(microsecond=0)
    next_second()  # S3 times versions to the second: the corruption comes after the point
    s3.put_object(Bucket=bucket, Key="a.json", Body=b"ENCRYPTED BY RANSOMWARE")
    s3.put_object(Bucket=bucket, Key="b.json", Body=b"ENCRYPTED BY RANSOMWARE")
    s3.delete_object(Bucket=bucket, Key="c.json")
    s3.put_object(Bucket=bucket, Key="ransom-note.txt", Body=b"pay")
    before = versions(t, bucket)
    # WHEN it is recovered to the point
    result = recover(t, t.estate.outputs, "--item", "user-files", "--to", stamp(point), "--yes")
    # THEN every key reads as it did then, and no version is gone
    assert result.code == 0, result.err
    assert [body(t, bucket, k) for k in ("a.json", "b.json", "c.json")] == [
        b"good a.json",
        b"good b.json",
        b"good c.json",
    ]
    assert body(t, bucket, "ransom-note.txt") is None
    after = versions(t, bucket)
    assert set(before) <= set(after)
    assert len(after) == len(before) + 4  # three copies and one delete marker
    report = result.report
    assert report is not None
    assert {k: report["details"][k] for k in ("copied", "hidden", "unchanged", "deleted")} == {
        "copied": 3,
        "hidden": 1,
        "unchanged": 0,
        "deleted": 0,
    }
    assert report["details"]["bytes_copied"] == len(b"good a.json") * 3
    assert "DeleteObjectVersion" not in result.operations
    # AND the same command again copies nothing more
    again = recover(t, t.estate.outputs, "--item", "user-files", "--to", stamp(point), "--yes")
    assert again.code == 0, again.err
    assert again.report is not None
    assert again.report["outcome"] == "already recovered"
    assert versions(t, bucket) == after


def test_s3__bucket_without_versioning__refused_exit_3(estate: Make) -> None:
    t = estate(primary_down=False)
    t.client("s3", PRIMARY).create_bucket(Bucket="orders-unversioned")
    outputs = json.loads(json.dumps(t.estate.outputs))
    outputs["inventory"]["regions"]["primary"]["bucket_names"]["user-files"] = "orders-unversioned"
    result = recover(t, outputs, "--item", "user-files", "--to", stamp(datetime.now(UTC)), "--yes")
    assert result.code == 3
    assert result.err.splitlines()[0] == (
        "recover: refused: bucket orders-unversioned has versioning Off: it keeps no versions to roll back to"
    )


@pytest.mark.parametrize("days", [91])
def test_s3__older_than_the_versions_kept__exit_2(estate: Make, days: int) -> None:
    t = estate(primary_down=False)
    point = datetime.now(UTC) - timedelta(days=days)
    result = recover(t, t.estate.outputs, "--item", "user-files", "--to", stamp(point), "--yes")
    assert result.code == 2
    bucket = t.estate.buckets["primary"]["user-files"]
    assert result.err.splitlines()[0].startswith(
        f"recover: --to {stamp(point)} is before the earliest point bucket {bucket} can be recovered to"
    )


def test_rds__a_missing_name_is_created_pointing_at_the_restored_instance(estate: Make) -> None:
    # GIVEN no CNAME yet (under backup-restore the DR stack makes none until it adopts the instance
    # a failover restored)
    t = estate(primary_down=False)
    outputs = named(t)
    zone = outputs["inventory"]["regions"]["primary"]["db_endpoint_zone_id"]
    route53 = t.client("route53", PRIMARY)
    (record,) = [
        r
        for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        if r["Type"] == "CNAME"
    ]
    route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]}
    )
    point = restorable(t)
    result = recover(t, outputs, "--item", "database", "--to", exact(point), "--yes")
    assert result.code == 0, result.err
    target = restored_identifier("orders-database", point)
    assert cname(t, outputs) == instances(t)[target]["Endpoint"]["Address"]
    assert result.report is not None
    assert instances(t)["orders-database"]["Endpoint"]["Address"] in result.report["details"]["switch_back"]


def test_a_created_name_has_the_ttl_the_stacks_give_names() -> None:
    from components.failover_dns import CNAME_TTL_SECONDS
    from operations.recover.dns import NEW_RECORD_TTL

    assert NEW_RECORD_TTL == CNAME_TTL_SECONDS


@pytest.mark.parametrize("crash_after", ["RestoreDBInstanceToPointInTime", "AddTagsToResource"])
def test_rds__interrupted_then_the_same_command_finishes_it(estate: Make, crash_after: str) -> None:
    # GIVEN a recovery interrupted right after AWS accepted a change
    t = estate(primary_down=False)
    outputs = named(t)
    point = restorable(t)
    args = ("--item", "database", "--to", exact(point), "--yes")
    first = recover(t, outputs, *args, hooks=[RaiseAfter(crash_after, KeyboardInterrupt()).hook])
    assert first.code == 130
    assert first.report is not None
    assert first.report["lock"]["released_at"] is not None  # Ctrl-C releases the lock too
    # WHEN the same command runs again THEN it does what is left: one restored instance, cut over
    again = recover(t, outputs, *args)
    assert again.code == 0, again.err
    target = restored_identifier("orders-database", point)
    assert [i for i in instances(t) if i.startswith("orders-database-r")] == [target]
    assert cname(t, outputs) == instances(t)[target]["Endpoint"]["Address"]
    assert "RestoreDBInstanceToPointInTime" not in again.operations
