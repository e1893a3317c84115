"""The S3 bucket holding one data item in one region: versioned, KMS-encrypted, private, TLS-only,
write-once (S3 Object Lock, COMPLIANCE) where the plan says immutable, old versions kept for the
plan's retention."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity.derive import BucketSettings


@dataclass
class BackupBucketArgs:
    settings: BucketSettings
    name_prefix: str
    kms_key_arn: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


def private_and_encrypted(
    bucket: aws.s3.Bucket,
    kms_key_arn: pulumi.Input[str],
    encryption_name: str,
    public_access_name: str,
    opts: pulumi.ResourceOptions,
) -> aws.s3.BucketPublicAccessBlock:
    """Every bucket the stacks own: SSE-KMS with the region's key and no public access. Returns the
    public access block, which a bucket policy must wait for (S3 refuses policy changes while it is
    being written)."""
    aws.s3.BucketServerSideEncryptionConfiguration(
        encryption_name,
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key_arn,
                },
                # One data key per bucket instead of one KMS call per object.
                "bucket_key_enabled": True,
            }
        ],
        opts=opts,
    )
    return aws.s3.BucketPublicAccessBlock(
        public_access_name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )


def tls_only_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


class BackupBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning

    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:BackupBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        lock = settings.object_lock
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=args.name_prefix,
            # Object Lock must be switched on when the bucket is created to need no AWS support token.
            object_lock_enabled=lock is not None,
            force_destroy=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        if lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": lock.mode, "days": lock.days, "years": lock.years}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
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
        rule: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "retention",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": settings.noncurrent_expiration_days},
        }
        if settings.expire_current_objects:
            rule["expiration"] = {"days": settings.noncurrent_expiration_days}
        if settings.cold_storage_after_days is not None:
            rule["transitions"] = [{"days": settings.cold_storage_after_days, "storage_class": "GLACIER"}]
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[rule],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
