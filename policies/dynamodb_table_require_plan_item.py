"""dynamodb-table-require-plan-item: every DynamoDB table says why it needs no plan item.

A DynamoDB table holds data. The plan has no store for DynamoDB, so no table can belong to a plan item:
each needs a reasoned exemption, or its data moves into something the plan protects.

Nothing escapes the plan: a table that belongs to no plan item is backed up by nothing the plan promises
and fails over nowhere. This policy flags every one that is not tagged with a data item of the plan,
unless it carries a reasoned exemption, ``continuity:exempt: "<why>"`` tag, which sets it aside and
which the check's report lists. AWS Backup Audit Manager's "resources are protected by a backup plan"
control asks the same of an account.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import DYNAMODB_TABLE, ResourcePolicy, require_plan_item

NAME = "dynamodb-table-require-plan-item"
DESCRIPTION = "Every DynamoDB table carries a reasoned exemption: the plan has no store for DynamoDB."
STORES: tuple[str, ...] = ()


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_plan_item(args, report, STORES)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[DYNAMODB_TABLE],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
