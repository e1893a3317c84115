"""RDS policies: a compliant stack passes; each case breaks one property and gets the exact violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_PLAN, changed, plan_document, write_plan
from tests.policies.conftest import EXAMPLES, Check, plan_at
from tests.policies.synthetic import (
    DELETE,
    RDS_BACKUP_REPLICATION,
    RDS_INSTANCE,
    STACK,
    stack_states,
    urn,
    without,
)
from tests.policies.synthetic import changed as set_prop

Mutation = Callable[[list], list]

DB = "orders-database-db"
DB_PRIMARY = urn("primary", RDS_INSTANCE, DB)
DB_DR = urn("dr", RDS_INSTANCE, DB)
STACK_PRIMARY = urn("primary", STACK, "continuity-primary")
STACK_DR = urn("dr", STACK, "continuity-dr")
ITEM = 'plan data "database" (tier critical)'
BACKUP_RESTORE = EXAMPLES / "cloud-optimizer.yaml"


def primary() -> list:
    return stack_states(plan_at(DEFAULT_PLAN), "primary")


def dr(promoted: bool = False) -> list:
    return stack_states(plan_at(DEFAULT_PLAN), "dr", promoted=promoted)


def unchanged(states: list) -> list:
    return states


def prop(path: str, value: object, name: str = DB) -> Mutation:
    return lambda states: set_prop(states, name, path, value)


@pytest.mark.parametrize(
    ("stack", "mutation", "expected"),
    [
        pytest.param(primary, unchanged, [], id="baseline"),
        pytest.param(dr, unchanged, [], id="live_replica_not_judged"),
        pytest.param(
            primary,
            prop("backupRetentionPeriod", 2.0),
            [(DB_PRIMARY, f"backupRetentionPeriod is 2 days; {ITEM} keeps 30 days")],
            id="retention_shorter",
        ),
        pytest.param(
            primary,
            prop("backupRetentionPeriod", 0.0),
            [
                (
                    DB_PRIMARY,
                    f"backupRetentionPeriod is 0 days, which turns point-in-time recovery off; {ITEM} keeps 30 days",
                )
            ],
            id="retention_zero",
        ),
        pytest.param(
            primary,
            prop("backupRetentionPeriod", DELETE),
            [(DB_PRIMARY, f"backupRetentionPeriod is not set (RDS keeps 1 day); {ITEM} keeps 30 days")],
            id="retention_missing",
        ),
        pytest.param(
            lambda: dr(promoted=True),
            prop("backupRetentionPeriod", 7.0),
            [(DB_DR, f"backupRetentionPeriod is 7 days; {ITEM} keeps 30 days")],
            id="promoted_replica_retention_shorter",
        ),
        pytest.param(primary, prop("tags", DELETE), [], id="untagged_instance_not_judged"),
        pytest.param(primary, prop("tags.continuity:service", "billing"), [], id="other_service_not_judged"),
    ],
)
def test_rds_instance_require_backup_retention(
    violations: Check, stack: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    # GIVEN a stack with one property broken  WHEN the pack runs  THEN exactly these violations
    assert violations("rds-instance-require-backup-retention", mutation(stack())) == expected


def test_rds_instance_require_backup_retention__beyond_rds_maximum(violations: Check, tmp_path: Path) -> None:
    # GIVEN a daily database kept 90 days: RDS keeps 35, AWS Backup the rest
    document = changed(
        plan_document(),
        "data.database",
        {"tier": "important", "store": "rds", "frequency": "1h", "retention": "90d"},
    )
    plan = write_plan(tmp_path, document)
    states = set_prop(stack_states(plan_at(plan), "primary"), DB, "backupRetentionPeriod", 30.0)
    # THEN the message names what RDS can keep of the plan's retention
    assert violations("rds-instance-require-backup-retention", states, plan) == [
        (
            DB_PRIMARY,
            'backupRetentionPeriod is 30 days; plan data "database" (tier important) keeps 35 days '
            "(retention 90d, within RDS's 1-35 days)",
        )
    ]


@pytest.mark.parametrize(
    ("stack", "mutation", "expected"),
    [
        pytest.param(primary, unchanged, [], id="baseline"),
        pytest.param(dr, unchanged, [], id="live_replica_not_judged"),
        pytest.param(
            primary,
            prop("multiAz", False),
            [(DB_PRIMARY, f"multiAz is false; {ITEM} has no standby in another availability zone")],
            id="single_az",
        ),
        pytest.param(
            primary,
            prop("multiAz", DELETE),
            [(DB_PRIMARY, f"multiAz is not set; {ITEM} has no standby in another availability zone")],
            id="multi_az_missing",
        ),
        pytest.param(
            lambda: dr(promoted=True),
            prop("multiAz", False),
            [(DB_DR, f"multiAz is false; {ITEM} has no standby in another availability zone")],
            id="promoted_replica_single_az",
        ),
    ],
)
def test_rds_instance_enable_multi_az(
    violations: Check, stack: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("rds-instance-enable-multi-az", mutation(stack())) == expected


@pytest.mark.parametrize(
    ("stack", "mutation", "expected"),
    [
        pytest.param(primary, unchanged, [], id="baseline"),
        pytest.param(dr, unchanged, [], id="replica_baseline"),
        pytest.param(
            primary,
            prop("deletionProtection", False),
            [(DB_PRIMARY, f"deletionProtection is false; {ITEM} could be deleted in one call")],
            id="unprotected",
        ),
        pytest.param(
            dr,
            prop("deletionProtection", DELETE),
            [(DB_DR, f"deletionProtection is not set; {ITEM} could be deleted in one call")],
            id="replica_unprotected",
        ),
    ],
)
def test_rds_instance_enable_deletion_protection(
    violations: Check, stack: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("rds-instance-enable-deletion-protection", mutation(stack())) == expected


KEY = f"{ITEM} needs encryption with a customer managed KMS key"


@pytest.mark.parametrize(
    ("stack", "mutation", "expected"),
    [
        pytest.param(primary, unchanged, [], id="baseline"),
        pytest.param(dr, unchanged, [], id="replica_baseline"),
        pytest.param(
            primary,
            prop("storageEncrypted", False),
            [(DB_PRIMARY, f"storageEncrypted is false; {KEY}")],
            id="unencrypted",
        ),
        pytest.param(
            primary,
            prop("kmsKeyId", DELETE),
            [(DB_PRIMARY, f"kmsKeyId is not set (the AWS managed key aws/rds); {KEY}")],
            id="default_key",
        ),
        pytest.param(
            primary,
            prop("kmsKeyId", "arn:aws:kms:us-east-1:123456789012:alias/aws/rds"),
            [
                (
                    DB_PRIMARY,
                    f"kmsKeyId is arn:aws:kms:us-east-1:123456789012:alias/aws/rds, an AWS managed key; {KEY}",
                )
            ],
            id="aws_managed_alias",
        ),
        pytest.param(
            dr,
            prop("kmsKeyId", DELETE),
            [(DB_DR, f"kmsKeyId is not set (the AWS managed key aws/rds); {KEY}")],
            id="replica_default_key",
        ),
        pytest.param(dr, prop("storageEncrypted", DELETE), [], id="replica_inherits_encryption"),
    ],
)
def test_rds_instance_require_customer_key(
    violations: Check, stack: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("rds-instance-require-customer-key", mutation(stack())) == expected


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        pytest.param(unchanged, [], id="baseline"),
        pytest.param(prop("publiclyAccessible", DELETE), [], id="default_private"),
        pytest.param(
            prop("publiclyAccessible", True),
            [(DB_PRIMARY, f"publiclyAccessible is true; {ITEM} must not be reachable from the internet")],
            id="public",
        ),
    ],
)
def test_rds_instance_disallow_public_access(violations: Check, mutation: Mutation, expected: list) -> None:
    assert violations("rds-instance-disallow-public-access", mutation(primary())) == expected


@pytest.mark.parametrize(
    ("stack", "mutation", "expected"),
    [
        pytest.param(primary, unchanged, [], id="baseline"),
        pytest.param(dr, prop("finalSnapshotIdentifier", DELETE), [], id="live_replica_not_judged"),
        pytest.param(
            primary,
            prop("skipFinalSnapshot", True),
            [(DB_PRIMARY, f"skipFinalSnapshot is true; deleting it would drop {ITEM} without a snapshot")],
            id="skipped",
        ),
        pytest.param(
            primary,
            prop("finalSnapshotIdentifier", DELETE),
            [
                (
                    DB_PRIMARY,
                    f"finalSnapshotIdentifier is not set; the final snapshot of {ITEM} needs a name (skipFinalSnapshot is false)",
                )
            ],
            id="unnamed",
        ),
    ],
)
def test_rds_instance_require_final_snapshot(
    violations: Check, stack: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("rds-instance-require-final-snapshot", mutation(stack())) == expected


REPLICATION = "orders-database-backups"
REPLICATION_DR = urn("dr", RDS_BACKUP_REPLICATION, REPLICATION)
REPLICATION_KIND = "aws:rds/instanceAutomatedBackupsReplication"
CO_ITEM = 'plan data "database" (tier mission-critical)'


def backup_restore_dr() -> list:
    return stack_states(plan_at(BACKUP_RESTORE), "dr")


@pytest.mark.parametrize(
    ("stack", "plan", "mutation", "expected"),
    [
        pytest.param(dr, DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(primary, DEFAULT_PLAN, unchanged, [], id="primary_not_judged"),
        pytest.param(lambda: dr(promoted=True), DEFAULT_PLAN, unchanged, [], id="promoted_baseline"),
        pytest.param(
            dr,
            DEFAULT_PLAN,
            lambda s: without(s, REPLICATION),
            [
                (
                    DB_DR,
                    f"no {REPLICATION_KIND} has sourceDbInstanceArn equal to this replica's replicateSourceDb; "
                    f"{ITEM} has copy_to_dr true",
                )
            ],
            id="replication_missing",
        ),
        pytest.param(
            dr,
            DEFAULT_PLAN,
            prop("sourceDbInstanceArn", "arn:aws:rds:us-east-1:123456789012:db:elsewhere", REPLICATION),
            [
                (
                    DB_DR,
                    f"no {REPLICATION_KIND} has sourceDbInstanceArn equal to this replica's replicateSourceDb; "
                    f"{ITEM} has copy_to_dr true",
                )
            ],
            id="replication_of_another_database",
        ),
        pytest.param(
            dr,
            DEFAULT_PLAN,
            prop("retentionPeriod", 7.0, REPLICATION),
            [(REPLICATION_DR, f"retentionPeriod is 7 days; {ITEM} keeps 30 days")],
            id="retention_shorter",
        ),
        pytest.param(
            dr,
            DEFAULT_PLAN,
            prop("retentionPeriod", DELETE, REPLICATION),
            [(REPLICATION_DR, f"retentionPeriod is not set (AWS keeps 7 days); {ITEM} keeps 30 days")],
            id="retention_missing",
        ),
        pytest.param(backup_restore_dr, BACKUP_RESTORE, unchanged, [], id="backup_restore_baseline"),
        pytest.param(
            backup_restore_dr,
            BACKUP_RESTORE,
            lambda s: without(s, "cloud-optimizer-database-backups"),
            [(STACK_DR, f"no {REPLICATION_KIND} in this stack; {CO_ITEM} has copy_to_dr true")],
            id="backup_restore_replication_missing",
        ),
        pytest.param(
            backup_restore_dr,
            BACKUP_RESTORE,
            prop("retentionPeriod", 7.0, "cloud-optimizer-database-backups"),
            [
                (
                    urn("dr", RDS_BACKUP_REPLICATION, "cloud-optimizer-database-backups"),
                    f"retentionPeriod is 7 days; {CO_ITEM} keeps 30 days",
                )
            ],
            id="backup_restore_retention_shorter",
        ),
    ],
)
def test_rds_instance_require_backup_replication(
    violations: Check, stack: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("rds-instance-require-backup-replication", mutation(stack()), plan) == expected


@pytest.mark.parametrize(
    ("stack", "plan", "mutation", "expected"),
    [
        pytest.param(primary, DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(dr, DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(backup_restore_dr, BACKUP_RESTORE, unchanged, [], id="backup_restore_keeps_no_replica"),
        pytest.param(
            primary,
            DEFAULT_PLAN,
            lambda s: without(s, DB),
            [
                (
                    STACK_PRIMARY,
                    f'{ITEM} has no aws:rds/instance:Instance tagged continuity:data-item "database" in the primary stack',
                )
            ],
            id="database_missing",
        ),
        pytest.param(
            dr,
            DEFAULT_PLAN,
            lambda s: without(s, DB),
            [
                (
                    STACK_DR,
                    f'{ITEM} has no aws:rds/instance:Instance tagged continuity:data-item "database" in the DR stack '
                    "(strategy warm-standby keeps a replica there)",
                )
            ],
            id="replica_missing",
        ),
        pytest.param(
            primary,
            DEFAULT_PLAN,
            prop("tags.continuity:data-item", "ghost"),
            [
                (
                    DB_PRIMARY,
                    'continuity:data-item is "ghost"; the plan has no such entry (data: database, user-files, audit-logs)',
                ),
                (
                    STACK_PRIMARY,
                    f'{ITEM} has no aws:rds/instance:Instance tagged continuity:data-item "database" in the primary stack',
                ),
            ],
            id="tagged_with_unknown_item",
        ),
        pytest.param(
            primary,
            DEFAULT_PLAN,
            prop("tags.continuity:data-item", "user-files"),
            [
                (
                    DB_PRIMARY,
                    'continuity:data-item is "user-files", which the plan keeps in s3, not on aws:rds/instance:Instance',
                ),
                (
                    STACK_PRIMARY,
                    f'{ITEM} has no aws:rds/instance:Instance tagged continuity:data-item "database" in the primary stack',
                ),
            ],
            id="tagged_with_item_of_another_store",
        ),
    ],
)
def test_rds_instance_require_coverage(
    violations: Check, stack: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("rds-instance-require-coverage", mutation(stack()), plan) == expected
