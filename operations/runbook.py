"""One engine for the runbooks that change production: the failover, the failback, and the point-in-time
recovery to come (issue 13). A runbook is its steps alone; the engine does what all of them must do
the same way, in this order:

    1 Preflight   the runbook reads where every target stands and what is left to do (its plan of
                  actions); it refuses, with nothing changed, if a target is missing or not as
                  recorded, or says there is nothing to do
    2 Safety      the runbook's judgement; the engine refuses unless it says go, and asks the
                  operator to confirm a plan that changes something unless --yes (no terminal and
                  no --yes: refused)
      (dry run)   stops here: every later step "planned", nothing changed, no lock taken
      (lock)      the operations lock (operations.lock) is taken before the first change, and
                  released on every way out: done, refused, failed, Ctrl-C, deadline
    3 ...         the runbook's acting steps, phase by phase: the steps of a phase run at once and
                  each acts on its targets at once (`each`); a phase fails naming every step and
                  target that failed, after letting the others finish, since each is idempotent

Every step re-reads what it acts on, so the same command run again after a failure, a crash or
Ctrl-C does what is left. The run has a deadline (--deadline; by default the runbook's, from the
plan): waits stop at it, no AWS call is sent that could not end before it (operations.aws), and
the run ends with exit 4 and a report saying where it stopped. However it ends, `settled` sets its
outcome, exit code, message and next actions, and `run_data` gives the report's common part.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, Protocol, Self, TypeVar

from continuity.outputs import OutputsError, require_operations_bucket
from operations.aws import LONGEST_BACKOFF, Aws, describe_error, is_credentials_problem
from operations.clock import Clock, Deadline, Interrupted, format_seconds, poll_until
from operations.errors import BadInput, ExitCode, OperationsError, Refused, StepFailed
from operations.lock import Holder, LockState, OperationsLock, lock_key
from operations.progress import Progress
from operations.report import ALREADY_DONE, DONE, PLANNED, SKIPPED, StepRecord, Timeline, ending_data
from operations.stack_outputs import PulumiCli, config_set_command, last_line
from operations.tasks import Outcome, run_all

T = TypeVar("T")

# How a run can end.
DRY_RUN = "dry run"
REFUSED_OUTCOME = "refused"
FAILED_OUTCOME = "failed"
INTERRUPTED = "interrupted"

State = Callable[[str], None]  # progress: what a target is doing now
Did = Callable[[str], None]  # the report: a change made, in the past tense, as soon as it is made


@dataclass(frozen=True)
class RunbookOptions:
    dry_run: bool = False
    force: bool = False
    assume_yes: bool = False
    concurrent: bool = True  # False runs every step and target one after another (the benchmark)
    deadline_seconds: float | None = None  # None: the runbook's own, from the plan
    break_lock: bool = False


@dataclass(frozen=True)
class PlannedAction:
    step: str
    target: str
    text: str
    mutating: bool  # changes something (waits and checks do not)


class Verdict(Protocol):
    """A runbook's safety judgement, as the engine reads it."""

    @property
    def proceed(self) -> bool: ...

    @property
    def summary(self) -> str: ...

    @property
    def evidence(self) -> list[str]: ...


@dataclass(frozen=True)
class Step:
    """One acting step: ``act`` does its work, recording what it did on the step's record."""

    key: str
    act: Callable[[StepRecord], None]


@dataclass
class Context:
    """What steps act with: AWS, the clock, the run's deadline, the Pulumi CLI."""

    aws: Aws
    clock: Clock
    deadline: Deadline
    pulumi: PulumiCli
    poll_seconds: float
    concurrent: bool = True

    def wait(
        self,
        fetch: Callable[[], T],
        done: Callable[[T], bool],
        *,
        limit: float,
        what: str,
        describe: Callable[[T], str],
        state: State,
    ) -> T:
        """``poll_until`` within ``limit`` and the run's deadline; progress says how long it waits."""
        longest = format_seconds(max(0.0, min(limit, self.deadline.remaining())))
        return poll_until(
            fetch,
            done,
            clock=self.clock,
            timeout=limit,
            interval=self.poll_seconds,
            what=what,
            describe=describe,
            on_state=lambda text: state(f"{text} (waiting up to {longest})"),
            run_deadline=self.deadline,
        )

    def all(self, tasks: Mapping[str, Callable[[], T]]) -> dict[str, Outcome[T]]:
        return run_all(tasks, concurrent=self.concurrent, interrupt=self.clock.interrupt)


Confirm = Callable[[Any], bool]


