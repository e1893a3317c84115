"""kubernetes-cronjob-require-target-bucket: a backup CronJob names the bucket its dumps go to.

The upload container of a backup CronJob copies each dump to ``s3://$BACKUP_BUCKET/<item>/``;
without that variable, or with it empty, every run fails after the dump and the item has no
backup at all. Some container of the job's pod (``containers`` or ``initContainers``) must set
``BACKUP_BUCKET`` to a non-empty ``value``, or take it ``valueFrom`` a ConfigMap or Secret (which
the pack cannot read); ``envFrom`` is not followed. The bucket's name is computed from the bucket
resource, so during a first preview it is unknown: the policy reads it through the SDK's proxy and
the SDK reports that it could not run, rather than passing it.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

from policies.support import (
    BACKUP_BUCKET_ENV,
    K8S_CRON_JOB,
    ResourcePolicy,
    cron_job_subject,
    has_key,
    items,
    mapping,
    seen,
)

NAME = "kubernetes-cronjob-require-target-bucket"
DESCRIPTION = f"Backup CronJobs name the S3 bucket their dumps go to ({BACKUP_BUCKET_ENV})."
POD = "spec.jobTemplate.spec.template.spec"


def _bucket_variables(props: Any) -> list[tuple[str, Any]]:
    """(property path, variable) of every ``BACKUP_BUCKET`` in the pod's containers; only the
    names are read here, so an unknown value elsewhere in the environment stops nothing."""
    pod = mapping(props.get("spec"))
    for key in ("jobTemplate", "spec", "template", "spec"):
        pod = mapping(pod.get(key))
    found = []
    for containers in ("containers", "initContainers"):
        for index, container in enumerate(items(pod.get(containers))):
            for position, entry in enumerate(items(mapping(container).get("env"))):
                variable = mapping(entry)
                if variable.get("name") == BACKUP_BUCKET_ENV:
                    found.append((f"{POD}.{containers}[{index}].env[{position}]", variable))
    return found


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    subject = cron_job_subject(args)
    wanted = f"{subject.label} keeps its dumps in its own S3 bucket"
    variables = _bucket_variables(args.props)
    if not variables:
        report(f"no container of {POD} sets {BACKUP_BUCKET_ENV}, so the dumps go nowhere; {wanted}", None)
        return
    shortfalls = []
    for where, variable in variables:
        if has_key(variable, "valueFrom") and not has_key(variable, "value"):
            return  # from a ConfigMap or Secret: named, if not readable here
        value = variable.get("value")  # unknown during a first preview: the SDK reports it
        if isinstance(value, str) and value.strip():
            return
        shortfalls.append(f"{seen(f'{where}.value', value)}, so the dumps go nowhere")
    report(f"{shortfalls[0]}; {wanted}", None)


POLICY = ResourcePolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[K8S_CRON_JOB],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
