"""promote_dr.py --notify: the incident update published to the DR stack's alarm topic (moto SNS),
after the report is written, never failing the failover; and SNS's limits, table-first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns import sns_backends

from operations.errors import BadInput
from operations.notify import MESSAGE_MAX_BYTES, TRUNCATED, alarm_topic, message_for, subject_for
from tests.operations.harness import FailCalls, Scenario

Make = Callable[..., Scenario]
DR = "us-west-2"


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("INCIDENT UPDATE: orders, regional failover to us-west-2\nStatus: ...", None),
        ("INCIDENT\tUPDATE:\x07 orders", "INCIDENT UPDATE: orders"),
        ("", "Incident update"),
        ("x" * 150, "x" * 96 + "..."),
    ],
    ids=["first-line", "control-characters", "empty", "long"],
)
def test_subject_for__sns_subject_rules(text: str, subject: str | None) -> None:
    found = subject_for(text)
    assert found == (subject or text.split("\n", maxsplit=1)[0])
    assert len(found) < 100
    assert all(c.isprintable() for c in found)


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("short update", False),
        ("a" * MESSAGE_MAX_BYTES, False),
        ("a" * (MESSAGE_MAX_BYTES + 1), True),
        # a multi-byte character is never split
        ("é" * MESSAGE_MAX_BYTES, True),
    ],
    ids=["short", "exactly-256KB", "one-byte-over", "multibyte"],
)
def test_message_for__within_256_kb(text: str, cut: bool) -> None:
    message = message_for(text)
    assert len(message.encode("utf-8")) <= MESSAGE_MAX_BYTES
    assert (message != text) is cut
    if cut:
        assert message.endswith(TRUNCATED)


@pytest.mark.parametrize(
    "document",
    [{}, {"alarm_topic_arn": 3}, {"alarm_topic_arn": "arn:aws:sqs:us-west-2:123456789012:q"}],
    ids=["missing", "not-text", "not-sns"],
)
def test_alarm_topic__bad_output(document: object) -> None:
    with pytest.raises(BadInput) as err:
        alarm_topic(document, "dr-outputs.json")
    assert str(err.value) == (
        "dr-outputs.json: outputs.alarm_topic_arn: not an SNS topic ARN (--notify publishes to it)"
    )


def with_topic(s: Scenario) -> str:
    arn = str(s.client("sns", DR).create_topic(Name="orders-dr-alarms")["TopicArn"])
    s.world.outputs["alarm_topic_arn"] = arn
    return arn


def sent(arn: str) -> list[Any]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][DR].topics[arn].sent_notifications)


def test_promote_dr__notify__publishes_the_update_the_report_holds(scenario: Make) -> None:
    # GIVEN a failover of a downed primary, with the DR stack's alarm topic
    s = scenario()
    arn = with_topic(s)
    # WHEN it runs with --notify
    result = s.run("--notify")
    assert result.code == 0, result.err
    report = result.report
    assert report is not None
    # THEN the update written in the report went to the topic, its first line the subject
    ((message_id, message, subject, *_),) = sent(arn)
    assert message == report["incident_update"]["text"]
    assert subject == "INCIDENT UPDATE: orders, regional failover to us-west-2"
    # and the report says so, in JSON and on its page
    assert report["notification"] == {
        "topic_arn": arn,
        "outcome": "sent",
        "detail": message_id,
        "subject": subject,
    }
    assert result.markdown is not None
    assert f"- incident update sent to {arn} (message {message_id})" in result.markdown
    assert [c.region for c in result.recorder.calls if c.operation == "Publish"] == [DR]


def test_promote_dr__notify_fails__failover_still_succeeds_warned_and_recorded(scenario: Make) -> None:
    # GIVEN SNS refuses the publish
    s = scenario()
    arn = with_topic(s)
    result = s.run("--notify", hooks=[FailCalls("Publish", "AuthorizationError", status=403).hook])
    # THEN the failover's outcome stands, with a warning and the reason in the report
    assert result.code == 0, result.err
    assert not sent(arn)
    reason = "AuthorizationError (Publish): injected AuthorizationError on Publish"
    assert f"promote_dr: warning: the incident update was not sent to {arn}: {reason}" in result.err
    assert result.report is not None
    assert result.report["outcome"] == "promoted"
    assert result.report["notification"]["outcome"] == "not sent"
    assert result.report["notification"]["detail"] == reason


def test_promote_dr__notify__dry_run_publishes_nothing(scenario: Make) -> None:
    s = scenario()
    arn = with_topic(s)
    result = s.run("--notify", "--dry-run")
    assert result.code == 0, result.err
    assert not sent(arn)
    assert "Publish" not in result.recorder.operations()


def test_promote_dr__notify_without_topic__exit_2_before_anything(scenario: Make) -> None:
    s = scenario()
    result = s.run("--notify")
    assert result.code == 2
    assert result.err.strip() == (
        f"promote_dr: {s.tmp_path}/outputs-1.json: outputs.alarm_topic_arn: not an SNS topic ARN "
        "(--notify publishes to it)"
    )
    assert not result.recorder.calls
