"""The real program's stacks pass the whole pack: both stacks of the default plan and of every example
plan, through the same path as `scripts/check_policies.py --stack` (offline.program under mocks).

The other policy tests pin the pack against the stack specification (tests/policies/synthetic.py);
this one pins the program against the pack, so a component that drifts from the plan fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.program import run_program
from scripts.check_policies import check, main, states_from_run
from tests.conftest import ALL_PLANS, stack_overrides
from tests.policies.conftest import pack


def violations(states: list, plan: Path) -> list[str]:
    """Every violation, advisory ones included: the program follows good practice too."""
    result = check(states, plan, None, pack())
    return [f"{v.enforcement} {v.policy} {v.urn}: {v.message}" for v in result.violations]


@pytest.mark.parametrize("plan", ALL_PLANS, ids=[p.stem for p in ALL_PLANS])
def test_stacks_pass_the_pack(plan: Path) -> None:
    # GIVEN the program run for the primary, the DR stack, and the DR stack after a failover
    # (the replica promoted: retention and Multi-AZ now apply)  WHEN the whole pack judges each
    # THEN nothing is found
    overrides = stack_overrides(plan)
    primary = run_program("primary", plan, config_overrides=overrides)
    assert violations(states_from_run(primary), plan) == []
    dr = run_program("dr", plan, primary_outputs=primary.outputs, config_overrides=overrides)
    assert violations(states_from_run(dr), plan) == []
    promoted = run_program(
        "dr", plan, primary_outputs=primary.outputs, config_overrides={**overrides, "continuity:promoted": "true"}
    )
    assert violations(states_from_run(promoted), plan) == []


def test_check_policies_stack_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the DR stack of the default plan  WHEN checked the way the workflow does  THEN exit 0
    assert main(["--stack", "dr", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["mandatory"] == 0
    assert report["summary"]["source"] == "stack dr"
