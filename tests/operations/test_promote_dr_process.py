"""scripts/promote_dr.py as a real process against moto's server, the way an operator runs it.

The server (`ThreadedMotoServer` on 127.0.0.1, a free port) runs inside the test process, so the
moto patches of world.py apply to it; the script reaches it through `AWS_ENDPOINT_URL` alone,
with fake credentials from the environment, and finds a fake `pulumi` first on its PATH.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import ROOT
from tests.operations.world import build_world, moto_like_aws

SCRIPT = ROOT / "scripts" / "promote_dr.py"

FAKE_PULUMI = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["stack", "output"]:
    sys.stdout.write(open(os.environ["FAKE_PULUMI_OUTPUTS"]).read())
"""


@pytest.fixture
def server(aws_env: None) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        moto.stop()


def run_script(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_full_run_as_a_process__report_checked(server: str, tmp_path: Path) -> None:
    # GIVEN the world in moto's server, and the DR stack's outputs behind a fake Pulumi CLI
    session = boto3.Session()
    clients: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in clients:
            clients[(service, region)] = session.client(service, region_name=region, endpoint_url=server)
        return clients[(service, region)]

    world = build_world(client)
    outputs = tmp_path / "dr-outputs.json"
    outputs.write_text(json.dumps(world.outputs))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(FAKE_PULUMI.format(python=sys.executable))
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "pulumi.log"
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": server,
        "AWS_DEFAULT_REGION": "us-east-1",  # Route 53 needs a signing region with an endpoint URL
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_PULUMI_LOG": str(log),
        "FAKE_PULUMI_OUTPUTS": str(outputs),
    }
    report = tmp_path / "reports" / "failover.json"

    # WHEN the operator runs the failover, non-interactively
    with moto_like_aws(world):
        done = run_script(["--stack", "dr", "--yes", "--report", str(report)], env)

    # THEN it exits 0, printed plain progress lines, and changed the world
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert "[+00:00] 1 Preflight ..." in done.stdout
    assert "orders runs in us-west-2: promoted" in done.stdout
    assert "\x1b[" not in done.stdout  # no terminal: no live status line
    rds = client("rds", "us-west-2").describe_db_instances(DBInstanceIdentifier=world.dr_identifier)[
        "DBInstances"
    ][0]
    assert "ReadReplicaSourceDBInstanceIdentifier" not in rds
    assert rds["MultiAZ"] is True
    service = client("ecs", "us-west-2").describe_services(
        cluster=world.cluster, services=[world.services["api"]]
    )
    assert service["services"][0]["desiredCount"] == 4
    check = client("route53", "us-east-1").get_health_check(HealthCheckId=world.primary_health_check_id)
    assert check["HealthCheck"]["HealthCheckConfig"]["Inverted"] is True
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        ["stack", "output", "--json", "--show-secrets", "--stack", "dr"],
        ["config", "set", "promoted", "true", "--stack", "dr"],
    ]

    # AND the report says what happened, when, and against which objectives
    data = json.loads(report.read_text())
    assert data["outcome"] == "promoted"
    assert data["exit_code"] == 0
    assert data["started_at"] <= data["ended_at"]
    assert [(s["number"], s["step"], s["outcome"]) for s in data["steps"]] == [
        (1, "preflight", "done"),
        (2, "safety", "done"),
        (3, "promote", "done"),
        (4, "scale", "done"),
        (5, "route", "done"),
        (6, "record", "done"),
    ]
    assert all(s["started_at"] and s["ended_at"] and s["seconds"] is not None for s in data["steps"])
    assert data["rto"]["objective_seconds"] == 1800
    assert data["rto"]["met"] is True
    assert data["rto"]["achieved_seconds"] < 120
    assert data["rpo"]["objective_seconds"] == 900
    assert data["rpo"]["databases"] == [
        {
            "identifier": "orders-database-dr",
            "data_item": "database",
            "tier": "critical",
            "mode": "replica",
            "data_at_risk_seconds": 4.0,
            "measured_at": data["rpo"]["databases"][0]["measured_at"],
            "note": "",
            "objective_seconds": 900,
            "met": True,
        }
    ]
    assert data["steps"][2]["actions"][0] == (
        "promoted orders-database-dr from read replica to a standalone instance (backups kept 30 days)"
    )
    update = data["incident_update"]
    assert set(update) == {"status", "impact", "actions", "next_update", "text"}
    assert update["status"] == "Monitoring: orders restored from the DR region us-west-2"
    markdown = report.with_suffix(".md").read_text()
    assert markdown.startswith("# Failover of orders to us-west-2: promoted")
    assert update["text"] in markdown


def test_bad_input_as_a_process__one_line_no_traceback(aws_env: None, tmp_path: Path) -> None:
    done = run_script(["--outputs", str(tmp_path / "missing.json"), "--yes"], dict(os.environ))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"promote_dr: {tmp_path / 'missing.json'}: no such file"]
    assert "Traceback" not in done.stdout + done.stderr
