"""The emulator refuses what AWS refuses: every rule of offline/aws_rules.py, shown refusing the
shape it is about with AWS's own code, and accepting the shape the program declares instead.

Each case builds, in moto, what the rule reads (a source database, a destination bucket, subnets),
then asks the rule about one declared resource, as the emulator does before creating it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from continuity.names import bucket_prefix
from offline.aws_rules import RULES, AwsRefused, Declared, enforce, refusals

PRIMARY, DR = "us-east-1", "us-west-2"


class World:
    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region)


@pytest.fixture
def world(aws_credentials: None) -> Iterator[World]:
    with mock_aws():
        yield World()


def source_database(
    world: World,
    *,
    managed: bool = False,
    retention: int = 7,
    encrypted: bool = True,
    identifier: str = "orders-database",
) -> str:
    rds = world.client("rds", PRIMARY)
    db = rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        MasterUsername="continuity",
        AllocatedStorage=20,
        BackupRetentionPeriod=retention,
        StorageEncrypted=encrypted,
        **({"ManageMasterUserPassword": True} if managed else {"MasterUserPassword": "x" * 20}),
    )["DBInstance"]
    return str(db["DBInstanceArn"])


def subnets(world: World, zones: list[str]) -> list[str]:
    ec2 = world.client("ec2", PRIMARY)
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]


def bucket(world: World, name: str, region: str, *, versioned: bool) -> str:
    s3 = world.client("s3", region)
    s3.create_bucket(
        Bucket=name,
        **({"CreateBucketConfiguration": {"LocationConstraint": region}} if region != PRIMARY else {}),
    )
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def role(world: World, name: str) -> str:
    world.client("iam", PRIMARY).create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    return name


def attached(world: World, name: str, count: int) -> str:
    iam = world.client("iam", PRIMARY)
    role(world, name)
    for i in range(count):
        arn = iam.create_policy(PolicyName=f"{name}-{i}", PolicyDocument=policy(1))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return name


def dr_key(world: World) -> str:
    return str(world.client("kms", DR).create_key()["KeyMetadata"]["Arn"])


def policy(statements: int) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"S{i}",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::bucket-{i:06d}/*",
                }
                for i in range(statements)
            ],
        }
    )


ROOT_KEY_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }
)
REPLICATION_RULE: dict[str, Any] = {
    "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
    "destination": {
        "bucket": "arn:aws:s3:::orders-dr",
        "encryptionConfiguration": {"replicaKmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/k"},
        "replicationTime": {"status": "Enabled", "time": {"minutes": 15.0}},
        "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15.0}},
    },
}


# A restore testing plan and selection as components/restore_testing.py declares them.
RESTORE_TESTING_PLAN: dict[str, Any] = {
    "name": "orders_primary_database",
    "scheduleExpression": "cron(0 5 1/30 * ? *)",
    "startWindowHours": 1.0,
    "recoveryPointSelection": {
        "algorithm": "RANDOM_WITHIN_WINDOW",
        "includeVaults": ["arn:aws:backup:us-east-1:123456789012:backup-vault:orders-primary"],
        "recoveryPointTypes": ["CONTINUOUS"],
        "selectionWindowDays": 30.0,
    },
}
RESTORE_TESTING_SELECTION: dict[str, Any] = {
    "name": "database",
    "restoreTestingPlanName": "orders_primary_database",
    "protectedResourceType": "RDS",
    "iamRoleArn": "arn:aws:iam::123456789012:role/orders-backup-role",
    "protectedResourceArns": ["*"],
    "protectedResourceConditions": {
        "stringEquals": [{"key": "aws:ResourceTag/continuity:data-item", "value": "database"}]
    },
}


@dataclass
class Case:
    """One rule: a refused shape (with AWS's code and the start of its message) and an accepted one."""

    rule: str
    typ: str
    refused: dict[str, Any]
    accepted: dict[str, Any]
    code: str
    message: str
    region: str = PRIMARY
    name: str = "resource"
    given: Callable[[World], dict[str, Any]] = field(default=lambda world: {})


def _with(**values: Any) -> Callable[[World], dict[str, Any]]:
    return lambda world: values


CASES = [
    Case(
        "rds-identifier",
        "aws:rds/instance:Instance",
        {"identifier": "orders--db"},
        {"identifier": "orders-db"},
        "InvalidParameterValue",
        "The parameter DBInstanceIdentifier is not a valid identifier.",
    ),
    Case(
        "rds-identifier",
        "aws:rds/instance:Instance",
        {"identifier": "a" * 64},
        {"identifier": "a" * 63},
        "InvalidParameterValue",
        "The parameter DBInstanceIdentifier is not a valid identifier.",
    ),
    Case(
        "rds-replica-of-managed-password",
        "aws:rds/instance:Instance",
        {"replicateSourceDb": "{managed}", "kmsKeyId": "{dr_key}"},
        {"replicateSourceDb": "{source}", "kmsKeyId": "{dr_key}"},
        "InvalidParameterValue",
        "Creating read replicas for source instance with engine postgres where ManageMasterUserPassword is enabled is not supported",
        region=DR,
        given=lambda w: {
            "managed": source_database(w, managed=True, identifier="orders-managed"),
            "dr_key": dr_key(w),
        },
    ),
    Case(
        "rds-replica-source-backups",
        "aws:rds/instance:Instance",
        {"replicateSourceDb": "{source}", "kmsKeyId": "{dr_key}"},
        {"replicateSourceDb": "{source}", "kmsKeyId": "{dr_key}", "_retention": 7},
        "InvalidDBInstanceState",
        "Automated backups are not enabled for this database instance.",
        region=DR,
        given=lambda w: {"dr_key": dr_key(w)},
    ),
    Case(
        "rds-cross-region-replica-key",
        "aws:rds/instance:Instance",
        {"replicateSourceDb": "{source}"},
        {"replicateSourceDb": "{source}", "kmsKeyId": "{dr_key}"},
        "InvalidParameterCombination",
        "Cannot create a cross region unencrypted read replica from encrypted source.",
        region=DR,
        given=lambda w: {"source": source_database(w), "dr_key": dr_key(w)},
    ),
    Case(
        "rds-backup-retention-range",
        "aws:rds/instance:Instance",
        {"backupRetentionPeriod": 36.0},
        {"backupRetentionPeriod": 35.0},
        "ProviderCheck",
        "expected backup_retention_period to be in the range (0 - 35), got 36",
    ),
    Case(
        "rds-password-and-managed-password",
        "aws:rds/instance:Instance",
        {"manageMasterUserPassword": True, "password": "x" * 20},
        {"password": "x" * 20},
        "InvalidParameterCombination",
        "MasterUserPassword can't be specified with ManageMasterUserPassword.",
    ),
    Case(
        "rds-subnet-group-two-zones",
        "aws:rds/subnetGroup:SubnetGroup",
        {"subnetIds": "{one_zone}"},
        {"subnetIds": "{two_zones}"},
        "DBSubnetGroupDoesNotCoverEnoughAZs",
        "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement.",
        given=lambda w: {
            "one_zone": subnets(w, ["us-east-1a"]),
            "two_zones": subnets(w, ["us-east-1a", "us-east-1b"]),
        },
    ),
    Case(
        "rds-automated-backups-replication-key",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        {"sourceDbInstanceArn": "{source}"},
        {"sourceDbInstanceArn": "{source}", "kmsKeyId": "{dr_key}"},
        "InvalidParameterCombination",
        "Encrypted automated backups can only be replicated",
        region=DR,
        given=lambda w: {"source": source_database(w), "dr_key": dr_key(w)},
    ),
    Case(
        "s3-bucket-prefix-length",
        "aws:s3/bucket:Bucket",
        {"bucketPrefix": "knowledge-vault-application-data-primary-"},
        {"bucketPrefix": bucket_prefix("knowledge-vault", "application-data", "primary")},
        "ProviderCheck",
        "expected length of bucket_prefix to be in the range (0 - 37), got knowledge-vault-application-data-primary-",
    ),
    Case(
        "s3-replication-destination-versioning",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        {
            "rules": [
                {
                    **REPLICATION_RULE,
                    "destination": {
                        **REPLICATION_RULE["destination"],
                        "bucket": "arn:aws:s3:::{unversioned}",
                    },
                }
            ]
        },
        {
            "rules": [
                {
                    **REPLICATION_RULE,
                    "destination": {**REPLICATION_RULE["destination"], "bucket": "arn:aws:s3:::{versioned}"},
                }
            ]
        },
        "InvalidRequest",
        "Destination bucket must have versioning enabled.",
        given=lambda w: {
            "unversioned": bucket(w, "orders-dr-new", DR, versioned=False),
            "versioned": bucket(w, "orders-dr", DR, versioned=True),
        },
    ),
    Case(
        "s3-replication-kms-pair",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        {
            "rules": [
                {
                    **REPLICATION_RULE,
                    "destination": {
                        k: v
                        for k, v in REPLICATION_RULE["destination"].items()
                        if k != "encryptionConfiguration"
                    },
                }
            ]
        },
        {"rules": [REPLICATION_RULE]},
        "InvalidRequest",
        "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.",
        given=lambda w: {"_": bucket(w, "orders-dr", DR, versioned=True)},
    ),
    Case(
        "s3-replication-time-needs-metrics",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        {
            "rules": [
                {
                    **REPLICATION_RULE,
                    "destination": {
                        k: v for k, v in REPLICATION_RULE["destination"].items() if k != "metrics"
                    },
                }
            ]
        },
        {"rules": [REPLICATION_RULE]},
        "InvalidRequest",
        "Replication destination must contain both ReplicationTime and Metrics",
        given=lambda w: {"_": bucket(w, "orders-dr", DR, versioned=True)},
    ),
    Case(
        "s3-object-lock-retention",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 90.0, "years": 1.0}}},
        {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 90.0}}},
        "MalformedXML",
        "The XML you provided was not well-formed",
    ),
    Case(
        "s3-object-lock-retention",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 101.0}}},
        {"rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 7.0}}},
        "InvalidRetentionPeriod",
        "Default retention period is too large.",
    ),
    Case(
        "s3-lifecycle-transitions",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        {"rules": [{"transitions": [{"days": 10.0, "storageClass": "STANDARD_IA"}]}]},
        {"rules": [{"transitions": [{"days": 10.0, "storageClass": "GLACIER"}]}]},
        "InvalidArgument",
        "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
    ),
    Case(
        "iam-role-name",
        "aws:iam/role:Role",
        {},
        {},
        "ProviderCheck",
        "could not make instance of 'aws:iam/role:Role': name 'knowledge-vault-k8s-backups-application-data-dumps-nightly-' plus 7",
        name="knowledge-vault-k8s-backups-application-data-dumps-nightly",
    ),
    Case(
        "iam-managed-policies-per-role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "{full}"},
        {"role": "{room}"},
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerRole: 10",
        given=lambda w: {"full": attached(w, "full", 10), "room": attached(w, "room", 9)},
    ),
    Case(
        "iam-managed-policy-size",
        "aws:iam/policy:Policy",
        {"policy": policy(80)},
        {"policy": policy(40)},
        "LimitExceeded",
        "Cannot exceed quota for PolicySize: 6144",
    ),
    Case(
        "iam-role-inline-policies-size",
        "aws:iam/rolePolicy:RolePolicy",
        {"role": "{role}", "policy": policy(140)},
        {"role": "{role}", "policy": policy(40)},
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role orders",
        given=lambda w: {"role": role(w, "orders")},
    ),
    Case(
        "elb-target-group-name",
        "aws:lb/targetGroup:TargetGroup",
        {},
        {},
        "ProviderCheck",
        "could not make instance of 'aws:lb/targetGroup:TargetGroup': name 'heliosdb-app-database-api-' plus 7 random chars",
        name="heliosdb-app-database-api",
    ),
    Case(
        "elb-load-balancer-name",
        "aws:lb/loadBalancer:LoadBalancer",
        {"name": "a" * 33, "loadBalancerType": "network"},
        {"name": "a" * 32, "loadBalancerType": "network"},
        "ProviderCheck",
        '"name" cannot be longer than 32 characters',
    ),
    Case(
        "elb-alb-two-zones",
        "aws:lb/loadBalancer:LoadBalancer",
        {"name": "orders", "subnets": "{one_zone}"},
        {"name": "orders", "subnets": "{two_zones}"},
        "ValidationError",
        "At least two subnets in two different Availability Zones must be specified",
        given=lambda w: {
            "one_zone": subnets(w, ["us-east-1a"]),
            "two_zones": subnets(w, ["us-east-1a", "us-east-1b"]),
        },
    ),
    Case(
        "elb-listener-rule-priority",
        "aws:lb/listenerRule:ListenerRule",
        {"priority": 50001.0},
        {"priority": 1.0},
        "ValidationError",
        "Priority '50001' must be between 1 and 50000",
    ),
    Case(
        "elb-health-check-path",
        "aws:lb/targetGroup:TargetGroup",
        {"healthCheck": {"path": "health"}},
        {"healthCheck": {"path": "/health"}},
        "ValidationError",
        "Health check path 'health' must start with '/'",
    ),
    Case(
        "backup-plan-name",
        "aws:backup/plan:Plan",
        {"name": "orders-primary-" + "x" * 40},
        {"name": "orders-primary-database"},
        "InvalidParameterValueException",
        "Invalid backup plan name",
    ),
    Case(
        "backup-selection-name",
        "aws:backup/selection:Selection",
        {"name": "s" * 51},
        {"name": "s" * 50},
        "ProviderCheck",
        "expected length of name to be in the range (1 - 50)",
    ),
    Case(
        "backup-vault-name",
        "aws:backup/vault:Vault",
        {"name": "orders.primary"},
        {"name": "orders-primary"},
        "InvalidParameterValueException",
        "Invalid backup vault name orders.primary",
    ),
    Case(
        "backup-restore-testing-name",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        {**RESTORE_TESTING_PLAN, "name": "orders-primary-database"},
        RESTORE_TESTING_PLAN,
        "ValidationException",
        "Invalid restore testing name orders-primary-database",
    ),
    Case(
        "backup-restore-testing-name",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        {**RESTORE_TESTING_SELECTION, "name": "d" * 51},
        {**RESTORE_TESTING_SELECTION, "name": "d" * 50},
        "ValidationException",
        "Invalid restore testing name ddd",
    ),
    Case(
        "backup-restore-testing-windows",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        {
            **RESTORE_TESTING_PLAN,
            "recoveryPointSelection": {
                **RESTORE_TESTING_PLAN["recoveryPointSelection"],
                "selectionWindowDays": 366.0,
            },
        },
        RESTORE_TESTING_PLAN,
        "ValidationException",
        "selectionWindowDays must be between 1 and 365, got 366",
    ),
    Case(
        "backup-restore-testing-windows",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        {**RESTORE_TESTING_PLAN, "startWindowHours": 0.0},
        RESTORE_TESTING_PLAN,
        "ValidationException",
        "startWindowHours must be between 1 and 168, got 0",
    ),
    Case(
        "backup-restore-testing-windows",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        {
            **RESTORE_TESTING_PLAN,
            "recoveryPointSelection": {
                **RESTORE_TESTING_PLAN["recoveryPointSelection"],
                "recoveryPointTypes": ["BACKUP"],
            },
        },
        RESTORE_TESTING_PLAN,
        "ValidationException",
        "Invalid RecoveryPointTypes ['BACKUP']",
    ),
    Case(
        "backup-restore-testing-windows",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        {**RESTORE_TESTING_SELECTION, "validationWindowHours": 169.0},
        RESTORE_TESTING_SELECTION,
        "ValidationException",
        "validationWindowHours must be between 1 and 168, got 169",
    ),
    Case(
        "backup-restore-testing-selection",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        {
            **RESTORE_TESTING_SELECTION,
            "protectedResourceArns": ["arn:aws:rds:us-east-1:1:db:orders-database"],
        },
        RESTORE_TESTING_SELECTION,
        "ValidationException",
        "ProtectedResourceConditions can only be used with ProtectedResourceArns *",
    ),
    Case(
        "backup-restore-testing-selection",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        {
            **RESTORE_TESTING_SELECTION,
            "protectedResourceConditions": {
                "stringEquals": [{"key": "continuity:data-item", "value": "database"}]
            },
        },
        RESTORE_TESTING_SELECTION,
        "ValidationException",
        "Invalid condition key continuity:data-item",
    ),
    Case(
        "backup-restore-testing-selection",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        {**RESTORE_TESTING_SELECTION, "protectedResourceType": "Aurora cluster"},
        RESTORE_TESTING_SELECTION,
        "ValidationException",
        "Unsupported ProtectedResourceType Aurora cluster",
    ),
    Case(
        "backup-rule-start-window",
        "aws:backup/plan:Plan",
        {"name": "p", "rules": [{"ruleName": "r", "startWindow": 30.0}]},
        {"name": "p", "rules": [{"ruleName": "r", "startWindow": 60.0}]},
        "InvalidParameterValueException",
        "Error in rule r : StartWindowMinutes must be at least 60 minutes",
    ),
    Case(
        "backup-lifecycle",
        "aws:backup/plan:Plan",
        {
            "name": "p",
            "rules": [{"ruleName": "r", "lifecycle": {"deleteAfter": 100.0, "coldStorageAfter": 30.0}}],
        },
        {
            "name": "p",
            "rules": [{"ruleName": "r", "lifecycle": {"deleteAfter": 120.0, "coldStorageAfter": 30.0}}],
        },
        "InvalidParameterValueException",
        "Error in rule r : Invalid lifecycle. DeleteAfterDays cannot be less than 90 days apart from MoveToColdStorageAfterDays",
    ),
    Case(
        "backup-lifecycle",
        "aws:backup/plan:Plan",
        {
            "name": "p",
            "rules": [{"ruleName": "r", "enableContinuousBackup": True, "lifecycle": {"deleteAfter": 36.0}}],
        },
        {
            "name": "p",
            "rules": [{"ruleName": "r", "enableContinuousBackup": True, "lifecycle": {"deleteAfter": 35.0}}],
        },
        "InvalidParameterValueException",
        "Error in rule r : Invalid lifecycle. Continuous backups can be retained for 1 to 35 days",
    ),
    Case(
        "kms-key-policy-lockout",
        "aws:kms/key:Key",
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "logs.amazonaws.com"},
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                        }
                    ]
                }
            )
        },
        {"policy": ROOT_KEY_POLICY},
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    ),
    Case(
        "kms-deletion-window",
        "aws:kms/key:Key",
        {"deletionWindowInDays": 31.0},
        {"deletionWindowInDays": 30.0},
        "ValidationException",
        "PendingWindowInDays must be between 7 and 30",
    ),
    Case(
        "kms-alias-name",
        "aws:kms/alias:Alias",
        {"name": "alias/aws/orders"},
        {"name": "alias/orders-primary"},
        "ValidationException",
        "Alias name alias/aws/orders is not valid",
    ),
    Case(
        "secretsmanager-replica-key",
        "aws:secretsmanager/secret:Secret",
        {"replicas": [{"region": DR, "kmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/missing"}]},
        {"replicas": [{"region": DR, "kmsKeyId": "{dr_key}"}]},
        "ReplicationFailed",
        "The KMS key arn:aws:kms:us-west-2:123456789012:key/missing is disabled or not found in us-west-2",
        given=lambda w: {"dr_key": dr_key(w)},
    ),
    Case(
        "cloudwatch-alarm-period",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"period": 45.0},
        {"period": 60.0},
        "ValidationError",
        "Period 45 must be 10, 20, 30 or a multiple of 60",
    ),
    Case(
        "logs-retention-values",
        "aws:cloudwatch/logGroup:LogGroup",
        {"retentionInDays": 45.0},
        {"retentionInDays": 30.0},
        "InvalidParameterException",
        "retentionInDays 45 is not a supported value",
    ),
    Case(
        "route53-health-check",
        "aws:route53/healthCheck:HealthCheck",
        {"requestInterval": 20.0},
        {"requestInterval": 30.0},
        "InvalidInput",
        "Invalid request: RequestInterval 20 must be 10 or 30",
    ),
    Case(
        "route53-failover-set-identifier",
        "aws:route53/record:Record",
        {"name": "orders.example.com", "type": "A", "failoverRoutingPolicies": [{"type": "PRIMARY"}]},
        {
            "name": "orders.example.com",
            "type": "A",
            "failoverRoutingPolicies": [{"type": "PRIMARY"}],
            "setIdentifier": "primary",
        },
        "InvalidInput",
        "Invalid request: Missing field 'SetIdentifier'",
    ),
    Case(
        "ecs-fargate-size",
        "aws:ecs/taskDefinition:TaskDefinition",
        {"requiresCompatibilities": ["FARGATE"], "cpu": "1024", "memory": "1024"},
        {"requiresCompatibilities": ["FARGATE"], "cpu": "1024", "memory": "2048"},
        "ClientException",
        "No Fargate configuration exists for given values: 1024 CPU, 1024 memory.",
    ),
    Case(
        "ecs-secrets-value-from",
        "aws:ecs/taskDefinition:TaskDefinition",
        {
            "containerDefinitions": json.dumps(
                [{"secrets": [{"name": "P", "valueFrom": "orders/database/master"}]}]
            )
        },
        {
            "containerDefinitions": json.dumps(
                [
                    {
                        "secrets": [
                            {
                                "name": "P",
                                "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s:password::",
                            }
                        ]
                    }
                ]
            )
        },
        "ClientException",
        "Invalid valueFrom orders/database/master for secret P",
    ),
    Case(
        "autoscaling-min-max",
        "aws:appautoscaling/target:Target",
        {"minCapacity": 4.0, "maxCapacity": 2.0},
        {"minCapacity": 2.0, "maxCapacity": 4.0},
        "ValidationException",
        "Minimum capacity cannot be greater than maximum capacity",
    ),
    Case(
        "ec2-subnet-in-a-zone-proper",
        "aws:ec2/subnet:Subnet",
        {"availabilityZone": "us-east-1-bos-1a"},
        {"availabilityZone": "us-east-1a"},
        "InvalidParameterValue",
        "Value (us-east-1-bos-1a) for parameter availabilityZone is invalid",
    ),
]


