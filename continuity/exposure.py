"""Worst-case data loss: how old the newest recoverable copy of a data item can be when it is needed.

Every protection the stacks declare for a data item (an AWS Backup rule, point-in-time recovery, a
read replica, bucket replication, a CronJob dump, a copy in the other region) is a ``Protection``:
a sum of ``Term`` s, each with the number and where it comes from. A term is one of three kinds:

- ``plan``: a schedule or a window derived from the plan (a cron's longest gap, AWS Backup's start
  and completion windows, a CronJob's deadlines);
- ``aws``: a figure AWS documents, named beside its constant below;
- ``alarm``: a bound AWS does not publish, which an alarm or a readiness check watches (a read
  replica's lag): past it the loss is a known, alarmed defect, not something the plan allows.

Per region, an item's exposure is its best protection held there: the primary region's (what a
loss inside the region can be recovered from) and the DR region's (what survives a regional
outage). ``continuity.derive`` builds them for every item from the settings it derives, and picks
stronger protection where the plan's own schedule would leave more at risk than the tier's RPO;
``continuity.feasibility`` judges them. Nothing here imports Pulumi or boto3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from continuity.durations import describe_exactly as span

Kind = Literal["plan", "aws", "alarm"]
Role = Literal["primary", "dr"]

# RDS "uploads transaction logs for DB instances to Amazon S3 every 5 minutes" (RDS User Guide,
# "Restoring a DB instance to a specified time"): the latest restorable time of point-in-time
# recovery, RDS's own or AWS Backup's continuous backup of RDS, can be that old.
RDS_LOG_UPLOAD = timedelta(minutes=5)
# AWS Backup's continuous backup restores "to a specific time that you choose, within 1 second of
# precision" (AWS Backup Developer Guide, "Continuous backups and point-in-time recovery"); for S3
# it captures changes as they happen and AWS publishes no further delay.
CONTINUOUS_PRECISION = timedelta(seconds=1)
# S3 Replication Time Control replicates 99.99% of objects within 15 minutes, the only replication
# time AWS commits to (S3 User Guide, "Meeting compliance requirements with S3 Replication Time
# Control"); without RTC S3 replication promises no time at all.
S3_REPLICATION_TIME = timedelta(minutes=15)
# A Kubernetes CronJob schedule has minute resolution (standard five-field cron): a dump can run
# at most once a minute.
CRON_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Term:
    """One addend of a worst-case loss: how long, called what, and where the number comes from."""

    what: str
    seconds: int
    kind: Kind
    source: str

    def __str__(self) -> str:
        return f"{span(self.seconds)} {self.what}"


@dataclass(frozen=True)
class Protection:
    """One mechanism that keeps a recoverable copy of an item in one region, and its worst case.

    ``key`` names the mechanism for the code that measures it (readiness reads the age of exactly
    this copy): ``backup:<rule>``, ``copy:<rule>``, ``pitr``, ``replica``, ``replicated-backups``,
    ``replication``, ``dump``, ``replicated-dump``.
    """

    key: str
    mechanism: str
    terms: tuple[Term, ...]
    seconds: int

    def arithmetic(self) -> str:
        """``1h gap + 1h start window + 2h completion window = 4h``, or the single term."""
        if len(self.terms) == 1:
            return str(self.terms[0])
        return " + ".join(str(t) for t in self.terms) + f" = {span(self.seconds)}"

    def explain(self) -> str:
        return f"{self.mechanism}: {self.arithmetic()}"


def protection(key: str, mechanism: str, *terms: Term) -> Protection:
    return Protection(key, mechanism, terms, sum(t.seconds for t in terms))


@dataclass(frozen=True)
class RegionExposure:
    """What an item can lose when it must be recovered from the copies held in one region."""

    role: Role
    region: str
    protections: tuple[Protection, ...]
    worst_case_seconds: int | None  # the best protection's; None when nothing is kept here
    best: str | None  # the key of that protection

    @property
    def best_protection(self) -> Protection | None:
        return next((p for p in self.protections if p.key == self.best), None)


def region_exposure(role: Role, region: str, protections: list[Protection]) -> RegionExposure:
    if not protections:
        return RegionExposure(role, region, (), None, None)
    best = min(protections, key=lambda p: p.seconds)
    return RegionExposure(role, region, tuple(protections), best.seconds, best.key)


@dataclass(frozen=True)
class ItemExposure:
    """One data item's worst-case loss in each region, beside its tier's RPO."""

    data_item: str
    tier: str
    store: str
    rpo_seconds: int
    primary: RegionExposure
    dr: RegionExposure

    def regions(self) -> tuple[RegionExposure, RegionExposure]:
        return self.primary, self.dr

    def within_rpo(self, exposure: RegionExposure) -> bool | None:
        """Whether a region's copies keep the RPO; None when the region keeps no copy."""
        if exposure.worst_case_seconds is None:
            return None
        return exposure.worst_case_seconds <= self.rpo_seconds


# ---------------------------------------------------------------------------------------------
# Protections, one builder per mechanism


