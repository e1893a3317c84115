"""The restore test, step by step, for every store (rds here; s3 in `objects`, in-cluster dumps
in `dumps`: each a `StoreTest` doing its own part of each step).

    1 Preflight  find the source (rds: the primary instance, or its automated backups replicated
                 to DR, and the newest restorable point; s3: the bucket's newest objects; in-cluster:
                 the newest dump, its checksum checked); refuse a point in time it cannot reach
    2 Restore    restore into scratch tagged with this run's token (an instance, a bucket, a
                 namespace); wait until it is done; time it against the tier's RTO
    3 Verify     the store's own check (s3: every object's SHA-256 against its source), then the
                 --verify command with the scratch in its environment
    4 Clean up   delete the scratch (only what carries this run's token), whatever happened
                 before, Ctrl-C included
    5 Record     append the result to the drill history

Outcomes: passed (exit 0); finding (exit 1: the restore failed, was slower than the RTO, or the
verification failed); failed (exit 4: an AWS error in a step, or the scratch instance could not be
deleted, with the command that deletes it); interrupted (exit 130, after the cleanup).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from continuity.outputs import Inventory
from continuity.plan import Plan
from operations import rds
from operations.aws import Aws, arn_account, describe_error, is_credentials_problem
from operations.clock import Clock, Interrupted, format_seconds, poll_until
from operations.errors import BadInput, ExitCode, Finding, OperationsError, StepFailed, WaitTimeout
from operations.history import RESTORE_TEST, HistoryLocation, append_entry
from operations.progress import Progress
from operations.report import ALREADY_DONE, DONE, SKIPPED, StepRecord, Timeline, iso
from operations.restore.scratch import (
    SCRATCH_TAG,
    delete_command,
    is_ours,
    leftovers,
    run_token,
    scratch_identifier,
    scratch_tags,
    verification_environment,
)

STEPS = [
    ("preflight", "Preflight"),
    ("restore", "Restore"),
    ("verify", "Verify"),
    ("cleanup", "Clean up"),
    ("record", "Record"),
]

PASSED = "passed"
FINDING = "finding"
FAILED = "failed"
INTERRUPTED = "interrupted"
VERIFY_OUTPUT_LINES = 20


@dataclass(frozen=True)
class RestoreTiming:
    poll_seconds: float = 15.0
    # A restore copies the whole volume from backups: hours for a large database (RDS User Guide).
    restore_timeout: float = 4 * 3600.0
    cleanup_timeout: float = 3600.0
    verify_timeout: float = 900.0


@dataclass(frozen=True)
class RestoreOptions:
    data_item: str
    region_role: str  # primary | dr
    point_in_time: datetime | None = None
    verify: str | None = None  # a shell command
    # s3: how many objects to restore and compare (None: the store's default).
    sample: int | None = None


@dataclass
class Verification:
    command: str
    exit_code: int | None
    seconds: float
    output: list[str]


class StoreTest(Protocol):
    """One store's part of each step of a restore test."""

    kind: str  # what the scratch is: instance, bucket, namespace

    def preflight(self, run: RestoreRun, rec: StepRecord) -> None: ...

    def restore(self, run: RestoreRun, rec: StepRecord) -> None:
        """Create the scratch (setting ``run.attempted`` first), wait for it, set
        ``run.restore_seconds``; a Finding when the restore did not work."""

    def check(self, run: RestoreRun, rec: StepRecord) -> None:
        """The store's own verification of what was restored (a Finding when it does not hold)."""

    def environment(self, run: RestoreRun) -> Mapping[str, str]:
        """What --verify sees of the scratch."""

    def cleanup(self, run: RestoreRun, rec: StepRecord) -> None:
        """Delete what this run created (only that), setting ``run.deleted``."""

    def delete_command(self, run: RestoreRun) -> str: ...


