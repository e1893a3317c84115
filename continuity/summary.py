"""The derived settings of a plan, as a readable summary and as plain data (for --json)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from continuity.derive import Settings
from continuity.durations import Duration, describe_seconds, describe_timedelta
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
    """Everything derived, with durations in seconds (``*_seconds``, ``longest_gap``) or days."""
    return {"plan": settings.plan.digest(), "source": settings.plan.source, **_plain(settings)}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def settings_as_text(settings: Settings) -> str:
    plan = settings.plan
    out = [
        f"{plan.source}: valid (version {plan.version}, service {plan.service}, {plan.strategy}, "
        f"{plan.regions.primary} -> {plan.regions.dr})",
        "",
        "Tiers",
        text_table(
            ["tier", "RTO", "RPO"],
            [[n, t.rto, t.rpo if t.rpo else "none (holds no data)"] for n, t in plan.tiers.items()],
        ),
    ]
    if settings.backup_rules:
        out += [
            "",
            "AWS Backup rules (one vault per region)",
            text_table(
                ["rule", "schedule", "longest gap", "keep", "copy to DR", "from"],
                [
                    [
                        r.rule_name,
                        "continuous" if r.continuous else r.schedule,
                        describe_timedelta(r.longest_gap) if not r.continuous else "0 (PITR)",
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
                ["item", "namespace", "schedule", "longest gap", "from"],
                [
                    [j.data_item, j.namespace, j.schedule, describe_timedelta(j.longest_gap), j.source]
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
        f"RPO {describe_seconds(objectives.rpo_seconds)}",
        f"Testing: restore test every {plan.testing.restore_test}, failover drill every "
        f"{plan.testing.failover_drill}",
    ]
    return "\n".join(out)
