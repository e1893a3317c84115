"""The dr-operator policy grants exactly what the scripts call: every recorded call is allowed, only
the restore test deletes (and only what it tagged), and nothing is granted that no script calls (or
AWS implies)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from moto.moto_api import state_manager

from continuity.assurance import framework_for
from continuity.operator_policy import (
    IMPLIED_ACTIONS,
    OPERATOR_ACTIONS,
    OperatorScope,
    allowed_actions,
    operator_policy_document,
)
from continuity.plan import load_plan
from offline.moto_audit_manager import AuditManager
from operations.aws import Aws, CallRecorder
from operations.drill.experiment import ExperimentTemplate, inject
from operations.errors import StepFailed
from operations.failback.steps import FailbackTiming
from operations.failover.steps import Timing
from operations.restore.run import RestoreTiming
from tests.conftest import DEFAULT_PLAN
from tests.operations.estate import LagAfterReplica
from tests.operations.harness import FakeClock, Scenario, fresh_session
from tests.operations.test_drill_experiment import with_templates
from tests.operations.test_recover import exact, named, next_second, recover, restorable
from tests.operations.test_restore_scheduled import RestoreJobsAnswer
from tests.operations.toolkit import Run, Toolkit, ready
from tests.operations.world import DR, PRIMARY

Make = Callable[..., Scenario]
MakeToolkit = Callable[..., Toolkit]
FAILOVER = Timing(poll_seconds=1, database_timeout=60, service_timeout=60, dns_timeout=60)


def recorded_actions(make: Make, mode: str, service: str = "orders") -> set[str]:
    """Every action a dry run, a full run and a re-run make, in one strategy."""
    s = make(mode=mode, service=service)
    actions: set[str] = set()
    for extra in (("--dry-run",), (), ()):
        result = s.run(*extra)
        assert result.code == 0, result.err
        actions |= result.recorder.actions()
    return actions


@pytest.mark.parametrize("mode", ["replica", "restore"])
def test_every_call_of_a_full_run_is_allowed_and_none_deletes(scenario: Make, mode: str) -> None:
    actions = recorded_actions(scenario, mode)
    assert actions - allowed_actions() == set()
    assert [a for a in actions if a.split(":")[1].startswith("Delete")] == []


def toolkit_actions(make: MakeToolkit) -> dict[str, set[str]]:
    """Every action of full runs of each toolkit script, the drill history in S3: readiness, restore
    tests in both regions, a drill (readiness and a failover), and the failback after it."""
    t = ready(make)
    s3 = t.client("s3", DR)
    s3.create_bucket(Bucket="orders-history", CreateBucketConfiguration={"LocationConstraint": DR})
    s3.put_object(Bucket="orders-history", Key="continuity/history.jsonl", Body=t.estate.history.read_bytes())
    history = ["--history", "s3://orders-history/continuity/history.jsonl"]
    restore = RestoreTiming(poll_seconds=1, restore_timeout=60, cleanup_timeout=60, verify_timeout=30)
    # Audit Manager's evaluation in the primary region (moto has none), FIS templates for the drill
    audit = AuditManager()
    framework = framework_for(load_plan(DEFAULT_PLAN), "primary")
    assert framework is not None
    audit.deploy(framework, PRIMARY)
    with_templates(t)
    runs = {
        "dr_readiness": t.run("dr_readiness", *history, hooks=[audit.hook]),
        "restore_test primary": t.run("restore_test", *history, timing=restore),
        "restore_test dr": t.run("restore_test", "--region", "dr", *history, timing=restore),
        "restore_test s3": t.run("restore_test", "--data-item", "user-files", *history, timing=restore),
        **recoveries(t),
        "dr_readiness restore testing": scheduled_restores(t),
        "dr_drill": t.run(
            "dr_drill", "--yes", "--experiment", "database-failover", *history, timing=FAILOVER
        ),
        "failback": t.run(
            "failback",
            "--yes",
            timing=FailbackTiming(poll_seconds=1, database_timeout=60, service_timeout=60, dns_timeout=60),
            hooks=[LagAfterReplica(t.client).hook],
        ),
    }
    for name, run in runs.items():
        assert run.code == 0, f"{name}: {run.err}"
    return {name: run.recorder.actions() for name, run in runs.items()}


def scheduled_restores(t: Toolkit) -> Run:
    """Readiness with no restore test in the history and restore testing plans in the outputs: it
    asks AWS Backup for their results (answered here, as moto does not implement ListRestoreJobs)."""
    outputs = json.loads(json.dumps(t.estate.outputs))
    arn = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:orders_primary_database-1"
    outputs["inventory"]["regions"]["primary"]["restore_testing_plan_arns"] = {"database": arn}
    answer = RestoreJobsAnswer(datetime.now(UTC))
    empty = t.tmp_path / "no-history.jsonl"
    empty.write_text("")
    result = t.run(
        "dr_readiness", "--history", str(empty), outputs=t.outputs_file(outputs), hooks=[answer.hook]
    )
    assert answer.asked == [arn]
    return Run(0, result.out, result.err, result.report, result.markdown, result.recorder, result.clock)


def recoveries(t: Toolkit) -> dict[str, Run]:
    """recover.py on the primary's database (restored and cut over by its name) and on user-files
    (rolled back: copies and a delete marker)."""
    outputs = named(t)
    moment = restorable(t)
    point = exact(moment)
    bucket = t.estate.buckets["primary"]["user-files"]
    # S3 times versions to the second: an object written in the point's second existed at the point.
    if datetime.now(UTC).replace(microsecond=0) <= moment.replace(microsecond=0):
        next_second()
    t.client("s3", PRIMARY).put_object(Bucket=bucket, Key="later.json", Body=b"written after the point")
    return {
        "recover rds": recover(t, outputs, "--item", "database", "--to", point, "--yes"),
        "recover s3": recover(t, outputs, "--item", "user-files", "--to", point, "--yes"),
    }


def test_every_call_of_the_toolkit_is_allowed__only_restore_tests_delete(estate: MakeToolkit) -> None:
    actions = toolkit_actions(estate)
    for name, called in actions.items():
        assert called - allowed_actions() == set(), name
    deleting = {
        name: sorted(a for a in called if a.split(":")[1].startswith("Delete"))
        for name, called in actions.items()
    }
    assert deleting == {
        "dr_readiness": [],
        "restore_test primary": ["rds:DeleteDBInstance"],
        "restore_test dr": ["rds:DeleteDBInstance"],
        "restore_test s3": ["s3:DeleteBucket", "s3:DeleteObject"],
        "recover rds": [],
        "recover s3": ["s3:DeleteObject"],
        "dr_readiness restore testing": [],
        "dr_drill": [],
        "failback": [],
    }


def test_nothing_is_granted_that_no_script_calls(estate: MakeToolkit) -> None:
    called = set().union(*toolkit_actions(estate).values())
    # promote_dr in both strategies: the drill covers replica mode, a second world restore mode
    books = estate(mode="restore", service="books")
    topic = books.client("sns", DR).create_topic(Name="books-dr-alarms")["TopicArn"]
    books.estate.outputs["alarm_topic_arn"] = topic
    for extra in (("--dry-run",), ("--yes",), ("--yes",)):
        run = books.run("promote_dr", *extra, "--notify", timing=FAILOVER)
        assert run.code == 0, run.err
        assert "Publish" in run.recorder.operations("sns") or "--dry-run" in extra
        called |= run.recorder.actions()
    called |= stopped_experiment_actions(books)
    assert allowed_actions() - called == set(IMPLIED_ACTIONS)


def stopped_experiment_actions(t: Toolkit) -> set[str]:
    """A drill's experiment that FIS keeps pending past the RTO is stopped (StopExperiment)."""
    template_id = with_templates(t)["database-failover"]
    recorder = CallRecorder()
    state_manager.set_transition("fis::experiment", {"progression": "manual", "times": 1000})
    try:
        with pytest.raises(StepFailed):
            inject(
                Aws(fresh_session(), hooks=[recorder.hook]),
                ExperimentTemplate("database-failover", template_id, PRIMARY),
                clock=FakeClock(),
                timeout=10,
                poll_seconds=5,
                token="books-stop",
            )
    finally:
        state_manager.unset_transition("fis::experiment")
    assert "StopExperiment" in recorder.operations("fis")
    return recorder.actions()