@dataclass
class RestoreRun:
    plan: Plan
    inventory: Inventory
    options: RestoreOptions
    timeline: Timeline
    started_at: datetime
    token: str
    scratch: str
    region: str
    scratch_kind: str = "instance"
    source: str = ""
    replicated_backups: str | None = None  # the ARN restored from, in the DR region
    scratch_view: rds.InstanceView | None = None
    restored_point: datetime | None = None  # the point requested, or the newest at the time
    restore_seconds: float | None = None
    endpoint: str | None = None
    verification: Verification | None = None
    attempted: bool = False  # the restore call was made (the scratch may exist)
    deleted: bool = False
    recorded: bool = False
    ended_at: datetime | None = None
    seconds: float | None = None
    outcome: str = "not started"
    exit_code: ExitCode = ExitCode.OK
    message: str = ""
    findings: list[str] = field(default_factory=list)
    next_actions: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # what the store restored and found

    @property
    def store(self) -> str:
        return self.plan.data[self.options.data_item].store

    @property
    def tier(self) -> str:
        return self.plan.data[self.options.data_item].tier

    @property
    def rto_seconds(self) -> int:
        return self.plan.tiers[self.tier].rto.seconds

    @property
    def rto_met(self) -> bool | None:
        return None if self.restore_seconds is None else self.restore_seconds <= self.rto_seconds

    @property
    def restored(self) -> bool:
        return self.restore_seconds is not None

    @property
    def ok(self) -> bool:
        """A restore that came up and passed its verification (or had none): the history's
        success, which readiness counts. A slow one is still a finding, recorded as rto_met."""
        verified = self.verification is None or self.verification.exit_code == 0
        return self.restored and verified and not self.details.get("mismatches")


def run_restore_test(
    plan: Plan,
    inventory: Inventory,
    aws: Aws,
    *,
    options: RestoreOptions,
    clock: Clock,
    progress: Progress,
    history: HistoryLocation,
    timing: RestoreTiming | None = None,
    report_path: str | None = None,
    kubernetes: Any = None,
) -> RestoreRun:
    """Run the test; returns the run whatever happened (its exit code says), except BadInput
    (before anything is created). The scratch is deleted even on Ctrl-C. ``kubernetes`` is the
    `operations.kubernetes.Clusters` in-cluster items are reached through."""
    timing = timing or RestoreTiming()
    timeline = Timeline(STEPS, clock, progress)
    started = timeline.started_at
    region = inventory.region(options.region_role).region
    run = RestoreRun(
        plan=plan,
        inventory=inventory,
        options=options,
        timeline=timeline,
        started_at=started,
        token=run_token(started),
        scratch=scratch_identifier(plan.service, options.data_item, started),
        region=region,
    )
    test = store_test(run, aws, clock, timing, kubernetes)
    run.scratch_kind = test.kind
    error: BaseException | None = None
    try:
        with timeline.step("preflight") as rec:
            try:
                test.preflight(run, rec)
            except (Finding, BadInput):
                raise
            except OperationsError:
                raise
            except Exception as exc:
                if is_credentials_problem(exc):
                    raise BadInput(f"AWS credentials: {describe_error(exc)}") from None
                raise StepFailed(describe_error(exc)) from exc
        with timeline.step("restore") as rec:
            test.restore(run, rec)
        _verify(run, test, timing)
    except BadInput:
        raise
    except BaseException as exc:  # Ctrl-C included: the cleanup below must still run
        error = exc
    cleanup_error = _cleanup(run, test)
    _record(run, aws, history, report_path)
    _settle(run, error, cleanup_error)
    run.ended_at = clock.now()
    run.seconds = timeline.elapsed()
    return run


def store_test(run: RestoreRun, aws: Aws, clock: Clock, timing: RestoreTiming, kubernetes: Any) -> StoreTest:
    store = run.store
    if store == "s3":
        from operations.restore.objects import ObjectsTest  # noqa: PLC0415 - avoids an import cycle

        return ObjectsTest(aws, clock, timing)
    if store == "kubernetes":
        from operations.restore.dumps import DumpTest  # noqa: PLC0415 - avoids an import cycle

        return DumpTest(aws, clock, timing, kubernetes)
    return RdsTest(aws, clock, timing)


# ---------------------------------------------------------------------------------------------
# rds: a scratch instance from the automated backups


