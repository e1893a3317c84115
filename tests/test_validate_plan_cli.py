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
INFEASIBLE = ROOT / "tests" / "fixtures" / "plans" / "heliosdb-lite-as-written.yaml"


def test_valid_plans__exit_0_with_the_derived_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(p) for p in ALL_PLANS]) == 0
    out = capsys.readouterr().out
    for path in ALL_PLANS:
        assert f"{path}: valid" in out
    assert "database-continuous" in out
    assert "COMPLIANCE 7 years" in out
    assert "Warnings" not in out


def test_summary__worst_case_loss_beside_each_rpo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ALL_PLANS[0])]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines.index(
        "Worst-case data loss (the newest copy's greatest age when it is needed, against the tier's RPO)"
    )
    table = [
        [cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines[header + 1 : header + 6]
    ]
    assert table == [
        ["item", "tier", "RPO", "us-east-1 (primary)", "us-west-2 (DR)"],
        ["----------", "---------", "---", "-------------------", "--------------"],
        ["database", "critical", "15m", "5m", "15m"],
        ["user-files", "important", "1h", "1s", "15m"],
        ["audit-logs", "critical", "15m", "1s", "15m"],
    ]
    assert (
        "    user-files-continuous: scheduled backups alone risk 1h gap + 1h start window + 2h completion window "
        "= 4h, over tier important RPO 1h"
    ) in lines


@pytest.mark.parametrize(("strict", "status"), [(False, 0), (True, 2)])
def test_strict__warnings_fail_the_plan(
    capsys: pytest.CaptureFixture[str], strict: bool, status: int
) -> None:
    assert main([str(INFEASIBLE), *(["--strict"] if strict else [])]) == status
    captured = capsys.readouterr()
    assert captured.out.startswith(
        f"{INFEASIBLE}: valid (version 1, service heliosdb, warm-standby, us-east-1 -> us-west-2), 2 warnings"
    )
    assert "Warnings (promises the architecture cannot keep; --strict refuses the plan)" in captured.out
    err = captured.err.splitlines()
    assert len(err) == (2 if strict else 0)
    assert all(line.startswith(f"{INFEASIBLE}: ") and line.endswith(" (--strict)") for line in err)


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
        "applicable": ["critical", "important"],
    }
    assert results[1]["errors"][0].endswith('6h is longer than tier "critical" RPO 1h')
    # Each item's worst-case loss per region beside its RPO, and how it adds up.
    files = settings["exposures"]["user-files"]
    assert (
        files["rpo_seconds"],
        files["primary"]["worst_case_seconds"],
        files["dr"]["worst_case_seconds"],
    ) == (
        3600,
        1,
        900,
    )
    assert files["primary"]["best"] == "backup:user-files-continuous"
    assert [t["what"] for t in files["primary"]["protections"][0]["terms"]] == [
        "gap",
        "start window",
        "completion window",
    ]
    assert [(v["tier"], v["rto"], v["rpo"]) for v in settings["tier_verdicts"]] == [
        ("critical", "feasible", "within"),
        ("important", "nothing-to-fail-over", "within"),
        ("optional", "not-applicable", "not-applicable"),
    ]


def test_json__strict_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(INFEASIBLE), "--json", "--strict"]) == 2
    (result,) = json.loads(capsys.readouterr().out)
    assert (result["valid"], result["errors"], len(result["warnings"])) == (False, [], 2)
    assert result["warnings"][0].startswith(f"{INFEASIBLE}: tiers.production-database.rto: 5m is below")


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
