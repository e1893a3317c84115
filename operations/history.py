"""The drill history: one JSON line per restore test, drill and failback, in a file or an S3 object.

Readiness reads it to tell how long ago the last restore test and the last drill succeeded; the
restore test, the drill and failback append to it. Where it lives is the DR stack's config
(``drillHistory``, in the ``inventory`` output), a file path relative to where the scripts run
or ``s3://bucket/key`` (best a bucket in the DR region, so that it survives the primary's
outage); every script takes ``--history`` to override it.

S3 has no append: a writer reads the object, adds its line and writes it back only if nobody
wrote in between (a conditional write on the ETag), trying again if someone did.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operations import s3
from operations.aws import Aws
from operations.errors import BadInput, StepFailed

RESTORE_TEST = "restore_test"
DRILL = "drill"
FAILBACK = "failback"
KINDS = (RESTORE_TEST, DRILL, FAILBACK)
# Concurrent writers to one S3 object (two restore tests ending together) retry this often.
APPEND_ATTEMPTS = 5


@dataclass(frozen=True)
class HistoryLocation:
    text: str  # as given
    bucket: str | None = None
    key: str | None = None
    path: Path | None = None

    @property
    def in_s3(self) -> bool:
        return self.bucket is not None

    def s3_object(self) -> tuple[str, str]:
        assert self.bucket is not None, "an s3:// location"
        assert self.key is not None, "an s3:// location"
        return self.bucket, self.key


def parse_location(text: str) -> HistoryLocation:
    """``s3://bucket/key`` or a file path; BadInput for an S3 URL without a bucket or a key."""
    if text.startswith("s3://"):
        bucket, _, key = text[len("s3://") :].partition("/")
        if not bucket or not key or key.endswith("/"):
            raise BadInput(f"drill history {text}: expected s3://bucket/key")
        return HistoryLocation(text, bucket=bucket, key=key)
    if not text.strip():
        raise BadInput("drill history: empty location; give --history FILE or s3://bucket/key")
    return HistoryLocation(text, path=Path(text))


@dataclass
class History:
    location: HistoryLocation
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # lines that could not be read


def parse_lines(text: str, where: str) -> History:
    history = History(parse_location(where))
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            history.problems.append(f"{where}: line {number}: not JSON ({exc.msg}); skipped")
            continue
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS or entry_time(entry) is None:
            history.problems.append(f"{where}: line {number}: not a history entry (kind, at); skipped")
            continue
        history.entries.append(entry)
    return history


def read_history(location: HistoryLocation, aws: Aws, region: str) -> History:
    """Every entry (none when the file or object does not exist yet). AWS errors propagate."""
    if location.in_s3:
        bucket, key = location.s3_object()
        found = s3.get_text(aws.client("s3", region), bucket, key)
        return parse_lines(found.text if found else "", location.text)
    assert location.path is not None
    try:
        text = location.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.__class__.__name__
        raise StepFailed(f"drill history {location.text}: cannot be read ({problem})") from None
    return parse_lines(text, location.text)


def append_entry(location: HistoryLocation, entry: Mapping[str, Any], aws: Aws, region: str) -> None:
    line = json.dumps(dict(entry), sort_keys=True) + "\n"
    if not location.in_s3:
        assert location.path is not None
        try:
            location.path.parent.mkdir(parents=True, exist_ok=True)
            with location.path.open("a", encoding="utf-8") as file:
                file.write(line)
        except OSError as exc:
            problem = exc.strerror or str(exc)
            raise StepFailed(f"drill history {location.text}: cannot be written ({problem})") from None
        return
    bucket, key = location.s3_object()
    client = aws.client("s3", region)
    for _ in range(APPEND_ATTEMPTS):
        previous = s3.get_text(client, bucket, key)
        before = previous.text if previous else ""
        text = (before if not before or before.endswith("\n") else before + "\n") + line
        if s3.put_text_if_unchanged(client, bucket, key, text, previous):
            return
    raise StepFailed(
        f"drill history {location.text}: written by someone else {APPEND_ATTEMPTS} times in a row; "
        "run again to record this result"
    )


def parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    return parse_time(entry.get("at"))


def latest(
    entries: list[dict[str, Any]],
    kind: str,
    *,
    service: str,
    data_item: str | None = None,
    ok: bool | None = True,
) -> dict[str, Any] | None:
    """The newest entry of a kind for a service (and data item), successful ones only unless
    ``ok`` is None."""
    matching = [
        e
        for e in entries
        if e.get("kind") == kind
        and e.get("service") == service
        and (data_item is None or e.get("data_item") == data_item)
        and (ok is None or bool(e.get("ok")) is ok)
    ]
    if not matching:
        return None
    return max(matching, key=lambda e: entry_time(e) or datetime.min.replace(tzinfo=UTC))
