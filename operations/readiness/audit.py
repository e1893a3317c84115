"""What AWS itself says about the plan's controls: the AWS Backup Audit Manager framework of each
region, read beside readiness's own checks.

Each stack declares a framework whose controls carry the plan's numbers per data item
(continuity.assurance.framework_for, docs/assurance.md). Audit Manager evaluates a framework through
AWS Config rules it deploys, one per control (AWS Backup Developer Guide, "AWS Backup Audit
Manager": the controls need AWS Config recording), so a control's compliance is its rule's:

1. DescribeFramework (AWS Backup API Reference): FrameworkStatus (ACTIVE, PARTIALLY_ACTIVE,
   INACTIVE, UNAVAILABLE: whether AWS Config records what the controls read), DeploymentStatus
   (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS, COMPLETED, FAILED), and the
   controls with their parameters and tag scope;
2. DescribeConfigRules (AWS Config API Reference): the service-linked rules AWS Backup created
   (``CreatedBy`` its service principal), matched to the controls by the control's name, tag scope
   and parameters. The rules' names are AWS Backup's own and not documented: matching on what the
   framework says, not on a name, is what keeps this true when they change;
3. DescribeComplianceByConfigRule: COMPLIANT, NON_COMPLIANT (with how many resources),
   NOT_APPLICABLE, INSUFFICIENT_DATA.

This is AWS's evaluation, at most a day old (the controls run every 24 hours), shown beside the
readiness checks, never part of the verdict: a framework not deployed, an API not available (an
emulator) or a call refused is "not available: <why>", and readiness goes on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from continuity import tags
from continuity.assurance import AssuranceError, framework_for
from continuity.outputs import Inventory
from continuity.plan import Plan
from operations.aws import Aws, describe_error, error_code
from operations.report import md_table
from operations.traffic import CONTROL_PLANE_ATTEMPTS

COMPLIANT = "compliant"
NON_COMPLIANT = "non-compliant"
UNKNOWN = "unknown"

# The service principal AWS Config records as a service-linked rule's creator (AWS Config API
# Reference, ConfigRule.CreatedBy).
BACKUP_PRINCIPAL = "backup.amazonaws.com"
DEPLOYED = "COMPLETED"
# DescribeComplianceByConfigRule takes at most 25 rule names a call (AWS Config API Reference).
RULES_PER_CALL = 25
# Control names are the Config rules' identifiers, some with a BACKUP_ prefix the rule lacks
# (BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN, rule RESOURCES_PROTECTED_BY_BACKUP_PLAN).
_PREFIX = "BACKUP_"


@dataclass(frozen=True)
class ControlResult:
    control: str
    data_item: str
    compliance: str  # COMPLIANT, NON_COMPLIANT or UNKNOWN
    reason: str

    def as_data(self) -> dict[str, str]:
        return {
            "control": self.control,
            "data_item": self.data_item,
            "compliance": self.compliance,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class FrameworkResult:
    region: str
    framework: str
    available: bool
    reason: str  # why not available; else the framework's statuses
    framework_status: str | None = None
    deployment_status: str | None = None
    controls: list[ControlResult] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "framework": self.framework,
            "available": self.available,
            "reason": self.reason,
            "framework_status": self.framework_status,
            "deployment_status": self.deployment_status,
            "controls": [c.as_data() for c in self.controls],
        }


# ---------------------------------------------------------------------------------------------
# Pure parts


@dataclass(frozen=True)
class DeployedControl:
    name: str
    data_item: str
    parameters: dict[str, str]


def deployed_controls(framework: Mapping[str, Any]) -> list[DeployedControl]:
    """The controls of a DescribeFramework answer, with the data item their tag scope names."""
    found = []
    for control in framework.get("FrameworkControls") or []:
        scope = (control.get("ControlScope") or {}).get("Tags") or {}
        parameters = {
            str(p.get("ParameterName")): str(p.get("ParameterValue"))
            for p in control.get("ControlInputParameters") or []
        }
        found.append(
            DeployedControl(str(control.get("ControlName")), str(scope.get(tags.DATA_ITEM, "")), parameters)
        )
    return found


def _bare(name: str) -> str:
    return name.removeprefix(_PREFIX)


def rule_for(control: DeployedControl, rules: Sequence[Mapping[str, Any]]) -> str | None:
    """The name of the rule AWS Backup deployed for ``control``: created by AWS Backup, the same
    check, the same tag scope and the control's parameters."""
    for rule in rules:
        if rule.get("CreatedBy") != BACKUP_PRINCIPAL:
            continue
        source = str((rule.get("Source") or {}).get("SourceIdentifier", ""))
        scope = rule.get("Scope") or {}
        try:
            parameters = json.loads(rule.get("InputParameters") or "{}")
        except ValueError:
            parameters = {}
        if (
            _bare(source) == _bare(control.name)
            and scope.get("TagKey") == tags.DATA_ITEM
            and scope.get("TagValue") == control.data_item
            and all(str(parameters.get(k)) == v for k, v in control.parameters.items())
        ):
            return str(rule["ConfigRuleName"])
    return None


