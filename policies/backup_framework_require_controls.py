"""backup-framework-require-controls: Backup Audit Manager evaluates each data item with the plan's numbers.

A stack policy. The stack's ``aws:backup/framework`` must declare each control
``continuity.assurance.framework_for`` derives for its half of the plan (the DR stack's standby
half judges only its backup plans; once promoted, everything), scoped to the item by its
``continuity:data-item`` tag, with the documented parameter names and the plan's values; and an
``aws:backup/reportPlan`` must report the framework's compliance (its ``reportSetting`` depends
on the framework). Controls beyond the plan's are the team's business and not judged.

It judges stacks that declare the assurance resources (issue 16): a stack without any of them
predates it, and the policy says so as not applicable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from continuity import tags as continuity_tags
from continuity.assurance import Control, framework_for
from policies.support import (
    PLAN_CONFIG,
    RDS_INSTANCE,
    S3_BUCKET,
    TAG_DATA_ITEM,
    StackView,
    data_label,
    items,
    mapping,
    not_applicable,
    stack_role_label,
    stack_view,
)

NAME = "backup-framework-require-controls"
DESCRIPTION = "An AWS Backup Audit Manager framework evaluates every data item against the plan's numbers."
FRAMEWORK = "aws:backup/framework:Framework"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
# What the stacks declare for issue 16; a stack with none of them predates it.
ASSURANCE_TYPES = (
    FRAMEWORK,
    REPORT_PLAN,
    "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:arcregionswitch/plan:Plan",
)


def declares_assurance(view: StackView) -> bool:
    return any(view.tagged(*ASSURANCE_TYPES))


def promoted(view: StackView) -> bool:
    """Whether the DR stack runs as the live region: its data is selected for backup."""
    found = view.tagged(RDS_INSTANCE, *S3_BUCKET)
    return any(t.get(continuity_tags.BACKUP) == continuity_tags.BACKUP_ACTIVE for _, t in found)


def declared_controls(props: Mapping[str, Any]) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    found = []
    for control in (mapping(c) for c in items(props.get("controls"))):
        parameters = {
            str(mapping(p).get("name")): str(mapping(p).get("value"))
            for p in items(control.get("inputParameters"))
        }
        scope = {str(k): str(v) for k, v in mapping(mapping(control.get("scope")).get("tags")).items()}
        found.append((str(control.get("name")), parameters, scope))
    return found


def shown(parameters: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in parameters.items()) or "no parameters"


def judge(
    control: Control, declared: list[tuple[str, dict[str, str], dict[str, str]]], label: str
) -> str | None:
    scoped = [d for d in declared if d[0] == control.name and d[2] == control.scope_tags]
    wanted = dict(control.parameters)
    if not scoped:
        return (
            f'no control {control.name} scoped to {TAG_DATA_ITEM} "{control.data_item}"; {label} needs it '
            f"with {shown(wanted)} ({control.source})"
        )
    if not any(d[1] == wanted for d in scoped):
        return (
            f"control {control.name} for {label} has {shown(scoped[0][1])}; the plan asks "
            f"{shown(wanted)} ({control.source})"
        )
    return None


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    if not declares_assurance(view):
        not_applicable(args, "the stack declares none of the assurance resources (issue 16)")
    plan = view.ctx.plan
    for role in sorted(view.roles()):
        expected = framework_for(plan, role, promoted=role == "dr" and promoted(view))
        if expected is None:
            continue
        frameworks = [r for r, _ in view.tagged(FRAMEWORK)]
        if not frameworks:
            report(
                f"no {FRAMEWORK} in {stack_role_label(role)}; the plan's {len(expected.controls)} controls "
                "go unevaluated",
                None,
            )
        for framework in frameworks:
            declared = declared_controls(framework.props)
            for control in expected.controls:
                problem = judge(
                    control, declared, data_label(control.data_item, plan.data[control.data_item])
                )
                if problem:
                    report(problem, framework.urn)
            if not view.dependents(framework, "reportSetting", [REPORT_PLAN]):
                report(
                    f"no {REPORT_PLAN} reports this framework's compliance (its reportSetting.frameworkArns)",
                    framework.urn,
                )


POLICY = StackValidationPolicy(
    name=NAME,
    description=DESCRIPTION,
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PLAN_CONFIG,
)
