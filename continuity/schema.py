"""The plan format as a JSON Schema, generated from the plan library's models (continuity/plan.py).

Editors that speak the YAML language server (VS Code's YAML extension, JetBrains IDEs, Neovim)
complete and check a plan as it is typed once its first line names the schema:
``# yaml-language-server: $schema=docs/plan.schema.json`` (relative to the plan file). The schema
is written to docs/plan.schema.json and kept in sync by tests/test_schema.py; after changing the
models, regenerate it with

    python -m continuity.schema            # or: make schema
    python -m continuity.schema --check    # exit 1 if docs/plan.schema.json is out of date

Structure, keys, types and enumerations come from pydantic. The plan's own field types (durations,
frequencies, start times, regions, names, health check paths) are parsed by validators the models
run before validation, which pydantic cannot describe; each gets a string pattern and a description
here, and tests/test_schema.py checks that every pattern accepts and refuses what the plan library
does. The cross-field rules (a frequency within its tier's RPO, say) stay with
``python scripts/validate_plan.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from continuity.plan import Plan

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "plan.schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

DURATION = r"^\s*[1-9][0-9]*[mhdwy]\s*$"
FREQUENCY = r"^\s*(continuous|[1-9][0-9]*[mhdwy])\s*$"
# HH:MM in UTC, optionally after a weekday; the plan library reads it in any letter case.
_WEEKDAY = "|".join(
    "".join(f"[{c.lower()}{c.upper()}]" for c in day)
    for day in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
)
START_TIME = rf"^\s*(({_WEEKDAY})\s+)?([01]?[0-9]|2[0-3]):[0-5][0-9]\s*$"
_DIRECTIONS = "north|south|east|west|central|northeast|northwest|southeast|southwest"
REGION = rf"^[a-z]{{2}}(-gov|-iso[a-z]?)?-({_DIRECTIONS})-[1-9]$"
NAME = r"^[a-z][a-z0-9-]*[a-z0-9]$"
HEALTH_PATH = r"^/[^ ]*$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# https://, a host (after any user@, before any :port), then a path, query or fragment, no spaces.
WEBHOOK = r"^https://([^\s/?#@]*@)?[^\s/?#:@]+(:[0-9]*)?([/?#]\S*)?$"

# What each of the plan library's field validators accepts, keyed by the validator's qualified
# name: the JSON Schema that describes it.
FIELD_TYPES: dict[str, JsonSchemaValue] = {
    "continuity.plan._duration": {
        "type": "string",
        "pattern": DURATION,
        "description": "A duration: <number><unit>, unit m (minutes), h, d, w or y (365.25 days), "
        "e.g. 30m, 7d, 7y.",
    },
    "continuity.plan._frequency": {
        "type": "string",
        "pattern": FREQUENCY,
        "description": "How often a recovery point is made: continuous (replication or point-in-time "
        "recovery), or a duration <number><unit> with unit m, h, d, w or y, e.g. 1h.",
    },
    "continuity.plan._start_time": {
        "type": "string",
        "pattern": START_TIME,
        "description": "When scheduled backups start, in UTC: HH:MM, or a weekday and HH:MM for weekly "
        "or longer frequencies, e.g. 03:00 or sun 02:00.",
    },
    "continuity.plan._region": {
        "type": "string",
        "pattern": REGION,
        "description": "An AWS region name, e.g. us-east-1.",
    },
    "continuity.plan._name.<locals>.check": {
        "type": "string",
        "pattern": NAME,
        "minLength": 2,
        "maxLength": 24,
        "description": "A name: 2-24 lowercase letters, digits and hyphens, starting with a letter and "
        "not ending with a hyphen (it becomes part of AWS resource names).",
    },
    "continuity.plan._health_path": {
        "type": "string",
        "pattern": HEALTH_PATH,
        "description": "The HTTP path the load balancer checks, starting with /, e.g. /health.",
    },
    "continuity.plan._email": {
        "type": "string",
        "pattern": EMAIL,
        "description": "An email address subscribed to the alarm topics, e.g. oncall@example.com.",
    },
    "continuity.plan._webhook": {
        "type": "string",
        "pattern": WEBHOOK,
        "description": "An https:// endpoint (chat or paging) subscribed to the alarm topics; it must "
        "confirm SNS subscriptions.",
    },
}
# Validators that refuse only what is not of the inner type (with a clearer message than
# pydantic's): the inner type's schema describes them.
PASS_THROUGH = frozenset({"continuity.plan._listed.<locals>.check"})


class UndescribedFieldTypeError(Exception):
    """A plan field type whose validator has no JSON Schema in FIELD_TYPES."""


def _qualified_name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


class _PlanSchema(GenerateJsonSchema):
    """pydantic's generator, with the plan library's own field types described as strings."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        name = _qualified_name(schema["function"]["function"])
        if name in FIELD_TYPES:
            return dict(FIELD_TYPES[name])
        if name in PASS_THROUGH:
            return self.generate_inner(schema["schema"])
        if name.startswith("continuity."):
            raise UndescribedFieldTypeError(
                f"{name}: a plan field type without a JSON Schema; "
                "describe it in continuity/schema.py FIELD_TYPES"
            )
        return super().function_before_schema(schema)


def _names_as_keys(node: Any) -> Any:
    """pydantic writes a map whose keys have a pattern as ``patternProperties``, which lets a key
    that misses the pattern through unchecked; a plan's maps (tiers, data, services) take only
    names, so the pattern goes to ``propertyNames`` and every entry must be the value type."""
    if isinstance(node, list):
        return [_names_as_keys(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _names_as_keys(value) for key, value in node.items()}
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and isinstance(node.get("propertyNames"), dict):
        ((pattern, value),) = patterns.items()
        del node["patternProperties"]
        node["propertyNames"] = {**node["propertyNames"], "pattern": pattern}
        node["additionalProperties"] = value
    return node


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of a plan file."""
    schema = _names_as_keys(Plan.model_json_schema(mode="validation", schema_generator=_PlanSchema))
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://continuity.invalid/plan.schema.json",
        "title": "Continuity plan",
        "description": "A business-continuity plan as code (docs/plan.md). Generated from "
        "continuity/plan.py by `python -m continuity.schema`; do not edit by hand.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def render() -> str:
    return json.dumps(plan_schema(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m continuity.schema",
        description="Write the plan format's JSON Schema (docs/plan.schema.json) from continuity/plan.py.",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file is out of date; write nothing"
    )
    parser.add_argument(
        "--output", type=Path, default=SCHEMA_PATH, help="where to write (default %(default)s)"
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output}: out of date; run: python -m continuity.schema", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
