"""What a drill measured, judged against the plan: pure functions over the drill's records.

Achieved RTO is the first healthy answer through the DR endpoint (the failover's route step ends
when Route 53's checkers first report the DR health check healthy after the primary's check was
inverted) minus the declared failure time. Achieved RPO is each database's replica lag when it was
promoted (the writes that had not reached the DR region). A tier's RPO is judged on the databases
of that tier; a tier without a database has its data in buckets, whose copies readiness measures
(dr-copy) rather than the failover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from continuity.derive import derive
from continuity.exposure import ItemExposure
from continuity.plan import Plan
from operations.clock import format_seconds
from operations.report import StepRecord

# A step taking more than this share of the RTO is worth looking at, even when the RTO was met.
SLOW_STEP_SHARE = 0.5
# An RTO met with less margin than this share is recorded as an improvement to make.
THIN_MARGIN_SHARE = 0.8


@dataclass(frozen=True)
class TierResult:
    tier: str
    rto_objective: int
    rto_achieved: float | None
    rpo_objective: int | None
    rpo_achieved: float | None  # the worst data at risk among the tier's databases
    rpo_note: str
    databases: int = 0  # how many of the tier's databases the failover promoted

    @property
    def rto_met(self) -> bool | None:
        return None if self.rto_achieved is None else self.rto_achieved <= self.rto_objective

    @property
    def rpo_met(self) -> bool | None:
        if self.rpo_achieved is None or self.rpo_objective is None:
            return None
        return self.rpo_achieved <= self.rpo_objective

    @property
    def rpo_unmeasured(self) -> bool:
        """The tier has databases and an RPO, but their lag at promotion is not known."""
        return self.rpo_objective is not None and self.databases > 0 and self.rpo_achieved is None

    @property
    def met(self) -> bool:
        return self.rto_met is True and self.rpo_met is not False and not self.rpo_unmeasured

    def as_data(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "rto_objective_seconds": self.rto_objective,
            "rto_achieved_seconds": None if self.rto_achieved is None else round(self.rto_achieved, 3),
            "rto_met": self.rto_met,
            "rpo_objective_seconds": self.rpo_objective,
            "rpo_achieved_seconds": self.rpo_achieved,
            "rpo_met": self.rpo_met,
            "rpo_note": self.rpo_note,
            "met": self.met,
        }


def achieved_rto(failure_time: datetime, healthy_at: datetime | None) -> float | None:
    return None if healthy_at is None else (healthy_at - failure_time).total_seconds()


def tier_results(plan: Plan, rto_achieved: float | None, databases: list[dict[str, Any]]) -> list[TierResult]:
    """One row per tier the plan uses (by a data item or a service), in the plan's order.
    ``databases`` are the failover report's rpo.databases."""
    settings = derive(plan)
    applicable = settings.objectives.applicable
    results = []
    for name, tier in plan.tiers.items():
        if name not in applicable:
            continue
        lags = [d for d in databases if d["tier"] == name]
        measured = [float(d["data_at_risk_seconds"]) for d in lags if d["data_at_risk_seconds"] is not None]
        others = [e for e in settings.exposures.values() if e.tier == name and e.store != "rds"]
        if tier.rpo is None:
            note = "no RPO: the tier holds no data"
        elif not lags and not others:
            note = "no data in this tier"
        elif not lags:
            note = (
                "no database in this tier: "
                + "; ".join(_worst_case(e) for e in others)
                + "; readiness measures the copies' age"
            )
        elif len(measured) < len(lags):
            note = "; ".join(
                f"{d['identifier']}: {d['note']}" for d in lags if d["data_at_risk_seconds"] is None
            )
        else:
            note = "replica lag at promotion: " + ", ".join(
                f"{d['identifier']} {format_seconds(float(d['data_at_risk_seconds']))}" for d in lags
            )
        results.append(
            TierResult(
                tier=name,
                rto_objective=tier.rto.seconds,
                rto_achieved=rto_achieved,
                rpo_objective=tier.rpo.seconds if tier.rpo else None,
                rpo_achieved=max(measured) if measured and len(measured) == len(lags) else None,
                rpo_note=note,
                databases=len(lags),
            )
        )
    return results


