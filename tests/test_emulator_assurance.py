"""offline/emulator_assurance.py against a ThreadedMotoServer: the assurance components deployed
through the emulator create in moto what moto supports, readable back through boto3 as the
scripts would read them, and list the rest as not emulated with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from components.backup_audit import BackupAudit, BackupAuditArgs
from components.experiments import Experiments, ExperimentsArgs
from components.notifications import Notifications, NotificationsArgs
from components.region_switch import RegionSwitch
from components.resiliency_policies import ResiliencyPolicies, ResiliencyPoliciesArgs
from continuity.assurance import experiments_for, framework_for, resiliency_policies, subscriptions
from continuity.plan import load_plan
from offline.emulator import EmulatedMocks, Emulation
from offline.emulator_assurance import seconds as go_seconds
from offline.moto_fidelity import Fidelity
from offline.moto_server import EMULATOR_CREDENTIALS, Emulator, running_emulator
from tests.components.declare import declare
from tests.components.test_region_switch import switch_args
from tests.conftest import DEFAULT_PLAN, ROOT

HELIOS = ROOT / "examples" / "plans" / "heliosdb-lite.yaml"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with running_emulator() as running:
        yield running


def client(emulator: Emulator, service: str, region: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=EMULATOR_CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=region,
    ).client(service, endpoint_url=emulator.endpoint_url)


def deploy(emulator: Emulator, build: Any, region: str) -> Emulation:
    emulation = Emulation()
    mocks = EmulatedMocks(
        region, {}, endpoint_url=emulator.endpoint_url, emulation=emulation, fidelity=Fidelity()
    )
    declare(build, region=region, mocks=mocks)
    return emulation


def not_emulated(emulation: Emulation) -> dict[str, str]:
    return {typ: reason for typ, _, reason in emulation.not_emulated}


def test_backup_audit__report_plan_created_framework_listed(emulator: Emulator) -> None:
    plan = load_plan(DEFAULT_PLAN)
    framework = framework_for(plan, "primary")
    assert framework is not None
    emulation = deploy(
        emulator,
        lambda: {
            "a": BackupAudit(
                "orders-audit", BackupAuditArgs(framework, ACCOUNT, "orders-primary-audit-", "alias/aws/s3")
            ).framework_arn
        },
        "us-east-1",
    )
    report = client(emulator, "backup", "us-east-1").describe_report_plan(
        ReportPlanName="orders_primary_compliance"
    )["ReportPlan"]
    assert report["ReportSetting"]["ReportTemplate"] == "CONTROL_COMPLIANCE_REPORT"
    assert report["ReportDeliveryChannel"]["S3BucketName"].startswith("orders-primary-audit-")
    assert not_emulated(emulation) == {
        "aws:backup/framework:Framework": "moto 5.2.5 does not implement Backup Audit Manager frameworks"
    }


def test_resiliency_policies__created_in_seconds(emulator: Emulator) -> None:
    plan = load_plan(HELIOS)
    emulation = deploy(
        emulator,
        lambda: {
            "p": ResiliencyPolicies(
                "heliosdb-resilience", ResiliencyPoliciesArgs(resiliency_policies(plan))
            ).policy_arns
        },
        "us-west-2",
    )
    hub = client(emulator, "resiliencehub", "us-west-2")
    found = {p["policyName"]: p for p in hub.list_resiliency_policies()["resiliencyPolicies"]}
    policy = found["heliosdb-production-database"]
    assert (policy["tier"], policy["policy"]["Region"]) == (
        "MissionCritical",
        {"rtoInSecs": 600, "rpoInSecs": 300},
    )
    assert not emulation.not_emulated


def test_experiments__templates_created(emulator: Emulator) -> None:
    plan = load_plan(DEFAULT_PLAN)
    health = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-primary-health"
    emulation = deploy(
        emulator,
        lambda: {
            "t": Experiments(
                "orders-drills",
                ExperimentsArgs(
                    experiments_for(plan),
                    "orders",
                    "us-east-1",
                    ACCOUNT,
                    zone_subnet_ids=["subnet-a1", "subnet-a2"],
                    private_subnet_ids=["subnet-p1"],
                    db_instance_arns=["arn:aws:rds:us-east-1:123456789012:db:orders-database"],
                    stop_alarm_arns={"primary-health": health},
                ),
            ).template_ids
        },
        "us-east-1",
    )
    fis = client(emulator, "fis", "us-east-1")
    templates = fis.list_experiment_templates()["experimentTemplates"]
    names = {t["tags"].get("Name") for t in templates}
    assert {
        "orders-az-power-interruption",
        "orders-region-connectivity-loss",
        "orders-database-failover",
    } <= names
    az = next(t for t in templates if t["tags"].get("Name") == "orders-az-power-interruption")
    detail = fis.get_experiment_template(id=az["id"])["experimentTemplate"]
    assert detail["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": health}]
    assert detail["actions"]["disrupt-zone"]["parameters"] == {"scope": "all", "duration": "PT30M"}
    assert not emulation.not_emulated


def test_notifications__rules_subscriptions_and_topic_policy(emulator: Emulator) -> None:
    plan = load_plan(HELIOS)
    topic = client(emulator, "sns", "us-east-1").create_topic(Name="heliosdb-primary-alarms")["TopicArn"]
    emulation = deploy(
        emulator,
        lambda: {
            "r": Notifications(
                "heliosdb-notify",
                NotificationsArgs("heliosdb-primary", "us-east-1", ACCOUNT, topic, subscriptions(plan)),
            ).rule_arns
        },
        "us-east-1",
    )
    events = client(emulator, "events", "us-east-1")
    rules = {r["Name"]: r for r in events.list_rules(NamePrefix="heliosdb-primary")["Rules"]}
    assert len(rules) == 2
    for name in rules:
        assert [t["Arn"] for t in events.list_targets_by_rule(Rule=name)["Targets"]] == [topic]
    sns = client(emulator, "sns", "us-east-1")
    endpoints = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert endpoints == {
        "engineering@heliosdb.example",
        "https://events.pagerduty.com/integration/heliosdb-bcp/enqueue",
    }
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {"AccountOwns", "BackupJobEvents"}
    assert not emulation.not_emulated


def test_region_switch__lambda_created_plan_listed(emulator: Emulator) -> None:
    args = switch_args(DEFAULT_PLAN)
    emulation = deploy(
        emulator, lambda: {"p": RegionSwitch("orders-region-switch", args).plan_arn}, "us-west-2"
    )
    function = client(emulator, "lambda", "us-west-2").get_function(FunctionName="orders-dr-settle-databases")
    configuration = function["Configuration"]
    assert (configuration["Handler"], configuration["Runtime"], configuration["Timeout"]) == (
        "handler.handler",
        "python3.12",
        60,
    )
    databases = json.loads(configuration["Environment"]["Variables"]["CONTINUITY_DATABASES"])
    assert [(d["identifier"], d["mode"]) for d in databases] == [("orders-database-dr", "replica")]
    assert not_emulated(emulation) == {
        "aws:arcregionswitch/plan:Plan": "moto 5.2.5 does not implement ARC Region switch"
    }


@pytest.mark.parametrize(("text", "seconds"), [("300s", 300), ("24h", 86_400), ("1h30m", 5400), ("0s", 0)])
def test_go_seconds(text: str, seconds: int) -> None:
    assert go_seconds(text) == seconds


@pytest.mark.parametrize("text", ["5", "1d", "h"])
def test_go_seconds__refuses_what_the_provider_would_not_send(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Go duration"):
        go_seconds(text)
