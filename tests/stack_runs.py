"""The program's stacks for one plan, run once per test session and shared by every test that
only reads them (running the program is the suite's most repeated cost).

xdist runs the suite in several processes; the first one to need a plan's stacks runs them and
leaves them, pickled, in the session's directory (``SHARED_RUNS``, made by tests/conftest.py);
the others wait on its lock and read them. Without the variable (one file run alone) each process
runs them itself.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from offline.program import StackRun, run_program
from tests.conftest import stack_overrides

SHARED_RUNS = "CONTINUITY_TEST_SHARED_RUNS"
T = TypeVar("T")


@dataclass(frozen=True)
class StackRuns:
    primary: StackRun
    dr: StackRun
    promoted: StackRun  # the DR stack after a failover (config promoted: true)


def shared(key: object, compute: Callable[[], T]) -> T:
    """``compute()``, once per session across the suite's processes for the same ``key``."""
    root = os.environ.get(SHARED_RUNS)
    if not root:
        return compute()
    name = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:32]
    path = Path(root) / f"{name}.pickle"
    with (Path(root) / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            value: T = pickle.loads(path.read_bytes())
            return value
        value = compute()
        partial = path.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(path)
        return value


def _run_stacks(path: Path) -> StackRuns:
    overrides = stack_overrides(path)
    primary = run_program("primary", path, config_overrides=overrides)
    dr = run_program("dr", path, primary_outputs=primary.outputs, config_overrides=overrides)
    promoted = run_program(
        "dr",
        path,
        primary_outputs=primary.outputs,
        config_overrides={**overrides, "continuity:promoted": "true"},
    )
    return StackRuns(primary, dr, promoted)


@functools.cache
def stack_runs(path: Path) -> StackRuns:
    """Both stacks of the plan at ``path`` (and the promoted DR stack), under the offline mocks.
    Callers must not change what they get: it is shared. The key holds the plan's text, so a test
    that rewrites a plan file in place never reads another version's stacks."""
    return shared(("stack_runs", str(path.resolve()), path.read_text()), lambda: _run_stacks(path))
