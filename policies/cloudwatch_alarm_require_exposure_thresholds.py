"""cloudwatch-alarm-require-exposure-thresholds: each silent way the plan breaks raises an alarm.

A stack policy. What continuity.assurance (and continuity.derive) says must be watched, and how:

- AWS Backup job and copy job failures: an ``aws:cloudwatch/eventRule`` matching the
  ``Backup Job State Change`` (and, where items are copied to DR, ``Copy Job State Change``)
  events of every failed state, with a target;
- in the DR stack before a failover, each replica's ``ReplicaLag`` alarm (on the replica's
  ``DBInstanceIdentifier``) at no more than the item's exposure budget;
- in the DR stack, each replicated bucket's ``ReplicationLatency`` alarm (its rule's ``RuleId``)
  at no more than S3 Replication Time Control's threshold;
- for each backup CronJob, a ``PutRequests`` alarm on S3 request metrics of the item's bucket
  (joined through the ``aws:s3/bucketMetric`` its dimensions depend on) whose period is no longer
  than the job's schedule gap plus its start and run deadlines.

It judges stacks that declare the assurance resources (issue 16), as
backup-framework-require-controls does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from continuity.assurance import (
    BACKUP_JOB_EVENT,
    BACKUP_JOB_FAILED_STATES,
    COPY_JOB_EVENT,
    COPY_JOB_FAILED_STATES,
    REPLICATION_THRESHOLD_SECONDS,
    CronJobWatch,
    cron_job_watch,
    exposure_budget_seconds,
    replication_rule_id,
)
from policies.backup_framework_require_controls import declares_assurance, promoted
from policies.support import (
    PLAN_CONFIG,
    RDS_INSTANCE,
    TAG_DATA_ITEM,
    PolicyResource,
    StackView,
    data_buckets,
    data_label,
    mapping,
    not_applicable,
    number,
    show,
    stack_view,
)

NAME = "cloudwatch-alarm-require-exposure-thresholds"
DESCRIPTION = (
    "Backup failures, replica lag, replication delay and missed backup jobs raise alarms as the plan says."
)
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUCKET_METRIC = "aws:s3/bucketMetric:BucketMetric"


def alarms_of(view: StackView, metric: str) -> list[PolicyResource]:
    return [a for a in view.of_type(ALARM) if mapping(a.props).get("metricName") == metric]


def dimension(alarm: PolicyResource, name: str) -> Any:
    return mapping(alarm.props.get("dimensions")).get(name)


def judge_threshold(alarm: PolicyResource, limit: float, label: str, report: ReportViolation) -> None:
    threshold = number(alarm.props.get("threshold"))
    if threshold is None or threshold > limit:
        report(f"threshold is {show(alarm.props.get('threshold'))}; {label} allows {limit:g}", alarm.urn)


def judge_rules(view: StackView, report: ReportViolation) -> None:
    settings = view.ctx.settings
    wanted: list[tuple[str, tuple[str, ...]]] = []
    if settings.backup_rules:
        wanted.append((BACKUP_JOB_EVENT, BACKUP_JOB_FAILED_STATES))
    if any(r.copy_to_dr for r in settings.backup_rules):
        wanted.append((COPY_JOB_EVENT, COPY_JOB_FAILED_STATES))
    rules = []
    for rule, _ in view.tagged(EVENT_RULE):
        try:
            pattern = json.loads(str(rule.props.get("eventPattern")))
        except json.JSONDecodeError:
            continue
        if isinstance(pattern, Mapping) and "aws.backup" in (pattern.get("source") or []):
            rules.append((rule, pattern))
    for event, states in wanted:
        matching = [
            rule
            for rule, pattern in rules
            if event in (pattern.get("detail-type") or [])
            and set(states) <= set(mapping(pattern.get("detail")).get("state") or [])
            and view.dependents(rule, "rule", [EVENT_TARGET])
        ]
        if not matching:
            report(
                f"no {EVENT_RULE} with a target matches AWS Backup's {event} events in state "
                f"{', '.join(states)}; such a job fails silently",
                None,
            )


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    if not declares_assurance(view):
        not_applicable(args, "the stack declares none of the assurance resources (issue 16)")
    plan, settings = view.ctx.plan, view.ctx.settings
    judge_rules(view, report)
    roles = view.roles()
    if "dr" in roles and not promoted(view):
        lag = alarms_of(view, "ReplicaLag")
        for rds in (r for r in settings.rds if r.replica):
            label = f"{data_label(rds.data_item, plan.data[rds.data_item])} exposure budget"
            replicas = [
                str(r.props.get("identifier"))
                for r, tags in view.tagged(RDS_INSTANCE)
                if tags.get(TAG_DATA_ITEM) == rds.data_item
            ]
            found = [a for a in lag if dimension(a, "DBInstanceIdentifier") in replicas]
            if not found:
                report(
                    f"no ReplicaLag alarm on the replica of {label.removesuffix(' exposure budget')}", None
                )
            for alarm in found:
                judge_threshold(alarm, exposure_budget_seconds(plan, rds.data_item), label, report)
    if "dr" in roles:
        latency = alarms_of(view, "ReplicationLatency")
        for bucket in (b for b in settings.buckets if b.replicate_to_dr):
            label = (
                f"S3 Replication Time Control for {data_label(bucket.data_item, plan.data[bucket.data_item])}"
            )
            found = [a for a in latency if dimension(a, "RuleId") == replication_rule_id(bucket.data_item)]
            if not found:
                report(
                    f"no ReplicationLatency alarm on rule {replication_rule_id(bucket.data_item)}; {label}",
                    None,
                )
            for alarm in found:
                judge_threshold(alarm, REPLICATION_THRESHOLD_SECONDS, label, report)
    buckets = {b.name: b.resource for b in data_buckets(view)}
    for job in settings.cron_jobs:
        watch = cron_job_watch(job)
        if not isinstance(watch, CronJobWatch) or job.data_item not in buckets:
            continue
        label = data_label(job.data_item, plan.data[job.data_item])
        metrics = view.dependents(buckets[job.data_item], "bucket", [BUCKET_METRIC])
        alarms = [a for m in metrics for a in view.dependents(m, "dimensions", [ALARM])]
        if not alarms:
            report(
                f"no PutRequests alarm on request metrics of the bucket of {label}; a missed backup job goes "
                "unnoticed",
                buckets[job.data_item].urn,
            )
        for alarm in alarms:
            period = number(alarm.props.get("period"))
            if period is None or period > watch.period_seconds:
                report(
                    f"period is {show(alarm.props.get('period'))}; {label} uploads at least every "
                    f"{watch.period_seconds}s ({watch.source}, plus the job's deadlines)",
                    alarm.urn,
                )


POLICY = StackValidationPolicy(
    name=NAME,
    description=DESCRIPTION,
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PLAN_CONFIG,
)
