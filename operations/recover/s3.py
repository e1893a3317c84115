"""S3 calls of a recovery and a restore test: object versions, copies made from them, delete
markers, checksums of what is read, and a restore test's scratch bucket.

Every copy is server-side (CopyObject, or UploadPartCopy past CopyObject's 5 GB, S3 User Guide
"Copying objects"); nothing here deletes an object version of a data bucket: a roll-back hides a
key with a delete marker, and only a scratch bucket this run created and tagged is ever emptied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from operations.aws import error_code
from operations.recover.rollback import RESTORED_FROM, RESTORED_TO, Version

# CopyObject copies objects of at most 5 GB in one request; larger ones are copied in parts.
COPY_OBJECT_MAX = 5 * 1024**3
# DeleteObjects takes at most 1,000 keys a request (S3 API Reference).
DELETE_BATCH = 1000
CHUNK = 1024 * 1024


def versioning_status(s3: Any, bucket: str) -> str:
    """Enabled, Suspended, or Off (a bucket that never had versioning answers no Status)."""
    return str(s3.get_bucket_versioning(Bucket=bucket).get("Status") or "Off")


def list_versions(s3: Any, bucket: str, prefix: str = "") -> list[Version]:
    """Every version and delete marker under ``prefix``."""
    found: list[Version] = []
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_object_versions(**params)
        for raw in page.get("Versions") or []:
            found.append(
                Version(
                    key=str(raw["Key"]),
                    version_id=str(raw.get("VersionId") or "null"),
                    last_modified=raw["LastModified"],
                    is_latest=bool(raw.get("IsLatest")),
                    delete_marker=False,
                    size=int(raw.get("Size") or 0),
                )
            )
        for raw in page.get("DeleteMarkers") or []:
            found.append(
                Version(
                    key=str(raw["Key"]),
                    version_id=str(raw.get("VersionId") or "null"),
                    last_modified=raw["LastModified"],
                    is_latest=bool(raw.get("IsLatest")),
                    delete_marker=True,
                )
            )
        if not page.get("IsTruncated"):
            return found
        params["KeyMarker"] = page.get("NextKeyMarker")
        params["VersionIdMarker"] = page.get("NextVersionIdMarker")


def restored_from(s3: Any, bucket: str, key: str, version_id: str) -> str | None:
    """The version a roll-back copied this version from (its metadata), or None."""
    head = s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
    metadata: Mapping[str, str] = head.get("Metadata") or {}
    return metadata.get(RESTORED_FROM)


def copy_forward(s3: Any, bucket: str, key: str, *, version_id: str, size: int, point: str) -> str:
    """Make version ``version_id`` the current version again, by copying it onto its own key; the
    copy keeps its metadata and content type, and says what it was restored from. Returns the new
    version's id. The bucket's default encryption and Object Lock retention apply to the copy."""
    head = s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
    metadata = {**(head.get("Metadata") or {}), RESTORED_FROM: version_id, RESTORED_TO: point}
    extra: dict[str, Any] = {
        "Metadata": metadata,
        "MetadataDirective": "REPLACE",
        "ChecksumAlgorithm": "SHA256",
    }
    s3.meta.events.register("before-call.s3.CopyObject", _lock_checksum, unique_id=_LOCK_CHECKSUM_HANDLER)
    for field in ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl"):
        if head.get(field):
            extra[field] = head[field]
    source = {"Bucket": bucket, "Key": key, "VersionId": version_id}
    if size > COPY_OBJECT_MAX:
        s3.copy(source, bucket, key, ExtraArgs=extra)
        return str(s3.head_object(Bucket=bucket, Key=key).get("VersionId") or "")
    done = s3.copy_object(Bucket=bucket, Key=key, CopySource=source, **extra)
    return str(done.get("VersionId") or "")


# A write into a bucket with an Object Lock default retention must carry Content-MD5 or a checksum
# header, or S3 refuses it (S3 User Guide, "Configuring S3 Object Lock": "The Content-MD5 header is
# required for any request to upload an object with a retention period"). A copy asks S3 for a
# SHA-256 of the new version (x-amz-checksum-algorithm) and, its request having no body, sends that
# empty body's MD5 too, which S3 checks like any other.
_EMPTY_BODY_MD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
_LOCK_CHECKSUM_HANDLER = "continuity-copy-object-lock-checksum"


def _lock_checksum(params: dict[str, Any], **_: Any) -> None:
    headers = params.setdefault("headers", {})
    if not any(name.lower() == "content-md5" for name in headers):
        headers["Content-MD5"] = _EMPTY_BODY_MD5


def hide(s3: Any, bucket: str, key: str) -> str:
    """Place a delete marker on ``key`` (no version is removed); returns the marker's id."""
    done = s3.delete_object(Bucket=bucket, Key=key)
    return str(done.get("VersionId") or "")


def _chunks(body: Any) -> Iterator[bytes]:
    while True:
        chunk = body.read(CHUNK)
        if not chunk:
            return
        yield chunk


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int


def digest(s3: Any, bucket: str, key: str, version_id: str | None = None) -> Digest:
    """The SHA-256 and size of an object as S3 serves it, read in chunks."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id is not None:
        params["VersionId"] = version_id
    body = s3.get_object(**params)["Body"]
    sha, size = hashlib.sha256(), 0
    for chunk in _chunks(body):
        sha.update(chunk)
        size += len(chunk)
    return Digest(sha.hexdigest(), size)


def get_small_text(s3: Any, bucket: str, key: str) -> str | None:
    try:
        return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read(4096).decode("utf-8", "replace"))
    except ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404"):
            return None
        raise


def list_keys(s3: Any, bucket: str, prefix: str = "") -> dict[str, int]:
    """Current objects under ``prefix``: key -> size."""
    found: dict[str, int] = {}
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**params)
        for raw in page.get("Contents") or []:
            found[str(raw["Key"])] = int(raw.get("Size") or 0)
        if not page.get("IsTruncated"):
            return found
        params["ContinuationToken"] = page["NextContinuationToken"]


# ---------------------------------------------------------------------------------------------
# A restore test's scratch bucket


def create_scratch_bucket(s3: Any, bucket: str, region: str, tags: Mapping[str, str], kms_key: str) -> None:
    params: dict[str, Any] = {"Bucket": bucket}
    # us-east-1 takes no LocationConstraint; every other Region needs its own (S3 API Reference).
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**params)
    s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    )
    # The restored objects stay under the region's own key, as the data they copy is.
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": kms_key,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )


def bucket_tags(s3: Any, bucket: str) -> dict[str, str] | None:
    """A bucket's tags; None when the bucket does not exist."""
    try:
        found = s3.get_bucket_tagging(Bucket=bucket).get("TagSet") or []
    except ClientError as exc:
        code = error_code(exc)
        if code in ("NoSuchBucket", "404"):
            return None
        if code == "NoSuchTagSet":
            return {}
        raise
    return {str(t["Key"]): str(t["Value"]) for t in found}


def empty_and_delete_bucket(s3: Any, bucket: str) -> int:
    """Delete every object of an unversioned scratch bucket, then the bucket; the objects deleted."""
    keys = list(list_keys(s3, bucket))
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)
    return len(keys)
