"""What the operations tests drive the scripts with: a virtual clock, a fake Pulumi CLI, the
script run in-process against a moto world, and AWS faults injected at the right layer.

`FailCalls` and `RaiseAfter` answer or interrupt whole API calls (botocore does not retry them);
`Throttle` answers single HTTP attempts below botocore's retry handler, so its real standard-mode
retries deal with them. The fixtures that use these live in conftest.py.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from operations.aws import Aws, CallRecorder, EventHook
from operations.clock import Interrupted
from operations.failover.steps import Timing
from operations.stack_outputs import CliResult, PulumiCli
from scripts.promote_dr import main
from tests.operations.world import World

_LOADER = botocore.loaders.create_loader()


def fresh_session() -> boto3.Session:
    """A new session (its own event hooks) that shares loaded service models with the others:
    loading them again for each run would make up most of a test's time."""
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core)


class ClientCache:
    """One client per (service, region) of a session: what world.py builds with."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self._clients: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            self._clients[(service, region)] = self.session.client(service, region_name=region)
        return self._clients[(service, region)]


class FakeClock:
    """Virtual time: sleeping advances it at once, so waits in tests take no time."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.start = datetime.now(UTC)
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.elapsed

    def sleep(self, seconds: float) -> None:
        if self._stop.is_set():
            raise Interrupted("interrupted")
        with self._lock:
            self.elapsed += max(0.0, seconds)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.monotonic())

    def interrupt(self) -> None:
        self._stop.set()


class FakePulumi(PulumiCli):
    """The Pulumi CLI as the script sees it: records each command, answers as configured."""

    def __init__(self, *, available: bool = True, fail_config: bool = False, outputs: object = None) -> None:
        super().__init__(executable="pulumi" if available else None)
        self.commands: list[list[str]] = []
        self.fail_config = fail_config
        self.outputs = outputs

    def run(self, args: list[str]) -> CliResult:
        self.commands.append(args)
        if args[:2] == ["config", "set"] and self.fail_config:
            return CliResult(255, "", "error: could not reach the state backend: s3 bucket unreachable\n")
        if args[:2] == ["stack", "output"]:
            return CliResult(0, json.dumps(self.outputs), "")
        return CliResult(0, "", "")


