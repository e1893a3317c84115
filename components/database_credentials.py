"""The master credentials of the plan's databases, readable in both regions, owned by the primary.

RDS cannot create a read replica of an instance whose master password RDS itself manages in
Secrets Manager (`manage_master_user_password`; RDS User Guide, "Limitations for Secrets Manager
integration with Amazon RDS"), so the stacks manage the password: a random one per database (a
secret in Pulumi's state, the same on every `pulumi up`), kept in a Secrets Manager secret in the
primary region with a replica in the DR region. The replica is encrypted with the DR-region
replica of a multi-Region KMS key this component owns, so the primary stack stands up in one pass
(the DR stack's own key does not exist yet) and the DR region reads the credentials with the
primary region gone. A promoted read replica keeps its source's master password, so the same
secret stays valid after a failover, and after failback (a replica of the promoted instance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.encryption import KEY_DELETION_WINDOW_DAYS

# RDS master passwords: 8 to 41 characters for MySQL and MariaDB, to 128 for PostgreSQL; printable
# ASCII except '/', "'", '"', '@' and space (RDS API reference, CreateDBInstance MasterUserPassword).
PASSWORD_LENGTH = 41
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?.,^~"  # noqa: S105 - characters allowed, not a password
# Secrets Manager keeps a deleted secret restorable for 7 to 30 days; the longest, as for the keys.
SECRET_RECOVERY_WINDOW_DAYS = 30
MASTER_USERNAME = "continuity"


@dataclass
class DatabaseCredentialsArgs:
    service: str
    data_items: list[str]
    engine: str
    port: int
    account_id: str
    primary_region: str
    dr_region: str
    tags: dict[str, str] = field(default_factory=dict)


def secret_name(service: str, item: str) -> str:
    """Secrets Manager names allow letters, digits and /_+=.@- up to 512 characters."""
    return f"{service}/{item}/master"


def in_region(arn: str, region: str) -> str:
    """A replica secret's ARN: the primary's, in the replica's region (same name, same suffix)."""
    parts = arn.split(":")
    return ":".join([*parts[:3], region, *parts[4:]])


def credentials_key_policy(account_id: str) -> str:
    """The account administers the key; Secrets Manager uses it on callers' behalf through IAM."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


class DatabaseCredentials(pulumi.ComponentResource):
    secret_arns: dict[str, pulumi.Output[str]]  # in the primary region
    replica_secret_arns: dict[str, pulumi.Output[str]]  # in the DR region
    passwords: dict[str, pulumi.Output[str]]  # secrets
    key_arn: pulumi.Output[str]
    replica_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseCredentialsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:DatabaseCredentials", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.service}: database credentials ({args.primary_region}, {args.dr_region})",
            multi_region=True,
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=credentials_key_policy(args.account_id),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        replica_key = aws.kms.ReplicaKey(
            f"{name}-key-dr",
            region=args.dr_region,
            primary_key_arn=key.arn,
            description=f"{args.service}: database credentials, the DR region's copy",
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=credentials_key_policy(args.account_id),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        for suffix, region, target in (
            ("primary", args.primary_region, key.key_id),
            ("dr", args.dr_region, replica_key.key_id),
        ):
            aws.kms.Alias(
                f"{name}-alias-{suffix}",
                name=f"alias/{args.service}-credentials",
                region=region,
                target_key_id=target,
                opts=child,
            )
        self.secret_arns, self.replica_secret_arns, self.passwords = {}, {}, {}
        for item in args.data_items:
            password = random.RandomPassword(
                f"{name}-{item}",
                length=PASSWORD_LENGTH,
                special=True,
                override_special=PASSWORD_SPECIALS,
                opts=child,
            )
            secret = aws.secretsmanager.Secret(
                f"{name}-{item}",
                name=secret_name(args.service, item),
                description=f"{args.service}: master credentials of database {item}",
                kms_key_id=key.arn,
                replicas=[{"region": args.dr_region, "kms_key_id": replica_key.arn}],
                recovery_window_in_days=SECRET_RECOVERY_WINDOW_DAYS,
                tags=args.tags,
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{item}",
                secret_id=secret.id,
                secret_string=pulumi.Output.json_dumps(
                    {
                        "username": MASTER_USERNAME,
                        "password": password.result,
                        "engine": args.engine,
                        "port": args.port,
                    }
                ),
                opts=child,
            )
            self.secret_arns[item] = secret.arn
            self.replica_secret_arns[item] = secret.arn.apply(lambda arn: in_region(arn, args.dr_region))
            self.passwords[item] = pulumi.Output.secret(password.result)
        self.key_arn = key.arn
        self.replica_key_arn = replica_key.arn
        self.register_outputs(
            {
                "secret_arns": self.secret_arns,
                "replica_secret_arns": self.replica_secret_arns,
                "key_arn": self.key_arn,
                "replica_key_arn": self.replica_key_arn,
            }
        )
