"""functions/promote_replica/handler.py against moto: the Region switch custom action promotes the
replica (or restores the replicated backups), applies the plan's settings once writable, and a
second call after it settled changes nothing.

moto keeps a promoted replica's source and cannot restore replicated backups; the emulator's
fidelity layer (offline/moto_fidelity.py) makes it behave as AWS does, as in the failover tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.promote_replica import handler as promote
from offline.moto_fidelity import Fidelity, ReplicatedBackups, aws_fidelity

PRIMARY, DR = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"
REPLICA = {
    "identifier": "orders-database-dr",
    "mode": "replica",
    "backup_retention_days": 30,
    "multi_az": True,
    "deletion_protection": True,
}
BACKUPS_ARN = f"arn:aws:rds:{DR}:{ACCOUNT}:auto-backup:ab-orders-database"
RESTORE = {
    "identifier": "orders-database-dr",
    "mode": "restore",
    "backup_retention_days": 7,
    "multi_az": True,
    "deletion_protection": True,
    "automated_backups_arn": BACKUPS_ARN,
    "instance_class": "db.t4g.medium",
    "security_group_ids": [],
}


@pytest.fixture
def clients(aws_credentials: None) -> Iterator[tuple[Any, Any, Fidelity]]:
    with mock_aws(), aws_fidelity(Fidelity()) as fidelity:
        yield boto3.client("rds", PRIMARY), boto3.client("rds", DR), fidelity


def primary_instance(rds: Any) -> dict[str, Any]:
    return rds.create_db_instance(
        DBInstanceIdentifier="orders-database",
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="orders",
        MasterUserPassword="not-a-secret-1",
        BackupRetentionPeriod=30,
        MultiAZ=True,
    )["DBInstance"]


def replica(east: Any, west: Any, *, deletion_protection: bool = False) -> dict[str, Any]:
    source = primary_instance(east)
    return west.create_db_instance_read_replica(
        DBInstanceIdentifier=REPLICA["identifier"],
        SourceDBInstanceIdentifier=source["DBInstanceArn"],
        DBInstanceClass="db.t4g.medium",
        DeletionProtection=deletion_protection,
    )["DBInstance"]


def settle_until_done(
    rds: Any, databases: list[dict[str, Any]], calls: int = 5
) -> tuple[list[str], dict[str, Any]]:
    """Call as Region switch does: again after every NotSettled, up to ``calls`` times."""
    waits: list[str] = []
    for _ in range(calls):
        try:
            return waits, promote.settle(rds, databases)
        except promote.NotSettled as err:
            waits.append(str(err))
    raise AssertionError(f"not settled after {calls} calls: {waits}")


def describe(rds: Any, identifier: str) -> dict[str, Any]:
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def test_settle__replica__promoted_then_given_the_plan_settings(clients: tuple[Any, Any, Fidelity]) -> None:
    # GIVEN a cross-region read replica without the plan's Multi-AZ, protection and retention
    east, west, _ = clients
    replica(east, west)
    # WHEN Region switch calls the action until it succeeds
    waits, result = settle_until_done(west, [REPLICA])
    # THEN the first call promotes, the second finds it writable and applies the plan
    assert waits == ["orders-database-dr: promoting"]
    assert result == {
        "settled": True,
        "databases": {
            # the promotion itself set the retention; protection is what is left
            "orders-database-dr": "orders-database-dr: writable; modified DeletionProtection=true"
        },
    }
    found = describe(west, "orders-database-dr")
    assert found.get("ReadReplicaSourceDBInstanceIdentifier") is None
    assert (found["DeletionProtection"], found["BackupRetentionPeriod"]) == (True, 30)


def test_settle__replica_promoted_by_the_native_step__only_settings(
    clients: tuple[Any, Any, Fidelity],
) -> None:
    # GIVEN the plan's RdsPromoteReadReplica step already promoted it (and protection is on)
    east, west, _ = clients
    replica(east, west, deletion_protection=True)
    west.promote_read_replica(DBInstanceIdentifier="orders-database-dr", BackupRetentionPeriod=30)
    # WHEN the action runs  THEN it settles in one call, promoting nothing
    assert promote.settle(west, [REPLICA]) == {
        "settled": True,
        "databases": {"orders-database-dr": "orders-database-dr: writable, as the plan asks"},
    }


def test_settle__idempotent_after_settling(clients: tuple[Any, Any, Fidelity]) -> None:
    east, west, _ = clients
    replica(east, west)
    settle_until_done(west, [REPLICA])
    before = describe(west, "orders-database-dr")
    assert promote.settle(west, [REPLICA])["databases"] == {
        "orders-database-dr": "orders-database-dr: writable, as the plan asks"
    }
    assert describe(west, "orders-database-dr")["DbiResourceId"] == before["DbiResourceId"]


def test_settle__restore__from_the_replicated_backups(clients: tuple[Any, Any, Fidelity]) -> None:
    # GIVEN backup-restore: the primary's automated backups replicated to DR, no DR instance yet
    east, west, fidelity = clients
    source = primary_instance(east)
    fidelity.replicate_backups(
        ReplicatedBackups(
            arn=BACKUPS_ARN,
            source_arn=source["DBInstanceArn"],
            source_identifier="orders-database",
            source_region=PRIMARY,
            region=DR,
            retention_days=7,
            started=datetime.now(UTC),
        )
    )
    # WHEN Region switch calls the action  THEN it restores once, then reports it writable
    waits, result = settle_until_done(west, [RESTORE])
    assert waits == [f"orders-database-dr: restoring from {BACKUPS_ARN}"]
    assert result["databases"] == {"orders-database-dr": "orders-database-dr: writable, as the plan asks"}
    found = describe(west, "orders-database-dr")
    assert (found["MultiAZ"], found["DeletionProtection"], found["BackupRetentionPeriod"]) == (True, True, 7)
    tags = {
        t["Key"]: t["Value"]
        for t in west.list_tags_for_resource(ResourceName=found["DBInstanceArn"])["TagList"]
    }
    assert tags[promote.RESTORED_BY] == "region-switch"


def test_settle__missing_replica_fails_without_retry(clients: tuple[Any, Any, Fidelity]) -> None:
    _, west, _ = clients
    with pytest.raises(promote.DatabaseFailed) as err:
        promote.settle(west, [REPLICA])
    assert (
        str(err.value) == "orders-database-dr: not found; a replica-mode database must exist to be promoted"
    )


def test_settle__waits_for_every_database(clients: tuple[Any, Any, Fidelity]) -> None:
    # GIVEN a replica, and backups of another database replicated for a restore
    east, west, fidelity = clients
    replica(east, west)
    source = describe(east, "orders-database")
    fidelity.replicate_backups(
        ReplicatedBackups(
            BACKUPS_ARN, source["DBInstanceArn"], "orders-database", PRIMARY, DR, 7, datetime.now(UTC)
        )
    )
    ledger = {**RESTORE, "identifier": "orders-ledger-dr"}
    # WHEN the action first runs  THEN it reports both still on their way
    with pytest.raises(promote.NotSettled) as err:
        promote.settle(west, [REPLICA, ledger])
    assert str(err.value) == (
        f"orders-database-dr: promoting; orders-ledger-dr: restoring from {BACKUPS_ARN}"
    )
    # AND the next call finishes both
    assert set(promote.settle(west, [REPLICA, ledger])["databases"]) == {
        "orders-database-dr",
        "orders-ledger-dr",
    }


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "CONTINUITY_DATABASES is not set"),
        (
            {"CONTINUITY_DATABASES": "{"},
            "CONTINUITY_DATABASES is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        ({"CONTINUITY_DATABASES": "{}"}, "CONTINUITY_DATABASES must be a list of databases"),
        ({"CONTINUITY_DATABASES": "[1]"}, "CONTINUITY_DATABASES[0] is not a mapping"),
        (
            {"CONTINUITY_DATABASES": json.dumps([{k: v for k, v in REPLICA.items() if k != "multi_az"}])},
            "CONTINUITY_DATABASES[0].multi_az is missing",
        ),
        (
            {"CONTINUITY_DATABASES": json.dumps([{**REPLICA, "mode": "copy"}])},
            "CONTINUITY_DATABASES[0].mode is 'copy', not replica or restore",
        ),
        (
            {"CONTINUITY_DATABASES": json.dumps([{**RESTORE, "automated_backups_arn": ""}])},
            "CONTINUITY_DATABASES[0].automated_backups_arn is missing",
        ),
    ],
)
def test_databases_from_environment__refuses_bad_configuration(
    environment: dict[str, str], message: str
) -> None:
    with pytest.raises(promote.ConfigurationError) as err:
        promote.databases_from_environment(environment)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        ({"MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 30}, {}),
        ({"MultiAZ": False, "DeletionProtection": True, "BackupRetentionPeriod": 30}, {"MultiAZ": True}),
        (
            {
                "MultiAZ": False,
                "DeletionProtection": True,
                "BackupRetentionPeriod": 30,
                "PendingModifiedValues": {"MultiAZ": True},
            },
            {},
        ),
        ({"MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 35}, {}),  # never shortened
        (
            {"MultiAZ": True, "DeletionProtection": False, "BackupRetentionPeriod": 7},
            {"DeletionProtection": True, "BackupRetentionPeriod": 30},
        ),
    ],
)
def test_changes_needed__only_raises_protection(instance: dict[str, Any], expected: dict[str, Any]) -> None:
    assert promote.changes_needed(instance, REPLICA) == expected


def test_handler__reads_its_databases_and_region_from_the_environment(
    clients: tuple[Any, Any, Fidelity], monkeypatch: pytest.MonkeyPatch
) -> None:
    east, west, _ = clients
    replica(east, west)
    monkeypatch.setenv("AWS_DEFAULT_REGION", DR)
    monkeypatch.setenv(promote.DATABASES_ENV, json.dumps([REPLICA]))
    with pytest.raises(promote.NotSettled):
        promote.handler({"source": "arc-region-switch"}, None)
    assert promote.handler({}, None)["settled"] is True
