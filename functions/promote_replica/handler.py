"""The ARC Region switch plan's custom action: bring every DR database to the plan, one pass a call.

Region switch runs this Lambda in the activating (DR) region and calls it again every retry
interval until it succeeds or the step times out. So each call re-reads every database and does
only what is left, as ``scripts/promote_dr.py``'s promote step does (operations/failover/steps.py),
and the two paths can run in either order, or both, without harm:

- replica mode: promote the read replica if the plan's RdsPromoteReadReplica step has not; once
  it is writable, raise Multi-AZ, deletion protection and backup retention to the plan's;
- restore mode (backup-restore): restore the newest point of the replicated automated backups as
  the DR instance; once writable, the same settings.

A call that leaves a database still on its way fails (``NotSettled``), which is what makes Region
switch call again; a database that cannot become writable by waiting fails with the reason. The
databases come from the environment (``CONTINUITY_DATABASES``, JSON written by the DR stack from
the same values as its ``promotion`` output), so the function needs no stack outputs at 3 a.m.

It depends on boto3 alone, which the Lambda Python runtime provides.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

DATABASES_ENV = "CONTINUITY_DATABASES"
AVAILABLE = "available"
# States from which an instance will not become writable by waiting (RDS DB instance status).
BROKEN = frozenset(
    {"failed", "incompatible-restore", "incompatible-parameters", "incompatible-network", "storage-full"}
)
NOT_FOUND = frozenset({"DBInstanceNotFound", "DBInstanceNotFoundFault"})
ALREADY_EXISTS = frozenset({"DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault"})
# RDS refuses a promotion already under way, or of an instance promoted since it was read.
INVALID_STATE = frozenset({"InvalidDBInstanceState", "InvalidDBInstanceStateFault"})
# The tag a restore puts on what it creates, as promote_dr.py does.
RESTORED_BY = "continuity:restored-by"


class ConfigurationError(Exception):
    """The function was deployed without a usable database list: no retry can help."""


class DatabaseFailed(Exception):
    """A database that will not become writable by waiting; the message says which and why."""


class NotSettled(Exception):
    """Work is under way; Region switch calls again after its retry interval."""


def databases_from_environment(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    raw = environ.get(DATABASES_ENV)
    if not raw:
        raise ConfigurationError(f"{DATABASES_ENV} is not set")
    try:
        found = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ConfigurationError(f"{DATABASES_ENV} is not JSON: {err}") from None
    if not isinstance(found, list):
        raise ConfigurationError(f"{DATABASES_ENV} must be a list of databases")
    for index, db in enumerate(found):
        if not isinstance(db, dict):
            raise ConfigurationError(f"{DATABASES_ENV}[{index}] is not a mapping")
        for key in ("identifier", "mode", "backup_retention_days", "multi_az", "deletion_protection"):
            if key not in db:
                raise ConfigurationError(f"{DATABASES_ENV}[{index}].{key} is missing")
        if db["mode"] not in ("replica", "restore"):
            raise ConfigurationError(
                f"{DATABASES_ENV}[{index}].mode is {db['mode']!r}, not replica or restore"
            )
        if db["mode"] == "restore" and not db.get("automated_backups_arn"):
            raise ConfigurationError(f"{DATABASES_ENV}[{index}].automated_backups_arn is missing")
    return found


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _describe(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except ClientError as err:
        if _code(err) in NOT_FOUND:
            return None
        raise
    return found[0] if found else None


def _is_replica(instance: Mapping[str, Any]) -> bool:
    replication = [s for s in instance.get("StatusInfos") or [] if s.get("StatusType") == "read replication"]
    return bool(instance.get("ReadReplicaSourceDBInstanceIdentifier")) or bool(replication)


def changes_needed(instance: Mapping[str, Any], db: Mapping[str, Any]) -> dict[str, Any]:
    """What the writable instance still lacks of the plan; protection is only ever raised."""
    pending = instance.get("PendingModifiedValues") or {}
    changes: dict[str, Any] = {}
    if db["multi_az"] and not instance.get("MultiAZ") and pending.get("MultiAZ") is not True:
        changes["MultiAZ"] = True
    if db["deletion_protection"] and not instance.get("DeletionProtection"):
        changes["DeletionProtection"] = True
    wanted = int(db["backup_retention_days"])
    kept = int(instance.get("BackupRetentionPeriod") or 0)
    waiting = pending.get("BackupRetentionPeriod")
    if kept < wanted and (waiting is None or int(waiting) < wanted):
        changes["BackupRetentionPeriod"] = wanted
    return changes


def advance(rds: Any, db: Mapping[str, Any]) -> tuple[bool, str]:
    """One pass over one database: (settled, what happened)."""
    ident = str(db["identifier"])
    instance = _describe(rds, ident)
    if instance is None:
        if db["mode"] == "replica":
            raise DatabaseFailed(f"{ident}: not found; a replica-mode database must exist to be promoted")
        params: dict[str, Any] = {
            "SourceDBInstanceAutomatedBackupsArn": db["automated_backups_arn"],
            "TargetDBInstanceIdentifier": ident,
            "UseLatestRestorableTime": True,
            "MultiAZ": bool(db["multi_az"]),
            "DeletionProtection": bool(db["deletion_protection"]),
            "BackupRetentionPeriod": int(db["backup_retention_days"]),
            "CopyTagsToSnapshot": True,
            "VpcSecurityGroupIds": list(db.get("security_group_ids") or []),
            "Tags": [{"Key": RESTORED_BY, "Value": "region-switch"}],
        }
        if db.get("subnet_group"):
            params["DBSubnetGroupName"] = db["subnet_group"]
        if db.get("instance_class"):
            params["DBInstanceClass"] = db["instance_class"]
        try:
            rds.restore_db_instance_to_point_in_time(**params)
        except ClientError as err:
            if _code(err) not in ALREADY_EXISTS:
                raise
            return False, f"{ident}: restore already requested"
        return False, f"{ident}: restoring from {db['automated_backups_arn']}"
    status = str(instance.get("DBInstanceStatus", "unknown"))
    if status in BROKEN:
        raise DatabaseFailed(f"{ident} is {status}; it will not become writable by waiting")
    if _is_replica(instance):
        if db["mode"] != "replica" or status != AVAILABLE:
            return False, f"{ident}: {status} (read replica)"
        try:
            rds.promote_read_replica(
                DBInstanceIdentifier=ident, BackupRetentionPeriod=int(db["backup_retention_days"])
            )
        except ClientError as err:
            if _code(err) not in INVALID_STATE:
                raise
            return False, f"{ident}: promotion already under way"
        return False, f"{ident}: promoting"
    if status != AVAILABLE:
        return False, f"{ident}: {status}"
    changes = changes_needed(instance, db)
    if changes:
        # ApplyImmediately: otherwise RDS waits for the maintenance window; Multi-AZ converts online.
        rds.modify_db_instance(DBInstanceIdentifier=ident, ApplyImmediately=True, **changes)
        listed = ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in changes.items())
        return True, f"{ident}: writable; modified {listed}"
    return True, f"{ident}: writable, as the plan asks"


def settle(rds: Any, databases: list[dict[str, Any]]) -> dict[str, Any]:
    """Advance every database once; raise NotSettled while any is still on its way."""
    outcomes = {str(db["identifier"]): advance(rds, db) for db in databases}
    report = {ident: text for ident, (_, text) in outcomes.items()}
    waiting = [text for settled, text in outcomes.values() if not settled]
    if waiting:
        raise NotSettled("; ".join(waiting))
    return {"settled": True, "databases": report}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point. Region switch's event is not needed: the DR stack configured
    which databases to settle, and the function runs only in the DR region."""
    databases = databases_from_environment(os.environ)
    return settle(boto3.client("rds"), databases)
