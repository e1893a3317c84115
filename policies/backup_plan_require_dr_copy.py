"""backup-plan-require-dr-copy: copy_to_dr recovery points are copied to the other region's vault.

For a ``copy_to_dr`` item every rule of its AWS Backup plan copies each recovery point to a vault
in the other region of the plan (the primary stack's plans copy to the DR region, the DR stack's
back to the primary), read from the ``destinationVaultArn`` of its copy actions.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import (
    BACKUP_PLAN,
    ResourcePolicy,
    arn_region,
    data_subject,
    items,
    mapping,
    not_applicable,
    show,
)

NAME = "backup-plan-require-dr-copy"
DESCRIPTION = "AWS Backup rules of copy_to_dr data copy every recovery point to the other region's vault."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds", "s3", "kubernetes"])
    if not subject.item.copy_to_dr:
        not_applicable(args, f"{subject.label} has copy_to_dr false")
    target = subject.ctx.other_region(subject.role or "primary")
    wanted = f"{subject.label} has copy_to_dr true: copies go to {target}"
    rules = [mapping(rule) for rule in items(args.props.get("rules"))]
    if not rules:
        report(f"rules is empty; {wanted}", None)
    for index, rule in enumerate(rules):
        copies = [mapping(c) for c in items(rule.get("copyActions"))]
        if not copies:
            report(f"rules[{index}] ({show(rule.get('ruleName'))}) has no copyActions; {wanted}", None)
            continue
        arns = [str(copy.get("destinationVaultArn")) for copy in copies]
        if any(arn_region(arn) == target for arn in arns):
            continue
        region = arn_region(arns[0])
        found = f"in {region}" if region else f"{show(arns[0])}, not a vault ARN"
        report(f"rules[{index}].copyActions[0].destinationVaultArn is {found}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[BACKUP_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
