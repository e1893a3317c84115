"""What a recorded stack declares, in a reader's terms: key settings, and where each comes from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from continuity import tags
from continuity.derive import Settings
from continuity.plan import Plan
from offline.program import RecordedResource, StackRun


@dataclass(frozen=True)
class Setting:
    name: str
    value: Any
    source: str | None = None  # the plan item (or AWS limit, or config key) the value comes from


Explainer = Callable[[dict[str, Any], Plan, Settings, str], list[Setting]]
ITEM = "__item__"  # the data item of the resource's component, for resources without tags


def _item(p: dict[str, Any]) -> str | None:
    found = (p.get("tags") or {}).get(tags.DATA_ITEM) or p.get(ITEM)
    return found if isinstance(found, str) else None


def _retention(p: dict[str, Any], plan: Plan) -> str:
    item = _item(p)
    return (
        f"data.{item}.retention {plan.data[item].retention}" if item in plan.data else "data.<item>.retention"
    )


def _rds(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    item = _item(p)
    source = (
        f"data.{item}.retention {plan.data[item].retention} (RDS keeps 1-35 days)"
        if item in plan.data
        else None
    )
    found = [
        Setting("identifier", p.get("identifier")),
        Setting(
            "backupRetentionPeriod",
            p.get("backupRetentionPeriod"),
            source if p.get("backupRetentionPeriod") else "a replica keeps none",
        ),
        Setting("multiAz", p.get("multiAz")),
        Setting("deletionProtection", p.get("deletionProtection")),
    ]
    if "replicateSourceDb" in p:
        found.append(Setting("replicateSourceDb", p["replicateSourceDb"], f"strategy {plan.strategy}"))
    return found


def _backup_replication(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    rds = next((r for r in settings.rds if r.replicated_retention_days == p.get("retentionPeriod")), None)
    return [Setting("retentionPeriod", p.get("retentionPeriod"), rds.source if rds else None)]


def _bucket(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    item = _item(p)
    immutable = f"data.{item}.immutable" if item else None
    return [Setting("objectLockEnabled", bool(p.get("objectLockEnabled")), immutable)]


def _object_lock(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    retention = (p.get("rule") or {}).get("defaultRetention") or {}
    amount, unit = (retention["days"], "days") if retention.get("days") else (retention.get("years"), "years")
    value = f"{retention.get('mode')} {amount} {unit}"
    return [Setting("defaultRetention", value, _retention(p, plan))]


def _lifecycle(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    rule = (p.get("rules") or [{}])[0]
    days = (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays")
    return [Setting("noncurrentDays", days, _retention(p, plan))]


def _replication(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    rule = (p.get("rules") or [{}])[0]
    minutes = ((rule.get("destination") or {}).get("replicationTime") or {}).get("time", {}).get("minutes")
    return [
        Setting("region", p.get("region"), "regions.primary (the rule lives on the primary bucket)"),
        Setting("replicationTime", f"{minutes} minutes", "S3 Replication Time Control"),
    ]


def _vault_lock(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    lock = settings.vault_lock
    return [
        Setting("changeableForDays", p.get("changeableForDays"), "AWS minimum cooling-off (compliance mode)"),
        Setting("minRetentionDays", p.get("minRetentionDays"), lock.source if lock else None),
    ]


def _backup_plan(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    found = []
    by_name = {r.rule_name: r for r in settings.backup_rules}
    for rule in p.get("rules") or []:
        derived = by_name.get(rule.get("ruleName"))
        when = "continuous" if rule.get("enableContinuousBackup") else rule.get("schedule")
        copies = [c["destinationVaultArn"].split(":")[3] for c in rule.get("copyActions") or []]
        value = f"{when}, keep {rule.get('lifecycle', {}).get('deleteAfter')}d"
        value += f", copy to {copies[0]}" if copies else ""
        found.append(Setting(str(rule.get("ruleName")), value, derived.source if derived else None))
    return found


def _ecs_service(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    name = str(p.get("name"))
    key = (
        "primary"
        if role == "primary" or p.get("desiredCount") == plan.services[name].capacity.primary
        else "dr"
    )
    return [Setting("desiredCount", p.get("desiredCount"), f"services.{name}.capacity.{key}")]


def _scaling(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    name = str(p.get("resourceId", "")).rsplit("/", 1)[-1]
    return [
        Setting("capacity", f"{p.get('minCapacity')}-{p.get('maxCapacity')}", f"services.{name}.capacity")
    ]


def _health(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    ecs = [s for s in settings.services if s.compute == "ecs"]
    front = min(ecs, key=lambda s: s.rto.seconds).name if ecs else "<front>"
    check = f"{p.get('type')} {p.get('fqdn')}:{p.get('port')}{p.get('resourcePath')}"
    return [Setting("check", check, f"services.{front}.health_check (strictest RTO)")]


def _record(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    failover = (p.get("failoverRoutingPolicies") or [{}])[0].get("type")
    return [Setting("name", p.get("name"), "config recordName"), Setting("failover", failover)]


def _alarm(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    source = None
    if p.get("metricName") == "ReplicaLag":
        source = "the data item's tier RPO"
    return [Setting(str(p.get("metricName")), f"{p.get('comparisonOperator')} {p.get('threshold')}", source)]


def _vpc(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    return [Setting("cidrBlock", p.get("cidrBlock"), "config vpcCidr")]


def _subnet(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    return [Setting("cidrBlock", p.get("cidrBlock")), Setting("availabilityZone", p.get("availabilityZone"))]


def _key(p: dict[str, Any], plan: Plan, settings: Settings, role: str) -> list[Setting]:
    return [Setting("enableKeyRotation", p.get("enableKeyRotation"))]


EXPLAINERS: dict[str, Explainer] = {
    "aws:rds/instance:Instance": _rds,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": _backup_replication,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": _object_lock,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _lifecycle,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _replication,
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _vault_lock,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:ecs/service:Service": _ecs_service,
    "aws:appautoscaling/target:Target": _scaling,
    "aws:route53/healthCheck:HealthCheck": _health,
    "aws:route53/record:Record": _record,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:kms/key:Key": _key,
}


def short_type(token: str) -> str:
    """``aws:rds/instance:Instance`` as ``rds.Instance``; components by their class name."""
    package, module, name = token.split(":")
    return name if package != "aws" else f"{module.split('/')[0]}.{name}"


def _whole(value: Any) -> Any:
    """Mocks see numbers as floats; show whole ones as the integers they were written as."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def explain(
    resource: RecordedResource, run: StackRun, plan: Plan, settings: Settings, role: str
) -> list[Setting]:
    explainer = EXPLAINERS.get(resource.type)
    if explainer is None:
        return []
    inputs = _whole(resource.plain_inputs())
    siblings = [r for r in run.resources if r.parent == resource.parent and r is not resource]
    items = {(r.plain_inputs().get("tags") or {}).get(tags.DATA_ITEM) for r in siblings} - {None}
    if len(items) == 1:
        inputs[ITEM] = items.pop()
    return explainer(inputs, plan, settings, role)


def tree(run: StackRun) -> dict[str | None, list[RecordedResource]]:
    """Children by parent URN; the stack's own children under its URN."""
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent or run.stack_urn, []).append(resource)
    return children
