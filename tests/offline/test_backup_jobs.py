"""The emulated AWS Backup recovery points and restore jobs (offline/backup_jobs.py): what the
"AWS Backup ran the rules" stage records from the deployed plans and the declared selections, and
the two list operations answering from it with AWS's filters and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from offline.backup_jobs import run_rules
from offline.moto_fidelity import Fidelity, aws_fidelity
from offline.program import RecordedResource, StackRun

PRIMARY, DR = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ITEM_TAGS = {
    "continuity:service": "orders",
    "continuity:data-item": "database",
    "continuity:backup": "active",
}
CONDITIONS = [{"stringEquals": [{"key": f"aws:ResourceTag/{k}", "value": v} for k, v in ITEM_TAGS.items()]}]
DR_VAULT_ARN = f"arn:aws:backup:{DR}:{ACCOUNT}:backup-vault:orders-dr"
PLAN_ARN = f"arn:aws:backup:{DR}:{ACCOUNT}:restoretestingplan/orders-dr-database-1a2b3c4d"


def resource(typ: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> RecordedResource:
    return RecordedResource(f"urn:{typ}", typ, typ, True, inputs, outputs or {}, None, [], {}, "")


@pytest.fixture
def fidelity(aws_credentials: None) -> Iterator[Fidelity]:
    # The routes are patched before moto starts, as the rehearsal's emulator has them.
    with aws_fidelity(Fidelity()) as patched, mock_aws():
        yield patched


def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def deployed(fidelity: Fidelity) -> tuple[StackRun, StackRun, str]:
    """A primary with a tagged database (and an untagged one) whose plan copies to DR, and a DR
    restore testing plan over the DR vault."""
    for region, vault in ((PRIMARY, "orders-primary"), (DR, "orders-dr")):
        client("backup", region).create_backup_vault(BackupVaultName=vault)
    rds = client("rds", PRIMARY)
    for name, tags in (("orders-database", ITEM_TAGS), ("scratch", {})):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            MasterUsername="u",
            MasterUserPassword="password123",
            AllocatedStorage=20,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    plan = client("backup", PRIMARY).create_backup_plan(
        BackupPlan={
            "BackupPlanName": "orders-database",
            "Rules": [
                {
                    "RuleName": "database",
                    "TargetBackupVaultName": "orders-primary",
                    "ScheduleExpression": "cron(0 * * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "RecoveryPointTags": ITEM_TAGS,
                    "CopyActions": [
                        {"DestinationBackupVaultArn": DR_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": 35}}
                    ],
                }
            ],
        }
    )
    primary = StackRun("continuity", "primary", PRIMARY, {})
    primary.resources = [
        resource("aws:backup/selection:Selection", {"planId": plan["BackupPlanId"], "conditions": CONDITIONS})
    ]
    dr = StackRun("continuity", "dr", DR, {})
    dr.resources = [
        resource(
            "aws:backup/restoreTestingPlan:RestoreTestingPlan",
            {"name": "orders_dr_database", "recoveryPointSelection": {"includeVaults": [DR_VAULT_ARN]}},
            {"arn": PLAN_ARN},
        ),
        resource(
            "aws:backup/restoreTestingSelection:RestoreTestingSelection",
            {
                "restoreTestingPlanName": "orders_dr_database",
                "protectedResourceType": "RDS",
                "protectedResourceConditions": {"stringEquals": CONDITIONS[0]["stringEquals"]},
            },
        ),
    ]
    arn = rds.describe_db_instances(DBInstanceIdentifier="orders-database")["DBInstances"][0]["DBInstanceArn"]
    return primary, dr, arn


def test_run_rules__a_point_per_selected_resource_a_copy_in_dr_and_a_restore_test(fidelity: Fidelity) -> None:
    # GIVEN a deployed plan selecting one of two databases by tag, copying to DR
    primary, dr, database = deployed(fidelity)
    # WHEN AWS Backup runs the rules once
    ran = run_rules(client, fidelity.backups, [primary, dr], ACCOUNT, NOW)
    # THEN one recovery point of the tagged database, its copy in DR, and one restore job of the copy
    assert (ran.recovery_points, ran.copies, ran.restore_jobs, ran.untested) == (1, 1, 1, [])
    points = client("backup", PRIMARY).list_recovery_points_by_backup_vault(BackupVaultName="orders-primary")
    assert [(p["ResourceArn"], p["ResourceType"], p["Status"]) for p in points["RecoveryPoints"]] == [
        (database, "RDS", "COMPLETED")
    ]
    assert points["RecoveryPoints"][0]["RecoveryPointArn"].startswith(
        f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:snapshot:awsbackup:job-"
    )
    copies = client("backup", DR).list_recovery_points_by_backup_vault(
        BackupVaultName="orders-dr", ByResourceArn=database
    )["RecoveryPoints"]
    assert [(c["SourceBackupVaultArn"], c["CreationDate"]) for c in copies] == [
        (f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:backup-vault:orders-primary", NOW)
    ]
    jobs = client("backup", DR).list_restore_jobs(ByRestoreTestingPlanArn=PLAN_ARN, ByStatus="COMPLETED")
    assert [(j["RecoveryPointArn"], j["SourceResourceArn"]) for j in jobs["RestoreJobs"]] == [
        (copies[0]["RecoveryPointArn"], database)
    ]


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({}, 1),
        ({"ByRestoreTestingPlanArn": PLAN_ARN + "-other"}, 0),
        ({"ByStatus": "FAILED"}, 0),
        ({"ByCompleteAfter": NOW - timedelta(days=31)}, 1),
        ({"ByCompleteAfter": NOW + timedelta(seconds=1)}, 0),
    ],
    ids=["all", "another-plan", "another-status", "completed-after", "completed-before"],
)
def test_list_restore_jobs__filters(fidelity: Fidelity, filters: dict[str, Any], found: int) -> None:
    primary, dr, _ = deployed(fidelity)
    run_rules(client, fidelity.backups, [primary, dr], ACCOUNT, NOW)
    assert len(client("backup", DR).list_restore_jobs(**filters)["RestoreJobs"]) == found
    assert client("backup", PRIMARY).list_restore_jobs(**filters)["RestoreJobs"] == []


def test_list_recovery_points__pages_and_an_unknown_vault(fidelity: Fidelity) -> None:
    primary, _, _ = deployed(fidelity)
    for hour in range(3):
        run_rules(client, fidelity.backups, [primary], ACCOUNT, NOW + timedelta(hours=hour))
    backup = client("backup", PRIMARY)
    first = backup.list_recovery_points_by_backup_vault(BackupVaultName="orders-primary", MaxResults=2)
    rest = backup.list_recovery_points_by_backup_vault(
        BackupVaultName="orders-primary", MaxResults=2, NextToken=first["NextToken"]
    )
    created = [p["CreationDate"] for p in first["RecoveryPoints"] + rest["RecoveryPoints"]]
    assert created == [NOW + timedelta(hours=h) for h in (2, 1, 0)]  # newest first
    assert "NextToken" not in rest
    with pytest.raises(ClientError) as err:
        backup.list_recovery_points_by_backup_vault(BackupVaultName="no-such-vault")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_nothing_ran__nothing_listed(fidelity: Fidelity) -> None:
    # GIVEN a deployed plan that AWS Backup has not run: the vault is empty, not made up
    deployed(fidelity)
    listed = client("backup", PRIMARY).list_recovery_points_by_backup_vault(BackupVaultName="orders-primary")
    assert listed["RecoveryPoints"] == []
