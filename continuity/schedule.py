"""Backup schedules: how long can pass between two runs, exactly, and which schedule meets a frequency.

``longest_gap`` judges an AWS schedule expression (``cron(min hour dom month dow year)`` in AWS's
syntax, or ``rate(n unit)``) by walking the whole Gregorian cycle (400 years, 146,097 days, after
which weekdays and leap days repeat), so a weekday-only cron reports its weekend gap and a monthly
cron its 31 days. Field parsing is cronsim's; what differs in AWS's dialect (day-of-week 1-7 from
Sunday, ``?``, the year field, ``W``) is translated here. What cannot be judged is refused with a
``ScheduleError`` that says why; nothing is guessed.

``schedule_for`` goes the other way: the cheapest cron (fewest runs a year) whose longest gap is
within a frequency, by asking ``longest_gap`` of each candidate.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise

from cronsim.cronsim import CronSim, CronSimError, Field

from continuity.durations import Duration

# The Gregorian calendar repeats every 400 years: 146,097 days, a whole number of weeks.
CYCLE_YEARS = 400
CYCLE_START = date(2000, 1, 1)
CYCLE_DAYS = 146_097
MINUTES_PER_DAY = 1440

# AWS Backup starts scheduled jobs at most once an hour; below that, only continuous backup
# (point-in-time recovery) can meet a frequency.
AWS_BACKUP_MIN_INTERVAL = timedelta(hours=1)
# AWS Backup's default schedule starts at 05:00 UTC (its console default, cron(0 5 ? * * *)).
AWS_BACKUP_DEFAULT_START = (5, 0)

_AWS_DOW_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_RATE = re.compile(r"^rate\(\s*([0-9]+)\s+([a-z]+)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """An expression that is malformed, or that cannot be judged exactly."""


@dataclass(frozen=True)
class DaySpec:
    """Which days a cron runs on, in cronsim's terms (day-of-week 0-7 from Sunday)."""

    months: frozenset[int]
    dom: frozenset[int] | None  # None: day-of-month does not restrict
    dom_weekday_nearest: frozenset[int]  # AWS "15W": the weekday nearest the 15th
    dow: frozenset[int | tuple[int, int]] | None  # None: day-of-week does not restrict
    either: bool = False  # standard cron: both restricted means dom OR dow


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: DaySpec


@dataclass(frozen=True)
class Judgement:
    longest_gap: timedelta
    runs_per_year: float


# ---------------------------------------------------------------------------------------------
# Parsing


def _field(field: Field, text: str, name: str, expression: str) -> frozenset[int]:
    try:
        values = field.parse(text.upper())
    except CronSimError:
        raise ScheduleError(f"{expression}: {name} field {text!r} is not valid") from None
    if any(not isinstance(v, int) for v in values):
        raise ScheduleError(f"{expression}: {name} field {text!r} is not valid")
    return frozenset(v for v in values if isinstance(v, int))


def _aws_dow_number(token: str, expression: str) -> int:
    """AWS numbers days of the week 1-7 from Sunday; names are the same as cronsim's."""
    token = token.upper()
    if token in _AWS_DOW_NAMES:
        return _AWS_DOW_NAMES.index(token) + 1
    if token.isdigit() and 1 <= int(token) <= 7:
        return int(token)
    raise ScheduleError(f"{expression}: day-of-week {token!r} is not 1-7 or SUN-SAT")


def _aws_dow_to_cronsim(text: str, expression: str) -> str:
    """Rewrite an AWS day-of-week field in cronsim's numbering (0-6 from Sunday)."""
    terms = []
    for term in text.upper().split(","):
        if term == "*":
            terms.append("*")
        elif term == "L":  # alone, L is the last day of the week: Saturday
            terms.append("6")
        elif term.endswith("L"):
            terms.append(f"{_aws_dow_number(term[:-1], expression) - 1}L")
        elif "#" in term:
            day, nth = term.split("#", 1)
            terms.append(f"{_aws_dow_number(day, expression) - 1}#{nth}")
        elif "/" in term:
            # A step runs to the end of AWS's range (7, Saturday); expand it here because
            # cronsim's range for this field ends at 7 meaning Sunday.
            base, step_text = term.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{expression}: day-of-week step {term!r} is not valid")
            if base == "*":
                first, last = 1, 7
            elif "-" in base:
                first_t, last_t = base.split("-", 1)
                first, last = _aws_dow_number(first_t, expression), _aws_dow_number(last_t, expression)
            else:
                first, last = _aws_dow_number(base, expression), 7
            if last < first:
                raise ScheduleError(f"{expression}: day-of-week range {base!r} runs backwards")
            terms.extend(str(n - 1) for n in range(first, last + 1, int(step_text)))
        elif "-" in term:
            first_t, last_t = term.split("-", 1)
            first, last = _aws_dow_number(first_t, expression), _aws_dow_number(last_t, expression)
            if last < first:
                raise ScheduleError(f"{expression}: day-of-week range {term!r} runs backwards")
            terms.append(f"{first - 1}-{last - 1}")
        else:
            terms.append(str(_aws_dow_number(term, expression) - 1))
    return ",".join(terms)


