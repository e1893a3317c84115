"""ResiliencyPolicies under mocks: one Resilience Hub policy per plan tier, the tier's RTO and RPO
for every disruption type, as Go durations the provider turns into seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.resiliency_policies import ResiliencyPolicies, ResiliencyPoliciesArgs
from continuity.assurance import resiliency_policies
from continuity.plan import load_plan
from tests.components.declare import Declared, declare
from tests.conftest import ALL_PLANS, ROOT

POLICY = "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy"


def policies(path: Path) -> Declared:
    plan = load_plan(path)

    def build() -> dict[str, object]:
        component = ResiliencyPolicies(
            f"{plan.service}-resilience",
            ResiliencyPoliciesArgs(resiliency_policies(plan), {"continuity:service": plan.service}),
        )
        return {"arns": component.policy_arns}

    return declare(build, region=plan.regions.dr)


@pytest.mark.parametrize("path", ALL_PLANS, ids=[p.stem for p in ALL_PLANS])
def test_one_policy_per_tier_with_its_objectives(path: Path) -> None:
    plan = load_plan(path)
    declared = policies(path)
    found = {r.plain_inputs()["tags"]["continuity:tier"]: r for r in declared.of_type(POLICY)}
    assert set(found) == set(plan.tiers)
    for wanted in resiliency_policies(plan):
        resource = found[wanted.plan_tier]
        inputs = resource.plain_inputs()
        assert (inputs["name"], inputs["tier"]) == (wanted.name, wanted.tier), resource.urn
        objective = {"rto": f"{wanted.rto_seconds}s", "rpo": f"{wanted.rpo_seconds}s"}
        assert inputs["policy"] == {d: objective for d in ("software", "hardware", "az", "region")}, (
            resource.urn
        )
    assert set(declared.outputs["arns"]) == set(plan.tiers)


def test_heliosdb__exact_policy() -> None:
    declared = policies(ROOT / "examples" / "plans" / "heliosdb-lite.yaml")
    first = declared.named("heliosdb-resilience-production-database").plain_inputs()
    assert first == {
        "name": "heliosdb-production-database",
        "description": "Continuity plan tiers.production-database: rto 10m, rpo 5m",
        "tier": "MissionCritical",
        "policy": {d: {"rto": "600s", "rpo": "300s"} for d in ("software", "hardware", "az", "region")},
        "tags": {"continuity:service": "heliosdb", "continuity:tier": "production-database"},
    }
