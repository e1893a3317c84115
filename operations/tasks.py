"""Run independent pieces of work at once, keeping every result and every failure.

A failover's slow parts (promoting a database, starting tasks) are waits on AWS, so threads are
enough: the run takes as long as its slowest piece. Each piece runs to its end even when another
fails, because every piece is idempotent and a re-run picks up from what finished.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_all(
    tasks: Mapping[str, Callable[[], T]],
    *,
    concurrent: bool = True,
    interrupt: Callable[[], None] | None = None,
) -> dict[str, Outcome[T]]:
    """Each task's outcome by name; one after another when ``concurrent`` is false (the benchmark
    measures both). On Ctrl-C, ``interrupt`` wakes the tasks' waits so they end promptly."""

    def run(task: Callable[[], T]) -> Outcome[T]:
        try:
            return Outcome(value=task())
        except Exception as exc:
            return Outcome(error=exc)

    if not concurrent or len(tasks) <= 1:
        return {name: run(task) for name, task in tasks.items()}
    pool = ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="operations")
    try:
        futures = {name: pool.submit(run, task) for name, task in tasks.items()}
        return {name: future.result() for name, future in futures.items()}
    except BaseException:
        if interrupt is not None:
            interrupt()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
