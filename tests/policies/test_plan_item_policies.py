"""Nothing escapes: every stateful resource belongs to a plan item or carries a reasoned exemption,
and the security policies that do not depend on the plan judge every resource, tagged or not.

Each case adds one resource to the default plan's compliant primary stack and names the exact
violations of one policy (a compliant baseline passes every one of them)."""

from __future__ import annotations

from typing import Any

import pytest

from offline.policy_report import exemptions
from offline.stack_state import ResourceState
from tests.conftest import DEFAULT_PLAN
from tests.policies.conftest import EXAMPLES, Check, plan_at, run
from tests.policies.synthetic import STACK, stack_states, urn

TAGS = {"continuity:service": "orders", "continuity:role": "primary"}
WAY_OUT = 'or exempt it with continuity:exempt: "<why>"'
NO_STORE = "and the plan keeps data only in rds, s3 and kubernetes stores: move the data into one, " + WAY_OUT
RDS = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"
EFS = "aws:efs/fileSystem:FileSystem"
EBS = "aws:ebs/volume:Volume"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
VAPORA = EXAMPLES / "vapora.yaml"


def resource(type_: str, name: str, inputs: dict[str, Any], role: str = "primary") -> ResourceState:
    return ResourceState(
        urn=urn(role, type_, name),
        type=type_,
        inputs=inputs,
        outputs=dict(inputs),
        parent=urn(role, STACK, f"continuity-{role}"),
    )


def k8s(kind: str, labels: dict[str, str], annotations: dict[str, str] | None = None, **spec: Any) -> dict:
    metadata: dict[str, Any] = {"name": "data", "labels": labels}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"kind": kind, "metadata": metadata, "spec": spec}