def not_applicable_tiers(plan: Plan) -> list[str]:
    """The plan's tiers with nothing in them: "not applicable", never "met"."""
    applicable = derive(plan).objectives.applicable
    return [name for name in plan.tiers if name not in applicable]


def _worst_case(exposure: ItemExposure) -> str:
    dr = exposure.dr
    what = f"{exposure.data_item} ({exposure.store})"
    if dr.worst_case_seconds is None or dr.best_protection is None:
        return f"{what}: no copy in the DR region"
    return (
        f"{what} worst case {format_seconds(dr.worst_case_seconds)} in the DR region, by "
        f"{dr.best_protection.explain()}"
    )


# ---------------------------------------------------------------------------------------------
# The timeline as a Mermaid Gantt chart


@dataclass(frozen=True)
class Bar:
    section: str
    label: str
    start: datetime
    end: datetime
    outcome: str


def bars(section: str, records: list[StepRecord]) -> list[Bar]:
    return [
        Bar(section, r.label, r.started_at, r.ended_at, r.outcome)
        for r in records
        if r.started_at is not None and r.ended_at is not None
    ]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _label(text: str) -> str:
    # Mermaid ends a task's name at its first colon and a line at "#" or ";".
    return text.replace(":", " -").replace("#", "").replace(";", ",")


@dataclass(frozen=True)
class Split:
    """Where the recovery time went: detection (derived from the monitoring's configuration, before
    the failure counted from), decision (that moment → the failover's start), recovery (the
    failover's start → the DR endpoint healthy)."""

    detection_seconds: float | None
    detection_derived_from: str | None
    failover_started_at: datetime | None
    # A real fault (an FIS experiment) starts the clock before the monitoring sees it: detection is
    # then part of the measured time; a declared failure stands for the moment it was detected.
    detection_counted: bool = False


def gantt(
    title: str,
    failure_time: datetime,
    healthy_at: datetime | None,
    chart: list[Bar],
    split: Split | None = None,
) -> str:
    """A Mermaid Gantt chart: the declared failure, the RTO's split (detection, decision,
    recovery), each step as a bar (failed ones marked critical), and the first healthy answer
    through the DR endpoint; times to the millisecond."""
    lines = [
        "gantt",
        f"    title {_label(title)}",
        "    dateFormat YYYY-MM-DDTHH:mm:ss.SSS",
        "    axisFormat %H:%M:%S.%L",
        "    section Outage",
        f"    Declared failure :milestone, failure, {_stamp(failure_time)}, 0s",
    ]
    if split is not None:
        lines += _split_bars(failure_time, healthy_at, split)
    section = None
    for n, bar in enumerate(chart, start=1):
        if bar.section != section:
            section = bar.section
            lines.append(f"    section {_label(section)}")
        # A bar needs a length to be drawn: steps that took no measurable time get 1 ms.
        end = max(bar.end, bar.start + timedelta(milliseconds=1))
        tag = "crit" if bar.outcome in ("failed", "refused") else "done"
        lines.append(
            f"    {_label(bar.label)} ({bar.outcome}) :{tag}, s{n}, {_stamp(bar.start)}, {_stamp(end)}"
        )
    if healthy_at is not None:
        lines += [
            "    section Recovered",
            f"    DR endpoint healthy :milestone, healthy, {_stamp(healthy_at)}, 0s",
        ]
    return "\n".join(lines)


