#!/usr/bin/env python3
"""How an S3 roll-back scales: planning it (pure) for large version sets, and carrying it out
against moto, in objects and bytes a second.

    python benchmarks/rollback.py [--keys 100000] [--versions 3] [--objects 300]

Planning (operations/recover/rollback.py) reads the whole version listing once: its time grows
with the versions, whatever share of keys changed. Carrying it out is one CopyObject (and a HEAD)
per key to copy back and one DeleteObject per key to hide; against moto in-process the figure is the
scripts' own overhead, not S3's (S3 copies server-side at its own rate). Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(key, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials, never a real account's
    AWS_DEFAULT_REGION="us-east-1",
)

import boto3
from moto import mock_aws

from operations.recover import s3 as objects
from operations.recover.rollback import Version, plan_rollback


def planning(keys: int, versions: int) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    listing = [
        Version(f"k/{k:07d}", f"v{k}-{n}", start + timedelta(minutes=n), n == versions - 1, False, 1024)
        for k in range(keys)
        for n in range(versions)
    ]
    point = start + timedelta(minutes=versions - 2, seconds=30)  # every key changed after it
    began = time.perf_counter()
    plan = plan_rollback(listing, point)
    took = time.perf_counter() - began
    print(
        f"plan: {len(listing):,} versions of {keys:,} keys in {took:.2f}s "
        f"({len(listing) / took:,.0f} versions/s); {plan.describe()}"
    )


def carrying_out(count: int) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        s3.put_bucket_versioning(Bucket="bench", VersioningConfiguration={"Status": "Enabled"})
        for n in range(count):
            s3.put_object(Bucket="bench", Key=f"k/{n}", Body=b"good" * 256)
        time.sleep(1.0 - datetime.now(UTC).microsecond / 1e6 + 0.01)
        point = datetime.now(UTC).replace(microsecond=0)
        time.sleep(1.01)
        for n in range(count):
            s3.put_object(Bucket="bench", Key=f"k/{n}", Body=b"bad")
        began = time.perf_counter()
        plan = plan_rollback(objects.list_versions(s3, "bench"), point)
        for c in plan.copies:
            objects.copy_forward(
                s3, "bench", c.key, version_id=c.version_id, size=c.size, point=point.isoformat()
            )
        took = time.perf_counter() - began
        print(
            f"carry out: {len(plan.copies)} objects ({plan.bytes_copied:,} bytes) copied back in {took:.2f}s "
            f"({len(plan.copies) / took:,.0f} objects/s against moto in-process)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--objects", type=int, default=300)
    args = parser.parse_args()
    planning(args.keys, args.versions)
    carrying_out(args.objects)
    return 0


if __name__ == "__main__":
    sys.exit(main())
