"""The local rehearsal: the whole disaster-recovery lifecycle on an emulated AWS.

Stage by stage: start the emulator, deploy the primary then the DR stack (the real program, its
resources created in the emulator), check both with the policy pack, write data (rows to a stand-in
for each database, objects to the backup buckets, and show that a locked object cannot be
deleted), let AWS Backup run the stacks' rules once (a recovery point per protected resource per
rule, copies in the DR vault, a restore test per restore testing plan: offline/backup_jobs.py),
declare a regional outage (the primary's health check starts failing), fail over with
`scripts/promote_dr.py` as a real process, verify what it did and the data it lost, record the
failover in the drill history as the drill it is, judge the promoted DR region with
`scripts/dr_readiness.py`, and write the drill report. Then, in the region
that now serves, a corruption (rows of a database overwritten, objects of a write-once bucket
encrypted, a bad dump of in-cluster data) recovered item by item with `scripts/recover.py` to the
moment before, checking that exactly what was there is back (offline/corruption.py).

What the emulator cannot do, the rehearsal does in the open and says so: RDS and S3 replicate no
data in moto, so a SQLite file stands in for each database (its replica applies rows older than
the replica lag) and objects are copied to the DR bucket as S3 replication would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from continuity.derive import RDS_PITR_RPO
from continuity.durations import describe_seconds
from continuity.outputs import Inventory, Promotion, parse_inventory, parse_promotion
from continuity.plan import Plan, load_plan
from offline import backup_jobs, corruption
from offline.deployment import EmulatedAccount
from offline.emulator import Emulation, check_destroy
from offline.fake_kubernetes import FakeCluster, running_cluster, write_kubeconfig
from offline.moto_fidelity import Fidelity, aws_fidelity
from offline.moto_server import Emulator, running_emulator
from offline.policy_check import check, load_pack
from offline.program import ROOT, StackRun
from offline.restore_hooks import rds_restores
from offline.restore_jobs import RestoreJobContract
from offline.stack_state import states_from_run
from operations.aws import arn_account
from operations.clock import SystemClock
from operations.drill.measure import bars, gantt, improvements, tier_results
from operations.history import DRILL, append_entry, parse_location
from operations.progress import Progress
from operations.readiness.checks import EXPECTED, STATUSES
from operations.readiness.run import counts_text
from operations.report import StepRecord, md_table

# A cross-region replica typically trails its source by seconds; AWS states no bound, so the
# rehearsal picks one well inside every RPO and reports what it costs.
DEFAULT_REPLICA_LAG = timedelta(seconds=5)
# A row every 5 seconds for the last 10 minutes: longer than the 5 minutes point-in-time
# recovery trails by, so a restore (backup-restore) brings some rows back and loses the rest.
ROWS = 120
ROW_INTERVAL = timedelta(seconds=5)
OBJECTS_PER_BUCKET = 3
NOTHING_TO_IMPROVE = "every objective met, no readiness check failed or went unread"


class RehearsalFailed(Exception):
    """A stage did not do what it should; the message says what."""


@dataclass
class StageRecord:
    key: str
    title: str
    ok: bool | None = None
    seconds: float = 0.0
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None


@dataclass
class RehearsalResult:
    plan_path: str
    work_dir: Path
    stages: list[StageRecord]
    started_at: datetime
    seconds: float = 0.0
    reports: dict[str, str] = field(default_factory=dict)
    emulator_url: str | None = None

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.stages)

    def as_data(self) -> dict[str, Any]:
        return {
            "plan": self.plan_path,
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "work_dir": str(self.work_dir),
            "reports": self.reports,
            "emulator": self.emulator_url,
            "stages": [
                {
                    "stage": s.key,
                    "title": s.title,
                    "ok": s.ok,
                    "seconds": round(s.seconds, 3),
                    "detail": s.detail,
                    "data": s.data,
                }
                for s in self.stages
            ],
        }


@dataclass
class _Context:
    plan: Plan
    plan_path: Path
    work: Path
    emulator: Emulator
    fidelity: Fidelity
    emulation: Emulation
    replica_lag: timedelta
    # Plans that run in Kubernetes: a fake API server per region, named as the EKS cluster is.
    clusters: dict[str, FakeCluster] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)  # --config, for both stacks
    kubeconfig: Path | None = None
    primary: StackRun | None = None
    dr: StackRun | None = None
    outputs_file: Path | None = None
    promotion: Promotion | None = None
    inventory: Inventory | None = None
    outage_at: datetime | None = None
    failover_report: dict[str, Any] = field(default_factory=dict)
    healthy_at: datetime | None = None  # the DR endpoint's first healthy answer after the outage
    readiness_report: dict[str, Any] = field(default_factory=dict)

    account: EmulatedAccount = field(init=False)

    def __post_init__(self) -> None:
        self.account = EmulatedAccount(self.emulator, self.fidelity, self.clusters)
        self.account.emulation = self.emulation

    def client(self, service: str, region: str) -> Any:
        return self.account.client(service, region)

    def deploy(self, stack: str, primary_outputs: dict[str, Any] | None = None) -> StackRun:
        return self.account.deploy(self.plan, self.plan_path, stack, primary_outputs, config=self.config)

    def script(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the operational scripts as an engineer would, against the emulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.emulator.environment(self.plan.regions.dr))
        env["PATH"] = f"{self.work / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / name), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.work,
            check=False,
            timeout=600,
        )


Stage = Callable[[_Context, StageRecord], None]


# ---------------------------------------------------------------------------------------------
# Stages


def _deploy_primary(ctx: _Context, rec: StageRecord) -> None:
    # The team's public zone and, for a plan in Kubernetes, an EKS cluster per region.
    ctx.account.prepare()
    if ctx.clusters:
        ctx.kubeconfig = write_kubeconfig(list(ctx.clusters.values()), ctx.work / "kubeconfig")
    ctx.primary = ctx.deploy("primary")
    created = [c for c in ctx.emulation.created if c[2]]
    rec.data = {"resources": len([r for r in ctx.primary.resources if r.custom]), "created": len(created)}
    rec.detail = f"{rec.data['resources']} resources in {ctx.plan.regions.primary}"


def _deploy_dr(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.primary is not None
    before = len(ctx.emulation.created)
    ctx.dr = ctx.deploy("dr", primary_outputs=ctx.primary.outputs)
    check_destroy(ctx.emulation, ctx.account)
    # What `pulumi stack output --json --show-secrets --stack dr` prints, saved as docs/failover.md asks.
    ctx.outputs_file = ctx.work / "dr-outputs.json"
    ctx.outputs_file.write_text(json.dumps(ctx.dr.outputs, indent=2, default=str))
    ctx.inventory = parse_inventory(ctx.dr.outputs)
    if "promotion" in ctx.dr.outputs and "dns" in ctx.dr.outputs["promotion"]:
        ctx.promotion = parse_promotion(ctx.dr.outputs)
    not_emulated = sorted({(t, reason) for t, _, reason in ctx.emulation.not_emulated})
    rec.data = {
        "resources": len([r for r in ctx.dr.resources if r.custom]),
        "created": len(ctx.emulation.created) - before,
        "not_emulated": [{"type": t, "reason": reason} for t, reason in not_emulated],
        "notes": [{"type": t, "name": n, "note": note} for t, n, note in ctx.emulation.notes],
    }
    rec.detail = (
        f"{rec.data['resources']} resources in {ctx.plan.regions.dr}; "
        f"outputs saved to {ctx.outputs_file.name}; "
        f"not emulated: {', '.join(t.rsplit(':', 1)[1] for t, _ in not_emulated) or 'none'}"
    )


def _check_policies(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.primary is not None
    assert ctx.dr is not None
    pack = load_pack()
    found: dict[str, dict[str, Any]] = {}
    for run in (ctx.primary, ctx.dr):
        result = check(states_from_run(run), ctx.plan_path, None, pack)
        found[run.stack] = {
            "mandatory": [f"{v.policy}: {v.message}" for v in result.mandatory],
            "advisory": len(result.violations) - len(result.mandatory),
        }
    rec.data = found
    mandatory = sum(len(v["mandatory"]) for v in found.values())
    rec.detail = ", ".join(
        f"{s}: {len(v['mandatory'])} mandatory, {v['advisory']} advisory" for s, v in found.items()
    )
    if mandatory:
        raise RehearsalFailed(f"the policy pack found {mandatory} mandatory violation(s): {found}")


def _standin(ctx: _Context, identifier: str) -> sqlite3.Connection:
    (ctx.work / "data").mkdir(exist_ok=True)
    db = sqlite3.connect(ctx.work / "data" / f"{identifier}.sqlite")
    db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, written_at TEXT NOT NULL)")
    return db


def _write_data(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.inventory is not None
    now = datetime.now(UTC)
    databases = []
    dr_db = ctx.inventory.dr.db_instance_identifiers
    for item, identifier in ctx.inventory.primary.db_instance_identifiers.items():
        rows = [(i, (now - (ROWS - 1 - i) * ROW_INTERVAL).isoformat()) for i in range(ROWS)]
        with _standin(ctx, identifier) as primary:
            primary.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?)", rows)
        replica_mode = ctx.plan.replicated_database
        lag = ctx.replica_lag if replica_mode else RDS_PITR_RPO
        with _standin(ctx, dr_db[item]) as standby:
            standby.executemany(
                "INSERT OR REPLACE INTO orders VALUES (?, ?)",
                [r for r in rows if datetime.fromisoformat(r[1]) <= now - lag],
            )
            # How far the DR copy reaches: the replica's position, or the latest restorable time.
            standby.execute("CREATE TABLE IF NOT EXISTS copy (through TEXT NOT NULL)")
            standby.execute("DELETE FROM copy")
            standby.execute("INSERT INTO copy VALUES (?)", ((now - lag).isoformat(),))
        if replica_mode:
            # What RDS publishes for a replica: how far behind it is, in seconds.
            ctx.client("cloudwatch", ctx.plan.regions.dr).put_metric_data(
                Namespace="AWS/RDS",
                MetricData=[
                    {
                        "MetricName": "ReplicaLag",
                        "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": dr_db[item]}],
                        "Timestamp": now - timedelta(minutes=m),
                        "Value": lag.total_seconds(),
                        "Unit": "Seconds",
                    }
                    for m in range(5)
                ],
            )
        databases.append({"data_item": item, "rows": ROWS, "dr_copy_behind_seconds": lag.total_seconds()})
    buckets = []
    locked: tuple[str, str, str] | None = None
    for item, bucket in ctx.inventory.primary.bucket_names.items():
        s3 = ctx.client("s3", ctx.plan.regions.primary)
        copies = ctx.client("s3", ctx.plan.regions.dr)
        replicated = item in ctx.inventory.dr.bucket_names and ctx.plan.data[item].copy_to_dr
        for n in range(OBJECTS_PER_BUCKET):
            key = f"rehearsal/{item}-{n}.json"
            body = json.dumps({"item": item, "n": n, "written_at": now.isoformat()}).encode()
            put = s3.put_object(Bucket=bucket, Key=key, Body=body)
            if replicated:
                # S3 replication (moto replicates nothing), done here as the replication rule would.
                copies.put_object(Bucket=ctx.inventory.dr.bucket_names[item], Key=key, Body=body)
            if locked is None and ctx.plan.data[item].immutable:
                locked = (bucket, key, put["VersionId"])
        buckets.append({"data_item": item, "objects": OBJECTS_PER_BUCKET, "copied_to_dr": replicated})
    kubernetes = ctx.inventory.primary.kubernetes
    if kubernetes is not None and kubernetes.cron_jobs:
        # The objects above are what each backup Job uploaded: record the runs on the CronJobs, as
        # the CronJob controller would once its Job completed.
        cluster = ctx.clusters[ctx.plan.regions.primary]
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        for job in kubernetes.cron_jobs.values():
            found = cluster.get("batch/v1", "cronjobs", job.namespace, job.name)
            if found is None:
                raise RehearsalFailed(f"backup CronJob {job.namespace}/{job.name} is not in the cluster")
            found["status"] = {"lastScheduleTime": stamp, "lastSuccessfulTime": stamp}
            cluster.put("batch/v1", "cronjobs", found)
    worm = "no immutable data in the plan"
    if locked is not None:
        bucket, key, version = locked
        try:
            ctx.client("s3", ctx.plan.regions.primary).delete_object(
                Bucket=bucket, Key=key, VersionId=version
            )
        except ClientError as err:
            worm = f"deleting {key} (version {version[:8]}…) refused: {err.response['Error']['Code']}"
        else:
            raise RehearsalFailed(
                f"a locked object version was deleted from {bucket}: Object Lock did not hold"
            )
    rec.data = {"databases": databases, "buckets": buckets, "object_lock": worm}
    rec.detail = (
        f"{ROWS} rows per database over {describe_seconds((ROWS - 1) * ROW_INTERVAL.total_seconds())}, "
        f"{OBJECTS_PER_BUCKET} objects per bucket; {worm}"
    )


def _backups(ctx: _Context, rec: StageRecord) -> None:
    """AWS Backup ran the stacks' rules once, now: what readiness then finds in the vaults (moto
    runs no rule; offline/backup_jobs.py records what AWS Backup would)."""
    assert ctx.primary is not None
    assert ctx.dr is not None
    assert ctx.inventory is not None
    account = arn_account(ctx.inventory.primary.vault_arn) or ""
    ran = backup_jobs.run_rules(
        ctx.client, ctx.fidelity.backups, [ctx.primary, ctx.dr], account, datetime.now(UTC)
    )
    rec.data = {
        "recovery_points": ran.recovery_points,
        "copies": ran.copies,
        "restore_jobs": ran.restore_jobs,
        "untested": ran.untested,
    }
    rec.detail = (
        f"{ran.recovery_points} recovery points, {ran.copies} copies to the DR vault, "
        f"{ran.restore_jobs} restore testing jobs"
        + (f"; nothing to restore for {', '.join(ran.untested)}" if ran.untested else "")
    )


def _declare_outage(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.promotion is not None
    dns = ctx.promotion.dns
    ctx.outage_at = datetime.now(UTC)
    ctx.fidelity.declare_outage(dns.primary_health_check_id)
    ctx.client("cloudwatch", dns.alarm_region).set_alarm_state(
        AlarmName=dns.primary_health_alarm,
        StateValue="ALARM",
        StateReason="rehearsal: regional outage declared",
    )
    rec.data = {"declared_at": ctx.outage_at.isoformat(), "health_check": dns.primary_health_check_id}
    rec.detail = (
        f"{ctx.plan.regions.primary} down: health check {dns.primary_health_check_id[:8]}… failing, "
        f"{dns.primary_health_alarm} in ALARM"
    )


def _fail_over(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.outputs_file is not None
    report = ctx.work / "reports" / "promote-dr.json"
    done = ctx.script("promote_dr.py", "--outputs", str(ctx.outputs_file), "--yes", "--report", str(report))
    (ctx.work / "reports" / "promote-dr.log").write_text(done.stdout + done.stderr)
    rec.data = {"exit_code": done.returncode, "report": str(report)}
    if done.returncode != 0:
        raise RehearsalFailed(
            f"promote_dr.py exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
        )
    ctx.failover_report = json.loads(report.read_text())
    rto = ctx.failover_report.get("rto") or {}
    rec.data.update(outcome=ctx.failover_report.get("outcome"), rto=rto, rpo=ctx.failover_report.get("rpo"))
    rec.detail = f"{ctx.failover_report.get('outcome')} (exit 0); report {report.relative_to(ctx.work)}"


def _verify(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.promotion is not None
    assert ctx.inventory is not None
    assert ctx.outage_at is not None
    p = ctx.promotion
    problems: list[str] = []
    rds = ctx.client("rds", p.dr_region)
    for db in p.databases:
        found = rds.describe_db_instances(DBInstanceIdentifier=db.identifier)["DBInstances"][0]
        if found.get("ReadReplicaSourceDBInstanceIdentifier"):
            problems.append(f"{db.identifier} is still a replica")
        if bool(found.get("MultiAZ")) != db.multi_az:
            problems.append(f"{db.identifier} MultiAZ {found.get('MultiAZ')}, plan {db.multi_az}")
    if p.kubernetes is not None:
        cluster = ctx.clusters[p.dr_region]
        for target in p.kubernetes.services:
            deployment = cluster.get("apps/v1", "deployments", target.namespace, target.deployment) or {}
            ready = (deployment.get("status") or {}).get("readyReplicas")
            if ready != target.full_replicas:
                problems.append(f"{target.name}: {ready} ready replicas in DR, plan {target.full_replicas}")
    ecs = ctx.client("ecs", p.dr_region)
    for service in p.services:
        found = ecs.describe_services(cluster=service.cluster, services=[service.service])["services"][0]
        if found["desiredCount"] != service.full_desired_count:
            problems.append(
                f"{service.name} desired {found['desiredCount']}, plan {service.full_desired_count}"
            )
    route53 = ctx.client("route53", "us-east-1")
    check = route53.get_health_check(HealthCheckId=p.dns.primary_health_check_id)["HealthCheck"]
    if not check["HealthCheckConfig"].get("Inverted"):
        problems.append("the primary health check is not inverted: Route 53 would still answer PRIMARY")
    observed = route53.get_health_check_status(HealthCheckId=p.dns.dr_health_check_id)[
        "HealthCheckObservations"
    ]
    healthy_at = ctx.healthy_at = datetime.now(UTC)
    if not any(o["StatusReport"]["Status"].startswith("Success") for o in observed):
        problems.append("the DR endpoint does not answer its health check")
    # The data the failover lost: rows the primary took that its DR copy never saw.
    lost = []
    for item, identifier in ctx.inventory.primary.db_instance_identifiers.items():
        with (
            _standin(ctx, identifier) as primary,
            _standin(ctx, ctx.inventory.dr.db_instance_identifiers[item]) as dr,
        ):
            through = dr.execute("SELECT through FROM copy").fetchone()[0]
            found = primary.execute("SELECT COUNT(*) FROM orders WHERE written_at > ?", (through,))
            missing = found.fetchone()[0]
        window = (ctx.outage_at - datetime.fromisoformat(through)).total_seconds()
        rpo = ctx.plan.rpo_of(ctx.plan.data[item])
        lost.append(
            {
                "data_item": item,
                "rows_lost": missing,
                "seconds_lost": window,
                "rpo_seconds": rpo.seconds,
                "rpo_met": window <= rpo.seconds,
            }
        )
        if window > rpo.seconds:
            problems.append(f"data item {item}: lost {describe_seconds(window)} of writes, RPO {rpo}")
    rto_seconds = (healthy_at - ctx.outage_at).total_seconds()
    rec.data = {"rto_seconds": rto_seconds, "rto_target_seconds": p.objectives.rto_seconds, "data_lost": lost}
    if rto_seconds > p.objectives.rto_seconds:
        problems.append(
            f"RTO {describe_seconds(rto_seconds)} over the plan's "
            f"{describe_seconds(p.objectives.rto_seconds)}"
        )
    rec.detail = (
        f"DR answering {describe_seconds(rto_seconds)} after the outage "
        f"(plan {describe_seconds(p.objectives.rto_seconds)}); "
        + "; ".join(f"{x['data_item']}: {x['rows_lost']} rows lost" for x in lost)
    )
    if problems:
        raise RehearsalFailed("; ".join(problems))


def _record_drill(ctx: _Context, rec: StageRecord) -> None:
    """The failover just rehearsed is a drill: in the drill history (the DR stack's drillHistory,
    where scripts/dr_drill.py appends its own) before readiness reads it, as dr_drill records its
    drill before anyone judges the environment again."""
    assert ctx.inventory is not None
    assert ctx.promotion is not None
    assert ctx.outage_at is not None
    text = ctx.inventory.drill_history
    location = parse_location(text if text.startswith("s3://") else str(ctx.work / text))
    report = ctx.failover_report
    rto = None if ctx.healthy_at is None else (ctx.healthy_at - ctx.outage_at).total_seconds()
    objective = ctx.promotion.objectives.rto_seconds
    entry = {
        "kind": DRILL,
        "at": ctx.outage_at.isoformat(),
        "ok": report.get("outcome") == "promoted",
        "service": ctx.plan.service,
        "stack": ctx.inventory.stack,
        "failure_time": ctx.outage_at.isoformat(),
        "healthy_at": None if ctx.healthy_at is None else ctx.healthy_at.isoformat(),
        "rto_seconds": None if rto is None else round(rto, 3),
        "rto_objective_seconds": objective,
        "rto_met": None if rto is None else rto <= objective,
        "outcome": str(report.get("outcome")),
        "report": str(ctx.work / "reports" / "promote-dr.json"),
        "source": "rehearsal (offline/rehearsal.py)",
    }
    append_entry(location, entry, ctx.account, ctx.plan.regions.dr)  # type: ignore[arg-type]
    rec.data = {"history": location.text, "entry": entry}
    rec.detail = f"drill of {ctx.outage_at.isoformat(timespec='seconds')} appended to {text}"


def _readiness(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.outputs_file is not None
    report = ctx.work / "reports" / "readiness.json"
    done = ctx.script(
        "dr_readiness.py",
        "--outputs",
        str(ctx.outputs_file),
        "--plan",
        str(ctx.plan_path),
        "--json",
        "--report",
        str(report),
    )
    (ctx.work / "reports" / "readiness.log").write_text(done.stdout + done.stderr)
    # Exit 1 is a judgement (findings), not a failure to judge.
    if done.returncode not in (0, 1):
        raise RehearsalFailed(
            f"dr_readiness.py exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
        )
    ctx.readiness_report = json.loads(report.read_text())
    checks = ctx.readiness_report.get("checks", [])
    counts = {verdict: sum(1 for c in checks if c.get("verdict") == verdict) for verdict in STATUSES}
    rec.data = {"exit_code": done.returncode, "counts": counts, "report": str(report)}
    rec.detail = f"{counts_text(counts)} (exit {done.returncode})"


def _drill_report(ctx: _Context, rec: StageRecord) -> None:
    assert ctx.outage_at is not None
    path = ctx.work / "reports" / "drill.md"
    path.write_text(drill_markdown(ctx))
    rec.data = {"report": str(path)}
    rec.detail = f"written to {path.relative_to(ctx.work)}"


def drill_markdown(ctx: _Context) -> str:
    """Targets against actuals per tier, the failover's timeline, and what to improve: the drill
    report's own measures (operations/drill/measure.py), from the rehearsal's outage."""
    assert ctx.outage_at is not None
    report = ctx.failover_report
    rto = None if ctx.healthy_at is None else (ctx.healthy_at - ctx.outage_at).total_seconds()
    tiers = tier_results(ctx.plan, rto, (report.get("rpo") or {}).get("databases", []))
    steps = [_step_record(n, s) for n, s in enumerate(report.get("steps", []), start=1)]
    title = f"{ctx.plan.service}: {ctx.plan.regions.primary} to {ctx.plan.regions.dr}"
    chart = gantt(title, ctx.outage_at, ctx.healthy_at, bars("failover", steps))
    found = improvements(
        readiness_checks=ctx.readiness_report.get("checks", []),
        failover_outcome=str(report.get("outcome")),
        failover_message=str(report.get("message", "")),
        tiers=tiers,
        steps=steps,
        rto_objective=min(t.rto_objective for t in tiers) if tiers else 0,
        notes=[],
    )
    rows = [
        [
            t.tier,
            describe_seconds(t.rto_objective),
            "-" if t.rto_achieved is None else describe_seconds(t.rto_achieved),
            "-" if t.rpo_objective is None else describe_seconds(t.rpo_objective),
            "-" if t.rpo_achieved is None else describe_seconds(t.rpo_achieved),
            t.rpo_note,
        ]
        for t in tiers
    ]
    return (
        "\n".join(
            [
                f"# Rehearsal drill: {ctx.plan.service} fails over from {ctx.plan.regions.primary} "
                f"to {ctx.plan.regions.dr}",
                "",
                f"Regional outage declared at {ctx.outage_at.isoformat(timespec='seconds')}; "
                f"failover outcome: **{report.get('outcome')}**.",
                "",
                "## Targets against actuals",
                "",
                md_table(
                    ["tier", "RTO target", "RTO achieved", "RPO target", "RPO at the cut", "note"], rows
                ),
                "",
                "## Timeline",
                "",
                "```mermaid",
                chart,
                "```",
                "",
                "## To improve",
                "",
                *([f"- {line}" for line in found] or [f"- nothing: {NOTHING_TO_IMPROVE}"]),
                *_expected_section(ctx.readiness_report.get("checks", [])),
            ]
        )
        + "\n"
    )


def _expected_section(checks: list[dict[str, Any]]) -> list[str]:
    """Readiness's checks that show the failover's own state (no replica until failback): said, and
    why, apart from what to improve."""
    expected = [c for c in checks if c.get("verdict") == EXPECTED]
    if not expected:
        return []
    return [
        "",
        "## Expected after the failover (not to improve)",
        "",
        *[f"- {c['check']}: {c['measured']}; {c['detail']}" for c in expected],
    ]


def _step_record(number: int, step: dict[str, Any]) -> StepRecord:
    def moment(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    return StepRecord(
        key=str(step.get("step")),
        number=int(step.get("number") or number),
        title=str(step.get("title") or step.get("step")),
        started_at=moment(step.get("started_at")),
        ended_at=moment(step.get("ended_at")),
        seconds=step.get("seconds"),
        outcome=str(step.get("outcome")),
    )


def _corruption(ctx: _Context, rec: StageRecord) -> None:
    """Corrupt one item of each store in the serving (DR) region, recover each with recover.py as a
    process, and check exactly the data of the moment before is back, nothing deleted."""
    assert ctx.inventory is not None
    inv, plan, dr = ctx.inventory, ctx.plan, ctx.plan.regions.dr
    s3, standin = ctx.client("s3", dr), partial(_standin, ctx)
    first = {
        store: next((n for n, i in plan.data.items() if i.store == store), None) for store in ("rds", "s3")
    }
    dumped = next((n for n, i in plan.data.items() if i.store == "kubernetes" and i.restore_command), None)
    # Object versions are timed to the second: the point is a whole second after the data was
    # written (stages ago), and the corruption comes in the next second.
    point = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.0 - datetime.now(UTC).microsecond / 1e6 + 0.01)
    corrupted_at = datetime.now(UTC)
    before: dict[str, Any] = {}
    rec.data = {"point": point.isoformat(), "corrupted_at": corrupted_at.isoformat(), "corrupted": {}}
    if first["rds"]:
        identifier = inv.dr.db_instance_identifiers[first["rds"]]
        before["rows"] = corruption.rows(standin, identifier)
        rec.data["corrupted"][first["rds"]] = corruption.corrupt_rows(standin, identifier, corrupted_at)
    if first["s3"]:
        bucket = inv.dr.bucket_names[first["s3"]]
        before["objects"] = corruption.bucket_contents(s3, bucket)
        before["versions"] = corruption.version_count(s3, bucket)
        rec.data["corrupted"][first["s3"]] = corruption.corrupt_bucket(s3, bucket)
    contract = None
    if dumped:
        before["dumps"] = corruption.write_dumps(s3, inv.dr.bucket_names[dumped], dumped, point)
        contract = RestoreJobContract(plan, ctx.clusters[dr], lambda region: ctx.client("s3", region or dr))
        ctx.clusters[dr].controllers.append(contract)
    items = [n for n in (first["rds"], first["s3"], dumped) if n]
    with rds_restores(partial(corruption.restore_standin, ctx.work, standin)):
        reports, problems = _recover_each(
            ctx, items, point=point, corrupted_at=corrupted_at, rows=before.get("rows"), database=first["rds"]
        )
    if first["rds"] in reports:
        problems += _database_back(ctx, first["rds"], reports[first["rds"]], before["rows"])
    if first["s3"] in reports:
        bucket = inv.dr.bucket_names[first["s3"]]
        if corruption.bucket_contents(s3, bucket) != before["objects"]:
            problems.append(f"bucket {bucket} does not read as it did at {point.isoformat()}")
        if corruption.version_count(s3, bucket) < before["versions"]:
            problems.append(f"bucket {bucket} lost versions")
    if dumped and contract is not None:
        loaded = [(j.key, j.restore_namespace, j.problems) for j in contract.ran]
        wanted: list[tuple[str, str, list[str]]] = [
            (before["dumps"]["good"], str(plan.data[dumped].namespace), [])
        ]
        if loaded != wanted:
            problems.append(f"restore Jobs {loaded}, expected {wanted}")
    rec.data["recovered"] = {item: _recovered(r) for item, r in reports.items()}
    rec.data["reports"] = {item: str(ctx.work / "reports" / f"recover-{item}.md") for item in reports}
    said = [
        f"{item} {r['outcome']} to {r['recovered_point']}, "
        f"{describe_seconds(r['data_lost']['seconds'] or 0)} lost"
        for item, r in reports.items()
    ]
    rec.detail = "; ".join(said) or "no item to corrupt"
    if problems:
        raise RehearsalFailed("; ".join(problems))


def _recover_each(
    ctx: _Context,
    items: list[str],
    *,
    point: datetime,
    corrupted_at: datetime,
    rows: set[tuple[int, str]] | None,
    database: str | None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """scripts/recover.py as a process for each item; the reports, and what went wrong."""
    assert ctx.outputs_file is not None
    reports: dict[str, dict[str, Any]] = {}
    problems = []
    for item in items:
        report = ctx.work / "reports" / f"recover-{item}.json"
        args = ["--outputs", str(ctx.outputs_file), "--plan", str(ctx.plan_path), "--item", item, "--yes"]
        args += ["--to", point.strftime("%Y-%m-%dT%H:%M:%SZ"), "--report", str(report)]
        args += ["--corrupted-at", corrupted_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
        if item == database and rows is not None:
            args += ["--verify", corruption.row_check(ctx.work, sys.executable, len(rows))]
        run = ctx.script("recover.py", *args)
        (ctx.work / "reports" / f"recover-{item}.log").write_text(run.stdout + run.stderr)
        if run.returncode != 0:
            last = run.stderr.strip().splitlines()[-1:]
            problems.append(f"recover.py --item {item} exited {run.returncode}: {last}")
            continue
        reports[item] = json.loads(report.read_text())
    return reports, problems


def _database_back(ctx: _Context, item: str, report: dict[str, Any], rows: set[tuple[int, str]]) -> list[str]:
    """The restored instance holds exactly the rows of the point, and the database's name points at it."""
    assert ctx.inventory is not None
    inv, dr = ctx.inventory, ctx.plan.regions.dr
    target = report["details"]["restored_instance"]
    problems = []
    if corruption.rows(partial(_standin, ctx), target) != rows:
        problems.append(f"{target} does not hold exactly the rows of {report['recovered_point']}")
    found = ctx.client("rds", dr).describe_db_instances(DBInstanceIdentifier=target)["DBInstances"][0]
    zone, host = inv.dr.db_endpoint_zone_id, inv.dr.db_host_names.get(item)
    assert zone is not None
    assert host is not None
    points_at = corruption.cname_values(ctx.client("route53", "us-east-1"), zone, host)
    if points_at != [found["Endpoint"]["Address"]]:
        problems.append(f"{host} points at {points_at}, not at {target}")
    return problems


