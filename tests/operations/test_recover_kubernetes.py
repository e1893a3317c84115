"""scripts/recover.py for in-cluster data (VAPORA), in-process against moto and the fake Kubernetes API
running the restore Job's contract: the newest dump at or before TIME, checked, loaded in the item's
own namespace; a checksum mismatch refused with nothing changed; TIME before the oldest dump refused
with what there is; a re-run finds the Job done."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3

from continuity.outputs import parse_inventory
from operations.aws import Aws
from operations.kubernetes import Clusters
from scripts.recover import main as recover_main
from tests.operations.harness import FakeClock, FakePulumi, fresh_session
from tests.operations.test_restore_test_stores import VAPORA, Cluster, cluster
from tests.operations.world import DR

__all__ = ["cluster"]  # the fixture, shared with the restore tests of the same estate


def run(c: Cluster, *args: str) -> tuple[int, str, dict[str, Any] | None]:
    inventory = parse_inventory(c.outputs)
    assert inventory.operations_bucket is not None
    s3 = boto3.client("s3", region_name=DR)
    if not any(b["Name"] == inventory.operations_bucket for b in s3.list_buckets()["Buckets"]):
        s3.create_bucket(
            Bucket=inventory.operations_bucket, CreateBucketConfiguration={"LocationConstraint": DR}
        )
        s3.put_bucket_versioning(
            Bucket=inventory.operations_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
    outputs = c.tmp_path / "outputs.json"
    outputs.write_text(json.dumps(c.outputs))
    report = c.tmp_path / "recover.json"
    report.unlink(missing_ok=True)
    err = io.StringIO()
    code = recover_main(
        ["--outputs", str(outputs), "--plan", str(VAPORA), "--report", str(report), "--yes", *args],
        aws=Aws(fresh_session()),
        pulumi=FakePulumi(),
        clock=FakeClock(),
        kubernetes=Clusters(str(c.kubeconfig)),
        poll_seconds=1,
        stdin=io.StringIO(),
        stdout=io.StringIO(),
        stderr=err,
    )
    return code, err.getvalue(), json.loads(report.read_text()) if report.exists() else None


def test_newest_dump_before_the_point_loaded_in_the_items_namespace(cluster: Cluster) -> None:
    # GIVEN three hourly dumps, the last taken after the corruption
    cluster.dump("surrealdb", "20260301T100000Z", b"DEFINE TABLE orders;\n")
    good = cluster.dump("surrealdb", "20260301T110000Z", b"DEFINE TABLE orders; CREATE orders:1;\n")
    cluster.dump("surrealdb", "20260301T120000Z", b"REMOVE TABLE orders;\n")
    # WHEN surrealdb is recovered to 11:30, corrupted at 11:45
    code, err, report = run(
        cluster,
        "--item",
        "surrealdb",
        "--to",
        "2026-03-01T11:30:00Z",
        "--corrupted-at",
        "2026-03-01T11:45:00Z",
    )
    # THEN the 11:00 dump was checked and loaded by the plan's command, into vapora itself
    assert code == 0, err
    (job,) = cluster.contract.ran
    assert (job.key, job.namespace, job.restore_namespace, job.scratch) == (good, "vapora", "vapora", False)
    assert job.problems == []
    assert report is not None
    assert (report["recovered_point"], report["data_lost"]["seconds"]) == ("2026-03-01T11:00:00Z", 2700.0)
    assert report["data_lost"]["within_rpo"] is True  # tier critical RPO 1h
    assert report["details"]["dump"] == good
    # AND the Job is kept as the record of what was restored; running again finds it done
    assert cluster.objects("jobs") == [("vapora", "surrealdb-recover-20260301110000")]
    again_code, again_err, again = run(cluster, "--item", "surrealdb", "--to", "2026-03-01T11:30:00Z")
    assert again_code == 0, again_err
    assert again is not None
    assert again["outcome"] == "already recovered"
    assert len(cluster.contract.ran) == 1


def test_checksum_mismatch_refused_nothing_changed(cluster: Cluster) -> None:
    key = cluster.dump("surrealdb", "20260301T110000Z", b"DEFINE TABLE orders;\n", checksum="f" * 64)
    code, err, _ = run(cluster, "--item", "surrealdb", "--to", "2026-03-01T11:30:00Z")
    assert code == 3
    assert err.splitlines()[0].startswith(
        f"recover: refused: the dump {key} does not match its checksum: {key}.sha256 says {'f' * 64}, "
    )
    assert err.splitlines()[0].endswith("; nothing was restored")
    assert cluster.contract.ran == []
    assert cluster.objects("jobs") == []


def test_before_the_oldest_dump__exit_2_with_the_window(cluster: Cluster) -> None:
    cluster.dump("surrealdb", "20260301T110000Z", b"x\n")
    code, err, _ = run(cluster, "--item", "surrealdb", "--to", "2026-03-01T10:30:00Z")
    assert code == 2
    assert err.splitlines() == [
        f"recover: --to 2026-03-01T10:30:00Z is before the oldest dump in bucket {cluster.buckets['surrealdb']}, "
        "taken 2026-03-01T11:00:00Z (window 2026-03-01T11:00:00Z to 2026-03-01T11:00:00Z)"
    ]


def test_time_in_the_future__exit_2(cluster: Cluster) -> None:
    future = datetime(2099, 1, 1, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, err, _ = run(cluster, "--item", "surrealdb", "--to", future)
    assert (code, err.splitlines()) == (2, [f"recover: --to {future}: in the future"])
