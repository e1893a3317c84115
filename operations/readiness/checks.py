"""Readiness judgements: pure functions from one reading and the plan's target to a verdict.

Every check ends pass, fail, unknown or expected, with the measured value and the target in words,
so a line of the report says what was seen and what the plan asks. Unknown means the reading could
not be taken or cannot be judged (an API that did not answer, a metric with no datapoint); it never
passes: run.py counts it against readiness. Expected is what a failover leaves behind by design
and failback undoes (the promoted database has no replica; the DR cluster's backup jobs, resumed
by the failover, have not run yet): shown as such, not counted as a failure. Anything else that
differs after a failover (a missing instance, a broken replica, a job that ran and failed) fails.

Targets come from the plan through `continuity.derive`, never restated here:

| check | target |
|---|---|
| replica lag | the tier's RPO |
| newest point (RDS, replicated backups, bucket copy) | the item's frequency (its tier's RPO if continuous) |
| newest AWS Backup recovery point | the schedule's longest gap + start window (+ completion, copies) |
| vault lock | compliance mode, minimum retention = the shortest rule's retention |
| Object Lock | COMPLIANCE, default retention = the item's retention (days, or years as written) |
| capacity | capacity.dr tasks (capacity.primary while a failover is in effect) |
| restore test, drill | testing.restore_test, testing.failover_drill |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from continuity.derive import BackupRule, ObjectLockRetention, VaultLockSettings
from continuity.durations import describe_seconds
from continuity.plan import DataItem, Plan
from continuity.schedule import longest_gap
from operations.backup import RecoveryPoints, VaultView
from operations.cloudwatch import LagReading
from operations.ecs import ScalableTargetView, ServiceView
from operations.history import entry_time
from operations.kubernetes import AutoscalerView, CronJobView, DeploymentView
from operations.rds import InstanceView, ReplicatedBackups
from operations.report import iso
from operations.route53 import HealthCheckView, HealthVerdict, RecordView, failover_record_problems
from operations.s3 import Listing, ObjectLockView, ReplicationRule

PASS = "pass"  # noqa: S105 - a check status, not a password
FAIL = "fail"
UNKNOWN = "unknown"
EXPECTED = "expected"
STATUSES = (PASS, FAIL, UNKNOWN, EXPECTED)
# What an expected check's detail opens with.
AFTER_FAILOVER = "expected after a failover"

# Areas, in report order.
AREAS = ("databases", "backups", "buckets", "routing", "services", "testing")
# A backup job that writes dumps into a bucket (a Kubernetes CronJob) may start late and run a
# while; like AWS Backup's start window, an hour is allowed on top of the schedule's gap.
DUMP_ALLOWANCE = timedelta(hours=1)


@dataclass(frozen=True)
class Verdict:
    status: str
    measured: str
    detail: str = ""


@dataclass(frozen=True)
class Target:
    text: str
    seconds: float | None = None


@dataclass(frozen=True)
class Check:
    id: str  # "replica-lag database": what, then which
    area: str
    status: str
    measured: str
    target: str
    detail: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "check": self.id,
            "area": self.area,
            "verdict": self.status,
            "measured": self.measured,
            "target": self.target,
            "detail": self.detail,
        }


def span(seconds: float) -> str:
    return describe_seconds(max(0.0, seconds))


def _age(moment: datetime, now: datetime) -> float:
    return (now - moment).total_seconds()


def judge_age(moment: datetime | None, now: datetime, target: Target, *, none: str) -> Verdict:
    """The age of the newest point against a target; ``none`` says what is missing."""
    if moment is None:
        return Verdict(FAIL, "none", none)
    age = _age(moment, now)
    measured = f"{span(age)} old ({iso(moment)})"
    assert target.seconds is not None
    return Verdict(PASS if age <= target.seconds else FAIL, measured)


# ---------------------------------------------------------------------------------------------
# Targets from the plan


def recovery_point_target(plan: Plan, name: str, item: DataItem) -> Target:
    """How old the newest recovery point of an item may be: its frequency, or its tier's RPO when
    it is backed up continuously (a gap of zero cannot be measured against)."""
    if item.continuous:
        rpo = plan.rpo_of(item)
        return Target(
            f"≤ {span(rpo.seconds)} (tier {item.tier} RPO; frequency {item.frequency})", rpo.seconds
        )
    return Target(f"≤ {span(item.frequency.seconds)} (data.{name}.frequency)", item.frequency.seconds)


def schedule_target(rule: BackupRule, *, copy: bool) -> Target:
    """How old the newest scheduled recovery point of a rule may be: the schedule's longest gap,
    plus the start window (AWS Backup may start a job that late), plus for a copy in the other
    region the completion window (a copy starts once its backup has completed)."""
    gap = longest_gap(rule.schedule).total_seconds()
    allowance = rule.start_window_minutes * 60 + (rule.completion_window_minutes * 60 if copy else 0)
    parts = f"gap {span(gap)} + start window {span(rule.start_window_minutes * 60)}"
    if copy:
        parts += f" + completion window {span(rule.completion_window_minutes * 60)}"
    return Target(f"≤ {span(gap + allowance)} (rule {rule.rule_name}: {parts})", gap + allowance)


# ---------------------------------------------------------------------------------------------
# Databases


def judge_standby(
    view: InstanceView | None,
    *,
    source_arn: str,
    source_identifier: str,
    region: str,
    failed_back: bool = False,
    failover_in_effect: bool = False,
) -> Verdict:
    if view is None:
        return Verdict(FAIL, "missing", f"no instance of that name in {region}")
    if view.broken:
        return Verdict(FAIL, view.status, "it will not recover by waiting")
    if not view.is_replica:
        if failed_back:
            why = "a stale copy left by the failback: re-create the replica (docs/failback.md)"
            return Verdict(FAIL, f"standalone ({view.status})", why)
        if failover_in_effect:
            why = f"{AFTER_FAILOVER}: promoted, it serves the data (failback re-creates the replica)"
            return Verdict(EXPECTED, f"standalone ({view.status})", why)
        why = "promoted, yet no failover is in effect: nothing replicates to the DR region"
        return Verdict(FAIL, f"standalone ({view.status})", why)
    if view.replica_source is not None and not view.replica_of(source_arn, source_identifier):
        return Verdict(FAIL, f"read replica of {view.replica_source}", f"not of {source_arn}")
    if view.replication_status not in (None, "replicating"):
        message = f": {view.replication_message}" if view.replication_message else ""
        return Verdict(FAIL, f"replication {view.replication_status}", f"read replication{message}")
    if view.status != "available":
        return Verdict(UNKNOWN, f"read replica, {view.status}", "judge again once it is available")
    return Verdict(PASS, f"read replica of {source_identifier}, replicating")


def judge_replica_lag(lag: LagReading | None, target: Target, *, promoted: bool = False) -> Verdict:
    """``promoted``: there is no replica because a failover in effect promoted it."""
    if lag is None and promoted:
        why = f"{AFTER_FAILOVER}: nothing replicates until failback re-creates the replica"
        return Verdict(EXPECTED, "no replica", why)
    if lag is None:
        return Verdict(FAIL, "no replica", "nothing replicates to the DR region (see standby)")
    if lag.seconds is None:
        return Verdict(UNKNOWN, "not measured", lag.note)
    measured = span(lag.seconds) + (f" ({lag.note})" if lag.note else "")
    assert target.seconds is not None
    return Verdict(PASS if lag.seconds <= target.seconds else FAIL, measured)


def judge_retention(view: InstanceView | None, wanted_days: int) -> Verdict:
    if view is None:
        return Verdict(FAIL, "missing", "the primary instance was not found")
    measured = f"{view.backup_retention} days"
    if view.backup_retention < wanted_days:
        return Verdict(FAIL, measured, "shorter than the plan's retention: older points cannot be restored")
    return Verdict(PASS, measured)


def judge_replicated_backups(
    backups: ReplicatedBackups | None, now: datetime, target: Target, *, source: str, region: str
) -> Verdict:
    if backups is None:
        return Verdict(FAIL, "none", f"no automated backups of {source} replicated to {region}")
    if backups.status not in ("replicating", "active"):
        return Verdict(FAIL, f"status {backups.status}", f"replicated backups {backups.arn}")
    return judge_age(
        backups.latest, now, target, none=f"replicated backups {backups.arn} have no restorable time"
    )


def rule_target(rule: BackupRule, *, copy: bool) -> Target:
    """What a vault should hold for a rule: its continuous recovery point (in the vault it backs
    up into), or a scheduled point (or copy) no older than the schedule allows."""
    if rule.continuous and not copy:
        return Target(f"a continuous recovery point (rule {rule.rule_name})")
    return schedule_target(rule, copy=copy)


def judge_recovery_points(
    found: RecoveryPoints, now: datetime, rule: BackupRule, *, copy: bool, vault: str
) -> Verdict:
    usable = [p for p in found.points if p.usable]
    if rule.continuous and not copy:
        live = [p for p in usable if p.continuous]
        if live:
            since = min((p.created for p in live if p.created), default=None)
            return Verdict(PASS, "continuous" + (f" since {iso(since)}" if since else ""))
        if not found.complete:
            return Verdict(UNKNOWN, f"{len(found.points)}+ points", "too many to list")
        return Verdict(FAIL, "none", f"no usable continuous recovery point in vault {vault}")
    newest = max((p.created for p in usable if not p.continuous and p.created is not None), default=None)
    if newest is None and not found.complete:
        return Verdict(UNKNOWN, f"{len(found.points)}+ points", "too many to list")
    what = "copies" if copy else "recovery points"
    return judge_age(newest, now, rule_target(rule, copy=copy), none=f"no usable {what} in vault {vault}")


# ---------------------------------------------------------------------------------------------
# Locks and replication


def judge_vault_lock(view: VaultView | None, wanted: VaultLockSettings, now: datetime) -> Verdict:
    if view is None:
        return Verdict(FAIL, "vault missing")
    if view.mode != "compliance":
        return Verdict(
            FAIL,
            "not locked" if view.mode == "none" else "governance mode",
            "recovery points can be deleted or shortened; the plan asks for compliance mode",
        )
    measured = f"compliance, minimum {view.min_retention_days} days"
    if view.min_retention_days != wanted.min_retention_days:
        return Verdict(FAIL, measured, f"the plan's shortest retention is {wanted.min_retention_days} days")
    if view.lock_date is not None and view.lock_date > now:
        return Verdict(PASS, measured, f"can still be changed until {iso(view.lock_date)}")
    return Verdict(PASS, measured + (f", immutable since {iso(view.lock_date)}" if view.lock_date else ""))


def object_lock_target(wanted: ObjectLockRetention) -> Target:
    return Target(str(wanted))


def judge_object_lock(view: ObjectLockView, wanted: ObjectLockRetention) -> Verdict:
    measured = view.describe()
    if not view.enabled or view.mode is None:
        return Verdict(FAIL, measured, "objects are not write-once by default")
    if view.mode != wanted.mode:
        return Verdict(
            FAIL, measured, f"{view.mode} retention can be bypassed; the plan asks for {wanted.mode}"
        )
    if (view.days, view.years) != (wanted.days, wanted.years):
        return Verdict(FAIL, measured, f"the plan keeps {wanted}")
    return Verdict(PASS, measured)


def judge_replication(rules: list[ReplicationRule], destination_arn: str) -> Verdict:
    matching = [r for r in rules if r.destination_bucket == destination_arn]
    if not matching:
        return Verdict(FAIL, "no rule", f"no replication rule to {destination_arn}")
    enabled = [r for r in matching if r.status == "Enabled"]
    if not enabled:
        return Verdict(FAIL, f"rule {matching[0].id} {matching[0].status}")
    rule = enabled[0]
    if not rule.time_control:
        return Verdict(
            FAIL,
            f"rule {rule.id} enabled, no Replication Time Control",
            "the plan counts on S3's 15-minute replication commitment",
        )
    return Verdict(PASS, f"rule {rule.id} enabled, Replication Time Control on")


def judge_dr_copy(source: Listing, copy: Listing, now: datetime, target: Target) -> Verdict:
    """Is every object of the primary bucket in the DR bucket? The measure is how long the oldest
    missing one has been waiting (an object overwritten since its copy counts as missing)."""
    if not source.complete or not copy.complete:
        return Verdict(
            UNKNOWN, "too many objects", "the buckets hold more objects than a listing can compare"
        )
    missing = [
        modified
        for key, modified in source.objects.items()
        if key not in copy.objects or copy.objects[key] < modified
    ]
    newest = max(copy.objects.values(), default=None)
    held = f"{len(copy.objects)} objects" + (f", newest {span(_age(newest, now))} old" if newest else "")
    if not missing:
        return Verdict(
            PASS, f"up to date ({held})" if source.objects else "nothing to copy (primary bucket empty)"
        )
    oldest = min(missing)
    waiting = _age(oldest, now)
    measured = f"{len(missing)} missing, oldest written {span(waiting)} ago"
    assert target.seconds is not None
    return Verdict(PASS if waiting <= target.seconds else FAIL, measured, f"DR bucket holds {held}")


# ---------------------------------------------------------------------------------------------
# Routing and services


def judge_health_check(view: HealthCheckView | None, *, expect_inverted: bool) -> Verdict:
    if view is None:
        return Verdict(FAIL, "missing")
    measured = "inverted" if view.inverted else "not inverted"
    if view.inverted != expect_inverted:
        why = (
            "traffic is held in the DR region although no failover is in effect"
            if view.inverted
            else "a failover is in effect but the check is not inverted: traffic returns to the "
            "primary as soon as it answers"
        )
        return Verdict(FAIL, measured, why)
    return Verdict(PASS, measured)


def judge_endpoint(view: HealthCheckView | None, verdict: HealthVerdict | None) -> Verdict:
    if view is None:
        return Verdict(FAIL, "health check missing")
    if verdict is None or verdict.healthy is None:
        return Verdict(UNKNOWN, "no status", "no Route 53 health checker has reported")
    return Verdict(PASS if verdict.healthy else FAIL, verdict.describe())


def judge_records(records: list[RecordView], name: str, primary_health_check_id: str) -> Verdict:
    problems = failover_record_problems(records, name, primary_health_check_id)
    if problems:
        return Verdict(FAIL, "; ".join(problems))
    return Verdict(PASS, f"PRIMARY on health check {primary_health_check_id}, SECONDARY present")


def judge_capacity(
    view: ServiceView | None, scaling: ScalableTargetView | None, *, expected: int, scaling_expected: bool
) -> Verdict:
    if view is None:
        return Verdict(FAIL, "service missing")
    if view.status != "ACTIVE":
        return Verdict(FAIL, view.status)
    measured = view.describe() + (f", autoscaling minimum {scaling.minimum}" if scaling else "")
    if scaling is None and scaling_expected:
        return Verdict(FAIL, measured, "its autoscaling target is not registered")
    if scaling is not None and scaling.minimum < expected:
        return Verdict(FAIL, measured, f"scale-in may take it below {expected} tasks")
    if not view.steady_at(expected):
        return Verdict(FAIL, measured)
    return Verdict(PASS, measured)


def judge_kubernetes_capacity(
    view: DeploymentView | None, scaling: AutoscalerView | None, *, expected: int
) -> Verdict:
    if view is None:
        return Verdict(FAIL, "deployment missing")
    measured = view.describe() + (f", autoscaler minimum {scaling.minimum}" if scaling else "")
    if scaling is None:
        return Verdict(FAIL, measured, "its HorizontalPodAutoscaler is missing")
    if scaling.minimum < expected:
        return Verdict(FAIL, measured, f"the autoscaler may take it below {expected} replicas")
    if not view.steady_at(expected):
        return Verdict(FAIL, measured)
    return Verdict(PASS, measured)


def judge_backup_job(
    view: CronJobView | None, now: datetime, target: Target, *, resumed_by_failover: bool = False
) -> Verdict:
    """The newest successful run of a backup CronJob against its schedule's longest gap.
    ``resumed_by_failover``: the DR cluster's job, which runs only once a failover is in effect."""
    if view is None:
        return Verdict(FAIL, "cronjob missing")
    if view.suspended:
        return Verdict(FAIL, "suspended", f"{view.namespace}/{view.name} runs no backups while suspended")
    if resumed_by_failover and view.last_scheduled is None and view.last_successful is None:
        why = (
            f"{AFTER_FAILOVER}: {view.namespace}/{view.name} runs from the failover on and has not been "
            f"scheduled yet; its first run is due within the schedule's gap ({view.schedule})"
        )
        return Verdict(EXPECTED, "not run yet", why)
    scheduled = f"; last scheduled {iso(view.last_scheduled)}" if view.last_scheduled else ""
    none = f"no successful run of {view.namespace}/{view.name}{scheduled}"
    return judge_age(view.last_successful, now, target, none=none)


# ---------------------------------------------------------------------------------------------
# Testing cadence


def judge_recency(
    entry: dict[str, Any] | None,
    last_attempt: dict[str, Any] | None,
    now: datetime,
    every: Target,
    *,
    remedy: str = "",
) -> Verdict:
    """``remedy``: the command that would record one, said when there is none or it is overdue."""
    tried = ""
    if last_attempt is not None and last_attempt is not entry:
        when = entry_time(last_attempt)
        tried = f"the last attempt, {span(_age(when, now)) + ' ago' if when else 'undated'}, failed"
    todo = f": {remedy}" if remedy else ""
    if entry is None:
        return Verdict(FAIL, "never", (tried or "no successful one in the drill history") + todo)
    moment = entry_time(entry)
    assert moment is not None, "history.parse_lines keeps dated entries only"
    assert every.seconds is not None
    age = _age(moment, now)
    if age > every.seconds:
        return Verdict(FAIL, f"{span(age)} ago ({iso(moment)})", (tried or "overdue") + todo)
    return Verdict(PASS, f"{span(age)} ago ({iso(moment)})", tried)
