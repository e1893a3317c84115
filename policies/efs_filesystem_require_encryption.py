"""efs-filesystem-require-encryption: EFS file systems are encrypted at rest.

Security that does not depend on the plan, so it judges every file system, in the plan or not.
EFS turns encryption at rest on only when a file system is created (``encrypted``, default false):
an unencrypted one has to be copied to a new file system to be encrypted later (Amazon EFS User
Guide, "Encrypting data at rest").
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import EFS_FILE_SYSTEM, ResourcePolicy, holder_label, seen

NAME = "efs-filesystem-require-encryption"
DESCRIPTION = "EFS file systems are encrypted at rest."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    encrypted = args.props.get("encrypted")
    if encrypted is not True:
        report(f"{seen('encrypted', encrypted)}; {holder_label(args, [])} must be encrypted at rest", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[EFS_FILE_SYSTEM],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
