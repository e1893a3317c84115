"""Replication of the primary region's buckets into the DR region's, owned by the DR stack.

The rule lives on the primary bucket (in the primary region, through the resource's ``region``
argument) but only the DR stack knows the destination, so the DR stack declares it: each stack
then stands up in one pass, primary first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity.plan import S3_REPLICATION_TIME

REPLICATION_TIME_MINUTES = int(S3_REPLICATION_TIME.total_seconds() // 60)


@dataclass
class ReplicatedBucket:
    item: str
    source_name: pulumi.Input[str]
    source_arn: pulumi.Input[str]
    destination_arn: pulumi.Input[str]
    # The destination's versioning: S3 refuses the rule until it is on ("Destination bucket must
    # have versioning enabled", PutBucketReplication).
    destination_versioning: pulumi.Resource | None = None


@dataclass
class BucketReplicationArgs:
    buckets: list[ReplicatedBucket]
    source_region: str
    source_kms_key_arn: pulumi.Input[str]
    destination_kms_key_arn: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


def replication_policy(
    sources: list[str], destinations: list[str], source_key: str, destination_key: str
) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    "Resource": sources,
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                        "s3:GetObjectRetention",
                        "s3:GetObjectLegalHold",
                    ],
                    "Resource": [f"{arn}/*" for arn in sources],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:ReplicateObject",
                        "s3:ReplicateTags",
                        "s3:ObjectOwnerOverrideToBucketOwner",
                    ],
                    "Resource": [f"{arn}/*" for arn in destinations],
                },
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [source_key]},
                {
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": [destination_key],
                },
            ],
        }
    )


class BucketReplication(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: BucketReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:BucketReplication", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(
                [b.source_arn for b in args.buckets],
                [b.destination_arn for b in args.buckets],
                args.source_kms_key_arn,
                args.destination_kms_key_arn,
            ).apply(lambda v: replication_policy(v[0], v[1], v[2], v[3])),
            opts=child,
        )
        for bucket in args.buckets:
            aws.s3.BucketReplicationConfig(
                f"{name}-{bucket.item}",
                region=args.source_region,
                bucket=bucket.source_name,
                role=role.arn,
                rules=[
                    {
                        "id": f"{bucket.item}-to-dr",
                        "status": "Enabled",
                        "priority": 1,
                        "filter": {},
                        # Deletions stay in the primary: a delete marker replicated to DR would hide
                        # the very copy a failover needs.
                        "delete_marker_replication": {"status": "Disabled"},
                        "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                        "destination": {
                            "bucket": bucket.destination_arn,
                            "storage_class": "STANDARD",
                            "encryption_configuration": {"replica_kms_key_id": args.destination_kms_key_arn},
                            "replication_time": {
                                "status": "Enabled",
                                "time": {"minutes": REPLICATION_TIME_MINUTES},
                            },
                            "metrics": {
                                "status": "Enabled",
                                "event_threshold": {"minutes": REPLICATION_TIME_MINUTES},
                            },
                        },
                    }
                ],
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[
                        policy,
                        *([bucket.destination_versioning] if bucket.destination_versioning else []),
                    ],
                ),
            )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
