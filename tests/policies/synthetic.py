"""Synthetic stacks for the policy tests, fixtures and benchmark: what the stacks declare, per plan.

Written from the resource specification of the stacks (docs/policies.md, "What the stacks
declare"), not from components/, so the policy tests pin the contract rather than one
implementation of it; tests/policies/test_stacks_pass.py runs the real program. Every resource
is in the engine's state form, outputs echoing inputs as a provider does, with ARNs and ids
unknown when ``preview`` is set (the state of a first preview).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from continuity.derive import Settings, derive
from continuity.plan import Plan
from continuity.restore_testing import restore_tests_for
from continuity.tags import base_tags, data_tags, workload_tags
from offline.policy_check import UNKNOWN
from offline.stack_state import ResourceState

ACCOUNT = "123456789012"
PROJECT = "continuity"
DELETE = object()

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_BACKUP_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
KMS_KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ECS_SERVICE = "aws:ecs/service:Service"
CRON_JOB = "kubernetes:batch/v1:CronJob"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
AUTOSCALER = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SUBNET = "aws:ec2/subnet:Subnet"
PROVIDER = "pulumi:providers:aws"
STACK = "pulumi:pulumi:Stack"


def urn(role: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{role}::{PROJECT}::{type_}::{name}"


class _Builder:
    def __init__(self, plan: Plan, role: str, *, promoted: bool, preview: bool) -> None:
        self.plan = plan
        self.settings: Settings = derive(plan)
        self.role = role
        self.promoted = promoted
        self.preview = preview
        self.region = plan.regions.dr if role == "dr" else plan.regions.primary
        self.states: list[ResourceState] = []
        self.root = urn(role, STACK, f"{PROJECT}-{role}")
        provider_id = UNKNOWN if preview else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{role}-provider"))
        self.provider = f"{urn(role, PROVIDER, 'default_7_51_1')}::{provider_id}"

    def known(self, value: str) -> str:
        return UNKNOWN if self.preview else value

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        deps: Mapping[str, Sequence[str]] | None = None,
        computed: Mapping[str, str] | None = None,
    ) -> str:
        """A custom resource; ``deps`` maps inputs to the URNs they are computed from, and
        ``computed`` the outputs the provider assigns (unknown during preview)."""
        resource = urn(self.role, type_, name)
        outputs = {**copy.deepcopy(inputs), **{k: self.known(v) for k, v in (computed or {}).items()}}
        outputs.setdefault("id", self.known(name))
        if "tags" in inputs:
            outputs["tagsAll"] = dict(inputs["tags"])
        self.states.append(
            ResourceState(
                urn=resource,
                type=type_,
                inputs=inputs,
                outputs=outputs,
                parent=self.root,
                dependencies=tuple(sorted({u for urns in (deps or {}).values() for u in urns})),
                property_dependencies={k: tuple(v) for k, v in (deps or {}).items()},
                provider=self.provider,
            )
        )
        return resource

    def build(self, filler: int) -> list[ResourceState]:
        plan, role = self.plan, self.role
        self.states.append(ResourceState(urn=self.root, type=STACK, custom=False))
        self.states.append(
            ResourceState(
                urn=self.provider.rsplit("::", 1)[0],
                type=PROVIDER,
                inputs={"region": self.region, "version": "7.51.1"},
                outputs={"region": self.region, "version": "7.51.1"},
            )
        )
        key_arn = f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{uuid.uuid5(uuid.NAMESPACE_URL, role)}"
        key = self.add(
            KMS_KEY,
            f"{plan.service}-key",
            {"enableKeyRotation": True, "tags": base_tags(plan, role)},
            computed={"arn": key_arn},
        )
        self.key = (key, self.known(key_arn))
        self.vault()
        for name, item in plan.data.items():
            if item.store == "rds":
                self.database(name)
            else:
                self.bucket(name)
            if item.store == "kubernetes":
                self.cron_job(name)
            if item.store in ("rds", "s3"):
                self.backup_plan(name)
                self.restore_test(name)
        self.dns()
        for name, spec in plan.services.items():
            if spec.compute == "ecs":
                self.service(name)
            else:
                self.deployment(name)
        for index in range(filler):
            self.add(
                SUBNET,
                f"{plan.service}-filler-{index}",
                {"cidrBlock": f"10.{index // 256 % 256}.{index % 256}.0/24", "tags": base_tags(plan, role)},
            )
        return self.states

    def vault(self) -> None:
        plan, role = self.plan, self.role
        name = f"{plan.service}-{role}"
        vault = self.add(
            VAULT,
            f"{plan.service}-vault",
            {"name": name, "kmsKeyArn": self.key[1], "tags": base_tags(plan, role)},
            deps={"kmsKeyArn": [self.key[0]]},
            computed={"arn": f"arn:aws:backup:{self.region}:{ACCOUNT}:backup-vault:{name}"},
        )
        lock = self.settings.vault_lock
        if lock is not None:
            self.add(
                VAULT_LOCK,
                f"{plan.service}-vault-lock",
                {
                    "backupVaultName": name,
                    "changeableForDays": float(lock.changeable_for_days),
                    "minRetentionDays": float(lock.min_retention_days),
                },
                deps={"backupVaultName": [vault]},
            )

    def database(self, item: str) -> None:
        plan, role = self.plan, self.role
        rds = next(s for s in self.settings.rds if s.data_item == item)
        identifier = f"{plan.service}-{item}"
        primary_arn = f"arn:aws:rds:{plan.regions.primary}:{ACCOUNT}:db:{identifier}"
        tags = data_tags(plan, role, item, active=role == "primary" or self.promoted)
        common = {
            "instanceClass": "db.t4g.medium",
            "kmsKeyId": self.key[1],
            "publiclyAccessible": False,
            "deletionProtection": True,
            "storageEncrypted": True,
            "tags": tags,
        }
        if role == "primary":
            inputs = {
                **common,
                "identifier": identifier,
                "engine": "postgres",
                "allocatedStorage": 20.0,
                "multiAz": True,
                "backupRetentionPeriod": float(rds.backup_retention_period),
                "skipFinalSnapshot": False,
                "finalSnapshotIdentifier": f"{identifier}-final",
                "manageMasterUserPassword": True,
            }
            self.add(
                RDS_INSTANCE,
                f"{identifier}-db",
                inputs,
                deps={"kmsKeyId": [self.key[0]]},
                computed={"arn": primary_arn},
            )
            return
        if rds.replica:
            replica = {
                **common,
                "identifier": f"{identifier}-dr",
                "skipFinalSnapshot": False,
                "finalSnapshotIdentifier": f"{identifier}-dr-final",
            }
            if self.promoted:
                replica.update(multiAz=True, backupRetentionPeriod=float(rds.backup_retention_period))
            else:
                replica.update(replicateSourceDb=primary_arn, multiAz=False, backupRetentionPeriod=0.0)
            self.add(
                RDS_INSTANCE,
                f"{identifier}-db",
                replica,
                deps={"kmsKeyId": [self.key[0]]},
                computed={"arn": f"arn:aws:rds:{self.region}:{ACCOUNT}:db:{identifier}-dr"},
            )
        if rds.copy_to_dr and rds.replicated_retention_days is not None:
            self.add(
                RDS_BACKUP_REPLICATION,
                f"{identifier}-backups",
                {
                    "sourceDbInstanceArn": primary_arn,
                    "retentionPeriod": float(rds.replicated_retention_days),
                    "kmsKeyId": self.key[1],
                },
                deps={"kmsKeyId": [self.key[0]]},
            )

    def bucket(self, item: str) -> None:
        plan, role = self.plan, self.role
        settings = next(b for b in self.settings.buckets if b.data_item == item)
        name = f"{plan.service}-{item}-{role}"
        bucket_inputs: dict[str, Any] = {
            "bucket": name,
            "tags": data_tags(plan, role, item, active=role == "primary"),
        }
        if settings.object_lock is not None:
            bucket_inputs["objectLockEnabled"] = True
        bucket = self.add(
            BUCKET, f"{plan.service}-{item}-bucket", bucket_inputs, computed={"arn": f"arn:aws:s3:::{name}"}
        )
        on_bucket = {"bucket": [bucket]}
        bucket_name = self.known(name)
        self.add(
            VERSIONING,
            f"{plan.service}-{item}-versioning",
            {"bucket": bucket_name, "versioningConfiguration": {"status": "Enabled"}},
            deps=on_bucket,
        )
        if settings.object_lock is not None:
            retention: dict[str, Any] = {"mode": settings.object_lock.mode}
            if settings.object_lock.years is not None:
                retention["years"] = float(settings.object_lock.years)
            else:
                retention["days"] = float(settings.object_lock.days or 0)
            self.add(
                OBJECT_LOCK,
                f"{plan.service}-{item}-lock",
                {"bucket": bucket_name, "rule": {"defaultRetention": retention}},
                deps=on_bucket,
            )
        self.add(
            ENCRYPTION,
            f"{plan.service}-{item}-sse",
            {
                "bucket": bucket_name,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": self.key[1],
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            deps={"bucket": [bucket], "rules": [self.key[0]]},
        )
        self.add(
            PUBLIC_ACCESS_BLOCK,
            f"{plan.service}-{item}-public-access",
            {
                "bucket": bucket_name,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            deps=on_bucket,
        )
        self.add(
            BUCKET_POLICY,
            f"{plan.service}-{item}-policy",
            {"bucket": bucket_name, "policy": self.known('{"Statement": []}')},
            deps={"bucket": [bucket], "policy": [bucket]},
        )
        rule: dict[str, Any] = {
            "id": "retention",
            "status": "Enabled",
            "filter": {},
            "noncurrentVersionExpiration": {"noncurrentDays": float(settings.noncurrent_expiration_days)},
        }
        if settings.expire_current_objects:
            rule["expiration"] = {"days": float(settings.noncurrent_expiration_days)}
        self.add(
            LIFECYCLE,
            f"{plan.service}-{item}-lifecycle",
            {"bucket": bucket_name, "rules": [rule]},
            deps=on_bucket,
        )
        if role == "dr" and settings.replicate_to_dr:
            primary_name = f"{plan.service}-{item}-primary"
            self.add(
                REPLICATION,
                f"{plan.service}-{item}-replication",
                {
                    "region": plan.regions.primary,
                    "bucket": primary_name,
                    "role": f"arn:aws:iam::{ACCOUNT}:role/{plan.service}-replication",
                    "rules": [
                        {
                            "id": f"{item}-to-dr",
                            "status": "Enabled",
                            "filter": {},
                            "destination": {
                                "bucket": self.known(f"arn:aws:s3:::{name}"),
                                "storageClass": "STANDARD",
                            },
                        }
                    ],
                },
                deps={"rules": [bucket, self.key[0]]},
            )

    def backup_plan(self, item: str) -> None:
        plan, role = self.plan, self.role
        other = plan.regions.primary if role == "dr" else plan.regions.dr
        other_vault = f"arn:aws:backup:{other}:{ACCOUNT}:backup-vault:{plan.service}-{'primary' if role == 'dr' else 'dr'}"
        vault = urn(role, VAULT, f"{plan.service}-vault")
        rules = []
        for rule in (r for r in self.settings.backup_rules if r.data_item == item):
            body: dict[str, Any] = {
                "ruleName": rule.rule_name,
                "targetVaultName": f"{plan.service}-{role}",
                "schedule": rule.schedule,
                "enableContinuousBackup": rule.continuous,
                "startWindow": float(rule.start_window_minutes),
                "completionWindow": float(rule.completion_window_minutes),
                "lifecycle": {"deleteAfter": float(rule.delete_after_days)},
            }
            if rule.copy_to_dr:
                body["copyActions"] = [
                    {
                        "destinationVaultArn": other_vault,
                        "lifecycle": {"deleteAfter": float(rule.delete_after_days)},
                    }
                ]
            rules.append(body)
        tags = data_tags(plan, role, item, active=role == "primary")
        backup_plan = self.add(
            BACKUP_PLAN,
            f"{plan.service}-{item}-backup-plan",
            {"name": f"{plan.service}-{role}-{item}", "rules": rules, "tags": tags},
            deps={"rules": [vault]},
            computed={"arn": f"arn:aws:backup:{self.region}:{ACCOUNT}:backup-plan:{item}"},
        )
        self.add(
            SELECTION,
            f"{plan.service}-{item}-backup-selection",
            {
                "planId": self.known(f"{item}-plan-id"),
                "name": item,
                "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{plan.service}-backup",
                "selectionTags": [{"type": "STRINGEQUALS", "key": "continuity:data-item", "value": item}],
            },
            deps={"planId": [backup_plan]},
        )

    def restore_test(self, item: str) -> None:
        """AWS Backup restore testing of the item, as components/restore_testing.py declares it."""
        plan, role = self.plan, self.role
        (test,) = [t for t in restore_tests_for(plan, role) if t.data_item == item]
        vault = urn(role, VAULT, f"{plan.service}-vault")
        testing_plan = self.add(
            RESTORE_TESTING_PLAN,
            f"{plan.service}-{item}-restore-testing",
            {
                "name": test.plan_name,
                "scheduleExpression": test.schedule,
                "scheduleExpressionTimezone": "Etc/UTC",
                "startWindowHours": float(test.start_window_hours),
                "recoveryPointSelection": {
                    "algorithm": test.algorithm,
                    "includeVaults": [self.known(f"arn:aws:backup:{self.region}:{ACCOUNT}:backup-vault:x")],
                    "recoveryPointTypes": test.recovery_point_types,
                    "selectionWindowDays": float(test.selection_window_days),
                },
                "tags": data_tags(plan, role, item, active=role == "primary"),
            },
            deps={"recoveryPointSelection": [vault]},
        )
        self.add(
            RESTORE_TESTING_SELECTION,
            f"{plan.service}-{item}-restore-testing-selection",
            {
                "name": test.selection_name,
                "restoreTestingPlanName": self.known(test.plan_name),
                "protectedResourceType": test.protected_resource_type,
                "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{plan.service}-backup",
                "protectedResourceArns": ["*"],
                "protectedResourceConditions": {
                    "stringEquals": [
                        {"key": "aws:ResourceTag/continuity:service", "value": plan.service},
                        {"key": "aws:ResourceTag/continuity:data-item", "value": item},
                        {"key": "aws:ResourceTag/continuity:backup", "value": "active"},
                    ]
                },
            },
            deps={"restoreTestingPlanName": [testing_plan]},
        )

    def dns(self) -> None:
        plan, role = self.plan, self.role
        check = self.add(
            HEALTH_CHECK,
            f"{plan.service}-health",
            {
                "type": "HTTPS",
                "resourcePath": "/health",
                "fqdn": f"{role}.example.com",
                "tags": base_tags(plan, role),
            },
        )
        self.add(
            RECORD,
            f"{plan.service}-record",
            {
                "zoneId": "Z0EXAMPLE",
                "name": f"{plan.service}.example.com",
                "type": "A",
                "setIdentifier": role,
                "failoverRoutingPolicies": [{"type": "SECONDARY" if role == "dr" else "PRIMARY"}],
                "healthCheckId": self.known("hc-" + role),
            },
            deps={"healthCheckId": [check]},
        )

    def service(self, name: str) -> None:
        plan, role = self.plan, self.role
        spec = plan.services[name]
        count = spec.capacity.primary if role == "primary" or self.promoted else spec.capacity.dr
        self.add(
            ECS_SERVICE,
            f"{plan.service}-{name}-service",
            {
                "name": name,
                "desiredCount": float(count),
                "launchType": "FARGATE",
                "tags": workload_tags(plan, role, name),
            },
        )

    def cron_job(self, item: str) -> None:
        """The backup CronJob of a kubernetes item: labelled with the item only, uploading to the
        item's bucket (whose name is unknown during preview)."""
        plan, role = self.plan, self.role
        job = next(j for j in self.settings.cron_jobs if j.data_item == item)
        bucket = urn(role, BUCKET, f"{plan.service}-{item}-bucket")
        upload = {
            "name": "upload",
            "image": "public.ecr.aws/aws-cli/aws-cli:2.22.0",
            "command": [
                "/bin/sh",
                "-c",
                f'aws s3 cp /backup/{item}.dump "s3://$BACKUP_BUCKET/{job.bucket_prefix}"',
            ],
            "env": [
                {"name": "BACKUP_BUCKET", "value": self.known(f"{plan.service}-{item}-{role}")},
                {"name": "BACKUP_KMS_KEY", "value": self.key[1]},
                {"name": "AWS_REGION", "value": self.region},
            ],
        }
        self.add(
            CRON_JOB,
            f"{plan.service}-{item}-backup",
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {
                    "name": f"{item}-backup",
                    "namespace": job.namespace,
                    "labels": {"continuity.data-item": item},
                },
                "spec": {
                    "schedule": job.schedule,
                    "timeZone": "Etc/UTC",
                    "concurrencyPolicy": "Forbid",
                    "startingDeadlineSeconds": float(job.starting_deadline_seconds),
                    "jobTemplate": {
                        "spec": {
                            "activeDeadlineSeconds": float(job.active_deadline_seconds),
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "serviceAccountName": f"{item}-backup",
                                    "initContainers": [
                                        {
                                            "name": "dump",
                                            "image": job.image,
                                            "command": ["/bin/sh", "-c", job.command],
                                        }
                                    ],
                                    "containers": [upload],
                                }
                            },
                        }
                    },
                },
            },
            deps={"spec": [bucket, self.key[0]]},
        )

    def deployment(self, name: str) -> None:
        """A Kubernetes service: its Deployment and the autoscaler whose floor is the same count."""
        plan, role = self.plan, self.role
        spec = plan.services[name]
        count = float(spec.capacity.primary if role == "primary" or self.promoted else spec.capacity.dr)
        metadata = {
            "name": name,
            "namespace": spec.namespace or plan.service,
            "labels": {
                "continuity.service": plan.service,
                "continuity.role": role,
                "continuity.plan-version": str(plan.version),
                "app.kubernetes.io/name": name,
            },
        }
        deployment = self.add(
            DEPLOYMENT,
            f"{plan.service}-{name}-deployment",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": metadata,
                "spec": {
                    "replicas": count,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": name}},
                        "spec": {
                            "containers": [{"name": name, "image": "public.ecr.aws/nginx/nginx:stable"}]
                        },
                    },
                },
            },
        )
        self.add(
            AUTOSCALER,
            f"{plan.service}-{name}-autoscaler",
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": metadata,
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": count,
                    "maxReplicas": float(max(count, spec.capacity.primary)),
                },
            },
            deps={"spec": [deployment]},
        )


