"""The DR stack's operator role names what the drill's experiments and the incident update touch:
the stack's own FIS templates and alarm topic, not any of the account's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALL_PLANS
from tests.stack_runs import stack_runs


def statements(path: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for policy in stack_runs(path).dr.of_type("aws:iam/policy:Policy"):
        document = policy.plain_inputs().get("policy")
        if isinstance(document, str) and '"Sid"' in document:
            found.update({s["Sid"]: s for s in json.loads(document)["Statement"] if "Sid" in s})
    return found


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_experiments_and_topic_are_the_stacks_own(path: Path) -> None:
    run = stack_runs(path).dr
    named = statements(path)
    templates = {
        r.outputs.get("arn") or r.id for r in run.of_type("aws:fis/experimentTemplate:ExperimentTemplate")
    }
    start = [r for r in named["DrillExperiments"]["Resource"] if ":experiment-template/" in r]
    assert len(start) == len(templates) > 0
    assert all(not r.endswith("/*") for r in start), start
    (topic,) = [r for r in run.of_type("aws:sns/topic:Topic") if r.name.endswith("alarms-topic")]
    assert named["IncidentUpdates"]["Resource"] == [topic.outputs["arn"]]