def _recovered(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "outcome": report["outcome"],
        "recovered_point": report["recovered_point"],
        "data_lost_seconds": report["data_lost"]["seconds"],
        "seconds": report["time"]["seconds"],
        "rto_seconds": report["time"]["rto_seconds"],
        "details": report["details"],
    }


STAGES: list[tuple[str, str, Stage]] = [
    ("deploy-primary", "Deploy the primary stack", _deploy_primary),
    ("deploy-dr", "Deploy the DR stack", _deploy_dr),
    ("policies", "Check both stacks with the policy pack", _check_policies),
    ("data", "Write data", _write_data),
    ("backups", "AWS Backup ran the rules (backups, copies, restore testing)", _backups),
    ("outage", "Declare a regional outage", _declare_outage),
    ("failover", "Fail over (scripts/promote_dr.py)", _fail_over),
    ("verify", "Verify the failover", _verify),
    ("record", "Record the drill in the drill history", _record_drill),
    ("readiness", "Judge the promoted DR region (scripts/dr_readiness.py)", _readiness),
    ("drill", "Write the drill report", _drill_report),
    ("corruption", "Corrupt data, recover it to the moment before (scripts/recover.py)", _corruption),
]


_PULUMI_SHIM = '''#!{python}
"""Stands in for the Pulumi CLI during the rehearsal: records what it was asked, changes nothing."""
import json, pathlib, sys
log = pathlib.Path(__file__).resolve().parent.parent / "pulumi-calls.jsonl"
with log.open("a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
'''


