"""Kubernetes policies (backup CronJobs, Deployments and their autoscalers): a compliant stack passes;
each case breaks one property and gets the exact violation.

Kubernetes label keys take no colon, and some contain dots, so a label change replaces the whole
``metadata.labels`` (the synthetic ``changed`` splits its path on dots).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from offline.policy_check import UNKNOWN
from tests.conftest import DEFAULT_PLAN, changed, plan_document, write_plan
from tests.policies.conftest import EXAMPLES, Check, plan_at
from tests.policies.synthetic import (
    AUTOSCALER,
    CRON_JOB,
    DELETE,
    DEPLOYMENT,
    STACK,
    stack_states,
    urn,
    without,
)
from tests.policies.synthetic import changed as set_prop

Mutation = Callable[[list], list]
VAPORA = EXAMPLES / "vapora.yaml"

JOB = "vapora-surrealdb-backup"
SURREALDB = 'plan data "surrealdb" (tier critical)'
CONFIGURATION = 'plan data "configuration" (tier critical)'
EVERY_HOUR = f"{SURREALDB} needs a backup at least every 1h"
# The plan's job dumps every 20 minutes (an hourly dump would lose more than the 1-hour RPO once
# replicated), with 10-minute deadlines: 40 minutes at risk.
PLAN_DEADLINES = "with startingDeadlineSeconds 600 and activeDeadlineSeconds 600"
AT_RISK = f"at risk; {SURREALDB} allows 40m (*/20 * * * *, the plan's job)"
POD = "spec.jobTemplate.spec.template.spec"
BUCKET_VALUE = f"{POD}.containers.0.env.0.value"
DEPLOYMENT_BACKEND = "vapora-backend-deployment"
AUTOSCALER_BACKEND = "vapora-backend-autoscaler"
BACKEND = 'plan service "backend" (tier critical)'
ITEM_LABEL = {"continuity.data-item": "surrealdb"}


def job_urn(role: str = "primary", name: str = JOB) -> str:
    return urn(role, CRON_JOB, name)


def stack(role: str = "primary", *, preview: bool = False, promoted: bool = False) -> Callable[[], list]:
    return lambda: stack_states(plan_at(VAPORA), role, preview=preview, promoted=promoted)


def unchanged(states: list) -> list:
    return states


def prop(name: str, path: str, value: object) -> Mutation:
    return lambda states: set_prop(states, name, path, value)


def labels(name: str, value: dict[str, str]) -> Mutation:
    return prop(name, "metadata.labels", value)


def cannot_run(policy: str, path: str) -> str:
    """What the SDK says when a policy reads a value that is unknown during preview."""
    return (
        f"can't run policy '{policy}' from policy pack 'continuity@v0.0.1' during preview: "
        f"string value at .{path} can't be known during preview"
    )


# ---------------------------------------------------------------------------------------------
# kubernetes-cronjob-require-frequency


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack("dr"), unchanged, [], id="dr_baseline"),
        pytest.param(stack("dr", promoted=True), unchanged, [], id="promoted_baseline"),
        pytest.param(
            stack(),
            prop(JOB, "spec.schedule", "0 5 * * *"),
            [(job_urn(), f'spec.schedule "0 5 * * *" leaves up to 24h between backups; {EVERY_HOUR}')],
            id="daily_for_hourly_item",
        ),
        pytest.param(
            stack("dr"),
            prop(JOB, "spec.schedule", "0 */2 * * *"),
            [(job_urn("dr"), f'spec.schedule "0 */2 * * *" leaves up to 2h between backups; {EVERY_HOUR}')],
            id="every_two_hours_in_dr",
        ),
        pytest.param(
            stack(),
            prop(JOB, "spec.schedule", "0 * * * 1-5"),
            [(job_urn(), f'spec.schedule "0 * * * 1-5" leaves up to 2d 1h between backups; {EVERY_HOUR}')],
            id="weekdays_only_leave_the_weekend",
        ),
        pytest.param(
            stack(),
            prop(JOB, "spec.schedule", "@hourly"),
            [
                (
                    job_urn(),
                    f'spec.schedule "@hourly" (up to 1h apart) {PLAN_DEADLINES} leaves up to 1h 20m {AT_RISK}',
                )
            ],
            id="hourly_as_written_but_not_as_the_rpo_needs",
        ),
        pytest.param(stack(), prop(JOB, "spec.schedule", "*/15 * * * *"), [], id="more_often_than_needed"),
        pytest.param(
            stack(),
            prop(JOB, "spec.jobTemplate.spec.activeDeadlineSeconds", DELETE),
            [
                (
                    job_urn(),
                    'spec.schedule "*/20 * * * *" (up to 20m apart) with startingDeadlineSeconds 600 and '
                    f"activeDeadlineSeconds not set leaves without bound (a deadline is not set) {AT_RISK}",
                )
            ],
            id="no_active_deadline",
        ),
        pytest.param(
            stack(),
            prop(JOB, "spec.schedule", "0 5 * * * 2027"),
            [
                (
                    job_urn(),
                    "spec.schedule cannot be judged: 0 5 * * * 2027: a Kubernetes schedule takes 5 fields "
                    f"(minute hour day-of-month month day-of-week), found 6; {EVERY_HOUR}",
                )
            ],
            id="schedule_that_cannot_be_judged",
        ),
        pytest.param(
            stack(),
            prop(JOB, "spec.schedule", DELETE),
            [(job_urn(), f"spec.schedule is not set, so the job never runs; {EVERY_HOUR}")],
            id="no_schedule",
        ),
        pytest.param(
            stack(),
            prop(JOB, "spec.suspend", True),
            [(job_urn(), f"spec.suspend is true, so the job never runs; {EVERY_HOUR}")],
            id="suspended",
        ),
        pytest.param(stack(), prop(JOB, "spec.suspend", False), [], id="not_suspended"),
        pytest.param(
            stack(),
            prop(JOB, "spec.timeZone", "America/New_York"),
            [
                (
                    job_urn(),
                    'spec.schedule "*/20 * * * *" leaves up to 1h 20m (daylight saving in America/New_York) '
                    f"between backups; {EVERY_HOUR}",
                )
            ],
            id="daylight_saving_zone_adds_an_hour",
        ),
        pytest.param(stack(), prop(JOB, "spec.timeZone", "Etc/GMT-9"), [], id="zone_without_daylight_saving"),
        pytest.param(stack(), prop(JOB, "spec.timeZone", DELETE), [], id="no_zone_is_utc"),
        pytest.param(
            stack(preview=True),
            prop(JOB, "spec.schedule", UNKNOWN),
            [(job_urn(), cannot_run("kubernetes-cronjob-require-frequency", "spec.schedule"))],
            id="unknown_schedule_during_preview",
        ),
        pytest.param(
            stack(),
            lambda s: labels(JOB, {})(prop(JOB, "spec.schedule", "0 5 * * *")(s)),
            [],
            id="unlabelled_cron_job_not_judged",
        ),
        pytest.param(
            stack(),
            lambda s: labels(JOB, {**ITEM_LABEL, "continuity.service": "other"})(
                prop(JOB, "spec.schedule", "0 5 * * *")(s)
            ),
            [],
            id="other_service_not_judged",
        ),
    ],
)
def test_kubernetes_cronjob_require_frequency(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    # GIVEN a stack with one property broken  WHEN the pack runs  THEN exactly these violations
    assert violations("kubernetes-cronjob-require-frequency", mutation(make()), VAPORA) == expected


# ---------------------------------------------------------------------------------------------
# kubernetes-cronjob-require-coverage


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), VAPORA, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), VAPORA, unchanged, [], id="dr_baseline"),
        pytest.param(
            lambda: stack_states(plan_at(DEFAULT_PLAN), "primary"),
            DEFAULT_PLAN,
            unchanged,
            [],
            id="no_kubernetes_items_need_no_cron_job",
        ),
        pytest.param(
            stack(),
            VAPORA,
            lambda s: without(s, JOB),
            [
                (
                    urn("primary", STACK, "continuity-primary"),
                    f'{SURREALDB} has no {CRON_JOB} labelled continuity.data-item "surrealdb" in the primary stack',
                )
            ],
            id="cron_job_missing",
        ),
        pytest.param(
            stack("dr"),
            VAPORA,
            lambda s: without(without(s, JOB), "vapora-configuration-backup"),
            [
                (
                    urn("dr", STACK, "continuity-dr"),
                    f'{SURREALDB} has no {CRON_JOB} labelled continuity.data-item "surrealdb" in the DR stack',
                ),
                (
                    urn("dr", STACK, "continuity-dr"),
                    f"{CONFIGURATION} has no {CRON_JOB} labelled continuity.data-item "
                    '"configuration" in the DR stack',
                ),
            ],
            id="dr_cron_jobs_missing",
        ),
        pytest.param(
            stack(),
            VAPORA,
            labels(JOB, {"continuity.data-item": "surreal"}),
            [
                (
                    job_urn(),
                    'continuity.data-item is "surreal"; the plan has no such entry (data: surrealdb, configuration)',
                ),
                (
                    urn("primary", STACK, "continuity-primary"),
                    f'{SURREALDB} has no {CRON_JOB} labelled continuity.data-item "surrealdb" in the primary stack',
                ),
            ],
            id="labelled_with_unknown_item",
        ),
        pytest.param(
            stack("dr"),
            VAPORA,
            labels(JOB, {**ITEM_LABEL, "continuity.role": "primary"}),
            [
                (
                    urn("dr", STACK, "continuity-dr"),
                    f'{SURREALDB} has no {CRON_JOB} labelled continuity.data-item "surrealdb" in the DR stack',
                )
            ],
            id="labelled_for_the_other_region",
        ),
        pytest.param(
            stack(),
            VAPORA,
            labels(JOB, {**ITEM_LABEL, "continuity.service": "other"}),
            [
                (
                    urn("primary", STACK, "continuity-primary"),
                    f'{SURREALDB} has no {CRON_JOB} labelled continuity.data-item "surrealdb" in the primary stack',
                )
            ],
            id="cron_job_of_another_service",
        ),
    ],
)
def test_kubernetes_cronjob_require_coverage(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("kubernetes-cronjob-require-coverage", mutation(make()), plan) == expected


def test_kubernetes_cronjob_require_coverage__item_kept_elsewhere(violations: Check, tmp_path: Path) -> None:
    # GIVEN a plan that keeps "exports" in S3, and a CronJob labelled with it
    document = changed(
        plan_document(VAPORA),
        "data.exports",
        {"tier": "important", "store": "s3", "frequency": "1h", "retention": "31d"},
    )
    plan = write_plan(tmp_path, document)
    states = labels(JOB, {"continuity.data-item": "exports"})(stack_states(plan_at(plan), "primary"))
    # THEN the label is reported, and the item the CronJob no longer serves has none
    assert violations("kubernetes-cronjob-require-coverage", states, plan) == [
        (
            job_urn(),
            f'continuity.data-item is "exports", which the plan keeps in s3, not on {CRON_JOB}',
        ),
        (
            urn("primary", STACK, "continuity-primary"),
            f'{SURREALDB} has no {CRON_JOB} labelled continuity.data-item "surrealdb" in the primary stack',
        ),
    ]


# ---------------------------------------------------------------------------------------------
# kubernetes-cronjob-require-target-bucket

KEEPS_DUMPS = f"{SURREALDB} keeps its dumps in its own S3 bucket"


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack("dr"), unchanged, [], id="dr_baseline"),
        pytest.param(
            stack(preview=True),
            unchanged,
            [
                (job_urn(), cannot_run("kubernetes-cronjob-require-target-bucket", BUCKET_VALUE)),
                (
                    job_urn(name="vapora-configuration-backup"),
                    cannot_run("kubernetes-cronjob-require-target-bucket", BUCKET_VALUE),
                ),
            ],
            id="unknown_bucket_during_preview",
        ),
        pytest.param(
            stack(),
            prop(JOB, f"{POD}.containers.0.env", DELETE),
            [
                (
                    job_urn(),
                    f"no container of {POD} sets BACKUP_BUCKET, so the dumps go nowhere; {KEEPS_DUMPS}",
                )
            ],
            id="no_env",
        ),
        pytest.param(
            stack(),
            prop(JOB, f"{POD}.containers.0.env.0.name", "BUCKET"),
            [
                (
                    job_urn(),
                    f"no container of {POD} sets BACKUP_BUCKET, so the dumps go nowhere; {KEEPS_DUMPS}",
                )
            ],
            id="bucket_under_another_name",
        ),
        pytest.param(
            stack(),
            prop(JOB, f"{POD}.containers.0.env.0.value", ""),
            [
                (
                    job_urn(),
                    f'{POD}.containers[0].env[0].value is "", so the dumps go nowhere; {KEEPS_DUMPS}',
                )
            ],
            id="empty_bucket",
        ),
        pytest.param(
            stack(),
            prop(JOB, f"{POD}.containers.0.env.0.value", DELETE),
            [
                (
                    job_urn(),
                    f"{POD}.containers[0].env[0].value is not set, so the dumps go nowhere; {KEEPS_DUMPS}",
                )
            ],
            id="bucket_without_value",
        ),
        pytest.param(
            stack(),
            prop(
                JOB,
                f"{POD}.containers.0.env.0",
                {
                    "name": "BACKUP_BUCKET",
                    "valueFrom": {"configMapKeyRef": {"name": "backup", "key": "bucket"}},
                },
            ),
            [],
            id="bucket_from_a_config_map",
        ),
        pytest.param(
            stack(preview=True),
            prop(JOB, f"{POD}.containers.0.env", [{"name": "AWS_REGION", "value": "us-east-1"}]),
            [
                (
                    job_urn(),
                    f"no container of {POD} sets BACKUP_BUCKET, so the dumps go nowhere; {KEEPS_DUMPS}",
                ),
                (
                    job_urn(name="vapora-configuration-backup"),
                    cannot_run("kubernetes-cronjob-require-target-bucket", BUCKET_VALUE),
                ),
            ],
            id="no_bucket_is_known_during_preview",
        ),
    ],
)
def test_kubernetes_cronjob_require_target_bucket(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("kubernetes-cronjob-require-target-bucket", mutation(make()), VAPORA) == expected


# ---------------------------------------------------------------------------------------------
# kubernetes-cronjob-disallow-concurrent-runs


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        pytest.param(unchanged, [], id="baseline"),
        pytest.param(
            prop(JOB, "spec.concurrencyPolicy", "Allow"),
            [
                (
                    job_urn(),
                    f'spec.concurrencyPolicy is "Allow"; a dump of {SURREALDB} still running when the next is due '
                    "gets a second dump beside it",
                )
            ],
            id="allow",
        ),
        pytest.param(
            prop(JOB, "spec.concurrencyPolicy", DELETE),
            [
                (
                    job_urn(),
                    f"spec.concurrencyPolicy is not set (Allow); a dump of {SURREALDB} still running when the next "
                    "is due gets a second dump beside it",
                )
            ],
            id="default_allows",
        ),
        pytest.param(
            prop(JOB, "spec.concurrencyPolicy", "Replace"),
            [
                (
                    job_urn(),
                    f'spec.concurrencyPolicy is "Replace"; a dump of {SURREALDB} still running when the next is due '
                    "is cancelled, so one that takes longer than the interval never completes",
                )
            ],
            id="replace",
        ),
    ],
)
def test_kubernetes_cronjob_disallow_concurrent_runs(
    violations: Check, mutation: Mutation, expected: list
) -> None:
    assert violations("kubernetes-cronjob-disallow-concurrent-runs", mutation(stack()()), VAPORA) == expected


# ---------------------------------------------------------------------------------------------
# kubernetes-deployment-require-capacity

WARM = f"{BACKEND} keeps 1 replica warm in the DR region (capacity.dr)"
FULL = f"{BACKEND} runs 3 replicas in the primary region (capacity.primary)"
BACKEND_LABELS = {
    "continuity.service": "vapora",
    "continuity.role": "dr",
    "continuity.plan-version": "1",
    "app.kubernetes.io/name": "backend",
}


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack("dr"), unchanged, [], id="dr_baseline"),
        pytest.param(stack("dr", promoted=True), unchanged, [], id="promoted_baseline"),
        pytest.param(
            stack("dr"),
            prop(DEPLOYMENT_BACKEND, "spec.replicas", 0.0),
            [(urn("dr", DEPLOYMENT, DEPLOYMENT_BACKEND), f"spec.replicas is 0; {WARM}")],
            id="dr_replicas_below_warm",
        ),
        pytest.param(
            stack("dr"),
            prop(AUTOSCALER_BACKEND, "spec.minReplicas", 0.0),
            [(urn("dr", AUTOSCALER, AUTOSCALER_BACKEND), f"spec.minReplicas is 0; {WARM}")],
            id="dr_autoscaler_min_below_warm",
        ),
        pytest.param(
            stack("dr"),
            prop(DEPLOYMENT_BACKEND, "spec.replicas", DELETE),
            [],
            id="dr_replicas_unset_default_to_one",
        ),
        pytest.param(
            stack(),
            prop(DEPLOYMENT_BACKEND, "spec.replicas", 2.0),
            [(urn("primary", DEPLOYMENT, DEPLOYMENT_BACKEND), f"spec.replicas is 2; {FULL}")],
            id="primary_replicas_below_capacity",
        ),
        pytest.param(
            stack(),
            prop(AUTOSCALER_BACKEND, "spec.minReplicas", DELETE),
            [
                (
                    urn("primary", AUTOSCALER, AUTOSCALER_BACKEND),
                    f"spec.minReplicas is not set (1 replica); {FULL}",
                )
            ],
            id="primary_autoscaler_min_unset",
        ),
        pytest.param(
            stack("dr", promoted=True),
            prop(AUTOSCALER_BACKEND, "spec.minReplicas", 1.0),
            [],
            id="promoted_judged_as_dr",
        ),
        pytest.param(
            stack("dr"),
            labels(DEPLOYMENT_BACKEND, {k: v for k, v in BACKEND_LABELS.items() if k != "continuity.role"}),
            [],
            id="no_role_not_judged",
        ),
        pytest.param(
            stack("dr"),
            lambda s: labels(DEPLOYMENT_BACKEND, {**BACKEND_LABELS, "continuity.service": "other"})(
                prop(DEPLOYMENT_BACKEND, "spec.replicas", 0.0)(s)
            ),
            [],
            id="other_service_not_judged",
        ),
        pytest.param(
            stack("dr", preview=True),
            prop(DEPLOYMENT_BACKEND, "spec.replicas", UNKNOWN),
            [
                (
                    urn("dr", DEPLOYMENT, DEPLOYMENT_BACKEND),
                    cannot_run("kubernetes-deployment-require-capacity", "spec.replicas"),
                )
            ],
            id="unknown_replicas_during_preview",
        ),
    ],
)
def test_kubernetes_deployment_require_capacity(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("kubernetes-deployment-require-capacity", mutation(make()), VAPORA) == expected
