"""promote_dr.py as a real process behind the fault proxy (offline/fault_proxy.py) in front of moto's
server: throttling is retried, a black-holed endpoint ends the run by its deadline (exit 4, a report
to resume from), two runs started together leave exactly one actor, a run killed at a step boundary
is finished by the same command with one action per resource, and a failover with the primary
region's control plane unreachable completes.

Seeded and few here, for the suite's time budget; ``make soak`` (CONTINUITY_SOAK=1) kills the run at
every step boundary, repeats the races (CONTINUITY_SEED picks the rounds), and adds the black hole
and the unreachable region as processes (in CI, test_bounded.py shows both on a virtual clock). The server runs in
this process, so the moto patches of world.py and offline/s3_conditional.py apply to it; the
script reaches it only through AWS_ENDPOINT_URL, with fake credentials from the environment.
"""

from __future__ import annotations

import json
import logging
import os
import random
import stat
import subprocess
import sys
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from offline.fault_proxy import FaultProxy, KillSwitch, Rule, running_proxy
from offline.moto_server import EMULATOR_CREDENTIALS
from offline.s3_conditional import atomic_conditional_writes
from tests.conftest import ROOT
from tests.operations.test_promote_dr_process import FAKE_PULUMI
from tests.operations.world import DR, PRIMARY, World, build_world, moto_like_aws

