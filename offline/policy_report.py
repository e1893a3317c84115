"""How a policy check is reported: a text summary for people, JSON for scripts, SARIF 2.1.0 for code scanning.

Pure functions of an ``offline.policy_check.Result``. Code scanning shows a finding on a line of a
file, so each violation is located where the program declared the resource: the engine's record of
the registration (``sourcePosition``: the Python SDK sends the first frame outside the SDK, the
component module and line that constructed the resource), else the component the resource belongs to
(the ``continuity:components:*`` type in its URN, found where that component registers itself), else
the plan item the message names, in the plan file. Inside GitHub Actions the text report also
writes ``::error``/``::warning`` workflow commands, which annotate the pull request.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from offline.policy_check import ROOT, Result, Rule, Violation
from offline.stack_state import ResourceState
from policies.support import EXEMPT_NOTE

SARIF_VERSION = "2.1.0"
# The OASIS standard's schema for SARIF 2.1.0 (errata 01), as code scanning validates against it.
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL = "continuity-policy-pack"
# GitHub code scanning reads a rule's `security-severity` in bands: over 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, 0.1-3.9 low ("SARIF support for code scanning", reportingDescriptor object). Each
# severity takes the top of its band, so none is shown lower than the policy says.
SECURITY_SEVERITY = {"critical": "10.0", "high": "8.9", "medium": "6.9", "low": "3.9"}
# A rule's default level follows its severity; a mandatory violation is an error whatever it is
# (it blocks the change), an advisory one never more than a warning.
SEVERITY_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "": "warning"}
COMPONENT_PREFIX = "continuity:components:"
_PLAN_ITEM = re.compile(r'plan (data|service) "([^"]+)"')
_POSITION = re.compile(r"^project://(?P<path>/[^#]*)#(?P<line>[1-9][0-9]*)(?:,[0-9]+)?$")
_COMPONENT = re.compile(r'super\(\)\.__init__\(\s*"(continuity:components:[A-Za-z0-9]+)"')


@dataclass(frozen=True)
class Location:
    """A line of a file, relative to the repository root (the Pulumi project's root)."""

    path: str
    line: int


def position_location(position: str) -> Location | None:
    """The engine's ``sourcePosition`` (``project:///components/network.py#30,5``) as a location."""
    match = _POSITION.match(position)
    if match is None:
        return None
    return Location(match["path"].lstrip("/"), int(match["line"]))


@cache
def component_declarations(root: Path = ROOT) -> dict[str, Location]:
    """Where each component of components/ registers its type token (the line of its
    ``super().__init__("continuity:components:Xxx", ...)``)."""
    found: dict[str, Location] = {}
    for module in sorted((root / "components").glob("*.py")):
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), start=1):
            match = _COMPONENT.search(line)
            if match:
                found.setdefault(match[1], Location(module.relative_to(root).as_posix(), number))
    return found


def component_of(urn: str) -> str | None:
    """The innermost continuity component in a URN's type chain (``parent$child`` types)."""
    parts = urn.split("::")
    if len(parts) < 4:
        return None
    components = [t for t in parts[2].split("$") if t.startswith(COMPONENT_PREFIX)]
    return components[-1] if components else None


