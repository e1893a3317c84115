"""CloudWatch for the operational scripts: a replica's lag, and an alarm's state.

``ReplicaLag`` (namespace AWS/RDS, per DB instance, in seconds) is the data a failover puts at
risk: writes the primary made that the replica had not applied yet. RDS stops publishing it once
a replica is promoted, so the newest datapoint of the last hours is also the lag *at* promotion,
which lets a re-run after a crash still report it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from operations.clock import format_seconds

LAG_WINDOW = timedelta(hours=3)  # 180 one-minute datapoints: within GetMetricStatistics' 1,440


@dataclass(frozen=True)
class LagReading:
    seconds: float | None  # None: unknown
    at: datetime | None  # the datapoint's time
    note: str

    def describe(self) -> str:
        if self.seconds is None:
            return f"unknown ({self.note})"
        return format_seconds(self.seconds) + (f" ({self.note})" if self.note else "")


def latest_lag(datapoints: Iterable[Mapping[str, Any]], now: datetime) -> LagReading:
    """The newest datapoint's maximum. RDS reports -1 (MySQL, MariaDB) when replication is not
    running, which says nothing about the data at risk."""
    points = sorted((p for p in datapoints if "Maximum" in p), key=lambda p: p["Timestamp"])
    if not points:
        return LagReading(None, None, f"no ReplicaLag datapoint in the last {LAG_WINDOW.seconds // 3600}h")
    newest = points[-1]
    value = float(newest["Maximum"])
    age = (now - newest["Timestamp"]).total_seconds()
    when = f"measured {max(0, round(age))}s ago" if age >= 120 else ""
    if value < 0:
        return LagReading(None, newest["Timestamp"], "ReplicaLag -1: replication was not running")
    return LagReading(value, newest["Timestamp"], when)


def replica_lag(cloudwatch: Any, identifier: str, now: datetime) -> LagReading:
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": identifier}],
        StartTime=now - LAG_WINDOW,
        # A minute past now: a datapoint stamped this minute is inside the window.
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    return latest_lag(answer.get("Datapoints") or [], now)


@dataclass(frozen=True)
class AlarmView:
    name: str
    state: str  # OK, ALARM, INSUFFICIENT_DATA
    since: datetime | None
    reason: str
    # How long the alarm takes to see a failure: Period x EvaluationPeriods of its metric
    # (DescribeAlarms; None for a composite alarm, which has neither).
    period_seconds: int | None = None
    evaluation_periods: int | None = None


def describe_alarm(cloudwatch: Any, name: str) -> AlarmView | None:
    answer = cloudwatch.describe_alarms(AlarmNames=[name])
    alarms = (answer.get("MetricAlarms") or []) + (answer.get("CompositeAlarms") or [])
    if not alarms:
        return None
    alarm = alarms[0]
    return AlarmView(
        name=alarm["AlarmName"],
        state=str(alarm.get("StateValue", "INSUFFICIENT_DATA")),
        since=alarm.get("StateUpdatedTimestamp"),
        reason=" ".join(str(alarm.get("StateReason", "")).split()),
        period_seconds=int(alarm["Period"]) if alarm.get("Period") else None,
        evaluation_periods=int(alarm["EvaluationPeriods"]) if alarm.get("EvaluationPeriods") else None,
    )
