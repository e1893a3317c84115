"""backup-restoretesting-require-frequency: restore tests at least as often as the plan asks.

A restore testing plan tagged with a data item must run often enough that a restore test of the
item is never older than `testing.restore_test`: its ``scheduleExpression``'s longest gap, judged
exactly by ``continuity.schedule.longest_gap`` in its ``scheduleExpressionTimezone`` (a zone with
daylight saving adds an hour), is at most that. A schedule that cannot be judged is reported with
the reason.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.schedule import ScheduleError
from policies.support import ResourcePolicy, data_subject, schedule_gap

NAME = "backup-restoretesting-require-frequency"
DESCRIPTION = "AWS Backup restore testing plans test their item at least as often as testing.restore_test."
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = data_subject(args, ["rds", "s3"])
    every = subject.ctx.plan.testing.restore_test
    wanted = f"{subject.label} needs a restore test at least every {every} (testing.restore_test)"
    schedule = args.props.get("scheduleExpression")
    if schedule is None:
        report(f"scheduleExpression is not set; {wanted}", None)
        return
    zone = args.props.get("scheduleExpressionTimezone")
    timing = {"schedule": schedule, "scheduleExpressionTimezone": zone}
    try:
        delta, shown = schedule_gap(timing)
    except ScheduleError as err:
        report(f"scheduleExpression cannot be judged: {err}; {wanted}", None)
        return
    if delta > every.timedelta:
        report(f"scheduleExpression {schedule} leaves up to {shown} between restore tests; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RESTORE_TESTING_PLAN],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
)
