"""What the program declares, against what AWS and Kubernetes accept (issue 11's defects), for
every example plan and for plans at the edges of the format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.kubernetes_backups import upload_policy
from components.services import placeholder_command
from continuity import names
from continuity.operator_policy import (
    MANAGED_POLICY_MAX,
    OperatorScope,
    PolicyTooLarge,
    operator_policy_documents,
    policy_size,
)
from offline.aws_rules import LOCAL_ZONES, RULES, Declared
from offline.program import StackRun, run_program
from tests.conftest import ALL_PLANS, ROOT, changed, plan_document, stack_overrides, write_plan
from tests.stack_runs import stack_runs

VAPORA = ROOT / "examples" / "plans" / "vapora.yaml"
NAME_RULES = {
    "s3-bucket-prefix-length",
    "iam-role-name",
    "elb-target-group-name",
    "elb-load-balancer-name",
    "backup-plan-name",
    "backup-selection-name",
    "backup-vault-name",
    "rds-identifier",
    "kms-alias-name",
}


class NoWorld:
    """Name rules read nothing from AWS."""

    def client(self, service: str, region: str) -> object:
        raise AssertionError(f"a name rule asked AWS ({service} in {region})")


def name_refusals(run: StackRun) -> list[str]:
    found = []
    for resource in run.resources:
        if not resource.custom or not resource.type.startswith("aws:"):
            continue
        declared = Declared(resource.type, resource.name, resource.plain_inputs(), run.region)
        for rule in RULES:
            if rule.id in NAME_RULES and resource.type in rule.types:
                refusal = rule.check(declared, NoWorld())
                if refusal is not None:
                    found.append(f"{resource.urn}: {rule.id}: {refusal.message}")
    return found


def longest_names(tmp_path: Path) -> Path:
    """The default plan with every name at the 24 characters the validator allows."""
    document = plan_document()
    service = "s" * 24
    document["service"] = service
    document["data"] = {f"{item}-{'d' * (23 - len(item))}": spec for item, spec in document["data"].items()}
    document["services"] = {"a" * 24: document["services"]["api"]}
    return write_plan(tmp_path, document)


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_every_name_fits_aws(path: Path) -> None:
    runs = stack_runs(path)
    assert name_refusals(runs.primary) + name_refusals(runs.dr) == []


def test_names_at_the_longest_the_plan_allows_fit_aws(tmp_path: Path) -> None:
    # GIVEN a plan whose service, data items and services are all 24 characters
    plan = longest_names(tmp_path)
    primary = run_program("primary", plan)
    dr = run_program("dr", plan, primary_outputs=primary.outputs)
    # THEN nothing is named past AWS's limits (bucket prefixes, target groups, roles, plans)
    assert name_refusals(primary) + name_refusals(dr) == []


@pytest.mark.parametrize(
    ("name", "limit", "expected"),
    [
        ("orders-user-files-primary-", 37, "orders-user-files-primary-"),
        ("knowledge-vault-application-data-primary-", 37, "knowledge-vault-application-d-5084af-"),
    ],
)
def test_a_prefix_that_fits_is_kept_and_one_that_does_not_is_shortened_stably(
    name: str, limit: int, expected: str
) -> None:
    assert names.fit_prefix(name, limit) == expected
    assert len(expected) <= limit


def test_pilot_light_in_kubernetes_keeps_the_autoscaler_floor_at_one(tmp_path: Path) -> None:
    # GIVEN VAPORA as a pilot light: no replica in the DR region
    document = changed(plan_document(VAPORA), "strategy", "pilot-light")
    for service in document["services"].values():
        service["capacity"]["dr"] = 0
    plan = write_plan(tmp_path, document)
    overrides = stack_overrides(VAPORA)
    primary = run_program("primary", plan, config_overrides=overrides)
    dr = run_program("dr", plan, primary_outputs=primary.outputs, config_overrides=overrides)
    # THEN each Deployment is at 0 and its autoscaler's floor is 1 (the API server refuses 0)
    for hpa in dr.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        assert hpa.plain_inputs()["spec"]["minReplicas"] == 1, hpa.urn
    for deployment in dr.of_type("kubernetes:apps/v1:Deployment"):
        assert deployment.plain_inputs()["spec"]["replicas"] == 0, deployment.urn


def test_the_namespace_outlives_the_stack_and_backup_objects_wait_for_it() -> None:
    run = stack_runs(VAPORA).primary
    (namespace,) = run.of_type("kubernetes:core/v1:Namespace")
    # `pulumi destroy` leaves the namespace (and VAPORA's database in it) in the cluster
    assert namespace.retain_on_delete, namespace.urn
    for typ in (
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:batch/v1:CronJob",
    ):
        for resource in run.of_type(typ):
            assert namespace.urn in resource.dependencies, f"{resource.urn} does not wait for {namespace.urn}"


def test_backup_uploads_may_decrypt_for_multipart() -> None:
    statements = json.loads(upload_policy("arn:aws:s3:::b", "item/", "arn:aws:kms:us-east-1:1:key/k"))[
        "Statement"
    ]
    assert "kms:Decrypt" in {a for s in statements for a in s["Action"]}


def test_the_placeholder_answers_the_plans_health_check_on_the_plans_port() -> None:
    runs = stack_runs(ROOT / "continuity-plan.yaml")
    (task,) = runs.primary.of_type("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.plain_inputs()["containerDefinitions"])
    # the default plan's api listens on 8080 with /health: the placeholder serves exactly that
    assert container["command"] == placeholder_command(8080, "/health")
    assert "httpd -f -v -p 8080 -h /www" in container["command"][2]
    assert "echo ok > /www/health" in container["command"][2]
    assert container["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]


def test_a_teams_image_runs_its_own_command() -> None:
    run = run_program("primary", config_overrides={"continuity:image": "ghcr.io/acme/orders:1.4.2"})
    (task,) = run.of_type("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.plain_inputs()["containerDefinitions"])
    assert container["image"] == "ghcr.io/acme/orders:1.4.2"
    assert "command" not in container


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.stem)
def test_the_network_is_in_availability_zones_proper(path: Path) -> None:
    # The mocks (and the emulator) list a Local Zone the account opted into, as EC2 does
    for run in (stack_runs(path).primary, stack_runs(path).dr):
        zones = {s.plain_inputs()["availabilityZone"] for s in run.of_type("aws:ec2/subnet:Subnet")}
        assert zones
        assert all("-lz-" not in z for z in zones), zones
        assert not zones & set(LOCAL_ZONES.get(run.region, ())), zones


def test_services_reach_each_database_by_a_stable_name_and_its_secret() -> None:
    runs = stack_runs(ROOT / "continuity-plan.yaml")
    for run in (runs.primary, runs.dr):
        (task,) = run.of_type("aws:ecs/taskDefinition:TaskDefinition")
        (container,) = json.loads(task.plain_inputs()["containerDefinitions"])
        environment = {e["name"]: e["value"] for e in container["environment"]}
        assert environment["DATABASE_DATABASE_HOST"] == "database.db.orders.internal"
        secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
        # In each region, the credentials secret of that region (the DR one is the replica)
        assert secrets["DATABASE_DATABASE_PASSWORD"].startswith(f"arn:aws:secretsmanager:{run.region}:")
        assert secrets["DATABASE_DATABASE_PASSWORD"].endswith(":password::")
    (secret,) = runs.primary.of_type("aws:secretsmanager/secret:Secret")
    (replica,) = secret.plain_inputs()["replicas"]
    assert replica["region"] == "us-west-2"
    (replica_key,) = runs.primary.of_type("aws:kms/replicaKey:ReplicaKey")
    assert replica["kmsKeyId"] == replica_key.plain_outputs()["arn"]


def test_the_operator_policy_is_split_within_iams_size() -> None:
    run = stack_runs(ROOT / "examples" / "plans" / "katya.yaml").dr
    policies = run.of_type("aws:iam/policy:Policy")
    assert len(policies) == 3
    for policy in policies:
        document = json.loads(policy.plain_inputs()["policy"])
        assert policy_size(document) <= MANAGED_POLICY_MAX, policy.urn


def test_an_operator_policy_past_iams_size_is_one_clear_error() -> None:
    scope = OperatorScope(
        account_id="123456789012",
        primary_region="us-east-1",
        dr_region="us-west-2",
        db_instance_arns=[
            f"arn:aws:rds:us-west-2:123456789012:db:database-number-{i:04d}" for i in range(200)
        ],
        ecs_cluster_arns=[],
        ecs_service_arns=[],
        health_check_ids=[],
        alarm_arns=[],
    )
    with pytest.raises(PolicyTooLarge, match=r"^operator policy databases: \d+ characters, past IAM's 6144"):
        operator_policy_documents(scope)


def test_the_project_declares_the_cli_it_needs() -> None:
    # `type: object` config needs CLI 3.187; requiredPulumiVersion is read from 3.219 on
    assert 'requiredPulumiVersion: ">=3.219.0"' in (ROOT / "Pulumi.yaml").read_text()