@dataclass(kw_only=True)
class RunbookRun(ABC):
    """One run of a runbook. A runbook subclasses it with its inputs and findings, and says what
    the engine cannot know: its steps, its reads, its judgement, its phases, its outcome."""

    KIND: ClassVar[str]  # the report's name: promote_dr, failback
    ACTING: ClassVar[list[tuple[str, str]]]  # (key, title) of the steps after preflight and safety
    CHANGING: ClassVar[tuple[str, ...]]  # the steps whose actions change the environment
    OUTPUT: ClassVar[str] = "promotion"  # the output that names the operations bucket

    options: RunbookOptions
    command: str  # how to run it again (resume)
    timeline: Timeline
    started_at: datetime
    ended_at: datetime | None = None
    seconds: float | None = None
    outcome: str = "not started"
    exit_code: ExitCode = ExitCode.OK
    message: str = ""
    next_actions: list[str] = field(default_factory=list)
    plan: list[PlannedAction] = field(default_factory=list)
    safety: Any = None  # the runbook's Verdict
    deadline: Deadline | None = None
    lock: LockState | None = None
    concluded: bool = False  # preflight found nothing to do: the run ends there

    @classmethod
    def all_steps(cls) -> list[tuple[str, str]]:
        return [("preflight", "Preflight"), ("safety", "Safety"), *cls.ACTING]

    @classmethod
    def begin(cls, *, clock: Clock, progress: Progress, **fields: Any) -> Self:
        """A run of this runbook, its timeline started on ``clock``."""
        timeline = Timeline(cls.all_steps(), clock, progress)
        return cls(timeline=timeline, started_at=timeline.started_at, **fields)

    @property
    def steps(self) -> list[StepRecord]:
        return self.timeline.records()

    @property
    def changed(self) -> bool:
        return any(s.actions for s in self.steps if s.key in self.CHANGING)

    # -- what a runbook says
    @property
    @abstractmethod
    def service(self) -> str: ...

    @property
    @abstractmethod
    def lock_place(self) -> tuple[str, str | None]:
        """(the DR region, the operations bucket or None when the outputs name none)."""

    def input_problems(self) -> list[str]:
        """Why the inputs cannot drive the runbook at all (exit 2), before anything is read."""
        return []

    @abstractmethod
    def default_deadline(self) -> float: ...

    @abstractmethod
    def preflight(self, ctx: Context, rec: StepRecord) -> None:
        """Read where things stand, note it on ``rec``, set ``plan``; raise Refused, or call
        ``conclude`` when there is nothing to do."""

    @abstractmethod
    def judge(self, ctx: Context, rec: StepRecord) -> Verdict: ...

    @abstractmethod
    def phases(self, ctx: Context) -> list[list[Step]]: ...

    @abstractmethod
    def finish(self) -> None:
        """The outcome and message of a run whose every step succeeded."""

    def traffic_note(self) -> str | None:
        """Where traffic still goes when the run failed before moving it (a next action)."""
        return None

    # -- helpers for runbooks
    def conclude(self, outcome: str, message: str) -> None:
        """End the run after preflight: every later step skipped, exit 0."""
        for key, _ in self.all_steps()[1:]:
            self.timeline[key].outcome = SKIPPED
        self.outcome, self.exit_code, self.message = outcome, ExitCode.OK, message
        self.concluded = True


R = TypeVar("R", bound=RunbookRun)


def execute(
    run: R,
    *,
    aws: Aws,
    clock: Clock,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    poll_seconds: float,
) -> R:
    """Run a runbook (or plan it, with ``dry_run``). Refusals and failed steps end in the run's
    exit code and message, never raised; BadInput is raised for inputs that cannot drive it."""
    problems = run.input_problems()
    region, bucket = run.lock_place
    if bucket is None and not run.options.dry_run:
        try:
            require_operations_bucket(bucket, run.OUTPUT)
        except OutputsError as exc:
            problems.append(str(exc))
    if problems:
        raise BadInput("\n".join(problems))
    seconds = run.options.deadline_seconds or run.default_deadline()
    aws.scale_timeouts(seconds)
    # The last stretch is kept for releasing the lock: one attempt, after at most one backoff.
    run.deadline = Deadline(clock, seconds, reserve=aws.attempt_seconds + LONGEST_BACKOFF)
    aws.bound_by(run.deadline)
    ctx = Context(aws, clock, run.deadline, pulumi, poll_seconds, run.options.concurrent)
    with settled(run, clock):
        _preflight(run, ctx)
        if run.concluded:
            return run
        _safety(run, ctx, confirm)
        if run.options.dry_run:
            for key, _ in run.ACTING:
                run.timeline[key].outcome = PLANNED
            run.outcome, run.exit_code = DRY_RUN, ExitCode.OK
            run.message = "dry run: nothing was changed"
            return run
        with _locked(run, ctx, region, bucket):
            for phase in run.phases(ctx):
                _phase(run, phase, ctx)
            run.finish()
    return run


