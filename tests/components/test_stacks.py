"""Both stacks, for the default plan and every example plan: what the program declares, checked
against the plan's own numbers (through continuity.derive), with the URN in every message."""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import _special_secret_sig as SECRET_MARK
from pulumi.runtime.rpc import _special_sig_key as SECRET_SIG

from continuity import tags
from continuity.derive import Settings, derive, object_lock_retention
from continuity.outputs import parse_inventory, parse_promotion
from continuity.plan import Plan, load_plan
from continuity.schedule import longest_gap, longest_gap_kubernetes
from offline.program import RecordedResource, StackRun, run_program
from tests.conftest import ALL_PLANS, stack_overrides
from tests.stack_runs import stack_runs

Check = Callable[[Plan, Settings, StackRun], list[str]]

RDS = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"


@functools.cache
def taggable(token: str) -> bool:
    """Whether the pulumi-aws resource behind a type token takes a ``tags`` argument."""
    package, module_path, class_name = token.split(":")
    if package != "aws":
        return False
    name = module_path.split("/")[0]  # the lambda module is lambda_ in Python (a keyword)
    module = importlib.import_module(f"pulumi_aws.{name}_" if name == "lambda" else f"pulumi_aws.{name}")
    resource = getattr(module, class_name)
    return "tags" in inspect.signature(resource._internal_init).parameters


def props(resource: RecordedResource) -> dict[str, Any]:
    return resource.plain_inputs()


def is_secret(value: Any) -> bool:
    """Whether a wire-form input is a Pulumi secret (encrypted in the state file)."""
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARK


def attached(run: StackRun, typ: str, bucket: RecordedResource) -> list[RecordedResource]:
    """Side resources of a bucket (v7 splits them out), joined on the bucket property dependency."""
    return [r for r in run.of_type(typ) if bucket.urn in r.property_dependencies.get("bucket", [])]


def by_item(run: StackRun, typ: str) -> dict[str, RecordedResource]:
    """Resources of a type by plan item (those of no item, like the operations bucket, left out)."""
    return {
        props(r)["tags"][tags.DATA_ITEM]: r for r in run.of_type(typ) if tags.DATA_ITEM in props(r)["tags"]
    }


def region_key(run: StackRun) -> RecordedResource:
    """The region's own key (the credentials key is the multi-Region one)."""
    (key,) = [k for k in run.of_type("aws:kms/key:Key") if not props(k).get("multiRegion")]
    return key


def expect(failures: list[str], resource: RecordedResource, condition: bool, message: str) -> None:
    if not condition:
        failures.append(f"{resource.urn}: {message}")


# ---------------------------------------------------------------------------------------------
# Checks that hold in both regions


