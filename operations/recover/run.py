"""Point-in-time recovery as a runbook (operations.runbook): one data item back to its state at TIME,
in the region that serves, with the engine's preflight, safety, confirmation, dry run, lock,
deadline and resumability. Each store is its own runbook, its steps alone:

    rds         1 Preflight  the instance that serves (the one the database's name points at), its
                             restore window (TIME outside it: refused with the bounds), the name
                2 Safety     the region serves (or --force); confirm
                3 Restore    restore that instance at TIME into <instance>-r<TIME> (Multi-AZ,
                             protected, the plan's backups and the item's tags); wait until available
                4 Verify     the --verify command against it (its endpoint in the environment)
                5 Cut over   mark the old instance as superseded (kept, never deleted); repoint the
                             database's name at the restored one; wait until Route 53 has it
    s3          1 Preflight  versioning on (else refused), TIME within the versions kept, the plan
                             of the roll-back (what to copy back, what to hide)
                3 Roll back  copy each key's version of TIME forward; delete markers on keys that did
                             not exist then; nothing deleted
                4 Verify     the bucket now reads as it did at TIME
    kubernetes  1 Preflight  the newest dump at or before TIME, checked against its SHA-256 (a
                             mismatch is refused, nothing changed)
                3 Restore    the plan's restore_command as a Job in the item's namespace; wait

Every step re-reads what it acts on: the restored instance and the Job are named from TIME (or the
dump), and an S3 roll-back recognises its own copies, so running the same command again after a
crash or the deadline does only what is left. The deadline is the item's tier RTO unless
--deadline says otherwise.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from continuity import tags
from continuity.derive import bucket_for, rds_backup_retention_days
from continuity.outputs import Inventory, RegionInventory
from continuity.plan import Plan
from operations import rds
from operations.aws import Aws
from operations.clock import Clock, format_seconds
from operations.errors import BadInput, ExitCode, Finding, Refused, StepFailed
from operations.kubernetes import Clusters
from operations.progress import Progress
from operations.recover import database, dns, k8s
from operations.recover import s3 as objects
from operations.recover.jobs import RestoreJob, manifest
from operations.recover.names import (
    RECOVERED_FROM,
    SUPERSEDED_BY,
    job_name,
    restored_identifier,
    restored_tags,
    stack_base,
    superseded_tags,
)
from operations.recover.points import Dump, bucket_window, rds_window
from operations.recover.rollback import RollbackPlan, plan_rollback
from operations.report import ALREADY_DONE, DONE, SKIPPED, StepRecord, iso
from operations.restore.dumps import DumpTarget, checked_dump, dump_target
from operations.restore.scratch import verification_environment
from operations.runbook import (
    Confirm,
    Context,
    PlannedAction,
    RunbookOptions,
    RunbookRun,
    Step,
    execute,
)
from operations.stack_outputs import PulumiCli

RECOVERED = "recovered"
ALREADY_RECOVERED = "already recovered"
VERIFY_OUTPUT_LINES = 20
VERIFY_TIMEOUT = 900.0
POLL_SECONDS = 15.0


@dataclass(frozen=True)
class RecoverySafety:
    proceed: bool
    summary: str
    evidence: list[str] = field(default_factory=list)


def serving_role(plan: Plan, inventory: Inventory, aws: Aws) -> tuple[str, list[str]]:
    """Which region's data is the data the business runs on now, and the evidence: the DR region
    once a database there is standalone (promoted, or restored under backup-restore) without a
    failback having replaced the primary since, or, for plans without databases, once the primary's
    health check is inverted. Reads that fail count as no evidence."""
    evidence: list[str] = []
    for name, item in plan.data.items():
        if item.store != "rds":
            continue
        identifier = inventory.dr.db_instance_identifiers.get(name)
        try:
            view = (
                rds.describe_instance(aws.client("rds", inventory.dr_region), identifier)
                if identifier
                else None
            )
        except Exception as exc:
            evidence.append(f"DR database {identifier} not read: {type(exc).__name__}")
            continue
        if view is None or view.is_replica or view.broken:
            continue
        try:
            primary_id = inventory.primary.db_instance_identifiers.get(name, "")
            primary = rds.describe_instance(aws.client("rds", inventory.primary_region), primary_id)
        except Exception:
            primary = None  # the primary region may be the one that is down
        if primary is not None and primary.tags.get(rds.FAILBACK_SOURCE_TAG) == view.dbi_resource_id:
            evidence.append(f"DR database {view.identifier} was failed back from")
            continue
        evidence.append(f"DR database {view.identifier} is standalone: a failover is in effect")
        return "dr", evidence
    check_id = inventory.primary.health_check_id
    if not any(i.store == "rds" for i in plan.data.values()) and check_id:
        try:
            check = aws.route53().get_health_check(HealthCheckId=check_id)["HealthCheck"]
            if check["HealthCheckConfig"].get("Inverted"):
                evidence.append(f"the primary health check {check_id} is inverted: a failover is in effect")
                return "dr", evidence
        except Exception as exc:
            evidence.append(f"primary health check {check_id} not read: {type(exc).__name__}")
    evidence.append(f"the primary region {inventory.primary_region} serves")
    return "primary", evidence


@dataclass(kw_only=True)
class RecoveryRun(RunbookRun):
    """What every store's recovery shares: the item, TIME, the region, the outcome."""

    KIND: ClassVar[str] = "recover"
    OUTPUT: ClassVar[str] = "inventory"

    plan_doc: Plan
    inventory: Inventory
    item: str
    point: datetime
    asked_role: str | None  # --region, or None: the region that serves
    corrupted_at: datetime | None = None
    verify: str | None = None
    role: str = ""  # the region acted in, decided in preflight
    serving: str = ""
    serving_evidence: list[str] = field(default_factory=list)
    recovered_point: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    clusters: Clusters | None = None

    @property
    def service(self) -> str:
        return self.plan_doc.service

    @property
    def store(self) -> str:
        return self.plan_doc.data[self.item].store

    @property
    def tier(self) -> str:
        return self.plan_doc.data[self.item].tier

    @property
    def rto_seconds(self) -> int:
        return self.plan_doc.tiers[self.tier].rto.seconds

    @property
    def rpo_seconds(self) -> int:
        return self.plan_doc.rpo_of(self.plan_doc.data[self.item]).seconds

    @property
    def where(self) -> RegionInventory:
        return self.inventory.region(self.role)

    @property
    def region(self) -> str:
        return self.where.region

    @property
    def lock_place(self) -> tuple[str, str | None]:
        return self.inventory.dr_region, self.inventory.operations_bucket

    def default_deadline(self) -> float:
        """The item's tier RTO: a recovery slower than that has already missed the plan (a large
        database's restore may need --deadline; re-running resumes it)."""
        return float(self.rto_seconds)

    @property
    def lost_seconds(self) -> float | None:
        """The writes a recovery gives up: from the recovered point to the corruption."""
        if self.recovered_point is None:
            return None
        corrupted = self.corrupted_at or self.point
        return max(0.0, (corrupted - self.recovered_point).total_seconds())

    def decide_region(self, ctx: Context, rec: StepRecord) -> None:
        """The region to act in; refused at once (before its data is read) when it does not serve
        and --force does not say so: recovering there would change data nobody reads."""
        self.serving, self.serving_evidence = serving_role(self.plan_doc, self.inventory, ctx.aws)
        self.role = self.asked_role or self.serving
        rec.notes += self.serving_evidence
        if self.role != self.serving and not self.options.force:
            raise Refused(
                f"the {self.role} region {self.region} does not serve now (the {self.serving} region "
                "does): recovering there changes data nobody reads; recover in the serving region, or --force"
            )
        rec.notes.append(f"recovering {self.item} ({self.store}) in the {self.role} region {self.region}")

    def judge(self, ctx: Context, rec: StepRecord) -> RecoverySafety:
        evidence = list(self.serving_evidence)
        if self.role == self.serving:
            summary = f"the {self.role} region {self.region} serves: its data is what is recovered"
            return RecoverySafety(True, summary, evidence)
        summary = f"forced (--force): the {self.role} region {self.region} does not serve now"
        return RecoverySafety(True, summary, evidence)

    def concluded_as_recovered(self, message: str) -> None:
        self.conclude(ALREADY_RECOVERED, message)

    def finish(self) -> None:
        self.exit_code = ExitCode.OK
        self.outcome = RECOVERED if self.changed else ALREADY_RECOVERED
        point = iso(self.recovered_point)
        lost = "-" if self.lost_seconds is None else format_seconds(self.lost_seconds)
        self.message = f"{self.item} recovered to {point} in {self.region}; data lost {lost}"


