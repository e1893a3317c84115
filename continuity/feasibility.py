"""The plan's promises judged against what its protection and AWS allow: errors, warnings, verdicts.

``continuity.derive`` already gives every data item the strongest protection AWS allows where the
plan's own schedule would lose more than the tier's RPO (continuous backup, a tighter completion
window, CronJob dumps more often). What is left is judged here, with the arithmetic shown:

- an **error** (``exposure_errors``; ``load_plan`` raises it as a ``PlanError``) when no copy of a
  data item keeps its RPO, or when its copies in the DR region, the only ones a regional outage
  leaves, lose more than the RPO;
- a **warning** (``plan_warnings``) when the plan promises what the architecture cannot keep:
  a tier's RTO shorter than the fastest recovery its strategy allows (continuity/recovery.py), or
  an RPO the item's own region cannot deliver and only the DR copy keeps (point-in-time recovery's
  5 minutes against a 1-minute RPO: a replica keeps it, but copies a corruption too). The program,
  the policy pack and the scripts show warnings; ``validate_plan.py --strict`` fails on them.

``tier_verdicts`` says per tier what the summary shows: a tier with nothing in it is "not
applicable", never "met".
"""

from __future__ import annotations

from dataclasses import dataclass

from continuity.derive import Settings, derive
from continuity.durations import describe_exactly
from continuity.exposure import ItemExposure, RegionExposure
from continuity.plan import Plan


def _where(exposure: RegionExposure) -> str:
    return f"{exposure.region} ({'primary' if exposure.role == 'primary' else 'DR'})"


def _hint(item: ItemExposure) -> str:
    if item.store == "kubernetes":
        return (
            "; a CronJob runs at most once a minute and each run has one interval to start and "
            "finish: raise the tier's RPO"
        )
    return ""


def _shortfall(item: ItemExposure, exposure: RegionExposure) -> str:
    best = exposure.best_protection
    assert best is not None, "only regions that keep a copy are judged"
    return (
        f"data.{item.data_item}: worst-case loss in {_where(exposure)} {best.arithmetic()} "
        f'({best.mechanism}) exceeds tier "{item.tier}" RPO {describe_exactly(item.rpo_seconds)}'
    )


def exposure_errors(settings: Settings) -> list[str]:
    """Data items whose RPO no copy keeps, or whose DR copies lose more than it; one line each."""
    messages = []
    for item in settings.exposures.values():
        primary, dr = item.within_rpo(item.primary), item.within_rpo(item.dr)
        if dr is False:
            messages.append(_shortfall(item, item.dr) + _hint(item))
        elif primary is False and dr is None:
            messages.append(_shortfall(item, item.primary) + _hint(item))
    return messages


def warnings_for(settings: Settings) -> list[str]:
    """Promises the architecture cannot keep, one line each (without the plan's file name)."""
    plan = settings.plan
    messages = []
    for name, tier in plan.tiers.items():
        recovery = settings.recovery[name]
        if recovery is not None and recovery.seconds > tier.rto.seconds:
            messages.append(
                f"tiers.{name}.rto: {tier.rto} is below the fastest {plan.strategy} recovery from a "
                f"regional outage: {recovery.arithmetic()}"
            )
    for item in settings.exposures.values():
        if item.within_rpo(item.primary) is False and item.within_rpo(item.dr) is True:
            own, kept = item.primary.best_protection, item.dr.best_protection
            assert own is not None
            assert kept is not None
            messages.append(
                f'data.{item.data_item}: tier "{item.tier}" RPO {describe_exactly(item.rpo_seconds)} is '
                f"below what {own.mechanism} can deliver in {item.primary.region} ({own.arithmetic()}); "
                f"only the {kept.mechanism} in {item.dr.region} keeps it ({kept.arithmetic()}), "
                "and it copies a corruption as readily as a write"
            )
    return messages


def plan_warnings(plan: Plan) -> list[str]:
    """``warnings_for`` a loaded plan, each line naming the plan's file like its errors do."""
    return [f"{plan.source}: {message}" for message in warnings_for(derive(plan))]


@dataclass(frozen=True)
class TierVerdict:
    """What a tier promises and what its contents allow.

    ``rto``: ``not-applicable`` (nothing in the tier), ``nothing-to-fail-over`` (only data whose
    copies are in the DR region already), ``feasible`` or ``infeasible`` (below the fastest
    recovery). ``rpo``: ``not-applicable`` (no data in the tier, or no RPO), ``within`` or
    ``exceeds`` (the worst case over its items and the regions that keep a copy).
    """

    tier: str
    rto_seconds: int
    rpo_seconds: int | None
    members: tuple[str, ...]
    rto: str
    fastest_recovery_seconds: float | None
    rpo: str
    worst_case_seconds: int | None


def tier_verdicts(settings: Settings) -> list[TierVerdict]:
    plan = settings.plan
    verdicts = []
    for name, tier in plan.tiers.items():
        members = tuple(
            [f"data.{n}" for n, d in plan.data.items() if d.tier == name]
            + [f"services.{n}" for n, s in plan.services.items() if s.tier == name]
        )
        recovery = settings.recovery[name]
        if not settings.objectives.applies(name):
            rto = "not-applicable"
        elif recovery is None:
            rto = "nothing-to-fail-over"
        else:
            rto = "feasible" if recovery.seconds <= tier.rto.seconds else "infeasible"
        losses = [
            region.worst_case_seconds
            for item in settings.exposures.values()
            if item.tier == name
            for region in item.regions()
            if region.worst_case_seconds is not None
        ]
        worst = max(losses) if losses else None
        if worst is None or tier.rpo is None:
            rpo = "not-applicable"
        else:
            rpo = "within" if worst <= tier.rpo.seconds else "exceeds"
        verdicts.append(
            TierVerdict(
                tier=name,
                rto_seconds=tier.rto.seconds,
                rpo_seconds=tier.rpo.seconds if tier.rpo else None,
                members=members,
                rto=rto,
                fastest_recovery_seconds=recovery.seconds if recovery else None,
                rpo=rpo,
                worst_case_seconds=worst,
            )
        )
    return verdicts