def test_every_delete_granted_is_only_for_tagged_scratch_instances() -> None:
    for document in (operator_policy_document(scope()), operator_policy_document(named_scope())):
        deleting = [
            s for s in document["Statement"] if any(a.split(":")[1].startswith("Delete") for a in s["Action"])
        ]
        assert [s["Sid"] for s in deleting] == [
            "ScratchInstancesOnly",
            "RollBacksOfThisStack",
            "ScratchBuckets",
        ]
        instances, rollbacks, buckets = deleting
        # a roll-back only places delete markers: removing a version is never granted
        assert rollbacks["Action"] == ["s3:PutObject", "s3:DeleteObject"]
        assert not any("DeleteObjectVersion" in a for s in document["Statement"] for a in s["Action"])
        assert instances["Condition"] == {
            "StringLike": {"aws:ResourceTag/continuity:scratch": "restore-test-*"}
        }
        # S3 has no tag condition for deleting buckets: a restore test's scratch buckets are named so
        assert buckets["Resource"] == ["arn:aws:s3:::*-restore-test-*", "arn:aws:s3:::*-restore-test-*/*"]
    # and restores may only create instances that carry that tag
    by_sid = {s["Sid"]: s for s in operator_policy_document(scope())["Statement"]}
    assert by_sid["ScratchRestores"]["Condition"] == {
        "StringLike": {"aws:RequestTag/continuity:scratch": "restore-test-*"}
    }


