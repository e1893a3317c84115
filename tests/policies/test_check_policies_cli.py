"""scripts/check_policies.py: documents the CLI writes, their known violations caught exactly, and
malformed input refused with exit status 2 and one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.check_policies import main
from tests.conftest import ROOT, changed, plan_document, write_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPORT = FIXTURES / "stack-export-primary.json"
PREVIEW = FIXTURES / "preview-dr.json"


def primary(kind: str, name: str) -> str:
    return f"urn:pulumi:primary::continuity::{kind}::{name}"


def dr(kind: str, name: str) -> str:
    return f"urn:pulumi:dr::continuity::{kind}::{name}"


CONTINUOUS_FOR_USER_FILES = (
    'no rule has enableContinuousBackup true; plan data "user-files" (tier important) needs continuous '
    "backup (scheduled backups alone risk 1h gap + 1h start window + 2h completion window = 4h, over tier "
    "important RPO 1h)"
)
EXPORT_VIOLATIONS = [
    {
        "policy": "rds-instance-require-backup-retention",
        "urn": primary("aws:rds/instance:Instance", "orders-database-db"),
        "message": 'backupRetentionPeriod is 7 days; plan data "database" (tier critical) keeps 30 days',
        "enforcement": "mandatory",
    },
    {
        "policy": "rds-instance-disallow-public-access",
        "urn": primary("aws:rds/instance:Instance", "orders-database-db"),
        "message": 'publiclyAccessible is true; plan data "database" (tier critical) must not be reachable from the internet',
        "enforcement": "advisory",
    },
    {
        # The export's user-files backups are hourly only: up to 4h lost against a 1h RPO.
        "policy": "backup-plan-require-frequency",
        "urn": primary("aws:backup/plan:Plan", "orders-user-files-backup-plan"),
        "message": CONTINUOUS_FOR_USER_FILES,
        "enforcement": "mandatory",
    },
    {
        "policy": "backup-vault-require-compliance-lock",
        "urn": primary("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "orders-vault-lock"),
        "message": "minRetentionDays is 7 days; plan rule database-continuous (data.database.frequency continuous, "
        "retention 30d) keeps 30 days",
        "enforcement": "mandatory",
    },
    {
        "policy": "s3-bucket-enable-versioning",
        "urn": primary("aws:s3/bucketVersioning:BucketVersioning", "orders-user-files-versioning"),
        "message": 'versioningConfiguration.status is "Suspended"; plan data "user-files" (tier important) keeps old versions 90 days',
        "enforcement": "mandatory",
    },
    {
        "policy": "route53-record-require-health-check",
        "urn": primary("aws:route53/record:Record", "orders-record"),
        "message": 'healthCheckId is not set; without one Route 53 never fails over from this PRIMARY record; plan tier "critical" has RTO 30m',
        "enforcement": "mandatory",
    },
]

PREVIEW_VIOLATIONS = [
    {
        "policy": "rds-instance-require-customer-key",
        "urn": dr("aws:rds/instance:Instance", "orders-database-db"),
        "message": "can't run policy 'rds-instance-require-customer-key' from policy pack 'continuity@v0.0.1' during "
        "preview: string value at .kmsKeyId can't be known during preview",
        "enforcement": "advisory",
    },
    {
        "policy": "backup-plan-require-frequency",
        "urn": dr("aws:backup/plan:Plan", "orders-user-files-backup-plan"),
        "message": CONTINUOUS_FOR_USER_FILES,
        "enforcement": "mandatory",
    },
    {
        "policy": "ecs-service-require-capacity",
        "urn": dr("aws:ecs/service:Service", "orders-api-service"),
        "message": 'desiredCount is 0; plan service "api" (tier critical) keeps 1 task warm in the DR region (capacity.dr)',
        "enforcement": "mandatory",
    },
    {
        "policy": "s3-bucket-require-object-lock",
        "urn": dr(
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "orders-user-files-lock"
        ),
        "message": 'rule.defaultRetention.mode is "GOVERNANCE"; plan data "user-files" (tier important) is immutable: COMPLIANCE 90 days',
        "enforcement": "mandatory",
    },
    {
        "policy": "s3-bucket-require-dr-replication",
        "urn": dr("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "orders-audit-logs-replication"),
        "message": 'rules[0].status is "Disabled"; plan data "audit-logs" (tier critical) has copy_to_dr true',
        "enforcement": "mandatory",
    },
]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    status = main([*args, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_state__stack_export_violations_caught_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN `pulumi stack export` of a primary stack with five plan shortfalls and a public database
    # (plus a ciphertext secret, and an old instance pending deletion that is no longer judged)
    status, report = run_json(capsys, "--state", str(EXPORT))
    assert report["violations"] == EXPORT_VIOLATIONS
    assert status == 1
    assert {
        k: report["summary"][k] for k in ("resources", "policies", "violations", "mandatory", "advisory")
    } == {
        "resources": 36,
        "policies": 44,
        "violations": 6,
        "mandatory": 5,
        "advisory": 1,
    }


def test_preview__preview_json_violations_caught_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN `pulumi preview --json` of a DR change: updates, a replacement (three steps for one URN)
    # whose new key is unknown, a deletion, and a [secret]
    status, report = run_json(capsys, "--preview", str(PREVIEW))
    assert report["violations"] == PREVIEW_VIOLATIONS
    assert status == 1
    assert report["summary"]["resources"] == 40


def test_state__text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--state", str(EXPORT)])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert (
        lines[0]
        == f"{EXPORT}: 36 resources, 44 policies (plan {ROOT / 'continuity-plan.yaml'}): 5 mandatory, 1 advisory violation"
    )
    first = lines.index(f"mandatory rds-instance-require-backup-retention  {EXPORT_VIOLATIONS[0]['urn']}")
    assert lines[first + 1] == f"          {EXPORT_VIOLATIONS[0]['message']}"


def test_policy_pack_config__lowers_mandatory_to_advisory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"all": "advisory"}))
    status, report = run_json(capsys, "--state", str(EXPORT), "--policy-pack-config", str(config))
    assert status == 0
    assert {v["enforcement"] for v in report["violations"]} == {"advisory"}


def test_plan__another_plan_judges_the_same_stack(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # GIVEN a plan that keeps the database only 7 days
    plan = write_plan(tmp_path, changed(plan_document(), "data.database.retention", "7d"))
    status, report = run_json(capsys, "--state", str(EXPORT), "--plan", str(plan))
    # THEN the short retention is no longer a violation, and the vault lock is judged against 7 days
    assert "rds-instance-require-backup-retention" not in {v["policy"] for v in report["violations"]}
    assert report["summary"]["plan"] == str(plan)
    assert status == 1


def test_print_pack_config__points_every_policy_at_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--print-pack-config", "--plan", str(ROOT / "examples" / "plans" / "katya.yaml")]) == 0
    config = json.loads(capsys.readouterr().out)
    assert len(config) == 44
    assert set(map(json.dumps, config.values())) == {json.dumps({"plan": "examples/plans/katya.yaml"})}


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        pytest.param(
            lambda t: ["--state", str(t / "missing.json")],
            "{t}/missing.json: no such file",
            id="missing_file",
        ),
        pytest.param(
            lambda t: ["--state", str(write(t, "x.json", "{not json"))],
            "{t}/x.json: not JSON (line 1, column 2: Expecting property name enclosed in double quotes)",
            id="not_json",
        ),
        pytest.param(
            lambda t: ["--state", str(write(t, "x.json", []))],
            "{t}/x.json: not a `pulumi stack export` document (no deployment object)",
            id="unknown_format",
        ),
        pytest.param(
            lambda t: ["--state", str(PREVIEW)],
            f"{PREVIEW}: this is a `pulumi preview --json` document; pass it with --preview",
            id="preview_given_as_state",
        ),
        pytest.param(
            lambda t: ["--preview", str(EXPORT)],
            f"{EXPORT}: this is a `pulumi stack export` document; pass it with --state",
            id="export_given_as_preview",
        ),
        pytest.param(
            lambda t: ["--preview", str(write(t, "x.json", {"config": {}}))],
            "{t}/x.json: not a `pulumi preview --json` document (no steps list)",
            id="not_a_preview",
        ),
        pytest.param(
            lambda t: ["--state", str(write(t, "x.json", {"version": 2, "deployment": {"resources": []}}))],
            "{t}/x.json: deployment version 2 is not supported (this checker reads version 3)",
            id="old_deployment_version",
        ),
        pytest.param(
            lambda t: [
                "--state",
                str(
                    write(
                        t,
                        "x.json",
                        {"version": 3, "deployment": {"resources": [{"type": "aws:s3/bucket:Bucket"}]}},
                    )
                ),
            ],
            "{t}/x.json: deployment.resources[0].urn: expected a Pulumi URN, found None",
            id="resource_without_urn",
        ),
        pytest.param(
            lambda t: [
                "--preview",
                str(
                    write(
                        t,
                        "x.json",
                        {
                            "steps": [
                                {
                                    "op": "create",
                                    "newState": {
                                        "urn": "urn:pulumi:s::p::t:m:R::r",
                                        "type": "t:m:R",
                                        "inputs": [],
                                    },
                                }
                            ]
                        },
                    )
                ),
            ],
            "{t}/x.json: steps[0].newState.inputs: expected an object, found list",
            id="inputs_not_an_object",
        ),
        pytest.param(
            lambda t: ["--stack", "staging"],
            "--stack staging: unknown stack (expected primary or dr)",
            id="unknown_stack",
        ),
        pytest.param(
            lambda t: ["--state", str(EXPORT), "--plan", str(t / "nope.yaml")],
            "{t}/nope.yaml: no such file",
            id="missing_plan",
        ),
        pytest.param(
            lambda t: [
                "--state",
                str(EXPORT),
                "--plan",
                str(write_plan(t, changed(plan_document(), "strategy", "hot"))),
            ],
            "{t}/plan.yaml: strategy: \"hot\" is not one of 'backup-restore', 'pilot-light' or 'warm-standby'",
            id="invalid_plan",
        ),
        pytest.param(
            lambda t: [
                "--state",
                str(EXPORT),
                "--policy-pack-config",
                str(write(t, "cfg.json", {"all": "loud"})),
            ],
            '{t}/cfg.json: "all": "loud" is not a valid enforcement level',
            id="invalid_enforcement_level",
        ),
        pytest.param(
            lambda t: [
                "--state",
                str(EXPORT),
                "--policy-pack-config",
                str(write(t, "cfg.json", {"s3-bucket-require-versioning": "mandatory"})),
            ],
            "policy pack config: no policy named s3-bucket-require-versioning in pack continuity",
            id="unknown_policy_in_config",
        ),
    ],
)
def test_bad_input__exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make_args: object, message: str
) -> None:
    assert callable(make_args)
    status = main(make_args(tmp_path))
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err == f"check_policies.py: {message.format(t=tmp_path)}\n"


def test_bad_arguments__exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--state", str(EXPORT), "--preview", str(PREVIEW)])
    assert exited.value.code == 2
    assert (
        capsys.readouterr().err
        == "check_policies.py: argument --preview: not allowed with argument --state\n"
    )


def test_config__stack_config_beyond_the_stack_file(capsys: pytest.CaptureFixture[str]) -> None:
    vapora = str(ROOT / "examples" / "plans" / "vapora.yaml")
    # the repository's stack files name no cluster: the plan's Kubernetes services need one
    assert main(["--stack", "dr", "--plan", vapora]) == 2
    assert "config eksClusterName (or kubeconfig): required" in capsys.readouterr().err
    assert main(["--stack", "dr", "--plan", vapora, "--config", "eksClusterName=vapora", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["mandatory"], summary["advisory"]) == (0, 0)
    assert main(["--stack", "dr", "--config", "eksClusterName"]) == 2
    assert capsys.readouterr().err.strip() == (
        "check_policies.py: --config 'eksClusterName': expected KEY=VALUE (e.g. eksClusterName=orders)"
    )
