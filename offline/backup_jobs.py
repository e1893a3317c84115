"""AWS Backup's recovery points and restore jobs, which moto 5.2.5 does not have.

moto's backup backend keeps vaults and plans but runs no rule, so no vault ever holds a recovery
point and ``ListRecoveryPointsByBackupVault`` / ``ListRestoreJobs`` are not routed at all (an HTTP
404 page). Readiness reads both. Here:

- ``BackupRecords`` holds what AWS Backup would have recorded, per region: recovery points per vault
  (members of ``RecoveryPointByBackupVault``) and restore jobs (``RestoreJobsListMember``), shapes as
  in the AWS Backup API Reference (ListRecoveryPointsByBackupVault, ListRestoreJobs);
- ``routes`` answers both operations from those records, with the filters and pagination the
  scripts use, registered on moto's backup responses and URL table by ``offline.moto_fidelity``;
- ``run_rules`` is the stage "AWS Backup ran the rules": every backup plan the stacks deployed,
  applied once, now, to the resources its selection picks by tag in the emulated account (a recovery
  point per resource per rule in the rule's vault, a copy per copy action in the destination vault),
  then every restore testing plan once (a completed restore job of the newest recovery point its
  selection matches in the vault it includes). Nothing is answered that this stage did not record.

Selections and restore testing plans are not emulated resources (moto has no CreateBackupSelection
or CreateRestoreTestingPlan): they are read as the stacks declared them.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from offline.program import StackRun

# Tags a selection condition names: "aws:ResourceTag/<key>" (AWS Backup Developer Guide,
# "Assigning resources using tags").
TAG_CONDITION = "aws:ResourceTag/"
# Recovery points and jobs a list call returns unless told fewer (ListRecoveryPointsByBackupVault,
# ListRestoreJobs: MaxResults 1-1000).
PAGE = 1000


@dataclass
class BackupRecords:
    """What AWS Backup recorded in the emulated account, by region."""

    points: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (region, vault)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # recovery point ARN -> its tags
    restore_jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # region -> jobs
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_point(self, region: str, vault: str, point: dict[str, Any], tags: dict[str, str]) -> None:
        with self.lock:
            self.points.setdefault((region, vault), []).append(point)
            self.tags[point["RecoveryPointArn"]] = dict(tags)

    def add_restore_job(self, region: str, job: dict[str, Any]) -> None:
        with self.lock:
            self.restore_jobs.setdefault(region, []).append(job)

    def list_points(self, region: str, vault: str, resource_arn: str | None) -> list[dict[str, Any]]:
        with self.lock:
            found = list(self.points.get((region, vault), []))
        return [p for p in found if resource_arn is None or p["ResourceArn"] == resource_arn]

    def list_restore_jobs(
        self,
        region: str,
        *,
        plan_arn: str | None,
        status: str | None,
        complete_after: datetime | None,
    ) -> list[dict[str, Any]]:
        with self.lock:
            found = list(self.restore_jobs.get(region, []))
        return [
            j
            for j in found
            if (plan_arn is None or j.get("CreatedBy", {}).get("RestoreTestingPlanArn") == plan_arn)
            and (status is None or j["Status"] == status)
            and (complete_after is None or (j.get("CompletionDate") and j["CompletionDate"] > complete_after))
        ]


# ---------------------------------------------------------------------------------------------
# The two operations, as methods of moto's BackupResponse (self is the response)

# GET /backup-vaults/{backupVaultName}/recovery-points/ and GET /restore-jobs/ (AWS Backup API
# Reference), in moto's URL-table form.
URL_PATHS = {
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$": "list_recovery_points_by_backup_vault",
    "{0}/restore-jobs/$": "list_restore_jobs",
}


def _query(response: Any, name: str) -> str | None:
    values = response.querystring.get(name)
    return str(values[0]) if values else None


def _page(response: Any, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    size = min(int(_query(response, "maxResults") or PAGE), PAGE)
    start = int(_query(response, "nextToken") or 0)
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["NextToken"] = str(start + size)
    return page


def list_recovery_points_by_backup_vault(response: Any, records: BackupRecords) -> dict[str, Any]:
    vault = unquote(response.path.split("/backup-vaults/", 1)[1].split("/", 1)[0])
    # ResourceNotFoundException for a vault that does not exist, as moto raises it for AWS.
    response.backup_backend.describe_backup_vault(vault)
    points = records.list_points(response.region, vault, _query(response, "resourceArn"))
    points.sort(key=lambda p: p["CreationDate"], reverse=True)
    return _page(response, points, "RecoveryPoints")


def list_restore_jobs(response: Any, records: BackupRecords) -> dict[str, Any]:
    after = _query(response, "completeAfter")
    jobs = records.list_restore_jobs(
        response.region,
        plan_arn=_query(response, "restoreTestingPlanArn"),
        status=_query(response, "status"),
        complete_after=_timestamp(after) if after else None,
    )
    jobs.sort(key=lambda j: j["CreationDate"], reverse=True)
    return _page(response, jobs, "RestoreJobs")


def _timestamp(text: str) -> datetime:
    """A query-string timestamp as botocore sends it (ISO 8601) or as epoch seconds."""
    try:
        return datetime.fromtimestamp(float(text)).astimezone()
    except ValueError:
        return datetime.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# "AWS Backup ran the rules"


@dataclass(frozen=True)
class Resource:
    arn: str
    kind: str  # the ResourceType AWS Backup reports: RDS, S3
    name: str
    tags: dict[str, str]


def _conditions(raw: Iterable[dict[str, Any]] | dict[str, Any] | None) -> dict[str, str]:
    """A selection's StringEquals tag conditions, as key -> value (the stacks use no other kind)."""
    blocks = [raw] if isinstance(raw, dict) else list(raw or [])
    wanted = {}
    for block in blocks:
        for condition in block.get("stringEquals") or []:
            key = str(condition["key"])
            wanted[key.removeprefix(TAG_CONDITION)] = str(condition["value"])
    return wanted


