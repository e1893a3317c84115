"""promote_dr.py in-process under the faults a bad night brings: an endpoint that stops answering
(the run ends by its deadline, exit 4, resumable), the primary region's control plane gone (the
failover completes; the report says how traffic moved), ARC routing controls as the switch, and a
reader that closes stdout half way (the failover goes on). Time is virtual (FakeClock); a
black-holed call costs its read timeout on that clock, and botocore's real retry handler decides
what to try again."""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from operations.aws import Aws, client_config, mutating
from operations.cli import parse_deadline
from operations.clock import Deadline
from operations.errors import BadInput
from operations.runbook import Context
from tests.operations.harness import FailCalls, FakeClock, FakePulumi, Scenario, fresh_session

Make = Callable[..., Scenario]


class BlackHole:
    """A ``before-send`` hook: once ``after`` has been answered, every attempt at ``operation``
    takes its whole connect and read timeout on the clock, then times out (an endpoint that
    accepts connections and never answers)."""

    def __init__(self, operation: str, clock: FakeClock, *, after: str | None = None) -> None:
        self.operation, self.clock, self.after = operation, clock, after
        self.armed = after is None
        self.attempts = 0
        self._lock = threading.Lock()

    def _sent(self, request: Any, event_name: str, **_: Any) -> None:
        if not self.armed or not event_name.endswith(f".{self.operation}"):
            return
        with self._lock:
            self.attempts += 1
        config = request.context.get("client_config")
        self.clock.sleep(float(config.connect_timeout) + float(config.read_timeout))
        raise ReadTimeoutError(endpoint_url=request.url)

    def _answered(self, model: Any, **_: Any) -> None:
        if model.name == self.after:
            self.armed = True

    @property
    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        return [
            ("before-send", self._sent),
            ("after-call", self._answered),
        ]


def test_black_hole_after_the_promotion__exit_4_within_the_deadline__then_resumed(
    scenario: Make, no_backoff: None
) -> None:
    # GIVEN RDS stops answering right after it accepted the promotion
    s = scenario()
    clock = FakeClock()
    hole = BlackHole("DescribeDBInstances", clock, after="PromoteReadReplica")
    # WHEN the failover runs with a 40-second deadline
    first = s.run("--deadline", "40s", hooks=hole.hooks, clock=clock)
    # THEN it ends within the deadline, exit 4, naming it, with a report to resume from
    assert first.code == 4, first.err
    assert hole.attempts > 1
    report = first.report
    assert report is not None
    assert report["deadline_seconds"] == 40
    assert report["seconds"] <= 40
    assert clock.monotonic() <= 40
    assert first.step("promote")["outcome"] == "failed"
    assert "deadline (40s)" in first.err
    assert report["next_actions"][0].startswith("the run's deadline (40s) passed: run again to resume")
    assert report["lock"]["released_at"] is not None  # released within the reserve kept for it
    # AND the same command, once RDS answers, finishes the failover
    second = s.run("--deadline", "40s")
    assert second.code == 0, second.err
    assert "PromoteReadReplica" not in second.operations
    assert s.primary_inverted()


def test_black_hole_from_the_start__preflight_fails_in_time(scenario: Make, no_backoff: None) -> None:
    s = scenario()
    clock = FakeClock()
    result = s.run("--deadline", "1m", hooks=BlackHole("DescribeDBInstances", clock).hooks, clock=clock)
    assert result.code == 4
    assert result.step("preflight")["outcome"] == "failed"
    assert clock.monotonic() <= 60
    assert mutating(result.operations) == []


@pytest.mark.parametrize(("limit", "deadline", "says"), [(60, 1800, "1m 00s"), (3600, 600, "9m 36s")])
def test_a_wait_says_how_long_it_will_wait(limit: float, deadline: float, says: str) -> None:
    # GIVEN a run's deadline (24 s of it kept for the lock) and a wait with its own limit
    clock = FakeClock()
    aws = Aws(fresh_session())
    ctx = Context(aws, clock, Deadline(clock, deadline, reserve=24), FakePulumi(), poll_seconds=5)
    answers = iter(["creating", "backing-up", "available"])
    states: list[str] = []
    # WHEN it waits
    ctx.wait(
        lambda: next(answers),
        lambda v: v == "available",
        limit=limit,
        what="db",
        describe=str,
        state=states.append,
    )
    # THEN each state it reports says for how long it will wait at most: its own limit or the deadline's
    assert states == [f"creating (waiting up to {says})", f"backing-up (waiting up to {says})"]