def scope() -> OperatorScope:
    return OperatorScope(
        account_id="123456789012",
        primary_region="us-east-1",
        dr_region="us-west-2",
        db_instance_arns=[
            "arn:aws:rds:us-west-2:123456789012:db:orders-database-dr",
            "arn:aws:rds:us-east-1:123456789012:db:orders-database",
        ],
        ecs_cluster_arns=["arn:aws:ecs:us-west-2:123456789012:cluster/orders-dr"],
        ecs_service_arns=["arn:aws:ecs:us-west-2:123456789012:service/orders-dr/orders-api"],
        health_check_ids=["hc-1", "hc-2"],
        alarm_arns=["arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-primary-health"],
    )


def named_scope() -> OperatorScope:
    return OperatorScope(
        **{
            **scope().__dict__,
            "vault_arns": ["arn:aws:backup:us-east-1:123456789012:backup-vault:orders-primary"],
            "bucket_arns": ["arn:aws:s3:::orders-user-files-us-east-1"],
            "drill_history": "s3://orders-history/continuity/history.jsonl",
            "primary_ecs_service_arns": [
                "arn:aws:ecs:us-east-1:123456789012:service/orders-primary/orders-api"
            ],
            "primary_kms_key_arns": ["arn:aws:kms:us-east-1:123456789012:key/p"],
        }
    )


