"""What the primary and the DR region build the same way, for the two region components.

`PrimaryRegion` and `StandbyRegion` each call `build_region_parts` with themselves as the parent:
network, key, services (ECS and Kubernetes), buckets, backups. The helpers beside it (where a
region answers, its failover records, its Kubernetes inventory) are shared by both too.

Until the region components existed these resources were declared at the top of the stack, so
every direct child carries an alias to its old, parentless URN (`moved_from_stack_root`): an
existing stack upgrades with no replacement (the engine derives the grandchildren's aliases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.backup_bucket import BackupBucket, BackupBucketArgs
from components.backup_vault import BackupVault, BackupVaultArgs, vault_arn
from components.encryption import Encryption, EncryptionArgs
from components.failover_dns import FailoverDns, FailoverDnsArgs, FailoverTarget
from components.kubernetes_backups import KubernetesBackups, KubernetesBackupsArgs
from components.kubernetes_cluster import KubernetesCluster, KubernetesClusterArgs
from components.kubernetes_services import SERVICE_PORT, KubernetesServices, KubernetesServicesArgs
from components.network import Network, NetworkArgs
from components.services import DatabaseConnection, Services, ServicesArgs, front_service
from continuity import names as aws_names
from continuity import tags
from continuity.derive import Settings
from continuity.network import NetworkError, subnet_layout
from continuity.plan import Plan
from continuity.stack_config import StackConfig


@dataclass
class RegionArgs:
    """What a region component is built from: the plan, what it derives, and the stack's config."""

    plan: Plan
    settings: Settings
    config: StackConfig
    account_id: str
    # Set from config `kubeconfig` (a secret) when the plan runs in Kubernetes without EKS.
    kubeconfig: pulumi.Input[str] | None = None


def moved_from_stack_root(owner: pulumi.Resource) -> pulumi.ResourceOptions:
    """Options for a direct child of a region component: parented to it, aliased to the URN it
    had when it was declared at the stack's root."""
    return pulumi.ResourceOptions(parent=owner, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


def host_names(plan: Plan, cfg: StackConfig, front: str) -> dict[str, str]:
    """The front service answers the plan's record name; the others a name beneath it."""
    return {name: cfg.record_name if name == front else f"{name}.{cfg.record_name}" for name in plan.services}


def pick(values: pulumi.Output[Any], key: str) -> pulumi.Output[Any]:
    """One entry of a mapping output (an item's ARN among the primary's, say)."""
    return values.apply(lambda mapping: mapping[key])


@dataclass
class RegionParts:
    network: Network
    key: Encryption
    services: Services | None
    buckets: dict[str, BackupBucket]
    backup: BackupVault
    base: dict[str, str]
    cluster: KubernetesCluster | None
    kubernetes: KubernetesServices | None
    k8s_backups: KubernetesBackups | None
    front: str
    names: dict[str, str] = field(default_factory=dict)


def availability_zones() -> list[str]:
    """The region's availability zones proper: Local Zones and Wavelength Zones are listed too
    (EC2 DescribeAvailabilityZones), but need an opt-in and offer neither NAT gateways nor RDS
    Multi-AZ, so only zones that need no opt-in hold the network."""
    return list(
        aws.get_availability_zones(
            state="available",
            filters=[
                {"name": "opt-in-status", "values": ["opt-in-not-required"]},
                {"name": "zone-type", "values": ["availability-zone"]},
            ],
        ).names
    )


def build_region_parts(
    owner: pulumi.Resource,
    args: RegionArgs,
    active: bool,
    databases: list[DatabaseConnection] | None = None,
    passwords: Mapping[str, pulumi.Input[str]] | None = None,
) -> RegionParts:
    """Network, key, services, buckets and backups of one region, as children of ``owner``. The
    services are given ``databases`` (names and credentials; ``passwords`` for Kubernetes pods)."""
    plan, cfg, settings, account_id = args.plan, args.config, args.settings, args.account_id
    databases = databases or []
    opts = moved_from_stack_root(owner)
    role = cfg.role
    svc = plan.service
    base = tags.base_tags(plan, role)
    placeholders = sorted(name for name, runtime in cfg.services.items() if runtime.placeholder)
    if placeholders:
        pulumi.log.warn(
            f"services {', '.join(placeholders)} run the placeholder image (it only answers the health "
            "check): set config image, or services.<name>.image, to your application's"
        )
    zones = availability_zones()
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
        opts,
    )
    key = Encryption(
        f"{svc}-key",
        EncryptionArgs(alias=f"{svc}-{role}", account_id=account_id, region=cfg.region, tags=base),
        opts,
    )
    full = role == "primary" or cfg.promoted
    capacity = {s.name: s.full_desired_count if full else s.warm_desired_count for s in settings.services}
    front = front_service(settings.services).name if settings.services else ""
    names = host_names(plan, cfg, front)
    ecs = [s for s in settings.services if s.compute == "ecs"]
    services = None
    if ecs:
        services = Services(
            f"{svc}-app",
            ServicesArgs(
                prefix=f"{svc}-{role}",
                services=ecs,
                runtime=cfg.services,
                desired_counts={s.name: capacity[s.name] for s in ecs},
                host_names=names,
                vpc_id=network.vpc_id,
                public_subnet_ids=network.public_subnet_ids,
                private_subnet_ids=network.private_subnet_ids,
                kms_key_arn=key.key_arn,
                clients_security_group_id=network.clients_security_group_id,
                certificate_arn=cfg.certificate_arn,
                databases=databases,
                tags=base,
                service_tags={s.name: tags.workload_tags(plan, role, s.name) for s in ecs},
            ),
            opts,
        )
    buckets = {
        b.data_item: BackupBucket(
            f"{svc}-data-{b.data_item}",
            BackupBucketArgs(
                settings=b,
                name_prefix=aws_names.bucket_prefix(svc, b.data_item, role),
                kms_key_arn=key.key_arn,
                tags=tags.data_tags(plan, role, b.data_item, active=active),
            ),
            opts,
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
        opts,
    )
    cluster = kubernetes = backups = None
    if cfg.uses_kubernetes:
        cluster = KubernetesCluster(
            f"{svc}-cluster",
            KubernetesClusterArgs(
                region=cfg.region,
                account_id=account_id,
                kubeconfig=args.kubeconfig,
                kube_context=cfg.kube_context,
                eks_cluster_name=cfg.eks_cluster_name,
            ),
            opts,
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
                    databases=databases,
                    passwords=passwords or {},
                    labels=base,
                ),
                opts,
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
                    namespaces=dict(kubernetes.namespaces) if kubernetes is not None else {},
                    tags={
                        j.data_item: tags.data_tags(plan, role, j.data_item, active=active)
                        for j in settings.cron_jobs
                    },
                ),
                opts,
            )
    return RegionParts(
        network=network,
        key=key,
        services=services,
        buckets=buckets,
        backup=backup,
        base=base,
        cluster=cluster,
        kubernetes=kubernetes,
        k8s_backups=backups,
        front=front,
        names=names,
    )


