"""AWS Backup Audit Manager in one region: the plan's controls as a framework, evaluated every
day by AWS, and a report plan delivering the framework's compliance to a bucket.

The controls and their numbers come from continuity.assurance.framework_for; this component
only declares them. Audit Manager evaluates through AWS Config, which must record the resource
types the controls read (backup plans, selections, recovery points) in this account and region.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.backup_bucket import private_and_encrypted
from continuity import tags as tag
from continuity.assurance import AUDIT_REPORTS_ROLE, FrameworkSettings

# The bucket policy names Audit Manager's role through aws:PrincipalArn (AUDIT_REPORTS_ROLE): S3
# counts a grant to a fixed principal ARN as not public (Amazon S3 User Guide, "The meaning of
# public"), so Block Public Access keeps allowing it.
# The compliance of each control of the framework (ReportSetting.ReportTemplate).
REPORT_TEMPLATE = "CONTROL_COMPLIANCE_REPORT"
REPORT_FORMATS = ["CSV", "JSON"]
REPORT_PREFIX = "backup-audit"


@dataclass
class BackupAuditArgs:
    framework: FrameworkSettings
    account_id: str
    # The reports bucket's name prefix (S3 adds a unique suffix; at most 37 characters).
    bucket_prefix: str
    # The region's key; its policy lets Audit Manager's role use it for the reports
    # (components/encryption.py, "BackupAuditReports").
    kms_key_arn: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


def reports_bucket_policy(bucket_arn: str, account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AuditManagerDeliversReports",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/*",
                    "Condition": {
                        "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account_id}:{AUDIT_REPORTS_ROLE}"},
                        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
                    },
                },
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


class BackupAudit(pulumi.ComponentResource):
    framework_arn: pulumi.Output[str]
    report_plan_arn: pulumi.Output[str]
    report_bucket_name: pulumi.Output[str]
    report_bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupAuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:BackupAudit", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-reports",
            bucket_prefix=args.bucket_prefix,
            # Compliance reports, not plan data: s3-bucket-require-plan-item accepts it for this reason.
            tags={**args.tags, tag.EXEMPT: "AWS Backup Audit Manager compliance reports, no plan data"},
            opts=child,
        )
        block = private_and_encrypted(bucket, args.kms_key_arn, f"{name}-reports", f"{name}-reports", child)
        policy = aws.s3.BucketPolicy(
            f"{name}-reports",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: reports_bucket_policy(arn, args.account_id)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        framework = aws.backup.Framework(
            f"{name}-framework",
            name=args.framework.name,
            description=args.framework.description,
            controls=[
                {
                    "name": control.name,
                    "input_parameters": [{"name": k, "value": v} for k, v in control.parameters],
                    "scope": {"tags": control.scope_tags},
                }
                for control in args.framework.controls
            ],
            tags=args.tags,
            opts=child,
        )
        report_plan = aws.backup.ReportPlan(
            f"{name}-report-plan",
            name=args.framework.report_plan_name,
            description=f"Compliance of {args.framework.name}, control by control",
            report_delivery_channel={
                "s3_bucket_name": bucket.bucket,
                "s3_key_prefix": REPORT_PREFIX,
                "formats": REPORT_FORMATS,
            },
            report_setting={
                "report_template": REPORT_TEMPLATE,
                "framework_arns": [framework.arn],
                "number_of_frameworks": 1,
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.framework_arn = framework.arn
        self.report_plan_arn = report_plan.arn
        self.report_bucket_name = bucket.bucket
        self.report_bucket_arn = bucket.arn
        self.register_outputs(
            {
                "framework_arn": self.framework_arn,
                "report_plan_arn": self.report_plan_arn,
                "report_bucket_name": self.report_bucket_name,
                "report_bucket_arn": self.report_bucket_arn,
            }
        )
