"""boto3 sessions and regional clients for the operational scripts, and AWS error helpers.

One `Aws` object per run holds one boto3 session (the standard credential chain: environment,
profile, SSO, instance or task role) and hands out one client per service and region. boto3
itself honours `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), which is how the scripts
run against an emulator. Retries are the SDKs' standard mode: exponential backoff with jitter
(covering throttling: ThrottlingException, SlowDown, HTTP 429 and 503) and a retry quota that stops
a client from retrying into a service that keeps failing. Not adaptive mode: the AWS SDKs and Tools
Reference Guide ("Retry behavior") recommends standard and calls adaptive experimental, for
specialised cases; its client-side rate limiter, once throttled, holds every later call of that
client back for seconds, time a failover does not have.

Every call is bounded in time: explicit connect and read timeouts and an attempt budget (botocore
`Config`), and, once a run has a deadline (`Aws.bound_by`), no attempt is sent that could not end
before it. botocore's defaults (60 s to connect, 60 s to read, per attempt) let a black-holed
endpoint hang a script for ten minutes.

Event hooks registered on the session reach every client made from it; tests use them to record
each operation (`CallRecorder`) or inject failures, the benchmark to model AWS latency.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from operations.errors import OperationsError

if TYPE_CHECKING:
    from operations.clock import Deadline

# Route 53 is global; its control plane (and the signing region of its API) is us-east-1.
ROUTE53_REGION = "us-east-1"

# Standard mode: a random delay of up to 1, 2, 4 s before the 2nd, 3rd and 4th attempt. Four
# attempts ride out a burst of throttling; a poll loop (operations.clock.poll_until) tries again
# on top of them.
MAX_ATTEMPTS = 4
LONGEST_BACKOFF = 2.0 ** (MAX_ATTEMPTS - 2)
# AWS control-plane APIs answer in well under a second, and the calls the scripts make start
# long-running work (a promotion) rather than wait for it: a TCP connection not made in 5 s, or
# an answer not begun in 15 s, is an endpoint that is down, not a slow one.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
# Under a short --deadline each attempt gets at most a tenth of it to connect and a tenth to read.
DEADLINE_SHARE = 10


def client_config(deadline_seconds: float | None = None) -> Config:
    """Timeouts and the attempt budget for every client; tighter under a short deadline."""
    share = math.inf if deadline_seconds is None else deadline_seconds / DEADLINE_SHARE
    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=min(CONNECT_TIMEOUT, share),
        read_timeout=min(READ_TIMEOUT, share),
        user_agent_extra="continuity-dr-operations",
    )


def attempt_seconds(config: Config) -> float:
    """The longest one attempt of a call can take: connecting, then waiting for the answer."""
    return float(config.connect_timeout) + float(config.read_timeout)


_bookkeeping: ContextVar[bool] = ContextVar("continuity_bookkeeping", default=False)


@dataclass
class _Budget:
    attempts: int  # attempts allowed to go unanswered
    unanswered: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("continuity_budget", default=None)


class OutOfBudget(BotoCoreError):
    """A call given up within `Aws.budget`: to the caller, an endpoint that did not answer."""

    fmt = "{message}"

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


@contextmanager
def bookkeeping() -> Iterator[None]:
    """Calls made inside are the run's own records (the operations lock), not work on the
    environment: they may use the time a deadline keeps in reserve, and `CallRecorder` keeps
    them apart from the environment's operations (they still count for least privilege)."""
    token = _bookkeeping.set(True)
    try:
        yield
    finally:
        _bookkeeping.reset(token)


EventHook = tuple[str, Callable[..., Any]]


