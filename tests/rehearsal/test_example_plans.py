"""Every example plan rehearses end to end: what the program declares for it, the failover script
finds and acts on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.rehearsal.checks import assert_rehearsal_did_its_job, rehearsed

PLANS = sorted((ROOT / "examples" / "plans").glob("*.yaml"))


@pytest.mark.parametrize("plan", PLANS, ids=[p.stem for p in PLANS])
def test_example_plan_rehearses_end_to_end(aws_credentials: None, tmp_path: Path, plan: Path) -> None:
    assert_rehearsal_did_its_job(plan, rehearsed(plan, tmp_path / "work"))
