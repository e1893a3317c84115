"""The policy pack run without the Pulumi CLI: what the engine does around a pack, and nothing the pack does.

``scripts/check_policies.py`` is a command line over this module; the rehearsal and the tests call it
directly. Given resources the way the engine holds them (offline/stack_state.py: ``pulumi stack
export``, ``pulumi preview --json``, or the program run under mocks), it loads the very pack the CLI loads
(``policies/__main__.py``), reconciles its configuration the way the CLI does, and calls every
policy object the pack registered with the arguments the SDK would build for it.

Why not the SDK's analyzer: the CLI talks to a pack over gRPC, one ``Analyze`` request per resource,
and the SDK converts each request's protobuf properties and wraps them in an unknown-checking proxy
once per policy per resource. Measured with cProfile on 5,000 resources, that repetition was over 90%
of the time (the policies themselves under 3%). Here each resource's properties are converted once,
exactly as the protobuf round trip would (numbers become floats, Pulumi's secrets and assets are
unwrapped by the SDK's own ``deserialize_properties``), and wrapped in the SDK's own
``unknown_checking_proxy`` only when a policy first reads them; a resource policy that declares its
resource types (``policies.support.ResourcePolicy``) is called only for those, as it would return at
once for any other. tests/policies/test_runner.py compares every result with the SDK's analyzer
driven over protobuf, as the CLI drives it (tests/policies/engine.py).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import runpy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import jsonschema  # type: ignore[import-untyped]
import pulumi_policy.policy as policy_sdk
import yaml
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.stack_state import ROOT_TYPE, InputError, ResourceState

ROOT = Path(__file__).resolve().parent.parent
PACK_DIR = ROOT / "policies"
DEFAULT_PLAN = ROOT / "continuity-plan.yaml"

# Pulumi's property encodings (sdk/go/common/resource/properties.go).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a type signature, not a password
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = UNKNOWN_STRING_VALUE
# `pulumi stack export` without --show-secrets holds only ciphertext, which needs the stack's
# secrets provider; the checker sees what `pulumi preview --json` shows instead.
REDACTED = "[secret]"

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


# ---------------------------------------------------------------------------------------------
# The pack, as policies/__main__.py builds it


@dataclass(frozen=True)
class Pack:
    """What ``PolicyPack(...)`` was given, captured before it would start serving gRPC, and the
    SDK's analyzer built from the same arguments (what the CLI would talk to)."""

    name: str
    version: str
    policies: tuple[Policy, ...]
    enforcement_level: EnforcementLevel
    initial_config: Mapping[str, Any]
    servicer: Any


class _Captured(BaseException):
    # A BaseException, so that no `except Exception` between PolicyPack and here can swallow it.
    def __init__(self, pack: Pack) -> None:
        super().__init__()
        self.pack = pack


def load_pack(pack_dir: Path = PACK_DIR) -> Pack:
    """Run the pack's ``__main__.py`` and capture what its PolicyPack constructs, before gRPC."""
    real = policy_sdk._PolicyAnalyzerServicer
    signature = inspect.signature(real)

    def capture(*args: Any, **kwargs: Any) -> NoReturn:
        bound = signature.bind(*args, **kwargs).arguments
        raise _Captured(
            Pack(
                name=bound["name"],
                version=bound["version"],
                policies=tuple(bound["policies"]),
                enforcement_level=bound["enforcement_level"],
                initial_config=dict(bound.get("initial_config") or {}),
                servicer=real(*args, **kwargs),
            )
        )

    policy_sdk._PolicyAnalyzerServicer = capture  # type: ignore[misc,assignment]
    try:
        runpy.run_path(str(pack_dir), run_name="__main__")
    except _Captured as captured:
        return captured.pack
    finally:
        policy_sdk._PolicyAnalyzerServicer = real  # type: ignore[misc]
    raise InputError(f"{pack_dir}: the pack never constructs a PolicyPack")


def pack_version(pack_dir: Path = PACK_DIR) -> str:
    """The pack's version as PulumiPolicy.yaml declares it (what `pulumi policy publish` uses; the
    SDK itself always says 0.0.1)."""
    try:
        manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise InputError(f"{pack_dir / 'PulumiPolicy.yaml'}: cannot be read ({err})") from None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return str(version) if version is not None else "0.0.1"


