"""A fault-injecting HTTP proxy in front of the AWS emulator, for tests of the scripts under fire.

Scripts run as real processes with ``AWS_ENDPOINT_URL`` pointing here; every request is forwarded
to the emulator unless a `Rule` matches it. A rule names an AWS operation (and, optionally, a
service and a region) and what to do to it:

- ``refuse``: drop the connection without an answer (botocore's ConnectionClosedError, as from an
  endpoint that resets connections);
- ``delay``: answer, ``seconds`` late;
- ``blackhole``: read the request and never answer (the endpoint accepts connections and hangs:
  only the client's read timeout ends the wait);
- ``throttle``: answer with the service's own throttling error: ThrottlingException (JSON
  protocols), Throttling (query and REST-XML), SlowDown with HTTP 503 (S3), HTTP 429 (CBOR);
- ``kill``: answer, then call ``on_kill`` (a test sends the script SIGKILL right after AWS
  accepted a change: a crash at a step boundary).

A rule may wait until another operation has been answered (``after``), and apply a number of
``times`` (or for ever). Requests are identified as AWS identifies them: the service and region
from the SigV4 credential scope of the Authorization header; the operation from ``X-Amz-Target``
(JSON protocols), the ``Action`` form field (query protocols), the path (RPC v2 CBOR), or the
method and path matched against botocore's own service model (REST protocols: Route 53, S3).
Every request is recorded (`calls`), so tests can count what reached the emulator.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import botocore.session

Action = Literal["refuse", "delay", "blackhole", "throttle", "kill"]
# The services the scripts call, by the name SigV4 signs with (the credential scope's service).
SERVICES = ("rds", "ecs", "application-autoscaling", "route53", "cloudwatch", "s3", "kms", "backup", "sts")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Rule:
    action: Action
    operation: str | None = None  # None: every operation (of ``service``, in ``region``)
    service: str | None = None  # the signing name: rds, route53, monitoring, s3, ...
    region: str | None = None
    times: int | None = None  # None: for ever
    seconds: float = 0.0  # delay
    after: str | None = None  # active once this operation has been answered
    applied: int = 0

    def matches(self, call: Call, seen: set[str]) -> bool:
        if self.times is not None and self.applied >= self.times:
            return False
        if self.after is not None and self.after not in seen:
            return False
        return (
            (self.operation is None or self.operation == call.operation)
            and (self.service is None or self.service == call.service)
            and (self.region is None or self.region == call.region)
        )


@dataclass(frozen=True)
class Call:
    service: str  # the signing name
    region: str
    operation: str
    action: str = "forwarded"


@dataclass(frozen=True)
class _RestOperation:
    name: str
    method: str
    path: re.Pattern[str]
    query: frozenset[str]  # query keys the operation requires (S3's ?versioning, ?uploadId, ...)
    headers: frozenset[str]  # headers it requires, lower case (CopyObject's x-amz-copy-source)
    literal: int  # how much of the URI is literal: the most specific match wins


class OperationNames:
    """Names REST and RPC requests from botocore's service models (loaded once per service)."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}
        self._rest: dict[str, list[_RestOperation]] = {}

    def model(self, signing_name: str) -> Any:
        with self._lock:
            if signing_name not in self._models:
                for name in SERVICES:
                    model = self._session.get_service_model(name)
                    self._models.setdefault(model.signing_name, model)
            return self._models.get(signing_name)

    def rest(
        self, signing_name: str, method: str, path: str, query: dict[str, list[str]], headers: set[str]
    ) -> str:
        model = self.model(signing_name)
        if model is None:
            return "unknown"
        with self._lock:
            if signing_name not in self._rest:
                self._rest[signing_name] = [
                    _rest_operation(model.operation_model(n)) for n in model.operation_names
                ]
            candidates = self._rest[signing_name]
        found = [
            op
            for op in candidates
            if op.method == method
            and op.path.fullmatch(path)
            and op.query <= set(query)
            and op.headers <= headers
        ]
        if not found:
            return "unknown"
        return max(found, key=lambda op: (len(op.query) + len(op.headers), op.literal)).name


def _rest_operation(operation: Any) -> _RestOperation:
    uri = str(operation.http.get("requestUri", "/"))
    path, _, query = uri.partition("?")
    pattern = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            pattern += ".+" if part.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(part)
            literal += len(part)
    keys = {k.split("=", 1)[0] for k in query.split("&") if k}
    headers = set()
    shape = operation.input_shape
    for name in shape.required_members if shape is not None else []:
        member = shape.members[name]
        if member.serialization.get("location") == "querystring":
            keys.add(member.serialization.get("name", name))
        elif member.serialization.get("location") == "header":
            headers.add(str(member.serialization.get("name", name)).lower())
    return _RestOperation(
        operation.name,
        str(operation.http.get("method", "GET")),
        re.compile(pattern + "/?"),
        frozenset(keys),
        frozenset(headers),
        literal,
    )