def _matches(tags: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in wanted.items())


def resources_in(client: Any, region: str) -> list[Resource]:
    """The resources AWS Backup could protect here, with their tags: RDS instances and S3 buckets."""
    rds, s3 = client("rds", region), client("s3", region)
    found = [
        Resource(
            db["DBInstanceArn"],
            "RDS",
            db["DBInstanceIdentifier"],
            {t["Key"]: t["Value"] for t in db.get("TagList") or []},
        )
        for db in rds.describe_db_instances()["DBInstances"]
    ]
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        where = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        if where != region:
            continue
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except s3.exceptions.ClientError:
            tags = []  # NoSuchTagSet
        found.append(Resource(f"arn:aws:s3:::{name}", "S3", name, {t["Key"]: t["Value"] for t in tags}))
    return found


def _point_arn(region: str, account: str, resource: Resource, *, continuous: bool) -> str:
    digest = hashlib.sha256(f"{resource.arn}@{region}".encode()).hexdigest()[:8]
    if continuous:
        return f"arn:aws:backup:{region}:{account}:recovery-point:continuous:{resource.name}-{digest}"
    if resource.kind == "RDS":
        # RDS snapshots AWS Backup takes are named awsbackup:job-<id> in RDS's own ARN space.
        return f"arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{uuid.uuid4()}"
    return f"arn:aws:backup:{region}:{account}:recovery-point:{uuid.uuid4()}"


def _vault_arn(region: str, account: str, vault: str) -> str:
    return f"arn:aws:backup:{region}:{account}:backup-vault:{vault}"


@dataclass
class RulesRun:
    """What one run of the rules recorded, for the rehearsal's stage detail."""

    recovery_points: int = 0
    copies: int = 0
    restore_jobs: int = 0
    untested: list[str] = field(default_factory=list)  # restore testing plans with nothing to restore


def run_rules(
    client: Any, records: BackupRecords, runs: list[StackRun], account: str, now: datetime
) -> RulesRun:
    """Every deployed backup plan applied once at ``now`` to what its selection picks, then every
    restore testing plan run once against the recovery points that made."""
    done = RulesRun()
    for run in runs:
        backup, resources = client("backup", run.region), resources_in(client, run.region)
        for selection in run.of_type("aws:backup/selection:Selection"):
            plan_id = str(selection.inputs["planId"])
            rules = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
            wanted = _conditions(selection.inputs.get("conditions"))
            for resource in (r for r in resources if _matches(r.tags, wanted)):
                for rule in rules:
                    _apply(records, rule, resource, region=run.region, account=account, now=now, done=done)
    for run in runs:
        _restore_tests(records, run, account=account, now=now, done=done)
    return done


