"""The warm-standby (DR) region of a continuity plan, as one component: what
`pulumi up --stack dr` declares.

It reads the primary region through `PrimaryStack` (a StackReference in a program, anything with
the same outputs elsewhere): the databases it replicates, the buckets it replicates into its own,
the primary's health check. Once a failover has promoted the replicas, config `promoted: true`
declares the same resources as the live region (same URNs). ``stack_outputs`` is the DR half of
the outputs contract (docs/outputs.md): `promotion` for the failover, `inventory` for the rest of
the operations toolkit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs, ReplicaLagAlarm
from components.bucket_replication import BucketReplication, BucketReplicationArgs, ReplicatedBucket
from components.database_credentials import in_region
from components.database_endpoints import DatabaseEndpoints, DatabaseEndpointsArgs, host_name
from components.database_network import engine_port
from components.operations_bucket import OperationsBucket, OperationsBucketArgs
from components.operator_role import OperatorRole, OperatorRoleArgs
from components.region_assurance import RegionAssurance, RegionAssuranceArgs, StandbyInputs
from components.region_parts import (
    RegionArgs,
    build_region_parts,
    entry_point,
    failover_dns,
    kubernetes_inventory,
    moved_from_stack_root,
    pick,
)
from components.restore_testing import RestoreTesting, RestoreTestingArgs
from components.services import DatabaseConnection
from components.standby_database import StandbyDatabase, StandbyDatabaseArgs
from continuity import names as aws_names
from continuity import tags
from continuity.network import overlaps
from continuity.restore_testing import restore_tests_for

# The primary stack's outputs the DR region reads for the inventory of both regions.
INVENTORY_NAMES = (
    "vault_name",
    "vault_arn",
    "kms_key_arn",
    "bucket_names",
    "db_instance_identifiers",
    "db_subnet_group_names",
    "db_security_group_ids",
    "health_check_id",
    "cluster_name",
    "service_names",
    "kubernetes",
    "db_secret_arns",
    "db_host_names",
    "db_endpoint_zone_id",
    "restore_testing_plan_arns",
)


# Inventory entries that are not also top-level outputs of the DR stack.
INVENTORY_ONLY = ("db_secret_arns", "db_host_names", "db_endpoint_zone_id")


def password_in(secret_arn: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """The master password, read from the region's replica of the credentials secret."""
    version = aws.secretsmanager.get_secret_version_output(secret_id=secret_arn, region=region)
    return pulumi.Output.secret(version.secret_string.apply(lambda text: json.loads(text)["password"]))


class PrimaryStack:
    """The primary stack's outputs, through a StackReference; a missing required output is one
    clear error naming it."""

    def __init__(self, name: str, reference: pulumi.StackReference | None = None) -> None:
        self.name = name
        self.reference = reference if reference is not None else pulumi.StackReference(name)

    def require(self, output: str) -> pulumi.Output[Any]:
        stack = self.name

        def check(value: Any) -> Any:
            if value is None:
                raise pulumi.RunError(
                    f"primary stack {stack}: output {output!r} is missing; "
                    "run `pulumi up --stack` on it first"
                )
            return value

        return self.reference.get_output(output).apply(check)

    def get(self, output: str) -> pulumi.Output[Any]:
        return self.reference.get_output(output)


@dataclass
class StandbyRegionArgs(RegionArgs):
    primary: PrimaryStack | None = None


