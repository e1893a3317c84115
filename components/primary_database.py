"""The primary database of one plan data item: multi-AZ RDS with point-in-time recovery."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.database_network import database_network, engine_port
from continuity.derive import RdsSettings


@dataclass
class PrimaryDatabaseArgs:
    settings: RdsSettings
    identifier: str
    engine: str
    engine_version: str
    instance_class: str
    allocated_storage: int
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    client_security_group_id: pulumi.Input[str]
    # The master password (a secret), kept in Secrets Manager by DatabaseCredentials.
    password: pulumi.Input[str]
    username: str
    tags: dict[str, str] = field(default_factory=dict)


class PrimaryDatabase(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    identifier: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    port: int
    subnet_group_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: PrimaryDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:PrimaryDatabase", name, None, opts)
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
        instance = aws.rds.Instance(
            f"{name}-db",
            identifier=args.identifier,
            engine=args.engine,
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage,
            port=port,
            username=args.username,
            # Not manage_master_user_password: RDS refuses read replicas of such an instance, and the
            # DR region needs one. DatabaseCredentials keeps this password in both regions.
            password=args.password,
            multi_az=True,
            backup_retention_period=args.settings.backup_retention_period,
            copy_tags_to_snapshot=True,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.identifier}-final",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            publicly_accessible=False,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            auto_minor_version_upgrade=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = instance.arn
        self.identifier = instance.identifier
        self.endpoint = instance.address
        self.port = port
        self.subnet_group_name = subnets.name
        self.security_group_id = group.id
        self.register_outputs(
            {
                "arn": self.arn,
                "identifier": self.identifier,
                "endpoint": self.endpoint,
                "subnet_group_name": self.subnet_group_name,
                "security_group_id": self.security_group_id,
            }
        )
