"""Moving traffic between the regions, and saying which way it moved.

The failover records (PRIMARY with the primary's health check, SECONDARY with DR's) move traffic
in one of three ways, and a failover's report names the one that did (``path``):

- ``Route 53 health checks``: the primary's health checkers already report it down (a data-plane
  answer), so Route 53 already answers with the DR record; nothing has to be called. The script
  still inverts the primary's health check so that a primary that comes back before failback
  cannot take traffic back to its stale database, but that call (UpdateHealthCheck) goes to Route
  53's control plane, in us-east-1, which may be the region that failed: it gets a short time
  budget, and if the control plane does not answer it is left as a next action, never a failure
  that holds up the failover (AWS's guidance for regional failover: depend on data planes only).
- ``inverted health check``: the primary is seen healthy (a drill), or cannot be seen at all
  (--force, the operator's word); inverting its health check is the deliberate switch. In a
  drill it must succeed. When the primary cannot be seen and Route 53's control plane does not
  answer either, the inversion is left as a next action and the report says traffic moves only
  if the health checkers see the primary down (``Route 53 health checks, not confirmed``).
- ``ARC routing controls``: when the stack declares Route 53 ARC routing controls (the outputs'
  ``dns.routing_controls``), they are the deliberate switch: their state is set through the
  cluster's data plane, which answers on an endpoint in each of five regions; the script tries
  them in turn, each within a short budget, until one answers.

Failback moves traffic back the same ways, reversed (the primary's control planes answer again).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from continuity.outputs import DnsTarget, RoutingControls
from operations import route53
from operations.aws import describe_error, is_unreachable
from operations.errors import StepFailed
from operations.runbook import Context, Did, State

HEALTH_CHECKS = "Route 53 health checks"
UNCONFIRMED = "Route 53 health checks, not confirmed (if the checkers see the primary down)"
INVERSION = "inverted health check"
ROUTING_CONTROLS = "ARC routing controls"
# A control plane that may be down with the failed region gets two attempts (and the backoff
# between them, at most 1 s), not the full attempt budget of a call the run depends on: at most
# two connect-and-read timeouts and a second, however it fails.
CONTROL_PLANE_ATTEMPTS = 2


@dataclass
class TrafficResult:
    path: str
    notes: list[str] = field(default_factory=list)
    switch_seconds: int | None = None
    action_needed: str | None = None  # left for a re-run once a control plane answers


def to_dr(
    dns: DnsTarget,
    *,
    dr_region: str,
    primary_down: bool | None,
    ctx: Context,
    limit: float,
    state: State,
    did: Did,
) -> TrafficResult:
    """Move traffic to DR: ARC when declared; otherwise the health checks, which have already
    moved it when the primary is down (``primary_down``), or the inversion of the primary's
    health check: required in a drill (the primary seen healthy), best effort when the primary
    cannot be seen (None) and Route 53's control plane does not answer."""
    if dns.routing_controls is not None:
        result = TrafficResult(ROUTING_CONTROLS)
        _set_controls(dns.routing_controls, dr_on=True, ctx=ctx, state=state, did=did, record=dns.record_name)
        _dr_health(dns, result, ctx, limit, state, required=False)
        return result
    if primary_down is False:
        return _invert(dns, dr_region, ctx, limit=limit, state=state, did=did)
    result = TrafficResult(HEALTH_CHECKS if primary_down else INVERSION)
    if primary_down:
        result.notes.append(
            f"Route 53 already answers {dns.record_name} with the DR record: the primary's health "
            "checkers report it down (data plane)"
        )
    r53 = ctx.aws.route53()
    try:
        with ctx.aws.budget(CONTROL_PLANE_ATTEMPTS):
            check = route53.get_health_check(r53, dns.primary_health_check_id)
            if check is None:
                raise StepFailed(f"Route 53 health check {dns.primary_health_check_id} (primary) not found")
            result.switch_seconds = check.switch_seconds
            if not check.inverted:
                state("inverting the primary health check (best effort)")
                route53.invert_health_check(r53, dns.primary_health_check_id)
                why = (
                    "so a primary that comes back cannot take traffic back"
                    if primary_down
                    else "so DNS answers with the DR record"
                )
                did(
                    f"{'pinned' if primary_down else 'moved'} {dns.record_name} to {dr_region}: inverted the "
                    f"primary's Route 53 health check {dns.primary_health_check_id}, {why}"
                )
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        if not primary_down:
            result.path = UNCONFIRMED
        result.action_needed = (
            f"invert the primary's Route 53 health check {dns.primary_health_check_id} once Route 53's API "
            "answers (run the same command again): until then a primary that comes back takes traffic back"
        )
        result.notes.append(
            f"the inversion of {dns.primary_health_check_id} was not made: Route 53's control plane did not "
            f"answer ({describe_error(exc)})"
        )
    _dr_health(dns, result, ctx, limit, state, required=False)
    return result


