"""What a check reports: the hidden resources it finds, per-policy counts, SARIF as GitHub code
scanning requires it, where each finding is located, and GitHub Actions workflow commands."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from offline.policy_check import Result, Violation
from offline.policy_report import (
    Location,
    Locator,
    component_declarations,
    position_location,
    text_report,
    workflow_commands,
)
from offline.stack_state import read_json, states_from_stack_export
from scripts.check_policies import main
from tests.conftest import DEFAULT_PLAN, ROOT
from tests.policies.conftest import plan_at, run
from tests.policies.synthetic import VERSIONING, stack_states, urn
from tests.policies.synthetic import changed as set_prop

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPORT = FIXTURES / "stack-export-primary.json"
SCRIPT = ROOT / "scripts" / "check_policies.py"


def primary(kind: str, name: str) -> str:
    return f"urn:pulumi:primary::continuity::{kind}::{name}"


# Stateful resources a team added to the stack by hand, none of them tagged for the plan.
HIDDEN = [
    {
        "urn": primary("aws:rds/instance:Instance", "legacy-db"),
        "custom": True,
        "type": "aws:rds/instance:Instance",
        "inputs": {"backupRetentionPeriod": 1, "publiclyAccessible": True, "storageEncrypted": False},
        "outputs": {"backupRetentionPeriod": 1, "publiclyAccessible": True, "storageEncrypted": False},
    },
    {
        "urn": primary("aws:rds/cluster:Cluster", "analytics"),
        "custom": True,
        "type": "aws:rds/cluster:Cluster",
        "inputs": {"storageEncrypted": True},
    },
    {
        "urn": primary("aws:dynamodb/table:Table", "sessions"),
        "custom": True,
        "type": "aws:dynamodb/table:Table",
        "inputs": {"hashKey": "id", "tags": {"continuity:service": "orders"}},
    },
    {
        "urn": primary("aws:efs/fileSystem:FileSystem", "shared"),
        "custom": True,
        "type": "aws:efs/fileSystem:FileSystem",
        "inputs": {"encrypted": True},
    },
    {
        "urn": primary("aws:ebs/volume:Volume", "scratch"),
        "custom": True,
        "type": "aws:ebs/volume:Volume",
        "inputs": {"encrypted": True, "size": 100},
    },
    {
        "urn": primary("aws:s3/bucket:Bucket", "exports"),
        "custom": True,
        "type": "aws:s3/bucket:Bucket",
        "inputs": {"bucket": "orders-exports"},
    },
    {
        "urn": primary("kubernetes:core/v1:PersistentVolumeClaim", "data"),
        "custom": True,
        "type": "kubernetes:core/v1:PersistentVolumeClaim",
        "inputs": {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}},
    },
    {
        "urn": primary("aws:dynamodb/table:Table", "locks"),
        "custom": True,
        "type": "aws:dynamodb/table:Table",
        "inputs": {"tags": {"continuity:exempt": "terraform state locks only"}},
    },
]
PLAN_ITEM_POLICY = {
    "aws:rds/instance:Instance": "rds-instance-require-plan-item",
    "aws:rds/cluster:Cluster": "rds-cluster-require-plan-item",
    "aws:dynamodb/table:Table": "dynamodb-table-require-plan-item",
    "aws:efs/fileSystem:FileSystem": "efs-filesystem-require-plan-item",
    "aws:ebs/volume:Volume": "ebs-volume-require-plan-item",
    "aws:s3/bucket:Bucket": "s3-bucket-require-plan-item",
    "kubernetes:core/v1:PersistentVolumeClaim": "kubernetes-pvc-require-plan-item",
}


@pytest.fixture(scope="module")
def hidden_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = json.loads(EXPORT.read_text())
    document["deployment"]["resources"] += copy.deepcopy(HIDDEN)
    path = tmp_path_factory.mktemp("hidden") / "export.json"
    path.write_text(json.dumps(document))
    return path


def test_hidden_resources__each_gets_a_violation_naming_it(
    capsys: pytest.CaptureFixture[str], hidden_export: Path
) -> None:
    # GIVEN a stack export with untagged stateful resources added by hand, and one exempt table
    status = main(["--state", str(hidden_export), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    found = {(v["policy"], v["urn"]) for v in report["violations"] if v["enforcement"] == "mandatory"}
    # THEN every unplanned one is a mandatory violation of its kind's plan-item policy
    for resource in HIDDEN[:-1]:
        assert (PLAN_ITEM_POLICY[str(resource["type"])], resource["urn"]) in found
    # AND the untagged database's public access is flagged as well, tag or no tag
    assert {(v["policy"], v["message"]) for v in report["violations"] if v["urn"] == HIDDEN[0]["urn"]} >= {
        (
            "rds-instance-disallow-public-access",
            'publiclyAccessible is true; "legacy-db" (no plan item) must not be reachable from the internet',
        ),
    }
    # AND the exempt table is not flagged but listed with its reason
    assert not [v for v in report["violations"] if v["urn"] == HIDDEN[-1]["urn"]]
    assert report["exemptions"] == [{"urn": HIDDEN[-1]["urn"], "reason": "terraform state locks only"}]


def test_json__keeps_its_schema_and_adds_per_policy_counts(
    capsys: pytest.CaptureFixture[str], hidden_export: Path
) -> None:
    main(["--state", str(hidden_export), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"violations", "summary", "policyResults", "exemptions"}
    assert set(report["summary"]) == {
        "resources",
        "policies",
        "violations",
        "mandatory",
        "advisory",
        "notApplicable",
        "source",
        "plan",
        "seconds",
    }
    counts = {r["policy"]: (r["passed"], r["failed"], r["notApplicable"]) for r in report["policyResults"]}
    # the export's database (too short on backups; its old copy pending deletion is not judged) and
    # the hidden one, which no plan item holds; two tables, one of them exempt
    assert counts["rds-instance-require-backup-retention"] == (0, 1, 1)
    assert counts["rds-instance-require-plan-item"] == (1, 1, 0)
    assert counts["dynamodb-table-require-plan-item"] == (0, 1, 1)
    assert len(counts) == report["summary"]["policies"]


# ---------------------------------------------------------------------------------------------
# Counts


@pytest.mark.parametrize(
    ("policy", "break_it", "expected"),
    [
        pytest.param("rds-instance-require-backup-retention", {}, (1, 0, 0), id="resource_policy_passes"),
        pytest.param(
            "rds-instance-require-backup-retention",
            {"orders-database-db": ("backupRetentionPeriod", 2.0)},
            (0, 1, 0),
            id="resource_policy_fails",
        ),
        pytest.param(
            "rds-instance-require-backup-retention",
            {"orders-database-db": ("tags", {})},
            (0, 0, 1),
            id="resource_policy_not_applicable",
        ),
        pytest.param(
            # the violation names the versioning configuration; it fails the bucket it belongs to
            "s3-bucket-enable-versioning",
            {"orders-user-files-versioning": ("versioningConfiguration.status", "Suspended")},
            (1, 1, 0),
            id="stack_policy_side_resource_fails_its_bucket",
        ),
        pytest.param(
            # a missing item is the stack's shortfall: counted as one failure beside the passes
            "rds-instance-require-coverage",
            {"orders-database-db": ("tags.continuity:data-item", "user-files")},
            (0, 2, 0),
            id="stack_policy_missing_item",
        ),
    ],
)
def test_tallies__passed_failed_not_applicable(policy: str, break_it: dict, expected: tuple) -> None:
    states = stack_states(plan_at(DEFAULT_PLAN), "primary")
    for name, (path, value) in break_it.items():
        states = set_prop(states, name, path, value)
    tally = next(t for t in run(states).tallies if t.policy == policy)
    assert (tally.passed, tally.failed, tally.not_applicable) == expected


def test_text__lists_counts_per_policy_then_violations_then_exemptions(hidden_export: Path) -> None:
    states_result = run_hidden(hidden_export)
    lines = text_report(states_result, "export.json", DEFAULT_PLAN)
    assert lines[2].split() == ["policy", "passed", "failed", "n/a"]
    assert lines[3].split() == ["rds-instance-require-backup-retention", "0", "1", "1"]
    assert "exempt from the plan (1):" in lines
    assert lines[-2:] == [f"  {HIDDEN[-1]['urn']}", "          terraform state locks only"]


def run_hidden(path: Path) -> Result:
    return run(states_from_stack_export(read_json(path), str(path)))


# ---------------------------------------------------------------------------------------------
# SARIF


# The part of SARIF 2.1.0 that GitHub code scanning reads ("SARIF support for code scanning"):
# a version, a schema, runs with a tool driver whose rules have an id and descriptions, and
# results with a rule, a level, a message and at least one physical location.
GITHUB_SARIF = {
    "type": "object",
    "required": ["version", "$schema", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "pattern": "^https://"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": [
                                                "id",
                                                "name",
                                                "shortDescription",
                                                "fullDescription",
                                                "help",
                                                "defaultConfiguration",
                                                "properties",
                                            ],
                                            "properties": {
                                                "shortDescription": {"$ref": "#/definitions/text"},
                                                "fullDescription": {"$ref": "#/definitions/text"},
                                                "help": {"$ref": "#/definitions/text"},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": {"$ref": "#/definitions/level"}},
                                                },
                                                "properties": {
                                                    "type": "object",
                                                    "required": ["security-severity", "tags", "precision"],
                                                    "properties": {
                                                        "security-severity": {
                                                            "type": "string",
                                                            "pattern": "^[0-9]+\\.[0-9]$",
                                                        }
                                                    },
                                                },
                                            },
                                        },
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
                            "properties": {
                                "level": {"$ref": "#/definitions/level"},
                                "message": {"$ref": "#/definitions/text"},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 10,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {"type": "string", "minLength": 1}
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1}
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                                "partialFingerprints": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    },
    "definitions": {
        "text": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1}},
        },
        "level": {"enum": ["none", "note", "warning", "error"]},
    },
}


def test_sarif__the_structure_github_code_scanning_requires(hidden_export: Path, tmp_path: Path) -> None:
    # GIVEN the hidden-resources export checked as a process, as the workflow runs it
    sarif_file = tmp_path / "policy.sarif"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--state",
            str(hidden_export),
            "--format",
            "sarif",
            "--sarif",
            str(sarif_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # (run as a process once: exit status 1 for the mandatory violations, nothing on stderr)
    assert (done.returncode, done.stderr) == (1, "")
    document = json.loads(done.stdout)
    assert json.loads(sarif_file.read_text()) == document
    jsonschema.Draft7Validator(GITHUB_SARIF).validate(document)
    run_ = document["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    # THEN one rule per policy, one result per violation, each result pointing at its rule
    assert len(rules) == 44
    assert len({r["id"] for r in rules}) == 44
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    mandatory = [r for r in run_["results"] if r["properties"]["enforcement"] == "mandatory"]
    assert mandatory
    assert {r["level"] for r in mandatory} == {"error"}
    retention = next(r for r in rules if r["id"] == "rds-instance-require-backup-retention")
    assert retention["defaultConfiguration"] == {"level": "error", "enabled": True}
    assert retention["properties"]["security-severity"] == "10.0"
    assert retention["shortDescription"]["text"].startswith("RDS instances keep automated backups")


# ---------------------------------------------------------------------------------------------
# Where a finding is shown


def line_at(location: Location) -> str:
    return (ROOT / location.path).read_text().splitlines()[location.line - 1]


def test_location__without_a_source_position_the_component_that_owns_it() -> None:
    # GIVEN a resource whose state records no position, inside the PrimaryDatabase component
    urn_ = (
        "urn:pulumi:primary::continuity::continuity:components:PrimaryDatabase$aws:rds/instance:Instance::db"
    )
    where = Locator([], DEFAULT_PLAN).locate(Violation("p", urn_, "m", "mandatory"))
    assert where == component_declarations()["continuity:components:PrimaryDatabase"]
    assert where.path == "components/primary_database.py"
    assert '"continuity:components:PrimaryDatabase"' in line_at(where)


@pytest.mark.parametrize(
    ("message", "line_text"),
    [
        pytest.param('plan data "audit-logs" (tier critical) has no bucket', "  audit-logs:", id="data_item"),
        pytest.param('plan service "api" (tier critical) is missing', "  api:", id="service"),
        pytest.param("no plan item named", "# yaml-language-server:", id="nothing_named_first_line"),
    ],
)
def test_location__a_stack_finding_at_the_plan_item_it_names(message: str, line_text: str) -> None:
    stack = urn("primary", "pulumi:pulumi:Stack", "continuity-primary")
    where = Locator([], DEFAULT_PLAN).locate(Violation("p", stack, message, "mandatory"))
    assert where.path == "continuity-plan.yaml"
    assert line_at(where).startswith(line_text)


# ---------------------------------------------------------------------------------------------
# GitHub Actions


def test_workflow_commands__annotate_each_violation_on_its_line() -> None:
    states = stack_states(plan_at(DEFAULT_PLAN), "primary")
    states = set_prop(states, "orders-user-files-versioning", "versioningConfiguration.status", "Suspended")
    result = run(states)
    commands = workflow_commands(result, Locator(states, DEFAULT_PLAN))
    # (the synthetic stack records no source position, and its URNs no component: the plan item's line)
    line = next(
        n
        for n, text in enumerate(DEFAULT_PLAN.read_text().splitlines(), 1)
        if text.startswith("  user-files:")
    )
    assert commands == [
        f"::error file=continuity-plan.yaml,line={line},title=s3-bucket-enable-versioning::"
        'versioningConfiguration.status is "Suspended"; plan data "user-files" (tier important) keeps old '
        f"versions 90 days ({urn('primary', VERSIONING, 'orders-user-files-versioning')})"
    ]


def test_workflow_commands__escape_what_github_would_read_as_syntax() -> None:
    violation = Violation("a,b:c", "urn:x", "100% sure\nnext", "advisory")
    result = Result(violations=[violation], resources=0, policies=1, not_applicable=0)
    locator = Locator([], DEFAULT_PLAN)
    assert workflow_commands(result, locator) == [
        "::warning file=continuity-plan.yaml,line=1,title=a%2Cb%3Ac::100%25 sure%0Anext (urn:x)"
    ]


def test_text__workflow_commands_only_inside_github_actions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    main(["--state", str(EXPORT)])
    assert "::error" not in capsys.readouterr().out
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    main(["--state", str(EXPORT)])
    out = capsys.readouterr().out.splitlines()
    assert [line.split("::")[1].split()[0] for line in out if line.startswith("::")] == [
        "error",
        "warning",
        "error",
        "error",
        "error",
        "error",
    ]


def test_workflow__uploads_the_sarif_the_check_writes() -> None:
    # GIVEN the policy gate's workflow  THEN its offline job may write security events, writes the
    # SARIF file with --sarif and uploads that very file with upload-sarif, one category per stack
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "dr-policy.yml").read_text())
    job = workflow["jobs"]["offline"]
    assert job["permissions"]["security-events"] == "write"
    check = next(s for s in job["steps"] if "check_policies.py" in s.get("run", ""))
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    )
    assert '--sarif "policy-${{ matrix.stack }}.sarif"' in check["run"]
    assert upload["with"] == {
        "sarif_file": "policy-${{ matrix.stack }}.sarif",
        "category": "dr-policy-${{ matrix.stack }}",
    }
    assert upload["if"].startswith("always()")


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        pytest.param(
            "project:///components/network.py#30,5", Location("components/network.py", 30), id="with_column"
        ),
        pytest.param("project:///__main__.py#72", Location("__main__.py", 72), id="line_only"),
        pytest.param("file:///work/components/network.py#30", None, id="not_project_relative"),
        pytest.param("project:///components/network.py", None, id="no_line"),
        pytest.param("", None, id="none_recorded"),
    ],
)
def test_source_position__as_the_engine_writes_it_into_state(
    position: str, expected: Location | None
) -> None:
    assert position_location(position) == expected


def test_source_position__read_from_a_stack_export_and_used() -> None:
    # GIVEN a `pulumi stack export` resource with the engine's sourcePosition
    raw = {
        "urn": primary("aws:rds/instance:Instance", "db"),
        "type": "aws:rds/instance:Instance",
        "custom": True,
        "sourcePosition": "project:///components/primary_database.py#50,20",
    }
    states = states_from_stack_export({"version": 3, "deployment": {"resources": [raw]}}, "export")
    assert states[0].source_position == raw["sourcePosition"]
    where = Locator(states, DEFAULT_PLAN).locate(Violation("p", states[0].urn, "m", "mandatory"))
    assert where == Location("components/primary_database.py", 50)
