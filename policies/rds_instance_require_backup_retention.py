"""rds-instance-require-backup-retention: automated backups kept as long as the plan asks.

RDS keeps automated backups (and with them point-in-time recovery) 1 to 35 days; 0 turns both
off. The plan's retention, within that range, is ``continuity.derive.rds_backup_retention_days``;
what lies beyond 35 days is kept by AWS Backup rules (backup-plan-require-retention). A live read
replica keeps no backups of its own (its source does), so it is not judged until promoted.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.derive import RDS_RETENTION_MAX_DAYS
from policies.support import (
    RDS_INSTANCE,
    ResourcePolicy,
    data_subject,
    days,
    not_applicable,
    number,
    seen,
)

NAME = "rds-instance-require-backup-retention"
DESCRIPTION = "RDS instances keep automated backups (point-in-time recovery) as long as the plan's retention."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds"])
    if args.props.get("replicateSourceDb"):
        not_applicable(args, "a live read replica keeps no automated backups; its source does")
    settings = subject.ctx.rds(subject.name)
    assert settings is not None, "derive: every rds item has RDS settings"
    required = settings.backup_retention_period
    wanted = f"{subject.label} keeps {days(required)}"
    if subject.item.retention.days_ceil() != required:
        wanted += f" (retention {subject.item.retention}, within RDS's 1-{RDS_RETENTION_MAX_DAYS} days)"
    value = args.props.get("backupRetentionPeriod")
    kept = number(value)
    if value is None:
        report(f"backupRetentionPeriod is not set (RDS keeps 1 day); {wanted}", None)
    elif kept == 0:
        report(f"backupRetentionPeriod is 0 days, which turns point-in-time recovery off; {wanted}", None)
    elif kept is None or kept < required:
        report(f"{seen('backupRetentionPeriod', value, 'days')}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
