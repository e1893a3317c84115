"""s3-bucket-disallow-public-access: every bucket blocks every kind of public access.

Good practice: all four settings of an ``aws:s3/bucketPublicAccessBlock`` (joined on its
``bucket`` input) are true, so neither an ACL nor a bucket policy can make the data public.
Security that does not depend on the plan, so it judges every bucket, in the plan or not.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    S3_BUCKET,
    S3_PUBLIC_ACCESS_BLOCK,
    StackPolicy,
    every_bucket,
    kind,
    seen,
    stack_view,
)

NAME = "s3-bucket-disallow-public-access"
DESCRIPTION = "S3 buckets block all public access."
SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    for resource, label in every_bucket(view):
        wanted = f"{label} must not be public"
        blocks = view.dependents(resource, "bucket", S3_PUBLIC_ACCESS_BLOCK)
        if not blocks:
            report(f"no {kind(S3_PUBLIC_ACCESS_BLOCK)} depends on this bucket; {wanted}", resource.urn)
        for block in blocks:
            for setting in SETTINGS:
                value = block.props.get(setting)
                if value is not True:
                    report(f"{seen(setting, value)}; {wanted}", block.urn)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
