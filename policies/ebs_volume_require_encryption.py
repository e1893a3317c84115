"""ebs-volume-require-encryption: EBS volumes are encrypted at rest.

Security that does not depend on the plan, so it judges every volume, in the plan or not. A volume
is encrypted only when created so (``encrypted``) or when the account and region encrypt new volumes
by default, which a stack cannot show; an existing unencrypted volume cannot be encrypted in place
(Amazon EBS User Guide, "Amazon EBS encryption"). Declare ``encrypted: true`` so the volume does not
depend on an account setting.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import EBS_VOLUME, ResourcePolicy, holder_label, seen

NAME = "ebs-volume-require-encryption"
DESCRIPTION = "EBS volumes are encrypted at rest."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    encrypted = args.props.get("encrypted")
    if encrypted is not True:
        report(f"{seen('encrypted', encrypted)}; {holder_label(args, [])} must be encrypted at rest", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[EBS_VOLUME],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
