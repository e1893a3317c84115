#!/usr/bin/env python3
"""Check a stack against the continuity policy pack, offline: no Pulumi CLI, no cloud credentials.

    python scripts/check_policies.py --stack primary|dr          # the program, under mocks
    python scripts/check_policies.py --state export.json         # `pulumi stack export`
    python scripts/check_policies.py --preview preview.json      # `pulumi preview --json`
        [--plan PLAN] [--policy-pack-config FILE] [--json]
    python scripts/check_policies.py --print-pack-config [--plan PLAN]

It does what the CLI does around a policy pack, and nothing the pack does: it runs
policies/__main__.py, takes the analyzer that PolicyPack builds before it would start serving
gRPC, configures it the way the CLI reconciles configuration (schema defaults, the pack's
levels, a --policy-pack-config file, ``all``), and calls its Analyze (each resource's inputs) and
AnalyzeStack (every resource's outputs, with parents and property dependencies) with the same
protobuf requests. Deserialisation, unknown values, enforcement levels and not-applicable results
are therefore the SDK's own (the checker only spares it repeating two pure conversions for every
policy; see _RememberedConversions).

Exit status: 0 no mandatory violation, 1 mandatory violations, 2 input that cannot be checked
(an unreadable file, an unknown format or stack, an invalid plan or configuration), in one line.
"""

from __future__ import annotations

import gc
import importlib
import json
import runpy
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

# Scripts run as `python scripts/<name>.py`, which puts scripts/ (not the repository) on the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jsonschema  # type: ignore[import-untyped]
import pulumi_policy.policy as policy_sdk
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy.deserialize import deserialize_properties as _deserialize_properties

from continuity.derive import derive
from continuity.plan import PlanError, load_plan
from continuity.schedule import ScheduleError
from operations.cli import run_script, script_parser

PACK_DIR = ROOT / "policies"
DEFAULT_PLAN = ROOT / "continuity-plan.yaml"
STACKS = ("primary", "dr")
ROOT_TYPE = "pulumi:pulumi:Stack"

# Pulumi's property encodings (sdk/go/common/resource/properties.go).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a type signature, not a password
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# `pulumi stack export` without --show-secrets holds only ciphertext, which needs the stack's
# secrets provider; the checker sees what `pulumi preview --json` shows instead.
REDACTED = "[secret]"

LEVELS: dict[str, proto.EnforcementLevel.ValueType] = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}


class InputError(Exception):
    """Input the checker cannot use; the message is the whole explanation, one line."""


# ---------------------------------------------------------------------------------------------
# Resources, whatever they were read from


@dataclass(frozen=True)
class ResourceState:
    """One resource in the engine's state form (ResourceV3): what Analyze and AnalyzeStack see."""

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


def config_overrides(pairs: list[str]) -> dict[str, str]:
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
    stack: str, plan: Path, overrides: dict[str, str] | None = None
) -> list[ResourceState]:
    """The resources the Pulumi program registers for ``stack`` under mocks (offline.program),
    with the stack's config file plus ``overrides``."""
    if stack not in STACKS:
        raise InputError(f"--stack {stack}: unknown stack (expected {' or '.join(STACKS)})")
    try:
        program = importlib.import_module("offline.program")
    except ImportError as err:
        raise InputError(f"--stack needs offline.program (the program under mocks): {err}") from None
    try:
        result = program.run_program(stack, str(plan), config_overrides=overrides or {})
    except (PlanError, ValueError, getattr(program, "OfflineError", ValueError)) as err:
        raise InputError(f"--stack {stack}: {' '.join(str(err).split())}") from None
    return states_from_run(result)


def states_from_run(result: Any) -> list[ResourceState]:
    """Resources recorded by offline.program.run_program (each with urn, type, custom, inputs,
    outputs, parent, dependencies, property_dependencies, provider), and the stack itself with its
    exports, as the engine's snapshot holds it."""
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
        )
        for r in result.resources
        if r.type != ROOT_TYPE
    ]
    return (root if stack_urn else []) + recorded


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot be read ({err.__class__.__name__}: {err})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None


# ---------------------------------------------------------------------------------------------
# The pack's own analyzer


class _Captured(BaseException):
    # A BaseException, so that no `except Exception` between PolicyPack and here can swallow it.
    def __init__(self, servicer: Any) -> None:
        super().__init__()
        self.servicer = servicer


