"""A primary region and its DR region, built in moto, and the DR stack's outputs document for them.

Tests and the promotion benchmark build the same world: in us-east-1 the primary database and
the alarm on the primary's Route 53 health check; in us-west-2 the cross-region read replica (or,
for backup-restore, nothing but replicated backups), the ECS cluster with its services at warm
capacity and their autoscaling targets; in Route 53 the zone, both health checks and the failover
records; in the DR region the operations bucket (the operations lock). The outputs document has
exactly the shape `continuity.outputs.parse_promotion` reads (and the DR stack exports), derived
from the plan like the stack derives it.

moto 5.2.5 differs from AWS in ways the failover depends on; `moto_like_aws` patches them for
the duration of a test:

- ``promote_read_replica`` leaves ``ReadReplicaSourceDBInstanceIdentifier`` set (and the replica
  in its source's list). On AWS promotion clears both; the script recognises a promoted instance
  by their absence, so the patch clears them as AWS does.
- ``describe_db_instance_automated_backups`` lists no replicated backups in the DR region
  (``start_db_instance_automated_backups_replication`` is not implemented), and
  ``restore_db_instance_to_point_in_time`` ignores ``SourceDBInstanceAutomatedBackupsArn``. The
  patch answers for the world's backups ARN and restores from it.

  Listed without an ARN (how restore tests and readiness find them, without calling the source
  region), the DR region's answer also holds the world's replicated backups
  (``World.replicated_backups_arn``, which operations tests set in replica mode too).

- ``create_db_instance_read_replica`` across regions copies the source and sets the new
  placement on the copy before moving it to its own region, so ``DBSubnetGroupName`` is looked up
  in the source's region and not found. The patch moves it first (failback creates such replicas).

- Route 53's ``get_health_check_status`` always answers "Success" from one checker. The patch
  answers "Failure" from eight checkers for the health checks in ``World.unhealthy`` (the
  primary's, when the world is built with the primary down), and "Success" from eight
  otherwise; the alarm on the primary's check is set to ALARM alongside.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.rds import models as rds_models
from moto.route53 import responses as route53_responses

from continuity.derive import derive
from continuity.plan import load_plan
from tests.conftest import DEFAULT_PLAN

ACCOUNT = "123456789012"
PRIMARY = "us-east-1"
DR = "us-west-2"
ZONE = "example.com"
STACK = "dr"
PASSWORD = "not-a-secret-1"  # moto wants one; nothing real ever sees it

MakeClient = Callable[[str, str], Any]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    tier: str
    full: int
    warm: int


@dataclass
class World:
    """What was built, and the outputs document describing it."""

    mode: str
    outputs: dict[str, Any]
    primary_identifier: str
    primary_arn: str
    dr_identifier: str
    replica_arn: str | None
    automated_backups_arn: str | None
    cluster: str
    services: dict[str, str]  # plan service name -> ECS service name
    primary_health_check_id: str
    dr_health_check_id: str
    alarm_name: str
    zone_id: str
    replica_lag: float
    backups_latest: datetime | None = None
    unhealthy: set[str] = field(default_factory=set)  # Route 53 health checks that fail
    extra: dict[str, Any] = field(default_factory=dict)
    # The primary's automated backups replicated to DR, in replica mode as well (tests/operations/estate.py).
    replicated_backups_arn: str | None = None

    @property
    def backups_arns(self) -> set[str]:
        return {a for a in (self.automated_backups_arn, self.replicated_backups_arn) if a is not None}

    @property
    def promotion(self) -> dict[str, Any]:
        promotion = self.outputs["promotion"]
        assert isinstance(promotion, dict)
        return promotion


def build_world(
    client: MakeClient,
    *,
    mode: str = "replica",
    plan_path: str = str(DEFAULT_PLAN),
    primary_down: bool = True,
    extra_services: tuple[ServiceSpec, ...] = (),
    replica_lag: float = 4.0,
    lag_age: timedelta = timedelta(minutes=1),
    service: str | None = None,
) -> World:
    """Build the world in moto; ``service`` renames everything (the plan's name by default), so
    two worlds can share one mock."""
    plan = load_plan(plan_path)
    settings = derive(plan)
    svc = service or plan.service
    rds_item = settings.rds[0]
    primary_id, dr_id = f"{svc}-database", f"{svc}-database-dr"

    # -- keys and the primary database (us-east-1)
    key_primary = client("kms", PRIMARY).create_key(Description="primary")["KeyMetadata"]["Arn"]
    key_dr = client("kms", DR).create_key(Description="dr")["KeyMetadata"]["Arn"]
    primary = client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=primary_id,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        EngineVersion="16.4",
        AllocatedStorage=20,
        MasterUsername="orders",
        MasterUserPassword=PASSWORD,
        MultiAZ=True,
        DeletionProtection=True,
        BackupRetentionPeriod=rds_item.backup_retention_period,
        StorageEncrypted=True,
        KmsKeyId=key_primary,
    )["DBInstance"]
    primary_arn = primary["DBInstanceArn"]

    # -- the DR database: a cross-region replica, or only replicated backups
    rds_dr = client("rds", DR)
    ec2 = client("ec2", DR)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{DR}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    security_group = ec2.create_security_group(GroupName=f"{svc}-db", Description="database", VpcId=vpc)[
        "GroupId"
    ]
    rds_dr.create_db_subnet_group(
        DBSubnetGroupName=f"{svc}-dr-db", DBSubnetGroupDescription="DR database", SubnetIds=subnets
    )
    replica_arn = automated_backups_arn = None
    if mode == "replica":
        replica = rds_dr.create_db_instance_read_replica(
            DBInstanceIdentifier=dr_id,
            SourceDBInstanceIdentifier=primary_arn,
            DBInstanceClass="db.t4g.medium",
            KmsKeyId=key_dr,
            MultiAZ=False,
            DeletionProtection=False,
        )["DBInstance"]
        replica_arn = replica["DBInstanceArn"]
        database: dict[str, Any] = {"replica_identifier": dr_id, "replica_arn": replica_arn}
    else:
        automated_backups_arn = f"arn:aws:rds:{DR}:{ACCOUNT}:auto-backup:ab-{uuid.uuid4().hex[:26]}"
        database = {
            "target_identifier": dr_id,
            "automated_backups_arn": automated_backups_arn,
            "subnet_group": f"{svc}-dr-db",
            "security_group_ids": [security_group],
            "instance_class": "db.t4g.medium",
            "kms_key_id": key_dr,
        }
    now = datetime.now(UTC)
    if mode == "replica":
        client("cloudwatch", DR).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": dr_id}],
                    "Timestamp": now - lag_age,
                    "Value": replica_lag,
                    "Unit": "Seconds",
                }
            ],
        )

    # -- ECS services at warm capacity, with autoscaling targets (us-west-2)
    ecs = client("ecs", DR)
    autoscaling = client("application-autoscaling", DR)
    cluster = f"{svc}-dr"
    ecs.create_cluster(clusterName=cluster)
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
    specs = [
        ServiceSpec(s.name, s.tier, s.full_desired_count, s.warm_desired_count) for s in settings.services
    ]
    specs += list(extra_services)
    services: dict[str, str] = {}
    service_outputs = []
    for spec in specs:
        name = f"{svc}-{spec.name}"
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=f"{svc}-api",
            desiredCount=spec.warm,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": [security_group],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
        resource_id = f"service/{cluster}/{name}"
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=resource_id,
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=spec.warm,
            MaxCapacity=spec.full * 2,
        )
        services[spec.name] = name
        service_outputs.append(
            {
                "name": spec.name,
                "tier": spec.tier,
                "compute": "ecs",
                "cluster": cluster,
                "service": name,
                "full_desired_count": spec.full,
                "warm_desired_count": spec.warm,
                "scalable_target": resource_id,
            }
        )

    # -- Route 53: zone, health checks, failover records; the alarm on the primary's check
    route53 = client("route53", PRIMARY)
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]
    zone_id = zone_id.rsplit("/", 1)[-1]
    path = plan.services[next(iter(plan.services))].health_check
    checks = {}
    for role, fqdn in (
        ("primary", "primary-alb.us-east-1.elb.amazonaws.com"),
        ("dr", "dr-alb.us-west-2.elb.amazonaws.com"),
    ):
        checks[role] = route53.create_health_check(
            CallerReference=str(uuid.uuid4()),
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": fqdn,
                "Port": 443,
                "ResourcePath": path,
                "RequestInterval": 30,
                "FailureThreshold": 3,
            },
        )["HealthCheck"]["Id"]
    record = f"{svc}.{ZONE}"
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": record,
                        "Type": "A",
                        "SetIdentifier": role,
                        "Failover": "PRIMARY" if role == "primary" else "SECONDARY",
                        "HealthCheckId": checks[role],
                        "AliasTarget": {
                            "HostedZoneId": "Z35SXDOTRQ7X7K" if role == "primary" else "Z1H1FL5HABSF5",
                            "DNSName": f"{role}-alb.{PRIMARY if role == 'primary' else DR}.elb.amazonaws.com",
                            "EvaluateTargetHealth": True,
                        },
                    },
                }
                for role in ("primary", "dr")
            ]
        },
    )
    alarm = f"{svc}-primary-health"
    cloudwatch_primary = client("cloudwatch", PRIMARY)
    cloudwatch_primary.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/Route53",
        MetricName="HealthCheckStatus",
        Dimensions=[{"Name": "HealthCheckId", "Value": checks["primary"]}],
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    if primary_down:
        cloudwatch_primary.set_alarm_state(
            AlarmName=alarm,
            StateValue="ALARM",
            StateReason="Threshold Crossed: the primary stopped answering",
        )

    # -- the DR region's operations bucket (the operations lock), versioned as the DR stack makes it
    operations_bucket = f"{svc}-dr-operations"
    s3 = client("s3", DR)
    s3.create_bucket(Bucket=operations_bucket, CreateBucketConfiguration={"LocationConstraint": DR})
    s3.put_bucket_versioning(Bucket=operations_bucket, VersioningConfiguration={"Status": "Enabled"})

    objectives = settings.objectives
    outputs = {
        "account_id": ACCOUNT,
        "vpc_id": vpc,
        "kms_key_arn": key_dr,
        "promotion": {
            "service": svc,
            "strategy": plan.strategy,
            "stack": STACK,
            "primary_region": PRIMARY,
            "dr_region": DR,
            "promoted": False,
            "databases": [
                {
                    "data_item": rds_item.data_item,
                    "tier": rds_item.tier,
                    "mode": mode,
                    "source_identifier": primary_id,
                    "source_arn": primary_arn,
                    "backup_retention_days": rds_item.backup_retention_period,
                    "multi_az": True,
                    "deletion_protection": True,
                    "rpo_seconds": rds_item.rpo.seconds,
                    **database,
                }
            ],
            "services": service_outputs,
            "dns": {
                "zone_id": zone_id,
                "record_name": record,
                "primary_health_check_id": checks["primary"],
                "dr_health_check_id": checks["dr"],
                "dr_endpoint": "dr-alb.us-west-2.elb.amazonaws.com",
                "health_check_path": path,
                "primary_health_alarm": alarm,
                "alarm_region": PRIMARY,
            },
            "objectives": {
                "rto_seconds": objectives.rto_seconds,
                "rpo_seconds": objectives.rpo_seconds,
                "tiers": {
                    name: {"rto_seconds": rto, "rpo_seconds": rpo}
                    for name, (rto, rpo) in objectives.tiers.items()
                },
            },
            "operator_role_arn": f"arn:aws:iam::{ACCOUNT}:role/{svc}-dr-operator",
            "operations_bucket": operations_bucket,
        },
    }
    return World(
        mode=mode,
        outputs=outputs,
        primary_identifier=primary_id,
        primary_arn=primary_arn,
        dr_identifier=dr_id,
        replica_arn=replica_arn,
        automated_backups_arn=automated_backups_arn,
        cluster=cluster,
        services=services,
        primary_health_check_id=checks["primary"],
        dr_health_check_id=checks["dr"],
        alarm_name=alarm,
        zone_id=zone_id,
        replica_lag=replica_lag,
        backups_latest=now - timedelta(minutes=5) if mode == "restore" else None,
        unhealthy={checks["primary"]} if primary_down else set(),
        extra={"key_dr": key_dr, "security_group": security_group, "subnets": subnets},
    )


# ---------------------------------------------------------------------------------------------
# moto, made to behave like AWS where the failover depends on it


@contextlib.contextmanager
def moto_like_aws(world: World | None = None) -> Iterator[None]:
    """Patch moto's RDS backend as the module docstring explains; undone on exit."""
    # Typed Any: these patches replace methods on moto's classes, which mypy would refuse.
    backend: Any = rds_models.RDSBackend
    original_promote = backend.promote_read_replica
    original_backups = backend.describe_db_instance_automated_backups
    original_restore = backend.restore_db_instance_to_point_in_time
    original_replica = backend.create_db_instance_read_replica
    route53_api: Any = route53_responses.Route53
    original_status = route53_api.get_health_check_status

    def create_db_instance_read_replica(self: Any, db_kwargs: dict[str, Any]) -> Any:
        if self.arn_regex.match(db_kwargs["source_db_instance_identifier"]):
            # The region's backend first: moto applies the arguments in order.
            db_kwargs = {"backend": self, **db_kwargs}
        return original_replica(self, db_kwargs)

    def promote_read_replica(self: Any, db_kwargs: dict[str, Any]) -> Any:
        database = self.databases[db_kwargs["db_instance_identifier"]]
        was_replica, source = database.is_replica, database.source_db_instance_identifier
        database = original_promote(self, db_kwargs)
        if was_replica and source:
            database.source_db_instance_identifier = None
            with contextlib.suppress(Exception):
                primary = self.find_db_from_id(source)
                for ref in (database.db_instance_arn, database.db_instance_identifier):
                    if ref in primary.replicas:
                        primary.replicas.remove(ref)
        return database

    def replicated(arn: str) -> dict[str, Any]:
        assert world is not None
        latest = world.backups_latest or datetime.now(UTC)
        return {
            "DBInstanceAutomatedBackupsArn": arn,
            "DBInstanceArn": world.primary_arn,
            "DBInstanceIdentifier": world.primary_identifier,
            "Region": PRIMARY,
            "Status": "replicating",
            "Engine": "postgres",
            "RestoreWindow": {"EarliestTime": latest - timedelta(days=30), "LatestTime": latest},
        }

    def describe_db_instance_automated_backups(self: Any, **kwargs: Any) -> Any:
        arn = kwargs.get("db_instance_automated_backups_arn")
        if world is not None and arn is not None and arn in world.backups_arns:
            return [replicated(arn)]
        found = original_backups(self, **kwargs)
        listing = (
            arn is None and not kwargs.get("db_instance_identifier") and not kwargs.get("dbi_resource_id")
        )
        if world is not None and listing and self.region_name == DR:
            found = [*found, *(replicated(a) for a in sorted(world.backups_arns))]
        return found

    def restore_db_instance_to_point_in_time(
        self: Any, source_db_identifier: str | None, target_db_identifier: str, overrides: dict[str, Any]
    ) -> Any:
        arn = overrides.get("source_db_instance_automated_backups_arn")
        if source_db_identifier or world is None or arn not in world.backups_arns:
            return original_restore(self, source_db_identifier, target_db_identifier, overrides)
        props = {
            k: v
            for k, v in overrides.items()
            if k
            not in (
                "source_db_instance_automated_backups_arn",
                "target_db_instance_identifier",
                "use_latest_restorable_time",
                "restore_time",
            )
        }
        props.update(
            db_instance_identifier=target_db_identifier,
            engine="postgres",
            engine_version="16.4",
            allocated_storage=20,
            master_username="orders",
            storage_encrypted=True,
        )
        return self.create_db_instance(props)

    def get_health_check_status(self: Any) -> ActionResult:
        health_check_id = self._get_param("HealthCheckId")
        self.backend.get_health_check(health_check_id)  # NoSuchHealthCheck as moto raises it
        failing = world is not None and health_check_id in world.unhealthy
        status = (
            "Failure: Connection timed out. The endpoint or the internet connection is down."
            if failing
            else "Success: HTTP Status Code: 200. Resolved IP: 127.0.13.37. OK"
        )
        regions = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
                   "ap-northeast-1", "sa-east-1"]  # fmt: skip
        return ActionResult(
            {
                "HealthCheckObservations": [
                    {
                        "Region": region,
                        "IPAddress": f"15.177.{i}.1",
                        "StatusReport": {"Status": status, "CheckedTime": utcnow()},
                    }
                    for i, region in enumerate(regions)
                ]
            }
        )

    backend.promote_read_replica = promote_read_replica
    backend.describe_db_instance_automated_backups = describe_db_instance_automated_backups
    backend.restore_db_instance_to_point_in_time = restore_db_instance_to_point_in_time
    backend.create_db_instance_read_replica = create_db_instance_read_replica
    route53_api.get_health_check_status = get_health_check_status
    try:
        yield
    finally:
        backend.create_db_instance_read_replica = original_replica
        backend.promote_read_replica = original_promote
        backend.describe_db_instance_automated_backups = original_backups
        backend.restore_db_instance_to_point_in_time = original_restore
        route53_api.get_health_check_status = original_status
