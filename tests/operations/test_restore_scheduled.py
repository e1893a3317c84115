"""Readiness counts AWS Backup's scheduled restore tests beside the drill history's: the newest
completed job of an item's restore testing plan (ListRestoreJobs, answered here by a hook since moto
does not implement it), and an unknown, naming the error, when it cannot be read and the history has
nothing recent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from operations.aws import EventHook
from operations.restore.scheduled import latest_completed
from tests.operations.estate import history_entry
from tests.operations.toolkit import Toolkit, ready

Make = Callable[..., Toolkit]
NOW = datetime(2026, 3, 1, tzinfo=UTC)
PLAN_ARN = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:orders_primary_user_files-1f0c"


def job(job_id: str, completed: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "RestoreJobId": job_id,
        "CreationDate": completed - timedelta(minutes=20),
        "CompletionDate": completed,
        "Status": "COMPLETED",
        "SourceResourceArn": "arn:aws:s3:::orders-user-files",
        **extra,
    }


def test_latest_completed__newest_across_pages_without_failed_validations() -> None:
    backup = boto3.client("backup", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    since = NOW - timedelta(days=30)
    wanted = {"ByRestoreTestingPlanArn": PLAN_ARN, "ByStatus": "COMPLETED", "ByCompleteAfter": since}
    with Stubber(backup) as stub:
        stub.add_response(
            "list_restore_jobs",
            {"RestoreJobs": [job("a", NOW - timedelta(days=9))], "NextToken": "t"},
            wanted,
        )
        stub.add_response(
            "list_restore_jobs",
            {
                "RestoreJobs": [
                    job("b", NOW - timedelta(days=2)),
                    job("c", NOW - timedelta(days=1), ValidationStatus="FAILED"),
                ]
            },
            {**wanted, "NextToken": "t"},
        )
        found = latest_completed(backup, PLAN_ARN, since)
    assert found is not None
    assert (found.job_id, found.seconds) == ("b", 1200.0)


class RestoreJobsAnswer:
    """ListRestoreJobs, as AWS Backup would answer it for the plan named, with one completed job."""

    def __init__(self, completed: datetime) -> None:
        self.completed = completed
        self.asked: list[str] = []

    def _handler(
        self, model: Any, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "ListRestoreJobs":
            return None
        self.asked.append(str(params["query_string"].get("restoreTestingPlanArn")))
        return AWSResponse("https://backup", 200, {}, None), {
            "RestoreJobs": [job("scheduled-1", self.completed)],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    @property
    def hook(self) -> EventHook:
        return ("before-call", self._handler)


def stale_history_for_user_files(t: Toolkit) -> None:
    t.estate.history.write_text("")
    t.estate.write_history(
        history_entry("restore_test", age=timedelta(days=10), data_item="database"),
        history_entry("restore_test", age=timedelta(days=45), data_item="user-files"),
        history_entry("restore_test", age=timedelta(days=10), data_item="audit-logs"),
        history_entry("drill", age=timedelta(days=20)),
    )
    regions = t.estate.outputs["inventory"]["regions"]
    regions["primary"]["restore_testing_plan_arns"] = {"user-files": PLAN_ARN}


def test_readiness__a_scheduled_restore_test_counts(estate: Make) -> None:
    # GIVEN the history's restore test of user-files is 45 days old, and AWS Backup's restore testing
    # plan for it completed a restore 3 days ago
    t = ready(estate, stale_history_for_user_files)
    answer = RestoreJobsAnswer(datetime.now(UTC) - timedelta(days=3))
    # WHEN readiness runs
    result = t.run("dr_readiness", hooks=[answer.hook])
    # THEN that restore test passes on AWS Backup's word, read from the primary's plan
    check = result.check("restore-test user-files")
    assert check["verdict"] == "pass"
    assert check["measured"].startswith("3d ago")
    assert answer.asked == [PLAN_ARN]
    # AND items whose history is recent enough never ask AWS Backup
    assert result.code == 0, result.err


def test_readiness__unreadable_restore_testing_is_unknown_not_a_pass(estate: Make) -> None:
    # GIVEN the same, on moto, which does not implement ListRestoreJobs
    t = ready(estate, stale_history_for_user_files)
    result = t.run("dr_readiness")
    check = result.check("restore-test user-files")
    assert (check["verdict"], check["measured"]) == ("unknown", "not read")
    assert check["detail"].startswith("AWS Backup restore testing: 404 (ListRestoreJobs)")
    assert result.code == 1
