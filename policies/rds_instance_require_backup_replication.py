"""rds-instance-require-backup-replication: automated backups of copy_to_dr databases reach the DR region.

A stack policy of the DR stack (the replication is created in the DR region). An
``aws:rds/instanceAutomatedBackupsReplication`` carries no tags, so it is joined to its plan item
through the replica: its ``sourceDbInstanceArn`` is the primary instance's ARN, which is the
replica's ``replicateSourceDb``. Where the DR stack has no replica (backup-restore, or after a
promotion), each such item needs some replication in the stack, keeping enough days.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    RDS_BACKUP_REPLICATION,
    RDS_INSTANCE,
    TAG_DATA_ITEM,
    StackPolicy,
    data_label,
    days,
    not_applicable,
    number,
    seen,
    stack_view,
)

NAME = "rds-instance-require-backup-replication"
DESCRIPTION = (
    "In the DR stack, automated backups of every copy_to_dr database are replicated into the DR "
    "region for the plan's retention."
)
KIND = RDS_BACKUP_REPLICATION.rsplit(":", 1)[0]


def _shortfall(replication: PolicyResource, required: int, label: str) -> str | None:
    value = replication.props.get("retentionPeriod")
    kept = number(value)
    if value is None:
        return f"retentionPeriod is not set (AWS keeps 7 days); {label} keeps {days(required)}"
    if kept is None or kept < required:
        return f"{seen('retentionPeriod', value, 'days')}; {label} keeps {days(required)}"
    return None


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    if "dr" not in view.roles():
        not_applicable(args, "not the DR stack: automated backups are replicated into the DR region")
    wanted = {
        s.data_item: s.replicated_retention_days
        for s in view.ctx.settings.rds
        if s.copy_to_dr and s.replicated_retention_days is not None
    }
    if not wanted:
        not_applicable(args, "no rds item of the plan has copy_to_dr")
    replications = view.of_type(RDS_BACKUP_REPLICATION)
    by_source: dict[str, list[PolicyResource]] = {}
    for replication in replications:
        source = replication.props.get("sourceDbInstanceArn")
        by_source.setdefault(str(source), []).append(replication)
    joined: set[str] = set()
    unmatched_items: list[str] = []
    for name, required in wanted.items():
        item = view.ctx.plan.data[name]
        label = data_label(name, item)
        replicas = [
            r
            for r, tags in view.tagged(RDS_INSTANCE)
            if tags.get(TAG_DATA_ITEM) == name and r.props.get("replicateSourceDb")
        ]
        if not replicas:
            unmatched_items.append(name)
            continue
        for replica in replicas:
            source = str(replica.props.get("replicateSourceDb"))
            found = by_source.get(source, [])
            joined.add(source)
            if not found:
                report(
                    f"no {KIND} has sourceDbInstanceArn equal to this replica's replicateSourceDb; "
                    f"{label} has copy_to_dr true",
                    replica.urn,
                )
            for replication in found:
                shortfall = _shortfall(replication, required, label)
                if shortfall:
                    report(shortfall, replication.urn)
    # Without a replica there is nothing to join on: any replication not claimed by a replica
    # can serve the item, and the one keeping the most days speaks for it.
    spare = [r for r in replications if str(r.props.get("sourceDbInstanceArn")) not in joined]
    for name in unmatched_items:
        label = data_label(name, view.ctx.plan.data[name])
        required = wanted[name]
        if not spare:
            report(f"no {KIND} in this stack; {label} has copy_to_dr true", None)
            continue
        shortfalls = {r.urn: _shortfall(r, required, label) for r in spare}
        if all(shortfalls.values()):
            best = max(spare, key=lambda r: number(r.props.get("retentionPeriod")) or 0.0)
            report(str(shortfalls[best.urn]), best.urn)


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[RDS_INSTANCE, RDS_BACKUP_REPLICATION],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
