"""Rolling a versioned, write-once bucket back to TIME without deleting anything: a pure plan.

Object Lock forbids deleting or overwriting a locked version, and the plan's retention lives in old
versions, so a roll-back only ever adds: for every key, the version that was current at TIME is
copied forward as the new current version (CopyObject with its version id), and a key that did not
exist at TIME (or was deleted then) gets a delete marker, which hides it without removing a byte
(S3 User Guide, "Working with delete markers"; a locked version cannot be deleted, but a delete
marker can always be placed). Keys whose current version is already the one of TIME are left
alone.

A copy made by a roll-back carries the version it came from in its metadata
(``x-amz-meta-continuity-restored-from``): a roll-back run again, after a crash, recognises its own
copies and does not copy them a second time. Which current versions need that look (a HEAD request)
is part of the plan: every key whose current version is newer than TIME and not a delete marker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

# S3 user-defined metadata (x-amz-meta-*): keys are lower case on the wire.
RESTORED_FROM = "continuity-restored-from"
RESTORED_TO = "continuity-restored-to"


@dataclass(frozen=True)
class Version:
    """One entry of ListObjectVersions: a version or a delete marker."""

    key: str
    version_id: str
    last_modified: datetime
    is_latest: bool
    delete_marker: bool
    size: int = 0


@dataclass(frozen=True)
class Copy:
    key: str
    version_id: str  # the version current at TIME, copied forward
    size: int
    current: str | None  # the version current now (None: a delete marker hides the key)


@dataclass(frozen=True)
class Hide:
    key: str
    current: str  # the version current now, which a delete marker will hide


@dataclass
class RollbackPlan:
    copies: list[Copy] = field(default_factory=list)
    hides: list[Hide] = field(default_factory=list)
    unchanged: int = 0  # keys already as they were at TIME
    # Current versions newer than TIME that may be an earlier roll-back's copy (key -> version).
    to_look_at: dict[str, str] = field(default_factory=dict)

    @property
    def bytes_copied(self) -> int:
        return sum(c.size for c in self.copies)

    @property
    def changes(self) -> int:
        return len(self.copies) + len(self.hides)

    def describe(self) -> str:
        return (
            f"{len(self.copies)} object(s) copied back ({self.bytes_copied:,} bytes), "
            f"{len(self.hides)} hidden by a delete marker, {self.unchanged} unchanged"
        )


def _by_key(versions: Iterable[Version]) -> dict[str, list[Version]]:
    found: dict[str, list[Version]] = {}
    for version in versions:
        found.setdefault(version.key, []).append(version)
    return found


def plan_rollback(
    versions: Iterable[Version],
    point: datetime,
    copies_of: Mapping[str, str] | None = None,
) -> RollbackPlan:
    """What to copy forward and what to hide so that every key reads as it did at ``point``.

    ``copies_of`` maps a key to the version its current version was copied from by an earlier
    roll-back (its RESTORED_FROM metadata, read for the keys of ``to_look_at``); a key whose
    current version is already a copy of the version of ``point`` is unchanged."""
    copies_of = copies_of or {}
    plan = RollbackPlan()
    for key, history in sorted(_by_key(versions).items()):
        current = next((v for v in history if v.is_latest), None)
        then = max(
            (v for v in history if v.last_modified <= point),
            key=lambda v: v.last_modified,
            default=None,
        )
        existed = then is not None and not then.delete_marker
        if current is None or current.delete_marker:
            if existed:
                assert then is not None
                plan.copies.append(Copy(key, then.version_id, then.size, None))
            else:
                plan.unchanged += 1
            continue
        if not existed:
            plan.hides.append(Hide(key, current.version_id))
            continue
        assert then is not None
        if current.version_id == then.version_id or copies_of.get(key) == then.version_id:
            plan.unchanged += 1
            continue
        if current.last_modified > point:
            plan.to_look_at[key] = current.version_id
        plan.copies.append(Copy(key, then.version_id, then.size, current.version_id))
    return plan