def kind_of(policy: Policy) -> str:
    return "stack" if isinstance(policy, StackValidationPolicy) else "resource"


def severity_of(policy: Policy) -> str:
    return policy.severity.value if policy.severity is not None else ""


def config_schema_of(policy: Policy) -> dict[str, Any]:
    """The policy's configuration schema as the CLI validates it (JSON Schema draft 7)."""
    schema: dict[str, Any] = {"type": "object"}
    if policy.config_schema is not None:
        if policy.config_schema.properties:
            schema["properties"] = dict(policy.config_schema.properties)
        if policy.config_schema.required:
            schema["required"] = list(policy.config_schema.required)
    return schema


# ---------------------------------------------------------------------------------------------
# Configuration, reconciled as the CLI does


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


def _initial_layer(pack: Pack) -> dict[str, PolicyConfig]:
    # An initial configuration entry without a level arrives at the CLI as ADVISORY (proto3 enums
    # have no "unset"), and the CLI applies it as given.
    layer = {}
    for name, value in pack.initial_config.items():
        if isinstance(value, EnforcementLevel):
            layer[name] = PolicyConfig(value.value, None)
            continue
        properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        level = value.get("enforcementLevel")
        layer[name] = PolicyConfig(
            level.value if isinstance(level, EnforcementLevel) else "advisory", properties or None
        )
    return layer


def reconcile_config(pack: Pack, layers: Iterable[Mapping[str, PolicyConfig]]) -> dict[str, PolicyConfig]:
    """The configuration the CLI sends to Configure: schema defaults and each policy's level,
    then the pack's initial configuration, then each given layer, validated against the schemas
    (pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig)."""
    result: dict[str, PolicyConfig] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in pack.policies:
        schema = config_schema_of(policy)
        defaults = {
            k: v["default"]
            for k, v in schema.get("properties", {}).items()
            if isinstance(v, dict) and "default" in v
        }
        level = policy.enforcement_level or pack.enforcement_level
        result[policy.name] = PolicyConfig(level.value, defaults or None)
        schemas[policy.name] = schema
    for layer in (_initial_layer(pack), *layers):
        unknown = sorted(set(layer) - set(result) - {"all"})
        if unknown:
            raise InputError(f"policy pack config: no policy named {', '.join(unknown)} in pack {pack.name}")
        _apply(result, layer)
    errors = [
        f"{name}: {error.message}"
        for name, schema in schemas.items()
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[name].properties or {})
    ]
    if errors:
        raise InputError(f"policy pack config: {'; '.join(sorted(errors))}")
    return result


def takes_plan(policy: Policy) -> bool:
    return "plan" in config_schema_of(policy).get("properties", {})


def configuration(
    pack: Pack, plan: Path | None = None, file_config: Mapping[str, PolicyConfig] | None = None
) -> dict[str, PolicyConfig]:
    """The configuration the CLI would send, pointing every policy with a ``plan`` setting at
    ``plan`` (which wins over the file's)."""
    layers: list[Mapping[str, PolicyConfig]] = [file_config or {}]
    if plan is not None:
        layers.append(
            {p.name: PolicyConfig(None, {"plan": str(plan)}) for p in pack.policies if takes_plan(p)}
        )
    return reconcile_config(pack, layers)


def pack_config_for(pack: Pack, plan: Path) -> dict[str, Any]:
    """A --policy-pack-config document pointing every policy at ``plan`` (relative to the
    repository when inside it, which is how the pack resolves it)."""
    try:
        shown = str(plan.relative_to(ROOT))
    except ValueError:
        shown = str(plan)
    return {p.name: {"plan": shown} for p in pack.policies if takes_plan(p)}


# ---------------------------------------------------------------------------------------------
# Properties, as a policy receives them


