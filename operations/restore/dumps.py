"""The restore test of in-cluster data: fetch the newest dump, check it against its SHA-256, and
load it with the plan's restore command into a scratch namespace, as a recovery would.

Before anything is created, the dump is read from its bucket here and checked: not empty, and its
SHA-256 the one uploaded beside it (components/kubernetes_backups.py); a dump that fails is the
finding. Then a scratch namespace tagged with this run's token (and, for items that write
Kubernetes objects back, leave for the item's restore identity to write there), and the restore
Job (operations/recover/jobs.py) in the item's namespace with ``RESTORE_NAMESPACE`` the scratch one
and ``RESTORE_SCRATCH=true``; its completion, timed against the tier's RTO, is the test. The Job and
the namespace are deleted afterwards, and only if they carry this run's mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from continuity.outputs import Inventory, KubernetesInventory, KubernetesWorkload
from continuity.plan import KUBERNETES_READABLE, KUBERNETES_RESTORE_VERBS, Plan
from operations.aws import Aws
from operations.clock import Clock, poll_until
from operations.errors import BadInput, Finding, StepFailed, WaitTimeout
from operations.kubernetes import Clusters
from operations.recover import k8s
from operations.recover import s3 as objects
from operations.recover.jobs import LABEL_ITEM, LABEL_RUN, JobState, RestoreJob, manifest
from operations.recover.names import job_name
from operations.recover.points import Dump, dump_at, dumps_in, parse_checksum
from operations.report import ALREADY_DONE, DONE, StepRecord, iso
from operations.restore.run import RestoreRun, RestoreTiming, timed
from operations.restore.scratch import scratch_namespace

LABEL_SCRATCH = "continuity.scratch"


@dataclass(frozen=True)
class DumpTarget:
    """Where an in-cluster item's dumps are and how its restore Job runs, from plan and outputs."""

    item: str
    namespace: str
    context: str
    bucket: str
    prefix: str
    image: str
    restore_command: str
    restore_account: str
    transfer_image: str
    reads: list[str]


def dump_target(plan: Plan, inventory: Inventory, item: str, role: str) -> DumpTarget:
    """BadInput naming what is missing: the plan's restore_command, or outputs from before the
    restore identity existed."""
    spec = plan.data[item]
    if spec.restore_command is None:
        raise BadInput(
            f"data.{item}.restore_command is not set in plan {plan.source}: its dumps cannot be "
            "restored (docs/recovery.md)"
        )
    where = inventory.region(role)
    cluster: KubernetesInventory | None = where.kubernetes
    job: KubernetesWorkload | None = cluster.cron_jobs.get(item) if cluster is not None else None
    bucket = where.bucket_names.get(item)
    if cluster is None or job is None or bucket is None:
        raise BadInput(f"the outputs name no backup CronJob or bucket for {item} in the {role} region")
    if job.restore_service_account is None or job.transfer_image is None:
        raise BadInput(
            f"outputs inventory.regions.{role}.kubernetes.cron_jobs.{item}: no restore_service_account; "
            "the stack was deployed before restores existed: run pulumi up on it, then save the outputs again"
        )
    assert spec.image is not None, "validated: kubernetes items name an image"
    return DumpTarget(
        item=item,
        namespace=job.namespace,
        context=cluster.context,
        bucket=bucket,
        prefix=f"{item}/",
        image=spec.image,
        restore_command=spec.restore_command,
        restore_account=job.restore_service_account,
        transfer_image=job.transfer_image,
        reads=list(spec.reads),
    )


def checked_dump(s3: Any, target: DumpTarget, point: Any) -> tuple[Dump, str]:
    """The dump that answers ``point`` (the newest when None), read and checked against its
    checksum: a Finding when it is empty, has no checksum, or does not match it."""
    where = f"bucket {target.bucket}"
    dumps = dumps_in(objects.list_keys(s3, target.bucket, target.prefix), target.prefix)
    if point is None:
        if not dumps:
            raise Finding(f"nothing to restore: no dump of {target.item} in {where}")
        dump = dumps[-1]
    else:
        dump = dump_at(dumps, point, where)
    text = objects.get_small_text(s3, target.bucket, dump.checksum_key)
    if text is None:
        raise Finding(f"the dump {dump.key} has no checksum beside it ({dump.checksum_key}): not trusted")
    try:
        expected = parse_checksum(text, dump.checksum_key)
    except ValueError as exc:
        raise Finding(str(exc)) from None
    found = objects.digest(s3, target.bucket, dump.key)
    if found.size == 0:
        raise Finding(f"the dump {dump.key} is empty")
    if found.sha256 != expected:
        raise Finding(
            f"the dump {dump.key} does not match its checksum: {dump.checksum_key} says {expected}, "
            f"the dump reads {found.sha256}"
        )
    return dump, expected


