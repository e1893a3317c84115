"""The DR side of one database: a cross-region read replica (pilot light, warm standby), and the
primary's automated backups replicated here so point-in-time recovery works from this region too.

After a failover the replica is a standalone instance. Stack config ``promoted: true`` declares the
same resource without ``replicate_source_db`` (the provider treats its removal as a promotion, not
a replacement), with the plan's backups and multi-AZ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.database_network import database_network, engine_port
from continuity.derive import RdsSettings


@dataclass
class StandbyDatabaseArgs:
    settings: RdsSettings
    identifier: str
    source_arn: pulumi.Input[str]
    engine: str
    instance_class: str
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    client_security_group_id: pulumi.Input[str]
    promoted: bool
    tags: dict[str, str] = field(default_factory=dict)


class StandbyDatabase(pulumi.ComponentResource):
    identifier: str
    arn: pulumi.Output[str] | None
    address: pulumi.Output[str] | None  # the replica's endpoint, which a promotion keeps
    subnet_group_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    automated_backups_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: StandbyDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:StandbyDatabase", name, None, opts)
        settings = args.settings
        port = engine_port(args.engine)
        subnets, group = database_network(
            name,
            self,
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            client_security_group_id=args.client_security_group_id,
            port=port,
            tags=args.tags,
        )
        self.identifier = args.identifier
        self.subnet_group_name = subnets.name
        self.security_group_id = group.id
        self.arn = None
        self.address = None
        if settings.replica:
            promoted = args.promoted
            replica = aws.rds.Instance(
                f"{name}-db",
                identifier=args.identifier,
                replicate_source_db=None if promoted else args.source_arn,
                instance_class=args.instance_class,
                port=port,
                # A replica keeps no automated backups of its own; once promoted it takes the
                # plan's retention and the primary's multi-AZ.
                backup_retention_period=settings.backup_retention_period if promoted else 0,
                multi_az=promoted,
                copy_tags_to_snapshot=True,
                deletion_protection=True,
                # RDS refuses a final snapshot when deleting a read replica (DeleteDBInstance:
                # FinalDBSnapshotIdentifier "can't be specified when deleting a read replica");
                # once promoted it is a database of its own and takes one.
                skip_final_snapshot=not promoted,
                final_snapshot_identifier=f"{args.identifier}-final" if promoted else None,
                storage_encrypted=True,
                kms_key_id=args.kms_key_arn,
                publicly_accessible=False,
                db_subnet_group_name=subnets.name,
                vpc_security_group_ids=[group.id],
                auto_minor_version_upgrade=True,
                apply_immediately=True,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arn = replica.arn
            self.address = replica.address
        self.automated_backups_arn = None
        if settings.replicated_retention_days is not None:
            replication = aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-backups",
                source_db_instance_arn=args.source_arn,
                retention_period=settings.replicated_retention_days,
                kms_key_id=args.kms_key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.automated_backups_arn = replication.id
        self.register_outputs(
            {
                "identifier": self.identifier,
                "arn": self.arn,
                "subnet_group_name": self.subnet_group_name,
                "security_group_id": self.security_group_id,
                "automated_backups_arn": self.automated_backups_arn,
            }
        )
