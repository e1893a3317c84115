"""What every operational script's command line shares: the outputs arguments, the exit-code
edge, asking an operator for confirmation, and presenting a runbook's run.

`run_cli` is the edge where typed errors become one line on stderr and an exit code, so no
script prints a traceback for bad input, a refusal or Ctrl-C. `run_script` makes the standard
streams safe to lose: a reader that goes away (``| head``, a closed terminal) must never stop a
failover half way, so writes to a closed pipe are dropped and the run goes on to its end and its
exit status.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TextIO

from continuity import __version__
from operations.errors import BadInput, ExitCode, OperationsError
from operations.report import write_report
from operations.runbook import DRY_RUN


class ScriptParser(argparse.ArgumentParser):
    """argparse, with a bad command line reported as one line (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(int(ExitCode.BAD_INPUT), f"{self.prog}: {message}\n")


def script_parser(prog: str, doc: str | None) -> ScriptParser:
    """The parser every script starts from: ``--help`` shows the module docstring whole (usage,
    exit codes, an example) and ``--version`` the project's version."""
    parser = ScriptParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


class GuardedStream(io.TextIOBase):
    """A text stream whose reader may go away: once a write fails (a closed pipe, a terminal that
    is gone), the rest is dropped instead of raised into the work that printed it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self.stream.write(text)
            except (OSError, ValueError):  # BrokenPipeError; ValueError: I/O on a closed file
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self.broken = True

    def isatty(self) -> bool:
        try:
            return not self.broken and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.stream, "encoding", "utf-8"))


def guarded(stream: TextIO) -> TextIO:
    """``stream`` behind a `GuardedStream` (once)."""
    return stream if isinstance(stream, GuardedStream) else GuardedStream(stream)  # type: ignore[return-value]


def run_script(main: Callable[[], int]) -> NoReturn:
    """``sys.exit(main())`` for a script's ``__main__``, surviving a reader that closes the pipe
    early (``| head``): what is left of the output goes nowhere, the work goes on, the exit status
    is the work's, and there is no traceback."""
    out, err = GuardedStream(sys.stdout), GuardedStream(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        status = main()
    except BrokenPipeError:  # a write that bypassed the guard (a library holding the raw stream)
        out.broken, status = True, 0
    out.flush()
    err.flush()
    for stream in (out, err):
        if stream.broken:
            # Python flushes the real stream again at exit; point it at /dev/null so that flush
            # cannot fail too.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
    sys.exit(status)


def add_outputs_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--stack",
        metavar="NAME",
        help="read the DR stack's outputs with the Pulumi CLI (pulumi stack output)",
    )
    source.add_argument(
        "--outputs",
        metavar="FILE",
        help="read a saved `pulumi stack output --json --show-secrets` (when the backend is unreachable)",
    )


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """``--config KEY=VALUE`` (repeatable), as check_policies.py takes it; offline.stack_state's
    ``config_overrides`` reads the pairs."""
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="stack config beyond Pulumi.<stack>.yaml, as `pulumi config set` takes it; a key without "
        "a namespace is the project's (e.g. eksClusterName=orders, aws:region=eu-west-1); repeatable",
    )


def add_report_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """``--report FILE`` and ``--json``, as every operational script takes them."""
    parser.add_argument(
        "--report",
        metavar="FILE",
        help=f"the JSON report (Markdown beside it); default reports/{name}-<stack>-<time>.json",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")


def run_cli(main: Callable[[], int], prog: str, stderr: TextIO | None = None) -> int:
    """Run a script's main; typed errors become ``<prog>: <message>`` lines and their exit code."""
    err = stderr if stderr is not None else sys.stderr
    try:
        return main()
    except OperationsError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"{prog}: {line}", file=err)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; run the same command again to resume", file=err)
        return int(ExitCode.INTERRUPTED)


def interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def ask(prompt: str, stdin: TextIO, stderr: TextIO) -> str:
    """One line typed by the operator ('' on end of input)."""
    stderr.write(prompt)
    stderr.flush()
    line = stdin.readline()
    return line.strip()


def rerun_command(script: str, argv: Sequence[str]) -> str:
    """The command that runs the script again with the same arguments (how to resume)."""
    return shlex.join(["python", script, *argv])


def default_report_path(kind: str, stack: str, started_at: datetime) -> str:
    """``reports/<kind>-<stack>-<UTC time>.json`` (reports/ is ignored by git)."""
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    return f"reports/{kind}-{stack.replace('/', '-')}-{stamp}.json"


