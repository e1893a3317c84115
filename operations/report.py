"""Timed steps and the reports the operational scripts leave behind (JSON, and Markdown beside it).

A `Timeline` holds a script's numbered steps; each runs inside ``timeline.step(key)``, which
times it on the run's clock, tells the progress display, and records its outcome, what it did
and what it found. A script turns its timeline into a JSON document and a Markdown page with
`write_report`, so every run leaves the same kind of record, whatever the script.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from operations.clock import Clock, format_seconds
from operations.errors import Refused
from operations.progress import Progress

# Outcomes a step can end with.
DONE = "done"
ALREADY_DONE = "already done"
FAILED = "failed"
REFUSED = "refused"
SKIPPED = "skipped"
NOT_RUN = "not run"
PLANNED = "planned"  # a dry run stops here
ACTION_NEEDED = "action needed"  # done, but an operator must finish something by hand


@dataclass
class StepRecord:
    key: str
    number: int
    title: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    seconds: float | None = None
    outcome: str = NOT_RUN
    actions: list[str] = field(default_factory=list)  # what the step did, in the past tense
    notes: list[str] = field(default_factory=list)  # what it measured or found
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}"

    def as_data(self) -> dict[str, Any]:
        return {
            "step": self.key,
            "number": self.number,
            "title": self.title,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "outcome": self.outcome,
            "actions": list(self.actions),
            "notes": list(self.notes),
            "error": self.error,
        }


class Timeline:
    """A script's steps, in order, timed on one clock; thread-safe for steps that overlap."""

    def __init__(self, steps: list[tuple[str, str]], clock: Clock, progress: Progress) -> None:
        self.clock = clock
        self.progress = progress
        self.steps = {key: StepRecord(key, n, title) for n, (key, title) in enumerate(steps, start=1)}
        self._lock = threading.Lock()
        self._started_mono: dict[str, float] = {}
        self.started_at = clock.now()
        self._start_mono = clock.monotonic()

    def __getitem__(self, key: str) -> StepRecord:
        return self.steps[key]

    def elapsed(self) -> float:
        return self.clock.monotonic() - self._start_mono

    def start(self, key: str) -> StepRecord:
        record = self.steps[key]
        with self._lock:
            record.started_at = self.clock.now()
            self._started_mono[key] = self.clock.monotonic()
        self.progress.step_started(key, record.label)
        return record

    def finish(self, key: str, outcome: str, error: str | None = None) -> StepRecord:
        record = self.steps[key]
        with self._lock:
            record.ended_at = self.clock.now()
            record.seconds = self.clock.monotonic() - self._started_mono.get(key, self.clock.monotonic())
            record.outcome = outcome
            record.error = error
        self.progress.step_finished(key, outcome, error or "")
        return record

    @contextmanager
    def step(self, key: str) -> Iterator[StepRecord]:
        """Time one step; it ends ``done`` unless the body set another outcome, ``refused`` or
        ``failed`` if it raised."""
        record = self.start(key)
        try:
            yield record
        except Refused as exc:
            self.finish(key, REFUSED, error=str(exc))
            raise
        except BaseException as exc:
            self.finish(key, FAILED, error=str(exc) or type(exc).__name__)
            raise
        self.finish(key, record.outcome if record.outcome != NOT_RUN else DONE)

    def state(self, key: str, text: str) -> None:
        self.progress.state(key, text)

    def records(self) -> list[StepRecord]:
        return sorted(self.steps.values(), key=lambda r: r.number)


# ---------------------------------------------------------------------------------------------
# Formatting


def iso(moment: datetime | None) -> str | None:
    """UTC, to the second, with a Z: what incident channels and spreadsheets read."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(moment: datetime | None) -> str | None:
    """UTC to the millisecond, with a Z: for the moments RTO figures are computed from."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Ended(Protocol):
    """What any script's run says about how it ended."""

    started_at: datetime
    ended_at: datetime | None
    seconds: float | None
    outcome: str
    exit_code: Any
    message: str
    next_actions: list[str]


def ending_data(run: Ended) -> dict[str, Any]:
    """The part every report shares: when the run started and ended, and how it ended."""
    return {
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "seconds": None if run.seconds is None else round(run.seconds, 3),
        "outcome": run.outcome,
        "exit_code": int(run.exit_code),
        "message": run.message,
        "next_actions": list(run.next_actions),
    }


def clock_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%H:%M:%SZ")


def plus(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


def duration(seconds: float | None) -> str:
    return "-" if seconds is None else format_seconds(seconds)


def steps_markdown(steps: list[dict[str, Any]]) -> list[str]:
    """A report's "Steps" section: a timing table, then what each step did, found or failed on."""
    out = [
        "## Steps",
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
                for s in steps
            ],
        ),
        "",
    ]
    for s in steps:
        if s["actions"] or s["notes"] or s["error"]:
            out += [f"### {s['number']} {s['title']}", ""]
            out += [f"- did: {a}" for a in s["actions"]]
            out += [f"- {n}" for n in s["notes"]]
            out += [f"- **{s['outcome']}**: {s['error']}"] if s["error"] else []
            out.append("")
    return out


def md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report_paths(path: str | Path) -> tuple[Path, Path]:
    """The JSON report and the Markdown page beside it (``x.json`` and ``x.md``)."""
    given = Path(path)
    json_path = given.with_suffix(".json") if given.suffix.lower() in (".md", "") else given
    return json_path, json_path.with_suffix(".md")


def write_report(data: dict[str, Any], markdown: str, path: str | Path) -> tuple[Path, Path]:
    json_path, md_path = report_paths(path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown if markdown.endswith("\n") else markdown + "\n", encoding="utf-8")
    return json_path, md_path
