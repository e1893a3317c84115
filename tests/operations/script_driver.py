"""Run scripts the way a shell does, several times each, from one process: for test_scripts_cli.py.

    python tests/operations/script_driver.py CASES_JSON   # {"scripts/NAME.py": [case, ...], ...}

Imports every script once (their imports are most of a start-up), then forks a child per case, each
with the case's arguments as ``sys.argv`` and real file descriptors: stdout a pipe the driver
reads, or, for a case with ``"closed": true``, a pipe whose every reader has gone before the child
writes (``| head``, at its most abrupt). The child runs the script's ``__main__`` path
(``run_script(main)``) to the end, interpreter exit included, so what Python prints at exit counts
too. Prints one JSON line: per script, per case, the exit status, stdout and stderr.
"""

from __future__ import annotations

import gc
import json
import os
import runpy
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _child(script: str, argv: list[str], stdout_fd: int, stderr_fd: int, *, whole_exit: bool) -> None:
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    sys.argv = [script, *argv]
    try:
        # As `python scripts/NAME.py`: the script's own __main__ block runs run_script(main).
        runpy.run_path(script, run_name="__main__")
        code: int = 0  # a script without a __main__ block would end here
    except SystemExit as done:
        if whole_exit:
            raise  # through the interpreter's own exit, which flushes stdout once more
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Tearing down an interpreter that imported every script costs more than the case itself;
    # only a closed pipe needs the real exit (its last flush), so the others end here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_case(script: str, case: dict[str, Any]) -> dict[str, Any]:
    read_out, write_out = os.pipe()
    with tempfile.TemporaryFile() as err:
        if case.get("closed"):
            os.close(read_out)  # every reader gone: the first write gets EPIPE
        pid = os.fork()
        if pid == 0:  # the child: its SystemExit ends the child's interpreter, as a script's would
            if not case.get("closed"):
                os.close(read_out)
            _child(script, case["argv"], write_out, err.fileno(), whole_exit=bool(case.get("closed")))
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
    cases: dict[str, list[dict[str, Any]]] = json.loads(sys.argv[1])
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    # The scripts' imports, paid once before the forks, then frozen: the children's collections
    # and exits need not walk them.
    for script in cases:
        runpy.run_path(script, run_name="script_driver_import")
    gc.freeze()
    results = {
        script: [run_case(script, case) for case in script_cases] for script, script_cases in cases.items()
    }
    sys.stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
