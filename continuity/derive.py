"""What the plan means in AWS settings: pure functions, no Pulumi, no boto3.

Components build resources from these settings, the policy pack judges resources against them,
and the scripts measure the live environment against them, so the three can never disagree about
what "the plan" asks. Every number here is the plan's, or an AWS limit named beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from continuity import exposure
from continuity.durations import Duration, describe_exactly
from continuity.exposure import ItemExposure, Protection
from continuity.plan import CONTINUOUS_RETENTION_MAX_DAYS, RDS_PITR_RPO, DataItem, Plan
from continuity.recovery import RecoveryEstimate, estimate
from continuity.schedule import (
    AWS_BACKUP_MIN_INTERVAL,
    StartTime,
    kubernetes_schedule_for,
    longest_gap,
    longest_gap_kubernetes,
    schedule_for,
)

# RDS automated backups keep 1 to 35 days (0 turns point-in-time recovery off).
RDS_RETENTION_MIN_DAYS = 1
RDS_RETENTION_MAX_DAYS = 35
# AWS Backup: a job must start within at least 60 minutes, and the completion window must be at
# least 60 minutes longer than the start window.
BACKUP_START_WINDOW_MIN = 60
BACKUP_COMPLETION_MARGIN = 60
# AWS Backup's default completion window is 7 days; no job of ours needs longer.
BACKUP_COMPLETION_DEFAULT = 7 * 24 * 60
# A vault lock in compliance mode can be changed or removed only during a cooling-off period of
# at least 72 hours (3 days); after that it is permanent.
VAULT_LOCK_CHANGEABLE_MIN_DAYS = 3


@dataclass(frozen=True)
class BackupRule:
    """One AWS Backup rule, derived from one data item (or its archive)."""

    rule_name: str
    data_item: str
    store: str
    schedule: str
    continuous: bool
    delete_after_days: int
    cold_storage_after_days: int | None
    copy_to_dr: bool
    start_window_minutes: int
    completion_window_minutes: int
    longest_gap: timedelta
    source: str  # the plan item and value this rule answers
    # Why the derivation went beyond the plan's own schedule (empty when it did not).
    reason: str = ""

    @property
    def meets(self) -> str:
        return "continuous" if self.continuous else f"longest gap {self.longest_gap}"


@dataclass(frozen=True)
class RdsSettings:
    data_item: str
    tier: str
    backup_retention_period: int
    pitr_meets_rpo: bool
    rpo: Duration
    replica: bool
    copy_to_dr: bool
    # Days of automated backups replicated to the DR region (None: not replicated).
    replicated_retention_days: int | None
    source: str


@dataclass(frozen=True)
class ObjectLockRetention:
    """S3 Object Lock default retention: AWS takes days or years, not both."""

    mode: str
    days: int | None
    years: int | None

    def covers_days(self) -> int:
        # A lock in years holds calendar years: at least 365 days each.
        return self.days if self.days is not None else (self.years or 0) * 365

    def __str__(self) -> str:
        if self.days is not None:
            return f"{self.mode} {self.days} day{'s' if self.days != 1 else ''}"
        return f"{self.mode} {self.years} year{'s' if self.years != 1 else ''}"


@dataclass(frozen=True)
class BucketSettings:
    """The S3 bucket that holds one data item (its objects, or the dumps of in-cluster data)."""

    data_item: str
    tier: str
    store: str
    object_lock: ObjectLockRetention | None
    # Old versions (and, for dumps, the objects themselves) are kept this long, then expire.
    noncurrent_expiration_days: int
    expire_current_objects: bool
    cold_storage_after_days: int | None
    replicate_to_dr: bool
    source: str


@dataclass(frozen=True)
class VaultLockSettings:
    mode: str
    min_retention_days: int
    changeable_for_days: int
    source: str


@dataclass(frozen=True)
class ServiceSettings:
    name: str
    tier: str
    compute: str
    port: int
    health_check: str
    primary_desired_count: int
    warm_desired_count: int
    rto: Duration

    @property
    def full_desired_count(self) -> int:
        return self.primary_desired_count


@dataclass(frozen=True)
class CronJobSettings:
    """A backup CronJob for in-cluster data."""

    data_item: str
    namespace: str
    image: str
    command: str
    schedule: str  # Kubernetes cron, UTC
    longest_gap: timedelta
    # A run starts and finishes within one interval (see cron_job_deadlines).
    starting_deadline_seconds: int
    active_deadline_seconds: int
    reads: list[str]
    bucket_prefix: str  # where in the item's bucket the dumps go
    source: str
    # Why the schedule runs more often than the plan's frequency (empty when it does not).
    reason: str = ""


@dataclass(frozen=True)
class Objectives:
    """The strictest objectives a failover must meet, and each tier's own."""

    rto_seconds: int
    rpo_seconds: int
    tiers: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    # Tiers with a service or a data item; the others are "not applicable", never "met".
    applicable: tuple[str, ...] = ()

    def applies(self, tier: str) -> bool:
        return tier in self.applicable


