"""backup-vault-require-compliance-lock: the plan's vaults are locked in compliance mode for its retention.

A stack policy: a vault and its ``aws:backup/vaultLockConfiguration`` are separate resources,
joined on the lock's ``backupVaultName`` depending on the vault (the name may be unknown during
preview). Compliance mode is the lock with ``changeableForDays`` (after that cooling-off nobody,
not even the account root, can shorten it). Its ``minRetentionDays`` is the shortest retention
of the plan's rules (``derive(plan).vault_lock``): less lets a recovery point go early, more makes
the vault refuse the recovery points of that rule; a ``maxRetentionDays`` below the longest
rule refuses that rule's points too.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.support import (
    BACKUP_VAULT,
    BACKUP_VAULT_LOCK,
    TAG_SERVICE,
    StackPolicy,
    days,
    not_applicable,
    number,
    seen,
    stack_view,
)

NAME = "backup-vault-require-compliance-lock"
DESCRIPTION = "AWS Backup vaults of the plan have a compliance-mode lock whose retention matches the plan."


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    view = stack_view(args)
    lock = view.ctx.settings.vault_lock
    if lock is None:
        not_applicable(args, "the plan backs nothing up with AWS Backup")
    required = lock.min_retention_days
    wanted = f"plan {lock.source} keeps {days(required)}"
    longest = max(view.ctx.settings.backup_rules, key=lambda r: r.delete_after_days)
    vaults = view.tagged(BACKUP_VAULT)
    if not vaults:
        report(
            f'no {BACKUP_VAULT} tagged {TAG_SERVICE} "{view.ctx.plan.service}" in this stack; {wanted} '
            "in a compliance-locked vault",
            None,
        )
    for vault, _ in vaults:
        locks = view.dependents(vault, "backupVaultName", [BACKUP_VAULT_LOCK])
        if not locks:
            report(
                f"no {BACKUP_VAULT_LOCK} depends on this vault's name; {wanted} under a compliance lock",
                vault.urn,
            )
        for config in locks:
            if config.props.get("changeableForDays") is None:
                report(
                    "changeableForDays is not set, so the lock is in governance mode and can be removed; "
                    f"{wanted} under a compliance lock",
                    config.urn,
                )
            minimum = config.props.get("minRetentionDays")
            floor = number(minimum)
            if floor is None or floor < required:
                report(f"{seen('minRetentionDays', minimum, 'days')}; {wanted}", config.urn)
            elif floor > required:
                report(
                    f"{seen('minRetentionDays', minimum, 'days')}; {wanted}, so the vault would refuse its "
                    "recovery points",
                    config.urn,
                )
            maximum = config.props.get("maxRetentionDays")
            ceiling = number(maximum)
            if maximum is not None and (ceiling is None or ceiling < longest.delete_after_days):
                report(
                    f"{seen('maxRetentionDays', maximum, 'days')}; plan rule {longest.rule_name} "
                    f"({longest.source}) keeps {days(longest.delete_after_days)}, so the vault would "
                    "refuse its recovery points",
                    config.urn,
                )


POLICY = StackPolicy(
    name=NAME,
    description=DESCRIPTION,
    resource_types=[BACKUP_VAULT],
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
)
