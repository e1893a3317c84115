"""Kubernetes services in a failover and in readiness, against a fake API server on 127.0.0.1.

The scripts use the official Kubernetes client; what is checked is what it sent (the fake
server's request log): the autoscaler's floor raised before the Deployment's scale subresource,
nothing sent twice on a re-run, only reads in a dry run and in readiness.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from continuity.plan import load_plan
from offline.fake_kubernetes import FakeCluster, running_cluster, write_kubeconfig
from offline.program import run_program
from operations.aws import Aws
from scripts.dr_readiness import main as readiness_main
from tests.conftest import ROOT, stack_overrides
from tests.operations.harness import FakeClock, Scenario, fresh_session

Make = Callable[..., Scenario]
DR_CONTEXT = "arn:aws:eks:us-west-2:123456789012:cluster/orders-dr"
VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
# (name, namespace, warm, full) of the Kubernetes services added to the default world
SERVICES = [("web", "orders", 1, 3), ("worker", "jobs", 2, 4)]


def deployment(namespace: str, name: str, replicas: int) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": name}
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": "example/app:1"}]},
            },
        },
    }


def autoscaler(namespace: str, name: str, minimum: int, maximum: int) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "minReplicas": minimum,
            "maxReplicas": maximum,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        },
    }


def cron_job(namespace: str, name: str, last_success: datetime | None) -> dict[str, Any]:
    stamp = None if last_success is None else last_success.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "dump", "image": "example/dump:1"}],
                        }
                    }
                }
            },
        },
        "status": {} if stamp is None else {"lastScheduleTime": stamp, "lastSuccessfulTime": stamp},
    }


def mutations(cluster: FakeCluster, since: int = 0) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in cluster.requests[since:] if r.method != "GET"]


@pytest.fixture
def dr_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCluster]:
    with running_cluster("orders-dr") as cluster:
        cluster.context = DR_CONTEXT
        for name, namespace, warm, full in SERVICES:
            cluster.put("apps/v1", "deployments", deployment(namespace, name, warm))
            cluster.put("autoscaling/v2", "horizontalpodautoscalers", autoscaler(namespace, name, warm, full))
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig([cluster], tmp_path / "kubeconfig")))
        yield cluster


def with_kubernetes(scenario: Make) -> Scenario:
    s = scenario()
    s.world.promotion["kubernetes"] = {
        "cluster": "orders-dr",
        "context": DR_CONTEXT,
        "services": [
            {
                "name": name,
                "tier": "critical",
                "namespace": namespace,
                "deployment": name,
                "autoscaler": name,
                "full_replicas": full,
                "warm_replicas": warm,
            }
            for name, namespace, warm, full in SERVICES
        ],
    }
    return s


def test_failover_scales_each_deployment__the_autoscaler_floor_first(
    scenario: Make, dr_cluster: FakeCluster
) -> None:
    s = with_kubernetes(scenario)
    result = s.run()
    assert result.code == 0, result.err
    sent = mutations(dr_cluster)
    for name, namespace, _, full in SERVICES:
        floor = (
            "PATCH",
            f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers/{name}",
            {"spec": {"minReplicas": full, "maxReplicas": full}},
        )
        scale = (
            "PATCH",
            f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
            {"spec": {"replicas": full}},
        )
        assert sent.index(floor) < sent.index(scale), sent
        ready = dr_cluster.get("apps/v1", "deployments", namespace, name)
        assert ready is not None
        assert ready["status"]["readyReplicas"] == full
    assert len(sent) == 2 * len(SERVICES)
    actions = result.step("scale")["actions"]
    assert "scaled web in orders-dr from 1 to 3 replicas" in actions
    assert "raised the autoscaler minimum of worker in orders-dr from 2 to 4" in actions
    # the databases and the ECS services were failed over in the same run
    assert "ReplicaLag" not in result.err
    assert result.report is not None
    assert result.report["outcome"] == "promoted"


def test_a_second_run_sends_the_cluster_nothing(scenario: Make, dr_cluster: FakeCluster) -> None:
    s = with_kubernetes(scenario)
    assert s.run().code == 0
    before = len(dr_cluster.requests)
    again = s.run()
    assert again.code == 0, again.err
    assert mutations(dr_cluster, before) == []
    assert again.report is not None
    assert again.report["outcome"] == "already promoted"


def test_dry_run_reads_the_cluster_and_plans_the_patches(scenario: Make, dr_cluster: FakeCluster) -> None:
    s = with_kubernetes(scenario)
    result = s.run("--dry-run")
    assert result.code == 0, result.err
    assert mutations(dr_cluster) == []
    assert "patch deployments/scale orders/web in orders-dr: replicas 1 -> 3" in result.out
    assert "patch horizontalpodautoscaler jobs/worker in orders-dr: minReplicas 2 -> 4 (maxReplicas 4)" in (
        result.out
    )


def test_no_context_for_the_cluster_is_bad_input__nothing_changes(
    scenario: Make, dr_cluster: FakeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = with_kubernetes(scenario)
    other = FakeCluster("elsewhere", server_url=dr_cluster.server_url)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig([other], tmp_path / "other-kubeconfig")))
    result = s.run()
    assert result.code == 2
    assert (
        result.err.strip()
        .splitlines()[-1]
        .endswith("run `aws eks update-kubeconfig --name orders-dr --region us-west-2`")
    ), result.err
    assert "Traceback" not in result.err
    assert s.dr_instance().get("ReadReplicaSourceDBInstanceIdentifier"), "the replica was promoted"
    assert dr_cluster.requests == []


def test_a_missing_deployment_refuses_at_preflight(scenario: Make, dr_cluster: FakeCluster) -> None:
    s = with_kubernetes(scenario)
    dr_cluster.objects.pop(("apps/v1", "deployments", "jobs", "worker"))
    result = s.run()
    assert result.code == 3, result.err
    assert "service worker: deployment jobs/worker not found in cluster orders-dr" in result.err
    assert mutations(dr_cluster) == []
    assert s.dr_instance().get("ReadReplicaSourceDBInstanceIdentifier"), "the replica was promoted"


# ---------------------------------------------------------------------------------------------
# Readiness: the DR Deployments' replicas and the backup CronJobs' last success, from the
# outputs the program itself declares for the VAPORA plan (every service and data item in-cluster).


@cache
def vapora_outputs() -> str:
    overrides = stack_overrides(VAPORA)
    primary = run_program("primary", str(VAPORA), config_overrides=overrides)
    dr = run_program("dr", str(VAPORA), config_overrides=overrides, primary_outputs=primary.outputs)
    return json.dumps(dr.outputs)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "ready",
            {
                "capacity backend": "pass",
                "capacity agents": "pass",
                "backup-job surrealdb primary": "pass",
                "backup-job configuration primary": "pass",
            },
        ),
        ("backend below warm", {"capacity backend": "fail", "capacity agents": "pass"}),
        ("agents without autoscaler", {"capacity agents": "fail"}),
        ("surrealdb backups stale", {"backup-job surrealdb primary": "fail"}),
        ("configuration never backed up", {"backup-job configuration primary": "fail"}),
    ],
)
def test_readiness_judges_replicas_and_backup_jobs_read_only(
    aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, expected: dict[str, str]
) -> None:
    outputs = json.loads(vapora_outputs())
    plan = load_plan(VAPORA)
    inventory = outputs["inventory"]["regions"]
    now = datetime.now(UTC)
    with running_cluster("vapora-primary") as primary, running_cluster("vapora-dr") as dr:
        primary.context = inventory["primary"]["kubernetes"]["context"]
        dr.context = inventory["dr"]["kubernetes"]["context"]
        assert primary.context != dr.context, "one context per region"
        for name, spec in plan.services.items():
            workload = inventory["dr"]["kubernetes"]["deployments"][name]
            warm = spec.capacity.dr
            replicas = warm - 1 if (case == "backend below warm" and name == "backend") else warm
            namespace = workload["namespace"]
            dr.put("apps/v1", "deployments", deployment(namespace, workload["deployment"], replicas))
            if not (case == "agents without autoscaler" and name == "agents"):
                hpa = autoscaler(namespace, workload["autoscaler"], warm, spec.capacity.primary)
                dr.put("autoscaling/v2", "horizontalpodautoscalers", hpa)
        ages = {"surrealdb": timedelta(minutes=30), "configuration": timedelta(minutes=10)}
        if case == "surrealdb backups stale":
            ages["surrealdb"] = timedelta(hours=5)
        for item, job in inventory["primary"]["kubernetes"]["cron_jobs"].items():
            never = case == "configuration never backed up" and item == "configuration"
            last = None if never else now - ages[item]
            primary.put("batch/v1", "cronjobs", cron_job(job["namespace"], job["cron_job"], last))
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig([primary, dr], tmp_path / "kubeconfig")))
        (tmp_path / "outputs.json").write_text(json.dumps(outputs))
        report = tmp_path / "readiness.json"
        with mock_aws():
            code = readiness_main(
                ["--outputs", str(tmp_path / "outputs.json"), "--plan", str(VAPORA), "--report", str(report)],
                aws=Aws(fresh_session()),
                clock=FakeClock(),
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        assert code == 1  # the AWS side of this world is empty: findings there, whatever the cluster says
        verdicts = {c["check"]: c["verdict"] for c in json.loads(report.read_text())["checks"]}
        assert {check: verdicts.get(check) for check in expected} == expected
        assert [r for r in primary.requests + dr.requests if r.method != "GET"] == []
