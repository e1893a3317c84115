"""backup-plan-require-frequency: a backup at least as often as the plan's frequency.

A plan item's AWS Backup plan needs a rule whose schedule never leaves more than the item's
``frequency`` between two backups, judged exactly by ``continuity.schedule.longest_gap`` (a
weekday-only cron has its weekend gap, a monthly one its 31 days), or continuous backup, which
meets any frequency. Below AWS Backup's hourly minimum (and for ``continuous``) only continuous
backup will do, and so where the plan's derivation added continuous backup because the schedule
would lose more than the tier's RPO; a rule that meets the frequency must not leave more at risk
(gap + startWindow + completionWindow, continuity/exposure.py) than the plan's own rule. A schedule
that cannot be judged is reported with the reason, never guessed at.
"""

from __future__ import annotations

from datetime import timedelta

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.exposure import declared_at_risk
from continuity.schedule import ScheduleError
from policies.support import (
    BACKUP_PLAN,
    ResourcePolicy,
    data_subject,
    gap,
    items,
    mapping,
    schedule_gap,
)

NAME = "backup-plan-require-frequency"
DESCRIPTION = "AWS Backup plans back their data item up at least as often as the plan's frequency."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds", "s3", "kubernetes"])
    item = subject.item
    derived = [r for r in subject.ctx.settings.backup_rules if r.data_item == subject.name]
    added = next((r.reason for r in derived if r.continuous and r.reason), "")
    if item.continuous:
        reason = "" if item.frequency.continuous else ", more often than AWS Backup schedules"
        wanted = f"{subject.label} needs continuous backup (frequency {item.frequency}{reason})"
    elif added:
        wanted = f"{subject.label} needs continuous backup ({added})"
    else:
        wanted = f"{subject.label} needs a backup at least every {item.frequency}"
    rules = [mapping(rule) for rule in items(args.props.get("rules"))]
    if not rules:
        report(f"rules is empty; {wanted}", None)
        return
    continuous = False
    # (longest gap, seconds at risk, what the rule does); a rule without a schedule never runs.
    judged: list[tuple[timedelta | None, float, str]] = []
    for index, rule in enumerate(rules):
        continuous = continuous or rule.get("enableContinuousBackup") is True
        schedule = rule.get("schedule")
        if schedule is None:
            judged.append((None, 0.0, f"rules[{index}].schedule is not set, so the rule never runs"))
            continue
        try:
            delta, shown = schedule_gap(rule)
        except ScheduleError as err:
            report(f"rules[{index}].schedule cannot be judged: {err}; {wanted}", None)
            continue
        windows = [
            w * 60 if isinstance(w, int | float) else w
            for w in (rule.get("startWindow"), rule.get("completionWindow"))
        ]
        at_risk = declared_at_risk(delta, *windows)
        judged.append(
            (delta, at_risk, f"rules[{index}].schedule {schedule} leaves up to {shown} between backups")
        )
    if continuous:
        return
    if item.continuous or added:
        report(f"no rule has enableContinuousBackup true; {wanted}", None)
        return
    limit = item.frequency.timedelta
    plan_rule = next(r for r in derived if r.rule_name.endswith("-scheduled"))
    allowed = declared_at_risk(
        plan_rule.longest_gap, plan_rule.start_window_minutes * 60, plan_rule.completion_window_minutes * 60
    )
    frequent = [j for j in judged if j[0] is not None and j[0] <= limit]
    if any(at_risk <= allowed for _, at_risk, _ in frequent):
        return
    if frequent:
        _, at_risk, text = min(frequent, key=lambda j: j[1])
        risk = (
            "without bound (a window is not set)"
            if at_risk == float("inf")
            else f"up to {gap(timedelta(seconds=at_risk))}"
        )
        report(
            f"{text}, and with its startWindow and completionWindow {risk} at risk; {subject.label} "
            f"allows {gap(timedelta(seconds=allowed))} (the plan's rule {plan_rule.rule_name})",
            None,
        )
    elif judged:
        _, _, closest = min(judged, key=lambda j: j[0] if j[0] is not None else timedelta.max)
        report(f"{closest}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[BACKUP_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
