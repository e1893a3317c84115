"""The recovery's pure decisions, table-first: restore windows and their refusals, which dump answers
TIME, checksums, what an S3 roll-back copies and hides, the names a recovery creates, and the restore
Job's manifest."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from operations.errors import BadInput
from operations.recover.jobs import RestoreJob, job_state, manifest, restore_script
from operations.recover.names import job_name, restored_identifier, stack_base
from operations.recover.points import (
    Dump,
    bucket_window,
    dump_at,
    dump_time,
    dumps_in,
    parse_checksum,
    rds_window,
)
from operations.recover.rollback import Copy, Hide, Version, plan_rollback

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ---------------------------------------------------------------------------------------------
# Windows


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (
            at(10),
            "--to 2026-03-01T12:10:00Z is after the latest point instance orders-database can be recovered "
            "to, 2026-03-01T12:05:00Z (window 2026-02-22T12:05:00Z to 2026-03-01T12:05:00Z)",
        ),
        (
            at(-7 * 24 * 60 - 1),
            "--to 2026-02-22T11:59:00Z is before the earliest point instance orders-database can be recovered "
            "to, 2026-02-22T12:05:00Z (window 2026-02-22T12:05:00Z to 2026-03-01T12:05:00Z)",
        ),
    ],
)
def test_rds_window__refuses_with_its_bounds(point: datetime, message: str) -> None:
    window = rds_window(
        latest_restorable=at(5),
        backups_earliest=None,
        created=at(-30 * 24 * 60),
        retention_days=7,
        identifier="orders-database",
    )
    with pytest.raises(BadInput) as refused:
        window.check(point)
    assert str(refused.value) == message


def test_rds_window__backups_window_wins_and_creation_bounds() -> None:
    given = rds_window(
        latest_restorable=at(5), backups_earliest=at(-60), created=None, retention_days=7, identifier="db"
    )
    assert given.earliest == at(-60)
    young = rds_window(
        latest_restorable=at(5), backups_earliest=None, created=at(-30), retention_days=7, identifier="db"
    )
    assert young.earliest == at(-30)
    young.check(at(-30))
    young.check(at(5))


def test_rds_window__no_backups_is_bad_input() -> None:
    with pytest.raises(BadInput, match="instance db has no latest restorable time"):
        rds_window(
            latest_restorable=None, backups_earliest=None, created=None, retention_days=7, identifier="db"
        )


def test_bucket_window__the_retention_back_from_now() -> None:
    window = bucket_window(now=T0, noncurrent_days=90, bucket="b")
    window.check(T0 - timedelta(days=90))
    with pytest.raises(
        BadInput, match=r"before the earliest point bucket b can be recovered to, 2025-12-01T12:00:00Z"
    ):
        window.check(T0 - timedelta(days=90, seconds=1))


# ---------------------------------------------------------------------------------------------
# Dumps and checksums


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("surrealdb/20260301T115900Z.dump", datetime(2026, 3, 1, 11, 59, tzinfo=UTC)),
        ("surrealdb/20260301T115900Z.dump.sha256", None),
        ("surrealdb/latest.dump", None),
        ("configuration/20260301T115900Z.dump", None),
    ],
)
def test_dump_time__only_dumps_of_the_prefix(key: str, expected: datetime | None) -> None:
    assert dump_time(key, "surrealdb/") == expected


def test_dump_at__newest_at_or_before_the_point() -> None:
    dumps = dumps_in(
        {
            "surrealdb/20260301T100000Z.dump": 10,
            "surrealdb/20260301T100000Z.dump.sha256": 64,
            "surrealdb/20260301T110000Z.dump": 11,
            "surrealdb/20260301T120000Z.dump": 12,
        },
        "surrealdb/",
    )
    assert [d.size for d in dumps] == [10, 11, 12]
    assert dump_at(dumps, at(0), "b").key == "surrealdb/20260301T120000Z.dump"
    assert dump_at(dumps, at(-1), "b").key == "surrealdb/20260301T110000Z.dump"
    with pytest.raises(BadInput) as refused:
        dump_at(dumps, at(-121), "bucket b")
    assert str(refused.value) == (
        "--to 2026-03-01T09:59:00Z is before the oldest dump in bucket b, taken 2026-03-01T10:00:00Z "
        "(window 2026-03-01T10:00:00Z to 2026-03-01T12:00:00Z)"
    )
    with pytest.raises(BadInput, match="no dump in bucket b: nothing to recover from"):
        dump_at([], at(0), "bucket b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 64 + "\n", "a" * 64),
        ("A" * 64 + "  /backup/surrealdb.dump\n", "a" * 64),
    ],
)
def test_parse_checksum(text: str, expected: str) -> None:
    assert parse_checksum(text, "k") == expected


@pytest.mark.parametrize("text", ["", "abc", "g" * 64, "a" * 63])
def test_parse_checksum__refuses_what_is_no_sha256(text: str) -> None:
    with pytest.raises(ValueError, match="k does not hold a SHA-256"):
        parse_checksum(text, "k")


# ---------------------------------------------------------------------------------------------
# S3 roll-back


def v(
    key: str, vid: str, minutes: float, *, latest: bool = False, marker: bool = False, size: int = 1
) -> Version:
    return Version(key, vid, at(minutes), latest, marker, size)


def test_rollback__every_case_of_a_key() -> None:
    versions = [
        # overwritten after the point: copy the old version forward
        v("overwritten", "o1", -10, size=100),
        v("overwritten", "o2", 5, latest=True, size=7),
        # untouched since: unchanged
        v("same", "s1", -10, latest=True),
        # created after the point: hidden by a delete marker
        v("new", "n1", 5, latest=True),
        # deleted after the point: its version copied back
        v("deleted", "d1", -10, size=30),
        v("deleted", "dm", 5, latest=True, marker=True),
        # deleted before the point and still deleted: unchanged
        v("gone", "g1", -20),
        v("gone", "gm", -10, latest=True, marker=True),
        # deleted before the point, written again after: hidden
        v("back", "b1", -20),
        v("back", "bm", -10, marker=True),
        v("back", "b2", 5, latest=True),
        # written exactly at the point: that version counts
        v("edge", "e1", 0, latest=True),
    ]
    plan = plan_rollback(versions, at(0))
    assert plan.copies == [Copy("deleted", "d1", 30, None), Copy("overwritten", "o1", 100, "o2")]
    assert plan.hides == [Hide("back", "b2"), Hide("new", "n1")]
    assert plan.unchanged == 3
    assert plan.bytes_copied == 130
    assert plan.to_look_at == {"overwritten": "o2"}
    assert plan.describe() == "2 object(s) copied back (130 bytes), 2 hidden by a delete marker, 3 unchanged"


def test_rollback__a_second_run_recognises_its_own_copies() -> None:
    versions = [
        v("overwritten", "o1", -10, size=100),
        v("overwritten", "o2", 5),
        v("overwritten", "o3", 30, latest=True, size=100),  # the first run's copy of o1
    ]
    first = plan_rollback(versions, at(0))
    assert first.to_look_at == {"overwritten": "o3"}
    again = plan_rollback(versions, at(0), copies_of={"overwritten": "o1"})
    assert (again.copies, again.hides, again.unchanged) == ([], [], 1)


# ---------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("orders-database", "orders-database-r20260301120000"),
        ("x" * 63, "x" * 47 + "-r20260301120000"),
        ("a--b", "a-b-r20260301120000"),
    ],
)
def test_restored_identifier(base: str, expected: str) -> None:
    name = restored_identifier(base, T0)
    assert name == expected
    assert len(name) <= 63


def test_second_recovery_is_named_after_the_stacks_instance() -> None:
    first = restored_identifier("orders-database", T0)
    assert stack_base(first) == "orders-database"
    assert restored_identifier(stack_base(first), at(60)) == "orders-database-r20260301130000"


def test_job_name_fits_a_label_value() -> None:
    assert job_name("surrealdb", "recover", T0) == "surrealdb-recover-20260301120000"
    assert len(job_name("x" * 24, "rt", T0)) <= 63


# ---------------------------------------------------------------------------------------------
# The restore Job


JOB = RestoreJob(
    name="surrealdb-recover-20260301120000",
    namespace="vapora",
    item="surrealdb",
    service_account="surrealdb-restore",
    transfer_image="public.ecr.aws/aws-cli/aws-cli:2.22.0",
    image="surrealdb/surrealdb:v2.1.4",
    restore_command="sed s/a/b/ | surreal import --conn http://surrealdb:8000 --ns v --db v -  # note",
    bucket="vapora-surrealdb-primary-x",
    key="surrealdb/20260301T115900Z.dump",
    sha256="a" * 64,
    region="us-east-1",
    restore_namespace="vapora",
    scratch=False,
    point=datetime(2026, 3, 1, 11, 59, tzinfo=UTC),
    run_label="recover-20260301120000",
    deadline_seconds=1800,
)


def test_manifest__the_contract() -> None:
    body = manifest(JOB)
    spec = body["spec"]
    pod = spec["template"]["spec"]
    (fetch,) = pod["initContainers"]
    (restore,) = pod["containers"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"]) == (0, 1800)
    assert pod["serviceAccountName"] == "surrealdb-restore"
    assert fetch["image"] == JOB.transfer_image
    assert "sha256sum -c -" in fetch["command"][2]
    env = {e["name"]: e["value"] for e in fetch["env"]}
    assert (env["DUMP_BUCKET"], env["DUMP_KEY"], env["DUMP_SHA256"]) == (JOB.bucket, JOB.key, JOB.sha256)
    assert restore["image"] == JOB.image
    assert restore["command"] == ["/bin/sh", "-c", restore_script(JOB.restore_command)]
    env = {e["name"]: e["value"] for e in restore["env"]}
    assert env == {
        "DUMP_FILE": "/restore/surrealdb.dump",
        "DATA_ITEM": "surrealdb",
        "RESTORE_NAMESPACE": "vapora",
        "RESTORE_SCRATCH": "false",
        "RESTORE_POINT": "2026-03-01T11:59:00Z",
    }
    assert body["metadata"]["labels"] == {
        "continuity.data-item": "surrealdb",
        "continuity.recovery": JOB.run_label,
    }


def test_restore_script__the_whole_pipeline_reads_the_dump(tmp_path: Path) -> None:
    dump = tmp_path / "d"
    dump.write_text("one\ntwo\n")
    script = restore_script("tr a-z A-Z | sort -r  # a trailing comment")
    done = subprocess.run(
        ["/bin/sh", "-c", script],
        env={"DUMP_FILE": str(dump), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "TWO\nONE\n"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({}, "running"),
        ({"active": 1}, "running"),
        ({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}, "complete"),
        (
            {
                "failed": 1,
                "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
            },
            "failed: BackoffLimitExceeded",
        ),
        ({"failed": 1}, "failed: a pod failed"),
    ],
)
def test_job_state(status: dict, expected: str) -> None:
    assert job_state({"metadata": {"name": "j"}, "status": status}).describe() == expected


def test_dump_checksum_key() -> None:
    assert Dump("p/x.dump", T0, 1).checksum_key == "p/x.dump.sha256"
