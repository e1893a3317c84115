"""The failover as an ARC Region switch plan: the same steps as ``scripts/promote_dr.py``, run by
AWS inside AWS, so a regional outage does not wait on one person's laptop.

The plan's structure (steps, their order, their timeouts from the tiers' RTOs, whether the
primary's health alarm triggers it) is continuity.assurance.region_switch_for; this component
wires it to the stacks' resources, both regions' (ECS and EKS steps name the primary's resource
and the DR's, since Region switch matches the DR's capacity to what the primary ran):

    approve (ManualApproval; absent when the plan fails over automatically)
    recover (Parallel): promote each replica (RdsPromoteReadReplica), scale each ECS service
        (ECSServiceScaling) and each EKS Deployment (EKSResourceScaling) to 100% of the primary's
    settle-databases (CustomActionLambda, functions/promote_replica): plan retention, Multi-AZ
        and deletion protection on the promoted instance, or the restore under backup-restore
    route-traffic (Route53HealthCheck)

It also declares the roles it needs, each allowed only what its blocks do: the plan's execution
role, the role a person assumes to approve, and the Lambda's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from continuity import names as aws_names
from continuity.assurance import (
    APPROVAL,
    CAPACITY_TARGET_PERCENT,
    ECS_CAPACITY_MONITORING,
    ECS_SCALING,
    EKS_CAPACITY_MONITORING,
    EKS_RESOURCE,
    EKS_SCALING,
    HEALTH_ALARM_KEY,
    LAMBDA,
    LAMBDA_REGION,
    LAMBDA_RETRY_MINUTES,
    PARALLEL,
    RDS_PROMOTE,
    ROUTE53,
    TRIGGER_CONDITION,
    RegionSwitchSettings,
    SwitchStep,
)

FUNCTION_DIR = Path(__file__).resolve().parent.parent / "functions" / "promote_replica"
RUNTIME = "python3.12"
# One pass reads each database and makes at most one call for it: it needs no more than the
# retry interval Region switch waits before calling again.
FUNCTION_TIMEOUT_SECONDS = int(LAMBDA_RETRY_MINUTES * 60)
# Region switch's access policy for EKS ("Amazon EKS resource scaling execution block").
EKS_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
REPORT_PREFIX = "region-switch"


@dataclass
class SwitchDatabase:
    """A database as the promotion contract describes it (continuity/outputs.py)."""

    data_item: str
    mode: str  # replica | restore
    identifier: str  # the DR instance
    primary_arn: pulumi.Input[str]
    dr_arn: pulumi.Input[str]  # the replica, or the ARN a restore creates
    backup_retention_days: int
    multi_az: bool = True
    deletion_protection: bool = True
    automated_backups_arn: pulumi.Input[str] | None = None
    subnet_group: pulumi.Input[str] | None = None
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    instance_class: str | None = None


@dataclass
class SwitchService:
    name: str
    primary_cluster_arn: pulumi.Input[str]
    primary_service_arn: pulumi.Input[str]
    dr_cluster_arn: pulumi.Input[str]
    dr_service_arn: pulumi.Input[str]


@dataclass
class SwitchDeployment:
    name: str
    namespace: str
    primary_deployment: pulumi.Input[str]
    primary_autoscaler: pulumi.Input[str]
    dr_deployment: pulumi.Input[str]
    dr_autoscaler: pulumi.Input[str]


@dataclass
class EksClusters:
    primary_arn: pulumi.Input[str]
    primary_name: pulumi.Input[str]
    dr_arn: pulumi.Input[str]
    dr_name: pulumi.Input[str]


@dataclass
class RegionSwitchArgs:
    settings: RegionSwitchSettings
    account_id: str
    # Who may assume the approval role (the operators); the account's principals by default.
    approvers: list[str] = field(default_factory=list)
    databases: list[SwitchDatabase] = field(default_factory=list)
    services: list[SwitchService] = field(default_factory=list)
    deployments: list[SwitchDeployment] = field(default_factory=list)
    eks: EksClusters | None = None
    hosted_zone_id: pulumi.Input[str] | None = None
    record_name: str | None = None
    # The failover records' set identifiers, by region (components/failover_dns.py uses the role).
    set_identifiers: dict[str, str] = field(default_factory=dict)
    health_alarm_arn: pulumi.Input[str] | None = None
    report_bucket: pulumi.Input[str] | None = None
    kms_key_arn: pulumi.Input[str] | None = None  # the DR key: restores and the Lambda's logs
    tags: dict[str, str] = field(default_factory=dict)


def _trust(service: str, account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


def function_policy(
    databases: list[dict[str, Any]], region: str, account_id: str, log_group_arn: str, key_arn: str | None
) -> str:
    """The Lambda's role: describe, promote and modify its DR instances; restore them (restore
    mode) from their replicated backups; write its own log group."""
    instances = [f"arn:aws:rds:{region}:{account_id}:db:{db['identifier']}" for db in databases]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "SettleDatabases",
            "Effect": "Allow",
            "Action": ["rds:DescribeDBInstances", "rds:PromoteReadReplica", "rds:ModifyDBInstance"],
            "Resource": instances,
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    ]
    restores = [db for db in databases if db["mode"] == "restore"]
    if restores:
        statements.append(
            {
                "Sid": "RestoreReplicatedBackups",
                "Effect": "Allow",
                "Action": ["rds:RestoreDBInstanceToPointInTime", "rds:AddTagsToResource"],
                "Resource": [
                    *[f"arn:aws:rds:{region}:{account_id}:db:{db['identifier']}" for db in restores],
                    *[db["automated_backups_arn"] for db in restores],
                    *[
                        f"arn:aws:rds:{region}:{account_id}:subgrp:{db['subnet_group']}"
                        for db in restores
                        if db.get("subnet_group")
                    ],
                    f"arn:aws:rds:{region}:{account_id}:og:*",
                    f"arn:aws:rds:{region}:{account_id}:pg:*",
                ],
            }
        )
        if key_arn:
            # RDS uses the DR key on the caller's behalf to encrypt the restored instance.
            statements.append(
                {
                    "Sid": "RestoreEncrypted",
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant", "kms:DescribeKey"],
                    "Resource": key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"rds.{region}.amazonaws.com"}},
                }
            )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass
class ExecutionScope:
    """What the plan's execution role acts on, resolved."""

    db_arns: list[str]
    ecs_service_arns: list[str]
    ecs_cluster_arns: list[str]
    eks_cluster_arns: list[str]
    function_arn: str | None
    hosted_zone_id: str | None
    alarm_arn: str | None
    report_bucket: str | None