def fill(value: Any, given: dict[str, Any]) -> Any:
    """Put what the case built in moto into the declared inputs ("{name}" placeholders)."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in given:
        return given[value[1:-1]]
    if isinstance(value, str) and "{" in value:
        for key, found in given.items():
            value = value.replace("{" + key + "}", str(found))
        return value
    if isinstance(value, dict):
        return {k: fill(v, given) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [fill(v, given) for v in value]
    return value


def rule_refusals(case: Case, inputs: dict[str, Any], world: World) -> list[tuple[str, str, str]]:
    declared = Declared(case.typ, case.name, inputs, case.region)
    return [
        (r.id, f.code, f.message) for r, f in refusals(declared, world, phase="create") if r.id == case.rule
    ]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}-{i}" for i, c in enumerate(CASES)])
def test_rule_refuses_what_aws_refuses(case: Case, world: World) -> None:
    # GIVEN what the rule reads, as AWS would hold it
    given = case.given(world)
    if case.rule == "rds-replica-source-backups":
        given["source"] = source_database(world, retention=0)
    elif "source" not in given and "{source}" in json.dumps(case.accepted):
        given["source"] = source_database(world)
    # WHEN the refused shape is declared THEN AWS's code and message
    (found,) = rule_refusals(case, fill(case.refused, given), world)
    assert found[1] == case.code
    assert found[2].startswith(case.message), found[2]
    # AND the shape the program declares instead passes the rule
    if case.rule == "rds-replica-source-backups":
        world.client("rds", PRIMARY).modify_db_instance(
            DBInstanceIdentifier="orders-database", BackupRetentionPeriod=7, ApplyImmediately=True
        )
    accepted_name = "short" if case.rule in ("iam-role-name", "elb-target-group-name") else case.name
    accepted = Case(case.rule, case.typ, {}, {}, "", "", case.region, accepted_name)
    assert rule_refusals(accepted, fill(case.accepted, given), world) == []


def test_every_rule_has_a_case() -> None:
    tested = {case.rule for case in CASES} | {"rds-replica-final-snapshot"}
    assert {r.id for r in RULES} == tested


def test_a_read_replica_cannot_be_deleted_with_a_final_snapshot(world: World) -> None:
    # GIVEN a replica declared as today's code declared it, and as the program declares it now
    old = Declared(
        "aws:rds/instance:Instance",
        "db",
        {"replicateSourceDb": "arn:aws:rds:us-east-1:1:db:x", "skipFinalSnapshot": False},
        DR,
    )
    new = Declared(
        "aws:rds/instance:Instance",
        "db",
        {"replicateSourceDb": "arn:aws:rds:us-east-1:1:db:x", "skipFinalSnapshot": True},
        DR,
    )
    # WHEN `pulumi destroy` would delete them THEN the old shape is refused with AWS's error
    with pytest.raises(
        AwsRefused, match="InvalidParameterCombination: FinalDBSnapshotIdentifier can not be specified"
    ):
        enforce(old, world, phase="delete")
    enforce(new, world, phase="delete")
    # AND creating either is not what the rule is about
    assert [r.id for r, _ in refusals(old, world)] == []


def test_every_rule_cites_its_source() -> None:
    for each in RULES:
        assert len(each.source) > 30, each.id
        assert any(word in each.source for word in ("Reference", "Guide", "pulumi-aws")), each.id
