"""ECS services and their Application Auto Scaling targets: reading them, and scaling them up.

A service is steady when it has one deployment and runs as many tasks as it wants (the test
the ``services_stable`` waiter applies). Scaling raises the autoscaling minimum as well as the
desired count: otherwise a scale-in policy would take the DR region back down to warm capacity
in the middle of a failover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ECS_DESIRED_COUNT = "ecs:service:DesiredCount"


@dataclass(frozen=True)
class ServiceView:
    cluster: str
    name: str
    arn: str
    status: str  # ACTIVE, DRAINING, INACTIVE
    desired: int
    running: int
    pending: int
    deployments: int
    rollout_state: str | None  # of the primary deployment: IN_PROGRESS, COMPLETED, FAILED

    def steady_at(self, count: int) -> bool:
        return self.deployments == 1 and self.running == self.desired and self.desired >= count

    def describe(self) -> str:
        text = f"{self.running}/{self.desired} tasks running"
        if self.pending:
            text += f", {self.pending} pending"
        if self.deployments > 1:
            text += f", {self.deployments} deployments"
        if self.rollout_state == "FAILED":
            text += ", rollout FAILED"
        return text


def view_service(cluster: str, raw: Mapping[str, Any]) -> ServiceView:
    deployments = raw.get("deployments") or []
    primary: Mapping[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    return ServiceView(
        cluster=cluster,
        name=raw.get("serviceName", ""),
        arn=raw.get("serviceArn", ""),
        status=raw.get("status", "UNKNOWN"),
        desired=int(raw.get("desiredCount", 0)),
        running=int(raw.get("runningCount", 0)),
        pending=int(raw.get("pendingCount", 0)),
        deployments=len(deployments),
        rollout_state=primary.get("rolloutState"),
    )


def describe_service(ecs: Any, cluster: str, service: str) -> ServiceView | None:
    """The service, or None when ECS reports it missing (``failures``, not an exception)."""
    answer = ecs.describe_services(cluster=cluster, services=[service])
    found = answer.get("services") or []
    return view_service(cluster, found[0]) if found else None


def set_desired_count(ecs: Any, cluster: str, service: str, count: int) -> None:
    ecs.update_service(cluster=cluster, service=service, desiredCount=count)


@dataclass(frozen=True)
class ScalableTargetView:
    resource_id: str
    minimum: int
    maximum: int


def describe_scalable_target(autoscaling: Any, resource_id: str) -> ScalableTargetView | None:
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[resource_id], ScalableDimension=ECS_DESIRED_COUNT
    )["ScalableTargets"]
    if not targets:
        return None
    target = targets[0]
    return ScalableTargetView(resource_id, int(target["MinCapacity"]), int(target["MaxCapacity"]))


def set_scaling_bounds(autoscaling: Any, resource_id: str, minimum: int, maximum: int) -> None:
    # Registering an existing target again updates it in place (Application Auto Scaling API
    # Reference, RegisterScalableTarget); only the bounds given change.
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource_id,
        ScalableDimension=ECS_DESIRED_COUNT,
        MinCapacity=minimum,
        MaxCapacity=maximum,
    )


def resource_id_for(cluster: str, service: str) -> str:
    """Application Auto Scaling's id for an ECS service: ``service/<cluster name>/<service name>``."""
    cluster_name = cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster
    service_name = service.rsplit("/", 1)[-1] if service.startswith("arn:") else service
    return f"service/{cluster_name}/{service_name}"
