"""The failover's incident update, sent where the plan's people already listen.

The DR stack's alarm topic (``alarm_topic_arn`` in its outputs) is what the plan's ``notify``
endpoints subscribe to (components/notifications.py), so publishing the incident update there
reaches the same email addresses, paging services and chat relays as the alarms. It is published
after the report is written: the report is the record, the message a copy of it. Publishing never
fails a failover; what happened is printed and written into the report beside the update.

SNS Publish limits (Amazon SNS API Reference, Publish): a Subject of UTF-8 text with no line
breaks or control characters, under 100 characters; a Message of at most 256 KB (262,144 bytes).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from operations.aws import Aws, arn_region, describe_error
from operations.errors import BadInput
from operations.report import report_paths

SUBJECT_MAX = 99  # "less than 100 characters"
MESSAGE_MAX_BYTES = 262_144
TRUNCATED = "\n[truncated to SNS's 256 KB: the full update is in the report]"
SENT = "sent"
NOT_SENT = "not sent"


@dataclass(frozen=True)
class Notice:
    topic_arn: str
    outcome: str  # SENT or NOT_SENT
    detail: str  # the SNS MessageId, or why it was not sent
    subject: str

    def as_data(self) -> dict[str, Any]:
        return {
            "topic_arn": self.topic_arn,
            "outcome": self.outcome,
            "detail": self.detail,
            "subject": self.subject,
        }

    @property
    def line(self) -> str:
        if self.outcome == SENT:
            return f"incident update sent to {self.topic_arn} (message {self.detail})"
        return f"warning: the incident update was not sent to {self.topic_arn}: {self.detail}"


def alarm_topic(document: object, where: str) -> str:
    """The DR stack's alarm topic ARN, or BadInput naming the output."""
    topic = document.get("alarm_topic_arn") if isinstance(document, Mapping) else None
    if not isinstance(topic, str) or arn_region(topic) is None or ":sns:" not in topic:
        raise BadInput(f"{where}: outputs.alarm_topic_arn: not an SNS topic ARN (--notify publishes to it)")
    return topic


def subject_for(text: str) -> str:
    """The update's first line as an SNS subject: control characters out, under 100 characters."""
    first = text.split("\n", 1)[0]
    clean = "".join(" " if unicodedata.category(c).startswith("C") else c for c in first).strip()
    clean = " ".join(clean.split()) or "Incident update"
    return clean if len(clean) <= SUBJECT_MAX else clean[: SUBJECT_MAX - 3].rstrip() + "..."


def message_for(text: str) -> str:
    """The update whole, or cut on a character boundary to fit 256 KB with a note saying so."""
    if len(text.encode("utf-8")) <= MESSAGE_MAX_BYTES:
        return text
    room = MESSAGE_MAX_BYTES - len(TRUNCATED.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut + TRUNCATED


def publish(aws: Aws, topic_arn: str, update: Mapping[str, Any]) -> Notice:
    """Publish the incident update (operations.failover.report.incident_update); never raises."""
    text = str(update.get("text") or "")
    subject = subject_for(text)
    region = arn_region(topic_arn) or ""
    try:
        answer = aws.client("sns", region).publish(
            TopicArn=topic_arn, Subject=subject, Message=message_for(text)
        )
    except Exception as exc:
        return Notice(topic_arn, NOT_SENT, describe_error(exc), subject)
    return Notice(topic_arn, SENT, str(answer.get("MessageId", "")), subject)


def record(report_json: str | Path, notice: Notice) -> None:
    """Write the notice into a saved report: its JSON (``notification``) and Markdown page."""
    json_path, md_path = report_paths(report_json)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    data["notification"] = notice.as_data()
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    with md_path.open("a", encoding="utf-8") as page:
        page.write(f"\n## Notification\n\n- {notice.line}\n")


def send_incident_update(  # noqa: PLR0917 - called once, from scripts/promote_dr.py
    aws: Aws,
    topic_arn: str,
    update: Mapping[str, Any],
    report_json: str | Path,
    prog: str,
    human: TextIO,
    stderr: TextIO,
) -> Notice:
    """``--notify``: publish the update the report holds, then record what happened in the report.
    A report that could not be written (already said on stderr) does not stop the message."""
    json_path, _ = report_paths(report_json)
    try:
        saved = json.loads(json_path.read_text(encoding="utf-8")).get("incident_update") or update
    except (OSError, ValueError):
        saved = update
    notice = publish(aws, topic_arn, saved)
    if notice.outcome == SENT:
        print(notice.line, file=human)
    else:
        print(f"{prog}: {notice.line}", file=stderr)
    try:
        record(json_path, notice)
    except (OSError, ValueError) as exc:
        print(f"{prog}: could not record the notification in {json_path}: {exc}", file=stderr)
    return notice