def scheduled_backup(
    rule_name: str, gap: timedelta, start_window_minutes: int, completion_window_minutes: int, schedule: str
) -> Protection:
    """An AWS Backup scheduled rule. The worst case: the previous backup started on time, the next
    one as late as its start window allows and it completes at the end of its completion window,
    and the data is lost just before that: gap + start window + completion window."""
    return protection(
        f"backup:{rule_name}",
        f"scheduled backup (rule {rule_name})",
        Term("gap", int(gap.total_seconds()), "plan", f"longest gap of {schedule}"),
        Term(
            "start window",
            start_window_minutes * 60,
            "plan",
            "AWS Backup may start a job this late (at least 60 minutes)",
        ),
        Term(
            "completion window",
            completion_window_minutes * 60,
            "plan",
            "AWS Backup may run a job this long (at least the start window + 60 minutes)",
        ),
    )


def continuous_backup(rule_name: str, store: str) -> Protection:
    """An AWS Backup continuous rule: point-in-time recovery of S3 or RDS."""
    if store == "rds":
        term = Term(
            "transaction log upload",
            int(RDS_LOG_UPLOAD.total_seconds()),
            "aws",
            "RDS uploads transaction logs every 5 minutes (RDS User Guide)",
        )
    else:
        term = Term(
            "restore precision",
            int(CONTINUOUS_PRECISION.total_seconds()),
            "aws",
            "AWS Backup continuous backup restores to the second (AWS Backup Developer Guide)",
        )
    return protection(f"backup:{rule_name}", f"continuous backup (rule {rule_name})", term)


def point_in_time_recovery() -> Protection:
    """RDS automated backups, on for every database the stacks declare (retention at least a day)."""
    return protection(
        "pitr",
        "point-in-time recovery (RDS automated backups)",
        Term(
            "transaction log upload",
            int(RDS_LOG_UPLOAD.total_seconds()),
            "aws",
            "RDS uploads transaction logs every 5 minutes (RDS User Guide)",
        ),
    )


def backup_copy(of: Protection, rule_name: str, copy_window_minutes: int) -> Protection:
    """A copy action into the other region's vault: it starts once its backup has completed.
    AWS Backup publishes no time for a copy job, so the plan allows it the rule's completion
    window (it moves no more data than the backup it copies)."""
    return protection(
        f"copy:{rule_name}",
        f"copy in the DR vault (rule {rule_name})",
        *of.terms,
        Term(
            "copy",
            copy_window_minutes * 60,
            "plan",
            "AWS Backup publishes no copy time; allowed the rule's completion window",
        ),
    )


def read_replica(threshold_seconds: int, data_item: str) -> Protection:
    """A cross-region read replica: AWS bounds its lag by nothing; an alarm fires above the threshold."""
    return protection(
        "replica",
        "read replica",
        Term("replica lag", threshold_seconds, "alarm", f"{data_item}'s replica-lag alarm fires above it"),
    )


def replicated_backups(rpo_seconds: int) -> Protection:
    """RDS automated backups replicated to the DR region: transaction logs are copied "as soon as
    they are ready" (RDS User Guide, "Replicating automated backups to another AWS Region"), with
    no time AWS commits to; readiness fails a replicated backup older than the tier's RPO."""
    upload = int(RDS_LOG_UPLOAD.total_seconds())
    return protection(
        "replicated-backups",
        "replicated automated backups",
        Term("transaction log upload", upload, "aws", "RDS uploads transaction logs every 5 minutes"),
        Term(
            "cross-Region copy",
            max(0, rpo_seconds - upload),
            "alarm",
            "AWS publishes no copy time; readiness fails past the tier's RPO",
        ),
    )


def bucket_replication() -> Protection:
    """S3 replication with Replication Time Control, as components/bucket_replication.py declares."""
    return protection(
        "replication",
        "S3 replication (Replication Time Control)",
        Term(
            "replication",
            int(S3_REPLICATION_TIME.total_seconds()),
            "aws",
            "RTC replicates 99.99% of objects within 15 minutes (S3 User Guide)",
        ),
    )


def cron_dump(
    gap: timedelta, schedule: str, starting_deadline_seconds: int, active_deadline_seconds: int
) -> Protection:
    """A Kubernetes CronJob dump into the item's bucket. The worst case: the previous dump started
    on time, the next starts as late as its starting deadline allows and runs to its active
    deadline, and the data is lost just before it lands."""
    return protection(
        "dump",
        "CronJob dump",
        Term("gap", int(gap.total_seconds()), "plan", f"longest gap of {schedule}"),
        Term("starting deadline", starting_deadline_seconds, "plan", "startingDeadlineSeconds"),
        Term("active deadline", active_deadline_seconds, "plan", "activeDeadlineSeconds"),
    )


def replicated_dump(dump: Protection) -> Protection:
    """A dump replicated into the DR bucket (Replication Time Control)."""
    return protection(
        "replicated-dump",
        "replicated CronJob dump (Replication Time Control)",
        *dump.terms,
        *bucket_replication().terms,
    )


def declared_at_risk(gap: timedelta, *windows_seconds: object) -> float:
    """What a declared schedule leaves at risk: its gap plus its windows (AWS Backup's start and
    completion windows, a CronJob's starting and active deadlines), as the builders above add
    them up. A window that is not set counts as unbounded: AWS Backup then applies a default the
    plan does not count on, and Kubernetes waits for ever."""
    total = gap.total_seconds()
    for window in windows_seconds:
        if isinstance(window, bool) or not isinstance(window, int | float):
            return math.inf
        total += window
    return total
