"""moto, made to behave like AWS where the disaster-recovery lifecycle depends on it.

moto 5.2.5 differs from AWS in six places the stacks and a failover touch; the emulator (and any test that
exercises these paths) applies these patches to moto's backends in this process, which is also
where a ThreadedMotoServer keeps its state:

- a promoted read replica keeps naming its source (AWS clears ReadReplicaSourceDBInstanceIdentifier);
- a Route 53 health check always reports Success from one checker (AWS reports what its checkers
  see, from several regions, and inverts the verdict of an inverted check);
- automated-backup replication to another region is not implemented (AWS keeps the source's
  automated backups in the destination region, restorable to a point in time);
- a restore from replicated automated backups ignores the backups and restores whatever instance
  the region has first;
- a replica of a multi-Region KMS key shares its primary's aliases (AWS keeps aliases per Region,
  so the same alias name names the primary in one Region and the replica in another);
- AWS Backup's ListRecoveryPointsByBackupVault and ListRestoreJobs are not routed (an HTTP 404
  page): they answer from what the rehearsal's "AWS Backup ran the rules" stage recorded
  (offline/backup_jobs.py).

``Fidelity`` holds what AWS would know that moto does not: which endpoints are down, which
automated backups were replicated from which instance, and AWS Backup's recovery points and jobs.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.backup import responses as backup_responses
from moto.backup import urls as backup_urls
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.kms import models as kms_models
from moto.rds import models as rds_models
from moto.route53 import responses as route53_responses

from continuity.plan import RDS_PITR_RPO
from offline import backup_jobs

# Route 53's checkers run from these regions; several observe every endpoint.
CHECKER_REGIONS = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
]
HEALTHY = "Success: HTTP Status Code: 200. Resolved IP: 127.0.13.37. OK"
UNHEALTHY = "Failure: Connection timed out. The endpoint or the internet connection is down."


@dataclass
class ReplicatedBackups:
    arn: str
    source_arn: str
    source_identifier: str
    source_region: str
    region: str
    retention_days: int
    started: datetime


@dataclass
class Fidelity:
    """What the emulated AWS knows beyond moto's backends."""

    failing_health_checks: set[str] = field(default_factory=set)
    replicated_backups: dict[str, ReplicatedBackups] = field(default_factory=dict)
    backups: backup_jobs.BackupRecords = field(default_factory=backup_jobs.BackupRecords)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def declare_outage(self, health_check_id: str) -> None:
        with self.lock:
            self.failing_health_checks.add(health_check_id)

    def end_outage(self, health_check_id: str) -> None:
        with self.lock:
            self.failing_health_checks.discard(health_check_id)

    def replicate_backups(self, backups: ReplicatedBackups) -> None:
        with self.lock:
            self.replicated_backups[backups.arn] = backups


def _observations(healthy: bool) -> dict[str, Any]:
    status = HEALTHY if healthy else UNHEALTHY
    return {
        "HealthCheckObservations": [
            {
                "Region": region,
                "IPAddress": f"15.177.{i}.1",
                "StatusReport": {"Status": status, "CheckedTime": utcnow()},
            }
            for i, region in enumerate(CHECKER_REGIONS)
        ]
    }


