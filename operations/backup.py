"""AWS Backup for the operational scripts: a vault's lock, and the recovery points it holds.

A vault lock is in compliance mode when it has a lock date (``ChangeableForDays`` was set): from
that date no one, root included, can shorten a retention or delete a recovery point. Without a
lock date it is governance mode, which privileged users can remove (AWS Backup Developer Guide,
"AWS Backup Vault Lock").

A continuous backup is one recovery point that AWS Backup keeps current (its ARN reads
``recovery-point:continuous:``); its creation date is when continuous backup began, not how fresh
it is. Copies of it into another vault are snapshots, made on the rule's schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from operations.aws import error_code

# Statuses of a recovery point that can be restored (AWS Backup API Reference, RecoveryPointByBackupVault).
USABLE_STATUSES = frozenset({"COMPLETED", "AVAILABLE"})
# Enough for a year of hourly points of one resource; beyond it the newest cannot be told by listing.
MAX_POINTS = 10_000


@dataclass(frozen=True)
class VaultView:
    name: str
    arn: str
    locked: bool
    min_retention_days: int | None
    max_retention_days: int | None
    lock_date: datetime | None
    recovery_points: int

    @property
    def mode(self) -> str:
        if not self.locked:
            return "none"
        return "compliance" if self.lock_date is not None else "governance"


def view_vault(raw: Mapping[str, Any]) -> VaultView:
    return VaultView(
        name=str(raw.get("BackupVaultName", "")),
        arn=str(raw.get("BackupVaultArn", "")),
        locked=bool(raw.get("Locked", False)),
        min_retention_days=raw.get("MinRetentionDays"),
        max_retention_days=raw.get("MaxRetentionDays"),
        lock_date=raw.get("LockDate"),
        recovery_points=int(raw.get("NumberOfRecoveryPoints") or 0),
    )


def describe_vault(backup: Any, name: str) -> VaultView | None:
    try:
        raw = backup.describe_backup_vault(BackupVaultName=name)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    return view_vault(raw)


@dataclass(frozen=True)
class RecoveryPoint:
    arn: str
    resource_arn: str
    status: str
    created: datetime | None
    completed: datetime | None

    @property
    def continuous(self) -> bool:
        return ":recovery-point:continuous:" in self.arn

    @property
    def usable(self) -> bool:
        return self.status in USABLE_STATUSES


@dataclass(frozen=True)
class RecoveryPoints:
    points: list[RecoveryPoint]
    complete: bool  # False: more than MAX_POINTS, the listing stopped


def recovery_points(backup: Any, vault_name: str, resource_arn: str) -> RecoveryPoints:
    """Every recovery point of one resource in a vault (copies keep their source's resource ARN)."""
    points: list[RecoveryPoint] = []
    params: dict[str, Any] = {
        "BackupVaultName": vault_name,
        "ByResourceArn": resource_arn,
        "MaxResults": 1000,
    }
    while True:
        page = backup.list_recovery_points_by_backup_vault(**params)
        for raw in page.get("RecoveryPoints") or []:
            points.append(
                RecoveryPoint(
                    arn=str(raw.get("RecoveryPointArn", "")),
                    resource_arn=str(raw.get("ResourceArn", "")),
                    status=str(raw.get("Status", "UNKNOWN")),
                    created=raw.get("CreationDate"),
                    completed=raw.get("CompletionDate"),
                )
            )
        token = page.get("NextToken")
        if not token:
            return RecoveryPoints(points, True)
        if len(points) >= MAX_POINTS:
            return RecoveryPoints(points, False)
        params["NextToken"] = token
