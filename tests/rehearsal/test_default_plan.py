"""`make demo` end to end: the default plan rehearsed on the emulator, every stage as it should."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.rehearsal.checks import assert_rehearsal_did_its_job, rehearsed


def test_the_default_plan_rehearses_end_to_end(aws_credentials: None, tmp_path: Path) -> None:
    plan = ROOT / "continuity-plan.yaml"
    result = rehearsed(plan, tmp_path / "work")
    assert_rehearsal_did_its_job(plan, result)
    data = {s.key: s.data for s in result.stages}
    # the locked object could not be deleted, and the policy pack passed both stacks
    assert "refused: AccessDenied" in data["data"]["object_lock"]
