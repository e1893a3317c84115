"""How fast a regional failover can possibly be: a latency model of AWS and the failover's critical path.

An RTO is kept only if the outage is detected, the failover (scripts/promote_dr.py) runs, and
clients reach the DR region within it. This module adds up the least time each of those takes,
from figures AWS documents or, where AWS publishes none, a stated assumption, so the validator can
refuse a tier whose RTO is shorter than physics allows (``continuity.feasibility``), and
``benchmarks/promotion.py`` can compare a real failover run against the same critical path.

Latency model (seconds) and where each figure comes from:

- Detection: Route 53 marks an endpoint unhealthy after ``FAILURE_THRESHOLD`` failed checks
  ``HEALTH_CHECK_INTERVAL`` seconds apart (Route 53 Developer Guide, "How Amazon Route 53 determines
  whether a health check is healthy"); components/failover_dns.py declares these values.
- Decision: the on-call's time to start the failover is not modelled (the fastest case is 0).
- RDS read replica promotion, 300 s: "The promotion process can take several minutes or longer to
  complete, depending on the size of the read replica" (RDS User Guide, "Promoting a read replica
  to be a standalone DB instance"); five minutes stands for "several".
- RDS restore to a point in time (backup-restore): AWS publishes no duration (it grows with the
  data), so only its API calls are counted and the estimate is a lower bound.
- ECS tasks to steady state, 90 s: a Fargate task's launch (image pull, ENI) taken as 60 s (AWS
  publishes no figure; an assumption), plus one passing load balancer health check at the default
  30 s interval ("after you register the target, it must pass one health check", ECS Developer
  Guide, "Optimize load balancer health check parameters").
- Kubernetes pods to ready: no published figure (image pull and start depend on the image); only
  the API calls are counted.
- API calls: 0.2 s for reads, 0.5 s for changes, 1 s for PromoteReadReplica and
  RestoreDBInstanceToPointInTime (assumed: AWS documents rate limits, not latencies; RDS allows a
  burst of 300 requests and 12 per second sustained, "Request throttling for the Amazon RDS API",
  so a failover's few calls are never throttled by design). Kubernetes API calls are taken alike.
- DNS: resolvers keep an answer for its TTL, 60 s for a load balancer's alias records ("The
  time-to-live (TTL) for an Elastic Load Balancing DNS entry is set to 60 seconds", ELB User Guide;
  alias records take their target's TTL) and for the CNAMEs components/failover_dns.py declares.
  In a regional outage Route 53 answers the DR records from detection on, so the TTL runs while
  the failover does: recovery = detection + the longer of the two.

The failover's critical path is the slowest chain of each step, added up over the steps (promote
and scale run at once, so they count as the slower of the two); "sequential" is every call and
every wait one after another.
"""

from __future__ import annotations

from dataclasses import dataclass

from continuity.durations import describe_exactly

HEALTH_CHECK_INTERVAL_SECONDS = 30
FAILURE_THRESHOLD = 3
DETECTION = float(HEALTH_CHECK_INTERVAL_SECONDS * FAILURE_THRESHOLD)
DNS_TTL_SECONDS = 60
PROMOTION = 300.0
TASK_LAUNCH = 60.0
TARGET_HEALTH_CHECK_INTERVAL = 30.0
TASKS_STEADY = TASK_LAUNCH + TARGET_HEALTH_CHECK_INTERVAL
READ = 0.2
CHANGE = 0.5
LATENCY: dict[str, float] = {
    "PromoteReadReplica": 1.0,
    "RestoreDBInstanceToPointInTime": 1.0,
    "ModifyDBInstance": CHANGE,
    "UpdateService": CHANGE,
    "RegisterScalableTarget": CHANGE,
    "UpdateHealthCheck": CHANGE,
    "PatchHorizontalPodAutoscaler": CHANGE,
    "PatchDeploymentScale": CHANGE,
}

PROMOTE_NOTE = "replica promotion 5m (RDS: 'several minutes or longer')"
TASKS_NOTE = "ECS tasks steady 1m 30s (launch 60s assumed, one 30s target health check)"
DECISION_NOTE = "the on-call's decision to fail over"
RESTORE_NOTE = "the point-in-time restore itself (AWS publishes no duration; it grows with the data)"
PODS_NOTE = "Kubernetes pods starting (no published figure)"


def latency(operation: str) -> float:
    return LATENCY.get(operation, READ)


def chain(*operations: str) -> float:
    return sum(latency(op) for op in operations)


@dataclass(frozen=True)
class FailoverModel:
    """The failover's steps (slowest chain of each) and the sequential total, in AWS seconds."""

    steps: dict[str, float]
    sequential: float
    uncounted: tuple[str, ...] = ()

    @property
    def critical_path(self) -> float:
        s = self.steps
        return s["preflight"] + s["safety"] + max(s["promote"], s["scale"]) + s["route"]


