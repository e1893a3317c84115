"""kubernetes-cronjob-require-frequency: in-cluster data is dumped at least as often as the plan's frequency.

A kubernetes data item is backed up by a CronJob labelled ``continuity.data-item`` whose
``spec.schedule`` must never leave more than the item's ``frequency`` between two runs, judged
exactly by ``continuity.schedule.longest_gap_kubernetes`` (five fields as Kubernetes reads them;
a weekday-only cron has its weekend gap) in the job's ``spec.timeZone`` (a zone with daylight
saving adds an hour). A suspended job never runs. A schedule that cannot be judged is reported
with the reason, never guessed at. Items without a CronJob: kubernetes-cronjob-require-coverage.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.schedule import ScheduleError
from policies.support import (
    K8S_CRON_JOB,
    ResourcePolicy,
    cron_job_gap,
    cron_job_subject,
    mapping,
    show,
)

NAME = "kubernetes-cronjob-require-frequency"
DESCRIPTION = "Backup CronJobs dump their data item at least as often as the plan's frequency."


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = cron_job_subject(args)
    item = subject.item
    wanted = f"{subject.label} needs a backup at least every {item.frequency}"
    spec = mapping(args.props.get("spec"))
    if spec.get("suspend") is True:
        report(f"spec.suspend is true, so the job never runs; {wanted}", None)
        return
    schedule = spec.get("schedule")
    if not schedule:
        report(f"spec.schedule is {show(schedule)}, so the job never runs; {wanted}", None)
        return
    try:
        delta, shown = cron_job_gap(spec)
    except ScheduleError as err:
        report(f"spec.schedule cannot be judged: {err}; {wanted}", None)
        return
    if delta > item.frequency.timedelta:
        report(f"spec.schedule {show(schedule)} leaves up to {shown} between backups; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_CRON_JOB],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
