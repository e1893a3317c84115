"""The `dr-operator` IAM policy: exactly the AWS actions the operational scripts call.

The DR stack attaches this document to the `dr-operator` role; the scripts' tests record every
AWS operation a full run makes and check that each is allowed here, that none deletes anything,
and that nothing is granted that no script calls. Actions are scoped to the stack's own
resources wherever the service supports resource-level permissions; the others say why they
cannot be.

What scripts/promote_dr.py calls, and why:

| action | step |
|---|---|
| rds:DescribeDBInstances | preflight, and waiting for promotion or restore |
| rds:PromoteReadReplica | promote (replica mode) |
| rds:ModifyDBInstance | Multi-AZ, deletion protection and retention once writable |
| rds:DescribeDBInstanceAutomatedBackups, rds:RestoreDBInstanceToPointInTime | restore mode |
| rds:AddTagsToResource | implied: the restore tags the instance it creates (tag-on-create) |
| kms:CreateGrant, kms:DescribeKey | implied: RDS uses the DR key on the operator's behalf for a restore |
| ecs:DescribeServices, ecs:UpdateService | scale |
| application-autoscaling:DescribeScalableTargets, RegisterScalableTarget | scale |
| route53:GetHealthCheck, GetHealthCheckStatus, UpdateHealthCheck | safety, route |
| route53:ListResourceRecordSets | preflight: the failover records use the health check it inverts |
| cloudwatch:GetMetricStatistics | preflight: replica lag |
| cloudwatch:DescribeAlarms | safety: the primary health alarm |

What the operations toolkit adds (scripts/dr_readiness.py, restore_test.py, dr_drill.py,
failback.py; the drill also makes every call of promote_dr.py):

| action | script: why |
|---|---|
| backup:DescribeBackupVault, ListRecoveryPointsByBackupVault | readiness: locks, recovery points |
| s3:ListBucket, GetBucketObjectLockConfiguration, GetReplicationConfiguration | readiness: buckets |
| s3:GetObject, s3:PutObject | every toolkit script: the drill history, when it is an S3 object |
| rds:DescribeDBInstances (every instance, both regions) | restore test: leftover scratch instances |
| rds:RestoreDBInstanceToPointInTime, AddTagsToResource | restore test: only tagged continuity:scratch |
| rds:ModifyDBInstance, rds:DeleteDBInstance | restore test: only instances tagged continuity:scratch |
| rds:CreateDBInstanceReadReplica | failback: the new primary, a replica of the DR instance |
| rds:ModifyDBInstance, PromoteReadReplica | failback: rename the old primary, promote the new one |
| ecs:DescribeServices (primary region) | failback safety: the primary's services serve again |
| kms:CreateGrant, kms:DescribeKey (primary region, through RDS) | implied: restores and replicas there |
| backup:ListRestoreJobs | readiness: AWS Backup restore testing's latest results |
| s3:GetBucketVersioning, ListBucketVersions, GetObject(Version) | restore test: versions, dumps |
| s3:ListAllMyBuckets | restore test: scratch buckets earlier tests left behind |
| s3:CreateBucket, PutBucketTagging, PutEncryptionConfiguration, PutObject | restore test: scratch bucket |
| s3:GetBucketTagging, DeleteObject, DeleteBucket | restore test: only buckets named `*-restore-test-*` |
| kms:Decrypt, kms:GenerateDataKey (through S3) | implied: copying SSE-KMS objects |

What the assurance phase adds (docs/assurance.md):

| action | script: why |
|---|---|
| fis:StartExperiment | dr_drill --experiment: the DR stack's templates, in the primary region |
| fis:GetExperiment, StopExperiment | dr_drill --experiment: wait; stop one not injected in time |
| backup:DescribeFramework | readiness: the Audit Manager framework of each region |
| config:DescribeConfigRules, DescribeComplianceByConfigRule | readiness: the controls' compliance |
| sns:Publish | promote_dr --notify: the incident update, to the DR stack's alarm topic |
| kms:GenerateDataKey, kms:Decrypt (through SNS) | implied: the alarm topic is encrypted with the DR key |

What scripts/recover.py adds (a recovery into production):

| action | store: why |
|---|---|
| rds:RestoreDBInstanceToPointInTime, AddTagsToResource | rds: into `<instance>-r*`; tag the old one |
| route53:ListResourceRecordSets, ChangeResourceRecordSets, GetChange | rds: UPSERT a database's CNAME |
| s3:PutObject (CopyObject), s3:DeleteObject (a delete marker) | s3: the roll-back, in the data buckets |

``rds:DeleteDBInstance`` is granted only on instances carrying the restore test's own tag
(``aws:ResourceTag/continuity:scratch``), and restores only create instances tagged so: the role
cannot delete a database of the stacks, whatever a script does. A recovery deletes nothing: its
``s3:DeleteObject`` on the data buckets places delete markers (``s3:DeleteObjectVersion``, which
removes a version, is never granted, and Object Lock would refuse it anyway). ``s3:DeleteObject`` and
``s3:DeleteBucket`` are granted only on buckets named like a restore test's scratch bucket
(``<service>-restore-test-<time>-<random>``, operations/restore/scratch.py): S3 has no condition on
a bucket's tags for these, so the name carries the scope, and the data buckets are never among them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OperatorScope:
    """The ARNs and ids the operator may act on (resolved values, not Pulumi outputs)."""

    account_id: str
    primary_region: str
    dr_region: str
    db_instance_arns: list[str]  # DR replicas (or restore targets) and the primary instances
    ecs_cluster_arns: list[str]
    ecs_service_arns: list[str]
    health_check_ids: list[str]
    # Every alarm a script reads, including the primary stack's health alarm (us-east-1).
    alarm_arns: list[str]
    partition: str = "aws"
    extra_statements: list[dict[str, Any]] = field(default_factory=list)
    # The failover record's zone; every public zone of the account when not given.
    hosted_zone_ids: list[str] = field(default_factory=list)
    # The DR region's keys a restore encrypts with; every key of the DR region (used through RDS
    # only) when not given.
    kms_key_arns: list[str] = field(default_factory=list)
    # The toolkit's resources. Each falls back, when not given, to the narrowest pattern AWS allows
    # (this account's, in these regions), named beside it in operator_policy_document.
    vault_arns: list[str] = field(default_factory=list)  # both regions' AWS Backup vaults
    bucket_arns: list[str] = field(default_factory=list)  # both regions' data buckets
    drill_history: str = ""  # config drillHistory: s3://bucket/key grants that object alone
    primary_ecs_service_arns: list[str] = field(default_factory=list)  # failback's safety reads them
    primary_kms_key_arns: list[str] = field(default_factory=list)  # restores and replicas there
    # The DR stack's operations bucket: the failover lock lives under LOCK_PREFIX there.
    operations_bucket_arn: str = ""
    # The DR stack's FIS experiment templates (in the primary region) and alarm topic.
    experiment_template_arns: list[str] = field(default_factory=list)
    alarm_topic_arns: list[str] = field(default_factory=list)


# service prefix -> actions the scripts call, each scoped in operator_policy_document.
OPERATOR_ACTIONS: dict[str, list[str]] = {
    "rds": [
        "rds:DescribeDBInstances",
        "rds:PromoteReadReplica",
        "rds:ModifyDBInstance",
        "rds:RestoreDBInstanceToPointInTime",
        "rds:DescribeDBInstanceAutomatedBackups",
        "rds:AddTagsToResource",
        "rds:CreateDBInstanceReadReplica",
        "rds:DeleteDBInstance",
    ],
    "ecs": ["ecs:DescribeServices", "ecs:UpdateService"],
    "application-autoscaling": [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
    ],
    "route53": [
        "route53:GetHealthCheck",
        "route53:GetHealthCheckStatus",
        "route53:UpdateHealthCheck",
        "route53:ListResourceRecordSets",
        "route53:ChangeResourceRecordSets",
        "route53:GetChange",
    ],
    "cloudwatch": ["cloudwatch:GetMetricStatistics", "cloudwatch:DescribeAlarms"],
    # GenerateDataKey and Decrypt: S3 calls them on the caller's behalf for SSE-KMS objects (copies
    # of object versions, the failover lock).
    "kms": ["kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"],
    "backup": [
        "backup:DescribeBackupVault",
        "backup:ListRecoveryPointsByBackupVault",
        "backup:ListRestoreJobs",
        "backup:DescribeFramework",
    ],
    "fis": ["fis:StartExperiment", "fis:GetExperiment", "fis:StopExperiment"],
    "config": ["config:DescribeConfigRules", "config:DescribeComplianceByConfigRule"],
    "sns": ["sns:Publish"],
    "s3": [
        "s3:ListBucket",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetObject",
        "s3:PutObject",
        "s3:GetBucketVersioning",
        "s3:ListBucketVersions",
        "s3:GetObjectVersion",
        "s3:ListAllMyBuckets",
        "s3:CreateBucket",
        "s3:PutBucketTagging",
        "s3:GetBucketTagging",
        "s3:PutEncryptionConfiguration",
        "s3:DeleteObject",
        "s3:DeleteBucket",
    ],
}

# The tag a restore test puts on the scratch instance it creates, and the only instances the role
# may delete (operations/restore/scratch.py writes it; its values all start with this prefix).
SCRATCH_TAG = "continuity:scratch"
SCRATCH_VALUES = "restore-test-*"
# Failback renames the old primary to <identifier>-old-<time> (operations/failback/checks.py).
RETIRED_SUFFIX = "-old-*"
# A restore test's scratch bucket: <service>-restore-test-<time>-<random>.
SCRATCH_BUCKETS = "*-restore-test-*"
# A recovery restores an instance into <instance>-r<time> (operations/recover/names.py).
RECOVERED_SUFFIX = "-r*"
# The names the services read each database by: <item>.db.<service>.internal (Route 53 normalizes
# names to lower case without the final dot).
DATABASE_NAMES = "*.db.*.internal"

# Granted because AWS authorizes them as part of a call a script makes, not called directly: RDS
# tags on create and uses keys for restores; a copy of an object version reads it (GetObjectVersion)
# and S3 decrypts and re-encrypts SSE-KMS objects with the caller's kms permissions.
IMPLIED_ACTIONS: frozenset[str] = frozenset(
    {
        "kms:CreateGrant",
        "kms:DescribeKey",
        "s3:GetObjectVersion",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
)
# Where operations/lock.py keeps the failover lock in the operations bucket (one object per service).
LOCK_PREFIX = "continuity/locks"


def allowed_actions() -> set[str]:
    return {action for actions in OPERATOR_ACTIONS.values() for action in actions}


# IAM counts a customer managed policy's characters, white space aside, against 6,144 (IAM and AWS
# STS quotas); the document grows with the plan (an ARN per database, service and alarm), so it is
# attached as several managed policies, one per group of statements below.
MANAGED_POLICY_MAX = 6_144
# A role takes 10 managed policies by default (same quotas): three leave room for a team's own.
POLICY_GROUPS: dict[str, frozenset[str]] = {
    "databases": frozenset(
        {
            "DatabasesOfThisStack",
            "DescribeDatabases",
            "ScratchRestores",
            "ScratchInstancesOnly",
            "FailbackReplicas",
            "RestoreFromReplicatedBackups",
            "ReplicatedBackups",
            "KeysForRestores",
            "DescribeKeysForRestores",
            "KeysInThePrimaryRegion",
        }
    ),
    "traffic": frozenset(
        {
            "ServicesOfThisStack",
            "ScalingOfThisStack",
            "HealthChecksOfThisStack",
            "FailoverRecordsOfThisStack",
            "ReadMetrics",
            "AlarmsOfThisStack",
            "PrimaryServicesRead",
        }
    ),
}
# Everything else (backups, buckets, the history, statements added later) goes to the last group.
REST_GROUP = "data"


class PolicyTooLarge(ValueError):
    """A group of the operator policy is past IAM's managed-policy size; the message says by how much."""


