"""Durations as the continuity plan writes them: ``<number><unit>``.

Units are ``m`` (minutes), ``h``, ``d``, ``w`` and ``y``. A year counts as 365.25 days when it
has to become days (AWS Backup lifecycles, alarm thresholds), so that "7y" is never shorter than
seven calendar years; where AWS takes years directly (S3 Object Lock) the unit is kept.
``continuous`` is a frequency, not a duration: replication or point-in-time recovery, a gap of zero.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta

UNIT_SECONDS: dict[str, int] = {
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "y": 31_557_600,  # 365.25 days
}
UNIT_NAMES = {"m": "minute", "h": "hour", "d": "day", "w": "week", "y": "year"}
CONTINUOUS = "continuous"

_DURATION = re.compile(r"^([1-9][0-9]*)([mhdwy])$")


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


class DurationError(ValueError):
    """A value that is not a duration; the message is the whole explanation."""


@dataclass(frozen=True, order=False)
class Duration:
    """A positive span of time in one unit, or the zero-gap frequency ``continuous``."""

    amount: int
    unit: str

    @property
    def continuous(self) -> bool:
        return self.unit == CONTINUOUS

    @property
    def seconds(self) -> int:
        return 0 if self.continuous else self.amount * UNIT_SECONDS[self.unit]

    @property
    def timedelta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def days_ceil(self) -> int:
        """Whole days, rounded up: the form AWS retention settings take."""
        return math.ceil(self.seconds / 86400)

    def __str__(self) -> str:
        return CONTINUOUS if self.continuous else f"{self.amount}{self.unit}"

    def __lt__(self, other: Duration) -> bool:
        return self.seconds < other.seconds

    def __le__(self, other: Duration) -> bool:
        return self.seconds <= other.seconds

    def __gt__(self, other: Duration) -> bool:
        return self.seconds > other.seconds

    def __ge__(self, other: Duration) -> bool:
        return self.seconds >= other.seconds


CONTINUOUS_FREQUENCY = Duration(0, CONTINUOUS)


def parse_duration(value: object) -> Duration:
    """Parse ``30m``/``24h``/``7d``/``2w``/``7y``; anything else raises DurationError."""
    if isinstance(value, Duration) and not value.continuous:
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise DurationError(
            f"{_show(value)} is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)"
        )
    match = _DURATION.match(value.strip())
    if not match:
        raise DurationError(
            f"{_show(value)} is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)"
        )
    return Duration(int(match.group(1)), match.group(2))


def parse_frequency(value: object) -> Duration:
    """A duration, or ``continuous``."""
    if value in (CONTINUOUS, CONTINUOUS_FREQUENCY):
        return CONTINUOUS_FREQUENCY
    try:
        return parse_duration(value)
    except DurationError:
        raise DurationError(
            f"{_show(value)} is not a frequency; write continuous or <number><unit> with unit "
            "m, h, d, w or y (e.g. 1h)"
        ) from None


def describe_seconds(seconds: float) -> str:
    """A short human form of a measured span: ``42s``, ``3m 20s``, ``2h 5m``, ``3d 4h``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {sec}s" if sec else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def describe_exactly(seconds: float) -> str:
    """A duration as the arithmetic shows it: the short form (``4h``, ``2d 1h``) when it is exact,
    every unit otherwise (``2d 15m``), so that the terms always add up to the total shown."""
    whole = round(seconds)
    short = describe_seconds(whole)
    if sum(int(part[:-1]) * dict(_UNITS)[part[-1]] for part in short.split()) == whole:
        return short
    parts = []
    for unit, size in _UNITS:
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def describe_timedelta(delta: timedelta) -> str:
    return describe_seconds(delta.total_seconds())
