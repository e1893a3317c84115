"""Run one script the way a shell does, several times, in one process: for test_scripts_cli.py.

    python tests/operations/script_driver.py scripts/NAME.py CASE_JSON

Imports the script once (its imports are most of a start-up), then forks a child per case, each
with the case's arguments as ``sys.argv`` and real file descriptors: stdout a pipe the driver
reads, or, for a case with ``"closed": true``, a pipe whose every reader has gone before the child
writes (``| head``, at its most abrupt). The child runs the script's ``__main__`` path
(``run_script(main)``) to the end, interpreter exit included, so what Python prints at exit counts
too. Prints one JSON line: per case, the exit status, stdout and stderr.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _child(script: str, argv: list[str], stdout_fd: int, stderr_fd: int) -> None:
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    sys.argv = [script, *argv]
    # As `python scripts/NAME.py`: the script's own __main__ block runs run_script(main).
    runpy.run_path(script, run_name="__main__")
    sys.exit(0)  # a script without a __main__ block would end here


def run_case(script: str, case: dict[str, Any]) -> dict[str, Any]:
    read_out, write_out = os.pipe()
    with tempfile.TemporaryFile() as err:
        if case.get("closed"):
            os.close(read_out)  # every reader gone: the first write gets EPIPE
        pid = os.fork()
        if pid == 0:  # the child: its SystemExit ends the child's interpreter, as a script's would
            if not case.get("closed"):
                os.close(read_out)
            _child(script, case["argv"], write_out, err.fileno())
        os.close(write_out)
        out = b""
        if not case.get("closed"):
            with os.fdopen(read_out, "rb") as reader:
                out = reader.read()
        _, status = os.waitpid(pid, 0)
        err.seek(0)
        return {
            "argv": case["argv"],
            "status": os.waitstatus_to_exitcode(status),
            "stdout": out.decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def main() -> None:
    script, cases = sys.argv[1], json.loads(sys.argv[2])
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    # The script's imports, paid once before the forks.
    runpy.run_path(script, run_name="script_driver_import")
    results = [run_case(script, case) for case in cases]
    sys.stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
