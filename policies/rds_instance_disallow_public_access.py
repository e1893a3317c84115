"""rds-instance-disallow-public-access: no database instance is reachable from the internet.

Good practice: ``publiclyAccessible`` gives the instance a public address; with a permissive
security group its data is one password away from anyone. Security that does not depend on the plan,
so it judges every RDS instance and Aurora cluster instance, in the plan or not.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_CLUSTER_INSTANCE, RDS_INSTANCE, ResourcePolicy, holder_label

NAME = "rds-instance-disallow-public-access"
DESCRIPTION = "RDS instances and Aurora cluster instances are not publicly accessible."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("publiclyAccessible") is True:
        label = holder_label(args, ["rds"])
        report(f"publiclyAccessible is true; {label} must not be reachable from the internet", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE, RDS_CLUSTER_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
