"""scripts/restore_test.py for the stores beyond RDS, in-process against moto: an s3 item's newest
objects restored into a scratch bucket and compared by SHA-256; an in-cluster item's newest dump
checked against its checksum and loaded by the plan's restore command into a scratch namespace, the
fake Kubernetes API running the restore Job's contract (offline/restore_jobs.py). Whatever happens,
only what the run created is deleted."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from continuity.outputs import parse_inventory
from continuity.plan import Plan, load_plan
from offline.fake_kubernetes import FakeCluster, running_cluster, write_kubeconfig
from offline.restore_jobs import RestoreJobContract
from operations.aws import Aws
from operations.kubernetes import Clusters
from operations.restore.run import RestoreTiming
from scripts.restore_test import main as restore_test_main
from tests.conftest import ROOT
from tests.operations.harness import FakeClock, fresh_session
from tests.operations.toolkit import Toolkit
from tests.operations.world import PRIMARY
from tests.stack_runs import stack_runs

Make = Callable[..., Toolkit]
FAST = RestoreTiming(poll_seconds=1, restore_timeout=60, cleanup_timeout=60, verify_timeout=30)
VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
UPLOAD_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.22.0"


def scratch_buckets(t: Toolkit) -> list[str]:
    return [
        b["Name"] for b in t.client("s3", PRIMARY).list_buckets()["Buckets"] if "-restore-test-" in b["Name"]
    ]


# ---------------------------------------------------------------------------------------------
# s3


def test_s3__newest_objects_restored_compared_and_deleted(estate: Make) -> None:
    # GIVEN user-files holding six objects, one overwritten
    t = estate(primary_down=False)
    for n in range(6):
        t.estate.put_object(t.client, "primary", "user-files", f"f/{n}.json", f"v1 {n}".encode())
    t.estate.put_object(t.client, "primary", "user-files", "f/5.json", b"v2 5")
    # WHEN the restore test runs on it
    result = t.run("restore_test", "--data-item", "user-files", timing=FAST)
    # THEN the newest five, as they are now, were restored and matched, and the scratch bucket is gone
    assert result.code == 0, result.err
    report = result.report
    assert report is not None
    assert report["store"] == "s3"
    assert report["scratch_kind"] == "bucket"
    assert report["details"]["objects"] == 5
    assert report["details"]["mismatches"] == []
    assert report["cleanup"] == {"deleted": True}
    assert result.out.splitlines()[-2].startswith("user-files restored in ")
    assert result.out.splitlines()[-2].endswith("verified; scratch bucket deleted")
    assert scratch_buckets(t) == []
    [entry] = t.estate.history_entries()
    assert (entry["store"], entry["ok"], entry["data_item"]) == ("s3", True, "user-files")


def tamper_with_restored(client: Callable[[str, str], Any]) -> tuple[str, Callable[..., None]]:
    """Before the first read of a scratch bucket's object, change it: a restore gone wrong."""
    done: set[str] = set()

    def handler(params: dict[str, Any], model: Any, **_: Any) -> None:
        bucket, key = params.get("Bucket", ""), params.get("Key", "")
        if model.name == "GetObject" and "-restore-test-" in bucket and key not in done:
            done.add(key)
            client("s3", PRIMARY).put_object(Bucket=bucket, Key=key, Body=b"not what was backed up")

    return "before-parameter-build.s3.GetObject", handler


def test_s3__a_restored_object_that_differs_is_a_finding_still_deleted(estate: Make) -> None:
    t = estate(primary_down=False)
    t.estate.put_object(t.client, "primary", "user-files", "f/a.json", b"a")
    result = t.run(
        "restore_test", "--data-item", "user-files", timing=FAST, hooks=[tamper_with_restored(t.client)]
    )
    assert result.code == 1
    assert result.err.splitlines() == [
        "restore_test: finding: 1 of 1 restored object(s) differ from their source: f/a.json"
    ]
    assert scratch_buckets(t) == []
    [entry] = t.estate.history_entries()
    assert entry["ok"] is False


