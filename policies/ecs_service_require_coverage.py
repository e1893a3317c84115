"""ecs-service-require-coverage: every ECS service of the plan is declared in this stack.

Both regions declare each ``compute: ecs`` service of the plan (the DR one with its warm
capacity, possibly zero tasks), tagged ``continuity:workload``; services tagged with a name the
plan lacks, or one it runs on Kubernetes, are reported too.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    ECS_SERVICE,
    TAG_WORKLOAD,
    StackPolicy,
    covered,
    report_stray_tags,
    service_label,
    stack_role_label,
    stack_view,
)

NAME = "ecs-service-require-coverage"
DESCRIPTION = "Every ECS service of the plan (compute: ecs) is declared in this stack."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    plan = view.ctx.plan
    types = [ECS_SERVICE]
    computes = {name: spec.compute for name, spec in plan.services.items()}
    report_stray_tags(view, types, TAG_WORKLOAD, known=computes, accepted=["ecs"], report=report)
    for role in sorted(view.roles()):
        for name, spec in plan.services.items():
            if spec.compute == "ecs" and not covered(view, types, TAG_WORKLOAD, name, role):
                report(
                    f'{service_label(name, spec.tier)} has no {ECS_SERVICE} tagged {TAG_WORKLOAD} "{name}" '
                    f"in {stack_role_label(role)}",
                    None,
                )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[ECS_SERVICE],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)
