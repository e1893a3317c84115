"""s3-bucket-require-dr-replication: copy_to_dr data is replicated into its DR bucket.

A stack policy of the DR stack: the DR stack declares the ``aws:s3/bucketReplicationConfig`` on
the primary bucket (its ``region`` is the primary region, its ``bucket`` the primary bucket's
name from the primary stack), and its ``rules[].destination.bucket`` is the DR bucket's ARN. The
only join that holds during preview is that property dependency: ``rules`` depending on the DR
bucket. At least one rule must be enabled.
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
    S3_REPLICATION,
    StackPolicy,
    data_buckets,
    items,
    kind,
    mapping,
    not_applicable,
    seen,
    stack_view,
)

NAME = "s3-bucket-require-dr-replication"
DESCRIPTION = "In the DR stack, every bucket of copy_to_dr data receives replication from its primary bucket."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    if "dr" not in view.roles():
        not_applicable(args, "not the DR stack: replication into the DR region is declared there")
    primary = view.ctx.plan.regions.primary
    for bucket in data_buckets(view):
        if not bucket.item.copy_to_dr or bucket.role == "primary":
            continue
        wanted = f"{bucket.label} has copy_to_dr true"
        configs = view.dependents(bucket.resource, "rules", S3_REPLICATION)
        if not configs:
            report(
                f"no {kind(S3_REPLICATION)} replicates into this bucket (none has rules depending on it); "
                f"{wanted}",
                bucket.resource.urn,
            )
        for config in configs:
            rules = [mapping(rule) for rule in items(config.props.get("rules"))]
            if not rules:
                report(f"rules is empty; {wanted}", config.urn)
            elif not any(rule.get("status") == "Enabled" for rule in rules):
                report(f"{seen('rules[0].status', rules[0].get('status'))}; {wanted}", config.urn)
            region = config.props.get("region")
            if region is None and config.provider is not None:
                region = config.provider.props.get("region")
            if region is not None and region != primary:
                report(
                    f"region is {region}; {wanted}, and its replication belongs on the primary bucket "
                    f"in {primary}",
                    config.urn,
                )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