def write_rules(reads: list[str]) -> list[dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for kind in reads:
        groups.setdefault(KUBERNETES_READABLE[kind], []).append(kind)
    return [
        {"apiGroups": [group], "resources": kinds, "verbs": list(KUBERNETES_RESTORE_VERBS)}
        for group, kinds in groups.items()
    ]


def wait_for_job(
    api: Any, namespace: str, name: str, *, clock: Clock, timeout: float, interval: float, state: Any
) -> JobState:
    """Until the Job completes or fails; a Finding when it fails or does not finish in time."""
    try:
        found = poll_until(
            lambda: k8s.read_job(api, namespace, name),
            lambda j: j is not None and (j.succeeded or j.failed),
            clock=clock,
            timeout=timeout,
            interval=interval,
            what=f"job {namespace}/{name}",
            describe=lambda j: "not listed yet" if j is None else j.describe(),
            on_state=state,
        )
    except WaitTimeout as exc:
        raise Finding(f"the restore Job did not finish: {exc}") from exc
    assert found is not None
    if not found.succeeded:
        raise Finding(
            f"the restore Job {namespace}/{name} failed: {found.message} "
            f"(kubectl -n {namespace} logs job/{name} --all-containers)"
        )
    return found


@dataclass
class DumpTest:
    aws: Aws
    clock: Clock
    timing: RestoreTiming
    clusters: Clusters | None
    kind: str = "namespace"
    target: DumpTarget | None = None
    dump: Dump | None = None
    sha256: str = ""
    job: str = ""

    def _api(self) -> Any:
        assert self.target is not None
        return (self.clusters or Clusters()).api(self.target.context)

    def preflight(self, run: RestoreRun, rec: StepRecord) -> None:
        item, role = run.options.data_item, run.options.region_role
        target = self.target = dump_target(run.plan, run.inventory, item, role)
        run.scratch = scratch_namespace(target.namespace, run.started_at)
        self.job = job_name(target.item, "rt", run.started_at)
        self.dump, self.sha256 = checked_dump(
            self.aws.client("s3", run.region), target, run.options.point_in_time
        )
        run.source = f"s3://{target.bucket}/{self.dump.key}"
        run.restored_point = self.dump.taken_at
        run.details.update(dump=self.dump.key, sha256=self.sha256, size=self.dump.size)
        rec.notes.append(f"source: {run.source}, {self.dump.size:,} bytes, taken {iso(self.dump.taken_at)}")
        rec.notes.append(f"its SHA-256 matches {self.dump.checksum_key}: {self.sha256}")
        self._api()  # the kubeconfig context, now: a missing one is bad input, before anything is made

    def restore(self, run: RestoreRun, rec: StepRecord) -> None:
        target, dump = self.target, self.dump
        assert target is not None
        assert dump is not None
        api = self._api()
        started = self.clock.monotonic()
        run.attempted = True
        labels = {LABEL_SCRATCH: run.token, LABEL_ITEM: target.item}
        k8s.create_namespace(api, run.scratch, labels)
        rec.actions.append(f"created scratch namespace {run.scratch}, labelled {LABEL_SCRATCH}={run.token}")
        if target.reads:
            k8s.grant_writes(
                api,
                namespace=run.scratch,
                name=target.restore_account,
                rules=write_rules(target.reads),
                account=target.restore_account,
                account_namespace=target.namespace,
                labels=labels,
            )
            account, kinds = f"{target.namespace}/{target.restore_account}", ", ".join(target.reads)
            rec.actions.append(f"let {account} write {kinds} in {run.scratch}")
        body = manifest(
            RestoreJob(
                name=self.job,
                namespace=target.namespace,
                item=target.item,
                service_account=target.restore_account,
                transfer_image=target.transfer_image,
                image=target.image,
                restore_command=target.restore_command,
                bucket=target.bucket,
                key=dump.key,
                sha256=self.sha256,
                region=run.region,
                restore_namespace=run.scratch,
                scratch=True,
                point=dump.taken_at,
                run_label=run.token,
                deadline_seconds=int(self.timing.restore_timeout),
            )
        )
        k8s.create_job(api, body)
        rec.actions.append(
            f"created restore Job {target.namespace}/{self.job} loading {dump.key} into {run.scratch}"
        )
        wait_for_job(
            api,
            target.namespace,
            self.job,
            clock=self.clock,
            timeout=self.timing.restore_timeout,
            interval=self.timing.poll_seconds,
            state=lambda text: run.timeline.state("restore", f"job {self.job}: {text}"),
        )
        run.restore_seconds = self.clock.monotonic() - started
        timed(run, rec)

    def check(self, run: RestoreRun, rec: StepRecord) -> None:
        run.details["verified"] = "the dump matched its SHA-256, and the restore command completed on it"
        rec.notes.append(run.details["verified"])

    def environment(self, run: RestoreRun) -> Mapping[str, str]:
        assert self.target is not None
        return {
            "RESTORE_NAMESPACE": run.scratch,
            "RESTORE_CONTEXT": self.target.context,
            "RESTORE_DATA_ITEM": run.options.data_item,
            "RESTORE_POINT": iso(run.restored_point) or "",
            "RESTORE_DUMP": run.source,
        }

    def cleanup(self, run: RestoreRun, rec: StepRecord) -> None:
        target = self.target
        assert target is not None
        api = self._api()
        found_any = False
        job = k8s.read_job(api, target.namespace, self.job)
        if job is not None:
            found_any = True
            if job.labels.get(LABEL_RUN) != run.token:
                raise StepFailed(
                    f"job {target.namespace}/{self.job} does not carry {LABEL_RUN}={run.token}: not ours"
                )
            k8s.delete_job(api, target.namespace, self.job)
            rec.actions.append(f"deleted restore Job {target.namespace}/{self.job} and its pod")
        labels = k8s.namespace_labels(api, run.scratch)
        if labels is not None:
            found_any = True
            if labels.get(LABEL_SCRATCH) != run.token:
                raise StepFailed(
                    f"namespace {run.scratch} does not carry {LABEL_SCRATCH}={run.token}: not ours"
                )
            k8s.delete_namespace(api, run.scratch)
            rec.actions.append(f"deleted scratch namespace {run.scratch} and what the restore put in it")
        rec.outcome = DONE if found_any else ALREADY_DONE
        run.deleted = True

    def delete_command(self, run: RestoreRun) -> str:
        target = self.target
        context = target.context if target is not None else "<context>"
        namespace = target.namespace if target is not None else "<namespace>"
        return (
            f"kubectl --context {context} delete namespace {run.scratch}; "
            f"kubectl --context {context} -n {namespace} delete job {self.job}"
        )
