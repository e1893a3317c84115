"""Acceptance in a real AWS sandbox account: both stacks with the Pulumi Automation API, a failover,
readiness, failback, and everything destroyed again, even when a step fails.

It runs only through `make acceptance`, which sets CONTINUITY_ACCEPTANCE=1, and only where the
Pulumi CLI and AWS credentials exist; anywhere else it is skipped with the reason. It deploys
tests/acceptance/plan.yaml (one database, one service, no write-once data, so that everything it
creates can be deleted the same day) into a throwaway file backend, never into the team's stacks.

Needs: CONTINUITY_ACCEPTANCE_ZONE, a public Route 53 hosted zone of the sandbox account. Costs
and duration: see the README ("Acceptance in a real account").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PLAN = Path(__file__).resolve().parent / "plan.yaml"
ZONE_VARIABLE = "CONTINUITY_ACCEPTANCE_ZONE"
# Route 53 marks an endpoint healthy after its failure threshold of passing checks (3 x 30 s); a
# Fargate task needs a few minutes to pull, start and pass the load balancer's checks.
HEALTHY_WITHIN_SECONDS = 20 * 60
POLL_SECONDS = 30


def _skip_reason() -> str | None:
    if os.environ.get("CONTINUITY_ACCEPTANCE") != "1":
        return "acceptance runs only through `make acceptance` (it deploys into a real AWS account)"
    if shutil.which("pulumi") is None:
        return "the Pulumi CLI is not installed"
    if boto3.session.Session().get_credentials() is None:
        return "no AWS credentials"
    if not os.environ.get(ZONE_VARIABLE):
        return f"{ZONE_VARIABLE} is not set (a public hosted zone of the sandbox account)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _environment(backend: Path) -> dict[str, str]:
    return {
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "acceptance",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }


def _stack(name: str, backend: Path) -> Any:
    from pulumi import automation

    stack = automation.create_or_select_stack(
        stack_name=name,
        work_dir=str(ROOT),
        opts=automation.LocalWorkspaceOptions(env_vars=_environment(backend)),
    )
    stack.set_config("continuity:plan", automation.ConfigValue(str(PLAN)))
    stack.set_config("continuity:hostedZone", automation.ConfigValue(os.environ[ZONE_VARIABLE]))
    return stack


def _outputs(stack: Any) -> dict[str, Any]:
    return {name: output.value for name, output in stack.outputs().items()}


def _script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=3 * 3600,
    )


def _wait_healthy(health_check_id: str) -> None:
    route53 = boto3.client("route53", region_name="us-east-1")
    deadline = time.monotonic() + HEALTHY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        observations = route53.get_health_check_status(HealthCheckId=health_check_id)[
            "HealthCheckObservations"
        ]
        if observations and all(o["StatusReport"]["Status"].startswith("Success") for o in observations):
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"health check {health_check_id} not healthy within {HEALTHY_WITHIN_SECONDS} s")


def _release_protections(outputs: dict[str, Any], region: str) -> None:
    """What the stacks protect on purpose, released for teardown: RDS and load balancer deletion
    protection, and a vault lock still inside its 72-hour grace (compliance mode)."""
    rds = boto3.client("rds", region_name=region)
    for identifier in (outputs.get("db_instance_identifiers") or {}).values():
        try:
            rds.modify_db_instance(
                DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
            )
        except rds.exceptions.DBInstanceNotFoundFault:
            continue
    elb = boto3.client("elbv2", region_name=region)
    for balancer in elb.describe_load_balancers()["LoadBalancers"]:
        if balancer["DNSName"] == outputs.get("load_balancer_dns_name"):
            elb.modify_load_balancer_attributes(
                LoadBalancerArn=balancer["LoadBalancerArn"],
                Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}],
            )
    backup = boto3.client("backup", region_name=region)
    vault = outputs.get("vault_name")
    if vault:
        backup.delete_backup_vault_lock_configuration(BackupVaultName=vault)
        for point in backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]:
            backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=point["RecoveryPointArn"])


def _destroy(stack: Any, region: str, backend: Path) -> list[str]:
    """Destroy one stack whatever state it is in; what could not be deleted is returned, named."""
    left: list[str] = []
    try:
        _release_protections(_outputs(stack), region)
    except Exception as err:
        left.append(f"{stack.name}: releasing protections: {err}")
    subprocess.run(
        ["pulumi", "state", "unprotect", "--all", "--yes", "--stack", stack.name],
        cwd=ROOT,
        env={**os.environ, **_environment(backend)},
        check=False,
        capture_output=True,
    )
    try:
        stack.destroy(on_output=print)
        stack.workspace.remove_stack(stack.name)
    except Exception as err:
        left.append(f"{stack.name}: destroy: {err}")
    return left


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    backend = tmp_path_factory.mktemp("pulumi-backend")
    primary, dr = _stack("primary", backend), _stack("dr", backend)
    try:
        yield primary, dr
    finally:
        # DR first: it owns the replication rules on the primary's buckets and the replicas.
        left = _destroy(dr, "us-west-2", backend) + _destroy(primary, "us-east-1", backend)
        assert not left, "left in the account (delete by hand):\n" + "\n".join(left)


def test_deploy_fail_over_judge_and_fail_back(stacks: tuple[Any, Any], tmp_path: Path) -> None:
    primary, dr = stacks
    # GIVEN both stacks up, primary first
    primary.up(on_output=print)
    dr.up(on_output=print)
    outputs = _outputs(dr)
    saved = tmp_path / "dr-outputs.json"
    saved.write_text(json.dumps(outputs))
    # AND the DR endpoint answering its health check
    _wait_healthy(outputs["health_check_id"])
    # WHEN the failover runs (a drill: the primary is healthy, so --force)
    failover = _script("promote_dr.py", "--outputs", str(saved), "--yes", "--force", "--json")
    assert failover.returncode == 0, failover.stderr
    # THEN readiness judges the promoted region, and failback brings the primary back
    readiness = _script("dr_readiness.py", "--outputs", str(saved), "--json")
    assert readiness.returncode in (0, 1), readiness.stderr
    failback = _script("failback.py", "--outputs", str(saved), "--yes", "--json")
    assert failback.returncode == 0, failback.stderr
