"""RDS calls of a recovery into production: the source's restore window and groups, the restore
into a new instance that will serve, and the marks on the instance it replaces.

Unlike a restore test's scratch instance, the restored instance is production from the start:
Multi-AZ, protected against deletion, keeping the plan's backups, tagged with the item's tags so
AWS Backup protects it as it did the old one, and placed where the old one was (its subnet group,
security group, parameter and option groups, instance class).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from operations.aws import error_code
from operations.rds import ALREADY_EXISTS, NOT_FOUND


@dataclass(frozen=True)
class SourceDetails:
    parameter_group: str | None
    option_group: str | None
    backups_earliest: datetime | None  # RestoreWindow.EarliestTime of its automated backups


def source_details(rds: Any, identifier: str) -> SourceDetails:
    raw = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    parameters = [g.get("DBParameterGroupName") for g in raw.get("DBParameterGroups") or []]
    options = [g.get("OptionGroupName") for g in raw.get("OptionGroupMemberships") or []]
    earliest = None
    try:
        backups = rds.describe_db_instance_automated_backups(DBInstanceIdentifier=identifier)
        windows = [
            (b.get("RestoreWindow") or {}).get("EarliestTime")
            for b in backups.get("DBInstanceAutomatedBackups") or []
            if b.get("Status") == "active"
        ]
        earliest = min((w for w in windows if w is not None), default=None)
    except ClientError as exc:
        if error_code(exc) not in (
            "DBInstanceAutomatedBackupNotFound",
            "DBInstanceAutomatedBackupNotFoundFault",
        ):
            raise
    return SourceDetails(
        parameter_group=next((g for g in parameters if g and not _engine_default(g)), None),
        option_group=next((g for g in options if g and not _engine_default(g)), None),
        backups_earliest=earliest,
    )


def _engine_default(group: str) -> bool:
    """An engine's default group (``default.postgres16``, ``default:postgres-16``), which a restore
    gets anyway when none is named: only the team's own groups are passed on."""
    return group.startswith(("default.", "default:"))


def restore_to_serve(
    rds: Any,
    *,
    source: str,
    target: str,
    point: datetime,
    subnet_group: str | None,
    security_group_ids: list[str],
    instance_class: str | None,
    details: SourceDetails,
    retention_days: int,
    tags: Mapping[str, str],
) -> bool:
    """Restore ``source`` as it was at ``point`` into ``target``; False when ``target`` already
    exists (a re-run)."""
    params: dict[str, Any] = {
        "SourceDBInstanceIdentifier": source,
        "TargetDBInstanceIdentifier": target,
        "RestoreTime": point,
        "VpcSecurityGroupIds": list(security_group_ids),
        "MultiAZ": True,
        "DeletionProtection": True,
        "PubliclyAccessible": False,
        "BackupRetentionPeriod": retention_days,
        "CopyTagsToSnapshot": True,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    optional = {
        "DBSubnetGroupName": subnet_group,
        "DBInstanceClass": instance_class,
        "DBParameterGroupName": details.parameter_group,
        "OptionGroupName": details.option_group,
    }
    params.update({k: v for k, v in optional.items() if v})
    try:
        rds.restore_db_instance_to_point_in_time(**params)
    except ClientError as exc:
        if error_code(exc) in ALREADY_EXISTS:
            return False
        raise
    return True


def add_tags(rds: Any, arn: str, tags: Mapping[str, str]) -> None:
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def exists(rds: Any, identifier: str) -> bool:
    try:
        rds.describe_db_instances(DBInstanceIdentifier=identifier)
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND:
            return False
        raise
    return True
