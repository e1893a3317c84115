"""Promises the architecture cannot keep: the latency model, warnings with their arithmetic, and
per-tier verdicts (a tier with nothing in it is not applicable, never met)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components import failover_dns
from continuity import recovery
from continuity.derive import derive
from continuity.feasibility import plan_warnings, tier_verdicts, warnings_for
from continuity.plan import load_plan, parse_plan
from continuity.recovery import CHANGE, PROMOTION, READ, TASKS_STEADY, failover_model
from continuity.summary import settings_as_text
from tests.conftest import ALL_PLANS, DELETE, ROOT, changed, plan_document

BASE = plan_document()
VAPORA = plan_document(ROOT / "examples" / "plans" / "vapora.yaml")
AS_WRITTEN = ROOT / "tests" / "fixtures" / "plans" / "heliosdb-lite-as-written.yaml"

WARM = (
    "1m 30s detection + 5m 3s failover (1m DNS alongside) = 6m 33s; failover: replica promotion 5m (RDS: "
    "'several minutes or longer'), ECS tasks steady 1m 30s (launch 60s assumed, one 30s target health "
    "check); not counted: the on-call's decision to fail over"
)


def with_changes(document: dict[str, Any], *changes: tuple[str, Any]) -> dict[str, Any]:
    for path, value in changes:
        document = changed(document, path, value)
    return document


def test_failover_model__the_critical_path_from_the_named_figures() -> None:
    # Reads at once, then the safety signals, then promotion and scaling at once, then the route.
    model = failover_model(databases=1, services=2)
    promote = READ + 1.0 + PROMOTION + READ + CHANGE
    scale = READ + CHANGE + READ + CHANGE + TASKS_STEADY + READ
    route = READ + CHANGE + READ
    assert model.critical_path == pytest.approx(2 * READ + READ + max(promote, scale) + route)
    assert model.sequential == pytest.approx(
        2 * READ + promote + 2 * (2 * READ + scale) + 3 * READ + 2 * READ + route
    )


def test_failover_model__what_the_program_declares() -> None:
    # The model counts the detection and the DNS the failover records are declared with.
    assert recovery.HEALTH_CHECK_INTERVAL_SECONDS == failover_dns.HEALTH_CHECK_INTERVAL_SECONDS
    assert recovery.FAILURE_THRESHOLD == failover_dns.HEALTH_CHECK_FAILURE_THRESHOLD
    assert recovery.DNS_TTL_SECONDS == failover_dns.CNAME_TTL_SECONDS


WARNING_CASES = [
    pytest.param(
        with_changes(BASE, ("tiers.critical.rto", "1m")),
        [f"tiers.critical.rto: 1m is below the fastest warm-standby recovery from a regional outage: {WARM}"],
        id="one_minute_rto_on_an_rds_tier",
    ),
    pytest.param(
        with_changes(
            BASE,
            ("tiers.critical.rto", "5m"),
            ("strategy", "pilot-light"),
            ("services.api.capacity.dr", 0),
        ),
        [f"tiers.critical.rto: 5m is below the fastest pilot-light recovery from a regional outage: {WARM}"],
        id="promotion_is_the_same_under_pilot_light",
    ),
    pytest.param(
        with_changes(
            BASE,
            ("tiers.critical.rto", "2m"),
            ("strategy", "backup-restore"),
            ("services.api.capacity.dr", 0),
        ),
        [
            "tiers.critical.rto: 2m is below the fastest backup-restore recovery from a regional outage: "
            "1m 30s detection + 1m 33s failover (1m DNS alongside) = 3m 3s; failover: ECS tasks steady 1m 30s "
            "(launch 60s assumed, one 30s target health check); not counted: the on-call's decision to fail "
            "over, the point-in-time restore itself (AWS publishes no duration; it grows with the data)"
        ],
        id="backup_restore_counts_no_restore_time_so_it_is_a_lower_bound",
    ),
    pytest.param(
        with_changes(VAPORA, ("tiers.critical.rto", "2m")),
        [
            "tiers.critical.rto: 2m is below the fastest warm-standby recovery from a regional outage: "
            "1m 30s detection + 1m DNS (3s failover within it) = 2m 30s; not counted: the on-call's decision to "
            "fail over, Kubernetes pods starting (no published figure)"
        ],
        id="kubernetes_only_tier_waits_for_detection_and_dns",
    ),
    pytest.param(
        with_changes(BASE, ("tiers.critical.rpo", "1m"), ("data.audit-logs", DELETE)),
        [
            'data.database: tier "critical" RPO 1m is below what point-in-time recovery (RDS automated '
            "backups) can deliver in us-east-1 (5m transaction log upload); only the read replica in us-west-2 "
            "keeps it (1m replica lag), and it copies a corruption as readily as a write"
        ],
        id="rds_rpo_under_point_in_time_recovery",
    ),
    pytest.param(
        with_changes(BASE, ("tiers.optional.rto", "1m")),
        [],
        id="empty_tier_promises_nothing_to_judge",
    ),
]


@pytest.mark.parametrize(("document", "warnings"), WARNING_CASES)
def test_warnings_for(document: dict[str, Any], warnings: list[str]) -> None:
    assert warnings_for(derive(parse_plan(document, "plan.yaml"))) == warnings


def test_plan_warnings__the_bcp_as_written_names_its_file() -> None:
    assert plan_warnings(load_plan(AS_WRITTEN)) == [
        f"{AS_WRITTEN}: tiers.production-database.rto: 5m is below the fastest warm-standby recovery from a "
        f"regional outage: {WARM}",
        f'{AS_WRITTEN}: data.database: tier "production-database" RPO 1m is below what point-in-time recovery '
        "(RDS automated backups) can deliver in us-east-1 (5m transaction log upload); only the read replica in "
        "us-west-2 keeps it (1m replica lag), and it copies a corruption as readily as a write",
    ]


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_every_shipped_plan_keeps_what_it_promises(path: Path) -> None:
    assert plan_warnings(load_plan(path)) == []


VERDICT_CASES = [
    pytest.param(
        ROOT / "continuity-plan.yaml",
        [
            ("critical", "feasible", 393.4, "within", 900),
            ("important", "nothing-to-fail-over", None, "within", 900),
            ("optional", "not-applicable", None, "not-applicable", None),
        ],
        id="default_plan_with_an_empty_tier",
    ),
    pytest.param(
        ROOT / "examples" / "plans" / "vapora.yaml",
        [
            ("critical", "feasible", 150.0, "within", 3300),
            ("important", "feasible", 150.0, "not-applicable", None),
            ("optional", "feasible", 150.0, "not-applicable", None),
        ],
        id="kubernetes_only_plan",
    ),
    pytest.param(
        AS_WRITTEN,
        [
            ("production-database", "infeasible", 393.4, "exceeds", 300),
            ("customer-support", "not-applicable", None, "not-applicable", None),
            ("development", "not-applicable", None, "not-applicable", None),
            ("sales-marketing", "not-applicable", None, "not-applicable", None),
        ],
        id="heliosdb_as_written",
    ),
]


@pytest.mark.parametrize(("path", "verdicts"), VERDICT_CASES)
def test_tier_verdicts(path: Path, verdicts: list[tuple[str, str, float | None, str, int | None]]) -> None:
    found = tier_verdicts(derive(load_plan(path)))
    assert [
        (
            v.tier,
            v.rto,
            None if v.fastest_recovery_seconds is None else round(v.fastest_recovery_seconds, 1),
            v.rpo,
            v.worst_case_seconds,
        )
        for v in found
    ] == verdicts


def test_empty_tier__not_applicable_in_the_objectives_and_the_summary() -> None:
    settings = derive(load_plan(ROOT / "continuity-plan.yaml"))
    assert settings.objectives.applicable == ("critical", "important")
    assert not settings.objectives.applies("optional")
    row = next(line for line in settings_as_text(settings).splitlines() if line.startswith("  optional "))
    assert [cell.strip() for cell in row.split("  ") if cell.strip()] == [
        "optional",
        "3d",
        "not applicable (nothing in this tier)",
        "24h",
        "not applicable (no data in this tier)",
        "nothing",
    ]


def test_plan_without_data__no_rpo_is_claimed() -> None:
    settings = derive(parse_plan(changed(BASE, "data", {}), "plan.yaml"))
    assert {v.rpo for v in tier_verdicts(settings)} == {"not-applicable"}
    assert settings.exposures == {}
    text = settings_as_text(settings).splitlines()
    assert "Failover objectives (strictest tier in use): RTO 30m, RPO not applicable (no data)" in text