def _preflight(run: RunbookRun, ctx: Context) -> None:
    with run.timeline.step("preflight") as rec:
        try:
            run.preflight(ctx, rec)
        except StepFailed as exc:
            if exc.__cause__ is not None and is_credentials_problem(exc.__cause__):
                raise BadInput(f"AWS credentials: {describe_error(exc.__cause__)}") from None
            raise


def _safety(run: RunbookRun, ctx: Context, confirm: Confirm | None) -> None:
    with run.timeline.step("safety") as rec:
        verdict = run.judge(ctx, rec)
        run.safety = verdict
        rec.notes += [*verdict.evidence, verdict.summary]
        if not verdict.proceed:
            raise Refused(verdict.summary)
        options = run.options
        if not options.dry_run and not options.assume_yes and any(a.mutating for a in run.plan):
            if confirm is None:
                raise Refused("no terminal to confirm on; run again with --yes to confirm")
            with run.timeline.progress.paused():
                confirmed = confirm(run)
            if not confirmed:
                raise Refused("not confirmed by the operator")
            rec.actions.append("confirmed by the operator")


@contextmanager
def _locked(run: RunbookRun, ctx: Context, region: str, bucket: str | None) -> Iterator[None]:
    """Hold the operations lock while a plan that changes something is carried out."""
    if bucket is None or not any(a.mutating for a in run.plan):
        yield
        return
    lock = OperationsLock(ctx.aws.client("s3", region), bucket, lock_key(run.service), ctx.clock)
    holder = Holder.me(run.KIND, run.command, ctx.clock.now(), ctx.deadline.seconds)
    run.lock = lock.acquire(holder, deadline_seconds=ctx.deadline.seconds, break_lock=run.options.break_lock)
    if run.lock.taken_over:
        run.timeline.progress.note(f"operations lock {lock.where}: {run.lock.taken_over}")
    try:
        yield
    finally:
        lock.release(run.lock)
        if run.lock.release_error:
            run.next_actions.append(f"operations lock {lock.where}: {run.lock.release_error}")


def _phase(run: RunbookRun, phase: Sequence[Step], ctx: Context) -> None:
    if len(phase) == 1:
        _act(run, phase[0])
        return
    results = ctx.all({step.key: partial(_act, run, step) for step in phase})
    failures = [(key, o.error) for key, o in results.items() if o.error is not None]
    for _, error in failures:
        if isinstance(error, Interrupted | KeyboardInterrupt):
            raise error
    if failures:
        raise StepFailed(
            "; ".join(f"step {run.timeline[key].label} failed: {message(error)}" for key, error in failures)
        )


