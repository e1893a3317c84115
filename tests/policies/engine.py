"""The SDK's own analyzer, driven over protobuf the way the Pulumi CLI drives a policy pack: the
reference the offline checker (offline/policy_check.py) is compared against.

The engine sends ``Configure`` with the reconciled configuration, one ``Analyze`` per resource
(its inputs, options and provider) and one ``AnalyzeStack`` (every resource's outputs, with parents
and property dependencies), marshalled with KeepUnknowns, KeepSecrets and SkipInternalKeys; it
attributes each diagnostic to the analyzed resource, and a stack diagnostic to the URN it names
(the stack when it names none). This module does exactly that, slowly, so that a test can prove the
fast path changes nothing a policy sees or reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import proto

from offline.policy_check import ROOT_TYPE, Pack, PolicyConfig, Violation, wire
from offline.stack_state import ResourceState

LEVELS: dict[str, proto.EnforcementLevel.ValueType] = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}


def configure(pack: Pack, configs: Mapping[str, PolicyConfig]) -> None:
    request = proto.ConfigureAnalyzerRequest()
    for name, config in configs.items():
        if config.enforcement_level is None:
            continue
        message = proto.PolicyConfig(enforcementLevel=LEVELS[config.enforcement_level])
        message.properties.update(config.properties or {})
        request.policyConfig[name].CopyFrom(message)
    pack.servicer.Configure(request, None)


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: wire(v) for k, v in properties.items() if not k.startswith("__")})
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


def analyze(
    pack: Pack, configs: Mapping[str, PolicyConfig], states: Sequence[ResourceState]
) -> tuple[list[Violation], list[tuple[str, str, str]]]:
    """(violations, not-applicable results as (policy, urn, reason)) as the CLI would collect them."""
    configure(pack, configs)
    servicer = pack.servicer
    by_urn = {s.urn: s for s in states}
    violations: list[Violation] = []
    set_aside: list[tuple[str, str, str]] = []
    for state in states:
        request = proto.AnalyzeRequest(
            type=state.type,
            urn=state.urn,
            name=state.name,
            properties=to_struct(state.inputs),
            options=_options(state),
            provider=_provider(state, by_urn),
        )
        response = servicer.Analyze(request, None)
        violations += [_violation(d, state.urn) for d in response.diagnostics]
        set_aside += [(n.policy_name, state.urn, n.reason) for n in response.not_applicable]
    root = next((s.urn for s in states if s.type == ROOT_TYPE), "")
    stack = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=s.type,
                urn=s.urn,
                name=s.name,
                properties=to_struct(s.outputs),
                options=_options(s),
                provider=_provider(s, by_urn),
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
    response = servicer.AnalyzeStack(stack, None)
    violations += [_violation(d, d.urn or root) for d in response.diagnostics]
    set_aside += [(n.policy_name, root, n.reason) for n in response.not_applicable]
    return violations, set_aside