def test_s3__a_bucket_without_versioning_has_nothing_to_restore_from(estate: Make) -> None:
    t = estate(primary_down=False)
    t.client("s3", PRIMARY).create_bucket(Bucket="orders-unversioned")
    outputs = json.loads(json.dumps(t.estate.outputs))
    outputs["inventory"]["regions"]["primary"]["bucket_names"]["user-files"] = "orders-unversioned"
    result = t.run("restore_test", "--data-item", "user-files", timing=FAST, outputs=t.outputs_file(outputs))
    assert result.code == 1
    assert result.err.splitlines() == [
        "restore_test: finding: nothing to restore from: bucket orders-unversioned has versioning Off"
    ]
    assert scratch_buckets(t) == []


# ---------------------------------------------------------------------------------------------
# In-cluster data (VAPORA)


@dataclass
class Cluster:
    plan: Plan
    outputs: dict[str, Any]
    fake: FakeCluster
    contract: RestoreJobContract
    kubeconfig: Path
    tmp_path: Path

    @property
    def buckets(self) -> dict[str, str]:
        return parse_inventory(self.outputs).primary.bucket_names

    def s3(self) -> Any:
        return boto3.client("s3", region_name=PRIMARY)

    def dump(self, item: str, stamp: str, body: bytes, checksum: str | None = None) -> str:
        key = f"{item}/{stamp}.dump"
        self.s3().put_object(
            Bucket=self.buckets[item],
            Key=key + ".sha256",
            Body=(checksum or hashlib.sha256(body).hexdigest()) + "\n",
        )
        self.s3().put_object(Bucket=self.buckets[item], Key=key, Body=body)
        return key

    def run(self, *args: str, plan: Path = VAPORA) -> tuple[int, str, str, dict[str, Any] | None]:
        outputs = self.tmp_path / "outputs.json"
        outputs.write_text(json.dumps(self.outputs))
        report = self.tmp_path / "report.json"
        report.unlink(missing_ok=True)
        out, err = io.StringIO(), io.StringIO()
        code = restore_test_main(
            [
                "--outputs",
                str(outputs),
                "--plan",
                str(plan),
                "--report",
                str(report),
                "--history",
                str(self.tmp_path / "history.jsonl"),
                *args,
            ],
            aws=Aws(fresh_session()),
            clock=FakeClock(),
            timing=FAST,
            kubernetes=Clusters(str(self.kubeconfig)),
            stdout=out,
            stderr=err,
        )
        data = json.loads(report.read_text()) if report.exists() else None
        return code, out.getvalue(), err.getvalue(), data

    def objects(self, plural: str) -> list[tuple[str, str]]:
        with self.fake.lock:
            return sorted((ns, name) for (_, p, ns, name) in self.fake.objects if p == plural)


@pytest.fixture
def cluster(aws_credentials: None, tmp_path: Path) -> Iterator[Cluster]:
    plan = load_plan(VAPORA)
    outputs = json.loads(json.dumps(stack_runs(VAPORA).dr.outputs, default=str))
    inventory = parse_inventory(outputs)
    assert inventory.primary.kubernetes is not None
    with mock_aws(), running_cluster("vapora-primary") as fake:
        fake.context = inventory.primary.kubernetes.context
        s3 = boto3.client("s3", region_name=PRIMARY)
        for bucket in inventory.primary.bucket_names.values():
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        # What the primary stack declared in the cluster for restores: the namespace, the restore
        # identities, and the backup CronJobs whose upload image fetches the dumps.
        fake.put("v1", "namespaces", {"metadata": {"name": "vapora"}})
        for item, job in inventory.primary.kubernetes.cron_jobs.items():
            fake.put(
                "v1", "serviceaccounts", {"metadata": {"name": f"{item}-restore", "namespace": "vapora"}}
            )
            fake.put(
                "batch/v1",
                "cronjobs",
                {
                    "metadata": {
                        "name": job.name,
                        "namespace": "vapora",
                        "labels": {"continuity.data-item": item},
                    },
                    "spec": {
                        "schedule": "0 * * * *",
                        "jobTemplate": {
                            "spec": {
                                "template": {
                                    "spec": {
                                        "restartPolicy": "Never",
                                        "containers": [{"name": "upload", "image": job.transfer_image}],
                                    }
                                }
                            }
                        },
                    },
                },
            )
        contract = RestoreJobContract(
            plan, fake, lambda region: boto3.client("s3", region_name=region or PRIMARY)
        )
        fake.controllers.append(contract)
        kubeconfig = write_kubeconfig([fake], tmp_path / "kubeconfig")
        yield Cluster(plan, outputs, fake, contract, kubeconfig, tmp_path)


