"""Every seed document is expressible; the one that contradicts itself is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuity.plan import PlanError, load_plan
from tests.conftest import EXAMPLE_PLANS, ROOT

SEEDS = {"vapora", "heliosdb-lite", "knowledge-vault", "katya", "cloud-optimizer"}


def test_one_example_per_seed() -> None:
    assert {p.stem for p in EXAMPLE_PLANS} == SEEDS


@pytest.mark.parametrize("path", EXAMPLE_PLANS, ids=lambda p: p.stem)
def test_example_is_valid(path: Path) -> None:
    plan = load_plan(path)
    assert plan.source == str(path)


@pytest.mark.parametrize("path", EXAMPLE_PLANS, ids=lambda p: p.stem)
def test_example_says_where_each_value_comes_from(path: Path) -> None:
    # Every line that sets a number or a frequency carries a comment, or sits under one that explains it.
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        body = line.split("#", 1)[0]
        if any(key in body for key in ("rto:", "rpo:", "frequency:", "retention:")) and "#" not in line:
            previous = lines[number - 1].strip() if number else ""
            assert previous.startswith("#") or "#" in previous, (
                f"{path.name}:{number + 1} has no source comment"
            )


def test_knowledge_vault_as_written_is_rejected() -> None:
    path = ROOT / "tests" / "fixtures" / "plans" / "knowledge-vault-as-written.yaml"
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.messages == [
        f'{path}: data.database.frequency: 6h is longer than tier "critical" RPO 1h',
        f'{path}: data.application-data.frequency: 1d is longer than tier "critical" RPO 1h',
    ]


def test_heliosdb_keeps_its_functions_without_rpo() -> None:
    plan = load_plan(ROOT / "examples" / "plans" / "heliosdb-lite.yaml")
    assert [name for name, tier in plan.tiers.items() if tier.rpo is None] == [
        "customer-support",
        "development",
        "sales-marketing",
    ]
