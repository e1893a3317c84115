"""Pure failover decisions: are the outputs usable, where does each target stand, what is left to do.

Nothing here calls AWS. `steps.assess` reads the live state into an `Assessment`; this module
says what that state means (a replica still to promote, one already promoted by an earlier run,
an instance that is not the replica the outputs recorded) and which actions remain, so a re-run
after a crash or a failure does exactly what is left and nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from continuity.outputs import DatabaseTarget, KubernetesServiceTarget, Promotion, ServiceTarget
from operations.aws import arn_region
from operations.cloudwatch import LagReading
from operations.ecs import ScalableTargetView, ServiceView, resource_id_for
from operations.kubernetes import AutoscalerView, DeploymentView
from operations.rds import InstanceView, ReplicatedBackups, changes_for
from operations.route53 import HealthCheckView, RecordView, failover_record_problems
from operations.runbook import PROMOTED_KEY, PlannedAction
from operations.stack_outputs import config_set_command


def input_problems(promotion: Promotion) -> list[str]:
    """What makes the outputs unusable before anything is read from AWS (exit 2), one line each,
    named like `continuity.outputs` names fields."""
    p = promotion
    base = "outputs.promotion"
    problems = []
    if p.primary_region == p.dr_region:
        problems.append(f"{base}.dr_region: {p.dr_region} is also the primary region")
    for i, db in enumerate(p.databases):
        where = f"{base}.databases[{i}]"
        if arn_region(db.source_arn) not in (None, p.primary_region):
            problems.append(
                f"{where}.source_arn: {db.source_arn} is in {arn_region(db.source_arn)}, "
                f"not the primary region {p.primary_region}"
            )
        if db.mode == "replica" and db.replica_arn and arn_region(db.replica_arn) != p.dr_region:
            problems.append(
                f"{where}.replica_arn: {db.replica_arn} is in {arn_region(db.replica_arn)}, "
                f"not the DR region {p.dr_region}"
            )
        if (
            db.mode == "restore"
            and db.automated_backups_arn
            and arn_region(db.automated_backups_arn) != p.dr_region
        ):
            problems.append(
                f"{where}.automated_backups_arn: {db.automated_backups_arn} is in "
                f"{arn_region(db.automated_backups_arn)}, not the DR region {p.dr_region}"
            )
    for i, svc in enumerate(p.services):
        where = f"{base}.services[{i}]"
        if svc.compute != "ecs":
            problems.append(
                f"{where}.compute: {svc.compute} services are not scaled by this script (ecs only)"
            )
        expected = resource_id_for(svc.cluster, svc.service)
        if svc.scalable_target is not None and svc.scalable_target != expected:
            problems.append(f"{where}.scalable_target: {svc.scalable_target} is not {expected}")
    kubernetes = p.kubernetes.services if p.kubernetes is not None else []
    if not p.databases and not p.services and not kubernetes:
        problems.append(f"{base}: no databases and no services to fail over")
    return problems


# ---------------------------------------------------------------------------------------------
# Where each target stands


class Phase(Enum):
    MISSING = "missing"
    BROKEN = "broken"
    REPLICA = "read replica"  # to promote
    BUSY_REPLICA = (
        "read replica, busy"  # a replica that is not available (backing up, or promotion under way)
    )
    PROMOTING = "promoting"  # no longer a replica, not yet available
    PROMOTED = "promoted"
    NOT_RESTORED = "not restored yet"
    RESTORING = "restoring"
    RESTORED = "restored"
    FOREIGN = "not the recorded instance"


@dataclass
class DatabaseState:
    target: DatabaseTarget
    dr_region: str
    instance: InstanceView | None
    backups: ReplicatedBackups | None = None
    lag: LagReading | None = None

    @property
    def phase(self) -> Phase:
        view, t = self.instance, self.target
        if view is None:
            return Phase.NOT_RESTORED if t.mode == "restore" else Phase.MISSING
        if view.broken:
            return Phase.BROKEN
        if t.mode == "replica" and t.replica_arn and view.arn and view.arn != t.replica_arn:
            return Phase.FOREIGN
        if view.is_replica:
            if t.mode == "restore" or (
                view.replica_source is not None and not view.replica_of(t.source_arn, t.source_identifier)
            ):
                return Phase.FOREIGN
            return Phase.REPLICA if view.status == "available" else Phase.BUSY_REPLICA
        if t.mode == "restore":
            return Phase.RESTORED if view.writable else Phase.RESTORING
        return Phase.PROMOTED if view.writable else Phase.PROMOTING

    @property
    def problems(self) -> list[str]:
        """Evidence that this target cannot be failed over as recorded (preflight refuses)."""
        t, view, phase = self.target, self.instance, self.phase
        name = f"database {t.data_item}: {t.identifier}"
        if phase is Phase.MISSING:
            return [f"{name} not found in {self.dr_region}"]
        if phase is Phase.BROKEN:
            assert view is not None
            return [f"{name} is {view.status}; it cannot become writable by waiting"]
        if phase is Phase.FOREIGN:
            assert view is not None
            if t.replica_arn and view.arn != t.replica_arn:
                return [
                    f"{name} is {view.arn}, not the recorded {t.replica_arn} "
                    "(are these credentials for the account the outputs came from?)"
                ]
            if t.mode == "restore":
                return [
                    f"{name} exists and is a read replica; restore mode expected none or a restored instance"
                ]
            return [f"{name} is a read replica of {view.replica_source}, not of the recorded {t.source_arn}"]
        if phase is Phase.NOT_RESTORED:
            if self.backups is None:
                arn = t.automated_backups_arn
                return [f"{name}: replicated automated backups {arn} not found in {self.dr_region}"]
            if self.backups.latest is None:
                return [f"{name}: replicated backups {self.backups.arn} have no restorable time yet"]
        return []

    @property
    def started(self) -> bool:
        """Has the irreversible part begun (a promotion or a restore)?"""
        return self.phase in (Phase.PROMOTING, Phase.PROMOTED, Phase.RESTORING, Phase.RESTORED)

    @property
    def pending_changes(self) -> dict[str, object]:
        if self.instance is None:
            return {}
        return changes_for(self.instance, self.target)

    @property
    def done(self) -> bool:
        return self.phase in (Phase.PROMOTED, Phase.RESTORED) and not self.pending_changes


@dataclass
class ServiceState:
    target: ServiceTarget
    service: ServiceView | None
    scaling: ScalableTargetView | None
    scaling_checked: bool = True

    @property
    def problems(self) -> list[str]:
        t = self.target
        name = f"service {t.name}: {t.service} in cluster {t.cluster}"
        if self.service is None:
            return [f"{name} not found"]
        if self.service.status != "ACTIVE":
            return [f"{name} is {self.service.status}"]
        if t.scalable_target is not None and self.scaling_checked and self.scaling is None:
            return [f"service {t.name}: autoscaling target {t.scalable_target} is not registered"]
        return []

    @property
    def scaling_short(self) -> bool:
        return self.scaling is not None and self.scaling.minimum < self.target.full_desired_count

    @property
    def done(self) -> bool:
        view = self.service
        return view is not None and view.steady_at(self.target.full_desired_count) and not self.scaling_short


@dataclass
class KubernetesServiceState:
    target: KubernetesServiceTarget
    cluster: str
    deployment: DeploymentView | None
    autoscaler: AutoscalerView | None

    @property
    def problems(self) -> list[str]:
        t = self.target
        where = f"in cluster {self.cluster}"
        if self.deployment is None:
            return [f"service {t.name}: deployment {t.namespace}/{t.deployment} not found {where}"]
        if self.autoscaler is None:
            return [f"service {t.name}: autoscaler {t.namespace}/{t.autoscaler} not found {where}"]
        return []

    @property
    def scaling_short(self) -> bool:
        return self.autoscaler is not None and self.autoscaler.minimum < self.target.full_replicas

    @property
    def done(self) -> bool:
        view = self.deployment
        return view is not None and view.steady_at(self.target.full_replicas) and not self.scaling_short


@dataclass
class DnsState:
    record_name: str
    primary_health_check_id: str
    dr_health_check_id: str
    primary: HealthCheckView | None
    dr: HealthCheckView | None
    records: list[RecordView] | None
    unknowns: list[str] = field(default_factory=list)  # reads that failed: a control plane that is down

    @property
    def problems(self) -> list[str]:
        problems = []
        if self.primary is None and not self._unknown("primary"):
            problems.append(f"Route 53 health check {self.primary_health_check_id} (primary) not found")
        if self.dr is None and not self._unknown("dr"):
            problems.append(f"Route 53 health check {self.dr_health_check_id} (DR) not found")
        if self.records is not None:
            problems += failover_record_problems(self.records, self.record_name, self.primary_health_check_id)
        return problems

    def _unknown(self, which: str) -> bool:
        return any(u.startswith(which) for u in self.unknowns)

    @property
    def inverted(self) -> bool:
        return self.primary is not None and self.primary.inverted


@dataclass
class Assessment:
    read_at: datetime
    databases: list[DatabaseState]
    services: list[ServiceState]
    dns: DnsState
    kubernetes: list[KubernetesServiceState] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = [p for d in self.databases for p in d.problems]
        found += [p for s in self.services for p in s.problems]
        found += [p for k in self.kubernetes for p in k.problems]
        return found + self.dns.problems

    @property
    def unknowns(self) -> list[str]:
        lags = [
            f"replica lag of {d.target.identifier}: {d.lag.note}"
            for d in self.databases
            if d.lag is not None and d.lag.seconds is None and d.target.mode == "replica" and not d.started
        ]
        return self.dns.unknowns + lags

    @property
    def started(self) -> list[str]:
        """Irreversible steps an earlier run already took (the failover is under way)."""
        found = [f"{d.target.identifier} is {d.phase.value}" for d in self.databases if d.started]
        if self.dns.inverted:
            found.append(f"Route 53 health check {self.dns.primary_health_check_id} (primary) is inverted")
        return found

    @property
    def complete(self) -> bool:
        return (
            all(d.done for d in self.databases)
            and all(s.done for s in self.services)
            and all(k.done for k in self.kubernetes)
            and self.dns.inverted
        )


# ---------------------------------------------------------------------------------------------
# What is left to do


def _change_text(changes: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in changes.items())


def _database_actions(d: DatabaseState) -> list[PlannedAction]:
    t, phase, ident = d.target, d.phase, d.target.identifier
    actions = []
    if phase is Phase.REPLICA:
        actions.append(
            PlannedAction(
                "promote",
                ident,
                f"promote_read_replica {ident} (BackupRetentionPeriod={t.backup_retention_days}), "
                "wait until it is a writable standalone instance",
                True,
            )
        )
    elif phase is Phase.BUSY_REPLICA:
        assert d.instance is not None
        actions.append(
            PlannedAction(
                "promote",
                ident,
                f"wait for {ident} ({d.instance.status}); promote it if it is still a read replica "
                f"(BackupRetentionPeriod={t.backup_retention_days})",
                True,
            )
        )
    elif phase in (Phase.PROMOTING, Phase.RESTORING):
        actions.append(PlannedAction("promote", ident, f"wait for {ident} to become available", False))
    elif phase is Phase.NOT_RESTORED:
        latest = d.backups.latest.isoformat() if d.backups and d.backups.latest else "unknown"
        actions.append(
            PlannedAction(
                "promote",
                ident,
                f"restore_db_instance_to_point_in_time {ident} from {t.automated_backups_arn} "
                f"at the latest restorable time (now {latest}), wait until available",
                True,
            )
        )
    if phase in (Phase.REPLICA, Phase.BUSY_REPLICA):
        wanted = {
            k: True
            for k, on in (("MultiAZ", t.multi_az), ("DeletionProtection", t.deletion_protection))
            if on
        }
        if wanted:
            text = f"then modify_db_instance {ident}: {_change_text(wanted)} where off"
            actions.append(PlannedAction("promote", ident, text, True))
    elif d.pending_changes:
        text = f"modify_db_instance {ident}: {_change_text(d.pending_changes)} (ApplyImmediately)"
        actions.append(PlannedAction("promote", ident, text, True))
    return actions


def _service_actions(s: ServiceState) -> list[PlannedAction]:
    t = s.target
    full = t.full_desired_count
    actions = []
    if s.scaling is not None and s.scaling.minimum < full:
        actions.append(
            PlannedAction(
                "scale",
                t.name,
                f"register_scalable_target {t.scalable_target}: "
                f"MinCapacity {s.scaling.minimum} -> {full} (MaxCapacity {max(s.scaling.maximum, full)})",
                True,
            )
        )
    if s.service is not None and s.service.desired < full:
        text = f"update_service {t.service}: desiredCount {s.service.desired} -> {full}"
        actions.append(PlannedAction("scale", t.name, text, True))
    if not s.done:
        actions.append(
            PlannedAction("scale", t.name, f"wait until {t.service} runs {full} tasks, steady", False)
        )
    return actions


def _kubernetes_actions(k: KubernetesServiceState) -> list[PlannedAction]:
    t, full = k.target, k.target.full_replicas
    actions = []
    if k.autoscaler is not None and k.autoscaler.minimum < full:
        maximum = max(k.autoscaler.maximum, full)
        actions.append(
            PlannedAction(
                "scale",
                t.name,
                f"patch horizontalpodautoscaler {t.namespace}/{t.autoscaler} in {k.cluster}: "
                f"minReplicas {k.autoscaler.minimum} -> {full} (maxReplicas {maximum})",
                True,
            )
        )
    if k.deployment is not None and k.deployment.replicas < full:
        text = (
            f"patch deployments/scale {t.namespace}/{t.deployment} in {k.cluster}: "
            f"replicas {k.deployment.replicas} -> {full}"
        )
        actions.append(PlannedAction("scale", t.name, text, True))
    if not k.done:
        text = f"wait until {t.namespace}/{t.deployment} has {full} ready replicas"
        actions.append(PlannedAction("scale", t.name, text, False))
    return actions


def plan_actions(
    promotion: Promotion, assessment: Assessment, *, pulumi_available: bool
) -> list[PlannedAction]:
    """Everything left to do, in order; a complete failover leaves only the checks and the record."""
    actions = [a for d in assessment.databases for a in _database_actions(d)]
    actions += [a for s in assessment.services for a in _service_actions(s)]
    actions += [a for k in assessment.kubernetes for a in _kubernetes_actions(k)]
    dns = assessment.dns
    controls = promotion.dns.routing_controls
    if controls is not None:
        actions.append(
            PlannedAction(
                "route",
                controls.dr_arn,
                f"update_routing_control_states: {controls.dr_arn} On, {controls.primary_arn} Off, "
                f"through the first of {len(controls.cluster_endpoints)} ARC cluster endpoints that answers",
                True,
            )
        )
    elif not dns.inverted:
        actions.append(
            PlannedAction(
                "route",
                dns.primary_health_check_id,
                f"update_health_check {dns.primary_health_check_id} (primary): Inverted=true, so that "
                f"{dns.record_name} answers with the DR record",
                True,
            )
        )
    actions.append(
        PlannedAction(
            "route",
            dns.dr_health_check_id,
            f"wait until Route 53 health check {dns.dr_health_check_id} (DR) is healthy",
            False,
        )
    )
    command = config_set_command(promotion.stack, PROMOTED_KEY, "true")
    actions.append(
        PlannedAction(
            "record",
            promotion.stack,
            f"run `{command}`" if pulumi_available else f"print `{command}` (the Pulumi CLI is not on PATH)",
            False,
        )
    )
    return actions
