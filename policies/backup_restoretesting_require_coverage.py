"""backup-restoretesting-require-coverage: every item AWS Backup protects is restore-tested.

A backup nobody has restored is a hope. The plan's `testing.restore_test` asks for a restore test of
every item; for the items AWS Backup protects (rds and s3) the stacks declare AWS Backup restore
testing, so the test happens on schedule inside AWS. This policy finds, in this stack, each such
item's ``aws:backup/restoreTestingSelection``: one whose ``protectedResourceConditions`` select the
item's tag (``aws:ResourceTag/continuity:data-item``), of the item's resource type (RDS for rds, S3
for s3), whose ``restoreTestingPlanName`` is computed from a restore testing plan of this stack
(joined on the property dependency, known during preview when the name is not). In-cluster
(kubernetes) dumps are not in AWS Backup: scripts/restore_test.py tests them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from continuity.restore_testing import PROTECTED_RESOURCE_TYPES
from policies.support import (
    TAG_DATA_ITEM,
    TAG_SERVICE,
    StackPolicy,
    data_label,
    depends_on_type,
    items,
    mapping,
    show,
    stack_role_label,
    stack_view,
)

NAME = "backup-restoretesting-require-coverage"
DESCRIPTION = "Every rds and s3 data item has an AWS Backup restore testing selection in this stack."
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
ITEM_KEY = f"aws:ResourceTag/{TAG_DATA_ITEM}"
SERVICE_KEY = f"aws:ResourceTag/{TAG_SERVICE}"


def _conditions(props: Mapping[str, Any]) -> dict[str, Any]:
    """The selection's StringEquals conditions, by tag key."""
    conditions = mapping(props.get("protectedResourceConditions"))
    pairs = [mapping(c) for c in items(conditions.get("stringEquals"))]
    return {str(c.get("key")): c.get("value") for c in pairs}


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    plan = view.ctx.plan
    cadence = f"testing.restore_test asks for one every {plan.testing.restore_test}"
    selected: set[str] = set()
    for selection in view.of_type(RESTORE_TESTING_SELECTION):
        conditions = _conditions(selection.props)
        name = conditions.get(ITEM_KEY)
        item = plan.data.get(name) if isinstance(name, str) else None
        if item is None or conditions.get(SERVICE_KEY, plan.service) != plan.service:
            continue  # another service's, or not one item's: nothing of this plan's to judge
        label = data_label(str(name), item)
        wanted = PROTECTED_RESOURCE_TYPES.get(item.store)
        kind = selection.props.get("protectedResourceType")
        if wanted is None:
            report(
                f"{ITEM_KEY} is {show(name)}, which the plan keeps in {item.store}: AWS Backup does not "
                "protect it (scripts/restore_test.py tests its dumps)",
                selection.urn,
            )
            continue
        if kind != wanted:
            report(f"protectedResourceType is {show(kind)}; {label} is restored as {wanted}", selection.urn)
            continue
        if not depends_on_type(selection, "restoreTestingPlanName", [RESTORE_TESTING_PLAN]):
            report(
                f"restoreTestingPlanName is not computed from an {RESTORE_TESTING_PLAN} of this stack, "
                f"so nothing here schedules the test; {label}: {cadence}",
                selection.urn,
            )
            continue
        selected.add(str(name))
    for role in sorted(view.roles()):
        for name, item in plan.data.items():
            if item.store in PROTECTED_RESOURCE_TYPES and name not in selected:
                report(
                    f"{data_label(name, item)} has no {RESTORE_TESTING_SELECTION} selecting {ITEM_KEY} "
                    f"{show(name)} in {stack_role_label(role)}; {cadence}",
                    None,
                )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RESTORE_TESTING_SELECTION, RESTORE_TESTING_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)
