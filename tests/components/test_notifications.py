"""Notifications under mocks: the plan's endpoints subscribed to every alarm topic, EventBridge
rules for failed AWS Backup and copy jobs, and an alarm for each silent way the plan breaks, each
threshold the plan's (through continuity.assurance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.notifications import (
    CronJobBucket,
    Notifications,
    NotificationsArgs,
    ReplicaLagWatch,
    ReplicationWatch,
)
from continuity.assurance import CronJobWatch, cron_job_watch, exposure_budget_seconds, subscriptions
from continuity.derive import derive
from continuity.plan import load_plan
from tests.components.declare import Declared, declare
from tests.conftest import DEFAULT_PLAN, ROOT

ACCOUNT = "123456789012"
HELIOS = ROOT / "examples" / "plans" / "heliosdb-lite.yaml"
VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC = "arn:aws:sns:{region}:123456789012:{service}-alarms"


def notifications(path: Path, role: str, **extra: Any) -> Declared:
    plan = load_plan(path)
    region = plan.regions.primary if role == "primary" else plan.regions.dr

    def build() -> dict[str, object]:
        component = Notifications(
            f"{plan.service}-notify",
            NotificationsArgs(
                prefix=f"{plan.service}-{role}",
                region=region,
                account_id=ACCOUNT,
                topic_arn=TOPIC.format(region=region, service=plan.service),
                subscriptions=subscriptions(plan),
                tags={"continuity:service": plan.service},
                **extra,
            ),
        )
        return {"rules": component.rule_arns, "alarms": component.alarm_arns}

    return declare(build, region=region, stack=role)


def test_endpoints_subscribed_and_backup_job_rules() -> None:
    declared = notifications(HELIOS, "primary")
    topic = TOPIC.format(region="us-east-1", service="heliosdb")
    assert sorted(
        (s.plain_inputs()["protocol"], s.plain_inputs()["endpoint"], s.plain_inputs()["topic"])
        for s in declared.of_type(SUBSCRIPTION)
    ) == [
        ("email", "engineering@heliosdb.example", topic),
        ("https", "https://events.pagerduty.com/integration/heliosdb-bcp/enqueue", topic),
    ]
    rules = {
        r.name: json.loads(r.plain_inputs()["eventPattern"])
        for r in declared.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    assert rules == {
        "heliosdb-notify-backup-job-failed": {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change"],
            "detail": {"state": ["FAILED", "EXPIRED", "ABORTED", "PARTIAL"]},
        },
        "heliosdb-notify-copy-job-failed": {
            "source": ["aws.backup"],
            "detail-type": ["Copy Job State Change"],
            "detail": {"state": ["FAILED", "PARTIAL"]},
        },
    }
    targets = declared.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert {t.plain_inputs()["arn"] for t in targets} == {topic}
    (policy,) = declared.of_type("aws:sns/topicPolicy:TopicPolicy")
    document = json.loads(policy.plain_inputs()["policy"])
    events = next(s for s in document["Statement"] if s["Sid"] == "BackupJobEvents")
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(events["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        declared.outputs["rules"].values()
    )
    owner = next(s for s in document["Statement"] if s["Sid"] == "AccountOwns")
    assert owner["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}


def test_dr__replica_lag_over_the_exposure_budget_and_replication_past_rtc() -> None:
    plan = load_plan(DEFAULT_PLAN)
    budget = exposure_budget_seconds(plan, "database")
    declared = notifications(
        DEFAULT_PLAN,
        "dr",
        replica_lag=[ReplicaLagWatch("database", "orders-database-dr", budget)],
        replication=[
            ReplicationWatch(item, f"orders-{item}-primary-src", f"orders-{item}-dr-dst")
            for item in ("user-files", "audit-logs")
        ],
        replication_region="us-east-1",
    )
    alarms = {a.name: a.plain_inputs() for a in declared.of_type(ALARM)}
    lag = alarms["orders-notify-database-replica-lag"]
    assert (lag["metricName"], lag["threshold"], lag["dimensions"], lag["treatMissingData"]) == (
        "ReplicaLag",
        900,
        {"DBInstanceIdentifier": "orders-database-dr"},
        "breaching",
    )
    replication = alarms["orders-notify-user-files-replication"]
    assert replication["region"] == "us-east-1"
    assert (replication["namespace"], replication["metricName"], replication["threshold"]) == (
        "AWS/S3",
        "ReplicationLatency",
        900,
    )
    assert replication["dimensions"] == {
        "SourceBucket": "orders-user-files-primary-src",
        "DestinationBucket": "orders-user-files-dr-dst",
        "RuleId": "user-files-to-dr",
    }
    # The alarm notifies a topic of its own region, which the DR stack declares there.
    (source_topic,) = declared.of_type("aws:sns/topic:Topic")
    assert source_topic.plain_inputs()["region"] == "us-east-1"
    assert replication["alarmActions"] == [source_topic.plain_outputs()["arn"]]
    assert len(declared.outputs["alarms"]) == 3


def test_promoted__a_silent_replica_is_normal() -> None:
    declared = notifications(
        DEFAULT_PLAN,
        "dr",
        replica_lag=[ReplicaLagWatch("database", "orders-database-dr", 900)],
        replicas_promoted=True,
    )
    (lag,) = declared.of_type(ALARM)
    assert lag.plain_inputs()["treatMissingData"] == "notBreaching"


def test_cron_jobs__no_upload_within_the_window_alarms() -> None:
    plan = load_plan(VAPORA)
    watches = [w for w in (cron_job_watch(j) for j in derive(plan).cron_jobs) if isinstance(w, CronJobWatch)]
    declared = notifications(
        VAPORA, "primary", cron_jobs=[CronJobBucket(w, f"vapora-{w.data_item}-primary-b") for w in watches]
    )
    metrics = {
        m.plain_inputs()["name"]: m.plain_inputs()
        for m in declared.of_type("aws:s3/bucketMetric:BucketMetric")
    }
    assert metrics == {
        "surrealdb-uploads": {
            "bucket": "vapora-surrealdb-primary-b",
            "name": "surrealdb-uploads",
            "filter": {"prefix": "surrealdb/"},
        },
        "configuration-uploads": {
            "bucket": "vapora-configuration-primary-b",
            "name": "configuration-uploads",
            "filter": {"prefix": "configuration/"},
        },
    }
    alarm = next(
        a.plain_inputs() for a in declared.of_type(ALARM) if a.name == "vapora-notify-surrealdb-missed-backup"
    )
    assert (
        alarm["metricName"],
        alarm["statistic"],
        alarm["period"],
        alarm["comparisonOperator"],
        alarm["threshold"],
    ) == (
        "PutRequests",
        "Sum",
        2400,
        "LessThanThreshold",
        1,
    )
    assert alarm["dimensions"] == {
        "BucketName": "vapora-surrealdb-primary-b",
        "FilterId": "surrealdb-uploads",
    }
    assert alarm["treatMissingData"] == "breaching"


def test_component__children_parented() -> None:
    declared = notifications(HELIOS, "primary")
    (component,) = declared.of_type("continuity:components:Notifications")
    assert all(r.parent == component.urn for r in declared.resources if r.custom)
