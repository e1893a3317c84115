"""Resources as the Pulumi engine holds them, read from what the CLI writes or the offline program records.

The offline policy check (offline/policy_check.py) judges a stack in the engine's state form
(apitype.ResourceV3): `pulumi stack export` (a snapshot), `pulumi preview --json` (each resource's
last ``newState``), or the Pulumi program run under mocks by offline/program.py. Anything that is
not such a document is refused with one line naming the file and the field.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from continuity import documents
from continuity.plan import PlanError

STACKS = ("primary", "dr")
ROOT_TYPE = "pulumi:pulumi:Stack"


class InputError(Exception):
    """Input the checker cannot use; the message is the whole explanation, one line."""


# ---------------------------------------------------------------------------------------------
# Resources, whatever they were read from


@dataclass(frozen=True)
class ResourceState:
    """One resource in the engine's state form (ResourceV3): what the policies are given."""

    urn: str
    type: str
    custom: bool = True
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    provider: str = ""  # "<provider urn>::<provider id>", as the engine references providers
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    additional_secret_outputs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    custom_timeouts: Mapping[str, Any] = field(default_factory=dict)
    # Where the program registered it, as the engine records it: "project:///<path>#<line>[,<col>]".
    source_position: str = ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of text")
    return tuple(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object, found {type(value).__name__}")
    return value


def state_from_v3(raw: Any, where: str) -> ResourceState:
    """A resource as `pulumi stack export` and `pulumi preview --json` write it (apitype.ResourceV3)."""
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a resource object, found {type(raw).__name__}")
    urn, kind = raw.get("urn"), raw.get("type")
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        raise InputError(f"{where}.urn: expected a Pulumi URN, found {urn!r}")
    if not isinstance(kind, str) or not kind:
        raise InputError(f"{where}.type: expected a resource type, found {kind!r}")
    property_dependencies = {
        key: _texts(urns, f"{where}.propertyDependencies.{key}")
        for key, urns in _mapping(raw.get("propertyDependencies"), f"{where}.propertyDependencies").items()
        if urns  # the CLI writes null for a property without dependencies
    }
    position = raw.get("sourcePosition")
    return ResourceState(
        urn=urn,
        type=kind,
        custom=bool(raw.get("custom", False)),
        inputs=_mapping(raw.get("inputs"), f"{where}.inputs"),
        outputs=_mapping(raw.get("outputs"), f"{where}.outputs"),
        parent=str(raw.get("parent") or ""),
        dependencies=_texts(raw.get("dependencies"), f"{where}.dependencies"),
        property_dependencies=property_dependencies,
        provider=str(raw.get("provider") or ""),
        protect=bool(raw.get("protect", False)),
        ignore_changes=_texts(raw.get("ignoreChanges"), f"{where}.ignoreChanges"),
        additional_secret_outputs=_texts(
            raw.get("additionalSecretOutputs"), f"{where}.additionalSecretOutputs"
        ),
        aliases=tuple(str(a) for a in raw.get("aliases") or () if isinstance(a, str)),
        delete_before_replace=raw["deleteBeforeReplace"]
        if isinstance(raw.get("deleteBeforeReplace"), bool)
        else None,
        custom_timeouts=_mapping(raw.get("customTimeouts"), f"{where}.customTimeouts"),
        source_position=position if isinstance(position, str) else "",
    )


def states_from_stack_export(document: Any, where: str) -> list[ResourceState]:
    """Resources of a `pulumi stack export` document (deployment version 3), minus those
    pending deletion, as `pulumi policy analyze` reads a snapshot."""
    if isinstance(document, dict) and "steps" in document:
        raise InputError(f"{where}: this is a `pulumi preview --json` document; pass it with --preview")
    if not isinstance(document, dict) or not isinstance(document.get("deployment"), dict):
        raise InputError(f"{where}: not a `pulumi stack export` document (no deployment object)")
    if document.get("version") != 3:
        raise InputError(
            f"{where}: deployment version {document.get('version')!r} is not supported "
            "(this checker reads version 3)"
        )
    resources = document["deployment"].get("resources") or []
    if not isinstance(resources, list):
        raise InputError(f"{where}: deployment.resources is not a list")
    states = [state_from_v3(r, f"{where}: deployment.resources[{i}]") for i, r in enumerate(resources)]
    return [s for s, raw in zip(states, resources, strict=True) if not raw.get("delete")]


def states_from_preview(document: Any, where: str) -> list[ResourceState]:
    """The state every step of a `pulumi preview --json` document would leave: each resource's
    last ``newState`` (a replacement writes several steps for one URN; deletes write none)."""
    if isinstance(document, dict) and "deployment" in document:
        raise InputError(f"{where}: this is a `pulumi stack export` document; pass it with --state")
    if not isinstance(document, dict) or not isinstance(document.get("steps"), list):
        raise InputError(f"{where}: not a `pulumi preview --json` document (no steps list)")
    by_urn: dict[str, ResourceState] = {}
    for index, step in enumerate(document["steps"]):
        if not isinstance(step, dict):
            raise InputError(f"{where}: steps[{index}]: expected a step object")
        new_state = step.get("newState")
        if new_state is None or (isinstance(new_state, dict) and new_state.get("delete")):
            continue
        state = state_from_v3(new_state, f"{where}: steps[{index}].newState")
        by_urn.pop(state.urn, None)
        by_urn[state.urn] = state
    return list(by_urn.values())


def config_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``--config KEY=VALUE`` as `pulumi config set` takes it: a key without a namespace is the
    project's (``continuity:``)."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--config {pair!r}: expected KEY=VALUE (e.g. eksClusterName=orders)")
        overrides[key if ":" in key else f"continuity:{key}"] = value
    return overrides


def states_from_program(
    stack: str, plan: Path, overrides: Mapping[str, str] | None = None
) -> list[ResourceState]:
    """The resources the Pulumi program registers for ``stack`` under mocks (offline.program),
    with the stack's config file plus ``overrides``."""
    if stack not in STACKS:
        raise InputError(f"--stack {stack}: unknown stack (expected {' or '.join(STACKS)})")
    # Imported here: loading the program's runtime costs a second, which reading a file does not need.
    program = importlib.import_module("offline.program")
    try:
        result = program.run_program(stack, str(plan), config_overrides=dict(overrides or {}))
    except (PlanError, ValueError, program.OfflineError) as err:
        raise InputError(f"--stack {stack}: {' '.join(str(err).split())}") from None
    return states_from_run(result)


def states_from_run(result: Any) -> list[ResourceState]:
    """Resources recorded by offline.program.run_program (each with urn, type, custom, inputs,
    outputs, parent, dependencies, property_dependencies, provider, source_position), and the
    stack itself with its exports, as the engine's snapshot holds it."""
    stack_urn = getattr(result, "stack_urn", "")
    root = [ResourceState(urn=stack_urn, type=ROOT_TYPE, custom=False, outputs=dict(result.outputs))]
    recorded = [
        ResourceState(
            urn=r.urn,
            type=r.type,
            custom=r.custom,
            inputs=dict(r.inputs),
            # A provider's preview echoes the inputs among the outputs; mocks return only what
            # they choose, so the stack view gets both, outputs winning.
            outputs={**r.inputs, **r.outputs},
            parent=r.parent or "",
            dependencies=tuple(r.dependencies),
            property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items() if v},
            provider=r.provider or "",
            source_position=getattr(r, "source_position", ""),
        )
        for r in result.resources
        if r.type != ROOT_TYPE
    ]
    return (root if stack_urn else []) + recorded


def read_json(path: Path) -> Any:
    """A stack export, preview document or pack config, read within continuity.documents' bounds
    (size, nesting, finite numbers), so a hostile file is one line, never a traceback or a hang."""
    try:
        return documents.read_json(path, documents.STATE)
    except documents.DocumentError as err:
        if err.syntax is not None:
            line, column, what = err.syntax
            raise InputError(f"{path}: not JSON (line {line}, column {column}: {what})") from None
        raise InputError(str(err)) from None
