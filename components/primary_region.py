"""The primary region of a continuity plan, as one component: what `pulumi up --stack primary`
declares.

The region serves traffic: its databases are the sources of the DR replicas, its buckets the
sources of replication, and its health check is the one a failover inverts. ``stack_outputs`` is
the primary half of the outputs contract (docs/outputs.md), which the DR stack reads through a
StackReference.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.alarms import Alarms, AlarmsArgs
from components.database_credentials import MASTER_USERNAME, DatabaseCredentials, DatabaseCredentialsArgs
from components.database_endpoints import DatabaseEndpoints, DatabaseEndpointsArgs, host_name
from components.database_network import engine_port
from components.primary_database import PrimaryDatabase, PrimaryDatabaseArgs
from components.region_assurance import RegionAssurance, RegionAssuranceArgs
from components.region_parts import (
    RegionArgs,
    build_region_parts,
    failover_dns,
    kubernetes_inventory,
    moved_from_stack_root,
)
from components.restore_testing import RestoreTesting, RestoreTestingArgs
from components.services import DatabaseConnection
from continuity import tags
from continuity.restore_testing import restore_tests_for

PrimaryRegionArgs = RegionArgs


class PrimaryRegion(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    db_instance_arns: dict[str, pulumi.Output[str]]
    bucket_names: dict[str, pulumi.Output[str]]
    health_check_id: pulumi.Output[str] | None
    stack_outputs: dict[str, Any]

    def __init__(
        self, name: str, args: PrimaryRegionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:PrimaryRegion", name, None, opts)
        plan, cfg, settings = args.plan, args.config, args.settings
        svc = plan.service
        child = moved_from_stack_root(self)
        items = [r.data_item for r in settings.rds]
        port = engine_port(cfg.db_engine)
        credentials = None
        connections: list[DatabaseConnection] = []
        if items:
            credentials = DatabaseCredentials(
                f"{svc}-credentials",
                DatabaseCredentialsArgs(
                    service=svc,
                    data_items=items,
                    engine=cfg.db_engine,
                    port=port,
                    account_id=args.account_id,
                    primary_region=plan.regions.primary,
                    dr_region=plan.regions.dr,
                    tags=tags.base_tags(plan, "primary"),
                ),
                pulumi.ResourceOptions(parent=self),
            )
            connections = [
                DatabaseConnection(
                    item, host_name(svc, item), port, credentials.secret_arns[item], credentials.key_arn
                )
                for item in items
            ]
        parts = build_region_parts(
            self,
            args,
            active=True,
            databases=connections,
            passwords=credentials.passwords if credentials else {},
        )
        network, key, services = parts.network, parts.key, parts.services
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
                    password=credentials.passwords[r.data_item],
                    username=MASTER_USERNAME,
                    tags=tags.data_tags(plan, "primary", r.data_item, active=True),
                ),
                child,
            )
            for r in settings.rds
            if credentials is not None
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
                    addresses={item: db.endpoint for item, db in databases.items()},
                    tags=parts.base,
                ),
                pulumi.ResourceOptions(parent=self),
            )
        restore_tests = restore_tests_for(plan, "primary")
        testing = RestoreTesting(
            f"{svc}-restore-testing",
            RestoreTestingArgs(
                tests=restore_tests,
                service=svc,
                vault_arn=parts.backup.vault_arn,
                role_arn=parts.backup.role_arn,
                subnet_groups={item: db.subnet_group_name for item, db in databases.items()},
                tags={
                    t.data_item: tags.data_tags(plan, "primary", t.data_item, active=True)
                    for t in restore_tests
                },
            ),
            pulumi.ResourceOptions(parent=self),
        )
        dns = failover_dns(self, args, parts, "PRIMARY")
        alarms = Alarms(
            f"{svc}-alarms",
            AlarmsArgs(
                prefix=f"{svc}-primary",
                region=cfg.region,
                emails=cfg.alarm_emails,
                kms_key_arn=key.key_arn,
                health_checks={"health": dns.health_check_id} if dns else {},
                tags=parts.base,
            ),
            child,
        )
        backup, buckets = parts.backup, parts.buckets
        assurance = RegionAssurance(
            f"{svc}-assurance",
            RegionAssuranceArgs(
                plan=plan,
                settings=settings,
                role="primary",
                region=cfg.region,
                account_id=args.account_id,
                topic_arn=alarms.topic_arn,
                kms_key_arn=key.key_arn,
                other_topics={"us-east-1": alarms.health_topic_arn} if alarms.health_topic_arn else {},
                bucket_names={item: b.bucket_name for item, b in buckets.items()},
                backed_up_by_jobs=parts.k8s_backups is not None,
                tags=parts.base,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        outputs: dict[str, Any] = {
            "account_id": args.account_id,
            "vpc_id": network.vpc_id,
            "vpc_cidr": cfg.vpc_cidr,
            "kms_key_arn": key.key_arn,
            "db_instance_arns": {item: db.arn for item, db in databases.items()},
            "db_instance_identifiers": {item: db.identifier for item, db in databases.items()},
            "db_subnet_group_names": {item: db.subnet_group_name for item, db in databases.items()},
            "db_security_group_ids": {item: db.security_group_id for item, db in databases.items()},
            "bucket_names": {item: b.bucket_name for item, b in buckets.items()},
            "bucket_arns": {item: b.bucket_arn for item, b in buckets.items()},
            "vault_name": backup.vault_name,
            "vault_arn": backup.vault_arn,
            "backup_plan_ids": backup.plan_ids,
            "restore_testing_plan_arns": testing.plan_arns,
            "alarm_topic_arn": alarms.topic_arn,
            # The DR stack aims the FIS experiments at these (components/region_assurance.py).
            "public_subnet_ids": network.public_subnet_ids,
            "private_subnet_ids": network.private_subnet_ids,
            "assurance": assurance.outputs,
        }
        if credentials is not None and endpoints is not None:
            outputs["db_secret_arns"] = credentials.secret_arns
            outputs["db_credentials_key_arn"] = credentials.key_arn
            outputs["db_credentials_replica_key_arn"] = credentials.replica_key_arn
            outputs["db_host_names"] = endpoints.host_names
            outputs["db_endpoint_zone_id"] = endpoints.zone_id
        if services is not None:
            outputs["cluster_name"] = services.cluster_name
            outputs["service_names"] = services.service_names
            outputs["load_balancer_dns_name"] = services.load_balancer_dns_name
        if dns is not None:
            outputs["health_check_id"] = dns.health_check_id
            outputs["primary_health_alarm_name"] = alarms.health_alarm_names["health"]
            outputs["primary_health_alarm_arn"] = alarms.health_alarm_arns["health"]
            outputs["record_names"] = parts.names
        kubernetes = kubernetes_inventory(parts, plan, settings)
        if kubernetes is not None:
            outputs["kubernetes"] = kubernetes

        self.vpc_id = network.vpc_id
        self.kms_key_arn = key.key_arn
        self.vault_arn = backup.vault_arn
        self.db_instance_arns = {item: db.arn for item, db in databases.items()}
        self.bucket_names = {item: b.bucket_name for item, b in buckets.items()}
        self.health_check_id = dns.health_check_id if dns else None
        self.stack_outputs = outputs
        self.register_outputs(outputs)
