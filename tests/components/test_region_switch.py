"""RegionSwitch under mocks: the Region switch plan performs promote_dr.py's failover (every step
present, in order, timeouts from the tiers' RTOs), its Lambda is configured with the promotion
contract's databases, and each role is allowed what its blocks do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.region_switch import (
    EksClusters,
    RegionSwitch,
    RegionSwitchArgs,
    SwitchDatabase,
    SwitchDeployment,
    SwitchService,
)
from continuity.assurance import region_switch_for
from continuity.derive import derive
from continuity.plan import load_plan
from tests.components.declare import Declared, declare
from tests.conftest import DEFAULT_PLAN, ROOT

ACCOUNT = "123456789012"
PLAN = "aws:arcregionswitch/plan:Plan"
KATYA = ROOT / "examples" / "plans" / "katya.yaml"
CLOUD = ROOT / "examples" / "plans" / "cloud-optimizer.yaml"
VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:katya-primary-health"


def switch_args(path: Path, *, eks: bool = True, **overrides: Any) -> RegionSwitchArgs:
    """What the DR stack would pass: the primary's resources from its outputs, its own beside them."""
    plan = load_plan(path)
    settings = derive(plan)
    p, d = plan.regions.primary, plan.regions.dr
    databases = [
        SwitchDatabase(
            data_item=r.data_item,
            mode="replica" if r.replica else "restore",
            identifier=f"{plan.service}-{r.data_item}-dr",
            primary_arn=f"arn:aws:rds:{p}:{ACCOUNT}:db:{plan.service}-{r.data_item}",
            dr_arn=f"arn:aws:rds:{d}:{ACCOUNT}:db:{plan.service}-{r.data_item}-dr",
            backup_retention_days=r.backup_retention_period,
            automated_backups_arn=None
            if r.replica
            else f"arn:aws:rds:{d}:{ACCOUNT}:auto-backup:ab-{r.data_item}",
            subnet_group=None if r.replica else f"{plan.service}-{r.data_item}-dr",
            security_group_ids=[] if r.replica else ["sg-0123"],
            instance_class=None if r.replica else "db.t4g.medium",
        )
        for r in settings.rds
    ]
    services = [
        SwitchService(
            s.name,
            f"arn:aws:ecs:{p}:{ACCOUNT}:cluster/{plan.service}-primary",
            f"arn:aws:ecs:{p}:{ACCOUNT}:service/{plan.service}-primary/{s.name}",
            f"arn:aws:ecs:{d}:{ACCOUNT}:cluster/{plan.service}-dr",
            f"arn:aws:ecs:{d}:{ACCOUNT}:service/{plan.service}-dr/{s.name}",
        )
        for s in settings.services
        if s.compute == "ecs"
    ]
    deployments = [
        SwitchDeployment(
            s.name,
            plan.services[s.name].namespace or plan.service,
            f"{s.name}-p",
            f"{s.name}-p-hpa",
            f"{s.name}-d",
            f"{s.name}-d-hpa",
        )
        for s in settings.services
        if s.compute == "kubernetes"
    ]
    values: dict[str, Any] = {
        "settings": region_switch_for(plan, eks=eks),
        "account_id": ACCOUNT,
        "databases": databases,
        "services": services,
        "deployments": deployments,
        "eks": EksClusters(
            f"arn:aws:eks:{p}:{ACCOUNT}:cluster/{plan.service}",
            plan.service,
            f"arn:aws:eks:{d}:{ACCOUNT}:cluster/{plan.service}",
            plan.service,
        )
        if eks and deployments
        else None,
        "hosted_zone_id": "Z0OFFLINE0000000",
        "record_name": f"{plan.service}.example.com",
        "set_identifiers": {p: "primary", d: "dr"},
        "health_alarm_arn": ALARM,
        "report_bucket": f"{plan.service}-dr-audit-reports",
        "kms_key_arn": f"arn:aws:kms:{d}:{ACCOUNT}:key/0000",
        "tags": {"continuity:service": plan.service},
    }
    values.update(overrides)
    return RegionSwitchArgs(**values)


def region_switch(path: Path, **overrides: Any) -> Declared:
    plan = load_plan(path)
    args = switch_args(path, **overrides)

    def build() -> dict[str, object]:
        component = RegionSwitch(f"{plan.service}-region-switch", args)
        return {
            "plan": component.plan_arn,
            "function": component.function_arn,
            "approver": component.approval_role_arn,
        }

    return declare(build, region=plan.regions.dr)


