"""The Pulumi program: one region of the continuity plan, as the primary or the DR stack.

It reads stack config, loads the plan, and composes components; every number comes from the plan
(through continuity.derive) or from stack config. `pulumi up --stack primary` first, then
`pulumi up --stack dr`, which reads the primary's outputs through a StackReference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs, ReplicaLagAlarm
from components.backup_bucket import BackupBucket, BackupBucketArgs
from components.backup_vault import BackupVault, BackupVaultArgs, vault_arn
from components.bucket_replication import BucketReplication, BucketReplicationArgs, ReplicatedBucket
from components.encryption import Encryption, EncryptionArgs
from components.failover_dns import FailoverDns, FailoverDnsArgs, FailoverTarget
from components.kubernetes_backups import KubernetesBackups, KubernetesBackupsArgs
from components.kubernetes_cluster import KubernetesCluster, KubernetesClusterArgs
from components.kubernetes_services import SERVICE_PORT, KubernetesServices, KubernetesServicesArgs
from components.network import Network, NetworkArgs
from components.operator_role import OperatorRole, OperatorRoleArgs
from components.primary_database import PrimaryDatabase, PrimaryDatabaseArgs
from components.services import Services, ServicesArgs, front_service
from components.standby_database import StandbyDatabase, StandbyDatabaseArgs
from continuity import tags
from continuity.derive import Settings, derive
from continuity.network import NetworkError, overlaps, subnet_layout
from continuity.plan import Plan, PlanError, load_plan
from continuity.stack_config import CONFIG_KEYS, ConfigError, StackConfig, read_stack_config

HERE = Path(__file__).resolve().parent


def load() -> tuple[Plan, StackConfig]:
    config = pulumi.Config()
    values = {key: config.get(key) for key in CONFIG_KEYS}
    region = pulumi.Config("aws").get("region") or ""
    plan_path = Path(values.get("plan") or "continuity-plan.yaml")
    try:
        plan = load_plan(plan_path if plan_path.is_absolute() else HERE / plan_path)
        return plan, read_stack_config(values, region, plan)
    except PlanError as err:
        # RunError ends the program with its message alone, no stack trace.
        raise pulumi.RunError("\n".join(err.messages)) from None
    except ConfigError as err:
        raise pulumi.RunError(str(err)) from None


def host_names(plan: Plan, cfg: StackConfig, front: str) -> dict[str, str]:
    """The front service answers the plan's record name; the others a name beneath it."""
    return {name: cfg.record_name if name == front else f"{name}.{cfg.record_name}" for name in plan.services}