def load_pack(pack_dir: Path = PACK_DIR) -> Any:
    """The analyzer servicer the pack's PolicyPack constructs, captured before it starts gRPC."""
    real = policy_sdk._PolicyAnalyzerServicer

    def capture(*args: Any, **kwargs: Any) -> NoReturn:
        raise _Captured(real(*args, **kwargs))

    policy_sdk._PolicyAnalyzerServicer = capture  # type: ignore[misc,assignment]
    try:
        runpy.run_path(str(pack_dir), run_name="__main__")
    except _Captured as captured:
        return captured.servicer
    finally:
        policy_sdk._PolicyAnalyzerServicer = real  # type: ignore[misc]
    raise InputError(f"{pack_dir}: the pack never constructs a PolicyPack")


@dataclass
class PolicyConfig:
    enforcement_level: str | None
    properties: dict[str, Any] | None


def parse_pack_config(raw: Any, where: str) -> dict[str, PolicyConfig]:
    """A --policy-pack-config document, read as the CLI reads it: per policy (or ``all``) an
    enforcement level, or an object of properties with an optional ``enforcementLevel``."""
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object of policy names")
    result: dict[str, PolicyConfig] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if value not in LEVELS:
                raise InputError(f'{where}: "{name}": "{value}" is not a valid enforcement level')
            result[name] = PolicyConfig(value, None)
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            if level is not None and level not in LEVELS:
                raise InputError(
                    f'{where}: "{name}".enforcementLevel: "{level}" is not a valid enforcement level'
                )
            if level is None and not properties:
                continue
            result[name] = PolicyConfig(level, properties or None)
        else:
            raise InputError(f'{where}: "{name}": {value!r} is not a valid value; must be a string or object')
    return result


def _apply(result: dict[str, PolicyConfig], layer: Mapping[str, PolicyConfig]) -> None:
    everything = layer.get("all")
    if everything is not None and everything.enforcement_level:
        for config in result.values():
            config.enforcement_level = everything.enforcement_level
    for name, given in layer.items():
        current = result.setdefault(name, PolicyConfig(None, None))
        if given.enforcement_level:
            current.enforcement_level = given.enforcement_level
        if given.properties:
            current.properties = {**(current.properties or {}), **given.properties}


def reconcile_config(info: Any, layers: Iterable[Mapping[str, PolicyConfig]]) -> dict[str, PolicyConfig]:
    """The configuration the CLI sends to Configure: schema defaults and each policy's level,
    then the pack's initial configuration, then each given layer, validated against the schemas
    (pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig)."""
    result: dict[str, PolicyConfig] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        properties = json_format.MessageToDict(policy.configSchema.properties)
        defaults = {k: v["default"] for k, v in properties.items() if isinstance(v, dict) and "default" in v}
        result[policy.name] = PolicyConfig(LEVEL_NAMES[policy.enforcementLevel], defaults or None)
        schema: dict[str, Any] = {"type": "object"}
        if properties:
            schema["properties"] = properties
        if policy.configSchema.required:
            schema["required"] = list(policy.configSchema.required)
        schemas[policy.name] = schema
    # An initial configuration entry without a level arrives as ADVISORY: proto3 enums have no
    # "unset", and the CLI applies it as given.
    initial = {
        name: PolicyConfig(LEVEL_NAMES[c.enforcementLevel], json_format.MessageToDict(c.properties) or None)
        for name, c in info.initialConfig.items()
    }
    for layer in (initial, *layers):
        unknown = sorted(set(layer) - set(result) - {"all"})
        if unknown:
            raise InputError(f"policy pack config: no policy named {', '.join(unknown)} in pack {info.name}")
        _apply(result, layer)
    errors = [
        f"{name}: {error.message}"
        for name, schema in schemas.items()
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[name].properties or {})
    ]
    if errors:
        raise InputError(f"policy pack config: {'; '.join(sorted(errors))}")
    return result


