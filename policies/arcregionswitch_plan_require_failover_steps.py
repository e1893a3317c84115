"""arcregionswitch-plan-require-failover-steps: the Region switch plan performs promote_dr.py's failover.

A stack policy for the DR stack. Its ``aws:arcregionswitch/plan`` must activate the DR region
with the steps ``continuity.assurance.region_switch_for`` derives, in that order (the children of
the parallel step in any order), each of its execution block type and with a timeout no longer
than the RTO of the tier it serves; its RTO no longer than the plan's strictest; and, where the
plan fails over automatically, a trigger on the primary's health alarm. Kubernetes services are
expected to be scaled where the stack grants Region switch EKS access (the clusters are EKS).

It judges stacks that declare the assurance resources (issue 16), as
backup-framework-require-controls does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from continuity.assurance import HEALTH_ALARM_KEY, SwitchStep, region_switch_for
from policies.backup_framework_require_controls import declares_assurance
from policies.support import PLAN_CONFIG, items, mapping, not_applicable, number, show, stack_view

NAME = "arcregionswitch-plan-require-failover-steps"
DESCRIPTION = "The DR stack's Region switch plan performs the failover with the plan's steps and RTOs."
PLAN_TYPE = "aws:arcregionswitch/plan:Plan"
EKS_ACCESS = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"


def timeout(step: Mapping[str, Any]) -> float | None:
    """The step's timeoutMinutes, whatever its execution block's configuration is called."""
    for key, value in step.items():
        if key.endswith("Configs") and key != "parallelConfigs":
            configs = items(value)
            if configs:
                return number(mapping(configs[0]).get("timeoutMinutes"))
    return None


def judge_step(wanted: SwitchStep, found: Mapping[str, Any], report: ReportViolation, urn: str) -> None:
    block = found.get("executionBlockType")
    if block != wanted.block:
        report(f"step {wanted.name} is {show(block)}; the failover needs {wanted.block} there", urn)
        return
    if wanted.timeout_minutes is not None:
        minutes = timeout(found)
        if minutes is None or minutes > wanted.timeout_minutes:
            report(
                f"step {wanted.name} timeoutMinutes is {show(minutes)}; {wanted.source} allows "
                f"{wanted.timeout_minutes}",
                urn,
            )
    if wanted.children:
        children = {
            str(mapping(c).get("name")): mapping(c)
            for p in items(found.get("parallelConfigs"))
            for c in items(mapping(p).get("steps"))
        }
        for child in wanted.children:
            if child.name not in children:
                report(f"step {wanted.name} does not run {child.name} ({child.block}) in parallel", urn)
            else:
                judge_step(child, children[child.name], report, urn)


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    if not declares_assurance(view):
        not_applicable(args, "the stack declares none of the assurance resources (issue 16)")
    if "dr" not in view.roles():
        not_applicable(args, "the Region switch plan belongs to the DR stack")
    plan = view.ctx.plan
    wanted = region_switch_for(plan, eks=bool(view.of_type(EKS_ACCESS)))
    plans = [r for r, _ in view.tagged(PLAN_TYPE)]
    if not plans:
        report(f"no {PLAN_TYPE} in the DR stack; the failover runs from a laptop only", None)
    for resource in plans:
        props, urn = resource.props, resource.urn
        rto = number(props.get("recoveryTimeObjectiveMinutes"))
        if rto is None or rto > wanted.recovery_time_objective_minutes:
            report(
                f"recoveryTimeObjectiveMinutes is {show(rto)}; the plan's strictest RTO is "
                f"{wanted.recovery_time_objective_minutes} minutes",
                urn,
            )
        workflows = [
            mapping(w)
            for w in items(props.get("workflows"))
            if mapping(w).get("workflowTargetAction") == "activate"
            and mapping(w).get("workflowTargetRegion") == wanted.dr_region
        ]
        if not workflows:
            report(f"no workflow activates {wanted.dr_region}", urn)
            continue
        steps = [mapping(s) for s in items(workflows[0].get("steps"))]
        names = [str(s.get("name")) for s in steps]
        expected = [s.name for s in wanted.steps]
        if names != expected:
            report(
                f"the workflow's steps are {', '.join(names) or 'none'}; the failover is "
                f"{', '.join(expected)}",
                urn,
            )
        for step in wanted.steps:
            if step.name in names:
                judge_step(step, steps[names.index(step.name)], report, urn)
        if wanted.automatic:
            alarms = {
                str(mapping(a).get("mapBlockKey")): mapping(a)
                for a in items(props.get("associatedAlarms"))
                if mapping(a).get("alarmType") == "trigger"
            }
            triggered = [
                t
                for t in (mapping(t) for t in items(props.get("triggers")))
                if t.get("action") == "activate"
                and t.get("targetRegion") == wanted.dr_region
                and any(mapping(c).get("associatedAlarmName") in alarms for c in items(t.get("conditions")))
            ]
            if HEALTH_ALARM_KEY not in alarms or not triggered:
                report(
                    "failover: automatic, but no trigger activates the DR region on the primary's "
                    "health alarm",
                    urn,
                )


POLICY = StackValidationPolicy(
    name=NAME,
    description=DESCRIPTION,
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PLAN_CONFIG,
)