def wire(value: Any) -> Any:
    """A state value as the engine marshals it for an analyzer (KeepUnknowns, KeepSecrets; resource
    references as their id), and as protobuf's Struct carries it: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [wire(v) for v in value]
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
        return {SIG_KEY: SECRET_SIG, "value": wire(inner)}
    if signature == RESOURCE_REF_SIG:
        # Analyzers are sent references as the resource's id (its URN for components).
        return value.get("id") or value.get("urn") or UNKNOWN
    if signature in (ASSET_SIG, ARCHIVE_SIG) and not ({"path", "text", "uri", "assets"} & set(value)):
        return f"[{'asset' if signature == ASSET_SIG else 'archive'} {value.get('hash', '')}]"
    return {k: wire(v) for k, v in value.items()}


def wire_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    # The engine skips internal keys (SkipInternalKeys) when it marshals properties.
    return {k: wire(v) for k, v in properties.items() if not k.startswith("__")}


class LazyProperties(Mapping[str, Any]):
    """A resource's properties as the SDK hands them to a policy (deserialised, behind its
    unknown-checking proxy), built the first time a policy reads them. The SDK's proxy is built
    whole up front and raises only when a value is read, so building it later changes nothing
    a policy can observe."""

    __slots__ = ("_proxy", "_raw")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw: Mapping[str, Any] | None = raw
        self._proxy: Mapping[str, Any] | None = None

    def _target(self) -> Mapping[str, Any]:
        if self._proxy is None:
            assert self._raw is not None
            self._proxy = unknown_checking_proxy(deserialize_properties(wire_properties(self._raw)))
            self._raw = None
        return self._proxy

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def options_of(state: ResourceState) -> PolicyResourceOptions:
    """The resource's options as the SDK builds them from AnalyzerResourceOptions."""
    timeouts = state.custom_timeouts
    return PolicyResourceOptions(
        state.protect,
        list(state.ignore_changes),
        state.delete_before_replace,
        list(state.aliases),
        PolicyCustomTimeouts(
            _seconds(timeouts.get("create")),
            _seconds(timeouts.get("update")),
            _seconds(timeouts.get("delete")),
        ),
        list(state.additional_secret_outputs),
        state.parent or None,
    )


# ---------------------------------------------------------------------------------------------
# Results


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
class NotApplicable:
    policy: str
    urn: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """A policy as a report describes it: what it enforces, why, and how hard."""

    name: str
    description: str
    help: str
    severity: str  # low, medium, high, critical, or "" when the policy sets none
    enforcement: str  # as configured for this run: advisory, mandatory, remediate, disabled
    kind: str  # resource or stack


@dataclass(frozen=True)
class Tally:
    """How one policy judged the stack: resources of the kinds it judges that passed, resources
    (or the stack itself) it found a violation on, and resources it set aside."""

    policy: str
    passed: int
    failed: int
    not_applicable: int

    def as_data(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "passed": self.passed,
            "failed": self.failed,
            "notApplicable": self.not_applicable,
        }


@dataclass(frozen=True)
class Result:
    violations: list[Violation]
    resources: int
    policies: int
    not_applicable: int
    rules: list[Rule] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)
    set_aside: list[NotApplicable] = field(default_factory=list)

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


class PolicyFailedError(Exception):
    """A policy raised instead of judging (the CLI would fail the preview); one line."""


# ---------------------------------------------------------------------------------------------
# Running the pack