class TtyInput(io.StringIO):
    """Typed answers, from something that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    code: int
    out: str
    err: str
    report: dict[str, Any] | None
    markdown: str | None
    recorder: CallRecorder

    @property
    def operations(self) -> list[str]:
        return self.recorder.operations()

    def step(self, key: str) -> dict[str, Any]:
        assert self.report is not None, self.err
        return next(s for s in self.report["steps"] if s["step"] == key)


@dataclass
class Scenario:
    """One moto world and helpers to run promote_dr.py against it, in-process."""

    world: World
    client: ClientCache  # the test's own clients, beside the script's
    tmp_path: Path
    pulumi: FakePulumi = field(default_factory=FakePulumi)
    runs: int = 0

    @property
    def session(self) -> boto3.Session:
        return self.client.session

    def outputs_file(self, document: object | None = None) -> Path:
        path = self.tmp_path / f"outputs-{self.runs}.json"
        path.write_text(json.dumps(self.world.outputs if document is None else document))
        return path

    def run(
        self,
        *extra: str,
        hooks: list[EventHook] | None = None,
        outputs: Path | None = None,
        yes: bool = True,
        stdin: io.StringIO | None = None,
        pulumi: FakePulumi | None = None,
        clock: FakeClock | None = None,
        stdout: io.StringIO | None = None,
    ) -> Result:
        self.runs += 1
        report = self.tmp_path / f"report-{self.runs}.json"
        recorder = CallRecorder()
        args = ["--outputs", str(outputs or self.outputs_file()), "--report", str(report), *extra]
        if yes:
            args.append("--yes")
        out, err = stdout or io.StringIO(), io.StringIO()
        code = main(
            args,
            aws=Aws(fresh_session(), hooks=[recorder.hook, *(hooks or [])]),
            pulumi=pulumi or self.pulumi,
            clock=clock or FakeClock(),
            timing=Timing(poll_seconds=1, database_timeout=60, service_timeout=60, dns_timeout=60),
            stdin=stdin or io.StringIO(),
            stdout=out,
            stderr=err,
        )
        data = json.loads(report.read_text()) if report.exists() else None
        markdown = report.with_suffix(".md").read_text() if report.with_suffix(".md").exists() else None
        return Result(code, out.getvalue(), err.getvalue(), data, markdown, recorder)

    # -- what the world looks like now
    def dr_instance(self) -> dict[str, Any]:
        found = self.client("rds", "us-west-2").describe_db_instances(
            DBInstanceIdentifier=self.world.dr_identifier
        )
        instance = found["DBInstances"][0]
        assert isinstance(instance, dict)
        return instance

    def service(self, name: str = "api") -> dict[str, Any]:
        found = self.client("ecs", "us-west-2").describe_services(
            cluster=self.world.cluster, services=[self.world.services[name]]
        )
        service = found["services"][0]
        assert isinstance(service, dict)
        return service

    def scaling_minimum(self, name: str = "api") -> int:
        targets = self.client("application-autoscaling", "us-west-2").describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{self.world.cluster}/{self.world.services[name]}"]
        )["ScalableTargets"]
        return int(targets[0]["MinCapacity"])

    def primary_inverted(self) -> bool:
        check = self.client("route53", "us-east-1").get_health_check(
            HealthCheckId=self.world.primary_health_check_id
        )
        return bool(check["HealthCheck"]["HealthCheckConfig"].get("Inverted"))

    def primary_recovers(self) -> None:
        self.world.unhealthy.discard(self.world.primary_health_check_id)
        self.client("cloudwatch", "us-east-1").set_alarm_state(
            AlarmName=self.world.alarm_name, StateValue="OK", StateReason="the primary answers again"
        )


# ---------------------------------------------------------------------------------------------
# Fault injection


class FailCalls:
    """A ``before-call`` hook that answers chosen operations with an AWS error, ``times`` times.

    An answer from ``before-call`` replaces the request entirely (moto never sees it), and
    botocore raises it as the ClientError of that operation without retrying.
    """

    def __init__(
        self, operation: str, code: str = "InternalFailure", times: int = 1, status: int = 400
    ) -> None:
        self.operation, self.code, self.remaining, self.status = operation, code, times, status
        self.failed = 0
        self._lock = threading.Lock()

    def _handler(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        with self._lock:
            if model.name != self.operation or self.remaining <= 0:
                return None
            self.remaining -= 1
            self.failed += 1
        error = {"Code": self.code, "Message": f"injected {self.code} on {self.operation}"}
        metadata = {"HTTPStatusCode": self.status, "RequestId": "injected"}
        return AWSResponse("https://injected", self.status, {}, None), {
            "Error": error,
            "ResponseMetadata": metadata,
        }

    @property
    def hook(self) -> EventHook:
        return ("before-call", self._handler)


class RaiseAfter:
    """An ``after-call`` hook that raises ``exception`` once the chosen operation has succeeded:
    a crash (or Ctrl-C) right after AWS accepted a change."""

    def __init__(self, operation: str, exception: BaseException) -> None:
        self.operation, self.exception, self.fired = operation, exception, False

    def _handler(self, model: Any, **_: Any) -> None:
        if model.name == self.operation and not self.fired:
            self.fired = True
            raise self.exception

    @property
    def hook(self) -> EventHook:
        return ("after-call", self._handler)


_protocol = threading.local()


def _remember_protocol(model: Any, **_: Any) -> None:
    # 'before-call' sees the operation model; 'before-send' (where the stubber answers) does not.
    _protocol.name = model.service_model.resolved_protocol


def protocol_of_this_thread() -> str:
    return str(getattr(_protocol, "name", "query"))


def throttle_response(request: Any, protocol: str) -> AWSResponse:
    if protocol in ("json", "rest-json"):
        body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"}
    else:  # query and rest-xml: RDS, CloudWatch, Route 53
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            b"<Message>Rate exceeded</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
        )
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(request.url, 400, headers, MockRawResponse(body))


class Throttle:
    """Answer the first ``times`` HTTP attempts of each chosen operation with a throttling error,
    below botocore's retry handler (so its real standard-mode retries handle them)."""

    def __init__(self, operations: dict[str, int]) -> None:
        self.remaining = dict(operations)  # "rds.DescribeDBInstances" -> attempts to throttle
        self.throttled: dict[str, int] = dict.fromkeys(operations, 0)
        self._lock = threading.Lock()

    def should_throttle(self, event_name: str) -> bool:
        _, service, operation = event_name.split(".", 2)
        key = f"{service}.{operation}"
        with self._lock:
            if self.remaining.get(key, 0) <= 0:
                return False
            self.remaining[key] -= 1
            self.throttled[key] += 1
            return True

    hook: EventHook = ("before-call", _remember_protocol)
