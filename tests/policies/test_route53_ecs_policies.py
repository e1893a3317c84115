"""Route 53 and ECS policies: a compliant stack passes; each case breaks one property and gets the exact violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_PLAN
from tests.policies.conftest import EXAMPLES, Check, plan_at
from tests.policies.synthetic import (
    DELETE,
    ECS_SERVICE,
    RECORD,
    STACK,
    stack_states,
    urn,
    without,
    without_dependency,
)
from tests.policies.synthetic import changed as set_prop

Mutation = Callable[[list], list]
BACKUP_RESTORE = EXAMPLES / "cloud-optimizer.yaml"
VAPORA = EXAMPLES / "vapora.yaml"
RECORD_PRIMARY = urn("primary", RECORD, "orders-record")
NO_FAILOVER = (
    'without one Route 53 never fails over from this PRIMARY record; plan tier "critical" has RTO 30m'
)


def stack(
    role: str = "primary", plan: Path = DEFAULT_PLAN, preview: bool = False, promoted: bool = False
) -> Callable[[], list]:
    return lambda: stack_states(plan_at(plan), role, preview=preview, promoted=promoted)


def unchanged(states: list) -> list:
    return states


def prop(name: str, path: str, value: object) -> Mutation:
    return lambda states: set_prop(states, name, path, value)


def unwired(value: object) -> Mutation:
    """The record's healthCheckId no longer computed from a health check of this stack."""
    return lambda states: set_prop(
        without_dependency(states, "orders-record", "healthCheckId"), "orders-record", "healthCheckId", value
    )


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack(preview=True), unchanged, [], id="preview_health_check_of_this_stack"),
        pytest.param(stack("dr"), unwired(DELETE), [], id="secondary_record_not_judged"),
        pytest.param(
            stack(),
            unwired(DELETE),
            [(RECORD_PRIMARY, f"healthCheckId is not set; {NO_FAILOVER}")],
            id="no_health_check",
        ),
        pytest.param(
            stack(),
            unwired(""),
            [(RECORD_PRIMARY, f'healthCheckId is ""; {NO_FAILOVER}')],
            id="empty_health_check",
        ),
        pytest.param(stack(), unwired("0f1e2d3c-existing-check"), [], id="existing_health_check_by_id"),
        pytest.param(
            stack(preview=True),
            lambda s: without_dependency(s, "orders-record", "healthCheckId"),
            [
                (
                    urn("primary", STACK, "continuity-primary"),
                    "can't run policy 'route53-record-require-health-check' from policy pack 'continuity@v0.0.1' during "
                    "preview: string value at .healthCheckId can't be known during preview",
                )
            ],
            id="preview_health_check_of_unknown_origin",
        ),
    ],
)
def test_route53_record_require_health_check(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("route53-record-require-health-check", mutation(make())) == expected


API = 'plan service "api" (tier critical)'
SERVICE = "orders-api-service"


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack("dr", promoted=True), DEFAULT_PLAN, unchanged, [], id="promoted_baseline"),
        pytest.param(
            stack("dr", BACKUP_RESTORE), BACKUP_RESTORE, unchanged, [], id="backup_restore_keeps_nothing_warm"
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop(SERVICE, "desiredCount", 0.0),
            [
                (
                    urn("dr", ECS_SERVICE, SERVICE),
                    f"desiredCount is 0; {API} keeps 1 task warm in the DR region (capacity.dr)",
                )
            ],
            id="dr_scaled_to_zero",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop(SERVICE, "desiredCount", DELETE),
            [
                (
                    urn("dr", ECS_SERVICE, SERVICE),
                    f"desiredCount is not set (0 tasks); {API} keeps 1 task warm in the DR region (capacity.dr)",
                )
            ],
            id="dr_count_missing",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(SERVICE, "desiredCount", 2.0),
            [
                (
                    urn("primary", ECS_SERVICE, SERVICE),
                    f"desiredCount is 2; {API} runs 4 tasks in the primary region (capacity.primary)",
                )
            ],
            id="primary_below_capacity",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop(SERVICE, "tags.continuity:role", DELETE),
            [],
            id="no_role_not_judged",
        ),
    ],
)
def test_ecs_service_require_capacity(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("ecs-service-require-capacity", mutation(make()), plan) == expected


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=VAPORA), VAPORA, unchanged, [], id="kubernetes_services_need_no_ecs"),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            lambda s: without(s, SERVICE),
            [
                (
                    urn("dr", STACK, "continuity-dr"),
                    f'{API} has no aws:ecs/service:Service tagged continuity:workload "api" in the DR stack',
                )
            ],
            id="dr_service_missing",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(SERVICE, "tags.continuity:workload", "web"),
            [
                (
                    urn("primary", ECS_SERVICE, SERVICE),
                    'continuity:workload is "web"; the plan has no such entry (services: api)',
                ),
                (
                    urn("primary", STACK, "continuity-primary"),
                    f'{API} has no aws:ecs/service:Service tagged continuity:workload "api" in the primary stack',
                ),
            ],
            id="tagged_with_unknown_service",
        ),
    ],
)
def test_ecs_service_require_coverage(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("ecs-service-require-coverage", mutation(make()), plan) == expected
