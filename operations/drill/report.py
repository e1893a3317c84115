"""What a drill leaves behind: targets against actuals per tier, the timeline as a Mermaid Gantt
chart, the improvements to record, and the readiness and failover reports it ran, in JSON and in
Markdown."""

from __future__ import annotations

from typing import Any

from operations.drill.measure import Split, bars, gantt, not_applicable_tiers
from operations.drill.run import DrillRun
from operations.failover.report import NOT_APPLICABLE
from operations.report import duration, ending_data, iso, iso_ms, md_table

REPORT_FORMAT = 1


def split_of(run: DrillRun) -> Split:
    """The RTO's split for the drill: detection derived from the failover's reading of the
    monitoring, decision from the declared failure to the failover's start, recovery from there."""
    failover_rto = (run.failover_data or {}).get("rto") or {}
    derived = failover_rto.get("split") or {}
    return Split(
        detection_seconds=derived.get("detection_seconds"),
        detection_derived_from=derived.get("detection_derived_from"),
        failover_started_at=run.failover.started_at if run.failover is not None else None,
        detection_counted=run.fault is not None,
    )


def report_data(run: DrillRun) -> dict[str, Any]:
    objectives = run.promotion.objectives
    chart: list[Any] = bars("Drill", [run.timeline["readiness"]])
    if run.failover is not None:
        chart += bars("Failover", run.failover.steps)
    split = split_of(run)
    start = split.failover_started_at
    title = f"Drill of {run.plan.service} on {run.started_at.strftime('%Y-%m-%d')} (UTC)"
    return {
        "report": "dr_drill",
        "format": REPORT_FORMAT,
        "service": run.plan.service,
        "stack": run.inventory.stack,
        "primary_region": run.inventory.primary_region,
        "dr_region": run.inventory.dr_region,
        **ending_data(run),
        "failure_time": iso(run.failure_time),
        "healthy_at": iso(run.healthy_at),
        "rto": {
            "achieved_seconds": None if run.rto_seconds is None else round(run.rto_seconds, 3),
            "objective_seconds": objectives.rto_seconds,
            "met": None if run.rto_seconds is None else run.rto_seconds <= objectives.rto_seconds,
            "measured": "first healthy answer through the DR endpoint minus the declared failure time",
            "measured_from": "declared failure",
            "split": {
                "detection_counted": split.detection_counted,
                "detection_seconds": split.detection_seconds,
                "detection_derived_from": split.detection_derived_from,
                "decision_seconds": None
                if start is None
                else round((start - run.failure_time).total_seconds(), 3),
                "recovery_seconds": None
                if start is None or run.healthy_at is None
                else round((run.healthy_at - start).total_seconds(), 3),
            },
            "run_seconds": None if run.seconds is None else round(run.seconds, 3),
        },
        "tiers": [t.as_data() for t in run.tiers],
        "tiers_not_applicable": not_applicable_tiers(run.plan),
        "improvements": list(run.improvements),
        "notes": list(run.options.notes),
        "timeline": [
            {
                "section": b.section,
                "step": b.label,
                "started_at": iso_ms(b.start),
                "ended_at": iso_ms(b.end),
                "outcome": b.outcome,
            }
            for b in chart
        ],
        "gantt": gantt(title, run.failure_time, run.healthy_at, chart, split),
        "recorded": run.recorded,
        "steps": [s.as_data() for s in run.timeline.records()],
        "readiness": run.readiness_data,
        "failover": run.failover_data,
    }


def _split_rows(rto: dict[str, Any]) -> list[list[str]]:
    split = rto.get("split")
    if not split:
        return []
    counted = split.get("detection_counted", False)
    detection = (
        "-"
        if split["detection_seconds"] is None
        else f"{duration(split['detection_seconds'])} "
        + ("after the fault" if counted else "before the declared failure")
        + f" (derived: {split['detection_derived_from']}; "
        + ("counted within the decision)" if counted else "not counted)")
    )
    return [
        ["Detection", detection],
        ["Decision", f"{duration(split['decision_seconds'])} (failure → failover start)"],
        ["Recovery", f"{duration(split['recovery_seconds'])} (failover start → DR endpoint healthy)"],
    ]


