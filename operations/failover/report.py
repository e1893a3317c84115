"""What a failover run leaves behind: the JSON report, its Markdown page, and an incident update.

The report answers what the plan asks of every failover: when it started and ended, each step's
start, end and outcome, the achieved RTO against the plan's, the data at risk (replica lag at
promotion) against the RPO, and a status update ready to paste into the incident channel or the
status page, shaped like the seed plans' communication templates (status, impact, actions, next
update).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from continuity.outputs import Promotion
from operations.clock import format_seconds
from operations.failover.run import ALREADY_PROMOTED, PROMOTED, FailoverRun
from operations.failover.safety import SafetyDecision
from operations.report import (
    ACTION_NEEDED,
    ALREADY_DONE,
    DONE,
    clock_time,
    duration,
    iso,
    iso_ms,
    md_table,
    plus,
    steps_markdown,
)
from operations.runbook import DRY_RUN, FAILED_OUTCOME, REFUSED_OUTCOME, lock_markdown, run_data
from operations.runbook import plan_text as runbook_plan_text

REPORT_FORMAT = 1
# How soon the next update is promised: sooner while the service is still down.
NEXT_UPDATE_RESTORED = 30 * 60
NEXT_UPDATE_DOWN = 10 * 60


def _since_alarm(run: FailoverRun) -> float | None:
    since = _alarm_since(run)
    if since is None or run.ended_at is None:
        return None
    return (run.ended_at - since).total_seconds()


def _alarm_since(run: FailoverRun) -> datetime | None:
    signals = run.signals
    if signals is None or signals.alarm is None or signals.alarm.state != "ALARM":
        return None
    return signals.alarm.since


def outage_detected(run: FailoverRun) -> tuple[datetime, str] | None:
    """When the outage was detected, and by what: the primary health alarm's transition to ALARM,
    else, while the alarm is not in ALARM, the oldest failing report of Route 53's checkers (the
    check saw the failure by then at the latest); None on a healthy primary (a drill)."""
    signals = run.signals
    if signals is None:
        return None
    if (since := _alarm_since(run)) is not None:
        return since, f"alarm {signals.alarm_name} in ALARM"
    health = signals.health
    if health is not None and health.healthy is False and health.failing_since is not None:
        return health.failing_since, f"Route 53 health check {signals.health_check_id} failing"
    return None


def detection_latency(run: FailoverRun) -> tuple[float, str] | None:
    """How long the monitoring takes to see a failure, derived from its configuration: Route 53
    marks an endpoint unhealthy after FailureThreshold consecutive failed checks RequestInterval
    apart, and the alarm fires after EvaluationPeriods periods of Period seconds (Route 53
    Developer Guide, "How Amazon Route 53 determines whether a health check is healthy";
    CloudWatch User Guide, "Evaluating an alarm")."""
    check = run.assessment.dns.primary if run.assessment is not None else None
    alarm = run.signals.alarm if run.signals is not None else None
    parts: list[tuple[float, str]] = []
    if check is not None:
        parts.append(
            (
                float(check.switch_seconds),
                f"health check {check.request_interval}s interval × {check.failure_threshold} failures",
            )
        )
    if alarm is not None and alarm.period_seconds and alarm.evaluation_periods:
        parts.append(
            (
                float(alarm.period_seconds * alarm.evaluation_periods),
                f"alarm {alarm.period_seconds}s period × {alarm.evaluation_periods} evaluation periods",
            )
        )
    if not parts:
        return None
    return sum(p[0] for p in parts), " + ".join(p[1] for p in parts)


def healthy_at(run: FailoverRun) -> datetime | None:
    """When the DR endpoint answered healthy: the end of the route step, which waits for it."""
    if run.outcome != PROMOTED:
        return None
    route = run.timeline["route"] if "route" in run.timeline.steps else None
    if (
        route is not None
        and route.ended_at is not None
        and route.outcome in (DONE, ALREADY_DONE, ACTION_NEEDED)
    ):
        return route.ended_at
    return run.ended_at


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else round((b - a).total_seconds(), 3)


def applicable_tiers(promotion: Promotion) -> tuple[str, ...]:
    """The tiers with something in them, as the plan's derivation exported them
    (continuity.derive.Objectives.applicable); from older stacks, the tiers the outputs name."""
    p = promotion
    if p.objectives.applicable is not None:
        return p.objectives.applicable
    used = {d.tier for d in p.databases} | {s.tier for s in p.services} | {d.tier for d in p.data}
    used |= {k.tier for k in (p.kubernetes.services if p.kubernetes is not None else [])}
    return tuple(t for t in p.objectives.tiers if t in used)


def rto_data(run: FailoverRun) -> dict[str, Any]:
    """The RTO counted from the outage's detection to the DR endpoint answering healthy, split into
    detection (derived), decision (detected → this run's start) and recovery (run start → healthy);
    on a healthy primary, from the start of the run, and said so."""
    objectives = run.promotion.objectives
    healthy = healthy_at(run)
    detected = outage_detected(run)
    latency = detection_latency(run)
    recovery = _seconds(run.started_at, healthy)
    # An alarm can reach ALARM after an operator, warned another way, started the run: the RTO
    # then counts from the run's start, never from a later moment.
    origin = None if detected is None else min(detected[0], run.started_at)
    decision = _seconds(origin, run.started_at)
    achieved = None if healthy is None else _seconds(origin or run.started_at, healthy)
    if run.outcome == ALREADY_PROMOTED:
        note = "nothing was left to do: see the report of the run that promoted"
    elif run.outcome != PROMOTED:
        note = f"not achieved: the run ended {run.outcome}"
    elif detected is not None:
        note = f"from the outage's detection ({detected[1]}) to the DR endpoint answering healthy"
    else:
        note = (
            "no outage was detected (the primary health alarm is not in ALARM and the health check "
            "does not report a failure): from the start of this run to the DR endpoint answering healthy"
        )
    if run.outcome == PROMOTED and run.assessment is not None and run.assessment.started:
        note += "; an earlier run had begun the failover, so the split's recovery counts this run only"
    applicable = applicable_tiers(run.promotion)
    return {
        "achieved_seconds": achieved,
        "objective_seconds": objectives.rto_seconds,
        "met": None if achieved is None else achieved <= objectives.rto_seconds,
        "measured_from": None if achieved is None else ("outage detected" if detected else "run start"),
        "outage_detected_at": iso_ms(detected[0]) if detected is not None else None,
        "detected_by": detected[1] if detected is not None else None,
        "healthy_at": iso_ms(healthy),
        "run_seconds": None if run.seconds is None else round(run.seconds, 3),
        "split": {
            "detection_seconds": None if latency is None else latency[0],
            "detection_derived_from": None if latency is None else latency[1],
            "decision_seconds": decision,
            "recovery_seconds": recovery,
        },
        "since_alarm_seconds": None if (s := _since_alarm(run)) is None else round(s, 3),
        "note": note,
        "tiers": {
            name: {
                "objective_seconds": tier.rto_seconds,
                "applicable": name in applicable,
                "met": None if achieved is None or name not in applicable else achieved <= tier.rto_seconds,
            }
            for name, tier in objectives.tiers.items()
        },
    }


def rpo_data(run: FailoverRun) -> dict[str, Any]:
    """Per database, the replica lag measured at promotion; per other data item (buckets,
    Kubernetes dumps), the worst-case loss its DR copies allow (continuity.exposure), not measured
    by the failover."""
    databases = []
    states = run.assessment.databases if run.assessment is not None else []
    for state in states:
        t, lag = state.target, state.lag
        seconds = None if lag is None else lag.seconds
        databases.append(
            {
                "identifier": t.identifier,
                "data_item": t.data_item,
                "tier": t.tier,
                "mode": t.mode,
                "data_at_risk_seconds": seconds,
                "measured_at": iso(lag.at) if lag is not None else None,
                "note": lag.note if lag is not None else "not measured",
                "objective_seconds": t.rpo_seconds,
                "met": None if seconds is None else seconds <= t.rpo_seconds,
            }
        )
    promoted = {t.data_item for t in run.promotion.databases}
    others = [
        {
            "data_item": d.data_item,
            "store": d.store,
            "tier": d.tier,
            "worst_case_seconds": d.dr_worst_case_seconds,
            "protection": d.dr_protection or "no copy in the DR region",
            "objective_seconds": d.rpo_seconds,
            "met": None if d.dr_worst_case_seconds is None else d.dr_worst_case_seconds <= d.rpo_seconds,
        }
        for d in run.promotion.data
        if d.data_item not in promoted
    ]
    known = [d["met"] for d in databases if d["met"] is not None]
    return {
        # A plan without data has no RPO to meet (the outputs then export no data item).
        "objective_seconds": None
        if not databases and not run.promotion.data and run.promotion.objectives.applicable is not None
        else run.promotion.objectives.rpo_seconds,
        "met": None if not known or len(known) < len(databases) else all(known),
        "databases": databases,
        "other_data": others,
    }


def incident_update(run: FailoverRun) -> dict[str, Any]:
    p = run.promotion
    ended = run.ended_at or run.started_at
    restored = run.outcome in (PROMOTED, ALREADY_PROMOTED)
    drill = run.mode == "drill"
    if restored:
        status = (
            f"Drill complete: {p.service} is served from {p.dr_region}"
            if drill
            else f"Monitoring: {p.service} restored from the DR region {p.dr_region}"
            if p.databases
            else f"Monitoring: {p.service} served from the DR region {p.dr_region}"
        )
    elif run.outcome == FAILED_OUTCOME:
        status = f"Identified: failover to {p.dr_region} under way; a step failed and is being fixed"
    elif run.outcome == DRY_RUN:
        status = f"Investigating: failover to {p.dr_region} planned, not started"
    elif run.outcome == REFUSED_OUTCOME:
        status = f"Investigating: failover to {p.dr_region} not started ({run.message})"
    else:
        status = f"Identified: failover to {p.dr_region} interrupted; resuming"
    data = _data_at_risk(rpo_data(run), bool(p.databases))
    if drill:
        impact = f"Planned drill: traffic moved to {p.dr_region}; {data}"
    elif restored:
        impact = f"Major: {p.service} was unavailable while {p.primary_region} was down; {data}"
    else:
        impact = f"Major: {p.service} is unavailable while {p.primary_region} is down"
    actions = [f"{clock_time(s.ended_at)} {a}" for s in run.steps for a in s.actions if s.key != "safety"]
    safety = run.safety if isinstance(run.safety, SafetyDecision) else None
    if safety is not None and safety.primary_down:
        down = "; ".join(e for e in safety.evidence if "unhealthy" in e or ": ALARM" in e)
        actions.insert(0, f"{clock_time(run.started_at)} confirmed {p.primary_region} is down ({down})")
    next_update = plus(ended, NEXT_UPDATE_RESTORED if restored else NEXT_UPDATE_DOWN)
    named = [(s.name, s.tier) for s in p.services]
    named += [(k.name, k.tier) for k in (p.kubernetes.services if p.kubernetes is not None else [])]
    services = ", ".join(f"{name} ({tier})" for name, tier in named) or "none"
    rto = rto_data(run)
    lines = [
        f"INCIDENT UPDATE: {p.service}, regional failover to {p.dr_region}",
        f"Status: {status}",
        f"Impact: {impact}",
        f"Affected services: {services}",
    ]
    if (detected := outage_detected(run)) is not None:
        lines.append(f"Time detected: {iso(detected[0])} ({detected[1]})")
    lines.append("Actions taken:")
    lines += [f"- {a}" for a in actions] or ["- none yet"]
    if rto["achieved_seconds"] is not None:
        split = rto["split"]
        counted = (
            "since the outage was detected"
            if rto["measured_from"] == "outage detected"
            else "since the failover began (no outage detected)"
        )
        recovery = (
            f"Recovery time: {format_seconds(rto['achieved_seconds'])} {counted} "
            f"(objective {format_seconds(rto['objective_seconds'])})"
        )
        if split["decision_seconds"] is not None:
            recovery += (
                f": {format_seconds(split['decision_seconds'])} to decide, "
                f"{format_seconds(split['recovery_seconds'])} to recover"
            )
        lines.append(recovery)
    lines.append(f"Next update: {clock_time(next_update)}")
    return {
        "status": status,
        "impact": impact,
        "actions": actions,
        "next_update": iso(next_update),
        "text": "\n".join(lines),
    }


def _data_at_risk(rpo: dict[str, Any], has_databases: bool) -> str:
    """The impact line's data clause: measured replica lag where databases were promoted, each
    other data item's worst case from its DR copies, or that the service keeps no data."""
    parts = []
    lags = [d for d in rpo["databases"] if d["data_at_risk_seconds"] is not None]
    if lags:
        worst = max(float(d["data_at_risk_seconds"]) for d in lags)
        parts.append(
            "no data loss expected (replica lag 0s at promotion)"
            if worst == 0
            else f"writes from the last {format_seconds(worst)} before the failover may be missing"
        )
    elif has_databases:
        parts.append("data at risk unknown (no replica lag measured)")
    for d in rpo["other_data"]:
        worst = d["worst_case_seconds"]
        parts.append(
            f"{d['data_item']} ({d['store']}): no copy in the DR region"
            if worst is None
            else f"{d['data_item']} ({d['store']}): up to {format_seconds(worst)} of changes may be missing"
        )
    return "; ".join(parts) or "no data is kept"


def report_data(run: FailoverRun) -> dict[str, Any]:
    p = run.promotion
    safety = run.safety if isinstance(run.safety, SafetyDecision) else None
    data = run_data(
        run,
        report="promote_dr",
        fmt=REPORT_FORMAT,
        mode=run.mode,
        safety=None
        if safety is None
        else {
            "proceed": safety.proceed,
            "primary_down": safety.primary_down,
            "summary": safety.summary,
            "evidence": list(safety.evidence),
        },
    )
    return {
        **data,
        "service": p.service,
        "stack": p.stack,
        "strategy": p.strategy,
        "primary_region": p.primary_region,
        "dr_region": p.dr_region,
        "rto": rto_data(run),
        "rpo": rpo_data(run),
        "dns": {
            "record_name": p.dns.record_name,
            "primary_health_check_id": p.dns.primary_health_check_id,
            "dr_health_check_id": p.dns.dr_health_check_id,
            "switch_seconds": run.switch_seconds,
            "traffic_moved_by": run.traffic_path,
        },
        "incident_update": incident_update(run),
    }


NOT_APPLICABLE = "not applicable (nothing in this tier)"


def _met(value: bool | None) -> str:
    return "-" if value is None else ("met" if value else "MISSED")


def rto_split_markdown(rto: dict[str, Any]) -> list[str]:
    """Where the recovery time went: detection (derived from the monitoring's configuration),
    decision (detected → the run's start), recovery (run start → the DR endpoint healthy)."""
    split = rto.get("split")
    if not split:
        return []
    detection = (
        f"{duration(split['detection_seconds'])} (derived: {split['detection_derived_from']}; "
        "before the outage was detected, not counted in the RTO)"
        if split["detection_seconds"] is not None
        else "-"
    )
    decision = (
        f"{duration(split['decision_seconds'])} "
        f"(detected {rto['outage_detected_at']} by {rto['detected_by']})"
        if split["decision_seconds"] is not None
        else "- (no outage detected)"
    )
    return [
        md_table(
            ["phase", "took", "from → to"],
            [
                ["Detection", detection, "failure → detected"],
                ["Decision", decision, "detected → this run's start"],
                ["Recovery", duration(split["recovery_seconds"]), "run start → DR endpoint healthy"],
                ["This run", duration(rto.get("run_seconds")), "run start → run end"],
            ],
        ),
        "",
    ]


def report_markdown(data: dict[str, Any]) -> str:
    """The Markdown page for a report (from its JSON form, so both always agree)."""
    rto, rpo = data["rto"], data["rpo"]
    out = [
        f"# Failover of {data['service']} to {data['dr_region']}: {data['outcome']}",
        "",
        md_table(
            ["field", "value"],
            [
                ["Mode", data["mode"]],
                ["Stack", data["stack"]],
                ["Regions", f"{data['primary_region']} → {data['dr_region']}"],
                ["Started", data["started_at"] or "-"],
                ["Ended", data["ended_at"] or "-"],
                ["Took", duration(data["seconds"])],
                ["Outcome", f"{data['outcome']} (exit {data['exit_code']})"],
                ["Message", data["message"]],
                ["Traffic moved by", data["dns"]["traffic_moved_by"] or "-"],
                ["Deadline", duration(data["deadline_seconds"])],
            ],
        ),
        "",
    ]
    if data["next_actions"]:
        out += ["## Next", "", *[f"- {a}" for a in data["next_actions"]], ""]
    out += [
        "## Recovery objectives",
        "",
        md_table(
            ["objective", "plan", "achieved", "result"],
            [
                [
                    "RTO (strictest tier)",
                    duration(rto["objective_seconds"]),
                    duration(rto["achieved_seconds"]),
                    _met(rto["met"]),
                ],
                *[
                    [
                        f"RTO, tier {name}",
                        duration(t["objective_seconds"]),
                        duration(rto["achieved_seconds"]) if t.get("applicable", True) else "-",
                        _met(t["met"]) if t.get("applicable", True) else NOT_APPLICABLE,
                    ]
                    for name, t in rto["tiers"].items()
                ],
                *[
                    [
                        f"RPO, {d['data_item']} (rds, {d['tier']})",
                        duration(d["objective_seconds"]),
                        duration(d["data_at_risk_seconds"]),
                        _met(d["met"]),
                    ]
                    for d in rpo["databases"]
                ],
                *[
                    [
                        f"RPO, {d['data_item']} ({d['store']}, {d['tier']})",
                        duration(d["objective_seconds"]),
                        f"up to {duration(d['worst_case_seconds'])} (worst case)",
                        "-" if d["met"] is None else ("within" if d["met"] else "EXCEEDS"),
                    ]
                    for d in rpo.get("other_data", [])
                ],
            ],
        ),
        "",
        f"RTO: {rto['note']}.",
        "",
        *rto_split_markdown(rto),
        "RPO: for a database, the replica's lag when it was promoted (CloudWatch ReplicaLag), or the "
        "age of the newest restorable time for a restore: the writes that may be missing. For other "
        "data, the worst case its copies in the DR region allow (the plan's exposure model), "
        "not measured by the failover.",
        "",
    ]
    out += steps_markdown(data["steps"])
    out += lock_markdown(data)
    if data["plan"] and data["mode"] == "dry run":
        out += ["## Plan", "", *[f"- {a['step']}: {a['action']}" for a in data["plan"]], ""]
    out += ["## Incident update (ready to send)", "", "```text", data["incident_update"]["text"], "```", ""]
    return "\n".join(out)


def plan_text(run: FailoverRun) -> str:
    """The plan of actions, as printed for a dry run and before the confirmation prompt."""
    p = run.promotion
    return runbook_plan_text(
        run, f"Failover of {p.service} from {p.primary_region} to {p.dr_region} (stack {p.stack}):"
    )


def summary_lines(data: dict[str, Any]) -> list[str]:
    lines = [data["message"]]
    if data["outcome"] == PROMOTED:
        rto, rpo = data["rto"], data["rpo"]
        lines.append(
            f"RTO: {duration(rto['achieved_seconds'])} from the "
            f"{'outage' if rto.get('measured_from') == 'outage detected' else 'run start'} "
            f"(objective {duration(rto['objective_seconds'])}: {_met(rto['met'])}); data at risk: "
            + (
                ", ".join(
                    [
                        f"{d['identifier']} {duration(d['data_at_risk_seconds'])} "
                        f"(objective {duration(d['objective_seconds'])}: {_met(d['met'])})"
                        for d in rpo["databases"]
                    ]
                    + [
                        f"{d['data_item']} ({d['store']}) up to {duration(d['worst_case_seconds'])} "
                        f"(objective {duration(d['objective_seconds'])})"
                        for d in rpo.get("other_data", [])
                    ]
                )
                or "none (no data)"
            )
        )
    lines += [f"Next: {a}" for a in data["next_actions"]]
    return lines