@dataclass
class RdsTest:
    aws: Aws
    clock: Clock
    timing: RestoreTiming
    kind: str = "instance"

    def preflight(self, run: RestoreRun, rec: StepRecord) -> None:
        inv, item = run.inventory, run.options.data_item
        client = self.aws.client("rds", run.region)
        primary_id = inv.primary.db_instance_identifiers[item]
        if run.options.region_role == "primary":
            view = rds.describe_instance(client, primary_id)
            if view is None:
                raise Finding(f"nothing to restore: {primary_id} not found in {run.region}")
            latest = view.latest_restorable_time
            earliest = None
            run.source = f"{primary_id} (automated backups, {run.region})"
        else:
            account = arn_account(inv.primary.vault_arn)
            backups = rds.find_replicated_backups(
                client,
                source_arn=f"arn:aws:rds:{inv.primary_region}:{account}:db:{primary_id}",
                source_identifier=primary_id,
                source_region=inv.primary_region,
            )
            if backups is None:
                raise Finding(
                    f"nothing to restore: no automated backups of {primary_id} replicated to {run.region}"
                )
            latest, earliest = backups.latest, backups.earliest
            run.source = backups.arn
            run.replicated_backups = backups.arn
        if latest is None:
            raise Finding(f"nothing to restore: {run.source} has no restorable time yet")
        point = run.options.point_in_time
        if point is not None and point > latest:
            raise BadInput(
                f"--point-in-time {iso(point)} is after the latest restorable time {iso(latest)} "
                f"of {run.source}"
            )
        if point is not None and earliest is not None and point < earliest:
            raise BadInput(
                f"--point-in-time {iso(point)} is before the earliest restorable time {iso(earliest)} "
                f"of {run.source}"
            )
        run.restored_point = point or latest
        rec.notes.append(f"source: {run.source}")
        rec.notes.append(
            f"restoring to {iso(run.restored_point)}"
            + (" (the newest restorable point)" if point is None else "")
        )
        found = leftovers(rds.list_instances(client), run.plan.service, run.token)
        for view in found:
            token = view.tags.get(SCRATCH_TAG)
            rec.notes.append(f"leftover scratch instance {view.identifier} from an earlier test ({token})")
            run.next_actions.append(
                f"delete the leftover scratch instance: {delete_command(view.identifier, run.region)}"
            )

    def restore(self, run: RestoreRun, rec: StepRecord) -> None:
        inv, item, clock, timing = run.inventory, run.options.data_item, self.clock, self.timing
        where = inv.region(run.options.region_role)
        client = self.aws.client("rds", run.region)
        started = clock.monotonic()
        run.attempted = True
        security_group = where.db_security_group_ids.get(item)
        try:
            created = rds.restore_to_point_in_time(
                client,
                target_identifier=run.scratch,
                source_identifier=inv.primary.db_instance_identifiers[item]
                if run.options.region_role == "primary"
                else None,
                automated_backups_arn=run.replicated_backups,
                restore_time=run.options.point_in_time,
                instance_class=inv.db_instance_class,
                subnet_group=where.db_subnet_group_names.get(item),
                security_group_ids=[security_group] if security_group else [],
                tags=scratch_tags(run.plan.service, item, run.token),
            )
        except Exception as exc:
            raise Finding(f"the restore was refused: {describe_error(exc)}") from exc
        if not created:
            raise StepFailed(f"{run.scratch} already exists in {run.region}: not ours, left alone")
        rec.actions.append(
            f"restored {run.source} at {iso(run.restored_point)} into scratch instance {run.scratch}"
        )

        def settled(view: rds.InstanceView | None) -> bool:
            return view is not None and (view.status == rds.AVAILABLE or view.broken)

        try:
            view = poll_until(
                lambda: rds.describe_instance(client, run.scratch),
                settled,
                clock=clock,
                timeout=timing.restore_timeout,
                interval=timing.poll_seconds,
                what=run.scratch,
                describe=lambda v: "not listed yet" if v is None else v.status,
                on_state=lambda text: run.timeline.state("restore", f"{run.scratch}: {text}"),
            )
        except WaitTimeout as exc:
            raise Finding(f"the restore did not finish: {exc}") from exc
        assert view is not None
        if view.broken:
            raise Finding(f"the restore failed: {run.scratch} is {view.status}")
        run.restore_seconds = clock.monotonic() - started
        run.endpoint = f"{view.endpoint_address}:{view.endpoint_port}" if view.endpoint_address else None
        run.scratch_view = view
        timed(run, rec)
        if run.endpoint:
            rec.notes.append(f"endpoint {run.endpoint}")

    def check(self, run: RestoreRun, rec: StepRecord) -> None:
        return None  # the instance came up; what it holds is for --verify

    def environment(self, run: RestoreRun) -> Mapping[str, str]:
        view = run.scratch_view
        assert view is not None, "verified after a restore"
        return verification_environment(
            view, data_item=run.options.data_item, region=run.region, point=run.restored_point
        )

    def cleanup(self, run: RestoreRun, rec: StepRecord) -> None:
        client = self.aws.client("rds", run.region)
        view = rds.describe_instance(client, run.scratch)
        if view is None:
            rec.outcome = ALREADY_DONE
            rec.notes.append(f"{run.scratch} does not exist: nothing to delete")
            run.deleted = True
            return
        if not is_ours(view, run.token):
            raise StepFailed(
                f"{run.scratch} does not carry continuity:scratch={run.token}: not ours, left alone"
            )
        view = poll_until(
            lambda: rds.describe_instance(client, run.scratch),
            lambda v: v is None or v.status not in rds.UNDELETABLE_STATUSES,
            clock=self.clock,
            timeout=self.timing.cleanup_timeout,
            interval=self.timing.poll_seconds,
            what=f"{run.scratch} to be deletable",
            describe=lambda v: "gone" if v is None else v.status,
            on_state=lambda text: run.timeline.state("cleanup", f"{run.scratch}: {text}"),
        )
        if view is not None and view.deletion_protection:
            # Defensive: a restore must not protect the instance, but one that did (moto copies
            # its source's protection) could not be deleted otherwise.
            rds.modify_instance(client, run.scratch, {"DeletionProtection": False})
            rec.actions.append(f"turned off deletion protection on scratch instance {run.scratch}")
        if view is not None and rds.delete_instance(client, run.scratch):
            rec.actions.append(f"deleted scratch instance {run.scratch} (no final snapshot)")
        rec.outcome = DONE
        run.deleted = True

    def delete_command(self, run: RestoreRun) -> str:
        return delete_command(run.scratch, run.region)


