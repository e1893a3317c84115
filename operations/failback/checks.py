"""Pure failback decisions: what to re-create where, where each database stands, what is left.

After a failover the DR instance is the writable database and the old primary (if the region came
back with it) is a stale copy under the name the primary stack manages. Failback keeps that name
for the new primary, so the primary stack's identifiers, alarms and the applications' endpoint
(``<identifier>.<account hash>.<region>.rds.amazonaws.com``) stay the same: it renames the old
primary out of the way (``<identifier>-old-<UTC time>``; renaming deletes nothing and keeps its
protection and backups), creates a cross-region read replica of the DR instance under the freed
name, tagged ``continuity:failback-source = <DR instance DbiResourceId>``, and promotes it once it
has caught up. The tag tells the new primary from the old one on every later run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from continuity import tags
from continuity.outputs import DatabaseTarget, Inventory, Promotion
from continuity.plan import Plan
from operations.aws import arn_account
from operations.cloudwatch import LagReading
from operations.ecs import ScalableTargetView, ServiceView
from operations.rds import FAILBACK_SOURCE_TAG, IDENTIFIER_MAX, InstanceView, changes_for
from operations.route53 import HealthCheckView
from operations.runbook import PROMOTED_KEY, PlannedAction
from operations.stack_outputs import config_set_command

RETIRED_INFIX = "-old-"
# A ReplicaLag datapoint is a one-minute aggregate: one stamped up to a minute before the replica
# existed can still describe it.
LAG_FRESHNESS = timedelta(minutes=1)


@dataclass(frozen=True)
class FailbackTarget:
    """One database to bring back to the primary region."""

    data_item: str
    tier: str
    dr_identifier: str  # the promoted (or restored) DR instance: the source
    dr_arn: str
    identifier: str  # the new primary: the name the primary stack manages
    arn: str
    subnet_group: str | None
    security_group_ids: list[str]
    instance_class: str
    kms_key_id: str
    backup_retention_days: int
    multi_az: bool
    deletion_protection: bool
    rpo_seconds: int

    def as_promotion_target(self) -> DatabaseTarget:
        """The same promotion the failover makes, of the replica in the primary region."""
        return DatabaseTarget(
            data_item=self.data_item,
            tier=self.tier,
            mode="replica",
            identifier=self.identifier,
            source_identifier=self.dr_identifier,
            source_arn=self.dr_arn,
            replica_arn=self.arn,
            backup_retention_days=self.backup_retention_days,
            multi_az=self.multi_az,
            deletion_protection=self.deletion_protection,
            rpo_seconds=self.rpo_seconds,
        )


def failback_targets(promotion: Promotion, inventory: Inventory, plan: Plan) -> list[FailbackTarget]:
    account = arn_account(inventory.primary.vault_arn) or "unknown"
    partition = inventory.primary.vault_arn.split(":", 2)[1] or "aws"
    targets = []
    for db in promotion.databases:
        item = db.data_item
        identifier = inventory.primary.db_instance_identifiers.get(item, db.source_identifier)
        security_group = inventory.primary.db_security_group_ids.get(item)
        targets.append(
            FailbackTarget(
                data_item=item,
                tier=db.tier,
                dr_identifier=db.identifier,
                dr_arn=db.replica_arn
                or f"arn:{partition}:rds:{promotion.dr_region}:{account}:db:{db.identifier}",
                identifier=identifier,
                arn=f"arn:{partition}:rds:{promotion.primary_region}:{account}:db:{identifier}",
                subnet_group=inventory.primary.db_subnet_group_names.get(item),
                security_group_ids=[security_group] if security_group else [],
                instance_class=inventory.db_instance_class,
                kms_key_id=inventory.primary.kms_key_arn,
                backup_retention_days=db.backup_retention_days,
                multi_az=db.multi_az,
                deletion_protection=db.deletion_protection,
                rpo_seconds=plan.rpo_of(plan.data[item]).seconds if item in plan.data else db.rpo_seconds,
            )
        )
    return targets


def replica_tags(plan: Plan, target: FailbackTarget, source_resource_id: str) -> dict[str, str]:
    """The primary stack's own tags for the item (so AWS Backup's selection picks it up once it is
    promoted), plus the failback marker."""
    found = (
        tags.data_tags(plan, "primary", target.data_item, active=True)
        if target.data_item in plan.data
        else {}
    )
    return {**found, FAILBACK_SOURCE_TAG: source_resource_id}


def retired_identifier(identifier: str, moment: datetime) -> str:
    """``<identifier>-old-<yyyymmddhhmm>`` within RDS's 63 characters."""
    suffix = f"{RETIRED_INFIX}{moment.strftime('%Y%m%d%H%M')}"
    return identifier[: IDENTIFIER_MAX - len(suffix)].rstrip("-") + suffix


