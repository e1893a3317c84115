"""What AWS (and pulumi-aws's own checks) refuse, and moto 5.2.5 accepts.

moto stores most of what it is sent; AWS validates. Every rule here is one AWS refusal the
program's resources could meet, with the document that states it and AWS's own error code and
message (``verbatim=False`` marks a message whose exact text AWS does not publish: the rule is
documented, the wording is ours). The emulator (offline/emulator.py) checks each resource against
the rules for its type before creating it, and, since `pulumi destroy` must work too, checks the
rules about deleting once a deployment is done. A refusal fails the deployment as `pulumi up`
would fail. tests/offline/test_aws_rules.py shows every rule refusing the shape it is about.

Kubernetes API server rules are in offline/kubernetes_rules.py; the Pulumi CLI's own project
check (a secret config key with a plain default) is in offline/program.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from continuity import names

Phase = Literal["create", "delete"]


class World(Protocol):
    """Where a rule reads what AWS knows (the emulator's clients)."""

    def client(self, service: str, region: str) -> Any: ...


@dataclass(frozen=True)
class Declared:
    """A resource as the program declared it: mock inputs are camelCase, numbers floats."""

    type: str
    name: str
    inputs: dict[str, Any]
    region: str


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


Check = Callable[[Declared, World], Refusal | None]


@dataclass(frozen=True)
class Rule:
    id: str
    types: tuple[str, ...]
    source: str  # the document that states the rule
    check: Check
    phase: Phase = "create"
    verbatim: bool = True  # whether the message is AWS's exact text


class Refused(Exception):
    """A resource the real service (AWS, the Kubernetes API server) would refuse."""


class AwsRefused(Refused):
    """A resource AWS would refuse; the message is AWS's, with the rule and its source."""

    def __init__(self, rule: Rule, declared: Declared, refusal: Refusal) -> None:
        self.rule, self.declared, self.refusal = rule, declared, refusal
        super().__init__(
            f"{declared.type} {declared.name}: {refusal.code}: {refusal.message} "
            f"(rule {rule.id}: {rule.source})"
        )


RULES: list[Rule] = []


def rule(
    rule_id: str, *types: str, source: str, phase: Phase = "create", verbatim: bool = True
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(rule_id, types, source, check, phase, verbatim))
        return check

    return register


def refusals(declared: Declared, world: World, phase: Phase = "create") -> list[tuple[Rule, Refusal]]:
    found = []
    for each in RULES:
        if declared.type in each.types and each.phase == phase:
            refusal = each.check(declared, world)
            if refusal is not None:
                found.append((each, refusal))
    return found


def enforce(declared: Declared, world: World, phase: Phase = "create") -> None:
    """Raise AwsRefused for the first rule the resource breaks."""
    for each, refusal in refusals(declared, world, phase):
        raise AwsRefused(each, declared, refusal)


def whole(value: Any) -> int:
    return int(value)


def _region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def _autoname_refusal(declared: Declared, limit: int) -> Refusal | None:
    """pulumi-aws auto-names a resource ``<logical name>-<7 characters>`` and fails, never
    truncates, past the type's limit (pulumi/pulumi sdk/go/common/resource NewUniqueName)."""
    if declared.inputs.get("name") or declared.inputs.get("namePrefix"):
        return None
    if len(declared.name) + names.AUTONAME_SUFFIX <= limit:
        return None
    return Refusal(
        "ProviderCheck",
        f"could not make instance of '{declared.type}': name '{declared.name}-' plus 7 random chars is "
        f"longer than maximum length {limit}",
    )


# ---------------------------------------------------------------------------------------------
# RDS

RDS_INSTANCE = "aws:rds/instance:Instance"
_RDS_IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$")


def _db(world: World, identifier: str, region: str) -> dict[str, Any] | None:
    try:
        found = world.client("rds", region).describe_db_instances(DBInstanceIdentifier=identifier)
    except ClientError:
        return None
    return found["DBInstances"][0] if found["DBInstances"] else None


def _source(declared: Declared, world: World) -> dict[str, Any] | None:
    source = declared.inputs.get("replicateSourceDb")
    if not source:
        return None
    region = _region_of_arn(source) if str(source).startswith("arn:") else declared.region
    return _db(world, str(source), region)


@rule(
    "rds-identifier",
    RDS_INSTANCE,
    source="RDS API Reference, CreateDBInstance, DBInstanceIdentifier: 1 to 63 letters, numbers, or "
    "hyphens; first a letter; no trailing hyphen or two consecutive hyphens",
)
def _rds_identifier(d: Declared, world: World) -> Refusal | None:
    identifier = str(d.inputs.get("identifier") or "")
    if not identifier:
        return None
    if len(identifier) > names.RDS_IDENTIFIER_MAX or not _RDS_IDENTIFIER.match(identifier):
        return Refusal(
            "InvalidParameterValue",
            "The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a "
            "letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen "
            "or contain two consecutive hyphens.",
        )
    return None


@rule(
    "rds-replica-of-managed-password",
    RDS_INSTANCE,
    source="RDS User Guide, Limitations for Secrets Manager integration with Amazon RDS: creating a read "
    "replica when the source manages credentials with Secrets Manager is not supported",
)
def _replica_of_managed_password(d: Declared, world: World) -> Refusal | None:
    source = _source(d, world)
    if source is None or not source.get("MasterUserSecret"):
        return None
    return Refusal(
        "InvalidParameterValue",
        f"Creating read replicas for source instance with engine {source.get('Engine')} where "
        "ManageMasterUserPassword is enabled is not supported",
    )


@rule(
    "rds-replica-source-backups",
    RDS_INSTANCE,
    source="RDS API Reference, CreateDBInstanceReadReplica, SourceDBInstanceIdentifier: the source must "
    "have automatic backups enabled (backup retention period greater than 0)",
)
def _replica_source_backups(d: Declared, world: World) -> Refusal | None:
    source = _source(d, world)
    if source is None or whole(source.get("BackupRetentionPeriod", 0)) > 0:
        return None
    return Refusal(
        "InvalidDBInstanceState",
        "Automated backups are not enabled for this database instance. To enable automated backups, use "
        "ModifyDBInstance to set the backup retention period to a non-zero value.",
    )


@rule(
    "rds-cross-region-replica-key",
    RDS_INSTANCE,
    source="RDS API Reference, CreateDBInstanceReadReplica, KmsKeyId: an encrypted read replica in another "
    "Region must name a KMS key of the destination Region",
)
def _cross_region_replica_key(d: Declared, world: World) -> Refusal | None:
    source = _source(d, world)
    if source is None or not source.get("StorageEncrypted"):
        return None
    if _region_of_arn(str(d.inputs["replicateSourceDb"])) == d.region:
        return None
    key = str(d.inputs.get("kmsKeyId") or "")
    if key and (not key.startswith("arn:") or _region_of_arn(key) == d.region):
        return None
    return Refusal(
        "InvalidParameterCombination",
        "Cannot create a cross region unencrypted read replica from encrypted source.",
    )


@rule(
    "rds-backup-retention-range",
    RDS_INSTANCE,
    source="pulumi-aws rds.Instance backup_retention_period: between 0 and 35 (RDS: 0 to 35 days)",
)
def _backup_retention(d: Declared, world: World) -> Refusal | None:
    days = d.inputs.get("backupRetentionPeriod")
    if days is None or 0 <= whole(days) <= 35:
        return None
    return Refusal(
        "ProviderCheck", f"expected backup_retention_period to be in the range (0 - 35), got {whole(days)}"
    )


@rule(
    "rds-password-and-managed-password",
    RDS_INSTANCE,
    source="RDS API Reference, CreateDBInstance, ManageMasterUserPassword: can't manage the master user "
    "password with Secrets Manager if MasterUserPassword is specified",
    verbatim=False,
)
def _password_and_managed(d: Declared, world: World) -> Refusal | None:
    if d.inputs.get("manageMasterUserPassword") and d.inputs.get("password"):
        return Refusal(
            "InvalidParameterCombination",
            "MasterUserPassword can't be specified with ManageMasterUserPassword.",
        )
    return None


@rule(
    "rds-replica-final-snapshot",
    RDS_INSTANCE,
    source="RDS API Reference, DeleteDBInstance: SkipFinalSnapshot must be enabled, and "
    "FinalDBSnapshotIdentifier can't be specified, when deleting a read replica",
    phase="delete",
)
def _replica_final_snapshot(d: Declared, world: World) -> Refusal | None:
    if not d.inputs.get("replicateSourceDb") or d.inputs.get("skipFinalSnapshot"):
        return None
    return Refusal(
        "InvalidParameterCombination",
        "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance",
    )


@rule(
    "rds-subnet-group-two-zones",
    "aws:rds/subnetGroup:SubnetGroup",
    source="RDS User Guide, Working with a DB instance in a VPC: a DB subnet group has subnets in at least "
    "two Availability Zones",
)
def _subnet_group_zones(d: Declared, world: World) -> Refusal | None:
    subnets = d.inputs.get("subnetIds") or []
    if not subnets:
        return None
    found = world.client("ec2", d.region).describe_subnets(SubnetIds=list(subnets))["Subnets"]
    zones = sorted({s["AvailabilityZone"] for s in found})
    if len(zones) >= 2:
        return None
    return Refusal(
        "DBSubnetGroupDoesNotCoverEnoughAZs",
        "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: "
        f"{', '.join(zones)}. Add subnets to cover at least 2 AZs.",
    )


@rule(
    "rds-automated-backups-replication-key",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    source="RDS API Reference, StartDBInstanceAutomatedBackupsReplication, KmsKeyId: the destination "
    "Region's key, for an encrypted source",
    verbatim=False,
)
def _backups_replication_key(d: Declared, world: World) -> Refusal | None:
    arn = str(d.inputs.get("sourceDbInstanceArn") or "")
    source = _db(world, arn, _region_of_arn(arn)) if arn else None
    if source is None or not source.get("StorageEncrypted"):
        return None
    key = str(d.inputs.get("kmsKeyId") or "")
    if key and _region_of_arn(key) == d.region:
        return None
    return Refusal(
        "InvalidParameterCombination",
        "Encrypted automated backups can only be replicated with a KMS key of the destination Region.",
    )


# ---------------------------------------------------------------------------------------------
# S3

BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


@rule(
    "s3-bucket-prefix-length",
    BUCKET,
    source="pulumi-aws s3.Bucket bucket_prefix: at most 37 characters (bucket names are at most 63, and "
    "the provider appends 26)",
)
def _bucket_prefix(d: Declared, world: World) -> Refusal | None:
    prefix = str(d.inputs.get("bucketPrefix") or "")
    if len(prefix) <= names.BUCKET_PREFIX_MAX:
        return None
    return Refusal(
        "ProviderCheck",
        f"expected length of bucket_prefix to be in the range (0 - {names.BUCKET_PREFIX_MAX}), got {prefix}",
    )


def _versioning(world: World, bucket: str) -> str:
    s3 = world.client("s3", "us-east-1")
    try:
        region = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        return str(world.client("s3", region).get_bucket_versioning(Bucket=bucket).get("Status", ""))
    except ClientError:
        return ""


@rule(
    "s3-replication-destination-versioning",
    REPLICATION,
    source="S3 User Guide, Requirements for live replication: both source and destination buckets must "
    "have S3 Versioning enabled",
)
def _destination_versioning(d: Declared, world: World) -> Refusal | None:
    for each in d.inputs.get("rules") or []:
        bucket = str((each.get("destination") or {}).get("bucket", "")).removeprefix("arn:aws:s3:::")
        if bucket and _versioning(world, bucket) != "Enabled":
            return Refusal("InvalidRequest", "Destination bucket must have versioning enabled.")
    return None


@rule(
    "s3-replication-kms-pair",
    REPLICATION,
    source="S3 API Reference, PutBucketReplication: SourceSelectionCriteria.SseKmsEncryptedObjects and "
    "Destination.EncryptionConfiguration.ReplicaKmsKeyID go together",
)
def _replication_kms(d: Declared, world: World) -> Refusal | None:
    for each in d.inputs.get("rules") or []:
        kms_objects = ((each.get("sourceSelectionCriteria") or {}).get("sseKmsEncryptedObjects") or {}).get(
            "status"
        ) == "Enabled"
        replica_key = ((each.get("destination") or {}).get("encryptionConfiguration") or {}).get(
            "replicaKmsKeyId"
        )
        if kms_objects and not replica_key:
            return Refusal(
                "InvalidRequest",
                "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.",
            )
        if replica_key and not kms_objects:
            return Refusal(
                "InvalidRequest",
                "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.",
            )
    return None


@rule(
    "s3-replication-time-needs-metrics",
    REPLICATION,
    source="S3 API Reference, Destination.ReplicationTime: must be specified together with a Metrics block",
    verbatim=False,
)
def _replication_time(d: Declared, world: World) -> Refusal | None:
    for each in d.inputs.get("rules") or []:
        destination = each.get("destination") or {}
        if (destination.get("replicationTime") or {}).get("status") == "Enabled" and (
            destination.get("metrics") or {}
        ).get("status") != "Enabled":
            return Refusal(
                "InvalidRequest",
                "Replication destination must contain both ReplicationTime and Metrics or neither.",
            )
    return None


@rule(
    "s3-object-lock-retention",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    source="S3 API Reference, DefaultRetention: Days or Years, not both, a positive whole number; at most "
    "100 years (36,500 days)",
)
def _object_lock(d: Declared, world: World) -> Refusal | None:
    retention = ((d.inputs.get("rule") or {}).get("defaultRetention")) or {}
    days, years = retention.get("days"), retention.get("years")
    if (days is None) == (years is None):
        return Refusal(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    value = whole(days if days is not None else years)
    if value <= 0:
        return Refusal("InvalidArgument", "Default retention period must be a positive integer value.")
    if (days is not None and value > 36_500) or (years is not None and value > 100):
        return Refusal("InvalidRetentionPeriod", "Default retention period is too large.")
    return None


@rule(
    "s3-lifecycle-transitions",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    source="S3 User Guide, Transitioning objects: STANDARD_IA and ONEZONE_IA after 30 days at least; an "
    "expiration comes after every transition",
)
def _lifecycle(d: Declared, world: World) -> Refusal | None:
    for each in d.inputs.get("rules") or []:
        transitions = each.get("transitions") or []
        for transition in transitions:
            days = whole(transition.get("days", 0))
            storage = transition.get("storageClass")
            if storage in ("STANDARD_IA", "ONEZONE_IA") and days < 30:
                return Refusal(
                    "InvalidArgument",
                    f"'Days' in Transition action must be greater than or equal to 30 for storageClass '{storage}'",
                )
        expiration = (each.get("expiration") or {}).get("days")
        if expiration is not None and any(whole(expiration) <= whole(t.get("days", 0)) for t in transitions):
            return Refusal(
                "InvalidArgument",
                "'Days' in the Expiration action for filter '(prefix=)' must be greater than 'Days' in the "
                "Transition action",
            )
    return None


# ---------------------------------------------------------------------------------------------
# IAM


@rule(
    "iam-role-name",
    "aws:iam/role:Role",
    source="IAM API Reference, CreateRole, RoleName: 1 to 64 characters; pulumi-aws auto-names "
    "<name>-<7 characters> within that",
)
def _role_name(d: Declared, world: World) -> Refusal | None:
    explicit = str(d.inputs.get("name") or "")
    if len(explicit) > names.IAM_ROLE_NAME_MAX:
        return Refusal(
            "ValidationError",
            f"1 validation error detected: Value '{explicit}' at 'roleName' failed to satisfy constraint: "
            f"Member must have length less than or equal to {names.IAM_ROLE_NAME_MAX}",
        )
    return _autoname_refusal(d, names.IAM_ROLE_NAME_MAX)


def _policy_size(document: str) -> int:
    """IAM does not count white space against policy quotas (IAM and AWS STS quotas)."""
    return len("".join(str(document).split()))


# IAM and AWS STS quotas: customer managed policy size; role inline policies, all together.
MANAGED_POLICY_MAX = 6_144
ROLE_INLINE_POLICIES_MAX = 10_240
MANAGED_POLICIES_PER_ROLE = 10


@rule(
    "iam-managed-policy-size",
    "aws:iam/policy:Policy",
    source="IAM User Guide, IAM and AWS STS quotas: "
    "customer managed policy size 6,144 characters (white space not counted)",
)
def _managed_policy_size(d: Declared, world: World) -> Refusal | None:
    if _policy_size(d.inputs.get("policy", "")) <= MANAGED_POLICY_MAX:
        return None
    return Refusal("LimitExceeded", f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}")


@rule(
    "iam-role-inline-policies-size",
    "aws:iam/rolePolicy:RolePolicy",
    source="IAM User Guide, IAM and AWS STS quotas: a role's inline policies, together, 10,240 characters",
)
def _inline_policies_size(d: Declared, world: World) -> Refusal | None:
    iam = world.client("iam", "us-east-1")
    role = str(d.inputs.get("role", ""))
    try:
        existing = iam.list_role_policies(RoleName=role)["PolicyNames"]
    except ClientError:
        return None
    documents = [iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in existing]
    total = sum(_policy_size(json.dumps(doc) if not isinstance(doc, str) else doc) for doc in documents)
    total += _policy_size(d.inputs.get("policy", ""))
    if total <= ROLE_INLINE_POLICIES_MAX:
        return None
    return Refusal(
        "LimitExceeded", f"Maximum policy size of {ROLE_INLINE_POLICIES_MAX} bytes exceeded for role {role}"
    )


@rule(
    "iam-managed-policies-per-role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    source="IAM User Guide, IAM and AWS STS quotas: managed policies attached to a role, 10 by default",
)
def _attachments(d: Declared, world: World) -> Refusal | None:
    try:
        attached = world.client("iam", "us-east-1").list_attached_role_policies(
            RoleName=str(d.inputs.get("role"))
        )
    except ClientError:
        return None
    if len(attached["AttachedPolicies"]) < MANAGED_POLICIES_PER_ROLE:
        return None
    return Refusal("LimitExceeded", f"Cannot exceed quota for PoliciesPerRole: {MANAGED_POLICIES_PER_ROLE}")


# ---------------------------------------------------------------------------------------------
# Elastic Load Balancing


@rule(
    "elb-target-group-name",
    "aws:lb/targetGroup:TargetGroup",
    source="ELB API Reference, CreateTargetGroup, Name: at most 32 characters; pulumi-aws auto-names "
    "<name>-<7 characters> within that",
)
def _target_group_name(d: Declared, world: World) -> Refusal | None:
    return _autoname_refusal(d, names.ELB_NAME_MAX)


@rule(
    "elb-load-balancer-name",
    "aws:lb/loadBalancer:LoadBalancer",
    source="ELB API Reference, CreateLoadBalancer, Name: at most 32 characters (pulumi-aws checks it at "
    "preview)",
)
def _load_balancer_name(d: Declared, world: World) -> Refusal | None:
    name = str(d.inputs.get("name") or f"{d.name}-xxxxxxx")
    if len(name) <= names.ELB_NAME_MAX:
        return None
    return Refusal("ProviderCheck", f'"name" cannot be longer than {names.ELB_NAME_MAX} characters: "{name}"')


@rule(
    "elb-alb-two-zones",
    "aws:lb/loadBalancer:LoadBalancer",
    source="ELB User Guide, Application Load Balancers, Availability Zones: subnets from at least two "
    "Availability Zones, one subnet per zone",
)
def _alb_zones(d: Declared, world: World) -> Refusal | None:
    if d.inputs.get("loadBalancerType", "application") != "application":
        return None
    subnets = list(d.inputs.get("subnets") or [])
    found = world.client("ec2", d.region).describe_subnets(SubnetIds=subnets)["Subnets"] if subnets else []
    zones = [s["AvailabilityZone"] for s in found]
    if len(set(zones)) < 2:
        return Refusal(
            "ValidationError", "At least two subnets in two different Availability Zones must be specified"
        )
    if len(set(zones)) != len(zones):
        return Refusal(
            "InvalidConfigurationRequest",
            "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
        )
    return None


@rule(
    "elb-listener-rule-priority",
    "aws:lb/listenerRule:ListenerRule",
    source="ELB API Reference, CreateRule, Priority: 1 to 50000",
    verbatim=False,
)
def _rule_priority(d: Declared, world: World) -> Refusal | None:
    priority = whole(d.inputs.get("priority", 1))
    if 1 <= priority <= 50_000:
        return None
    return Refusal("ValidationError", f"Priority '{priority}' must be between 1 and 50000")


@rule(
    "elb-health-check-path",
    "aws:lb/targetGroup:TargetGroup",
    source="ELB API Reference, CreateTargetGroup, HealthCheckPath: 1 to 1024 characters, starting with /",
    verbatim=False,
)
def _health_path(d: Declared, world: World) -> Refusal | None:
    path = str((d.inputs.get("healthCheck") or {}).get("path", "/"))
    if path.startswith("/") and len(path) <= 1024:
        return None
    return Refusal(
        "ValidationError", f"Health check path '{path}' must start with '/' and be at most 1024 characters"
    )


# ---------------------------------------------------------------------------------------------
# AWS Backup

_BACKUP_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
_VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-_]{2,50}$")


@rule(
    "backup-plan-name",
    "aws:backup/plan:Plan",
    source="AWS Backup API Reference, BackupPlanInput.BackupPlanName: 1 to 50 alphanumeric or '-_.' characters",
    verbatim=False,
)
def _plan_name(d: Declared, world: World) -> Refusal | None:
    name = str(d.inputs.get("name") or "")
    if _BACKUP_NAME.match(name):
        return None
    return Refusal(
        "InvalidParameterValueException",
        f"Invalid backup plan name {name}: must contain 1 to 50 alphanumeric or '-_.' characters",
    )


@rule(
    "backup-selection-name",
    "aws:backup/selection:Selection",
    source="AWS Backup API Reference, BackupSelection.SelectionName: ^[a-zA-Z0-9\\-\\_\\.]{1,50}$ (pulumi-aws "
    "checks it at preview)",
)
def _selection_name(d: Declared, world: World) -> Refusal | None:
    name = str(d.inputs.get("name") or "")
    if _BACKUP_NAME.match(name):
        return None
    return Refusal("ProviderCheck", f"expected length of name to be in the range (1 - 50), got {name}")


@rule(
    "backup-vault-name",
    "aws:backup/vault:Vault",
    source="AWS Backup API Reference, CreateBackupVault, BackupVaultName: ^[a-zA-Z0-9\\-\\_]{2,50}$",
    verbatim=False,
)
def _vault_name(d: Declared, world: World) -> Refusal | None:
    name = str(d.inputs.get("name") or "")
    if _VAULT_NAME.match(name):
        return None
    return Refusal("InvalidParameterValueException", f"Invalid backup vault name {name}")


def _rules(d: Declared) -> list[dict[str, Any]]:
    return list(d.inputs.get("rules") or [])


@rule(
    "backup-rule-start-window",
    "aws:backup/plan:Plan",
    source="AWS Backup API Reference, BackupRule.StartWindowMinutes: if included, at least 60 minutes",
    verbatim=False,
)
def _start_window(d: Declared, world: World) -> Refusal | None:
    for each in _rules(d):
        window = each.get("startWindow")
        if window is not None and whole(window) < 60:
            return Refusal(
                "InvalidParameterValueException",
                f"Error in rule {each.get('ruleName')} : StartWindowMinutes must be at least 60 minutes",
            )
    return None


@rule(
    "backup-lifecycle",
    "aws:backup/plan:Plan",
    source="AWS Backup API Reference, Lifecycle: DeleteAfterDays 1 to 36500, and 90 days after "
    "MoveToColdStorageAfterDays; continuous backups keep 1 to 35 days and never go cold",
)
def _lifecycle_days(d: Declared, world: World) -> Refusal | None:
    for each in _rules(d):
        name = each.get("ruleName")
        for lifecycle in [each.get("lifecycle") or {}] + [
            c.get("lifecycle") or {} for c in each.get("copyActions") or []
        ]:
            delete = lifecycle.get("deleteAfter")
            cold = lifecycle.get("coldStorageAfter")
            if delete is not None and not 1 <= whole(delete) <= 36_500:
                return Refusal(
                    "InvalidParameterValueException",
                    f"Error in rule {name} : Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more "
                    "than 36500 days",
                )
            if delete is not None and cold is not None and whole(delete) < whole(cold) + 90:
                return Refusal(
                    "InvalidParameterValueException",
                    f"Error in rule {name} : Invalid lifecycle. DeleteAfterDays cannot be less than 90 days "
                    "apart from MoveToColdStorageAfterDays",
                )
            if each.get("enableContinuousBackup") and cold is not None:
                return Refusal(
                    "InvalidParameterValueException",
                    f"Error in rule {name} : Invalid lifecycle. MoveToColdStorageAfterDays is unavailable",
                )
        delete = (each.get("lifecycle") or {}).get("deleteAfter")
        if each.get("enableContinuousBackup") and delete is not None and whole(delete) > 35:
            return Refusal(
                "InvalidParameterValueException",
                f"Error in rule {name} : Invalid lifecycle. Continuous backups can be retained for 1 to 35 days",
            )
    return None


# ---------------------------------------------------------------------------------------------
# AWS Backup restore testing

RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
_RESTORE_TESTING_NAME = re.compile(r"^[a-zA-Z0-9_]{1,50}$")
_RESTORE_TESTING_TYPES = frozenset(
    {"Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"}
)
_RESTORE_TESTING_MAX = 30


@rule(
    "backup-restore-testing-name",
    RESTORE_TESTING_PLAN,
    RESTORE_TESTING_SELECTION,
    source="AWS Backup API Reference, RestoreTestingPlanForCreate.RestoreTestingPlanName and "
    "RestoreTestingSelectionForGet.RestoreTestingSelectionName: only alphanumeric characters and "
    "underscores; AWS Backup Developer Guide, Restore testing quotas: names of at most 50 characters",
    verbatim=False,
)
def _restore_testing_name(d: Declared, world: World) -> Refusal | None:
    name = str(d.inputs.get("name") or "")
    if _RESTORE_TESTING_NAME.match(name):
        return None
    return Refusal(
        "ValidationException",
        f"Invalid restore testing name {name}: must contain 1 to 50 alphanumeric characters or underscores",
    )


@rule(
    "backup-restore-testing-windows",
    RESTORE_TESTING_PLAN,
    RESTORE_TESTING_SELECTION,
    source="AWS Backup Developer Guide, Restore testing quotas and parameters: start window 1 to 168 "
    "hours, selection window at most 365 days; API Reference, RestoreTestingRecoveryPointSelection: "
    "SelectionWindowDays 1 to 365, Algorithm LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW, "
    "RecoveryPointTypes CONTINUOUS or SNAPSHOT; RestoreTestingSelectionForCreate: "
    "ValidationWindowHours 1 to 168",
    verbatim=False,
)
def _restore_testing_windows(d: Declared, world: World) -> Refusal | None:
    bounded = [("startWindowHours", d.inputs.get("startWindowHours"), 1, 168)]
    bounded.append(("validationWindowHours", d.inputs.get("validationWindowHours"), 1, 168))
    selection = d.inputs.get("recoveryPointSelection")
    if d.type == RESTORE_TESTING_PLAN:
        selection = selection or {}
        bounded.append(("selectionWindowDays", selection.get("selectionWindowDays"), 1, 365))
        if selection.get("algorithm") not in ("LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"):
            return Refusal("ValidationException", f"Invalid Algorithm {selection.get('algorithm')}")
        types = list(selection.get("recoveryPointTypes") or [])
        if not types or any(t not in ("CONTINUOUS", "SNAPSHOT") for t in types):
            return Refusal("ValidationException", f"Invalid RecoveryPointTypes {types}")
        if not selection.get("includeVaults"):
            return Refusal("ValidationException", "IncludeVaults must name at least one backup vault")
    for key, value, low, high in bounded:
        if value is not None and not low <= whole(value) <= high:
            return Refusal(
                "ValidationException", f"{key} must be between {low} and {high}, got {whole(value)}"
            )
    return None


@rule(
    "backup-restore-testing-selection",
    RESTORE_TESTING_SELECTION,
    source="AWS Backup Developer Guide, Restore testing: ProtectedResourceArns is up to 30 ARNs or the "
    "wildcard with ProtectedResourceConditions, not both; condition keys start with aws:ResourceTag/ "
    "(API Reference, KeyValue); 30 conditions per selection; ProtectedResourceType one of the "
    "supported types (RestoreTestingSelectionForCreate)",
    verbatim=False,
)
def _restore_testing_selection(d: Declared, world: World) -> Refusal | None:
    kind = d.inputs.get("protectedResourceType")
    if kind not in _RESTORE_TESTING_TYPES:
        return Refusal("ValidationException", f"Unsupported ProtectedResourceType {kind}")
    arns = list(d.inputs.get("protectedResourceArns") or [])
    conditions = d.inputs.get("protectedResourceConditions") or {}
    pairs = [*(conditions.get("stringEquals") or []), *(conditions.get("stringNotEquals") or [])]
    if not arns:
        return Refusal("ValidationException", "ProtectedResourceArns is required: specific ARNs, or *")
    if pairs and arns != ["*"]:
        return Refusal(
            "ValidationException", "ProtectedResourceConditions can only be used with ProtectedResourceArns *"
        )
    if len(arns) > _RESTORE_TESTING_MAX or len(pairs) > _RESTORE_TESTING_MAX:
        return Refusal("LimitExceededException", f"at most {_RESTORE_TESTING_MAX} ARNs and conditions")
    for pair in pairs:
        if not str(pair.get("key", "")).startswith("aws:ResourceTag/"):
            return Refusal("ValidationException", f"Invalid condition key {pair.get('key')}")
    return None


# ---------------------------------------------------------------------------------------------
# KMS, Secrets Manager


def _statements(policy: Any) -> list[dict[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else policy or {}
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


@rule(
    "kms-key-policy-lockout",
    "aws:kms/key:Key",
    "aws:kms/replicaKey:ReplicaKey",
    source="KMS API Reference, CreateKey, Policy: the key policy must allow the calling principal to make a "
    "subsequent PutKeyPolicy request on the KMS key",
)
def _key_lockout(d: Declared, world: World) -> Refusal | None:
    policy = d.inputs.get("policy")
    if not policy:
        return None
    for statement in _statements(policy):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principal = statement.get("Principal", {})
        principals = principal.get("AWS", []) if isinstance(principal, dict) else [principal]
        principals = [principals] if isinstance(principals, str) else principals
        administers = any(a in ("kms:*", "kms:PutKeyPolicy") for a in actions)
        if (
            statement.get("Effect") == "Allow"
            and administers
            and any(str(p).endswith(":root") for p in principals)
        ):
            return None
    return Refusal(
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    )


@rule(
    "kms-deletion-window",
    "aws:kms/key:Key",
    "aws:kms/replicaKey:ReplicaKey",
    source="KMS API Reference, ScheduleKeyDeletion, PendingWindowInDays: 7 to 30",
)
def _deletion_window(d: Declared, world: World) -> Refusal | None:
    days = d.inputs.get("deletionWindowInDays")
    if days is None or 7 <= whole(days) <= 30:
        return None
    return Refusal("ValidationException", "PendingWindowInDays must be between 7 and 30")


@rule(
    "kms-alias-name",
    "aws:kms/alias:Alias",
    source="KMS API Reference, CreateAlias, AliasName: alias/ followed by 1 to 250 of [a-zA-Z0-9:/_-]; "
    "alias/aws/ is reserved for AWS managed keys",
    verbatim=False,
)
def _alias_name(d: Declared, world: World) -> Refusal | None:
    alias = str(d.inputs.get("name") or "")
    if (
        re.match(r"^alias/[a-zA-Z0-9:/_-]+$", alias)
        and len(alias) <= 256
        and not alias.startswith("alias/aws/")
    ):
        return None
    return Refusal("ValidationException", f"Alias name {alias} is not valid")


@rule(
    "secretsmanager-replica-key",
    "aws:secretsmanager/secret:Secret",
    source="Secrets Manager User Guide, Troubleshoot replication: replication fails when the KMS key is "
    "disabled or not found in the replica Region",
    verbatim=False,
)
def _replica_key(d: Declared, world: World) -> Refusal | None:
    for replica in d.inputs.get("replicas") or []:
        key = replica.get("kmsKeyId")
        region = replica.get("region")
        if not key or not region:
            continue
        if str(key).startswith("arn:") and _region_of_arn(str(key)) != region:
            return Refusal("ReplicationFailed", f"The KMS key {key} is not in the replica Region {region}")
        try:
            world.client("kms", region).describe_key(KeyId=key)
        except ClientError:
            return Refusal("ReplicationFailed", f"The KMS key {key} is disabled or not found in {region}")
    return None


# ---------------------------------------------------------------------------------------------
# CloudWatch, Logs, Route 53, ECS, Application Auto Scaling

# CloudWatch Logs retention: these values only (PutRetentionPolicy, retentionInDays).
LOG_RETENTION_DAYS = {
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
}


@rule(
    "cloudwatch-alarm-period",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    source="CloudWatch API Reference, PutMetricAlarm: Period 10, 20, 30 or a multiple of 60; Period x "
    "EvaluationPeriods at most 86,400 seconds (604,800 for periods of an hour or more); 5 actions each",
    verbatim=False,
)
def _alarm(d: Declared, world: World) -> Refusal | None:
    period = whole(d.inputs.get("period", 60))
    evaluations = whole(d.inputs.get("evaluationPeriods", 1))
    if period not in (10, 20, 30) and period % 60:
        return Refusal("ValidationError", f"Period {period} must be 10, 20, 30 or a multiple of 60")
    ceiling = 604_800 if period >= 3_600 else 86_400
    if period * evaluations > ceiling:
        return Refusal("ValidationError", f"Period x EvaluationPeriods must not exceed {ceiling} seconds")
    for key in ("alarmActions", "okActions", "insufficientDataActions"):
        if len(d.inputs.get(key) or []) > 5:
            return Refusal("ValidationError", f"{key} takes at most 5 actions")
    return None


@rule(
    "logs-retention-values",
    "aws:cloudwatch/logGroup:LogGroup",
    source="CloudWatch Logs API Reference, PutRetentionPolicy, retentionInDays: one of the listed values",
    verbatim=False,
)
def _log_retention(d: Declared, world: World) -> Refusal | None:
    days = d.inputs.get("retentionInDays")
    if days is None or whole(days) in LOG_RETENTION_DAYS or whole(days) == 0:
        return None
    return Refusal("InvalidParameterException", f"retentionInDays {whole(days)} is not a supported value")


@rule(
    "route53-health-check",
    "aws:route53/healthCheck:HealthCheck",
    source="Route 53 API Reference, HealthCheckConfig: RequestInterval 10 or 30, FailureThreshold 1 to 10, "
    "ResourcePath at most 255 characters",
    verbatim=False,
)
def _health_check(d: Declared, world: World) -> Refusal | None:
    interval = whole(d.inputs.get("requestInterval", 30))
    threshold = whole(d.inputs.get("failureThreshold", 3))
    path = str(d.inputs.get("resourcePath", "/"))
    if interval not in (10, 30):
        return Refusal("InvalidInput", f"Invalid request: RequestInterval {interval} must be 10 or 30")
    if not 1 <= threshold <= 10:
        return Refusal(
            "InvalidInput", f"Invalid request: FailureThreshold {threshold} must be between 1 and 10"
        )
    if len(path) > 255:
        return Refusal("InvalidInput", "Invalid request: ResourcePath is longer than 255 characters")
    return None


@rule(
    "route53-failover-set-identifier",
    "aws:route53/record:Record",
    source="Route 53 API Reference, ResourceRecordSet: SetIdentifier is required with Failover",
)
def _failover_identifier(d: Declared, world: World) -> Refusal | None:
    if not d.inputs.get("failoverRoutingPolicies") or d.inputs.get("setIdentifier"):
        return None
    return Refusal(
        "InvalidInput",
        f"Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name={d.inputs.get('name')}, "
        f"Type={d.inputs.get('type')}, SetIdentifier=null]",
    )


# Fargate task sizes (ECS Developer Guide, Task CPU and memory): CPU units -> memory MiB.
FARGATE_SIZES = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
    8192: set(range(16384, 61441, 4096)),
    16384: set(range(32768, 122881, 8192)),
}


@rule(
    "ecs-fargate-size",
    "aws:ecs/taskDefinition:TaskDefinition",
    source="ECS Developer Guide, Task definition parameters, Task size: the CPU and memory pairs Fargate runs",
)
def _fargate_size(d: Declared, world: World) -> Refusal | None:
    if "FARGATE" not in (d.inputs.get("requiresCompatibilities") or []):
        return None
    cpu, memory = whole(d.inputs.get("cpu", 0)), whole(d.inputs.get("memory", 0))
    if memory in FARGATE_SIZES.get(cpu, set()):
        return None
    return Refusal(
        "ClientException",
        f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS "
        "documentation for the valid values.",
    )


@rule(
    "ecs-secrets-value-from",
    "aws:ecs/taskDefinition:TaskDefinition",
    source="ECS Developer Guide, Pass Secrets Manager secrets through environment variables: valueFrom is "
    "the secret's full ARN, optionally :json-key:version-stage:version-id",
    verbatim=False,
)
def _secrets(d: Declared, world: World) -> Refusal | None:
    definitions = json.loads(d.inputs.get("containerDefinitions") or "[]")
    for container in definitions:
        for secret in container.get("secrets") or []:
            if not str(secret.get("valueFrom", "")).startswith(("arn:aws:secretsmanager:", "arn:aws:ssm:")):
                return Refusal(
                    "ClientException",
                    f"Invalid valueFrom {secret.get('valueFrom')} for secret {secret.get('name')}",
                )
    return None


@rule(
    "autoscaling-min-max",
    "aws:appautoscaling/target:Target",
    source="Application Auto Scaling API Reference, RegisterScalableTarget: MinCapacity at most MaxCapacity",
    verbatim=False,
)
def _min_max(d: Declared, world: World) -> Refusal | None:
    if whole(d.inputs.get("minCapacity", 0)) <= whole(d.inputs.get("maxCapacity", 0)):
        return None
    return Refusal("ValidationException", "Minimum capacity cannot be greater than maximum capacity")


# ---------------------------------------------------------------------------------------------
# EC2


@rule(
    "ec2-subnet-in-a-zone-proper",
    "aws:ec2/subnet:Subnet",
    source="AWS Local Zones User Guide, How Local Zones work: a Local Zone offers a subset of services, which "
    "varies by zone (NAT gateways, RDS Multi-AZ and Application Load Balancers are not everywhere)",
    verbatim=False,
)
def _local_zone(d: Declared, world: World) -> Refusal | None:
    zone = d.inputs.get("availabilityZone")
    if zone not in LOCAL_ZONES.get(d.region, ()):
        return None
    return Refusal(
        "InvalidParameterValue",
        f"Value ({zone}) for parameter availabilityZone is invalid: {zone} is a Local Zone, where the network's "
        "NAT gateway, Multi-AZ database and load balancer are not all offered",
    )


# The Local Zones the emulated account has opted into: EC2 lists them with the Region's own zones
# (DescribeAvailabilityZones, OptInStatus "opted-in", ZoneType "local-zone") unless filtered out.
LOCAL_ZONES: dict[str, tuple[str, ...]] = {
    "us-east-1": ("us-east-1-bos-1a",),
    "us-west-2": ("us-west-2-lax-1a",),
}
