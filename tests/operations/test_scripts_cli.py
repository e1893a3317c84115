"""Every script's command line, as a shell runs it: ``--help`` shows the whole description with its
exit codes and an example, ``--version`` the project's version, and ``| head`` (a reader gone
before the script writes) costs no traceback and does not change the exit status. One process per
script and case, all forked from one driver that imports every script once
(tests/operations/script_driver.py).
scripts/check_policies.py, another engineer's, is left to its own tests."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from typing import Any

import pytest

from continuity import __version__
from tests.conftest import DEFAULT_PLAN, ROOT

DRIVER = ROOT / "tests" / "operations" / "script_driver.py"
# Each script, and one command whose real output is cut by `| head` (besides --help).
SCRIPTS: dict[str, list[str] | None] = {
    "promote_dr.py": ["--outputs", "no-such-outputs.json", "--dry-run"],
    "failback.py": None,
    "dr_drill.py": None,
    "dr_readiness.py": None,
    "restore_test.py": None,
    "validate_plan.py": [str(DEFAULT_PLAN)],
    "preview.py": None,
    "rehearse.py": None,
}


def docstring(script: str) -> str:
    tree = ast.parse((ROOT / "scripts" / script).read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree, clean=False)
    assert doc is not None, script
    return doc


def cases(script: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"argv": ["--help"]},
        {"argv": ["--version"]},
        {"argv": ["--help"], "closed": True},
    ]
    real = SCRIPTS[script]
    if real is not None:
        found += [{"argv": real}, {"argv": real, "closed": True}]
    return found


@pytest.fixture(scope="module")
def ran() -> dict[str, list[dict[str, Any]]]:
    """Every case of every script, each in a process of its own forked from one driver."""
    done = subprocess.run(
        [sys.executable, str(DRIVER), json.dumps({f"scripts/{s}": cases(s) for s in SCRIPTS})],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert isinstance(results, dict)
    return {script.removeprefix("scripts/"): found for script, found in results.items()}


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_help_version_and_a_closed_pipe(ran: dict[str, list[dict[str, Any]]], script: str) -> None:
    results = ran[script]
    real = SCRIPTS[script]
    help_, version, closed = results[:3]
    # --help: the module docstring whole (usage, what it does, exit codes, an example)
    assert help_["status"] == 0, help_["stderr"]
    doc = docstring(script)
    assert doc.strip() in help_["stdout"]
    assert "Exit status:" in doc
    assert "Example:" in doc
    assert f"python scripts/{script}" in doc.split("Example:", 1)[1]
    # --version
    assert (version["status"], version["stdout"], version["stderr"]) == (0, f"{script} {__version__}\n", "")
    # | head: nothing on stderr (no traceback, no "Exception ignored"), the status unchanged
    assert (closed["status"], closed["stderr"]) == (0, "")
    if real is not None:
        whole, cut = results[3:]
        assert cut["status"] == whole["status"]
        assert "Traceback" not in cut["stderr"]
        assert "Exception ignored" not in cut["stderr"]
        assert cut["stderr"] == whole["stderr"]
