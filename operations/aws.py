"""boto3 sessions and regional clients for the operational scripts, and AWS error helpers.

One `Aws` object per run holds one boto3 session (the standard credential chain: environment,
profile, SSO, instance or task role) and hands out one client per service and region. boto3
itself honours `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), which is how the scripts
run against an emulator. Retries are adaptive: standard retries with exponential backoff, plus
client-side rate limiting once AWS starts throttling, which matters when a failover polls
several APIs at once.

Event hooks registered on the session reach every client made from it; tests use them to record
each operation (`CallRecorder`) or inject failures, the benchmark to model AWS latency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from operations.errors import OperationsError

# Route 53 is global; its control plane (and the signing region of its API) is us-east-1.
ROUTE53_REGION = "us-east-1"

# Adaptive mode: up to 10 attempts in all with exponential backoff, and a client-side token
# bucket that slows calls down once the service throttles. Timeouts are short enough that a
# regional outage shows as an error within a minute, not as a hung script.
RETRIES = {"mode": "adaptive", "total_max_attempts": 10}


def client_config() -> Config:
    return Config(
        retries=dict(RETRIES),
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="continuity-dr-operations",
    )


EventHook = tuple[str, Callable[..., Any]]


class Aws:
    """A boto3 session and a cache of its clients, one per (service, region); thread-safe."""

    def __init__(
        self,
        session: boto3.Session | None = None,
        *,
        hooks: Sequence[EventHook] = (),
        config: Config | None = None,
    ) -> None:
        self.session = session if session is not None else boto3.Session()
        for event, handler in hooks:
            self.session.events.register(event, handler)
        self.config = config if config is not None else client_config()
        self._clients: dict[tuple[str, str], Any] = {}
        # Creating clients from one session is not thread-safe; using them is.
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(service, region_name=region, config=self.config)
            return self._clients[key]

    def route53(self) -> Any:
        return self.client("route53", ROUTE53_REGION)


# ---------------------------------------------------------------------------------------------
# Errors

# Codes AWS uses for throttling and for its own transient failures: worth another poll.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def is_unreachable(exc: BaseException) -> bool:
    """The API could not be reached or answered with a server error: a control plane that is
    down (a regional outage), not evidence about the resource asked for."""
    if isinstance(exc, BotoConnectionError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return int(status or 0) >= 500 or error_code(exc) in TRANSIENT_CODES
    return False


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later (a poll loop does; a single call has already retried)."""
    return is_unreachable(exc)


def is_credentials_problem(exc: BaseException) -> bool:
    return isinstance(exc, NoCredentialsError | PartialCredentialsError | NoRegionError)


MESSAGE_LIMIT = 300


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def describe_error(exc: BaseException) -> str:
    """One line for an operator: the AWS error code and message, or botocore's own sentence."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or "Error"
        message = _short(str(error.get("Message") or ""))
        if message.lstrip().startswith("<"):
            # An HTML page is not an AWS error: a proxy, or an emulator without this operation.
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            message = (
                f"HTTP {status} with a web page, not an AWS answer (an endpoint without this operation?)"
            )
        operation = getattr(exc, "operation_name", "")
        where = f" ({operation})" if operation else ""
        return f"{code}{where}: {message}" if message else f"{code}{where}"
    if isinstance(exc, BotoCoreError | OperationsError):
        return _short(str(exc))
    return f"{type(exc).__name__}: {_short(str(exc))}"


def arn_region(arn: str) -> str | None:
    """The region field of an ARN (`arn:partition:service:region:account:resource`)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[3] or None


def arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[4] or None


# ---------------------------------------------------------------------------------------------
# Recording calls (least-privilege tests, and counting calls in reports)

# botocore service names whose IAM prefix differs; the scripts' own services all match.
_IAM_PREFIX = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing", "stepfunctions": "states"}
# S3 names most of its IAM actions differently from its API operations (Amazon S3 User Guide,
# "Required permissions for Amazon S3 API operations"); the ones the scripts call.
_S3_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListBuckets": "s3:ListAllMyBuckets",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteObjects": "s3:DeleteObject",
    "CopyObject": "s3:PutObject",  # and a read of the source: s3:GetObject(Version), implied
}


def iam_action(service_name: str, operation: str) -> str:
    """The IAM action an API operation needs: `rds:PromoteReadReplica`, `s3:ListBucket` for ListObjectsV2."""
    if service_name == "s3" and operation in _S3_ACTIONS:
        return _S3_ACTIONS[operation]
    return f"{_IAM_PREFIX.get(service_name, service_name)}:{operation}"


@dataclass(frozen=True)
class RecordedCall:
    service: str
    operation: str
    region: str | None
    params: tuple[str, ...]  # parameter names only, never values (they may hold secrets)

    @property
    def action(self) -> str:
        return iam_action(self.service, self.operation)


class CallRecorder:
    """Every API call made through a session, once per call (not per retry).

    Register with ``Aws(hooks=[recorder.hook])``: botocore emits ``before-parameter-build``
    once per call with the operation's model, before any retry loop.
    """

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._lock = threading.Lock()

    def _record(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        call = RecordedCall(
            service=model.service_model.service_name,
            operation=model.name,
            region=context.get("client_region"),
            params=tuple(sorted(params)),
        )
        with self._lock:
            self.calls.append(call)

    @property
    def hook(self) -> EventHook:
        return ("before-parameter-build", self._record)

    def actions(self) -> set[str]:
        with self._lock:
            return {c.action for c in self.calls}

    def operations(self, service: str | None = None) -> list[str]:
        with self._lock:
            return [c.operation for c in self.calls if service is None or c.service == service]


def mutating(operations: Iterable[str]) -> list[str]:
    """The operations that are not reads (Describe, Get, List)."""
    return [op for op in operations if not op.startswith(("Describe", "Get", "List"))]
