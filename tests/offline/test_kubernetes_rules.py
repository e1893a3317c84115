"""The fake Kubernetes API refuses what the real API server refuses (offline/kubernetes_rules.py),
over HTTP with 422 Invalid, and to the emulated deployment."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from offline.fake_kubernetes import running_cluster
from offline.kubernetes_rules import Invalid, validate


def autoscaler(min_replicas: int, max_replicas: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "backend", "namespace": "vapora"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "backend"},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
        },
    }


@pytest.mark.parametrize(
    ("plural", "kind", "body", "message"),
    [
        (
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            autoscaler(0),
            'HorizontalPodAutoscaler.autoscaling "backend" is invalid: spec.minReplicas: Invalid value: 0: '
            "must be greater than or equal to 1",
        ),
        (
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            autoscaler(3, 2),
            'HorizontalPodAutoscaler.autoscaling "backend" is invalid: spec.maxReplicas: Invalid value: 2: '
            "must be greater than or equal to `minReplicas`",
        ),
        (
            "cronjobs",
            "CronJob",
            {"metadata": {"name": "x" * 53}, "spec": {"schedule": "0 * * * *"}},
            f'CronJob.batch "{"x" * 53}" is invalid: metadata.name: Invalid value: "{"x" * 53}": must be no more '
            "than 52 characters",
        ),
        (
            "cronjobs",
            "CronJob",
            {"metadata": {"name": "dump"}, "spec": {"schedule": "0 * * * *", "concurrencyPolicy": "Never"}},
            'CronJob.batch "dump" is invalid: spec.concurrencyPolicy: Unsupported value: "Never": supported '
            'values: "Allow", "Forbid", "Replace"',
        ),
        (
            "namespaces",
            "Namespace",
            {"metadata": {"name": "Vapora"}},
            'Namespace "Vapora" is invalid: metadata.name: Invalid value: "Vapora": a lowercase RFC 1123 label '
            "must consist of lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character",
        ),
        (
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            {"metadata": {"name": "api"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}},
            'PodDisruptionBudget.policy "api" is invalid: spec: Invalid value: ...: minAvailable and '
            "maxUnavailable cannot be both set",
        ),
    ],
)
def test_the_api_server_refuses(plural: str, kind: str, body: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid) as err:
        validate(plural, body, kind)
    assert str(err.value) == message


def test_the_fake_server_answers_422_and_keeps_the_object_as_it_was() -> None:
    with running_cluster("vapora-dr") as cluster:
        url = f"{cluster.server_url}/apis/autoscaling/v2/namespaces/vapora/horizontalpodautoscalers"
        created = urllib.request.Request(
            url,
            data=json.dumps(autoscaler(1)).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(created, timeout=10):
            pass
        # WHEN a patch would take the floor to 0
        patch = urllib.request.Request(
            f"{url}/backend",
            data=json.dumps({"spec": {"minReplicas": 0}}).encode(),
            method="PATCH",
            headers={"Content-Type": "application/merge-patch+json"},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(patch, timeout=10)
        # THEN 422 Invalid with the server's message, and the object is unchanged
        assert err.value.code == 422
        status = json.loads(err.value.read())
        assert status["reason"] == "Invalid"
        assert "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1" in status["message"]
        stored = cluster.get("autoscaling/v2", "horizontalpodautoscalers", "vapora", "backend")
        assert stored is not None
        assert stored["spec"]["minReplicas"] == 1
