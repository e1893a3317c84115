"""The policy pack, loaded once per test process the way offline/policy_check.py loads it, and
a helper that checks a stack and returns one policy's violations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from continuity.plan import Plan, load_plan
from offline.policy_check import Result, check, load_pack
from offline.stack_state import ResourceState
from tests.conftest import DEFAULT_PLAN, ROOT

EXAMPLES = ROOT / "examples" / "plans"

Check = Callable[..., list[tuple[str, str]]]


@cache
def pack() -> Any:
    return load_pack()


@cache
def plan_at(path: Path) -> Plan:
    return load_plan(path)


def run(states: Sequence[ResourceState], plan: Path = DEFAULT_PLAN, config: Any = None) -> Result:
    return check(states, plan, config, pack())


def violations_of(
    policy: str, states: Sequence[ResourceState], plan: Path = DEFAULT_PLAN
) -> list[tuple[str, str]]:
    """(urn, message) of every violation ``policy`` reports on ``states``."""
    return [(v.urn, v.message) for v in run(states, plan).violations if v.policy == policy]


@pytest.fixture
def violations() -> Check:
    return violations_of
