"""S3 for the operational scripts: Object Lock and replication settings, what a bucket holds, and
small text objects (the drill history).

Object Lock's default retention counts in days or in years, never both. Replication is judged
from the rule set on the source bucket; whether objects actually arrived is judged by comparing
what the two buckets hold (``ListObjectsV2``), which works wherever S3 does, including an
emulator that keeps the rules but never replicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from operations.aws import error_code

# Beyond this many objects a listing is too slow for a readiness check; the check says so.
MAX_LISTED = 10_000


@dataclass(frozen=True)
class ObjectLockView:
    enabled: bool
    mode: str | None  # COMPLIANCE or GOVERNANCE default retention, None without one
    days: int | None
    years: int | None

    def describe(self) -> str:
        if not self.enabled:
            return "Object Lock off"
        if self.mode is None:
            return "Object Lock on, no default retention"
        amount = f"{self.days} day{'s' if self.days != 1 else ''}" if self.days is not None else ""
        if self.years is not None:
            amount = f"{self.years} year{'s' if self.years != 1 else ''}"
        return f"{self.mode} {amount}".strip()


def object_lock(s3: Any, bucket: str) -> ObjectLockView:
    try:
        config = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as exc:
        if error_code(exc) == "ObjectLockConfigurationNotFoundError":
            return ObjectLockView(False, None, None, None)
        raise
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    return ObjectLockView(
        enabled=config.get("ObjectLockEnabled") == "Enabled",
        mode=retention.get("Mode"),
        # AWS answers with Days or Years (each at least 1); an answer carrying the other as 0
        # (moto does) means the same.
        days=retention.get("Days") or None,
        years=retention.get("Years") or None,
    )


@dataclass(frozen=True)
class ReplicationRule:
    id: str
    status: str  # Enabled or Disabled
    destination_bucket: str  # an ARN: arn:aws:s3:::bucket
    time_control: bool  # Replication Time Control (the 15-minute commitment)


def replication_rules(s3: Any, bucket: str) -> list[ReplicationRule]:
    try:
        config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    except ClientError as exc:
        if error_code(exc) == "ReplicationConfigurationNotFoundError":
            return []
        raise
    rules = []
    for raw in config.get("Rules") or []:
        destination = raw.get("Destination") or {}
        rules.append(
            ReplicationRule(
                id=str(raw.get("ID", "")),
                status=str(raw.get("Status", "")),
                destination_bucket=str(destination.get("Bucket", "")),
                time_control=(destination.get("ReplicationTime") or {}).get("Status") == "Enabled",
            )
        )
    return rules


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


@dataclass(frozen=True)
class Listing:
    objects: dict[str, datetime]  # key -> LastModified of the current version
    complete: bool  # False: more than MAX_LISTED objects, the listing stopped


def list_objects(s3: Any, bucket: str, limit: int = MAX_LISTED) -> Listing:
    objects: dict[str, datetime] = {}
    params: dict[str, Any] = {"Bucket": bucket}
    while True:
        page = s3.list_objects_v2(**params)
        for item in page.get("Contents") or []:
            objects[str(item["Key"])] = item["LastModified"]
        if not page.get("IsTruncated"):
            return Listing(objects, True)
        if len(objects) >= limit:
            return Listing(objects, False)
        params["ContinuationToken"] = page["NextContinuationToken"]


# ---------------------------------------------------------------------------------------------
# Small text objects


@dataclass(frozen=True)
class TextObject:
    text: str
    etag: str


def get_text(s3: Any, bucket: str, key: str) -> TextObject | None:
    try:
        answer = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404"):
            return None
        raise
    return TextObject(answer["Body"].read().decode("utf-8"), str(answer.get("ETag", "")))


def put_text_if_unchanged(s3: Any, bucket: str, key: str, text: str, previous: TextObject | None) -> bool:
    """Write ``text`` only if the object is still what was read (``previous``, or absent);
    False when someone else wrote it in between (S3 conditional writes: If-Match, If-None-Match)."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": text.encode("utf-8")}
    if previous is None:
        params["IfNoneMatch"] = "*"
    else:
        params["IfMatch"] = previous.etag
    try:
        s3.put_object(**params)
    except ClientError as exc:
        # 409 ConditionalRequestConflict: another conditional write to the key is in flight.
        if error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"):
            return False
        raise
    return True