def _apply(
    records: BackupRecords,
    rule: dict[str, Any],
    resource: Resource,
    *,
    region: str,
    account: str,
    now: datetime,
    done: RulesRun,
) -> None:
    vault = str(rule["TargetBackupVaultName"])
    continuous = bool(rule.get("EnableContinuousBackup"))
    tags = dict(rule.get("RecoveryPointTags") or {})
    point = {
        "RecoveryPointArn": _point_arn(region, account, resource, continuous=continuous),
        "BackupVaultName": vault,
        "BackupVaultArn": _vault_arn(region, account, vault),
        "ResourceArn": resource.arn,
        "ResourceType": resource.kind,
        "ResourceName": resource.name,
        "CreatedBy": {"BackupRuleId": str(rule.get("RuleName"))},
        "Status": "COMPLETED",
        "CreationDate": now,
        "CompletionDate": now,
        "Lifecycle": {"DeleteAfterDays": rule["Lifecycle"]["DeleteAfterDays"]},
        "IsEncrypted": True,
        "VaultType": "BACKUP_VAULT",
    }
    records.add_point(region, vault, point, tags)
    done.recovery_points += 1
    for action in rule.get("CopyActions") or []:
        destination = str(action["DestinationBackupVaultArn"])
        to_region, to_vault = destination.split(":")[3], destination.rsplit(":", 1)[1]
        # A copy of a continuous backup is a snapshot (AWS Backup Developer Guide, "Continuous
        # backups and point-in-time recovery": copies are snapshot recovery points).
        copy = {
            **point,
            "RecoveryPointArn": _point_arn(to_region, account, resource, continuous=False),
            "BackupVaultName": to_vault,
            "BackupVaultArn": destination,
            "SourceBackupVaultArn": point["BackupVaultArn"],
            "Lifecycle": {"DeleteAfterDays": action["Lifecycle"]["DeleteAfterDays"]},
        }
        records.add_point(to_region, to_vault, copy, tags)
        done.copies += 1


def _restore_tests(
    records: BackupRecords, run: StackRun, account: str, now: datetime, done: RulesRun
) -> None:
    selections = run.of_type("aws:backup/restoreTestingSelection:RestoreTestingSelection")
    for plan in run.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan"):
        name, arn = str(plan.inputs["name"]), str(plan.outputs["arn"])
        chosen = (plan.inputs.get("recoveryPointSelection") or {}).get("includeVaults") or []
        picked = [s for s in selections if s.inputs.get("restoreTestingPlanName") == name]
        candidates = []
        for vault_arn in chosen:
            region, vault = str(vault_arn).split(":")[3], str(vault_arn).rsplit(":", 1)[1]
            for point in records.list_points(region, vault, None):
                for selection in picked:
                    kind = selection.inputs.get("protectedResourceType")
                    wanted = _conditions(selection.inputs.get("protectedResourceConditions"))
                    if point["ResourceType"] == kind and _matches(
                        records.tags[point["RecoveryPointArn"]], wanted
                    ):
                        candidates.append(point)
        if not candidates:
            done.untested.append(name)
            continue
        point = max(candidates, key=lambda p: p["CreationDate"])
        job_id = str(uuid.uuid4()).upper()
        records.add_restore_job(
            run.region,
            {
                "AccountId": account,
                "RestoreJobId": job_id,
                "RecoveryPointArn": point["RecoveryPointArn"],
                "SourceResourceArn": point["ResourceArn"],
                "BackupVaultArn": point["BackupVaultArn"],
                "ResourceType": point["ResourceType"],
                "CreationDate": now,
                "CompletionDate": now,
                "Status": "COMPLETED",
                "PercentDone": "100.00%",
                "RecoveryPointCreationDate": point["CreationDate"],
                "CreatedBy": {"RestoreTestingPlanArn": arn},
                # No validation window: AWS Backup deletes the restored resource once restored.
                "DeletionStatus": "SUCCESSFUL",
            },
        )
        done.restore_jobs += 1