def timed(run: RestoreRun, rec: StepRecord) -> None:
    """Note the restore's time against the tier's RTO, and make a slow one a finding."""
    assert run.restore_seconds is not None
    met = "within" if run.rto_met else "MORE than"
    rec.notes.append(
        f"{'available' if run.scratch_kind == 'instance' else 'restored'} after "
        f"{format_seconds(run.restore_seconds)}, {met} the tier {run.tier} RTO "
        f"{format_seconds(run.rto_seconds)}"
    )
    if not run.rto_met:
        run.findings.append(
            f"the restore took {format_seconds(run.restore_seconds)}, more than the tier {run.tier} "
            f"RTO {format_seconds(run.rto_seconds)}"
        )


# ---------------------------------------------------------------------------------------------
# Steps every store shares


def _verify(run: RestoreRun, test: StoreTest, timing: RestoreTiming) -> None:
    with run.timeline.step("verify") as rec:
        test.check(run, rec)
        command = run.options.verify
        if command is None:
            if not rec.actions and not rec.notes:
                rec.outcome = SKIPPED
                rec.notes.append(
                    f"no --verify command: the scratch {run.scratch_kind} came up, its data was not checked"
                )
            return
        env = {**os.environ, **test.environment(run)}
        started = run.timeline.clock.monotonic()
        try:
            # The operator's own command, run as they would type it (pipes and quoting included).
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                env=env,
                capture_output=True,
                text=True,
                timeout=timing.verify_timeout,
                check=False,
            )
            code: int | None = done.returncode
            output = (done.stdout + done.stderr).strip().splitlines()
        except subprocess.TimeoutExpired as exc:
            code, output = None, [f"timed out after {format_seconds(exc.timeout)}"]
        run.verification = Verification(
            command, code, run.timeline.clock.monotonic() - started, output[-VERIFY_OUTPUT_LINES:]
        )
        rec.actions.append(f"ran the verification: {command}")
        rec.notes += [f"| {line}" for line in run.verification.output]
        if code != 0:
            what = "timed out" if code is None else f"exited {code}"
            raise Finding(f"the verification {what}: {command}")


