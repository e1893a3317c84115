"""What a restore test leaves behind: the JSON report and its Markdown page."""

from __future__ import annotations

from typing import Any

from operations.clock import format_seconds
from operations.report import duration, ending_data, iso, md_table, steps_markdown
from operations.restore.run import RestoreRun

REPORT_FORMAT = 1


def report_data(run: RestoreRun, history: str) -> dict[str, Any]:
    verification = run.verification
    return {
        "report": "restore_test",
        "format": REPORT_FORMAT,
        "service": run.plan.service,
        "stack": run.inventory.stack,
        "data_item": run.options.data_item,
        "store": run.store,
        "tier": run.tier,
        "region_role": run.options.region_role,
        "region": run.region,
        "source": run.source,
        "point_in_time": iso(run.options.point_in_time),
        "restored_point": iso(run.restored_point),
        "scratch": run.scratch,
        "scratch_kind": run.scratch_kind,
        "scratch_tag": run.token,
        **ending_data(run),
        "findings": list(run.findings),
        "restore": {
            "seconds": None if run.restore_seconds is None else round(run.restore_seconds, 3),
            "rto_seconds": run.rto_seconds,
            "met": run.rto_met,
            "endpoint": run.endpoint,
        },
        "verify": None
        if verification is None
        else {
            "command": verification.command,
            "exit_code": verification.exit_code,
            "seconds": round(verification.seconds, 3),
            "output": list(verification.output),
        },
        "details": dict(run.details),
        "cleanup": {"deleted": run.deleted},
        "history": history,
        "recorded": run.recorded,
        "steps": [s.as_data() for s in run.timeline.records()],
    }


def report_markdown(data: dict[str, Any]) -> str:
    restore = data["restore"]
    met = "-" if restore["met"] is None else ("met" if restore["met"] else "MISSED")
    out = [
        f"# Restore test of {data['service']} {data['data_item']} in {data['region']}: {data['outcome']}",
        "",
        md_table(
            ["field", "value"],
            [
                ["Source", data["source"] or "-"],
                ["Restored to", data["restored_point"] or "-"],
                [
                    f"Scratch {data['scratch_kind']}",
                    f"{data['scratch']} (tag continuity:scratch={data['scratch_tag']})",
                ],
                ["Started", data["started_at"] or "-"],
                ["Took", duration(data["seconds"])],
                [
                    "Restore time",
                    f"{duration(restore['seconds'])} against the tier {data['tier']} RTO "
                    f"{format_seconds(restore['rto_seconds'])}: {met}",
                ],
                ["Verification", _verification(data["verify"], data["details"])],
                ["Deleted", "yes" if data["cleanup"]["deleted"] else "NO"],
                ["Outcome", f"{data['outcome']} (exit {data['exit_code']})"],
                ["Message", data["message"]],
            ],
        ),
        "",
    ]
    if data["findings"]:
        out += ["## Findings", "", *[f"- {f}" for f in data["findings"]], ""]
    if data["next_actions"]:
        out += ["## Next", "", *[f"- {a}" for a in data["next_actions"]], ""]
    out += steps_markdown(data["steps"])
    return "\n".join(out)


def _verification(verify: dict[str, Any] | None, details: dict[str, Any]) -> str:
    checked = details.get("verified")
    if verify is None:
        return str(checked) if checked else "none configured (--verify)"
    result = "passed" if verify["exit_code"] == 0 else f"FAILED (exit {verify['exit_code']})"
    return f"`{verify['command']}`: {result}"