@contextlib.contextmanager
def aws_fidelity(fidelity: Fidelity) -> Iterator[Fidelity]:
    """Patch moto's backends for as long as the block runs; undone on exit."""
    # Typed Any: these replace methods on moto's classes, which mypy would refuse.
    rds_backend: Any = rds_models.RDSBackend
    route53_api: Any = route53_responses.Route53
    kms_backend: Any = kms_models.KmsBackend
    backup_api: Any = backup_responses.BackupResponse
    originals = {
        "replicate_key": kms_backend.replicate_key,
        "promote": rds_backend.promote_read_replica,
        "backups": rds_backend.describe_db_instance_automated_backups,
        "restore": rds_backend.restore_db_instance_to_point_in_time,
        "status": route53_api.get_health_check_status,
    }

    def promote_read_replica(self: Any, db_kwargs: dict[str, Any]) -> Any:
        database = self.databases[db_kwargs["db_instance_identifier"]]
        was_replica, source = database.is_replica, database.source_db_instance_identifier
        database = originals["promote"](self, db_kwargs)
        if was_replica and source:
            database.source_db_instance_identifier = None
            with contextlib.suppress(Exception):
                primary = self.find_db_from_id(source)
                for ref in (database.db_instance_arn, database.db_instance_identifier):
                    if ref in primary.replicas:
                        primary.replicas.remove(ref)
        return database

    def describe_db_instance_automated_backups(self: Any, **kwargs: Any) -> Any:
        arn = kwargs.get("db_instance_automated_backups_arn")
        backups = fidelity.replicated_backups.get(arn or "")
        if backups is None or backups.region != self.region_name:
            return originals["backups"](self, **kwargs)
        # RDS ships transaction logs every 5 minutes: the latest restorable time trails by that much.
        latest = datetime.now(UTC) - RDS_PITR_RPO
        return [
            {
                "DBInstanceAutomatedBackupsArn": backups.arn,
                "DBInstanceArn": backups.source_arn,
                "DBInstanceIdentifier": backups.source_identifier,
                "Region": backups.source_region,
                "Status": "replicating",
                "Engine": "postgres",
                "BackupRetentionPeriod": backups.retention_days,
                "RestoreWindow": {
                    "EarliestTime": max(backups.started, latest - timedelta(days=backups.retention_days)),
                    "LatestTime": latest,
                },
            }
        ]

    def restore_db_instance_to_point_in_time(
        self: Any, source_db_identifier: str | None, target_db_identifier: str, overrides: dict[str, Any]
    ) -> Any:
        backups = fidelity.replicated_backups.get(
            overrides.get("source_db_instance_automated_backups_arn") or ""
        )
        if source_db_identifier or backups is None:
            return originals["restore"](self, source_db_identifier, target_db_identifier, overrides)
        source = self.find_db_from_id(backups.source_arn)
        props = {
            k: v
            for k, v in overrides.items()
            if k
            not in (
                "source_db_instance_automated_backups_arn",
                "target_db_instance_identifier",
                "use_latest_restorable_time",
                "restore_time",
            )
        }
        props.update(
            db_instance_identifier=target_db_identifier,
            engine=source.engine,
            engine_version=source.engine_version,
            allocated_storage=source.allocated_storage,
            master_username=source.master_username,
            storage_encrypted=True,
        )
        return self.create_db_instance(props)

    def get_health_check_status(self: Any) -> ActionResult:
        health_check_id = self._get_param("HealthCheckId")
        check = self.backend.get_health_check(health_check_id)  # NoSuchHealthCheck as moto raises it
        endpoint_up = health_check_id not in fidelity.failing_health_checks
        # An inverted check reports the opposite of what its checkers see.
        return ActionResult(_observations(endpoint_up != bool(getattr(check, "inverted", False))))

    def replicate_key(self: Any, key_id: str, replica_region: str) -> Any:
        replica = originals["replicate_key"](self, key_id, replica_region)
        replica.aliases = {}  # moto's shallow copy shares the primary's alias table
        return replica

    def list_recovery_points_by_backup_vault(self: Any) -> ActionResult:
        return ActionResult(backup_jobs.list_recovery_points_by_backup_vault(self, fidelity.backups))

    def list_restore_jobs(self: Any) -> ActionResult:
        return ActionResult(backup_jobs.list_restore_jobs(self, fidelity.backups))

    # moto builds a server's routes from this table on the service's first request: patched
    # before it, as every emulator of the rehearsal is.
    routes = {path: backup_responses.BackupResponse.dispatch for path in backup_jobs.URL_PATHS}
    added = [path for path in routes if path not in backup_urls.url_paths]
    backup_urls.url_paths.update(routes)
    backup_api.list_recovery_points_by_backup_vault = list_recovery_points_by_backup_vault
    backup_api.list_restore_jobs = list_restore_jobs
    kms_backend.replicate_key = replicate_key
    rds_backend.promote_read_replica = promote_read_replica
    rds_backend.describe_db_instance_automated_backups = describe_db_instance_automated_backups
    rds_backend.restore_db_instance_to_point_in_time = restore_db_instance_to_point_in_time
    route53_api.get_health_check_status = get_health_check_status
    try:
        yield fidelity
    finally:
        for path in added:
            backup_urls.url_paths.pop(path, None)
        del backup_api.list_recovery_points_by_backup_vault
        del backup_api.list_restore_jobs
        kms_backend.replicate_key = originals["replicate_key"]
        rds_backend.promote_read_replica = originals["promote"]
        rds_backend.describe_db_instance_automated_backups = originals["backups"]
        rds_backend.restore_db_instance_to_point_in_time = originals["restore"]
        route53_api.get_health_check_status = originals["status"]
