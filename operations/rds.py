"""RDS for the operational scripts: what an instance's description means, and the few calls made.

How a promoted replica is recognised matters more than anything else here, because every step
must resume after a crash. On AWS an instance is a standalone writable instance when its
description has no ``ReadReplicaSourceDBInstanceIdentifier``, no ``StatusInfos`` entry of type
``read replication``, and status ``available``. (moto 5.2.5 does not clear the source field on
promotion; the tests patch moto to behave like AWS, see tests/operations/world.py.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from operations.aws import arn_region, error_code

AVAILABLE = "available"
# Failback tags the primary-region replica it creates with the DbiResourceId of the DR instance it
# copies: unlike a name, that id is never reused, so a later run (or readiness) can tell the
# instance that replaced the old primary from the old primary itself.
FAILBACK_SOURCE_TAG = "continuity:failback-source"
# DB instance identifiers: 1-63 letters, digits and hyphens, starting with a letter.
IDENTIFIER_MAX = 63
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
    # Read by restore tests and failback; defaults keep older callers' views valid.
    endpoint_address: str | None = None
    endpoint_port: int | None = None
    engine: str | None = None
    instance_class: str | None = None
    dbi_resource_id: str | None = None  # unique for the instance's lifetime, unlike its name
    created_at: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

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
    endpoint = raw.get("Endpoint") or {}
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
        endpoint_address=endpoint.get("Address"),
        endpoint_port=endpoint.get("Port"),
        engine=raw.get("Engine"),
        instance_class=raw.get("DBInstanceClass"),
        dbi_resource_id=raw.get("DbiResourceId"),
        created_at=raw.get("InstanceCreateTime"),
        # DescribeDBInstances answers with the tags (TagList), so no ListTagsForResource call.
        tags={str(t.get("Key")): str(t.get("Value", "")) for t in raw.get("TagList") or []},
    )


class PlannedSettings(Protocol):
    """What the plan wants of a promoted instance (a failover's or a failback's target)."""

    @property
    def multi_az(self) -> bool: ...

    @property
    def deletion_protection(self) -> bool: ...

    @property
    def backup_retention_days(self) -> int: ...


def changes_for(view: InstanceView, wanted: PlannedSettings) -> dict[str, Any]:
    """`modifications_needed` for a target that carries the plan's settings."""
    return modifications_needed(
        view,
        multi_az=wanted.multi_az,
        deletion_protection=wanted.deletion_protection,
        backup_retention_days=wanted.backup_retention_days,
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
    source_arn: str | None = None  # the instance whose backups these are
    source_identifier: str | None = None
    source_region: str | None = None


def _replicated(backup: Mapping[str, Any], arn: str) -> ReplicatedBackups:
    window = backup.get("RestoreWindow") or {}
    return ReplicatedBackups(
        arn=backup.get("DBInstanceAutomatedBackupsArn", arn),
        status=str(backup.get("Status", "unknown")),
        earliest=window.get("EarliestTime"),
        latest=window.get("LatestTime"),
        source_arn=backup.get("DBInstanceArn"),
        source_identifier=backup.get("DBInstanceIdentifier"),
        source_region=backup.get("Region"),
    )


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
    return _replicated(found[0], arn)


def replicated_backups_of(
    backups: list[ReplicatedBackups], *, source_arn: str, source_identifier: str, source_region: str
) -> ReplicatedBackups | None:
    """The replicated backups of one source instance among a region's automated backups.

    In the destination region they carry the source's ARN, identifier and region; the region's own
    instances' backups (a promoted replica's, a scratch instance's) do not match."""
    for backup in backups:
        if backup.source_arn == source_arn:
            return backup
    for backup in backups:
        if backup.source_identifier == source_identifier and backup.source_region == source_region:
            return backup
    return None


def find_replicated_backups(
    rds: Any, *, source_arn: str, source_identifier: str, source_region: str
) -> ReplicatedBackups | None:
    """Find the source's replicated automated backups in this client's region without calling
    the source region (which may be the one that is down)."""
    found: list[ReplicatedBackups] = []
    params: dict[str, Any] = {}
    while True:
        page = rds.describe_db_instance_automated_backups(**params)
        found += [_replicated(b, "") for b in page.get("DBInstanceAutomatedBackups") or []]
        if not page.get("Marker"):
            break
        params["Marker"] = page["Marker"]
    return replicated_backups_of(
        found, source_arn=source_arn, source_identifier=source_identifier, source_region=source_region
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


# ---------------------------------------------------------------------------------------------
# Scratch restores (restore tests) and the way back (failback)

ALREADY_EXISTS = frozenset({"DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault"})
# RDS refuses to delete an instance in these states; a cleanup waits for one it can delete.
UNDELETABLE_STATUSES = frozenset(
    {
        "creating",
        "backing-up",
        "modifying",
        "rebooting",
        "renaming",
        "resetting-master-credentials",
        "upgrading",
    }
)


def restore_to_point_in_time(
    rds: Any,
    *,
    target_identifier: str,
    source_identifier: str | None = None,
    automated_backups_arn: str | None = None,
    restore_time: datetime | None = None,
    instance_class: str | None,
    subnet_group: str | None,
    security_group_ids: list[str],
    tags: Mapping[str, str],
) -> bool:
    """Restore an instance's backups (same region) or replicated backups (by ARN) into a new,
    unprotected, single-AZ instance without backups of its own; False when ``target_identifier``
    already exists (a re-run). The newest restorable point unless ``restore_time``."""
    if (source_identifier is None) == (automated_backups_arn is None):
        raise ValueError("restore from exactly one of source_identifier or automated_backups_arn")
    params: dict[str, Any] = {
        "TargetDBInstanceIdentifier": target_identifier,
        "VpcSecurityGroupIds": list(security_group_ids),
        "MultiAZ": False,
        "DeletionProtection": False,
        "PubliclyAccessible": False,
        # No automated backups of its own: a scratch instance is deleted within the hour, and
        # turning them off makes it available sooner.
        "BackupRetentionPeriod": 0,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    if source_identifier is not None:
        params["SourceDBInstanceIdentifier"] = source_identifier
    else:
        params["SourceDBInstanceAutomatedBackupsArn"] = automated_backups_arn
    if restore_time is not None:
        params["RestoreTime"] = restore_time
    else:
        params["UseLatestRestorableTime"] = True
    if subnet_group:
        params["DBSubnetGroupName"] = subnet_group
    if instance_class:
        params["DBInstanceClass"] = instance_class
    try:
        rds.restore_db_instance_to_point_in_time(**params)
    except ClientError as exc:
        if error_code(exc) in ALREADY_EXISTS:
            return False
        raise
    return True


def delete_instance(rds: Any, identifier: str) -> bool:
    """Delete an instance without a final snapshot, with its automated backups; False when it is
    already gone or already being deleted. Callers check the instance is theirs first."""
    try:
        rds.delete_db_instance(
            DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND:
            return False
        # "Instance ... is already being deleted": an earlier cleanup got there first.
        busy = error_code(exc) in ("InvalidDBInstanceState", "InvalidDBInstanceStateFault")
        if busy and "already being deleted" in str(exc):
            return False
        raise
    return True


def create_cross_region_replica(
    rds: Any,
    *,
    identifier: str,
    source_arn: str,
    source_region: str,
    instance_class: str | None,
    subnet_group: str | None,
    security_group_ids: list[str],
    kms_key_id: str | None,
    tags: Mapping[str, str],
) -> bool:
    """Create a read replica in this client's region of an instance in ``source_region``; False
    when ``identifier`` already exists (a re-run).

    ``SourceRegion`` makes botocore sign the pre-signed URL RDS needs to read an encrypted source
    from another region; ``KmsKeyId`` is a key of this region (a cross-region replica of an
    encrypted instance must name one)."""
    params: dict[str, Any] = {
        "DBInstanceIdentifier": identifier,
        "SourceDBInstanceIdentifier": source_arn,
        "SourceRegion": source_region,
        "VpcSecurityGroupIds": list(security_group_ids),
        "PubliclyAccessible": False,
        "CopyTagsToSnapshot": True,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    if instance_class:
        params["DBInstanceClass"] = instance_class
    if subnet_group:
        params["DBSubnetGroupName"] = subnet_group
    if kms_key_id:
        params["KmsKeyId"] = kms_key_id
    try:
        rds.create_db_instance_read_replica(**params)
    except ClientError as exc:
        if error_code(exc) in ALREADY_EXISTS:
            return False
        raise
    return True


def rename_instance(rds: Any, identifier: str, new_identifier: str) -> None:
    # Renaming keeps the instance, its data, its protection and its backups; only its name (and
    # so its endpoint) changes, which frees the old name for another instance.
    rds.modify_db_instance(
        DBInstanceIdentifier=identifier, NewDBInstanceIdentifier=new_identifier, ApplyImmediately=True
    )


def list_instances(rds: Any) -> list[InstanceView]:
    views: list[InstanceView] = []
    params: dict[str, Any] = {}
    while True:
        page = rds.describe_db_instances(**params)
        views += [view_instance(raw) for raw in page.get("DBInstances") or []]
        if not page.get("Marker"):
            return views
        params["Marker"] = page["Marker"]
