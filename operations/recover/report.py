"""What a recovery leaves behind: the JSON report (the runbook's common part, then the recovery's
own: the point recovered, the data lost, the time taken against the item's RTO, what changed) and
its Markdown page."""

from __future__ import annotations

from typing import Any

from operations.recover.run import RECOVERED, RecoveryRun
from operations.report import duration, iso, md_table, steps_markdown
from operations.runbook import lock_markdown, run_data
from operations.runbook import plan_text as runbook_plan_text

REPORT_FORMAT = 1


def report_data(run: RecoveryRun) -> dict[str, Any]:
    data = run_data(
        run,
        report="recover",
        fmt=REPORT_FORMAT,
        mode="dry run" if run.options.dry_run else "recovery",
        safety=None
        if run.safety is None
        else {
            "proceed": run.safety.proceed,
            "summary": run.safety.summary,
            "evidence": list(run.safety.evidence),
        },
    )
    lost = run.lost_seconds
    took = run.seconds
    return {
        **data,
        "service": run.service,
        "stack": run.inventory.stack,
        "data_item": run.item,
        "store": run.store,
        "tier": run.tier,
        "region_role": run.role or None,
        "region": run.region if run.role else None,
        "serving_region_role": run.serving or None,
        "to": iso(run.point),
        "recovered_point": iso(run.recovered_point),
        "corrupted_at": iso(run.corrupted_at or run.point),
        "data_lost": {
            "seconds": None if lost is None else round(lost, 3),
            "from": iso(run.recovered_point),
            "to": iso(run.corrupted_at or run.point),
            "rpo_seconds": run.rpo_seconds,
            "within_rpo": None if lost is None else lost <= run.rpo_seconds,
        },
        "time": {
            "seconds": None if took is None else round(took, 3),
            "rto_seconds": run.rto_seconds,
            "within_rto": None if took is None or run.outcome != RECOVERED else took <= run.rto_seconds,
        },
        "details": dict(run.details),
    }


def report_markdown(data: dict[str, Any]) -> str:
    lost, time = data["data_lost"], data["time"]
    within_rpo = "-" if lost["within_rpo"] is None else ("within" if lost["within_rpo"] else "MORE than")
    within_rto = "-" if time["within_rto"] is None else ("within" if time["within_rto"] else "MORE than")
    out = [
        f"# Recovery of {data['service']} {data['data_item']} to {data['to']}: {data['outcome']}",
        "",
        md_table(
            ["field", "value"],
            [
                ["Mode", data["mode"]],
                ["Item", f"{data['data_item']} ({data['store']}, tier {data['tier']})"],
                [
                    "Region",
                    f"{data['region'] or '-'} ({data['region_role'] or '-'}; "
                    f"serving: {data['serving_region_role'] or '-'})",
                ],
                ["Asked for", data["to"] or "-"],
                ["Recovered point", data["recovered_point"] or "-"],
                [
                    "Data lost",
                    f"{duration(lost['seconds'])} ({lost['from'] or '-'} to {lost['to'] or '-'}), "
                    f"{within_rpo} the tier RPO {duration(lost['rpo_seconds'])}",
                ],
                [
                    "Took",
                    f"{duration(time['seconds'])}, {within_rto} the tier RTO {duration(time['rto_seconds'])}",
                ],
                ["Outcome", f"{data['outcome']} (exit {data['exit_code']})"],
                ["Message", data["message"]],
                ["Safety", data["safety"]["summary"] if data["safety"] else "-"],
                ["Deadline", duration(data["deadline_seconds"])],
            ],
        ),
        "",
    ]
    if data["details"]:
        out += ["## What changed", "", *[f"- {k}: {v}" for k, v in data["details"].items()], ""]
    if data["next_actions"]:
        out += ["## Next", "", *[f"- {a}" for a in data["next_actions"]], ""]
    out += steps_markdown(data["steps"])
    out += lock_markdown(data)
    if data["plan"] and data["mode"] == "dry run":
        out += ["## Plan", "", *[f"- {a['step']}: {a['action']}" for a in data["plan"]], ""]
    return "\n".join(out)


def plan_text(run: RecoveryRun) -> str:
    where = f" in {run.region}" if run.role else ""
    return runbook_plan_text(run, f"Recovery of {run.service} {run.item} to {iso(run.point)}{where}:")


def summary_lines(data: dict[str, Any]) -> list[str]:
    lines = [data["message"]]
    if data["outcome"] == RECOVERED:
        lost, time = data["data_lost"], data["time"]
        lines.append(
            f"data lost {duration(lost['seconds'])} (RPO {duration(lost['rpo_seconds'])}); took "
            f"{duration(time['seconds'])} (RTO {duration(time['rto_seconds'])})"
        )
    lines += [f"Next: {a}" for a in data["next_actions"]]
    return lines
