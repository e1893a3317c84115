"""backup-plan-require-coverage: every rds and s3 item has an AWS Backup plan, and each plan a selection.

AWS Backup applies a plan's rules to every resource of every selection of that plan, which is
why the stacks declare one plan per data item (tagged with it) in each region. This policy finds
the items without a plan in this stack, plans without an ``aws:backup/selection`` (joined on
its ``planId``; such a plan backs up nothing), and plans tagged with an item the plan lacks.
In-cluster (kubernetes) items are dumped by a CronJob instead.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    BACKUP_PLAN,
    BACKUP_SELECTION,
    TAG_DATA_ITEM,
    StackPolicy,
    covered,
    data_label,
    report_stray_tags,
    stack_role_label,
    stack_view,
)

NAME = "backup-plan-require-coverage"
DESCRIPTION = "Every rds and s3 data item has an AWS Backup plan with a selection in this stack."
PROTECTED_STORES = ("rds", "s3")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    plan = view.ctx.plan
    types = [BACKUP_PLAN]
    stores = {name: item.store for name, item in plan.data.items()}
    report_stray_tags(view, types, TAG_DATA_ITEM, known=stores, accepted=stores.values(), report=report)
    for role in sorted(view.roles()):
        for name, item in plan.data.items():
            if item.store in PROTECTED_STORES and not covered(view, types, TAG_DATA_ITEM, name, role):
                report(
                    f'{data_label(name, item)} has no {BACKUP_PLAN} tagged {TAG_DATA_ITEM} "{name}" '
                    f"in {stack_role_label(role)}",
                    None,
                )
    for backup_plan, tags in view.tagged(*types):
        tagged = tags.get(TAG_DATA_ITEM)
        protected = plan.data.get(tagged) if isinstance(tagged, str) else None
        if protected is not None and not view.dependents(backup_plan, "planId", [BACKUP_SELECTION]):
            report(
                f"no {BACKUP_SELECTION} depends on this plan's id, so it backs up nothing; "
                f"{data_label(str(tagged), protected)} needs one",
                backup_plan.urn,
            )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[BACKUP_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