def policy_size(document: dict[str, Any]) -> int:
    """Characters IAM counts: the JSON text without white space."""
    return len("".join(json.dumps(document).split()))


def operator_policy_documents(scope: OperatorScope) -> dict[str, dict[str, Any]]:
    """The operator policy as one managed policy per group (databases, traffic, data), each
    checked against IAM's size quota before AWS would refuse it."""
    statements = operator_policy_document(scope)["Statement"]
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in [*POLICY_GROUPS, REST_GROUP]}
    for statement in statements:
        group = next((g for g, sids in POLICY_GROUPS.items() if statement.get("Sid") in sids), REST_GROUP)
        groups[group].append(statement)
    documents = {name: {"Version": "2012-10-17", "Statement": kept} for name, kept in groups.items()}
    for name, document in documents.items():
        size = policy_size(document)
        if size > MANAGED_POLICY_MAX:
            raise PolicyTooLarge(
                f"operator policy {name}: {size} characters, past IAM's {MANAGED_POLICY_MAX} for a managed "
                f"policy ({len(document['Statement'])} statements); the stack names too many resources for "
                "one policy of this group"
            )
    return documents


def operator_policy_document(scope: OperatorScope) -> dict[str, Any]:
    p = scope.partition
    account, dr = scope.account_id, scope.dr_region
    regions = [scope.primary_region, scope.dr_region]
    subnet_groups = [f"arn:{p}:rds:{r}:{account}:subgrp:*" for r in regions]
    zones = sorted(set(scope.hosted_zone_ids)) or ["*"]
    keys = sorted(set(scope.kms_key_arns)) or [f"arn:{p}:kms:{dr}:{account}:key/*"]
    via_rds = {"StringEquals": {"kms:ViaService": f"rds.{dr}.amazonaws.com"}}
    databases = sorted(set(scope.db_instance_arns))
    every_database = [f"arn:{p}:rds:{r}:{account}:db:*" for r in regions]
    engine_defaults = [f"arn:{p}:rds:{r}:{account}:{kind}:*" for r in regions for kind in ("og", "pg")]
    primary_keys = sorted(set(scope.primary_kms_key_arns)) or [
        f"arn:{p}:kms:{scope.primary_region}:{account}:key/*"
    ]
    via_primary_rds = {"StringEquals": {"kms:ViaService": f"rds.{scope.primary_region}.amazonaws.com"}}
    in_account = {"StringEquals": {"s3:ResourceAccount": account}}
    scratch = {"StringLike": {f"aws:ResourceTag/{SCRATCH_TAG}": SCRATCH_VALUES}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DatabasesOfThisStack",
            "Effect": "Allow",
            "Action": [
                a
                for a in OPERATOR_ACTIONS["rds"]
                if a not in ("rds:DescribeDBInstanceAutomatedBackups", "rds:DeleteDBInstance")
            ],
            "Resource": databases + subnet_groups,
        },
        {
            # Restore tests look for scratch instances earlier runs left behind, and wait on their
            # own: a read of every instance in both regions (Describe changes nothing).
            "Sid": "DescribeDatabases",
            "Effect": "Allow",
            "Action": ["rds:DescribeDBInstances"],
            "Resource": every_database,
        },
        {
            # A restore test may only create instances it tags as scratch...
            "Sid": "ScratchRestores",
            "Effect": "Allow",
            "Action": ["rds:RestoreDBInstanceToPointInTime", "rds:AddTagsToResource"],
            "Resource": [
                *every_database,
                *subnet_groups,
                *engine_defaults,
                f"arn:{p}:rds:{dr}:{account}:auto-backup:*",
            ],
            "Condition": {"StringLike": {f"aws:RequestTag/{SCRATCH_TAG}": SCRATCH_VALUES}},
        },
        {
            # ...and delete only instances tagged so (turning off the deletion protection one may
            # have come up with first): never a database of the stacks.
            "Sid": "ScratchInstancesOnly",
            "Effect": "Allow",
            "Action": ["rds:ModifyDBInstance", "rds:DeleteDBInstance"],
            "Resource": every_database,
            "Condition": scratch,
        },
        {
            # Failback: the new primary is a replica of the DR instance, under the primary's name
            # (both in DatabasesOfThisStack), placed with the engine's default groups; the old
            # primary is renamed out of its way.
            "Sid": "FailbackReplicas",
            "Effect": "Allow",
            "Action": ["rds:CreateDBInstanceReadReplica", "rds:ModifyDBInstance"],
            "Resource": [
                *engine_defaults,
                *[f"{arn}{RETIRED_SUFFIX}" for arn in databases if f":{scope.primary_region}:" in arn],
            ],
        },
        {
            # A restore also authorizes on the backups it reads and on the option and parameter
            # groups the new instance gets (the engine defaults, named by AWS).
            "Sid": "RestoreFromReplicatedBackups",
            "Effect": "Allow",
            "Action": ["rds:RestoreDBInstanceToPointInTime"],
            "Resource": [
                f"arn:{p}:rds:{dr}:{account}:auto-backup:*",
                f"arn:{p}:rds:{dr}:{account}:og:*",
                f"arn:{p}:rds:{dr}:{account}:pg:*",
            ],
        },
        {
            # A recovery restores the serving instance into <instance>-r<time> and marks the old one
            # (AddTagsToResource on the stack's instances: DatabasesOfThisStack).
            "Sid": "Recoveries",
            "Effect": "Allow",
            "Action": ["rds:RestoreDBInstanceToPointInTime", "rds:AddTagsToResource"],
            "Resource": [
                *[f"{arn}{RECOVERED_SUFFIX}" for arn in databases],
                *subnet_groups,
                *engine_defaults,
            ],
        },
        {
            # DescribeDBInstanceAutomatedBackups takes no resource-level permission.
            "Sid": "ReplicatedBackups",
            "Effect": "Allow",
            "Action": ["rds:DescribeDBInstanceAutomatedBackups"],
            "Resource": "*",
        },
        {
            "Sid": "ServicesOfThisStack",
            "Effect": "Allow",
            "Action": OPERATOR_ACTIONS["ecs"],
            "Resource": sorted(set(scope.ecs_service_arns)),
        },
        {
            # Application Auto Scaling scopes by scalable-target ARN, which AWS assigns at
            # registration, so the stack cannot name them in advance.
            "Sid": "ScalingOfThisStack",
            "Effect": "Allow",
            "Action": OPERATOR_ACTIONS["application-autoscaling"],
            "Resource": "*",
        },
        {
            "Sid": "HealthChecksOfThisStack",
            "Effect": "Allow",
            "Action": [a for a in OPERATOR_ACTIONS["route53"] if a != "route53:ListResourceRecordSets"],
            "Resource": [f"arn:{p}:route53:::healthcheck/{hc}" for hc in sorted(set(scope.health_check_ids))],
        },
        {
            "Sid": "FailoverRecordsOfThisStack",
            "Effect": "Allow",
            "Action": ["route53:ListResourceRecordSets"],
            "Resource": [f"arn:{p}:route53:::hostedzone/{z.rsplit('/', 1)[-1]}" for z in zones],
        },
        {
            # A recovery repoints a database's name (a CNAME in a private zone the DR stack does not
            # name here): only UPSERTs of CNAMEs named like the stacks' database names (Route 53
            # condition keys for ChangeResourceRecordSets, Route 53 Developer Guide).
            "Sid": "DatabaseNames",
            "Effect": "Allow",
            "Action": ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
            "Resource": [f"arn:{p}:route53:::hostedzone/*"],
            "Condition": {
                "ForAllValues:StringLike": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [DATABASE_NAMES]
                },
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
                    "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
                },
            },
        },
        {
            "Sid": "RecordChanges",
            "Effect": "Allow",
            "Action": ["route53:GetChange"],
            "Resource": [f"arn:{p}:route53:::change/*"],
        },
        {
            # CloudWatch metrics have no ARNs: GetMetricStatistics cannot be scoped.
            "Sid": "ReadMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricStatistics"],
            "Resource": "*",
        },
        {
            "Sid": "AlarmsOfThisStack",
            "Effect": "Allow",
            "Action": ["cloudwatch:DescribeAlarms"],
            "Resource": sorted(set(scope.alarm_arns)),
        },
        {
            # A restore encrypted with the DR key: RDS creates a grant on it for the new
            # instance. Only through RDS in the DR region, and only for AWS resources.
            "Sid": "KeysForRestores",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant"],
            "Resource": keys,
            "Condition": {**via_rds, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "DescribeKeysForRestores",
            "Effect": "Allow",
            "Action": ["kms:DescribeKey"],
            "Resource": keys,
            "Condition": via_rds,
        },
        {
            # Restore tests in the primary region and failback's replica there use its key.
            "Sid": "KeysInThePrimaryRegion",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:DescribeKey"],
            "Resource": primary_keys,
            "Condition": via_primary_rds,
        },
        {
            # Failback's safety reads the primary region's services (read only).
            "Sid": "PrimaryServicesRead",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServices"],
            "Resource": sorted(set(scope.primary_ecs_service_arns))
            or [f"arn:{p}:ecs:{scope.primary_region}:{account}:service/*"],
        },
        {
            "Sid": "VaultsOfThisStack",
            "Effect": "Allow",
            "Action": [a for a in OPERATOR_ACTIONS["backup"] if a != "backup:DescribeFramework"],
            "Resource": sorted(set(scope.vault_arns))
            or [f"arn:{p}:backup:{r}:{account}:backup-vault:*" for r in regions],
        },
        {
            # ListRestoreJobs has no resource-level permissions (AWS Backup, "Actions, resources, and
            # condition keys"); readiness filters by the stack's restore testing plans.
            "Sid": "RestoreTestingResults",
            "Effect": "Allow",
            "Action": ["backup:ListRestoreJobs"],
            "Resource": "*",
        },
        _bucket_reads(scope, in_account),
        _object_reads(scope, in_account),
        _rollbacks(scope, in_account),
        {
            # ListBuckets cannot be scoped: a restore test looks for scratch buckets left behind.
            "Sid": "ListBuckets",
            "Effect": "Allow",
            "Action": ["s3:ListAllMyBuckets"],
            "Resource": "*",
        },
        {
            # A restore test's scratch bucket, only: created, tagged, encrypted, filled, emptied, deleted.
            "Sid": "ScratchBuckets",
            "Effect": "Allow",
            "Action": [
                "s3:CreateBucket",
                "s3:PutBucketTagging",
                "s3:GetBucketTagging",
                "s3:PutEncryptionConfiguration",
                "s3:ListBucket",
                "s3:DeleteBucket",
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
            ],
            "Resource": [f"arn:{p}:s3:::{SCRATCH_BUCKETS}", f"arn:{p}:s3:::{SCRATCH_BUCKETS}/*"],
        },
        {
            # Copies of SSE-KMS objects: S3 decrypts the source and encrypts the copy with the
            # caller's permissions, only through S3 in the stacks' regions.
            "Sid": "KeysForObjectCopies",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [f"arn:{p}:kms:{r}:{account}:key/*" for r in regions],
            "Condition": {"StringEquals": {"kms:ViaService": [f"s3.{r}.amazonaws.com" for r in regions]}},
        },
        _history(scope, in_account),
        *_lock(scope),
        *_assurance(scope),
        *scope.extra_statements,
    ]
    # IAM rejects a statement with an empty Resource list ("Policy statement must contain
    # resources"): a stack with nothing of a kind (no ECS service when every service runs on
    # Kubernetes) gets no statement for it rather than a wildcard.
    kept = [s for s in statements if s.get("Resource") != []]
    return {"Version": "2012-10-17", "Statement": kept}