def test_document__the_toolkits_resources_named_or_this_accounts() -> None:
    named = {s["Sid"]: s for s in operator_policy_document(named_scope())["Statement"]}
    assert named["DrillHistory"]["Resource"] == ["arn:aws:s3:::orders-history/continuity/history.jsonl"]
    assert "Condition" not in named["DrillHistory"]
    assert named["BucketsOfThisStack"]["Resource"] == ["arn:aws:s3:::orders-user-files-us-east-1"]
    assert named["VaultsOfThisStack"]["Resource"] == [
        "arn:aws:backup:us-east-1:123456789012:backup-vault:orders-primary"
    ]
    assert named["PrimaryServicesRead"]["Resource"] == [
        "arn:aws:ecs:us-east-1:123456789012:service/orders-primary/orders-api"
    ]
    assert named["KeysInThePrimaryRegion"]["Resource"] == ["arn:aws:kms:us-east-1:123456789012:key/p"]
    assert (
        named["FailbackReplicas"]["Resource"][-1]
        == "arn:aws:rds:us-east-1:123456789012:db:orders-database-old-*"
    )
    fallback = {s["Sid"]: s for s in operator_policy_document(scope())["Statement"]}
    account = {"StringEquals": {"s3:ResourceAccount": "123456789012"}}
    assert (fallback["DrillHistory"]["Resource"], fallback["DrillHistory"]["Condition"]) == (
        ["arn:aws:s3:::*/*continuity-history*"],
        account,
    )
    assert (fallback["BucketsOfThisStack"]["Resource"], fallback["BucketsOfThisStack"]["Condition"]) == (
        ["arn:aws:s3:::*"],
        account,
    )
    assert fallback["VaultsOfThisStack"]["Resource"] == [
        "arn:aws:backup:us-east-1:123456789012:backup-vault:*",
        "arn:aws:backup:us-west-2:123456789012:backup-vault:*",
    ]


def test_document_grants_each_action_and_only_those() -> None:
    statements = operator_policy_document(scope())["Statement"]
    granted = {a for s in statements for a in s["Action"]}
    assert granted == allowed_actions()
    assert all(s["Effect"] == "Allow" for s in statements)


def test_document_scopes_what_aws_lets_it_scope() -> None:
    by_sid = {s["Sid"]: s for s in operator_policy_document(scope())["Statement"]}
    assert by_sid["ServicesOfThisStack"]["Resource"] == [
        "arn:aws:ecs:us-west-2:123456789012:service/orders-dr/orders-api"
    ]
    assert by_sid["HealthChecksOfThisStack"]["Resource"] == [
        "arn:aws:route53:::healthcheck/hc-1",
        "arn:aws:route53:::healthcheck/hc-2",
    ]
    assert by_sid["AlarmsOfThisStack"]["Resource"] == [
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-primary-health"
    ]
    assert by_sid["KeysForRestores"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "rds.us-west-2.amazonaws.com"
    }
    # where the scope names them, the zone and the keys are named too
    named = operator_policy_document(
        OperatorScope(
            **{
                **scope().__dict__,
                "hosted_zone_ids": ["/hostedzone/Z1"],
                "kms_key_arns": ["arn:aws:kms:us-west-2:1:key/k"],
            }
        )
    )
    named_by_sid = {s["Sid"]: s for s in named["Statement"]}
    assert named_by_sid["FailoverRecordsOfThisStack"]["Resource"] == ["arn:aws:route53:::hostedzone/Z1"]
    assert named_by_sid["KeysForRestores"]["Resource"] == ["arn:aws:kms:us-west-2:1:key/k"]


def test_no_action_is_listed_twice() -> None:
    listed = [a for actions in OPERATOR_ACTIONS.values() for a in actions]
    assert len(listed) == len(set(listed))
    assert all(a.startswith(f"{prefix}:") for prefix, actions in OPERATOR_ACTIONS.items() for a in actions)


def test_a_stack_without_ecs_services_gets_no_statement_with_empty_resources() -> None:
    # every service on Kubernetes: IAM refuses "Resource": [] ("Policy statement must contain resources")
    document = operator_policy_document(OperatorScope(**{**scope().__dict__, "ecs_service_arns": []}))
    assert all(s["Resource"] for s in document["Statement"])
    assert "ServicesOfThisStack" not in {s["Sid"] for s in document["Statement"]}
