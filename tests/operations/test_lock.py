"""The operations lock: when a lock found in place may be taken (table), the lock in S3 (moto), and
the lock around real runs of promote_dr: a second run refuses, every way out releases, a dry run
never takes it, a killed run's lock is taken over on its host, --break-lock only when stale."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from offline.s3_conditional import atomic_conditional_writes
from operations.aws import mutating
from operations.errors import Refused
from operations.lock import Holder, OperationsLock, judge, lock_key
from tests.operations.harness import FailCalls, FakeClock, RaiseAfter, Scenario
from tests.operations.world import DR

Make = Callable[..., Scenario]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def holder(*, host: str = "ops-1", pid: int = 4242, minutes: float = 30, released: bool = False) -> Holder:
    return Holder(
        run="promote_dr",
        user="alice",
        host=host,
        pid=pid,
        command="python scripts/promote_dr.py --outputs dr.json",
        started_at=T0,
        expires_at=T0 + timedelta(minutes=minutes),
        token="t",
        released_at=T0 + timedelta(minutes=5) if released else None,
    )


HELD = (
    "the operations lock is held by promote_dr by alice@ops-1 (pid 4242) since 2026-11-23T09:00:00Z "
    "({age} old), until 2026-11-23T09:30:00Z; command: python scripts/promote_dr.py --outputs dr.json"
)


class Case(NamedTuple):
    found: Holder | None
    age_minutes: float
    host: str
    alive: bool
    break_lock: bool
    take: bool
    reason: str


@pytest.mark.parametrize(
    "case",
    [
        Case(
            holder(released=True),
            10,
            "ops-2",
            True,
            False,
            True,
            "released by promote_dr by alice@ops-1 (pid 4242) at 2026-11-23T09:05:00Z",
        ),
        Case(
            holder(),
            1,
            "ops-1",
            False,
            False,
            True,
            "took over the lock of promote_dr by alice@ops-1 (pid 4242), which no longer runs on this host",
        ),
        Case(
            holder(),
            3,
            "ops-1",
            True,
            False,
            False,
            HELD.format(age="3m 00s") + "; wait for that run to end, or, once the lock is older than this "
            "run's deadline (30m 00s), run again with --break-lock",
        ),
        Case(
            holder(),
            3,
            "ops-2",
            False,
            False,
            False,
            HELD.format(age="3m 00s") + "; wait for that run to end, or, once the lock is older than this "
            "run's deadline (30m 00s), run again with --break-lock",
        ),
        Case(
            holder(),
            3,
            "ops-2",
            True,
            True,
            False,
            HELD.format(age="3m 00s") + "; --break-lock refused: it is not older than this run's deadline "
            "(30m 00s)",
        ),
        Case(
            holder(minutes=90),
            45,
            "ops-2",
            True,
            True,
            False,
            HELD.format(age="45m 00s").replace("09:30:00Z", "10:30:00Z")
            + "; --break-lock refused: its holder's own deadline (2026-11-23T10:30:00Z) has not passed",
        ),
        Case(
            holder(),
            45,
            "ops-2",
            True,
            True,
            True,
            "broke the lock "
            + HELD.format(age="45m 00s").removeprefix("the operations lock is ")
            + " (--break-lock)",
        ),
        Case(
            None,
            45,
            "ops-2",
            True,
            True,
            True,
            "broke the lock held by an unreadable lock object (45m 00s old) (--break-lock)",
        ),
        Case(
            None,
            45,
            "ops-2",
            True,
            False,
            False,
            "the operations lock is held by an unreadable lock object (45m 00s old); wait for that run to "
            "end, or, once the lock is older than this run's deadline (30m 00s), run again with --break-lock",
        ),
    ],
    ids=[
        "released",
        "dead-process-same-host",
        "alive-same-host",
        "other-host",
        "break-too-young",
        "break-holder-not-expired",
        "break-stale",
        "break-unreadable",
        "unreadable",
    ],
)
def test_judge__whether_a_lock_found_may_be_taken(case: Case) -> None:
    verdict = judge(
        case.found,
        written_at=T0,
        now=T0 + timedelta(minutes=case.age_minutes),
        host=case.host,
        deadline_seconds=1800,
        break_lock=case.break_lock,
        alive=lambda pid: case.alive,
    )
    assert (verdict.take, verdict.reason) == (case.take, case.reason)
    assert verdict.broken == case.reason.startswith("broke the lock")


def test_holder_round_trip_and_unreadable_records() -> None:
    h = holder()
    assert Holder.parse(json.loads(json.dumps(h.as_data()))) == h
    bad: object
    for bad in ({}, [], {"run": "x"}, {**h.as_data(), "pid": "4242"}, {**h.as_data(), "started_at": "soon"}):
        assert Holder.parse(bad) is None


# ---------------------------------------------------------------------------------------------
# The lock object in S3 (moto)


def test_acquire_release_and_a_second_holder_refused(scenario: Make) -> None:
    # GIVEN the world's operations bucket (versioned) and a lock in it
    s = scenario()
    s3 = s.client("s3", DR)
    bucket = s.world.promotion["operations_bucket"]
    clock = FakeClock()
    lock = OperationsLock(s3, bucket, lock_key("orders"), clock)
    first = lock.acquire(
        Holder.me("promote_dr", "first", clock.now(), 1800), deadline_seconds=1800, break_lock=False
    )
    # WHEN another run on another host asks for it
    other = Holder.me("failback", "second", clock.now(), 1800)
    other = Holder(**{**other.__dict__, "host": "elsewhere"})
    with pytest.raises(Refused, match=r"^the operations lock is held by promote_dr by .+ \(pid \d+\) since "):
        lock.acquire(other, deadline_seconds=1800, break_lock=False)
    # THEN releasing it leaves a released record (never a delete) that the next run takes
    lock.release(first)
    assert first.released_at is not None
    assert first.release_error is None
    again = lock.acquire(other, deadline_seconds=1800, break_lock=False)
    assert again.taken_over is not None
    assert again.taken_over.startswith("released by promote_dr")
    versions = s3.list_object_versions(Bucket=bucket, Prefix=lock_key("orders"))["Versions"]
    assert len(versions) == 3  # taken, released, taken: the bucket's versions are the lock's history


def test_racing_acquirers__exactly_one_wins(scenario: Make) -> None:
    # GIVEN eight runs asking for the lock at the same moment (S3's conditional writes are atomic)
    s = scenario()
    bucket = s.world.promotion["operations_bucket"]
    barrier = threading.Barrier(8, timeout=10)
    outcomes: list[str] = []

    def contend(n: int) -> None:
        clock = FakeClock()
        lock = OperationsLock(s.client("s3", DR), bucket, lock_key("orders"), clock)
        me = Holder(**{**Holder.me("promote_dr", f"run {n}", clock.now(), 1800).__dict__, "host": f"h{n}"})
        barrier.wait()
        try:
            lock.acquire(me, deadline_seconds=1800, break_lock=False)
            outcomes.append("won")
        except Refused:
            outcomes.append("refused")

    with atomic_conditional_writes():
        threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["won"]


# ---------------------------------------------------------------------------------------------
# The lock around promote_dr


def lock_record(s: Scenario) -> dict[str, Any]:
    body = s.client("s3", DR).get_object(
        Bucket=s.world.promotion["operations_bucket"], Key=lock_key("orders")
    )
    record = json.loads(body["Body"].read())
    assert isinstance(record, dict)
    return record


def test_a_run_takes_and_releases_the_lock__the_report_says_so(scenario: Make) -> None:
    s = scenario()
    result = s.run()
    assert result.code == 0, result.err
    assert result.report is not None
    lock = result.report["lock"]
    assert lock["key"] == "continuity/locks/orders.json"
    assert lock["acquired_at"]
    assert lock["released_at"]
    assert lock["release_error"] is None
    assert lock_record(s)["released_at"] is not None
    assert "## Operations lock" in (result.markdown or "")
    # the lock's calls are bookkeeping, apart from the environment's (least privilege still sees them)
    assert "PutObject" not in result.operations
    assert {"s3:PutObject", "s3:GetObject"} >= {a for a in result.recorder.actions() if a.startswith("s3:")}


def test_dry_run_and_refusals_never_take_it(scenario: Make) -> None:
    s = scenario(primary_down=False)
    for result in (s.run("--dry-run"), s.run()):
        assert result.report is not None
        assert result.report["lock"] is None
        assert "s3" not in {c.service for c in result.recorder.calls}


@pytest.mark.parametrize(
    ("hooks", "code"),
    [
        (lambda: [FailCalls("UpdateService", "ServerException").hook], 4),
        (lambda: [RaiseAfter("PromoteReadReplica", KeyboardInterrupt()).hook], 130),
    ],
    ids=["step-failed", "ctrl-c"],
)
def test_released_on_every_way_out(scenario: Make, hooks: Callable[[], list[Any]], code: int) -> None:
    s = scenario()
    result = s.run(hooks=hooks())
    assert result.code == code, result.err
    assert lock_record(s)["released_at"] is not None
    assert result.report is not None
    assert result.report["lock"]["released_at"] is not None


def test_a_second_run_while_one_holds_it__refused_exit_3__naming_the_holder(scenario: Make) -> None:
    # GIVEN a run on another host holds the lock (started two minutes ago)
    s = scenario()
    bucket = s.world.promotion["operations_bucket"]
    clock = FakeClock()
    busy = Holder.me("failback", "python scripts/failback.py --outputs dr.json", clock.now(), 1800)
    busy = Holder(**{**busy.__dict__, "host": "ops-9", "user": "bob", "pid": 77})
    OperationsLock(s.client("s3", DR), bucket, lock_key("orders"), clock).acquire(
        busy, deadline_seconds=1800, break_lock=False
    )
    # WHEN the failover runs
    result = s.run()
    # THEN it refuses, changes nothing, and says who holds the lock and since when
    assert result.code == 3
    assert result.err.splitlines()[0].startswith(
        "promote_dr: refused: the operations lock is held by failback by bob@ops-9 (pid 77) since "
    )
    assert "old), until " in result.err
    assert mutating(result.operations) == []
    assert not s.primary_inverted()
    # AND --break-lock does not take a lock younger than the deadline
    again = s.run("--break-lock")
    assert again.code == 3
    assert "--break-lock refused: it is not older than this run's deadline (30m 00s)" in again.err


def test_a_killed_runs_lock_is_taken_over_on_its_host(scenario: Make) -> None:
    # GIVEN a lock left by a process of this host that no longer runs (pid 2**22 + 1 exceeds pid_max)
    s = scenario()
    clock = FakeClock()
    gone = Holder(**{**Holder.me("promote_dr", "crashed", clock.now(), 1800).__dict__, "pid": 2**22 + 1})
    OperationsLock(
        s.client("s3", DR), s.world.promotion["operations_bucket"], lock_key("orders"), clock
    ).acquire(gone, deadline_seconds=1800, break_lock=False)
    result = s.run()
    assert result.code == 0, result.err
    assert result.report is not None
    assert result.report["lock"]["taken_over"].endswith("which no longer runs on this host")


def test_no_operations_bucket_in_the_outputs__one_line_exit_2(scenario: Make) -> None:
    s = scenario()
    document = json.loads(json.dumps(s.world.outputs))
    del document["promotion"]["operations_bucket"]
    result = s.run(outputs=s.outputs_file(document))
    assert result.code == 2
    assert result.err.splitlines() == [
        "promote_dr: outputs.promotion.operations_bucket: missing; the operations lock lives in the DR "
        "region's operations bucket, which stacks deployed before it existed do not export (run pulumi "
        "up --stack <dr stack>, then save the outputs again)"
    ]
    assert result.operations == []
    # a dry run takes no lock and needs no bucket
    assert s.run("--dry-run", outputs=s.outputs_file(document)).code == 0
