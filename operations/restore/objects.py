"""The restore test of an S3 item: restore a sample of its objects into a scratch bucket and prove
they are byte for byte what the bucket holds.

The sample is the item's newest objects (as they were at --point-in-time, if given): the data a
recovery most needs back. Five of them by default, as many as AWS Backup restores in one
item-level S3 restore job (AWS Backup Developer Guide, "Restore S3 data": up to 5 items per job);
--sample takes more. Each is copied, server-side, from its exact version into a bucket this run
creates and tags (under the region's key), then read back from both and compared by SHA-256 and
size. The scratch bucket is emptied and deleted afterwards, and only if it carries this run's tag.
The whole-bucket restore from AWS Backup's recovery points is what the stacks' scheduled restore
testing does (components/restore_testing.py); moto implements neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from continuity import tags
from continuity.derive import bucket_for
from operations.aws import Aws
from operations.clock import Clock
from operations.errors import BadInput, Finding, StepFailed
from operations.recover import s3 as objects
from operations.recover.points import bucket_window
from operations.recover.rollback import Version
from operations.report import ALREADY_DONE, DONE, StepRecord, iso
from operations.restore.run import RestoreRun, RestoreTiming, timed
from operations.restore.scratch import CREATED_BY, SCRATCH_PREFIX, SCRATCH_TAG, scratch_bucket

SAMPLE = 5


@dataclass
class ObjectsTest:
    aws: Aws
    clock: Clock
    timing: RestoreTiming
    kind: str = "bucket"
    bucket: str = ""
    sample: list[Version] = field(default_factory=list)

    def _s3(self, run: RestoreRun) -> Any:
        return self.aws.client("s3", run.region)

    def preflight(self, run: RestoreRun, rec: StepRecord) -> None:
        item = run.options.data_item
        where = run.inventory.region(run.options.region_role)
        bucket = where.bucket_names.get(item)
        if bucket is None:
            raise BadInput(f"the outputs name no bucket for {item} in the {run.options.region_role} region")
        self.bucket = bucket
        run.scratch = scratch_bucket(run.plan.service, run.token)
        s3 = self._s3(run)
        status = objects.versioning_status(s3, bucket)
        if status != "Enabled":
            raise Finding(f"nothing to restore from: bucket {bucket} has versioning {status}")
        point = run.options.point_in_time
        if point is not None:
            settings = bucket_for(item, run.plan.data[item])
            assert settings is not None, "s3 items have a bucket"
            now = self.clock.now()
            bucket_window(now=now, noncurrent_days=settings.noncurrent_expiration_days, bucket=bucket).check(
                point, "--point-in-time"
            )
        current = _as_of(objects.list_versions(s3, bucket), point)
        if not current:
            raise Finding(f"nothing to restore: bucket {bucket} held no object at {iso(point) or 'present'}")
        wanted = run.options.sample or SAMPLE
        self.sample = sorted(current, key=lambda v: (v.last_modified, v.key), reverse=True)[:wanted]
        run.source = f"bucket {bucket}"
        run.restored_point = point or max(v.last_modified for v in self.sample)
        rec.notes.append(
            f"source: bucket {bucket}, {len(current)} object(s); restoring the newest {len(self.sample)} "
            f"({sum(v.size for v in self.sample):,} bytes) as of {iso(run.restored_point)}"
        )
        others = [
            b["Name"]
            for b in s3.list_buckets().get("Buckets") or []
            if str(b["Name"]).startswith(f"{run.plan.service}-{SCRATCH_PREFIX}") and b["Name"] != run.scratch
        ]
        for name in others:
            rec.notes.append(f"a scratch bucket from an earlier test may be left: {name}")

    def restore(self, run: RestoreRun, rec: StepRecord) -> None:
        s3 = self._s3(run)
        started = self.clock.monotonic()
        run.attempted = True
        item = run.options.data_item
        marks = {
            SCRATCH_TAG: run.token,
            tags.SERVICE: run.plan.service,
            tags.DATA_ITEM: item,
            CREATED_BY: "restore_test",
        }
        objects.create_scratch_bucket(
            s3, run.scratch, run.region, marks, run.inventory.region(run.options.region_role).kms_key_arn
        )
        rec.actions.append(f"created scratch bucket {run.scratch}, tagged {SCRATCH_TAG}={run.token}")
        for version in self.sample:
            source = {"Bucket": self.bucket, "Key": version.key, "VersionId": version.version_id}
            if version.size > objects.COPY_OBJECT_MAX:
                s3.copy(source, run.scratch, version.key)
            else:
                s3.copy_object(Bucket=run.scratch, Key=version.key, CopySource=source)
        rec.actions.append(f"restored {len(self.sample)} object(s) from {self.bucket} into {run.scratch}")
        run.restore_seconds = self.clock.monotonic() - started
        run.details.update(
            objects=len(self.sample),
            bytes=sum(v.size for v in self.sample),
            keys=[v.key for v in self.sample],
        )
        timed(run, rec)

    def check(self, run: RestoreRun, rec: StepRecord) -> None:
        s3 = self._s3(run)
        mismatches = []
        for version in self.sample:
            source = objects.digest(s3, self.bucket, version.key, version.version_id)
            restored = objects.digest(s3, run.scratch, version.key)
            if source != restored:
                mismatches.append(version.key)
        run.details["mismatches"] = mismatches
        rec.actions.append(f"compared {len(self.sample)} restored object(s) with their source by SHA-256")
        if mismatches:
            raise Finding(
                f"{len(mismatches)} of {len(self.sample)} restored object(s) differ from their source: "
                + ", ".join(mismatches[:5])
            )
        run.details["verified"] = f"{len(self.sample)} object(s) match their source (SHA-256 and size)"
        rec.notes.append(run.details["verified"])

    def environment(self, run: RestoreRun) -> Mapping[str, str]:
        return {
            "RESTORE_BUCKET": run.scratch,
            "RESTORE_KEYS": "\n".join(v.key for v in self.sample),
            "RESTORE_REGION": run.region,
            "RESTORE_DATA_ITEM": run.options.data_item,
            "RESTORE_POINT": iso(run.restored_point) or "",
        }

    def cleanup(self, run: RestoreRun, rec: StepRecord) -> None:
        s3 = self._s3(run)
        found = objects.bucket_tags(s3, run.scratch)
        if found is None:
            rec.outcome = ALREADY_DONE
            rec.notes.append(f"{run.scratch} does not exist: nothing to delete")
            run.deleted = True
            return
        if found.get(SCRATCH_TAG) != run.token or not run.token.startswith(SCRATCH_PREFIX):
            raise StepFailed(f"{run.scratch} does not carry {SCRATCH_TAG}={run.token}: not ours, left alone")
        count = objects.empty_and_delete_bucket(s3, run.scratch)
        rec.actions.append(f"deleted scratch bucket {run.scratch} and its {count} object(s)")
        rec.outcome = DONE
        run.deleted = True

    def delete_command(self, run: RestoreRun) -> str:
        return f"aws s3 rb s3://{run.scratch} --force --region {run.region}"


def _as_of(versions: list[Version], point: Any) -> list[Version]:
    """The object versions current at ``point`` (now when None): no delete markers."""
    if point is None:
        return [v for v in versions if v.is_latest and not v.delete_marker]
    current: dict[str, Version] = {}
    for version in versions:
        if version.last_modified <= point:
            seen = current.get(version.key)
            if seen is None or version.last_modified > seen.last_modified:
                current[version.key] = version
    return [v for v in current.values() if not v.delete_marker]