def _act(run: RunbookRun, step: Step) -> None:
    with run.timeline.step(step.key) as rec:
        try:
            step.act(rec)
        except (OperationsError, Interrupted, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise StepFailed(describe_error(exc)) from exc


def message(error: BaseException) -> str:
    return str(error) if isinstance(error, StepFailed) else describe_error(error)


def raise_failures(outcomes: Mapping[str, Outcome[Any]]) -> None:
    """Fail a step whose targets ran at once, naming every target that failed (Ctrl-C first)."""
    errors = []
    for name, outcome in outcomes.items():
        if outcome.error is None:
            continue
        if isinstance(outcome.error, Interrupted | KeyboardInterrupt):
            raise outcome.error
        errors.append(f"{name}: {message(outcome.error)}")
    if errors:
        raise StepFailed("; ".join(errors))


def each(rec: StepRecord, ctx: Context, tasks: Mapping[str, Callable[[], T]]) -> dict[str, Outcome[T]]:
    """Run a step's targets at once; the step is done, already done (no action) or skipped (no
    targets), or fails naming each target that failed."""
    outcomes = ctx.all(tasks)
    raise_failures(outcomes)
    if not outcomes:
        rec.outcome = SKIPPED
        rec.notes.append("nothing to do")
    else:
        rec.outcome = DONE if rec.actions else ALREADY_DONE
    return outcomes


# ---------------------------------------------------------------------------------------------
# The record step: the DR stack's `promoted` config (failover: true, failback: false)

PROMOTED_KEY = "promoted"  # the DR stack's config key (continuity/stack_config.py)


@dataclass(frozen=True)
class RecordResult:
    done: bool  # the config was written (or already said so)
    actions: list[str]
    notes: list[str]


def record_promoted(stack: str, pulumi: PulumiCli, value: str, ctx: Context | None = None) -> RecordResult:
    """Set the DR stack's ``promoted`` config, within what is left of the run's deadline."""
    command = config_set_command(stack, PROMOTED_KEY, value)
    if not pulumi.available:
        return RecordResult(False, [], [f"the Pulumi CLI is not on PATH: run `{command}`"])
    cli = pulumi
    if ctx is not None:
        cli = copy.copy(pulumi)
        cli.timeout = max(1.0, min(pulumi.timeout, ctx.deadline.remaining()))
    result = cli.config_set(stack, PROMOTED_KEY, value)
    if result.returncode != 0:
        raise StepFailed(
            f"`{command}` failed: {last_line(result.stderr)}; run it when the state backend is reachable"
        )
    return RecordResult(True, [f"set {PROMOTED_KEY}={value} in the config of stack {stack}"], [])


# ---------------------------------------------------------------------------------------------
# However a run ends


@contextmanager
def settled(run: RunbookRun, clock: Clock) -> Iterator[None]:
    """End a run however its steps end: a refusal changed nothing, a failed step, a deadline or
    Ctrl-C says how to resume (and where traffic still goes); its times are set in every case."""
    try:
        yield
    except Refused as exc:
        run.outcome, run.exit_code = REFUSED_OUTCOME, ExitCode.REFUSED
        run.message = ("dry run: would refuse: " if run.options.dry_run else "refused: ") + str(exc)
        run.next_actions.insert(0, "nothing was changed")
    except StepFailed as exc:
        run.outcome, run.exit_code = FAILED_OUTCOME, ExitCode.STEP_FAILED
        run.message = str(exc)
        resume = [f"fix the cause above, then run again to resume: {run.command}"]
        if run.deadline is not None and run.deadline.hit:
            resume = [
                f"the run's deadline ({run.deadline.describe()}) passed: run again to resume "
                f"(--deadline to allow more time): {run.command}"
            ]
        if (note := run.traffic_note()) is not None:
            resume.append(note)
        run.next_actions[:0] = resume
    except (KeyboardInterrupt, Interrupted):
        run.outcome, run.exit_code = INTERRUPTED, ExitCode.INTERRUPTED
        run.message = "interrupted"
        run.next_actions.insert(0, f"run again to resume: {run.command}")
    finally:
        run.ended_at = clock.now()
        run.seconds = run.timeline.elapsed()


# ---------------------------------------------------------------------------------------------
# The report's common part


def run_data(
    run: RunbookRun, *, report: str, fmt: int, mode: str, safety: dict[str, Any] | None
) -> dict[str, Any]:
    """What every runbook's JSON report starts with; the runbook adds its own sections."""
    return {
        "report": report,
        "format": fmt,
        "mode": mode,
        "command": run.command,
        **ending_data(run),
        "safety": safety,
        "deadline_seconds": None if run.deadline is None else run.deadline.seconds,
        "lock": None if run.lock is None else run.lock.as_data(),
        "steps": [s.as_data() for s in run.steps],
        "plan": [
            {"step": a.step, "target": a.target, "action": a.text, "changes_aws": a.mutating}
            for a in run.plan
        ],
    }


def plan_text(run: RunbookRun, title: str) -> str:
    """The plan of actions, as printed for a dry run and before the confirmation prompt."""
    width = max(len(key) for key, _ in run.all_steps())
    lines = [title]
    lines += [f"  {run.timeline[a.step].number} {a.step:<{width}} {a.text}" for a in run.plan]
    if run.safety is not None:
        lines.append(f"Safety: {run.safety.summary}")
    return "\n".join(lines)


def lock_markdown(data: dict[str, Any]) -> list[str]:
    """The report's lock section (empty when the run took no lock)."""
    lock = data.get("lock")
    if not lock:
        return []
    lines = [
        "## Operations lock",
        "",
        f"- s3://{lock['bucket']}/{lock['key']}, held by {lock['holder']} from {lock['acquired_at'] or '-'} "
        f"to {lock['released_at'] or '-'}",
    ]
    if lock["taken_over"]:
        lines.append(f"- {lock['taken_over']}")
    if lock["release_error"]:
        lines.append(f"- **{lock['release_error']}**")
    return [*lines, ""]