def _prepare(work: Path) -> None:
    (work / "reports").mkdir(parents=True, exist_ok=True)
    (work / "bin").mkdir(exist_ok=True)
    shim = work / "bin" / "pulumi"
    # The failover records `promoted: true` with the Pulumi CLI; here it must not touch a real stack.
    shim.write_text(_PULUMI_SHIM.format(python=sys.executable))
    shim.chmod(0o755)


@contextmanager
def _emulated(
    plan: Plan, work: Path
) -> Iterator[tuple[Emulator, Fidelity, dict[str, FakeCluster], Path | None]]:
    with ExitStack() as stack:
        emulator = stack.enter_context(running_emulator())
        fidelity = stack.enter_context(aws_fidelity(Fidelity()))
        clusters: dict[str, FakeCluster] = {}
        kubeconfig = None
        in_cluster = any(s.compute == "kubernetes" for s in plan.services.values()) or any(
            d.store == "kubernetes" for d in plan.data.values()
        )
        if in_cluster:
            for role, region in (("primary", plan.regions.primary), ("dr", plan.regions.dr)):
                clusters[region] = stack.enter_context(running_cluster(f"{plan.service}-{role}"))
            # A context per cluster (written again under its EKS ARN once the cluster exists).
            kubeconfig = write_kubeconfig(list(clusters.values()), work / "kubeconfig")
        yield emulator, fidelity, clusters, kubeconfig