@dataclass(frozen=True)
class Settings:
    plan: Plan
    rds: list[RdsSettings]
    backup_rules: list[BackupRule]
    buckets: list[BucketSettings]
    vault_lock: VaultLockSettings | None
    services: list[ServiceSettings]
    cron_jobs: list[CronJobSettings]
    alarm_thresholds: dict[str, int]
    objectives: Objectives
    # Worst-case data loss per data item and region (continuity/exposure.py).
    exposures: dict[str, ItemExposure]
    # The fastest recovery per tier from a regional outage; None when the failover has nothing to
    # do for the tier (continuity/recovery.py).
    recovery: dict[str, RecoveryEstimate | None]


# ---------------------------------------------------------------------------------------------


def rds_backup_retention_days(retention: Duration) -> int:
    """RDS ``backup_retention_period``: the plan's retention within what RDS allows (1-35 days);
    what lies beyond 35 days is carried by AWS Backup snapshot rules."""
    return max(RDS_RETENTION_MIN_DAYS, min(retention.days_ceil(), RDS_RETENTION_MAX_DAYS))


def pitr_meets_rpo(rpo: Duration) -> bool:
    """Whether point-in-time recovery alone can meet an RPO (RDS ships logs every 5 minutes)."""
    return rpo.timedelta >= RDS_PITR_RPO


def object_lock_retention(retention: Duration) -> ObjectLockRetention:
    """Default retention for immutable data: years when the plan speaks in years (calendar
    years, as S3 counts them), otherwise whole days rounded up, at least one."""
    if retention.unit == "y":
        return ObjectLockRetention("COMPLIANCE", None, retention.amount)
    return ObjectLockRetention("COMPLIANCE", max(1, retention.days_ceil()), None)


