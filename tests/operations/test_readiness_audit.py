"""dr_readiness.py beside AWS Backup Audit Manager: each region's framework and its controls'
compliance (through the AWS Config rules AWS Backup deploys), against moto, with the Audit Manager
evaluation moto lacks answered by offline/moto_audit_manager.py; the pure parts table-first."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from continuity.assurance import FrameworkSettings, framework_for
from continuity.plan import load_plan
from offline.moto_audit_manager import AuditManager
from operations.aws import Aws
from operations.readiness.audit import (
    COMPLIANT,
    NON_COMPLIANT,
    UNKNOWN,
    DeployedControl,
    judge,
    read_framework,
    rule_for,
)
from tests.conftest import DEFAULT_PLAN
from tests.operations.harness import FakeClock
from tests.operations.toolkit import Toolkit, ready
from tests.operations.world import DR, PRIMARY

Make = Callable[..., Toolkit]


def primary_framework() -> FrameworkSettings:
    framework = framework_for(load_plan(DEFAULT_PLAN), "primary")
    assert framework is not None
    return framework


# ---------------------------------------------------------------------------------------------
# Pure parts


@pytest.mark.parametrize(
    ("compliance", "expected"),
    [
        ({"ComplianceType": "COMPLIANT"}, (COMPLIANT, "every resource in scope complies")),
        (
            {
                "ComplianceType": "NON_COMPLIANT",
                "ComplianceContributorCount": {"CappedCount": 3, "CapExceeded": False},
            },
            (NON_COMPLIANT, "3 resource(s) do not comply"),
        ),
        (
            {
                "ComplianceType": "NON_COMPLIANT",
                "ComplianceContributorCount": {"CappedCount": 100, "CapExceeded": True},
            },
            (NON_COMPLIANT, "100+ resource(s) do not comply"),
        ),
        ({"ComplianceType": "NON_COMPLIANT"}, (NON_COMPLIANT, "not compliant")),
        (
            {"ComplianceType": "NOT_APPLICABLE"},
            (UNKNOWN, "no resource in the control's scope (tagged for this data item) was evaluated"),
        ),
        (
            {"ComplianceType": "INSUFFICIENT_DATA"},
            (UNKNOWN, "AWS Config has not evaluated it yet (INSUFFICIENT_DATA)"),
        ),
        (None, (UNKNOWN, "AWS Config has no compliance for its rule yet")),
    ],
    ids=["compliant", "non-compliant", "capped", "no-count", "not-applicable", "insufficient", "none"],
)
def test_judge(compliance: dict[str, Any] | None, expected: tuple[str, str]) -> None:
    assert judge(compliance) == expected


CONTROL = DeployedControl("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "database", {})
FREQUENCY = DeployedControl(
    "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
    "database",
    {"requiredFrequencyUnit": "hours", "requiredFrequencyValue": "24", "requiredRetentionDays": "35"},
)


def rule(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ConfigRuleName": "the-rule",
        "Source": {"Owner": "AWS", "SourceIdentifier": "RESOURCES_PROTECTED_BY_BACKUP_PLAN"},
        "InputParameters": "{}",
        "Scope": {"TagKey": "continuity:data-item", "TagValue": "database"},
        "CreatedBy": "backup.amazonaws.com",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("control", "found", "expected"),
    [
        (CONTROL, rule(), "the-rule"),
        (CONTROL, rule(Source={"Owner": "AWS", "SourceIdentifier": CONTROL.name}), "the-rule"),
        (CONTROL, rule(CreatedBy=None), None),
        (CONTROL, rule(Scope={"TagKey": "continuity:data-item", "TagValue": "user-files"}), None),
        (
            FREQUENCY,
            rule(
                Source={"Owner": "AWS", "SourceIdentifier": FREQUENCY.name},
                InputParameters=json.dumps(FREQUENCY.parameters),
            ),
            "the-rule",
        ),
        (
            FREQUENCY,
            rule(
                Source={"Owner": "AWS", "SourceIdentifier": FREQUENCY.name},
                InputParameters=json.dumps({**FREQUENCY.parameters, "requiredRetentionDays": "7"}),
            ),
            None,
        ),
    ],
    ids=[
        "bare-identifier",
        "control-name",
        "not-backups-rule",
        "other-item",
        "parameters",
        "other-parameters",
    ],
)
def test_rule_for(control: DeployedControl, found: dict[str, Any], expected: str | None) -> None:
    assert rule_for(control, [found]) == expected


# ---------------------------------------------------------------------------------------------
# Against moto


def test_read_framework__moto_without_audit_manager__not_available(aws_credentials: None) -> None:
    with mock_aws():
        found = read_framework(Aws(boto3.Session()), PRIMARY, "orders_primary_continuity")
    assert not found.available
    assert found.reason.startswith("not available: 404 (DescribeFramework)")
    assert found.controls == []


def test_read_framework__compliance_per_control(aws_credentials: None) -> None:
    framework = primary_framework()
    audit = AuditManager()
    # GIVEN one control AWS Config finds 2 resources breaking, another it has not evaluated
    audit.deploy(framework, PRIMARY, compliance={0: ("NON_COMPLIANT", 2), 1: ("INSUFFICIENT_DATA", 0)})
    with mock_aws():
        found = read_framework(Aws(boto3.Session(), hooks=[audit.hook]), PRIMARY, framework.name)
    # THEN every control of the framework has a result, named by control and data item
    assert (found.available, found.reason) == (True, "ACTIVE, deployment COMPLETED")
    assert [(c.control, c.data_item) for c in found.controls] == [
        (c.name, c.data_item) for c in framework.controls
    ]
    first, second, *rest = found.controls
    assert (first.compliance, first.reason.split(" (rule ")[0]) == (
        NON_COMPLIANT,
        "2 resource(s) do not comply",
    )
    assert second.compliance == UNKNOWN
    assert {c.compliance for c in rest} == {COMPLIANT}


def test_read_framework__deploying__controls_unknown(aws_credentials: None) -> None:
    framework = primary_framework()
    audit = AuditManager()
    audit.deploy(framework, PRIMARY, status="UNAVAILABLE", deployment="CREATE_IN_PROGRESS")
    with mock_aws():
        found = read_framework(Aws(boto3.Session(), hooks=[audit.hook]), PRIMARY, framework.name)
    assert found.reason == "UNAVAILABLE, deployment CREATE_IN_PROGRESS"
    assert {(c.compliance, c.reason) for c in found.controls} == {
        (UNKNOWN, "the framework's deployment is CREATE_IN_PROGRESS, not COMPLETED")
    }


def test_read_framework__not_deployed(aws_credentials: None) -> None:
    audit = AuditManager()
    audit.deploy(primary_framework(), PRIMARY)
    with mock_aws():
        found = read_framework(Aws(boto3.Session(), hooks=[audit.hook]), PRIMARY, "orders_other_continuity")
    assert found.reason == f"not available: framework orders_other_continuity is not deployed in {PRIMARY}"


# ---------------------------------------------------------------------------------------------
# The script


def test_dr_readiness__audit_beside_the_checks__never_the_verdict(estate: Make) -> None:
    # GIVEN a ready environment whose primary framework finds a control broken; the DR region's
    # framework is not there to read (moto)
    t = ready(estate)
    framework = primary_framework()
    audit = AuditManager()
    audit.deploy(framework, PRIMARY, compliance={0: ("NON_COMPLIANT", 1)})
    result = t.run("dr_readiness", hooks=[audit.hook], clock=FakeClock())
    # THEN readiness's verdict is its own checks'
    assert result.code == 0, result.err
    data = result.report
    assert data is not None
    assert data["verdict"] == "ready"
    primary, dr = data["audit_manager"]
    assert (primary["region"], primary["framework"], primary["available"]) == (PRIMARY, framework.name, True)
    assert primary["controls"][0]["compliance"] == NON_COMPLIANT
    assert (dr["region"], dr["available"]) == (DR, False)
    assert dr["reason"].startswith("not available: 404 (DescribeFramework)")
    # and both are shown: in the output, and in the report's page
    control = framework.controls[0]
    assert "    NON-COMPLIANT" in result.out
    assert f"{control.data_item}: 1 resource(s) do not comply" in result.out
    assert result.markdown is not None
    assert "## AWS Backup Audit Manager" in result.markdown
    calls = {(c.operation, c.region) for c in result.recorder.calls if c.service in ("backup", "config")}
    assert {("DescribeFramework", PRIMARY), ("DescribeFramework", DR)} <= calls
    assert ("DescribeComplianceByConfigRule", PRIMARY) in calls
