"""The drill history: JSON lines in a file or an S3 object, appended safely, read leniently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from operations.aws import Aws
from operations.errors import BadInput, StepFailed
from operations.history import (
    DRILL,
    RESTORE_TEST,
    append_entry,
    latest,
    parse_location,
    read_history,
)
from tests.operations.harness import FailCalls, fresh_session

REGION = "us-west-2"


def entry(kind: str, at: str, ok: bool = True, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at, "ok": ok, "service": "orders", **extra}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s3://", "drill history s3://: expected s3://bucket/key"),
        ("s3://bucket", "drill history s3://bucket: expected s3://bucket/key"),
        ("s3://bucket/", "drill history s3://bucket/: expected s3://bucket/key"),
        ("s3://bucket/dir/", "drill history s3://bucket/dir/: expected s3://bucket/key"),
        (" ", "drill history: empty location; give --history FILE or s3://bucket/key"),
    ],
)
def test_parse_location__refuses_what_is_not_a_place(text: str, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_location(text)
    assert str(raised.value) == message


def test_parse_location__s3_and_files() -> None:
    assert parse_location("s3://b/a/history.jsonl").s3_object() == ("b", "a/history.jsonl")
    assert parse_location("reports/history.jsonl").path == Path("reports/history.jsonl")


def test_file__appends_and_reads_back__skipping_lines_it_cannot_read(tmp_path: Path) -> None:
    location = parse_location(str(tmp_path / "nested" / "history.jsonl"))
    aws = Aws(fresh_session())
    # GIVEN no file yet: an empty history
    assert read_history(location, aws, REGION).entries == []
    append_entry(location, entry(RESTORE_TEST, "2026-10-01T00:00:00Z", data_item="database"), aws, REGION)
    assert location.path is not None
    with location.path.open("a") as file:
        file.write("not json\n")
        file.write(json.dumps({"kind": "lunch", "at": "2026-10-01T00:00:00Z"}) + "\n")
    append_entry(location, entry(DRILL, "2026-11-01T00:00:00Z"), aws, REGION)
    history = read_history(location, aws, REGION)
    assert [e["kind"] for e in history.entries] == [RESTORE_TEST, DRILL]
    assert history.problems == [
        f"{location.text}: line 2: not JSON (Expecting value); skipped",
        f"{location.text}: line 3: not a history entry (kind, at); skipped",
    ]


def test_file__unwritable__is_a_failed_step(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    location = parse_location(str(blocker / "history.jsonl"))
    with pytest.raises(StepFailed) as raised:
        append_entry(location, entry(DRILL, "2026-11-01T00:00:00Z"), Aws(fresh_session()), REGION)
    assert str(raised.value) == f"drill history {location.text}: cannot be written (File exists)"


def test_latest__newest_successful_by_kind_service_and_item() -> None:
    entries = [
        entry(RESTORE_TEST, "2026-09-01T00:00:00Z", data_item="database"),
        entry(RESTORE_TEST, "2026-10-01T00:00:00Z", data_item="database"),
        entry(RESTORE_TEST, "2026-11-01T00:00:00Z", ok=False, data_item="database"),
        entry(RESTORE_TEST, "2026-11-02T00:00:00Z", data_item="ledger"),
        {**entry(RESTORE_TEST, "2026-11-03T00:00:00Z", data_item="database"), "service": "books"},
    ]
    found = latest(entries, RESTORE_TEST, service="orders", data_item="database")
    assert found is not None
    assert found["at"] == "2026-10-01T00:00:00Z"
    attempt = latest(entries, RESTORE_TEST, service="orders", data_item="database", ok=None)
    assert attempt is not None
    assert attempt["at"] == "2026-11-01T00:00:00Z"
    assert latest(entries, DRILL, service="orders") is None


@pytest.fixture
def s3_history(aws_credentials: None) -> Any:
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="orders-history", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield parse_location("s3://orders-history/continuity/history.jsonl")


def test_s3__appends_with_conditional_writes_and_reads_back(s3_history: Any) -> None:
    aws = Aws(fresh_session())
    assert read_history(s3_history, aws, REGION).entries == []
    append_entry(s3_history, entry(RESTORE_TEST, "2026-10-01T00:00:00Z"), aws, REGION)
    append_entry(s3_history, entry(DRILL, "2026-11-01T00:00:00Z"), aws, REGION)
    assert [e["kind"] for e in read_history(s3_history, aws, REGION).entries] == [RESTORE_TEST, DRILL]


def test_s3__someone_else_wrote_in_between__tries_again(s3_history: Any) -> None:
    # GIVEN S3 refuses the first conditional write (another writer got there first)
    conflict = FailCalls("PutObject", "PreconditionFailed", times=1, status=412)
    aws = Aws(fresh_session(), hooks=[conflict.hook])
    append_entry(s3_history, entry(DRILL, "2026-11-01T00:00:00Z"), aws, REGION)
    # THEN the entry was written on the second attempt
    assert conflict.failed == 1
    assert len(read_history(s3_history, Aws(fresh_session()), REGION).entries) == 1


def test_s3__always_overtaken__gives_up_with_a_message(s3_history: Any) -> None:
    conflict = FailCalls("PutObject", "PreconditionFailed", times=5, status=412)
    with pytest.raises(StepFailed) as raised:
        append_entry(
            s3_history,
            entry(DRILL, "2026-11-01T00:00:00Z"),
            Aws(fresh_session(), hooks=[conflict.hook]),
            REGION,
        )
    assert str(raised.value) == (
        "drill history s3://orders-history/continuity/history.jsonl: written by someone else 5 times in a row; "
        "run again to record this result"
    )
