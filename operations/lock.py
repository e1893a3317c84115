"""The operations lock: one run that changes production at a time (failover, failback, and the
recovery and restore-into-production runbooks to come), whoever starts it and from where.

Where: one S3 object per service, ``continuity/locks/<service>.json`` in the DR stack's operations
bucket, in the DR region. S3's data plane in the DR region is what survives the loss of the
primary region, and the bucket exists anyway (versioned, encrypted with the DR key, private, for
the drill history and reports): a lock taken a few times a year needs no table or other
always-on infrastructure of its own. (A DynamoDB conditional put would be as atomic, but needs a
table that exists for nothing else.)

How (Amazon S3 User Guide, "How to prevent object overwrites with conditional writes"):

- take: PutObject with ``If-None-Match: *`` creates the object only if there is none. If there
  is one, it is read; a released lock, or one the rules below let this run take over, is
  replaced with ``If-Match: <its ETag>``, a compare-and-swap. S3 makes both atomic: of two runs
  taking the lock at once exactly one succeeds, the other gets 412 PreconditionFailed (or 409
  ConditionalRequestConflict while the winner's write is in flight) and refuses, naming the
  holder and how long it has held the lock.
- hold: the object says who (run, user, host, process id), since when, the command, and until
  when (the start plus the run's deadline).
- release: the object is overwritten (``If-Match``: this run's ETag) with the time it was
  released, on every way out of the run. Nothing is deleted: the bucket is versioned, so the
  object's versions are the history of every run that held it, and the operator needs no
  s3:DeleteObject.
- a lock left behind by a run that was killed (SIGKILL, a laptop that died): the same host takes
  it over once that process no longer runs. Anyone else waits until the lock is older than their
  own run's deadline and its holder's own deadline has passed, and says ``--break-lock``; the
  report records the takeover.

IAM (the operator role): s3:PutObject and s3:GetObject on
``arn:aws:s3:::<bucket>/continuity/locks/*`` (If-Match needs both), and kms:GenerateDataKey and
kms:Decrypt on the DR key, with which the bucket encrypts every object by default.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from continuity import documents
from continuity.documents import DocumentError
from operations.aws import bookkeeping, describe_error, error_code
from operations.clock import Clock, format_seconds
from operations.errors import Refused, StepFailed

LOCK_PREFIX = "continuity/locks"
# 409 ConditionalRequestConflict: another conditional write to the key is in flight; S3 asks the
# caller to try again. A few tries settle who won.
CONFLICT_ATTEMPTS = 3
CONFLICT_PAUSE = 1.0


def lock_key(service: str) -> str:
    return f"{LOCK_PREFIX}/{service}.json"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Holder:
    """What the lock object says: who holds (or last held) the lock."""

    run: str  # promote_dr, failback
    user: str
    host: str
    pid: int
    command: str
    started_at: datetime
    expires_at: datetime  # the start plus the holder's deadline
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    released_at: datetime | None = None

    @classmethod
    def me(cls, run: str, command: str, now: datetime, deadline_seconds: float | None) -> Holder:
        # A run without a deadline holds the lock until it ends; its expiry is far away.
        expiry = now + timedelta(
            seconds=deadline_seconds if deadline_seconds is not None else 10 * 365 * 86400
        )
        return cls(run, _user(), socket.gethostname(), os.getpid(), command, now, expiry)

    def describe(self) -> str:
        return f"{self.run} by {self.user}@{self.host} (pid {self.pid})"

    def as_data(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "user": self.user,
            "host": self.host,
            "pid": self.pid,
            "command": self.command,
            "started_at": _iso(self.started_at),
            "expires_at": _iso(self.expires_at),
            "token": self.token,
            "released_at": None if self.released_at is None else _iso(self.released_at),
        }

    @classmethod
    def parse(cls, data: object) -> Holder | None:
        """The holder a lock object names, or None when it cannot be read as one."""
        if not isinstance(data, dict):
            return None
        started, expires = _time(data.get("started_at")), _time(data.get("expires_at"))
        pid = data.get("pid")
        texts = [data.get(k) for k in ("run", "user", "host", "command", "token")]
        if started is None or expires is None or not isinstance(pid, int) or isinstance(pid, bool):
            return None
        if not all(isinstance(t, str) for t in texts):
            return None
        run, user, host, command, token = (str(t) for t in texts)
        released = _time(data.get("released_at")) if data.get("released_at") is not None else None
        return cls(run, user, host, pid, command, started, expires, token, released)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid-{os.getuid()}"


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a reused id counts as alive: safe)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------------------------
# Whether a lock found in place may be taken (pure)


@dataclass(frozen=True)
class Judgement:
    take: bool
    reason: str  # why it may be taken (for the report), or why not (the refusal)
    broken: bool = False  # taken over with --break-lock


def judge(
    found: Holder | None,
    *,
    written_at: datetime | None,
    now: datetime,
    host: str,
    deadline_seconds: float | None,
    break_lock: bool,
    alive: Callable[[int], bool] = process_alive,
) -> Judgement:
    """May this run take the lock it found? ``written_at`` is S3's own time of the last write
    (LastModified), which measures the lock's age without trusting the holder's clock."""
    since = written_at or (found.started_at if found is not None else None)
    age = None if since is None else max(0.0, (now - since).total_seconds())
    age_text = "of unknown age" if age is None else f"{format_seconds(age)} old"
    if found is not None and found.released_at is not None:
        return Judgement(True, f"released by {found.describe()} at {_iso(found.released_at)}")
    if found is not None and found.host == host and not alive(found.pid):
        return Judgement(True, f"took over the lock of {found.describe()}, which no longer runs on this host")
    who = found.describe() if found is not None else "an unreadable lock object"
    held = (
        f"held by {who} since {_iso(found.started_at)} ({age_text}), until {_iso(found.expires_at)}; "
        f"command: {found.command}"
        if found is not None
        else f"held by {who} ({age_text})"
    )
    limit = (
        "no deadline"
        if deadline_seconds is None
        else f"this run's deadline ({format_seconds(deadline_seconds)})"
    )
    expired = found is None or now >= found.expires_at
    old_enough = age is not None and deadline_seconds is not None and age > deadline_seconds
    if break_lock and expired and old_enough:
        return Judgement(True, f"broke the lock {held} (--break-lock)", broken=True)
    if break_lock:
        if not old_enough:
            why = f"it is not older than {limit}"
        else:
            assert found is not None
            why = f"its holder's own deadline ({_iso(found.expires_at)}) has not passed"
        return Judgement(False, f"the operations lock is {held}; --break-lock refused: {why}")
    return Judgement(
        False,
        f"the operations lock is {held}; wait for that run to end, or, once the lock is older than "
        f"{limit}, run again with --break-lock",
    )


# ---------------------------------------------------------------------------------------------
# The lock in S3


@dataclass
class LockState:
    """What the run did with the lock, for its report."""

    bucket: str
    key: str
    holder: Holder
    acquired_at: datetime | None = None
    taken_over: str | None = None  # why a lock found in place was taken
    broken: bool = False
    released_at: datetime | None = None
    release_error: str | None = None
    etag: str | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "key": self.key,
            "holder": self.holder.describe(),
            "acquired_at": None if self.acquired_at is None else _iso(self.acquired_at),
            "taken_over": self.taken_over,
            "broken": self.broken,
            "released_at": None if self.released_at is None else _iso(self.released_at),
            "release_error": self.release_error,
        }


def _body(holder: Holder) -> bytes:
    return (json.dumps(holder.as_data(), indent=2) + "\n").encode("utf-8")


class OperationsLock:
    """The lock object of one service, through an S3 client in the DR region."""

    def __init__(self, s3: Any, bucket: str, key: str, clock: Clock) -> None:
        self.s3, self.bucket, self.key, self.clock = s3, bucket, key, clock

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def acquire(self, holder: Holder, *, deadline_seconds: float | None, break_lock: bool) -> LockState:
        """Take the lock, or raise Refused naming its holder (exit 3). StepFailed if S3 cannot
        be reached or refuses the call (the report names the lock object)."""
        state = LockState(self.bucket, self.key, holder)
        with bookkeeping():
            for _ in range(CONFLICT_ATTEMPTS):
                etag = self._put(holder, if_none_match=True)
                if etag is not None:
                    state.acquired_at, state.etag = self.clock.now(), etag
                    return state
                current = self._read()
                if current is None:
                    continue  # gone between the two calls (someone removed it by hand): try again
                found, found_etag, written_at = current
                verdict = judge(
                    found,
                    written_at=written_at,
                    now=self.clock.now(),
                    host=holder.host,
                    deadline_seconds=deadline_seconds,
                    break_lock=break_lock,
                )
                if not verdict.take:
                    raise Refused(verdict.reason)
                etag = self._put(holder, if_match=found_etag)
                if etag is not None:
                    state.acquired_at, state.etag = self.clock.now(), etag
                    state.taken_over, state.broken = verdict.reason, verdict.broken
                    return state
                # Someone else wrote the lock between our read and our write: read it again.
        current = self._read()
        found = current[0] if current is not None else None
        who = found.describe() if found is not None else "another run"
        raise Refused(f"the operations lock {self.where} was taken by {who} at the same moment")

    def release(self, state: LockState) -> None:
        """Mark the lock released, if this run still holds it; never raises (what happened in AWS
        matters more than the lock): a failure is in ``state.release_error``."""
        if state.etag is None:
            return
        released = replace(state.holder, released_at=self.clock.now())
        with bookkeeping():
            try:
                etag = self._put(released, if_match=state.etag)
            except Exception as exc:  # reported in the run's report, never raised
                state.release_error = (
                    f"not released ({describe_error(exc)}): this host's next run takes it over; "
                    f"elsewhere, run with --break-lock once it is older than the run's deadline"
                )
                return
        if etag is None:
            state.release_error = "not released: another run had taken the lock over (--break-lock)"
            return
        state.released_at, state.etag = released.released_at, None

    # -- S3
    def _put(self, holder: Holder, *, if_none_match: bool = False, if_match: str | None = None) -> str | None:
        """The new ETag, or None when the condition failed (412, or 409 for a write in flight)."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.key,
            "Body": _body(holder),
            "ContentType": "application/json",
        }
        if if_none_match:
            params["IfNoneMatch"] = "*"
        if if_match is not None:
            params["IfMatch"] = if_match
        try:
            answer = self.s3.put_object(**params)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                if code == "ConditionalRequestConflict":
                    self.clock.sleep(CONFLICT_PAUSE)
                return None
            raise StepFailed(f"operations lock {self.where}: {describe_error(exc)}") from exc
        return str(answer.get("ETag", ""))

    def _read(self) -> tuple[Holder | None, str, datetime | None] | None:
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise StepFailed(f"operations lock {self.where}: {describe_error(exc)}") from exc
        body = answer["Body"].read(documents.RECORD.max_bytes + 1)
        try:
            data = documents.parse_json(body.decode("utf-8"), self.where, documents.RECORD)
        except (DocumentError, UnicodeDecodeError):
            data = None
        modified = answer.get("LastModified")
        return (
            Holder.parse(data),
            str(answer.get("ETag", "")),
            modified if isinstance(modified, datetime) else None,
        )