@pytest.mark.parametrize(
    ("policy", "added", "expected"),
    [
        pytest.param(
            "rds-instance-require-plan-item",
            resource(RDS, "legacy-db", {"backupRetentionPeriod": 1, "publiclyAccessible": True}),
            "continuity:data-item is not set; this aws:rds/instance:Instance holds data no plan item covers: "
            f'tag it with a data item of plan "orders" kept in rds (database), {WAY_OUT}',
            id="rds_untagged",
        ),
        pytest.param(
            "rds-instance-require-plan-item",
            resource(
                RDS,
                "billing-db",
                {"tags": {"continuity:service": "billing", "continuity:data-item": "database"}},
            ),
            'continuity:service is "billing"; this stack is judged against plan "orders", so its state '
            f"belongs to no item of it: tag it for this plan, {WAY_OUT}",
            id="rds_of_another_service",
        ),
        pytest.param(
            "rds-instance-require-plan-item",
            resource(RDS, "files-db", {"tags": {**TAGS, "continuity:data-item": "user-files"}}),
            'continuity:data-item is "user-files", which plan "orders" keeps in s3, not on aws:rds/instance:Instance',
            id="rds_tagged_with_an_s3_item",
        ),
        pytest.param(
            "rds-instance-require-plan-item",
            resource(RDS, "ledger-db", {"tags": {**TAGS, "continuity:data-item": "ledger"}}),
            'continuity:data-item is "ledger"; plan "orders" has no such data item '
            "(data: database, user-files, audit-logs)",
            id="rds_tagged_with_no_item",
        ),
        pytest.param(
            "rds-instance-require-plan-item",
            resource(RDS, "scratch-db", {"tags": {"continuity:exempt": "yes"}}),
            'continuity:exempt is "yes", which gives no reason; write why this state needs no plan item '
            '(e.g. continuity:exempt: "scratch copy rebuilt nightly from orders")',
            id="rds_exemption_without_reason",
        ),
        pytest.param(
            "rds-cluster-require-plan-item",
            resource(CLUSTER, "analytics", {"storageEncrypted": True}),
            f"continuity:data-item is not set; this {CLUSTER} holds data no plan item covers, {NO_STORE}",
            id="cluster_untagged",
        ),
        pytest.param(
            "dynamodb-table-require-plan-item",
            resource(TABLE, "sessions", {"tags": TAGS}),
            f"continuity:data-item is not set; this {TABLE} holds data no plan item covers, {NO_STORE}",
            id="table_untagged",
        ),
        pytest.param(
            "dynamodb-table-require-plan-item",
            resource(TABLE, "orders-table", {"tags": {**TAGS, "continuity:data-item": "database"}}),
            f'continuity:data-item is "database", which plan "orders" keeps in rds, not on {TABLE}',
            id="table_tagged_with_an_rds_item",
        ),
        pytest.param(
            "efs-filesystem-require-plan-item",
            resource(EFS, "shared", {"encrypted": True}),
            f"continuity:data-item is not set; this {EFS} holds data no plan item covers, {NO_STORE}",
            id="efs_untagged",
        ),
        pytest.param(
            "ebs-volume-require-plan-item",
            resource(EBS, "scratch", {"encrypted": True, "size": 100}),
            f"continuity:data-item is not set; this {EBS} holds data no plan item covers, {NO_STORE}",
            id="ebs_untagged",
        ),
        pytest.param(
            "s3-bucket-require-plan-item",
            resource(BUCKET, "exports", {"tags": TAGS}),
            f"continuity:data-item is not set; this {BUCKET} holds data no plan item covers: tag it with a "
            f'data item of plan "orders" kept in s3 or kubernetes (user-files, audit-logs), {WAY_OUT}',
            id="bucket_untagged",
        ),
        pytest.param(
            "kubernetes-pvc-require-plan-item",
            resource(PVC, "data", k8s("PersistentVolumeClaim", {})),
            f"continuity.data-item is not set; this {PVC} holds data no plan item covers: tag it with a data "
            'item of plan "orders" kept in kubernetes (it has none), or exempt it with continuity.exempt: "<why>"',
            id="pvc_unlabelled",
        ),
        pytest.param(
            "kubernetes-pvc-require-plan-item",
            resource(
                STATEFUL_SET, "db", k8s("StatefulSet", {}, volumeClaimTemplates=[{"metadata": {"name": "d"}}])
            ),
            f"continuity.data-item is not set; this {STATEFUL_SET} holds data no plan item covers: tag it with "
            'a data item of plan "orders" kept in kubernetes (it has none), or exempt it with continuity.exempt: "<why>"',
            id="stateful_set_with_volume_claims",
        ),
        # Security that does not depend on the plan judges untagged resources too.
        pytest.param(
            "rds-instance-disallow-public-access",
            resource(
                RDS, "legacy-db", {"publiclyAccessible": True, "storageEncrypted": True, "kmsKeyId": "k"}
            ),
            'publiclyAccessible is true; "legacy-db" (no plan item) must not be reachable from the internet',
            id="untagged_rds_public",
        ),
        pytest.param(
            "rds-instance-disallow-public-access",
            resource(CLUSTER_INSTANCE, "reader", {"publiclyAccessible": True}),
            'publiclyAccessible is true; "reader" (no plan item) must not be reachable from the internet',
            id="cluster_instance_public",
        ),
        pytest.param(
            "rds-instance-require-customer-key",
            resource(RDS, "legacy-db", {}),
            'storageEncrypted is not set; "legacy-db" (no plan item) needs encryption with a customer managed KMS key',
            id="untagged_rds_unencrypted",
        ),
        pytest.param(
            "s3-bucket-disallow-public-access",
            resource(BUCKET, "exports", {}),
            "no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock depends on this bucket; "
            '"exports" (no plan item) must not be public',
            id="untagged_bucket_without_public_access_block",
        ),
        pytest.param(
            "s3-bucket-require-kms-encryption",
            resource(BUCKET, "exports", {}),
            "no aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration depends "
            'on this bucket; "exports" (no plan item) needs SSE-KMS with a customer managed key',
            id="untagged_bucket_without_encryption",
        ),
        pytest.param(
            "efs-filesystem-require-encryption",
            resource(EFS, "shared", {"encrypted": False}),
            'encrypted is false; "shared" (no plan item) must be encrypted at rest',
            id="efs_unencrypted",
        ),
        pytest.param(
            "ebs-volume-require-encryption",
            resource(EBS, "scratch", {}),
            'encrypted is not set; "scratch" (no plan item) must be encrypted at rest',
            id="ebs_encryption_not_set",
        ),
        pytest.param(
            "rds-cluster-require-encryption",
            resource(CLUSTER, "analytics", {"storageEncrypted": False}),
            'storageEncrypted is false; "analytics" (no plan item) must be encrypted at rest',
            id="cluster_unencrypted",
        ),
    ],
)
def test_added_resource__flagged_exactly(
    violations: Check, policy: str, added: ResourceState, expected: str
) -> None:
    # GIVEN the compliant primary stack  THEN the policy finds nothing
    baseline = stack_states(plan_at(DEFAULT_PLAN), "primary")
    assert violations(policy, baseline) == []
    # WHEN one resource is added  THEN the policy names it, and only it
    assert violations(policy, [*baseline, added]) == [(added.urn, expected)]


