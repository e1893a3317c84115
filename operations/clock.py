"""Time for the operational scripts: a clock that tests and benchmarks can replace, and polling.

Steps wait for AWS (a replica to finish promoting, tasks to start); `poll_until` is the one wait
loop, so every wait has a timeout, reports its state as it changes, and rides out throttling
and brief control-plane errors instead of failing the step on the first one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from operations.aws import describe_error, is_transient
from operations.errors import WaitTimeout

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
) -> T:
    """Call ``fetch`` until ``done`` holds for its answer; raise WaitTimeout after ``timeout``.

    A transient error (throttling beyond the client's own retries, a 5xx, a dropped connection)
    counts as one more poll, not as a failure; any other error is raised at once.
    """
    deadline = clock.monotonic() + timeout
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
        remaining = deadline - clock.monotonic()
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
