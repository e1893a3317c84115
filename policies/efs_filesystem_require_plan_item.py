"""efs-filesystem-require-plan-item: every EFS file system says why it needs no plan item.

An EFS file system holds files. The plan has no store for EFS, so no file system can belong to a plan
item: each needs a reasoned exemption, or its data moves into something the plan protects.

Nothing escapes the plan: a file system that belongs to no plan item is backed up by nothing the plan
promises and fails over nowhere. This policy flags every one that is not tagged with a data item of the
plan, unless it carries a reasoned exemption, ``continuity:exempt: "<why>"`` tag, which sets it aside
and which the check's report lists. AWS Backup Audit Manager's "resources are protected by a backup
plan" control asks the same of an account.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import EFS_FILE_SYSTEM, ResourcePolicy, require_plan_item

NAME = "efs-filesystem-require-plan-item"
DESCRIPTION = "Every EFS file system carries a reasoned exemption: the plan has no store for EFS."
STORES: tuple[str, ...] = ()


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_plan_item(args, report, STORES)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[EFS_FILE_SYSTEM],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