def _bucket_reads(scope: OperatorScope, in_account: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "BucketsOfThisStack",
        "Effect": "Allow",
        "Action": [
            "s3:ListBucket",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:GetBucketVersioning",
            "s3:ListBucketVersions",
        ],
        "Resource": sorted(set(scope.bucket_arns)),
    }
    if not scope.bucket_arns:
        # S3 bucket ARNs name neither account nor region: without the names, this account's.
        statement.update(Resource=[f"arn:{scope.partition}:s3:::*"], Condition=in_account)
    return statement


def _object_reads(scope: OperatorScope, in_account: dict[str, Any]) -> dict[str, Any]:
    """Reading the data buckets' objects (any version): what a restore test copies and compares."""
    statement: dict[str, Any] = {
        "Sid": "ObjectsOfThisStack",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
        "Resource": [f"{arn}/*" for arn in sorted(set(scope.bucket_arns))],
    }
    if not scope.bucket_arns:
        statement.update(Resource=[f"arn:{scope.partition}:s3:::*/*"], Condition=in_account)
    return statement


def _rollbacks(scope: OperatorScope, in_account: dict[str, Any]) -> dict[str, Any]:
    """An S3 roll-back: copies of old versions (PutObject) and delete markers (DeleteObject without a
    version id adds one; removing a version would need s3:DeleteObjectVersion, never granted)."""
    statement: dict[str, Any] = {
        "Sid": "RollBacksOfThisStack",
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:DeleteObject"],
        "Resource": [f"{arn}/*" for arn in sorted(set(scope.bucket_arns))],
    }
    if not scope.bucket_arns:
        statement.update(Resource=[f"arn:{scope.partition}:s3:::*/*"], Condition=in_account)
    return statement