def steps_of(workflow: dict[str, Any]) -> list[tuple[Any, ...]]:
    def timeout(step: dict[str, Any]) -> int | None:
        configs = [v for k, v in step.items() if k.endswith("Configs") and k != "parallelConfigs"]
        return configs[0][0].get("timeoutMinutes") if configs else None

    return [
        (
            s["name"],
            s["executionBlockType"],
            timeout(s),
            [
                (c["name"], c["executionBlockType"], timeout(c))
                for c in s.get("parallelConfigs", [{"steps": []}])[0]["steps"]
            ],
        )
        for s in workflow["steps"]
    ]


def test_default__steps_in_order_with_tier_timeouts() -> None:
    declared = region_switch(DEFAULT_PLAN)
    plan = declared.one(PLAN).plain_inputs()
    assert (
        plan["name"],
        plan["recoveryApproach"],
        plan["regions"],
        plan["primaryRegion"],
        plan["recoveryTimeObjectiveMinutes"],
    ) == (
        "orders-dr",
        "activePassive",
        ["us-east-1", "us-west-2"],
        "us-east-1",
        30,
    )
    (workflow,) = plan["workflows"]
    assert (workflow["workflowTargetAction"], workflow["workflowTargetRegion"]) == ("activate", "us-west-2")
    assert steps_of(workflow) == [
        ("approve", "ManualApproval", 30, []),
        (
            "recover",
            "Parallel",
            None,
            [("promote-database", "RdsPromoteReadReplica", 30), ("scale-api", "ECSServiceScaling", 30)],
        ),
        ("settle-databases", "CustomActionLambda", 30, []),
        ("route-traffic", "Route53HealthCheck", 30, []),
    ]
    assert "triggers" not in plan
    assert "associatedAlarms" not in plan
    recover = workflow["steps"][1]["parallelConfigs"][0]["steps"]
    assert recover[0]["rdsPromoteReadReplicaConfigs"][0]["dbInstanceArnMap"] == {
        "us-east-1": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders-database",
        "us-west-2": f"arn:aws:rds:us-west-2:{ACCOUNT}:db:orders-database-dr",
    }
    ecs = recover[1]["ecsCapacityIncreaseConfigs"][0]
    assert (ecs["targetPercent"], ecs["capacityMonitoringApproach"], len(ecs["services"])) == (
        100,
        "sampledMaxInLast24Hours",
        2,
    )
    assert workflow["steps"][0]["executionApprovalConfigs"][0]["approvalRole"] == declared.outputs["approver"]
    lam = workflow["steps"][2]["customActionLambdaConfigs"][0]
    assert (lam["lambdas"], lam["regionToRun"], lam["retryIntervalMinutes"]) == (
        [{"arn": declared.outputs["function"]}],
        "activatingRegion",
        1,
    )
    route = workflow["steps"][3]["route53HealthCheckConfigs"][0]
    assert route == {
        "hostedZoneId": "Z0OFFLINE0000000",
        "recordName": "orders.example.com",
        "recordSets": [
            {"recordSetIdentifier": "primary", "region": "us-east-1"},
            {"recordSetIdentifier": "dr", "region": "us-west-2"},
        ],
        "timeoutMinutes": 30,
    }
    assert plan["reportConfigurations"] == [
        {
            "reportOutputs": [
                {
                    "s3Configurations": [
                        {"bucketOwner": ACCOUNT, "bucketPath": "s3://orders-dr-audit-reports/region-switch"}
                    ]
                }
            ]
        }
    ]


def test_automatic__the_health_alarm_triggers_it_and_nobody_approves() -> None:
    plan = region_switch(KATYA).one(PLAN).plain_inputs()
    assert plan["associatedAlarms"] == [
        {"mapBlockKey": "primary-health", "alarmType": "trigger", "resourceIdentifier": ALARM}
    ]
    assert plan["triggers"] == [
        {
            "action": "activate",
            "targetRegion": "us-west-2",
            "minDelayMinutesBetweenExecutions": 240,
            "conditions": [{"associatedAlarmName": "primary-health", "condition": "red"}],
            "description": "The primary's entry point fails its Route 53 health check",
        }
    ]
    assert [s["name"] for s in plan["workflows"][0]["steps"]] == [
        "recover",
        "settle-databases",
        "route-traffic",
    ]


