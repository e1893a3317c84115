"""resiliencehub-policy-require-objectives: Resilience Hub assesses each tier against the plan's RTO and RPO.

A stack policy. For every tier of the plan, an ``aws:resiliencehub/resiliencyPolicy`` tagged
``continuity:tier`` with it must hold, for each disruption type (software, hardware, AZ,
Region), an RTO and an RPO no longer than ``continuity.assurance.resiliency_policies`` derives
(the tier's own; a tier without data has its RTO as RPO). A longer objective would let an
assessment call the application compliant where the plan is not met.

It judges stacks that declare the assurance resources (issue 16), as
backup-framework-require-controls does.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from continuity.assurance import go_seconds, resiliency_policies
from continuity.tags import TIER
from policies.backup_framework_require_controls import declares_assurance
from policies.support import PLAN_CONFIG, mapping, not_applicable, show, stack_view

NAME = "resiliencehub-policy-require-objectives"
DESCRIPTION = "Each plan tier has a Resilience Hub resiliency policy with the tier's RTO and RPO."
POLICY_TYPE = "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy"
DISRUPTIONS = ("software", "hardware", "az", "region")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    if not declares_assurance(view):
        not_applicable(args, "the stack declares none of the assurance resources (issue 16)")
    declared = view.tagged(POLICY_TYPE)
    for wanted in resiliency_policies(view.ctx.plan):
        found = [r for r, t in declared if t.get(TIER) == wanted.plan_tier]
        label = f'plan tier "{wanted.plan_tier}" ({wanted.source.split(": ", 1)[1]})'
        if not found:
            report(f'no {POLICY_TYPE} tagged {TIER} "{wanted.plan_tier}"; {label} goes unassessed', None)
        for resource in found:
            policy = mapping(resource.props.get("policy"))
            for disruption in DISRUPTIONS:
                objectives = mapping(policy.get(disruption))
                for key, limit in (("rto", wanted.rto_seconds), ("rpo", wanted.rpo_seconds)):
                    value = objectives.get(key)
                    seconds = go_seconds(value)
                    if seconds is None or seconds > limit:
                        report(
                            f"policy.{disruption}.{key} is {show(value)}; {label} allows {limit}s",
                            resource.urn,
                        )


POLICY = StackValidationPolicy(
    name=NAME,
    description=DESCRIPTION,
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PLAN_CONFIG,
)
