"""The restore Job's contract, run by the fake Kubernetes API in place of a kubelet.

A real cluster would pull the images, fetch the dump and run the plan's restore command. The
stand-in checks, at the moment the Job is created, everything that decides whether that would work
and could be wrong in what the scripts send (operations/recover/jobs.py), against the emulated AWS
and the cluster's own objects:

- it runs as the item's restore service account, which the stack declared in that namespace;
- its fetch container uses the image the item's backup CronJob uploads with (the AWS CLI), and the
  dump it names exists in the item's bucket, is not empty, and has the SHA-256 the Job checks and
  the checksum object beside it holds;
- its restore container runs the plan's image and ``restore_command`` with the dump on stdin, into a
  namespace that exists.

A Job that keeps the contract completes (status Complete, as the Job controller sets it); one that
breaks it fails with the reason as the condition's message. Every Job judged is in ``ran``, so the
rehearsal and the tests can say which dump went where.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from continuity.plan import Plan
from offline.fake_kubernetes import FakeCluster
from operations.recover.jobs import LABEL_ITEM, LABEL_RUN, restore_script

S3Client = Callable[[str], Any]  # region -> an S3 client of the emulated AWS


@dataclass(frozen=True)
class JudgedJob:
    namespace: str
    name: str
    item: str
    bucket: str
    key: str
    restore_namespace: str
    scratch: bool
    problems: list[str]


@dataclass
class RestoreJobContract:
    plan: Plan
    cluster: FakeCluster
    s3: S3Client
    ran: list[JudgedJob] = field(default_factory=list)

    def __call__(self, plural: str, body: dict[str, Any]) -> None:
        labels = (body.get("metadata") or {}).get("labels") or {}
        if plural != "jobs" or LABEL_RUN not in labels or body.get("status"):
            return
        judged = self.judge(body)
        self.ran.append(judged)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if judged.problems:
            message = "; ".join(judged.problems)
            body["status"] = {
                "failed": 1,
                "conditions": [
                    {"type": "Failed", "status": "True", "reason": "ContractBroken", "message": message}
                ],
            }
        else:
            body["status"] = {
                "succeeded": 1,
                "startTime": now,
                "completionTime": now,
                "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": now}],
            }

    def judge(self, body: dict[str, Any]) -> JudgedJob:
        metadata = body["metadata"]
        namespace = metadata.get("namespace", "")
        item = str(metadata["labels"].get(LABEL_ITEM, ""))
        pod = body["spec"]["template"]["spec"]
        problems: list[str] = []
        spec = self.plan.data.get(item)
        fetch = (pod.get("initContainers") or [{}])[0]
        restore = (pod.get("containers") or [{}])[0]
        fetch_env = {e["name"]: e.get("value", "") for e in fetch.get("env") or []}
        restore_env = {e["name"]: e.get("value", "") for e in restore.get("env") or []}
        bucket, key = fetch_env.get("DUMP_BUCKET", ""), fetch_env.get("DUMP_KEY", "")
        judged = JudgedJob(
            namespace,
            metadata["name"],
            item,
            bucket,
            key,
            restore_env.get("RESTORE_NAMESPACE", ""),
            restore_env.get("RESTORE_SCRATCH") == "true",
            problems,
        )
        if spec is None or spec.store != "kubernetes" or spec.restore_command is None:
            problems.append(f"{item!r} is no in-cluster item of the plan with a restore_command")
            return judged
        account = pod.get("serviceAccountName")
        if (
            account != f"{item}-restore"
            or self.cluster.get("v1", "serviceaccounts", namespace, str(account)) is None
        ):
            problems.append(f"service account {namespace}/{account} is not the item's restore identity")
        backup = self._upload_image(namespace, item)
        if fetch.get("image") != backup:
            problems.append(f"fetch image {fetch.get('image')} is not the backup's upload image {backup}")
        problems += self._dump(fetch_env)
        if restore.get("image") != spec.image:
            problems.append(f"restore image {restore.get('image')} is not the plan's {spec.image}")
        if restore.get("command") != ["/bin/sh", "-c", restore_script(spec.restore_command)]:
            problems.append("the restore container does not run the plan's restore_command on the dump")
        if restore_env.get("DUMP_FILE") != fetch_env.get("DUMP_FILE"):
            problems.append("the restore container reads another file than the fetch container wrote")
        if self.cluster.get("v1", "namespaces", "", judged.restore_namespace) is None:
            problems.append(f"RESTORE_NAMESPACE {judged.restore_namespace} does not exist")
        return judged

    def _upload_image(self, namespace: str, item: str) -> str | None:
        with self.cluster.lock:
            for (api, plural, ns, _), found in self.cluster.objects.items():
                labels = (found.get("metadata") or {}).get("labels") or {}
                if (api, plural, ns) == ("batch/v1", "cronjobs", namespace) and labels.get(
                    LABEL_ITEM
                ) == item:
                    pod = found["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                    return str(pod["containers"][0]["image"])
        return None

    def _dump(self, env: dict[str, str]) -> list[str]:
        bucket, key, expected = (
            env.get("DUMP_BUCKET", ""),
            env.get("DUMP_KEY", ""),
            env.get("DUMP_SHA256", ""),
        )
        s3 = self.s3(env.get("AWS_REGION", ""))
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            beside = s3.get_object(Bucket=bucket, Key=key + ".sha256")["Body"].read().decode().split()
        except Exception as exc:
            return [f"s3://{bucket}/{key} cannot be fetched with its checksum: {type(exc).__name__}"]
        problems = []
        if not body:
            problems.append(f"s3://{bucket}/{key} is empty")
        digest = hashlib.sha256(body).hexdigest()
        if digest != expected or not beside or beside[0] != digest:
            problems.append(
                f"s3://{bucket}/{key} does not match DUMP_SHA256 and its checksum object (sha256sum -c fails)"
            )
        return problems
