"""Time for the operational scripts: a clock that tests and benchmarks can replace, and polling.

Steps wait for AWS (a replica to finish promoting, tasks to start); `poll_until` is the one wait
loop, so every wait has a timeout, reports its state as it changes, and rides out throttling
and brief control-plane errors instead of failing the step on the first one.

A run that changes production also has a `Deadline`: no wait outlasts it, and no AWS call is sent
that could not finish before it (operations.aws). The last stretch before it is kept for the
run's own bookkeeping (releasing the operations lock), so a run ends within its deadline even
when an endpoint stops answering.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from operations.aws import describe_error, is_transient
from operations.errors import DeadlineExceeded, WaitTimeout

T = TypeVar("T")


class Interrupted(Exception):
    """The run was interrupted (Ctrl-C) while a step was waiting."""


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None:
        """Wait; raise Interrupted once ``interrupt`` has been called."""

    def now(self) -> datetime: ...

    def interrupt(self) -> None:
        """Wake every sleeper (in any thread) with Interrupted."""


class SystemClock:
    def __init__(self) -> None:
        self._stop = threading.Event()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if self._stop.wait(max(0.0, seconds)):
            raise Interrupted("interrupted")

    def now(self) -> datetime:
        return datetime.now(UTC)

    def interrupt(self) -> None:
        self._stop.set()


class Deadline:
    """When a run must be over, on its clock. ``reserve`` seconds before the end are kept for the
    run's bookkeeping: work (waits, AWS calls) stops at ``work_end``."""

    def __init__(self, clock: Clock, seconds: float | None, *, reserve: float = 0.0) -> None:
        self.clock = clock
        self.seconds = seconds
        self.reserve = reserve
        start = clock.monotonic()
        self.end = math.inf if seconds is None else start + seconds
        self.work_end = self.end - reserve
        self.hit = False  # some work was stopped by it

    def exceeded(self, message: str) -> DeadlineExceeded:
        """The error that stops work at the deadline (and the record that it did)."""
        self.hit = True
        return DeadlineExceeded(message)

    def remaining(self, *, bookkeeping: bool = False) -> float:
        """Seconds left for work (or, with ``bookkeeping``, until the very end)."""
        return (self.end if bookkeeping else self.work_end) - self.clock.monotonic()

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0

    def describe(self) -> str:
        return "none" if self.seconds is None else format_seconds(self.seconds)


def poll_until(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    clock: Clock,
    timeout: float,
    interval: float,
    what: str,
    describe: Callable[[T], str] = str,
    on_state: Callable[[str], None] | None = None,
    run_deadline: Deadline | None = None,
) -> T:
    """Call ``fetch`` until ``done`` holds for its answer; raise WaitTimeout after ``timeout``, or
    DeadlineExceeded once ``run_deadline`` leaves no time for work.

    A transient error (throttling beyond the client's own retries, a 5xx, a dropped connection)
    counts as one more poll, not as a failure; any other error is raised at once.
    """
    deadline = clock.monotonic() + timeout
    run_end = run_deadline.work_end if run_deadline is not None else math.inf
    last = "not read yet"
    while True:
        try:
            value = fetch()
        except Exception as exc:
            if not is_transient(exc):
                raise
            state = f"retrying after {describe_error(exc)}"
        else:
            if done(value):
                return value
            state = describe(value)
        if state != last and on_state is not None:
            on_state(state)
        last = state
        now = clock.monotonic()
        if run_end < deadline and run_end - now <= 0:
            assert run_deadline is not None
            raise run_deadline.exceeded(
                f"{what}: still {last} when the run's deadline ({run_deadline.describe()}) passed"
            )
        remaining = min(deadline, run_end) - now
        if remaining <= 0:
            raise WaitTimeout(f"{what}: still {last} after {format_seconds(timeout)}")
        clock.sleep(min(interval, remaining))


def format_seconds(seconds: float) -> str:
    """`42s`, `5m 02s`, `2h 05m`: durations as an operator reads them."""
    whole = round(seconds)
    if abs(seconds) < 10 and seconds != whole:
        return f"{seconds:.1f}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
