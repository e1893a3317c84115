"""What a failback leaves behind: the JSON report, its Markdown page, and a status update."""

from __future__ import annotations

from typing import Any

from operations.failback.run import ALREADY_FAILED_BACK, FAILED_BACK, NOT_FAILED_OVER, FailbackRun
from operations.report import clock_time, duration, md_table, steps_markdown
from operations.runbook import DRY_RUN, lock_markdown, run_data
from operations.runbook import plan_text as runbook_plan_text

REPORT_FORMAT = 1


def rpo_data(run: FailbackRun) -> dict[str, Any]:
    databases = []
    for t in run.targets:
        lag = run.lags.get(t.identifier)
        seconds = None if lag is None else lag.seconds
        databases.append(
            {
                "identifier": t.identifier,
                "source": t.dr_identifier,
                "data_item": t.data_item,
                "tier": t.tier,
                "data_at_risk_seconds": seconds,
                "note": "not promoted by this run" if lag is None else lag.note,
                "objective_seconds": t.rpo_seconds,
                "met": None if seconds is None else seconds <= t.rpo_seconds,
            }
        )
    return {"databases": databases}


def status_update(run: FailbackRun) -> dict[str, Any]:
    p = run.promotion
    if run.outcome in (FAILED_BACK, ALREADY_FAILED_BACK):
        status = f"Resolved: {p.service} is served from {p.primary_region} again"
    elif run.outcome == NOT_FAILED_OVER:
        status = f"No change: {p.service} already runs in {p.primary_region}"
    elif run.outcome == DRY_RUN:
        status = f"Planned: return of {p.service} to {p.primary_region}, not started"
    else:
        status = (
            f"Monitoring: {p.service} still served from {p.dr_region}; "
            f"the return to {p.primary_region} {run.outcome}"
        )
    actions = [f"{clock_time(s.ended_at)} {a}" for s in run.steps for a in s.actions if s.key != "safety"]
    lines = [
        f"STATUS UPDATE: {p.service}, return to {p.primary_region}",
        f"Status: {status}",
        "Actions taken:",
    ]
    lines += [f"- {a}" for a in actions] or ["- none"]
    return {"status": status, "actions": actions, "text": "\n".join(lines)}


def report_data(run: FailbackRun) -> dict[str, Any]:
    p = run.promotion
    data = run_data(
        run,
        report="failback",
        fmt=REPORT_FORMAT,
        mode="dry run" if run.options.dry_run else "failback",
        safety=None
        if run.safety is None
        else {
            "proceed": run.safety.proceed,
            "summary": run.safety.summary,
            "evidence": list(run.safety.evidence),
        },
    )
    return {
        **data,
        "service": p.service,
        "stack": p.stack,
        "primary_region": p.primary_region,
        "dr_region": p.dr_region,
        "rpo": rpo_data(run),
        "data": [{"data_item": d.data_item, "store": d.store, "tier": d.tier} for d in p.data],
        "dns": {"record_name": p.dns.record_name, "primary_health_check_id": p.dns.primary_health_check_id},
        "status_update": status_update(run),
    }


def report_markdown(data: dict[str, Any]) -> str:
    out = [
        f"# Failback of {data['service']} to {data['primary_region']}: {data['outcome']}",
        "",
        md_table(
            ["field", "value"],
            [
                ["Mode", data["mode"]],
                ["Stack", data["stack"]],
                ["Regions", f"{data['dr_region']} → {data['primary_region']}"],
                ["Started", data["started_at"] or "-"],
                ["Took", duration(data["seconds"])],
                ["Outcome", f"{data['outcome']} (exit {data['exit_code']})"],
                ["Message", data["message"]],
                ["Safety", data["safety"]["summary"] if data["safety"] else "-"],
                ["Deadline", duration(data["deadline_seconds"])],
            ],
        ),
        "",
    ]
    if data["next_actions"]:
        out += ["## Next", "", *[f"- {a}" for a in data["next_actions"]], ""]
    out += ["## Data at risk", ""]
    if not data["rpo"]["databases"]:
        others = _other_data(data)
        out += [
            "No database to return: the failback moves traffic and capacity only"
            + (f"; {others} stay where their replication keeps them." if others else "."),
            "",
        ]
    else:
        out += [
            md_table(
                ["database", "from", "tier", "lag at promotion", "RPO", "result"],
                [
                    [
                        d["identifier"],
                        d["source"],
                        d["tier"],
                        duration(d["data_at_risk_seconds"]),
                        duration(d["objective_seconds"]),
                        "-" if d["met"] is None else ("met" if d["met"] else "MISSED"),
                    ]
                    for d in data["rpo"]["databases"]
                ],
            ),
            "",
        ]
    out += steps_markdown(data["steps"])
    out += lock_markdown(data)
    if data["plan"] and data["mode"] == "dry run":
        out += ["## Plan", "", *[f"- {a['step']}: {a['action']}" for a in data["plan"]], ""]
    out += ["## Status update (ready to send)", "", "```text", data["status_update"]["text"], "```", ""]
    return "\n".join(out)


def _other_data(data: dict[str, Any]) -> str:
    returned = {d["data_item"] for d in data["rpo"]["databases"]}
    return ", ".join(
        f"{d['data_item']} ({d['store']})" for d in data["data"] if d["data_item"] not in returned
    )


def plan_text(run: FailbackRun) -> str:
    p = run.promotion
    return runbook_plan_text(
        run, f"Failback of {p.service} from {p.dr_region} to {p.primary_region} (stack {p.stack}):"
    )


def summary_lines(data: dict[str, Any]) -> list[str]:
    lines = [data["message"]]
    if data["outcome"] == FAILED_BACK:
        risks = [
            f"{d['identifier']} {duration(d['data_at_risk_seconds'])} "
            f"(RPO {duration(d['objective_seconds'])})"
            for d in data["rpo"]["databases"]
        ]
        lines.append("data at risk: " + (", ".join(risks) or "none (no database to return)"))
    lines += [f"Next: {a}" for a in data["next_actions"]]
    return lines
