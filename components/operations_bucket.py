"""The operations bucket in the DR region: where the failover lock, the drill history and reports
live, so the scripts find them with the primary region gone.

It holds no plan data (nothing here is restored), so it is versioned for the history's sake but
neither locked nor replicated. Private, TLS-only, encrypted with the DR region's key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.backup_bucket import private_and_encrypted, tls_only_policy


@dataclass
class OperationsBucketArgs:
    name_prefix: str
    kms_key_arn: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


class OperationsBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: OperationsBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:OperationsBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket_prefix=args.name_prefix, force_destroy=False, tags=args.tags, opts=child
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        public_access = private_and_encrypted(
            bucket, args.kms_key_arn, f"{name}-encryption", f"{name}-public-access", child
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_policy),
            # S3 refuses policy changes while the public access block is being written.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
