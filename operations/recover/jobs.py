"""The restore Job: how a dump of in-cluster data goes back in, as a Kubernetes manifest (pure).

The contract, the same for a recovery and a restore test (docs/recovery.md):

- it runs in the item's namespace as the item's restore service account (declared by the stacks,
  components/kubernetes_backups.py: its IRSA role may read only the item's dumps);
- an init container in the image the backups upload with (the AWS CLI) fetches the dump into an
  emptyDir, refuses an empty one and checks its SHA-256 (`sha256sum -c`) before anything loads it;
- the item's own image then runs the plan's ``restore_command`` under /bin/sh with the dump at
  ``$DUMP_FILE`` and on stdin, ``$RESTORE_NAMESPACE`` the namespace to restore into (the item's, or
  a restore test's scratch namespace), ``$RESTORE_SCRATCH`` ``true`` in a test, ``$RESTORE_POINT``
  the dump's time;
- one attempt (``backoffLimit: 0``): a restore that failed half way is looked at, not repeated;
  ``activeDeadlineSeconds`` is what is left of the run's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

DUMP_DIR = "/restore"
FETCH_SCRIPT = "; ".join(
    [
        "set -eu",
        'aws s3 cp "s3://$DUMP_BUCKET/$DUMP_KEY" "$DUMP_FILE" --only-show-errors',
        'if [ ! -s "$DUMP_FILE" ]; then echo "the dump $DUMP_KEY is empty" >&2; exit 1; fi',
        'echo "$DUMP_SHA256  $DUMP_FILE" | sha256sum -c -',
    ]
)
LABEL_ITEM = "continuity.data-item"
LABEL_RUN = "continuity.recovery"


@dataclass(frozen=True)
class RestoreJob:
    name: str
    namespace: str  # the item's: where its service account is
    item: str
    service_account: str
    transfer_image: str
    image: str
    restore_command: str
    bucket: str
    key: str
    sha256: str
    region: str
    restore_namespace: str
    scratch: bool
    point: datetime
    run_label: str  # this run's mark: a cleanup deletes only Jobs that carry it
    deadline_seconds: int

    @property
    def dump_file(self) -> str:
        return f"{DUMP_DIR}/{self.item}.dump"


def restore_script(restore_command: str) -> str:
    """The command with the dump on stdin for the whole of it (pipelines included); the newline
    ends a trailing comment before the group closes."""
    return f'( {restore_command}\n) < "$DUMP_FILE"'


def manifest(job: RestoreJob) -> dict[str, Any]:
    volume = {"name": "dump", "mountPath": DUMP_DIR}
    dump_env = [
        {"name": "DUMP_FILE", "value": job.dump_file},
        {"name": "DATA_ITEM", "value": job.item},
    ]
    labels = {LABEL_ITEM: job.item, LABEL_RUN: job.run_label}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job.name, "namespace": job.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": max(1, job.deadline_seconds),
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": job.service_account,
                    "restartPolicy": "Never",
                    "volumes": [{"name": "dump", "emptyDir": {}}],
                    "initContainers": [
                        {
                            "name": "fetch",
                            "image": job.transfer_image,
                            "command": ["/bin/sh", "-c", FETCH_SCRIPT],
                            "env": [
                                *dump_env,
                                {"name": "DUMP_BUCKET", "value": job.bucket},
                                {"name": "DUMP_KEY", "value": job.key},
                                {"name": "DUMP_SHA256", "value": job.sha256},
                                {"name": "AWS_REGION", "value": job.region},
                            ],
                            "volumeMounts": [volume],
                        }
                    ],
                    "containers": [
                        {
                            "name": "restore",
                            "image": job.image,
                            "command": ["/bin/sh", "-c", restore_script(job.restore_command)],
                            "env": [
                                *dump_env,
                                {"name": "RESTORE_NAMESPACE", "value": job.restore_namespace},
                                {"name": "RESTORE_SCRATCH", "value": "true" if job.scratch else "false"},
                                {"name": "RESTORE_POINT", "value": job.point.strftime("%Y-%m-%dT%H:%M:%SZ")},
                            ],
                            "volumeMounts": [volume],
                        }
                    ],
                },
            },
        },
    }


@dataclass(frozen=True)
class JobState:
    name: str
    succeeded: bool
    failed: bool
    message: str
    labels: dict[str, str]

    def describe(self) -> str:
        if self.succeeded:
            return "complete"
        return f"failed: {self.message}" if self.failed else "running"


def job_state(raw: dict[str, Any]) -> JobState:
    """What a Job's status says (the conditions Complete and Failed, or its pod counts)."""
    status = raw.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    failed = "Failed" in conditions or int(status.get("failed") or 0) > 0
    message = str(
        (conditions.get("Failed") or {}).get("message")
        or (conditions.get("Failed") or {}).get("reason")
        or ""
    )
    return JobState(
        name=str((raw.get("metadata") or {}).get("name", "")),
        succeeded="Complete" in conditions or int(status.get("succeeded") or 0) > 0,
        failed=failed,
        message=message or ("a pod failed" if failed else ""),
        labels=dict((raw.get("metadata") or {}).get("labels") or {}),
    )
