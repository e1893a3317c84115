"""The plan's restore_command: where it may appear and what it must be, one change per case from
VAPORA's plan (which has two in-cluster items), with the exact message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from continuity.plan import PlanError, load_plan
from tests.conftest import DELETE, ROOT, changed, plan_document, write_plan

VAPORA = plan_document(ROOT / "examples" / "plans" / "vapora.yaml")
DEFAULT = plan_document()
F = "plan.yaml"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            changed(DEFAULT, "data.database.restore_command", "pg_restore -d app"),
            [
                f'{F}: data.database.restore_command: only store "kubernetes" takes restore_command '
                "(rds data is restored by AWS: scripts/recover.py)"
            ],
            id="on an rds item",
        ),
        pytest.param(
            changed(DEFAULT, "data.user-files.restore_command", "aws s3 sync"),
            [
                f'{F}: data.user-files.restore_command: only store "kubernetes" takes restore_command '
                "(s3 data is restored by AWS: scripts/recover.py)"
            ],
            id="on an s3 item",
        ),
        pytest.param(
            changed(VAPORA, "data.surrealdb.restore_command", "   "),
            [
                f"{F}: data.surrealdb.restore_command: is empty; write the command that loads the dump at $DUMP_FILE"
            ],
            id="blank",
        ),
        pytest.param(
            changed(VAPORA, "data.surrealdb.restore_command", "surreal import \x00"),
            [
                f"{F}: data.surrealdb.restore_command: contains a NUL character, which no container "
                "command can hold"
            ],
            id="NUL",
        ),
        pytest.param(
            changed(VAPORA, "data.surrealdb.restore_command", ["surreal", "import"]),
            [f"{F}: data.surrealdb.restore_command: ['surreal', 'import'] is not text"],
            id="not text",
        ),
    ],
)
def test_restore_command_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: dict[str, Any], expected: list[str]
) -> None:
    # GIVEN a plan with one restore_command wrong
    write_plan(tmp_path, document, F)
    monkeypatch.chdir(tmp_path)
    # WHEN it is loaded
    with pytest.raises(PlanError) as caught:
        load_plan(F)
    # THEN exactly that one problem is named
    assert caught.value.messages == expected


def test_restore_command_is_optional(tmp_path: Path) -> None:
    # GIVEN VAPORA's plan without the surrealdb item's restore_command (a plan written before it)
    document = changed(VAPORA, "data.surrealdb.restore_command", DELETE)
    # WHEN it is loaded THEN it is valid, and the item simply has none
    plan = load_plan(write_plan(tmp_path, document))
    assert plan.data["surrealdb"].restore_command is None
    assert plan.data["configuration"].restore_command is not None


def test_vapora_restores_with_surreal_import() -> None:
    # The seed's own tool brings its Tier-1 dump back, reading the verified dump's path.
    plan = load_plan(ROOT / "examples" / "plans" / "vapora.yaml")
    command = plan.data["surrealdb"].restore_command
    assert command is not None
    assert command.startswith("surreal import ")
    assert '"$DUMP_FILE"' in command
