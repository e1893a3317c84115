"""kubernetes-pvc-require-plan-item: every in-cluster volume belongs to a kubernetes item, or says why not.

A PersistentVolumeClaim holds in-cluster data, and so does a StatefulSet through its
volumeClaimTemplates (one claim per replica, created by the controller, never declared in the stack).
The plan's kubernetes items are what the backup CronJobs dump to S3; a volume outside them is dumped by
nothing.

Nothing escapes the plan: a volume that belongs to no plan item is backed up by nothing the plan
promises. This policy flags every one that is not tagged (labelled ``continuity.data-item``) with a data
item of the plan held in kubernetes, unless it carries a reasoned exemption, ``continuity.exempt:
"<why>"`` annotation (label values cannot hold free text), which sets it aside and which the check's
report lists. AWS Backup Audit Manager's "resources are protected by a backup plan" control asks the
same of an account.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import (
    K8S_PERSISTENT_VOLUME_CLAIM,
    K8S_STATEFUL_SET,
    ResourcePolicy,
    items,
    mapping,
    not_applicable,
    require_plan_item,
)

NAME = "kubernetes-pvc-require-plan-item"
DESCRIPTION = (
    "Every PersistentVolumeClaim and StatefulSet volume claim belongs to a kubernetes data item or "
    "carries a reasoned exemption."
)
STORES: tuple[str, ...] = ("kubernetes",)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == K8S_STATEFUL_SET and not items(
        mapping(args.props.get("spec")).get("volumeClaimTemplates")
    ):
        not_applicable(args, "no spec.volumeClaimTemplates: the StatefulSet keeps no volume of its own")
    require_plan_item(args, report, STORES)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_PERSISTENT_VOLUME_CLAIM, K8S_STATEFUL_SET],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