@pytest.mark.parametrize(
    ("text", "seconds", "error"),
    [
        ("90s", 90.0, None),
        ("45m", 2700.0, None),
        ("2h", 7200.0, None),
        ("9s", None, "--deadline 9s: at least 10s (an AWS call and releasing the lock need that)"),
        ("0m", None, "--deadline 0m: expected a duration like 90s, 45m or 2h"),
        ("1.5h", None, "--deadline 1.5h: expected a duration like 90s, 45m or 2h"),
        ("99999999999h", None, "--deadline 99999999999h: expected a duration like 90s, 45m or 2h"),
        ("soon", None, "--deadline soon: expected a duration like 90s, 45m or 2h"),
    ],
)
def test_parse_deadline(text: str, seconds: float | None, error: str | None) -> None:
    if error is None:
        assert parse_deadline(text) == seconds
    else:
        with pytest.raises(BadInput) as raised:
            parse_deadline(text)
        assert str(raised.value) == error


# ---------------------------------------------------------------------------------------------
# The primary region's control plane gone


def control_plane_down(*operations: str) -> list[Any]:
    return [FailCalls(op, "ServiceUnavailable", times=1000, status=503).hook for op in operations]


def test_checkers_see_the_primary_down__route_53_api_gone__failover_completes(scenario: Make) -> None:
    # GIVEN Route 53's health checkers report the primary down, but its API (us-east-1) is gone
    s = scenario()
    gone = control_plane_down("GetHealthCheck", "UpdateHealthCheck", "ListResourceRecordSets")
    result = s.run(hooks=gone)
    # THEN the database and services fail over; traffic has moved by the health checks themselves
    assert result.code == 0, result.err
    assert "ReadReplicaSourceDBInstanceIdentifier" not in s.dr_instance()
    assert s.service()["desiredCount"] == 4
    assert not s.primary_inverted()
    report = result.report
    assert report is not None
    assert report["outcome"] == "promoted"
    assert report["dns"]["traffic_moved_by"] == "Route 53 health checks"
    assert result.step("route")["outcome"] == "action needed"
    assert any(a.startswith("invert the primary's Route 53 health check") for a in report["next_actions"])
    # AND once Route 53 answers, the same command makes the inversion and nothing else
    again = s.run()
    assert again.code == 0, again.err
    assert mutating(again.operations) == ["UpdateHealthCheck"]
    assert s.primary_inverted()


