"""backup-plan-require-retention: recovery points (and their DR copies) kept as long as the plan says.

Every rule of an item's AWS Backup plan, and every copy action, keeps its recovery points at
least the item's ``retention`` (a lifecycle without ``deleteAfter`` keeps them for ever).
Continuous backups keep at most 35 days (an AWS limit), so a continuous rule owes
``min(retention, 35 days)``; longer S3 retention is carried by the bucket's versions
(s3-bucket-require-version-retention). An item with an ``archive`` also needs a rule that keeps
the archive's retention.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.plan import CONTINUOUS_RETENTION_MAX_DAYS
from policies.support import (
    BACKUP_PLAN,
    ResourcePolicy,
    data_subject,
    days,
    items,
    mapping,
    number,
    seen,
)

NAME = "backup-plan-require-retention"
DESCRIPTION = (
    "AWS Backup rules and their copies keep recovery points at least as long as the plan's retention."
)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds", "s3", "kubernetes"])
    item = subject.item
    retention_days = item.retention.days_ceil()
    longest: list[float | None] = []  # what each rule keeps (None: for ever)
    for index, rule in enumerate(mapping(r) for r in items(args.props.get("rules"))):
        required = retention_days
        wanted = f"{subject.label} keeps {days(required)}"
        if rule.get("enableContinuousBackup") is True and retention_days > CONTINUOUS_RETENTION_MAX_DAYS:
            required = CONTINUOUS_RETENTION_MAX_DAYS
            wanted = (
                f"{subject.label} keeps {days(required)} of continuous backups (retention "
                f"{item.retention}; AWS keeps continuous backups at most {days(required)})"
            )
        kept = mapping(rule.get("lifecycle")).get("deleteAfter")
        longest.append(number(kept) if kept is not None else None)
        if kept is not None and (number(kept) or 0) < required:
            report(f"{seen(f'rules[{index}].lifecycle.deleteAfter', kept, 'days')}; {wanted}", None)
        for copy_index, copy in enumerate(mapping(c) for c in items(rule.get("copyActions"))):
            copied = mapping(copy.get("lifecycle")).get("deleteAfter")
            if copied is not None and (number(copied) or 0) < required:
                prop = f"rules[{index}].copyActions[{copy_index}].lifecycle.deleteAfter"
                report(f"{seen(prop, copied, 'days')}; {wanted}", None)
    if item.archive is not None and longest:
        archive_days = item.archive.retention.days_ceil()
        if all(kept is not None and kept < archive_days for kept in longest):
            listed = ", ".join(days(k) for k in longest if k is not None)
            report(
                f"no rule keeps {days(archive_days)} (rules keep {listed}); {subject.label} archive keeps "
                f"{item.archive.retention}",
                None,
            )


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[BACKUP_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
