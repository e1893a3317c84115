"""BackupAudit under mocks: the framework declares exactly the plan's controls, the report plan
delivers that framework's compliance to its own bucket, which only Audit Manager may write to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.backup_audit import BackupAudit, BackupAuditArgs
from continuity.assurance import framework_for
from continuity.plan import load_plan
from tests.components.declare import Declared, declare
from tests.conftest import ALL_PLANS, DEFAULT_PLAN, ROOT

ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0000"
FRAMEWORK = "aws:backup/framework:Framework"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
TOKEN = "continuity:components:BackupAudit"
PLANS = [p for p in ALL_PLANS if framework_for(load_plan(p), "primary") is not None]


def audit(path: Path, role: str = "primary") -> Declared:
    plan = load_plan(path)
    framework = framework_for(plan, role)
    assert framework is not None

    def build() -> dict[str, object]:
        component = BackupAudit(
            f"{plan.service}-audit",
            BackupAuditArgs(
                framework, ACCOUNT, f"{plan.service}-{role}-audit-", KEY, {"continuity:service": plan.service}
            ),
        )
        return {"framework_arn": component.framework_arn, "bucket": component.report_bucket_name}

    return declare(build, region=plan.regions.primary if role == "primary" else plan.regions.dr, stack=role)


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
@pytest.mark.parametrize("role", ["primary", "dr"])
def test_framework__declares_the_derived_controls(path: Path, role: str) -> None:
    framework = framework_for(load_plan(path), role)
    assert framework is not None
    declared = audit(path, role)
    found = declared.one(FRAMEWORK)
    inputs = found.plain_inputs()
    assert inputs["name"] == framework.name, found.urn
    assert [
        (c["name"], [(p["name"], p["value"]) for p in c["inputParameters"]], c["scope"]["tags"])
        for c in inputs["controls"]
    ] == [(c.name, list(c.parameters), c.scope_tags) for c in framework.controls], found.urn


def test_report_plan__delivers_the_framework_to_its_bucket() -> None:
    declared = audit(ROOT / "examples" / "plans" / "katya.yaml")
    plan = declared.one(REPORT_PLAN)
    inputs = plan.plain_inputs()
    assert inputs["name"] == "katya_primary_compliance", plan.urn
    assert inputs["reportSetting"] == {
        "reportTemplate": "CONTROL_COMPLIANCE_REPORT",
        "frameworkArns": [declared.outputs["framework_arn"]],
        "numberOfFrameworks": 1,
    }, plan.urn
    assert inputs["reportDeliveryChannel"] == {
        "s3BucketName": declared.outputs["bucket"],
        "s3KeyPrefix": "backup-audit",
        "formats": ["CSV", "JSON"],
    }, plan.urn
    # The report plan waits for the bucket policy: a delivery before it would be refused.
    policy = declared.one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.urn in plan.dependencies, plan.urn


def test_reports_bucket__only_audit_manager_writes_over_tls() -> None:
    declared = audit(ROOT / "examples" / "plans" / "katya.yaml")
    policy = declared.one("aws:s3/bucketPolicy:BucketPolicy")
    statements = json.loads(policy.plain_inputs()["policy"])["Statement"]
    arn = f"arn:aws:s3:::{declared.outputs['bucket']}"
    assert statements == [
        {
            "Sid": "AuditManagerDeliversReports",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": f"{arn}/*",
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/reports.backup.amazonaws.com/"
                    "AWSServiceRoleForBackupReports"
                },
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
            },
        },
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ], policy.urn
    block = declared.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").plain_inputs()
    assert all(
        block[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )


def test_component__children_and_outputs() -> None:
    declared = audit(DEFAULT_PLAN)
    (component,) = [r for r in declared.resources if r.type == TOKEN]
    children = [r for r in declared.resources if r.custom]
    assert children
    assert all(r.parent == component.urn for r in children), [
        r.urn for r in children if r.parent != component.urn
    ]
    assert declared.outputs["framework_arn"].startswith("arn:aws:backup:us-east-1:")