def _run_validation(policy: Policy, args: Any, report: Any) -> None:
    result = policy.validate(args, report)  # type: ignore[attr-defined]
    if result is not None and inspect.isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A run allocates proxies for every resource a policy reads, tens of thousands of containers
    that the cyclic garbage collector would scan again and again; reference counting still frees
    them, and what cycles remain go at the next collection after the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Run:
    """One run of the pack over one set of resources, collecting what the engine would."""

    def __init__(
        self, pack: Pack, configs: Mapping[str, PolicyConfig], states: Sequence[ResourceState]
    ) -> None:
        self.pack = pack
        self.configs = configs
        self.states = states
        self.violations: list[Violation] = []
        self.set_aside: list[NotApplicable] = []
        self.by_urn = {s.urn: s for s in states}
        self.root = next((s.urn for s in states if s.type == ROOT_TYPE), "")
        self.providers: dict[str, PolicyProviderResource | None] = {}

    def level(self, policy: Policy) -> str:
        return self.configs[policy.name].enforcement_level or "advisory"

    def config(self, policy: Policy) -> dict[str, Any] | None:
        properties = self.configs[policy.name].properties
        return dict(properties) if properties else None

    def provider(self, state: ResourceState) -> PolicyProviderResource | None:
        key = state.provider_urn
        if key not in self.providers:
            provider = self.by_urn.get(key)
            self.providers[key] = (
                None
                if provider is None
                else PolicyProviderResource(
                    provider.type, LazyProperties(provider.inputs), provider.urn, provider.name
                )
            )
        return self.providers[key]

    def reporter(self, policy: Policy, level: str, default_urn: str | None) -> Any:
        enforcement = "mandatory" if level == "remediate" else level

        def report(message: str, urn: str | None = None) -> None:
            if message and not isinstance(message, str):
                raise TypeError("Expected message to be a string")
            target = default_urn if default_urn is not None else (urn or self.root)
            # The SDK sends the description alone when a policy reports no message.
            self.violations.append(Violation(policy.name, target, message or policy.description, enforcement))

        return report

    def unknown(self, policy: Policy, urn: str, error: UnknownValueError) -> None:
        # The SDK reports a value unknown during preview as one advisory diagnostic, in these words.
        self.violations.append(
            Violation(
                policy.name,
                urn,
                f"can't run policy '{policy.name}' from policy pack "
                f"'{self.pack.name}@v{self.pack.version}' during preview: {error.message}",
                "advisory",
            )
        )

    def judge(self, policy: Policy, args: Any, urn: str, default_urn: str | None) -> None:
        try:
            _run_validation(policy, args, self.reporter(policy, self.level(policy), default_urn))
        except UnknownValueError as err:
            self.unknown(policy, default_urn or self.root, err)
        except policy_sdk._NotApplicableError as err:
            self.set_aside.append(NotApplicable(policy.name, urn, err.reason or ""))
        except Exception as err:
            detail = " ".join(str(err).split()) or type(err).__name__
            raise PolicyFailedError(f"policy {policy.name} failed on {urn}: {detail}") from err

    def resources(self, policies: Sequence[ResourceValidationPolicy]) -> None:
        """Each resource's inputs through every resource policy, resources in order, as the
        engine sends one Analyze per resource."""
        by_type: dict[str, list[tuple[ResourceValidationPolicy, dict[str, Any] | None]]] = {}
        for state in self.states:
            applicable = by_type.get(state.type)
            if applicable is None:
                applicable = by_type[state.type] = [
                    (p, self.config(p)) for p in policies if state.type in resource_types(p, state.type)
                ]
            if not applicable:
                continue
            props = LazyProperties(state.inputs)
            options = options_of(state)
            provider = self.provider(state)
            for policy, config in applicable:
                if not policy.has_validation():
                    # A remediation-only policy, reported the way the SDK reports it.
                    self.set_aside.append(
                        NotApplicable(policy.name, state.urn, "Policy does not implement validate")
                    )
                    continue
                args = ResourceValidationArgs(
                    state.type, props, state.urn, state.name, options, provider, config, {}
                )
                self.judge(policy, args, state.urn, state.urn)

    def stack(self, policies: Sequence[StackValidationPolicy]) -> None:
        """Every resource's outputs, with parents and dependencies, through every stack policy."""
        if not policies:
            return
        resources = [
            PolicyResource(
                s.type,
                LazyProperties(s.outputs),
                s.urn,
                s.name,
                options_of(s),
                self.provider(s),
                None,
                [],
                {},
            )
            for s in self.states
        ]
        by_urn = {r.urn: r for r in resources}
        for state, resource in zip(self.states, resources, strict=True):
            resource.parent = by_urn.get(state.parent)
            resource.dependencies = [by_urn[d] for d in state.dependencies if d in by_urn]
            resource.property_dependencies = {
                key: [by_urn[d] for d in urns if d in by_urn]
                for key, urns in state.property_dependencies.items()
            }
        for policy in policies:
            args = StackValidationArgs(list(resources), self.config(policy), {})
            self.judge(policy, args, self.root, None)