def test_kubernetes__newest_dump_checked_and_loaded_into_a_scratch_namespace(cluster: Cluster) -> None:
    # GIVEN two hourly dumps of surrealdb
    cluster.dump("surrealdb", "20260301T100000Z", b"DEFINE TABLE orders;\n")
    newest = cluster.dump("surrealdb", "20260301T110000Z", b"DEFINE TABLE orders; CREATE orders:1;\n")
    # WHEN its restore test runs
    code, out, err, report = cluster.run("--data-item", "surrealdb")
    # THEN it passed: the newest dump, checked, loaded by the plan's command into a scratch namespace
    assert code == 0, err
    assert report is not None
    assert report["restored_point"] == "2026-03-01T11:00:00Z"
    assert report["details"]["dump"] == newest
    (job,) = cluster.contract.ran
    assert (job.item, job.key, job.namespace, job.scratch) == ("surrealdb", newest, "vapora", True)
    assert job.restore_namespace == report["scratch"]
    assert job.problems == []
    # AND the scratch namespace and the Job are gone; the item's namespace is not
    assert cluster.objects("namespaces") == [("", "vapora")]
    assert cluster.objects("jobs") == []
    assert out.splitlines()[-2].endswith("verified; scratch namespace deleted")


def test_kubernetes__items_that_write_objects_get_leave_in_the_scratch_namespace(cluster: Cluster) -> None:
    cluster.dump("configuration", "20260301T110000Z", b"apiVersion: v1\nkind: List\nitems: []\n")
    code, _, err, report = cluster.run("--data-item", "configuration")
    assert code == 0, err
    assert report is not None
    actions = next(s for s in report["steps"] if s["step"] == "restore")["actions"]
    assert f"let vapora/configuration-restore write configmaps in {report['scratch']}" in actions
    granted = [r for r in cluster.fake.requests if r.method == "POST" and r.path.endswith("/roles")]
    assert granted[0].body["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get", "list", "create", "update", "patch"],
        }
    ]


def test_kubernetes__checksum_mismatch_is_a_finding_nothing_created(cluster: Cluster) -> None:
    key = cluster.dump("surrealdb", "20260301T110000Z", b"DEFINE TABLE orders;\n", checksum="0" * 64)
    code, _, err, _ = cluster.run("--data-item", "surrealdb")
    assert code == 1
    assert err.splitlines() == [
        f"restore_test: finding: the dump {key} does not match its checksum: {key}.sha256 says {'0' * 64}, "
        f"the dump reads {hashlib.sha256(b'DEFINE TABLE orders;' + bytes([10])).hexdigest()}"
    ]
    assert cluster.contract.ran == []
    assert cluster.objects("namespaces") == [("", "vapora")]


def test_kubernetes__a_dump_without_its_checksum_is_not_trusted(cluster: Cluster) -> None:
    key = "surrealdb/20260301T110000Z.dump"
    cluster.s3().put_object(Bucket=cluster.buckets["surrealdb"], Key=key, Body=b"x")
    code, _, err, _ = cluster.run("--data-item", "surrealdb")
    assert code == 1
    assert err.splitlines() == [
        f"restore_test: finding: the dump {key} has no checksum beside it ({key}.sha256): not trusted"
    ]


def test_kubernetes__no_restore_command_is_bad_input(cluster: Cluster, tmp_path: Path) -> None:
    text = VAPORA.read_text().replace(
        "    restore_command: surreal import", "    # restore_command: surreal import"
    )
    plan = tmp_path / "vapora.yaml"
    plan.write_text(text)
    code, _, err, report = cluster.run("--data-item", "surrealdb", plan=plan)
    assert code == 2
    assert err.splitlines() == [
        f"restore_test: data.surrealdb.restore_command is not set in plan {plan}: its dumps cannot be "
        "restored (docs/recovery.md)"
    ]
    assert report is None
