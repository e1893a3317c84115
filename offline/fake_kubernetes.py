"""A Kubernetes API server stand-in on 127.0.0.1, for the rehearsal and the tests.

It speaks enough of the real API for the official Python client (and the emulated deployment) to
create, read, list, patch, replace and delete namespaced and cluster-scoped objects, and the scale
subresource of Deployments. A minimal controller makes a Deployment's status follow its spec (the
pods become ready at once), and every request is recorded, so tests check what the real client
sent rather than how it was called.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from offline.kubernetes_rules import Invalid, validate

# /api/v1/... or /apis/<group>/<version>/..., then [namespaces/<ns>/]<plural>[/<name>[/<sub>]]
_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<namespace>[^/]+)(?=/))?"
    r"/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>scale|status))?/?$"
)
KINDS = {
    "namespaces": "Namespace",
    "deployments": "Deployment",
    "services": "Service",
    "poddisruptionbudgets": "PodDisruptionBudget",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "cronjobs": "CronJob",
    "jobs": "Job",
    "serviceaccounts": "ServiceAccount",
    "roles": "Role",
    "rolebindings": "RoleBinding",
    "configmaps": "ConfigMap",
}


@dataclass
class Request:
    method: str
    path: str
    body: Any
    content_type: str


@dataclass
class FakeCluster:
    name: str
    objects: dict[tuple[str, str, str, str], dict[str, Any]] = field(
        default_factory=dict
    )  # (api, plural, ns, name)
    requests: list[Request] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    server_url: str = ""
    context: str = ""  # the kubeconfig context naming it (its name when empty)
    # More controllers (a Job runner, say): each is called with (plural, body) as an object is
    # stored, after the built-in ones, and may set its status.
    controllers: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)

    # -- state, for the emulated deployment and the tests
    def put(self, api: str, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store an object as the API server would, once it passes the server's validation
        (offline/kubernetes_rules.py; Invalid otherwise, and nothing is stored)."""
        validate(plural, body, KINDS.get(plural, plural.title()))
        with self.lock:
            metadata = body.setdefault("metadata", {})
            key = (api, plural, metadata.get("namespace", ""), metadata["name"])
            existing = self.objects.get(key)
            metadata.setdefault("uid", existing["metadata"]["uid"] if existing else str(uuid.uuid4()))
            metadata.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            generation = (existing or {}).get("metadata", {}).get("generation", 0)
            changed = existing is None or existing.get("spec") != body.get("spec")
            metadata["generation"] = generation + 1 if changed else generation
            metadata["resourceVersion"] = str(len(self.requests) + 1)
            body.setdefault("apiVersion", api)
            body.setdefault("kind", KINDS.get(plural, plural.title()))
            if existing is not None and "status" not in body and "status" in existing:
                body["status"] = existing["status"]
            self._reconcile(plural, body)
            self.objects[key] = body
            return body

    def get(self, api: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.objects.get((api, plural, namespace, name))
            return copy.deepcopy(found) if found else None

    def _reconcile(self, plural: str, body: dict[str, Any]) -> None:
        """The controllers this stand-in has: Deployments' pods are ready as soon as asked for."""
        if plural == "deployments":
            wanted = int((body.get("spec") or {}).get("replicas", 1))
            body["status"] = {
                "observedGeneration": body["metadata"]["generation"],
                "replicas": wanted,
                "updatedReplicas": wanted,
                "readyReplicas": wanted,
                "availableReplicas": wanted,
            }
        if plural == "horizontalpodautoscalers":
            spec = body.get("spec") or {}
            body.setdefault("status", {})["desiredReplicas"] = spec.get("minReplicas", 1)
        for controller in self.controllers:
            controller(plural, body)

    def kubeconfig(self) -> dict[str, Any]:
        context = self.context or self.name
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.server_url}}],
            "users": [{"name": context, "user": {"token": "rehearsal"}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
        }


def write_kubeconfig(clusters: list[FakeCluster], path: Path) -> Path:
    """One kubeconfig with a context per cluster, named by its ``context`` (an EKS cluster's ARN,
    as `aws eks update-kubeconfig` names it) or its name."""
    configs = [c.kubeconfig() for c in clusters]
    merged = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [x for c in configs for x in c["clusters"]],
        "users": [x for c in configs for x in c["users"]],
        "contexts": [x for c in configs for x in c["contexts"]],
        "current-context": clusters[0].context or clusters[0].name,
    }
    path.write_text(yaml.safe_dump(merged))
    return path


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386); strategic merge patches of the fields the scripts touch
    (replica counts, autoscaler floors) merge the same way."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def _handler(cluster: FakeCluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _status(self, code: HTTPStatus, reason: str, message: str) -> None:
            self._send(
                code,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "message": message,
                    "reason": reason,
                    "code": int(code),
                },
            )

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else None

        def _handle(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            body = self._body() if method in ("POST", "PUT", "PATCH") else None
            with cluster.lock:
                cluster.requests.append(
                    Request(method, self.path, body, self.headers.get("Content-Type", ""))
                )
            if path == "/version":
                self._send(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0"})
                return
            match = _PATH.match(path)
            if not match:
                self._status(HTTPStatus.NOT_FOUND, "NotFound", f"no route {path}")
                return
            api = "v1" if match["core"] else f"{match['group']}/{match['version']}"
            plural, namespace, name, sub = (
                match["plural"],
                match["namespace"] or "",
                match["name"],
                match["sub"],
            )
            if plural == "namespaces" and name is None and match["namespace"] is None and method == "GET":
                self._list(api, plural, None)
                return
            with cluster.lock:
                try:
                    self._resource(method, api, plural, namespace, name=name, sub=sub, body=body)
                except Invalid as err:
                    self._status(HTTPStatus.UNPROCESSABLE_ENTITY, "Invalid", str(err))

        def _list(self, api: str, plural: str, namespace: str | None) -> None:
            items = [
                copy.deepcopy(o)
                for (a, p, ns, _), o in sorted(cluster.objects.items())
                if a == api and p == plural and (namespace is None or ns == namespace)
            ]
            self._send(
                200,
                {
                    "kind": f"{KINDS.get(plural, plural)}List",
                    "apiVersion": api,
                    "metadata": {},
                    "items": items,
                },
            )

        def _resource(
            self,
            method: str,
            api: str,
            plural: str,
            namespace: str,
            *,
            name: str | None,
            sub: str | None,
            body: Any,
        ) -> None:
            if name is None:
                if method == "GET":
                    self._list(api, plural, namespace)
                elif method == "POST":
                    body.setdefault("metadata", {}).setdefault("namespace", namespace) if namespace else None
                    if cluster.get(api, plural, namespace, body["metadata"]["name"]) is not None:
                        self._status(
                            HTTPStatus.CONFLICT,
                            "AlreadyExists",
                            f"{plural} {body['metadata']['name']} exists",
                        )
                        return
                    self._send(201, cluster.put(api, plural, body))
                else:
                    self._status(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", method)
                return
            existing = cluster.get(api, plural, namespace, name)
            if existing is None and method != "PUT":
                self._status(HTTPStatus.NOT_FOUND, "NotFound", f'{plural} "{name}" not found')
                return
            if sub == "scale":
                self._scale(method, api, plural, existing, body)
                return
            if method == "GET":
                self._send(200, existing)
            elif method == "PUT":
                self._send(200, cluster.put(api, plural, body))
            elif method == "PATCH":
                assert existing is not None
                patched = _merge(
                    existing, body if sub != "status" else {"status": (body or {}).get("status", body)}
                )
                self._send(200, cluster.put(api, plural, patched))
            elif method == "DELETE":
                cluster.objects.pop((api, plural, namespace, name), None)
                self._send(200, {"kind": "Status", "status": "Success"})
            else:
                self._status(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", method)

        def _scale(self, method: str, api: str, plural: str, existing: Any, body: Any) -> None:
            if method in ("PATCH", "PUT"):
                replicas = ((body or {}).get("spec") or {}).get("replicas")
                if replicas is not None:
                    existing.setdefault("spec", {})["replicas"] = replicas
                    existing = cluster.put(api, plural, existing)
            self._send(
                200,
                {
                    "kind": "Scale",
                    "apiVersion": "autoscaling/v1",
                    "metadata": {
                        "name": existing["metadata"]["name"],
                        "namespace": existing["metadata"].get("namespace"),
                    },
                    "spec": {"replicas": existing["spec"].get("replicas", 1)},
                    "status": {"replicas": existing.get("status", {}).get("replicas", 0)},
                },
            )

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


@contextmanager
def running_cluster(name: str) -> Iterator[FakeCluster]:
    """A fake API server on a free loopback port, for as long as the block runs."""
    cluster = FakeCluster(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cluster))
    server.daemon_threads = True
    cluster.server_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name=f"fake-kubernetes-{name}", daemon=True)
    thread.start()
    try:
        yield cluster
    finally:
        server.shutdown()
        server.server_close()
