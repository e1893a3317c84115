"""dr_drill.py --experiment: a drill measured from the fault an AWS FIS experiment injects, against
moto's FIS (StartExperiment, GetExperiment, StopExperiment), and the pure parts table-first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from operations.aws import Aws
from operations.drill.experiment import (
    ExperimentTemplate,
    choose_template,
    experiment_templates,
    inject,
    injection_time,
)
from operations.errors import BadInput, StepFailed
from operations.failover.steps import Timing
from tests.operations.harness import FakeClock
from tests.operations.toolkit import Toolkit, ready
from tests.operations.world import PRIMARY

Make = Callable[..., Toolkit]
FAST = Timing(poll_seconds=1, database_timeout=600, service_timeout=600, dns_timeout=600)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MODEL = "fis::experiment"


@pytest.fixture
def stepwise() -> Iterator[None]:
    """moto moves an experiment one state further per GetExperiment (pending, initiating, running),
    as FIS does over time, instead of straight to completed."""
    state_manager.set_transition(MODEL, {"progression": "manual", "times": 1})
    yield
    state_manager.unset_transition(MODEL)


def create_template(fis: Any, name: str) -> str:
    template = fis.create_experiment_template(
        clientToken=name,
        description=f"drill {name}",
        roleArn="arn:aws:iam::123456789012:role/orders-drills",
        stopConditions=[{"source": "none"}],
        targets={
            "databases": {
                "resourceType": "aws:rds:db",
                "resourceArns": ["arn:aws:rds:us-east-1:123456789012:db:orders-database"],
                "selectionMode": "ALL",
            }
        },
        actions={
            "reboot": {
                "actionId": "aws:rds:reboot-db-instances",
                "parameters": {"forceFailover": "true"},
                "targets": {"DBInstances": "databases"},
            }
        },
        tags={"Name": name},
    )
    return str(template["experimentTemplate"]["id"])


# ---------------------------------------------------------------------------------------------
# Pure parts


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "outputs.assurance.experiment_template_ids: missing"),
        ({"assurance": {}}, "outputs.assurance.experiment_template_ids: missing"),
        (
            {"assurance": {"experiment_template_ids": {}}},
            "outputs.assurance.experiment_template_ids: missing",
        ),
        (
            {"assurance": {"experiment_template_ids": {"database-failover": 7}}},
            "outputs.assurance.experiment_template_ids.database-failover: not a template id",
        ),
    ],
    ids=["no-assurance", "no-templates", "empty", "not-an-id"],
)
def test_experiment_templates__bad_outputs__names_the_field(document: object, message: str) -> None:
    with pytest.raises(BadInput) as err:
        experiment_templates(document, "dr-outputs.json")
    assert str(err.value).startswith(f"dr-outputs.json: {message}")


def test_choose_template__unknown_name__lists_the_templates() -> None:
    templates = {"database-failover": "EXT1", "az-power-interruption": "EXT2"}
    with pytest.raises(BadInput) as err:
        choose_template(templates, "meteor", PRIMARY)
    assert str(err.value) == (
        "--experiment meteor: no such experiment template; the DR stack declares "
        "az-power-interruption, database-failover"
    )
    assert choose_template(templates, "database-failover", PRIMARY) == ExperimentTemplate(
        "database-failover", "EXT1", PRIMARY
    )


def _action(status: str, minutes: int | None) -> dict[str, Any]:
    action: dict[str, Any] = {"state": {"status": status}}
    if minutes is not None:
        action["startTime"] = T0 + timedelta(minutes=minutes)
    return action


@pytest.mark.parametrize(
    ("experiment", "expected"),
    [
        # the first action to begin is when the outage began
        (
            {"startTime": T0, "actions": {"a": _action("running", 3), "b": _action("completed", 1)}},
            T0 + timedelta(minutes=1),
        ),
        # an action still pending (startAfter another) has not injected anything
        (
            {"startTime": T0, "actions": {"a": _action("pending", 0), "b": _action("running", 2)}},
            T0 + timedelta(minutes=2),
        ),
        ({"startTime": T0, "actions": {"a": _action("running", None)}}, T0),
        ({"actions": {}}, T0 - timedelta(hours=1)),
    ],
    ids=["earliest-started-action", "pending-action-ignored", "experiment-start", "when-asked"],
)
def test_injection_time(experiment: dict[str, Any], expected: datetime) -> None:
    assert injection_time(experiment, T0 - timedelta(hours=1)) == expected


# ---------------------------------------------------------------------------------------------
# Against moto's FIS


def test_inject__waits_until_running__measured_from_the_first_action(
    aws_credentials: None, stepwise: None
) -> None:
    with mock_aws():
        # GIVEN a template in the primary region
        template_id = create_template(boto3.client("fis", PRIMARY), "database-failover")
        clock = FakeClock()
        # WHEN the drill injects it
        fault = inject(
            Aws(boto3.Session()),
            ExperimentTemplate("database-failover", template_id, PRIMARY),
            clock=clock,
            timeout=1800,
            poll_seconds=5,
            token="orders-database-failover-1",
        )
        # THEN it waited for FIS to report it running, and the fault began with the action
        assert fault.status == "running"
        assert clock.monotonic() == 5  # pending -> initiating, then running on the second read
        experiment = boto3.client("fis", PRIMARY).get_experiment(id=fault.experiment_id)["experiment"]
        assert fault.injected_at == experiment["actions"]["reboot"]["startTime"]


def test_inject__not_injected_within_the_rto__stopped_and_step_failed(aws_credentials: None) -> None:
    state_manager.set_transition(MODEL, {"progression": "manual", "times": 1000})
    try:
        with mock_aws():
            # GIVEN an experiment FIS keeps pending
            template_id = create_template(boto3.client("fis", PRIMARY), "az-power-interruption")
            # WHEN the wait, bounded by the RTO, ends
            with pytest.raises(StepFailed) as err:
                inject(
                    Aws(boto3.Session()),
                    ExperimentTemplate("az-power-interruption", template_id, PRIMARY),
                    clock=FakeClock(),
                    timeout=60,
                    poll_seconds=5,
                    token="orders-az-1",
                )
            # THEN the experiment is stopped, so no fault arrives after the drill gave up
            (summary,) = boto3.client("fis", PRIMARY).list_experiments()["experiments"]
            assert summary["state"]["status"] == "stopping"
            assert str(err.value) == (
                f"experiment {summary['id']} (az-power-interruption): still pending: Experiment is pending "
                f"after 1m 00s; experiment {summary['id']} stopped"
            )
    finally:
        state_manager.unset_transition(MODEL)


def test_inject__experiment_failed__step_failed_with_fis_reason(aws_credentials: None) -> None:
    def failed(parsed: dict[str, Any], **_: Any) -> None:
        parsed["experiment"]["state"] = {"status": "failed", "reason": "Target resolution failed"}

    with mock_aws():
        template_id = create_template(boto3.client("fis", PRIMARY), "database-failover")
        with pytest.raises(StepFailed) as err:
            inject(
                Aws(boto3.Session(), hooks=[("after-call.fis.GetExperiment", failed)]),
                ExperimentTemplate("database-failover", template_id, PRIMARY),
                clock=FakeClock(),
                timeout=60,
                poll_seconds=5,
                token="orders-db-1",
            )
        assert str(err.value).endswith(
            "(database-failover) failed before injecting its fault: Target resolution failed"
        )


# ---------------------------------------------------------------------------------------------
# The script


def with_templates(t: Toolkit) -> dict[str, str]:
    fis = t.client("fis", PRIMARY)
    ids = {name: create_template(fis, name) for name in ("az-power-interruption", "database-failover")}
    t.estate.outputs["assurance"] = {"experiment_template_ids": ids}
    return ids


def test_dr_drill__experiment__measured_from_the_fault(estate: Make, stepwise: None) -> None:
    # GIVEN a ready environment whose DR stack declares the FIS templates
    t = ready(estate)
    ids = with_templates(t)
    # WHEN the drill starts the database-failover experiment
    result = t.run("dr_drill", "--yes", "--experiment", "database-failover", timing=FAST, clock=FakeClock())
    assert result.code == 0, result.err
    data = result.report
    assert data is not None
    # THEN the experiment ran between readiness and the failover, in the primary region
    assert [s["step"] for s in data["steps"]] == ["readiness", "experiment", "failover", "measure", "record"]
    (experiment,) = t.client("fis", PRIMARY).list_experiments()["experiments"]
    assert experiment["experimentTemplateId"] == ids["database-failover"]
    started = [c for c in result.recorder.calls if c.service == "fis"]
    assert {(c.operation, c.region) for c in started} == {
        ("StartExperiment", PRIMARY),
        ("GetExperiment", PRIMARY),
    }
    # and the RTO is measured from the fault FIS injected, not from a declared time
    action = t.client("fis", PRIMARY).get_experiment(id=experiment["id"])["experiment"]["actions"]["reboot"]
    assert data["failure_time"] == action["startTime"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    step = result.step("experiment")
    assert step["actions"] == [f"started FIS experiment {experiment['id']} (database-failover) in {PRIMARY}"]
    # the drill history says which experiment the drill began with
    recorded = t.estate.history_entries()[-1]["experiment"]
    assert (recorded["name"], recorded["experiment_id"]) == ("database-failover", experiment["id"])


def test_dr_drill__unknown_experiment__exit_2_naming_the_templates(estate: Make) -> None:
    t = estate(primary_down=False)
    with_templates(t)
    result = t.run("dr_drill", "--yes", "--experiment", "meteor", timing=FAST, clock=FakeClock())
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "dr_drill: --experiment meteor: no such experiment template; the DR stack declares "
        "az-power-interruption, database-failover"
    ]
    assert not [c for c in result.recorder.calls if c.service == "fis"]
