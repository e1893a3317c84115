"""The failback's safety judgement: go back only once the primary region serves again.

A failover refuses while the primary is healthy; failback refuses while it is not. The evidence is
the primary region's own services: each must be active and steady with tasks running (they were
never scaled down by the failover), read from the primary region's ECS API, which also shows that
region's control plane answers. The primary's Route 53 health check cannot say it: while it is
inverted its verdict is the opposite of the endpoint's health. ``--force`` proceeds without that
evidence (an outage confirmed over another way, services that are not ECS). A failback an earlier
run began (a replica or new primary already in the primary region) is always finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from operations.ecs import ServiceView


@dataclass(frozen=True)
class PrimaryService:
    name: str
    service: str
    view: ServiceView | None = None
    error: str | None = None  # it could not be read


@dataclass(frozen=True)
class SafetyDecision:
    proceed: bool
    summary: str
    evidence: list[str] = field(default_factory=list)


def evidence_lines(services: list[PrimaryService]) -> tuple[list[str], list[str], list[str]]:
    """(up, down, unknown) evidence, one line per primary service."""
    up, down, unknown = [], [], []
    for s in services:
        where = f"primary service {s.name} ({s.service})"
        if s.error is not None:
            unknown.append(f"{where}: {s.error}")
        elif s.view is None:
            down.append(f"{where}: not found")
        elif s.view.status == "ACTIVE" and s.view.running >= 1 and s.view.steady_at(1):
            up.append(f"{where}: {s.view.describe()}, steady")
        else:
            down.append(f"{where}: {s.view.status}, {s.view.describe()}")
    return up, down, unknown


def judge_failback_safety(
    services: list[PrimaryService], *, force: bool, under_way: list[str]
) -> SafetyDecision:
    up, down, unknown = evidence_lines(services)
    evidence = up + down + unknown
    if under_way:
        return SafetyDecision(
            True, f"finishing a failback an earlier run began ({'; '.join(under_way)})", evidence
        )
    if services and not down and not unknown:
        return SafetyDecision(True, f"the primary region serves again: {'; '.join(up)}", evidence)
    if force:
        return SafetyDecision(
            True, "forced (--force): the primary region is not confirmed to serve", evidence
        )
    if not services:
        return SafetyDecision(
            False,
            "no ECS service in the primary region to confirm it serves; confirm it another way and run "
            "again with --force",
            evidence,
        )
    problems = "; ".join(down + unknown)
    return SafetyDecision(
        False,
        f"the primary region does not serve yet ({problems}); "
        "fail back once it does, or run again with --force",
        evidence,
    )
