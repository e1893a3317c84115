"""People hear about it: the plan's notify endpoints on the alarm topics, and an alarm for every
way the plan can break silently.

- an AWS Backup or copy job that failed, expired or was aborted (EventBridge rules on AWS
  Backup's job state changes, to the topic);
- a replica lagging past the item's exposure budget;
- S3 replication slower than Replication Time Control's threshold (replication metrics of the
  rules components/bucket_replication.py declares; they live in the source bucket's region);
- a backup CronJob that missed its schedule: no upload to its prefix within the schedule's
  longest gap plus the time the job may take to start and run (S3 request metrics on the prefix).

Numbers come from continuity.assurance (exposure_budget_seconds, cron_job_watch and the RTC
threshold); the topic is the stack's alarm topic (components/alarms.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity import names as aws_names
from continuity.assurance import (
    BACKUP_JOB_EVENT,
    BACKUP_JOB_FAILED_STATES,
    COPY_JOB_EVENT,
    COPY_JOB_FAILED_STATES,
    REPLICATION_THRESHOLD_SECONDS,
    CronJobWatch,
    Subscription,
    event_pattern,
    replication_rule_id,
)

RULE_NAME_MAX = 64
# CloudWatch's standard resolution; S3 replication metrics are published every minute.
PERIOD_SECONDS = 60
# The default policy of an SNS topic lets its account's principals use it; a topic policy
# replaces it, so it is restated beside the grant EventBridge needs.
OWNER_ACTIONS = [
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
]


@dataclass
class ReplicaLagWatch:
    data_item: str
    db_instance_identifier: pulumi.Input[str]
    threshold_seconds: int  # the item's exposure budget


@dataclass
class ReplicationWatch:
    data_item: str
    source_bucket: pulumi.Input[str]
    destination_bucket: pulumi.Input[str]


@dataclass
class CronJobBucket:
    watch: CronJobWatch
    bucket: pulumi.Input[str]  # the item's bucket, in this stack's region


@dataclass
class NotificationsArgs:
    prefix: str
    region: str
    account_id: str
    topic_arn: pulumi.Input[str]  # the stack's alarm topic, in ``region``
    subscriptions: list[Subscription] = field(default_factory=list)
    # Other alarm topics the endpoints subscribe to, by region (the us-east-1 health topic).
    other_topics: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    replica_lag: list[ReplicaLagWatch] = field(default_factory=list)
    # After a promotion the replica stops reporting lag: missing data is then normal.
    replicas_promoted: bool = False
    replication: list[ReplicationWatch] = field(default_factory=list)
    replication_region: str = ""  # where the source buckets are (their metrics are there)
    cron_jobs: list[CronJobBucket] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def topic_policy(topic_arn: str, account_id: str, rule_arns: Sequence[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountOwns",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": OWNER_ACTIONS,
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
                },
                {
                    "Sid": "BackupJobEvents",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
                },
            ],
        }
    )


class Notifications(pulumi.ComponentResource):
    rule_arns: dict[str, pulumi.Output[str]]
    replica_lag_alarm_arns: dict[str, pulumi.Output[str]]
    replication_alarm_arns: dict[str, pulumi.Output[str]]
    cron_job_alarm_arns: dict[str, pulumi.Output[str]]
    alarm_arns: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:Notifications", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topics: dict[str, pulumi.Input[str]] = {args.region: args.topic_arn, **args.other_topics}
        if args.replication and args.replication_region not in topics:
            # An alarm notifies topics of its own region. This stack's key lives elsewhere, so the
            # source region's topic stays unencrypted, as components/alarms.py's health topic does.
            source_topic = aws.sns.Topic(
                f"{name}-{args.replication_region}",
                region=args.replication_region,
                tags=args.tags,
                opts=child,
            )
            topics[args.replication_region] = source_topic.arn
        for region, topic in topics.items():
            for index, subscription in enumerate(args.subscriptions):
                aws.sns.TopicSubscription(
                    f"{name}-{region}-{index}",
                    topic=topic,
                    protocol=subscription.protocol,
                    endpoint=subscription.endpoint,
                    region=None if region == args.region else region,
                    opts=child,
                )

        self.rule_arns = {}
        for key, detail_type, states in (
            ("backup-job-failed", BACKUP_JOB_EVENT, BACKUP_JOB_FAILED_STATES),
            ("copy-job-failed", COPY_JOB_EVENT, COPY_JOB_FAILED_STATES),
        ):
            rule = aws.cloudwatch.EventRule(
                f"{name}-{key}",
                # EventBridge rule names: at most 64 characters of [.-_A-Za-z0-9].
                name=aws_names.fit(f"{args.prefix}-{key}", RULE_NAME_MAX),
                description=f"{args.prefix}: AWS Backup {detail_type} to {', '.join(states)}",
                event_pattern=json.dumps(event_pattern(detail_type, states)),
                tags=args.tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{key}", rule=rule.name, arn=args.topic_arn, target_id="alarm-topic", opts=child
            )
            self.rule_arns[key] = rule.arn
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=args.topic_arn,
            policy=pulumi.Output.all(args.topic_arn, *self.rule_arns.values()).apply(
                lambda values: topic_policy(values[0], args.account_id, values[1:])
            ),
            opts=child,
        )

        self.replica_lag_alarm_arns = {}
        for lag in args.replica_lag:
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{lag.data_item}-replica-lag",
                alarm_description=(
                    f"{args.prefix}: the replica of data item {lag.data_item} lags more than its exposure "
                    f"budget ({lag.threshold_seconds}s)"
                ),
                namespace="AWS/RDS",
                metric_name="ReplicaLag",
                dimensions={"DBInstanceIdentifier": lag.db_instance_identifier},
                statistic="Maximum",
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=lag.threshold_seconds,
                # A replica that stops reporting lag has stopped replicating, until it is promoted.
                treat_missing_data="notBreaching" if args.replicas_promoted else "breaching",
                alarm_actions=[args.topic_arn],
                ok_actions=[args.topic_arn],
                tags=args.tags,
                opts=child,
            )
            self.replica_lag_alarm_arns[lag.data_item] = alarm.arn

        self.replication_alarm_arns = {}
        for watch in args.replication:
            topic = topics[args.replication_region]
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{watch.data_item}-replication",
                region=args.replication_region,
                alarm_description=(
                    f"{args.prefix}: objects of data item {watch.data_item} take longer than S3 Replication "
                    f"Time Control's {REPLICATION_THRESHOLD_SECONDS}s to reach the DR region"
                ),
                namespace="AWS/S3",
                metric_name="ReplicationLatency",
                dimensions={
                    "SourceBucket": watch.source_bucket,
                    "DestinationBucket": watch.destination_bucket,
                    "RuleId": replication_rule_id(watch.data_item),
                },
                statistic="Maximum",
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=REPLICATION_THRESHOLD_SECONDS,
                # No datapoint: nothing was written, so nothing waits to be replicated.
                treat_missing_data="notBreaching",
                alarm_actions=[topic],
                ok_actions=[topic],
                tags=args.tags,
                opts=child,
            )
            self.replication_alarm_arns[watch.data_item] = alarm.arn

        self.cron_job_alarm_arns = {}
        for job in args.cron_jobs:
            # Request metrics for the job's prefix (S3 publishes them only for a configured filter).
            metric = aws.s3.BucketMetric(
                f"{name}-{job.watch.data_item}-uploads",
                bucket=job.bucket,
                name=f"{job.watch.data_item}-uploads",
                filter={"prefix": job.watch.prefix},
                opts=child,
            )
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{job.watch.data_item}-missed-backup",
                alarm_description=(
                    f"{args.prefix}: no backup of data item {job.watch.data_item} uploaded within "
                    f"{job.watch.period_seconds}s ({job.watch.source}, plus the job's start and run "
                    "deadlines)"
                ),
                namespace="AWS/S3",
                metric_name="PutRequests",
                dimensions={"BucketName": job.bucket, "FilterId": metric.name},
                statistic="Sum",
                period=job.watch.period_seconds,
                evaluation_periods=1,
                comparison_operator="LessThanThreshold",
                threshold=1,
                # S3 publishes request metrics only when requests happen: silence is the miss.
                treat_missing_data="breaching",
                alarm_actions=[args.topic_arn],
                ok_actions=[args.topic_arn],
                tags=args.tags,
                opts=child,
            )
            self.cron_job_alarm_arns[job.watch.data_item] = alarm.arn

        self.alarm_arns = [
            *self.replica_lag_alarm_arns.values(),
            *self.replication_alarm_arns.values(),
            *self.cron_job_alarm_arns.values(),
        ]
        self.register_outputs(
            {
                "rule_arns": self.rule_arns,
                "replica_lag_alarm_arns": self.replica_lag_alarm_arns,
                "replication_alarm_arns": self.replication_alarm_arns,
                "cron_job_alarm_arns": self.cron_job_alarm_arns,
                "alarm_arns": self.alarm_arns,
            }
        )
