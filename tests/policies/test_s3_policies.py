"""S3 policies (stack policies joined on property dependencies): a compliant stack passes; each case
breaks one property or one join and gets the exact violation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_PLAN
from tests.policies.conftest import EXAMPLES, Check, plan_at
from tests.policies.synthetic import (
    BUCKET,
    DELETE,
    ENCRYPTION,
    LIFECYCLE,
    OBJECT_LOCK,
    PUBLIC_ACCESS_BLOCK,
    REPLICATION,
    STACK,
    VERSIONING,
    stack_states,
    urn,
    without,
    without_dependency,
)
from tests.policies.synthetic import changed as set_prop

Mutation = Callable[[list], list]
KATYA = EXAMPLES / "katya.yaml"
VAPORA = EXAMPLES / "vapora.yaml"

FILES = 'plan data "user-files" (tier important)'
AUDIT = 'plan data "audit-logs" (tier critical)'
STACK_PRIMARY = urn("primary", STACK, "continuity-primary")
STACK_DR = urn("dr", STACK, "continuity-dr")


def at(kind: str, name: str, role: str = "primary") -> str:
    return urn(role, kind, name)


def stack(role: str = "primary", plan: Path = DEFAULT_PLAN, preview: bool = False) -> Callable[[], list]:
    return lambda: stack_states(plan_at(plan), role, preview=preview)


def unchanged(states: list) -> list:
    return states


def prop(name: str, path: str, value: object) -> Mutation:
    return lambda states: set_prop(states, name, path, value)


def retyped(name: str, kind: str) -> Mutation:
    return lambda states: [replace(s, type=kind) if s.name == name else s for s in states]


FILES_BUCKET = at(BUCKET, "orders-user-files-bucket")
KEEPS_VERSIONS = f"{FILES} keeps old versions 90 days"


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack("dr"), unchanged, [], id="dr_baseline"),
        pytest.param(
            stack(),
            retyped("orders-user-files-versioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"),
            [],
            id="deprecated_v2_resource",
        ),
        pytest.param(
            stack(),
            prop("orders-user-files-versioning", "versioningConfiguration.status", "Suspended"),
            [
                (
                    at(VERSIONING, "orders-user-files-versioning"),
                    f'versioningConfiguration.status is "Suspended"; {KEEPS_VERSIONS}',
                )
            ],
            id="suspended",
        ),
        pytest.param(
            stack(),
            lambda s: without(s, "orders-user-files-versioning"),
            [
                (
                    FILES_BUCKET,
                    f"no aws:s3/bucketVersioning:BucketVersioning depends on this bucket; {KEEPS_VERSIONS}",
                )
            ],
            id="no_versioning",
        ),
        pytest.param(
            stack(),
            lambda s: without_dependency(s, "orders-user-files-versioning", "bucket"),
            [
                (
                    FILES_BUCKET,
                    f"no aws:s3/bucketVersioning:BucketVersioning depends on this bucket; {KEEPS_VERSIONS}",
                )
            ],
            id="versioning_of_another_bucket",
        ),
    ],
)
def test_s3_bucket_enable_versioning(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("s3-bucket-enable-versioning", mutation(make())) == expected


FILES_LOCK = at(OBJECT_LOCK, "orders-user-files-lock")
FILES_IMMUTABLE = f"{FILES} is immutable: COMPLIANCE 90 days"
AUDIT_IMMUTABLE = f"{AUDIT} is immutable: COMPLIANCE 7 years"


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="dr_baseline"),
        pytest.param(stack(plan=VAPORA), VAPORA, unchanged, [], id="kubernetes_dumps_baseline"),
        pytest.param(stack(plan=KATYA), KATYA, unchanged, [], id="mutable_item_needs_no_lock"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-user-files-bucket", "objectLockEnabled", False),
            [(FILES_BUCKET, f"objectLockEnabled is false; {FILES_IMMUTABLE}")],
            id="lock_disabled_on_bucket",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(s, "orders-user-files-lock"),
            [
                (
                    FILES_BUCKET,
                    f"no aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration depends on this bucket; {FILES_IMMUTABLE}",
                )
            ],
            id="no_default_retention",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-user-files-lock", "rule.defaultRetention.mode", "GOVERNANCE"),
            [(FILES_LOCK, f'rule.defaultRetention.mode is "GOVERNANCE"; {FILES_IMMUTABLE}')],
            id="governance_mode",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-user-files-lock", "rule.defaultRetention.days", 30.0),
            [(FILES_LOCK, f"rule.defaultRetention.days is 30; {FILES_IMMUTABLE}")],
            id="days_shorter",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: set_prop(
                set_prop(s, "orders-user-files-lock", "rule.defaultRetention.days", DELETE),
                "orders-user-files-lock",
                "rule.defaultRetention.years",
                1.0,
            ),
            [],
            id="a_year_covers_90_days",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-audit-logs-lock", "rule.defaultRetention.years", 5.0),
            [
                (
                    at(OBJECT_LOCK, "orders-audit-logs-lock"),
                    f"rule.defaultRetention.years is 5; {AUDIT_IMMUTABLE}",
                )
            ],
            id="years_shorter",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: set_prop(
                set_prop(s, "orders-audit-logs-lock", "rule.defaultRetention.years", DELETE),
                "orders-audit-logs-lock",
                "rule.defaultRetention.days",
                2557.0,
            ),
            [],
            id="seven_years_in_days",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: set_prop(
                set_prop(s, "orders-audit-logs-lock", "rule.defaultRetention.years", DELETE),
                "orders-audit-logs-lock",
                "rule.defaultRetention.days",
                2555.0,
            ),
            [
                (
                    at(OBJECT_LOCK, "orders-audit-logs-lock"),
                    f"rule.defaultRetention.days is 2555; {AUDIT_IMMUTABLE}",
                )
            ],
            id="seven_times_365_days_misses_the_leap_days",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-user-files-lock", "rule.defaultRetention.days", DELETE),
            [(FILES_LOCK, f"rule.defaultRetention sets neither days nor years; {FILES_IMMUTABLE}")],
            id="no_period",
        ),
    ],
)
def test_s3_bucket_require_object_lock(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("s3-bucket-require-object-lock", mutation(make()), plan) == expected


FILES_SSE = at(ENCRYPTION, "orders-user-files-sse")
SSE_KMS = f"{FILES} needs SSE-KMS with a customer managed key"
DEFAULT = "rules[0].applyServerSideEncryptionByDefault"


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack(preview=True), unchanged, [], id="preview_key_from_this_stack"),
        pytest.param(
            stack(),
            prop("orders-user-files-sse", f"{DEFAULT.replace('[0]', '.0')}.sseAlgorithm", "AES256"),
            [(FILES_SSE, f'{DEFAULT}.sseAlgorithm is "AES256"; {SSE_KMS}')],
            id="s3_managed_keys",
        ),
        pytest.param(
            stack(),
            prop("orders-user-files-sse", f"{DEFAULT.replace('[0]', '.0')}.kmsMasterKeyId", DELETE),
            [(FILES_SSE, f"{DEFAULT}.kmsMasterKeyId is not set (the AWS managed key aws/s3); {SSE_KMS}")],
            id="aws_managed_kms_key",
        ),
        pytest.param(
            stack(),
            lambda s: without(s, "orders-user-files-sse"),
            [
                (
                    FILES_BUCKET,
                    "no aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration depends "
                    f"on this bucket; {SSE_KMS}",
                )
            ],
            id="no_default_encryption",
        ),
        pytest.param(
            stack(preview=True),
            lambda s: without_dependency(s, "orders-user-files-sse", "rules"),
            [
                (
                    STACK_PRIMARY,
                    "can't run policy 's3-bucket-require-kms-encryption' from policy pack 'continuity@v0.0.1' during "
                    "preview: string value at .rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId can't be known "
                    "during preview",
                )
            ],
            id="preview_key_of_unknown_origin",
        ),
    ],
)
def test_s3_bucket_require_kms_encryption(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("s3-bucket-require-kms-encryption", mutation(make())) == expected


FILES_BLOCK = at(PUBLIC_ACCESS_BLOCK, "orders-user-files-public-access")
NOT_PUBLIC = f"{FILES} must not be public"


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        pytest.param(unchanged, [], id="baseline"),
        pytest.param(
            prop("orders-user-files-public-access", "blockPublicPolicy", False),
            [(FILES_BLOCK, f"blockPublicPolicy is false; {NOT_PUBLIC}")],
            id="public_policy_allowed",
        ),
        pytest.param(
            prop("orders-user-files-public-access", "restrictPublicBuckets", DELETE),
            [(FILES_BLOCK, f"restrictPublicBuckets is not set; {NOT_PUBLIC}")],
            id="public_buckets_unrestricted",
        ),
        pytest.param(
            lambda s: without(s, "orders-user-files-public-access"),
            [
                (
                    FILES_BUCKET,
                    f"no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock depends on this bucket; {NOT_PUBLIC}",
                )
            ],
            id="no_public_access_block",
        ),
    ],
)
def test_s3_bucket_disallow_public_access(violations: Check, mutation: Mutation, expected: list) -> None:
    assert violations("s3-bucket-disallow-public-access", mutation(stack()())) == expected


DR_FILES_BUCKET = at(BUCKET, "orders-user-files-bucket", "dr")
FILES_REPLICATION = at(REPLICATION, "orders-user-files-replication", "dr")
COPY_TO_DR = f"{FILES} has copy_to_dr true"


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack("dr"), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack("dr", preview=True), DEFAULT_PLAN, unchanged, [], id="preview_baseline"),
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="primary_not_judged"),
        pytest.param(stack("dr", KATYA), KATYA, unchanged, [], id="item_without_copy_to_dr"),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            lambda s: without(s, "orders-user-files-replication"),
            [
                (
                    DR_FILES_BUCKET,
                    "no aws:s3/bucketReplicationConfig:BucketReplicationConfig replicates into this bucket (none has "
                    f"rules depending on it); {COPY_TO_DR}",
                )
            ],
            id="not_replicated",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            lambda s: without_dependency(s, "orders-user-files-replication", "rules"),
            [
                (
                    DR_FILES_BUCKET,
                    "no aws:s3/bucketReplicationConfig:BucketReplicationConfig replicates into this bucket (none has "
                    f"rules depending on it); {COPY_TO_DR}",
                )
            ],
            id="replicated_elsewhere",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop("orders-user-files-replication", "rules.0.status", "Disabled"),
            [(FILES_REPLICATION, f'rules[0].status is "Disabled"; {COPY_TO_DR}')],
            id="rule_disabled",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop("orders-user-files-replication", "rules", []),
            [(FILES_REPLICATION, f"rules is empty; {COPY_TO_DR}")],
            id="no_rules",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop("orders-user-files-replication", "region", "us-west-2"),
            [
                (
                    FILES_REPLICATION,
                    f"region is us-west-2; {COPY_TO_DR}, and its replication belongs on the primary bucket in us-east-1",
                )
            ],
            id="configured_in_the_dr_region",
        ),
        pytest.param(
            stack("dr"),
            DEFAULT_PLAN,
            prop("orders-user-files-replication", "region", DELETE),
            [
                (
                    FILES_REPLICATION,
                    f"region is us-west-2; {COPY_TO_DR}, and its replication belongs on the primary bucket in us-east-1",
                )
            ],
            id="region_of_the_dr_provider",
        ),
    ],
)
def test_s3_bucket_require_dr_replication(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("s3-bucket-require-dr-replication", mutation(make()), plan) == expected


FILES_LIFECYCLE = at(LIFECYCLE, "orders-user-files-lifecycle")


@pytest.mark.parametrize(
    ("make", "plan", "mutation", "expected"),
    [
        pytest.param(stack(), DEFAULT_PLAN, unchanged, [], id="baseline"),
        pytest.param(stack(plan=VAPORA), VAPORA, unchanged, [], id="kubernetes_dumps_baseline"),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-user-files-lifecycle", "rules.0.noncurrentVersionExpiration.noncurrentDays", 30.0),
            [
                (
                    FILES_LIFECYCLE,
                    f"rules[0].noncurrentVersionExpiration.noncurrentDays is 30 days; {FILES} keeps 90 days",
                )
            ],
            id="versions_expire_early",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: set_prop(
                set_prop(
                    s,
                    "orders-user-files-lifecycle",
                    "rules.0.noncurrentVersionExpiration.noncurrentDays",
                    30.0,
                ),
                "orders-user-files-lifecycle",
                "rules.0.status",
                "Disabled",
            ),
            [],
            id="disabled_rule",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            prop("orders-user-files-lifecycle", "rules.0.expiration", {"days": 30.0}),
            [],
            id="expired_objects_stay_as_versions",
        ),
        pytest.param(
            stack(plan=VAPORA),
            VAPORA,
            prop("vapora-surrealdb-lifecycle", "rules.0.expiration.days", 7.0),
            [
                (
                    at(LIFECYCLE, "vapora-surrealdb-lifecycle"),
                    'rules[0].expiration.days is 7 days; plan data "surrealdb" (tier critical) keeps 31 days',
                )
            ],
            id="dumps_expire_early",
        ),
        pytest.param(
            stack(),
            DEFAULT_PLAN,
            lambda s: without(s, "orders-user-files-lifecycle"),
            [],
            id="no_lifecycle_keeps_everything",
        ),
    ],
)
def test_s3_bucket_require_version_retention(
    violations: Check, make: Callable[[], list], plan: Path, mutation: Mutation, expected: list
) -> None:
    assert violations("s3-bucket-require-version-retention", mutation(make()), plan) == expected


@pytest.mark.parametrize(
    ("make", "mutation", "expected"),
    [
        pytest.param(stack(), unchanged, [], id="baseline"),
        pytest.param(stack("dr"), unchanged, [], id="dr_baseline"),
        pytest.param(
            stack(),
            retyped("orders-user-files-bucket", "aws:s3/bucketV2:BucketV2"),
            [],
            id="deprecated_v2_bucket",
        ),
        pytest.param(
            stack(),
            lambda s: without(s, "orders-user-files-bucket"),
            [
                (
                    STACK_PRIMARY,
                    f'{FILES} has no aws:s3/bucket:Bucket tagged continuity:data-item "user-files" in the primary stack',
                )
            ],
            id="bucket_missing",
        ),
        pytest.param(
            stack("dr"),
            lambda s: without(s, "orders-audit-logs-bucket"),
            [
                (
                    STACK_DR,
                    f'{AUDIT} has no aws:s3/bucket:Bucket tagged continuity:data-item "audit-logs" in the DR stack',
                )
            ],
            id="dr_bucket_missing",
        ),
        pytest.param(
            stack(),
            prop("orders-user-files-bucket", "tags.continuity:data-item", "database"),
            [
                (
                    FILES_BUCKET,
                    'continuity:data-item is "database", which the plan keeps in rds, not on aws:s3/bucket:Bucket',
                ),
                (
                    STACK_PRIMARY,
                    f'{FILES} has no aws:s3/bucket:Bucket tagged continuity:data-item "user-files" in the primary stack',
                ),
            ],
            id="tagged_with_item_of_another_store",
        ),
    ],
)
def test_s3_bucket_require_coverage(
    violations: Check, make: Callable[[], list], mutation: Mutation, expected: list
) -> None:
    assert violations("s3-bucket-require-coverage", mutation(make())) == expected