class StandbyRegion(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    operator_role_arn: pulumi.Output[str]
    promotion: dict[str, Any]
    inventory: dict[str, Any]
    stack_outputs: dict[str, Any]

    def __init__(
        self, name: str, args: StandbyRegionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:StandbyRegion", name, None, opts)
        plan, cfg, settings, account_id = args.plan, args.config, args.settings, args.account_id
        assert args.primary is not None, "the DR region reads the primary's outputs"
        primary = args.primary
        svc = plan.service
        child = moved_from_stack_root(self)

        def check_cidr(primary_cidr: str) -> str:
            if overlaps(primary_cidr, cfg.vpc_cidr):
                raise pulumi.RunError(
                    f"config vpcCidr: {cfg.vpc_cidr} overlaps the primary's {primary_cidr}; "
                    "the regions could not be peered"
                )
            return primary_cidr

        primary.require("vpc_cidr").apply(check_cidr)
        promoted = cfg.promoted
        items = [r.data_item for r in settings.rds]
        port = engine_port(cfg.db_engine)
        connections: list[DatabaseConnection] = []
        passwords: dict[str, pulumi.Input[str]] = {}
        if items:
            # The primary's credentials secrets, replicated here (DatabaseCredentials).
            primary_secrets = primary.require("db_secret_arns")
            replica_key = primary.require("db_credentials_replica_key_arn")
            for item in items:
                secret = pick(primary_secrets, item).apply(lambda arn: in_region(arn, plan.regions.dr))
                connections.append(DatabaseConnection(item, host_name(svc, item), port, secret, replica_key))
                if any(s.compute == "kubernetes" for s in settings.services):
                    passwords[item] = password_in(secret, plan.regions.dr)
        parts = build_region_parts(self, args, active=promoted, databases=connections, passwords=passwords)
        network, key, services = parts.network, parts.key, parts.services
        buckets, backup = parts.buckets, parts.backup
        primary_db_arns = primary.require("db_instance_arns")
        primary_db_ids = primary.require("db_instance_identifiers")
        databases = {
            r.data_item: StandbyDatabase(
                f"{svc}-db-{r.data_item}",
                StandbyDatabaseArgs(
                    settings=r,
                    identifier=f"{svc}-{r.data_item}-dr",
                    source_arn=pick(primary_db_arns, r.data_item),
                    engine=cfg.db_engine,
                    instance_class=cfg.db_instance_class,
                    kms_key_arn=key.key_arn,
                    vpc_id=network.vpc_id,
                    subnet_ids=network.private_subnet_ids,
                    client_security_group_id=network.clients_security_group_id,
                    promoted=promoted,
                    tags=tags.data_tags(plan, "dr", r.data_item, active=promoted),
                ),
                child,
            )
            for r in settings.rds
        }
        endpoints = None
        if databases:
            endpoints = DatabaseEndpoints(
                f"{svc}-db-endpoints",
                DatabaseEndpointsArgs(
                    service=svc,
                    vpc_id=network.vpc_id,
                    region=cfg.region,
                    items=items,
                    addresses={item: db.address for item, db in databases.items() if db.address is not None},
                    tags=parts.base,
                ),
                pulumi.ResourceOptions(parent=self),
            )
        operations = OperationsBucket(
            f"{svc}-operations",
            OperationsBucketArgs(
                name_prefix=aws_names.fit_prefix(f"{svc}-operations-dr-", aws_names.BUCKET_PREFIX_MAX),
                kms_key_arn=key.key_arn,
                tags={
                    **parts.base,
                    tags.EXEMPT: "operations state - failover lock and drill history - no plan data",
                },
            ),
            pulumi.ResourceOptions(parent=self),
        )
        # The DR vault's recovery points: tested once a failover makes the DR data active.
        restore_tests = restore_tests_for(plan, "dr")
        testing = RestoreTesting(
            f"{svc}-restore-testing",
            RestoreTestingArgs(
                tests=restore_tests,
                service=svc,
                vault_arn=backup.vault_arn,
                role_arn=backup.role_arn,
                subnet_groups={item: db.subnet_group_name for item, db in databases.items()},
                tags={
                    t.data_item: tags.data_tags(plan, "dr", t.data_item, active=promoted)
                    for t in restore_tests
                },
            ),
            pulumi.ResourceOptions(parent=self),
        )
        replicated = [b for b in settings.buckets if b.replicate_to_dr]
        if replicated:
            source_names = primary.require("bucket_names")
            source_arns = primary.require("bucket_arns")
            BucketReplication(
                f"{svc}-replication",
                BucketReplicationArgs(
                    buckets=[
                        ReplicatedBucket(
                            item=b.data_item,
                            source_name=pick(source_names, b.data_item),
                            source_arn=pick(source_arns, b.data_item),
                            destination_arn=buckets[b.data_item].bucket_arn,
                            destination_versioning=buckets[b.data_item].versioning,
                        )
                        for b in replicated
                    ],
                    source_region=plan.regions.primary,
                    source_kms_key_arn=primary.require("kms_key_arn"),
                    destination_kms_key_arn=key.key_arn,
                    tags=parts.base,
                ),
                child,
            )
        dns = failover_dns(self, args, parts, "SECONDARY")
        alarms = Alarms(
            f"{svc}-alarms",
            AlarmsArgs(
                prefix=f"{svc}-dr",
                region=cfg.region,
                emails=cfg.alarm_emails,
                kms_key_arn=key.key_arn,
                health_checks={"health": dns.health_check_id} if dns else {},
                replica_lag=[
                    ReplicaLagAlarm(
                        r.data_item, databases[r.data_item].identifier, settings.alarm_thresholds[r.data_item]
                    )
                    for r in settings.rds
                    if r.replica
                ],
                replicas_promoted=promoted,
                tags=parts.base,
            ),
            child,
        )
        primary_health_check = primary.require("health_check_id") if dns else None
        zone_id = aws.route53.get_zone(name=cfg.hosted_zone, private_zone=False).zone_id if dns else None
        assurance = RegionAssurance(
            f"{svc}-assurance",
            RegionAssuranceArgs(
                plan=plan,
                settings=settings,
                role="dr",
                region=cfg.region,
                account_id=account_id,
                topic_arn=alarms.topic_arn,
                kms_key_arn=key.key_arn,
                other_topics={"us-east-1": alarms.health_topic_arn} if alarms.health_topic_arn else {},
                promoted=promoted,
                bucket_names={item: b.bucket_name for item, b in buckets.items()},
                backed_up_by_jobs=parts.k8s_backups is not None,
                eks_cluster_name=cfg.eks_cluster_name,
                record_name=cfg.record_name,
                operator_principals=cfg.operator_principals,
                instance_class=cfg.db_instance_class,
                standby=StandbyInputs(
                    primary=primary.require,
                    databases={
                        item: (
                            db.identifier,
                            db.arn,
                            db.automated_backups_arn,
                            db.subnet_group_name,
                            db.security_group_id,
                        )
                        for item, db in databases.items()
                    },
                    ecs_cluster_arn=services.cluster_arn if services else None,
                    ecs_service_arns=dict(services.service_arns) if services else {},
                    deployments={
                        name: (parts.kubernetes.deployments[name], parts.kubernetes.autoscalers[name])
                        for name in parts.kubernetes.deployments
                    }
                    if parts.kubernetes is not None
                    else {},
                    hosted_zone_id=zone_id,
                    replicated_buckets={b.data_item: buckets[b.data_item].bucket_name for b in replicated},
                    kms_key_arn=key.key_arn,
                ),
                tags=parts.base,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        operator = OperatorRole(
            f"{svc}-operator",
            OperatorRoleArgs(
                account_id=account_id,
                primary_region=plan.regions.primary,
                dr_region=plan.regions.dr,
                db_instance_arns=[
                    *[db.arn for db in databases.values() if db.arn is not None],
                    *[pick(primary_db_arns, item) for item in databases],
                    *[
                        f"arn:aws:rds:{plan.regions.dr}:{account_id}:db:{db.identifier}"
                        for db in databases.values()
                        if db.arn is None
                    ],
                ],
                ecs_cluster_arns=[services.cluster_arn] if services else [],
                ecs_service_arns=list(services.service_arns.values()) if services else [],
                health_check_ids=[
                    c for c in (primary_health_check, dns.health_check_id if dns else None) if c is not None
                ],
                # The failover's safety step also reads the primary's health alarm (in us-east-1).
                alarm_arns=[
                    *alarms.alarm_arns,
                    *([primary.require("primary_health_alarm_arn")] if dns else []),
                ],
                hosted_zone_ids=[zone_id] if zone_id is not None else [],
                kms_key_arns=[key.key_arn],
                operations_bucket_arn=operations.bucket_arn,
                # The drills dr_drill.py --experiment starts, in the primary region.
                experiment_template_arns=[
                    pulumi.Output.concat(
                        f"arn:aws:fis:{plan.regions.primary}:{account_id}:experiment-template/", template_id
                    )
                    for template_id in assurance.outputs.get("experiment_template_ids", {}).values()
                ],
                alarm_topic_arns=[alarms.topic_arn],
                trusted_principals=cfg.operator_principals,
                tags=parts.base,
            ),
            child,
        )
        objectives = settings.objectives
        promotion: dict[str, Any] = {
            "service": svc,
            "strategy": plan.strategy,
            "stack": pulumi.get_stack(),
            "primary_region": plan.regions.primary,
            "dr_region": plan.regions.dr,
            "promoted": promoted,
            "databases": [
                {
                    "data_item": r.data_item,
                    "tier": r.tier,
                    "mode": "replica" if r.replica else "restore",
                    "source_identifier": pick(primary_db_ids, r.data_item),
                    "source_arn": pick(primary_db_arns, r.data_item),
                    "backup_retention_days": r.backup_retention_period,
                    "multi_az": True,
                    "deletion_protection": True,
                    "rpo_seconds": r.rpo.seconds,
                    # What the services read: a name in the region's private zone that follows the
                    # serving instance, and the credentials secret's replica in this region.
                    "host_name": host_name(svc, r.data_item),
                    "secret_arn": connections[index].secret_arn,
                    **(
                        {
                            "replica_identifier": databases[r.data_item].identifier,
                            "replica_arn": databases[r.data_item].arn,
                        }
                        if r.replica
                        else {
                            "target_identifier": databases[r.data_item].identifier,
                            "automated_backups_arn": databases[r.data_item].automated_backups_arn,
                            "subnet_group": databases[r.data_item].subnet_group_name,
                            "security_group_ids": [databases[r.data_item].security_group_id],
                            "instance_class": cfg.db_instance_class,
                            "kms_key_id": key.key_arn,
                        }
                    ),
                }
                for index, r in enumerate(settings.rds)
            ],
            "services": [
                {
                    "name": s.name,
                    "tier": s.tier,
                    "compute": s.compute,
                    "cluster": services.cluster_name,
                    "service": services.service_names[s.name],
                    "full_desired_count": s.full_desired_count,
                    "warm_desired_count": s.warm_desired_count,
                    "scalable_target": services.scalable_targets[s.name],
                }
                for s in settings.services
                if services is not None and s.compute == "ecs"
            ],
            "objectives": {
                "rto_seconds": objectives.rto_seconds,
                "rpo_seconds": objectives.rpo_seconds,
                "tiers": {
                    name: {"rto_seconds": rto, "rpo_seconds": rpo}
                    for name, (rto, rpo) in objectives.tiers.items()
                },
                "applicable": list(objectives.applicable),
            },
            # What the failover report names as the data at risk, beside what it measures.
            "data": [
                {
                    "data_item": e.data_item,
                    "tier": e.tier,
                    "store": e.store,
                    "rpo_seconds": e.rpo_seconds,
                    "dr_worst_case_seconds": e.dr.worst_case_seconds,
                    "dr_protection": None if (b := e.dr.best_protection) is None else b.explain(),
                }
                for e in settings.exposures.values()
            ],
            "operator_role_arn": operator.role_arn,
            "operations_bucket": operations.bucket_name,
        }
        if endpoints is not None:
            promotion["database_endpoints_zone_id"] = endpoints.zone_id
        entry = entry_point(settings, parts)
        kubernetes, cluster = parts.kubernetes, parts.cluster
        if kubernetes is not None and cluster is not None:
            promotion["kubernetes"] = {
                "cluster": cluster.name,
                "context": cluster.context,
                "services": [
                    {
                        "name": s.name,
                        "tier": s.tier,
                        "namespace": plan.services[s.name].namespace or svc,
                        "deployment": kubernetes.deployments[s.name],
                        "autoscaler": kubernetes.autoscalers[s.name],
                        "full_replicas": s.full_desired_count,
                        "warm_replicas": s.warm_desired_count,
                    }
                    for s in settings.services
                    if s.compute == "kubernetes"
                ],
            }
        if entry is not None and dns is not None and primary_health_check is not None:
            promotion["dns"] = {
                "zone_id": zone_id,
                "record_name": cfg.record_name,
                "primary_health_check_id": primary_health_check,
                "dr_health_check_id": dns.health_check_id,
                "dr_endpoint": entry.dns_name,
                "health_check_path": entry.health_check_path,
                "primary_health_alarm": primary.require("primary_health_alarm_name"),
                # Route 53 publishes health-check metrics in us-east-1 only, so the alarm lives there.
                "alarm_region": "us-east-1",
            }
        region_names: dict[str, Any] = {
            "vault_name": backup.vault_name,
            "vault_arn": backup.vault_arn,
            "kms_key_arn": key.key_arn,
            "bucket_names": {item: b.bucket_name for item, b in buckets.items()},
            "db_instance_identifiers": {item: db.identifier for item, db in databases.items()},
            "db_subnet_group_names": {item: db.subnet_group_name for item, db in databases.items()},
            "db_security_group_ids": {item: db.security_group_id for item, db in databases.items()},
            "health_check_id": dns.health_check_id if dns else None,
            "cluster_name": services.cluster_name if services else None,
            "service_names": services.service_names if services else {},
            "kubernetes": kubernetes_inventory(parts, plan, settings),
            "db_secret_arns": {c.data_item: c.secret_arn for c in connections},
            "db_host_names": {c.data_item: c.host for c in connections},
            "db_endpoint_zone_id": endpoints.zone_id if endpoints is not None else None,
            "restore_testing_plan_arns": testing.plan_arns,
        }
        inventory = {
            "service": svc,
            "strategy": plan.strategy,
            "stack": pulumi.get_stack(),
            "primary_region": plan.regions.primary,
            "dr_region": plan.regions.dr,
            "db_instance_class": cfg.db_instance_class,
            "drill_history": cfg.drill_history,
            "operations_bucket": operations.bucket_name,
            "regions": {
                "primary": {name: primary.get(name) for name in INVENTORY_NAMES},
                "dr": region_names,
            },
        }
        outputs: dict[str, Any] = {
            "promotion": promotion,
            "inventory": inventory,
            "account_id": account_id,
            "vpc_id": network.vpc_id,
            "vpc_cidr": cfg.vpc_cidr,
            **{
                name: value
                for name, value in region_names.items()
                if name not in ("health_check_id", "cluster_name", "service_names", *INVENTORY_ONLY)
            },
            "bucket_arns": {item: b.bucket_arn for item, b in buckets.items()},
            "backup_plan_ids": backup.plan_ids,
            "alarm_topic_arn": alarms.topic_arn,
            "operator_role_arn": operator.role_arn,
            "operations_bucket": operations.bucket_name,
            "assurance": assurance.outputs,
        }
        if services is not None:
            outputs["cluster_name"] = services.cluster_name
            outputs["service_names"] = services.service_names
            outputs["load_balancer_dns_name"] = services.load_balancer_dns_name
        if dns is not None:
            outputs["health_check_id"] = dns.health_check_id

        self.vpc_id = network.vpc_id
        self.kms_key_arn = key.key_arn
        self.vault_arn = backup.vault_arn
        self.operator_role_arn = operator.role_arn
        self.promotion = promotion
        self.inventory = inventory
        self.stack_outputs = outputs
        self.register_outputs(outputs)
