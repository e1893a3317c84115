"""Readiness reads: what each area asks AWS, and the checks its answers make.

Every check is one read (or a few) and one judgement from `checks`. A read that fails becomes an
unknown check naming the AWS error, never a pass and never an abort: an API the emulator does not
implement, a region that is down or a permission that is missing says so on its own line while
every other check still runs. Reads that several areas need (the DR instances, the primary health
check) are made once per run.

Nothing here changes anything: every call is a Describe, Get or List.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from continuity.derive import BackupRule, ObjectLockRetention, Settings, VaultLockSettings
from continuity.outputs import DnsTarget, Inventory, Promotion
from continuity.plan import Plan
from operations import backup, cloudwatch, ecs, kubernetes, rds, route53, s3
from operations.aws import Aws, arn_account, describe_error, is_credentials_problem
from operations.errors import BadInput
from operations.history import (
    DRILL,
    RESTORE_TEST,
    History,
    HistoryLocation,
    entry_time,
    latest,
    read_history,
)
from operations.readiness.checks import (
    DUMP_ALLOWANCE,
    FAIL,
    UNKNOWN,
    Check,
    Target,
    Verdict,
    judge_age,
    judge_backup_job,
    judge_capacity,
    judge_dr_copy,
    judge_endpoint,
    judge_health_check,
    judge_kubernetes_capacity,
    judge_object_lock,
    judge_recency,
    judge_records,
    judge_recovery_points,
    judge_replica_lag,
    judge_replicated_backups,
    judge_replication,
    judge_retention,
    judge_standby,
    judge_vault_lock,
    object_lock_target,
    recovery_point_target,
    rule_target,
    span,
)
from operations.restore import scheduled

T = TypeVar("T")
NO_HEALTH_CHECK = "the outputs name no health check"


class Memo:
    """Each read once per run, however many checks (in however many threads) ask for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[Hashable, tuple[threading.Lock, list[Any]]] = {}

    def get(self, key: Hashable, fetch: Callable[[], T]) -> T:
        with self._lock:
            slot = self._slots.setdefault(key, (threading.Lock(), []))
        lock, result = slot
        with lock:
            if not result:
                try:
                    result.append((True, fetch()))
                except Exception as exc:
                    result.append((False, exc))
        ok, value = result[0]
        if not ok:
            raise value
        return value


@dataclass
class Context:
    plan: Plan
    settings: Settings
    inventory: Inventory
    promotion: Promotion | None
    promotion_problem: str | None  # why the outputs' promotion could not be read
    aws: Aws
    now: datetime
    history: HistoryLocation
    exclude: frozenset[str] = frozenset()
    memo: Memo = field(default_factory=Memo)
    credentials_error: BaseException | None = None
    clusters: kubernetes.Clusters = field(default_factory=kubernetes.Clusters)

    @property
    def account(self) -> str:
        return arn_account(self.inventory.primary.vault_arn) or "unknown"

    @property
    def partition(self) -> str:
        return self.inventory.primary.vault_arn.split(":", 2)[1] or "aws"

    def rds_arn(self, role: str, identifier: str) -> str:
        region = self.inventory.region(role).region
        return f"arn:{self.partition}:rds:{region}:{self.account}:db:{identifier}"

    # -- shared reads
    def instance(self, role: str, item: str) -> rds.InstanceView | None:
        where = self.inventory.region(role)
        identifier = where.db_instance_identifiers[item]
        return self.memo.get(
            ("instance", role, item),
            lambda: rds.describe_instance(self.aws.client("rds", where.region), identifier),
        )

    def health_check(self, role: str) -> route53.HealthCheckView | None:
        health_check_id = self.inventory.region(role).health_check_id
        assert health_check_id is not None
        return self.memo.get(
            ("health check", role), lambda: route53.get_health_check(self.aws.route53(), health_check_id)
        )

    def read_history(self) -> History:
        return self.memo.get(
            "history", lambda: read_history(self.history, self.aws, self.inventory.dr_region)
        )

    def failover_in_effect(self) -> tuple[bool, str]:
        """Whether the DR region is the writable one now (a failover or a drill left it so, and no
        failback has replaced the primary since), and the evidence. Reads that fail count as no
        evidence; a plan without databases goes by the primary health check alone."""
        reasons = []
        databases = [name for name, item in self.plan.data.items() if item.store == "rds"]
        for name in databases:
            try:
                view = self.instance("dr", name)
            except Exception:
                view = None  # unread: no evidence either way; its own check says why
            if view is None or view.broken or view.is_replica:
                continue
            try:
                primary = self.instance("primary", name)
            except Exception:
                primary = None  # the primary region may be the one that is down
            if primary is not None and primary.tags.get(rds.FAILBACK_SOURCE_TAG) == view.dbi_resource_id:
                continue  # failed back: the primary is a copy of this instance
            reasons.append(
                f"{view.identifier} is {'restored' if not self.plan.replicated_database else 'promoted'}"
            )
        if not databases and self.inventory.primary.health_check_id is not None:
            try:
                check = self.health_check("primary")
            except Exception:
                check = None
            if check is not None and check.inverted:
                reasons.append("the primary health check is inverted")
        return bool(reasons), "; ".join(reasons)

    # -- producing checks
    def check(
        self, checks: list[Check], check_id: str, area: str, target: Target, judge: Callable[[], Verdict]
    ) -> None:
        if check_id in self.exclude:
            return
        try:
            verdict = judge()
        except Exception as exc:
            if is_credentials_problem(exc):
                self.credentials_error = exc
            verdict = Verdict(UNKNOWN, "not read", describe_error(exc))
        checks.append(Check(check_id, area, verdict.status, verdict.measured, target.text, verdict.detail))


