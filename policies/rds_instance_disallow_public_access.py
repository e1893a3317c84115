"""rds-instance-disallow-public-access: plan databases are not reachable from the internet.

Good practice: ``publiclyAccessible`` gives the instance a public address; with a permissive
security group the data the plan protects is one password away from anyone.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_INSTANCE, ResourcePolicy, data_subject

NAME = "rds-instance-disallow-public-access"
DESCRIPTION = "RDS instances holding plan data are not publicly accessible."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds"])
    if args.props.get("publiclyAccessible") is True:
        report(f"publiclyAccessible is true; {subject.label} must not be reachable from the internet", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