# ---------------------------------------------------------------------------------------------
# Where each database stands


class Phase(Enum):
    OCCUPIED = "old primary in the way"  # rename it, then create the replica
    FREE = "no instance"  # create the replica
    BUSY_REPLICA = "replica, not available yet"
    REPLICA = "replica of the DR instance"  # catch up, then promote
    PROMOTING = "promoting"
    PROMOTED = "promoted"
    BROKEN = "broken"
    FOREIGN = "a replica of another instance"


@dataclass
class DatabaseState:
    target: FailbackTarget
    primary_region: str
    dr_region: str
    dr: InstanceView | None
    primary: InstanceView | None
    lag: LagReading | None = None

    @property
    def failed_over(self) -> bool:
        """The DR instance is the writable one: there is something to fail back."""
        return self.dr is not None and not self.dr.is_replica and not self.dr.broken

    def ours(self, view: InstanceView) -> bool:
        source = self.dr.dbi_resource_id if self.dr is not None else None
        tagged = source is not None and view.tags.get(FAILBACK_SOURCE_TAG) == source
        return tagged or view.replica_of(self.target.dr_arn, self.target.dr_identifier)

    @property
    def phase(self) -> Phase:
        view = self.primary
        if view is None:
            return Phase.FREE
        if not self.ours(view):
            if view.is_replica:
                return Phase.FOREIGN
            return Phase.BROKEN if view.broken else Phase.OCCUPIED
        if view.broken:
            return Phase.BROKEN
        if view.is_replica:
            return Phase.REPLICA if view.status == "available" else Phase.BUSY_REPLICA
        return Phase.PROMOTED if view.writable else Phase.PROMOTING

    @property
    def started(self) -> bool:
        """The new primary exists (the irreversible part: once promoted, DR's writes stop counting)."""
        return self.phase in (Phase.BUSY_REPLICA, Phase.REPLICA, Phase.PROMOTING, Phase.PROMOTED)

    @property
    def pending_changes(self) -> dict[str, object]:
        if self.primary is None or self.phase is not Phase.PROMOTED:
            return {}
        return changes_for(self.primary, self.target)

    @property
    def done(self) -> bool:
        return self.phase is Phase.PROMOTED and not self.pending_changes

    @property
    def problems(self) -> list[str]:
        t, name = self.target, f"database {self.target.data_item}"
        if self.dr is None:
            return [f"{name}: {t.dr_identifier} not found in {self.dr_region}"]
        if self.dr.broken:
            return [f"{name}: {t.dr_identifier} is {self.dr.status}; it cannot be copied back"]
        phase = self.phase
        if phase is Phase.FOREIGN:
            assert self.primary is not None
            return [
                f"{name}: {t.identifier} in {self.primary_region} is a read replica of "
                f"{self.primary.replica_source}, not of {t.dr_arn}"
            ]
        if phase is Phase.BROKEN:
            assert self.primary is not None
            who = "the new primary" if self.ours(self.primary) else "the old primary"
            return [f"{name}: {who} {t.identifier} is {self.primary.status}; rename or repair it by hand"]
        if phase in (Phase.FREE, Phase.OCCUPIED) and self.failed_over and self.dr.backup_retention < 1:
            return [
                f"{name}: {t.dr_identifier} keeps no automated backups (BackupRetentionPeriod 0); "
                "a read replica needs them"
            ]
        return []


def caught_up(lag: LagReading | None, created_at: datetime | None, rpo_seconds: int) -> tuple[bool, str]:
    """Whether the replica's lag is known, fresh (measured since it existed) and within the RPO."""
    if lag is None or lag.seconds is None:
        return False, f"lag unknown ({lag.note if lag else 'not read'})"
    if created_at is not None and lag.at is not None and lag.at < created_at - LAG_FRESHNESS:
        return False, "lag unknown (no datapoint since the replica was created)"
    if lag.seconds > rpo_seconds:
        return False, f"lag {lag.describe()}, above the RPO {rpo_seconds}s"
    return True, f"lag {lag.describe()}, within the RPO {rpo_seconds}s"


@dataclass
class ServiceState:
    name: str
    cluster: str
    service: str
    warm: int
    scalable_target: str | None
    view: ServiceView | None
    scaling: ScalableTargetView | None

    @property
    def done(self) -> bool:
        at_warm = self.view is not None and self.view.desired <= self.warm and self.view.steady_at(self.warm)
        return at_warm and (self.scaling is None or self.scaling.minimum <= self.warm)