def failover_model(
    *, databases: int = 1, services: int = 0, kubernetes_services: int = 0, restore: bool = False
) -> FailoverModel:
    """The failover of ``databases`` databases (promoted, or restored under backup-restore),
    ``services`` ECS services and ``kubernetes_services`` Deployments, as scripts/promote_dr.py
    runs it: reads of every target at once, the safety signals, then promotion and scaling at once,
    then the health-check inversion."""
    if restore:
        database_reads = chain("DescribeDBInstances")
        promote = chain("DescribeDBInstances", "RestoreDBInstanceToPointInTime", "DescribeDBInstances")
    else:
        database_reads = chain("DescribeDBInstances", "GetMetricStatistics")
        promote = chain("DescribeDBInstances", "PromoteReadReplica") + PROMOTION
        promote += chain("DescribeDBInstances", "ModifyDBInstance")
    service_reads = chain("DescribeServices", "DescribeScalableTargets")
    kubernetes_reads = chain("ReadDeployment", "ReadHorizontalPodAutoscaler")
    dns_reads = [latency("GetHealthCheck"), latency("GetHealthCheck"), latency("ListResourceRecordSets")]
    safety_reads = [latency("GetHealthCheckStatus"), latency("DescribeAlarms")]
    scale = chain("DescribeScalableTargets", "RegisterScalableTarget", "DescribeServices", "UpdateService")
    scale += TASKS_STEADY + latency("DescribeServices")
    scale_kubernetes = chain(
        "ReadHorizontalPodAutoscaler",
        "PatchHorizontalPodAutoscaler",
        "ReadDeployment",
        "PatchDeploymentScale",
    )
    scale_kubernetes += latency("ReadDeployment")
    route = chain("GetHealthCheck", "UpdateHealthCheck", "GetHealthCheckStatus")
    reads = [*([database_reads] if databases else []), *dns_reads]
    reads += [service_reads] if services else []
    reads += [kubernetes_reads] if kubernetes_services else []
    steps = {
        "preflight": max(reads),
        "safety": max(safety_reads),
        "promote": promote if databases else 0.0,
        "scale": max([scale] * bool(services) + [scale_kubernetes] * bool(kubernetes_services), default=0.0),
        "route": route,
    }
    sequential = (
        databases * (database_reads + promote)
        + services * (service_reads + scale)
        + kubernetes_services * (kubernetes_reads + scale_kubernetes)
        + sum(dns_reads)
        + sum(safety_reads)
        + route
    )
    uncounted: tuple[str, ...] = (RESTORE_NOTE,) if restore and databases else ()
    uncounted += (PODS_NOTE,) if kubernetes_services else ()
    return FailoverModel(steps, sequential, uncounted)


@dataclass(frozen=True)
class Stage:
    """One stage of a recovery from the outage: how long at least, and why."""

    what: str
    seconds: float
    source: str

    def __str__(self) -> str:
        return f"{describe_exactly(self.seconds)} {self.what}"


@dataclass(frozen=True)
class RecoveryEstimate:
    """The fastest a tier can be back after a regional outage: detection, then the failover with
    DNS caches expiring alongside it."""

    tier: str
    strategy: str
    members: tuple[str, ...]  # plan paths of what the failover acts on for this tier
    detection: Stage
    failover: Stage
    dns: Stage
    waits: tuple[str, ...]  # the long waits inside the failover
    seconds: float
    uncounted: tuple[str, ...]  # what has no figure: the estimate is a lower bound

    def arithmetic(self) -> str:
        """``1m 30s detection + 5m 3s failover (1m DNS alongside) = 6m 33s; ...``"""
        if self.failover.seconds >= self.dns.seconds:
            overlap = f"{self.failover} ({self.dns} alongside)"
        else:
            overlap = f"{self.dns} ({self.failover} within it)"
        text = f"{self.detection} + {overlap} = {describe_exactly(self.seconds)}"
        if self.waits:
            text += f"; failover: {', '.join(self.waits)}"
        return text + f"; not counted: {', '.join(self.uncounted)}"


def estimate(
    tier: str, strategy: str, *, databases: list[str], services: list[str], kubernetes_services: list[str]
) -> RecoveryEstimate | None:
    """The fastest recovery of a tier from the outage; None when the failover has nothing to do
    for it (a tier of S3 or in-cluster data only: its copies are in the DR region already)."""
    if not databases and not services and not kubernetes_services:
        return None
    model = failover_model(
        databases=len(databases),
        services=len(services),
        kubernetes_services=len(kubernetes_services),
        restore=strategy == "backup-restore",
    )
    waits = []
    if databases and strategy != "backup-restore":
        waits.append(PROMOTE_NOTE)
    if services:
        waits.append(TASKS_NOTE)
    detection = Stage(
        "detection",
        DETECTION,
        f"Route 53: {FAILURE_THRESHOLD} failed health checks {HEALTH_CHECK_INTERVAL_SECONDS}s apart",
    )
    failover = Stage("failover", model.critical_path, "the failover's critical path")
    dns = Stage("DNS", float(DNS_TTL_SECONDS), "resolvers keep the primary's answer for its 60s TTL")
    return RecoveryEstimate(
        tier=tier,
        strategy=strategy,
        members=tuple([*databases, *services, *kubernetes_services]),
        detection=detection,
        failover=failover,
        dns=dns,
        waits=tuple(waits),
        seconds=detection.seconds + max(failover.seconds, dns.seconds),
        uncounted=(DECISION_NOTE, *model.uncounted),
    )
