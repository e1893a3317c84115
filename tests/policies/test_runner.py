"""The offline checker's fast path (offline/policy_check.py) reports exactly what the SDK's own
analyzer reports when driven over protobuf as the CLI drives it (tests/policies/engine.py): the
same violations in the same order, the same not-applicable results, for every example plan's
stacks, a first preview's unknowns, the CLI's own documents, and configured levels."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format
from pulumi_policy.deserialize import deserialize_properties

from offline.policy_check import UNKNOWN, LazyProperties, PolicyConfig, configuration, evaluate
from offline.stack_state import ResourceState, read_json, states_from_preview, states_from_stack_export
from tests.conftest import ALL_PLANS, DEFAULT_PLAN, ROOT
from tests.policies import engine
from tests.policies.conftest import pack, plan_at
from tests.policies.synthetic import changed as set_prop
from tests.policies.synthetic import stack_states

FIXTURES = ROOT / "tests" / "policies" / "fixtures"


def cases() -> list:
    found = []
    for plan in ALL_PLANS:
        for role in ("primary", "dr"):
            for preview in (False, True):
                found.append(
                    pytest.param(
                        plan,
                        stack_states(plan_at(plan), role, preview=preview),
                        id=f"{plan.stem}-{role}-{'preview' if preview else 'state'}",
                    )
                )
    found.append(
        pytest.param(
            DEFAULT_PLAN,
            states_from_stack_export(read_json(FIXTURES / "stack-export-primary.json"), "export"),
            id="export-fixture",
        )
    )
    found.append(
        pytest.param(
            DEFAULT_PLAN,
            states_from_preview(read_json(FIXTURES / "preview-dr.json"), "preview"),
            id="preview-fixture",
        )
    )
    return found


def same_as_the_sdk(plan: Path | None, states: list[ResourceState], file_config: dict | None = None) -> None:
    configs = configuration(pack(), plan, file_config)
    fast = evaluate(pack(), configs, states)
    violations, set_aside = engine.analyze(pack(), configs, states)
    assert fast.violations == violations
    assert [(n.policy, n.urn, n.reason) for n in fast.set_aside] == set_aside


@pytest.mark.parametrize(("plan", "states"), cases())
def test_fast_path__same_result_as_the_sdk_over_protobuf(plan: Path, states: list[ResourceState]) -> None:
    # GIVEN a stack as it is, and with its last tagged resource's tags unknown (a stack policy
    # stops at the first unknown it reads)  THEN both paths report the same
    same_as_the_sdk(plan, states)
    last = next(s for s in reversed(states) if s.inputs.get("tags"))
    same_as_the_sdk(plan, set_prop(states, last.name, "tags", UNKNOWN))


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"all": PolicyConfig("disabled", None)}, id="all_disabled"),
        pytest.param({"all": PolicyConfig("remediate", None)}, id="all_remediate"),
        pytest.param({"rds-instance-enable-multi-az": PolicyConfig("mandatory", None)}, id="one_raised"),
    ],
)
def test_fast_path__same_levels_as_the_sdk(config: dict) -> None:
    states = set_prop(stack_states(plan_at(DEFAULT_PLAN), "primary"), "orders-database-db", "multiAz", False)
    same_as_the_sdk(DEFAULT_PLAN, states, config)


def test_lazy_properties__what_the_sdk_builds_from_protobuf() -> None:
    # GIVEN properties with ints, a nested list, a secret and an internal key
    raw = {
        "count": 3,
        "flag": True,
        "nested": [{"n": 1, "s": "x"}],
        "secret": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": 5},
        "__internal": "skipped",
    }
    expected = deserialize_properties(json_format.MessageToDict(engine.to_struct(raw)))
    lazy = LazyProperties(raw)
    # THEN the lazy view reads as the SDK's: numbers as floats, the secret unwrapped, no internal key
    assert dict(lazy) == {k: lazy[k] for k in expected}
    assert sorted(lazy) == sorted(expected)
    assert (lazy["count"], lazy["flag"], lazy["secret"]) == (3.0, True, 5.0)
    assert isinstance(lazy["count"], float)
    assert lazy["nested"][0]["n"] == 1.0
