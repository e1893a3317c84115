"""continuity/restore_testing.py: what the plan asks of AWS Backup restore testing, table-first."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity.plan import load_plan
from continuity.restore_testing import (
    NAME_MAX,
    SELECTION_WINDOW_MAX_DAYS,
    restore_testing_name,
    restore_tests_for,
)
from continuity.schedule import longest_gap
from tests.conftest import ALL_PLANS, ROOT

KATYA = ROOT / "examples" / "plans" / "katya.yaml"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("orders", "primary", "database"), "orders_primary_database"),
        (("knowledge-vault", "dr", "application-data"), "knowledge_vault_dr_application_data"),
        (("a" * 24, "primary", "b" * 24), "a" * 24 + "_primary_" + "b" * 10 + "_874bec"),
    ],
)
def test_names_take_only_letters_digits_underscores(parts: tuple[str, ...], expected: str) -> None:
    assert restore_testing_name(*parts) == expected


def test_long_names_stay_distinct_within_the_limit() -> None:
    first = restore_testing_name("a" * 24, "primary", "b" * 23 + "c")
    second = restore_testing_name("a" * 24, "primary", "b" * 23 + "d")
    assert len(first) == len(second) == NAME_MAX
    assert first != second


@pytest.mark.parametrize(
    ("item", "window", "types"),
    [
        # continuous, kept 30 days, plus a weekly archive kept a year: AWS's 365 days at most
        ("critical-db", SELECTION_WINDOW_MAX_DAYS, ["CONTINUOUS", "SNAPSHOT"]),
        ("user-data", 90, ["SNAPSHOT"]),
        ("logs", 30, ["SNAPSHOT"]),
    ],
)
def test_katya_windows_and_types(item: str, window: int, types: list[str]) -> None:
    plan = load_plan(KATYA)
    (test,) = [t for t in restore_tests_for(plan, "primary") if t.data_item == item]
    assert test.selection_window_days == window
    assert test.recovery_point_types == types
    assert test.algorithm == "RANDOM_WITHIN_WINDOW"
    assert test.start_window_hours == 1


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: Path(p).stem)
def test_every_protected_item_is_tested_on_the_plans_cadence(path: Path) -> None:
    plan = load_plan(path)
    tests = {t.data_item: t for t in restore_tests_for(plan, "dr")}
    # Every item AWS Backup protects, and nothing else (in-cluster dumps are the script's).
    assert set(tests) == {n for n, i in plan.data.items() if i.store in ("rds", "s3")}
    for test in tests.values():
        assert test.longest_gap <= plan.testing.restore_test.timedelta
        assert longest_gap(test.schedule) == test.longest_gap
        assert test.protected_resource_type == {"rds": "RDS", "s3": "S3"}[test.store]
        assert test.plan_name.startswith(plan.service.replace("-", "_") + "_dr_")
        assert 1 <= test.selection_window_days <= SELECTION_WINDOW_MAX_DAYS