def _cleanup(run: RestoreRun, test: StoreTest) -> BaseException | None:
    """Delete the scratch if this run created it; never raises (Ctrl-C included)."""
    timeline = run.timeline
    if not run.attempted:
        timeline["cleanup"].outcome = SKIPPED
        timeline["cleanup"].notes.append("nothing was created")
        return None
    try:
        with timeline.step("cleanup") as rec:
            test.cleanup(run, rec)
    except BaseException as exc:
        run.next_actions.insert(
            0, f"delete the scratch {run.scratch_kind} by hand: {test.delete_command(run)}"
        )
        return exc
    return None


def _record(run: RestoreRun, aws: Aws, history: HistoryLocation, report_path: str | None) -> None:
    timeline = run.timeline
    if not run.attempted:
        timeline["record"].outcome = SKIPPED
        timeline["record"].notes.append("no restore was attempted: nothing to record")
        return
    try:
        with timeline.step("record") as rec:
            append_entry(history, history_entry(run, report_path), aws, run.inventory.dr_region)
            rec.actions.append(f"appended the result to the drill history {history.text}")
            run.recorded = True
    except Exception as exc:
        run.findings.append(f"the result could not be recorded: {_message(exc)}")
        run.next_actions.append(
            f"the drill history {history.text} misses this test: readiness will not count it"
        )


def history_entry(run: RestoreRun, report_path: str | None) -> dict[str, Any]:
    return {
        "kind": RESTORE_TEST,
        "at": iso(run.started_at),
        "ok": run.ok,
        "service": run.plan.service,
        "stack": run.inventory.stack,
        "data_item": run.options.data_item,
        "store": run.store,
        "tier": run.tier,
        "region": run.region,
        "source": run.source,
        "restored_point": iso(run.restored_point),
        "restore_seconds": None if run.restore_seconds is None else round(run.restore_seconds, 3),
        "rto_seconds": run.rto_seconds,
        "rto_met": run.rto_met,
        "verified": None if run.verification is None else run.verification.exit_code == 0,
        "scratch": run.scratch,
        "deleted": run.deleted,
        "report": report_path,
    }


def _message(exc: BaseException) -> str:
    if isinstance(exc, OperationsError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt | Interrupted):
        return "interrupted"
    return describe_error(exc)


def _settle(run: RestoreRun, error: BaseException | None, cleanup_error: BaseException | None) -> None:
    interrupted = isinstance(error, KeyboardInterrupt | Interrupted) or isinstance(
        cleanup_error, KeyboardInterrupt | Interrupted
    )
    kind = run.scratch_kind
    if error is not None and not interrupted:
        run.findings.insert(0, _message(error))
    if interrupted:
        run.outcome, run.exit_code = INTERRUPTED, ExitCode.INTERRUPTED
        run.message = "interrupted" + (f"; the scratch {kind} was deleted" if run.deleted else "")
    elif cleanup_error is not None:
        run.outcome, run.exit_code = FAILED, ExitCode.STEP_FAILED
        run.message = f"the scratch {kind} {run.scratch} was not deleted: {_message(cleanup_error)}"
    elif isinstance(error, StepFailed) and not isinstance(error, Finding):
        run.outcome, run.exit_code = FAILED, ExitCode.STEP_FAILED
        run.message = _message(error)
    elif run.findings:
        run.outcome, run.exit_code = FINDING, ExitCode.FINDING
        run.message = "; ".join(run.findings)
    else:
        run.outcome, run.exit_code = PASSED, ExitCode.OK
        assert run.restore_seconds is not None
        checked = run.verification is not None or bool(run.details.get("verified"))
        run.message = (
            f"{run.options.data_item} restored in {format_seconds(run.restore_seconds)} "
            f"(tier {run.tier} RTO {format_seconds(run.rto_seconds)})"
            + (", verified" if checked else "")
            + f"; scratch {kind} deleted"
        )
    if run.exit_code in (ExitCode.STEP_FAILED, ExitCode.INTERRUPTED) and not run.next_actions:
        run.next_actions.append("run the test again")
