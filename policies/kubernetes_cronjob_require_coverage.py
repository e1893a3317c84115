"""kubernetes-cronjob-require-coverage: every kubernetes item has its backup CronJob in this stack.

In-cluster data is backed up by nothing but its CronJob (AWS Backup cannot reach into the
cluster), so each stack declares one per ``store: kubernetes`` item, labelled
``continuity.data-item``. CronJobs labelled with an item the plan lacks, or one it keeps
elsewhere, are reported too. The CronJobs carry no role label: the stack's role is read from its
AWS resources, and a CronJob labelled with a role counts for that role only.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    K8S_CRON_JOB,
    LABEL_DATA_ITEM,
    LABEL_ROLE,
    StackPolicy,
    data_label,
    report_stray_tags,
    stack_role_label,
    stack_view,
)

NAME = "kubernetes-cronjob-require-coverage"
DESCRIPTION = "Every kubernetes data item of the plan has its backup CronJob in this stack."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    plan = view.ctx.plan
    jobs = view.labelled(K8S_CRON_JOB)
    stores = {name: item.store for name, item in plan.data.items()}
    report_stray_tags(
        view,
        [K8S_CRON_JOB],
        LABEL_DATA_ITEM,
        known=stores,
        accepted=["kubernetes"],
        report=report,
        found=jobs,
    )
    for role in sorted(view.roles()):
        present = {
            labels.get(LABEL_DATA_ITEM) for _, labels in jobs if labels.get(LABEL_ROLE) in (role, None)
        }
        for name, item in plan.data.items():
            if item.store == "kubernetes" and name not in present:
                report(
                    f'{data_label(name, item)} has no {K8S_CRON_JOB} labelled {LABEL_DATA_ITEM} "{name}" '
                    f"in {stack_role_label(role)}",
                    None,
                )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_CRON_JOB],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
