"""Which recovery point answers TIME, and whether TIME can be reached at all: pure decisions.

Every store keeps its history for a bounded time, and a recovery to a moment outside it is refused
with the bounds, before anything is changed:

- RDS point-in-time recovery reaches from the earliest restorable time (the automated backups'
  restore window, or the instance's creation if younger) to the latest restorable time, which trails
  the present by about five minutes (RDS User Guide, "Restoring a DB instance to a specified time").
- A versioned bucket keeps a replaced version for the plan's retention after it was replaced
  (its lifecycle's noncurrent-version expiration, continuity.derive.bucket_for): the version that
  was current at TIME is certainly still there when TIME is within that many days.
- In-cluster data comes back from a dump, named by the UTC time its upload began (after the dump
  was written, components/kubernetes_backups.py): the newest dump named at or before TIME holds
  nothing written after TIME. Each has its SHA-256 beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from operations.errors import BadInput
from operations.report import iso

DUMP_SUFFIX = ".dump"
CHECKSUM_SUFFIX = ".sha256"
_STAMP = re.compile(r"^(?P<stamp>[0-9]{8}T[0-9]{6}Z)\.dump$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Window:
    """How far back and how far forward a store can be recovered, in UTC."""

    earliest: datetime | None  # None: not known (the store says nothing older exists)
    latest: datetime
    what: str  # the store, as messages name it

    def check(self, point: datetime, flag: str = "--to") -> None:
        """BadInput naming the bounds when ``point`` is outside the window."""
        if point > self.latest:
            raise BadInput(
                f"{flag} {iso(point)} is after the latest point {self.what} can be recovered to, "
                f"{iso(self.latest)} (window {self.describe()})"
            )
        if self.earliest is not None and point < self.earliest:
            raise BadInput(
                f"{flag} {iso(point)} is before the earliest point {self.what} can be recovered to, "
                f"{iso(self.earliest)} (window {self.describe()})"
            )

    def describe(self) -> str:
        return f"{iso(self.earliest) if self.earliest else 'unknown'} to {iso(self.latest)}"


def rds_window(
    *,
    latest_restorable: datetime | None,
    backups_earliest: datetime | None,
    created: datetime | None,
    retention_days: int,
    identifier: str,
) -> Window:
    """The restore window of an instance: the automated backups' window when RDS gives one,
    otherwise the retention back from the latest restorable time, never before the instance."""
    what = f"instance {identifier}"
    if latest_restorable is None:
        raise BadInput(f"{what} has no latest restorable time: automated backups are off or not ready")
    earliest = backups_earliest
    if earliest is None:
        earliest = latest_restorable - timedelta(days=retention_days)
        if created is not None:
            earliest = max(earliest, created)
    return Window(earliest=earliest, latest=latest_restorable, what=what)


def bucket_window(*, now: datetime, noncurrent_days: int, bucket: str) -> Window:
    """A versioned bucket: every version current in the last ``noncurrent_days`` is still kept."""
    return Window(earliest=now - timedelta(days=noncurrent_days), latest=now, what=f"bucket {bucket}")


@dataclass(frozen=True)
class Dump:
    key: str
    taken_at: datetime  # from its name: when its upload began, after the dump was written
    size: int

    @property
    def checksum_key(self) -> str:
        return self.key + CHECKSUM_SUFFIX


def dump_time(key: str, prefix: str) -> datetime | None:
    """The time a dump key is named by (``<prefix><YYYYMMDDTHHMMSSZ>.dump``); None for any other key."""
    if not key.startswith(prefix):
        return None
    found = _STAMP.match(key[len(prefix) :])
    if found is None:
        return None
    return datetime.strptime(found.group("stamp"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def dumps_in(listing: dict[str, int], prefix: str) -> list[Dump]:
    """The dumps among a bucket listing (key -> size), oldest first."""
    found = []
    for key, size in listing.items():
        taken = dump_time(key, prefix)
        if taken is not None:
            found.append(Dump(key, taken, size))
    return sorted(found, key=lambda d: d.taken_at)


def dump_at(dumps: list[Dump], point: datetime, where: str) -> Dump:
    """The newest dump taken at or before ``point``; BadInput naming what there is otherwise."""
    eligible = [d for d in dumps if d.taken_at <= point]
    if eligible:
        return eligible[-1]
    if not dumps:
        raise BadInput(f"no dump in {where}: nothing to recover from")
    raise BadInput(
        f"--to {iso(point)} is before the oldest dump in {where}, taken {iso(dumps[0].taken_at)} "
        f"(window {iso(dumps[0].taken_at)} to {iso(dumps[-1].taken_at)})"
    )


def parse_checksum(text: str, where: str) -> str:
    """The SHA-256 a checksum object holds (hex; `sha256sum`'s own line is accepted too)."""
    words = text.split()
    digest = words[0].lower() if words else ""
    if not _SHA256.match(digest):
        raise ValueError(f"{where} does not hold a SHA-256 (64 hex digits): {text[:80]!r}")
    return digest
