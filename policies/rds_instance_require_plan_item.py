"""rds-instance-require-plan-item: every RDS instance belongs to an rds item of the plan, or says why not.

An RDS instance holds a database. The plan's rds items are what the stacks back up (AWS Backup, point-
in-time recovery), replicate to the DR region and judge against an RPO; an instance outside them has
none of that.

Nothing escapes the plan: a database that belongs to no plan item is backed up by nothing the plan
promises and fails over nowhere. This policy flags every one that is not tagged with a data item of the
plan held in rds, unless it carries a reasoned exemption, ``continuity:exempt: "<why>"`` tag, which sets
it aside and which the check's report lists. AWS Backup Audit Manager's "resources are protected by a
backup plan" control asks the same of an account.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_INSTANCE, ResourcePolicy, require_plan_item

NAME = "rds-instance-require-plan-item"
DESCRIPTION = "Every RDS instance belongs to an rds data item of the plan or carries a reasoned exemption."
STORES: tuple[str, ...] = ("rds",)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_plan_item(args, report, STORES)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
