"""The Kubernetes calls a recovery and a restore test make, through the official client: restore
Jobs, and a restore test's scratch namespace with leave for the restore identity to write there.

Errors are `operations.kubernetes.KubernetesError`, one line each, like every other Kubernetes
call of the scripts. Deletions name what they delete and are made only by callers that checked
the object carries their run's mark (`operations.restore.scratch`).
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from operations.kubernetes import _call
from operations.recover.jobs import JobState, job_state

# Background propagation: deleting a Job also deletes its pods (the API's default for Jobs is
# orphaning them; Kubernetes API reference, DeleteOptions.propagationPolicy).
BACKGROUND = client.V1DeleteOptions(propagation_policy="Background")


def _plain(api: client.ApiClient, found: Any) -> dict[str, Any]:
    plain: dict[str, Any] = api.sanitize_for_serialization(found)
    return plain


def read_job(api: client.ApiClient, namespace: str, name: str) -> JobState | None:
    found = _call(
        f"get job {namespace}/{name}", lambda: client.BatchV1Api(api).read_namespaced_job(name, namespace)
    )
    return None if found is None else job_state(_plain(api, found))


def create_job(api: client.ApiClient, body: dict[str, Any]) -> None:
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    _call(
        f"create job {namespace}/{name}",
        lambda: client.BatchV1Api(api).create_namespaced_job(namespace, body),
        missing_ok=False,
    )


def delete_job(api: client.ApiClient, namespace: str, name: str) -> bool:
    """False when it was already gone."""
    done = _call(
        f"delete job {namespace}/{name}",
        lambda: client.BatchV1Api(api).delete_namespaced_job(name, namespace, body=BACKGROUND),
    )
    return done is not None


def namespace_labels(api: client.ApiClient, name: str) -> dict[str, str] | None:
    """A namespace's labels; None when there is no such namespace."""
    found = _call(f"get namespace {name}", lambda: client.CoreV1Api(api).read_namespace(name))
    if found is None:
        return None
    return dict(_plain(api, found).get("metadata", {}).get("labels") or {})


def create_namespace(api: client.ApiClient, name: str, labels: dict[str, str]) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    _call(f"create namespace {name}", lambda: client.CoreV1Api(api).create_namespace(body), missing_ok=False)


def delete_namespace(api: client.ApiClient, name: str) -> bool:
    done = _call(f"delete namespace {name}", lambda: client.CoreV1Api(api).delete_namespace(name))
    return done is not None


def grant_writes(
    api: client.ApiClient,
    *,
    namespace: str,
    name: str,
    rules: list[dict[str, Any]],
    account: str,
    account_namespace: str,
    labels: dict[str, str],
) -> None:
    """A Role with ``rules`` in ``namespace`` and its binding to a service account of another
    namespace: what lets a restore Job in the item's namespace write into a scratch one."""
    rbac = client.RbacAuthorizationV1Api(api)
    metadata = {"name": name, "namespace": namespace, "labels": labels}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata,
        "rules": rules,
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": account_namespace}],
    }
    _call(
        f"create role {namespace}/{name}",
        lambda: rbac.create_namespaced_role(namespace, role),
        missing_ok=False,
    )
    _call(
        f"create rolebinding {namespace}/{name}",
        lambda: rbac.create_namespaced_role_binding(namespace, binding),
        missing_ok=False,
    )
