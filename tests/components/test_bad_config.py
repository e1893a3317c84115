"""Bad stack configuration stops the program with one line naming the key, before any resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.mocks import OfflineMocks
from offline.program import OfflineError, run_program, stack_config
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
            "primary",
            {"continuity:dbEngineVersion": "16.4"},
            "stack primary: config dbEngineVersion: 16.4 is not a major version of postgres; RDS upgrades "
            "minor versions itself (auto minor version upgrade), after which a pinned minor makes `pulumi up` "
            "plan a downgrade: give the major version (16)",
        ),
        (
            "primary",
            {"continuity:dbEngine": "mysql", "continuity:dbEngineVersion": "8.0.39"},
            "stack primary: config dbEngineVersion: 8.0.39 is not a major version of mysql; RDS upgrades "
            "minor versions itself (auto minor version upgrade), after which a pinned minor makes `pulumi up` "
            "plan a downgrade: give the major version (8.0)",
        ),
        (
            "primary",
            {"continuity:dbEngine": "oracle-ee"},
            "stack primary: config dbEngine: 'oracle-ee' is not one of postgres, mysql, mariadb",
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


def test_dr_stack_reads_the_primary_of_its_own_organization_by_default() -> None:
    # GIVEN Pulumi.dr.yaml without primaryStack (a self-managed backend's organization is "organization"),
    # and a backend that knows only organization/continuity/primary
    outputs = run_program("primary").outputs
    known = {"organization/continuity/primary": outputs}
    # WHEN the DR stack runs THEN it finds the primary there (any other name: "no such stack")
    run = run_program(
        "dr", primary_outputs=outputs, mocks_factory=lambda region, _: OfflineMocks(region, known)
    )
    assert run.outputs["promotion"]["databases"][0]["source_identifier"] == "orders-database"


def test_a_secret_config_key_has_no_plain_default(tmp_path: Path) -> None:
    # GIVEN a project whose secret key carries a plain default (the CLI refuses such a project)
    (tmp_path / "Pulumi.yaml").write_text(
        (ROOT / "Pulumi.yaml")
        .read_text()
        .replace("    secret: true\n", "    secret: true\n    default: ''\n")
    )
    (tmp_path / "Pulumi.primary.yaml").write_text((ROOT / "Pulumi.primary.yaml").read_text())
    # THEN the offline runner refuses it as the CLI would, and the repository's own does not
    with pytest.raises(
        OfflineError, match=r"Pulumi\.yaml: config kubeconfig: a secret key cannot have a plain default"
    ):
        stack_config("primary", root=tmp_path)
    assert stack_config("primary")[1]["continuity:role"] == "primary"


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
