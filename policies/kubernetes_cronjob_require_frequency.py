"""kubernetes-cronjob-require-frequency: in-cluster data is dumped at least as often as the plan's frequency.

A kubernetes data item is backed up by a CronJob labelled ``continuity.data-item`` whose
``spec.schedule`` must never leave more than the item's ``frequency`` between two runs, judged
exactly by ``continuity.schedule.longest_gap_kubernetes`` (five fields as Kubernetes reads them;
a weekday-only cron has its weekend gap) in the job's ``spec.timeZone`` (a zone with daylight
saving adds an hour), and with its deadlines must not leave more at risk (gap +
startingDeadlineSeconds + activeDeadlineSeconds, continuity/exposure.py) than the plan's own job,
which runs more often than the frequency where that is what keeps the tier's RPO. A suspended job
never runs. A schedule that cannot be judged is reported with the reason, never guessed at.
Items without a CronJob: kubernetes-cronjob-require-coverage.
"""

from __future__ import annotations

from datetime import timedelta

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from continuity.exposure import declared_at_risk
from continuity.schedule import ScheduleError
from policies.support import (
    K8S_CRON_JOB,
    ResourcePolicy,
    cron_job_gap,
    cron_job_subject,
    gap,
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
        return
    job = next(j for j in subject.ctx.settings.cron_jobs if j.data_item == subject.name)
    allowed = declared_at_risk(job.longest_gap, job.starting_deadline_seconds, job.active_deadline_seconds)
    start = spec.get("startingDeadlineSeconds")
    active = mapping(mapping(spec.get("jobTemplate")).get("spec")).get("activeDeadlineSeconds")
    at_risk = declared_at_risk(delta, start, active)
    if at_risk > allowed:
        risk = (
            "without bound (a deadline is not set)"
            if at_risk == float("inf")
            else f"up to {gap(timedelta(seconds=at_risk))}"
        )
        report(
            f"spec.schedule {show(schedule)} (up to {shown} apart) with startingDeadlineSeconds "
            f"{show(start)} and activeDeadlineSeconds {show(active)} leaves {risk} at risk; "
            f"{subject.label} allows {gap(timedelta(seconds=allowed))} ({job.schedule}, the plan's job)",
            None,
        )


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_CRON_JOB],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