# ---------------------------------------------------------------------------------------------
# rds


@dataclass(kw_only=True)
class RdsRecovery(RecoveryRun):
    ACTING: ClassVar[list[tuple[str, str]]] = [
        ("restore", "Restore to the point"),
        ("verify", "Verify"),
        ("cutover", "Cut over"),
    ]
    CHANGING: ClassVar[tuple[str, ...]] = ("restore", "cutover")

    source: rds.InstanceView | None = None
    source_details: database.SourceDetails | None = None
    target: str = ""
    record: dns.Cname | None = None
    target_view: rds.InstanceView | None = None

    def input_problems(self) -> list[str]:
        role = self.asked_role or "primary"
        where = self.inventory.region(role)
        problems = []
        if not where.db_host_names.get(self.item) or not where.db_endpoint_zone_id:
            problems.append(
                f"outputs inventory.regions.{role}: no db_host_names.{self.item} or db_endpoint_zone_id; the "
                "stack was deployed before the database names existed: run pulumi up on it, then save the "
                "outputs again"
            )
        return problems

    def preflight(self, ctx: Context, rec: StepRecord) -> None:
        self.decide_region(ctx, rec)
        where, item = self.where, self.item
        host, zone = where.db_host_names.get(item), where.db_endpoint_zone_id
        if not host or not zone:
            raise BadInput(
                f"outputs inventory.regions.{self.role}: no db_host_names.{item} or db_endpoint_zone_id"
            )
        client = ctx.aws.client("rds", self.region)
        self.record = dns.read_cname(ctx.aws.route53(), zone, host)
        if self.record is None:
            self.record = dns.Cname(host.rstrip(".").lower(), "", dns.NEW_RECORD_TTL)
            rec.notes.append(f"no CNAME {host} in zone {zone} yet: the cut-over creates it")
        else:
            rec.notes.append(f"{host} points at {self.record.value}")
        stack_id = where.db_instance_identifiers[item]
        views = [v for v in rds.list_instances(client) if stack_base(v.identifier) == stack_base(stack_id)]
        answering = self.record.value
        serving = next(
            (v for v in views if answering and (v.endpoint_address or "").lower() == answering), None
        )
        if serving is None:
            serving = next((v for v in views if v.identifier == stack_id), None)
            if answering:
                rec.notes.append(f"no instance of {item} answers at {answering}: recovering {stack_id}")
        if serving is None:
            raise Refused(f"no instance {stack_id} in {self.region}: nothing to recover from")
        self.target = restored_identifier(stack_base(serving.identifier), self.point)
        if serving.identifier == self.target:
            self.recovered_point = self.point
            self.concluded_as_recovered(
                f"{host} already points at {self.target}, restored to {iso(self.point)}: nothing to do"
            )
            return
        self.source = serving
        self.source_details = database.source_details(client, serving.identifier)
        window = rds_window(
            latest_restorable=serving.latest_restorable_time,
            backups_earliest=self.source_details.backups_earliest,
            created=serving.created_at,
            retention_days=serving.backup_retention,
            identifier=serving.identifier,
        )
        window.check(self.point)
        rec.notes.append(f"serving instance {serving.identifier}; restore window {window.describe()}")
        self.target_view = next((v for v in views if v.identifier == self.target), None)
        if self.target_view is not None and self.target_view.tags.get(RECOVERED_FROM) != serving.identifier:
            raise Refused(
                f"{self.target} exists and was not restored from {serving.identifier}: not ours, left alone"
            )
        restore = f"restore {serving.identifier} at {iso(self.point)} into {self.target}"
        self.plan = [
            PlannedAction("restore", self.target, restore, self.target_view is None),
            PlannedAction("restore", self.target, f"wait until {self.target} is available", False),
            PlannedAction(
                "verify", self.target, f"run: {self.verify}" if self.verify else "no --verify", False
            ),
            PlannedAction(
                "cutover",
                serving.identifier,
                f"tag {serving.identifier} as superseded (kept, not deleted)",
                True,
            ),
            PlannedAction("cutover", host, f"point {host} at {self.target}", True),
        ]
        self.recovered_point = self.point

    def phases(self, ctx: Context) -> list[list[Step]]:
        return [
            [Step("restore", partial(self._restore, ctx))],
            [Step("verify", partial(self._verify, ctx))],
            [Step("cutover", partial(self._cutover, ctx))],
        ]

    def _restore(self, ctx: Context, rec: StepRecord) -> None:
        assert self.source is not None
        assert self.source_details is not None
        client = ctx.aws.client("rds", self.region)
        where, item = self.where, self.item
        if self.target_view is None:
            group = where.db_security_group_ids.get(item)
            created = database.restore_to_serve(
                client,
                source=self.source.identifier,
                target=self.target,
                point=self.point,
                subnet_group=where.db_subnet_group_names.get(item),
                security_group_ids=[group] if group else [],
                instance_class=self.inventory.db_instance_class,
                details=self.source_details,
                retention_days=rds_backup_retention_days(self.plan_doc.data[item].retention),
                tags=restored_tags(
                    tags.data_tags(self.plan_doc, self.role, item, active=True),
                    self.source.identifier,
                    self.point,
                ),
            )
            if created:
                rec.actions.append(
                    f"restored {self.source.identifier} at {iso(self.point)} into {self.target}"
                )
        view = ctx.wait(
            lambda: rds.describe_instance(client, self.target),
            lambda v: v is not None and (v.status == rds.AVAILABLE or v.broken),
            limit=ctx.deadline.remaining(),
            what=self.target,
            describe=lambda v: "not listed yet" if v is None else v.status,
            state=partial(self.timeline.state, "restore"),
        )
        assert view is not None
        if view.broken:
            raise StepFailed(f"the restore failed: {self.target} is {view.status}")
        self.target_view = view
        self.details.update(restored_instance=self.target, endpoint=view.endpoint_address)
        rec.notes.append(f"{self.target} available at {view.endpoint_address}:{view.endpoint_port}")
        rec.outcome = DONE if rec.actions else ALREADY_DONE

    def _verify(self, ctx: Context, rec: StepRecord) -> None:
        view = self.target_view
        assert view is not None
        if self.verify is None:
            rec.outcome = SKIPPED
            rec.notes.append(f"no --verify command: {self.target} is available, its data was not checked")
            return
        env = {
            **os.environ,
            **verification_environment(view, data_item=self.item, region=self.region, point=self.point),
        }
        try:
            # The operator's own command, as typed (pipes and quoting included).
            done = subprocess.run(
                ["/bin/sh", "-c", self.verify],
                env=env,
                capture_output=True,
                text=True,
                timeout=max(1.0, min(VERIFY_TIMEOUT, ctx.deadline.remaining())),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise StepFailed(f"the verification timed out: {self.verify}") from None
        output = (done.stdout + done.stderr).strip().splitlines()[-VERIFY_OUTPUT_LINES:]
        rec.actions.append(f"ran the verification: {self.verify}")
        rec.notes += [f"| {line}" for line in output]
        self.details["verified"] = done.returncode == 0
        if done.returncode != 0:
            raise StepFailed(
                f"the verification exited {done.returncode}: {self.verify}; {self.target} is kept, and "
                f"the database's name still points at {self.record.value if self.record else '-'}"
            )

    def _cutover(self, ctx: Context, rec: StepRecord) -> None:
        source, record, view = self.source, self.record, self.target_view
        assert source is not None
        assert record is not None
        assert view is not None
        where = self.where
        zone = where.db_endpoint_zone_id
        assert zone is not None
        client = ctx.aws.client("rds", self.region)
        current = rds.describe_instance(client, source.identifier)
        if current is not None and current.tags.get(SUPERSEDED_BY) != self.target:
            database.add_tags(client, current.arn, superseded_tags(self.target, ctx.clock.now()))
            rec.actions.append(
                f"tagged {source.identifier} {SUPERSEDED_BY}={self.target} (kept for forensics)"
            )
        route53 = ctx.aws.route53()
        endpoint = (view.endpoint_address or "").lower()
        now = dns.read_cname(route53, zone, record.name)
        if now is None or now.value != endpoint:
            change = dns.repoint(
                route53, zone, record, endpoint, f"continuity recover {self.item} to {iso(self.point)}"
            )
            rec.actions.append(f"pointed {record.name} at {self.target} ({endpoint})")
            ctx.wait(
                lambda: dns.change_status(route53, change),
                lambda status: status == dns.INSYNC,
                limit=ctx.deadline.remaining(),
                what=f"Route 53 change {change}",
                describe=str,
                state=partial(self.timeline.state, "cutover"),
            )
        self.details.update(
            name=record.name,
            previous_target=record.value or None,
            superseded_instance=source.identifier,
            switch_back=dns.switch_back_command(
                zone, record, record.value or (source.endpoint_address or "")
            ),
        )
        rec.notes.append(f"to switch back: {self.details['switch_back']}")
        rec.outcome = DONE if rec.actions else ALREADY_DONE

    def finish(self) -> None:
        super().finish()
        if self.source is None:
            return
        old = self.source.identifier
        self.next_actions += [
            f"restart the services that read {self.item} so no pooled connection writes to {old} "
            "(ECS: update-service --force-new-deployment; Kubernetes: kubectl rollout restart); new "
            "connections resolve the name anew once its TTL has passed",
            f"{old} is kept, tagged {SUPERSEDED_BY}={self.target}: delete it when nothing in it is needed "
            "for forensics",
            f"the stack still manages {old}: adopt {self.target} (pulumi state delete, pulumi import "
            "aws:rds/instance:Instance, as docs/failback.md shows for a new primary) before the next "
            "pulumi up",
        ]
        if self.role == "primary" and self.plan_doc.replicated_database:
            self.next_actions.append(
                f"the DR replica follows {old}, with the corruption: re-create it from {self.target} once "
                "the primary stack has adopted it (pulumi up --stack <dr stack>)"
            )


# ---------------------------------------------------------------------------------------------
# s3


@dataclass(kw_only=True)
class BucketRecovery(RecoveryRun):
    ACTING: ClassVar[list[tuple[str, str]]] = [("rollback", "Roll back"), ("verify", "Verify")]
    CHANGING: ClassVar[tuple[str, ...]] = ("rollback",)

    bucket: str = ""
    rollback: RollbackPlan | None = None

    def _plan(self, s3: Any) -> RollbackPlan:
        versions = objects.list_versions(s3, self.bucket)
        first = plan_rollback(versions, self.point)
        if not first.to_look_at:
            return first
        copies_of = {}
        for key, version in first.to_look_at.items():
            found = objects.restored_from(s3, self.bucket, key, version)
            if found is not None:
                copies_of[key] = found
        return plan_rollback(versions, self.point, copies_of)

    def preflight(self, ctx: Context, rec: StepRecord) -> None:
        self.decide_region(ctx, rec)
        bucket = self.where.bucket_names.get(self.item)
        if bucket is None:
            raise BadInput(f"the outputs name no bucket for {self.item} in the {self.role} region")
        self.bucket = bucket
        s3 = ctx.aws.client("s3", self.region)
        status = objects.versioning_status(s3, bucket)
        if status != "Enabled":
            raise Refused(f"bucket {bucket} has versioning {status}: it keeps no versions to roll back to")
        settings = bucket_for(self.item, self.plan_doc.data[self.item])
        assert settings is not None, "s3 items have a bucket"
        window = bucket_window(
            now=ctx.clock.now(), noncurrent_days=settings.noncurrent_expiration_days, bucket=bucket
        )
        window.check(self.point)
        kept = settings.noncurrent_expiration_days
        rec.notes.append(f"bucket {bucket}, versions kept {kept} days: window {window.describe()}")
        self.rollback = plan = self._plan(s3)
        self.recovered_point = self.point
        rec.notes.append(f"to read as at {iso(self.point)}: {plan.describe()}")
        if not plan.changes:
            self.concluded_as_recovered(f"bucket {bucket} already reads as it did at {iso(self.point)}")
            return
        self.plan = [
            *[
                PlannedAction(
                    "rollback", c.key, f"copy version {c.version_id} of {c.key} back ({c.size:,} bytes)", True
                )
                for c in plan.copies
            ],
            *[
                PlannedAction("rollback", h.key, f"hide {h.key} with a delete marker", True)
                for h in plan.hides
            ],
        ]

    def phases(self, ctx: Context) -> list[list[Step]]:
        return [
            [Step("rollback", partial(self._rollback, ctx))],
            [Step("verify", partial(self._verify, ctx))],
        ]

    def _rollback(self, ctx: Context, rec: StepRecord) -> None:
        s3 = ctx.aws.client("s3", self.region)
        plan = self._plan(s3)  # re-read: a re-run does only what is left
        stamp = iso(self.point) or ""
        for n, copy in enumerate(plan.copies, start=1):
            self.timeline.state("rollback", f"copying {n}/{len(plan.copies)}: {copy.key}")
            objects.copy_forward(
                s3, self.bucket, copy.key, version_id=copy.version_id, size=copy.size, point=stamp
            )
        for hide in plan.hides:
            objects.hide(s3, self.bucket, hide.key)
        if plan.copies:
            rec.actions.append(
                f"copied {len(plan.copies)} object(s) back ({plan.bytes_copied:,} bytes) in {self.bucket}"
            )
        if plan.hides:
            rec.actions.append(f"hid {len(plan.hides)} object(s) written after {stamp} behind delete markers")
        done = self.rollback or plan
        self.details.update(
            bucket=self.bucket,
            copied=len(done.copies),
            bytes_copied=done.bytes_copied,
            hidden=len(done.hides),
            unchanged=done.unchanged,
            deleted=0,
        )
        rec.outcome = DONE if rec.actions else ALREADY_DONE

    def _verify(self, ctx: Context, rec: StepRecord) -> None:
        left = self._plan(ctx.aws.client("s3", self.region))
        if left.changes:
            raise StepFailed(
                f"bucket {self.bucket} does not read as at {iso(self.point)} yet: {left.describe()}"
            )
        rec.notes.append(
            f"every key of {self.bucket} reads as it did at {iso(self.point)} ({left.unchanged} keys)"
        )


# ---------------------------------------------------------------------------------------------
# kubernetes


@dataclass(kw_only=True)
class DumpRecovery(RecoveryRun):
    ACTING: ClassVar[list[tuple[str, str]]] = [("restore", "Restore the dump")]
    CHANGING: ClassVar[tuple[str, ...]] = ("restore",)

    target: DumpTarget | None = None
    dump: Dump | None = None
    sha256: str = ""
    job: str = ""
    job_exists: bool = False

    def preflight(self, ctx: Context, rec: StepRecord) -> None:
        self.decide_region(ctx, rec)
        target = self.target = dump_target(self.plan_doc, self.inventory, self.item, self.role)
        try:
            self.dump, self.sha256 = checked_dump(ctx.aws.client("s3", self.region), target, self.point)
        except Finding as exc:
            raise Refused(f"{exc}; nothing was restored") from None
        dump = self.dump
        self.recovered_point = dump.taken_at
        self.job = job_name(self.item, "recover", dump.taken_at)
        rec.notes.append(
            f"dump s3://{target.bucket}/{dump.key} ({dump.size:,} bytes), SHA-256 {self.sha256}: matches"
        )
        api = (self.clusters or Clusters()).api(target.context)
        found = k8s.read_job(api, target.namespace, self.job)
        if found is not None and found.succeeded:
            self.concluded_as_recovered(f"job {target.namespace}/{self.job} already restored {dump.key}")
            return
        if found is not None and found.failed:
            raise Refused(
                f"an earlier restore Job {target.namespace}/{self.job} failed ({found.message}): read its "
                f"logs (kubectl -n {target.namespace} logs job/{self.job} --all-containers), delete it, "
                "run again"
            )
        self.job_exists = found is not None
        self.plan = [
            PlannedAction(
                "restore",
                self.job,
                f"run {self.item}'s restore_command on {dump.key} as job {target.namespace}/{self.job}",
                not self.job_exists,
            ),
            PlannedAction("restore", self.job, "wait until the Job completes", False),
        ]

    def phases(self, ctx: Context) -> list[list[Step]]:
        return [[Step("restore", partial(self._restore, ctx))]]

    def _restore(self, ctx: Context, rec: StepRecord) -> None:
        target, dump = self.target, self.dump
        assert target is not None
        assert dump is not None
        api = (self.clusters or Clusters()).api(target.context)
        if k8s.read_job(api, target.namespace, self.job) is None:
            body = manifest(
                RestoreJob(
                    name=self.job,
                    namespace=target.namespace,
                    item=self.item,
                    service_account=target.restore_account,
                    transfer_image=target.transfer_image,
                    image=target.image,
                    restore_command=target.restore_command,
                    bucket=target.bucket,
                    key=dump.key,
                    sha256=self.sha256,
                    region=self.region,
                    restore_namespace=target.namespace,
                    scratch=False,
                    point=dump.taken_at,
                    run_label="recover",
                    deadline_seconds=int(max(1.0, ctx.deadline.remaining())),
                )
            )
            k8s.create_job(api, body)
            rec.actions.append(f"created restore Job {target.namespace}/{self.job} loading {dump.key}")
        found = ctx.wait(
            lambda: k8s.read_job(api, target.namespace, self.job),
            lambda j: j is not None and (j.succeeded or j.failed),
            limit=ctx.deadline.remaining(),
            what=f"job {target.namespace}/{self.job}",
            describe=lambda j: "not listed yet" if j is None else j.describe(),
            state=partial(self.timeline.state, "restore"),
        )
        assert found is not None
        if not found.succeeded:
            raise StepFailed(
                f"the restore Job {target.namespace}/{self.job} failed: {found.message} "
                f"(kubectl -n {target.namespace} logs job/{self.job} --all-containers)"
            )
        self.details.update(dump=dump.key, sha256=self.sha256, job=f"{target.namespace}/{self.job}")
        rec.notes.append(f"job {target.namespace}/{self.job} completed")
        rec.outcome = DONE if rec.actions else ALREADY_DONE


RUNBOOKS: dict[str, type[RecoveryRun]] = {
    "rds": RdsRecovery,
    "s3": BucketRecovery,
    "kubernetes": DumpRecovery,
}


def run_recovery(
    plan: Plan,
    inventory: Inventory,
    aws: Aws,
    *,
    item: str,
    point: datetime,
    role: str | None,
    options: RunbookOptions,
    clock: Clock,
    progress: Progress,
    confirm: Confirm | None,
    pulumi: PulumiCli,
    corrupted_at: datetime | None = None,
    verify: str | None = None,
    clusters: Clusters | None = None,
    command: str = "python scripts/recover.py",
    poll_seconds: float = POLL_SECONDS,
) -> RecoveryRun:
    """Recover (or plan to, with ``dry_run``); refusals and failed steps are in the run's exit code
    and message, never raised. BadInput for inputs that cannot drive it (TIME outside the window)."""
    spec = plan.data.get(item)
    if spec is None:
        raise BadInput(f"--item {item}: not in plan {plan.source} (data: {', '.join(plan.data) or 'none'})")
    if corrupted_at is not None and corrupted_at < point:
        raise BadInput(
            f"--corrupted-at {iso(corrupted_at)} is before --to {iso(point)}: recover to before it"
        )
    runbook = RUNBOOKS[spec.store]
    run = runbook.begin(
        clock=clock,
        progress=progress,
        options=options,
        command=command,
        plan_doc=plan,
        inventory=inventory,
        item=item,
        point=point,
        asked_role=role,
        corrupted_at=corrupted_at,
        verify=verify,
        clusters=clusters,
    )
    return execute(run, aws=aws, clock=clock, confirm=confirm, pulumi=pulumi, poll_seconds=poll_seconds)
