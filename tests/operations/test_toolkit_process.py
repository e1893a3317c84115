"""The toolkit scripts as real processes against moto's server, the way the rehearsal and operators
run them: readiness, a restore test, and a drill followed by the failback.

The server (`ThreadedMotoServer` on 127.0.0.1, a free port) runs inside the test process, so the
moto patches of world.py apply to it; the scripts reach it through `AWS_ENDPOINT_URL` alone, with
fake credentials from the environment, and find a fake `pulumi` first on their PATH. Nothing here
answers in moto's place: what the emulator cannot answer (AWS Backup's recovery points) is
reported unknown, as it must be.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import DEFAULT_PLAN, ROOT
from tests.operations.estate import Estate, build_estate
from tests.operations.test_promote_dr_process import FAKE_PULUMI
from tests.operations.world import DR, PRIMARY, moto_like_aws


@dataclass
class Served:
    outputs: Path
    env: dict[str, str]
    pulumi_log: Path
    tmp_path: Path
    clients: dict[tuple[str, str], Any]
    endpoint: str
    estate: Estate = field(init=False)

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self.clients:
            self.clients[(service, region)] = boto3.Session().client(
                service, region_name=region, endpoint_url=self.endpoint
            )
        return self.clients[(service, region)]

    def run(self, script: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / script),
                "--outputs",
                str(self.outputs),
                "--plan",
                str(DEFAULT_PLAN),
                *args,
            ],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=180,
            check=False,
        )


@pytest.fixture
def served(aws_env: None, tmp_path: Path) -> Iterator[Served]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's backends live in this process and outlive a server: start from, and leave, nothing.
    reset(endpoint)
    try:
        holder = Served(tmp_path / "dr-outputs.json", {}, tmp_path / "pulumi.log", tmp_path, {}, endpoint)
        holder.estate = build_estate(holder.client, tmp_path / "history.jsonl", primary_down=False)
        holder.outputs.write_text(json.dumps(holder.estate.outputs))
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        pulumi = bin_dir / "pulumi"
        pulumi.write_text(FAKE_PULUMI.format(python=sys.executable))
        pulumi.chmod(pulumi.stat().st_mode | stat.S_IEXEC)
        holder.env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_PULUMI_LOG": str(holder.pulumi_log),
            "FAKE_PULUMI_OUTPUTS": str(holder.outputs),
        }
        with moto_like_aws(holder.estate.world):
            yield holder
    finally:
        reset(endpoint)
        moto.stop()


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_readiness_as_a_process__the_rehearsals_flags(served: Served) -> None:
    report = served.tmp_path / "reports" / "readiness.json"
    done = served.run("dr_readiness.py", "--json", "--report", str(report))
    # THEN a judgement, not a crash: exit 1 (no restore test or drill yet; recovery points unknown)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data == json.loads(report.read_text())
    assert data["counts"] == {"pass": 19, "fail": 4, "unknown": 6, "expected": 0}
    assert {c["check"] for c in data["checks"] if c["verdict"] == "fail"} == {
        "restore-test database",
        "restore-test user-files",
        "restore-test audit-logs",
        "drill",
    }
    # moto's server answers the unimplemented API with its web server's own 404 page, said in one line
    assert all(
        c["detail"].startswith("404 (ListRecoveryPointsByBackupVault): HTTP 404 with a web page")
        for c in data["checks"]
        if c["verdict"] == "unknown"
    )
    assert (
        done.stderr.splitlines()[-2]
        == "dr_readiness: orders: not ready (19 pass, 4 fail, 6 unknown of 29 checks)"
    )
    assert "\x1b[" not in done.stderr  # no terminal: plain lines
    assert report.with_suffix(".md").read_text().startswith("# Readiness of orders: not ready")


def test_restore_test_as_a_process__verified_and_deleted(served: Served) -> None:
    before = sorted(
        d["DBInstanceIdentifier"]
        for d in served.client("rds", PRIMARY).describe_db_instances()["DBInstances"]
    )
    verify = f"{sys.executable} -c 'import os, sys; sys.exit(0 if os.environ[\"RESTORE_ENDPOINT\"] else 1)'"
    report = served.tmp_path / "reports" / "restore.json"
    done = served.run("restore_test.py", "--verify", verify, "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    data = json.loads(report.read_text())
    assert data["outcome"] == "passed"
    assert data["verify"]["exit_code"] == 0
    assert data["restore"]["met"] is True
    assert 0 <= data["restore"]["seconds"] < 60  # the emulator restores at once; real time, measured
    assert data["cleanup"] == {"deleted": True}
    after = sorted(
        d["DBInstanceIdentifier"]
        for d in served.client("rds", PRIMARY).describe_db_instances()["DBInstances"]
    )
    assert after == before
    [entry] = [json.loads(line) for line in served.estate.history.read_text().splitlines()]
    assert (entry["kind"], entry["ok"], entry["report"]) == ("restore_test", True, str(report))


def test_drill_then_failback_as_processes(served: Served) -> None:
    # GIVEN an outage declared two minutes ago
    failure = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    drill_report = served.tmp_path / "reports" / "drill.json"
    drill = served.run("dr_drill.py", "--yes", "--report", str(drill_report), "--failure-time", failure)
    # THEN the drill completes (with findings: the emulator's readiness is not complete) and measures
    assert drill.returncode == 1, drill.stdout + drill.stderr
    data = json.loads(drill_report.read_text())
    assert data["outcome"] == "completed with findings"
    assert data["failover"]["outcome"] == "promoted"
    assert data["failover"]["mode"] == "drill"
    assert 120 <= data["rto"]["achieved_seconds"] < 240
    assert data["tiers"][0]["rpo_achieved_seconds"] == 4.0
    assert "```mermaid\ngantt\n" in drill_report.with_suffix(".md").read_text()
    # WHEN the failback runs once RDS reports the new replica caught up
    served.client("cloudwatch", PRIMARY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [
                    {"Name": "DBInstanceIdentifier", "Value": served.estate.world.primary_identifier}
                ],
                # stamped ahead: it must be newer than the replica the failback is about to create
                "Timestamp": datetime.now(UTC) + timedelta(seconds=30),
                "Value": 3.0,
            }
        ],
    )
    back_report = served.tmp_path / "reports" / "failback.json"
    back = served.run("failback.py", "--yes", "--report", str(back_report))
    assert back.returncode == 0, back.stdout + back.stderr
    assert "orders runs in us-east-1 again: failed back" in back.stdout
    back_data = json.loads(back_report.read_text())
    assert [s["outcome"] for s in back_data["steps"]] == ["done"] * 8
    assert back_data["rpo"]["databases"][0]["data_at_risk_seconds"] == 3.0
    check = served.client("route53", PRIMARY).get_health_check(
        HealthCheckId=served.estate.world.primary_health_check_id
    )
    assert check["HealthCheck"]["HealthCheckConfig"].get("Inverted") is False
    service = served.client("ecs", DR).describe_services(
        cluster=served.estate.world.cluster, services=[served.estate.world.services["api"]]
    )["services"][0]
    assert service["desiredCount"] == 1
    commands = [json.loads(line) for line in served.pulumi_log.read_text().splitlines()]
    assert commands == [
        ["config", "set", "promoted", "true", "--stack", "dr"],
        ["config", "set", "promoted", "false", "--stack", "dr"],
    ]