class Aws:
    """A boto3 session and a cache of its clients, one per (service, region); thread-safe."""

    deadline: Deadline | None = None

    def __init__(
        self,
        session: boto3.Session | None = None,
        *,
        hooks: Sequence[EventHook] = (),
        config: Config | None = None,
    ) -> None:
        self.session = session if session is not None else boto3.Session()
        # The deadline first, before anything that answers in AWS's place (moto's stubber, a
        # test's fault); then a hook's own "before-send" (a fault sent where AWS would be), before
        # that stubber too, so that what it refuses never reaches the emulator.
        self.session.events.register_first("before-send", self._within_deadline)
        self.session.events.register_first("needs-retry", self._count_unanswered)
        for event, handler in hooks:
            if event.startswith("before-send"):
                self.session.events.register_first(event, handler)
            else:
                self.session.events.register(event, handler)
        self._default_config = config is None
        self.config = config if config is not None else client_config()
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        # Creating clients from one session is not thread-safe; using them is.
        self._lock = threading.Lock()

    def scale_timeouts(self, deadline_seconds: float | None) -> None:
        """Timeouts scaled to a run's deadline, for the clients made from now on (those made
        before keep theirs)."""
        with self._lock:
            if self._default_config and not self._clients:
                self.config = client_config(deadline_seconds)

    def bound_by(self, deadline: Deadline) -> None:
        """From now on, send no attempt that could not end before ``deadline``."""
        self.deadline = deadline

    @contextmanager
    def budget(self, attempts: int) -> Iterator[None]:
        """Calls made inside (in this thread) give up once ``attempts`` attempts went unanswered
        (no connection, no answer before the read timeout, a 5xx), not after the full budget: for a
        control plane that may be down with the failed region, whose answer the run does not
        depend on. An answer, even a throttling one, shows the API alive: those are retried in the
        full budget. Each attempt is bounded by the timeouts, so this bounds the time."""
        token = _budget.set(_Budget(attempts))
        try:
            yield
        finally:
            _budget.reset(token)

    @staticmethod
    def _count_unanswered(
        response: Any = None, caught_exception: BaseException | None = None, **_: Any
    ) -> None:
        budget = _budget.get()
        if budget is None:
            return
        if caught_exception is not None:
            budget.unanswered += 1
            return
        if response is not None:
            status = int((response[1] or {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            code = str((response[1] or {}).get("Error", {}).get("Code", ""))
            if status >= 500 and code not in TRANSIENT_THROTTLING:
                budget.unanswered += 1

    @property
    def attempt_seconds(self) -> float:
        return attempt_seconds(self.config)

    def _within_deadline(self, request: Any = None, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1] or "a call"
        budget = _budget.get()
        if budget is not None and budget.unanswered >= budget.attempts:
            raise OutOfBudget(f"{operation}: no answer in {budget.attempts} attempts")
        deadline = self.deadline
        if deadline is None:
            return
        # An attempt begun with less time left than it may take would end after the deadline.
        if deadline.remaining(bookkeeping=_bookkeeping.get()) < self.attempt_seconds:
            raise deadline.exceeded(
                f"the run's deadline ({deadline.describe()}) leaves no time to send {operation}"
            )

    def client(self, service: str, region: str, *, endpoint_url: str | None = None) -> Any:
        key = (service, region, endpoint_url)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(
                    service, region_name=region, config=self.config, endpoint_url=endpoint_url
                )
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
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",  # S3
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


TOO_MANY_REQUESTS = 429
# Throttling codes among the 5xx answers (S3's SlowDown is a 503): the API answers.
TRANSIENT_THROTTLING = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded"})


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def is_unreachable(exc: BaseException) -> bool:
    """The API could not be reached or answered with a server error: a control plane that is
    down (a regional outage), not evidence about the resource asked for."""
    # No connection, a connection closed, or no answer before the read timeout (botocore's
    # ReadTimeoutError and ConnectionClosedError are HTTPClientErrors, not ConnectionErrors).
    if isinstance(exc, BotoConnectionError | HTTPClientError | OutOfBudget):
        return True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        # 429: throttled, whatever the body says (a proxy or load balancer in front of the API).
        return status >= 500 or status == TOO_MANY_REQUESTS or error_code(exc) in TRANSIENT_CODES
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
    bookkeeping: bool = False  # the run's own records (the operations lock), see `bookkeeping`

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
            bookkeeping=_bookkeeping.get(),
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
        """The operations called on the environment (the run's bookkeeping left out), in order."""
        with self._lock:
            return [
                c.operation
                for c in self.calls
                if (service is None or c.service == service) and not c.bookkeeping
            ]


def mutating(operations: Iterable[str]) -> list[str]:
    """The operations that are not reads (Describe, Get, List)."""
    return [op for op in operations if not op.startswith(("Describe", "Get", "List"))]