def _invert(
    dns: DnsTarget, dr_region: str, ctx: Context, *, limit: float, state: State, did: Did
) -> TrafficResult:
    r53 = ctx.aws.route53()
    primary = route53.get_health_check(r53, dns.primary_health_check_id)
    if primary is None:
        raise StepFailed(f"Route 53 health check {dns.primary_health_check_id} (primary) not found")
    if not primary.inverted:
        state("inverting the primary health check")
        route53.invert_health_check(r53, dns.primary_health_check_id)
        did(
            f"moved {dns.record_name} to {dr_region}: inverted the primary's "
            f"Route 53 health check {dns.primary_health_check_id}, so DNS answers with the DR record"
        )
    result = TrafficResult(INVERSION, switch_seconds=primary.switch_seconds)
    _dr_health(dns, result, ctx, limit, state, required=True)
    result.notes.append(
        f"Route 53 acts on the inverted check within about {primary.switch_seconds}s "
        f"(every {primary.request_interval}s, {primary.failure_threshold} failures); "
        "resolvers follow within the record's TTL"
    )
    return result


def _dr_health(
    dns: DnsTarget, result: TrafficResult, ctx: Context, limit: float, state: State, *, required: bool
) -> None:
    """Wait until the DR endpoint answers healthy. Unless ``required``, a Route 53 API that does
    not answer leaves it unread (a note), rather than failing the step."""
    r53 = ctx.aws.route53()
    what = f"Route 53 health check {dns.dr_health_check_id} (DR)"
    if not required:
        try:
            with ctx.aws.budget(CONTROL_PLANE_ATTEMPTS):
                first = route53.health_status(r53, dns.dr_health_check_id)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            result.notes.append(f"DR endpoint {dns.dr_endpoint}: not read ({describe_error(exc)})")
            return
        if first.healthy is True:
            result.notes.append(f"DR endpoint {dns.dr_endpoint}: {first.describe()}")
            return
    verdict = ctx.wait(
        lambda: route53.health_status(r53, dns.dr_health_check_id),
        lambda v: v.healthy is True,
        limit=limit,
        what=what,
        describe=lambda v: v.describe(),
        state=lambda text: state(f"DR endpoint: {text}"),
    )
    result.notes.append(f"DR endpoint {dns.dr_endpoint}: {verdict.describe()}")


def to_primary(
    dns: DnsTarget, *, primary_region: str, ctx: Context, limit: float, state: State, did: Did
) -> list[str]:
    """Move traffic back to the primary region (failback): ARC when declared, else un-invert
    the primary's health check; then wait until the primary answers healthy."""
    r53 = ctx.aws.route53()
    switch = None
    if dns.routing_controls is not None:
        _set_controls(
            dns.routing_controls, dr_on=False, ctx=ctx, state=state, did=did, record=dns.record_name
        )
    else:
        check = route53.get_health_check(r53, dns.primary_health_check_id)
        if check is None:
            raise StepFailed(f"Route 53 health check {dns.primary_health_check_id} (primary) not found")
        switch = check.switch_seconds
        if check.inverted:
            state("un-inverting the primary health check")
            route53.invert_health_check(r53, dns.primary_health_check_id, inverted=False)
            did(
                f"moved {dns.record_name} back to {primary_region}: un-inverted the primary's Route 53 "
                f"health check {dns.primary_health_check_id}, so DNS answers with the PRIMARY record"
            )
    verdict = ctx.wait(
        lambda: route53.health_status(r53, dns.primary_health_check_id),
        lambda v: v.healthy is True,
        limit=limit,
        what=f"Route 53 health check {dns.primary_health_check_id} (primary)",
        describe=lambda v: v.describe(),
        state=lambda text: state(f"primary endpoint: {text}"),
    )
    notes = [f"primary endpoint: {verdict.describe()}"]
    if switch is not None:
        notes.append(
            f"Route 53 answers with the primary record within about {switch}s; resolvers follow "
            "within the record's TTL"
        )
    return notes


def _set_controls(
    controls: RoutingControls, *, dr_on: bool, ctx: Context, state: State, did: Did, record: str
) -> None:
    """Set the routing controls through the first cluster endpoint that answers."""
    wanted = {
        controls.dr_arn: route53.ON if dr_on else route53.OFF,
        controls.primary_arn: route53.OFF if dr_on else route53.ON,
    }
    unanswered = []
    for endpoint in controls.cluster_endpoints:
        cluster = ctx.aws.client("route53-recovery-cluster", endpoint.region, endpoint_url=endpoint.endpoint)
        try:
            with ctx.aws.budget(CONTROL_PLANE_ATTEMPTS):
                now = {arn: route53.routing_control_state(cluster, arn) for arn in wanted}
                if now == wanted:
                    return
                state(f"setting ARC routing controls through {endpoint.region}")
                route53.set_routing_controls(cluster, wanted)
        except ClientError as exc:
            if not is_unreachable(exc):
                raise StepFailed(f"ARC routing controls ({endpoint.region}): {describe_error(exc)}") from exc
            unanswered.append(f"{endpoint.region}: {describe_error(exc)}")
            continue
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            unanswered.append(f"{endpoint.region}: {describe_error(exc)}")
            continue
        side = "DR" if dr_on else "primary"
        did(
            f"moved {record} to the {side} region with ARC routing controls: "
            + ", ".join(f"{arn.rsplit('/', 1)[-1]} {s}" for arn, s in wanted.items())
            + f" (cluster endpoint in {endpoint.region})"
        )
        return
    raise StepFailed("no ARC cluster endpoint answered: " + "; ".join(unanswered))