@pytest.mark.parametrize(
    ("policy", "added"),
    [
        pytest.param(
            "rds-instance-require-plan-item",
            resource(
                RDS, "scratch-db", {"tags": {"continuity:exempt": "restored nightly from prod for reports"}}
            ),
            id="rds_exempt",
        ),
        pytest.param(
            "dynamodb-table-require-plan-item",
            resource(TABLE, "locks", {"tags": {"continuity:exempt": "terraform state locks only"}}),
            id="table_exempt",
        ),
        pytest.param(
            "kubernetes-pvc-require-plan-item",
            resource(
                PVC,
                "cache",
                k8s("PersistentVolumeClaim", {}, {"continuity.exempt": "a cache, rebuilt on start"}),
            ),
            id="pvc_exempt_by_annotation",
        ),
        pytest.param(
            "kubernetes-pvc-require-plan-item",
            resource(STATEFUL_SET, "web", k8s("StatefulSet", {})),
            id="stateful_set_without_volume_claims",
        ),
        pytest.param(
            "rds-cluster-require-encryption",
            resource(CLUSTER, "serverless", {"engineMode": "serverless"}),
            id="serverless_v1_cluster_always_encrypted",
        ),
    ],
)
def test_added_resource__set_aside(violations: Check, policy: str, added: ResourceState) -> None:
    baseline = stack_states(plan_at(DEFAULT_PLAN), "primary")
    assert violations(policy, [*baseline, added]) == []


def test_exemptions__listed_with_their_reasons() -> None:
    # GIVEN two exempt resources, one with a reason spread over several spaces
    states = [
        *stack_states(plan_at(DEFAULT_PLAN), "primary"),
        resource(TABLE, "locks", {"tags": {"continuity:exempt": "terraform   state locks only"}}),
        resource(
            PVC, "cache", k8s("PersistentVolumeClaim", {}, {"continuity.exempt": "a cache, rebuilt on start"})
        ),
    ]
    # THEN the report lists both, by URN
    assert exemptions(run(states)) == [
        (urn("primary", TABLE, "locks"), "terraform state locks only"),
        (urn("primary", PVC, "cache"), "a cache, rebuilt on start"),
    ]


def test_pvc_of_a_kubernetes_item__belongs(violations: Check) -> None:
    # GIVEN a plan with an in-cluster item, and a claim labelled with it (no service label, as the
    # backup CronJobs)  THEN it belongs to the plan
    plan = plan_at(VAPORA)
    item = next(name for name, data in plan.data.items() if data.store == "kubernetes")
    claim = resource(PVC, "data", k8s("PersistentVolumeClaim", {"continuity.data-item": item}))
    assert (
        violations("kubernetes-pvc-require-plan-item", [*stack_states(plan, "primary"), claim], VAPORA) == []
    )


def test_every_stack_resource_of_the_program_kinds__belongs() -> None:
    # GIVEN the compliant stacks of every example plan  THEN no plan-item policy finds anything:
    # the stacks tag every database and bucket with its item
    for plan in [DEFAULT_PLAN, *sorted(EXAMPLES.glob("*.yaml"))]:
        for role in ("primary", "dr"):
            found = [
                v for v in run(stack_states(plan_at(plan), role), plan).violations if "plan-item" in v.policy
            ]
            assert found == [], (plan.name, role)
