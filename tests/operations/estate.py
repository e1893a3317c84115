"""The whole estate the operations toolkit reads, in moto: world.py's failover world plus both
regions' buckets (Object Lock, replication), backup vaults (locked), the primary's network and
services, and the DR stack's ``inventory`` output describing them.

Where moto cannot answer, the tests answer in its place and say so here:

- AWS Backup ``ListRecoveryPointsByBackupVault`` is not implemented (moto answers 404 "Not yet
  implemented"): `RecoveryPointsAnswer` answers it from ``Estate.recovery_points`` with a
  ``before-call`` hook, only in tests that exercise the recovery-point judgements. Without the
  hook readiness reports those checks unknown, as it must on an emulator.
- S3 keeps replication rules but never replicates: `Estate.replicate` copies objects into the DR
  bucket as S3 replication would.
- The replicated automated backups of the primary are answered by world.py's patch
  (``World.replicated_backups_arn``).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from continuity.derive import derive
from continuity.plan import Plan, load_plan
from operations.aws import EventHook
from tests.conftest import DEFAULT_PLAN
from tests.operations.world import ACCOUNT, DR, PRIMARY, STACK, MakeClient, World, build_world

INSTANCE_CLASS = "db.t4g.medium"


@dataclass
class Estate:
    world: World
    plan: Plan
    buckets: dict[str, dict[str, str]]  # role -> data item -> bucket
    vaults: dict[str, str]  # role -> vault name
    primary_cluster: str
    primary_subnet_group: str
    primary_security_group: str
    key_primary: str
    history: Path
    # (vault name, resource ARN) -> recovery points as ListRecoveryPointsByBackupVault lists them
    recovery_points: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def outputs(self) -> dict[str, Any]:
        return self.world.outputs

    def resource_arn(self, item: str) -> str:
        if self.plan.data[item].store == "rds":
            return self.world.primary_arn
        return f"arn:aws:s3:::{self.buckets['primary'][item]}"

    def add_recovery_point(
        self, role: str, item: str, *, age: timedelta, continuous: bool = False, status: str = "COMPLETED"
    ) -> None:
        region = PRIMARY if role == "primary" else DR
        kind = "continuous:" if continuous else ""
        created = datetime.now(UTC) - age
        point = {
            "RecoveryPointArn": f"arn:aws:backup:{region}:{ACCOUNT}:recovery-point:{kind}{uuid.uuid4().hex[:12]}",
            "BackupVaultName": self.vaults[role],
            "ResourceArn": self.resource_arn(item),
            "Status": status,
            "CreationDate": created,
            "CompletionDate": created + timedelta(minutes=5),
        }
        self.recovery_points.setdefault((self.vaults[role], self.resource_arn(item)), []).append(point)

    def fresh_recovery_points(self) -> None:
        """What AWS Backup holds when every rule ran on time: the continuous points, scheduled
        points within the hour, and their copies in the DR vault."""
        settings = derive(self.plan)
        for rule in settings.backup_rules:
            if rule.rule_name.endswith("-archive"):
                continue
            self.add_recovery_point(
                "primary",
                rule.data_item,
                age=timedelta(days=3) if rule.continuous else timedelta(minutes=20),
                continuous=rule.continuous,
                status="AVAILABLE" if rule.continuous else "COMPLETED",
            )
            if rule.copy_to_dr:
                self.add_recovery_point("dr", rule.data_item, age=timedelta(minutes=10))

    def put_object(self, client: MakeClient, role: str, item: str, key: str, body: bytes = b"data") -> None:
        region = PRIMARY if role == "primary" else DR
        client("s3", region).put_object(Bucket=self.buckets[role][item], Key=key, Body=body)

    def replicate(self, client: MakeClient, item: str) -> None:
        """Copy every object of the primary bucket into the DR bucket, as S3 replication would."""
        source = client("s3", PRIMARY)
        for found in source.list_objects_v2(Bucket=self.buckets["primary"][item]).get("Contents") or []:
            body = source.get_object(Bucket=self.buckets["primary"][item], Key=found["Key"])["Body"].read()
            client("s3", DR).put_object(Bucket=self.buckets["dr"][item], Key=found["Key"], Body=body)

    def write_history(self, *entries: dict[str, Any]) -> None:
        with self.history.open("a", encoding="utf-8") as file:
            for entry in entries:
                file.write(json.dumps(entry) + "\n")

    def history_entries(self) -> list[dict[str, Any]]:
        if not self.history.exists():
            return []
        return [json.loads(line) for line in self.history.read_text().splitlines() if line.strip()]


def history_entry(kind: str, *, age: timedelta, ok: bool = True, **extra: Any) -> dict[str, Any]:
    at = (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": kind, "at": at, "ok": ok, "service": "orders", **extra}


def build_estate(
    client: MakeClient,
    history: Path,
    *,
    plan_path: str = str(DEFAULT_PLAN),
    **world_kwargs: Any,
) -> Estate:
    world = build_world(client, plan_path=plan_path, **world_kwargs)
    plan = load_plan(plan_path)
    settings = derive(plan)
    svc = world.promotion["service"]  # the plan's, unless the world was renamed to share a mock
    if world.mode == "replica":
        world.replicated_backups_arn = f"arn:aws:rds:{DR}:{ACCOUNT}:auto-backup:ab-{uuid.uuid4().hex[:26]}"

    # -- the primary region's database network, key and services
    ec2 = client("ec2", PRIMARY)
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=f"{PRIMARY}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    security_group = ec2.create_security_group(GroupName=f"{svc}-db", Description="database", VpcId=vpc)[
        "GroupId"
    ]
    subnet_group = f"{svc}-primary-db"
    client("rds", PRIMARY).create_db_subnet_group(
        DBSubnetGroupName=subnet_group, DBSubnetGroupDescription="primary database", SubnetIds=subnets
    )
    key_primary = client("kms", PRIMARY).create_key(Description="primary key")["KeyMetadata"]["Arn"]
    ecs = client("ecs", PRIMARY)
    primary_cluster = f"{svc}-primary"
    ecs.create_cluster(clusterName=primary_cluster)
    ecs.register_task_definition(
        family=f"{svc}-api",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "app", "image": "public.ecr.aws/nginx/nginx:stable", "essential": True}
        ],
    )
    for service in settings.services:
        ecs.create_service(
            cluster=primary_cluster,
            serviceName=world.services[service.name],
            taskDefinition=f"{svc}-api",
            desiredCount=service.primary_desired_count,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [security_group]}
            },
        )
        # moto starts a new service with MOTO_ECS_SERVICE_RUNNING tasks; an update runs them all.
        ecs.update_service(
            cluster=primary_cluster,
            service=world.services[service.name],
            desiredCount=service.primary_desired_count,
        )

    # -- buckets in both regions: Object Lock for immutable items, replication to DR
    buckets: dict[str, dict[str, str]] = {"primary": {}, "dr": {}}
    for bucket in settings.buckets:
        for role, region in (("primary", PRIMARY), ("dr", DR)):
            name = f"{svc}-{bucket.data_item}-{region}"
            s3 = client("s3", region)
            create: dict[str, Any] = {
                "Bucket": name,
                "ObjectLockEnabledForBucket": bucket.object_lock is not None,
            }
            if region != "us-east-1":
                create["CreateBucketConfiguration"] = {"LocationConstraint": region}
            s3.create_bucket(**create)
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            if bucket.object_lock is not None:
                retention: dict[str, Any] = {"Mode": bucket.object_lock.mode}
                if bucket.object_lock.days is not None:
                    retention["Days"] = bucket.object_lock.days
                else:
                    retention["Years"] = bucket.object_lock.years
                s3.put_object_lock_configuration(
                    Bucket=name,
                    ObjectLockConfiguration={
                        "ObjectLockEnabled": "Enabled",
                        "Rule": {"DefaultRetention": retention},
                    },
                )
            buckets[role][bucket.data_item] = name
        if bucket.replicate_to_dr:
            client("s3", PRIMARY).put_bucket_replication(
                Bucket=buckets["primary"][bucket.data_item],
                ReplicationConfiguration={
                    "Role": f"arn:aws:iam::{ACCOUNT}:role/{svc}-replication",
                    "Rules": [
                        {
                            "ID": f"{bucket.data_item}-to-dr",
                            "Priority": 1,
                            "Status": "Enabled",
                            "Filter": {},
                            "DeleteMarkerReplication": {"Status": "Disabled"},
                            "Destination": {
                                "Bucket": f"arn:aws:s3:::{buckets['dr'][bucket.data_item]}",
                                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                            },
                        }
                    ],
                },
            )

    # -- AWS Backup vaults, locked in compliance mode as the plan derives
    vaults = {"primary": f"{svc}-primary", "dr": f"{svc}-dr"}
    vault_arns = {}
    for role, region in (("primary", PRIMARY), ("dr", DR)):
        backup = client("backup", region)
        vault_arns[role] = backup.create_backup_vault(BackupVaultName=vaults[role])["BackupVaultArn"]
        if settings.vault_lock is not None:
            backup.put_backup_vault_lock_configuration(
                BackupVaultName=vaults[role],
                MinRetentionDays=settings.vault_lock.min_retention_days,
                ChangeableForDays=settings.vault_lock.changeable_for_days,
            )

    items = [r.data_item for r in settings.rds]
    world.outputs["inventory"] = {
        "service": svc,
        "strategy": plan.strategy,
        "stack": STACK,
        "primary_region": PRIMARY,
        "dr_region": DR,
        "db_instance_class": INSTANCE_CLASS,
        "drill_history": str(history),
        "operations_bucket": world.promotion["operations_bucket"],
        "regions": {
            "primary": {
                "vault_name": vaults["primary"],
                "vault_arn": vault_arns["primary"],
                "kms_key_arn": key_primary,
                "bucket_names": buckets["primary"],
                "db_instance_identifiers": dict.fromkeys(items, world.primary_identifier),
                "db_subnet_group_names": dict.fromkeys(items, subnet_group),
                "db_security_group_ids": dict.fromkeys(items, security_group),
                "health_check_id": world.primary_health_check_id,
                "cluster_name": primary_cluster,
                "service_names": dict(world.services),
            },
            "dr": {
                "vault_name": vaults["dr"],
                "vault_arn": vault_arns["dr"],
                "kms_key_arn": world.extra["key_dr"],
                "bucket_names": buckets["dr"],
                "db_instance_identifiers": dict.fromkeys(items, world.dr_identifier),
                "db_subnet_group_names": dict.fromkeys(items, f"{svc}-dr-db"),
                "db_security_group_ids": dict.fromkeys(items, world.extra["security_group"]),
                "health_check_id": world.dr_health_check_id,
                "cluster_name": world.cluster,
                "service_names": dict(world.services),
            },
        },
    }
    return Estate(
        world=world,
        plan=plan,
        buckets=buckets,
        vaults=vaults,
        primary_cluster=primary_cluster,
        primary_subnet_group=subnet_group,
        primary_security_group=security_group,
        key_primary=key_primary,
        history=history,
    )


class RecoveryPointsAnswer:
    """A ``before-call`` hook answering ListRecoveryPointsByBackupVault from the estate, since
    moto does not implement it; the request's vault and resource choose the answer."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.answered = 0
        self._lock = threading.Lock()

    def _handler(
        self, model: Any, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "ListRecoveryPointsByBackupVault":
            return None
        vault = params["url_path"].split("/")[2]
        resource = params["query_string"].get("resourceArn", "")
        with self._lock:
            self.answered += 1
        points = self.estate.recovery_points.get((vault, resource), [])
        return AWSResponse("https://backup", 200, {}, None), {
            "RecoveryPoints": points,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    @property
    def hook(self) -> EventHook:
        return ("before-call", self._handler)


class LagAfterReplica:
    """An ``after-call`` hook standing in for RDS's metrics: once a read replica is created,
    CloudWatch holds a ReplicaLag datapoint for it (RDS publishes one a minute)."""

    def __init__(self, client: MakeClient, seconds: float = 2.0) -> None:
        self.client, self.seconds = client, seconds

    def _handler(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name != "CreateDBInstanceReadReplica" or "DBInstance" not in parsed:
            return
        created = parsed["DBInstance"]
        region = created["DBInstanceArn"].split(":")[3]
        self.client("cloudwatch", region).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [
                        {"Name": "DBInstanceIdentifier", "Value": created["DBInstanceIdentifier"]}
                    ],
                    "Timestamp": datetime.now(UTC),
                    "Value": self.seconds,
                    "Unit": "Seconds",
                }
            ],
        )

    @property
    def hook(self) -> EventHook:
        return ("after-call", self._handler)


class Takes:
    """An ``after-call`` hook making one operation take virtual time (moto answers at once): a
    restore that takes 40 minutes, a promotion that takes five."""

    def __init__(self, clock: Any, operation: str, seconds: float) -> None:
        self.clock, self.operation, self.seconds = clock, operation, seconds

    def _handler(self, model: Any, **_: Any) -> None:
        if model.name == self.operation:
            self.clock.sleep(self.seconds)

    @property
    def hook(self) -> EventHook:
        return ("after-call", self._handler)
