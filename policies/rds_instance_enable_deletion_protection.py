"""rds-instance-enable-deletion-protection: no plan database goes away in one API call.

Good practice: a replacement or a stray ``pulumi destroy`` would otherwise delete the database
and, with it, its automated backups. Replicas are judged too: in the DR region the replica is
the copy a failover promotes.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_INSTANCE, ResourcePolicy, data_subject, seen

NAME = "rds-instance-enable-deletion-protection"
DESCRIPTION = "RDS instances holding plan data have deletion protection on."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds"])
    value = args.props.get("deletionProtection")
    if value is not True:
        report(f"{seen('deletionProtection', value)}; {subject.label} could be deleted in one call", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)
