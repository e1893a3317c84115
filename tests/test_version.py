"""The version scripts print with --version is the project's own."""

import tomllib
from pathlib import Path

from continuity import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_version_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert __version__ == project["version"]
