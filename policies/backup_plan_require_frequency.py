"""backup-plan-require-frequency: a backup at least as often as the plan's frequency.

A plan item's AWS Backup plan needs a rule whose schedule never leaves more than the item's
``frequency`` between two backups, judged exactly by ``continuity.schedule.longest_gap`` (a
weekday-only cron has its weekend gap, a monthly one its 31 days), or continuous backup, which
meets any frequency. Below AWS Backup's hourly minimum (and for ``continuous``) only continuous
backup will do. A schedule that cannot be judged is reported with the reason, never guessed at.
"""

from __future__ import annotations

from datetime import timedelta

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.schedule import ScheduleError
from policies.support import (
    BACKUP_PLAN,
    ResourcePolicy,
    data_subject,
    items,
    mapping,
    schedule_gap,
)

NAME = "backup-plan-require-frequency"
DESCRIPTION = "AWS Backup plans back their data item up at least as often as the plan's frequency."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds", "s3", "kubernetes"])
    item = subject.item
    if item.continuous:
        reason = "" if item.frequency.continuous else ", more often than AWS Backup schedules"
        wanted = f"{subject.label} needs continuous backup (frequency {item.frequency}{reason})"
    else:
        wanted = f"{subject.label} needs a backup at least every {item.frequency}"
    rules = [mapping(rule) for rule in items(args.props.get("rules"))]
    if not rules:
        report(f"rules is empty; {wanted}", None)
        return
    continuous = False
    # (longest gap, what the rule does); a rule without a schedule never runs on its own.
    judged: list[tuple[timedelta | None, str]] = []
    for index, rule in enumerate(rules):
        continuous = continuous or rule.get("enableContinuousBackup") is True
        schedule = rule.get("schedule")
        if schedule is None:
            judged.append((None, f"rules[{index}].schedule is not set, so the rule never runs"))
            continue
        try:
            delta, shown = schedule_gap(rule)
        except ScheduleError as err:
            report(f"rules[{index}].schedule cannot be judged: {err}; {wanted}", None)
            continue
        judged.append((delta, f"rules[{index}].schedule {schedule} leaves up to {shown} between backups"))
    if continuous:
        return
    if item.continuous:
        report(f"no rule has enableContinuousBackup true; {wanted}", None)
        return
    limit = item.frequency.timedelta
    if any(delta is not None and delta <= limit for delta, _ in judged):
        return
    if judged:
        _, closest = min(judged, key=lambda j: j[0] if j[0] is not None else timedelta.max)
        report(f"{closest}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[BACKUP_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
