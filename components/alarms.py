"""Alarms that say the plan is no longer met, all to one SNS topic whose subscribers are config.

- a health check failing (the region's entry point is down);
- AWS Backup or copy jobs failing (the next recovery point will be late);
- a replica lagging more than its tier's RPO (a failover now would lose more than the plan allows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Route 53 publishes health-check metrics only in us-east-1, whatever region the endpoint is in;
# an alarm on them must live there, and so must the topic it notifies.
ROUTE53_METRICS_REGION = "us-east-1"
# CloudWatch's standard resolution: one datapoint a minute.
PERIOD_SECONDS = 60


@dataclass
class ReplicaLagAlarm:
    data_item: str
    db_instance_identifier: str
    threshold_seconds: int  # the tier's RPO


@dataclass
class AlarmsArgs:
    prefix: str
    region: str
    emails: list[str]
    kms_key_arn: pulumi.Input[str]
    health_checks: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # alarm suffix -> check id
    replica_lag: list[ReplicaLagAlarm] = field(default_factory=list)
    # After a promotion the replica stops reporting lag: missing data is then normal.
    replicas_promoted: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class Alarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    health_alarm_names: dict[str, pulumi.Output[str]]
    health_alarm_arns: dict[str, pulumi.Output[str]]
    alarm_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(f"{name}-topic", kms_master_key_id=args.kms_key_arn, tags=args.tags, opts=child)
        self._subscribe(f"{name}-topic", topic, args.emails)
        self.alarm_arns = []
        self.health_alarm_names = {}
        self.health_alarm_arns = {}
        # The us-east-1 topic of the health alarms, when it is not the region's (notify subscribes it).
        self.health_topic_arn: pulumi.Output[str] | None = None
        if args.health_checks:
            health_topic = topic
            if args.region != ROUTE53_METRICS_REGION:
                # Its own region's topic: this stack's key lives elsewhere, so it stays unencrypted.
                health_topic = aws.sns.Topic(
                    f"{name}-health-topic", region=ROUTE53_METRICS_REGION, tags=args.tags, opts=child
                )
                self._subscribe(f"{name}-health-topic", health_topic, args.emails, ROUTE53_METRICS_REGION)
                self.health_topic_arn = health_topic.arn
            for suffix, check_id in args.health_checks.items():
                alarm = aws.cloudwatch.MetricAlarm(
                    f"{name}-{suffix}",
                    name=f"{args.prefix}-{suffix}",
                    alarm_description=f"{args.prefix}: the {suffix} endpoint fails its Route 53 health check",
                    region=ROUTE53_METRICS_REGION,
                    namespace="AWS/Route53",
                    metric_name="HealthCheckStatus",
                    dimensions={"HealthCheckId": check_id},
                    statistic="Minimum",
                    period=PERIOD_SECONDS,
                    evaluation_periods=1,
                    comparison_operator="LessThanThreshold",
                    threshold=1,
                    treat_missing_data="breaching",
                    alarm_actions=[health_topic.arn],
                    ok_actions=[health_topic.arn],
                    tags=args.tags,
                    opts=child,
                )
                self.health_alarm_names[suffix] = alarm.name
                self.health_alarm_arns[suffix] = alarm.arn
                self.alarm_arns.append(alarm.arn)
        for metric in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"):
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{metric}",
                alarm_description=f"{args.prefix}: AWS Backup {metric} in {args.region}",
                namespace="AWS/Backup",
                metric_name=metric,
                statistic="Sum",
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                tags=args.tags,
                opts=child,
            )
            self.alarm_arns.append(alarm.arn)
        for lag in args.replica_lag:
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{lag.data_item}-replica-lag",
                alarm_description=(
                    f"{args.prefix}: replica {lag.db_instance_identifier} lags more than the RPO of "
                    f"data item {lag.data_item} ({lag.threshold_seconds}s)"
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
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                tags=args.tags,
                opts=child,
            )
            self.alarm_arns.append(alarm.arn)
        self.topic_arn = topic.arn
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "health_alarm_names": self.health_alarm_names,
                "alarm_arns": self.alarm_arns,
            }
        )

    def _subscribe(
        self, name: str, topic: aws.sns.Topic, emails: list[str], region: str | None = None
    ) -> None:
        for index, email in enumerate(emails):
            aws.sns.TopicSubscription(
                f"{name}-{index}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                region=region,
                opts=pulumi.ResourceOptions(parent=self),
            )
