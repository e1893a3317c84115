"""What a readiness run leaves behind: one line per check, the JSON report and its Markdown page."""

from __future__ import annotations

from typing import Any

from operations.readiness.checks import EXPECTED, FAIL, PASS, UNKNOWN
from operations.readiness.run import ReadinessRun, counts_text
from operations.report import duration, iso, md_table

REPORT_FORMAT = 1
UNKNOWN_POLICY = (
    "an unknown check (a reading that could not be taken or judged) counts as not ready: exit 1, "
    "unless --allow-unknown"
)
_MARK = {PASS: "PASS", FAIL: "FAIL", UNKNOWN: "UNKNOWN", EXPECTED: "EXPECTED"}


def report_data(run: ReadinessRun) -> dict[str, Any]:
    return {
        "report": "dr_readiness",
        "format": REPORT_FORMAT,
        "service": run.service,
        "stack": run.stack,
        "plan": run.plan_source,
        "history": run.history,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "seconds": None if run.seconds is None else round(run.seconds, 3),
        "verdict": run.verdict,
        "exit_code": int(run.exit_code),
        "summary": run.summary,
        "counts": {status: run.count(status) for status in (PASS, FAIL, UNKNOWN, EXPECTED)},
        "unknown_policy": UNKNOWN_POLICY,
        "allow_unknown": run.allow_unknown,
        "failover_in_effect": run.failover_in_effect,
        "notes": list(run.notes),
        "checks": [c.as_data() for c in run.checks],
        "steps": [s.as_data() for s in run.timeline.records()],
    }


def check_lines(checks: list[dict[str, Any]]) -> list[str]:
    """``FAIL     replica-lag database  20m; target ≤ 15m (tier critical RPO) - why``, aligned."""
    width = max((len(c["check"]) for c in checks), default=0)
    lines = []
    for c in checks:
        line = f"{_MARK[c['verdict']]:<8} {c['check']:<{width}}  {c['measured']}; target {c['target']}"
        lines.append(line + (f" - {c['detail']}" if c["detail"] else ""))
    return lines


def report_markdown(data: dict[str, Any]) -> str:
    counts = data["counts"]
    out = [
        f"# Readiness of {data['service']}: {data['verdict']}",
        "",
        md_table(
            ["", ""],
            [
                ["Stack", data["stack"]],
                ["Plan", data["plan"]],
                ["Read at", data["started_at"] or "-"],
                ["Took", duration(data["seconds"])],
                ["Checks", counts_text(counts)],
                ["Verdict", f"{data['verdict']} (exit {data['exit_code']})"],
                ["Unknown", data["unknown_policy"]],
                ["Drill history", data["history"]],
            ],
        ),
        "",
    ]
    for status, title in ((FAIL, "Failing"), (UNKNOWN, "Unknown"), (EXPECTED, "Expected after the failover")):
        found = [c for c in data["checks"] if c["verdict"] == status]
        if found:
            out += [
                f"## {title}",
                "",
                *[
                    f"- **{c['check']}**: {c['measured']}; {c['detail'] or 'target: ' + c['target']}"
                    for c in found
                ],
                "",
            ]
    out += [
        "## Checks",
        "",
        md_table(
            ["result", "check", "measured", "target", "detail"],
            [
                [_MARK[c["verdict"]], c["check"], c["measured"], c["target"], c["detail"]]
                for c in data["checks"]
            ],
        ),
        "",
    ]
    if data["notes"]:
        out += ["## Notes", "", *[f"- {n}" for n in data["notes"]], ""]
    return "\n".join(out)
