"""s3-bucket-require-plan-item: every S3 bucket belongs to an s3 or kubernetes item, or says why not.

A bucket holds objects. The plan's s3 items (and the dumps of its kubernetes items) are what the stacks
version, lock, replicate and back up; a bucket outside them has none of that.

Nothing escapes the plan: a bucket that belongs to no plan item is locked, replicated and backed up by
nothing the plan promises. This policy flags every one that is not tagged with a data item of the plan
held in s3 (or the dumps of a kubernetes item), unless it carries a reasoned exemption,
``continuity:exempt: "<why>"`` tag, which sets it aside and which the check's report lists. AWS Backup
Audit Manager's "resources are protected by a backup plan" control asks the same of an account.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import S3_BUCKET, ResourcePolicy, require_plan_item

NAME = "s3-bucket-require-plan-item"
DESCRIPTION = (
    "Every S3 bucket belongs to an s3 or kubernetes data item of the plan or carries a reasoned exemption."
)
STORES: tuple[str, ...] = ("s3", "kubernetes")


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_plan_item(args, report, STORES)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
