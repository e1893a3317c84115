"""AWS FIS experiment templates for the seeds' drills, in the primary region they disrupt, and
the role FIS assumes to run them, allowed exactly what their actions do.

The experiments (actions, durations, which alarms stop them) are continuity.assurance's; this
component resolves each action's target to this stack's resources: one availability zone's
subnets, the private subnets, the primary databases, or a replicated bucket by its tags (the
S3 pause action targets by tags only). A template with no stop alarm in its region says so
(source ``none``) rather than pretend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from continuity import tags as tag
from continuity.assurance import ExperimentAction, ExperimentSettings

# FIS takes at most five ARNs per target (CreateExperimentTemplateTargetInput.resourceArns).
TARGET_ARNS_MAX = 5

# What each action needs, from the AWS FIS actions reference ("Permissions" of each action).
# Actions marked there with a dagger act only on what FIS creates and tags managedByFIS=true.
NETWORK_READ = [
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
]
NETWORK_FIS_MANAGED = [
    "ec2:CreateManagedPrefixList",
    "ec2:CreateNetworkAcl",
    "ec2:CreateNetworkAclEntry",
    "ec2:CreateNetworkInterface",
    "ec2:CreateRoute",
    "ec2:CreateRouteTable",
    "ec2:CreateTags",
    "ec2:DeleteManagedPrefixList",
    "ec2:DeleteNetworkAcl",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteRouteTable",
    "ec2:ModifyManagedPrefixList",
]
NETWORK_SWAP = [
    "ec2:AssociateRouteTable",
    "ec2:DisassociateRouteTable",
    "ec2:ModifyVpcEndpoint",
    "ec2:ReplaceNetworkAclAssociation",
    "ec2:ReplaceRouteTableAssociation",
]
FIS_TAG = "managedByFIS"


@dataclass
class ExperimentsArgs:
    experiments: list[ExperimentSettings]
    service: str
    region: str
    account_id: str
    zone_subnet_ids: pulumi.Input[Sequence[str]]  # every subnet of the zone the power interruption takes out
    private_subnet_ids: pulumi.Input[Sequence[str]]
    db_instance_arns: Sequence[pulumi.Input[str]] = ()
    # "primary-health" and "replication:<item>" -> alarm ARN, for the alarms in ``region``.
    stop_alarm_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def experiment_policy(action_ids: set[str], db_arns: list[str], region: str, account_id: str) -> str:
    statements: list[dict[str, Any]] = []
    network = {
        "aws:network:disrupt-connectivity",
        "aws:network:route-table-disrupt-cross-region-connectivity",
    }
    if action_ids & network:
        statements += [
            {"Sid": "ReadNetwork", "Effect": "Allow", "Action": NETWORK_READ, "Resource": "*"},
            {
                "Sid": "FisManagedNetwork",
                "Effect": "Allow",
                "Action": NETWORK_FIS_MANAGED,
                "Resource": "*",
                "Condition": {"StringEquals": {f"aws:RequestTag/{FIS_TAG}": "true"}},
            },
            {
                "Sid": "FisManagedNetworkCleanup",
                "Effect": "Allow",
                "Action": NETWORK_FIS_MANAGED,
                "Resource": "*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{FIS_TAG}": "true"}},
            },
            {
                "Sid": "SwapNetworkAssociations",
                "Effect": "Allow",
                "Action": NETWORK_SWAP,
                "Resource": f"arn:aws:ec2:{region}:{account_id}:*",
            },
        ]
    if "aws:rds:reboot-db-instances" in action_ids and db_arns:
        statements += [
            {
                "Sid": "RebootDatabases",
                "Effect": "Allow",
                "Action": ["rds:RebootDBInstance"],
                "Resource": db_arns,
            },
            {
                "Sid": "ReadDatabases",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances"],
                "Resource": "*",
            },
        ]
    if "aws:s3:bucket-pause-replication" in action_ids:
        statements += [
            {
                "Sid": "PauseReplication",
                "Effect": "Allow",
                "Action": ["s3:PutReplicationConfiguration", "s3:GetReplicationConfiguration"],
                "Resource": "arn:aws:s3:::*",
                "Condition": {"BoolIfExists": {"s3:IsReplicationPauseRequest": "true"}},
            },
            {
                "Sid": "PauseReplicationApi",
                "Effect": "Allow",
                "Action": ["s3:PauseReplication", "s3:ListAllMyBuckets"],
                "Resource": "*",
            },
        ]
    if action_ids & {"aws:rds:reboot-db-instances", "aws:s3:bucket-pause-replication"}:
        # Targets by tags are resolved through the Resource Groups Tagging API.
        statements.append(
            {"Sid": "ResolveTargets", "Effect": "Allow", "Action": ["tag:GetResources"], "Resource": "*"}
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def subnet_arn(region: str, account_id: str, subnet_id: str) -> str:
    return f"arn:aws:ec2:{region}:{account_id}:subnet/{subnet_id}"


class Experiments(pulumi.ComponentResource):
    template_ids: dict[str, pulumi.Output[str]]  # experiment name -> template id
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ExperimentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:Experiments", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if len(args.db_instance_arns) > TARGET_ARNS_MAX:
            raise pulumi.RunError(
                f"{args.service}: {len(args.db_instance_arns)} primary databases; an FIS target names "
                f"at most {TARGET_ARNS_MAX}"
            )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "fis.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            # Only this account's experiments (confused deputy).
                            "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        action_ids = {a.action_id for e in args.experiments for a in e.actions}
        policy = aws.iam.RolePolicy(
            f"{name}-role",
            role=role.id,
            policy=pulumi.Output.all(*args.db_instance_arns).apply(
                lambda arns: experiment_policy(action_ids, list(arns), args.region, args.account_id)
            ),
            opts=child,
        )
        self.template_ids = {}
        for experiment in args.experiments:
            targets: dict[str, dict[str, Any]] = {}
            for action in experiment.actions:
                targets.setdefault(action.target, self._target(args, action))
            stops: list[aws.fis.ExperimentTemplateStopConditionArgsDict] = [
                {"source": "aws:cloudwatch:alarm", "value": args.stop_alarm_arns[key]}
                for key in experiment.stop_alarms
                if key in args.stop_alarm_arns
            ]
            if not stops:
                stops = [{"source": "none"}]
            template = aws.fis.ExperimentTemplate(
                f"{name}-{experiment.name}",
                description=experiment.description[:512],
                role_arn=role.arn,
                stop_conditions=stops,
                targets=cast(list[aws.fis.ExperimentTemplateTargetArgsDict], list(targets.values())),
                actions=[
                    {
                        "name": action.name,
                        "action_id": action.action_id,
                        "parameters": [{"key": k, "value": v} for k, v in action.parameters],
                        "target": {"key": self._target_key(action.resource_type), "value": action.target},
                    }
                    for action in experiment.actions
                ],
                region=args.region,
                tags={**args.tags, "Name": f"{args.service}-{experiment.name}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
            self.template_ids[experiment.name] = template.id
        self.role_arn = role.arn
        self.register_outputs({"template_ids": self.template_ids, "role_arn": self.role_arn})

    @staticmethod
    def _target_key(resource_type: str) -> str:
        """The key an action uses for its target: the action's documented target type."""
        return {"aws:ec2:subnet": "Subnets", "aws:rds:db": "DBInstances", "aws:s3:bucket": "Buckets"}[
            resource_type
        ]

    @staticmethod
    def _target(args: ExperimentsArgs, action: ExperimentAction) -> dict[str, Any]:
        target: dict[str, Any] = {
            "name": action.target,
            "resource_type": action.resource_type,
            "selection_mode": "ALL",
        }
        if action.selects in ("zone-subnets", "private-subnets"):
            ids = args.zone_subnet_ids if action.selects == "zone-subnets" else args.private_subnet_ids
            target["resource_arns"] = pulumi.Output.from_input(ids).apply(
                lambda found: [subnet_arn(args.region, args.account_id, s) for s in found]
            )
        elif action.selects == "databases":
            target["resource_arns"] = list(args.db_instance_arns)
        else:
            item = action.selects.split(":", 1)[1]
            target["resource_tags"] = [
                {"key": tag.SERVICE, "value": args.service},
                {"key": tag.DATA_ITEM, "value": item},
            ]
        return target
