"""scripts/dr_drill.py in-process against the moto estate: readiness, a forced failover, achieved RTO
and RPO per tier against the plan, the timeline, the improvements, the history."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from operations.failover.steps import Timing
from tests.operations.estate import Takes
from tests.operations.harness import FakeClock, FakePulumi, RaiseAfter
from tests.operations.toolkit import Run, Toolkit, ready

Make = Callable[..., Toolkit]
FAST = Timing(poll_seconds=1, database_timeout=600, service_timeout=600, dns_timeout=600)


def at(clock: FakeClock, minutes_before: float) -> str:
    return (clock.now() - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def drill(t: Toolkit, *extra: str, clock: FakeClock | None = None, **kwargs: object) -> Run:
    return t.run("dr_drill", *extra, timing=FAST, clock=clock or FakeClock(), **kwargs)  # type: ignore[arg-type]


def test_drill__objectives_met__exit_0__report_and_history(estate: Make) -> None:
    # GIVEN a ready environment, an outage declared 5 minutes ago, and a promotion that takes 4
    t = ready(estate)
    clock = FakeClock()
    promotion_takes = Takes(clock, "PromoteReadReplica", 240)
    result = drill(
        t,
        "--yes",
        "--failure-time",
        at(clock, 5),
        "--note",
        "the runbook link was stale",
        clock=clock,
        hooks=[promotion_takes.hook],
    )
    assert result.code == 0, result.err
    data = result.report
    assert data is not None
    # THEN achieved RTO is the DR endpoint's first healthy answer minus the declared failure
    assert data["outcome"] == "completed"
    assert 540 <= data["rto"]["achieved_seconds"] <= 560
    assert data["rto"]["met"] is True
    tiers = {t["tier"]: t for t in data["tiers"]}
    assert list(tiers) == ["critical", "important"]
    assert (tiers["critical"]["rto_objective_seconds"], tiers["critical"]["rpo_achieved_seconds"]) == (
        1800,
        4.0,
    )
    assert (tiers["critical"]["rto_met"], tiers["critical"]["rpo_met"], tiers["critical"]["met"]) == (
        True,
        True,
        True,
    )
    assert (
        tiers["important"]["rpo_note"]
        == "no database in this tier: user-files (s3) worst case 15m 00s in the DR region, by S3 "
        "replication (Replication Time Control): 15m replication; readiness measures the copies' age"
    )
    # the failover ran as a drill, forced, and was recorded in the stack's config
    assert data["failover"]["mode"] == "drill"
    assert data["failover"]["outcome"] == "promoted"
    assert t.pulumi.commands[-1] == ["config", "set", "promoted", "true", "--stack", "dr"]
    # readiness ran first and did not judge the drill's own recency
    assert data["readiness"]["verdict"] == "ready"
    assert "drill" not in [c["check"] for c in data["readiness"]["checks"]]
    assert data["improvements"] == ["noted: the runbook link was stale"]
    # the timeline: readiness, then each failover step, as a Mermaid Gantt chart
    assert [(b["section"], b["step"]) for b in data["timeline"]] == [
        ("Drill", "1 Readiness"),
        ("Failover", "1 Preflight"),
        ("Failover", "2 Safety"),
        ("Failover", "3 Promote databases"),
        ("Failover", "4 Scale services"),
        ("Failover", "5 Route traffic"),
        ("Failover", "6 Record"),
    ]
    markdown = result.markdown
    assert markdown is not None
    assert "```mermaid\ngantt\n" in markdown
    assert "    Declared failure :milestone, failure, " in markdown
    assert "    3 Promote databases (done) :done, s4, " in markdown
    assert "| critical | 30m 00s | 9m " in markdown
    # AND the history has the drill, which readiness now counts
    drills = [e for e in t.estate.history_entries() if e["kind"] == "drill"]
    assert drills[-1]["ok"] is True
    assert drills[-1]["rto_met"] is True
    assert drills[-1]["failure_time"] == at(clock, 5 + (clock.elapsed / 60))
    after = t.run("dr_readiness").check("drill")
    assert (after["verdict"], after["measured"][-22:]) == ("pass", f"({drills[-1]['at']})")


def test_drill__rto_missed__exit_1__the_improvement_says_where_the_time_went(estate: Make) -> None:
    t = ready(estate)
    clock = FakeClock()
    # whole seconds, as --failure-time takes them, so the wait before the failover is exactly 45m
    clock.start = clock.start.replace(microsecond=0)
    result = drill(t, "--yes", "--failure-time", at(clock, 45), clock=clock)
    assert result.code == 1
    assert result.report is not None
    assert result.report["outcome"] == "completed with findings"
    assert result.report["improvements"][0].startswith("tier critical: RTO missed by 15m")
    assert (
        "45m 00s passed before the failover began (detection, decision)" in result.report["improvements"][0]
    )
    assert result.err.startswith(
        "dr_drill: completed with findings: drill of orders: achieved RTO 2700s; objectives missed for tier critical"
    )


def test_drill__readiness_not_ready__completes_with_findings(estate: Make) -> None:
    # GIVEN moto's estate as it is: AWS Backup's recovery points cannot be read, no restore test yet
    t = estate(primary_down=False)
    result = drill(t, "--yes")
    assert result.code == 1
    assert result.report is not None
    assert result.report["failover"]["outcome"] == "promoted"
    improvements = result.report["improvements"]
    assert (
        "readiness: restore-test database failed (never; target ≤ 30d ago (testing.restore_test 30d))"
        in improvements
    )
    assert (
        "readiness: recovery-point database primary could not be measured "
        "(404 (ListRecoveryPointsByBackupVault): Not yet implemented)"
    ) in improvements


def test_drill__without_a_terminal_or_yes__refused_exit_3__nothing_changed(estate: Make) -> None:
    t = ready(estate)
    result = drill(t)
    assert result.code == 3
    assert result.err.splitlines()[0] == (
        "dr_drill: failover refused: refused: no terminal to confirm on; run again with --yes to confirm"
    )
    replica = t.client("rds", "us-west-2").describe_db_instances(
        DBInstanceIdentifier=t.estate.world.dr_identifier
    )
    assert replica["DBInstances"][0]["ReadReplicaSourceDBInstanceIdentifier"] == t.estate.world.primary_arn
    drills = [e for e in t.estate.history_entries() if e["kind"] == "drill"]
    assert drills[-1]["ok"] is False


def test_drill__missing_replica__refused_exit_3(estate: Make) -> None:
    t = ready(estate)
    document = json.loads(json.dumps(t.estate.outputs))
    document["promotion"]["databases"][0]["replica_identifier"] = "orders-database-gone"
    result = drill(t, "--yes", outputs=t.outputs_file(document))
    assert result.code == 3
    assert "preflight: database database: orders-database-gone not found in us-west-2" in result.err


def test_drill__already_failed_over__nothing_measured_exit_1(estate: Make) -> None:
    t = ready(estate)
    assert drill(t, "--yes").code == 0
    again = drill(t, "--yes")
    assert again.code == 1
    assert again.report is not None
    assert again.report["message"].startswith(
        "nothing was measured: orders runs in us-west-2 (nothing left to do)"
    )
    assert again.report["rto"]["achieved_seconds"] is None


def test_drill__interrupted__exit_130__then_finished_by_a_rerun(estate: Make) -> None:
    t = ready(estate)
    first = drill(t, "--yes", hooks=[RaiseAfter("PromoteReadReplica", KeyboardInterrupt()).hook])
    assert first.code == 130
    second = drill(t, "--yes")
    assert second.code in (0, 1), second.err
    assert second.report is not None
    assert second.report["failover"]["outcome"] == "promoted"


def test_drill__failure_time_in_the_future__exit_2(estate: Make) -> None:
    t = ready(estate)
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = drill(t, "--yes", "--failure-time", later)
    assert result.code == 2
    assert result.err.splitlines() == [f"dr_drill: --failure-time {later}: in the future"]
    assert result.operations == []


def test_drill__record_without_the_cli__prints_the_command(estate: Make) -> None:
    t = ready(estate)
    result = drill(t, "--yes", pulumi=FakePulumi(available=False))
    assert result.code == 0, result.err
    assert "Next: run: pulumi config set promoted true --stack dr" in result.out
