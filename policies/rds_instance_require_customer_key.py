"""rds-instance-require-customer-key: storage encrypted with a customer managed KMS key.

Good practice: a customer key can be shared with the DR account or region and its use audited;
the AWS managed ``aws/rds`` key can do neither, and cross-region replicas of encrypted instances
need a key in the DR region anyway. A replica inherits encryption from its source, so only its
key is judged. During preview a key created in the same stack is unknown: the SDK then reports
that this policy cannot run yet. Security that does not depend on the plan, so it judges every RDS
instance, in the plan or not.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import RDS_INSTANCE, ResourcePolicy, holder_label, seen

NAME = "rds-instance-require-customer-key"
DESCRIPTION = "RDS instances are encrypted with a customer managed KMS key."


def _aws_managed(key: str) -> bool:
    return key == "alias/aws/rds" or key.endswith(":alias/aws/rds")


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    wanted = f"{holder_label(args, ['rds'])} needs encryption with a customer managed KMS key"
    if not args.props.get("replicateSourceDb"):
        encrypted = args.props.get("storageEncrypted")
        if encrypted is not True:
            report(f"{seen('storageEncrypted', encrypted)}; {wanted}", None)
            return
    key = args.props.get("kmsKeyId")
    if not key:
        report(f"kmsKeyId is not set (the AWS managed key aws/rds); {wanted}", None)
    elif isinstance(key, str) and _aws_managed(key):
        report(f"kmsKeyId is {key}, an AWS managed key; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