class FaultProxy:
    """The proxy: ``url`` for AWS_ENDPOINT_URL; ``rules`` changed while it runs (thread-safe)."""

    def __init__(self, upstream: str, *, on_kill: Callable[[Call], None] | None = None) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.rules: list[Rule] = []
        self.calls: list[Call] = []
        self.on_kill = on_kill
        self.names = OperationNames()
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    proxy._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    # The client went away first (killed, or its read timeout passed): as on AWS,
                    # the answer goes nowhere.
                    self.close_connection = True

            do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self._seen.clear()

    def operations(self, action: str | None = None) -> list[str]:
        with self._lock:
            return [c.operation for c in self.calls if action is None or c.action == action]

    # -- one request
    def identify(self, handler: BaseHTTPRequestHandler, body: bytes) -> Call:
        scope = _SCOPE.search(handler.headers.get("Authorization", ""))
        region, service = (scope.group(1), scope.group(2)) if scope else ("", "")
        target = handler.headers.get("X-Amz-Target")
        split = urllib.parse.urlsplit(handler.path)
        if target:
            operation = target.rsplit(".", 1)[-1]
        elif split.path.startswith("/service/") and "/operation/" in split.path:
            operation = split.path.rsplit("/", 1)[-1]  # RPC v2 CBOR
        elif handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            operation = (form.get("Action") or ["unknown"])[0]
        else:
            query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
            present = {k.lower() for k in handler.headers}
            path = urllib.parse.unquote(split.path)
            operation = self.names.rest(service, handler.command, path, query, present)
        return Call(service, region, operation)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        call = self.identify(handler, body)
        with self._lock:
            rule = next((r for r in self.rules if r.matches(call, self._seen)), None)
            if rule is not None:
                rule.applied += 1
            self.calls.append(
                Call(call.service, call.region, call.operation, rule.action if rule else "forwarded")
            )
        action = rule.action if rule is not None else None
        if action == "refuse":
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(2)
            return
        if action == "blackhole":
            # Hold the connection open and say nothing until the client gives up (or we stop).
            handler.connection.settimeout(0.1)
            while not self._stopping.is_set():
                try:
                    if handler.connection.recv(1, socket.MSG_PEEK) == b"":  # the client hung up
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
            handler.close_connection = True
            return
        if action == "throttle":
            self._throttle(handler, call)
            return
        if action == "delay" and rule is not None:
            self._stopping.wait(rule.seconds)
        self._forward(handler, body)
        with self._lock:
            self._seen.add(call.operation)
        if action == "kill" and self.on_kill is not None:
            self.on_kill(call)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        upstream = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=60
        )
        try:
            headers = {
                k: v for k, v in handler.headers.items() if k.lower() not in ("connection", "keep-alive")
            }
            upstream.request(handler.command, handler.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
        finally:
            upstream.close()
        handler.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(content)
        handler.close_connection = True

    def _throttle(self, handler: BaseHTTPRequestHandler, call: Call) -> None:
        model = self.names.model(call.service)
        protocol = model.protocol if model is not None else "query"
        status, headers, body = _throttling_answer(call.service, protocol)
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True


def _throttling_answer(service: str, protocol: str) -> tuple[int, dict[str, str], bytes]:
    """What the service itself answers when it throttles (each is retried by botocore)."""
    if service == "s3":
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        return 503, {"Content-Type": "application/xml"}, body
    if protocol in ("json", "rest-json"):
        body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
        return (
            400,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"},
            body,
        )
    if protocol == "smithy-rpc-v2-cbor":
        return 429, {"smithy-protocol": "rpc-v2-cbor"}, b""
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        b"<Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    )
    return 400, {"Content-Type": "text/xml"}, body


@contextlib.contextmanager
def running_proxy(upstream: str, *, on_kill: Callable[[Call], None] | None = None) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, on_kill=on_kill).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@dataclass
class KillSwitch:
    """``on_kill`` for a proxy: SIGKILL the process registered as ``pid`` (the script under test)."""

    pid: int | None = None
    killed: list[Call] = field(default_factory=list)

    def __call__(self, call: Call) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.killed.append(call)
