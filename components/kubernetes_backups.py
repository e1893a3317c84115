"""Backups of data that lives in the cluster (a database in a pod, the namespace's configuration):
per data item a CronJob on the plan's schedule (UTC) that dumps the data and uploads it to the
item's write-once bucket, as an identity allowed exactly that (IRSA on EKS: put objects under the
item's prefix, encrypt with the region's key), reading from Kubernetes only what the plan lists.

Each dump goes up with its SHA-256 beside it (``<dump>.sha256``, uploaded first, so a dump is never
without one) and an empty dump is never uploaded: a restore verifies what it reads against it
(docs/recovery.md). The way back has its own identity, declared here so a recovery needs no IAM or
RBAC change at 3 a.m.: a ``<item>-restore`` service account whose role may only read the item's
dumps, and which may write in the namespace only the kinds the plan lets the backup read."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from continuity import names as aws_names
from continuity.derive import CronJobSettings
from continuity.plan import KUBERNETES_READABLE, KUBERNETES_RESTORE_VERBS

DUMP_DIR = "/backup"
CHECKSUM_SUFFIX = ".sha256"
# Kubernetes' own defaults, written out so the history a job keeps is visible where it is declared.
SUCCESSFUL_JOBS_HISTORY = 3
FAILED_JOBS_HISTORY = 1
BACKOFF_LIMIT = 6


@dataclass
class KubernetesBackupsArgs:
    jobs: list[CronJobSettings]
    bucket_names: dict[str, pulumi.Input[str]]
    bucket_arns: dict[str, pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    region: str
    upload_image: str
    oidc_provider_arn: str
    oidc_issuer: str
    provider: k8s.Provider
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # per data item
    # Namespaces this stack declares (KubernetesServices), by name: a job's objects wait for theirs.
    namespaces: dict[str, pulumi.Resource] = field(default_factory=dict)


def trust_policy(oidc_provider_arn: str, issuer: str, namespace: str, account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def upload_policy(bucket_arn: str, prefix: str, key_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{bucket_arn}/{prefix}*"]},
                # kms:Decrypt too: the AWS CLI uploads a dump over 8 MB in parts, and S3 decrypts the
                # data key of an SSE-KMS multipart upload to complete it (S3 User Guide, "Multipart
                # upload API and permissions").
                {
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
                    "Resource": [key_arn],
                },
            ],
        }
    )


def restore_policy(bucket_arn: str, prefix: str, key_arn: str) -> str:
    """What a restore Job may do in AWS: read the item's dumps (and their checksums), decrypt them."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{bucket_arn}/{prefix}*"]},
                # Dumps are SSE-KMS objects: reading one decrypts its data key.
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]},
            ],
        }
    )


# What a backup Job's account may do with the kinds it dumps: read them, nothing more.
READ_VERBS = ["get", "list"]


def _upload_policy_of(prefix: str, arns: list[str]) -> str:
    bucket_arn, key_arn = arns
    return upload_policy(bucket_arn, prefix, key_arn)


def _restore_policy_of(prefix: str, arns: list[str]) -> str:
    bucket_arn, key_arn = arns
    return restore_policy(bucket_arn, prefix, key_arn)


def upload_command(item: str, prefix: str, dump_dir: str = DUMP_DIR) -> str:
    """One dump per run, named by its UTC time (write-once buckets refuse overwrites anyway), with
    its SHA-256 beside it; an empty dump fails the Job instead of becoming the newest backup."""
    dump = f"{dump_dir}/{item}.dump"
    copy = '--sse aws:kms --sse-kms-key-id "$BACKUP_KMS_KEY" --only-show-errors'
    return "; ".join(
        [
            "set -eu",
            f'if [ ! -s {dump} ]; then echo "the dump of {item} is empty: not uploaded" >&2; exit 1; fi',
            'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
            f"sha256sum {dump} | cut -d ' ' -f 1 > {dump}{CHECKSUM_SUFFIX}",
            # The checksum first: a dump in the bucket always has one, whatever stops the Job.
            f'aws s3 cp {dump}{CHECKSUM_SUFFIX} "s3://$BACKUP_BUCKET/{prefix}$stamp.dump{CHECKSUM_SUFFIX}" '
            + copy,
            f'aws s3 cp {dump} "s3://$BACKUP_BUCKET/{prefix}$stamp.dump" {copy}',
        ]
    )


def restore_account(item: str) -> str:
    """The service account restore Jobs of ``item`` run as (scripts/recover.py, restore tests)."""
    return f"{item}-restore"


