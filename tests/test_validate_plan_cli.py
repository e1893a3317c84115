"""scripts/validate_plan.py: exit codes, the table, --json, and no traceback for bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.validate_plan import main
from tests.conftest import ALL_PLANS, ROOT

BAD = ROOT / "tests" / "fixtures" / "plans" / "knowledge-vault-as-written.yaml"


def test_valid_plans__exit_0_with_the_derived_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(p) for p in ALL_PLANS]) == 0
    out = capsys.readouterr().out
    for path in ALL_PLANS:
        assert f"{path}: valid" in out
    assert "database-continuous" in out
    assert "COMPLIANCE 7 years" in out


def test_invalid_plan__exit_2_with_every_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ALL_PLANS[0]), str(BAD)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f'{BAD}: data.database.frequency: 6h is longer than tier "critical" RPO 1h',
        f'{BAD}: data.application-data.frequency: 1d is longer than tier "critical" RPO 1h',
    ]


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ALL_PLANS[0]), str(BAD), "--json"]) == 2
    results = json.loads(capsys.readouterr().out)
    assert [r["valid"] for r in results] == [True, False]
    settings = results[0]["settings"]
    assert settings["rds"][0]["backup_retention_period"] == 30
    assert settings["objectives"] == {
        "rto_seconds": 1800,
        "rpo_seconds": 900,
        "tiers": {"critical": [1800, 900], "important": [86400, 3600], "optional": [259200, 86400]},
    }
    assert results[1]["errors"][0].endswith('6h is longer than tier "critical" RPO 1h')


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version: 1\nservice: [x\n", "line 3, column 1: expected ',' or ']', but got '<stream end>'"),
        ("\xff\xfe", "cannot be read"),
    ],
)
def test_bad_file_as_a_real_process__one_line_no_traceback(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(content.encode("latin-1"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "validate_plan.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
