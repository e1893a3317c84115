"""scripts/ holds command lines, and only command lines: no library, benchmark or other script imports
from it. What a script does lives in a module of its own (offline/, operations/, continuity/) that the
script parses arguments for and prints. A test of a script may import that script's ``main``, the
command line it tests, and nothing else from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

SKIPPED = {"venv", ".git", ".rehearsal", "build", "node_modules"}


def python_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts) and "venv" not in path.relative_to(ROOT).parts
    )


def _from_scripts(module: str | None) -> bool:
    return module is not None and (module == "scripts" or module.startswith("scripts."))


def imports_from_scripts(source: str, relative: Path) -> list[str]:
    """Each import of scripts/ in the module at ``relative`` (to the repository) that its place
    does not allow, as ``file:line: import``."""
    in_tests = relative.parts[0] == "tests"
    found = []
    for node in ast.walk(ast.parse(source, str(relative))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if _from_scripts(alias.name)]
            found += [f"{relative}:{node.lineno}: import {name}" for name in names]
        elif isinstance(node, ast.ImportFrom) and _from_scripts(node.module):
            imported = [alias.name for alias in node.names]
            if in_tests and node.module != "scripts" and imported == ["main"]:
                continue
            found.append(f"{relative}:{node.lineno}: from {node.module} import {', '.join(imported)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and _from_scripts(str(node.args[0].value))
        ):
            found.append(f"{relative}:{node.lineno}: import_module({node.args[0].value!r})")
    return found


def test_nothing_imports_from_scripts() -> None:
    found = [
        line
        for path in python_files()
        for line in imports_from_scripts(path.read_text(encoding="utf-8"), path.relative_to(ROOT))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        pytest.param(
            "offline/rehearsal.py",
            "from scripts.check_policies import check, load_pack\n",
            ["offline/rehearsal.py:1: from scripts.check_policies import check, load_pack"],
            id="library_imports_a_scripts_helpers",
        ),
        pytest.param(
            "benchmarks/policy_check.py",
            "import scripts.check_policies\n",
            ["benchmarks/policy_check.py:1: import scripts.check_policies"],
            id="benchmark_imports_a_script",
        ),
        pytest.param(
            "scripts/rehearse.py",
            "import importlib\nimportlib.import_module('scripts.check_policies')\n",
            ["scripts/rehearse.py:2: import_module('scripts.check_policies')"],
            id="script_loads_another",
        ),
        pytest.param(
            "tests/policies/test_x.py",
            "from scripts.check_policies import InputError, main\n",
            ["tests/policies/test_x.py:1: from scripts.check_policies import InputError, main"],
            id="test_imports_more_than_main",
        ),
        pytest.param(
            "tests/policies/test_x.py", "from scripts.check_policies import main\n", [], id="test_of_main"
        ),
    ],
)
def test_the_rule_sees_what_it_forbids(where: str, source: str, expected: list[str]) -> None:
    assert imports_from_scripts(source, Path(where)) == expected
