"""s3-bucket-disallow-public-access: buckets holding plan data block every kind of public access.

Good practice: all four settings of an ``aws:s3/bucketPublicAccessBlock`` (joined on its
``bucket`` input) are true, so neither an ACL nor a bucket policy can make the data public.
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
    data_buckets,
    kind,
    seen,
    stack_view,
)

NAME = "s3-bucket-disallow-public-access"
DESCRIPTION = "S3 buckets holding plan data block all public access."
SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    for bucket in data_buckets(view):
        wanted = f"{bucket.label} must not be public"
        blocks = view.dependents(bucket.resource, "bucket", S3_PUBLIC_ACCESS_BLOCK)
        if not blocks:
            report(f"no {kind(S3_PUBLIC_ACCESS_BLOCK)} depends on this bucket; {wanted}", bucket.resource.urn)
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