def _history(scope: OperatorScope, in_account: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "DrillHistory",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
    }
    if scope.drill_history.startswith("s3://"):
        statement["Resource"] = [f"arn:{scope.partition}:s3:::{scope.drill_history.removeprefix('s3://')}"]
    else:
        # History in a file needs no S3 at all; until an s3:// location is configured, only objects
        # named like a drill history, in this account's buckets.
        statement.update(
            Resource=[f"arn:{scope.partition}:s3:::*/*continuity-history*"], Condition=in_account
        )
    return statement


def _lock(scope: OperatorScope) -> list[dict[str, Any]]:
    """The failover lock: conditional PutObject (If-None-Match, If-Match needs GetObject too) of the
    lock objects only, encrypted by S3 with the DR key (SSE-KMS calls KMS on the writer's behalf)."""
    keys = sorted(set(scope.kms_key_arns)) or [
        f"arn:{scope.partition}:kms:{scope.dr_region}:{scope.account_id}:key/*"
    ]
    return [
        {
            "Sid": "OperationsLock",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [f"{scope.operations_bucket_arn}/{LOCK_PREFIX}/*"],
        }
        if scope.operations_bucket_arn
        # Without the bucket's name: lock objects in this account's buckets only.
        else {
            "Sid": "OperationsLock",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [f"arn:{scope.partition}:s3:::*/{LOCK_PREFIX}/*"],
            "Condition": {"StringEquals": {"s3:ResourceAccount": scope.account_id}},
        },
        {
            "Sid": "OperationsLockKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": keys,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{scope.dr_region}.amazonaws.com"}},
        },
    ]