def _start_window(frequency: Duration) -> tuple[int, int]:
    start = BACKUP_START_WINDOW_MIN
    completion = max(
        start + BACKUP_COMPLETION_MARGIN,
        min(frequency.seconds // 60, BACKUP_COMPLETION_DEFAULT),
    )
    return start, completion


def _continuous_rule(name: str, item: DataItem, source: str, reason: str = "") -> BackupRule:
    # Continuous backups keep at most 35 days; longer retention comes from the item's scheduled
    # rule or archive, and for S3 from the bucket's versions (see bucket_for).
    schedule = schedule_for(Duration(1, "h"))
    start, completion = _start_window(Duration(1, "h"))
    return BackupRule(
        rule_name=f"{name}-continuous",
        data_item=name,
        store=item.store,
        schedule=schedule,
        continuous=True,
        delete_after_days=min(item.retention.days_ceil(), CONTINUOUS_RETENTION_MAX_DAYS),
        cold_storage_after_days=None,
        copy_to_dr=item.copy_to_dr,
        start_window_minutes=start,
        completion_window_minutes=completion,
        longest_gap=timedelta(0),
        source=source,
        reason=reason,
    )


def backup_rules_for(name: str, item: DataItem, rpo: Duration | None = None) -> list[BackupRule]:
    """AWS Backup rules for one data item: continuous below AWS Backup's hourly minimum, a
    schedule otherwise, plus the archive rule if the item has one.

    Given the tier's ``rpo``, a schedule that would leave more at risk than the RPO in the primary
    region (longest gap + start window + completion window, continuity/exposure.py) gets a shorter
    completion window where AWS allows one (at least the start window + 60 minutes), and otherwise
    a continuous rule beside it (AWS recommends both: continuous for recent points, snapshots for
    long retention). RDS needs neither: its point-in-time recovery is always on."""
    if item.store == "kubernetes":
        return []  # dumped by a CronJob into its bucket, not by AWS Backup
    source = f"data.{name}.frequency {item.frequency}, retention {item.retention}"
    if item.continuous:
        rules = [_continuous_rule(name, item, source)]
    else:
        schedule = schedule_for(item.frequency, item.at)
        gap = longest_gap(schedule)
        start, completion = _start_window(item.frequency)
        extra: list[BackupRule] = []
        at_risk = exposure.scheduled_backup(f"{name}-scheduled", gap, start, completion, schedule)
        if rpo is not None and item.store != "rds" and at_risk.seconds > rpo.seconds:
            room = (rpo.seconds - int(gap.total_seconds())) // 60 - start
            if room >= start + BACKUP_COMPLETION_MARGIN:
                completion = room
            else:
                reason = f"scheduled backups alone risk {at_risk.arithmetic()}, over tier {item.tier} RPO "
                reason += str(rpo)
                extra.append(_continuous_rule(name, item, f"data.{name}: tier {item.tier} RPO {rpo}", reason))
        rules = [
            BackupRule(
                rule_name=f"{name}-scheduled",
                data_item=name,
                store=item.store,
                schedule=schedule,
                continuous=False,
                delete_after_days=item.retention.days_ceil(),
                cold_storage_after_days=None,
                copy_to_dr=item.copy_to_dr,
                start_window_minutes=start,
                completion_window_minutes=completion,
                longest_gap=gap,
                source=source,
            ),
            *extra,
        ]
    if item.archive is not None:
        archive = item.archive
        schedule = schedule_for(archive.frequency, archive.at)
        start, completion = _start_window(archive.frequency)
        rules.append(
            BackupRule(
                rule_name=f"{name}-archive",
                data_item=name,
                store=item.store,
                schedule=schedule,
                continuous=False,
                delete_after_days=archive.retention.days_ceil(),
                cold_storage_after_days=None,
                copy_to_dr=item.copy_to_dr,
                start_window_minutes=start,
                completion_window_minutes=completion,
                longest_gap=longest_gap(schedule),
                source=f"data.{name}.archive frequency {archive.frequency}, retention {archive.retention}",
            )
        )
    return rules


def bucket_for(name: str, item: DataItem) -> BucketSettings | None:
    if item.store == "rds":
        return None
    return BucketSettings(
        data_item=name,
        tier=item.tier,
        store=item.store,
        object_lock=object_lock_retention(item.retention) if item.immutable else None,
        noncurrent_expiration_days=item.retention.days_ceil(),
        expire_current_objects=item.store == "kubernetes",
        cold_storage_after_days=item.cold_after.days_ceil() if item.cold_after else None,
        replicate_to_dr=item.copy_to_dr,
        source=f"data.{name}: retention {item.retention}, immutable {str(item.immutable).lower()}, "
        f"copy_to_dr {str(item.copy_to_dr).lower()}",
    )


def vault_lock_for(rules: list[BackupRule]) -> VaultLockSettings | None:
    """A compliance-mode lock whose minimum is the shortest retention the plan asks for: no
    job can then keep a recovery point for less than the plan allows, and none is refused."""
    if not rules:
        return None
    shortest = min(rules, key=lambda r: r.delete_after_days)
    return VaultLockSettings(
        mode="compliance",
        min_retention_days=shortest.delete_after_days,
        changeable_for_days=VAULT_LOCK_CHANGEABLE_MIN_DAYS,
        source=f"rule {shortest.rule_name} ({shortest.source})",
    )


def rds_settings_for(plan: Plan, name: str, item: DataItem) -> RdsSettings:
    rpo = plan.rpo_of(item)
    retention_days = rds_backup_retention_days(item.retention)
    return RdsSettings(
        data_item=name,
        tier=item.tier,
        backup_retention_period=retention_days,
        pitr_meets_rpo=pitr_meets_rpo(rpo),
        rpo=rpo,
        replica=plan.replicated_database,
        copy_to_dr=item.copy_to_dr,
        replicated_retention_days=retention_days if item.copy_to_dr else None,
        source=f"data.{name}.retention {item.retention}",
    )


def services_for(plan: Plan) -> list[ServiceSettings]:
    return [
        ServiceSettings(
            name=name,
            tier=spec.tier,
            compute=spec.compute,
            port=spec.port,
            health_check=spec.health_check,
            primary_desired_count=spec.capacity.primary,
            warm_desired_count=spec.capacity.dr,
            rto=plan.tiers[spec.tier].rto,
        )
        for name, spec in plan.services.items()
    ]


def cron_job_deadlines(gap: timedelta) -> tuple[int, int]:
    """startingDeadlineSeconds and activeDeadlineSeconds for a dump every ``gap``: a run starts
    and finishes within one interval, because a CronJob with concurrencyPolicy Forbid skips a run
    while the previous one is still active (which would double the loss). The start is allowed
    AWS Backup's one-hour start window, or half the interval when that is shorter."""
    interval = int(gap.total_seconds())
    start = min(BACKUP_START_WINDOW_MIN * 60, interval // 2)
    return start, interval - start


def _dump_budget(plan: Plan, item: DataItem) -> int:
    """Seconds a dump may leave at risk: the tier's RPO, less the replication time when the
    dumps' DR copy must keep it too."""
    replication = int(exposure.S3_REPLICATION_TIME.total_seconds()) if item.copy_to_dr else 0
    return plan.rpo_of(item).seconds - replication


def cron_jobs_for(plan: Plan) -> list[CronJobSettings]:
    """A CronJob per in-cluster data item, on the plan's schedule, or more often when a dump every
    ``frequency`` (its deadlines filling one more interval, plus replication to DR) would lose more
    than the tier's RPO."""
    jobs = []
    for name, item in plan.data.items():
        if item.store != "kubernetes":
            continue
        assert item.namespace is not None, "validated: kubernetes items name a namespace"
        assert item.image is not None, "validated: kubernetes items name an image"
        assert item.command is not None, "validated: kubernetes items name a command"
        schedule = kubernetes_schedule_for(item.frequency, item.at)
        gap = longest_gap_kubernetes(schedule)
        budget = _dump_budget(plan, item)
        reason = ""
        # A dump's worst case is its gap plus deadlines that fill one more gap: twice the gap. When
        # even a dump a minute cannot keep the RPO, the job runs every minute and the plan is
        # refused with that arithmetic (continuity/feasibility.py).
        if 2 * gap.total_seconds() > budget:
            at_risk = exposure.cron_dump(gap, schedule, *cron_job_deadlines(gap))
            reason = f"a dump every {item.frequency} risks {at_risk.arithmetic()}"
            if item.copy_to_dr:
                reason += f" + {describe_exactly(exposure.S3_REPLICATION_TIME.total_seconds())} replication"
            reason += f", over tier {item.tier} RPO {plan.rpo_of(item)}"
            minutes = max(budget // 2 // 60, int(exposure.CRON_RESOLUTION.total_seconds() // 60))
            schedule = kubernetes_schedule_for(Duration(minutes, "m"), item.at)
            gap = longest_gap_kubernetes(schedule)
        start, active = cron_job_deadlines(gap)
        jobs.append(
            CronJobSettings(
                data_item=name,
                namespace=item.namespace,
                image=item.image,
                command=item.command,
                schedule=schedule,
                longest_gap=gap,
                starting_deadline_seconds=start,
                active_deadline_seconds=active,
                reads=list(item.reads),
                bucket_prefix=f"{name}/",
                source=f"data.{name}.frequency {item.frequency}",
                reason=reason,
            )
        )
    return jobs


def objectives_for(plan: Plan) -> Objectives:
    used = {s.tier for s in plan.services.values()} | {d.tier for d in plan.data.values()}
    tiers = {
        name: (tier.rto.seconds, tier.rpo.seconds if tier.rpo else None) for name, tier in plan.tiers.items()
    }
    rtos = [plan.tiers[t].rto.seconds for t in used] or [t.rto.seconds for t in plan.tiers.values()]
    rpos = [plan.rpo_of(d).seconds for d in plan.data.values()]
    return Objectives(
        rto_seconds=min(rtos),
        rpo_seconds=min(rpos) if rpos else 0,
        tiers=tiers,
        applicable=tuple(name for name in plan.tiers if name in used),
    )


def exposures_for(
    plan: Plan,
    *,
    rules: list[BackupRule],
    rds: list[RdsSettings],
    buckets: list[BucketSettings],
    cron_jobs: list[CronJobSettings],
    alarm_thresholds: dict[str, int],
) -> dict[str, ItemExposure]:
    """Each data item's worst-case loss in the primary and the DR region, from what is derived for
    it: its AWS Backup rules (an archive keeps copies longer, never more recent ones), point-in-time
    recovery, the replica, replicated backups, bucket replication and CronJob dumps."""
    found: dict[str, ItemExposure] = {}
    for name, item in plan.data.items():
        rpo = plan.rpo_of(item).seconds
        primary: list[Protection] = []
        dr: list[Protection] = []
        for database in rds:
            if database.data_item != name:
                continue
            primary.append(exposure.point_in_time_recovery())
            if database.replica:
                dr.append(exposure.read_replica(alarm_thresholds[name], name))
            if database.replicated_retention_days is not None:
                dr.append(exposure.replicated_backups(rpo))
        for rule in rules:
            if rule.data_item != name or rule.rule_name.endswith("-archive"):
                continue
            snapshots = exposure.scheduled_backup(
                rule.rule_name,
                longest_gap(rule.schedule),
                rule.start_window_minutes,
                rule.completion_window_minutes,
                rule.schedule,
            )
            if rule.continuous:
                primary.append(exposure.continuous_backup(rule.rule_name, rule.store))
            else:
                primary.append(snapshots)
            if rule.copy_to_dr:
                # A copy of a continuous backup is a snapshot, made at the rule's scheduled runs
                # (AWS Backup Developer Guide, "Backup and tag copy").
                dr.append(exposure.backup_copy(snapshots, rule.rule_name, rule.completion_window_minutes))
        replicated = any(b.replicate_to_dr for b in buckets if b.data_item == name)
        for job in cron_jobs:
            if job.data_item != name:
                continue
            dump = exposure.cron_dump(
                job.longest_gap, job.schedule, job.starting_deadline_seconds, job.active_deadline_seconds
            )
            primary.append(dump)
            if replicated:
                dr.append(exposure.replicated_dump(dump))
        if replicated and item.store == "s3":
            dr.append(exposure.bucket_replication())
        found[name] = ItemExposure(
            data_item=name,
            tier=item.tier,
            store=item.store,
            rpo_seconds=rpo,
            primary=exposure.region_exposure("primary", plan.regions.primary, primary),
            dr=exposure.region_exposure("dr", plan.regions.dr, dr),
        )
    return found


def recovery_for(plan: Plan) -> dict[str, RecoveryEstimate | None]:
    """The fastest recovery of each tier from a regional outage (continuity/recovery.py)."""

    def members(tier: str, store: str | None = None, compute: str | None = None) -> list[str]:
        if store is not None:
            return [f"data.{n}" for n, d in plan.data.items() if d.tier == tier and d.store == store]
        return [f"services.{n}" for n, s in plan.services.items() if s.tier == tier and s.compute == compute]

    return {
        tier: estimate(
            tier,
            plan.strategy,
            databases=members(tier, store="rds"),
            services=members(tier, compute="ecs"),
            kubernetes_services=members(tier, compute="kubernetes"),
        )
        for tier in plan.tiers
    }


def alarm_thresholds_for(plan: Plan) -> dict[str, int]:
    """Seconds per data item: replica lag (RDS) or age of the newest recovery point beyond
    which the tier's RPO is no longer met."""
    return {name: plan.rpo_of(item).seconds for name, item in plan.data.items()}


def derive(plan: Plan) -> Settings:
    rules = [r for name, item in plan.data.items() for r in backup_rules_for(name, item, plan.rpo_of(item))]
    rds = [rds_settings_for(plan, n, i) for n, i in plan.data.items() if i.store == "rds"]
    buckets = [b for n, i in plan.data.items() if (b := bucket_for(n, i)) is not None]
    cron_jobs = cron_jobs_for(plan)
    alarm_thresholds = alarm_thresholds_for(plan)
    return Settings(
        plan=plan,
        rds=rds,
        backup_rules=rules,
        buckets=buckets,
        vault_lock=vault_lock_for(rules),
        services=services_for(plan),
        cron_jobs=cron_jobs,
        alarm_thresholds=alarm_thresholds,
        objectives=objectives_for(plan),
        exposures=exposures_for(
            plan,
            rules=rules,
            rds=rds,
            buckets=buckets,
            cron_jobs=cron_jobs,
            alarm_thresholds=alarm_thresholds,
        ),
        recovery=recovery_for(plan),
    )


__all__ = [
    "AWS_BACKUP_MIN_INTERVAL",
    "BackupRule",
    "BucketSettings",
    "CronJobSettings",
    "ObjectLockRetention",
    "Objectives",
    "RdsSettings",
    "ServiceSettings",
    "Settings",
    "StartTime",
    "VaultLockSettings",
    "derive",
]