# ---------------------------------------------------------------------------------------------
# Reads, each judged into a verdict (bound to their subject with partial, called by Context.check)


def _failed_back(ctx: Context, name: str, view: rds.InstanceView) -> bool:
    """The primary is a copy of this standalone DR instance: left behind by a failback."""
    try:
        primary = ctx.instance("primary", name)
    except Exception:
        primary = None  # the primary region may be the one that is down
    return primary is not None and primary.tags.get(rds.FAILBACK_SOURCE_TAG) == view.dbi_resource_id


def _standby(ctx: Context, name: str, source_arn: str, source_identifier: str) -> Verdict:
    view = ctx.instance("dr", name)
    failed_back = view is not None and not view.is_replica and _failed_back(ctx, name, view)
    return judge_standby(
        view,
        source_arn=source_arn,
        source_identifier=source_identifier,
        region=ctx.inventory.dr_region,
        failed_back=failed_back,
        failover_in_effect=not failed_back and ctx.failover_in_effect()[0],
    )


def _replica_lag(ctx: Context, name: str, target: Target) -> Verdict:
    view = ctx.instance("dr", name)
    if view is None or not view.is_replica:
        # No replica because a failover in effect promoted it (not broken, not left by a failback).
        promoted = (
            view is not None
            and not view.broken
            and ctx.failover_in_effect()[0]
            and not _failed_back(ctx, name, view)
        )
        return judge_replica_lag(None, target, promoted=promoted)
    client = ctx.aws.client("cloudwatch", ctx.inventory.dr_region)
    return judge_replica_lag(cloudwatch.replica_lag(client, view.identifier, ctx.now), target)


def _restorable_primary(ctx: Context, name: str, target: Target) -> Verdict:
    view = ctx.instance("primary", name)
    if view is None:
        where = ctx.inventory.primary
        return Verdict(FAIL, "missing", f"{where.db_instance_identifiers[name]} not found in {where.region}")
    none = "no restorable time: are automated backups on?"
    return judge_age(view.latest_restorable_time, ctx.now, target, none=none)


def _retention(ctx: Context, name: str, days: int) -> Verdict:
    return judge_retention(ctx.instance("primary", name), days)


def _restorable_dr(ctx: Context, name: str, source_arn: str, target: Target) -> Verdict:
    inv = ctx.inventory
    view = ctx.instance("dr", name)
    if view is not None and not view.broken and not view.is_replica and ctx.failover_in_effect()[0]:
        # Once promoted, the DR instance's own automated backups are what restores in this region;
        # the replicated backups of the old primary stop at the cut.
        none = f"{view.identifier} has no restorable time: are its automated backups on?"
        return judge_age(view.latest_restorable_time, ctx.now, target, none=none)
    source = inv.primary.db_instance_identifiers[name]
    found = rds.find_replicated_backups(
        ctx.aws.client("rds", inv.dr_region),
        source_arn=source_arn,
        source_identifier=source,
        source_region=inv.primary_region,
    )
    return judge_replicated_backups(found, ctx.now, target, source=source, region=inv.dr_region)


