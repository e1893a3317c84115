"""What the plan asks of AWS Backup restore testing: pure settings, no Pulumi, no boto3.

AWS Backup can restore a recovery point on a schedule, inside AWS, and report how long it took
(AWS Backup Developer Guide, "Restore testing"). The stacks declare it for every item AWS Backup
protects (rds and s3; in-cluster dumps are restore-tested by scripts/restore_test.py), so the
plan's `testing.restore_test` happens even when nobody runs the script. Decisions, each from the
plan or an AWS limit:

- one restore testing plan per item, like the backup plans: a plan's recovery point selection
  (its window, its recovery point types) applies to every selection in it, and the window comes
  from the item's own retention;
- the schedule is the cheapest AWS cron whose longest gap fits `testing.restore_test` (the same
  search the backup rules use), so a test is always due within the plan's cadence;
- a random recovery point within the item's whole retention (capped at AWS's 365 days), not only
  the newest: a corruption found late is recovered from an old point, so every point the plan
  keeps must restore;
- the recovery point types the item's rules make (continuous and/or snapshot);
- the shortest start window AWS takes (1 hour): a test that cannot start soon is reported as not
  started, rather than drifting by a day.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from continuity.derive import BackupRule, backup_rules_for
from continuity.plan import Plan
from continuity.schedule import longest_gap, schedule_for

# AWS Backup Developer Guide, "Restore testing quotas and parameters": plan and selection names are
# at most 50 characters, of letters, digits and underscores only (API Reference,
# RestoreTestingPlanForCreate: "must consist of only alphanumeric characters and underscores").
NAME_MAX = 50
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")
# The same page: a recovery point selection window of at most 365 days, start windows 1-168 hours.
SELECTION_WINDOW_MAX_DAYS = 365
START_WINDOW_MIN_HOURS = 1
# AWS Backup API Reference, RestoreTestingSelectionForCreate.ProtectedResourceType, by store.
PROTECTED_RESOURCE_TYPES = {"rds": "RDS", "s3": "S3"}
RANDOM_WITHIN_WINDOW = "RANDOM_WITHIN_WINDOW"
CONTINUOUS, SNAPSHOT = "CONTINUOUS", "SNAPSHOT"
_HASH = 6


@dataclass(frozen=True)
class RestoreTestSettings:
    """One item's restore testing plan and its selection, in one region."""

    data_item: str
    store: str
    protected_resource_type: str  # RDS or S3
    plan_name: str
    selection_name: str
    schedule: str  # AWS cron, UTC
    longest_gap: timedelta
    start_window_hours: int
    algorithm: str
    selection_window_days: int
    recovery_point_types: list[str]
    source: str  # the plan values these answer


def restore_testing_name(*parts: str) -> str:
    """A restore testing name: the parts joined by underscores (hyphens become underscores), and,
    past 50 characters, the beginning with a short hash of the whole, so names stay distinct."""
    name = _NOT_NAME.sub("_", "_".join(parts))
    if len(name) <= NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH]
    return f"{name[: NAME_MAX - _HASH - 1].rstrip('_')}_{digest}"


def _window_days(rules: list[BackupRule]) -> int:
    return max(1, min(SELECTION_WINDOW_MAX_DAYS, max(r.delete_after_days for r in rules)))


def restore_tests_for(plan: Plan, role: str) -> list[RestoreTestSettings]:
    """The restore tests one region's stack declares: one per item AWS Backup protects."""
    schedule = schedule_for(plan.testing.restore_test)
    gap = longest_gap(schedule)
    tests = []
    for name, item in plan.data.items():
        kind = PROTECTED_RESOURCE_TYPES.get(item.store)
        rules = backup_rules_for(name, item)
        if kind is None or not rules:
            continue
        types = sorted({CONTINUOUS if r.continuous else SNAPSHOT for r in rules})
        tests.append(
            RestoreTestSettings(
                data_item=name,
                store=item.store,
                protected_resource_type=kind,
                plan_name=restore_testing_name(plan.service, role, name),
                selection_name=restore_testing_name(name),
                schedule=schedule,
                longest_gap=gap,
                start_window_hours=START_WINDOW_MIN_HOURS,
                algorithm=RANDOM_WITHIN_WINDOW,
                selection_window_days=_window_days(rules),
                recovery_point_types=types,
                source=f"testing.restore_test {plan.testing.restore_test}; data.{name}.retention "
                f"{item.retention}",
            )
        )
    return tests