def plan_lines(plan: Path) -> dict[tuple[str, str], int]:
    """The line of each ``data`` and ``services`` entry of a plan file; empty if it will not parse."""
    try:
        node = yaml.compose(plan.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    lines: dict[tuple[str, str], int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        section = {"data": "data", "services": "service"}.get(str(key.value))
        if section and isinstance(value, yaml.MappingNode):
            for item, _ in value.value:
                lines[(section, str(item.value))] = item.start_mark.line + 1
    return lines


def repository_path(path: Path, root: Path = ROOT) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_uri()


class Locator:
    """Finds the line to show a violation on (see the module docstring for the order)."""

    def __init__(self, states: Iterable[ResourceState], plan: Path, root: Path = ROOT) -> None:
        self.positions = {s.urn: s.source_position for s in states if s.source_position}
        self.components = component_declarations(root)
        self.plan = repository_path(plan, root)
        self.items = plan_lines(plan)

    def locate(self, violation: Violation) -> Location:
        position = position_location(self.positions.get(violation.urn, ""))
        if position is not None:
            return position
        component = component_of(violation.urn)
        if component in self.components:
            return self.components[component]
        named = _PLAN_ITEM.search(violation.message)
        line = self.items.get((named[1], named[2]), 1) if named else 1
        return Location(self.plan, line)


def exemptions(result: Result) -> list[tuple[str, str]]:
    """(URN, reason) of every resource set aside by its continuity:exempt tag or annotation."""
    seen: dict[str, str] = {}
    for entry in result.set_aside:
        if entry.reason.startswith(EXEMPT_NOTE):
            seen.setdefault(entry.urn, entry.reason[len(EXEMPT_NOTE) :])
    return sorted(seen.items())


# ---------------------------------------------------------------------------------------------
# Text


def text_report(result: Result, source: str, plan: Path) -> list[str]:
    mandatory = len(result.mandatory)
    advisory = len(result.violations) - mandatory
    lines = [
        f"{source}: {result.resources} resources, {result.policies} policies (plan {plan}): "
        f"{mandatory} mandatory, {advisory} advisory violation{'s' if advisory != 1 else ''}",
        "",
    ]
    width = max((len(t.policy) for t in result.tallies), default=6)
    lines.append(f"{'policy':<{width}}  {'passed':>6}  {'failed':>6}  {'n/a':>6}")
    lines += [
        f"{t.policy:<{width}}  {t.passed:>6}  {t.failed:>6}  {t.not_applicable:>6}" for t in result.tallies
    ]
    if result.violations:
        lines.append("")
    for v in result.violations:
        lines.append(f"{v.enforcement:<9} {v.policy}  {v.urn}")
        lines.append(f"          {v.message}")
    exempt = exemptions(result)
    if exempt:
        lines += ["", f"exempt from the plan ({len(exempt)}):"]
        for urn, reason in exempt:
            lines += [f"  {urn}", f"          {reason}"]
    return lines


def _escape_data(value: str) -> str:
    # GitHub workflow commands: data escapes %, CR and LF; properties also : and ,
    # ("Workflow commands for GitHub Actions", toolkit/packages/core/src/command.ts).
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(result: Result, locator: Locator) -> list[str]:
    """One ``::error`` (mandatory) or ``::warning`` (advisory) per violation, on its line."""
    commands = []
    for v in result.violations:
        where = locator.locate(v)
        command = "error" if v.enforcement == "mandatory" else "warning"
        properties = (
            f"file={_escape_property(where.path)},line={where.line},title={_escape_property(v.policy)}"
        )
        commands.append(f"::{command} {properties}::{_escape_data(f'{v.message} ({v.urn})')}")
    return commands


# ---------------------------------------------------------------------------------------------
# JSON


def json_report(result: Result, source: str, plan: Path, seconds: float) -> dict[str, Any]:
    summary: dict[str, Any] = {**result.summary(), "source": source, "plan": str(plan)}
    summary["seconds"] = round(seconds, 3)
    return {
        "violations": [v.as_data() for v in result.violations],
        "summary": summary,
        "policyResults": [t.as_data() for t in result.tallies],
        "exemptions": [{"urn": urn, "reason": reason} for urn, reason in exemptions(result)],
    }


# ---------------------------------------------------------------------------------------------
# SARIF


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _level(rule: Rule, violation: Violation) -> str:
    if violation.enforcement == "mandatory":
        return "error"
    level = SEVERITY_LEVEL.get(rule.severity, "warning")
    return "warning" if level == "error" else level


def sarif_rule(rule: Rule) -> dict[str, Any]:
    help_text = rule.help or rule.description
    properties: dict[str, Any] = {
        "tags": ["continuity", "disaster-recovery", f"{rule.kind}-policy"],
        "precision": "very-high",
        "enforcement": rule.enforcement,
    }
    if rule.severity:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
        properties["severity"] = rule.severity
    return {
        "id": rule.name,
        "name": _camel(rule.name),
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": help_text.split("\n\n", 1)[0].replace("\n", " ")},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {
            "level": SEVERITY_LEVEL.get(rule.severity, "warning"),
            "enabled": rule.enforcement != "disabled",
        },
        "properties": properties,
    }


def _fingerprint(violation: Violation) -> str:
    # Stable across runs for the same finding on the same resource, so code scanning keeps one
    # alert per finding instead of opening a new one for every push.
    text = "\n".join((violation.policy, violation.urn, violation.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sarif_report(
    result: Result, locator: Locator, source: str, version: str, rules: Sequence[Rule] | None = None
) -> dict[str, Any]:
    """The check as a SARIF 2.1.0 log of one run: one rule per policy, one result per violation."""
    rules = list(rules if rules is not None else result.rules)
    index: Mapping[str, int] = {r.name: i for i, r in enumerate(rules)}
    results = []
    for v in result.violations:
        where = locator.locate(v)
        rule = rules[index[v.policy]]
        results.append(
            {
                "ruleId": v.policy,
                "ruleIndex": index[v.policy],
                "level": _level(rule, v),
                "message": {"text": f"{v.message} ({v.urn})"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": where.path},
                            "region": {"startLine": where.line},
                        },
                        "logicalLocations": [
                            {
                                "name": v.urn.rsplit("::", 1)[-1],
                                "fullyQualifiedName": v.urn,
                                "kind": "resource",
                            }
                        ],
                    }
                ],
                "partialFingerprints": {"continuityFinding/v1": _fingerprint(v)},
                "properties": {"enforcement": v.enforcement, "urn": v.urn},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "semanticVersion": version,
                        "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                        "rules": [sarif_rule(r) for r in rules],
                    }
                },
                # Code scanning keeps one set of alerts per category: one per checked stack.
                "automationDetails": {"id": f"{TOOL}/{re.sub(r'[^A-Za-z0-9._-]+', '-', source)}/"},
                "results": results,
            }
        ],
    }
