"""Typed errors and the exit codes every operational script shares.

Scripts raise these and map them to an exit status at the edge (`operations.cli.run_cli`), so
an operator sees one line naming the problem, never a traceback, whatever went wrong.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # done (or nothing left to do)
    FINDING = 1  # a check found a problem (readiness, restore tests, drills)
    BAD_INPUT = 2  # the arguments, the outputs document or the credentials cannot drive the script
    REFUSED = 3  # a safety check refused: nothing was changed
    STEP_FAILED = 4  # a step failed part way: the report says which and what to run next
    INTERRUPTED = 130  # Ctrl-C: re-run to resume


class OperationsError(Exception):
    """An error a script reports as one line and an exit code."""

    exit_code: ExitCode = ExitCode.STEP_FAILED


class BadInput(OperationsError):
    exit_code = ExitCode.BAD_INPUT


class Finding(OperationsError):
    """What a test exists to find: a restore that fails or is too slow, a check that does not pass."""

    exit_code = ExitCode.FINDING


class Refused(OperationsError):
    exit_code = ExitCode.REFUSED


class StepFailed(OperationsError):
    exit_code = ExitCode.STEP_FAILED


class WaitTimeout(StepFailed):
    """A resource did not reach the state a step waits for in time; re-running resumes the wait."""


class DeadlineExceeded(StepFailed):
    """The run's deadline passed; the report says where it stopped, and re-running resumes."""
