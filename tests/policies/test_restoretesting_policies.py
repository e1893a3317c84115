"""AWS Backup restore testing policies: a compliant stack passes; each case breaks one property or
one join and gets the exact violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_PLAN
from tests.policies.conftest import EXAMPLES, Check, plan_at
from tests.policies.synthetic import (
    DELETE,
    RESTORE_TESTING_PLAN,
    RESTORE_TESTING_SELECTION,
    STACK,
    stack_states,
    urn,
    without,
    without_dependency,
)
from tests.policies.synthetic import changed as set_prop

Mutation = Callable[[list], list]
KATYA = EXAMPLES / "katya.yaml"
VAPORA = EXAMPLES / "vapora.yaml"
DATABASE = 'plan data "database" (tier critical)'
FILES = 'plan data "user-files" (tier important)'
DATABASE_SELECTION = "orders-database-restore-testing-selection"
FILES_SELECTION = "orders-user-files-restore-testing-selection"
FILES_TESTING = "orders-user-files-restore-testing"
EVERY_30D = "testing.restore_test asks for one every 30d"


def stack(role: str = "primary", plan: Path = DEFAULT_PLAN, preview: bool = False) -> Callable[[], list]:
    return lambda: stack_states(plan_at(plan), role, preview=preview)


def unchanged(states: list) -> list:
    return states


def prop(name: str, path: str, value: object) -> Mutation:
    return lambda states: set_prop(states, name, path, value)


def selection_urn(name: str, role: str = "primary") -> str:
    return urn(role, RESTORE_TESTING_SELECTION, name)


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(preview=True), DEFAULT_PLAN, unchanged, [], id="first_preview_names_unknown"),
        pytest.param(stack(plan=KATYA), KATYA, unchanged, [], id="four_items"),
        pytest.param(stack(plan=VAPORA), VAPORA, unchanged, [], id="in_cluster_dumps_are_the_scripts"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(s, FILES_SELECTION),
            [
                (
                    urn("primary", STACK, "continuity-primary"),
                    f"{FILES} has no {RESTORE_TESTING_SELECTION} selecting "
                    f'aws:ResourceTag/continuity:data-item "user-files" in the primary stack; {EVERY_30D}',
                )
            ],
            id="item_not_selected",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop(
                FILES_SELECTION,
                "protectedResourceConditions.stringEquals.1.value",
                "user-file",
            ),
            [
                (
                    urn("dr", STACK, "continuity-dr"),
                    f"{FILES} has no {RESTORE_TESTING_SELECTION} selecting "
                    f'aws:ResourceTag/continuity:data-item "user-files" in the DR stack; {EVERY_30D}',
                )
            ],
            id="condition_names_no_item",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_SELECTION, "protectedResourceType", "Aurora"),
            [
                (
                    selection_urn(DATABASE_SELECTION),
                    f'protectedResourceType is "Aurora"; {DATABASE} is restored as RDS',
                ),
                (
                    urn("primary", STACK, "continuity-primary"),
                    f"{DATABASE} has no {RESTORE_TESTING_SELECTION} selecting "
                    f'aws:ResourceTag/continuity:data-item "database" in the primary stack; {EVERY_30D}',
                ),
            ],
            id="wrong_resource_type",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without_dependency(s, FILES_SELECTION, "restoreTestingPlanName"),
            [
                (
                    selection_urn(FILES_SELECTION),
                    f"restoreTestingPlanName is not computed from an {RESTORE_TESTING_PLAN} of this stack, so "
                    f"nothing here schedules the test; {FILES}: {EVERY_30D}",
                ),
                (
                    urn("primary", STACK, "continuity-primary"),
                    f"{FILES} has no {RESTORE_TESTING_SELECTION} selecting "
                    f'aws:ResourceTag/continuity:data-item "user-files" in the primary stack; {EVERY_30D}',
                ),
            ],
            id="selection_in_no_plan_of_the_stack",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_SELECTION, "protectedResourceConditions.stringEquals.0.value", "billing"),
            [
                (
                    urn("primary", STACK, "continuity-primary"),
                    f"{DATABASE} has no {RESTORE_TESTING_SELECTION} selecting "
                    f'aws:ResourceTag/continuity:data-item "database" in the primary stack; {EVERY_30D}',
                )
            ],
            id="another_services_selection_covers_nothing",
        ),
    ],
)
def test_backup_restoretesting_require_coverage(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-restoretesting-require-coverage", mutation(make()), plan) == expected


TESTING_URN = urn("primary", RESTORE_TESTING_PLAN, FILES_TESTING)
FILES_EVERY_30D = f"{FILES} needs a restore test at least every 30d (testing.restore_test)"


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=KATYA), KATYA, unchanged, [], id="monthly_plan_31d"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(FILES_TESTING, "scheduleExpression", "cron(0 5 1 * ? *)"),
            [
                (
                    TESTING_URN,
                    f"scheduleExpression cron(0 5 1 * ? *) leaves up to 31d between restore tests; {FILES_EVERY_30D}",
                )
            ],
            id="monthly_for_a_30_day_cadence",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(FILES_TESTING, "scheduleExpressionTimezone", "Europe/Berlin"),
            [
                (
                    TESTING_URN,
                    "scheduleExpression cron(0 5 1/30 * ? *) leaves up to 30d 1h (daylight saving in Europe/Berlin) "
                    f"between restore tests; {FILES_EVERY_30D}",
                )
            ],
            id="daylight_saving_zone_adds_an_hour",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(FILES_TESTING, "scheduleExpression", "cron(0 5 1 * ? 2027)"),
            [
                (
                    TESTING_URN,
                    "scheduleExpression cannot be judged: cron(0 5 1 * ? 2027): year field '2027' makes the "
                    f"schedule stop; only * can be judged; {FILES_EVERY_30D}",
                )
            ],
            id="schedule_that_cannot_be_judged",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(FILES_TESTING, "scheduleExpression", DELETE),
            [(TESTING_URN, f"scheduleExpression is not set; {FILES_EVERY_30D}")],
            id="no_schedule",
        ),
    ],
)
def test_backup_restoretesting_require_frequency(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-restoretesting-require-frequency", mutation(make()), plan) == expected