def save_report(
    data: dict[str, Any], markdown: str, target: str, prog: str, stderr: TextIO
) -> tuple[str, str] | None:
    """Write the JSON report and its Markdown page; a report that cannot be written is one line on
    stderr, never the end of the run (what happened in AWS matters more than the file)."""
    try:
        json_path, md_path = write_report(data, markdown, target)
    except OSError as exc:
        print(f"{prog}: could not write the report to {target}: {exc.strerror or exc}", file=stderr)
        return None
    return str(json_path), str(md_path)


def parse_moment(text: str, flag: str) -> datetime:
    """An ISO 8601 time (``2026-11-23T09:00:00Z``); without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{flag} {text}: not an ISO 8601 time (like 2026-11-23T09:00:00Z)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Runbooks (promote_dr, failback): the flags they share, and presenting a run

# Below this a deadline leaves no time for work: each AWS call may take a fifth of the deadline
# (operations.aws.client_config) and the last stretch is kept for releasing the operations lock.
DEADLINE_MIN = 10.0
_DEADLINE = re.compile(r"^([1-9][0-9]{0,6})([smh])$")
_UNIT = {"s": 1, "m": 60, "h": 3600}


def parse_deadline(text: str) -> float:
    """``--deadline``: ``90s``, ``45m``, ``2h``; at least 10 seconds."""
    match = _DEADLINE.match(text.strip())
    if match is None:
        raise BadInput(f"--deadline {text}: expected a duration like 90s, 45m or 2h")
    seconds = float(int(match.group(1)) * _UNIT[match.group(2)])
    if seconds < DEADLINE_MIN:
        raise BadInput(
            f"--deadline {text}: at least {DEADLINE_MIN:.0f}s (an AWS call and releasing the lock need that)"
        )
    return seconds


def add_runbook_arguments(parser: argparse.ArgumentParser, name: str, *, force: str) -> None:
    """--dry-run, --force, --yes, --deadline, --break-lock, --report and --json."""
    parser.add_argument("--dry-run", action="store_true", help="print the plan of actions; change nothing")
    parser.add_argument("--force", action="store_true", help=force)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_lock_arguments(parser)
    add_report_arguments(parser, name)


def add_lock_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deadline",
        metavar="DURATION",
        help="end the run by then (90s, 45m, 2h; at least 10s), exit 4 with a report to resume from; "
        "default: the longest RTO of the plan's tiers involved",
    )
    parser.add_argument(
        "--break-lock",
        action="store_true",
        help="take over the operations lock from a run that is gone, once the lock is older than this "
        "run's deadline (recorded in the report)",
    )


@dataclass(frozen=True)
class RunbookPresenter:
    """How a runbook's run becomes a report and the lines an operator reads."""

    prog: str
    kind: str  # the report file's prefix: promote-dr, failback
    data: Callable[[Any], dict[str, Any]]
    markdown: Callable[[dict[str, Any]], str]
    plan_text: Callable[[Any], str]
    summary_lines: Callable[[dict[str, Any]], list[str]]


def present(
    run: Any,
    presenter: RunbookPresenter,
    *,
    stack: str,
    report: str | None,
    as_json: bool,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Write the report (a dry run only when asked), print the plan of a dry run, the summary
    (its first line on stderr when the run did not succeed) and, with --json, the report."""
    human = stderr if as_json else stdout
    data = presenter.data(run)
    paths = None
    if report or run.outcome != DRY_RUN:
        target = report or default_report_path(presenter.kind, stack, run.started_at)
        paths = save_report(data, presenter.markdown(data), target, presenter.prog, stderr)
    if run.options.dry_run and run.plan:
        print(presenter.plan_text(run), file=human)
    first, *rest = presenter.summary_lines(data)
    if run.exit_code == ExitCode.OK:
        print(first, file=human)
    else:
        print(f"{presenter.prog}: {first}", file=stderr)
    if rest:
        print("\n".join(rest), file=human)
    if paths is not None:
        print(f"Report: {paths[0]} and {paths[1]}", file=human)
    if as_json:
        print(json.dumps(data, indent=2), file=stdout)
    return int(run.exit_code)


def confirm_by_name(
    plan_text: Callable[[Any], str], service: str, question: str, stdin: TextIO, stderr: TextIO
) -> Callable[[Any], bool]:
    """Show the plan, then ask the operator to type the service's name: ``question`` is what it
    is asked for ('Type the service name "orders" to fail over to us-west-2: ')."""

    def confirm(run: Any) -> bool:
        stderr.write(plan_text(run) + "\n")
        return ask(question.format(service=f'"{service}"') + ": ", stdin, stderr) == service

    return confirm
