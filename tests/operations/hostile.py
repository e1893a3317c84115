"""Hostile inputs, as an attacker or a bad night would write them: plans (YAML), DR stack outputs
files, stack exports and preview documents (JSON). Each is built from a valid document with one
thing broken, so that what is refused is exactly that thing.

tests/operations/test_hostile_inputs.py feeds every one to the reader that must refuse it (and to
the script in front of that reader) and holds it to one line, a documented exit code, no traceback.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A valid plan (the default plan's content), kept here so that line numbers in messages stay put.
PLAN = """\
version: 1
service: orders
regions: {primary: us-east-1, dr: us-west-2}
strategy: warm-standby
tiers:
  critical:  {rto: 30m, rpo: 15m}
  important: {rto: 24h, rpo: 1h}
  optional:  {rto: 72h, rpo: 24h}
data:
  database:   {tier: critical, store: rds, frequency: continuous, retention: 30d, copy_to_dr: true}
  user-files: {tier: important, store: s3, frequency: 1h, retention: 90d, immutable: true, copy_to_dr: true}
  audit-logs: {tier: critical, store: s3, frequency: continuous, retention: 7y, immutable: true, copy_to_dr: true}
services:
  api: {tier: critical, port: 8080, health_check: /health, capacity: {primary: 4, dr: 1}}