def test_lambda__configured_with_the_promotion_contract_and_least_privilege() -> None:
    declared = region_switch(CLOUD)
    function = declared.one("aws:lambda/function:Function").plain_inputs()
    assert (function["runtime"], function["handler"], function["timeout"], function["name"]) == (
        "python3.12",
        "handler.handler",
        60,
        "cloud-optimizer-dr-settle-databases",
    )
    assert json.loads(function["environment"]["variables"]["CONTINUITY_DATABASES"]) == [
        {
            "data_item": "database",
            "mode": "restore",
            "identifier": "cloud-optimizer-database-dr",
            "backup_retention_days": 30,
            "multi_az": True,
            "deletion_protection": True,
            "automated_backups_arn": f"arn:aws:rds:us-west-2:{ACCOUNT}:auto-backup:ab-database",
            "subnet_group": "cloud-optimizer-database-dr",
            "security_group_ids": ["sg-0123"],
            "instance_class": "db.t4g.medium",
        }
    ]
    policy = next(
        p
        for p in declared.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "cloud-optimizer-region-switch-settle-databases"
    )
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs()["policy"])["Statement"]}
    assert statements["SettleDatabases"]["Resource"] == [
        f"arn:aws:rds:us-west-2:{ACCOUNT}:db:cloud-optimizer-database-dr"
    ]
    assert statements["RestoreReplicatedBackups"]["Action"] == [
        "rds:RestoreDBInstanceToPointInTime",
        "rds:AddTagsToResource",
    ]
    assert statements["RestoreEncrypted"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "rds.us-west-2.amazonaws.com"}
    }


def test_execution_role__only_what_the_blocks_do() -> None:
    declared = region_switch(DEFAULT_PLAN)
    role = declared.named("orders-region-switch-execution").plain_inputs()
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "arc-region-switch.amazonaws.com"
    }
    policy = next(
        p
        for p in declared.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "orders-region-switch-execution"
    )
    statements = {s["Sid"]: s for s in json.loads(policy.plain_inputs()["policy"])["Statement"]}
    assert set(statements) == {
        "PromoteReplicas",
        "ScaleServices",
        "ReadClusters",
        "ReadCapacity",
        "SettleDatabases",
        "RouteTraffic",
        "WriteReports",
    }
    assert statements["PromoteReplicas"]["Resource"] == [
        f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders-database",
        f"arn:aws:rds:us-west-2:{ACCOUNT}:db:orders-database-dr",
    ]
    assert statements["RouteTraffic"]["Resource"] == "arn:aws:route53:::hostedzone/Z0OFFLINE0000000"
    approver = next(
        p
        for p in declared.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "orders-region-switch-approver"
    )
    assert (
        json.loads(approver.plain_inputs()["policy"])["Statement"][0]["Resource"]
        == f"arn:aws:arc-region-switch::{ACCOUNT}:plan/orders-dr:*"
    )


def test_eks__scales_deployments_with_access_for_the_plan() -> None:
    declared = region_switch(VAPORA)
    plan = declared.one(PLAN).plain_inputs()
    backend = plan["workflows"][0]["steps"][1]["parallelConfigs"][0]["steps"][0]["eksResourceScalingConfigs"][
        0
    ]
    assert backend["kubernetesResourceTypes"] == [{"apiVersion": "apps/v1", "kind": "Deployment"}]
    assert backend["scalingResources"] == [
        {
            "namespace": "backend",
            "resources": [
                {
                    "resourceName": "us-east-1",
                    "namespace": "vapora",
                    "name": "backend-p",
                    "hpaName": "backend-p-hpa",
                },
                {
                    "resourceName": "us-west-2",
                    "namespace": "vapora",
                    "name": "backend-d",
                    "hpaName": "backend-d-hpa",
                },
            ],
        }
    ]
    associations = declared.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(
        (a.plain_inputs()["region"], a.plain_inputs()["accessScope"]["namespaces"]) for a in associations
    ) == [
        ("us-east-1", ["vapora"]),
        ("us-west-2", ["vapora"]),
    ]
    assert {a.plain_inputs()["accessScope"]["type"] for a in associations} == {"namespace"}
    assert {a.plain_inputs()["policyArn"] for a in associations} == {
        "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"hosted_zone_id": None},
            "step route-traffic needs the hosted zone, the record name and both regions' set identifiers",
        ),
        ({"services": []}, "step scale-api scales ECS service api, which is not among the services"),
        (
            {"databases": []},
            "step promote-database promotes data item database, which is not among the databases",
        ),
    ],
)
def test_missing_resources_are_refused_in_one_line(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(pulumi.RunError) as err:
        region_switch(DEFAULT_PLAN, **overrides)
    assert str(err.value) == f"Region switch plan orders-dr: {message}"
