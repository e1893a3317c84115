"""Hostile inputs (tests/operations/hostile.py) get one line and exit 2 within milliseconds, never a
traceback or a hang: plans through scripts/validate_plan.py (continuity/plan.py's bounded YAML
loader), DR stack outputs files through scripts/promote_dr.py (continuity/documents.py and
continuity/outputs.py's bounds, before any AWS call), stack exports and preview documents through
offline/stack_state.py's reader (check_policies.py's), which is continuity/documents.py's. Each case in-process; the scripts' own
processes are tested in test_scripts_cli.py."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from continuity import documents
from offline.stack_state import InputError, read_json
from operations.aws import Aws, CallRecorder
from scripts.promote_dr import main as promote_dr
from scripts.validate_plan import main as validate_plan
from tests.operations.harness import FakePulumi, fresh_session
from tests.operations.hostile import OUTPUT_FILES, PLANS, STATE_DOCUMENTS, Make, write_outputs, write_plan


@pytest.mark.parametrize(
    ("name", "make", "message"), [(n, m, e) for n, (m, e) in PLANS.items()], ids=list(PLANS)
)
def test_hostile_plan__one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, make: Make, message: str
) -> None:
    path = write_plan(tmp_path, name, make)
    assert validate_plan([path]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"{path}: {message}"]
    assert "Traceback" not in captured.out


@pytest.mark.parametrize(
    ("name", "make", "message"), [(n, m, e) for n, (m, e) in OUTPUT_FILES.items()], ids=list(OUTPUT_FILES)
)
def test_hostile_outputs_file__one_line_exit_2__before_any_aws_call(
    aws_credentials: None, tmp_path: Path, name: str, make: Make, message: str
) -> None:
    path = write_outputs(tmp_path, name, make)
    recorder = CallRecorder()
    out, err = io.StringIO(), io.StringIO()
    code = promote_dr(
        ["--outputs", path, "--yes", "--report", str(tmp_path / "r.json")],
        aws=Aws(fresh_session(), hooks=[recorder.hook]),
        pulumi=FakePulumi(),
        stdout=out,
        stderr=err,
    )
    assert code == 2
    assert err.getvalue().splitlines() == [f"promote_dr: {path}: {message}"]
    assert recorder.calls == []
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [(n, m, e) for n, (m, e) in STATE_DOCUMENTS.items()],
    ids=list(STATE_DOCUMENTS),
)
def test_hostile_stack_export_or_preview__refused_in_one_line(
    tmp_path: Path, name: str, make: Callable[[], str], message: str
) -> None:
    # The reader check_policies.py (--state, --preview, --policy-pack-config) reads them with.
    path = tmp_path / "document.json"
    path.write_text(make(), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_json(path)
    assert str(raised.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[]", False),
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
        ('["[[[[", {"a": [{}]}]', False),
    ],
)
def test_depth_counts_brackets_outside_strings(text: str, deeper: bool) -> None:
    assert documents.json_depth_exceeds(text, 64) is deeper
