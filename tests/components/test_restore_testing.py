"""Scheduled restore tests in both stacks, for the default plan and every example plan: each item
AWS Backup protects has a restore testing plan (the plan's cadence, the item's retention, this
region's vault) and a selection picking it as its backups are picked; URN in every message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from continuity import tags
from continuity.outputs import parse_inventory
from continuity.plan import load_plan
from continuity.restore_testing import restore_tests_for
from offline.program import RecordedResource, StackRun
from tests.conftest import ALL_PLANS
from tests.stack_runs import stack_runs

PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
VAULT = "aws:backup/vault:Vault"
ROLE = "aws:iam/role:Role"


def depends(resource: RecordedResource, prop: str, target: RecordedResource) -> bool:
    return target.urn in resource.property_dependencies.get(prop, [])


def vault_role(run: StackRun) -> RecordedResource:
    (role,) = [r for r in run.of_type(ROLE) if r.name.endswith("-backup-role")]
    return role


def check(path: Path, run: StackRun, role: str, active: bool) -> list[str]:
    plan = load_plan(path)
    failures: list[str] = []
    (vault,) = run.of_type(VAULT)
    plans = {r.plain_inputs()["name"]: r for r in run.of_type(PLAN)}
    selections = run.of_type(SELECTION)
    wanted = restore_tests_for(plan, role)
    if set(plans) != {t.plan_name for t in wanted}:
        failures.append(
            f"{run.stack}: restore testing plans {sorted(plans)}, expected {[t.plan_name for t in wanted]}"
        )
    for test in wanted:
        found = plans.get(test.plan_name)
        if found is None:
            continue
        p: dict[str, Any] = found.plain_inputs()
        selection = p["recoveryPointSelection"]
        expected = {
            "scheduleExpression": test.schedule,
            "scheduleExpressionTimezone": "Etc/UTC",
            "startWindowHours": 1.0,
        }
        for key, value in expected.items():
            if p.get(key) != value:
                failures.append(f"{found.urn}: {key} {p.get(key)!r}, expected {value!r}")
        if selection.get("selectionWindowDays") != float(test.selection_window_days):
            failures.append(f"{found.urn}: selectionWindowDays {selection.get('selectionWindowDays')}")
        if selection.get("recoveryPointTypes") != test.recovery_point_types:
            failures.append(f"{found.urn}: recoveryPointTypes {selection.get('recoveryPointTypes')}")
        if not depends(found, "recoveryPointSelection", vault):
            failures.append(f"{found.urn}: includeVaults is not this region's vault {vault.urn}")
        if p["tags"].get(tags.BACKUP) != (tags.BACKUP_ACTIVE if active else tags.BACKUP_STANDBY):
            failures.append(f"{found.urn}: tagged {p['tags'].get(tags.BACKUP)}")
        mine = [s for s in selections if depends(s, "restoreTestingPlanName", found)]
        if len(mine) != 1:
            failures.append(f"{found.urn}: {len(mine)} selections depend on it, expected 1")
            continue
        (chosen,) = mine
        s = chosen.plain_inputs()
        if s["protectedResourceType"] != test.protected_resource_type or s["protectedResourceArns"] != ["*"]:
            failures.append(
                f"{chosen.urn}: selects {s['protectedResourceType']} {s['protectedResourceArns']}"
            )
        conditions = {c["key"]: c["value"] for c in s["protectedResourceConditions"]["stringEquals"]}
        if conditions != {
            f"aws:ResourceTag/{tags.SERVICE}": plan.service,
            f"aws:ResourceTag/{tags.DATA_ITEM}": test.data_item,
            f"aws:ResourceTag/{tags.BACKUP}": tags.BACKUP_ACTIVE,
        }:
            failures.append(f"{chosen.urn}: conditions {conditions}")
        if not depends(chosen, "iamRoleArn", vault_role(run)):
            failures.append(f"{chosen.urn}: not restored as the vault's role")
        overrides = s.get("restoreMetadataOverrides") or {}
        if test.store == "rds" and not overrides.get("dbsubnetgroupname"):
            failures.append(f"{chosen.urn}: an RDS restore without the instance's subnet group: {overrides}")
        if test.store == "s3" and overrides:
            failures.append(f"{chosen.urn}: overrides {overrides} on an S3 restore")
    return failures


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: Path(p).stem)
def test_restore_testing_in_every_stack(path: Path) -> None:
    runs = stack_runs(path)
    failures = [
        *check(path, runs.primary, "primary", active=True),
        *check(path, runs.dr, "dr", active=False),
        *check(path, runs.promoted, "dr", active=True),
    ]
    assert failures == []


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: Path(p).stem)
def test_outputs_name_the_restore_testing_plans_of_both_regions(path: Path) -> None:
    runs = stack_runs(path)
    plan = load_plan(path)
    protected = {n for n, i in plan.data.items() if i.store in ("rds", "s3")}
    inventory = parse_inventory(runs.dr.outputs)
    assert set(runs.primary.outputs["restore_testing_plan_arns"]) == protected
    assert set(inventory.primary.restore_testing_plan_arns) == protected
    assert set(inventory.dr.restore_testing_plan_arns) == protected
