"""Bad stack configuration stops the program with one line naming the key, before any resource."""

from __future__ import annotations

import pytest

from offline.mocks import OfflineMocks
from offline.program import OfflineError, run_program
from tests.conftest import ROOT

PLAN_PATH = "continuity-plan.yaml"


@pytest.mark.parametrize(
    ("stack", "overrides", "message"),
    [
        (
            "primary",
            {"continuity:role": "staging"},
            "stack primary: config role: 'staging' is neither primary nor dr",
        ),
        (
            "primary",
            {"aws:region": "us-east-2"},
            "stack primary: config aws:region: us-east-2 but the plan ({plan}) puts the primary region in us-east-1",
        ),
        (
            "dr",
            {"aws:region": "us-east-1"},
            "stack dr: config aws:region: us-east-1 but the plan ({plan}) puts the dr region in us-west-2",
        ),
        (
            "dr",
            {"continuity:primaryStack": ""},
            "stack dr: config primaryStack: required for the dr stack (the primary stack it replicates, "
            "e.g. organization/continuity/primary)",
        ),
        (
            "primary",
            {"continuity:promoted": "true"},
            "stack primary: config promoted: only the dr stack can be promoted",
        ),
        (
            "primary",
            {"continuity:hostedZone": ""},
            "stack primary: config hostedZone: required (set it with `pulumi config set hostedZone ...`)",
        ),
        (
            "dr",
            {"continuity:vpcCidr": "10.10.0.0/16"},
            "stack dr: config vpcCidr: 10.10.0.0/16 overlaps the primary's 10.10.0.0/16; the regions could not be peered",
        ),
        (
            "primary",
            {"continuity:services": '{"web": {"image": "x"}}'},
            "stack primary: config services: web not in the plan's services (api)",
        ),
        (
            "primary",
            {"continuity:taskCpu": "256", "continuity:taskMemory": "4096"},
            "stack primary: config services.api: cpu 256 with memory 4096 is not a Fargate task size "
            "(cpu 256, 512, 1024, 2048, 4096)",
        ),
        ("primary", {"continuity:plan": "nowhere.yaml"}, "stack primary: {root}/nowhere.yaml: no such file"),
        (
            "primary",
            {"continuity:kubeconfig": "apiVersion: v1\nclusters: []\n"},
            "stack primary: config kubeconfig: not a kubeconfig with a current-context (YAML or JSON)",
        ),
        (
            "primary",
            {"continuity:kubeconfig": "{not yaml"},
            "stack primary: config kubeconfig: not a kubeconfig with a current-context (YAML or JSON)",
        ),
    ],
)
def test_bad_config(stack: str, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(OfflineError) as err:
        run_program(stack, config_overrides=overrides)
    assert str(err.value) == message.format(plan=ROOT / PLAN_PATH, root=ROOT)


def test_missing_primary_output() -> None:
    primary = run_program("primary")
    outputs = {k: v for k, v in primary.outputs.items() if k != "db_instance_arns"}
    with pytest.raises(OfflineError) as err:
        run_program("dr", primary_outputs=outputs)
    assert str(err.value) == (
        "stack dr: primary stack organization/continuity/primary: output 'db_instance_arns' is missing; "
        "run `pulumi up --stack` on it first"
    )


def test_unknown_stack() -> None:
    with pytest.raises(OfflineError) as err:
        run_program("staging")
    assert str(err.value) == "unknown stack 'staging' (no Pulumi.staging.yaml; stacks: dr, primary)"


def test_unknown_primary_stack() -> None:
    with pytest.raises(OfflineError) as err:
        run_program(
            "dr",
            primary_outputs={},
            config_overrides={"continuity:primaryStack": "org/continuity/prod"},
            mocks_factory=lambda region, _known: OfflineMocks(region, {}),
        )
    assert str(err.value) == "stack dr: stack reference org/continuity/prod: no such stack"