def execution_policy(scope: ExecutionScope) -> str:
    """The plan's execution role, from the execution blocks' sample policies (ARC Developer
    Guide, "Execution block permissions"), scoped to this plan's resources where the service
    allows it."""
    statements: list[dict[str, Any]] = []
    if scope.db_arns:
        statements.append(
            {
                "Sid": "PromoteReplicas",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances", "rds:PromoteReadReplica", "rds:ModifyDBInstance"],
                "Resource": scope.db_arns,
            }
        )
    if scope.ecs_service_arns:
        statements += [
            {
                "Sid": "ScaleServices",
                "Effect": "Allow",
                "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
                "Resource": scope.ecs_service_arns,
            },
            {
                "Sid": "ReadClusters",
                "Effect": "Allow",
                "Action": ["ecs:DescribeClusters"],
                "Resource": scope.ecs_cluster_arns,
            },
            {
                # ListServices, Application Auto Scaling and metric reads take no resource ARN.
                "Sid": "ReadCapacity",
                "Effect": "Allow",
                "Action": [
                    "ecs:ListServices",
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:RegisterScalableTarget",
                    "cloudwatch:GetMetricStatistics",
                ],
                "Resource": "*",
            },
        ]
    if scope.eks_cluster_arns:
        statements.append(
            {
                "Sid": "ScaleDeployments",
                "Effect": "Allow",
                "Action": ["eks:DescribeCluster", "eks:ListAssociatedAccessPolicies"],
                "Resource": scope.eks_cluster_arns,
            }
        )
    if scope.function_arn:
        statements.append(
            {
                "Sid": "SettleDatabases",
                "Effect": "Allow",
                "Action": ["lambda:GetFunction", "lambda:InvokeFunction"],
                "Resource": scope.function_arn,
            }
        )
    if scope.hosted_zone_id:
        statements.append(
            {
                "Sid": "RouteTraffic",
                "Effect": "Allow",
                "Action": ["route53:ListResourceRecordSets"],
                "Resource": f"arn:aws:route53:::hostedzone/{scope.hosted_zone_id}",
            }
        )
    if scope.alarm_arn:
        statements.append(
            {
                "Sid": "WatchHealth",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarms"],
                "Resource": scope.alarm_arn,
            }
        )
    if scope.report_bucket:
        statements.append(
            {
                "Sid": "WriteReports",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{scope.report_bucket}/{REPORT_PREFIX}/*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def plan_arn_pattern(account_id: str, name: str) -> str:
    """The plan's ARN with its generated suffix wildcarded (PlanArn: plan/<name>:<6 characters>),
    so the approval role can name it before the plan exists."""
    return f"arn:aws:arc-region-switch::{account_id}:plan/{name}:*"


class RegionSwitch(pulumi.ComponentResource):
    plan_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    approval_role_arn: pulumi.Output[str]
    function_arn: pulumi.Output[str] | None
    function_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: RegionSwitchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:RegionSwitch", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        self._args = args
        missing = self._missing(args)
        if missing:
            raise pulumi.RunError(f"Region switch plan {s.name}: {missing}")
        approvers = args.approvers or [f"arn:aws:iam::{args.account_id}:root"]
        approval_role = aws.iam.Role(
            aws_names.autonamed(f"{name}-approver", aws_names.IAM_ROLE_NAME_MAX),
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": approvers}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-approver",
            role=approval_role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["arc-region-switch:ApprovePlanExecutionStep"],
                            "Resource": plan_arn_pattern(args.account_id, s.name),
                        }
                    ],
                }
            ),
            opts=child,
        )
        self.function_arn = self.function_name = None
        if args.databases:
            self._function(name, args)

        role = aws.iam.Role(
            aws_names.autonamed(f"{name}-execution", aws_names.IAM_ROLE_NAME_MAX),
            assume_role_policy=_trust("arc-region-switch.amazonaws.com", args.account_id),
            tags=args.tags,
            opts=child,
        )
        replicas = [d for d in args.databases if d.mode == "replica"]
        policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=role.id,
            policy=pulumi.Output.all(
                pulumi.Output.all(*[a for d in replicas for a in (d.primary_arn, d.dr_arn)]),
                pulumi.Output.all(
                    *[a for sv in args.services for a in (sv.primary_service_arn, sv.dr_service_arn)]
                ),
                pulumi.Output.all(
                    *[a for sv in args.services for a in (sv.primary_cluster_arn, sv.dr_cluster_arn)]
                ),
                pulumi.Output.all(
                    *([args.eks.primary_arn, args.eks.dr_arn] if args.eks and args.deployments else [])
                ),
                self.function_arn,
                args.hosted_zone_id,
                args.health_alarm_arn if s.automatic else None,
                args.report_bucket,
            ).apply(
                lambda v: execution_policy(
                    ExecutionScope(list(v[0]), list(v[1]), list(v[2]), list(v[3]), v[4], v[5], v[6], v[7])
                )
            ),
            opts=child,
        )
        access: list[pulumi.Resource] = []
        if args.eks is not None and args.deployments:
            namespaces = sorted({d.namespace for d in args.deployments})
            for region, cluster in (
                (s.primary_region, args.eks.primary_name),
                (s.dr_region, args.eks.dr_name),
            ):
                entry = aws.eks.AccessEntry(
                    f"{name}-eks-{region}",
                    cluster_name=cluster,
                    principal_arn=role.arn,
                    type="STANDARD",
                    region=region,
                    tags=args.tags,
                    opts=child,
                )
                access.append(
                    aws.eks.AccessPolicyAssociation(
                        f"{name}-eks-{region}",
                        cluster_name=cluster,
                        principal_arn=role.arn,
                        policy_arn=EKS_ACCESS_POLICY,
                        access_scope={"type": "namespace", "namespaces": namespaces},
                        region=region,
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                    )
                )

        plan_args: dict[str, Any] = {}
        if s.automatic and args.health_alarm_arn is not None:
            plan_args["associated_alarms"] = [
                {
                    "map_block_key": HEALTH_ALARM_KEY,
                    "alarm_type": "trigger",
                    "resource_identifier": args.health_alarm_arn,
                }
            ]
            plan_args["triggers"] = [
                {
                    "action": "activate",
                    "target_region": s.dr_region,
                    "min_delay_minutes_between_executions": s.trigger_delay_minutes,
                    "conditions": [
                        {"associated_alarm_name": HEALTH_ALARM_KEY, "condition": TRIGGER_CONDITION}
                    ],
                    "description": "The primary's entry point fails its Route 53 health check",
                }
            ]
        if args.report_bucket is not None:
            plan_args["report_configurations"] = [
                {
                    "report_outputs": [
                        {
                            "s3_configurations": [
                                {
                                    "bucket_owner": args.account_id,
                                    "bucket_path": pulumi.Output.from_input(args.report_bucket).apply(
                                        lambda b: f"s3://{b}/{REPORT_PREFIX}"
                                    ),
                                }
                            ]
                        }
                    ]
                }
            ]
        plan = aws.arcregionswitch.Plan(
            f"{name}-plan",
            name=s.name,
            description=f"Fail over to {s.dr_region} as scripts/promote_dr.py does",
            execution_role=role.arn,
            recovery_approach="activePassive",
            regions=[s.primary_region, s.dr_region],
            primary_region=s.primary_region,
            recovery_time_objective_minutes=s.recovery_time_objective_minutes,
            workflows=[
                {
                    "workflow_target_action": "activate",
                    "workflow_target_region": s.dr_region,
                    "workflow_description": f"Activate {s.dr_region}: the failover",
                    "steps": cast(Any, [self._step(step, approval_role) for step in s.steps]),
                }
            ],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, *access]),
            **plan_args,
        )
        self.plan_arn = plan.arn
        self.execution_role_arn = role.arn
        self.approval_role_arn = approval_role.arn
        self.register_outputs(
            {
                "plan_arn": self.plan_arn,
                "execution_role_arn": self.execution_role_arn,
                "approval_role_arn": self.approval_role_arn,
                "function_arn": self.function_arn,
                "function_name": self.function_name,
            }
        )

    @staticmethod
    def _missing(args: RegionSwitchArgs) -> str | None:
        """What a step of the plan needs that the arguments do not give, in one line."""
        s = args.settings
        for step in s.flat():
            if step.block == RDS_PROMOTE and step.target not in {d.data_item for d in args.databases}:
                return f"step {step.name} promotes data item {step.target}, which is not among the databases"
            if step.block == ECS_SCALING and step.target not in {x.name for x in args.services}:
                return f"step {step.name} scales ECS service {step.target}, which is not among the services"
            if step.block == EKS_SCALING and (
                args.eks is None or step.target not in {x.name for x in args.deployments}
            ):
                return (
                    f"step {step.name} scales Deployment {step.target}, which needs EKS clusters and "
                    "its Deployments"
                )
            if step.block == ROUTE53 and (
                args.hosted_zone_id is None
                or not args.record_name
                or set(args.set_identifiers) != {s.primary_region, s.dr_region}
            ):
                return (
                    f"step {step.name} needs the hosted zone, the record name and both regions' set "
                    "identifiers"
                )
            if step.block == LAMBDA and not args.databases:
                return f"step {step.name} settles databases, but none is given"
        return None

    def _function(self, name: str, args: RegionSwitchArgs) -> None:
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{s.name}-settle-databases"
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-settle-databases",
            name=f"/aws/lambda/{function_name}",
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=child,
        )
        role = aws.iam.Role(
            aws_names.autonamed(f"{name}-settle-databases", aws_names.IAM_ROLE_NAME_MAX),
            assume_role_policy=_trust("lambda.amazonaws.com", args.account_id),
            tags=args.tags,
            opts=child,
        )
        databases = pulumi.Output.all(
            *[
                pulumi.Output.all(
                    d.data_item,
                    d.mode,
                    d.identifier,
                    d.backup_retention_days,
                    d.multi_az,
                    d.deletion_protection,
                    d.automated_backups_arn,
                    d.subnet_group,
                    pulumi.Output.all(*d.security_group_ids),
                    d.instance_class,
                )
                for d in args.databases
            ]
        ).apply(
            lambda rows: [
                {
                    "data_item": r[0],
                    "mode": r[1],
                    "identifier": r[2],
                    "backup_retention_days": r[3],
                    "multi_az": r[4],
                    "deletion_protection": r[5],
                    **(
                        {
                            "automated_backups_arn": r[6],
                            "subnet_group": r[7],
                            "security_group_ids": list(r[8]),
                            "instance_class": r[9],
                        }
                        if r[1] == "restore"
                        else {}
                    ),
                }
                for r in rows
            ]
        )
        policy = aws.iam.RolePolicy(
            f"{name}-settle-databases",
            role=role.id,
            policy=pulumi.Output.all(databases, log_group.arn, args.kms_key_arn).apply(
                lambda v: function_policy(v[0], s.dr_region, args.account_id, v[1], v[2])
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-settle-databases",
            name=function_name,
            description="Region switch: promote or restore the DR databases, then apply the plan's settings",
            runtime=RUNTIME,
            handler="handler.handler",
            code=pulumi.FileArchive(str(FUNCTION_DIR)),
            role=role.arn,
            timeout=FUNCTION_TIMEOUT_SECONDS,
            environment={"variables": {"CONTINUITY_DATABASES": databases.apply(json.dumps)}},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )
        self.function_arn = function.arn
        self.function_name = function.name

    def _step(self, step: SwitchStep, approval_role: aws.iam.Role) -> dict[str, Any]:
        args, s = self._args, self._args.settings
        found: dict[str, Any] = {
            "name": step.name,
            "execution_block_type": step.block,
            "description": step.source,
        }
        if step.block == PARALLEL:
            found["parallel_configs"] = [{"steps": [self._step(c, approval_role) for c in step.children]}]
        elif step.block == APPROVAL:
            found["execution_approval_configs"] = [
                {"approval_role": approval_role.arn, "timeout_minutes": step.timeout_minutes}
            ]
        elif step.block == RDS_PROMOTE:
            db = next(d for d in args.databases if d.data_item == step.target)
            found["rds_promote_read_replica_configs"] = [
                {
                    "db_instance_arn_map": {s.primary_region: db.primary_arn, s.dr_region: db.dr_arn},
                    "timeout_minutes": step.timeout_minutes,
                }
            ]
        elif step.block == ECS_SCALING:
            sv = next(x for x in args.services if x.name == step.target)
            found["ecs_capacity_increase_configs"] = [
                {
                    "services": [
                        {"cluster_arn": sv.primary_cluster_arn, "service_arn": sv.primary_service_arn},
                        {"cluster_arn": sv.dr_cluster_arn, "service_arn": sv.dr_service_arn},
                    ],
                    "target_percent": CAPACITY_TARGET_PERCENT,
                    "capacity_monitoring_approach": ECS_CAPACITY_MONITORING,
                    "timeout_minutes": step.timeout_minutes,
                }
            ]
        elif step.block == EKS_SCALING:
            assert args.eks is not None, "region_switch_for scales Kubernetes only on EKS"
            dep = next(x for x in args.deployments if x.name == step.target)
            found["eks_resource_scaling_configs"] = [
                {
                    "kubernetes_resource_types": [{"api_version": EKS_RESOURCE[0], "kind": EKS_RESOURCE[1]}],
                    "eks_clusters": [{"cluster_arn": args.eks.primary_arn}, {"cluster_arn": args.eks.dr_arn}],
                    # The provider calls the application's key "namespace"; the API names it the
                    # application, mapping each region to its Deployment and autoscaler.
                    "scaling_resources": [
                        {
                            "namespace": dep.name,
                            "resources": [
                                {
                                    "resource_name": s.primary_region,
                                    "namespace": dep.namespace,
                                    "name": dep.primary_deployment,
                                    "hpa_name": dep.primary_autoscaler,
                                },
                                {
                                    "resource_name": s.dr_region,
                                    "namespace": dep.namespace,
                                    "name": dep.dr_deployment,
                                    "hpa_name": dep.dr_autoscaler,
                                },
                            ],
                        }
                    ],
                    "target_percent": CAPACITY_TARGET_PERCENT,
                    "capacity_monitoring_approach": EKS_CAPACITY_MONITORING,
                    "timeout_minutes": step.timeout_minutes,
                }
            ]
        elif step.block == LAMBDA:
            assert self.function_arn is not None
            found["custom_action_lambda_configs"] = [
                {
                    "lambdas": [{"arn": self.function_arn}],
                    "region_to_run": LAMBDA_REGION,
                    "retry_interval_minutes": LAMBDA_RETRY_MINUTES,
                    "timeout_minutes": step.timeout_minutes,
                }
            ]
        elif step.block == ROUTE53:
            found["route53_health_check_configs"] = [
                {
                    "hosted_zone_id": args.hosted_zone_id,
                    "record_name": args.record_name,
                    "record_sets": [
                        {"record_set_identifier": args.set_identifiers[region], "region": region}
                        for region in (s.primary_region, s.dr_region)
                    ],
                    "timeout_minutes": step.timeout_minutes,
                }
            ]
        return found
