"""rds-instance-enable-multi-az: a standby in a second availability zone for every writable instance.

Good practice rather than a plan number: losing one zone should not cost a regional failover.
A live read replica in the DR region runs single-AZ until it is promoted (then the DR stack sets
``multiAz``), so replicas are not judged.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_INSTANCE, ResourcePolicy, data_subject, not_applicable, seen

NAME = "rds-instance-enable-multi-az"
DESCRIPTION = "RDS instances that take writes run Multi-AZ, so one zone's failure is not a regional failover."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds"])
    if args.props.get("replicateSourceDb"):
        not_applicable(args, "a live read replica runs single-AZ until it is promoted")
    value = args.props.get("multiAz")
    if value is not True:
        report(f"{seen('multiAz', value)}; {subject.label} has no standby in another availability zone", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)
