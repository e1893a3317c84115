"""kubernetes-cronjob-disallow-concurrent-runs: a backup CronJob runs one dump at a time.

With ``concurrencyPolicy: Forbid`` a dump still running when the next is due finishes, and the
next run is skipped. ``Allow`` (the default) starts a second dump beside it, doubling the load on
the data being dumped; ``Replace`` cancels the running dump, so a dump that takes longer than the
schedule's interval never completes. The plan does not spell this out: advisory.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import K8S_CRON_JOB, ResourcePolicy, cron_job_subject, mapping, seen

NAME = "kubernetes-cronjob-disallow-concurrent-runs"
DESCRIPTION = (
    "Backup CronJobs forbid concurrent runs (concurrencyPolicy Forbid): a late dump is neither "
    "doubled nor cancelled."
)
# What each setting does to a dump still running when the next run is due.
EFFECTS = {
    "Allow": "gets a second dump beside it",
    "Replace": "is cancelled, so one that takes longer than the interval never completes",
}


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = cron_job_subject(args)
    value = mapping(args.props.get("spec")).get("concurrencyPolicy")
    if value == "Forbid":
        return
    shown = (
        "spec.concurrencyPolicy is not set (Allow)"
        if value is None
        else seen("spec.concurrencyPolicy", value)
    )
    effect = EFFECTS.get(str(value or "Allow"))
    if effect is None:
        report(f"{shown}; Kubernetes takes Allow, Forbid or Replace, and {subject.label} wants Forbid", None)
        return
    report(f"{shown}; a dump of {subject.label} still running when the next is due {effect}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_CRON_JOB],
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)