def resource_types(policy: Policy, fallback: str) -> Iterable[str]:
    """The resource types a policy judges (``resource_types`` on the pack's own policy classes);
    a policy that declares none judges every type, ``fallback`` included."""
    declared = getattr(policy, "resource_types", None)
    return declared if declared is not None else (fallback,)


def _help_of(policy: Policy) -> str:
    return str(getattr(policy, "help", "") or policy.remediation_steps or "")


def rules_of(pack: Pack, configs: Mapping[str, PolicyConfig]) -> list[Rule]:
    return [
        Rule(
            name=p.name,
            description=p.description,
            help=_help_of(p),
            severity=severity_of(p),
            enforcement=configs[p.name].enforcement_level or "advisory",
            kind=kind_of(p),
        )
        for p in pack.policies
    ]


def _tallies(
    pack: Pack,
    *,
    configs: Mapping[str, PolicyConfig],
    states: Sequence[ResourceState],
    violations: Sequence[Violation],
    set_aside: Sequence[NotApplicable],
    root: str,
) -> list[Tally]:
    """Per policy: of the resources of the kinds it judges, how many passed, how many it set aside,
    and on how many resources (or the stack) it found something. A stack policy names what it
    finds by the resource that falls short, often a side resource joined to the one it judges (a
    bucket's versioning, a vault's lock): such a finding fails the judged resources it depends on."""
    by_urn = {s.urn: s for s in states}
    of_type: dict[str, set[str]] = {}
    for state in states:
        if state.type != ROOT_TYPE:
            of_type.setdefault(state.type, set()).add(state.urn)
    everything = set().union(*of_type.values()) if of_type else set()
    found: dict[str, set[str]] = {}
    for violation in violations:
        found.setdefault(violation.policy, set()).add(violation.urn)
    aside_of: dict[str, set[str]] = {}
    for entry in set_aside:
        aside_of.setdefault(entry.policy, set()).add(entry.urn)
    counts = []
    for policy in pack.policies:
        if configs[policy.name].enforcement_level == "disabled":
            continue
        declared = getattr(policy, "resource_types", None)
        scope = everything if declared is None else set().union(*(of_type.get(t, set()) for t in declared))
        failed: set[str] = set()
        for urn in found.get(policy.name, ()):
            named = by_urn.get(urn)
            depends_on = named.dependencies if named is not None else ()
            judged = {urn} if urn in scope else {d for d in depends_on if d in scope}
            failed |= judged or {urn}
        aside = aside_of.get(policy.name, set())
        if root in aside and kind_of(policy) == "stack":
            aside = scope
        aside = (aside & scope) - failed
        counts.append(Tally(policy.name, len(scope - failed - aside), len(failed), len(aside)))
    return counts


def evaluate(pack: Pack, configs: Mapping[str, PolicyConfig], states: Sequence[ResourceState]) -> Result:
    """Judge ``states`` with every enabled policy of ``pack`` under ``configs`` (from
    ``configuration``), and collect what the engine would: each diagnostic attributed to the
    analyzed resource, a stack policy's to the URN it named (the stack itself when it named none)."""
    run = _Run(pack, configs, states)
    enabled = [p for p in pack.policies if run.level(p) != "disabled"]
    with _collector_paused():
        run.resources([p for p in enabled if isinstance(p, ResourceValidationPolicy)])
        run.stack([p for p in enabled if isinstance(p, StackValidationPolicy)])
    return Result(
        violations=run.violations,
        resources=len(states),
        policies=len(pack.policies),
        not_applicable=len(run.set_aside),
        rules=rules_of(pack, configs),
        tallies=_tallies(
            pack,
            configs=configs,
            states=states,
            violations=run.violations,
            set_aside=run.set_aside,
            root=run.root,
        ),
        set_aside=run.set_aside,
    )


def check(
    states: Sequence[ResourceState],
    plan: Path = DEFAULT_PLAN,
    file_config: Mapping[str, PolicyConfig] | None = None,
    pack: Pack | None = None,
) -> Result:
    """Check resources against the pack for ``plan`` (the pack may be reused across calls)."""
    pack = pack if pack is not None else load_pack()
    return evaluate(pack, configuration(pack, plan, file_config), states)