class RegionGone:
    """A ``before-send`` hook: every attempt signed for ``region`` finds no endpoint (connection
    refused), as botocore meets a region that is down; botocore's own retries and the scripts'
    budgets decide what happens next."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.attempts: Counter[str] = Counter()

    def _sent(self, request: Any, event_name: str, **_: Any) -> None:
        # The region the request is signed for (Route 53's client region is "aws-global").
        signed = (request.context.get("signing") or {}).get("region") or request.context.get("client_region")
        if signed == self.region:
            self.attempts[event_name.rsplit(".", 1)[-1]] += 1
            raise EndpointConnectionError(endpoint_url=request.url)

    @property
    def hook(self) -> tuple[str, Callable[..., Any]]:
        return ("before-send", self._sent)


def test_whole_primary_region_gone__forced__failover_completes(scenario: Make, no_backoff: None) -> None:
    # GIVEN nothing in us-east-1 answers: Route 53 (reads, status, changes) and the primary's alarm
    s = scenario()
    refused = s.run(hooks=[RegionGone("us-east-1").hook])
    assert refused.code == 3  # it cannot see the primary down: the operator must say so
    # WHEN the operator, who confirmed the outage another way, forces it
    gone = RegionGone("us-east-1")
    result = s.run("--force", hooks=[gone.hook])
    # THEN the database and services fail over; the inversion is left for Route 53's return
    assert result.code == 0, result.err
    assert "ReadReplicaSourceDBInstanceIdentifier" not in s.dr_instance()
    assert s.service()["desiredCount"] == 4
    assert not s.primary_inverted()
    assert result.report is not None
    assert result.report["dns"]["traffic_moved_by"] == (
        "Route 53 health checks, not confirmed (if the checkers see the primary down)"
    )
    assert result.step("route")["outcome"] == "action needed"
    # AND each call into the dead region got two attempts, not botocore's four
    calls = Counter(result.recorder.operations())
    assert gone.attempts == {op: 2 * calls[op] for op in gone.attempts}


# ---------------------------------------------------------------------------------------------
# ARC routing controls


class FakeArcCluster:
    """Answers the route53-recovery-cluster data plane (moto does not implement it) from a dict of
    states; the endpoints of ``down`` regions do not answer."""

    def __init__(self, states: dict[str, str], down: set[str]) -> None:
        self.states, self.down = states, down
        self.updates: list[dict[str, str]] = []

    @staticmethod
    def _keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # 'before-call' sees the serialized request; the call's own parameters are seen here.
        context["api_params"] = dict(params)

    def _call(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "route53-recovery-cluster":
            return None
        params = context["api_params"]
        if context.get("client_region") in self.down:
            error = {"Error": {"Code": "ServiceUnavailable", "Message": "endpoint down"}}
            return AWSResponse("https://arc", 503, {}, None), {
                **error,
                "ResponseMetadata": {"HTTPStatusCode": 503},
            }
        ok = {"ResponseMetadata": {"HTTPStatusCode": 200}}
        if model.name == "GetRoutingControlState":
            arn = params["RoutingControlArn"]
            return AWSResponse("https://arc", 200, {}, None), {
                **ok,
                "RoutingControlArn": arn,
                "RoutingControlState": self.states[arn],
            }
        entries = {
            e["RoutingControlArn"]: e["RoutingControlState"]
            for e in params["UpdateRoutingControlStateEntries"]
        }
        self.updates.append(entries)
        self.states.update(entries)
        return AWSResponse("https://arc", 200, {}, None), ok

    @property
    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        return [("before-parameter-build", self._keep), ("before-call", self._call)]


def test_arc_routing_controls__the_switch__through_the_first_endpoint_that_answers(scenario: Make) -> None:
    s = scenario()
    primary = "arn:aws:route53-recovery-control::123456789012:controlpanel/p/routingcontrol/primary"
    dr = "arn:aws:route53-recovery-control::123456789012:controlpanel/p/routingcontrol/dr"
    document = json.loads(json.dumps(s.world.outputs))
    document["promotion"]["dns"]["routing_controls"] = {
        "cluster_endpoints": [
            {
                "endpoint": f"https://host-{r}.example.route53-recovery-cluster.{r}.amazonaws.com/v1",
                "region": r,
            }
            for r in ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "ap-northeast-1")
        ],
        "primary_routing_control_arn": primary,
        "dr_routing_control_arn": dr,
    }
    cluster = FakeArcCluster({primary: "On", dr: "Off"}, down={"us-east-1"})
    result = s.run(outputs=s.outputs_file(document), hooks=cluster.hooks)
    assert result.code == 0, result.err
    assert cluster.states == {primary: "Off", dr: "On"}
    assert cluster.updates == [{dr: "On", primary: "Off"}]
    assert result.report is not None
    assert result.report["dns"]["traffic_moved_by"] == "ARC routing controls"
    assert result.step("route")["actions"] == [
        "moved orders.example.com to the DR region with ARC routing controls: dr On, primary Off "
        "(cluster endpoint in us-west-2)"
    ]
    assert "UpdateHealthCheck" not in result.operations
    # a re-run finds the controls set and changes nothing there
    again = s.run(outputs=s.outputs_file(document), hooks=cluster.hooks)
    assert again.code == 0, again.err
    assert len(cluster.updates) == 1


# ---------------------------------------------------------------------------------------------
# A reader that goes away


class ClosedAfter(io.StringIO):
    """stdout whose reader goes away after ``lines`` writes (``| head``)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= 1
        return super().write(text)


def test_stdout_closed_half_way__the_failover_goes_on(scenario: Make) -> None:
    s = scenario()
    result = s.run(stdout=ClosedAfter(2))
    assert result.code == 0, result.err
    assert s.primary_inverted()
    assert s.service()["desiredCount"] == 4
    assert result.report is not None
    assert result.report["outcome"] == "promoted"


@pytest.mark.parametrize(("deadline", "connect", "read"), [(None, 5.0, 15.0), (20.0, 2.0, 2.0)])
def test_client_config__standard_retries_and_timeouts(
    deadline: float | None, connect: float, read: float
) -> None:
    # Standard mode, as the AWS SDKs recommend: adaptive's client-side rate limiter would hold a
    # throttled client's later calls back for seconds.
    config = client_config(deadline)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (connect, read)
