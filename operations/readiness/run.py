"""The readiness run: every area read at once, each check judged, one verdict.

    databases  the replica and its lag, restorable points in both regions, backup retention
    backups    vault locks, the newest AWS Backup recovery point of each item in each vault
    buckets    Object Lock, replication rules, what has reached the DR buckets, dump freshness
    routing    both health checks, the DR endpoint's health, the failover records
    services   the DR services at warm capacity (full while a failover is in effect)
    testing    the last successful restore test of each database, and the last drill

The verdict is "ready" only when every check passes or is the state a failover in effect leaves
by design (expected: no replica until failback). Any failure makes it "not ready"; unknowns
without failures make it "unknown". Both exit 1: a check that cannot be measured is readiness
nobody knows, which is not readiness. ``allow_unknown`` exits 0 on "unknown" (the summary still
lists each unknown), for environments where some reading is known to be impossible (an emulator,
a Kubernetes service this script does not read).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from continuity.derive import derive
from continuity.outputs import Inventory, Promotion
from continuity.plan import Plan
from operations.aws import Aws
from operations.clock import Clock
from operations.errors import ExitCode
from operations.history import HistoryLocation
from operations.kubernetes import Clusters
from operations.progress import Progress
from operations.readiness.checks import AREAS, EXPECTED, FAIL, PASS, UNKNOWN, Check
from operations.readiness.probes import AREA_READS, Context, raise_for_credentials
from operations.report import Timeline
from operations.tasks import run_all

READY = "ready"
NOT_READY = "not ready"
UNKNOWN_VERDICT = "unknown"

STEPS = [(area, area.capitalize()) for area in AREAS]


@dataclass
class ReadinessRun:
    service: str
    stack: str
    plan_source: str
    history: str
    timeline: Timeline
    started_at: datetime
    allow_unknown: bool = False
    ended_at: datetime | None = None
    seconds: float | None = None
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failover_in_effect: bool = False

    def count(self, status: str) -> int:
        return sum(1 for c in self.checks if c.status == status)

    @property
    def verdict(self) -> str:
        if self.count(FAIL):
            return NOT_READY
        if self.count(UNKNOWN):
            return UNKNOWN_VERDICT
        return READY

    @property
    def exit_code(self) -> ExitCode:
        if self.verdict == READY or (self.verdict == UNKNOWN_VERDICT and self.allow_unknown):
            return ExitCode.OK
        return ExitCode.FINDING

    @property
    def summary(self) -> str:
        counts = counts_text({s: self.count(s) for s in (PASS, EXPECTED, FAIL, UNKNOWN)})
        text = f"{self.service}: {self.verdict} ({counts} of {len(self.checks)} checks)"
        if self.verdict == UNKNOWN_VERDICT:
            text += (
                "; unknown allowed by --allow-unknown"
                if self.allow_unknown
                else "; an unknown check counts as not ready"
            )
        return text


def counts_text(counts: dict[str, int]) -> str:
    """``27 pass, 2 expected after a failover, 0 fail, 0 unknown`` (expected only when there are)."""
    words = {PASS: "pass", EXPECTED: "expected after a failover", FAIL: "fail", UNKNOWN: "unknown"}
    return ", ".join(
        f"{counts.get(s, 0)} {word}" for s, word in words.items() if s != EXPECTED or counts.get(s)
    )


def run_readiness(
    plan: Plan,
    inventory: Inventory,
    aws: Aws,
    *,
    promotion: Promotion | None,
    promotion_problem: str | None,
    clock: Clock,
    progress: Progress,
    history: HistoryLocation,
    exclude: frozenset[str] = frozenset(),
    allow_unknown: bool = False,
    concurrent: bool = True,
    clusters: Clusters | None = None,
) -> ReadinessRun:
    """Judge the environment; raises BadInput only when there are no AWS credentials at all."""
    timeline = Timeline(STEPS, clock, progress)
    run = ReadinessRun(
        service=plan.service,
        stack=inventory.stack,
        plan_source=plan.source,
        history=history.text,
        timeline=timeline,
        started_at=timeline.started_at,
        allow_unknown=allow_unknown,
    )
    ctx = Context(
        plan=plan,
        settings=derive(plan),
        inventory=inventory,
        promotion=promotion,
        promotion_problem=promotion_problem,
        aws=aws,
        now=clock.now(),
        history=history,
        exclude=exclude,
        clusters=clusters or Clusters(),
    )

    def area(key: str) -> list[Check]:
        with timeline.step(key) as record:
            checks = AREA_READS[key](ctx)
            counts = {s: sum(1 for c in checks if c.status == s) for s in (PASS, EXPECTED, FAIL, UNKNOWN)}
            record.notes.append(counts_text(counts))
            record.outcome = "done" if checks else "skipped"
            return checks

    results = run_all({key: partial(area, key) for key, _ in STEPS}, concurrent=concurrent)
    for key, _ in STEPS:
        outcome = results[key]
        if outcome.error is not None:
            raise outcome.error
        run.checks += outcome.value or []
    raise_for_credentials(ctx)
    in_effect, why = ctx.failover_in_effect()
    run.failover_in_effect = in_effect
    if in_effect:
        run.notes.append(f"a failover is in effect ({why}): the DR services are judged at full capacity")
    # A history that could not be read is reported by its own checks.
    with contextlib.suppress(Exception):
        run.notes += ctx.read_history().problems
    if exclude:
        run.notes.append("not judged in this run: " + ", ".join(sorted(exclude)))
    run.ended_at = clock.now()
    run.seconds = timeline.elapsed()
    return run