class KubernetesBackups(pulumi.ComponentResource):
    cron_jobs: dict[str, pulumi.Output[str]]
    role_arns: dict[str, pulumi.Output[str]]
    restore_accounts: dict[str, pulumi.Output[str]]
    restore_role_arns: dict[str, pulumi.Output[str]]
    upload_image: str

    def __init__(
        self, name: str, args: KubernetesBackupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:KubernetesBackups", name, None, opts)
        aws_child = pulumi.ResourceOptions(parent=self)
        self.cron_jobs, self.role_arns = {}, {}
        self.restore_accounts, self.restore_role_arns = {}, {}
        self.upload_image = args.upload_image
        for job in args.jobs:
            item = job.data_item
            namespace = args.namespaces.get(job.namespace)
            child = pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[namespace] if namespace is not None else []
            )
            account = f"{item}-backup"
            service_account, role_arn = _workload_identity(
                _Identity(f"{name}-{item}", account, _upload_policy_of, READ_VERBS),
                job,
                args,
                aws_child,
                child,
            )
            volume = {"name": "dump", "mount_path": DUMP_DIR}
            cron_job = k8s.batch.v1.CronJob(
                f"{name}-{item}",
                metadata={
                    "name": account,
                    "namespace": job.namespace,
                    "labels": {"continuity.data-item": item},
                },
                spec={
                    "schedule": job.schedule,
                    "time_zone": "Etc/UTC",
                    # A dump still running when the next is due is not doubled up.
                    "concurrency_policy": "Forbid",
                    "starting_deadline_seconds": job.starting_deadline_seconds,
                    "successful_jobs_history_limit": SUCCESSFUL_JOBS_HISTORY,
                    "failed_jobs_history_limit": FAILED_JOBS_HISTORY,
                    "job_template": {
                        "spec": {
                            "backoff_limit": BACKOFF_LIMIT,
                            "active_deadline_seconds": job.active_deadline_seconds,
                            "template": {
                                "spec": {
                                    "service_account_name": service_account,
                                    "restart_policy": "Never",
                                    "volumes": [{"name": "dump", "empty_dir": {}}],
                                    # The dump's image needs /bin/sh: the command's output becomes the file.
                                    "init_containers": [
                                        {
                                            "name": "dump",
                                            "image": job.image,
                                            "command": [
                                                "/bin/sh",
                                                "-c",
                                                f"{job.command} > {DUMP_DIR}/{item}.dump",
                                            ],
                                            "volume_mounts": [volume],
                                        }
                                    ],
                                    "containers": [
                                        {
                                            "name": "upload",
                                            "image": args.upload_image,
                                            "command": [
                                                "/bin/sh",
                                                "-c",
                                                upload_command(item, job.bucket_prefix),
                                            ],
                                            "env": [
                                                {"name": "BACKUP_BUCKET", "value": args.bucket_names[item]},
                                                {"name": "BACKUP_KMS_KEY", "value": args.kms_key_arn},
                                                {"name": "AWS_REGION", "value": args.region},
                                            ],
                                            "volume_mounts": [volume],
                                        }
                                    ],
                                }
                            },
                        }
                    },
                },
                opts=child,
            )
            self.cron_jobs[item] = cron_job.metadata.name
            self.role_arns[item] = role_arn
            restorer = self._restore_identity(name, job, args, aws_child, child)
            self.restore_accounts[item], self.restore_role_arns[item] = restorer
        self.register_outputs(
            {
                "cron_jobs": self.cron_jobs,
                "role_arns": self.role_arns,
                "restore_accounts": self.restore_accounts,
                "restore_role_arns": self.restore_role_arns,
                "upload_image": self.upload_image,
            }
        )

    def _restore_identity(
        self,
        name: str,
        job: CronJobSettings,
        args: KubernetesBackupsArgs,
        aws_child: pulumi.ResourceOptions,
        child: pulumi.ResourceOptions,
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The service account a restore Job of the item runs as, its IRSA role, and (for items
        that read Kubernetes objects) leave to write those kinds back in the namespace."""
        identity = _Identity(
            f"{name}-{job.data_item}-restore",
            restore_account(job.data_item),
            _restore_policy_of,
            KUBERNETES_RESTORE_VERBS,
        )
        return _workload_identity(identity, job, args, aws_child, child)


@dataclass(frozen=True)
class _Identity:
    resource_name: str  # of every resource below (and the IAM role's autoname)
    account: str  # the Kubernetes service account
    policy_of: Callable[[str, list[str]], str]  # (bucket prefix, [bucket ARN, key ARN]) -> IAM policy
    verbs: list[str]  # on the kinds the item reads


def _workload_identity(
    identity: _Identity,
    job: CronJobSettings,
    args: KubernetesBackupsArgs,
    aws_child: pulumi.ResourceOptions,
    child: pulumi.ResourceOptions,
) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """A service account of the item's namespace with its IRSA role (EKS assumes the role for pods
    that run as the account) and, for items that hold Kubernetes objects, a Role on those kinds."""
    item, account, resource_name = job.data_item, identity.account, identity.resource_name
    role = aws.iam.Role(
        aws_names.autonamed(resource_name, aws_names.IAM_ROLE_NAME_MAX),
        assume_role_policy=trust_policy(args.oidc_provider_arn, args.oidc_issuer, job.namespace, account),
        tags=args.tags.get(item, {}),
        opts=aws_child,
    )
    aws.iam.RolePolicy(
        resource_name,
        role=role.id,
        policy=pulumi.Output.all(args.bucket_arns[item], args.kms_key_arn).apply(
            functools.partial(identity.policy_of, job.bucket_prefix)
        ),
        opts=aws_child,
    )
    service_account = k8s.core.v1.ServiceAccount(
        resource_name,
        metadata={
            "name": account,
            "namespace": job.namespace,
            "annotations": {"eks.amazonaws.com/role-arn": role.arn},
        },
        opts=child,
    )
    if job.reads:
        groups: dict[str, list[str]] = {}
        for kind in job.reads:
            groups.setdefault(KUBERNETES_READABLE[kind], []).append(kind)
        kinds_role = k8s.rbac.v1.Role(
            resource_name,
            metadata={"name": account, "namespace": job.namespace},
            rules=[
                {"api_groups": [group], "resources": kinds, "verbs": identity.verbs}
                for group, kinds in groups.items()
            ],
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            resource_name,
            metadata={"name": account, "namespace": job.namespace},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": kinds_role.metadata.name,
            },
            subjects=[{"kind": "ServiceAccount", "name": account, "namespace": job.namespace}],
            opts=child,
        )
    return service_account.metadata.name, role.arn
