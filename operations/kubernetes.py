"""The Kubernetes API calls the scripts make, through the official Python client.

A cluster is reached through the kubeconfig context the stack outputs name: an EKS cluster's ARN,
which is what ``aws eks update-kubeconfig --name <cluster> --region <region>`` calls it, or the
current-context of the kubeconfig the stack was given; in ``$KUBECONFIG`` or ``~/.kube/config``,
as kubectl reads them. The client sends exactly what kubectl
would: the scale subresource for Deployments, a merge patch of the autoscaler's bounds.

Every call has connect and read timeouts. Every client error becomes a `KubernetesError` with one
line for an operator (the status, the verb and the object), so a script reports it like an AWS
error and never prints a traceback.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import HTTPError

from operations.aws import CONNECT_TIMEOUT, READ_TIMEOUT
from operations.errors import BadInput, StepFailed

T = TypeVar("T")
# (connect, read) seconds for each API call, as for AWS (operations.aws): an API server that does
# not answer in that time is down, and the client's default is to wait for ever.
REQUEST_TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)


class KubernetesError(StepFailed):
    """A Kubernetes API call that failed, in one line."""


@dataclass(frozen=True)
class DeploymentView:
    namespace: str
    name: str
    replicas: int  # spec: what is asked for
    ready: int
    updated: int
    available: int
    generation: int
    observed_generation: int

    def steady_at(self, count: int) -> bool:
        """The controller has seen the latest spec and ``count`` pods are updated, ready and available."""
        return (
            self.replicas >= count
            and self.observed_generation >= self.generation
            and min(self.ready, self.updated, self.available) >= count
        )

    def describe(self) -> str:
        return f"{self.replicas} replicas asked, {self.ready} ready, {self.available} available"


@dataclass(frozen=True)
class AutoscalerView:
    namespace: str
    name: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class CronJobView:
    namespace: str
    name: str
    schedule: str
    suspended: bool
    last_scheduled: datetime | None
    last_successful: datetime | None  # status.lastSuccessfulTime (Kubernetes 1.21+)


def _call(what: str, fn: Callable[[], T], *, missing_ok: bool = True) -> T | None:
    try:
        return fn()
    except ApiException as exc:
        if exc.status == 404 and missing_ok:
            return None
        raise KubernetesError(f"{exc.status} {exc.reason} ({what}){_message(exc)}") from None
    except HTTPError as exc:
        raise KubernetesError(f"API server not reachable ({what}): {type(exc).__name__}") from None


def _message(exc: ApiException) -> str:
    try:
        message = json.loads(exc.body or "{}").get("message")
    except (ValueError, AttributeError):
        message = None
    return f": {message}" if message else ""


class Clusters:
    """One API client per kubeconfig context, made on first use and shared across threads."""

    def __init__(self, kubeconfig: str | None = None) -> None:
        self.kubeconfig = kubeconfig or os.environ.get("KUBECONFIG") or None
        self._lock = threading.Lock()
        self._clients: dict[str, client.ApiClient] = {}

    def api(self, context: str) -> client.ApiClient:
        with self._lock:
            if context not in self._clients:
                try:
                    self._clients[context] = config.new_client_from_config(
                        config_file=self.kubeconfig, context=context, persist_config=False
                    )
                except (ConfigException, OSError) as exc:
                    where = self.kubeconfig or "~/.kube/config"
                    raise BadInput(
                        f"kubeconfig {where}: no usable context {context!r} ({_first_line(exc)}); "
                        f"{context_hint(context)}"
                    ) from None
            return self._clients[context]


def context_hint(context: str) -> str:
    """How an operator gets the context: for EKS, the command that writes it under its ARN."""
    parts = context.split(":", 5)
    if len(parts) == 6 and parts[2] == "eks" and parts[5].startswith("cluster/"):
        name, region = parts[5].removeprefix("cluster/"), parts[3]
        return f"run `aws eks update-kubeconfig --name {name} --region {region}`"
    return f"add the context {context!r} (the stack's kubeconfig current-context) to the kubeconfig"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def describe_deployment(api: client.ApiClient, namespace: str, name: str) -> DeploymentView | None:
    found = _call(
        f"get deployment {namespace}/{name}",
        lambda: client.AppsV1Api(api).read_namespaced_deployment(
            name, namespace, _request_timeout=REQUEST_TIMEOUT
        ),
    )
    if found is None:
        return None
    status = found.status
    return DeploymentView(
        namespace=namespace,
        name=name,
        replicas=int(found.spec.replicas if found.spec.replicas is not None else 1),
        ready=int(status.ready_replicas or 0) if status else 0,
        updated=int(status.updated_replicas or 0) if status else 0,
        available=int(status.available_replicas or 0) if status else 0,
        generation=int(found.metadata.generation or 0),
        observed_generation=int(status.observed_generation or 0) if status else 0,
    )


def scale_deployment(api: client.ApiClient, namespace: str, name: str, replicas: int) -> None:
    _call(
        f"patch deployments/scale {namespace}/{name}",
        lambda: client.AppsV1Api(api).patch_namespaced_deployment_scale(
            name, namespace, {"spec": {"replicas": replicas}}, _request_timeout=REQUEST_TIMEOUT
        ),
        missing_ok=False,
    )


def describe_autoscaler(api: client.ApiClient, namespace: str, name: str) -> AutoscalerView | None:
    found = _call(
        f"get horizontalpodautoscaler {namespace}/{name}",
        lambda: client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler(
            name, namespace, _request_timeout=REQUEST_TIMEOUT
        ),
    )
    if found is None:
        return None
    return AutoscalerView(
        namespace=namespace,
        name=name,
        # minReplicas defaults to 1 when unset (autoscaling/v2 API reference).
        minimum=int(found.spec.min_replicas if found.spec.min_replicas is not None else 1),
        maximum=int(found.spec.max_replicas),
    )


def set_autoscaler_bounds(
    api: client.ApiClient, namespace: str, name: str, minimum: int, maximum: int
) -> None:
    _call(
        f"patch horizontalpodautoscaler {namespace}/{name}",
        lambda: client.AutoscalingV2Api(api).patch_namespaced_horizontal_pod_autoscaler(
            name,
            namespace,
            {"spec": {"minReplicas": minimum, "maxReplicas": maximum}},
            _request_timeout=REQUEST_TIMEOUT,
        ),
        missing_ok=False,
    )


def describe_cron_job(api: client.ApiClient, namespace: str, name: str) -> CronJobView | None:
    found: Any = _call(
        f"get cronjob {namespace}/{name}",
        lambda: client.BatchV1Api(api).read_namespaced_cron_job(
            name, namespace, _request_timeout=REQUEST_TIMEOUT
        ),
    )
    if found is None:
        return None
    status = found.status
    return CronJobView(
        namespace=namespace,
        name=name,
        schedule=found.spec.schedule,
        suspended=bool(found.spec.suspend),
        last_scheduled=status.last_schedule_time if status else None,
        last_successful=status.last_successful_time if status else None,
    )