def _assurance(scope: OperatorScope) -> list[dict[str, Any]]:
    """What the drill's experiments, readiness's Audit Manager section and the failover's incident
    update call. Resources as the Service Authorization Reference defines them for FIS, AWS Backup,
    AWS Config and SNS; each falls back to this account's, in the region concerned."""
    p, account, primary, dr = scope.partition, scope.account_id, scope.primary_region, scope.dr_region
    regions = [primary, dr]
    templates = sorted(set(scope.experiment_template_arns)) or [
        f"arn:{p}:fis:{primary}:{account}:experiment-template/*"
    ]
    experiments = f"arn:{p}:fis:{primary}:{account}:experiment/*"
    return [
        {
            # StartExperiment authorizes on the template and on the experiment it creates, whose id
            # FIS assigns: any experiment of this account in the primary region.
            "Sid": "DrillExperiments",
            "Effect": "Allow",
            "Action": ["fis:StartExperiment"],
            "Resource": [*templates, experiments],
        },
        {
            "Sid": "DrillExperimentsWatch",
            "Effect": "Allow",
            "Action": ["fis:GetExperiment", "fis:StopExperiment"],
            "Resource": [experiments],
        },
        {
            # Framework ARNs end in an id AWS Backup assigns: <name>-<id>.
            "Sid": "AuditFrameworks",
            "Effect": "Allow",
            "Action": ["backup:DescribeFramework"],
            "Resource": [f"arn:{p}:backup:{r}:{account}:framework:*" for r in regions],
        },
        {
            # Neither Describe call takes a resource (Service Authorization Reference, AWS Config);
            # the rules AWS Backup deploys have names it chooses.
            "Sid": "AuditCompliance",
            "Effect": "Allow",
            "Action": OPERATOR_ACTIONS["config"],
            "Resource": "*",
        },
        {
            "Sid": "IncidentUpdates",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": sorted(set(scope.alarm_topic_arns)) or [f"arn:{p}:sns:{dr}:{account}:*"],
        },
        {
            # Publishing to a topic encrypted with a customer key needs GenerateDataKey and
            # Decrypt on it (Amazon SNS Developer Guide, "Encryption at rest").
            "Sid": "IncidentUpdatesKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": sorted(set(scope.kms_key_arns)) or [f"arn:{p}:kms:{dr}:{account}:key/*"],
            "Condition": {"StringEquals": {"kms:ViaService": f"sns.{dr}.amazonaws.com"}},
        },
    ]