@dataclass
class Assessment:
    read_at: datetime
    databases: list[DatabaseState]
    services: list[ServiceState]
    primary_check: HealthCheckView | None
    primary_check_id: str
    unknowns: list[str] = field(default_factory=list)

    @property
    def failed_over(self) -> bool:
        return any(d.failed_over for d in self.databases)

    @property
    def problems(self) -> list[str]:
        found = [p for d in self.databases for p in d.problems]
        over = [d.failed_over for d in self.databases]
        if any(over) and not all(over):
            names = ", ".join(d.target.dr_identifier for d in self.databases if not d.failed_over)
            found.append(f"only some databases failed over ({names} did not): finish the failover first")
        if not any(over) and self.primary_check is not None and self.primary_check.inverted:
            found.append(
                f"Route 53 health check {self.primary_check_id} (primary) is inverted but no DR database is "
                "promoted: finish the failover (promote_dr.py) or un-invert the check by hand"
            )
        for s in self.services:
            if s.view is None:
                found.append(f"service {s.name}: {s.service} not found in cluster {s.cluster}")
        return found

    @property
    def started(self) -> list[str]:
        found = [f"{d.target.identifier} is {d.phase.value}" for d in self.databases if d.started]
        return found

    @property
    def complete(self) -> bool:
        inverted = self.primary_check is not None and self.primary_check.inverted
        return all(d.done for d in self.databases) and not inverted and all(s.done for s in self.services)


# ---------------------------------------------------------------------------------------------
# What is left to do


def plan_actions(
    assessment: Assessment, *, stack: str, pulumi_available: bool, now: datetime, dr_region: str
) -> list[PlannedAction]:
    actions: list[PlannedAction] = []
    for d in assessment.databases:
        t, phase = d.target, d.phase
        if phase is Phase.OCCUPIED:
            retired = retired_identifier(t.identifier, now)
            actions.append(
                PlannedAction(
                    "replicate",
                    t.identifier,
                    f"modify_db_instance {t.identifier}: NewDBInstanceIdentifier={retired} (the old primary, "
                    "kept with its data and protection), wait until the name is free",
                    True,
                )
            )
        if phase in (Phase.OCCUPIED, Phase.FREE):
            actions.append(
                PlannedAction(
                    "replicate",
                    t.identifier,
                    f"create_db_instance_read_replica {t.identifier} of {t.dr_arn} ({t.instance_class}, "
                    f"KmsKeyId {t.kms_key_id}), wait until available",
                    True,
                )
            )
        elif phase is Phase.BUSY_REPLICA:
            actions.append(
                PlannedAction("replicate", t.identifier, f"wait for {t.identifier} to be available", False)
            )
        if phase in (Phase.OCCUPIED, Phase.FREE, Phase.BUSY_REPLICA, Phase.REPLICA):
            actions.append(
                PlannedAction(
                    "catchup",
                    t.identifier,
                    f"wait until {t.identifier}'s ReplicaLag is within {t.rpo_seconds}s",
                    False,
                )
            )
            actions.append(
                PlannedAction(
                    "promote",
                    t.identifier,
                    f"promote_read_replica {t.identifier} (BackupRetentionPeriod={t.backup_retention_days}), "
                    "wait until writable, then MultiAZ and DeletionProtection where the plan asks",
                    True,
                )
            )
        elif phase is Phase.PROMOTING:
            actions.append(
                PlannedAction("promote", t.identifier, f"wait for {t.identifier} to be writable", False)
            )
        elif d.pending_changes:
            changes = ", ".join(f"{k}={v}" for k, v in d.pending_changes.items())
            actions.append(
                PlannedAction("promote", t.identifier, f"modify_db_instance {t.identifier}: {changes}", True)
            )
    check = assessment.primary_check
    if check is not None and check.inverted:
        actions.append(
            PlannedAction(
                "route",
                assessment.primary_check_id,
                f"update_health_check {assessment.primary_check_id} (primary): Inverted=false, so DNS "
                "answers with the primary record again",
                True,
            )
        )
    actions.append(
        PlannedAction(
            "route", assessment.primary_check_id, "wait until the primary health check is healthy", False
        )
    )
    for s in assessment.services:
        if s.scaling is not None and s.scaling.minimum > s.warm:
            actions.append(
                PlannedAction(
                    "scale",
                    s.name,
                    f"register_scalable_target {s.scalable_target}: "
                    f"MinCapacity {s.scaling.minimum} -> {s.warm}",
                    True,
                )
            )
        if s.view is not None and s.view.desired > s.warm:
            actions.append(
                PlannedAction(
                    "scale",
                    s.name,
                    f"update_service {s.service} in {dr_region}: desiredCount {s.view.desired} -> {s.warm}",
                    True,
                )
            )
    command = config_set_command(stack, PROMOTED_KEY, "false")
    actions.append(
        PlannedAction(
            "record",
            stack,
            f"run `{command}`" if pulumi_available else f"print `{command}` (the Pulumi CLI is not on PATH)",
            False,
        )
    )
    return actions
