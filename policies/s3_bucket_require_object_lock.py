"""s3-bucket-require-object-lock: immutable plan data is write-once for at least its retention.

For an ``immutable`` item the bucket has Object Lock enabled and an
``aws:s3/bucketObjectLockConfiguration`` (joined on its ``bucket`` input) whose default retention
is in COMPLIANCE mode (GOVERNANCE can be bypassed with a permission) for at least the plan's
retention: ``derive.object_lock_retention``, in years when the plan writes years (S3 counts
calendar years), otherwise in days.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from continuity.durations import Duration
from policies.support import (
    S3_BUCKET,
    S3_OBJECT_LOCK,
    StackPolicy,
    data_buckets,
    kind,
    mapping,
    number,
    seen,
    stack_view,
)

NAME = "s3-bucket-require-object-lock"
DESCRIPTION = (
    "S3 buckets of immutable plan data have Object Lock in COMPLIANCE mode for the plan's retention."
)


def _covers(days: Any, years: Any, retention: Duration) -> bool:
    required = retention.days_ceil()
    if years is not None:
        count = number(years) or 0
        # A plan in years is met by as many calendar years; otherwise a year holds 365 days at least.
        return count >= retention.amount if retention.unit == "y" else count * 365 >= required
    return (number(days) or 0) >= required


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    for bucket in data_buckets(view):
        settings = view.ctx.bucket(bucket.name)
        if settings is None or settings.object_lock is None:
            continue
        wanted = f"{bucket.label} is immutable: {settings.object_lock}"
        enabled = bucket.resource.props.get("objectLockEnabled")
        if enabled is not True:
            report(f"{seen('objectLockEnabled', enabled)}; {wanted}", bucket.resource.urn)
        configs = view.dependents(bucket.resource, "bucket", S3_OBJECT_LOCK)
        if not configs:
            report(f"no {kind(S3_OBJECT_LOCK)} depends on this bucket; {wanted}", bucket.resource.urn)
        for config in configs:
            retention = mapping(mapping(config.props.get("rule")).get("defaultRetention"))
            mode = retention.get("mode")
            if mode != "COMPLIANCE":
                report(f"{seen('rule.defaultRetention.mode', mode)}; {wanted}", config.urn)
            days, years = retention.get("days"), retention.get("years")
            if days is None and years is None:
                report(f"rule.defaultRetention sets neither days nor years; {wanted}", config.urn)
            elif not _covers(days, years, bucket.item.retention):
                prop, value = ("years", years) if years is not None else ("days", days)
                report(f"{seen(f'rule.defaultRetention.{prop}', value)}; {wanted}", config.urn)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