def _met(value: bool | None) -> str:
    return "-" if value is None else ("met" if value else "MISSED")


def report_markdown(data: dict[str, Any]) -> str:
    rto = data["rto"]
    out = [
        f"# Drill of {data['service']}: {data['outcome']}",
        "",
        md_table(
            ["field", "value"],
            [
                ["Regions", f"{data['primary_region']} → {data['dr_region']}"],
                ["Declared failure", data["failure_time"] or "-"],
                ["DR endpoint healthy", data["healthy_at"] or "-"],
                ["Achieved RTO", f"{duration(rto['achieved_seconds'])} ({rto['measured']})"],
                *_split_rows(rto),
                ["Drill took", duration(data["seconds"])],
                ["Outcome", f"{data['outcome']} (exit {data['exit_code']})"],
                ["Message", data["message"]],
            ],
        ),
        "",
        "## Targets and actuals per tier",
        "",
        md_table(
            [
                "tier",
                "RTO target",
                "RTO achieved",
                "RTO",
                "RPO target",
                "RPO achieved",
                "RPO",
                "how RPO was measured",
            ],
            [
                [
                    t["tier"],
                    duration(t["rto_objective_seconds"]),
                    duration(t["rto_achieved_seconds"]),
                    _met(t["rto_met"]),
                    duration(t["rpo_objective_seconds"]),
                    duration(t["rpo_achieved_seconds"]),
                    _met(t["rpo_met"]),
                    t["rpo_note"],
                ]
                for t in data["tiers"]
            ]
            + [
                [name, "-", "-", NOT_APPLICABLE, "-", "-", NOT_APPLICABLE, "-"]
                for name in data.get("tiers_not_applicable", [])
            ],
        ),
        "",
        "## Timeline",
        "",
        "```mermaid",
        data["gantt"],
        "```",
        "",
        "## Improvements to record",
        "",
        *(
            [f"- {i}" for i in data["improvements"]]
            or ["- none found by the drill; add what people noticed with --note"]
        ),
        "",
    ]
    if data["next_actions"]:
        out += ["## Next", "", *[f"- {a}" for a in data["next_actions"]], ""]
    readiness = data["readiness"]
    if readiness is not None:
        out += [f"## Readiness before the failover: {readiness['verdict']}", "", readiness["summary"], ""]
        flagged = [c for c in readiness["checks"] if c["verdict"] != "pass"]
        if flagged:
            out.append(
                md_table(
                    ["result", "check", "measured", "target", "detail"],
                    [[c["verdict"], c["check"], c["measured"], c["target"], c["detail"]] for c in flagged],
                )
            )
            out.append("")
    failover = data["failover"]
    if failover is not None:
        out += [
            f"## Failover: {failover['outcome']}",
            "",
            md_table(
                ["step", "started", "ended", "took", "outcome"],
                [
                    [
                        f"{s['number']} {s['title']}",
                        (s["started_at"] or "-")[11:],
                        (s["ended_at"] or "-")[11:],
                        duration(s["seconds"]),
                        s["outcome"],
                    ]
                    for s in failover["steps"]
                ],
            ),
            "",
            "```text",
            failover["incident_update"]["text"],
            "```",
            "",
        ]
    return "\n".join(out)


def summary_lines(data: dict[str, Any]) -> list[str]:
    lines = [data["message"]]
    for t in data["tiers"]:
        rto = f"{duration(t['rto_achieved_seconds'])} of {duration(t['rto_objective_seconds'])}"
        rpo = f"{duration(t['rpo_achieved_seconds'])} of {duration(t['rpo_objective_seconds'])}"
        lines.append(f"tier {t['tier']}: RTO {rto} ({_met(t['rto_met'])}); RPO {rpo} ({_met(t['rpo_met'])})")
    lines += [f"tier {name}: {NOT_APPLICABLE}" for name in data.get("tiers_not_applicable", [])]
    lines += [f"Improve: {i}" for i in data["improvements"]]
    lines += [f"Next: {a}" for a in data["next_actions"]]
    return lines
