"""rds-cluster-require-encryption: RDS (Aurora) clusters are encrypted at rest.

Security that does not depend on the plan, so it judges every cluster, in the plan or not. A
provisioned cluster is encrypted only when created with ``storageEncrypted`` (default false) and
cannot be encrypted later except by restoring a copy; an Aurora Serverless v1 cluster
(``engineMode: serverless``) is always encrypted (Amazon Aurora User Guide, "Encrypting Amazon
Aurora resources").
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_CLUSTER, ResourcePolicy, holder_label, not_applicable, seen

NAME = "rds-cluster-require-encryption"
DESCRIPTION = "RDS clusters are encrypted at rest."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("engineMode") == "serverless":
        not_applicable(args, "Aurora Serverless v1 clusters are always encrypted")
    encrypted = args.props.get("storageEncrypted")
    if encrypted is not True:
        report(
            f"{seen('storageEncrypted', encrypted)}; {holder_label(args, [])} must be encrypted at rest", None
        )


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_CLUSTER],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