def _dow_spec(text: str, expression: str) -> frozenset[int | tuple[int, int]]:
    try:
        values = Field.DOW.parse(text)
    except CronSimError:
        raise ScheduleError(f"{expression}: day-of-week field is not valid") from None
    return frozenset({(v % 7) if isinstance(v, int) else (v[0] % 7, v[1]) for v in values})


def _parse_aws_cron(expression: str, body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleError(
            f"{expression}: AWS cron takes 6 fields (minute hour day-of-month month "
            f"day-of-week year), found {len(fields)}"
        )
    minute, hour, dom, month, dow, year = fields
    if year != "*":
        raise ScheduleError(
            f"{expression}: year field {year!r} makes the schedule stop; only * can be judged"
        )
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(f"{expression}: exactly one of day-of-month and day-of-week must be ? (AWS rule)")
    minutes = _field(Field.MINUTE, minute, "minute", expression)
    hours = _field(Field.HOUR, hour, "hour", expression)
    months = _field(Field.MONTH, month, "month", expression)
    dom_values: frozenset[int] | None = None
    nearest: set[int] = set()
    dow_values: frozenset[int | tuple[int, int]] | None = None
    if dom != "?":
        plain = []
        for term in dom.upper().split(","):
            match = re.fullmatch(r"([0-9]{1,2})W", term)
            if match and 1 <= int(match.group(1)) <= 31:
                nearest.add(int(match.group(1)))
            else:
                plain.append(term)
        if plain:
            try:
                parsed = Field.DAY.parse(",".join(plain))
            except CronSimError:
                raise ScheduleError(f"{expression}: day-of-month field {dom!r} is not valid") from None
            dom_values = frozenset(int(v) for v in parsed if isinstance(v, int))
        else:
            dom_values = frozenset()
    else:
        dow_values = _dow_spec(_aws_dow_to_cronsim(dow, expression), expression)
    return Cron(minutes, hours, DaySpec(months, dom_values, frozenset(nearest), dow_values))


def _parse_standard_cron(expression: str) -> Cron:
    """A five-field cron as Kubernetes CronJobs read it (robfig/cron): both day fields
    restricted means either may match; a * in one means the other decides."""
    macros = {
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    }
    text = macros.get(expression.strip(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"{expression}: a Kubernetes schedule takes 5 fields (minute hour day-of-month "
            f"month day-of-week), found {len(fields)}"
        )
    minute, hour, dom, month, dow = fields
    if "W" in dom.upper().replace("LW", ""):
        raise ScheduleError(f"{expression}: W in day-of-month is not supported by Kubernetes")
    minutes = _field(Field.MINUTE, minute, "minute", expression)
    hours = _field(Field.HOUR, hour, "hour", expression)
    months = _field(Field.MONTH, month, "month", expression)
    dom_star = dom in ("*", "?")
    dow_star = dow in ("*", "?")
    dom_values = None
    if not dom_star:
        try:
            dom_values = frozenset(int(v) for v in Field.DAY.parse(dom.upper()) if isinstance(v, int))
        except CronSimError:
            raise ScheduleError(f"{expression}: day-of-month field {dom!r} is not valid") from None
    dow_values = None if dow_star else _dow_spec(dow.upper(), expression)
    return Cron(minutes, hours, DaySpec(months, dom_values, frozenset(), dow_values, either=True))


# ---------------------------------------------------------------------------------------------
# Judging


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int | None:
    """AWS ``nW``: the weekday nearest day n without leaving the month."""
    if day > last:
        return None
    weekday = date(year, month, day).weekday()
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when the last day
        return day + 1 if day < last else day - 2
    return day


@lru_cache(maxsize=1)
def _cycle_months() -> tuple[tuple[int, int, int, int, int], ...]:
    """(year, month, offset of its 1st from the cycle start, length, weekday of its 1st in
    cronsim numbering: 0 Sunday .. 6 Saturday) for every month of the cycle."""
    months = []
    offset = 0
    for year in range(CYCLE_START.year, CYCLE_START.year + CYCLE_YEARS):
        for month in range(1, 13):
            first_weekday, length = calendar.monthrange(year, month)
            months.append((year, month, offset, length, (first_weekday + 1) % 7))
            offset += length
    return tuple(months)


def _days_in_month(spec: DaySpec, year: int, month: int, last: int, first_dow: int) -> set[int]:

    def by_dom() -> set[int]:
        assert spec.dom is not None
        days = {d for d in spec.dom if 1 <= d <= last}
        if CronSim.LAST in spec.dom:
            days.add(last)
        if CronSim.LAST_WEEKDAY in spec.dom:
            lw = last
            while calendar.weekday(year, month, lw) >= 5:
                lw -= 1
            days.add(lw)
        for n in spec.dom_weekday_nearest:
            nearest = _nearest_weekday(year, month, n, last)
            if nearest is not None:
                days.add(nearest)
        return days

    def by_dow() -> set[int]:
        assert spec.dow is not None
        days: set[int] = set()
        for item in spec.dow:
            dow = item if isinstance(item, int) else item[0]
            first = 1 + (dow - first_dow) % 7
            occurrences = list(range(first, last + 1, 7))
            if isinstance(item, int):
                days.update(occurrences)
            elif item[1] == CronSim.LAST:
                days.add(occurrences[-1])
            elif item[1] <= len(occurrences):
                days.add(occurrences[item[1] - 1])
        return days

    if spec.dom is None and spec.dow is None:
        return set(range(1, last + 1))
    if spec.dow is None:
        return by_dom()
    if spec.dom is None:
        return by_dow()
    return by_dom() | by_dow() if spec.either else by_dom() & by_dow()


@lru_cache(maxsize=4096)
def _matching_days(spec: DaySpec) -> tuple[int, ...]:
    """Day numbers (from the cycle start) on which the schedule runs, over one 400-year cycle."""
    matches: list[int] = []
    # Within a month, the matching days depend only on its length and the weekday of its 1st.
    by_shape: dict[tuple[int, int], list[int]] = {}
    for year, month, offset, length, first_dow in _cycle_months():
        if month in spec.months:
            shape = (length, first_dow)
            if shape not in by_shape:
                by_shape[shape] = sorted(_days_in_month(spec, year, month, length, first_dow))
            matches.extend(offset + d - 1 for d in by_shape[shape])
    return tuple(matches)


def _judge(cron: Cron, expression: str) -> Judgement:
    times = sorted(h * 60 + m for h in cron.hours for m in cron.minutes)
    days = _matching_days(cron.days)
    if not days or not times:
        raise ScheduleError(f"{expression}: never runs")
    day_gap = CYCLE_DAYS + days[0] - days[-1]
    for earlier, later in pairwise(days):
        day_gap = max(day_gap, later - earlier)
    within_day = max((b - a for a, b in pairwise(times)), default=0)
    across_days = day_gap * MINUTES_PER_DAY - (times[-1] - times[0])
    return Judgement(
        longest_gap=timedelta(minutes=max(within_day, across_days)),
        runs_per_year=len(days) * len(times) / CYCLE_YEARS,
    )


@lru_cache(maxsize=4096)
def judge(expression: str) -> Judgement:
    """Longest gap and runs per year of an AWS schedule expression."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        singular = unit.rstrip("s") if unit.endswith("s") else unit
        if singular not in _RATE_UNITS or value == 0:
            raise ScheduleError(f"{expression}: rate takes a positive number of minutes, hours or days")
        if (value == 1) != (unit == singular):
            raise ScheduleError(f"{expression}: AWS wants the singular unit for 1 and the plural otherwise")
        seconds = value * _RATE_UNITS[singular]
        return Judgement(timedelta(seconds=seconds), 365.2425 * 86400 / seconds)
    cron = _CRON.match(text)
    if cron:
        return _judge(_parse_aws_cron(expression, cron.group(1)), expression)
    raise ScheduleError(f"{expression!r} is not an AWS schedule expression (cron(...) or rate(...))")


def longest_gap(expression: str) -> timedelta:
    """The longest time between two consecutive runs of an AWS schedule expression."""
    return judge(expression).longest_gap


@lru_cache(maxsize=1024)
def judge_kubernetes(expression: str) -> Judgement:
    return _judge(_parse_standard_cron(expression), expression)


def longest_gap_kubernetes(expression: str) -> timedelta:
    """The longest time between two runs of a Kubernetes CronJob schedule (UTC)."""
    return judge_kubernetes(expression).longest_gap


# ---------------------------------------------------------------------------------------------
# Choosing a schedule for a frequency


@dataclass(frozen=True)
class StartTime:
    """When scheduled runs start, in UTC; a weekday only for weekly or longer frequencies."""

    hour: int
    minute: int
    weekday: str | None = None  # SUN..SAT

    def __str__(self) -> str:
        text = f"{self.hour:02d}:{self.minute:02d}"
        return f"{self.weekday.lower()} {text}" if self.weekday else text


DEFAULT_START = StartTime(*AWS_BACKUP_DEFAULT_START)


def _candidates(start: StartTime) -> list[tuple[timedelta, str, str]]:
    """(shortest possible longest gap, AWS cron, Kubernetes cron) for the same run times,
    coarsest first. The first element only lets the search skip what cannot fit."""
    m, h = start.minute, start.hour
    day = timedelta(days=1)
    weekday = start.weekday or "SUN"
    found = [(365 * day, f"cron({m} {h} 1 1 ? *)", f"{m} {h} 1 1 *")]
    for months in (6, 4, 3, 2):
        found.append((28 * months * day, f"cron({m} {h} 1 1/{months} ? *)", f"{m} {h} 1 1/{months} *"))
    found.append((28 * day, f"cron({m} {h} 1 * ? *)", f"{m} {h} 1 * *"))
    for days in range(30, 1, -1):
        found.append((min(days, 28) * day, f"cron({m} {h} 1/{days} * ? *)", f"{m} {h} 1/{days} * *"))
    k8s_weekday = _AWS_DOW_NAMES.index(weekday)
    found.append((7 * day, f"cron({m} {h} ? * {weekday} *)", f"{m} {h} * * {k8s_weekday}"))
    found.append((day, f"cron({m} {h} * * ? *)", f"{m} {h} * * *"))
    for hours in (12, 8, 6, 4, 3, 2):
        found.append(
            (
                timedelta(hours=hours),
                f"cron({m} {h % hours}/{hours} * * ? *)",
                f"{m} {h % hours}/{hours} * * *",
            )
        )
    found.append((timedelta(hours=1), f"cron({m} * * * ? *)", f"{m} * * * *"))
    return found


@lru_cache(maxsize=1024)
def _choose(frequency_seconds: int, start: StartTime) -> tuple[str, str]:
    limit = timedelta(seconds=frequency_seconds)
    fitting = [
        (judge(aws).runs_per_year, index, aws, k8s)
        for index, (bound, aws, k8s) in enumerate(_candidates(start))
        if bound <= limit and judge(aws).longest_gap <= limit
    ]
    if not fitting:
        raise ScheduleError(f"no schedule runs often enough for {limit}")
    _, _, aws, k8s = min(fitting)
    return aws, k8s


def schedule_for(frequency: Duration, start: StartTime | None = None) -> str:
    """The AWS cron with the fewest runs a year whose longest gap is within ``frequency``."""
    if frequency.continuous or frequency.timedelta < AWS_BACKUP_MIN_INTERVAL:
        raise ScheduleError(
            f"{frequency} is more often than AWS Backup can schedule (hourly at most); use continuous backup"
        )
    return _choose(frequency.seconds, start or DEFAULT_START)[0]


# A CronJob's schedule has minute resolution; below an hour it runs every n minutes, n dividing
# the hour so that every gap is the same.
KUBERNETES_MIN_INTERVAL = timedelta(minutes=1)
_SUB_HOUR_STEPS = (30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1)


@lru_cache(maxsize=1024)
def _choose_sub_hour(frequency_seconds: int, minute: int) -> str:
    for step in _SUB_HOUR_STEPS:
        first = minute % step
        expression = f"{first}/{step} * * * *" if first else f"*/{step} * * * *"
        expression = "* * * * *" if step == 1 else expression
        if judge_kubernetes(expression).longest_gap <= timedelta(seconds=frequency_seconds):
            return expression
    raise ScheduleError(f"no schedule runs often enough for {timedelta(seconds=frequency_seconds)}")


def kubernetes_schedule_for(frequency: Duration, start: StartTime | None = None) -> str:
    """The Kubernetes CronJob schedule (UTC) with the same run times as ``schedule_for``; below an
    hour, which AWS Backup cannot schedule but a CronJob can, every n minutes past ``start``'s minute."""
    if frequency.continuous or frequency.timedelta < KUBERNETES_MIN_INTERVAL:
        raise ScheduleError(f"{frequency} is more often than a backup job can run (once a minute)")
    start = start or DEFAULT_START
    if frequency.timedelta < AWS_BACKUP_MIN_INTERVAL:
        return _choose_sub_hour(frequency.seconds, start.minute)
    return _choose(frequency.seconds, start)[1]
