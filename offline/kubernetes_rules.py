"""What the Kubernetes API server refuses, for the fake API server and the emulated deployment.

The fake server (offline/fake_kubernetes.py) stores whatever it is sent; a real one validates
every object first (kube-apiserver, pkg/apis/<group>/validation). These are the validations the
program's objects and the scripts' patches could break, each with the server's own message, so an
object the real cluster would refuse is refused here too, with HTTP 422 and reason Invalid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from offline.aws_rules import Refused

# DNS-1123 label (namespaces) and DNS-1123 subdomain (most object names): apimachinery
# pkg/util/validation/validation.go.
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_VALUE_MAX = 63
# The CronJob controller names each Job <cronjob>-<11 characters of time>, and a Job's name is a
# DNS-1035 label (63): pkg/apis/batch/validation/validation.go, ValidateCronJobCreate.
CRONJOB_NAME_MAX = DNS1123_LABEL_MAX - 11
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")

KIND_GROUPS = {
    "HorizontalPodAutoscaler": "autoscaling",
    "CronJob": "batch",
    "Deployment": "apps",
    "PodDisruptionBudget": "policy",
    "Namespace": "",
    "Role": "rbac.authorization.k8s.io",
    "RoleBinding": "rbac.authorization.k8s.io",
}


class Invalid(Refused):
    """The API server's 422: ``<Kind>.<group> "<name>" is invalid: <field>: <detail>``."""

    def __init__(self, kind: str, name: str, causes: list[str]) -> None:
        group = KIND_GROUPS.get(kind, "")
        qualified = f"{kind}.{group}" if group else kind
        self.kind, self.name, self.causes = kind, name, causes
        super().__init__(f'{qualified} "{name}" is invalid: {", ".join(causes)}')


Validation = Callable[[dict[str, Any]], list[str]]


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec")
    return spec if isinstance(spec, dict) else {}


def _labels(body: dict[str, Any]) -> list[str]:
    causes = []
    for key, value in ((body.get("metadata") or {}).get("labels") or {}).items():
        text = str(value)
        if len(text) > LABEL_VALUE_MAX:
            causes.append(
                f'metadata.labels: Invalid value: "{text}": must be no more than {LABEL_VALUE_MAX} characters'
            )
        elif not LABEL_VALUE.match(text):
            causes.append(
                f'metadata.labels: Invalid value: "{text}": a valid label must be an empty string or '
                "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                f"alphanumeric character (key {key})"
            )
    return causes


def _autoscaler(body: dict[str, Any]) -> list[str]:
    spec = _spec(body)
    causes = []
    minimum, maximum = spec.get("minReplicas", 1), spec.get("maxReplicas")
    # 0 needs the alpha HPAScaleToZero feature gate (off by default): validation.go,
    # validateHorizontalPodAutoscalerSpec, minReplicasLowerBound.
    if minimum is not None and int(minimum) < 1:
        causes.append(f"spec.minReplicas: Invalid value: {int(minimum)}: must be greater than or equal to 1")
    if maximum is not None and int(maximum) < 1:
        causes.append(f"spec.maxReplicas: Invalid value: {int(maximum)}: must be greater than 0")
    elif maximum is not None and minimum is not None and int(maximum) < int(minimum):
        causes.append(
            f"spec.maxReplicas: Invalid value: {int(maximum)}: must be greater than or equal to `minReplicas`"
        )
    return causes


def _cron_job(body: dict[str, Any]) -> list[str]:
    spec = _spec(body)
    causes = []
    name = str((body.get("metadata") or {}).get("name", ""))
    if len(name) > CRONJOB_NAME_MAX:
        causes.append(
            f'metadata.name: Invalid value: "{name}": must be no more than {CRONJOB_NAME_MAX} characters'
        )
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and int(deadline) < 0:
        causes.append(
            f"spec.startingDeadlineSeconds: Invalid value: {int(deadline)}: must be greater than or equal to 0"
        )
    policy = spec.get("concurrencyPolicy")
    if policy is not None and policy not in CONCURRENCY_POLICIES:
        supported = ", ".join(f'"{p}"' for p in CONCURRENCY_POLICIES)
        causes.append(f'spec.concurrencyPolicy: Unsupported value: "{policy}": supported values: {supported}')
    schedule = str(spec.get("schedule", ""))
    if "TZ=" in schedule:
        causes.append(
            f'spec.schedule: Invalid value: "{schedule}": cannot use TZ or CRON_TZ in schedule, use timeZone '
            "field instead"
        )
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        value = spec.get(key)
        if value is not None and int(value) < 0:
            causes.append(f"spec.{key}: Invalid value: {int(value)}: must be greater than or equal to 0")
    return causes


def _namespace(body: dict[str, Any]) -> list[str]:
    name = str((body.get("metadata") or {}).get("name", ""))
    if len(name) > DNS1123_LABEL_MAX:
        return [
            f'metadata.name: Invalid value: "{name}": must be no more than {DNS1123_LABEL_MAX} characters'
        ]
    if not DNS1123_LABEL.match(name):
        return [
            f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case '
            "alphanumeric characters or '-', and must start and end with an alphanumeric character"
        ]
    return []


def _disruption_budget(body: dict[str, Any]) -> list[str]:
    spec = _spec(body)
    if "minAvailable" in spec and "maxUnavailable" in spec:
        return ["spec: Invalid value: ...: minAvailable and maxUnavailable cannot be both set"]
    return []


VALIDATIONS: dict[str, list[Validation]] = {
    "horizontalpodautoscalers": [_autoscaler, _labels],
    "cronjobs": [_cron_job, _labels],
    "namespaces": [_namespace, _labels],
    "poddisruptionbudgets": [_disruption_budget, _labels],
    "deployments": [_labels],
    "services": [_labels],
}


def validate(plural: str, body: dict[str, Any], kind: str) -> None:
    """Raise Invalid with every cause, as the API server answers a create, replace or patch."""
    causes = [cause for check in VALIDATIONS.get(plural, []) for cause in check(body)]
    if causes:
        raise Invalid(kind, str((body.get("metadata") or {}).get("name", "")), causes)