def _vault_lock(ctx: Context, role: str, wanted: VaultLockSettings) -> Verdict:
    where = ctx.inventory.region(role)
    view = backup.describe_vault(ctx.aws.client("backup", where.region), where.vault_name)
    return judge_vault_lock(view, wanted, ctx.now)


def _recovery_points(ctx: Context, role: str, resource_arn: str, rule: BackupRule) -> Verdict:
    where = ctx.inventory.region(role)
    found = backup.recovery_points(ctx.aws.client("backup", where.region), where.vault_name, resource_arn)
    return judge_recovery_points(found, ctx.now, rule, copy=role == "dr", vault=where.vault_name)


def _object_lock(ctx: Context, role: str, bucket: str, wanted: ObjectLockRetention) -> Verdict:
    client = ctx.aws.client("s3", ctx.inventory.region(role).region)
    return judge_object_lock(s3.object_lock(client, bucket), wanted)


def _replication(ctx: Context, source: str, destination_arn: str) -> Verdict:
    rules = s3.replication_rules(ctx.aws.client("s3", ctx.inventory.primary_region), source)
    return judge_replication(rules, destination_arn)


def _dr_copy(ctx: Context, source: str, copy: str, target: Target) -> Verdict:
    primary = s3.list_objects(ctx.aws.client("s3", ctx.inventory.primary_region), source)
    dr = s3.list_objects(ctx.aws.client("s3", ctx.inventory.dr_region), copy)
    return judge_dr_copy(primary, dr, ctx.now, target)


def _dumps(ctx: Context, name: str, bucket: str, target: Target) -> Verdict:
    listing = s3.list_objects(ctx.aws.client("s3", ctx.inventory.primary_region), bucket)
    if not listing.complete:
        return Verdict(UNKNOWN, "too many objects", "the bucket holds more than a listing reads")
    newest = max(listing.objects.values(), default=None)
    return judge_age(newest, ctx.now, target, none=f"no dump of {name} in {bucket}")


def _primary_health_check(ctx: Context, expect_inverted: bool) -> Verdict:
    return judge_health_check(ctx.health_check("primary"), expect_inverted=expect_inverted)


def _dr_endpoint(ctx: Context, health_check_id: str) -> Verdict:
    view = ctx.health_check("dr")
    verdict = route53.health_status(ctx.aws.route53(), health_check_id) if view is not None else None
    return judge_endpoint(view, verdict)


def _records(ctx: Context, dns: DnsTarget) -> Verdict:
    found = route53.records_named(ctx.aws.route53(), dns.zone_id, dns.record_name)
    return judge_records(found, dns.record_name, dns.primary_health_check_id)


def _capacity(ctx: Context, cluster: str, service: str, expected: int) -> Verdict:
    region = ctx.inventory.dr_region
    view = ecs.describe_service(ctx.aws.client("ecs", region), cluster, service)
    scaling = ecs.describe_scalable_target(
        ctx.aws.client("application-autoscaling", region), ecs.resource_id_for(cluster, service)
    )
    return judge_capacity(view, scaling, expected=expected, scaling_expected=True)


def _kubernetes_capacity(ctx: Context, service: str, expected: int) -> Verdict:
    on = ctx.inventory.dr.kubernetes
    assert on is not None
    workload = on.deployments[service]
    api = ctx.clusters.api(on.context)
    view = kubernetes.describe_deployment(api, workload.namespace, workload.name)
    scaling = (
        kubernetes.describe_autoscaler(api, workload.namespace, workload.autoscaler)
        if workload.autoscaler
        else None
    )
    return judge_kubernetes_capacity(view, scaling, expected=expected)


def _backup_job(ctx: Context, role: str, item: str, target: Target) -> Verdict:
    on = ctx.inventory.region(role).kubernetes
    assert on is not None
    workload = on.cron_jobs[item]
    view = kubernetes.describe_cron_job(ctx.clusters.api(on.context), workload.namespace, workload.name)
    return judge_backup_job(view, ctx.now, target, resumed_by_failover=role == "dr")


