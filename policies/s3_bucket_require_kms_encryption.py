"""s3-bucket-require-kms-encryption: every bucket defaults to SSE-KMS with a customer key.

Good practice: a customer key can be granted to the replication role and the DR region and its
use audited. Security that does not depend on the plan, so it judges every bucket, in the plan or
not. Joined on the encryption configuration's ``bucket`` input. When its ``rules`` are computed from
a KMS key of this stack, the key id (unknown during preview) is not read: the dependency already
shows a customer key.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    KMS_KEYS,
    S3_BUCKET,
    S3_ENCRYPTION,
    StackPolicy,
    depends_on_type,
    every_bucket,
    has_key,
    items,
    kind,
    mapping,
    seen,
    stack_view,
)

NAME = "s3-bucket-require-kms-encryption"
DESCRIPTION = "S3 buckets are encrypted by default with a customer managed KMS key (SSE-KMS)."
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    for resource, label in every_bucket(view):
        wanted = f"{label} needs SSE-KMS with a customer managed key"
        configs = view.dependents(resource, "bucket", S3_ENCRYPTION)
        if not configs:
            report(f"no {kind(S3_ENCRYPTION)} depends on this bucket; {wanted}", resource.urn)
        for config in configs:
            key_in_stack = depends_on_type(config, "rules", KMS_KEYS)
            rules = [
                mapping(mapping(r).get("applyServerSideEncryptionByDefault"))
                for r in items(config.props.get("rules"))
            ]
            if not rules:
                report(f"rules is empty; {wanted}", config.urn)
            for index, default in enumerate(rules):
                prop = f"rules[{index}].applyServerSideEncryptionByDefault"
                algorithm = default.get("sseAlgorithm")
                if algorithm not in KMS_ALGORITHMS:
                    report(f"{seen(f'{prop}.sseAlgorithm', algorithm)}; {wanted}", config.urn)
                elif not (key_in_stack and has_key(default, "kmsMasterKeyId")) and not default.get(
                    "kmsMasterKeyId"
                ):
                    report(
                        f"{prop}.kmsMasterKeyId is not set (the AWS managed key aws/s3); {wanted}", config.urn
                    )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
