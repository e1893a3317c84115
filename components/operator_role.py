"""The `dr-operator` role: what on-call engineers assume to run the failover and operations
scripts, allowed exactly the AWS actions those scripts call on this stack's resources."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity.operator_policy import (
    POLICY_GROUPS,
    REST_GROUP,
    OperatorScope,
    PolicyTooLarge,
    operator_policy_documents,
)


@dataclass
class OperatorRoleArgs:
    account_id: str
    primary_region: str
    dr_region: str
    db_instance_arns: Sequence[pulumi.Input[str]]
    ecs_cluster_arns: Sequence[pulumi.Input[str]]
    ecs_service_arns: Sequence[pulumi.Input[str]]
    health_check_ids: Sequence[pulumi.Input[str]]
    alarm_arns: Sequence[pulumi.Input[str]]
    hosted_zone_ids: Sequence[pulumi.Input[str]] = ()
    kms_key_arns: Sequence[pulumi.Input[str]] = ()
    # The operations bucket, where the failover lock is written.
    operations_bucket_arn: pulumi.Input[str] = ""
    experiment_template_arns: Sequence[pulumi.Input[str]] = ()
    alarm_topic_arns: Sequence[pulumi.Input[str]] = ()
    # Who may assume the role; the account's own principals (with sts:AssumeRole) by default.
    trusted_principals: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def _document_of(group: str, documents: dict[str, str]) -> str:
    return documents[group]


class OperatorRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    policy_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: OperatorRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:OperatorRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        principals = args.trusted_principals or [f"arn:aws:iam::{args.account_id}:root"]
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            # A failover can outlast the default hour of credentials.
            max_session_duration=4 * 3600,
            tags=args.tags,
            opts=child,
        )

        def documents(values: list[list[str]]) -> dict[str, str]:
            (
                databases,
                clusters,
                services,
                checks,
                alarms,
                zones,
                keys,
                (operations_bucket,),
                templates,
                topics,
            ) = values
            scope = OperatorScope(
                account_id=args.account_id,
                primary_region=args.primary_region,
                dr_region=args.dr_region,
                db_instance_arns=databases,
                ecs_cluster_arns=clusters,
                ecs_service_arns=services,
                health_check_ids=checks,
                alarm_arns=alarms,
                hosted_zone_ids=zones,
                kms_key_arns=keys,
                operations_bucket_arn=operations_bucket,
                experiment_template_arns=templates,
                alarm_topic_arns=topics,
            )
            try:
                return {name: json.dumps(doc) for name, doc in operator_policy_documents(scope).items()}
            except PolicyTooLarge as err:
                raise pulumi.RunError(str(err)) from None

        policies = pulumi.Output.all(
            pulumi.Output.all(*args.db_instance_arns),
            pulumi.Output.all(*args.ecs_cluster_arns),
            pulumi.Output.all(*args.ecs_service_arns),
            pulumi.Output.all(*args.health_check_ids),
            pulumi.Output.all(*args.alarm_arns),
            pulumi.Output.all(*args.hosted_zone_ids),
            pulumi.Output.all(*args.kms_key_arns),
            pulumi.Output.all(args.operations_bucket_arn),
            pulumi.Output.all(*args.experiment_template_arns),
            pulumi.Output.all(*args.alarm_topic_arns),
        ).apply(documents)
        self.policy_arns = {}
        for group in [*POLICY_GROUPS, REST_GROUP]:
            # The first group keeps the name the single policy had, so upgrading replaces nothing.
            logical = f"{name}-policy" if group == "databases" else f"{name}-policy-{group}"
            policy = aws.iam.Policy(
                logical,
                description=f"What scripts/promote_dr.py and the operations scripts call: {group}",
                policy=policies.apply(functools.partial(_document_of, group)),
                tags=args.tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(logical, role=role.name, policy_arn=policy.arn, opts=child)
            self.policy_arns[group] = policy.arn
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn, "policy_arns": self.policy_arns})
