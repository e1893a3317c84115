"""continuity/assurance.py: what AWS's resilience services get from each example plan, exactly.

Every table names the plan values the numbers come from; a renamed control, a parameter under
another name or a threshold off by one fails here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from continuity import assurance
from continuity.assurance import (
    AssuranceError,
    Control,
    Omitted,
    cron_job_watch,
    event_pattern,
    experiments_for,
    framework_for,
    iso_duration,
    recovery_point_age,
    region_switch_for,
    required_frequency,
    resiliency_policies,
    subscriptions,
)
from continuity.derive import derive
from continuity.durations import Duration, parse_frequency
from continuity.plan import PlanError, load_plan, parse_plan
from continuity.schedule import longest_gap
from tests.conftest import ALL_PLANS, DEFAULT_PLAN, ROOT, changed, plan_document

EXAMPLES = ROOT / "examples" / "plans"
KATYA = EXAMPLES / "katya.yaml"
HELIOS = EXAMPLES / "heliosdb-lite.yaml"
VAPORA = EXAMPLES / "vapora.yaml"
CLOUD = EXAMPLES / "cloud-optimizer.yaml"
VAULT = EXAMPLES / "knowledge-vault.yaml"

FREQ = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
POINT = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"
PLANNED = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"
LOCKED = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"
CROSS = "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"
LAST = "BACKUP_LAST_RECOVERY_POINT_CREATED"


def controls(path: Path, role: str, *, promoted: bool = False) -> list[tuple[str, str, dict[str, str]]]:
    framework = framework_for(load_plan(path), role, promoted=promoted)
    assert framework is not None
    return [(c.data_item, c.name, dict(c.parameters)) for c in framework.controls]


Row = tuple[str, str, dict[str, str]]


def frequency_control(item: str, unit: str, value: str, retention: str) -> Row:
    return (
        item,
        FREQ,
        {"requiredFrequencyUnit": unit, "requiredFrequencyValue": value, "requiredRetentionDays": retention},
    )


def item_controls(
    item: str,
    frequency: tuple[str, str],
    retention: str,
    lock: str,
    *,
    cross: bool,
    age: str,
    point: str | None = None,
    also: tuple[tuple[str, str, str], ...] = (),
) -> list[Row]:
    """One item's controls; ``point`` is the shortest retention of its rules when a continuous rule
    beside the schedule keeps points for less, ``also`` further frequency controls."""
    found: list[Row] = [
        frequency_control(item, *frequency, retention),
        *(frequency_control(item, *f) for f in also),
        (item, POINT, {"requiredRetentionDays": point or retention}),
        (item, PLANNED, {}),
        (item, LOCKED, {"minRetentionDays": lock}),
    ]
    if cross:
        found.append((item, CROSS, {"crossRegionList": "us-west-2"}))
    found.append((item, LAST, {"recoveryPointAgeUnit": "hours", "recoveryPointAgeValue": age}))
    return found


HOURLY = ("hours", "1")
DAILY = ("hours", "24")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            DEFAULT_PLAN,
            [
                # database: continuous, 30d, RPO 15m (checked at the control's whole hour)
                *item_controls("database", HOURLY, "30", "30", cross=True, age="1"),
                # user-files: hourly kept 90 days, with a continuous rule beside it (the hourly
                # schedule's windows risk more than RPO 1h) keeping its points 35 days; the hourly
                # requirement kept 90 days implies the continuous rule's, which is left out
                *item_controls("user-files", HOURLY, "90", "30", cross=True, age="1", point="35"),
                # audit-logs: continuous keeps 35 days at most; the bucket's versions keep 7y
                *item_controls("audit-logs", HOURLY, "35", "30", cross=True, age="1"),
            ],
            id="default",
        ),
        pytest.param(
            KATYA,
            [
                (
                    "critical-db",
                    FREQ,
                    {
                        "requiredFrequencyUnit": "hours",
                        "requiredFrequencyValue": "1",
                        "requiredRetentionDays": "30",
                    },
                ),
                # archive: weekly, kept a year (365.25 days, rounded up)
                (
                    "critical-db",
                    FREQ,
                    {
                        "requiredFrequencyUnit": "days",
                        "requiredFrequencyValue": "7",
                        "requiredRetentionDays": "366",
                    },
                ),
                *item_controls("critical-db", HOURLY, "30", "30", cross=True, age="1")[1:],
                *item_controls("user-data", HOURLY, "90", "30", cross=True, age="1", point="35"),
                # system-config: daily kept a year, and a continuous rule (a daily schedule's
                # windows risk more than RPO 24h) kept 35 days: neither implies the other
                *item_controls(
                    "system-config",
                    DAILY,
                    "366",
                    "30",
                    cross=True,
                    age="1",
                    point="35",
                    also=(("hours", "1", "35"),),
                ),
                # logs stay in the primary region: no cross-region control; the continuous rule's
                # hourly requirement kept 30 days implies the daily one
                *item_controls("logs", HOURLY, "30", "30", cross=False, age="1"),
            ],
            id="katya",
        ),
        pytest.param(
            CLOUD,
            item_controls("database", HOURLY, "30", "30", cross=True, age="1"),
            id="cloud-optimizer",
        ),
        pytest.param(
            HELIOS,
            item_controls("database", HOURLY, "35", "35", cross=True, age="1"),
            id="heliosdb",
        ),
        pytest.param(
            VAULT,
            [
                *item_controls("database", HOURLY, "7", "7", cross=True, age="1"),
                *item_controls("application-data", HOURLY, "30", "7", cross=True, age="1"),
                *item_controls("configuration", HOURLY, "35", "7", cross=True, age="1"),
                *item_controls("audit-logs", HOURLY, "35", "7", cross=True, age="1"),
                *item_controls("user-files", HOURLY, "30", "7", cross=True, age="1"),
            ],
            id="knowledge-vault",
        ),
    ],
)
def test_framework__primary_controls_per_item(path: Path, expected: list[Any]) -> None:
    assert controls(path, "primary") == expected


def test_framework__dr_standby_checks_only_its_backup_plans() -> None:
    # GIVEN the DR stack before a failover (its copies standby, backed up by nobody yet)
    # THEN only the backup plans, ready for promotion, are judged
    assert controls(KATYA, "dr") == [(c[0], c[1], c[2]) for c in controls(KATYA, "primary") if c[1] == FREQ]


def test_framework__dr_promoted_checks_everything_copied_back_to_the_primary() -> None:
    promoted = controls(DEFAULT_PLAN, "dr", promoted=True)
    primary = controls(DEFAULT_PLAN, "primary")
    assert [c for c in promoted if c[1] != CROSS] == [c for c in primary if c[1] != CROSS]
    assert {c[2]["crossRegionList"] for c in promoted if c[1] == CROSS} == {"us-east-1"}


def test_framework__names_and_scope() -> None:
    framework = framework_for(load_plan(KATYA), "primary")
    assert framework is not None
    assert (framework.name, framework.report_plan_name) == (
        "katya_primary_continuity",
        "katya_primary_compliance",
    )
    assert {tuple(c.scope_tags.items()) for c in framework.controls} == {
        (("continuity:data-item", item),) for item in ("critical-db", "user-data", "system-config", "logs")
    }
    knowledge = framework_for(load_plan(VAULT), "dr")
    assert knowledge is not None
    assert knowledge.name == "knowledge_vault_dr_continuity"


def test_framework__none_when_aws_backup_protects_nothing() -> None:
    # vapora keeps its data in Kubernetes, dumped by CronJobs: no AWS Backup control applies
    assert framework_for(load_plan(VAPORA), "primary") is None
    assert framework_for(load_plan(VAPORA), "dr") is None


def test_framework__every_parameter_is_one_the_control_documents() -> None:
    for path in ALL_PLANS:
        for role in ("primary", "dr"):
            framework = framework_for(load_plan(path), role, promoted=role == "dr")
            for control in framework.controls if framework else ():
                names = [name for name, _ in control.parameters]
                assert set(names) <= set(assurance.CONTROL_PARAMETERS[control.name]), (path, control)


def period(control: Control) -> timedelta:
    value = int(control.parameter("requiredFrequencyValue") or 0)
    return (
        timedelta(hours=value)
        if control.parameter("requiredFrequencyUnit") == "hours"
        else timedelta(days=value)
    )


def test_framework__never_fails_the_schedule_the_plan_derives() -> None:
    # GIVEN every example plan's derived backup rules  THEN each frequency control is met by one of
    # the item's rules (the control asks that the plan "has a backup rule" as often and kept as
    # long: a stack built from the plan is compliant), and each rule is watched by a control at
    # least as strict (none can weaken unseen)
    for path in ALL_PLANS:
        plan = load_plan(path)
        framework = framework_for(plan, "primary")
        if framework is None:
            continue
        rules = derive(plan).backup_rules
        for control in (c for c in framework.controls if c.name == FREQ):
            retention = int(control.parameter("requiredRetentionDays") or 0)
            assert any(
                longest_gap(r.schedule) <= period(control) and r.delete_after_days >= retention
                for r in rules
                if r.data_item == control.data_item
            ), (path, control)
        for rule in rules:
            assert any(
                period(c) <= max(longest_gap(rule.schedule), timedelta(hours=1))
                and int(c.parameter("requiredRetentionDays") or 0) >= rule.delete_after_days
                for c in framework.of_item(rule.data_item)
                if c.name == FREQ
            ), (path, rule.rule_name)


def test_framework__refused_past_the_account_control_quota() -> None:
    # GIVEN nine S3 items copied to DR: six controls each, 54 > 50 per account and Region
    document = plan_document()
    document["data"] = {
        f"files-{i}": {
            "tier": "important",
            "store": "s3",
            "frequency": "1h",
            "retention": "30d",
            "copy_to_dr": True,
        }
        for i in range(9)
    }
    with pytest.raises(AssuranceError) as err:
        framework_for(parse_plan(document), "primary")
    assert str(err.value) == (
        "orders primary: 54 AWS Backup Audit Manager controls for 9 data items; an account runs at most "
        "50 per Region"
    )


@pytest.mark.parametrize(
    ("frequency", "continuous", "expected"),
    [
        ("continuous", True, ("hours", 1)),
        ("15m", True, ("hours", 1)),
        ("1h", False, ("hours", 1)),
        ("90m", False, ("hours", 1)),  # rounded down: never looser than the plan
        ("6h", False, ("hours", 6)),
        ("1d", False, ("hours", 24)),
        ("36h", False, ("days", 1)),
        ("1w", False, ("days", 7)),
        ("31d", False, ("days", 31)),
        ("32d", False, None),  # beyond the control's 31 days
    ],
)
def test_required_frequency(frequency: str, continuous: bool, expected: tuple[str, int] | None) -> None:
    assert required_frequency(parse_frequency(frequency), continuous=continuous) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (60, ("hours", 1)),
        (900, ("hours", 1)),
        (3600, ("hours", 1)),
        (3601, ("hours", 2)),
        (86_400, ("hours", 24)),
        (744 * 3600, ("hours", 744)),
        (744 * 3600 + 1, None),
    ],
)
def test_recovery_point_age(seconds: int, expected: tuple[str, int] | None) -> None:
    assert recovery_point_age(seconds) == expected


def test_last_recovery_point__omitted_past_the_control_range() -> None:
    # GIVEN a yearly-RPO tier  THEN the control is left out, and says why
    document = changed(plan_document(), "tiers.optional", {"rto": "72h", "rpo": "32d"})
    document["data"] = {
        "ledger": {"tier": "optional", "store": "s3", "frequency": "31d", "retention": "1y"},
    }
    framework = framework_for(parse_plan(document), "primary")
    assert framework is not None
    assert LAST not in {c.name for c in framework.controls}
    assert framework.omitted == (
        Omitted("ledger", LAST, "recovery points up to 2764800s old exceed the control's 744 hours"),
    )


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            DEFAULT_PLAN,
            [
                ("orders-critical", "MissionCritical", 1800, 900),
                ("orders-important", "Critical", 86_400, 3600),
                ("orders-optional", "Important", 259_200, 86_400),
            ],
            id="default",
        ),
        pytest.param(
            HELIOS,
            [
                ("heliosdb-production-database", "MissionCritical", 600, 300),
                # tiers without an RPO hold no data: the policy asks no more than their RTO
                ("heliosdb-customer-support", "Critical", 14_400, 14_400),
                ("heliosdb-development", "Important", 86_400, 86_400),
                ("heliosdb-sales-marketing", "NonCritical", 172_800, 172_800),
            ],
            id="heliosdb",
        ),
        pytest.param(
            VAULT,
            [
                ("knowledge-vault-critical", "MissionCritical", 14_400, 3600),
                ("knowledge-vault-important", "Critical", 86_400, 3600),
                ("knowledge-vault-normal", "Important", 259_200, 3600),
            ],
            id="knowledge-vault",
        ),
    ],
)
def test_resiliency_policies(path: Path, expected: list[tuple[str, str, int, int]]) -> None:
    policies = resiliency_policies(load_plan(path))
    assert [(p.name, p.tier, p.rto_seconds, p.rpo_seconds) for p in policies] == expected
    for policy in policies:
        assert policy.disruptions == {
            d: (policy.rto_seconds, policy.rpo_seconds) for d in ("Software", "Hardware", "AZ", "Region")
        }


def test_resiliency_policies__equal_objectives_share_a_rank() -> None:
    document = changed(plan_document(), "tiers.optional", {"rto": "24h", "rpo": "1h"})
    assert [p.tier for p in resiliency_policies(parse_plan(document))] == [
        "MissionCritical",
        "Critical",
        "Critical",
    ]


# ---------------------------------------------------------------------------------------------


def steps(
    path: Path, *, eks: bool = True
) -> list[tuple[str, str, int | None, list[tuple[str, str, int | None]]]]:
    plan = region_switch_for(load_plan(path), eks=eks)
    return [
        (s.name, s.block, s.timeout_minutes, [(c.name, c.block, c.timeout_minutes) for c in s.children])
        for s in plan.steps
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            DEFAULT_PLAN,
            [
                ("approve", "ManualApproval", 30, []),
                (
                    "recover",
                    "Parallel",
                    None,
                    [
                        ("promote-database", "RdsPromoteReadReplica", 30),
                        ("scale-api", "ECSServiceScaling", 30),
                    ],
                ),
                ("settle-databases", "CustomActionLambda", 30, []),
                ("route-traffic", "Route53HealthCheck", 30, []),
            ],
            id="default",
        ),
        pytest.param(
            HELIOS,
            [
                ("approve", "ManualApproval", 10, []),
                (
                    "recover",
                    "Parallel",
                    None,
                    [
                        ("promote-database", "RdsPromoteReadReplica", 10),
                        ("scale-database-api", "ECSServiceScaling", 10),
                    ],
                ),
                ("settle-databases", "CustomActionLambda", 10, []),
                ("route-traffic", "Route53HealthCheck", 10, []),
            ],
            id="heliosdb",
        ),
        pytest.param(
            KATYA,
            # failover: automatic: the health alarm triggers it, no approval step
            [
                (
                    "recover",
                    "Parallel",
                    None,
                    [
                        ("promote-critical-db", "RdsPromoteReadReplica", 240),
                        ("scale-messaging", "ECSServiceScaling", 240),
                        ("scale-api", "ECSServiceScaling", 1440),  # tier important, RTO 24h
                    ],
                ),
                ("settle-databases", "CustomActionLambda", 240, []),
                ("route-traffic", "Route53HealthCheck", 240, []),
            ],
            id="katya",
        ),
        pytest.param(
            CLOUD,
            # backup-restore: no replica to promote; the Lambda restores the replicated backups
            [
                ("approve", "ManualApproval", 240, []),
                ("scale-api", "ECSServiceScaling", 240, []),
                ("settle-databases", "CustomActionLambda", 240, []),
                ("route-traffic", "Route53HealthCheck", 240, []),
            ],
            id="cloud-optimizer",
        ),
        pytest.param(
            VAPORA,
            [
                ("approve", "ManualApproval", 30, []),
                (
                    "recover",
                    "Parallel",
                    None,
                    [
                        ("scale-backend", "EKSResourceScaling", 30),
                        ("scale-frontend", "EKSResourceScaling", 60),
                        ("scale-agents", "EKSResourceScaling", 60),
                        ("scale-analytics", "EKSResourceScaling", 180),
                    ],
                ),
                ("route-traffic", "Route53HealthCheck", 30, []),
            ],
            id="vapora",
        ),
    ],
)
def test_region_switch__steps_in_order_with_tier_timeouts(path: Path, expected: list[Any]) -> None:
    assert steps(path) == expected


def test_region_switch__kubernetes_outside_eks_is_not_scaled_by_it() -> None:
    assert steps(VAPORA, eks=False) == [
        ("approve", "ManualApproval", 30, []),
        ("route-traffic", "Route53HealthCheck", 30, []),
    ]


@pytest.mark.parametrize(
    ("path", "name", "rto_minutes", "automatic"),
    [
        (DEFAULT_PLAN, "orders-dr", 30, False),
        (HELIOS, "heliosdb-dr", 10, False),
        (KATYA, "katya-dr", 240, True),
        (VAULT, "knowledge-vault-dr", 240, False),
    ],
)
def test_region_switch__plan(path: Path, name: str, rto_minutes: int, automatic: bool) -> None:
    plan = region_switch_for(load_plan(path), eks=True)
    assert (plan.name, plan.recovery_time_objective_minutes, plan.automatic) == (name, rto_minutes, automatic)
    assert plan.trigger_delay_minutes == rto_minutes
    assert (plan.primary_region, plan.dr_region) == ("us-east-1", "us-west-2")


def test_region_switch__rto_within_the_api_range() -> None:
    # GIVEN tiers slower than a week  THEN the plan's RTO stays at Region switch's 10,080 minutes
    document = plan_document()
    document["tiers"] = {name: {"rto": "2w", "rpo": "1h"} for name in ("critical", "important", "optional")}
    assert region_switch_for(parse_plan(document), eks=True).recovery_time_objective_minutes == 10_080


def test_plan__automatic_failover_needs_a_service() -> None:
    document = changed(changed(plan_document(), "failover", "automatic"), "services", {})
    with pytest.raises(PlanError) as err:
        parse_plan(document, "plan.yaml")
    assert err.value.messages == [
        "plan.yaml: failover: automatic needs a service: the primary's health check is what triggers it"
    ]


# ---------------------------------------------------------------------------------------------


def experiments(path: Path) -> list[tuple[str, str, list[tuple[str, str, dict[str, str]]], tuple[str, ...]]]:
    return [
        (e.name, e.duration, [(a.name, a.action_id, dict(a.parameters)) for a in e.actions], e.stop_alarms)
        for e in experiments_for(load_plan(path))
    ]


DISRUPT = "aws:network:disrupt-connectivity"
ISOLATE = "aws:network:route-table-disrupt-cross-region-connectivity"
REBOOT = "aws:rds:reboot-db-instances"
PAUSE = "aws:s3:bucket-pause-replication"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            DEFAULT_PLAN,
            [
                (
                    "az-power-interruption",
                    "PT30M",
                    [
                        ("disrupt-zone", DISRUPT, {"scope": "all", "duration": "PT30M"}),
                        ("fail-over-databases", REBOOT, {"forceFailover": "true"}),
                    ],
                    ("primary-health",),
                ),
                (
                    "region-connectivity-loss",
                    "PT30M",
                    [
                        ("isolate-region", ISOLATE, {"region": "us-west-2", "duration": "PT30M"}),
                        ("pause-replication-user-files", PAUSE, {"region": "us-west-2", "duration": "PT30M"}),
                        ("pause-replication-audit-logs", PAUSE, {"region": "us-west-2", "duration": "PT30M"}),
                    ],
                    ("primary-health", "replication:user-files", "replication:audit-logs"),
                ),
                (
                    "database-failover",
                    "PT30M",
                    [("fail-over-databases", REBOOT, {"forceFailover": "true"})],
                    ("primary-health",),
                ),
            ],
            id="default",
        ),
        pytest.param(
            VAPORA,
            # no database; the CronJobs' dump buckets replicate to DR like any other
            [
                (
                    "az-power-interruption",
                    "PT30M",
                    [("disrupt-zone", DISRUPT, {"scope": "all", "duration": "PT30M"})],
                    ("primary-health",),
                ),
                (
                    "region-connectivity-loss",
                    "PT30M",
                    [
                        ("isolate-region", ISOLATE, {"region": "us-west-2", "duration": "PT30M"}),
                        ("pause-replication-surrealdb", PAUSE, {"region": "us-west-2", "duration": "PT30M"}),
                        (
                            "pause-replication-configuration",
                            PAUSE,
                            {"region": "us-west-2", "duration": "PT30M"},
                        ),
                    ],
                    ("primary-health", "replication:surrealdb", "replication:configuration"),
                ),
            ],
            id="vapora",
        ),
        pytest.param(
            HELIOS,
            [
                (
                    "az-power-interruption",
                    "PT10M",
                    [
                        ("disrupt-zone", DISRUPT, {"scope": "all", "duration": "PT10M"}),
                        ("fail-over-databases", REBOOT, {"forceFailover": "true"}),
                    ],
                    ("primary-health",),
                ),
                (
                    "region-connectivity-loss",
                    "PT10M",
                    [("isolate-region", ISOLATE, {"region": "us-west-2", "duration": "PT10M"})],
                    ("primary-health",),
                ),
                (
                    "database-failover",
                    "PT10M",
                    [("fail-over-databases", REBOOT, {"forceFailover": "true"})],
                    ("primary-health",),
                ),
            ],
            id="heliosdb",
        ),
    ],
)
def test_experiments(path: Path, expected: list[Any]) -> None:
    assert experiments(path) == expected


def test_experiments__stop_conditions_within_the_quota() -> None:
    # knowledge-vault replicates four buckets: health plus four replication alarms is FIS's five
    (_, connectivity, _) = experiments_for(load_plan(VAULT))
    assert len(connectivity.stop_alarms) == 5
    assert connectivity.omitted == ()
    document = plan_document(VAULT)
    document["data"]["more-files"] = {
        "tier": "critical",
        "store": "s3",
        "frequency": "continuous",
        "retention": "30d",
        "copy_to_dr": True,
    }
    (_, connectivity, _) = experiments_for(parse_plan(document))
    assert connectivity.stop_alarms[-1] == "replication:user-files"
    assert connectivity.omitted == (
        Omitted(
            "more-files",
            "stop condition replication:more-files",
            "a template takes at most 5 stop conditions",
        ),
    )


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (1, "PT1M"),
        (60, "PT1M"),
        (61, "PT2M"),
        (300, "PT5M"),
        (5400, "PT1H30M"),
        (14_400, "PT4H"),
        (259_200, "PT12H"),
    ],
)
def test_iso_duration__within_fis_range(seconds: int, expected: str) -> None:
    assert iso_duration(seconds) == expected


# ---------------------------------------------------------------------------------------------


def test_subscriptions() -> None:
    assert [(s.protocol, s.endpoint) for s in subscriptions(load_plan(HELIOS))] == [
        ("email", "engineering@heliosdb.example"),
        ("https", "https://events.pagerduty.com/integration/heliosdb-bcp/enqueue"),
    ]
    assert subscriptions(load_plan(DEFAULT_PLAN)) == []


def test_event_patterns() -> None:
    assert event_pattern(assurance.BACKUP_JOB_EVENT, assurance.BACKUP_JOB_FAILED_STATES) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"state": ["FAILED", "EXPIRED", "ABORTED", "PARTIAL"]},
    }
    assert event_pattern(assurance.COPY_JOB_EVENT, assurance.COPY_JOB_FAILED_STATES)["detail"] == {
        "state": ["FAILED", "PARTIAL"]
    }


def test_cron_job_watch__window_is_gap_plus_start_plus_run() -> None:
    # vapora dumps every 20 minutes (derive's schedule for RPO 1h); a job may start within 10
    # minutes and run 10: 20m + 10m + 10m
    jobs = derive(load_plan(VAPORA)).cron_jobs
    watches = [cron_job_watch(j) for j in jobs]
    assert [(w.data_item, w.prefix, w.period_seconds) for w in watches if not isinstance(w, Omitted)] == [
        ("surrealdb", "surrealdb/", 2400),
        ("configuration", "configuration/", 2400),
    ]


def test_cron_job_watch__omitted_past_a_day() -> None:
    document = changed(plan_document(VAPORA), "data.surrealdb.frequency", "1w")
    document = changed(document, "tiers.critical.rpo", "1w")
    job = next(j for j in derive(parse_plan(document)).cron_jobs if j.data_item == "surrealdb")
    watch = cron_job_watch(job)
    assert isinstance(watch, Omitted)
    assert watch.what == "missed-schedule alarm"
    assert watch.reason.endswith("beyond the one day a CloudWatch alarm evaluates")


def test_exposure_budget_is_the_alarm_threshold() -> None:
    plan = load_plan(KATYA)
    assert {item: assurance.exposure_budget_seconds(plan, item) for item in plan.data} == {
        "critical-db": 900,
        "user-data": 3600,
        "system-config": 86_400,
        "logs": 86_400,
    }


def daily_database(document: dict[str, Any]) -> dict[str, Any]:
    return changed(changed(document, "data.database.frequency", "1d"), "data.database.tier", "optional")


@pytest.mark.parametrize(
    ("document", "item", "expected"),
    [
        # continuous backup of RDS: the transaction logs RDS uploads every 5 minutes
        pytest.param(plan_document(), "database", 300, id="rds-continuous"),
        # continuous backup of S3 restores to the second
        pytest.param(plan_document(), "audit-logs", 1, id="s3-continuous"),
        # an hourly schedule with a continuous rule beside it: the continuous one is the best
        pytest.param(plan_document(), "user-files", 1, id="s3-schedule-and-continuous"),
        # RDS daily, tier RPO 24h (point-in-time recovery keeps the RPO, so no continuous rule):
        # 24h gap + 1h start window + 24h completion window, past the RPO and correct
        pytest.param(daily_database(plan_document()), "database", 176_400, id="rds-daily"),
        # dumped by a CronJob, not AWS Backup: the tier's RPO
        pytest.param(plan_document(VAPORA), "surrealdb", 3600, id="kubernetes"),
    ],
)
def test_recovery_point_budget(document: dict[str, Any], item: str, expected: int) -> None:
    assert assurance.recovery_point_budget_seconds(parse_plan(document), item) == expected


def test_last_recovery_point__age_of_a_daily_rds_rule() -> None:
    framework = framework_for(parse_plan(daily_database(plan_document())), "primary")
    assert framework is not None
    [last] = [c for c in framework.of_item("database") if c.name == LAST]
    assert dict(last.parameters) == {"recoveryPointAgeUnit": "hours", "recoveryPointAgeValue": "49"}
    assert last.source == "data.database: newest recovery point at most 176400s old (tier optional RPO 24h)"


def test_replication_threshold_is_rtc() -> None:
    assert assurance.REPLICATION_THRESHOLD_SECONDS == 900
    assert Duration(15, "m").seconds == assurance.REPLICATION_THRESHOLD_SECONDS
