"""AWS Backup in one region: a vault locked in compliance mode, and the plan's backup rules.

AWS Backup applies every rule of a plan to every resource its selections pick, so each data item
gets its own plan, selecting the item's resources by tag. Only resources tagged
``continuity:backup=active`` are selected: DR copies are standby until a failover makes them the
data the business runs on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity import tags as tag
from continuity.derive import BackupRule, VaultLockSettings
from continuity.names import backup_plan_name

BACKUP_MANAGED_POLICIES = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
]


@dataclass
class BackupVaultArgs:
    vault_name: str
    service: str
    rules: list[BackupRule]
    lock: VaultLockSettings | None
    kms_key_arn: pulumi.Input[str]
    # The other region's vault: copies of copy_to_dr items go there.
    copy_destination_vault_arn: str
    # The regions whose keys encrypt what this vault backs up and copies.
    key_regions: list[str]
    account_id: str
    tags: dict[str, str] = field(default_factory=dict)
    # Tags per data item (service, role, tier, item) for its plan and its recovery points.
    item_tags: dict[str, dict[str, str]] = field(default_factory=dict)


def vault_arn(region: str, account_id: str, vault_name: str) -> str:
    """A vault's ARN from its name: known before the other region's stack has run."""
    return f"arn:aws:backup:{region}:{account_id}:backup-vault:{vault_name}"


class BackupVault(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    plan_ids: dict[str, pulumi.Output[str]]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:BackupVault", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=args.vault_name,
            kms_key_arn=args.kms_key_arn,
            force_destroy=False,
            tags=args.tags,
            opts=child,
        )
        if args.lock is not None:
            aws.backup.VaultLockConfiguration(
                f"{name}-lock",
                backup_vault_name=vault.name,
                # Setting changeable_for_days is what makes the lock compliance mode: after it, no
                # one (root, AWS) can shorten a retention or delete a recovery point.
                changeable_for_days=args.lock.changeable_for_days,
                min_retention_days=args.lock.min_retention_days,
                opts=child,
            )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "backup.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        for index, policy_arn in enumerate(BACKUP_MANAGED_POLICIES):
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{index}", role=role.name, policy_arn=policy_arn, opts=child
            )
        aws.iam.RolePolicy(
            f"{name}-role-keys",
            role=role.id,
            # Encrypted resources and cross-region copies need grants on the customer keys.
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "kms:Decrypt",
                                "kms:Encrypt",
                                "kms:GenerateDataKey*",
                                "kms:ReEncrypt*",
                                "kms:DescribeKey",
                                "kms:CreateGrant",
                            ],
                            "Resource": [
                                f"arn:aws:kms:{r}:{args.account_id}:key/*" for r in args.key_regions
                            ],
                        }
                    ],
                }
            ),
            opts=child,
        )
        self.plan_ids = {}
        items = list(dict.fromkeys(rule.data_item for rule in args.rules))
        for item in items:
            item_rules = [r for r in args.rules if r.data_item == item]
            plan = aws.backup.Plan(
                f"{name}-{item}",
                name=backup_plan_name(args.vault_name, item),
                rules=[
                    {
                        "rule_name": rule.rule_name,
                        "target_vault_name": vault.name,
                        "schedule": rule.schedule,
                        "schedule_expression_timezone": "Etc/UTC",
                        "enable_continuous_backup": rule.continuous,
                        "start_window": rule.start_window_minutes,
                        "completion_window": rule.completion_window_minutes,
                        "lifecycle": {"delete_after": rule.delete_after_days},
                        "recovery_point_tags": args.item_tags.get(item, args.tags),
                        "copy_actions": (
                            [
                                {
                                    "destination_vault_arn": args.copy_destination_vault_arn,
                                    "lifecycle": {"delete_after": rule.delete_after_days},
                                }
                            ]
                            if rule.copy_to_dr
                            else []
                        ),
                    }
                    for rule in item_rules
                ],
                tags=args.item_tags.get(item, args.tags),
                opts=child,
            )
            aws.backup.Selection(
                f"{name}-{item}",
                name=backup_plan_name(args.vault_name, item),
                plan_id=plan.id,
                iam_role_arn=role.arn,
                resources=["*"],
                conditions=[
                    {
                        "string_equals": [
                            {"key": f"aws:ResourceTag/{tag.SERVICE}", "value": args.service},
                            {"key": f"aws:ResourceTag/{tag.DATA_ITEM}", "value": item},
                            {"key": f"aws:ResourceTag/{tag.BACKUP}", "value": tag.BACKUP_ACTIVE},
                        ]
                    }
                ],
                opts=child,
            )
            self.plan_ids[item] = plan.id
        self.vault_name = vault.name
        self.vault_arn = vault.arn
        self.role_arn = role.arn
        self.register_outputs(
            {
                "vault_name": self.vault_name,
                "vault_arn": self.vault_arn,
                "plan_ids": self.plan_ids,
                "role_arn": self.role_arn,
            }
        )
