"""kubernetes-deployment-require-capacity: Kubernetes services keep the plan's replicas in their region.

The Kubernetes counterpart of ecs-service-require-capacity. In the DR region a service keeps
``capacity.dr`` replicas warm before a failover (a promoted DR stack runs ``capacity.primary``,
which is more); in the primary region it runs ``capacity.primary``. Both the Deployment's
``spec.replicas`` and its HorizontalPodAutoscaler's ``spec.minReplicas`` must keep that floor: the
autoscaler may scale the Deployment down to its minimum whatever the Deployment declares. Either
left unset means Kubernetes' default of one replica. A Deployment or autoscaler is matched to the
plan by its ``app.kubernetes.io/name`` and ``continuity.service`` labels and to its region by
``continuity.role``.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import (
    K8S_AUTOSCALER,
    K8S_DEPLOYMENT,
    LABEL_APP_NAME,
    LABEL_ROLE,
    LABEL_SERVICE,
    ROLES,
    ResourcePolicy,
    label_value,
    labels_of,
    mapping,
    not_applicable,
    number,
    plan_for,
    seen,
    service_label,
    show,
)

NAME = "kubernetes-deployment-require-capacity"
DESCRIPTION = (
    "Kubernetes Deployments and their autoscalers keep at least the plan's capacity in their region "
    "(capacity.dr warm in DR)."
)
# Kubernetes' default for both spec.replicas and spec.minReplicas.
DEFAULT_REPLICAS = 1


def _replicas(count: int) -> str:
    return f"{count} replica" if count == 1 else f"{count} replicas"


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    prop = "replicas" if args.resource_type == K8S_DEPLOYMENT else "minReplicas"
    labels = labels_of(args.props)
    name = labels.get(LABEL_APP_NAME)
    if not isinstance(name, str):
        not_applicable(args, f"no {LABEL_APP_NAME} label: not a service of the plan")
    ctx = plan_for(args.get_config())
    service = labels.get(LABEL_SERVICE)
    if service != label_value(ctx.plan.service):
        not_applicable(
            args, f"{LABEL_SERVICE} is {show(service)}; the plan protects {show(ctx.plan.service)}"
        )
    settings = ctx.service(name)
    if settings is None:
        not_applicable(args, f"{LABEL_APP_NAME} {show(name)} is no service of the plan")
    role = labels.get(LABEL_ROLE)
    if role not in ROLES:
        not_applicable(args, f"{LABEL_ROLE} is {show(role)}: cannot tell the region's capacity")
    label = service_label(name, settings.tier)
    value = mapping(args.props.get("spec")).get(prop)
    count = number(value) if value is not None else float(DEFAULT_REPLICAS)
    if role == "dr":
        required = settings.warm_desired_count
        wanted = f"{label} keeps {_replicas(required)} warm in the DR region (capacity.dr)"
    else:
        required = settings.primary_desired_count
        wanted = f"{label} runs {_replicas(required)} in the primary region (capacity.primary)"
    if count is None or count < required:
        shown = (
            f"spec.{prop} is not set ({_replicas(DEFAULT_REPLICAS)})"
            if value is None
            else seen(f"spec.{prop}", value)
        )
        report(f"{shown}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_DEPLOYMENT, *K8S_AUTOSCALER],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)
