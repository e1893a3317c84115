"""rds-instance-require-coverage: every rds item of the plan has its database in this stack.

The primary stack runs each database; the DR stack keeps a replica of each under pilot-light
and warm-standby (backup-restore keeps only replicated backups, judged by
rds-instance-require-backup-replication). Resource policies judge what exists; this one finds
what is missing, and instances tagged with an item the plan does not hold in RDS.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    RDS_INSTANCE,
    TAG_DATA_ITEM,
    StackPolicy,
    covered,
    data_label,
    report_stray_tags,
    stack_role_label,
    stack_view,
)

NAME = "rds-instance-require-coverage"
DESCRIPTION = "Every rds data item of the plan has its RDS instance in this stack (a replica in DR)."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    plan = view.ctx.plan
    types = [RDS_INSTANCE]
    stores = {name: item.store for name, item in plan.data.items()}
    report_stray_tags(view, types, TAG_DATA_ITEM, known=stores, accepted=["rds"], report=report)
    for role in sorted(view.roles()):
        if role == "dr" and not plan.replicated_database:
            continue
        for name, item in plan.data.items():
            if item.store == "rds" and not covered(view, types, TAG_DATA_ITEM, name, role):
                where = stack_role_label(role)
                if role == "dr":
                    where += f" (strategy {plan.strategy} keeps a replica there)"
                label = data_label(name, item)
                report(f'{label} has no {RDS_INSTANCE} tagged {TAG_DATA_ITEM} "{name}" in {where}', None)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
