"""AWS Backup policies: a compliant stack passes; each case breaks one property and gets the exact violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_PLAN, ROOT
from tests.policies.conftest import EXAMPLES, Check, plan_at
from tests.policies.synthetic import (
    BACKUP_PLAN,
    DELETE,
    STACK,
    VAULT,
    VAULT_LOCK,
    stack_states,
    urn,
    without,
    without_dependency,
)
from tests.policies.synthetic import changed as set_prop

Mutation = Callable[[list], list]
KATYA = EXAMPLES / "katya.yaml"
VAPORA = EXAMPLES / "vapora.yaml"

DATABASE_PLAN = "orders-database-backup-plan"
FILES_PLAN = "orders-user-files-backup-plan"
AUDIT_PLAN = "orders-audit-logs-backup-plan"
DATABASE = 'plan data "database" (tier critical)'
FILES = 'plan data "user-files" (tier important)'
AUDIT = 'plan data "audit-logs" (tier critical)'


def plan_urn(name: str, role: str = "primary") -> str:
    return urn(role, BACKUP_PLAN, name)


def stack(role: str = "primary", plan: Path = DEFAULT_PLAN) -> Callable[[], list]:
    return lambda: stack_states(plan_at(plan), role)


def unchanged(states: list) -> list:
    return states


def prop(name: str, path: str, value: object) -> Mutation:
    return lambda states: set_prop(states, name, path, value)


def props(name: str, **values: object) -> Mutation:
    def mutate(states: list) -> list:
        for path, value in values.items():
            states = set_prop(states, name, path.replace("__", "."), value)
        return states

    return mutate


EVERY_HOUR = f"{FILES} needs a backup at least every 1h"
# The default plan's user-files needs continuous backup for its 1-hour RPO; with a 4-hour RPO
# (this plan) its hourly schedule keeps it alone, so schedules and windows are judged here.
SCHEDULED = ROOT / "tests" / "fixtures" / "plans" / "scheduled-user-files.yaml"
CONTINUOUS_FOR_RPO = (
    f"{FILES} needs continuous backup (scheduled backups alone risk 1h gap + 1h start window + 2h "
    "completion window = 4h, over tier important RPO 1h)"
)


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=KATYA), KATYA, unchanged, [], id="continuous_with_weekly_archive"),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.schedule", "cron(0 5 * * ? *)"),
            [
                (
                    plan_urn(FILES_PLAN),
                    f"rules[0].schedule cron(0 5 * * ? *) leaves up to 24h between backups; {EVERY_HOUR}",
                )
            ],
            id="daily_for_hourly_item",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.schedule", "cron(0 * ? * MON-FRI *)"),
            [
                (
                    plan_urn(FILES_PLAN),
                    f"rules[0].schedule cron(0 * ? * MON-FRI *) leaves up to 2d 1h between backups; {EVERY_HOUR}",
                )
            ],
            id="weekdays_only_leave_the_weekend",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.schedule", "cron(0 5 * * ? 2027)"),
            [
                (
                    plan_urn(FILES_PLAN),
                    "rules[0].schedule cannot be judged: cron(0 5 * * ? 2027): year field '2027' makes the schedule "
                    f"stop; only * can be judged; {EVERY_HOUR}",
                )
            ],
            id="schedule_that_cannot_be_judged",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.schedule", DELETE),
            [(plan_urn(FILES_PLAN), f"rules[0].schedule is not set, so the rule never runs; {EVERY_HOUR}")],
            id="no_schedule",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.scheduleExpressionTimezone", "America/New_York"),
            [
                (
                    plan_urn(FILES_PLAN),
                    "rules[0].schedule cron(0 * * * ? *) leaves up to 2h (daylight saving in America/New_York) "
                    f"between backups; {EVERY_HOUR}",
                )
            ],
            id="daylight_saving_zone_adds_an_hour",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.scheduleExpressionTimezone", "Etc/GMT-9"),
            [],
            id="zone_without_daylight_saving",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            props(FILES_PLAN, rules__0__schedule="cron(0 5 * * ? *)", rules__0__enableContinuousBackup=True),
            [],
            id="continuous_backup_meets_any_frequency",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules", []),
            [(plan_urn(FILES_PLAN), f"rules is empty; {EVERY_HOUR}")],
            id="no_rules",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "rules.0.enableContinuousBackup", False),
            [
                (
                    plan_urn(DATABASE_PLAN),
                    f"no rule has enableContinuousBackup true; {DATABASE} needs continuous backup (frequency continuous)",
                )
            ],
            id="continuous_item_backed_up_hourly",
        ),
        pytest.param(
            stack(plan=KATYA),
            KATYA,
            prop("katya-critical-db-backup-plan", "rules.0.enableContinuousBackup", False),
            [
                (
                    plan_urn("katya-critical-db-backup-plan"),
                    'no rule has enableContinuousBackup true; plan data "critical-db" (tier critical) needs continuous '
                    "backup (frequency 15m, more often than AWS Backup schedules)",
                )
            ],
            id="under_an_hour_needs_continuous",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(FILES_PLAN, "rules.1.enableContinuousBackup", False),
            [(plan_urn(FILES_PLAN), f"no rule has enableContinuousBackup true; {CONTINUOUS_FOR_RPO}")],
            id="schedule_alone_would_lose_more_than_the_rpo",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.completionWindow", 180.0),
            [
                (
                    plan_urn(FILES_PLAN),
                    "rules[0].schedule cron(0 * * * ? *) leaves up to 1h between backups, and with its "
                    f"startWindow and completionWindow up to 5h at risk; {FILES} allows 4h (the plan's rule "
                    "user-files-scheduled)",
                )
            ],
            id="completion_window_wider_than_the_plans",
        ),
        pytest.param(
            stack(plan=SCHEDULED),
            SCHEDULED,
            prop(FILES_PLAN, "rules.0.startWindow", DELETE),
            [
                (
                    plan_urn(FILES_PLAN),
                    "rules[0].schedule cron(0 * * * ? *) leaves up to 1h between backups, and with its "
                    f"startWindow and completionWindow without bound (a window is not set) at risk; {FILES} "
                    "allows 4h (the plan's rule user-files-scheduled)",
                )
            ],
            id="start_window_not_set",
        ),
    ],
)
def test_backup_plan_require_frequency(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-plan-require-frequency", mutation(make()), plan) == expected


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=KATYA), KATYA, unchanged, [], id="archive_baseline"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "rules.0.lifecycle.deleteAfter", 7.0),
            [
                (
                    plan_urn(DATABASE_PLAN),
                    f"rules[0].lifecycle.deleteAfter is 7 days; {DATABASE} keeps 30 days",
                )
            ],
            id="rule_keeps_less",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "rules.0.copyActions.0.lifecycle.deleteAfter", 7.0),
            [
                (
                    plan_urn(DATABASE_PLAN),
                    f"rules[0].copyActions[0].lifecycle.deleteAfter is 7 days; {DATABASE} keeps 30 days",
                )
            ],
            id="copy_keeps_less",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(AUDIT_PLAN, "rules.0.lifecycle.deleteAfter", 30.0),
            [
                (
                    plan_urn(AUDIT_PLAN),
                    f"rules[0].lifecycle.deleteAfter is 30 days; {AUDIT} keeps 35 days of continuous backups "
                    "(retention 7y; AWS keeps continuous backups at most 35 days)",
                )
            ],
            id="continuous_rule_keeps_less_than_35_days",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "rules.0.lifecycle", DELETE),
            [],
            id="no_lifecycle_keeps_for_ever",
        ),
        pytest.param(
            stack(plan=KATYA),
            KATYA,
            prop("katya-critical-db-backup-plan", "rules.1.lifecycle.deleteAfter", 30.0),
            [
                (
                    plan_urn("katya-critical-db-backup-plan"),
                    'no rule keeps 366 days (rules keep 30 days, 30 days); plan data "critical-db" (tier critical) '
                    "archive keeps 1y",
                )
            ],
            id="archive_kept_too_short",
        ),
    ],
)
def test_backup_plan_require_retention(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-plan-require-retention", mutation(make()), plan) == expected


TO_DR = f"{DATABASE} has copy_to_dr true: copies go to us-west-2"


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_copies_back_to_primary"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "rules.0.copyActions", DELETE),
            [(plan_urn(DATABASE_PLAN), f'rules[0] ("database-continuous") has no copyActions; {TO_DR}')],
            id="no_copy",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(
                DATABASE_PLAN,
                "rules.0.copyActions.0.destinationVaultArn",
                "arn:aws:backup:us-east-1:123456789012:backup-vault:orders-copy",
            ),
            [
                (
                    plan_urn(DATABASE_PLAN),
                    f"rules[0].copyActions[0].destinationVaultArn is in us-east-1; {TO_DR}",
                )
            ],
            id="copy_stays_in_region",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "rules.0.copyActions.0.destinationVaultArn", "orders-dr"),
            [
                (
                    plan_urn(DATABASE_PLAN),
                    f'rules[0].copyActions[0].destinationVaultArn is "orders-dr", not a vault ARN; {TO_DR}',
                )
            ],
            id="copy_to_a_name",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop(
                DATABASE_PLAN,
                "rules.0.copyActions.0.destinationVaultArn",
                "arn:aws:backup:us-west-2:123456789012:backup-vault:orders-dr",
            ),
            [
                (
                    plan_urn(DATABASE_PLAN, "dr"),
                    f"rules[0].copyActions[0].destinationVaultArn is in us-west-2; {DATABASE} has copy_to_dr true: copies go to us-east-1",
                )
            ],
            id="dr_copy_stays_in_region",
        ),
        pytest.param(
            stack(plan=KATYA),
            KATYA,
            prop("katya-logs-backup-plan", "rules.0.copyActions", DELETE),
            [],
            id="item_without_copy_to_dr",
        ),
    ],
)
def test_backup_plan_require_dr_copy(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-plan-require-dr-copy", mutation(make()), plan) == expected


STACK_PRIMARY = urn("primary", STACK, "continuity-primary")
NO_SELECTION = "no aws:backup/selection:Selection depends on this plan's id, so it backs up nothing; "


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=VAPORA), VAPORA, unchanged, [], id="kubernetes_items_need_no_backup_plan"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(without(s, FILES_PLAN), "orders-user-files-backup-selection"),
            [
                (
                    STACK_PRIMARY,
                    f'{FILES} has no aws:backup/plan:Plan tagged continuity:data-item "user-files" in the primary stack',
                )
            ],
            id="plan_missing",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(s, "orders-database-backup-selection"),
            [(plan_urn(DATABASE_PLAN), f"{NO_SELECTION}{DATABASE} needs one")],
            id="selection_missing",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without_dependency(s, "orders-database-backup-selection", "planId"),
            [(plan_urn(DATABASE_PLAN), f"{NO_SELECTION}{DATABASE} needs one")],
            id="selection_of_another_plan",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop(DATABASE_PLAN, "tags.continuity:data-item", "ghost"),
            [
                (
                    plan_urn(DATABASE_PLAN),
                    'continuity:data-item is "ghost"; the plan has no such entry (data: database, user-files, audit-logs)',
                ),
                (
                    STACK_PRIMARY,
                    f'{DATABASE} has no aws:backup/plan:Plan tagged continuity:data-item "database" in the primary stack',
                ),
            ],
            id="tagged_with_unknown_item",
        ),
    ],
)
def test_backup_plan_require_coverage(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-plan-require-coverage", mutation(make()), plan) == expected


VAULT_URN = urn("primary", VAULT, "orders-vault")
LOCK_URN = urn("primary", VAULT_LOCK, "orders-vault-lock")
SHORTEST = "plan rule database-continuous (data.database.frequency continuous, retention 30d) keeps 30 days"


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=VAPORA), VAPORA, unchanged, [], id="nothing_backed_up_by_aws_backup"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(s, "orders-vault-lock"),
            [
                (
                    VAULT_URN,
                    f"no aws:backup/vaultLockConfiguration:VaultLockConfiguration depends on this vault's name; {SHORTEST} under a compliance lock",
                )
            ],
            id="unlocked",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without_dependency(s, "orders-vault-lock", "backupVaultName"),
            [
                (
                    VAULT_URN,
                    f"no aws:backup/vaultLockConfiguration:VaultLockConfiguration depends on this vault's name; {SHORTEST} under a compliance lock",
                )
            ],
            id="lock_of_another_vault",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-vault-lock", "changeableForDays", DELETE),
            [
                (
                    LOCK_URN,
                    f"changeableForDays is not set, so the lock is in governance mode and can be removed; {SHORTEST} under a compliance lock",
                )
            ],
            id="governance_mode",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-vault-lock", "minRetentionDays", 7.0),
            [(LOCK_URN, f"minRetentionDays is 7 days; {SHORTEST}")],
            id="minimum_below_the_plan",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-vault-lock", "minRetentionDays", DELETE),
            [(LOCK_URN, f"minRetentionDays is not set; {SHORTEST}")],
            id="no_minimum",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-vault-lock", "minRetentionDays", 60.0),
            [
                (
                    LOCK_URN,
                    f"minRetentionDays is 60 days; {SHORTEST}, so the vault would refuse its recovery points",
                )
            ],
            id="minimum_above_a_rule",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-vault-lock", "maxRetentionDays", 60.0),
            [
                (
                    LOCK_URN,
                    "maxRetentionDays is 60 days; plan rule user-files-scheduled (data.user-files.frequency 1h, "
                    "retention 90d) keeps 90 days, so the vault would refuse its recovery points",
                )
            ],
            id="maximum_below_a_rule",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(s, "orders-vault"),
            [
                (
                    STACK_PRIMARY,
                    f'no aws:backup/vault:Vault tagged continuity:service "orders" in this stack; {SHORTEST} in a compliance-locked vault',
                )
            ],
            id="no_vault",
        ),
    ],
)
def test_backup_vault_require_compliance_lock(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("backup-vault-require-compliance-lock", mutation(make()), plan) == expected
