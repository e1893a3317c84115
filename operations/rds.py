"""RDS for the operational scripts: what an instance's description means, and the few calls made.

How a promoted replica is recognised matters more than anything else here, because every step
must resume after a crash. On AWS an instance is a standalone writable instance when its
description has no ``ReadReplicaSourceDBInstanceIdentifier``, no ``StatusInfos`` entry of type
``read replication``, and status ``available``. (moto 5.2.5 does not clear the source field on
promotion; the tests patch moto to behave like AWS, see tests/operations/world.py.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from operations.aws import arn_region, error_code

AVAILABLE = "available"
# Statuses from which an instance does not recover by waiting (RDS User Guide, "Viewing Amazon
# RDS DB instance status"); a step that meets one stops and says so.
BROKEN_STATUSES = frozenset(
    {
        "failed",
        "incompatible-credentials",
        "incompatible-network",
        "incompatible-option-group",
        "incompatible-parameters",
        "incompatible-restore",
        "inaccessible-encryption-credentials",
        "restore-error",
        "storage-full",
        "deleting",
        "stopped",
        "stopping",
    }
)
NOT_FOUND = frozenset({"DBInstanceNotFound", "DBInstanceNotFoundFault"})


@dataclass(frozen=True)
class InstanceView:
    identifier: str
    arn: str
    status: str
    replica_source: str | None  # ReadReplicaSourceDBInstanceIdentifier (an ARN across regions)
    replication_status: str | None  # StatusInfos "read replication": replicating, error, ...
    replication_message: str | None
    multi_az: bool
    pending_multi_az: bool | None
    deletion_protection: bool
    backup_retention: int
    pending_backup_retention: int | None
    latest_restorable_time: datetime | None

    @property
    def region(self) -> str | None:
        return arn_region(self.arn)

    @property
    def is_replica(self) -> bool:
        return self.replica_source is not None or self.replication_status is not None

    @property
    def writable(self) -> bool:
        """A standalone instance that accepts connections: promotion (or a restore) has finished."""
        return not self.is_replica and self.status == AVAILABLE

    @property
    def broken(self) -> bool:
        return self.status in BROKEN_STATUSES

    def replica_of(self, source_arn: str, source_identifier: str) -> bool:
        # Cross-region replicas name their source by ARN; same-region ones by identifier.
        return self.replica_source in (source_arn, source_identifier)

    def describe(self) -> str:
        role = "read replica" if self.is_replica else "standalone"
        return f"{self.status} ({role})"


def view_instance(raw: Mapping[str, Any]) -> InstanceView:
    infos = [s for s in raw.get("StatusInfos") or [] if s.get("StatusType") == "read replication"]
    pending = raw.get("PendingModifiedValues") or {}
    return InstanceView(
        identifier=raw["DBInstanceIdentifier"],
        arn=raw.get("DBInstanceArn", ""),
        status=raw.get("DBInstanceStatus", "unknown"),
        replica_source=raw.get("ReadReplicaSourceDBInstanceIdentifier") or None,
        replication_status=infos[0].get("Status") if infos else None,
        replication_message=infos[0].get("Message") if infos else None,
        multi_az=bool(raw.get("MultiAZ", False)),
        pending_multi_az=pending.get("MultiAZ"),
        deletion_protection=bool(raw.get("DeletionProtection", False)),
        backup_retention=int(raw.get("BackupRetentionPeriod") or 0),
        pending_backup_retention=pending.get("BackupRetentionPeriod"),
        latest_restorable_time=raw.get("LatestRestorableTime"),
    )


def modifications_needed(
    view: InstanceView, *, multi_az: bool, deletion_protection: bool, backup_retention_days: int
) -> dict[str, Any]:
    """What ``modify_db_instance`` must still change for the plan; empty when nothing.

    Protection is only ever raised, never lowered: a plan without Multi-AZ leaves an instance
    that has it alone, and a shorter retention never shortens what is kept.
    """
    changes: dict[str, Any] = {}
    if multi_az and not view.multi_az and view.pending_multi_az is not True:
        changes["MultiAZ"] = True
    if deletion_protection and not view.deletion_protection:
        changes["DeletionProtection"] = True
    pending = view.pending_backup_retention
    if view.backup_retention < backup_retention_days and (pending is None or pending < backup_retention_days):
        changes["BackupRetentionPeriod"] = backup_retention_days
    return changes


def describe_instance(rds: Any, identifier: str) -> InstanceView | None:
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        raise
    return view_instance(found[0]) if found else None


def promote_read_replica(rds: Any, identifier: str, backup_retention_days: int) -> bool:
    """Start promoting; False when RDS says the instance is already on its way (a re-run)."""
    try:
        rds.promote_read_replica(DBInstanceIdentifier=identifier, BackupRetentionPeriod=backup_retention_days)
    except ClientError as exc:
        # A replica that is already promoting, or already promoted between our describe and this
        # call, is refused with InvalidDBInstanceState: the wait that follows sees it through.
        if error_code(exc) in ("InvalidDBInstanceState", "InvalidDBInstanceStateFault"):
            return False
        raise
    return True


def modify_instance(rds: Any, identifier: str, changes: Mapping[str, Any]) -> None:
    # ApplyImmediately: without it RDS waits for the next maintenance window. Multi-AZ is
    # added online (status "modifying"); the instance keeps serving while it converts.
    rds.modify_db_instance(DBInstanceIdentifier=identifier, ApplyImmediately=True, **changes)


@dataclass(frozen=True)
class ReplicatedBackups:
    """Automated backups replicated into the DR region (backup-restore strategy)."""

    arn: str
    status: str  # replicating, active, retained, pending ...
    earliest: datetime | None
    latest: datetime | None  # the newest point a restore can reach


def describe_replicated_backups(rds: Any, arn: str) -> ReplicatedBackups | None:
    try:
        found = rds.describe_db_instance_automated_backups(DBInstanceAutomatedBackupsArn=arn)[
            "DBInstanceAutomatedBackups"
        ]
    except ClientError as exc:
        if error_code(exc) in ("DBInstanceAutomatedBackupNotFound", "DBInstanceAutomatedBackupNotFoundFault"):
            return None
        raise
    if not found:
        return None
    backup = found[0]
    window = backup.get("RestoreWindow") or {}
    return ReplicatedBackups(
        arn=backup.get("DBInstanceAutomatedBackupsArn", arn),
        status=str(backup.get("Status", "unknown")),
        earliest=window.get("EarliestTime"),
        latest=window.get("LatestTime"),
    )


def restore_latest(
    rds: Any,
    *,
    automated_backups_arn: str,
    identifier: str,
    subnet_group: str | None,
    security_group_ids: list[str],
    instance_class: str | None,
    multi_az: bool,
    deletion_protection: bool,
    backup_retention_days: int,
    tags: Mapping[str, str],
) -> bool:
    """Restore the newest point of the replicated backups as ``identifier``; False when an
    instance of that name already exists (a re-run after the restore began).

    There is no key to pass: the new instance is encrypted with the key the backups were
    replicated under (chosen when replication started); RDS uses it on the caller's behalf."""
    params: dict[str, Any] = {
        "SourceDBInstanceAutomatedBackupsArn": automated_backups_arn,
        "TargetDBInstanceIdentifier": identifier,
        "UseLatestRestorableTime": True,
        "VpcSecurityGroupIds": list(security_group_ids),
        "MultiAZ": multi_az,
        "DeletionProtection": deletion_protection,
        "BackupRetentionPeriod": backup_retention_days,
        "CopyTagsToSnapshot": True,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    if subnet_group:
        params["DBSubnetGroupName"] = subnet_group
    if instance_class:
        params["DBInstanceClass"] = instance_class
    try:
        rds.restore_db_instance_to_point_in_time(**params)
    except ClientError as exc:
        if error_code(exc) in ("DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault"):
            return False
        raise
    return True