testing: {restore_test: 30d, failover_drill: 90d}
"""


def _replace(old: str, new: str) -> Callable[[], str]:
    def make() -> str:
        assert old in PLAN, old
        return PLAN.replace(old, new, 1)

    return make


def _alias_bomb() -> str:
    # The "billion laughs": ten levels of ten aliases each, 10**10 values in a few hundred bytes.
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return PLAN + "\n".join(lines) + "\n"


def _merge_bomb() -> str:
    # The same through merge keys (<<), which PyYAML expands when it builds mappings.
    lines = ["m0: &m0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v, k9: v}"]
    lines += [
        f"m{i}: &m{i} [" + ", ".join([f"{{<<: *m{i - 1}, x{j}: y}}" for j in range(10)]) + "]"
        for i in range(1, 8)
    ]
    return PLAN + "\n".join(lines) + "\n"


Make = Callable[[], str | bytes | None]

# name -> (how to write it, what the reader says after "<file>: ")
PLANS: dict[str, tuple[Make, str]] = {
    "alias bomb": (
        _alias_bomb,
        "line 20, column 45: expands to more than 100,000 values (aliases repeat what they point to)",
    ),
    "merge-key bomb": (
        _merge_bomb,
        "line 20, column 51: expands to more than 100,000 values (aliases repeat what they point to)",
    ),
    "deep flow nesting": (
        lambda: PLAN + "x: " + "[" * 50_000 + "]" * 50_000 + "\n",
        "line 16, column 67: nested deeper than 64 levels",
    ),
    "deep block nesting": (
        lambda: PLAN + "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v: 1\n",
        "line 80, column 129: nested deeper than 64 levels",
    ),
    "5000-digit version": (
        _replace("version: 1", "version: " + "9" * 5000),
        "line 1, column 10: a 5,000-digit number (at most 20 digits)",
    ),
    "25-digit capacity": (
        _replace("primary: 4", "primary: " + "1" * 25),
        "line 14, column 80: a 25-digit number (at most 20 digits)",
    ),
    "hex number of 30 digits": (
        _replace("primary: 4", "primary: 0x" + "f" * 30),
        "line 14, column 80: a 30-digit number (at most 20 digits)",
    ),
    "NaN capacity": (
        _replace("primary: 4", "primary: .nan"),
        "line 14, column 80: .nan is not a finite number",
    ),
    "infinite capacity": (
        _replace("primary: 4", "primary: .inf"),
        "line 14, column 80: .inf is not a finite number",
    ),
    "minus infinity": (_replace("dr: 1}", "dr: -.inf}"), "line 14, column 87: -.inf is not a finite number"),
    "more than 1 MiB": (
        lambda: PLAN + "#" + "x" * (1024 * 1024) + "\n",
        "1,049,261 bytes, more than the 1 MiB allowed",
    ),
    "not UTF-8": (lambda: PLAN.encode("utf-8") + b"\xff\xfe\x00", "cannot be read (UnicodeDecodeError)"),
    "python object tag": (
        _replace("service: orders", "service: !!python/object/apply:os.system [echo pwned]"),
        "line 2, column 10: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    "unknown alias": (
        _replace("service: orders", "service: *nowhere"),
        "line 2, column 10: found undefined alias 'nowhere'",
    ),
    "two documents": (lambda: PLAN + "---\nversion: 1\n", "line 16, column 1: but found another document"),
    "a list, not a mapping": (
        lambda: "- version: 1\n- service: orders\n",
        "the plan must be a mapping of keys (version, service, ...)",
    ),
    "empty": (lambda: "", "the plan must be a mapping of keys (version, service, ...)"),
    "duplicate key": (
        _replace("service: orders", "service: orders\nservice: billing"),
        'line 3, column 1: duplicate key "service" (first at line 2)',
    ),
    "negative retention": (
        _replace("retention: 30d", "retention: -30d"),
        'data.database.retention: "-30d" is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)',
    ),
    "directory": (lambda: None, "is a directory, not a file"),  # made a directory by write_plan
    "FIFO": (
        lambda: None,
        "not a regular file",
    ),  # made a named pipe by write_plan: reading it would block for ever
}


def write_plan(directory: str | Path, name: str, make: Make) -> str:
    path = Path(directory) / (name.replace(" ", "-").replace(",", "") + ".yaml")
    content = make()
    if name == "directory":
        path.mkdir(exist_ok=True)
    elif name == "FIFO":
        if not path.exists():
            os.mkfifo(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content or "", encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------
# DR stack outputs (pulumi stack output --json --show-secrets)

OUTPUTS: dict[str, Any] = {
    "promotion": {
        "service": "orders",
        "strategy": "warm-standby",
        "stack": "dr",
        "primary_region": "us-east-1",
        "dr_region": "us-west-2",
        "promoted": False,
        "operations_bucket": "orders-dr-operations",
        "databases": [
            {
                "data_item": "database",
                "tier": "critical",
                "mode": "replica",
                "replica_identifier": "orders-database-dr",
                "replica_arn": "arn:aws:rds:us-west-2:123456789012:db:orders-database-dr",
                "source_identifier": "orders-database",
                "source_arn": "arn:aws:rds:us-east-1:123456789012:db:orders-database",
                "backup_retention_days": 30,
                "multi_az": True,
                "deletion_protection": True,
                "rpo_seconds": 900,
            }
        ],
        "services": [
            {
                "name": "api",
                "tier": "critical",
                "compute": "ecs",
                "cluster": "orders-dr",
                "service": "orders-api",
                "full_desired_count": 4,
                "warm_desired_count": 1,
                "scalable_target": "service/orders-dr/orders-api",
            }
        ],
        "dns": {
            "zone_id": "Z123",
            "record_name": "orders.example.com",
            "primary_health_check_id": "hc-primary",
            "dr_health_check_id": "hc-dr",
            "dr_endpoint": "dr-alb.us-west-2.elb.amazonaws.com",
            "health_check_path": "/health",
            "primary_health_alarm": "orders-primary-health",
            "alarm_region": "us-east-1",
        },
        "objectives": {
            "rto_seconds": 1800,
            "rpo_seconds": 900,
            "tiers": {"critical": {"rto_seconds": 1800, "rpo_seconds": 900}},
        },
        "operator_role_arn": "arn:aws:iam::123456789012:role/orders-dr-operator",
    }
}


def _set(path: str, value: object) -> Callable[[], str]:
    """The valid outputs with the field at ``path`` (dots; [n] for list items) set to ``value``,
    written as JSON (``value`` may be raw JSON text: a ``RawJson``)."""

    def make() -> str:
        document = copy.deepcopy(OUTPUTS)
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        marker = "__RAW__"
        node[int(last) if last.isdigit() else last] = marker if isinstance(value, RawJson) else value
        text = json.dumps(document)
        return text.replace(f'"{marker}"', value.text) if isinstance(value, RawJson) else text

    return make


class RawJson:
    """JSON text put in as it is: what json.dumps would never write (NaN, 5,000 digits)."""

    def __init__(self, text: str) -> None:
        self.text = text


OUTPUT_FILES: dict[str, tuple[Make, str]] = {
    "NaN retention": (
        _set("promotion.databases.0.backup_retention_days", RawJson("NaN")),
        "NaN is not a number JSON allows",
    ),
    "Infinity RTO": (
        _set("promotion.objectives.rto_seconds", RawJson("Infinity")),
        "Infinity is not a number JSON allows",
    ),
    "minus Infinity RPO": (
        _set("promotion.objectives.rpo_seconds", RawJson("-Infinity")),
        "-Infinity is not a number JSON allows",
    ),
    "1e999 tasks": (
        _set("promotion.services.0.full_desired_count", RawJson("1e999")),
        "1e999 is not a finite number",
    ),
    "5000-digit tasks": (
        _set("promotion.services.0.full_desired_count", RawJson("9" * 5000)),
        "a 5,000-digit number (at most 20 digits)",
    ),
    "25-digit RPO": (
        _set("promotion.databases.0.rpo_seconds", RawJson("1" * 25)),
        "a 25-digit number (at most 20 digits)",
    ),
    "a billion tasks": (
        _set("promotion.services.0.full_desired_count", 1_000_000_000),
        "outputs.promotion.services[0].full_desired_count: 1000000000 is outside 0-5,000 (Amazon ECS runs at most 5,000 tasks per service)",
    ),
    "negative warm tasks": (
        _set("promotion.services.0.warm_desired_count", -1),
        "outputs.promotion.services[0].warm_desired_count: -1 is outside 0-5,000 (Amazon ECS runs at most 5,000 tasks per service)",
    ),
    "negative retention": (
        _set("promotion.databases.0.backup_retention_days", -7),
        "outputs.promotion.databases[0].backup_retention_days: -7 is outside 1-35 (RDS keeps automated backups 1 to 35 days)",
    ),
    "zero retention": (
        _set("promotion.databases.0.backup_retention_days", 0),
        "outputs.promotion.databases[0].backup_retention_days: 0 is outside 1-35 (RDS keeps automated backups 1 to 35 days)",
    ),
    "36 days of retention": (
        _set("promotion.databases.0.backup_retention_days", 36),
        "outputs.promotion.databases[0].backup_retention_days: 36 is outside 1-35 (RDS keeps automated backups 1 to 35 days)",
    ),
    "half a task": (
        _set("promotion.services.0.full_desired_count", 2.5),
        "outputs.promotion.services[0].full_desired_count: expected a whole number, found 2.5",
    ),
    "true as a count": (
        _set("promotion.services.0.full_desired_count", True),
        "outputs.promotion.services[0].full_desired_count: expected a whole number, found true",
    ),
    "a count as text": (
        _set("promotion.services.0.full_desired_count", "4"),
        'outputs.promotion.services[0].full_desired_count: expected a whole number, found "4"',
    ),
    "a century and a day of RTO": (
        _set("promotion.objectives.rto_seconds", 36_501 * 86_400),
        "outputs.promotion.objectives.rto_seconds: 3153686400 is outside 1-3,153,600,000 (at most 100 years)",
    ),
    "ARC over plain HTTP": (
        _set(
            "promotion.dns.routing_controls",
            {
                "cluster_endpoints": [{"endpoint": "http://evil.example/v1", "region": "us-west-2"}],
                "primary_routing_control_arn": "arn:p",
                "dr_routing_control_arn": "arn:d",
            },
        ),
        'outputs.promotion.dns.routing_controls.cluster_endpoints[0].endpoint: "http://evil.example/v1" is not https://',
    ),
    "a billion Kubernetes replicas": (
        _set(
            "promotion.kubernetes",
            {
                "cluster": "c",
                "context": "c",
                "services": [
                    {
                        "name": "web",
                        "tier": "critical",
                        "namespace": "n",
                        "deployment": "d",
                        "autoscaler": "a",
                        "full_replicas": 1_000_000_000,
                        "warm_replicas": 1,
                    }
                ],
            },
        ),
        "outputs.promotion.kubernetes.services[0].full_replicas: 1000000000 is outside 0-150,000 (a Kubernetes cluster runs at most 150,000 pods)",
    ),
    "deep nesting": (
        lambda: '{"promotion": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "nested deeper than 64 levels",
    ),
    "duplicate key": (lambda: json.dumps(OUTPUTS)[:-1] + ', "promotion": {}}', 'duplicate key "promotion"'),
    "more than 8 MiB": (
        lambda: json.dumps({**OUTPUTS, "padding": "x" * (8 * 1024 * 1024)}),
        "8,389,946 bytes, more than the 8 MiB allowed",
    ),
    "not JSON": (lambda: b"\x89PNG\r\n\x1a\n", "cannot be read (UnicodeDecodeError)"),
    "a list, not a mapping": (lambda: "[]", "outputs: expected a mapping, found list"),
    "empty": (lambda: "", "line 1, column 1: not JSON (Expecting value)"),
    "directory": (lambda: None, "is a directory, not a file"),
    "FIFO": (lambda: None, "not a regular file"),
}


def write_outputs(directory: str | Path, name: str, make: Make) -> str:
    path = Path(directory) / (name.replace(" ", "-") + ".json")
    content = make()
    if name == "directory":
        path.mkdir(exist_ok=True)
    elif name == "FIFO":
        if not path.exists():
            os.mkfifo(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content or "", encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------
# Stack exports (pulumi stack export) and preview documents (pulumi preview --json)

EXPORT = {
    "version": 3,
    "deployment": {
        "manifest": {},
        "resources": [
            {
                "urn": "urn:pulumi:dr::continuity::aws:s3/bucket:Bucket::b",
                "type": "aws:s3/bucket:Bucket",
                "inputs": {},
                "outputs": {},
            }
        ],
    },
}
PREVIEW = {
    "steps": [
        {
            "op": "create",
            "urn": "urn:pulumi:dr::continuity::aws:s3/bucket:Bucket::b",
            "newState": {"type": "aws:s3/bucket:Bucket", "inputs": {}},
        }
    ]
}


def _in(document: dict[str, Any], raw: str) -> Callable[[], str]:
    """``document`` with ``raw`` JSON text as the inputs of its first resource."""

    def make() -> str:
        return json.dumps(document).replace('"inputs": {}', f'"inputs": {{"x": {raw}}}', 1)

    return make


STATE_DOCUMENTS: dict[str, tuple[Callable[[], str], str]] = {
    "export nested 100,000 deep": (
        _in(EXPORT, "[" * 100_000 + "]" * 100_000),
        "nested deeper than 64 levels",
    ),
    "export with NaN": (_in(EXPORT, "NaN"), "NaN is not a number JSON allows"),
    "export with Infinity": (_in(EXPORT, "Infinity"), "Infinity is not a number JSON allows"),
    "export with 1e999": (_in(EXPORT, "1e999"), "1e999 is not a finite number"),
    "export with a 5000-digit number": (_in(EXPORT, "7" * 5000), "a 5,000-digit number (at most 20 digits)"),
    "export with a duplicate key": (
        lambda: json.dumps(EXPORT)[:-1] + ', "version": 4}',
        'duplicate key "version"',
    ),
    "preview nested 100,000 deep": (
        _in(PREVIEW, "{" + '"a": {' * 99_999 + "}" * 100_000),
        "nested deeper than 64 levels",
    ),
    "preview with -Infinity": (_in(PREVIEW, "-Infinity"), "-Infinity is not a number JSON allows"),
    "preview with a 30-digit number": (_in(PREVIEW, "-" + "1" * 30), "a 30-digit number (at most 20 digits)"),
    "preview not JSON": (
        lambda: "{steps: [",
        "not JSON (line 1, column 2: Expecting property name enclosed in double quotes)",
    ),
}
