"""s3-bucket-require-version-retention: lifecycle rules expire nothing the plan still keeps.

An S3 item's recovery points are its object versions (and, beyond the 35 days continuous backups
keep, the only copies); a kubernetes item's are its dumps. No enabled rule of the bucket's
``aws:s3/bucketLifecycleConfiguration`` (joined on its ``bucket`` input) may expire noncurrent
versions, or dumps, before the plan's retention. A bucket without one keeps everything.
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
    S3_LIFECYCLE,
    StackPolicy,
    data_buckets,
    days,
    items,
    mapping,
    number,
    seen,
    stack_view,
)

NAME = "s3-bucket-require-version-retention"
DESCRIPTION = "S3 lifecycle rules of plan data expire no version or dump before the plan's retention."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    for bucket in data_buckets(view):
        required = bucket.item.retention.days_ceil()
        wanted = f"{bucket.label} keeps {days(required)}"
        for config in view.dependents(bucket.resource, "bucket", S3_LIFECYCLE):
            for index, rule in enumerate(mapping(r) for r in items(config.props.get("rules"))):
                if rule.get("status") != "Enabled":
                    continue
                checks = [
                    (
                        "noncurrentVersionExpiration.noncurrentDays",
                        mapping(rule.get("noncurrentVersionExpiration")).get("noncurrentDays"),
                    )
                ]
                if bucket.item.store == "kubernetes":
                    checks.append(("expiration.days", mapping(rule.get("expiration")).get("days")))
                for prop, value in checks:
                    if value is not None and (number(value) or 0) < required:
                        report(f"{seen(f'rules[{index}].{prop}', value, 'days')}; {wanted}", config.urn)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