def _recency(ctx: Context, kind: str, data_item: str | None, every: Target) -> Verdict:
    entries = ctx.read_history().entries
    service = ctx.plan.service
    ok = latest(entries, kind, service=service, data_item=data_item)
    attempt = latest(entries, kind, service=service, data_item=data_item, ok=None)
    # Only these scripts record one: nothing inside AWS restore-tests in-cluster dumps or drills.
    remedy = (
        f"run scripts/restore_test.py --data-item {data_item}"
        if kind == RESTORE_TEST
        else "run scripts/dr_drill.py"
    )
    return judge_recency(ok, attempt, ctx.now, every, remedy=remedy)


# ---------------------------------------------------------------------------------------------
# Areas


def databases(ctx: Context) -> list[Check]:
    checks: list[Check] = []
    plan, inv = ctx.plan, ctx.inventory
    retention = {r.data_item: r.backup_retention_period for r in ctx.settings.rds}
    for name, item in plan.data.items():
        if item.store != "rds":
            continue
        primary_id = inv.primary.db_instance_identifiers[name]
        primary_arn = ctx.rds_arn("primary", primary_id)
        fresh = recovery_point_target(plan, name, item)
        if plan.replicated_database:
            rpo = plan.rpo_of(item).seconds
            standby = partial(_standby, ctx, name, primary_arn, primary_id)
            ctx.check(
                checks, f"standby {name}", "databases", Target(f"a read replica of {primary_id}"), standby
            )
            lag_target = Target(f"≤ {span(rpo)} (tier {item.tier} RPO)", rpo)
            ctx.check(
                checks,
                f"replica-lag {name}",
                "databases",
                lag_target,
                partial(_replica_lag, ctx, name, lag_target),
            )
        ctx.check(
            checks,
            f"restorable {name} primary",
            "databases",
            fresh,
            partial(_restorable_primary, ctx, name, fresh),
        )
        days = retention[name]
        kept = Target(f"≥ {days} days (data.{name}.retention {item.retention}, within RDS's 35)")
        ctx.check(checks, f"retention {name}", "databases", kept, partial(_retention, ctx, name, days))
        if item.copy_to_dr:
            replicated = partial(_restorable_dr, ctx, name, primary_arn, fresh)
            ctx.check(checks, f"restorable {name} dr", "databases", fresh, replicated)
    return checks


def backups(ctx: Context) -> list[Check]:
    checks: list[Check] = []
    inv, settings = ctx.inventory, ctx.settings
    lock = settings.vault_lock
    if lock is not None:
        shortest = lock.source.split(" (", 1)[0]
        target = Target(f"compliance mode, minimum {lock.min_retention_days} days ({shortest}, the shortest)")
        for role in ("primary", "dr"):
            ctx.check(checks, f"vault-lock {role}", "backups", target, partial(_vault_lock, ctx, role, lock))
    for name, item in ctx.plan.data.items():
        rules = [r for r in settings.backup_rules if r.data_item == name]
        if not rules:
            continue
        rule = rules[0]  # the item's own schedule; an archive rule keeps long-term copies beside it
        resource = (
            ctx.rds_arn("primary", inv.primary.db_instance_identifiers[name])
            if item.store == "rds"
            else s3.bucket_arn(inv.primary.bucket_names[name], ctx.partition)
        )
        for role in ("primary", "dr") if rule.copy_to_dr else ("primary",):
            target = rule_target(rule, copy=role == "dr")
            read = partial(_recovery_points, ctx, role, resource, rule)
            ctx.check(checks, f"recovery-point {name} {role}", "backups", target, read)
    return checks


