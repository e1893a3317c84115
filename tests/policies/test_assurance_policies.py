"""The assurance policies (issue 16) against the real program's stacks: compliant as declared; each
case breaks one property (or removes one resource) and gets the exact violation.

The stacks come from tests/stack_runs.py (run once per test process); tests/policies/
test_stacks_pass.py already checks that every plan's stacks pass the whole pack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from offline.program import StackRun
from offline.stack_state import ResourceState, states_from_run
from tests.conftest import DEFAULT_PLAN, ROOT
from tests.policies.conftest import plan_at, run
from tests.policies.synthetic import stack_states
from tests.policies.test_stacks_pass import broken
from tests.stack_runs import stack_runs

KATYA = ROOT / "examples" / "plans" / "katya.yaml"
VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
FRAMEWORK = "aws:backup/framework:Framework"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
POLICY = "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy"
SWITCH = "aws:arcregionswitch/plan:Plan"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
ASSURANCE = {
    "backup-framework-require-controls",
    "resiliencehub-policy-require-objectives",
    "arcregionswitch-plan-require-failover-steps",
    "cloudwatch-alarm-require-exposure-thresholds",
}
Mutation = Callable[[list[ResourceState]], list[ResourceState]]


def states(path: Path, stack: str) -> list[ResourceState]:
    runs = stack_runs(path)
    found: StackRun = {"primary": runs.primary, "dr": runs.dr, "promoted": runs.promoted}[stack]
    return states_from_run(found)


def found(states: list[ResourceState], plan: Path) -> list[tuple[str, str, str]]:
    return [
        (v.policy, v.urn.rsplit("::", 1)[1], v.message)
        for v in run(states, plan).violations
        if v.policy in ASSURANCE
    ]


def prop(type_: str, name: str, path: str, value: object) -> Mutation:
    return lambda states: broken(states, type_, name, path, value)


def without(type_: str, name: str) -> Mutation:
    return lambda states: [s for s in states if not (s.type == type_ and s.name == name)]


FRAMEWORK_RULE = "backup-framework-require-controls"
HUB_RULE = "resiliencehub-policy-require-objectives"
SWITCH_RULE = "arcregionswitch-plan-require-failover-steps"
ALARM_RULE = "cloudwatch-alarm-require-exposure-thresholds"
DATABASE = 'plan data "database" (tier critical)'


@pytest.mark.parametrize(
    ("plan", "stack", "mutation", "expected"),
    [
        pytest.param(DEFAULT_PLAN, "primary", lambda s: s, [], id="primary_baseline"),
        pytest.param(DEFAULT_PLAN, "dr", lambda s: s, [], id="dr_baseline"),
        pytest.param(DEFAULT_PLAN, "promoted", lambda s: s, [], id="promoted_baseline"),
        pytest.param(KATYA, "dr", lambda s: s, [], id="automatic_baseline"),
        pytest.param(
            DEFAULT_PLAN,
            "primary",
            prop(FRAMEWORK, "orders-assurance-audit-framework", "controls.0.inputParameters.2.value", "7"),
            [
                (
                    FRAMEWORK_RULE,
                    "orders-assurance-audit-framework",
                    f"control BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK for {DATABASE} has "
                    "requiredFrequencyUnit hours, requiredFrequencyValue 1, requiredRetentionDays 7; the plan asks "
                    "requiredFrequencyUnit hours, requiredFrequencyValue 1, requiredRetentionDays 30 "
                    "(data.database.frequency continuous, retention 30d)",
                )
            ],
            id="framework_retention_short",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "primary",
            prop(
                FRAMEWORK, "orders-assurance-audit-framework", "controls.5.name", "BACKUP_LAST_RECOVERY_POINT"
            ),
            [
                (
                    FRAMEWORK_RULE,
                    "orders-assurance-audit-framework",
                    'no control BACKUP_LAST_RECOVERY_POINT_CREATED scoped to continuity:data-item "database"; '
                    f"{DATABASE} needs it with recoveryPointAgeUnit hours, recoveryPointAgeValue 1 "
                    "(data.database: newest recovery point at most 300s old (tier critical RPO 15m))",
                )
            ],
            id="framework_control_renamed",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "primary",
            without(FRAMEWORK, "orders-assurance-audit-framework"),
            [
                (
                    FRAMEWORK_RULE,
                    "continuity-primary",
                    "no aws:backup/framework:Framework in the primary stack; the plan's 18 controls go unevaluated",
                )
            ],
            id="framework_missing",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "primary",
            without(REPORT_PLAN, "orders-assurance-audit-report-plan"),
            [
                (
                    FRAMEWORK_RULE,
                    "orders-assurance-audit-framework",
                    "no aws:backup/reportPlan:ReportPlan reports this framework's compliance (its "
                    "reportSetting.frameworkArns)",
                )
            ],
            id="report_plan_missing",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "primary",
            prop(POLICY, "orders-assurance-resilience-critical", "policy.region.rto", "3600s"),
            [
                (
                    HUB_RULE,
                    "orders-assurance-resilience-critical",
                    'policy.region.rto is "3600s"; plan tier "critical" (rto 30m, rpo 15m) allows 1800s',
                )
            ],
            id="resiliency_region_rto_long",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            without(POLICY, "orders-assurance-resilience-optional"),
            [
                (
                    HUB_RULE,
                    "continuity-dr",
                    'no aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy tagged continuity:tier "optional"; '
                    'plan tier "optional" (rto 72h, rpo 24h) goes unassessed',
                )
            ],
            id="resiliency_policy_missing",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            prop(
                SWITCH,
                "orders-assurance-region-switch-plan",
                "workflows.0.steps.2.customActionLambdaConfigs.0.timeoutMinutes",
                45.0,
            ),
            [
                (
                    SWITCH_RULE,
                    "orders-assurance-region-switch-plan",
                    "step settle-databases timeoutMinutes is 45; tier critical RTO 30m allows 30",
                )
            ],
            id="switch_timeout_beyond_rto",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            prop(SWITCH, "orders-assurance-region-switch-plan", "recoveryTimeObjectiveMinutes", 60.0),
            [
                (
                    SWITCH_RULE,
                    "orders-assurance-region-switch-plan",
                    "recoveryTimeObjectiveMinutes is 60; the plan's strictest RTO is 30 minutes",
                )
            ],
            id="switch_rto_long",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            prop(SWITCH, "orders-assurance-region-switch-plan", "workflows.0.steps.0.name", "confirm"),
            [
                (
                    SWITCH_RULE,
                    "orders-assurance-region-switch-plan",
                    "the workflow's steps are confirm, recover, settle-databases, route-traffic; the failover is "
                    "approve, recover, settle-databases, route-traffic",
                )
            ],
            id="switch_approval_missing",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            prop(
                SWITCH,
                "orders-assurance-region-switch-plan",
                "workflows.0.steps.1.parallelConfigs.0.steps.1.executionBlockType",
                "EC2AutoScaling",
            ),
            [
                (
                    SWITCH_RULE,
                    "orders-assurance-region-switch-plan",
                    'step scale-api is "EC2AutoScaling"; the failover needs ECSServiceScaling there',
                )
            ],
            id="switch_wrong_block",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            without(SWITCH, "orders-assurance-region-switch-plan"),
            [
                (
                    SWITCH_RULE,
                    "continuity-dr",
                    "no aws:arcregionswitch/plan:Plan in the DR stack; the failover runs from a laptop only",
                )
            ],
            id="switch_missing",
        ),
        pytest.param(
            KATYA,
            "dr",
            prop(SWITCH, "katya-assurance-region-switch-plan", "triggers", []),
            [
                (
                    SWITCH_RULE,
                    "katya-assurance-region-switch-plan",
                    "failover: automatic, but no trigger activates the DR region on the primary's health alarm",
                )
            ],
            id="switch_automatic_without_trigger",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            prop(ALARM, "orders-alarms-database-replica-lag", "threshold", 1200.0),
            [
                (
                    ALARM_RULE,
                    "orders-alarms-database-replica-lag",
                    f"threshold is 1200; {DATABASE} exposure budget allows 900",
                )
            ],
            id="replica_lag_over_budget",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            prop(ALARM, "orders-assurance-notify-audit-logs-replication", "threshold", 1800.0),
            [
                (
                    ALARM_RULE,
                    "orders-assurance-notify-audit-logs-replication",
                    'threshold is 1800; S3 Replication Time Control for plan data "audit-logs" (tier critical) '
                    "allows 900",
                )
            ],
            id="replication_past_rtc",
        ),
        pytest.param(
            DEFAULT_PLAN,
            "dr",
            without(RULE, "orders-assurance-notify-copy-job-failed"),
            [
                (
                    ALARM_RULE,
                    "continuity-dr",
                    "no aws:cloudwatch/eventRule:EventRule with a target matches AWS Backup's Copy Job State "
                    "Change events in state FAILED, PARTIAL; such a job fails silently",
                )
            ],
            id="copy_job_rule_missing",
        ),
        pytest.param(
            VAPORA,
            "primary",
            prop(ALARM, "vapora-assurance-notify-surrealdb-missed-backup", "period", 86_400.0),
            [
                (
                    ALARM_RULE,
                    "vapora-assurance-notify-surrealdb-missed-backup",
                    'period is 86400; plan data "surrealdb" (tier critical) uploads at least every 2400s '
                    "(data.surrealdb.frequency 1h, plus the job's deadlines)",
                )
            ],
            id="missed_backup_window_too_long",
        ),
    ],
)
def test_assurance_policies(
    plan: Path, stack: str, mutation: Mutation, expected: list[tuple[str, str, str]]
) -> None:
    assert found(mutation(states(plan, stack)), plan) == expected


def test_stacks_without_any_assurance_resource_are_not_judged() -> None:
    # GIVEN a stack as specified before issue 16 (tests/policies/synthetic.py declares none of it)
    # THEN the assurance policies say they do not apply rather than report every resource missing
    result = run(stack_states(plan_at(DEFAULT_PLAN), "dr"), DEFAULT_PLAN)
    assert [v for v in result.violations if v.policy in ASSURANCE] == []