def rehearse(
    plan_path: Path,
    work: Path,
    progress: Progress,
    *,
    keep: Callable[[Emulator], None] | None = None,
    replica_lag: timedelta = DEFAULT_REPLICA_LAG,
    config: Mapping[str, str] | None = None,
) -> RehearsalResult:
    """Run every stage; stop at the first that fails. ``keep`` is called with the emulator still
    running (to explore it) before it stops."""
    plan = load_plan(plan_path)
    _prepare(work)
    clock = SystemClock()
    result = RehearsalResult(
        str(plan_path), work, [StageRecord(k, t) for k, t, _ in STAGES], datetime.now(UTC)
    )
    started = time.monotonic()
    with _emulated(plan, work) as (emulator, fidelity, clusters, kubeconfig):
        result.emulator_url = emulator.endpoint_url
        ctx = _Context(
            plan,
            plan_path.resolve(),
            work,
            emulator,
            fidelity,
            Emulation(),
            replica_lag,
            clusters=clusters,
            config=dict(config or {}),
            kubeconfig=kubeconfig,
        )
        for record, (_, title, stage) in zip(result.stages, STAGES, strict=True):
            record.started_at = clock.now()
            progress.step_started(record.key, title)
            began = time.monotonic()
            try:
                stage(ctx, record)
            except RehearsalFailed as err:
                record.ok, record.detail = False, str(err)
            except Exception as err:
                record.ok, record.detail = False, f"{type(err).__name__}: {err}"
            else:
                record.ok = True
            record.seconds = time.monotonic() - began
            progress.step_finished(record.key, "done" if record.ok else "FAILED", record.detail)
            if not record.ok:
                break
        if keep is not None:
            keep(emulator)
    result.seconds = time.monotonic() - started
    result.reports = {
        name: str(path)
        for name, path in (
            ("failover", work / "reports" / "promote-dr.md"),
            ("readiness", work / "reports" / "readiness.md"),
            ("drill", work / "reports" / "drill.md"),
            *[
                (f"recovery of {r.stem.removeprefix('recover-')}", r)
                for r in sorted(work.glob("reports/recover-*.md"))
            ],
            ("summary", work / "reports" / "rehearsal.md"),
        )
        if path.exists() or name == "summary"
    }
    (work / "reports" / "rehearsal.json").write_text(json.dumps(result.as_data(), indent=2, default=str))
    (work / "reports" / "rehearsal.md").write_text(summary_markdown(result))
    return result


def summary_markdown(result: RehearsalResult) -> str:
    rows = [
        [
            s.title,
            "ok" if s.ok else ("FAILED" if s.ok is False else "not run"),
            describe_seconds(s.seconds),
            s.detail,
        ]
        for s in result.stages
    ]
    return "\n".join(
        [
            f"# Rehearsal of {result.plan_path}: {'passed' if result.ok else 'FAILED'} "
            f"in {describe_seconds(result.seconds)}",
            "",
            md_table(["stage", "result", "time", "detail"], rows),
            "",
        ]
    )