def stack_states(
    plan: Plan, role: str, *, promoted: bool = False, preview: bool = False, filler: int = 0
) -> list[ResourceState]:
    """Every resource the ``role`` stack declares for ``plan``, compliant with it."""
    return _Builder(plan, role, promoted=promoted, preview=preview).build(filler)


# ---------------------------------------------------------------------------------------------
# Breaking one thing


def _set(document: Any, path: Sequence[str], value: Any) -> None:
    *parents, last = path
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


def changed(states: list[ResourceState], name: str, path: str, value: Any) -> list[ResourceState]:
    """The stack with property ``path`` (dotted, list indices as numbers) of the resource named
    ``name`` set to ``value`` (DELETE removes it), in its inputs and outputs alike."""
    result = []
    hits = 0
    for state in states:
        if state.name != name:
            result.append(state)
            continue
        hits += 1
        inputs, outputs = copy.deepcopy(dict(state.inputs)), copy.deepcopy(dict(state.outputs))
        _set(inputs, path.split("."), value)
        _set(outputs, path.split("."), value)
        result.append(replace(state, inputs=inputs, outputs=outputs))
    assert hits == 1, f"no single resource named {name}"
    return result


def without(states: list[ResourceState], name: str) -> list[ResourceState]:
    result = [s for s in states if s.name != name]
    assert len(result) == len(states) - 1, f"no single resource named {name}"
    return result


def without_dependency(states: list[ResourceState], name: str, prop: str) -> list[ResourceState]:
    """The stack with input ``prop`` of ``name`` no longer computed from another resource."""
    return [
        replace(s, property_dependencies={k: v for k, v in s.property_dependencies.items() if k != prop})
        if s.name == name
        else s
        for s in states
    ]
