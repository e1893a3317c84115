"""The dr-operator policy grants exactly what the scripts call: every recorded call is allowed, none
deletes anything, and nothing is granted that no script calls (or AWS implies)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from continuity.operator_policy import (
    IMPLIED_ACTIONS,
    OPERATOR_ACTIONS,
    OperatorScope,
    allowed_actions,
    operator_policy_document,
)
from tests.operations.harness import Scenario

Make = Callable[..., Scenario]


def recorded_actions(make: Make, mode: str, service: str = "orders") -> set[str]:
    """Every action a dry run, a full run and a re-run make, in one strategy."""
    s = make(mode=mode, service=service)
    actions: set[str] = set()
    for extra in (("--dry-run",), (), ()):
        result = s.run(*extra)
        assert result.code == 0, result.err
        actions |= result.recorder.actions()
    return actions


@pytest.mark.parametrize("mode", ["replica", "restore"])
def test_every_call_of_a_full_run_is_allowed_and_none_deletes(scenario: Make, mode: str) -> None:
    actions = recorded_actions(scenario, mode)
    assert actions - allowed_actions() == set()
    assert [a for a in actions if a.split(":")[1].startswith("Delete")] == []


def test_nothing_is_granted_that_no_script_calls(scenario: Make) -> None:
    called = recorded_actions(scenario, "replica") | recorded_actions(scenario, "restore", service="books")
    assert allowed_actions() - called == set(IMPLIED_ACTIONS)


def scope() -> OperatorScope:
    return OperatorScope(
        account_id="123456789012",
        primary_region="us-east-1",
        dr_region="us-west-2",
        db_instance_arns=[
            "arn:aws:rds:us-west-2:123456789012:db:orders-database-dr",
            "arn:aws:rds:us-east-1:123456789012:db:orders-database",
        ],
        ecs_cluster_arns=["arn:aws:ecs:us-west-2:123456789012:cluster/orders-dr"],
        ecs_service_arns=["arn:aws:ecs:us-west-2:123456789012:service/orders-dr/orders-api"],
        health_check_ids=["hc-1", "hc-2"],
        alarm_arns=["arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-primary-health"],
    )


def test_document_grants_each_action_and_only_those() -> None:
    statements = operator_policy_document(scope())["Statement"]
    granted = {a for s in statements for a in s["Action"]}
    assert granted == allowed_actions()
    assert all(s["Effect"] == "Allow" for s in statements)


def test_document_scopes_what_aws_lets_it_scope() -> None:
    by_sid = {s["Sid"]: s for s in operator_policy_document(scope())["Statement"]}
    assert by_sid["ServicesOfThisStack"]["Resource"] == [
        "arn:aws:ecs:us-west-2:123456789012:service/orders-dr/orders-api"
    ]
    assert by_sid["HealthChecksOfThisStack"]["Resource"] == [
        "arn:aws:route53:::healthcheck/hc-1",
        "arn:aws:route53:::healthcheck/hc-2",
    ]
    assert by_sid["AlarmsOfThisStack"]["Resource"] == [
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-primary-health"
    ]
    assert by_sid["KeysForRestores"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "rds.us-west-2.amazonaws.com"
    }
    # where the scope names them, the zone and the keys are named too
    named = operator_policy_document(
        OperatorScope(
            **{
                **scope().__dict__,
                "hosted_zone_ids": ["/hostedzone/Z1"],
                "kms_key_arns": ["arn:aws:kms:us-west-2:1:key/k"],
            }
        )
    )
    named_by_sid = {s["Sid"]: s for s in named["Statement"]}
    assert named_by_sid["FailoverRecordsOfThisStack"]["Resource"] == ["arn:aws:route53:::hostedzone/Z1"]
    assert named_by_sid["KeysForRestores"]["Resource"] == ["arn:aws:kms:us-west-2:1:key/k"]


def test_no_action_is_listed_twice() -> None:
    listed = [a for actions in OPERATOR_ACTIONS.values() for a in actions]
    assert len(listed) == len(set(listed))
    assert all(a.startswith(f"{prefix}:") for prefix, actions in OPERATOR_ACTIONS.items() for a in actions)
