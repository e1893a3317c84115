"""The safety judgement: fail over only when the primary is down, or when an operator forces a drill.

Two signals say whether the primary is down. Route 53's current verdict on the primary health
check comes first (healthy when more than 18% of its checkers report success, as Route 53
decides for the failover records themselves). The CloudWatch alarm on that check counts when
the verdict cannot be read: the alarm lags the checkers by its evaluation periods, so an alarm
still in ALARM while the checkers report healthy means the primary has come back (or flaps),
and the script refuses. Neither readable (the primary region's control planes may be down with
it) also refuses, because the script cannot tell an outage from a network problem on the
operator's side. ``--force`` overrides, for drills and for outages confirmed another way.

A failover that an earlier run began (a database already promoted or restored, the primary
health check already inverted) is always finished: it cannot be undone by stopping half way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from operations.cloudwatch import AlarmView
from operations.report import clock_time
from operations.route53 import HealthVerdict


@dataclass(frozen=True)
class SafetySignals:
    health_check_id: str
    alarm_name: str
    alarm_region: str
    health: HealthVerdict | None = None
    health_error: str | None = None
    alarm: AlarmView | None = None
    alarm_error: str | None = None  # including "not found"


@dataclass(frozen=True)
class SafetyDecision:
    proceed: bool
    primary_down: bool | None  # None: unknown (unreadable, or resuming)
    summary: str  # one line
    evidence: list[str] = field(default_factory=list)

    @property
    def drill(self) -> bool:
        """Forced while the primary reports healthy: a planned exercise, not an outage."""
        return self.proceed and self.primary_down is False


def evidence_lines(signals: SafetySignals) -> tuple[list[str], list[str], list[str]]:
    """(down, up, unknown) evidence, one readable line each: Route 53's verdict decides when it
    can be read; the alarm decides only when it cannot."""
    down: list[str] = []
    up: list[str] = []
    unknown: list[str] = []
    check = f"Route 53 health check {signals.health_check_id} (primary)"
    verdict = signals.health.healthy if signals.health is not None else None
    if signals.health is not None and verdict is not None:
        (up if verdict else down).append(f"{check}: {signals.health.describe()}")
    else:
        unknown.append(f"{check}: {signals.health_error or 'no health checker has reported'}")
    alarm = f"alarm {signals.alarm_name} ({signals.alarm_region})"
    if signals.alarm is not None and signals.alarm.state in ("ALARM", "OK"):
        since = f" since {clock_time(signals.alarm.since)}" if signals.alarm.since else ""
        line = f"{alarm}: {signals.alarm.state}{since}"
        if verdict is None:
            (down if signals.alarm.state == "ALARM" else up).append(line)
        elif verdict and signals.alarm.state == "ALARM":
            up.append(f"{line}, but the checkers report healthy now: the primary is back or flapping")
        else:
            unknown.append(f"{line} (Route 53's current verdict decides)")
    elif signals.alarm is not None:
        unknown.append(f"{alarm}: {signals.alarm.state}")
    else:
        unknown.append(f"{alarm}: {signals.alarm_error or 'not read'}")
    return down, up, unknown


def judge_safety(
    signals: SafetySignals, *, force: bool, under_way: list[str], inverted: bool
) -> SafetyDecision:
    down, up, unknown = evidence_lines(signals)
    if inverted:
        # An inverted check reports the opposite of the primary's health: its signals mean
        # nothing now. Only an earlier run (or an operator) inverts it.
        up, down = [], []
        unknown = [*unknown, "the primary health check is inverted: it no longer reflects the primary"]
    evidence = down + up + unknown
    if under_way:
        summary = f"finishing a failover an earlier run began ({'; '.join(under_way)})"
        return SafetyDecision(True, None, summary, evidence)
    if down:
        return SafetyDecision(True, True, f"the primary is down: {'; '.join(down)}", evidence)
    if force and up:
        summary = "forced (--force): the primary reports healthy; proceeding as a drill"
        return SafetyDecision(True, False, summary, evidence)
    if force:
        summary = "forced (--force): the primary cannot be confirmed down; proceeding on the operator's word"
        return SafetyDecision(True, None, summary, evidence)
    if up:
        return SafetyDecision(
            False,
            False,
            f"the primary is healthy ({'; '.join(up)}); refusing to fail over (use --force for a drill)",
            evidence,
        )
    return SafetyDecision(
        False,
        None,
        f"cannot confirm the primary is down ({'; '.join(unknown)}); "
        "if the outage is confirmed another way, run again with --force",
        evidence,
    )
