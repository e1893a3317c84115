"""s3-bucket-require-coverage: every s3 and kubernetes item of the plan has its bucket in this stack.

S3 items keep their objects in it; kubernetes items their dumps. Both stacks hold one per item
(the DR bucket receives replication for copy_to_dr items). Buckets tagged with an item the plan
lacks, or one it keeps in RDS, are reported too.
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
    TAG_DATA_ITEM,
    StackPolicy,
    covered,
    data_label,
    kind,
    report_stray_tags,
    stack_role_label,
    stack_view,
)

NAME = "s3-bucket-require-coverage"
DESCRIPTION = "Every s3 and kubernetes data item of the plan has its S3 bucket in this stack."
STORES = ("s3", "kubernetes")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    plan = view.ctx.plan
    stores = {name: item.store for name, item in plan.data.items()}
    report_stray_tags(view, S3_BUCKET, TAG_DATA_ITEM, known=stores, accepted=STORES, report=report)
    for role in sorted(view.roles()):
        for name, item in plan.data.items():
            if item.store in STORES and not covered(view, S3_BUCKET, TAG_DATA_ITEM, name, role):
                report(
                    f'{data_label(name, item)} has no {kind(S3_BUCKET)} tagged {TAG_DATA_ITEM} "{name}" '
                    f"in {stack_role_label(role)}",
                    None,
                )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[*S3_BUCKET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