def region_base(
    plan: Plan, cfg: StackConfig, settings: Settings, account_id: str, active: bool
) -> dict[str, Any]:
    """What both regions build the same way: network, key, services, buckets, backups."""
    role = cfg.role
    svc = plan.service
    base = tags.base_tags(plan, role)
    zones = aws.get_availability_zones(state="available").names
    try:
        layout = subnet_layout(cfg.vpc_cidr, zones)
    except NetworkError as err:
        raise pulumi.RunError(f"{cfg.region}: {err}") from None
    network = Network(
        f"{svc}-net",
        NetworkArgs(
            cidr=cfg.vpc_cidr,
            subnets=layout,
            # A warm standby carries little traffic and image pulls can wait for a zone to come back,
            # so one NAT gateway; the primary keeps one per zone so a zone outage keeps egress.
            nat_gateways="per-az" if role == "primary" else "single",
            tags=base,
        ),
    )
    key = Encryption(
        f"{svc}-key",
        EncryptionArgs(alias=f"{svc}-{role}", account_id=account_id, region=cfg.region, tags=base),
    )
    full = role == "primary" or cfg.promoted
    capacity = {s.name: s.full_desired_count if full else s.warm_desired_count for s in settings.services}
    front = front_service(settings.services).name if settings.services else ""
    names = host_names(plan, cfg, front)
    ecs = [s for s in settings.services if s.compute == "ecs"]
    services = None
    if ecs:
        desired = {s.name: capacity[s.name] for s in ecs}
        services = Services(
            f"{svc}-app",
            ServicesArgs(
                prefix=f"{svc}-{role}",
                services=ecs,
                runtime=cfg.services,
                desired_counts=desired,
                host_names=names,
                vpc_id=network.vpc_id,
                public_subnet_ids=network.public_subnet_ids,
                private_subnet_ids=network.private_subnet_ids,
                kms_key_arn=key.key_arn,
                clients_security_group_id=network.clients_security_group_id,
                certificate_arn=cfg.certificate_arn,
                tags=base,
                service_tags={s.name: tags.workload_tags(plan, role, s.name) for s in ecs},
            ),
        )
    buckets = {
        b.data_item: BackupBucket(
            f"{svc}-data-{b.data_item}",
            BackupBucketArgs(
                settings=b,
                name_prefix=f"{svc}-{b.data_item}-{role}-",
                kms_key_arn=key.key_arn,
                tags=tags.data_tags(plan, role, b.data_item, active=active),
            ),
        )
        for b in settings.buckets
    }
    other_region = plan.regions.dr if role == "primary" else plan.regions.primary
    other_role = "dr" if role == "primary" else "primary"
    backup = BackupVault(
        f"{svc}-backup",
        BackupVaultArgs(
            vault_name=f"{svc}-{role}",
            service=svc,
            rules=settings.backup_rules,
            lock=settings.vault_lock,
            kms_key_arn=key.key_arn,
            copy_destination_vault_arn=vault_arn(other_region, account_id, f"{svc}-{other_role}"),
            key_regions=[plan.regions.primary, plan.regions.dr],
            account_id=account_id,
            tags=base,
            item_tags={
                r.data_item: tags.data_tags(plan, role, r.data_item, active=active)
                for r in settings.backup_rules
            },
        ),
    )
    cluster = kubernetes = backups = None
    if cfg.uses_kubernetes:
        cluster = KubernetesCluster(
            f"{svc}-cluster",
            KubernetesClusterArgs(
                region=cfg.region,
                account_id=account_id,
                kubeconfig=pulumi.Config().get_secret("kubeconfig") if cfg.kubeconfig_set else None,
                kube_context=cfg.kube_context,
                eks_cluster_name=cfg.eks_cluster_name,
            ),
        )
        in_cluster = [s for s in settings.services if s.compute == "kubernetes"]
        if in_cluster:
            kubernetes = KubernetesServices(
                f"{svc}-k8s",
                KubernetesServicesArgs(
                    services=in_cluster,
                    namespaces={s.name: plan.services[s.name].namespace or svc for s in in_cluster},
                    runtime=cfg.services,
                    replicas={s.name: capacity[s.name] for s in in_cluster},
                    provider=cluster.provider,
                    labels=base,
                ),
            )
        if settings.cron_jobs:
            # read_stack_config requires an EKS cluster (its OIDC provider) for in-cluster data.
            assert cluster.oidc_provider_arn is not None
            assert cluster.oidc_issuer is not None
            backups = KubernetesBackups(
                f"{svc}-k8s-backups",
                KubernetesBackupsArgs(
                    jobs=settings.cron_jobs,
                    bucket_names={item: b.bucket_name for item, b in buckets.items()},
                    bucket_arns={item: b.bucket_arn for item, b in buckets.items()},
                    kms_key_arn=key.key_arn,
                    region=cfg.region,
                    upload_image=cfg.backup_upload_image,
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_issuer=cluster.oidc_issuer,
                    provider=cluster.provider,
                    tags={
                        j.data_item: tags.data_tags(plan, role, j.data_item, active=active)
                        for j in settings.cron_jobs
                    },
                ),
            )
    return {
        "network": network,
        "key": key,
        "services": services,
        "buckets": buckets,
        "backup": backup,
        "base": base,
        "cluster": cluster,
        "kubernetes": kubernetes,
        "k8s_backups": backups,
        "front": front,
        "names": names,
    }


