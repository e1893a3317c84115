"""The failback's AWS work: read where things stand, re-create the primary databases, wait for them
to catch up, scale DR down to warm (routing back is operations.traffic, recording
operations.runbook's record step).

Each function re-reads what it acts on and does only what is left, so a re-run after a crash or a
failure picks up where things stand. Databases and health checks are read and changed in the
regions named beside each call; the promotion itself is the failover's `promote_database`. Every
wait is bounded by its own timeout and the run's deadline (``Context.wait``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from continuity.outputs import Inventory, Promotion, ServiceTarget
from continuity.plan import Plan
from operations import cloudwatch, ecs, rds, route53
from operations.aws import Aws, describe_error
from operations.clock import Clock
from operations.errors import StepFailed
from operations.failback.checks import (
    Assessment,
    DatabaseState,
    FailbackTarget,
    Phase,
    ServiceState,
    caught_up,
    replica_tags,
    retired_identifier,
)
from operations.failback.safety import PrimaryService
from operations.failover.steps import Timing, promote_database
from operations.runbook import Context, Did, State
from operations.tasks import run_all


@dataclass(frozen=True)
class FailbackTiming(Timing):
    # A new cross-region replica first copies the whole database, then replays what changed since.
    catchup_timeout: float = 3600.0


# ---------------------------------------------------------------------------------------------
# Step 1: where things stand (reads only)


def _database(promotion: Promotion, aws: Aws, clock: Clock, target: FailbackTarget) -> DatabaseState:
    dr = rds.describe_instance(aws.client("rds", promotion.dr_region), target.dr_identifier)
    primary = rds.describe_instance(aws.client("rds", promotion.primary_region), target.identifier)
    state = DatabaseState(target, promotion.primary_region, promotion.dr_region, dr, primary)
    if primary is not None and primary.is_replica and state.ours(primary):
        state.lag = read_lag(promotion, aws, clock, target)
    return state


def read_lag(promotion: Promotion, aws: Aws, clock: Clock, target: FailbackTarget) -> cloudwatch.LagReading:
    try:
        return cloudwatch.replica_lag(
            aws.client("cloudwatch", promotion.primary_region), target.identifier, clock.now()
        )
    except Exception as exc:
        return cloudwatch.LagReading(None, None, f"not read: {describe_error(exc)}")


def _service(promotion: Promotion, aws: Aws, target: ServiceTarget) -> ServiceState:
    view = ecs.describe_service(aws.client("ecs", promotion.dr_region), target.cluster, target.service)
    scaling = None
    if target.scalable_target is not None:
        scaling = ecs.describe_scalable_target(
            aws.client("application-autoscaling", promotion.dr_region), target.scalable_target
        )
    return ServiceState(
        target.name,
        target.cluster,
        target.service,
        target.warm_desired_count,
        target.scalable_target,
        view,
        scaling,
    )


def assess(
    promotion: Promotion, targets: list[FailbackTarget], aws: Aws, clock: Clock, *, concurrent: bool = True
) -> Assessment:
    reads: dict[str, Callable[[], Any]] = {}
    for i, target in enumerate(targets):
        reads[f"db{i}"] = partial(_database, promotion, aws, clock, target)
    for i, svc in enumerate(promotion.services):
        reads[f"svc{i}"] = partial(_service, promotion, aws, svc)
    check_id = promotion.dns.primary_health_check_id
    reads["check"] = lambda: route53.get_health_check(aws.route53(), check_id)
    results = run_all(reads, concurrent=concurrent, interrupt=clock.interrupt)
    failed = [o.error for o in results.values() if o.error is not None]
    if failed:
        raise StepFailed("; ".join(dict.fromkeys(describe_error(e) for e in failed))) from failed[0]
    values = {key: outcome.value for key, outcome in results.items()}
    databases = [v for i in range(len(targets)) if isinstance(v := values[f"db{i}"], DatabaseState)]
    services = [v for i in range(len(promotion.services)) if isinstance(v := values[f"svc{i}"], ServiceState)]
    check = values["check"]
    return Assessment(
        read_at=clock.now(),
        databases=databases,
        services=services,
        primary_check=check if isinstance(check, route53.HealthCheckView) else None,
        primary_check_id=check_id,
    )


# ---------------------------------------------------------------------------------------------
# Step 2: the primary region's services (reads only)


def read_primary_services(plan: Plan, inventory: Inventory, aws: Aws) -> list[PrimaryService]:
    cluster = inventory.primary.cluster_name
    found = []
    for name, spec in plan.services.items():
        service = inventory.primary.service_names.get(name)
        if spec.compute != "ecs" or cluster is None or service is None:
            continue
        try:
            view = ecs.describe_service(aws.client("ecs", inventory.primary_region), cluster, service)
        except Exception as exc:
            found.append(PrimaryService(name, service, error=f"not read: {describe_error(exc)}"))
            continue
        found.append(PrimaryService(name, service, view=view))
    return found


# ---------------------------------------------------------------------------------------------
# Step 3: re-create each database in the primary region


def replicate_database(
    promotion: Promotion,
    target: FailbackTarget,
    *,
    plan: Plan,
    ctx: Context,
    timing: Timing,
    state: State,
    did: Did,
    now: datetime,
) -> str | None:
    """Returns the name the old primary was given, when this call renamed it."""
    aws, clock = ctx.aws, ctx.clock
    primary_rds = aws.client("rds", promotion.primary_region)
    dr_rds = aws.client("rds", promotion.dr_region)
    current = _database(promotion, aws, clock, target)
    ident = target.identifier
    retired = None
    if current.phase is Phase.OCCUPIED:
        retired = retired_identifier(ident, now)
        state(f"{ident}: renaming the old primary to {retired}")
        rds.rename_instance(primary_rds, ident, retired)
        did(f"renamed the old primary {ident} to {retired} (kept with its data and protection)")
        ctx.wait(
            lambda: rds.describe_instance(primary_rds, ident),
            lambda view: view is None,
            limit=timing.database_timeout,
            what=f"the name {ident} to be free",
            describe=lambda view: "in use" if view is not None else "free",
            state=lambda text: state(f"{ident}: {text}"),
        )
        current = _database(promotion, aws, clock, target)
    if current.phase is Phase.FREE:
        # The source must be available (a Multi-AZ conversion after the failover may still run).
        source = ctx.wait(
            lambda: rds.describe_instance(dr_rds, target.dr_identifier),
            lambda view: view is None or view.status == rds.AVAILABLE or view.broken,
            limit=timing.database_timeout,
            what=f"{target.dr_identifier} to be available",
            describe=lambda view: "not found" if view is None else view.status,
            state=lambda text: state(f"{target.dr_identifier}: {text}"),
        )
        if source is None or source.broken or source.dbi_resource_id is None:
            raise StepFailed(
                f"{target.dr_identifier} cannot be copied: {source.status if source else 'not found'}"
            )
        state(f"{ident}: creating a read replica of {target.dr_identifier}")
        if rds.create_cross_region_replica(
            primary_rds,
            identifier=ident,
            source_arn=target.dr_arn,
            source_region=promotion.dr_region,
            instance_class=target.instance_class,
            subnet_group=target.subnet_group,
            security_group_ids=target.security_group_ids,
            kms_key_id=target.kms_key_id,
            tags=replica_tags(plan, target, source.dbi_resource_id),
        ):
            did(f"created {ident} in {promotion.primary_region}, a read replica of {target.dr_arn}")
    elif current.phase not in (Phase.BUSY_REPLICA, Phase.REPLICA, Phase.PROMOTING, Phase.PROMOTED):
        raise StepFailed("; ".join(current.problems) or f"{ident}: {current.phase.value}")
    view = ctx.wait(
        lambda: rds.describe_instance(primary_rds, ident),
        lambda v: v is not None and (v.status == rds.AVAILABLE or v.broken),
        limit=timing.database_timeout,
        what=ident,
        describe=lambda v: "not listed yet" if v is None else v.describe(),
        state=lambda text: state(f"{ident}: {text}"),
    )
    assert view is not None
    if view.broken:
        raise StepFailed(f"{ident} is {view.status}; it will not become available by waiting")
    state(f"{ident}: {view.describe()}")
    return retired


# ---------------------------------------------------------------------------------------------
# Step 4: wait until each replica has caught up


def catch_up(
    promotion: Promotion,
    target: FailbackTarget,
    *,
    ctx: Context,
    timing: FailbackTiming,
    state: State,
    force: bool,
) -> cloudwatch.LagReading | None:
    """The replica's lag once it is within the RPO (the data at risk when it is promoted); None
    when it is promoted already. With ``force``, a lag that cannot be measured does not hold it
    up; a measured lag above the RPO always does."""
    aws, clock = ctx.aws, ctx.clock
    primary_rds = aws.client("rds", promotion.primary_region)
    view = rds.describe_instance(primary_rds, target.identifier)
    if view is None:
        raise StepFailed(f"{target.identifier} not found in {promotion.primary_region}")
    if not view.is_replica:
        return None
    created = view.created_at

    def fetch() -> cloudwatch.LagReading:
        return read_lag(promotion, aws, clock, target)

    def done(lag: cloudwatch.LagReading) -> bool:
        ok, _ = caught_up(lag, created, target.rpo_seconds)
        return ok or (force and lag.seconds is None)

    lag = ctx.wait(
        fetch,
        done,
        limit=timing.catchup_timeout,
        what=f"{target.identifier} to catch up",
        describe=lambda lag: caught_up(lag, created, target.rpo_seconds)[1],
        state=lambda text: state(f"{target.identifier}: {text}"),
    )
    state(f"{target.identifier}: {caught_up(lag, created, target.rpo_seconds)[1]}")
    return lag


# ---------------------------------------------------------------------------------------------
# Step 5: promote in the primary region (the failover's own step, reversed)


def reversed_promotion(promotion: Promotion, targets: list[FailbackTarget]) -> Promotion:
    """The failover's view of the world with the regions swapped: promote_database then promotes
    the replicas in the primary region exactly as a failover promotes DR's."""
    return dataclasses.replace(
        promotion,
        primary_region=promotion.dr_region,
        dr_region=promotion.primary_region,
        databases=[t.as_promotion_target() for t in targets],
        services=[],
    )


def promote(
    promotion: Promotion,
    target: FailbackTarget,
    *,
    ctx: Context,
    timing: Timing,
    state: State,
    did: Did,
) -> None:
    back = reversed_promotion(promotion, [target])
    promote_database(back, back.databases[0], ctx=ctx, timing=timing, state=state, did=did)
