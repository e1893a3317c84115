"""The real program's stacks pass the whole pack: both stacks of the default plan and of every example
plan, through the same path as `scripts/check_policies.py --stack` (offline.program under mocks).

The other policy tests pin the pack against the stack specification (tests/policies/synthetic.py);
this one pins the program against the pack, so a component that drifts from the plan fails here.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from continuity.plan import load_plan
from offline.policy_check import check
from offline.policy_report import Locator
from offline.stack_state import ResourceState, states_from_run
from scripts.check_policies import main
from tests.conftest import ALL_PLANS, DEFAULT_PLAN, ROOT
from tests.policies.conftest import pack
from tests.stack_runs import stack_runs


def uses_kubernetes(path: Path) -> bool:
    plan = load_plan(path)
    return any(s.compute == "kubernetes" for s in plan.services.values()) or any(
        d.store == "kubernetes" for d in plan.data.values()
    )


# The plans that run services or keep data in Kubernetes: their stacks declare CronJobs,
# Deployments and autoscalers, which the kubernetes-* policies judge.
KUBERNETES_PLANS = [p for p in ALL_PLANS if uses_kubernetes(p)]


def violations(states: list, plan: Path) -> list[str]:
    """Every violation, advisory ones included: the program follows good practice too."""
    result = check(states, plan, None, pack())
    return [f"{v.enforcement} {v.policy} {v.urn}: {v.message}" for v in result.violations]


@pytest.mark.parametrize("plan", ALL_PLANS, ids=[p.stem for p in ALL_PLANS])
def test_stacks_pass_the_pack(plan: Path) -> None:
    # GIVEN the program run for the primary, the DR stack, and the DR stack after a failover
    # (the replica promoted: retention and Multi-AZ now apply)  WHEN the whole pack judges each
    # THEN nothing is found
    runs = stack_runs(plan)
    assert violations(states_from_run(runs.primary), plan) == []
    assert violations(states_from_run(runs.dr), plan) == []
    assert violations(states_from_run(runs.promoted), plan) == []


def test_check_policies_stack_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the DR stack of the default plan  WHEN checked the way the workflow does  THEN exit 0
    assert main(["--stack", "dr", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["mandatory"] == 0
    assert report["summary"]["source"] == "stack dr"


def test_kubernetes_plans__are_among_those_checked() -> None:
    # GIVEN the plans test_stacks_pass_the_pack runs  THEN some run in Kubernetes, so the
    # kubernetes-* policies judge real stacks there (and below, real stacks broken)
    assert KUBERNETES_PLANS
    assert set(KUBERNETES_PLANS) <= set(ALL_PLANS)


def broken(states: list[ResourceState], type_: str, name: str, path: str, value: Any) -> list[ResourceState]:
    """The stack with property ``path`` (dotted, list indices as numbers) of the one ``type_``
    resource named ``name`` set to ``value``, in its inputs and outputs alike."""
    result, hits = [], 0
    for state in states:
        if state.type != type_ or state.name != name:
            result.append(state)
            continue
        hits += 1
        document: dict[str, Any] = {"inputs": copy.deepcopy(dict(state.inputs))}
        document["outputs"] = copy.deepcopy(dict(state.outputs))
        for props in document.values():
            *parents, last = path.split(".")
            node: Any = props
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[last] = value
        result.append(replace(state, inputs=document["inputs"], outputs=document["outputs"]))
    assert hits == 1, f"no single {type_} named {name}"
    return result


@pytest.mark.parametrize("plan", KUBERNETES_PLANS, ids=[p.stem for p in KUBERNETES_PLANS])
def test_kubernetes_objects_of_the_program__are_judged(plan: Path) -> None:
    # GIVEN the program's DR stack of a Kubernetes plan, with each kind of Kubernetes object broken
    # once and one backup CronJob gone  WHEN the pack judges it  THEN every kubernetes policy finds
    # its break: the components label their objects the way the pack looks them up
    states = states_from_run(stack_runs(plan).dr)
    cron_jobs = [s for s in states if s.type == "kubernetes:batch/v1:CronJob"]
    deployments = [s for s in states if s.type == "kubernetes:apps/v1:Deployment"]
    autoscalers = [s for s in states if s.type == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"]
    assert len(cron_jobs) >= 2
    assert deployments
    assert autoscalers
    job, gone = cron_jobs[0], cron_jobs[1]
    pod = "spec.jobTemplate.spec.template.spec.containers.0"
    states = [s for s in states if s.urn != gone.urn]
    states = broken(states, job.type, job.name, "spec.schedule", "0 5 1 * *")
    states = broken(states, job.type, job.name, f"{pod}.env.0.value", "")
    states = broken(states, job.type, job.name, "spec.concurrencyPolicy", "Allow")
    states = broken(states, deployments[0].type, deployments[0].name, "spec.replicas", 0.0)
    states = broken(states, autoscalers[0].type, autoscalers[0].name, "spec.minReplicas", 0.0)
    found = {(v.policy, v.urn) for v in check(states, plan, None, pack()).violations}
    stack = states[0].urn
    assert found == {
        ("kubernetes-cronjob-require-frequency", job.urn),
        ("kubernetes-cronjob-require-target-bucket", job.urn),
        ("kubernetes-cronjob-disallow-concurrent-runs", job.urn),
        ("kubernetes-cronjob-require-coverage", stack),
        ("kubernetes-deployment-require-capacity", deployments[0].urn),
        ("kubernetes-deployment-require-capacity", autoscalers[0].urn),
    }


def test_location__the_line_of_the_component_that_declared_the_resource() -> None:
    # GIVEN the program's primary stack (shared with the runs above), its database's retention shortened
    states = states_from_run(stack_runs(DEFAULT_PLAN).primary)
    database = next(s for s in states if s.type == "aws:rds/instance:Instance")
    states = broken(states, database.type, database.name, "backupRetentionPeriod", 2.0)
    violation = next(v for v in check(states, DEFAULT_PLAN, None, pack()).violations if v.urn == database.urn)
    # THEN the finding sits where the component constructs the instance (the SDK's sourcePosition)
    where = Locator(states, DEFAULT_PLAN).locate(violation)
    assert where.path == "components/primary_database.py"
    assert "aws.rds.Instance(" in (ROOT / where.path).read_text().splitlines()[where.line - 1]
