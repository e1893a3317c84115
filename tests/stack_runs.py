"""The program's stacks for one plan, run once per test process and shared by every test that
only reads them (running the program is the suite's most repeated cost)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from offline.program import StackRun, run_program
from tests.conftest import stack_overrides


@dataclass(frozen=True)
class StackRuns:
    primary: StackRun
    dr: StackRun
    promoted: StackRun  # the DR stack after a failover (config promoted: true)


@functools.cache
def stack_runs(path: Path) -> StackRuns:
    """Both stacks of the plan at ``path`` (and the promoted DR stack), under the offline mocks.
    Callers must not change what they get: it is shared."""
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