def configure(
    servicer: Any, plan: Path | None = None, file_config: Mapping[str, PolicyConfig] | None = None
) -> None:
    """Configure the analyzer as the CLI would, pointing every policy with a ``plan`` setting at
    ``plan`` (which wins over the file's)."""
    info = servicer.GetAnalyzerInfo(None, None)
    layers: list[Mapping[str, PolicyConfig]] = [file_config or {}]
    if plan is not None:
        layers.append(
            {
                p.name: PolicyConfig(None, {"plan": str(plan)})
                for p in info.policies
                if "plan" in json_format.MessageToDict(p.configSchema.properties)
            }
        )
    request = proto.ConfigureAnalyzerRequest()
    for name, config in reconcile_config(info, layers).items():
        if config.enforcement_level is None:
            continue
        message = proto.PolicyConfig(enforcementLevel=LEVELS[config.enforcement_level])
        message.properties.update(config.properties or {})
        request.policyConfig[name].CopyFrom(message)
    servicer.Configure(request, None)


# ---------------------------------------------------------------------------------------------
# Requests, as the engine marshals them (KeepUnknowns, KeepSecrets, SkipInternalKeys)


def _wire(value: Any) -> Any:
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if not isinstance(value, dict):
        return value
    signature = value.get(SIG_KEY)
    if signature == SECRET_SIG:
        if "value" in value:
            inner = value["value"]
        elif "plaintext" in value:
            try:  # `pulumi stack export --show-secrets` writes the value JSON-encoded
                inner = json.loads(value["plaintext"])
            except (TypeError, ValueError):
                inner = value["plaintext"]
        else:
            inner = REDACTED
        return {SIG_KEY: SECRET_SIG, "value": _wire(inner)}
    if signature == RESOURCE_REF_SIG:
        # Analyzers are sent references as the resource's id (its URN for components).
        return value.get("id") or value.get("urn") or UNKNOWN
    if signature in (ASSET_SIG, ARCHIVE_SIG) and not ({"path", "text", "uri", "assets"} & set(value)):
        return f"[{'asset' if signature == ASSET_SIG else 'archive'} {value.get('hash', '')}]"
    return {k: _wire(v) for k, v in value.items()}


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: _wire(v) for k, v in properties.items() if not k.startswith("__")})
    return struct


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _options(state: ResourceState) -> proto.AnalyzerResourceOptions:
    timeouts = state.custom_timeouts
    options = proto.AnalyzerResourceOptions(
        protect=state.protect,
        ignoreChanges=list(state.ignore_changes),
        additionalSecretOutputs=list(state.additional_secret_outputs),
        aliases=list(state.aliases),
        parent=state.parent,
        customTimeouts=proto.AnalyzerResourceOptions.CustomTimeouts(
            create=_seconds(timeouts.get("create")),
            update=_seconds(timeouts.get("update")),
            delete=_seconds(timeouts.get("delete")),
        ),
    )
    if state.delete_before_replace is not None:
        options.deleteBeforeReplace = state.delete_before_replace
        options.deleteBeforeReplaceDefined = True
    return options


def _provider(
    state: ResourceState, by_urn: Mapping[str, ResourceState]
) -> proto.AnalyzerProviderResource | None:
    provider = by_urn.get(state.provider_urn)
    if provider is None:
        return None
    return proto.AnalyzerProviderResource(
        type=provider.type, urn=provider.urn, name=provider.name, properties=to_struct(provider.inputs)
    )


def analyze_requests(
    states: Sequence[ResourceState],
) -> tuple[list[proto.AnalyzeRequest], proto.AnalyzeStackRequest]:
    by_urn = {s.urn: s for s in states}
    providers = {s.urn: _provider(s, by_urn) for s in states}
    analyze = [
        proto.AnalyzeRequest(
            type=s.type,
            urn=s.urn,
            name=s.name,
            properties=to_struct(s.inputs),
            options=_options(s),
            provider=providers[s.urn],
        )
        for s in states
    ]
    stack = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=s.type,
                urn=s.urn,
                name=s.name,
                properties=to_struct(s.outputs),
                options=_options(s),
                provider=providers[s.urn],
                parent=s.parent,
                dependencies=list(s.dependencies),
                propertyDependencies={
                    k: proto.AnalyzerPropertyDependencies(urns=list(v))
                    for k, v in s.property_dependencies.items()
                },
            )
            for s in states
        ]
    )
    return analyze, stack


# ---------------------------------------------------------------------------------------------
# Running the pack


