"""The contract between the DR stack and the operational scripts: its ``promotion`` output.

The DR stack exports ``promotion``: everything a failover needs, so that at 3 a.m. nothing has to
be looked up by name. Scripts read it from ``pulumi stack output --json --show-secrets`` (or a
saved copy of that document, since the state backend may live in the failed region) and parse it
here. A missing or mistyped field is a ``OutputsError`` naming it, never a KeyError mid-failover.

docs/outputs.md documents every field; tests run the real program under mocks and parse its
outputs with this module, so a renamed output fails a test before it fails a failover. Numbers
are held to what AWS accepts (a task count within ECS's quota, a retention within RDS's 1-35
days), so an outputs file that asks for a billion tasks is bad input here, not an error from AWS
half way through a failover; the JSON itself is bounded by `continuity.documents`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DatabaseMode = Literal["replica", "restore"]

# RDS keeps automated backups for 1 to 35 days (RDS User Guide, "Backup retention period").
RETENTION_DAYS = (1, 35)
# Amazon ECS service quotas: "Tasks per service", 5,000 by default.
ECS_TASKS_MAX = 5_000
# Kubernetes, "Considerations for large clusters": no more than 150,000 pods in a cluster.
KUBERNETES_PODS_MAX = 150_000
# Recovery objectives and the like: nothing a plan can say is longer than S3 Object Lock's longest
# retention, 100 years (36,500 days), the plan's own upper bound.
SECONDS_MAX = 36_500 * 86_400
_OBJECTIVE = "at most 100 years"


class OutputsError(ValueError):
    """Stack outputs that cannot drive a script; the message names the field."""


def _show(value: object) -> str:
    """A value as the outputs document wrote it (JSON), cut short."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Typed access to one mapping of the outputs document, with paths in every error."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise OutputsError(f"{path}: expected a mapping, found {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.path = path

    def _get(self, key: str) -> Any:
        if key not in self.data or self.data[key] is None:
            raise OutputsError(f"{self.path}.{key}: missing")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value:
            raise OutputsError(f"{self.path}.{key}: expected text, found {value!r}")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise OutputsError(f"{self.path}.{key}: expected text, found {value!r}")
        return value

    def number(self, key: str, bounds: tuple[int, int], why: str) -> int:
        """A whole number within ``bounds`` (inclusive); ``why`` names the limit in messages."""
        value = self._get(key)
        # Pulumi outputs carry numbers as JSON numbers; whole floats are whole numbers.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))
            or int(value) != value
        ):
            raise OutputsError(f"{self.path}.{key}: expected a whole number, found {_show(value)}")
        low, high = bounds
        if not low <= value <= high:
            raise OutputsError(f"{self.path}.{key}: {_show(value)} is outside {low:,}-{high:,} ({why})")
        return int(value)

    def flag(self, key: str, default: bool | None = None) -> bool:
        if default is not None and key not in self.data:
            return default
        value = self._get(key)
        if not isinstance(value, bool):
            raise OutputsError(f"{self.path}.{key}: expected true or false, found {value!r}")
        return value

    def texts(self, key: str) -> list[str]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise OutputsError(f"{self.path}.{key}: expected a list of text, found {value!r}")
        return list(value)

    def names(self, key: str) -> dict[str, str]:
        """A mapping of plan item to a name or id (empty when the stack has none)."""
        value = self.data.get(key) or {}
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise OutputsError(f"{self.path}.{key}: expected a mapping of text, found {value!r}")
        return dict(value)

    def child(self, key: str) -> _Reader:
        return _Reader(self._get(key), f"{self.path}.{key}")

    def children(self, key: str) -> list[_Reader]:
        value = self._get(key)
        if not isinstance(value, list):
            raise OutputsError(f"{self.path}.{key}: expected a list, found {type(value).__name__}")
        return [_Reader(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(value)]


@dataclass(frozen=True)
class DatabaseTarget:
    """One database to bring up in the DR region."""

    data_item: str
    tier: str
    mode: DatabaseMode  # replica: promote it; restore: restore the replicated backups
    identifier: str  # the DR instance (the replica, or the instance a restore creates)
    source_identifier: str  # the primary instance
    source_arn: str
    replica_arn: str | None  # None in restore mode
    backup_retention_days: int  # what the promoted instance keeps (plan retention within 1-35)
    multi_az: bool  # what the plan wants once promoted
    deletion_protection: bool
    rpo_seconds: int
    # Restore mode only: where the replicated automated backups are, and how to place the new instance.
    automated_backups_arn: str | None = None
    subnet_group: str | None = None
    security_group_ids: list[str] = field(default_factory=list)
    instance_class: str | None = None
    kms_key_id: str | None = None


@dataclass(frozen=True)
class ServiceTarget:
    """One DR service to scale from warm to full capacity."""

    name: str
    tier: str
    compute: str
    cluster: str
    service: str
    full_desired_count: int
    warm_desired_count: int
    # Application Auto Scaling resource id ("service/<cluster>/<service>"), or None without autoscaling.
    scalable_target: str | None


@dataclass(frozen=True)
class KubernetesServiceTarget:
    """One DR Deployment to scale from warm to full replicas (and its autoscaler's floor)."""

    name: str
    tier: str
    namespace: str
    deployment: str
    autoscaler: str
    full_replicas: int
    warm_replicas: int


@dataclass(frozen=True)
class KubernetesTargets:
    cluster: str  # the EKS cluster's name, or the kubeconfig context the stack was given
    context: str  # the kubeconfig context the scripts select: an EKS cluster's ARN
    services: list[KubernetesServiceTarget]


@dataclass(frozen=True)
class DnsTarget:
    zone_id: str
    record_name: str
    primary_health_check_id: str
    dr_health_check_id: str
    dr_endpoint: str  # the DR load balancer's DNS name
    health_check_path: str
    # The CloudWatch alarm on the primary health check; Route 53 metrics exist only in us-east-1.
    primary_health_alarm: str
    alarm_region: str
    # Route 53 ARC routing controls, when the stack declares them: the deliberate traffic switch.
    routing_controls: RoutingControls | None = None


@dataclass(frozen=True)
class ClusterEndpoint:
    endpoint: str  # https://host.route53-recovery-cluster.<region>.amazonaws.com/v1
    region: str


@dataclass(frozen=True)
class RoutingControls:
    """A Route 53 ARC cluster's data plane (one endpoint in each of five regions) and the routing
    controls whose state the failover records' health checks follow."""

    cluster_endpoints: list[ClusterEndpoint]
    primary_arn: str  # On: the PRIMARY records answer
    dr_arn: str  # On: the SECONDARY (DR) records answer


# An ARC cluster answers on five regional endpoints (Route 53 ARC Developer Guide, "Clusters").
ARC_ENDPOINTS_MAX = 5


@dataclass(frozen=True)
class TierObjectives:
    rto_seconds: int
    rpo_seconds: int | None


@dataclass(frozen=True)
class Objectives:
    rto_seconds: int
    rpo_seconds: int
    tiers: dict[str, TierObjectives]
    # Tiers with a service or a data item (continuity.derive.Objectives.applicable); None from
    # stacks deployed before it was exported.
    applicable: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DataExposure:
    """One data item and the worst-case loss of its copies in the DR region (continuity.exposure)."""

    data_item: str
    tier: str
    store: str
    rpo_seconds: int
    dr_worst_case_seconds: int | None  # None: no copy is kept in the DR region
    dr_protection: str | None  # the mechanism and its arithmetic


@dataclass(frozen=True)
class Promotion:
    service: str
    strategy: str
    stack: str  # the DR stack's name, for `pulumi config set --stack ...`
    primary_region: str
    dr_region: str
    promoted: bool  # the stack was last deployed in promoted mode
    databases: list[DatabaseTarget]
    services: list[ServiceTarget]
    dns: DnsTarget
    objectives: Objectives
    operator_role_arn: str
    kubernetes: KubernetesTargets | None = None
    # The DR region's operations bucket (the operations lock, drill history, reports); stacks
    # deployed before it existed do not export it.
    operations_bucket: str | None = None
    # Every data item of the plan; empty from stacks deployed before it was exported.
    data: list[DataExposure] = field(default_factory=list)


def _data_exposure(r: _Reader) -> DataExposure:
    worst = r.data.get("dr_worst_case_seconds")
    return DataExposure(
        data_item=r.text("data_item"),
        tier=r.text("tier"),
        store=r.text("store"),
        rpo_seconds=r.number("rpo_seconds", (0, SECONDS_MAX), _OBJECTIVE),
        dr_worst_case_seconds=None
        if worst is None
        else r.number("dr_worst_case_seconds", (0, SECONDS_MAX), _OBJECTIVE),
        dr_protection=r.optional_text("dr_protection"),
    )


def _kubernetes(r: _Reader) -> KubernetesTargets:
    services = []
    for s in r.children("services"):
        pods = (0, KUBERNETES_PODS_MAX)
        why = "a Kubernetes cluster runs at most 150,000 pods"
        full, warm = s.number("full_replicas", pods, why), s.number("warm_replicas", pods, why)
        if full < 1 or warm < 0 or warm > full:
            raise OutputsError(
                f"{s.path}: full_replicas {full} and warm_replicas {warm} are not a warm standby"
            )
        services.append(
            KubernetesServiceTarget(
                name=s.text("name"),
                tier=s.text("tier"),
                namespace=s.text("namespace"),
                deployment=s.text("deployment"),
                autoscaler=s.text("autoscaler"),
                full_replicas=full,
                warm_replicas=warm,
            )
        )
    return KubernetesTargets(cluster=r.text("cluster"), context=r.text("context"), services=services)


def _database(r: _Reader) -> DatabaseTarget:
    mode = r.text("mode")
    if mode not in ("replica", "restore"):
        raise OutputsError(f"{r.path}.mode: expected replica or restore, found {mode!r}")
    restore = mode == "restore"
    return DatabaseTarget(
        data_item=r.text("data_item"),
        tier=r.text("tier"),
        mode="restore" if restore else "replica",
        identifier=r.text("replica_identifier") if not restore else r.text("target_identifier"),
        source_identifier=r.text("source_identifier"),
        source_arn=r.text("source_arn"),
        replica_arn=None if restore else r.text("replica_arn"),
        backup_retention_days=r.number(
            "backup_retention_days", RETENTION_DAYS, "RDS keeps automated backups 1 to 35 days"
        ),
        multi_az=r.flag("multi_az"),
        deletion_protection=r.flag("deletion_protection"),
        rpo_seconds=r.number("rpo_seconds", (0, SECONDS_MAX), _OBJECTIVE),
        automated_backups_arn=r.text("automated_backups_arn") if restore else None,
        subnet_group=r.text("subnet_group") if restore else r.optional_text("subnet_group"),
        security_group_ids=r.texts("security_group_ids") if restore else [],
        instance_class=r.text("instance_class") if restore else r.optional_text("instance_class"),
        kms_key_id=r.optional_text("kms_key_id"),
    )


def _service(r: _Reader) -> ServiceTarget:
    tasks, why = (0, ECS_TASKS_MAX), "Amazon ECS runs at most 5,000 tasks per service"
    full, warm = r.number("full_desired_count", tasks, why), r.number("warm_desired_count", tasks, why)
    if full < 1 or warm < 0 or warm > full:
        raise OutputsError(
            f"{r.path}: full_desired_count {full} and warm_desired_count {warm} are not a warm standby"
        )
    return ServiceTarget(
        name=r.text("name"),
        tier=r.text("tier"),
        compute=r.text("compute"),
        cluster=r.text("cluster"),
        service=r.text("service"),
        full_desired_count=full,
        warm_desired_count=warm,
        scalable_target=r.optional_text("scalable_target"),
    )


def _routing_controls(r: _Reader) -> RoutingControls:
    endpoints = [
        ClusterEndpoint(e.text("endpoint"), e.text("region")) for e in r.children("cluster_endpoints")
    ]
    if not 1 <= len(endpoints) <= ARC_ENDPOINTS_MAX:
        raise OutputsError(
            f"{r.path}.cluster_endpoints: {len(endpoints)} endpoints; an ARC cluster has 1 to "
            f"{ARC_ENDPOINTS_MAX}"
        )
    for i, e in enumerate(endpoints):
        if not e.endpoint.startswith("https://"):
            raise OutputsError(
                f"{r.path}.cluster_endpoints[{i}].endpoint: {_show(e.endpoint)} is not https://"
            )
    return RoutingControls(endpoints, r.text("primary_routing_control_arn"), r.text("dr_routing_control_arn"))


def require_operations_bucket(bucket: str | None, output: str) -> str:
    """The operations bucket, or OutputsError naming the output a script needs it from."""
    if bucket is None:
        raise OutputsError(
            f"outputs.{output}.operations_bucket: missing; the operations lock lives in the DR "
            "region's operations bucket, which stacks deployed before it existed do not export "
            "(run pulumi up --stack <dr stack>, then save the outputs again)"
        )
    return bucket


def parse_promotion(outputs: object) -> Promotion:
    """The ``promotion`` output of a DR stack's outputs document (all outputs, as the CLI prints)."""
    root = _Reader(outputs, "outputs")
    if "promotion" not in root.data:
        keys = ", ".join(sorted(root.data)) or "none"
        raise OutputsError(
            f"outputs.promotion: missing (outputs present: {keys}); is this the DR stack's output?"
        )
    r = root.child("promotion")
    dns = r.child("dns")
    objectives = r.child("objectives")
    tiers = objectives.child("tiers")
    return Promotion(
        service=r.text("service"),
        strategy=r.text("strategy"),
        stack=r.text("stack"),
        primary_region=r.text("primary_region"),
        dr_region=r.text("dr_region"),
        promoted=r.flag("promoted"),
        databases=[_database(d) for d in r.children("databases")],
        services=[_service(s) for s in r.children("services")],
        dns=DnsTarget(
            zone_id=dns.text("zone_id"),
            record_name=dns.text("record_name"),
            primary_health_check_id=dns.text("primary_health_check_id"),
            dr_health_check_id=dns.text("dr_health_check_id"),
            dr_endpoint=dns.text("dr_endpoint"),
            health_check_path=dns.text("health_check_path"),
            primary_health_alarm=dns.text("primary_health_alarm"),
            alarm_region=dns.text("alarm_region"),
            routing_controls=(
                _routing_controls(dns.child("routing_controls"))
                if dns.data.get("routing_controls") is not None
                else None
            ),
        ),
        objectives=Objectives(
            rto_seconds=objectives.number("rto_seconds", (1, SECONDS_MAX), _OBJECTIVE),
            rpo_seconds=objectives.number("rpo_seconds", (0, SECONDS_MAX), _OBJECTIVE),
            tiers={
                name: TierObjectives(
                    rto_seconds=tiers.child(name).number("rto_seconds", (1, SECONDS_MAX), _OBJECTIVE),
                    rpo_seconds=(
                        tiers.child(name).number("rpo_seconds", (0, SECONDS_MAX), _OBJECTIVE)
                        if tiers.child(name).data.get("rpo_seconds") is not None
                        else None
                    ),
                )
                for name in tiers.data
            },
            applicable=tuple(objectives.texts("applicable")) if "applicable" in objectives.data else None,
        ),
        operator_role_arn=r.text("operator_role_arn"),
        kubernetes=_kubernetes(r.child("kubernetes")) if r.data.get("kubernetes") is not None else None,
        operations_bucket=r.optional_text("operations_bucket"),
        data=[_data_exposure(d) for d in r.children("data")] if r.data.get("data") is not None else [],
    )


# ---------------------------------------------------------------------------------------------
# `inventory`: what the operations scripts read in both regions (readiness, restore tests,
# drills, failback), named by the DR stack, which sees the primary's outputs.


@dataclass(frozen=True)
class RegionInventory:
    region: str
    vault_name: str
    vault_arn: str
    kms_key_arn: str
    bucket_names: dict[str, str]  # data item -> bucket
    db_instance_identifiers: dict[str, str]  # data item -> instance
    db_subnet_group_names: dict[str, str]
    db_security_group_ids: dict[str, str]
    health_check_id: str | None
    cluster_name: str | None
    service_names: dict[str, str]
    kubernetes: KubernetesInventory | None = None
    # The stable names the services read each database by (a CNAME in a private zone a recovery
    # repoints), that zone, and the credentials secret in this region; empty for older stacks.
    db_host_names: dict[str, str] = field(default_factory=dict)
    db_endpoint_zone_id: str | None = None
    db_secret_arns: dict[str, str] = field(default_factory=dict)
    # AWS Backup restore testing plans, per item AWS Backup protects (readiness reads their jobs).
    restore_testing_plan_arns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KubernetesWorkload:
    namespace: str
    name: str  # the Deployment, or the CronJob
    autoscaler: str | None = None
    # Backup CronJobs: the service account restore Jobs run as, and the image that fetches and
    # checks a dump (stacks deployed before recovery existed export neither).
    restore_service_account: str | None = None
    transfer_image: str | None = None


@dataclass(frozen=True)
class KubernetesInventory:
    cluster: str
    context: str  # as KubernetesTargets.context
    deployments: dict[str, KubernetesWorkload]  # plan service -> its Deployment
    cron_jobs: dict[str, KubernetesWorkload]  # data item -> its backup CronJob


@dataclass(frozen=True)
class Inventory:
    service: str
    strategy: str
    stack: str
    primary_region: str
    dr_region: str
    db_instance_class: str
    drill_history: str  # a file path or s3://bucket/key
    primary: RegionInventory
    dr: RegionInventory
    operations_bucket: str | None = None  # as Promotion.operations_bucket

    def region(self, role: str) -> RegionInventory:
        if role not in ("primary", "dr"):
            raise OutputsError(f"no region {role!r}: expected primary or dr")
        return self.primary if role == "primary" else self.dr


def _region(r: _Reader, region: str) -> RegionInventory:
    return RegionInventory(
        region=region,
        vault_name=r.text("vault_name"),
        vault_arn=r.text("vault_arn"),
        kms_key_arn=r.text("kms_key_arn"),
        bucket_names=r.names("bucket_names"),
        db_instance_identifiers=r.names("db_instance_identifiers"),
        db_subnet_group_names=r.names("db_subnet_group_names"),
        db_security_group_ids=r.names("db_security_group_ids"),
        health_check_id=r.optional_text("health_check_id"),
        cluster_name=r.optional_text("cluster_name"),
        service_names=r.names("service_names"),
        kubernetes=_kubernetes_inventory(r.child("kubernetes"))
        if r.data.get("kubernetes") is not None
        else None,
        db_host_names=r.names("db_host_names"),
        db_endpoint_zone_id=r.optional_text("db_endpoint_zone_id"),
        db_secret_arns=r.names("db_secret_arns"),
        restore_testing_plan_arns=r.names("restore_testing_plan_arns"),
    )


def _kubernetes_inventory(r: _Reader) -> KubernetesInventory:
    deployments = r.child("deployments")
    cron_jobs = r.child("cron_jobs")
    return KubernetesInventory(
        cluster=r.text("cluster"),
        context=r.text("context"),
        deployments={
            name: KubernetesWorkload(
                deployments.child(name).text("namespace"),
                deployments.child(name).text("deployment"),
                deployments.child(name).text("autoscaler"),
            )
            for name in deployments.data
        },
        cron_jobs={
            item: KubernetesWorkload(
                cron_jobs.child(item).text("namespace"),
                cron_jobs.child(item).text("cron_job"),
                restore_service_account=cron_jobs.child(item).optional_text("restore_service_account"),
                transfer_image=cron_jobs.child(item).optional_text("transfer_image"),
            )
            for item in cron_jobs.data
        },
    )


def parse_inventory(outputs: object) -> Inventory:
    """The ``inventory`` output of a DR stack's outputs document."""
    root = _Reader(outputs, "outputs")
    if "inventory" not in root.data:
        keys = ", ".join(sorted(root.data)) or "none"
        raise OutputsError(
            f"outputs.inventory: missing (outputs present: {keys}); is this the DR stack's output?"
        )
    r = root.child("inventory")
    regions = r.child("regions")
    primary_region, dr_region = r.text("primary_region"), r.text("dr_region")
    return Inventory(
        service=r.text("service"),
        strategy=r.text("strategy"),
        stack=r.text("stack"),
        primary_region=primary_region,
        dr_region=dr_region,
        db_instance_class=r.text("db_instance_class"),
        drill_history=r.text("drill_history"),
        primary=_region(regions.child("primary"), primary_region),
        dr=_region(regions.child("dr"), dr_region),
        operations_bucket=r.optional_text("operations_bucket"),
    )
