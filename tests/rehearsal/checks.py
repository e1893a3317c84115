"""What every rehearsal must show, whatever the plan: each stage passed, and the failover found
and acted on everything the program declared (a renamed output or a changed default fails here)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from continuity.derive import derive
from continuity.plan import load_plan
from offline.rehearsal import STAGES, RehearsalResult, rehearse
from operations.clock import SystemClock
from operations.progress import progress_for
from operations.readiness.checks import AFTER_FAILOVER


def rehearsed(plan: Path, work: Path) -> RehearsalResult:
    return rehearse(plan, work, progress_for(io.StringIO(), SystemClock(), live=False))


def assert_rehearsal_did_its_job(plan_path: Path, result: RehearsalResult) -> None:
    stages = {s.key: s for s in result.stages}
    assert [s.key for s in result.stages] == [key for key, _, _ in STAGES]
    failed = [f"{s.key}: {s.detail}" for s in result.stages if not s.ok]
    assert failed == [], failed
    plan, settings = load_plan(plan_path), derive(load_plan(plan_path))
    # Every type the program declares is emulated, or listed as not emulated (never dropped).
    assert stages["deploy-dr"].data["resources"] > 0
    # The failover acted on every database, ECS service and Kubernetes Deployment of the plan.
    report = json.loads(Path(stages["failover"].data["report"]).read_text())
    assert report["outcome"] == "promoted", report["message"]
    scale = next(s for s in report["steps"] if s["step"] == "scale")
    promote = next(s for s in report["steps"] if s["step"] == "promote")
    for service in settings.services:
        if service.full_desired_count > service.warm_desired_count:
            assert any(f"scaled {service.name} " in a for a in scale["actions"]), (service.name, scale)
    databases = {d["data_item"]: d["identifier"] for d in report["rpo"]["databases"]}
    assert set(databases) == {r.data_item for r in settings.rds}
    for identifier in databases.values():
        done = (f"promoted {identifier} ", f"restored {identifier} ")
        assert any(a.startswith(done) for a in promote["actions"]), (identifier, promote["actions"])
    # The DR endpoint answered within the plan's RTO, and no more data was lost than the RPO allows.
    verify = stages["verify"].data
    assert verify["rto_seconds"] <= verify["rto_target_seconds"]
    assert {lost["data_item"] for lost in verify["data_lost"]} == {r.data_item for r in settings.rds}
    for lost in verify["data_lost"]:
        rpo = plan.rpo_of(plan.data[lost["data_item"]]).seconds
        assert lost["seconds_lost"] <= rpo, lost
    # AWS Backup ran the rules once: a recovery point per rule (each selects its item's one resource),
    # a copy per rule that copies to DR.
    backups = stages["backups"].data
    assert backups["recovery_points"] == len(settings.backup_rules), backups
    assert backups["copies"] == sum(1 for r in settings.backup_rules if r.copy_to_dr), backups
    # Readiness judged the promoted region: every check was read (no unknown), the drill just
    # rehearsed counts, and every check that did not pass is either the failover's expected state or
    # a finding that says what to run.
    readiness = json.loads(Path(stages["readiness"].data["report"]).read_text())
    verdicts = {c["check"]: c for c in readiness["checks"]}
    unread = [f"{c['check']}: {c['detail']}" for c in readiness["checks"] if c["verdict"] == "unknown"]
    assert unread == [], unread
    assert verdicts["drill"]["verdict"] == "pass", verdicts["drill"]
    for name in {r.data_item for r in settings.backup_rules}:
        assert verdicts[f"restore-test {name}"]["verdict"] == "pass", verdicts[f"restore-test {name}"]
    for c in readiness["checks"]:
        if c["verdict"] == "expected":
            assert c["detail"].startswith(AFTER_FAILOVER), c
        elif c["verdict"] == "fail":
            assert "run scripts/" in c["detail"], c
    assert readiness["failover_in_effect"] is True
    for name in plan.services:
        assert f"capacity {name}" in {c["check"] for c in readiness["checks"]}
    drill = Path(stages["drill"].data["report"]).read_text()
    assert "```mermaid" in drill
    for kind in ("failover", "readiness", "drill", "summary"):
        assert Path(result.reports[kind]).is_file(), kind
    # The corruption in the serving region was recovered, one item of each store the plan has, each to
    # the point before it (the stage itself checks the rows, objects and dump are exactly back).
    corruption = stages["corruption"].data
    stores = {"rds", "s3"} & {i.store for i in plan.data.values()}
    dumps = any(i.store == "kubernetes" and i.restore_command for i in plan.data.values())
    assert len(corruption["recovered"]) == len(stores) + int(dumps), corruption
    for item, recovered in corruption["recovered"].items():
        assert recovered["outcome"] == "recovered", (item, recovered)
        assert recovered["seconds"] <= recovered["rto_seconds"], (item, recovered)
        assert recovered["data_lost_seconds"] <= plan.rpo_of(plan.data[item]).seconds, (item, recovered)
