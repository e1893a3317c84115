"""route53-record-require-health-check: every PRIMARY failover record has a health check.

Route 53 answers with the SECONDARY record only when the PRIMARY record's health check fails;
without one the PRIMARY counts as healthy for ever and a regional outage is never failed over,
whatever the plan's RTO. A stack policy, so that a ``healthCheckId`` computed from an
``aws:route53/healthCheck`` of this stack (unknown during preview) is recognised through its
property dependency instead of being read; any other value is read and must not be empty.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from continuity.plan import Plan
from policies.support import (
    ROUTE53_HEALTH_CHECK,
    ROUTE53_RECORD,
    StackPolicy,
    depends_on_type,
    has_key,
    items,
    mapping,
    stack_view,
)

NAME = "route53-record-require-health-check"
DESCRIPTION = "Every PRIMARY failover record has a Route 53 health check, so a regional outage fails over."


def _strictest_tier(plan: Plan) -> str:
    used = {s.tier for s in plan.services.values()} | {d.tier for d in plan.data.values()}
    return min(sorted(used or plan.tiers), key=lambda t: plan.tiers[t].rto.seconds)


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    tier = _strictest_tier(view.ctx.plan)
    wanted = (
        f'without one Route 53 never fails over from this PRIMARY record; plan tier "{tier}" has '
        f"RTO {view.ctx.plan.tiers[tier].rto}"
    )
    for record in view.of_type(ROUTE53_RECORD):
        policies = [mapping(p) for p in items(record.props.get("failoverRoutingPolicies"))]
        if not any(p.get("type") == "PRIMARY" for p in policies):
            continue
        if depends_on_type(record, "healthCheckId", [ROUTE53_HEALTH_CHECK]):
            continue
        if not has_key(record.props, "healthCheckId"):
            report(f"healthCheckId is not set; {wanted}", record.urn)
        elif not record.props.get("healthCheckId"):
            report(f'healthCheckId is ""; {wanted}', record.urn)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[ROUTE53_RECORD],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
