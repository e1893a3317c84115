from __future__ import annotations

from datetime import timedelta

import pytest

from continuity.durations import (
    CONTINUOUS_FREQUENCY,
    Duration,
    DurationError,
    describe_exactly,
    describe_seconds,
    parse_duration,
    parse_frequency,
)


@pytest.mark.parametrize(
    ("text", "seconds", "days"),
    [
        ("30m", 1800, 1),
        ("1h", 3600, 1),
        ("24h", 86400, 1),
        ("25h", 90000, 2),
        ("7d", 604800, 7),
        ("2w", 1209600, 14),
        ("1y", 31557600, 366),
        ("7y", 7 * 31557600, 2557),
    ],
)
def test_parse_duration__valid(text: str, seconds: int, days: int) -> None:
    duration = parse_duration(text)
    assert duration.seconds == seconds
    assert duration.days_ceil() == days
    assert str(duration) == text
    assert duration.timedelta == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0h", '"0h" is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)'),
        ("1.5h", '"1.5h" is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)'),
        ("1mo", '"1mo" is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)'),
        ("h", '"h" is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)'),
        (30, "30 is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)"),
        (True, "True is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)"),
        (
            "continuous",
            '"continuous" is not a duration; write <number><unit> with unit m, h, d, w or y (e.g. 30m)',
        ),
    ],
)
def test_parse_duration__rejects(value: object, message: str) -> None:
    with pytest.raises(DurationError) as err:
        parse_duration(value)
    assert str(err.value) == message


def test_parse_frequency__continuous_is_a_zero_gap() -> None:
    assert parse_frequency("continuous") is CONTINUOUS_FREQUENCY
    assert CONTINUOUS_FREQUENCY.seconds == 0
    assert str(CONTINUOUS_FREQUENCY) == "continuous"
    assert Duration(1, "m") > CONTINUOUS_FREQUENCY


def test_parse_frequency__rejects_with_its_own_message() -> None:
    with pytest.raises(DurationError) as err:
        parse_frequency("often")
    assert str(err.value) == (
        '"often" is not a frequency; write continuous or <number><unit> with unit m, h, d, w or y (e.g. 1h)'
    )


@pytest.mark.parametrize(
    ("left", "right", "less"),
    [
        ("59m", "1h", True),
        ("1h", "60m", False),
        ("1d", "24h", False),
        ("6d", "1w", True),
        ("52w", "1y", True),
    ],
)
def test_duration__orders_by_length_across_units(left: str, right: str, less: bool) -> None:
    assert (parse_duration(left) < parse_duration(right)) is less


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (42, "42s"), (60, "1m"), (200, "3m 20s"), (3600, "1h"), (7500, "2h 5m"), (273600, "3d 4h")],
)
def test_describe_seconds(seconds: int, text: str) -> None:
    assert describe_seconds(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1s"),
        (90, "1m 30s"),
        (4 * 3600, "4h"),
        (25 * 3600, "25h"),
        (2 * 86400, "2d"),
        # describe_seconds would say "2d": the arithmetic of a worst-case loss must add up.
        (2 * 86400 + 900, "2d 15m"),
        (3 * 86400 + 3661, "3d 1h 1m 1s"),
    ],
)
def test_describe_exactly(seconds: int, text: str) -> None:
    assert describe_exactly(seconds) == text
