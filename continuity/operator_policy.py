"""The `dr-operator` IAM policy: exactly the AWS actions the operational scripts call.

The DR stack attaches this document to the `dr-operator` role; the scripts' tests record every
AWS operation a full run makes and check that each is allowed here, that none deletes anything,
and that nothing is granted that no script calls. Actions are scoped to the stack's own
resources wherever the service supports resource-level permissions; the others say why they
cannot be.

What scripts/promote_dr.py calls, and why:

| action | step |
|---|---|
| rds:DescribeDBInstances | preflight, and waiting for promotion or restore |
| rds:PromoteReadReplica | promote (replica mode) |
| rds:ModifyDBInstance | Multi-AZ, deletion protection and retention once writable |
| rds:DescribeDBInstanceAutomatedBackups, rds:RestoreDBInstanceToPointInTime | restore mode |
| rds:AddTagsToResource | implied: the restore tags the instance it creates (tag-on-create) |
| kms:CreateGrant, kms:DescribeKey | implied: RDS uses the DR key on the operator's behalf for a restore |
| ecs:DescribeServices, ecs:UpdateService | scale |
| application-autoscaling:DescribeScalableTargets, RegisterScalableTarget | scale |
| route53:GetHealthCheck, GetHealthCheckStatus, UpdateHealthCheck | safety, route |
| route53:ListResourceRecordSets | preflight: the failover records use the health check it inverts |
| cloudwatch:GetMetricStatistics | preflight: replica lag |
| cloudwatch:DescribeAlarms | safety: the primary health alarm |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OperatorScope:
    """The ARNs and ids the operator may act on (resolved values, not Pulumi outputs)."""

    account_id: str
    primary_region: str
    dr_region: str
    db_instance_arns: list[str]  # DR replicas (or restore targets) and the primary instances
    ecs_cluster_arns: list[str]
    ecs_service_arns: list[str]
    health_check_ids: list[str]
    # Every alarm a script reads, including the primary stack's health alarm (us-east-1).
    alarm_arns: list[str]
    partition: str = "aws"
    extra_statements: list[dict[str, Any]] = field(default_factory=list)
    # The failover record's zone; every public zone of the account when not given.
    hosted_zone_ids: list[str] = field(default_factory=list)
    # The DR region's keys a restore encrypts with; every key of the DR region (used through RDS
    # only) when not given.
    kms_key_arns: list[str] = field(default_factory=list)


# service prefix -> actions the scripts call, each scoped in operator_policy_document.
OPERATOR_ACTIONS: dict[str, list[str]] = {
    "rds": [
        "rds:DescribeDBInstances",
        "rds:PromoteReadReplica",
        "rds:ModifyDBInstance",
        "rds:RestoreDBInstanceToPointInTime",
        "rds:DescribeDBInstanceAutomatedBackups",
        "rds:AddTagsToResource",
    ],
    "ecs": ["ecs:DescribeServices", "ecs:UpdateService"],
    "application-autoscaling": [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
    ],
    "route53": [
        "route53:GetHealthCheck",
        "route53:GetHealthCheckStatus",
        "route53:UpdateHealthCheck",
        "route53:ListResourceRecordSets",
    ],
    "cloudwatch": ["cloudwatch:GetMetricStatistics", "cloudwatch:DescribeAlarms"],
    "kms": ["kms:CreateGrant", "kms:DescribeKey"],
}

# Granted because AWS authorizes them as part of a call a script makes, not called directly.
IMPLIED_ACTIONS: frozenset[str] = frozenset({"rds:AddTagsToResource", "kms:CreateGrant", "kms:DescribeKey"})


def allowed_actions() -> set[str]:
    return {action for actions in OPERATOR_ACTIONS.values() for action in actions}


def operator_policy_document(scope: OperatorScope) -> dict[str, Any]:
    p = scope.partition
    account, dr = scope.account_id, scope.dr_region
    regions = [scope.primary_region, scope.dr_region]
    subnet_groups = [f"arn:{p}:rds:{r}:{account}:subgrp:*" for r in regions]
    zones = sorted(set(scope.hosted_zone_ids)) or ["*"]
    keys = sorted(set(scope.kms_key_arns)) or [f"arn:{p}:kms:{dr}:{account}:key/*"]
    via_rds = {"StringEquals": {"kms:ViaService": f"rds.{dr}.amazonaws.com"}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DatabasesOfThisStack",
            "Effect": "Allow",
            "Action": [a for a in OPERATOR_ACTIONS["rds"] if a != "rds:DescribeDBInstanceAutomatedBackups"],
            "Resource": sorted(set(scope.db_instance_arns)) + subnet_groups,
        },
        {
            # A restore also authorizes on the backups it reads and on the option and parameter
            # groups the new instance gets (the engine defaults, named by AWS).
            "Sid": "RestoreFromReplicatedBackups",
            "Effect": "Allow",
            "Action": ["rds:RestoreDBInstanceToPointInTime"],
            "Resource": [
                f"arn:{p}:rds:{dr}:{account}:auto-backup:*",
                f"arn:{p}:rds:{dr}:{account}:og:*",
                f"arn:{p}:rds:{dr}:{account}:pg:*",
            ],
        },
        {
            # DescribeDBInstanceAutomatedBackups takes no resource-level permission.
            "Sid": "ReplicatedBackups",
            "Effect": "Allow",
            "Action": ["rds:DescribeDBInstanceAutomatedBackups"],
            "Resource": "*",
        },
        {
            "Sid": "ServicesOfThisStack",
            "Effect": "Allow",
            "Action": OPERATOR_ACTIONS["ecs"],
            "Resource": sorted(set(scope.ecs_service_arns)),
        },
        {
            # Application Auto Scaling scopes by scalable-target ARN, which AWS assigns at
            # registration, so the stack cannot name them in advance.
            "Sid": "ScalingOfThisStack",
            "Effect": "Allow",
            "Action": OPERATOR_ACTIONS["application-autoscaling"],
            "Resource": "*",
        },
        {
            "Sid": "HealthChecksOfThisStack",
            "Effect": "Allow",
            "Action": [a for a in OPERATOR_ACTIONS["route53"] if a != "route53:ListResourceRecordSets"],
            "Resource": [f"arn:{p}:route53:::healthcheck/{hc}" for hc in sorted(set(scope.health_check_ids))],
        },
        {
            "Sid": "FailoverRecordsOfThisStack",
            "Effect": "Allow",
            "Action": ["route53:ListResourceRecordSets"],
            "Resource": [f"arn:{p}:route53:::hostedzone/{z.rsplit('/', 1)[-1]}" for z in zones],
        },
        {
            # CloudWatch metrics have no ARNs: GetMetricStatistics cannot be scoped.
            "Sid": "ReadMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricStatistics"],
            "Resource": "*",
        },
        {
            "Sid": "AlarmsOfThisStack",
            "Effect": "Allow",
            "Action": ["cloudwatch:DescribeAlarms"],
            "Resource": sorted(set(scope.alarm_arns)),
        },
        {
            # A restore encrypted with the DR key: RDS creates a grant on it for the new
            # instance. Only through RDS in the DR region, and only for AWS resources.
            "Sid": "KeysForRestores",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant"],
            "Resource": keys,
            "Condition": {**via_rds, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "DescribeKeysForRestores",
            "Effect": "Allow",
            "Action": ["kms:DescribeKey"],
            "Resource": keys,
            "Condition": via_rds,
        },
        *scope.extra_statements,
    ]
    return {"Version": "2012-10-17", "Statement": statements}
