"""longest_gap against hand-computed cases; schedule_for against longest_gap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from continuity.durations import parse_duration, parse_frequency
from continuity.schedule import (
    ScheduleError,
    StartTime,
    judge,
    kubernetes_schedule_for,
    longest_gap,
    longest_gap_kubernetes,
    schedule_for,
)

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("expression", "gap", "why"),
    [
        ("cron(0 5 ? * * *)", D, "daily"),
        ("cron(0 5 * * ? *)", D, "daily, day-of-month form"),
        ("cron(0 2 ? * MON-FRI *)", 3 * D, "weekdays only: Friday 02:00 to Monday 02:00"),
        ("cron(0 2 ? * 2-6 *)", 3 * D, "AWS numbers weekdays from 1 = Sunday: 2-6 is MON-FRI"),
        ("cron(0 2 ? * 2/2 *)", 3 * D, "MON, WED, FRI: Friday to Monday"),
        ("cron(0 2 ? * SUN *)", 7 * D, "weekly"),
        ("cron(0 3 1 * ? *)", 31 * D, "monthly: the longest month"),
        ("cron(0 2 L * ? *)", 31 * D, "last day of the month: Feb 28 to Mar 31"),
        ("cron(0 2 ? * 6L *)", 35 * D, "last Friday: five weeks apart at most"),
        ("cron(0 2 ? * 2#1 *)", 35 * D, "first Monday: five weeks apart at most"),
        ("cron(0 2 15W * ? *)", 32 * D, "weekday nearest the 15th: Thu 15th to Mon 16th of the next month"),
        ("cron(0 2 1/2 * ? *)", 2 * D, "odd days: the 29th of a 30-day month to the 1st"),
        ("cron(0 2 1,15 * ? *)", 17 * D, "1st and 15th: 15th to the 1st of a 31-day month's next"),
        ("cron(0 2 29 2 ? *)", 2921 * D, "Feb 29: eight years across 2100, which is not a leap year"),
        ("cron(0/15 * * * ? *)", timedelta(minutes=15), "every 15 minutes"),
        ("cron(0 0/6 * * ? *)", 6 * H, "every six hours"),
        ("cron(0 1,13 * * ? *)", 12 * H, "twice a day, evenly"),
        ("cron(0 1,7 * * ? *)", 18 * H, "twice a day, unevenly: 07:00 to 01:00"),
        ("cron(30 8-17 ? * MON-FRI *)", 63 * H, "office hours: Friday 17:30 to Monday 08:30"),
        ("cron(0 2 1 1/3 ? *)", 92 * D, "quarterly: Jul 1 to Oct 1"),
        ("rate(1 hour)", H, "rate"),
        ("rate(12 hours)", 12 * H, "rate"),
        ("rate(5 minutes)", timedelta(minutes=5), "rate"),
        ("rate(7 days)", 7 * D, "rate"),
    ],
)
def test_longest_gap(expression: str, gap: timedelta, why: str) -> None:
    assert longest_gap(expression) == gap, why


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "cron(0 2 * * * *)",
            "cron(0 2 * * * *): exactly one of day-of-month and day-of-week must be ? (AWS rule)",
        ),
        (
            "cron(0 2 ? * ? *)",
            "cron(0 2 ? * ? *): exactly one of day-of-month and day-of-week must be ? (AWS rule)",
        ),
        (
            "cron(0 2 * * ? 2026)",
            "cron(0 2 * * ? 2026): year field '2026' makes the schedule stop; only * can be judged",
        ),
        (
            "cron(0 2 * *)",
            "cron(0 2 * *): AWS cron takes 6 fields (minute hour day-of-month month day-of-week year), found 4",
        ),
        ("cron(61 2 * * ? *)", "cron(61 2 * * ? *): minute field '61' is not valid"),
        ("cron(0 24 * * ? *)", "cron(0 24 * * ? *): hour field '24' is not valid"),
        ("cron(0 2 ? * 8 *)", "cron(0 2 ? * 8 *): day-of-week '8' is not 1-7 or SUN-SAT"),
        ("cron(0 2 ? * FRI-MON *)", "cron(0 2 ? * FRI-MON *): day-of-week range 'FRI-MON' runs backwards"),
        ("cron(0 2 31 2 ? *)", "cron(0 2 31 2 ? *): never runs"),
        ("rate(0 hours)", "rate(0 hours): rate takes a positive number of minutes, hours or days"),
        ("rate(5 weeks)", "rate(5 weeks): rate takes a positive number of minutes, hours or days"),
        ("rate(1 hours)", "rate(1 hours): AWS wants the singular unit for 1 and the plural otherwise"),
        ("rate(2 hour)", "rate(2 hour): AWS wants the singular unit for 1 and the plural otherwise"),
        ("daily", "'daily' is not an AWS schedule expression (cron(...) or rate(...))"),
    ],
)
def test_longest_gap__refuses_what_it_cannot_judge(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError) as err:
        longest_gap(expression)
    assert str(err.value) == message


def test_judge__counts_runs_a_year() -> None:
    assert judge("cron(0 5 * * ? *)").runs_per_year == pytest.approx(365.2425)
    assert judge("cron(0 * * * ? *)").runs_per_year == pytest.approx(365.2425 * 24)
    assert judge("cron(0 2 ? * MON-FRI *)").runs_per_year == pytest.approx(365.2425 * 5 / 7)


@pytest.mark.parametrize(
    ("expression", "gap"),
    [
        ("0 2 * * 1-5", 3 * D),
        ("0 2 1 * 1", 7 * D),  # both day fields restricted: the 1st OR any Monday
        ("0 2 1 * *", 31 * D),
        ("*/30 * * * *", timedelta(minutes=30)),
        ("@daily", D),
        ("@weekly", 7 * D),
    ],
)
def test_longest_gap_kubernetes(expression: str, gap: timedelta) -> None:
    assert longest_gap_kubernetes(expression) == gap


@pytest.mark.parametrize(
    ("frequency", "start", "expression"),
    [
        ("1h", None, "cron(0 * * * ? *)"),
        ("90m", None, "cron(0 * * * ? *)"),
        ("2h", None, "cron(0 1/2 * * ? *)"),
        ("5h", None, "cron(0 1/4 * * ? *)"),
        ("6h", None, "cron(0 5/6 * * ? *)"),
        ("6h", StartTime(2, 0), "cron(0 2/6 * * ? *)"),
        ("1d", None, "cron(0 5 * * ? *)"),
        ("1d", StartTime(2, 30), "cron(30 2 * * ? *)"),
        ("36h", None, "cron(0 5 * * ? *)"),
        ("2d", None, "cron(0 5 1/2 * ? *)"),
        ("1w", None, "cron(0 5 ? * SUN *)"),
        ("1w", StartTime(3, 0, "MON"), "cron(0 3 ? * MON *)"),
        ("10d", None, "cron(0 5 1/10 * ? *)"),
        ("31d", None, "cron(0 5 1 * ? *)"),
        ("60d", None, "cron(0 5 1 * ? *)"),
        ("90d", None, "cron(0 5 1 1/2 ? *)"),
        ("1y", None, "cron(0 5 1 1/6 ? *)"),
        ("2y", None, "cron(0 5 1 1 ? *)"),
    ],
)
def test_schedule_for__cheapest_schedule_within_the_frequency(
    frequency: str, start: StartTime | None, expression: str
) -> None:
    chosen = schedule_for(parse_duration(frequency), start)
    assert chosen == expression
    assert longest_gap(chosen) <= parse_duration(frequency).timedelta


@pytest.mark.parametrize(
    "frequency", ["1h", "3h", "7h", "11h", "13h", "1d", "3d", "9d", "27d", "29d", "45d", "100d"]
)
def test_schedule_for__never_exceeds_the_frequency(frequency: str) -> None:
    duration = parse_duration(frequency)
    assert longest_gap(schedule_for(duration)) <= duration.timedelta
    assert longest_gap_kubernetes(kubernetes_schedule_for(duration)) <= duration.timedelta


def test_schedule_for__refuses_what_aws_backup_cannot_schedule() -> None:
    with pytest.raises(ScheduleError) as err:
        schedule_for(parse_duration("30m"))
    assert str(err.value) == (
        "30m is more often than AWS Backup can schedule (hourly at most); use continuous backup"
    )


def test_kubernetes_schedule_for__same_runs_as_aws() -> None:
    assert kubernetes_schedule_for(parse_duration("1w"), StartTime(2, 0, "SUN")) == "0 2 * * 0"
    assert kubernetes_schedule_for(parse_duration("6h")) == "0 5/6 * * *"


@pytest.mark.parametrize(
    ("frequency", "start", "expression", "gap"),
    [
        ("30m", None, "*/30 * * * *", timedelta(minutes=30)),
        ("22m", None, "*/20 * * * *", timedelta(minutes=20)),
        ("20m", StartTime(2, 5), "5/20 * * * *", timedelta(minutes=20)),
        ("14m", None, "*/12 * * * *", timedelta(minutes=12)),
        ("7m", None, "*/6 * * * *", timedelta(minutes=6)),
        ("1m", StartTime(2, 5), "* * * * *", timedelta(minutes=1)),
    ],
)
def test_kubernetes_schedule_for__under_an_hour_every_n_minutes_dividing_the_hour(
    frequency: str, start: StartTime | None, expression: str, gap: timedelta
) -> None:
    # A CronJob, unlike AWS Backup, runs as often as once a minute; n divides the hour so every
    # gap is the same, also across the hour.
    chosen = kubernetes_schedule_for(parse_duration(frequency), start)
    assert chosen == expression
    assert longest_gap_kubernetes(chosen) == gap


def test_kubernetes_schedule_for__refuses_continuous() -> None:
    with pytest.raises(ScheduleError) as err:
        kubernetes_schedule_for(parse_frequency("continuous"))
    assert str(err.value) == "continuous is more often than a backup job can run (once a minute)"