@dataclass
class EntryPoint:
    """Where a region answers: the front service's load balancer, and what Route 53 checks there."""

    dns_name: pulumi.Input[str]
    health_check_path: str
    port: int
    protocol: str


def entry_point(settings: Settings, parts: dict[str, Any]) -> EntryPoint | None:
    services: Services | None = parts["services"]
    kubernetes: KubernetesServices | None = parts["kubernetes"]
    front = next((s for s in settings.services if s.name == parts["front"]), None)
    if front is None:
        return None
    if front.compute == "ecs" and services is not None:
        return EntryPoint(
            services.load_balancer_dns_name,
            front.health_check,
            services.health_port,
            services.health_protocol,
        )
    if front.compute == "kubernetes" and kubernetes is not None:
        return EntryPoint(kubernetes.hostnames[front.name], front.health_check, SERVICE_PORT, "HTTP")
    return None


def failover_dns(
    plan: Plan, cfg: StackConfig, settings: Settings, parts: dict[str, Any], failover: str
) -> FailoverDns | None:
    entry = entry_point(settings, parts)
    if entry is None:
        return None
    services: Services | None = parts["services"]
    kubernetes: KubernetesServices | None = parts["kubernetes"]
    records = []
    for s in settings.services:
        name = parts["names"][s.name]
        if s.compute == "ecs" and services is not None:
            records.append(
                FailoverTarget(name, services.load_balancer_dns_name, services.load_balancer_zone_id)
            )
        elif s.compute == "kubernetes" and kubernetes is not None:
            records.append(FailoverTarget(name, kubernetes.hostnames[s.name], None))
    zone = aws.route53.get_zone(name=cfg.hosted_zone, private_zone=False)
    return FailoverDns(
        f"{plan.service}-dns",
        FailoverDnsArgs(
            zone_id=zone.zone_id,
            failover=failover,
            set_identifier=cfg.role,
            records=records,
            health_check_target=entry.dns_name,
            health_check_path=entry.health_check_path,
            health_check_port=entry.port,
            health_check_protocol=entry.protocol,
            tags=tags.base_tags(plan, cfg.role),
        ),
    )


def kubernetes_inventory(parts: dict[str, Any], plan: Plan, settings: Settings) -> dict[str, Any] | None:
    cluster: KubernetesCluster | None = parts["cluster"]
    if cluster is None:
        return None
    kubernetes: KubernetesServices | None = parts["kubernetes"]
    backups: KubernetesBackups | None = parts["k8s_backups"]
    return {
        "cluster": cluster.name,
        "context": cluster.context,
        "deployments": {
            s.name: {
                "namespace": plan.services[s.name].namespace or plan.service,
                "deployment": kubernetes.deployments[s.name],
                "autoscaler": kubernetes.autoscalers[s.name],
            }
            for s in settings.services
            if s.compute == "kubernetes" and kubernetes is not None
        },
        "cron_jobs": {
            j.data_item: {"namespace": j.namespace, "cron_job": backups.cron_jobs[j.data_item]}
            for j in settings.cron_jobs
            if backups is not None
        },
    }


