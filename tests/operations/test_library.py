"""The operations library's small parts: waiting, progress, concurrency, reports, outputs, errors."""

from __future__ import annotations

import io
import json
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from operations.aws import arn_region, describe_error, is_unreachable, mutating
from operations.clock import format_seconds, poll_until
from operations.errors import BadInput, WaitTimeout
from operations.progress import LiveProgress, Progress, progress_for
from operations.report import Timeline, report_paths, write_report
from operations.stack_outputs import CliResult, PulumiCli, config_set_command, load_promotion
from operations.tasks import run_all
from tests.operations.harness import FakeClock, FakePulumi


def client_error(code: str, status: int = 400, operation: str = "DescribeDBInstances") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.25, "0.2s"), (4, "4s"), (59.6, "1m 00s"), (302, "5m 02s"), (3600, "1h 00m"), (7500, "2h 05m")],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_poll_until__reports_each_new_state_and_returns_when_done() -> None:
    answers = iter(["creating", "creating", "backing-up", "available"])
    states: list[str] = []
    clock = FakeClock()
    result = poll_until(
        lambda: next(answers),
        lambda v: v == "available",
        clock=clock,
        timeout=60,
        interval=5,
        what="db",
        on_state=states.append,
    )
    assert result == "available"
    assert states == ["creating", "backing-up"]
    assert clock.monotonic() == 15


def test_poll_until__rides_out_throttling_and_outages() -> None:
    answers: list[Any] = [
        client_error("Throttling"),
        EndpointConnectionError(endpoint_url="https://rds"),
        "ok",
    ]

    def fetch() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    assert poll_until(fetch, lambda v: v == "ok", clock=FakeClock(), timeout=60, interval=1, what="x") == "ok"


def test_poll_until__raises_other_errors_at_once() -> None:
    def fetch() -> str:
        raise client_error("AccessDenied", 403)

    with pytest.raises(ClientError):
        poll_until(fetch, bool, clock=FakeClock(), timeout=60, interval=1, what="x")


def test_poll_until__times_out_naming_the_last_state() -> None:
    with pytest.raises(WaitTimeout, match=r"^db: still modifying after 1m 00s$"):
        poll_until(lambda: "modifying", lambda v: False, clock=FakeClock(), timeout=60, interval=7, what="db")


def test_run_all__runs_at_once_and_keeps_each_outcome() -> None:
    barrier = threading.Barrier(3, timeout=5)

    def meet(value: int) -> int:
        barrier.wait()  # only passes if all three run at the same time
        if value == 2:
            raise ValueError("two")
        return value

    outcomes = run_all({str(i): partial(meet, i) for i in (1, 2, 3)})
    assert [o.value for o in outcomes.values()] == [1, None, 3]
    assert str(outcomes["2"].error) == "two"


def test_run_all__one_after_another_when_asked() -> None:
    order: list[str] = []
    run_all({k: partial(order.append, k) for k in "abc"}, concurrent=False)
    assert order == ["a", "b", "c"]


def test_plain_progress__one_line_per_change() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = Progress(out, clock)
    timeline = Timeline([("promote", "Promote databases")], clock, progress)
    with timeline.step("promote"):
        timeline.state("promote", "db: modifying")
        timeline.state("promote", "db: modifying")
        clock.sleep(65)
        timeline.state("promote", "db: writable")
    assert out.getvalue().splitlines() == [
        "[+00:00] 1 Promote databases ...",
        "[+00:00] 1 Promote databases: db: modifying",
        "[+01:05] 1 Promote databases: db: writable",
        "[+01:05] 1 Promote databases: done in 1m 05s",
    ]
    record = timeline["promote"]
    assert (record.outcome, record.seconds) == ("done", 65)


def test_live_progress__redraws_one_status_line() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = LiveProgress(out, clock, interval=0.01)
    try:
        progress.step_started("scale", "4 Scale services")
        progress.state("scale", "api: 2/4 tasks running")
        threading.Event().wait(0.05)
        with progress.paused():
            paused_at = len(out.getvalue())
            threading.Event().wait(0.05)
            assert len(out.getvalue()) == paused_at  # nothing drawn over the operator's typing
    finally:
        progress.close()
    text = out.getvalue()
    assert "\r\x1b[2K" in text
    assert "4 Scale services [00:00] api: 2/4 tasks running" in text


