"""The failover's AWS work: read the live state, promote, scale (routing is operations.traffic,
recording operations.runbook's record step).

Each function re-reads what it acts on and does only what is still needed, so any of them can be
run again after a crash or a failure. They report progress through a ``state`` callback and
return what they did, in the past tense, for the report. Every wait is bounded by its own
timeout, the tier's RTO and the run's deadline (``Context.wait``).

Where each call goes: RDS, ECS, Application Auto Scaling and the replica's CloudWatch metric are
in the DR region; Route 53 is global (its control plane is us-east-1); the primary health alarm
is in ``dns.alarm_region`` (Route 53 metrics exist only in us-east-1). Nothing here calls the
primary region's RDS or ECS: they may be down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from continuity.outputs import DatabaseTarget, KubernetesServiceTarget, Promotion, ServiceTarget
from operations import cloudwatch, ecs, kubernetes, rds, route53
from operations.aws import Aws, describe_error, is_unreachable
from operations.clock import Clock
from operations.errors import StepFailed
from operations.failover.checks import (
    Assessment,
    DatabaseState,
    DnsState,
    KubernetesServiceState,
    ServiceState,
)
from operations.failover.safety import SafetySignals
from operations.runbook import Context, Did, State
from operations.tasks import run_all
from operations.traffic import CONTROL_PLANE_ATTEMPTS


@dataclass(frozen=True)
class Timing:
    """How often to poll and how long to wait. Defaults suit AWS; tests and the benchmark scale them."""

    poll_seconds: float = 5.0
    # Promotion "can take several minutes or longer" and a restore longer still (RDS User Guide).
    database_timeout: float = 3600.0
    # Fargate tasks start, then pass the load balancer's health check (30 s interval by default).
    service_timeout: float = 1200.0
    # Route 53 sees a change after request interval x failure threshold (30 s x 3 by default).
    dns_timeout: float = 600.0


# ---------------------------------------------------------------------------------------------
# Step 1: preflight (reads only)


def _database_state(promotion: Promotion, aws: Aws, clock: Clock, target: DatabaseTarget) -> DatabaseState:
    client = aws.client("rds", promotion.dr_region)
    instance = rds.describe_instance(client, target.identifier)
    state = DatabaseState(target, promotion.dr_region, instance)
    if target.mode == "restore":
        if instance is None:
            assert target.automated_backups_arn is not None
            state.backups = rds.describe_replicated_backups(client, target.automated_backups_arn)
            if state.backups is not None and state.backups.latest is not None:
                behind = (clock.now() - state.backups.latest).total_seconds()
                state.lag = cloudwatch.LagReading(
                    max(0.0, behind), state.backups.latest, "latest restorable time"
                )
        else:
            state.lag = cloudwatch.LagReading(None, None, "restored by an earlier run")
        return state
    try:
        state.lag = cloudwatch.replica_lag(
            aws.client("cloudwatch", promotion.dr_region), target.identifier, clock.now()
        )
    except Exception as exc:
        # Lag is reported, never required: a failover is not held up by a metrics read.
        state.lag = cloudwatch.LagReading(None, None, f"not read: {describe_error(exc)}")
    return state


def _service_state(promotion: Promotion, aws: Aws, target: ServiceTarget) -> ServiceState:
    view = ecs.describe_service(aws.client("ecs", promotion.dr_region), target.cluster, target.service)
    scaling = None
    if target.scalable_target is not None:
        scaling = ecs.describe_scalable_target(
            aws.client("application-autoscaling", promotion.dr_region), target.scalable_target
        )
    return ServiceState(target, view, scaling)


def _kubernetes_state(
    promotion: Promotion, clusters: kubernetes.Clusters, target: KubernetesServiceTarget
) -> KubernetesServiceState:
    assert promotion.kubernetes is not None
    cluster = promotion.kubernetes.cluster
    api = clusters.api(promotion.kubernetes.context)
    deployment = kubernetes.describe_deployment(api, target.namespace, target.deployment)
    autoscaler = kubernetes.describe_autoscaler(api, target.namespace, target.autoscaler)
    return KubernetesServiceState(target, cluster, deployment, autoscaler)


def _dns_state(promotion: Promotion, aws: Aws, concurrent: bool, budget: int) -> DnsState:
    dns = promotion.dns
    r53 = aws.route53()

    def bounded(read: Callable[[], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with aws.budget(budget):
                return read()

        return call

    reads: dict[str, Callable[[], Any]] = {
        "primary": bounded(lambda: route53.get_health_check(r53, dns.primary_health_check_id)),
        "dr": bounded(lambda: route53.get_health_check(r53, dns.dr_health_check_id)),
        "records": bounded(lambda: route53.records_named(r53, dns.zone_id, dns.record_name)),
    }
    results = run_all(reads, concurrent=concurrent)
    unknowns = []
    for name, outcome in results.items():
        if outcome.error is not None:
            # Route 53's control plane is in us-east-1, which may be the failed region: an
            # unreachable API is an unknown, not a reason to refuse the database failover.
            if not is_unreachable(outcome.error):
                raise outcome.error
            unknowns.append(f"{name}: Route 53 not reachable ({describe_error(outcome.error)})")
    return DnsState(
        record_name=dns.record_name,
        primary_health_check_id=dns.primary_health_check_id,
        dr_health_check_id=dns.dr_health_check_id,
        primary=results["primary"].value,
        dr=results["dr"].value,
        records=results["records"].value,
        unknowns=unknowns,
    )


def assess(
    promotion: Promotion,
    ctx: Context,
    *,
    clusters: kubernetes.Clusters | None = None,
) -> Assessment:
    """Read every target's live state, all at once. An error reading the DR region fails the step;
    Route 53, whose control plane may be down with the primary, gets a short budget and counts as
    unknown when it does not answer."""
    aws, clock, concurrent = ctx.aws, ctx.clock, ctx.concurrent
    reads: dict[str, Callable[[], DatabaseState | ServiceState | KubernetesServiceState | DnsState]] = {}
    for i, db in enumerate(promotion.databases):
        reads[f"db{i}"] = partial(_database_state, promotion, aws, clock, db)
    for i, svc in enumerate(promotion.services):
        reads[f"svc{i}"] = partial(_service_state, promotion, aws, svc)
    deployments = promotion.kubernetes.services if promotion.kubernetes is not None else []
    if promotion.kubernetes is not None and deployments:
        api = clusters or kubernetes.Clusters()
        api.api(promotion.kubernetes.context)  # no context for the cluster is bad input, before any read
        for i, target in enumerate(deployments):
            reads[f"k8s{i}"] = partial(_kubernetes_state, promotion, api, target)
    reads["dns"] = partial(_dns_state, promotion, aws, concurrent, CONTROL_PLANE_ATTEMPTS)
    results = run_all(reads, concurrent=concurrent, interrupt=clock.interrupt)
    failed = [o.error for o in results.values() if o.error is not None]
    if failed:
        raise StepFailed("; ".join(dict.fromkeys(describe_error(e) for e in failed))) from failed[0]
    values = {key: o.value for key, o in results.items()}
    databases = [
        v for i in range(len(promotion.databases)) if isinstance(v := values[f"db{i}"], DatabaseState)
    ]
    services = [v for i in range(len(promotion.services)) if isinstance(v := values[f"svc{i}"], ServiceState)]
    on_kubernetes = [
        v for i in range(len(deployments)) if isinstance(v := values[f"k8s{i}"], KubernetesServiceState)
    ]
    dns = values["dns"]
    assert isinstance(dns, DnsState)
    return Assessment(
        read_at=clock.now(), databases=databases, services=services, dns=dns, kubernetes=on_kubernetes
    )


# ---------------------------------------------------------------------------------------------
# Step 2: safety signals (reads only)


def read_safety_signals(promotion: Promotion, ctx: Context) -> SafetySignals:
    """Route 53's verdict on the primary and the alarm on it; both come from us-east-1, which may be
    the failed region, so each gets a short budget and is "not read" when it does not answer."""
    dns, aws, concurrent, budget = promotion.dns, ctx.aws, ctx.concurrent, CONTROL_PLANE_ATTEMPTS

    def health() -> route53.HealthVerdict:
        with aws.budget(budget):
            return route53.health_status(aws.route53(), dns.primary_health_check_id)

    def alarm() -> cloudwatch.AlarmView | None:
        with aws.budget(budget):
            return cloudwatch.describe_alarm(
                aws.client("cloudwatch", dns.alarm_region), dns.primary_health_alarm
            )

    reads: dict[str, Callable[[], object]] = {"health": health, "alarm": alarm}
    results = run_all(reads, concurrent=concurrent)
    h, a = results["health"], results["alarm"]
    verdict = h.value if isinstance(h.value, route53.HealthVerdict) else None
    alarm_view = a.value if isinstance(a.value, cloudwatch.AlarmView) else None
    if a.error is not None:
        alarm_error: str | None = f"not read: {describe_error(a.error)}"
    else:
        alarm_error = "not found" if alarm_view is None else None
    return SafetySignals(
        health_check_id=dns.primary_health_check_id,
        alarm_name=dns.primary_health_alarm,
        alarm_region=dns.alarm_region,
        health=verdict,
        health_error=None if h.error is None else f"not read: {describe_error(h.error)}",
        alarm=alarm_view,
        alarm_error=alarm_error,
    )


# ---------------------------------------------------------------------------------------------
# Step 3: promote (or restore) each database


def tier_rto(promotion: Promotion, tier: str) -> float:
    """A wait for a target never outlasts its tier's RTO: past it the objective is missed anyway,
    and the operator must hear so (the strictest RTO for a tier the outputs do not name)."""
    objectives = promotion.objectives
    found = objectives.tiers.get(tier)
    return float(found.rto_seconds if found is not None else objectives.rto_seconds)


def promote_database(
    promotion: Promotion,
    target: DatabaseTarget,
    *,
    ctx: Context,
    timing: Timing,
    state: State,
    did: Did,
) -> None:
    client = ctx.aws.client("rds", promotion.dr_region)
    limit = min(timing.database_timeout, tier_rto(promotion, target.tier))
    ident = target.identifier
    requested = False

    def report(view: rds.InstanceView | None) -> str:
        return "not found" if view is None else view.describe()

    def settled(view: rds.InstanceView | None) -> bool:
        # Stop polling when the instance is writable, broken, gone, or (once) a replica to promote.
        if view is None:
            # A restore just requested may take a moment to be listed.
            return not (target.mode == "restore" and requested)
        if view.broken or view.writable:
            return True
        return target.mode == "replica" and view.is_replica and view.status == rds.AVAILABLE and not requested

    def fetch() -> rds.InstanceView | None:
        return rds.describe_instance(client, ident)

    view = fetch()
    while True:
        if view is None:
            if target.mode == "replica":
                raise StepFailed(f"{ident} not found in {promotion.dr_region}")
            if requested:
                raise StepFailed(f"{ident}: restore requested but the instance does not exist")
            assert target.automated_backups_arn is not None
            state(f"{ident}: restoring from {target.automated_backups_arn}")
            if rds.restore_latest(
                client,
                automated_backups_arn=target.automated_backups_arn,
                identifier=ident,
                subnet_group=target.subnet_group,
                security_group_ids=target.security_group_ids,
                instance_class=target.instance_class,
                multi_az=target.multi_az,
                deletion_protection=target.deletion_protection,
                backup_retention_days=target.backup_retention_days,
                tags={"continuity:service": promotion.service, "continuity:restored-by": "promote_dr"},
            ):
                did(
                    f"restored {ident} from the replicated automated backups {target.automated_backups_arn} "
                    "at the latest restorable time"
                )
            requested = True
        elif view.broken:
            raise StepFailed(f"{ident} is {view.status}; it will not become writable by waiting")
        elif view.writable:
            break
        elif target.mode == "replica" and view.is_replica and view.status == rds.AVAILABLE and not requested:
            state(f"{ident}: promoting")
            if rds.promote_read_replica(client, ident, target.backup_retention_days):
                did(
                    f"promoted {ident} from read replica to a standalone instance "
                    f"(backups kept {target.backup_retention_days} days)"
                )
            requested = True
        view = ctx.wait(
            fetch,
            settled,
            limit=limit,
            what=ident,
            describe=report,
            state=lambda text: state(f"{ident}: {text}"),
        )
    state(f"{ident}: writable")
    changes = rds.changes_for(view, target)
    if changes:
        rds.modify_instance(client, ident, changes)
        did(
            f"modified {ident}: "
            + ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in changes.items())
            + " (applied immediately; Multi-AZ converts online)"
        )


# ---------------------------------------------------------------------------------------------
# Step 4: scale each service


def scale_service(
    promotion: Promotion,
    target: ServiceTarget,
    count: int,
    *,
    ctx: Context,
    limit: float,
    state: State,
    did: Did,
) -> None:
    """Bring a DR service to ``count`` tasks: up to full capacity (failover) or back down to warm
    (failback), the autoscaling floor first, then the desired count; wait until it is steady."""
    aws = ctx.aws
    up = count >= target.full_desired_count
    if target.scalable_target is not None:
        autoscaling = aws.client("application-autoscaling", promotion.dr_region)
        scaling = ecs.describe_scalable_target(autoscaling, target.scalable_target)
        if scaling is None:
            raise StepFailed(f"autoscaling target {target.scalable_target} is not registered")
        # The floor first: a scale-in policy must not undo a new desired count, nor autoscaling
        # hold a service above warm capacity.
        if up and scaling.minimum < count:
            ecs.set_scaling_bounds(autoscaling, target.scalable_target, count, max(scaling.maximum, count))
            did(f"raised the autoscaling minimum of {target.name} from {scaling.minimum} to {count}")
        elif not up and scaling.minimum > count:
            ecs.set_scaling_bounds(autoscaling, target.scalable_target, count, scaling.maximum)
            did(f"lowered the autoscaling minimum of {target.name} from {scaling.minimum} to {count}")
    client = aws.client("ecs", promotion.dr_region)
    view = ecs.describe_service(client, target.cluster, target.service)
    if view is None:
        raise StepFailed(f"service {target.service} not found in cluster {target.cluster}")
    if (up and view.desired < count) or (not up and view.desired > count):
        ecs.set_desired_count(client, target.cluster, target.service, count)
        back = "" if up else "back "
        warm = "" if up else " (warm)"
        did(f"scaled {target.name} in {promotion.dr_region} from {view.desired} {back}to {count} tasks{warm}")
    final = ctx.wait(
        lambda: ecs.describe_service(client, target.cluster, target.service),
        lambda v: v is None or v.steady_at(count) or v.rollout_state == "FAILED",
        limit=limit,
        what=f"service {target.name}",
        describe=lambda v: "not found" if v is None else v.describe(),
        state=lambda text: state(f"{target.name}: {text}"),
    )
    if final is None:
        raise StepFailed(f"service {target.service} disappeared from cluster {target.cluster}")
    if not final.steady_at(count):
        raise StepFailed(f"service {target.name}: deployment rollout FAILED ({final.describe()})")
    state(f"{target.name}: {final.describe()}, steady")


def scale_kubernetes_service(
    promotion: Promotion,
    target: KubernetesServiceTarget,
    *,
    clusters: kubernetes.Clusters,
    ctx: Context,
    timing: Timing,
    state: State,
    did: Did,
) -> None:
    assert promotion.kubernetes is not None
    cluster = promotion.kubernetes.cluster
    api = clusters.api(promotion.kubernetes.context)
    full, ns = target.full_replicas, target.namespace
    scaling = kubernetes.describe_autoscaler(api, ns, target.autoscaler)
    if scaling is None:
        raise StepFailed(f"autoscaler {ns}/{target.autoscaler} not found in cluster {cluster}")
    if scaling.minimum < full:
        # The floor first: the autoscaler would otherwise scale the Deployment back down to it.
        kubernetes.set_autoscaler_bounds(api, ns, target.autoscaler, full, max(scaling.maximum, full))
        did(f"raised the autoscaler minimum of {target.name} in {cluster} from {scaling.minimum} to {full}")
    view = kubernetes.describe_deployment(api, ns, target.deployment)
    if view is None:
        raise StepFailed(f"deployment {ns}/{target.deployment} not found in cluster {cluster}")
    if view.replicas < full:
        kubernetes.scale_deployment(api, ns, target.deployment, full)
        did(f"scaled {target.name} in {cluster} from {view.replicas} to {full} replicas")

    final = ctx.wait(
        lambda: kubernetes.describe_deployment(api, ns, target.deployment),
        lambda v: v is None or v.steady_at(full),
        limit=min(timing.service_timeout, tier_rto(promotion, target.tier)),
        what=f"deployment {target.name}",
        describe=lambda v: "not found" if v is None else v.describe(),
        state=lambda text: state(f"{target.name}: {text}"),
    )
    if final is None:
        raise StepFailed(f"deployment {ns}/{target.deployment} disappeared from cluster {cluster}")
    state(f"{target.name}: {final.describe()}, steady")