def _split_bars(failure_time: datetime, healthy_at: datetime | None, split: Split) -> list[str]:
    lines = ["    section RTO split"]
    decided_from = failure_time
    if split.detection_seconds is not None:
        latency = timedelta(seconds=split.detection_seconds)
        if split.detection_counted:
            begin, decided_from, counted = failure_time, failure_time + latency, ""
        else:
            begin, counted = failure_time - latency, " (not counted)"
        lines.append(
            f"    Detection, derived {format_seconds(split.detection_seconds)}{counted} "
            f":active, detection, {_stamp(begin)}, {_stamp(begin + latency)}"
        )
    start = split.failover_started_at
    if start is not None:
        decided_from = min(decided_from, start)
        end = max(start, decided_from + timedelta(milliseconds=1))
        lines.append(
            f"    Decision {format_seconds((start - decided_from).total_seconds())} "
            f":decision, {_stamp(decided_from)}, {_stamp(end)}"
        )
        if healthy_at is not None:
            lines.append(
                f"    Recovery {format_seconds((healthy_at - start).total_seconds())} "
                f":recovery, {_stamp(start)}, {_stamp(max(healthy_at, start + timedelta(milliseconds=1)))}"
            )
    return lines


# ---------------------------------------------------------------------------------------------
# Improvements to record


def improvements(
    *,
    readiness_checks: list[dict[str, Any]],
    failover_outcome: str,
    failover_message: str,
    tiers: list[TierResult],
    steps: list[StepRecord],
    rto_objective: int,
    notes: list[str],
    waited_seconds: float | None = None,
) -> list[str]:
    """What the drill found to improve, most important first; the operators' own notes last."""
    found: list[str] = []
    if failover_outcome not in ("promoted", "already promoted"):
        found.append(f"the failover ended {failover_outcome}: {failover_message}")
    for tier in tiers:
        name = f"tier {tier.tier}"
        if tier.rto_met is False:
            assert tier.rto_achieved is not None
            timed = [s for s in steps if s.seconds is not None]
            slowest = max(timed, key=lambda s: s.seconds or 0.0, default=None)
            why = (
                f"; the slowest step was {slowest.label} ({format_seconds(slowest.seconds or 0)})"
                if slowest
                else ""
            )
            if waited_seconds is not None and waited_seconds > 0:
                waited = format_seconds(waited_seconds)
                why += f"; {waited} passed before the failover began (detection, decision)"
            late = format_seconds(tier.rto_achieved - tier.rto_objective)
            found.append(
                f"{name}: RTO missed by {late} (achieved {format_seconds(tier.rto_achieved)}, "
                f"objective {format_seconds(tier.rto_objective)}){why}"
            )
        elif tier.rto_achieved is not None and tier.rto_achieved > THIN_MARGIN_SHARE * tier.rto_objective:
            found.append(
                f"{name}: RTO met with little margin ({format_seconds(tier.rto_achieved)} of "
                f"{format_seconds(tier.rto_objective)})"
            )
        if tier.rpo_met is False and tier.rpo_achieved is not None and tier.rpo_objective is not None:
            found.append(
                f"{name}: RPO missed: {format_seconds(tier.rpo_achieved)} of data at risk, "
                f"objective {format_seconds(tier.rpo_objective)} ({tier.rpo_note})"
            )
        elif tier.rpo_unmeasured:
            found.append(f"{name}: RPO not measured ({tier.rpo_note}): make replica lag measurable")
    for step in steps:
        if step.seconds is not None and step.seconds > SLOW_STEP_SHARE * rto_objective:
            found.append(
                f"step {step.label} took {format_seconds(step.seconds)}, more than half the RTO "
                f"{format_seconds(rto_objective)}"
            )
    for check in readiness_checks:
        if check["verdict"] == "fail":
            found.append(
                f"readiness: {check['check']} failed ({check['measured']}; target {check['target']})"
            )
        elif check["verdict"] == "unknown":
            found.append(f"readiness: {check['check']} could not be measured ({check['detail']})")
    found += [f"noted: {n}" for n in notes]
    return found