def buckets(ctx: Context) -> list[Check]:
    checks: list[Check] = []
    inv = ctx.inventory
    cron = {job.data_item: job for job in ctx.settings.cron_jobs}
    for settings in ctx.settings.buckets:
        name = settings.data_item
        names = {"primary": inv.primary.bucket_names[name], "dr": inv.dr.bucket_names[name]}
        wanted = settings.object_lock
        if wanted is not None:
            for role in ("primary", "dr"):
                read = partial(_object_lock, ctx, role, names[role], wanted)
                ctx.check(checks, f"object-lock {name} {role}", "buckets", object_lock_target(wanted), read)
        if settings.replicate_to_dr:
            destination = s3.bucket_arn(names["dr"], ctx.partition)
            target = Target(f"an enabled rule to {names['dr']} with Replication Time Control")
            read = partial(_replication, ctx, names["primary"], destination)
            ctx.check(checks, f"replication {name}", "buckets", target, read)
            fresh = recovery_point_target(ctx.plan, name, ctx.plan.data[name])
            waiting = Target(
                f"every object copied, none waiting {fresh.text.removeprefix('≤ ')}", fresh.seconds
            )
            read = partial(_dr_copy, ctx, names["primary"], names["dr"], fresh)
            ctx.check(checks, f"dr-copy {name}", "buckets", waiting, read)
        if name in cron:
            job = cron[name]
            allowed = (job.longest_gap + DUMP_ALLOWANCE).total_seconds()
            gap, extra = span(job.longest_gap.total_seconds()), span(DUMP_ALLOWANCE.total_seconds())
            target = Target(
                f"≤ {span(allowed)} (schedule {job.schedule}: gap {gap} + {extra} to run)", allowed
            )
            ctx.check(
                checks,
                f"dumps {name}",
                "buckets",
                target,
                partial(_dumps, ctx, name, names["primary"], target),
            )
            # The jobs that write the dumps run where the data is served: the DR cluster once a
            # failover is in effect.
            role = "dr" if ctx.failover_in_effect()[0] else "primary"
            on = inv.region(role).kubernetes
            check_id = f"backup-job {name} {role}"
            if on is None or name not in on.cron_jobs:
                why = f"the outputs name no backup CronJob for it in the {role} cluster"
                checks.append(Check(check_id, "buckets", UNKNOWN, "not named", target.text, why))
            else:
                read = partial(_backup_job, ctx, role, name, target)
                ctx.check(checks, check_id, "buckets", target, read)
    return checks


def routing(ctx: Context) -> list[Check]:
    checks: list[Check] = []
    if not ctx.plan.services:
        return checks  # nothing serves traffic: no entry point, no failover records
    inv = ctx.inventory
    in_effect, _ = ctx.failover_in_effect()
    primary_id, dr_id = inv.primary.health_check_id, inv.dr.health_check_id
    target = Target("inverted (a failover is in effect)" if in_effect else "not inverted")
    if primary_id is None:
        checks.append(
            Check("health-check primary", "routing", UNKNOWN, "not named", target.text, NO_HEALTH_CHECK)
        )
    else:
        read = partial(_primary_health_check, ctx, in_effect)
        ctx.check(checks, "health-check primary", "routing", target, read)
    target = Target("healthy: the DR endpoint answers")
    if dr_id is None:
        checks.append(Check("health-check dr", "routing", UNKNOWN, "not named", target.text, NO_HEALTH_CHECK))
    else:
        ctx.check(checks, "health-check dr", "routing", target, partial(_dr_endpoint, ctx, dr_id))
    target = Target("a PRIMARY record on the primary health check, and a SECONDARY record")
    if ctx.promotion is None:
        problem = ctx.promotion_problem or "no promotion output"
        checks.append(Check("failover-records", "routing", UNKNOWN, "not read", target.text, problem))
    else:
        ctx.check(checks, "failover-records", "routing", target, partial(_records, ctx, ctx.promotion.dns))
    return checks


