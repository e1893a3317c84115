"""Moving resources under the region components must not replace anything in an existing stack.

`tests/components/urns/<plan>.<stack>.txt` records every URN each example plan's stacks had
before the move (when the program declared its components at the stack's root). For each, the
program today must declare a resource with that URN, or one whose aliases (its own, and those it
inherits from its parents, computed as the Pulumi engine computes them) include it: the engine
then updates the resource in place instead of deleting it and creating a new one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity import names
from offline.program import ROOT_TYPE, RecordedResource, StackRun
from tests.conftest import ALL_PLANS
from tests.stack_runs import stack_runs

URNS = Path(__file__).resolve().parent / "urns"
STATEFUL = (
    "aws:rds/instance:Instance",
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:backup/vault:Vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
)


# Auto-named types whose names AWS caps: a logical name too long for the provider's auto-name
# ("name '...' plus 7 random chars is longer than maximum length 32") was never created in a stack.
AUTONAME_LIMITS = {
    "aws:lb/targetGroup:TargetGroup": names.ELB_NAME_MAX,
    "aws:lb/loadBalancer:LoadBalancer": names.ELB_NAME_MAX,
    "aws:iam/role:Role": names.IAM_ROLE_NAME_MAX,
}


def could_exist(urn: str) -> bool:
    typ = urn.split("::")[2].rsplit("$", 1)[-1]
    name = urn.rsplit("::", 1)[1]
    return len(name) + names.AUTONAME_SUFFIX <= AUTONAME_LIMITS.get(typ, len(name) + names.AUTONAME_SUFFIX)


def make_urn(run: StackRun, parent: str | None, typ: str, name: str) -> str:
    """A URN as the engine forms it: the parent's type chain (never the root Stack's) and the type."""
    if parent:
        qualified = parent.split("::")[2]
        if qualified != ROOT_TYPE:
            typ = f"{qualified}${typ}"
    return f"urn:pulumi:{run.stack}::{run.project}::{typ}::{name}"


def alias_urns(run: StackRun) -> dict[str, set[str]]:
    """Every resource's alias URNs: its own alias specs, and one per alias of its parent (the
    engine's inherited child alias: same type under the parent's old URN, the name's parent
    prefix renamed as the parent was)."""
    by_urn = {r.urn: r for r in run.resources}
    found: dict[str, set[str]] = {}

    def of(resource: RecordedResource) -> set[str]:
        if resource.urn in found:
            return found[resource.urn]
        urns: set[str] = set()
        for alias in resource.aliases:
            if "urn" in alias:
                urns.add(alias["urn"])
                continue
            spec = alias.get("spec", {})
            parent = None if spec.get("noParent") else spec.get("parentUrn") or resource.parent
            urns.add(
                make_urn(run, parent, spec.get("type") or resource.type, spec.get("name") or resource.name)
            )
        parent_resource = by_urn.get(resource.parent or "")
        if parent_resource is not None:
            for parent_alias in of(parent_resource):
                name = resource.name
                if name.startswith(parent_resource.name):
                    name = parent_alias.rsplit("::", 1)[1] + name[len(parent_resource.name) :]
                urns.add(make_urn(run, parent_alias, resource.type, name))
        found[resource.urn] = urns
        return urns

    for resource in run.resources:
        of(resource)
    return found


CASES = [(path, label) for path in ALL_PLANS for label in ("primary", "dr", "dr-promoted")]


@pytest.mark.parametrize(("path", "label"), CASES, ids=[f"{p.stem}-{label}" for p, label in CASES])
def test_every_old_urn_is_kept_or_aliased(path: Path, label: str) -> None:
    # GIVEN the URNs the stack had before the region components, and the program today
    before = (URNS / f"{path.stem}.{label}.txt").read_text().split()
    runs = stack_runs(path)
    run = {"primary": runs.primary, "dr": runs.dr, "dr-promoted": runs.promoted}[label]
    # WHEN each resource's URN and aliases are gathered
    current = {r.urn: r for r in run.resources}
    aliased = {old: urn for urn, olds in alias_urns(run).items() for old in olds}
    # THEN every old URN is one of them, so the engine updates in place instead of replacing
    lost = [old for old in before if old not in current and old not in aliased and could_exist(old)]
    assert not lost, "resources the upgrade would replace:\n" + "\n".join(lost)
    moved_stateful = [old for old in before if old in aliased and current[aliased[old]].type in STATEFUL]
    assert moved_stateful, "the stateful resources moved under the region component, aliased"


def test_a_name_the_provider_could_not_make_never_existed() -> None:
    # heliosdb-lite's target group was named past ELB's 32 characters: it could never deploy
    urn = "urn:pulumi:primary::continuity::continuity:components:Services$aws:lb/targetGroup:TargetGroup::"
    assert not could_exist(urn + "heliosdb-app-database-api")
    assert could_exist(urn + "orders-app-api")


def test_aliases_follow_the_engine_rule() -> None:
    # GIVEN a parent aliased to the root, and its child named after it
    runs = stack_runs(ALL_PLANS[0])
    urns = alias_urns(runs.primary)
    vpc = next(r for r in runs.primary.resources if r.type == "aws:ec2/vpc:Vpc")
    # THEN the child's inherited alias is its pre-move URN: the Network's type chain, no region
    assert (
        f"urn:pulumi:primary::continuity::continuity:components:Network$aws:ec2/vpc:Vpc::{vpc.name}"
        in urns[vpc.urn]
    )