@dataclass(frozen=True)
class Violation:
    policy: str
    urn: str
    message: str
    enforcement: str

    def as_data(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "urn": self.urn,
            "message": self.message,
            "enforcement": self.enforcement,
        }


@dataclass(frozen=True)
class Result:
    violations: list[Violation]
    resources: int
    policies: int
    not_applicable: int

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    def summary(self) -> dict[str, int]:
        return {
            "resources": self.resources,
            "policies": self.policies,
            "violations": len(self.violations),
            "mandatory": len(self.mandatory),
            "advisory": len(self.violations) - len(self.mandatory),
            "notApplicable": self.not_applicable,
        }


def _violation(diagnostic: Any, urn: str) -> Violation:
    level = LEVEL_NAMES.get(diagnostic.enforcementLevel, "advisory")
    # The SDK prefixes each message with the policy's description; the violation is what follows.
    message = diagnostic.message
    if diagnostic.description and message.startswith(diagnostic.description + "\n"):
        message = message[len(diagnostic.description) + 1 :]
    return Violation(
        policy=diagnostic.policyName,
        urn=urn,
        message=message,
        enforcement="mandatory" if level == "remediate" else level,
    )


class _RememberedConversions:
    """The two conversions the SDK's analyzer applies to a request's properties before wrapping
    them for a policy (protobuf Struct to dict, then Pulumi's special values), done once per
    message instead of once per policy: in pure Python that repetition is most of the time a
    large stack takes (every policy x every resource). Both are pure and their results reach no
    policy (each still gets its own unknown-checking proxy, built from them as before);
    tests/policies/test_pack.py compares both paths. Inputs are held while remembered, so an id
    never stands for another object."""

    def __init__(self) -> None:
        self._dicts: dict[int, tuple[Any, Any]] = {}
        self._properties: dict[int, tuple[Any, Any]] = {}

    @staticmethod
    def _once(seen: dict[int, tuple[Any, Any]], value: Any, convert: Callable[[Any], Any]) -> Any:
        remembered = seen.get(id(value))
        if remembered is None or remembered[0] is not value:
            remembered = seen[id(value)] = (value, convert(value))
        return remembered[1]

    def message_to_dict(self, message: Any, **kwargs: Any) -> Any:
        if kwargs:
            return json_format.MessageToDict(message, **kwargs)
        return self._once(self._dicts, message, json_format.MessageToDict)

    def deserialize_properties(self, properties: Any, *args: Any) -> Any:
        if args:  # the secret-preserving form, for remediations
            return _deserialize_properties(properties, *args)
        return self._once(self._properties, properties, _deserialize_properties)


class _JsonFormat:
    def __init__(self, conversions: _RememberedConversions) -> None:
        self.MessageToDict = conversions.message_to_dict

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


@contextmanager
def _remembered_conversions(enabled: bool = True) -> Iterator[None]:
    if not enabled:
        yield
        return
    conversions = _RememberedConversions()
    policy_sdk.json_format = _JsonFormat(conversions)
    policy_sdk.deserialize_properties = conversions.deserialize_properties  # type: ignore[assignment]
    try:
        yield
    finally:
        policy_sdk.json_format = json_format
        policy_sdk.deserialize_properties = _deserialize_properties


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A run allocates a proxy per policy per resource, hundreds of thousands of containers that
    the cyclic garbage collector would scan again and again (a third of the time); reference
    counting still frees them, and what cycles remain go at the next collection after the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_pack(servicer: Any, states: Sequence[ResourceState], *, remember: bool = True) -> Result:
    """Analyze every resource, then the stack, and collect the diagnostics as the engine
    attributes them: to the analyzed resource, and for the stack to the URN a policy named
    (the stack itself when it named none)."""
    analyze, stack = analyze_requests(states)
    violations: list[Violation] = []
    not_applicable = 0
    with _collector_paused(), _remembered_conversions(remember):
        for request in analyze:
            response = servicer.Analyze(request, None)
            violations += [_violation(d, request.urn) for d in response.diagnostics]
            not_applicable += len(response.not_applicable)
        root = next((s.urn for s in states if s.type == ROOT_TYPE), "")
        response = servicer.AnalyzeStack(stack, None)
        violations += [_violation(d, d.urn or root) for d in response.diagnostics]
        not_applicable += len(response.not_applicable)
    policies = len(servicer.GetAnalyzerInfo(None, None).policies)
    return Result(violations, len(states), policies, not_applicable)


