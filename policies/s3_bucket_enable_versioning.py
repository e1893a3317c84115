"""s3-bucket-enable-versioning: buckets holding plan data keep object versions.

The plan's retention of S3 data is kept in old object versions (and Object Lock, replication and
AWS Backup for S3 all require versioning), so versioning is part of meeting the plan, not just
good practice. With pulumi-aws 7 versioning is its own resource: a stack policy finds it through
its ``bucket`` input depending on the bucket.
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
    S3_VERSIONING,
    StackPolicy,
    data_buckets,
    days,
    kind,
    mapping,
    seen,
    stack_view,
)

NAME = "s3-bucket-enable-versioning"
DESCRIPTION = "S3 buckets holding plan data have versioning enabled."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    for bucket in data_buckets(view):
        wanted = f"{bucket.label} keeps old versions {days(bucket.item.retention.days_ceil())}"
        configs = view.dependents(bucket.resource, "bucket", S3_VERSIONING)
        if not configs:
            report(f"no {kind(S3_VERSIONING)} depends on this bucket; {wanted}", bucket.resource.urn)
        for config in configs:
            status = mapping(config.props.get("versioningConfiguration")).get("status")
            if status != "Enabled":
                report(f"{seen('versioningConfiguration.status', status)}; {wanted}", config.urn)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)
