"""Experiments under mocks: an FIS template per drill, its targets resolved to the stack's own
resources, stopped by the plan's alarms, and a role allowed only what the actions do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.experiments import Experiments, ExperimentsArgs
from continuity.assurance import experiments_for
from continuity.plan import load_plan
from tests.components.declare import Declared, declare
from tests.conftest import DEFAULT_PLAN, ROOT

ACCOUNT = "123456789012"
TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
HEALTH = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-primary-health"
FILES = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-user-files-replication"
DB = "arn:aws:rds:us-east-1:123456789012:db:orders-database"


def experiments(path: Path, **extra: Any) -> Declared:
    plan = load_plan(path)
    args: dict[str, Any] = {
        "zone_subnet_ids": ["subnet-a1", "subnet-a2"],
        "private_subnet_ids": ["subnet-p1", "subnet-p2", "subnet-p3"],
        **extra,
    }

    def build() -> dict[str, object]:
        component = Experiments(
            f"{plan.service}-drills",
            ExperimentsArgs(
                experiments=experiments_for(plan),
                service=plan.service,
                region=plan.regions.primary,
                account_id=ACCOUNT,
                tags={"continuity:service": plan.service},
                **args,
            ),
        )
        return {"templates": component.template_ids}

    return declare(build, region="us-east-1", stack="primary")


def templates(declared: Declared) -> dict[str, dict[str, Any]]:
    return {r.name: r.plain_inputs() for r in declared.of_type(TEMPLATE)}


def test_templates__targets_actions_and_stop_conditions() -> None:
    declared = experiments(
        DEFAULT_PLAN,
        db_instance_arns=[DB],
        stop_alarm_arns={"primary-health": HEALTH, "replication:user-files": FILES},
    )
    found = templates(declared)
    assert set(found) == {
        "orders-drills-az-power-interruption",
        "orders-drills-region-connectivity-loss",
        "orders-drills-database-failover",
    }
    az = found["orders-drills-az-power-interruption"]
    assert az["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": HEALTH}]
    assert az["actions"] == [
        {
            "name": "disrupt-zone",
            "actionId": "aws:network:disrupt-connectivity",
            "parameters": [{"key": "scope", "value": "all"}, {"key": "duration", "value": "PT30M"}],
            "target": {"key": "Subnets", "value": "ZoneSubnets"},
        },
        {
            "name": "fail-over-databases",
            "actionId": "aws:rds:reboot-db-instances",
            "parameters": [{"key": "forceFailover", "value": "true"}],
            "target": {"key": "DBInstances", "value": "Databases"},
        },
    ]
    assert az["targets"] == [
        {
            "name": "ZoneSubnets",
            "resourceType": "aws:ec2:subnet",
            "selectionMode": "ALL",
            "resourceArns": [
                f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-a1",
                f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-a2",
            ],
        },
        {"name": "Databases", "resourceType": "aws:rds:db", "selectionMode": "ALL", "resourceArns": [DB]},
    ]
    connectivity = found["orders-drills-region-connectivity-loss"]
    # audit-logs' replication alarm was not given in this region: only those that were stop it
    assert connectivity["stopConditions"] == [
        {"source": "aws:cloudwatch:alarm", "value": HEALTH},
        {"source": "aws:cloudwatch:alarm", "value": FILES},
    ]
    bucket = next(t for t in connectivity["targets"] if t["name"] == "Bucket-user-files")
    assert bucket == {
        "name": "Bucket-user-files",
        "resourceType": "aws:s3:bucket",
        "selectionMode": "ALL",
        "resourceTags": [
            {"key": "continuity:service", "value": "orders"},
            {"key": "continuity:data-item", "value": "user-files"},
        ],
    }
    isolate = next(t for t in connectivity["targets"] if t["name"] == "PrivateSubnets")
    assert len(isolate["resourceArns"]) == 3


def test_templates__without_an_alarm_in_region_say_so() -> None:
    found = templates(experiments(ROOT / "examples" / "plans" / "vapora.yaml"))
    assert {t["stopConditions"][0]["source"] for t in found.values()} == {"none"}


def test_role__trusts_fis_for_this_account_and_allows_only_the_actions() -> None:
    declared = experiments(DEFAULT_PLAN, db_instance_arns=[DB])
    role = declared.named("orders-drills-role").plain_inputs()
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "fis.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    (policy,) = declared.of_type("aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs()["policy"])["Statement"]}
    assert set(statements) == {
        "ReadNetwork",
        "FisManagedNetwork",
        "FisManagedNetworkCleanup",
        "SwapNetworkAssociations",
        "RebootDatabases",
        "ReadDatabases",
        "PauseReplication",
        "PauseReplicationApi",
        "ResolveTargets",
    }
    assert statements["RebootDatabases"]["Resource"] == [DB]
    assert statements["FisManagedNetwork"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/managedByFIS": "true"}
    }
    assert statements["PauseReplication"]["Condition"] == {
        "BoolIfExists": {"s3:IsReplicationPauseRequest": "true"}
    }


def test_more_databases_than_a_target_names_is_refused() -> None:
    with pytest.raises(pulumi.RunError) as err:
        experiments(DEFAULT_PLAN, db_instance_arns=[f"{DB}-{i}" for i in range(6)])
    assert str(err.value) == "orders: 6 primary databases; an FIS target names at most 5"