def check(
    states: Sequence[ResourceState],
    plan: Path = DEFAULT_PLAN,
    file_config: Mapping[str, PolicyConfig] | None = None,
    servicer: Any = None,
) -> Result:
    """Check resources against the pack for ``plan`` (the servicer may be reused across calls)."""
    servicer = servicer if servicer is not None else load_pack()
    configure(servicer, plan, file_config)
    return run_pack(servicer, states)


# ---------------------------------------------------------------------------------------------
# Command line


def _plan(path: str | None) -> Path:
    """The plan's path, once it is known to load and derive (as the pack will need it)."""
    plan = Path(path).resolve() if path else DEFAULT_PLAN
    try:
        derive(load_plan(plan))
    except PlanError as err:
        raise InputError("; ".join(err.messages)) from None
    except ScheduleError as err:
        raise InputError(f"{plan}: {err}") from None
    return plan


def _pack_config_for(servicer: Any, plan: Path) -> dict[str, Any]:
    """A --policy-pack-config document pointing every policy at ``plan`` (relative to the
    repository when inside it, which is how the pack resolves it)."""
    try:
        shown = str(plan.relative_to(ROOT))
    except ValueError:
        shown = str(plan)
    info = servicer.GetAnalyzerInfo(None, None)
    return {
        p.name: {"plan": shown}
        for p in info.policies
        if "plan" in json_format.MessageToDict(p.configSchema.properties)
    }


def _print_text(result: Result, source: str, plan: Path) -> None:
    mandatory = len(result.mandatory)
    advisory = len(result.violations) - mandatory
    print(
        f"{source}: {result.resources} resources, {result.policies} policies (plan {plan}): "
        f"{mandatory} mandatory, {advisory} advisory violation{'s' if advisory != 1 else ''}"
    )
    for v in result.violations:
        print(f"{v.enforcement:<9} {v.policy}  {v.urn}")
        print(f"          {v.message}")


def main(argv: list[str] | None = None) -> int:
    parser = script_parser("check_policies.py", __doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="check the program's stack (primary or dr) under mocks")
    source.add_argument("--state", type=Path, metavar="FILE", help="a `pulumi stack export` document")
    source.add_argument("--preview", type=Path, metavar="FILE", help="a `pulumi preview --json` document")
    source.add_argument(
        "--print-pack-config",
        action="store_true",
        help="print a --policy-pack-config document that points the pack at --plan, and stop",
    )
    parser.add_argument("--plan", metavar="FILE", help=f"the continuity plan (default {DEFAULT_PLAN.name})")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --stack: stack config beyond Pulumi.<stack>.yaml (e.g. eksClusterName=vapora)",
    )
    parser.add_argument(
        "--policy-pack-config", type=Path, metavar="FILE", help="policy configuration, as for the CLI"
    )
    parser.add_argument("--json", action="store_true", help="print violations and a summary as JSON")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        plan = _plan(args.plan)
        if args.print_pack_config:
            print(json.dumps(_pack_config_for(load_pack(), plan), indent=2))
            return 0
        file_config = (
            parse_pack_config(read_json(args.policy_pack_config), str(args.policy_pack_config))
            if args.policy_pack_config
            else None
        )
        if args.stack is not None:
            overrides = config_overrides(args.config)
            label, states = f"stack {args.stack}", states_from_program(args.stack, plan, overrides)
        elif args.state is not None:
            label, states = str(args.state), states_from_stack_export(read_json(args.state), str(args.state))
        else:
            label, states = str(args.preview), states_from_preview(read_json(args.preview), str(args.preview))
        result = check(states, plan, file_config)
    except InputError as err:
        print(f"check_policies.py: {err}", file=sys.stderr)
        return 2
    if args.json:
        summary: dict[str, Any] = {**result.summary(), "source": label, "plan": str(plan)}
        summary["seconds"] = round(time.perf_counter() - started, 3)
        print(
            json.dumps({"violations": [v.as_data() for v in result.violations], "summary": summary}, indent=2)
        )
    else:
        _print_text(result, label, plan)
    return 1 if result.mandatory else 0


if __name__ == "__main__":
    run_script(main)
