"""What every operational script's command line shares: the outputs arguments, the exit-code
edge, and asking an operator for confirmation.

`run_cli` is the edge where typed errors become one line on stderr and an exit code, so no
script prints a traceback for bad input, a refusal or Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TextIO

from continuity import __version__
from operations.errors import BadInput, ExitCode, OperationsError
from operations.report import write_report


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


def run_script(main: Callable[[], int]) -> NoReturn:
    """``sys.exit(main())`` for a script's ``__main__``, surviving a reader that closes the pipe
    early (``| head``): what is left of the output goes nowhere, and there is no traceback."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 0
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
