"""rds-instance-require-final-snapshot: deleting a plan database leaves a final snapshot.

Good practice: automated backups go with a deleted instance unless retained, so the final
snapshot is the last recovery point. AWS takes no final snapshot of a read replica, so live
replicas are not judged; ``skipFinalSnapshot`` false also needs a ``finalSnapshotIdentifier``
or the delete itself fails.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_INSTANCE, ResourcePolicy, data_subject, not_applicable

NAME = "rds-instance-require-final-snapshot"
DESCRIPTION = "Deleting an RDS instance that holds plan data leaves a final snapshot."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds"])
    if args.props.get("replicateSourceDb"):
        not_applicable(args, "AWS takes no final snapshot of a read replica")
    if args.props.get("skipFinalSnapshot") is True:
        report(f"skipFinalSnapshot is true; deleting it would drop {subject.label} without a snapshot", None)
    elif not args.props.get("finalSnapshotIdentifier"):
        report(
            f"finalSnapshotIdentifier is not set; the final snapshot of {subject.label} needs a name "
            "(skipFinalSnapshot is false)",
            None,
        )


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)
