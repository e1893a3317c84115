"""A customer-managed KMS key per region, rotated yearly, that everything in the region uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity.assurance import AUDIT_REPORTS_ROLE

# The longest waiting period AWS allows before a scheduled key deletion: a deleted key makes every
# backup it encrypted unreadable, so the mistake gets the most time to be cancelled.
KEY_DELETION_WINDOW_DAYS = 30


@dataclass
class EncryptionArgs:
    alias: str
    account_id: str
    region: str
    tags: dict[str, str] = field(default_factory=dict)


def key_policy(account_id: str, region: str) -> str:
    """The account administers the key; CloudWatch (alarms publishing to encrypted SNS topics)
    and CloudWatch Logs may use it, which they cannot through IAM alone."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # EventBridge too: the AWS Backup job rules publish to the alarm topic.
                    "Sid": "AlarmsPublishToEncryptedTopics",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
                {
                    # Backup Audit Manager's reports (components/backup_audit.py); named by condition,
                    # since its service-linked role exists only once a report plan has run.
                    "Sid": "BackupAuditReports",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account_id}:{AUDIT_REPORTS_ROLE}"}
                    },
                },
                {
                    "Sid": "LogsEncrypt",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:*"
                        }
                    },
                },
            ],
        }
    )


class Encryption(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:Encryption", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.alias}: data, backups and replicas in {args.region}",
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=key_policy(args.account_id, args.region),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id})