def check_tags(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    role = run.config["continuity:role"]
    for r in run.resources:
        if not r.custom or not taggable(r.type):
            continue
        found = props(r).get("tags") or {}
        expected = tags.base_tags(plan, role)
        expect(
            failures, r, all(found.get(k) == v for k, v in expected.items()), f"tags {found} lack {expected}"
        )
        # Buckets that hold no plan data (AWS Backup Audit Manager's reports) carry no item tag.
        if r.type in (RDS, BUCKET, "aws:backup/plan:Plan") and (r.type != BUCKET or tags.DATA_ITEM in found):
            item = found.get(tags.DATA_ITEM)
            if item is None and found.get(tags.EXEMPT):
                continue  # no plan data, and says why (the operations bucket)
            expect(failures, r, item in plan.data, f"{tags.DATA_ITEM} {item!r} is not a plan data item")
            if item in plan.data:
                expect(
                    failures,
                    r,
                    found.get(tags.TIER) == plan.data[item].tier,
                    "tier tag differs from the plan",
                )
    return failures


def check_network(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    (vpc,) = run.of_type("aws:ec2/vpc:Vpc")
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    zones = {props(s)["availabilityZone"] for s in subnets}
    expect(failures, vpc, len(zones) >= 2, f"subnets span {len(zones)} zone(s)")
    network = ipaddress.IPv4Network(props(vpc)["cidrBlock"])
    for s in subnets:
        inside = ipaddress.IPv4Network(props(s)["cidrBlock"]).subnet_of(network)
        expect(failures, s, inside, "subnet outside the VPC")
    nats = run.of_type("aws:ec2/natGateway:NatGateway")
    wanted = len(zones) if run.config["continuity:role"] == "primary" else 1
    expect(failures, vpc, len(nats) == wanted, f"{len(nats)} NAT gateways, expected {wanted}")
    return failures


def check_encryption(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    key = region_key(run)
    expect(failures, key, props(key)["enableKeyRotation"] is True, "key rotation off")
    key_arn = key.plain_outputs()["arn"]
    for db in run.of_type(RDS):
        expect(failures, db, props(db)["kmsKeyId"] == key_arn, "not encrypted with the region's key")
        expect(failures, db, props(db)["storageEncrypted"] is True, "storage not encrypted")
    for enc in run.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        default = props(enc)["rules"][0]["applyServerSideEncryptionByDefault"]
        expect(failures, enc, default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}, f"{default}")
    (vault,) = run.of_type("aws:backup/vault:Vault")
    expect(failures, vault, props(vault)["kmsKeyArn"] == key_arn, "vault not encrypted with the region's key")
    return failures


def check_buckets(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    buckets = by_item(run, BUCKET)
    expect_items = {b.data_item for b in settings.buckets}
    if set(buckets) != expect_items:
        return [f"buckets for {sorted(buckets)}, plan has {sorted(expect_items)}"]
    for item, bucket in buckets.items():
        data = plan.data[item]
        (versioning,) = attached(run, "aws:s3/bucketVersioning:BucketVersioning", bucket)
        expect(
            failures, versioning, props(versioning)["versioningConfiguration"]["status"] == "Enabled", "off"
        )
        locks = attached(run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", bucket)
        expect(
            failures, bucket, bool(props(bucket).get("objectLockEnabled")) is data.immutable, "object lock"
        )
        if data.immutable:
            (lock,) = locks
            wanted = object_lock_retention(data.retention)
            retention = props(lock)["rule"]["defaultRetention"]
            expect(failures, lock, retention.get("mode") == "COMPLIANCE", f"mode {retention.get('mode')}")
            expect(
                failures,
                lock,
                (retention.get("days"), retention.get("years")) == (wanted.days, wanted.years),
                f"retention {retention}, plan data.{item}.retention {data.retention}",
            )
        else:
            expect(failures, bucket, not locks, "object lock on data the plan does not make immutable")
        (block,) = attached(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        expect(
            failures, block, all(props(block)[f] is True for f in flags), "public access not fully blocked"
        )
        (policy,) = attached(run, "aws:s3/bucketPolicy:BucketPolicy", bucket)
        statement = json.loads(props(policy)["policy"])["Statement"][0]
        expect(
            failures,
            policy,
            statement["Effect"] == "Deny"
            and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}},
            "TLS not required",
        )
        (lifecycle,) = attached(
            run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket
        )
        kept = props(lifecycle)["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"]
        expect(failures, lifecycle, kept == data.retention.days_ceil(), f"old versions kept {kept} days")
    return failures


def check_backups(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    role = run.config["continuity:role"]
    other = plan.regions.dr if role == "primary" else plan.regions.primary
    locks = run.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    if settings.vault_lock:
        (lock,) = locks
        expect(
            failures,
            lock,
            props(lock)["changeableForDays"] >= 3,
            "not compliance mode (changeableForDays < 3)",
        )
        expect(
            failures,
            lock,
            props(lock)["minRetentionDays"] == settings.vault_lock.min_retention_days,
            f"minRetentionDays {props(lock)['minRetentionDays']}, plan {settings.vault_lock.source}",
        )
    plans = by_item(run, "aws:backup/plan:Plan")
    protected = {r.data_item for r in settings.backup_rules}
    if set(plans) != protected:
        return [*failures, f"backup plans for {sorted(plans)}, plan protects {sorted(protected)}"]
    for item, backup_plan in plans.items():
        rules = {r["ruleName"]: r for r in props(backup_plan)["rules"]}
        for rule in (r for r in settings.backup_rules if r.data_item == item):
            found = rules.get(rule.rule_name)
            if found is None:
                failures.append(f"{backup_plan.urn}: no rule {rule.rule_name} ({rule.source})")
                continue
            expect(
                failures,
                backup_plan,
                found["lifecycle"]["deleteAfter"] == rule.delete_after_days,
                rule.source,
            )
            expect(
                failures, backup_plan, bool(found["enableContinuousBackup"]) is rule.continuous, rule.source
            )
            frequency = plan.data[item].frequency
            if not rule.continuous and rule.rule_name.endswith("-scheduled"):
                gap = longest_gap(found["schedule"])
                expect(
                    failures, backup_plan, gap <= frequency.timedelta, f"gap {gap} > frequency {frequency}"
                )
            copies = found.get("copyActions") or []
            if plan.data[item].copy_to_dr:
                expect(
                    failures,
                    backup_plan,
                    len(copies) == 1 and copies[0]["destinationVaultArn"].split(":")[3] == other,
                    f"copy to {other} missing: {copies}",
                )
            else:
                expect(failures, backup_plan, not copies, "copies data the plan keeps in one region")
        selections = [
            s
            for s in run.of_type("aws:backup/selection:Selection")
            if backup_plan.urn in s.property_dependencies.get("planId", [])
        ]
        expect(failures, backup_plan, len(selections) == 1, f"{len(selections)} selections")
        for selection in selections:
            conditions = props(selection)["conditions"][0]["stringEquals"]
            wanted = {"key": f"aws:ResourceTag/{tags.DATA_ITEM}", "value": item}
            expect(failures, selection, wanted in conditions, f"does not select {item} by tag: {conditions}")
    return failures


def check_services(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    role = run.config["continuity:role"]
    promoted = run.config.get("continuity:promoted") == "true"
    services = {props(s)["name"]: s for s in run.of_type("aws:ecs/service:Service")}
    ecs = [s for s in settings.services if s.compute == "ecs"]
    if set(services) != {s.name for s in ecs}:
        return [f"ECS services {sorted(services)}, plan {sorted(s.name for s in ecs)}"]
    targets = run.of_type("aws:appautoscaling/target:Target")
    for spec in ecs:
        service = services[spec.name]
        wanted = spec.full_desired_count if (role == "primary" or promoted) else spec.warm_desired_count
        count = props(service)["desiredCount"]
        expect(
            failures,
            service,
            count == wanted,
            f"desiredCount {count}, plan services.{spec.name}.capacity {wanted}",
        )
        expect(
            failures,
            service,
            props(service)["deploymentCircuitBreaker"] == {"enable": True, "rollback": True},
            "deployment circuit breaker off",
        )
        (target,) = [t for t in targets if props(t)["resourceId"].endswith(f"/{spec.name}")]
        expect(
            failures,
            target,
            (props(target)["minCapacity"], props(target)["maxCapacity"]) == (wanted, spec.full_desired_count),
            f"autoscaling bounds {props(target)['minCapacity']}-{props(target)['maxCapacity']}",
        )
    return failures


def check_dns(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    if not settings.services:
        return failures
    failover = "PRIMARY" if run.config["continuity:role"] == "primary" else "SECONDARY"
    (check,) = run.of_type("aws:route53/healthCheck:HealthCheck")
    records = [r for r in run.of_type("aws:route53/record:Record") if "failoverRoutingPolicies" in props(r)]
    expect(failures, check, len(records) == len(settings.services), f"{len(records)} records")
    hostnames = {
        o["metadata"]["name"]: o["status"]["loadBalancer"]["ingress"][0]["hostname"]
        for o in (r.plain_outputs() for r in run.of_type("kubernetes:core/v1:Service"))
    }
    for record in records:
        policy = props(record)["failoverRoutingPolicies"][0]["type"]
        expect(failures, record, policy == failover, f"failover {policy}")
        expect(
            failures,
            record,
            check.urn in record.property_dependencies.get("healthCheckId", []),
            "no health check",
        )
        name = props(record)["name"]
        service = next((s for s in settings.services if name.split(".")[0] == s.name), None)
        if service is not None and service.compute == "kubernetes":
            expect(
                failures, record, props(record)["type"] == "CNAME", "a Kubernetes load balancer needs a CNAME"
            )
            expect(
                failures,
                record,
                props(record)["records"] == [hostnames[service.name]],
                "not the service's LB",
            )
    return failures


def check_alarms(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    metrics = {props(a)["metricName"]: a for a in alarms}
    for metric in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"):
        expect(failures, alarms[0], metric in metrics, f"no alarm on {metric}")
    if "HealthCheckStatus" in metrics:
        health = metrics["HealthCheckStatus"]
        expect(
            failures, health, props(health).get("region") == "us-east-1", "Route 53 metrics live in us-east-1"
        )
    lag = [a for a in alarms if props(a)["metricName"] == "ReplicaLag"]
    if run.config["continuity:role"] == "dr":
        replicas = [r for r in settings.rds if r.replica]
        expect(failures, alarms[0], len(lag) == len(replicas), f"{len(lag)} replica-lag alarms")
        for alarm, rds in zip(lag, replicas, strict=False):
            wanted = settings.alarm_thresholds[rds.data_item]
            expect(failures, alarm, props(alarm)["threshold"] == wanted, f"threshold != RPO {rds.rpo}")
    return failures


# ---------------------------------------------------------------------------------------------
# Checks per region


def check_primary_databases(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    databases = by_item(run, RDS)
    if set(databases) != {r.data_item for r in settings.rds}:
        return [f"databases for {sorted(databases)}, plan {[r.data_item for r in settings.rds]}"]
    for rds in settings.rds:
        db = databases[rds.data_item]
        p = props(db)
        expect(failures, db, p["multiAz"] is True, "not multi-AZ")
        expect(
            failures,
            db,
            p["backupRetentionPeriod"] == rds.backup_retention_period > 0,
            f"backupRetentionPeriod {p['backupRetentionPeriod']}, plan {rds.source}",
        )
        expect(failures, db, p["deletionProtection"] is True, "deletion protection off")
        expect(
            failures,
            db,
            p["skipFinalSnapshot"] is False and bool(p.get("finalSnapshotIdentifier")),
            "no final snapshot",
        )
        # RDS refuses replicas of an instance whose password it manages: the stack sets one, a
        # secret (encrypted in state), from the credentials the DR region also reads.
        expect(
            failures, db, not p.get("manageMasterUserPassword"), "RDS-managed password: no replica possible"
        )
        expect(failures, db, is_secret(db.inputs.get("password")), "the password is not a secret in state")
        expect(
            failures, db, "." not in p["engineVersion"], f"engine version {p['engineVersion']} pins a minor"
        )
        expect(failures, db, p["publiclyAccessible"] is False, "publicly accessible")
    return failures


def check_standby_databases(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    promoted = run.config.get("continuity:promoted") == "true"
    primary_arns = run.primary_outputs["db_instance_arns"]  # type: ignore[attr-defined]
    replicas = by_item(run, RDS)
    replications = run.of_type(
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
    )
    for rds in settings.rds:
        if rds.replica:
            db = replicas[rds.data_item]
            p = props(db)
            if promoted:
                expect(failures, db, "replicateSourceDb" not in p, "still a replica in promoted mode")
                expect(failures, db, p["multiAz"] is True, "not multi-AZ after promotion")
                expect(failures, db, p["backupRetentionPeriod"] == rds.backup_retention_period, rds.source)
            else:
                expect(
                    failures,
                    db,
                    p.get("replicateSourceDb") == primary_arns[rds.data_item],
                    f"replicates {p.get('replicateSourceDb')}",
                )
            expect(failures, db, p["deletionProtection"] is True, "deletion protection off")
            # RDS refuses a final snapshot of a read replica; a promoted instance takes one.
            expect(
                failures,
                db,
                p["skipFinalSnapshot"] is not promoted and bool(p.get("finalSnapshotIdentifier")) is promoted,
                f"skipFinalSnapshot {p['skipFinalSnapshot']}, finalSnapshotIdentifier "
                f"{p.get('finalSnapshotIdentifier')} (promoted: {promoted})",
            )
        else:
            expect(
                failures, run.resources[0], rds.data_item not in replicas, "a replica under backup-restore"
            )
        mine = [r for r in replications if props(r)["sourceDbInstanceArn"] == primary_arns[rds.data_item]]
        if rds.copy_to_dr:
            if len(mine) != 1:
                failures.append(f"{rds.data_item}: {len(mine)} automated-backup replications")
                continue
            expect(
                failures,
                mine[0],
                props(mine[0])["retentionPeriod"] == rds.replicated_retention_days,
                rds.source,
            )
    return failures


def check_replication(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    configs = run.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    buckets = by_item(run, BUCKET)
    primary_names = run.primary_outputs["bucket_names"]  # type: ignore[attr-defined]
    for item in (b.data_item for b in settings.buckets if b.replicate_to_dr):
        (config,) = [c for c in configs if props(c)["bucket"] == primary_names[item]]
        p = props(config)
        expect(failures, config, p["region"] == plan.regions.primary, f"rule in {p['region']}")
        rule = p["rules"][0]
        expect(failures, config, rule["status"] == "Enabled", "rule disabled")
        expect(
            failures,
            config,
            buckets[item].urn in config.property_dependencies.get("rules", []),
            "destination is not the DR bucket",
        )
        # S3 refuses a replication rule whose destination is not versioned yet ("Destination bucket
        # must have versioning enabled"): the rule waits for the DR bucket's versioning.
        (versioning,) = attached(run, "aws:s3/bucketVersioning:BucketVersioning", buckets[item])
        expect(failures, config, versioning.urn in config.dependencies, "does not wait for DR versioning")
    expect(
        failures,
        run.resources[0],
        len(configs) == len([b for b in settings.buckets if b.replicate_to_dr]),
        "rules",
    )
    return failures


def check_kubernetes(plan: Plan, settings: Settings, run: StackRun) -> list[str]:
    failures: list[str] = []
    role = run.config["continuity:role"]
    full = role == "primary" or run.config.get("continuity:promoted") == "true"
    deployments = {props(d)["metadata"]["name"]: d for d in run.of_type("kubernetes:apps/v1:Deployment")}
    autoscalers = {
        props(h)["metadata"]["name"]: h
        for h in run.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }
    budgets = {props(b)["metadata"]["name"] for b in run.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    in_cluster = [s for s in settings.services if s.compute == "kubernetes"]
    if set(deployments) != {s.name for s in in_cluster}:
        return [f"Deployments {sorted(deployments)}, plan {sorted(s.name for s in in_cluster)}"]
    for spec in in_cluster:
        deployment = deployments[spec.name]
        wanted = spec.full_desired_count if full else spec.warm_desired_count
        d = props(deployment)["spec"]
        expect(failures, deployment, d["replicas"] == wanted, f"replicas {d['replicas']}, plan {wanted}")
        container = d["template"]["spec"]["containers"][0]
        for probe in ("readinessProbe", "livenessProbe"):
            got = container[probe]["httpGet"]
            expect(
                failures, deployment, got == {"path": spec.health_check, "port": spec.port}, f"{probe} {got}"
            )
        hpa = props(autoscalers[spec.name])["spec"]
        expect(
            failures,
            autoscalers[spec.name],
            (hpa["minReplicas"], hpa["maxReplicas"]) == (wanted, spec.full_desired_count),
            f"autoscaler bounds {hpa['minReplicas']}-{hpa['maxReplicas']}",
        )
        expect(failures, deployment, spec.name in budgets, "no PodDisruptionBudget")
    jobs = {
        props(c)["metadata"]["labels"]["continuity.data-item"]: c
        for c in run.of_type("kubernetes:batch/v1:CronJob")
    }
    if set(jobs) != {j.data_item for j in settings.cron_jobs}:
        return [
            *failures,
            f"CronJobs for {sorted(jobs)}, plan {sorted(j.data_item for j in settings.cron_jobs)}",
        ]
    buckets = {props(b)["tags"][tags.DATA_ITEM]: b for b in run.of_type(BUCKET)}
    roles = {r.name: r for r in run.of_type("aws:iam/role:Role")}
    for job in settings.cron_jobs:
        cron = jobs[job.data_item]
        c = props(cron)["spec"]
        gap = longest_gap_kubernetes(c["schedule"])
        frequency = plan.data[job.data_item].frequency
        expect(
            failures,
            cron,
            gap <= frequency.timedelta,
            f"schedule {c['schedule']} leaves {gap}, plan {frequency}",
        )
        expect(
            failures,
            cron,
            c["timeZone"] == "Etc/UTC" and c["concurrencyPolicy"] == "Forbid",
            "not UTC/Forbid",
        )
        pod = c["jobTemplate"]["spec"]["template"]["spec"]
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        bucket = buckets[job.data_item].plain_outputs()["bucket"]
        expect(
            failures, cron, env["BACKUP_BUCKET"] == bucket, f"uploads to {env['BACKUP_BUCKET']}, not {bucket}"
        )
        uploader = roles[f"{plan.service}-k8s-backups-{job.data_item}"]
        trust = json.loads(props(uploader)["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        subject = next(v for k, v in trust.items() if k.endswith(":sub"))
        wanted_subject = f"system:serviceaccount:{job.namespace}:{pod['serviceAccountName']}"
        expect(
            failures,
            uploader,
            subject == wanted_subject,
            f"trusts {subject}, the job runs as {wanted_subject}",
        )
        readers = [
            r
            for r in run.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
            if r.name.endswith(job.data_item)
        ]
        granted = sorted(k for r in readers for rule in props(r)["rules"] for k in rule["resources"])
        expect(failures, cron, granted == sorted(job.reads), f"reads {granted}, plan {sorted(job.reads)}")
    return failures


COMMON: list[Check] = [
    check_tags,
    check_network,
    check_encryption,
    check_buckets,
    check_backups,
    check_services,
    check_dns,
    check_alarms,
]
PRIMARY: list[Check] = [*COMMON, check_primary_databases]
DR: list[Check] = [*COMMON, check_standby_databases, check_replication]


def run_checks(checks: list[Check], plan: Plan, run: StackRun) -> None:
    settings = derive(plan)
    failures = [f"{check.__name__}: {f}" for check in checks for f in check(plan, settings, run)]
    assert not failures, "\n".join(failures)


def dr_run(path: Path, **overrides: str) -> StackRun:
    if not overrides or overrides == {"continuity:promoted": "true"}:
        runs = stack_runs(path)
        run = copy.copy(runs.promoted if overrides else runs.dr)
        run.primary_outputs = runs.primary.outputs  # type: ignore[attr-defined]
        return run
    primary = run_program("primary", path, config_overrides=stack_overrides(path))
    run = run_program(
        "dr", path, primary_outputs=primary.outputs, config_overrides={**stack_overrides(path), **overrides}
    )
    run.primary_outputs = primary.outputs  # type: ignore[attr-defined]
    return run


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_primary_stack(path: Path) -> None:
    run_checks(PRIMARY, load_plan(path), stack_runs(path).primary)


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_dr_stack(path: Path) -> None:
    run = dr_run(path)
    run_checks(DR, load_plan(path), run)
    plan = load_plan(path)
    inventory = parse_inventory(run.outputs)
    assert (
        set(inventory.dr.bucket_names)
        == set(inventory.primary.bucket_names)
        == {b.data_item for b in derive(plan).buckets}
    )
    assert set(inventory.primary.db_instance_identifiers) == {r.data_item for r in derive(plan).rds}
    assert inventory.primary.vault_name == f"{plan.service}-primary"
    assert inventory.dr.vault_name == f"{plan.service}-dr"
    if any(s.compute == "ecs" for s in plan.services.values()):
        promotion = parse_promotion(run.outputs)
        assert [d.data_item for d in promotion.databases] == [r.data_item for r in derive(plan).rds]
        assert promotion.objectives.rto_seconds == derive(plan).objectives.rto_seconds
        assert promotion.objectives.applicable == derive(plan).objectives.applicable
        assert [(d.data_item, d.store) for d in promotion.data] == [
            (n, i.store) for n, i in plan.data.items()
        ]


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_promoted_dr_stack__same_urns_database_standalone(path: Path) -> None:
    plan = load_plan(path)
    standby = dr_run(path)
    promoted = dr_run(path, **{"continuity:promoted": "true"})
    assert sorted(r.urn for r in promoted.resources) == sorted(r.urn for r in standby.resources)
    run_checks(DR, plan, promoted)
    for r in promoted.resources:
        if r.type in (RDS, BUCKET) and tags.DATA_ITEM in props(r)["tags"]:
            assert props(r)["tags"][tags.BACKUP] == tags.BACKUP_ACTIVE, f"{r.urn}: not selected for backup"