def services(ctx: Context) -> list[Check]:
    checks: list[Check] = []
    inv = ctx.inventory
    in_effect, _ = ctx.failover_in_effect()
    for name, spec in ctx.plan.services.items():
        expected = spec.capacity.primary if in_effect else spec.capacity.dr
        word = "full: a failover is in effect" if in_effect else "warm"
        target = Target(f"{expected} tasks running, steady ({word}); autoscaling minimum ≥ {expected}")
        cluster, service = inv.dr.cluster_name, inv.dr.service_names.get(name)
        check_id = f"capacity {name}"
        if spec.compute == "kubernetes":
            on = inv.dr.kubernetes
            target = Target(f"{expected} replicas ready ({word}); autoscaler minimum ≥ {expected}")
            if on is None or name not in on.deployments:
                why = "the outputs name no DR Deployment for it"
                checks.append(Check(check_id, "services", UNKNOWN, "not named", target.text, why))
            else:
                read = partial(_kubernetes_capacity, ctx, name, expected)
                ctx.check(checks, check_id, "services", target, read)
        elif cluster is None or service is None:
            why = "the outputs name no DR cluster or service for it"
            checks.append(Check(check_id, "services", UNKNOWN, "not named", target.text, why))
        else:
            ctx.check(
                checks, check_id, "services", target, partial(_capacity, ctx, cluster, service, expected)
            )
    return checks


def _restore_recency(ctx: Context, name: str, every: Target) -> Verdict:
    """The newest successful restore test of an item: the drill history's (scripts/restore_test.py),
    or AWS Backup restore testing's, whichever is newer. Restore testing is read in the region whose
    data is active first, then in the other: right after a failover the DR region has restore-tested
    nothing yet (an item not copied to DR has no recovery point there at all), and the primary's
    tests are what proves the item's backups restore. A failed read is unknown (read only when the
    history has none recent enough)."""
    entries = ctx.read_history().entries
    service, item = ctx.plan.service, ctx.plan.data[name]
    ok = latest(entries, RESTORE_TEST, service=service, data_item=name)
    attempt = latest(entries, RESTORE_TEST, service=service, data_item=name, ok=None)
    assert every.seconds is not None
    fresh = judge_recency(ok, attempt, ctx.now, every)
    if fresh.status != FAIL and ok is not None:
        return fresh
    in_effect, _ = ctx.failover_in_effect()
    since = ctx.now - timedelta(seconds=every.seconds)
    active, other = ("dr", "primary") if in_effect else ("primary", "dr")
    for role in (active, other):
        region = ctx.inventory.region(role)
        plan_arn = region.restore_testing_plan_arns.get(name)
        if plan_arn is None:
            continue
        try:
            job = scheduled.latest_completed(ctx.aws.client("backup", region.region), plan_arn, since)
        except Exception as exc:
            if is_credentials_problem(exc):
                raise
            where = "" if role == active else f" in {region.region}"
            return Verdict(UNKNOWN, "not read", f"AWS Backup restore testing{where}: {describe_error(exc)}")
        if job is not None:
            rto = ctx.plan.tier_of(item).rto.seconds
            when = entry_time(attempt) if attempt is not None else None
            later = attempt if when is not None and when > job.completed_at else None
            return judge_recency(job.as_entry(service, name, rto), later, ctx.now, every)
    return fresh


def testing(ctx: Context) -> list[Check]:
    checks: list[Check] = []
    plan = ctx.plan
    every = plan.testing.restore_test
    for name, item in plan.data.items():
        target = Target(f"≤ {span(every.seconds)} ago (testing.restore_test {every})", every.seconds)
        check_id = f"restore-test {name}"
        if item.store == "kubernetes" and item.restore_command is None:
            why = f"data.{name}.restore_command is not set: its dumps cannot be restored or restore-tested"
            checks.append(Check(check_id, "testing", FAIL, "no restore command", target.text, why))
        elif item.store == "kubernetes":
            ctx.check(checks, check_id, "testing", target, partial(_recency, ctx, RESTORE_TEST, name, target))
        else:
            ctx.check(checks, check_id, "testing", target, partial(_restore_recency, ctx, name, target))
    drill = plan.testing.failover_drill
    target = Target(f"≤ {span(drill.seconds)} ago (testing.failover_drill {drill})", drill.seconds)
    ctx.check(checks, "drill", "testing", target, partial(_recency, ctx, DRILL, None, target))
    return checks


AREA_READS: dict[str, Callable[[Context], list[Check]]] = {
    "databases": databases,
    "backups": backups,
    "buckets": buckets,
    "routing": routing,
    "services": services,
    "testing": testing,
}


def raise_for_credentials(ctx: Context) -> None:
    """No credentials at all is bad input, not a page of unknowns."""
    if ctx.credentials_error is not None:
        raise BadInput(f"AWS credentials: {describe_error(ctx.credentials_error)}")
