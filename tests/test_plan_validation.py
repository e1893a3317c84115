"""Every validation rule, from a valid baseline, one change per case, with the exact message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from continuity.plan import PlanError, load_plan, parse_plan
from tests.conftest import DELETE, changed, plan_document, write_plan

BASE = plan_document()
F = "plan.yaml"


def pilot_light(document: dict[str, Any]) -> dict[str, Any]:
    return changed(changed(document, "strategy", "pilot-light"), "services.api.capacity.dr", 0)


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("missing key", changed(BASE, "service", DELETE), [f"{F}: service: is required"]),
    (
        "missing nested key",
        changed(BASE, "tiers.critical.rto", DELETE),
        [f"{F}: tiers.critical.rto: is required"],
    ),
    (
        "unknown key",
        changed(BASE, "owner", "ops"),
        [
            f"{F}: owner: unknown key (allowed: version, service, regions, strategy, tiers, data, services, testing, notify, failover)"
        ],
    ),
    (
        "unknown nested key",
        changed(BASE, "data.database.colour", "red"),
        [
            f"{F}: data.database.colour: unknown key (allowed: tier, store, frequency, retention, immutable, "
            "copy_to_dr, at, cold_after, archive, namespace, image, command, reads, restore_command)"
        ],
    ),
    (
        "unknown tier of a data item",
        changed(BASE, "data.database.tier", "urgent"),
        [f'{F}: data.database.tier: unknown tier "urgent" (tiers: critical, important, optional)'],
    ),
    (
        "unknown tier of a service",
        changed(BASE, "services.api.tier", "urgent"),
        [f'{F}: services.api.tier: unknown tier "urgent" (tiers: critical, important, optional)'],
    ),
    (
        "malformed duration",
        changed(BASE, "data.user-files.retention", "90 days"),
        [
            f'{F}: data.user-files.retention: "90 days" is not a duration; write <number><unit> with unit '
            "m, h, d, w or y (e.g. 30m)"
        ],
    ),
    (
        "malformed frequency",
        changed(BASE, "data.user-files.frequency", "hourly"),
        [
            f'{F}: data.user-files.frequency: "hourly" is not a frequency; write continuous or <number><unit> '
            "with unit m, h, d, w or y (e.g. 1h)"
        ],
    ),
    (
        "frequency longer than the tier's RPO",
        changed(BASE, "data.user-files.frequency", "6h"),
        [f'{F}: data.user-files.frequency: 6h is longer than tier "important" RPO 1h'],
    ),
    (
        "retention shorter than frequency",
        changed(changed(BASE, "data.user-files.retention", "30m"), "data.user-files.immutable", False),
        [f"{F}: data.user-files.retention: 30m is shorter than frequency 1h"],
    ),
    (
        "immutable on a store that cannot be",
        changed(BASE, "data.database.immutable", True),
        [
            f'{F}: data.database.immutable: store "rds" cannot be immutable (a live database is not write-once; '
            "its AWS Backup recovery points are locked by the vault lock)"
        ],
    ),
    (
        "identical regions",
        changed(BASE, "regions.dr", "us-east-1"),
        [f"{F}: regions: primary and dr are both us-east-1; a regional outage would take both"],
    ),
    (
        "malformed region",
        changed(BASE, "regions.dr", "us-west"),
        [f'{F}: regions.dr: "us-west" is not an AWS region name (like us-east-1)'],
    ),
    (
        "capacity zero in the primary",
        changed(BASE, "services.api.capacity.primary", 0),
        [f"{F}: services.api.capacity.primary: 0 is not a positive number"],
    ),
    (
        "capacity not a whole number",
        changed(BASE, "services.api.capacity.primary", 2.5),
        [f"{F}: services.api.capacity.primary: 2.5 is not a whole number"],
    ),
    (
        "capacity as text",
        changed(BASE, "services.api.capacity.dr", "one"),
        [f'{F}: services.api.capacity.dr: "one" is not a whole number'],
    ),
    (
        "capacity negative",
        changed(BASE, "services.api.capacity.dr", -1),
        [f"{F}: services.api.capacity.dr: -1 is not zero or a positive number"],
    ),
    (
        "capacity as a boolean",
        changed(BASE, "services.api.capacity.primary", True),
        [f"{F}: services.api.capacity.primary: True is not a whole number"],
    ),
    (
        "warm standby with nothing warm",
        changed(BASE, "services.api.capacity.dr", 0),
        [
            f"{F}: services.api.capacity.dr: 0 under warm-standby; a warm standby runs at least one task "
            "(0 is what pilot-light means)"
        ],
    ),
    (
        "pilot light with something running",
        changed(BASE, "strategy", "pilot-light"),
        [
            f"{F}: services.api.capacity.dr: 1 under pilot-light; pilot-light keeps no service running in the "
            "DR region (use warm-standby)"
        ],
    ),
    (
        "more capacity in DR than in the primary",
        changed(BASE, "services.api.capacity.dr", 5),
        [f"{F}: services.api.capacity.dr: 5 is more than capacity.primary 4"],
    ),
    (
        "more tasks than an ECS service runs",
        changed(BASE, "services.api.capacity.primary", 5_001),
        [
            f"{F}: services.api.capacity.primary: 5001 is more than 5,000 (Amazon ECS runs at most "
            "5,000 tasks per service)"
        ],
    ),
    (
        "more pods than a Kubernetes cluster holds",
        changed(changed(BASE, "services.api.compute", "kubernetes"), "services.api.capacity.primary", 10**9),
        [
            f"{F}: services.api.capacity.primary: 1000000000 is more than 150,000 (Kubernetes supports at "
            "most 150,000 pods in a cluster)"
        ],
    ),
    (
        "unknown strategy",
        changed(BASE, "strategy", "hot-site"),
        [f"{F}: strategy: \"hot-site\" is not one of 'backup-restore', 'pilot-light' or 'warm-standby'"],
    ),
    (
        "unsupported version",
        changed(BASE, "version", 2),
        [f"{F}: version: unsupported version 2 (this release reads version 1)"],
    ),
    (
        "unknown store",
        changed(BASE, "data.database.store", "dynamodb"),
        [f"{F}: data.database.store: \"dynamodb\" is not one of 'rds', 's3' or 'kubernetes'"],
    ),
    (
        "bad name",
        changed(BASE, "service", "Orders_Service"),
        [
            f'{F}: service: "Orders_Service" is not a valid service name; use 2-24 lowercase letters, digits '
            "and hyphens, starting with a letter (it becomes part of AWS resource names)"
        ],
    ),
    (
        "health check not a path",
        changed(BASE, "services.api.health_check", "health"),
        [f'{F}: services.api.health_check: "health" is not an HTTP path; it must start with /'],
    ),
    (
        "port out of range",
        changed(BASE, "services.api.port", 70000),
        [f"{F}: services.api.port: 70000 is out of range (input should be less than or equal to 65535)"],
    ),
    (
        "data in a tier without an RPO",
        changed(changed(BASE, "tiers.support", {"rto": "4h"}), "data.user-files.tier", "support"),
        [f'{F}: data.user-files.tier: tier "support" has no RPO, so it cannot hold data'],
    ),
    (
        "continuous RDS kept beyond what AWS keeps",
        changed(BASE, "data.database.retention", "90d"),
        [
            f"{F}: data.database.retention: 90d is longer than the 35 days AWS keeps continuous backups "
            "(frequency continuous); keep 35d or less here and add archive: {frequency, retention} for longer copies"
        ],
    ),
    (
        "backup-restore cannot meet a sub-5-minute RPO",
        changed(
            changed(changed(BASE, "strategy", "backup-restore"), "services.api.capacity.dr", 0),
            "tiers.critical.rpo",
            "1m",
        ),
        [
            f'{F}: data.database.tier: tier "critical" RPO 1m is under the 5 minutes point-in-time recovery can '
            "promise, and backup-restore keeps no replica (use pilot-light or warm-standby)",
            f'{F}: data.audit-logs.copy_to_dr: tier "critical" RPO 1m is under the 15 minutes S3 replication '
            "commits to (Replication Time Control)",
        ],
    ),
    (
        "a start time on a continuous item",
        changed(BASE, "data.database.at", "02:00"),
        [f"{F}: data.database.at: a start time needs an hourly or longer frequency, not continuous"],
    ),
    (
        "a weekday on a daily item",
        changed(changed(BASE, "data.user-files.at", "mon 02:00"), "tiers.important.rpo", "1d"),
        [f"{F}: data.user-files.at: a weekday only applies to weekly or longer frequencies, not 1h"],
    ),
    (
        "a malformed start time",
        changed(BASE, "data.user-files.at", "25:00"),
        [
            f'{F}: data.user-files.at: "25:00" is not a start time; write HH:MM (UTC), or sun 02:00 for weekly backups'
        ],
    ),
    (
        "cold storage where AWS Backup has none",
        changed(BASE, "data.user-files.cold_after", "30d"),
        [
            f'{F}: data.user-files.cold_after: backups of store "s3" cannot move to cold storage '
            "(AWS Backup has no cold tier for RDS or S3)"
        ],
    ),
    (
        "an archive kept no longer than the item",
        changed(BASE, "data.user-files.archive", {"frequency": "1w", "retention": "30d"}),
        [
            f"{F}: data.user-files.archive.retention: 30d is not longer than retention 90d; "
            "an archive exists to keep copies longer"
        ],
    ),
    (
        "an archive more often than AWS Backup schedules",
        changed(BASE, "data.user-files.archive", {"frequency": "30m", "retention": "1y"}),
        [
            f"{F}: data.user-files.archive.frequency: 30m is more often than AWS Backup schedules (hourly at most)"
        ],
    ),
    (
        "reads on another store",
        changed(BASE, "data.user-files.reads", ["configmaps"]),
        [f'{F}: data.user-files.reads: only store "kubernetes" takes reads'],
    ),
    (
        "in-cluster keys on another store",
        changed(BASE, "data.user-files.namespace", "orders"),
        [f'{F}: data.user-files.namespace: only store "kubernetes" takes namespace'],
    ),
]


@pytest.mark.parametrize(("case", "document", "messages"), CASES, ids=[c[0] for c in CASES])
def test_rule(case: str, document: dict[str, Any], messages: list[str]) -> None:
    with pytest.raises(PlanError) as err:
        parse_plan(document, F)
    assert err.value.messages == messages, case


KUBERNETES_ITEM = {
    "tier": "important",
    "store": "kubernetes",
    "namespace": "orders",
    "image": "postgres:16",
    "command": "pg_dump orders",
    "frequency": "1h",
    "retention": "30d",
}

KUBERNETES_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "continuous in-cluster data",
        {**KUBERNETES_ITEM, "frequency": "continuous"},
        [
            f'{F}: data.dump.frequency: continuous needs continuous backup, which store "kubernetes" cannot do '
            "(its backups are CronJob dumps, once a minute at most often)"
        ],
    ),
    (
        "a start time on a dump more often than hourly",
        {**KUBERNETES_ITEM, "frequency": "20m", "at": "02:05"},
        [f"{F}: data.dump.at: a start time needs an hourly or longer frequency, not 20m"],
    ),
    (
        "in-cluster data with an RPO no dump can keep",
        {**KUBERNETES_ITEM, "tier": "instant", "frequency": "1m"},
        [
            f"{F}: data.dump: worst-case loss in us-east-1 (primary) 1m gap + 30s starting deadline + 30s "
            'active deadline = 2m (CronJob dump) exceeds tier "instant" RPO 1m; a CronJob runs at most once a '
            "minute and each run has one interval to start and finish: raise the tier's RPO"
        ],
    ),
    (
        "in-cluster data whose replicated dumps cannot keep the RPO",
        {**KUBERNETES_ITEM, "tier": "quick", "frequency": "15m", "copy_to_dr": True},
        [
            f"{F}: data.dump: worst-case loss in us-west-2 (DR) 1m gap + 30s starting deadline + 30s active "
            "deadline + 15m replication = 17m (replicated CronJob dump (Replication Time Control)) exceeds tier "
            '"quick" RPO 16m; a CronJob runs at most once a minute and each run has one interval to start and '
            "finish: raise the tier's RPO"
        ],
    ),
    (
        "in-cluster data without its job",
        {k: v for k, v in KUBERNETES_ITEM.items() if k not in ("image", "command")},
        [
            f'{F}: data.dump.image: is required for store "kubernetes" (what the backup job runs)',
            f'{F}: data.dump.command: is required for store "kubernetes" (what the backup job runs)',
        ],
    ),
    (
        "reads a kind no backup job may read",
        {**KUBERNETES_ITEM, "reads": ["configmaps", "nodes"]},
        [
            f'{F}: data.dump.reads: "nodes" not among the kinds a backup job may read (configmaps, secrets, '
            "services, persistentvolumeclaims, deployments, statefulsets, daemonsets, cronjobs, ingresses)"
        ],
    ),
    (
        "cold storage ending before its 90 days",
        {**KUBERNETES_ITEM, "cold_after": "7d"},
        [
            f"{F}: data.dump.retention: 30d ends less than 90 days after cold_after 7d "
            "(cold storage keeps objects 90 days at least)"
        ],
    ),
]


@pytest.mark.parametrize(("case", "item", "messages"), KUBERNETES_CASES, ids=[c[0] for c in KUBERNETES_CASES])
def test_rule__in_cluster_data(case: str, item: dict[str, Any], messages: list[str]) -> None:
    document = changed(
        changed(BASE, "tiers.instant", {"rto": "1h", "rpo": "1m"}), "tiers.quick", {"rto": "1h", "rpo": "16m"}
    )
    with pytest.raises(PlanError) as err:
        parse_plan(changed(document, "data.dump", item), F)
    assert err.value.messages == messages, case


def test_every_problem_is_reported_at_once() -> None:
    document = changed(BASE, "regions.dr", "us-east-1")
    document = changed(document, "data.database.colour", "red")
    document = changed(document, "data.database.immutable", True)
    document = changed(document, "data.user-files.frequency", "2h")
    with pytest.raises(PlanError) as err:
        parse_plan(document, F)
    assert err.value.messages == [
        f"{F}: data.database.colour: unknown key (allowed: tier, store, frequency, retention, immutable, "
        "copy_to_dr, at, cold_after, archive, namespace, image, command, reads, restore_command)",
        f"{F}: regions: primary and dr are both us-east-1; a regional outage would take both",
        f'{F}: data.database.immutable: store "rds" cannot be immutable (a live database is not write-once; '
        "its AWS Backup recovery points are locked by the vault lock)",
        f'{F}: data.user-files.frequency: 2h is longer than tier "important" RPO 1h',
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nservice: [orders\n", "line 3, column 1: expected ',' or ']', but got '<stream end>'"),
        (
            "version: 1\nservice: a\nservice: b\n",
            'line 3, column 1: duplicate key "service" (first at line 2)',
        ),
        ("- version: 1\n", "the plan must be a mapping of keys (version, service, ...)"),
        ("", "the plan must be a mapping of keys (version, service, ...)"),
        ("version: 1\n\tservice: x\n", "line 2, column 1: found character '\\t' that cannot start any token"),
    ],
)
def test_unreadable_yaml__names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.messages == [f"{path}: {message}"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(tmp_path / "nope.yaml")
    assert err.value.messages == [f"{tmp_path / 'nope.yaml'}: no such file"]


def test_times_of_day_stay_text_without_quotes(tmp_path: Path) -> None:
    # YAML 1.1 reads 2:30 as the integer 150; the plan loader keeps it a time.
    text = (Path(__file__).parent.parent / "continuity-plan.yaml").read_text()
    text = text.replace("frequency: 1h, retention: 90d", "frequency: 1h, at: 2:30, retention: 90d")
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    plan = load_plan(path)
    start = plan.data["user-files"].at
    assert start is not None
    assert (start.hour, start.minute) == (2, 30)


def test_plan_is_immutable(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, BASE))
    with pytest.raises(Exception, match="frozen"):
        plan.service = "other"


def test_rule__s3_copy_under_replication_time() -> None:
    document = changed(BASE, "tiers.critical.rpo", "10m")
    with pytest.raises(PlanError) as err:
        parse_plan(document, F)
    assert err.value.messages == [
        f'{F}: data.audit-logs.copy_to_dr: tier "critical" RPO 10m is under the 15 minutes S3 replication commits to (Replication Time Control)'
    ]