def judge(compliance: Mapping[str, Any] | None) -> tuple[str, str]:
    """A rule's Compliance (ComplianceType, ComplianceContributorCount) as (result, reason)."""
    if compliance is None:
        return UNKNOWN, "AWS Config has no compliance for its rule yet"
    kind = str(compliance.get("ComplianceType", ""))
    if kind == "COMPLIANT":
        return COMPLIANT, "every resource in scope complies"
    if kind == "NON_COMPLIANT":
        count = compliance.get("ComplianceContributorCount") or {}
        n = count.get("CappedCount")
        more = "+" if count.get("CapExceeded") else ""
        return NON_COMPLIANT, (f"{n}{more} resource(s) do not comply" if n is not None else "not compliant")
    if kind == "NOT_APPLICABLE":
        return UNKNOWN, "no resource in the control's scope (tagged for this data item) was evaluated"
    return UNKNOWN, "AWS Config has not evaluated it yet (INSUFFICIENT_DATA)"


# ---------------------------------------------------------------------------------------------
# Reading AWS


def _service_linked_rules(config: Any) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = config.describe_config_rules(**({"NextToken": token} if token else {}))
        rules += [r for r in page.get("ConfigRules") or [] if r.get("CreatedBy") == BACKUP_PRINCIPAL]
        token = page.get("NextToken")
        if not token:
            return rules


def _compliance(config: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), RULES_PER_CALL):
        token: str | None = None
        while True:
            asked: dict[str, Any] = {"ConfigRuleNames": names[start : start + RULES_PER_CALL]}
            if token:
                asked["NextToken"] = token
            page = config.describe_compliance_by_config_rule(**asked)
            for entry in page.get("ComplianceByConfigRules") or []:
                found[str(entry["ConfigRuleName"])] = dict(entry.get("Compliance") or {})
            token = page.get("NextToken")
            if not token:
                break
    return found


def read_framework(aws: Aws, region: str, name: str) -> FrameworkResult:
    """One region's framework and its controls' compliance; never raises for AWS's answers."""
    try:
        framework = aws.client("backup", region).describe_framework(FrameworkName=name)
    except Exception as exc:
        why = (
            f"framework {name} is not deployed in {region}"
            if error_code(exc) == "ResourceNotFoundException"
            else describe_error(exc)
        )
        return FrameworkResult(region, name, False, f"not available: {why}")
    status, deployment = framework.get("FrameworkStatus"), framework.get("DeploymentStatus")
    controls = deployed_controls(framework)
    result = FrameworkResult(region, name, True, f"{status}, deployment {deployment}", status, deployment)
    if deployment != DEPLOYED:
        why = f"the framework's deployment is {deployment}, not {DEPLOYED}"
        result.controls.extend(ControlResult(c.name, c.data_item, UNKNOWN, why) for c in controls)
        return result
    config = aws.client("config", region)
    try:
        rules = _service_linked_rules(config)
        names = [rule_for(c, rules) for c in controls]
        found = _compliance(config, sorted({n for n in names if n}))
    except Exception as exc:
        why = f"AWS Config not readable: {describe_error(exc)}"
        result.controls.extend(ControlResult(c.name, c.data_item, UNKNOWN, why) for c in controls)
        return result
    for n, control in enumerate(controls):
        rule = names[n]
        if rule is None:
            result.controls.append(
                ControlResult(
                    control.name, control.data_item, UNKNOWN, "no AWS Config rule of AWS Backup's for it"
                )
            )
            continue
        verdict, why = judge(found.get(rule))
        result.controls.append(
            ControlResult(control.name, control.data_item, verdict, f"{why} (rule {rule})")
        )
    return result


def audit_compliance(
    plan: Plan, inventory: Inventory, aws: Aws, *, promoted: bool = False
) -> list[FrameworkResult]:
    """Each region's framework as the plan declares it (docs/assurance.md), read from AWS."""
    results = []
    for role, region in (("primary", inventory.primary_region), ("dr", inventory.dr_region)):
        try:
            declared = framework_for(plan, role, promoted=promoted)
        except AssuranceError as exc:
            results.append(FrameworkResult(region, "-", False, f"not available: {exc}"))
            continue
        if declared is None:
            results.append(
                FrameworkResult(region, "-", False, "not available: AWS Backup protects no data item here")
            )
            continue
        # A region that is down must not hold readiness up: give up after as few unanswered
        # attempts as the failover gives a control plane that may be down with it.
        with aws.budget(CONTROL_PLANE_ATTEMPTS):
            results.append(read_framework(aws, region, declared.name))
    return results


# ---------------------------------------------------------------------------------------------
# Rendering, beside the readiness checks

TITLE = "AWS Backup Audit Manager (AWS's own evaluation, at most a day old; not part of the verdict)"


def audit_lines(results: Sequence[FrameworkResult]) -> list[str]:
    lines = [TITLE]
    for r in results:
        lines.append(f"  {r.region} {r.framework}: {r.reason}")
        width = max((len(c.control) for c in r.controls), default=0)
        lines += [
            f"    {c.compliance.upper():<13} {c.control:<{width}}  {c.data_item}: {c.reason}"
            for c in r.controls
        ]
    return lines


def audit_markdown(results: Sequence[FrameworkResult]) -> str:
    out = ["", f"## {TITLE}", ""]
    for r in results:
        out += [f"**{r.region}** `{r.framework}`: {r.reason}", ""]
        if r.controls:
            out += [
                md_table(
                    ["result", "control", "data item", "reason"],
                    [[c.compliance, c.control, c.data_item, c.reason] for c in r.controls],
                ),
                "",
            ]
    return "\n".join(out)