@dataclass
class EntryPoint:
    """Where a region answers: the front service's load balancer, and what Route 53 checks there."""

    dns_name: pulumi.Input[str]
    health_check_path: str
    port: int
    protocol: str


def entry_point(settings: Settings, parts: RegionParts) -> EntryPoint | None:
    front = next((s for s in settings.services if s.name == parts.front), None)
    if front is None:
        return None
    if front.compute == "ecs" and parts.services is not None:
        return EntryPoint(
            parts.services.load_balancer_dns_name,
            front.health_check,
            parts.services.health_port,
            parts.services.health_protocol,
        )
    if front.compute == "kubernetes" and parts.kubernetes is not None:
        return EntryPoint(parts.kubernetes.hostnames[front.name], front.health_check, SERVICE_PORT, "HTTP")
    return None


def failover_dns(
    owner: pulumi.Resource, args: RegionArgs, parts: RegionParts, failover: str
) -> FailoverDns | None:
    """The region's failover records (PRIMARY or SECONDARY) and the health check they carry."""
    plan, cfg, settings = args.plan, args.config, args.settings
    entry = entry_point(settings, parts)
    if entry is None:
        return None
    services, kubernetes = parts.services, parts.kubernetes
    records = []
    for s in settings.services:
        name = parts.names[s.name]
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
        moved_from_stack_root(owner),
    )


def kubernetes_inventory(parts: RegionParts, plan: Plan, settings: Settings) -> dict[str, Any] | None:
    """What the scripts need to find the region's Kubernetes workloads and backup jobs."""
    cluster, kubernetes, backups = parts.cluster, parts.kubernetes, parts.k8s_backups
    if cluster is None:
        return None
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
            j.data_item: {
                "namespace": j.namespace,
                "cron_job": backups.cron_jobs[j.data_item],
                # What a restore Job runs as, and the image that fetches and checks its dump.
                "restore_service_account": backups.restore_accounts[j.data_item],
                "transfer_image": backups.upload_image,
            }
            for j in settings.cron_jobs
            if backups is not None
        },
    }
