"""Route 53 health checks and failover records: reading them, judging them, inverting one.

Route 53 calls an endpoint healthy when more than 18% of its health checkers report it healthy
(Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy");
`judge_observations` applies the same rule to ``GetHealthCheckStatus``.

Inverting the primary's health check makes Route 53 treat a healthy primary as unhealthy, so
the failover records answer with the secondary (DR) record without any record being changed,
and it is undone by inverting it back (failback).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from operations.aws import error_code

HEALTHY_SHARE = 0.18


@dataclass(frozen=True)
class HealthCheckView:
    id: str
    inverted: bool
    type: str
    request_interval: int  # seconds between checks from each checker (10 or 30)
    failure_threshold: int  # consecutive failures before a checker calls it unhealthy
    version: int

    @property
    def switch_seconds(self) -> int:
        """About how long Route 53 takes to see a change of health after it happens."""
        return self.request_interval * self.failure_threshold


def get_health_check(route53: Any, health_check_id: str) -> HealthCheckView | None:
    try:
        check = route53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchHealthCheck":
            return None
        raise
    config = check.get("HealthCheckConfig") or {}
    return HealthCheckView(
        id=check["Id"],
        inverted=bool(config.get("Inverted", False)),
        type=str(config.get("Type", "")),
        request_interval=int(config.get("RequestInterval", 30)),
        failure_threshold=int(config.get("FailureThreshold", 3)),
        version=int(check.get("HealthCheckVersion", 1)),
    )


@dataclass(frozen=True)
class HealthVerdict:
    healthy: bool | None  # None: no checker has reported
    healthy_checkers: int
    checkers: int
    # The oldest CheckedTime among the checkers now reporting failure: the outage was seen by then
    # at the latest (GetHealthCheckStatus keeps only each checker's newest report).
    failing_since: datetime | None = None

    def describe(self) -> str:
        if self.healthy is None:
            return "no health checker has reported"
        word = "healthy" if self.healthy else "unhealthy"
        return f"{word} ({self.healthy_checkers} of {self.checkers} checkers report success)"


def judge_observations(observations: Iterable[Mapping[str, Any]]) -> HealthVerdict:
    """Route 53's own rule: healthy when more than 18% of the checkers report success."""
    reports = [o.get("StatusReport") or {} for o in observations]
    statuses = [str(r.get("Status", "")) for r in reports]
    healthy = sum(1 for s in statuses if s.startswith("Success"))
    if not statuses:
        return HealthVerdict(None, 0, 0)
    failing = [
        r["CheckedTime"]
        for r in reports
        if not str(r.get("Status", "")).startswith("Success") and isinstance(r.get("CheckedTime"), datetime)
    ]
    return HealthVerdict(
        healthy / len(statuses) > HEALTHY_SHARE, healthy, len(statuses), min(failing, default=None)
    )


def health_status(route53: Any, health_check_id: str) -> HealthVerdict:
    answer = route53.get_health_check_status(HealthCheckId=health_check_id)
    return judge_observations(answer.get("HealthCheckObservations") or [])


def invert_health_check(route53: Any, health_check_id: str, inverted: bool = True) -> None:
    route53.update_health_check(HealthCheckId=health_check_id, Inverted=inverted)


@dataclass(frozen=True)
class RecordView:
    name: str
    type: str
    set_identifier: str | None
    failover: str | None  # PRIMARY or SECONDARY
    health_check_id: str | None


def _dns_name(name: str) -> str:
    return name.rstrip(".").lower()


def zone_id(value: str) -> str:
    """``/hostedzone/Z123`` or ``Z123`` to ``Z123``."""
    return value.rsplit("/", 1)[-1]


def records_named(route53: Any, hosted_zone_id: str, name: str) -> list[RecordView]:
    """Every record set called ``name`` (all types and set identifiers)."""
    wanted = _dns_name(name)
    found: list[RecordView] = []
    params: dict[str, Any] = {"HostedZoneId": zone_id(hosted_zone_id), "StartRecordName": wanted + "."}
    while True:
        page = route53.list_resource_record_sets(**params)
        for record in page.get("ResourceRecordSets") or []:
            if _dns_name(record["Name"]) != wanted:
                return found
            found.append(
                RecordView(
                    name=wanted,
                    type=record.get("Type", ""),
                    set_identifier=record.get("SetIdentifier"),
                    failover=record.get("Failover"),
                    health_check_id=record.get("HealthCheckId"),
                )
            )
        if not page.get("IsTruncated"):
            return found
        params["StartRecordName"] = page["NextRecordName"]
        params["StartRecordType"] = page["NextRecordType"]
        if page.get("NextRecordIdentifier"):
            params["StartRecordIdentifier"] = page["NextRecordIdentifier"]


def failover_record_problems(records: list[RecordView], name: str, primary_health_check_id: str) -> list[str]:
    """Why inverting ``primary_health_check_id`` would not move ``name`` to DR (empty: it would)."""
    primaries = [r for r in records if r.failover == "PRIMARY"]
    secondaries = [r for r in records if r.failover == "SECONDARY"]
    problems = []
    if not primaries:
        problems.append(f"record {name} has no PRIMARY failover record")
    elif not any(r.health_check_id == primary_health_check_id for r in primaries):
        ids = ", ".join(sorted({r.health_check_id or "none" for r in primaries}))
        problems.append(
            f"record {name}: the PRIMARY failover record uses health check {ids}, "
            f"not {primary_health_check_id}; inverting it would not move traffic"
        )
    if not secondaries:
        problems.append(f"record {name} has no SECONDARY failover record to move traffic to")
    return problems


# ---------------------------------------------------------------------------------------------
# Route 53 Application Recovery Controller: routing controls, through a cluster's data plane

ON, OFF = "On", "Off"


def set_routing_controls(cluster: Any, states: Mapping[str, str]) -> None:
    """Set routing controls (ARN -> On/Off) in one call, so that a safety rule such as "at least
    one cell on" is judged on the new states together (Route 53 ARC API,
    UpdateRoutingControlStates). Idempotent: setting a control to its state changes nothing."""
    cluster.update_routing_control_states(
        UpdateRoutingControlStateEntries=[
            {"RoutingControlArn": arn, "RoutingControlState": state} for arn, state in states.items()
        ]
    )


def routing_control_state(cluster: Any, arn: str) -> str:
    return str(cluster.get_routing_control_state(RoutingControlArn=arn)["RoutingControlState"])
