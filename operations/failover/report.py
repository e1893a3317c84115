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

from operations.clock import format_seconds
from operations.failover.run import ALREADY_PROMOTED, PROMOTED, FailoverRun
from operations.failover.safety import SafetyDecision
from operations.report import (
    clock_time,
    duration,
    iso,
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
    signals = run.signals
    if (
        signals is None
        or signals.alarm is None
        or signals.alarm.state != "ALARM"
        or signals.alarm.since is None
    ):
        return None
    if run.ended_at is None:
        return None
    return (run.ended_at - signals.alarm.since).total_seconds()


def _alarm_since(run: FailoverRun) -> datetime | None:
    signals = run.signals
    if signals is None or signals.alarm is None or signals.alarm.state != "ALARM":
        return None
    return signals.alarm.since


def rto_data(run: FailoverRun) -> dict[str, Any]:
    objectives = run.promotion.objectives
    achieved = run.seconds if run.outcome == PROMOTED else None
    if run.outcome == ALREADY_PROMOTED:
        note = "nothing was left to do: see the report of the run that promoted"
    elif run.outcome != PROMOTED:
        note = f"not achieved: the run ended {run.outcome}"
    elif run.assessment is not None and run.assessment.started:
        note = "this run only: an earlier run had begun the failover"
    else:
        note = "from the start of this run to the DR endpoint answering healthy"
    return {
        "achieved_seconds": None if achieved is None else round(achieved, 3),
        "objective_seconds": objectives.rto_seconds,
        "met": None if achieved is None else achieved <= objectives.rto_seconds,
        "since_alarm_seconds": None if (s := _since_alarm(run)) is None else round(s, 3),
        "note": note,
        "tiers": {
            name: {
                "objective_seconds": tier.rto_seconds,
                "met": None if achieved is None else achieved <= tier.rto_seconds,
            }
            for name, tier in objectives.tiers.items()
        },
    }


def rpo_data(run: FailoverRun) -> dict[str, Any]:
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
    known = [d["met"] for d in databases if d["met"] is not None]
    return {
        "objective_seconds": run.promotion.objectives.rpo_seconds,
        "met": None if not known or len(known) < len(databases) else all(known),
        "databases": databases,
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
        )
    elif run.outcome == FAILED_OUTCOME:
        status = f"Identified: failover to {p.dr_region} under way; a step failed and is being fixed"
    elif run.outcome == DRY_RUN:
        status = f"Investigating: failover to {p.dr_region} planned, not started"
    elif run.outcome == REFUSED_OUTCOME:
        status = f"Investigating: failover to {p.dr_region} not started ({run.message})"
    else:
        status = f"Identified: failover to {p.dr_region} interrupted; resuming"
    lags = [d for d in rpo_data(run)["databases"] if d["data_at_risk_seconds"] is not None]
    if lags:
        worst = max(float(d["data_at_risk_seconds"]) for d in lags)
        data = f"writes from the last {format_seconds(worst)} before the failover may be missing"
        if worst == 0:
            data = "no data loss expected (replica lag 0s at promotion)"
    else:
        data = "data at risk unknown (no replica lag measured)"
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
    services = ", ".join(f"{s.name} ({s.tier})" for s in p.services) or "none"
    rto = rto_data(run)
    lines = [
        f"INCIDENT UPDATE: {p.service}, regional failover to {p.dr_region}",
        f"Status: {status}",
        f"Impact: {impact}",
        f"Affected services: {services}",
    ]
    if (since := _alarm_since(run)) is not None:
        lines.append(f"Time detected: {iso(since)} (alarm {p.dns.primary_health_alarm})")
    lines.append("Actions taken:")
    lines += [f"- {a}" for a in actions] or ["- none yet"]
    if rto["achieved_seconds"] is not None:
        recovery = (
            f"Recovery time: {format_seconds(rto['achieved_seconds'])} for the failover "
            f"(objective {format_seconds(rto['objective_seconds'])})"
        )
        if rto["since_alarm_seconds"] is not None:
            recovery += f"; {format_seconds(rto['since_alarm_seconds'])} since the alarm fired"
        lines.append(recovery)
    lines.append(f"Next update: {clock_time(next_update)}")
    return {
        "status": status,
        "impact": impact,
        "actions": actions,
        "next_update": iso(next_update),
        "text": "\n".join(lines),
    }


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


def _met(value: bool | None) -> str:
    return "-" if value is None else ("met" if value else "MISSED")


def report_markdown(data: dict[str, Any]) -> str:
    """The Markdown page for a report (from its JSON form, so both always agree)."""
    rto, rpo = data["rto"], data["rpo"]
    out = [
        f"# Failover of {data['service']} to {data['dr_region']}: {data['outcome']}",
        "",
        md_table(
            ["", ""],
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
                        duration(rto["achieved_seconds"]),
                        _met(t["met"]),
                    ]
                    for name, t in rto["tiers"].items()
                ],
                *[
                    [
                        f"RPO, {d['data_item']} ({d['tier']})",
                        duration(d["objective_seconds"]),
                        duration(d["data_at_risk_seconds"]),
                        _met(d["met"]),
                    ]
                    for d in rpo["databases"]
                ],
            ],
        ),
        "",
        f"RTO: {rto['note']}."
        + (
            f" {duration(rto['since_alarm_seconds'])} since the primary health alarm fired."
            if rto["since_alarm_seconds"]
            else ""
        ),
        "RPO: the replica's lag when it was promoted (CloudWatch ReplicaLag), or the age of the newest "
        "restorable time for a restore: the writes that may be missing.",
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
            f"RTO: {duration(rto['achieved_seconds'])} (objective {duration(rto['objective_seconds'])}: "
            f"{_met(rto['met'])}); data at risk: "
            + ", ".join(
                f"{d['identifier']} {duration(d['data_at_risk_seconds'])} "
                f"(objective {duration(d['objective_seconds'])}: {_met(d['met'])})"
                for d in rpo["databases"]
            )
        )
    lines += [f"Next: {a}" for a in data["next_actions"]]
    return lines
