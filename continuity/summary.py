"""The derived settings of a plan, as a readable summary and as plain data (for --json).

Besides every derived setting, the summary shows what the plan's promises come to: each data
item's worst-case loss per region beside its tier's RPO, each tier's fastest recovery beside its
RTO (a tier with nothing in it is "not applicable"), and the warnings of continuity/feasibility.py.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from continuity.derive import Settings
from continuity.durations import Duration, describe_exactly, describe_seconds, describe_timedelta
from continuity.exposure import ItemExposure, RegionExposure
from continuity.feasibility import TierVerdict, tier_verdicts, warnings_for
from continuity.tables import text_table


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, Duration):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "plan"}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def settings_as_data(settings: Settings) -> dict[str, Any]:
    """Everything derived, with durations in seconds (``*_seconds``, ``longest_gap``) or days;
    ``exposures`` has each item's worst-case loss per region beside its ``rpo_seconds``, and
    ``tier_verdicts`` each tier's against its objectives."""
    return {
        "plan": settings.plan.digest(),
        "source": settings.plan.source,
        **_plain(settings),
        "tier_verdicts": _plain(tier_verdicts(settings)),
    }


_RTO_VERDICTS = {
    "not-applicable": "not applicable (nothing in this tier)",
    "nothing-to-fail-over": "nothing to fail over (its data is copied already)",
}


def _rto_verdict(verdict: TierVerdict) -> str:
    if verdict.rto in _RTO_VERDICTS:
        return _RTO_VERDICTS[verdict.rto]
    assert verdict.fastest_recovery_seconds is not None
    fastest = describe_exactly(verdict.fastest_recovery_seconds)
    return (
        f"at least {fastest} (feasible)"
        if verdict.rto == "feasible"
        else f"at least {fastest} (RTO too short)"
    )


def _rpo_verdict(verdict: TierVerdict) -> str:
    if verdict.rpo_seconds is None:
        return "none (holds no data)"
    if verdict.rpo == "not-applicable" or verdict.worst_case_seconds is None:
        return "not applicable (no data in this tier)"
    worst = describe_exactly(verdict.worst_case_seconds)
    return f"{worst} (within RPO)" if verdict.rpo == "within" else f"{worst} (over the RPO)"


def _loss(item: ItemExposure, region: RegionExposure) -> str:
    if region.worst_case_seconds is None:
        return "not copied (copy_to_dr false)" if region.role == "dr" else "no copy"
    mark = "" if region.worst_case_seconds <= item.rpo_seconds else " (over the RPO)"
    return describe_exactly(region.worst_case_seconds) + mark


