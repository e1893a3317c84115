"""What every operational script's command line shares: the outputs arguments, the exit-code
edge, and asking an operator for confirmation.

`run_cli` is the edge where typed errors become one line on stderr and an exit code, so no
script prints a traceback for bad input, a refusal or Ctrl-C.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from operations.errors import ExitCode, OperationsError


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
