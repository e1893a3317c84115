"""rds-cluster-require-plan-item: every RDS (Aurora) cluster says why it needs no plan item.

An Aurora cluster holds a database in its cluster volume. The plan has no store for clusters (its rds
items are RDS instances), so no cluster can belong to a plan item: each needs a reasoned exemption, or
its data moves into something the plan protects.

Nothing escapes the plan: a cluster that belongs to no plan item is backed up by nothing the plan
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

from policies.support import RDS_CLUSTER, ResourcePolicy, require_plan_item

NAME = "rds-cluster-require-plan-item"
DESCRIPTION = "Every RDS cluster carries a reasoned exemption: the plan has no store for clusters."
STORES: tuple[str, ...] = ()


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_plan_item(args, report, STORES)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_CLUSTER],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
