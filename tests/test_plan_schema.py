"""docs/plan.schema.json: generated from the plan library's models, in sync with them, named by every
plan's first line, and accepting and refusing what the plan library accepts and refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel, BeforeValidator

from continuity import plan as plan_library
from continuity.schema import FIELD_TYPES, SCHEMA_PATH, UndescribedFieldTypeError, _PlanSchema, main, render
from tests.conftest import ALL_PLANS, ROOT, changed, plan_document

SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


def valid(document: Any) -> bool:
    return jsonschema.Draft202012Validator(schema()).is_valid(document)


def test_schema_file__in_sync_with_the_models() -> None:
    assert SCHEMA_PATH.read_text() == render(), (
        "docs/plan.schema.json is stale: run python -m continuity.schema"
    )


def test_check__exit_1_when_stale_and_0_when_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "plan.schema.json"
    stale.write_text("{}\n")
    assert main(["--check", "--output", str(stale)]) == 1
    assert capsys.readouterr().err == f"{stale}: out of date; run: python -m continuity.schema\n"
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", "--output", str(stale)]) == 0
    assert stale.read_text() == render()


@pytest.mark.parametrize("path", ALL_PLANS, ids=[p.stem for p in ALL_PLANS])
def test_every_plan__names_the_schema_on_its_first_line_and_satisfies_it(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    match = SCHEMA_LINE.match(first)
    assert match, f"{path.relative_to(ROOT)}: first line is {first!r}"
    assert (path.parent / match["path"]).resolve() == SCHEMA_PATH
    # read as the plan library reads it (YAML 1.2 times: 03:00 stays text), as editors do
    document = plan_library._read_yaml(path.read_text(), str(path))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema()).iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("strategy", "hot", id="strategy_not_one_of"),
        pytest.param("surprise", 1, id="unknown_top_level_key"),
        pytest.param("data.database.surprise", 1, id="unknown_data_item_key"),
        pytest.param("data.database.retention", "30", id="duration_without_unit"),
        pytest.param("data.database.frequency", "often", id="frequency_not_a_duration"),
        pytest.param("data.database.store", "dynamodb", id="store_not_one_of"),
        pytest.param(
            "data.Database",
            {"tier": "critical", "store": "rds", "frequency": "1h", "retention": "1d"},
            id="item_name_upper_case",
        ),
        pytest.param("regions.dr", "mars-1", id="region_not_aws"),
        pytest.param("services.api.port", 70000, id="port_out_of_range"),
        pytest.param("services.api.capacity.dr", "one", id="capacity_not_a_number"),
        pytest.param("services.api.health_check", "health", id="health_check_not_a_path"),
        pytest.param("version", 2, id="other_version"),
        pytest.param("notify.webhooks", ["http://hooks.example.com/x"], id="webhook_not_https"),
        pytest.param("notify.email", "oncall@example.com", id="email_not_a_list"),
        pytest.param("failover", "sometimes", id="failover_not_one_of"),
    ],
)
def test_schema__refuses_what_the_plan_library_refuses(path: str, value: Any) -> None:
    document = changed(plan_document(), path, value)
    with pytest.raises(plan_library.PlanError):
        plan_library.parse_plan(document)
    assert not valid(document)


def _accepts(validator: Any, value: str) -> bool:
    try:
        validator(value)
    except ValueError:
        return False
    return True


VALIDATORS = {
    "continuity.plan._duration": plan_library._duration,
    "continuity.plan._frequency": plan_library._frequency,
    "continuity.plan._start_time": plan_library._start_time,
    "continuity.plan._region": plan_library._region,
    "continuity.plan._name.<locals>.check": plan_library._name("service"),
    "continuity.plan._health_path": plan_library._health_path,
    "continuity.plan._email": plan_library._email,
    "continuity.plan._webhook": plan_library._webhook,
}
SAMPLES = [
    "30m", "7y", " 30d ", "0d", "30", "30s", "1.5h", "continuous", "Continuous", "1h ",
    "03:00", "3:00", "sun 02:00", "SUN 02:00", "Sat 23:59", "24:00", "sun02:00", "mon  12:30", "sat 12:60", "fri",
    "us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "US-EAST-1", "useast1", "us-east-10",
    "orders", "a", "ab", "a-", "-a", "Orders", "a1-b2", "a" * 24, "a" * 25,
    "/health", "/", "health", "/a b", "/a/b?c=1",
    "oncall@example.com", "on call@example.com", "a@b", "@example.com",
    "https://hooks.example.com/services/x", "https://events.pagerduty.com:443/x?y=1", "http://hooks.example.com/x",
    "https:///x", "https://a b/", "https://user@host.example/x", "https://:443/x",
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIELD_TYPES))
def test_field_types__each_pattern_accepts_what_its_validator_accepts(name: str) -> None:
    described = FIELD_TYPES[name]
    pattern = re.compile(described["pattern"])
    validator = VALIDATORS[name]
    for sample in SAMPLES:
        by_schema = (
            bool(pattern.search(sample))
            and len(sample) >= described.get("minLength", 0)
            and len(sample) <= described.get("maxLength", len(sample))
        )
        assert by_schema == _accepts(validator, sample), (name, sample)


def test_field_types__one_for_every_validator_the_models_use() -> None:
    assert set(VALIDATORS) == set(FIELD_TYPES)


def test_a_new_field_type__must_be_described() -> None:
    # GIVEN a model field parsed by a continuity validator the schema module does not know
    def parse(value: object) -> str:
        return str(value)

    parse.__module__ = "continuity.plan"

    class NewField(BaseModel):
        value: Annotated[str, BeforeValidator(parse)]

    # THEN generating its schema stops and says where to describe it
    with pytest.raises(UndescribedFieldTypeError, match=r"continuity/schema\.py FIELD_TYPES"):
        NewField.model_json_schema(schema_generator=_PlanSchema)