SCRIPT = ROOT / "scripts" / "promote_dr.py"
SOAK = os.environ.get("CONTINUITY_SOAK") == "1"
SEED = int(os.environ.get("CONTINUITY_SEED", "20261123"))
# The calls that change the environment, each made once per resource in a failover.
CHANGES = (
    "PromoteReadReplica",
    "ModifyDBInstance",
    "RegisterScalableTarget",
    "UpdateService",
    "UpdateHealthCheck",
)
# Where a crash can fall between steps: right after AWS accepted each change (PutObject: the lock).
BOUNDARIES = ("PutObject", *CHANGES)
# Sleeping through a 20-second deadline, or through every Route 53 retry, costs more of the suite's
# budget than it tells: in CI, test_bounded.py shows both in-process on a virtual clock.
SOAK_ONLY = pytest.mark.skipif(not SOAK, reason="make soak (CONTINUITY_SOAK=1); in CI: test_bounded.py")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env, atomic_conditional_writes():
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            env.delenv(key, raising=False)
        for key, value in {
            **EMULATOR_CREDENTIALS,
            "AWS_DEFAULT_REGION": PRIMARY,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "MOTO_ECS_SERVICE_RUNNING": "1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }.items():
            env.setenv(key, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        try:
            yield url
        finally:
            server.stop()


@dataclass
class Fire:
    """One world in the emulator, the proxy in front of it, and the script run through the proxy."""

    world: World
    proxy: FaultProxy
    kill: KillSwitch
    endpoint: str
    tmp_path: Path
    runs: int = 0

    def env(self) -> dict[str, str]:
        bin_dir = self.tmp_path / "bin"
        return {
            **os.environ,
            "AWS_ENDPOINT_URL": self.proxy.url,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_PULUMI_LOG": str(self.tmp_path / "pulumi.log"),
            "FAKE_PULUMI_OUTPUTS": str(self.tmp_path / "outputs.json"),
        }

    def args(self, *extra: str) -> list[str]:
        self.runs += 1
        report = self.tmp_path / f"report-{self.runs}.json"
        outputs = self.tmp_path / "outputs.json"
        return [
            sys.executable,
            str(SCRIPT),
            "--outputs",
            str(outputs),
            "--yes",
            "--report",
            str(report),
            *extra,
        ]

    def start(self, *extra: str, closed_stdout: bool = False) -> subprocess.Popen[str]:
        """The script as a process; with ``closed_stdout``, its stdout a pipe nobody reads any
        more (``| head`` that has had its line)."""
        stdout: int = subprocess.PIPE
        if closed_stdout:
            reader, stdout = os.pipe()
            os.close(reader)
        process = subprocess.Popen(
            self.args(*extra), stdout=stdout, stderr=subprocess.PIPE, text=True, env=self.env()
        )
        if closed_stdout:
            os.close(stdout)
        self.kill.pid = process.pid
        return process

    def run(self, *extra: str, closed_stdout: bool = False) -> subprocess.CompletedProcess[str]:
        process = self.start(*extra, closed_stdout=closed_stdout)
        out, err = process.communicate(timeout=120)
        return subprocess.CompletedProcess(process.args, process.returncode, out or "", err)

    def report(self, run: int | None = None) -> dict[str, Any]:
        data = json.loads((self.tmp_path / f"report-{run or self.runs}.json").read_text())
        assert isinstance(data, dict)
        return data

    def client(self, service: str, region: str) -> Any:
        return boto3.Session().client(service, region_name=region, endpoint_url=self.endpoint)

    def changes(self) -> Counter[str]:
        """Each change that reached the emulator, counted (a refused or black-holed call did not)."""
        return Counter(
            c.operation
            for c in self.proxy.calls
            if c.operation in CHANGES and c.action in ("forwarded", "kill", "delay")
        )

    def failed_over(self) -> bool:
        rds = self.client("rds", DR).describe_db_instances(DBInstanceIdentifier=self.world.dr_identifier)
        instance = rds["DBInstances"][0]
        service = self.client("ecs", DR).describe_services(
            cluster=self.world.cluster, services=list(self.world.services.values())
        )["services"][0]
        check = self.client("route53", PRIMARY).get_health_check(
            HealthCheckId=self.world.primary_health_check_id
        )
        return (
            "ReadReplicaSourceDBInstanceIdentifier" not in instance
            and instance["MultiAZ"] is True
            and service["desiredCount"] == 4
            and check["HealthCheck"]["HealthCheckConfig"]["Inverted"] is True
        )


@pytest.fixture
def fire(emulator: str, tmp_path: Path) -> Iterator[Fire]:
    """A fresh world (its own names, so that worlds share the module's emulator) behind a proxy."""
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = boto3.Session().client(
                service, region_name=region, endpoint_url=emulator
            )
        return cache[(service, region)]

    world = build_world(client, service=f"s{uuid.uuid4().hex[:8]}")
    (tmp_path / "outputs.json").write_text(json.dumps(world.outputs))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(FAKE_PULUMI.format(python=sys.executable))
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IEXEC)
    kill = KillSwitch()
    with moto_like_aws(world), running_proxy(emulator, on_kill=kill) as proxy:
        yield Fire(world, proxy, kill, emulator, tmp_path)


def test_throttled_everywhere__its_reader_gone__retried_inside_the_budget(fire: Fire) -> None:
    # GIVEN every service the failover calls throttles its first attempts, each in its own way
    for operation, service, times in (
        ("DescribeDBInstances", "rds", 2),  # Throttling (query)
        ("PromoteReadReplica", "rds", 2),
        ("UpdateService", "ecs", 2),  # ThrottlingException (JSON)
        ("RegisterScalableTarget", "application-autoscaling", 1),
        ("UpdateHealthCheck", "route53", 2),  # Throttling (REST-XML)
        ("DescribeAlarms", "monitoring", 2),  # HTTP 429 (CBOR)
        ("PutObject", "s3", 1),  # SlowDown, HTTP 503 (the lock)
    ):
        fire.proxy.add(Rule("throttle", operation, service=service, times=times))
    # WHEN the failover runs, its stdout a pipe whose reader has gone (| head)
    done = fire.run(closed_stdout=True)
    # THEN botocore's retries absorbed every one, the lost reader stopped nothing, and each change
    # was made once
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    throttled = Counter(c.operation for c in fire.proxy.calls if c.action == "throttle")
    assert throttled["PromoteReadReplica"] == 2
    assert throttled["PutObject"] == 1
    assert fire.changes() == dict.fromkeys(CHANGES, 1)
    assert fire.failed_over()


@SOAK_ONLY
def test_black_hole_after_the_promotion__exit_4_by_the_deadline__then_resumed(fire: Fire) -> None:
    # GIVEN RDS in the DR region stops answering right after it accepted the promotion
    fire.proxy.add(Rule("blackhole", service="rds", region=DR, after="PromoteReadReplica"))
    # WHEN the failover runs with a 20-second deadline
    done = fire.run("--deadline", "20s")
    # THEN it fails by its deadline, exit 4, with a report that says how to resume
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    report = fire.report()
    assert report["seconds"] <= 20
    assert report["next_actions"][0].startswith("the run's deadline (20s) passed: run again to resume")
    assert report["lock"]["released_at"] is not None
    # AND once RDS answers again, the same command finishes, promoting nothing twice
    fire.proxy.clear()
    again = fire.run("--deadline", "20s")
    assert again.returncode == 0, again.stdout + again.stderr
    assert fire.changes()["PromoteReadReplica"] == 1
    assert fire.failed_over()


@pytest.mark.parametrize("round_", range(5 if SOAK else 1))
def test_two_runs_at_once__exactly_one_acts(fire: Fire, round_: int) -> None:
    # GIVEN the promotion takes a few seconds, so that the two runs overlap
    fire.proxy.add(Rule("delay", "PromoteReadReplica", seconds=3, times=1))
    # WHEN two operators start the failover at the same moment
    first, second = fire.start(), fire.start()
    results = {p.pid: p.communicate(timeout=120) for p in (first, second)}
    # THEN one fails over and the other refuses, naming the holder of the lock
    assert sorted(p.returncode for p in (first, second)) == [0, 3], results
    loser = first if first.returncode == 3 else second
    assert "refused: the operations lock is held by promote_dr by " in results[loser.pid][1]
    assert fire.changes() == dict.fromkeys(CHANGES, 1)
    assert fire.failed_over()


@SOAK_ONLY
def test_primary_region_unreachable__the_failover_completes(fire: Fire) -> None:
    # GIVEN nothing signed for us-east-1 gets an answer: Route 53's API (its reads, its status,
    # its changes) and the primary's alarm; the operator has confirmed the outage another way
    fire.proxy.add(Rule("refuse", region=PRIMARY))
    done = fire.run("--force", "--deadline", "2m")
    # THEN the database and services fail over in DR, and the report says how traffic moves
    assert done.returncode == 0, done.stdout + done.stderr
    report = fire.report()
    assert report["dns"]["traffic_moved_by"] == (
        "Route 53 health checks, not confirmed (if the checkers see the primary down)"
    )
    assert [s["outcome"] for s in report["steps"]][2:] == ["done", "done", "action needed", "done"]
    assert fire.changes() == {"PromoteReadReplica": 1, "ModifyDBInstance": 1, "RegisterScalableTarget": 1,
                              "UpdateService": 1}  # fmt: skip


def boundaries() -> list[str]:
    """Every step boundary under soak; one, chosen by the seed, in CI."""
    return list(BOUNDARIES) if SOAK else [random.Random(SEED).choice(BOUNDARIES)]


@pytest.mark.parametrize("boundary", boundaries())
def test_killed_at_a_step_boundary__the_same_command_converges(fire: Fire, boundary: str) -> None:
    # GIVEN the script is killed (SIGKILL) the moment AWS has accepted a change
    fire.proxy.add(Rule("kill", boundary, times=1))
    first = fire.run()
    assert first.returncode == -9, first.stdout + first.stderr
    assert fire.kill.killed
    # WHEN the operator runs the same command again
    fire.proxy.clear()
    second = fire.run()
    # THEN it takes over the lock the dead run left, and finishes with one action per resource
    assert second.returncode == 0, second.stdout + second.stderr
    assert fire.failed_over()
    assert fire.changes() == dict.fromkeys(CHANGES, 1)
    assert fire.report()["lock"]["taken_over"].endswith("which no longer runs on this host")
