"""The pack as a whole: what it registers, how it is configured, and what unknown values do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from offline.policy_check import (
    UNKNOWN,
    PolicyConfig,
    PolicyFailedError,
    check,
    configuration,
    evaluate,
    parse_pack_config,
)
from offline.stack_state import InputError
from policies.support import plan_path
from tests.conftest import DEFAULT_PLAN, ROOT
from tests.policies.conftest import EXAMPLES, pack, plan_at, run
from tests.policies.synthetic import RDS_INSTANCE, stack_states, urn, without
from tests.policies.synthetic import changed as set_prop

PACK_DIR = ROOT / "policies"
NAME = re.compile(
    r"^(rds|backup|s3|route53|ecs|kubernetes|dynamodb|efs|ebs|resiliencehub|arcregionswitch|cloudwatch)-"
    r"[a-z0-9]+-(enable|configure|disallow|require)-[a-z0-9-]+$"
)
DB = "orders-database-db"

# name: (severity, enforcement level, kind): what docs/policies.md promises.
POLICIES = {
    "rds-instance-require-backup-retention": ("critical", "mandatory", "resource"),
    "rds-instance-enable-multi-az": ("medium", "advisory", "resource"),
    "rds-instance-enable-deletion-protection": ("medium", "advisory", "resource"),
    "rds-instance-require-customer-key": ("high", "advisory", "resource"),
    "rds-instance-disallow-public-access": ("high", "advisory", "resource"),
    "rds-instance-require-final-snapshot": ("medium", "advisory", "resource"),
    "rds-instance-require-backup-replication": ("critical", "mandatory", "stack"),
    "rds-instance-require-coverage": ("critical", "mandatory", "stack"),
    "backup-plan-require-frequency": ("critical", "mandatory", "resource"),
    "backup-plan-require-retention": ("critical", "mandatory", "resource"),
    "backup-plan-require-dr-copy": ("critical", "mandatory", "resource"),
    "backup-plan-require-coverage": ("critical", "mandatory", "stack"),
    "backup-restoretesting-require-coverage": ("high", "mandatory", "stack"),
    "backup-restoretesting-require-frequency": ("high", "mandatory", "resource"),
    "backup-vault-require-compliance-lock": ("critical", "mandatory", "stack"),
    "s3-bucket-enable-versioning": ("high", "mandatory", "stack"),
    "s3-bucket-require-object-lock": ("critical", "mandatory", "stack"),
    "s3-bucket-require-kms-encryption": ("high", "advisory", "stack"),
    "s3-bucket-disallow-public-access": ("high", "advisory", "stack"),
    "s3-bucket-require-dr-replication": ("critical", "mandatory", "stack"),
    "s3-bucket-require-version-retention": ("critical", "mandatory", "stack"),
    "s3-bucket-require-coverage": ("critical", "mandatory", "stack"),
    "route53-record-require-health-check": ("critical", "mandatory", "stack"),
    "ecs-service-require-capacity": ("high", "mandatory", "resource"),
    "ecs-service-require-coverage": ("high", "mandatory", "stack"),
    "kubernetes-cronjob-require-frequency": ("critical", "mandatory", "resource"),
    "kubernetes-cronjob-require-target-bucket": ("critical", "mandatory", "resource"),
    "kubernetes-cronjob-disallow-concurrent-runs": ("medium", "advisory", "resource"),
    "kubernetes-cronjob-require-coverage": ("critical", "mandatory", "stack"),
    "kubernetes-deployment-require-capacity": ("high", "mandatory", "resource"),
    "rds-instance-require-plan-item": ("critical", "mandatory", "resource"),
    "rds-cluster-require-plan-item": ("critical", "mandatory", "resource"),
    "rds-cluster-require-encryption": ("high", "advisory", "resource"),
    "s3-bucket-require-plan-item": ("critical", "mandatory", "resource"),
    "dynamodb-table-require-plan-item": ("critical", "mandatory", "resource"),
    "efs-filesystem-require-plan-item": ("critical", "mandatory", "resource"),
    "efs-filesystem-require-encryption": ("high", "advisory", "resource"),
    "ebs-volume-require-plan-item": ("critical", "mandatory", "resource"),
    "ebs-volume-require-encryption": ("high", "advisory", "resource"),
    "kubernetes-pvc-require-plan-item": ("critical", "mandatory", "resource"),
    "backup-framework-require-controls": ("high", "mandatory", "stack"),
    "resiliencehub-policy-require-objectives": ("medium", "mandatory", "stack"),
    "arcregionswitch-plan-require-failover-steps": ("high", "mandatory", "stack"),
    "cloudwatch-alarm-require-exposure-thresholds": ("high", "mandatory", "stack"),
}
SEVERITIES = {
    proto.POLICY_SEVERITY_LOW: "low",
    proto.POLICY_SEVERITY_MEDIUM: "medium",
    proto.POLICY_SEVERITY_HIGH: "high",
    proto.POLICY_SEVERITY_CRITICAL: "critical",
}
LEVELS = {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory"}
KINDS = {proto.POLICY_TYPE_RESOURCE: "resource", proto.POLICY_TYPE_STACK: "stack"}


def info() -> proto.AnalyzerInfo:
    return pack().servicer.GetAnalyzerInfo(None, None)


def test_pack__registers_every_policy_with_its_severity_level_and_kind() -> None:
    registered = {
        p.name: (SEVERITIES[p.severity], LEVELS[p.enforcementLevel], KINDS[p.policy_type])
        for p in info().policies
    }
    assert registered == POLICIES


def test_pack__one_module_per_policy_named_for_it() -> None:
    modules = {p.stem for p in PACK_DIR.glob("*.py")} - {"__main__", "support"}
    assert modules == {name.replace("-", "_") for name in POLICIES}
    assert all(NAME.match(name) for name in POLICIES), [n for n in POLICIES if not NAME.match(n)]


def test_pack__every_policy_takes_the_plan_as_configuration() -> None:
    for policy in info().policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        assert schema["plan"]["type"] == "string", policy.name
        assert schema["plan"]["default"] == "continuity-plan.yaml", policy.name
        assert policy.description, policy.name


def test_pack__runs_with_the_python_runtime_in_its_own_virtualenv() -> None:
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert "pulumi-policy==" in (PACK_DIR / "requirements.txt").read_text()


def test_docs__list_every_policy_with_its_severity_and_level() -> None:
    # GIVEN the policy table of docs/policies.md  THEN it matches what the pack registers
    rows = re.findall(
        r"^\| `([a-z0-9-]+)` \| (\w+) \| (\w+) \| (\w+) \|", (ROOT / "docs" / "policies.md").read_text(), re.M
    )
    assert {name: (severity, level, kind) for name, severity, level, kind in rows} == POLICIES


def test_unknown_sentinel__is_the_sdks() -> None:
    assert UNKNOWN == UNKNOWN_STRING_VALUE


def test_unknown_value__is_reported_as_the_sdk_reports_it_not_passed() -> None:
    # GIVEN a retention computed from another resource, unknown during preview
    states = set_prop(stack_states(plan_at(DEFAULT_PLAN), "primary"), DB, "backupRetentionPeriod", UNKNOWN)
    # WHEN the pack runs
    found = [v for v in run(states).violations if v.policy == "rds-instance-require-backup-retention"]
    # THEN one advisory says the policy could not run, rather than a pass or a crash
    assert [(v.urn, v.message, v.enforcement) for v in found] == [
        (
            urn("primary", RDS_INSTANCE, DB),
            "can't run policy 'rds-instance-require-backup-retention' from policy pack 'continuity@v0.0.1' during "
            "preview: string value at .backupRetentionPeriod can't be known during preview",
            "advisory",
        )
    ]


def test_unknown_tags__stop_the_policies_that_need_them_while_the_rest_still_judge() -> None:
    # GIVEN the database's tags unknown, and a service below its capacity
    states = set_prop(stack_states(plan_at(DEFAULT_PLAN), "primary"), DB, "tags", UNKNOWN)
    states = set_prop(states, "orders-api-service", "desiredCount", 1.0)
    result = run(states)
    # THEN the capacity is still judged, and whatever needed the tags says it could not run
    assert [v.policy for v in result.mandatory] == ["ecs-service-require-capacity"]
    advisories = [v for v in result.violations if v.enforcement == "advisory"]
    assert advisories
    assert all(v.message.endswith("string value at .tags can't be known during preview") for v in advisories)


# ---------------------------------------------------------------------------------------------
# Configuration, reconciled as the CLI does


def broken_primary() -> list:
    states = set_prop(stack_states(plan_at(DEFAULT_PLAN), "primary"), DB, "backupRetentionPeriod", 2.0)
    return set_prop(states, DB, "multiAz", False)


def levels_of(result_violations: list) -> set[tuple[str, str]]:
    return {(v.policy, v.enforcement) for v in result_violations}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(
            {},
            {
                ("rds-instance-require-backup-retention", "mandatory"),
                ("rds-instance-enable-multi-az", "advisory"),
            },
            id="pack_levels",
        ),
        pytest.param({"all": "disabled"}, set(), id="all_disabled"),
        pytest.param(
            {"all": "advisory"},
            {
                ("rds-instance-require-backup-retention", "advisory"),
                ("rds-instance-enable-multi-az", "advisory"),
            },
            id="all_advisory",
        ),
        pytest.param(
            {"all": "advisory", "rds-instance-enable-multi-az": "mandatory"},
            {
                ("rds-instance-require-backup-retention", "advisory"),
                ("rds-instance-enable-multi-az", "mandatory"),
            },
            id="policy_level_after_all",
        ),
        pytest.param(
            {"rds-instance-require-backup-retention": {"enforcementLevel": "disabled"}},
            {("rds-instance-enable-multi-az", "advisory")},
            id="one_policy_disabled",
        ),
        pytest.param(
            {"rds-instance-enable-multi-az": "remediate"},
            {
                ("rds-instance-require-backup-retention", "mandatory"),
                ("rds-instance-enable-multi-az", "mandatory"),
            },
            id="remediate_reported_as_mandatory",
        ),
    ],
)
def test_configuration__enforcement_levels(config: dict, expected: set) -> None:
    result = check(broken_primary(), DEFAULT_PLAN, parse_pack_config(config, "cfg.json"), pack())
    assert levels_of(result.violations) == expected


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            {"all": "loud"}, 'cfg.json: "all": "loud" is not a valid enforcement level', id="bad_level"
        ),
        pytest.param(
            {"rds-instance-enable-multi-az": {"enforcementLevel": "loud"}},
            'cfg.json: "rds-instance-enable-multi-az".enforcementLevel: "loud" is not a valid enforcement level',
            id="bad_level_in_object",
        ),
        pytest.param(
            {"rds-instance-enable-multi-az": 3},
            'cfg.json: "rds-instance-enable-multi-az": 3 is not a valid value; must be a string or object',
            id="bad_value",
        ),
    ],
)
def test_configuration__malformed_file(config: dict, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_pack_config(config, "cfg.json")
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            {"rds-instance-enable-multiaz": "mandatory"},
            "policy pack config: no policy named rds-instance-enable-multiaz in pack continuity",
            id="unknown_policy",
        ),
        pytest.param(
            {"rds-instance-enable-multi-az": {"plan": 5}},
            "policy pack config: rds-instance-enable-multi-az: 5 is not of type 'string'",
            id="schema_violation",
        ),
    ],
)
def test_configuration__refused(config: dict, message: str) -> None:
    with pytest.raises(InputError) as raised:
        configuration(pack(), None, parse_pack_config(config, "cfg.json"))
    assert str(raised.value) == message


def test_configuration__plan_from_the_file_resolved_against_the_repository() -> None:
    # GIVEN a katya stack and a config file naming the katya plan relative to the repository
    katya = stack_states(plan_at(EXAMPLES / "katya.yaml"), "primary")
    config = {name: PolicyConfig(None, {"plan": "examples/plans/katya.yaml"}) for name in POLICIES}
    # WHEN the pack runs without --plan  THEN it judges against katya, so the stack passes
    assert evaluate(pack(), configuration(pack(), None, config), katya).violations == []


def test_plan_path__relative_to_the_repository_absolute_as_given(tmp_path: Path) -> None:
    assert plan_path(None) == ROOT / "continuity-plan.yaml"
    assert plan_path({"plan": "examples/plans/katya.yaml"}) == ROOT / "examples/plans/katya.yaml"
    assert plan_path({"plan": str(tmp_path / "p.yaml")}) == tmp_path / "p.yaml"


def test_plan_unavailable__stops_the_check_with_the_reason(tmp_path: Path) -> None:
    # GIVEN a plan that is not there  WHEN the pack runs  THEN the first policy to need it stops
    # the check with the plan library's words (the CLI would fail the preview)
    missing = tmp_path / "missing.yaml"
    with pytest.raises(PolicyFailedError) as raised:
        check(without(stack_states(plan_at(DEFAULT_PLAN), "primary"), DB), missing, None, pack())
    assert str(raised.value) == (
        "policy backup-plan-require-frequency failed on "
        f"{urn('primary', 'aws:backup/plan:Plan', 'orders-database-backup-plan')}: {missing}: no such file"
    )
