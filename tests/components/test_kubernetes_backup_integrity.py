"""In-cluster backups can be trusted on the way back: the upload container's own shell command,
run here with a stand-in `aws` that copies instead of uploading, puts a SHA-256 beside every dump
and refuses an empty one; and the stacks give each item a restore identity that can read its
dumps and write back only what the backup may read."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from components.kubernetes_backups import upload_command
from continuity.outputs import parse_inventory
from tests.conftest import ROOT
from tests.stack_runs import stack_runs

VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
# `aws s3 cp SOURCE s3://BUCKET/KEY ...`, as the AWS CLI does it, into $UPLOADED/BUCKET/KEY.
FAKE_AWS = """#!/bin/sh
[ "$1 $2" = "s3 cp" ] || exit 2
target="$UPLOADED/${4#s3://}"
mkdir -p "$(dirname "$target")" && cp "$3" "$target" && echo "$4" >> "$UPLOADED/order"
"""


def run_upload(tmp_path: Path, dump: bytes) -> tuple[subprocess.CompletedProcess[str], Path]:
    bin_dir, uploaded, dumps = tmp_path / "bin", tmp_path / "uploaded", tmp_path / "backup"
    for d in (bin_dir, uploaded, dumps):
        d.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    (dumps / "surrealdb.dump").write_bytes(dump)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "UPLOADED": str(uploaded),
        "BACKUP_BUCKET": "vapora-surrealdb-primary",
        "BACKUP_KMS_KEY": "arn:aws:kms:us-east-1:123456789012:key/k",
    }
    command = upload_command("surrealdb", "surrealdb/", dump_dir=str(dumps))
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, check=False)
    return done, uploaded


def test_a_dump_goes_up_with_its_checksum_first(tmp_path: Path) -> None:
    # GIVEN a dump the export wrote WHEN the upload container runs
    body = b"DEFINE TABLE orders;\n"
    done, uploaded = run_upload(tmp_path, body)
    # THEN it succeeds, the checksum object first, then the dump, named alike
    assert done.returncode == 0, done.stderr
    first, second = (uploaded / "order").read_text().split()
    assert second.endswith(".dump")
    assert first == second + ".sha256"
    key = second.removeprefix("s3://")
    assert (uploaded / key).read_bytes() == body
    assert (uploaded / f"{key}.sha256").read_text().strip() == hashlib.sha256(body).hexdigest()


def test_an_empty_dump_is_refused(tmp_path: Path) -> None:
    # GIVEN an export that wrote nothing WHEN the upload container runs
    done, uploaded = run_upload(tmp_path, b"")
    # THEN the Job fails, saying why, and nothing is uploaded
    assert done.returncode == 1
    assert "the dump of surrealdb is empty: not uploaded" in done.stderr
    assert not (uploaded / "order").exists()


def test_restore_identity_reads_only_the_items_dumps() -> None:
    run = stack_runs(VAPORA).primary
    policies = {
        r.name: json.loads(r.plain_inputs()["policy"])
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.endswith("-restore")
    }
    assert set(policies) == {
        "vapora-k8s-backups-surrealdb-restore",
        "vapora-k8s-backups-configuration-restore",
    }
    statements = policies["vapora-k8s-backups-surrealdb-restore"]["Statement"]
    assert [s["Action"] for s in statements] == [["s3:GetObject"], ["kms:Decrypt"]]
    assert all(r.endswith("/surrealdb/*") for r in statements[0]["Resource"])


def test_restore_identity_writes_back_only_what_the_backup_reads() -> None:
    run = stack_runs(VAPORA).primary
    accounts = {
        r.plain_inputs()["metadata"]["name"]: r.plain_inputs()["metadata"]
        for r in run.of_type("kubernetes:core/v1:ServiceAccount")
    }
    assert {"surrealdb-restore", "configuration-restore"} <= set(accounts)
    assert "eks.amazonaws.com/role-arn" in accounts["surrealdb-restore"]["annotations"]
    roles = {
        r.plain_inputs()["metadata"]["name"]: r.plain_inputs()["rules"]
        for r in run.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    }
    # surrealdb reads no Kubernetes objects: its restore writes none either
    assert "surrealdb-restore" not in roles
    assert roles["configuration-restore"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get", "list", "create", "update", "patch"],
        }
    ]


def test_inventory_names_the_restore_account_and_transfer_image() -> None:
    inventory = parse_inventory(stack_runs(VAPORA).dr.outputs)
    for region in (inventory.primary, inventory.dr):
        assert region.kubernetes is not None
        jobs = region.kubernetes.cron_jobs
        assert {item: job.restore_service_account for item, job in jobs.items()} == {
            "surrealdb": "surrealdb-restore",
            "configuration": "configuration-restore",
        }
        assert all(
            job.transfer_image and job.transfer_image.startswith("public.ecr.aws/aws-cli/")
            for job in jobs.values()
        )
