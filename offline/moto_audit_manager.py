"""AWS Backup Audit Manager's evaluation, answered where moto 5.2.5 has none.

moto implements neither DescribeFramework (it answers 404 "Not yet implemented") nor AWS Config's
DescribeComplianceByConfigRule (NotImplementedError), and refuses to create the service-linked
Config rules AWS Backup deploys (PutConfigRule with ``CreatedBy`` is an error, since only AWS sets
it). ``AuditManager`` holds what AWS would: deployed frameworks and, per control, the Config rule
AWS Backup made for it and that rule's compliance. Registered as a botocore ``before-call`` hook
(``Aws(hooks=[audit.hook])``), it answers those three operations in the regions it has a framework
in, in the shapes of the AWS Backup and AWS Config API References (DescribeFramework,
DescribeConfigRules, DescribeComplianceByConfigRule), and lets every other call through to moto.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse

from continuity.assurance import FrameworkSettings
from operations.readiness.audit import BACKUP_PRINCIPAL

ACCOUNT = "123456789012"
OPERATIONS = frozenset({"DescribeFramework", "DescribeConfigRules", "DescribeComplianceByConfigRule"})


@dataclass
class DeployedFramework:
    settings: FrameworkSettings
    region: str
    status: str = "ACTIVE"
    deployment: str = "COMPLETED"
    # control index -> ComplianceType (and, for NON_COMPLIANT, how many resources)
    compliance: dict[int, tuple[str, int]] = field(default_factory=dict)

    def rule_name(self, n: int) -> str:
        # AWS Backup's own naming is not documented; any unique name serves the lookup by content.
        return f"{self.settings.controls[n].name.lower().replace('_', '-')}-{self.settings.name}-{n}"

    def description(self) -> dict[str, Any]:
        return {
            "FrameworkName": self.settings.name,
            "FrameworkArn": f"arn:aws:backup:{self.region}:{ACCOUNT}:framework:{self.settings.name}-0001",
            "FrameworkDescription": self.settings.description,
            "FrameworkControls": [
                {
                    "ControlName": c.name,
                    "ControlInputParameters": [
                        {"ParameterName": k, "ParameterValue": v} for k, v in c.parameters
                    ],
                    "ControlScope": {"Tags": c.scope_tags},
                }
                for c in self.settings.controls
            ],
            "CreationTime": datetime(2026, 11, 1, tzinfo=UTC).timestamp(),
            "DeploymentStatus": self.deployment,
            "FrameworkStatus": self.status,
        }

    def rules(self) -> list[dict[str, Any]]:
        return [
            {
                "ConfigRuleName": self.rule_name(n),
                "Source": {"Owner": "AWS", "SourceIdentifier": c.name},
                "InputParameters": json.dumps(dict(c.parameters)),
                "Scope": {"TagKey": next(iter(c.scope_tags)), "TagValue": c.data_item},
                "ConfigRuleState": "ACTIVE",
                "CreatedBy": BACKUP_PRINCIPAL,
            }
            for n, c in enumerate(self.settings.controls)
        ]

    def rule_compliance(self, name: str) -> dict[str, Any] | None:
        for n in range(len(self.settings.controls)):
            if self.rule_name(n) != name:
                continue
            kind, count = self.compliance.get(n, ("COMPLIANT", 0))
            found: dict[str, Any] = {"ComplianceType": kind}
            if kind == "NON_COMPLIANT":
                found["ComplianceContributorCount"] = {"CappedCount": count, "CapExceeded": False}
            return {"ConfigRuleName": name, "Compliance": found}
        return None


class AuditManager:
    """Deployed frameworks by region; ``hook`` answers for them."""

    def __init__(self) -> None:
        self.frameworks: dict[str, DeployedFramework] = {}
        self._lock = threading.Lock()

    def deploy(self, settings: FrameworkSettings, region: str, **kwargs: Any) -> DeployedFramework:
        framework = DeployedFramework(settings, region, **kwargs)
        with self._lock:
            self.frameworks[region] = framework
        return framework

    @property
    def hook(self) -> tuple[str, Any]:
        return ("before-call", self._answer)

    def _answer(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name not in OPERATIONS:
            return None
        framework = self.frameworks.get(str(context.get("client_region")))
        if framework is None:
            return None
        if model.name == "DescribeFramework":
            name = unquote(str(params.get("url_path", "")).rstrip("/").rsplit("/", 1)[-1])
            if name != framework.settings.name:
                return _error(400, "ResourceNotFoundException", f"Framework {name} not found")
            return _ok(framework.description())
        if model.name == "DescribeConfigRules":
            return _ok({"ConfigRules": framework.rules()})
        body = json.loads(params.get("body") or b"{}")
        answers = [framework.rule_compliance(n) for n in body.get("ConfigRuleNames") or []]
        return _ok({"ComplianceByConfigRules": [a for a in answers if a is not None]})


def _ok(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    parsed["ResponseMetadata"] = {"HTTPStatusCode": 200, "RequestId": "audit-manager-fidelity"}
    return AWSResponse("https://audit-manager-fidelity", 200, {}, None), parsed


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse("https://audit-manager-fidelity", status, {}, None), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "audit-manager-fidelity"},
    }