def primary(plan: Plan, cfg: StackConfig, settings: Settings, account_id: str) -> None:
    svc = plan.service
    parts = region_base(plan, cfg, settings, account_id, active=True)
    network, key, services = parts["network"], parts["key"], parts["services"]
    databases = {
        r.data_item: PrimaryDatabase(
            f"{svc}-db-{r.data_item}",
            PrimaryDatabaseArgs(
                settings=r,
                identifier=f"{svc}-{r.data_item}",
                engine=cfg.db_engine,
                engine_version=cfg.db_engine_version,
                instance_class=cfg.db_instance_class,
                allocated_storage=cfg.db_allocated_storage,
                kms_key_arn=key.key_arn,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                client_security_group_id=network.clients_security_group_id,
                tags=tags.data_tags(plan, "primary", r.data_item, active=True),
            ),
        )
        for r in settings.rds
    }
    dns = failover_dns(plan, cfg, settings, parts, "PRIMARY")
    alarms = Alarms(
        f"{svc}-alarms",
        AlarmsArgs(
            prefix=f"{svc}-primary",
            region=cfg.region,
            emails=cfg.alarm_emails,
            kms_key_arn=key.key_arn,
            health_checks={"health": dns.health_check_id} if dns else {},
            tags=parts["base"],
        ),
    )
    backup: BackupVault = parts["backup"]
    buckets: dict[str, BackupBucket] = parts["buckets"]
    pulumi.export("account_id", account_id)
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("vpc_cidr", cfg.vpc_cidr)
    pulumi.export("kms_key_arn", key.key_arn)
    pulumi.export("db_instance_arns", {item: db.arn for item, db in databases.items()})
    pulumi.export("db_instance_identifiers", {item: db.identifier for item, db in databases.items()})
    pulumi.export("db_subnet_group_names", {item: db.subnet_group_name for item, db in databases.items()})
    pulumi.export("db_security_group_ids", {item: db.security_group_id for item, db in databases.items()})
    pulumi.export("bucket_names", {item: b.bucket_name for item, b in buckets.items()})
    pulumi.export("bucket_arns", {item: b.bucket_arn for item, b in buckets.items()})
    pulumi.export("vault_name", backup.vault_name)
    pulumi.export("vault_arn", backup.vault_arn)
    pulumi.export("backup_plan_ids", backup.plan_ids)
    pulumi.export("alarm_topic_arn", alarms.topic_arn)
    if services is not None:
        pulumi.export("cluster_name", services.cluster_name)
        pulumi.export("service_names", services.service_names)
        pulumi.export("load_balancer_dns_name", services.load_balancer_dns_name)
    if dns is not None:
        pulumi.export("health_check_id", dns.health_check_id)
        pulumi.export("primary_health_alarm_name", alarms.health_alarm_names["health"])
        pulumi.export("primary_health_alarm_arn", alarms.health_alarm_arns["health"])
        pulumi.export("record_names", parts["names"])
    kubernetes = kubernetes_inventory(parts, plan, settings)
    if kubernetes is not None:
        pulumi.export("kubernetes", kubernetes)


def pick(values: pulumi.Output[Any], key: str) -> pulumi.Output[Any]:
    """One entry of a mapping output (an item's ARN among the primary's, say)."""
    return values.apply(lambda mapping: mapping[key])


def require(ref: pulumi.StackReference, stack: str, name: str) -> pulumi.Output[Any]:
    """An output of the primary stack, or one clear error naming it."""

    def check(value: Any) -> Any:
        if value is None:
            raise pulumi.RunError(
                f"primary stack {stack}: output {name!r} is missing; run `pulumi up --stack` on it first"
            )
        return value

    return ref.get_output(name).apply(check)


