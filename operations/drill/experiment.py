"""A drill that begins with a real fault: start one of the DR stack's AWS FIS experiment
templates and wait until FIS has injected it, so the drill is measured from the injection.

The DR stack declares the templates in the primary region (components/experiments.py) and exports
their ids as ``assurance.experiment_template_ids`` (docs/outputs.md). A declared failure time is an
operator's guess; an experiment's is FIS's record of when its first action began, which is when
the outage began.

Response shapes and states are the AWS FIS API Reference's (StartExperiment, GetExperiment,
ExperimentState, ExperimentActionState). Every call goes through operations.aws, so it carries the
same botocore timeouts and attempt budget as the rest of the drill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from continuity.outputs import Promotion
from operations.aws import Aws, describe_error
from operations.clock import Clock, poll_until
from operations.errors import BadInput, StepFailed
from operations.failover.steps import Timing
from operations.report import Timeline, iso
from operations.stack_outputs import OutputsDocument

# ExperimentState.status (AWS FIS API Reference): pending | initiating | running | completed |
# stopping | stopped | failed | cancelled. Once running, the fault is in place; completed and
# stopped experiments ran (a stop condition or an operator ended them); failed and cancelled ones
# may have injected nothing.
INJECTED = frozenset({"running", "completed", "stopping", "stopped"})
NOT_INJECTED = frozenset({"failed", "cancelled"})
SETTLED = INJECTED | NOT_INJECTED
# ExperimentActionState.status values of an action that has begun acting on its targets.
ACTION_STARTED = frozenset({"running", "completed", "stopping", "stopped"})
# StartExperiment's clientToken: up to 64 characters (AWS FIS API Reference).
CLIENT_TOKEN_MAX = 64


@dataclass(frozen=True)
class ExperimentTemplate:
    name: str  # the drill scenario, as the DR stack names it
    template_id: str
    region: str  # the primary region, where the templates are declared


@dataclass(frozen=True)
class InjectedFault:
    template: ExperimentTemplate
    experiment_id: str
    status: str
    reason: str
    injected_at: datetime  # the first action's start (the experiment's start when none is recorded)
    started_at: datetime | None  # the experiment's startTime

    def as_data(self) -> dict[str, Any]:
        return {
            "name": self.template.name,
            "template_id": self.template.template_id,
            "region": self.template.region,
            "experiment_id": self.experiment_id,
            "status": self.status,
            "reason": self.reason,
            "injected_at": self.injected_at.isoformat(),
        }


def experiment_templates(document: object, where: str) -> dict[str, str]:
    """``{scenario: template id}`` from the DR stack's outputs (``assurance.experiment_template_ids``)."""
    assurance = document.get("assurance") if isinstance(document, Mapping) else None
    templates = assurance.get("experiment_template_ids") if isinstance(assurance, Mapping) else None
    if not isinstance(templates, Mapping) or not templates:
        raise BadInput(
            f"{where}: outputs.assurance.experiment_template_ids: missing; "
            "deploy the DR stack with the FIS experiment templates (docs/assurance.md)"
        )
    found: dict[str, str] = {}
    for name, template_id in templates.items():
        if not isinstance(template_id, str) or not template_id:
            raise BadInput(f"{where}: outputs.assurance.experiment_template_ids.{name}: not a template id")
        found[str(name)] = template_id
    return found


def choose_template(templates: Mapping[str, str], name: str, region: str) -> ExperimentTemplate:
    """The template ``--experiment NAME`` names, or BadInput naming the ones there are."""
    if name not in templates:
        raise BadInput(
            f"--experiment {name}: no such experiment template; the DR stack declares "
            + ", ".join(sorted(templates))
        )
    return ExperimentTemplate(name, templates[name], region)


def template_for(outputs: OutputsDocument, name: str, promotion: Promotion) -> ExperimentTemplate:
    """``--experiment NAME`` checked against the DR stack's outputs before anything runs."""
    templates = experiment_templates(outputs.document, outputs.where)
    return choose_template(templates, name, promotion.primary_region)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None