def _exposure_lines(settings: Settings) -> list[str]:
    plan = settings.plan
    exposures = list(settings.exposures.values())
    lines = [
        "",
        "Worst-case data loss (the newest copy's greatest age when it is needed, against the tier's RPO)",
        text_table(
            ["item", "tier", "RPO", f"{plan.regions.primary} (primary)", f"{plan.regions.dr} (DR)"],
            [
                [e.data_item, e.tier, describe_exactly(e.rpo_seconds), _loss(e, e.primary), _loss(e, e.dr)]
                for e in exposures
            ],
        ),
        "  How each adds up (the best copy in each region):",
    ]
    for item in exposures:
        for region in item.regions():
            best = region.best_protection
            if best is not None:
                lines.append(f"    {item.data_item}, {region.region}: {best.explain()}")
    reasons = [f"    {r.rule_name}: {r.reason}" for r in settings.backup_rules if r.reason]
    reasons += [f"    {j.data_item} CronJob {j.schedule}: {j.reason}" for j in settings.cron_jobs if j.reason]
    if reasons:
        lines += ["  Protection added beyond the plan's own schedule, to keep the RPO:", *reasons]
    return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def settings_as_text(settings: Settings) -> str:
    plan = settings.plan
    warnings = warnings_for(settings)
    verdicts = tier_verdicts(settings)
    out = [
        f"{plan.source}: valid (version {plan.version}, service {plan.service}, {plan.strategy}, "
        f"{plan.regions.primary} -> {plan.regions.dr})"
        + (f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""),
        "",
        "Tiers (fastest recovery from a regional outage against the RTO, worst-case loss against the RPO)",
        text_table(
            ["tier", "RTO", "fastest recovery", "RPO", "worst-case loss", "in it"],
            [
                [
                    v.tier,
                    describe_seconds(v.rto_seconds),
                    _rto_verdict(v),
                    describe_seconds(v.rpo_seconds) if v.rpo_seconds is not None else "none",
                    _rpo_verdict(v),
                    ", ".join(v.members) or "nothing",
                ]
                for v in verdicts
            ],
        ),
    ]
    for name, recovery in settings.recovery.items():
        if recovery is not None:
            out.append(f"  {name}: {recovery.arithmetic()}")
    if settings.exposures:
        out += _exposure_lines(settings)
    if settings.backup_rules:
        out += [
            "",
            "AWS Backup rules (one vault per region)",
            text_table(
                ["rule", "schedule", "longest gap", "windows", "keep", "copy to DR", "from"],
                [
                    [
                        r.rule_name,
                        "continuous" if r.continuous else r.schedule,
                        describe_timedelta(r.longest_gap) if not r.continuous else "0 (PITR)",
                        f"start {describe_seconds(r.start_window_minutes * 60)}, complete "
                        f"{describe_seconds(r.completion_window_minutes * 60)}",
                        f"{r.delete_after_days}d",
                        _yes(r.copy_to_dr),
                        r.source,
                    ]
                    for r in settings.backup_rules
                ],
            ),
        ]
    if settings.vault_lock:
        lock = settings.vault_lock
        out += [
            "",
            f"Vault lock: {lock.mode} mode, minimum retention {lock.min_retention_days} days, "
            f"changeable for {lock.changeable_for_days} days (from {lock.source})",
        ]
    if settings.rds:
        out += [
            "",
            "Databases (RDS)",
            text_table(
                ["item", "backup_retention_period", "PITR meets RPO", "DR copy", "replica-lag alarm", "from"],
                [
                    [
                        r.data_item,
                        f"{r.backup_retention_period} days",
                        _yes(r.pitr_meets_rpo),
                        "live replica" if r.replica else "replicated backups",
                        f"> {describe_seconds(settings.alarm_thresholds[r.data_item])}",
                        r.source,
                    ]
                    for r in settings.rds
                ],
            ),
        ]
    if settings.buckets:
        out += [
            "",
            "Buckets (S3)",
            text_table(
                ["item", "object lock", "versions kept", "replicated to DR", "from"],
                [
                    [
                        b.data_item,
                        str(b.object_lock) if b.object_lock else "off",
                        f"{b.noncurrent_expiration_days} days",
                        _yes(b.replicate_to_dr),
                        b.source,
                    ]
                    for b in settings.buckets
                ],
            ),
        ]
    if settings.cron_jobs:
        out += [
            "",
            "Kubernetes backup jobs (UTC)",
            text_table(
                ["item", "namespace", "schedule", "longest gap", "deadlines", "from"],
                [
                    [
                        j.data_item,
                        j.namespace,
                        j.schedule,
                        describe_timedelta(j.longest_gap),
                        f"start {describe_seconds(j.starting_deadline_seconds)}, "
                        f"run {describe_seconds(j.active_deadline_seconds)}",
                        j.source,
                    ]
                    for j in settings.cron_jobs
                ],
            ),
        ]
    if settings.services:
        out += [
            "",
            "Services",
            text_table(
                ["service", "tier", "compute", "primary", "DR warm", "DR after failover", "RTO"],
                [
                    [
                        s.name,
                        s.tier,
                        s.compute,
                        s.primary_desired_count,
                        s.warm_desired_count,
                        s.full_desired_count,
                        s.rto,
                    ]
                    for s in settings.services
                ],
            ),
        ]
    objectives = settings.objectives
    out += [
        "",
        f"Failover objectives (strictest tier in use): RTO {describe_seconds(objectives.rto_seconds)}, "
        + (
            f"RPO {describe_seconds(objectives.rpo_seconds)}" if plan.data else "RPO not applicable (no data)"
        ),
        f"Testing: restore test every {plan.testing.restore_test}, failover drill every "
        f"{plan.testing.failover_drill}",
    ]
    if warnings:
        out += ["", "Warnings (promises the architecture cannot keep; --strict refuses the plan)"]
        out += [f"  {plan.source}: {w}" for w in warnings]
    return "\n".join(out)
