"""ecs-service-require-capacity: ECS services run at least the tasks the plan keeps in their region.

In the DR region a service keeps ``capacity.dr`` tasks warm before a failover (at least one under
warm-standby; a promoted DR stack runs ``capacity.primary``); in the primary region it runs
``capacity.primary``. A service is matched to the plan by its ``continuity:workload`` tag and to
its region by ``continuity:role``.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import (
    ECS_SERVICE,
    ROLES,
    TAG_ROLE,
    TAG_SERVICE,
    TAG_WORKLOAD,
    ResourcePolicy,
    not_applicable,
    number,
    plan_for,
    seen,
    service_label,
    show,
    tags_of,
)

NAME = "ecs-service-require-capacity"
DESCRIPTION = "ECS services keep at least the plan's capacity in their region (capacity.dr warm in DR)."


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    tags = tags_of(args.props)
    name = tags.get(TAG_WORKLOAD)
    if not isinstance(name, str):
        not_applicable(args, f"no {TAG_WORKLOAD} tag: not a service of the plan")
    ctx = plan_for(args.get_config())
    if tags.get(TAG_SERVICE) != ctx.plan.service:
        not_applicable(
            args,
            f"{TAG_SERVICE} is {show(tags.get(TAG_SERVICE))}; the plan protects {show(ctx.plan.service)}",
        )
    settings = ctx.service(name)
    if settings is None:
        not_applicable(args, f"{TAG_WORKLOAD} {show(name)} is no service of the plan")
    role = tags.get(TAG_ROLE)
    if role not in ROLES:
        not_applicable(args, f"{TAG_ROLE} is {show(role)}: cannot tell the region's capacity")
    label = service_label(name, settings.tier)
    value = args.props.get("desiredCount")
    count = number(value) if value is not None else 0.0
    if role == "dr":
        required = settings.warm_desired_count
        wanted = f"{label} keeps {_tasks(required)} warm in the DR region (capacity.dr)"
    else:
        required = settings.primary_desired_count
        wanted = f"{label} runs {_tasks(required)} in the primary region (capacity.primary)"
    if count is None or count < required:
        shown = "desiredCount is not set (0 tasks)" if value is None else seen("desiredCount", value)
        report(f"{shown}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[ECS_SERVICE],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)