def test_progress_for__live_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    live = progress_for(Terminal(), FakeClock())
    try:
        assert isinstance(live, LiveProgress)
    finally:
        live.close()
    assert type(progress_for(io.StringIO(), FakeClock())) is Progress


def test_report_paths_and_write(tmp_path: Path) -> None:
    assert report_paths("r/x.json") == (Path("r/x.json"), Path("r/x.md"))
    assert report_paths("r/x.md") == (Path("r/x.json"), Path("r/x.md"))
    json_path, md_path = write_report({"a": 1}, "# A", tmp_path / "deep" / "report.json")
    assert json.loads(json_path.read_text()) == {"a": 1}
    assert md_path.read_text() == "# A\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\xff\xfe", "cannot be read (UnicodeDecodeError)"),
        (b"[1,", "line 1, column 4: not JSON (Expecting value)"),
        (b"[]", "outputs: expected a mapping, found list"),
        (
            b'{"vpc_id": "vpc-1"}',
            "outputs.promotion: missing (outputs present: vpc_id); is this the DR stack's output?",
        ),
    ],
)
def test_load_promotion__bad_files_are_bad_input(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadInput) as raised:
        load_promotion(stack=None, outputs_file=path, pulumi=FakePulumi())
    assert str(raised.value) == f"{path}: {message}"


def test_load_promotion__cli_failure_is_bad_input() -> None:
    class Failing(PulumiCli):
        def run(self, args: list[str]) -> CliResult:
            return CliResult(255, "", "warning: x\nerror: no stack named 'dr' found\n")

    with pytest.raises(
        BadInput, match=r"pulumi stack output --stack dr failed: error: no stack named 'dr' found; use"
    ):
        load_promotion(stack="dr", outputs_file=None, pulumi=Failing(executable="pulumi"))


def test_config_set_command__quoted_for_a_shell() -> None:
    assert config_set_command("org/proj/dr east", "promoted", "true") == (
        "pulumi config set promoted true --stack 'org/proj/dr east'"
    )


def test_errors__one_line_each() -> None:
    assert (
        describe_error(client_error("AccessDenied", 403))
        == "AccessDenied (DescribeDBInstances): AccessDenied happened"
    )
    page = ClientError(
        {
            "Error": {"Code": "404", "Message": "<!doctype html> <title>404 Not Found</title>"},
            "ResponseMetadata": {"HTTPStatusCode": 404},
        },
        "ListRecoveryPointsByBackupVault",
    )
    assert describe_error(page) == (
        "404 (ListRecoveryPointsByBackupVault): HTTP 404 with a web page, not an AWS answer "
        "(an endpoint without this operation?)"
    )
    assert describe_error(EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com")) == (
        'Could not connect to the endpoint URL: "https://rds.us-east-1.amazonaws.com"'
    )
    assert is_unreachable(client_error("ServiceUnavailable", 503))
    assert is_unreachable(EndpointConnectionError(endpoint_url="x"))
    assert not is_unreachable(client_error("AccessDenied", 403))
    assert arn_region("arn:aws:rds:us-west-2:123456789012:db:x") == "us-west-2"
    assert arn_region("not-an-arn") is None
    assert mutating(["DescribeServices", "UpdateService", "GetHealthCheck", "ListResourceRecordSets"]) == [
        "UpdateService"
    ]


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://rds.us-west-2.amazonaws.com/"),
        ConnectionClosedError(endpoint_url="https://rds.us-west-2.amazonaws.com/"),
        ConnectTimeoutError(endpoint_url="https://rds.us-west-2.amazonaws.com/"),
        EndpointConnectionError(endpoint_url="https://rds.us-west-2.amazonaws.com/"),
        client_error("SlowDown", 503),
        client_error("Whatever", 429),
    ],
    ids=["read-timeout", "connection-closed", "connect-timeout", "no-endpoint", "slow-down", "429"],
)
def test_an_endpoint_that_does_not_answer_is_worth_another_poll(error: Exception) -> None:
    assert is_unreachable(error)