def injection_time(experiment: Mapping[str, Any], fallback: datetime) -> datetime:
    """When the fault began: the earliest start of an action that has begun, else the
    experiment's startTime, else ``fallback`` (when StartExperiment answered)."""
    starts = [
        moment
        for action in (experiment.get("actions") or {}).values()
        if str((action.get("state") or {}).get("status", "")) in ACTION_STARTED
        and (moment := _moment(action.get("startTime"))) is not None
    ]
    if starts:
        return min(starts)
    return _moment(experiment.get("startTime")) or fallback


def _state(experiment: Mapping[str, Any]) -> tuple[str, str]:
    state = experiment.get("state") or {}
    return str(state.get("status", "")), str(state.get("reason", "") or "")


def client_token(service: str, name: str, at: datetime) -> str:
    """One token per drill: a retried StartExperiment (botocore's own retries) starts one experiment."""
    return f"{service}-{name}-{at.strftime('%Y%m%dT%H%M%SZ')}"[:CLIENT_TOKEN_MAX]


def inject(
    aws: Aws,
    template: ExperimentTemplate,
    *,
    clock: Clock,
    timeout: float,
    poll_seconds: float,
    token: str,
) -> InjectedFault:
    """Start the experiment and wait (at most ``timeout``) until FIS has injected its fault.

    An experiment that fails or is cancelled before injecting anything raises StepFailed; one
    still pending when the wait ends is stopped (best effort: a fault injected after the drill
    gave up would be an outage nobody measures) and raises StepFailed.
    """
    fis = aws.client("fis", template.region)
    asked_at = clock.now()
    try:
        started = fis.start_experiment(experimentTemplateId=template.template_id, clientToken=token)
    except Exception as exc:
        raise StepFailed(
            f"StartExperiment {template.name} ({template.template_id}): {describe_error(exc)}"
        ) from None
    experiment_id = str(started["experiment"]["id"])

    def fetch() -> dict[str, Any]:
        return dict(fis.get_experiment(id=experiment_id)["experiment"])

    try:
        experiment = poll_until(
            fetch,
            lambda e: _state(e)[0] in SETTLED,
            clock=clock,
            timeout=timeout,
            interval=poll_seconds,
            what=f"experiment {experiment_id} ({template.name})",
            describe=lambda e: ": ".join(s for s in _state(e) if s) or "no state",
        )
    except Exception as exc:
        stopped = _stop(fis, experiment_id)
        raise StepFailed(f"{describe_error(exc)}; {stopped}") from None
    status, reason = _state(experiment)
    if status in NOT_INJECTED:
        raise StepFailed(
            f"experiment {experiment_id} ({template.name}) {status} before injecting its fault"
            + (f": {reason}" if reason else "")
        )
    return InjectedFault(
        template=template,
        experiment_id=experiment_id,
        status=status,
        reason=reason,
        injected_at=injection_time(experiment, asked_at),
        started_at=_moment(experiment.get("startTime")),
    )


def _stop(fis: Any, experiment_id: str) -> str:
    try:
        fis.stop_experiment(id=experiment_id)
    except Exception as exc:
        return (
            f"stopping it failed ({describe_error(exc)}): "
            f"aws fis stop-experiment --id {experiment_id} --region {fis.meta.region_name}"
        )
    return f"experiment {experiment_id} stopped"


def inject_step(  # noqa: PLR0917 - the drill's own step, called once from operations.drill.run
    timeline: Timeline,
    template: ExperimentTemplate,
    aws: Aws,
    clock: Clock,
    timing: Timing | None,
    promotion: Promotion,
) -> InjectedFault:
    """The drill's ``experiment`` step: the fault has the strictest tier's RTO to take hold, as
    the failover that follows has it to recover."""
    with timeline.step("experiment") as rec:
        fault = inject(
            aws,
            template,
            clock=clock,
            timeout=promotion.objectives.rto_seconds,
            poll_seconds=(timing or Timing()).poll_seconds,
            token=client_token(promotion.service, template.name, timeline.started_at),
        )
        rec.actions.append(
            f"started FIS experiment {fault.experiment_id} ({template.name}) in {template.region}"
        )
        rec.notes.append(f"{fault.status}: fault injected at {iso(fault.injected_at)}")
    return fault
