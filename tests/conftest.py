"""Shared fixtures: plan documents and files, fake AWS credentials."""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLAN = ROOT / "continuity-plan.yaml"
EXAMPLE_PLANS = sorted((ROOT / "examples" / "plans").glob("*.yaml"))
ALL_PLANS = [DEFAULT_PLAN, *EXAMPLE_PLANS]
DELETE = object()


def plan_document(path: Path = DEFAULT_PLAN) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with the dotted ``path`` set to ``value`` (or removed)."""
    result = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = result
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return result


def write_plan(directory: Path, document: dict[str, Any], name: str = "plan.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so no test can reach a real account, whatever the machine has."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def stack_overrides(path: Path) -> dict[str, str]:
    """Stack config a plan needs beyond the repository's stack files: a plan that runs in
    Kubernetes names its cluster (here an EKS cluster named for the service)."""
    document = plan_document(path)
    in_cluster = any(
        s.get("compute") == "kubernetes" for s in (document.get("services") or {}).values()
    ) or any(d.get("store") == "kubernetes" for d in (document.get("data") or {}).values())
    return {"continuity:eksClusterName": str(document["service"])} if in_cluster else {}


def pytest_configure(config: pytest.Config) -> None:
    """The session's directory for program runs shared across xdist's processes
    (tests/stack_runs.py); made by the controlling process before its workers start, so they inherit it."""
    if hasattr(config, "workerinput") or os.environ.get("CONTINUITY_TEST_SHARED_RUNS"):
        return
    directory = tempfile.mkdtemp(prefix="continuity-runs-")
    os.environ["CONTINUITY_TEST_SHARED_RUNS"] = directory
    config.stash[_SHARED_RUNS_DIR] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = config.stash.get(_SHARED_RUNS_DIR, None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
        os.environ.pop("CONTINUITY_TEST_SHARED_RUNS", None)


_SHARED_RUNS_DIR = pytest.StashKey[str]()


# The files that take longest, handed to xdist's workers first (loadfile sends whole files in
# collection order): last, one of them would keep a worker busy while the other waits.
LONGEST_FIRST = (
    "tests/rehearsal/",
    "tests/operations/test_under_fire.py",
    "tests/offline/test_plans_deploy.py",
    "tests/operations/test_toolkit_process.py",
    "tests/components/test_stacks.py",
    "tests/operations/test_failback.py",
    "tests/operations/test_promote_dr.py",
    "tests/components/test_deploys_on_aws.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = Path(str(item.path)).relative_to(ROOT).as_posix()
        return next(
            (i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)), len(LONGEST_FIRST)
        )

    items.sort(key=rank)