def dr(plan: Plan, cfg: StackConfig, settings: Settings, account_id: str) -> None:
    svc = plan.service
    assert cfg.primary_stack is not None, "read_stack_config requires it for the dr role"
    stack = cfg.primary_stack
    ref = pulumi.StackReference(stack)

    def check_cidr(primary_cidr: str) -> str:
        if overlaps(primary_cidr, cfg.vpc_cidr):
            raise pulumi.RunError(
                f"config vpcCidr: {cfg.vpc_cidr} overlaps the primary's {primary_cidr}; "
                "the regions could not be peered"
            )
        return primary_cidr

    require(ref, stack, "vpc_cidr").apply(check_cidr)
    promoted = cfg.promoted
    parts = region_base(plan, cfg, settings, account_id, active=promoted)
    network, key, services = parts["network"], parts["key"], parts["services"]
    buckets: dict[str, BackupBucket] = parts["buckets"]
    backup: BackupVault = parts["backup"]
    primary_db_arns = require(ref, stack, "db_instance_arns")
    primary_db_ids = require(ref, stack, "db_instance_identifiers")
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
        )
        for r in settings.rds
    }
    replicated = [b for b in settings.buckets if b.replicate_to_dr]
    if replicated:
        source_names = require(ref, stack, "bucket_names")
        source_arns = require(ref, stack, "bucket_arns")
        BucketReplication(
            f"{svc}-replication",
            BucketReplicationArgs(
                buckets=[
                    ReplicatedBucket(
                        item=b.data_item,
                        source_name=pick(source_names, b.data_item),
                        source_arn=pick(source_arns, b.data_item),
                        destination_arn=buckets[b.data_item].bucket_arn,
                    )
                    for b in replicated
                ],
                source_region=plan.regions.primary,
                source_kms_key_arn=require(ref, stack, "kms_key_arn"),
                destination_kms_key_arn=key.key_arn,
                tags=parts["base"],
            ),
        )
    dns = failover_dns(plan, cfg, settings, parts, "SECONDARY")
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
            tags=parts["base"],
        ),
    )
    primary_health_check = require(ref, stack, "health_check_id") if dns else None
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
                *([require(ref, stack, "primary_health_alarm_arn")] if dns else []),
            ],
            hosted_zone_ids=[aws.route53.get_zone(name=cfg.hosted_zone, private_zone=False).zone_id]
            if dns
            else [],
            kms_key_arns=[key.key_arn],
            trusted_principals=cfg.operator_principals,
            tags=parts["base"],
        ),
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
            for r in settings.rds
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
        },
        "operator_role_arn": operator.role_arn,
    }
    entry = entry_point(settings, parts)
    kubernetes: KubernetesServices | None = parts["kubernetes"]
    cluster: KubernetesCluster | None = parts["cluster"]
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
            "zone_id": aws.route53.get_zone(name=cfg.hosted_zone, private_zone=False).zone_id,
            "record_name": cfg.record_name,
            "primary_health_check_id": primary_health_check,
            "dr_health_check_id": dns.health_check_id,
            "dr_endpoint": entry.dns_name,
            "health_check_path": entry.health_check_path,
            "primary_health_alarm": require(ref, stack, "primary_health_alarm_name"),
            "alarm_region": "us-east-1",
        }
    pulumi.export("promotion", promotion)
    region_names = {
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
    }
    pulumi.export(
        "inventory",
        {
            "service": svc,
            "strategy": plan.strategy,
            "stack": pulumi.get_stack(),
            "primary_region": plan.regions.primary,
            "dr_region": plan.regions.dr,
            "db_instance_class": cfg.db_instance_class,
            "drill_history": cfg.drill_history,
            "regions": {
                "primary": {name: ref.get_output(name) for name in region_names},
                "dr": region_names,
            },
        },
    )
    pulumi.export("account_id", account_id)
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("vpc_cidr", cfg.vpc_cidr)
    for name, value in region_names.items():
        if name not in ("health_check_id", "cluster_name", "service_names"):
            pulumi.export(name, value)
    pulumi.export("bucket_arns", {item: b.bucket_arn for item, b in buckets.items()})
    pulumi.export("backup_plan_ids", backup.plan_ids)
    pulumi.export("alarm_topic_arn", alarms.topic_arn)
    pulumi.export("operator_role_arn", operator.role_arn)
    if services is not None:
        pulumi.export("cluster_name", services.cluster_name)
        pulumi.export("service_names", services.service_names)
        pulumi.export("load_balancer_dns_name", services.load_balancer_dns_name)
    if dns is not None:
        pulumi.export("health_check_id", dns.health_check_id)


def main() -> None:
    plan, cfg = load()
    settings = derive(plan)
    account_id = aws.get_caller_identity().account_id
    (primary if cfg.role == "primary" else dr)(plan, cfg, settings, account_id)


main()
