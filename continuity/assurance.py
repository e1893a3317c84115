"""What AWS's own resilience services get from the plan: pure functions, no Pulumi, no boto3.

The same plan that builds the stacks configures the services that assure it continuously and run
the failover inside AWS: AWS Backup Audit Manager controls per data item, AWS Resilience Hub
resiliency policies per tier, the ARC Region switch plan that performs ``promote_dr.py``'s
failover, AWS FIS experiment templates for the seeds' drills, and who hears when the plan breaks.
The components declare these settings, the policy pack judges stacks against them, and the tests
pin them per example plan, so a renamed control or a wrong threshold fails a test.

Every name and limit below is AWS's, cited beside it. A setting AWS cannot express for the plan
(a backup less often than a control can require, say) is not rounded away silently: it is left
out and listed in ``omitted`` with the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from continuity import tags
from continuity.derive import BackupRule, CronJobSettings, Settings, derive
from continuity.durations import Duration, describe_seconds
from continuity.plan import S3_REPLICATION_TIME, Plan


class AssuranceError(ValueError):
    """The plan asks for more than AWS's managed services can hold; the message says what."""


@dataclass(frozen=True)
class Omitted:
    """A setting left out because AWS cannot express it for this plan item."""

    item: str
    what: str
    reason: str


# ---------------------------------------------------------------------------------------------
# AWS Backup Audit Manager
#
# Control names and their parameters are the documented ones: AWS Backup Developer Guide,
# "Choosing your controls", "Controls and remediation" and "Creating frameworks using the AWS
# Backup API". Each control deploys the AWS Config managed rule of the same identifier, whose
# parameter names the guide's samples leave implicit (AWS Config Developer Guide,
# backup-plan-min-frequency-and-min-retention-check, backup-recovery-point-minimum-retention-check,
# rds-resources-protected-by-backup-plan, rds-last-backup-recovery-point-created).

PLAN_FREQUENCY_AND_RETENTION = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
RECOVERY_POINT_RETENTION = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"
PROTECTED_BY_PLAN = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"
PROTECTED_BY_VAULT_LOCK = "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"
PROTECTED_CROSS_REGION = "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"
LAST_RECOVERY_POINT = "BACKUP_LAST_RECOVERY_POINT_CREATED"

# The parameters each control takes, by their documented names.
CONTROL_PARAMETERS: dict[str, tuple[str, ...]] = {
    PLAN_FREQUENCY_AND_RETENTION: (
        "requiredFrequencyUnit",
        "requiredFrequencyValue",
        "requiredRetentionDays",
    ),
    RECOVERY_POINT_RETENTION: ("requiredRetentionDays",),
    PROTECTED_BY_PLAN: (),
    PROTECTED_BY_VAULT_LOCK: ("minRetentionDays", "maxRetentionDays"),
    PROTECTED_CROSS_REGION: ("crossRegionList",),
    LAST_RECOVERY_POINT: ("recoveryPointAgeUnit", "recoveryPointAgeValue"),
}

# AWS Backup quotas ("AWS Backup quotas"): 50 controls per account per Region, a control used
# in two frameworks counting twice; 10 frameworks per account per Region.
CONTROLS_PER_ACCOUNT_REGION = 50
# requiredFrequencyValue: "Maximum of 24 for hours, 31 for days" (backup-plan-min-frequency-and-
# min-retention-check); units are "hours" or "days".
FREQUENCY_MAX_HOURS = 24
FREQUENCY_MAX_DAYS = 31
# Last recovery point was created: "Values of hours can range from 1 to 744" (days 1 to 31).
RECOVERY_POINT_AGE_MAX_HOURS = 744
# Framework and report plan names: 1-256 characters, a letter then letters, digits, underscores
# (CreateFramework FrameworkName, CreateReportPlan ReportPlanName).
_BACKUP_NAME = re.compile(r"^[a-zA-Z][_a-zA-Z0-9]{0,255}$")
# FrameworkDescription and ReportPlanDescription: at most 1,024 characters.
DESCRIPTION_MAX = 1024
# Audit Manager writes reports with this service-linked role ("Creating report plans"), which
# exists only once a report plan has run: policies name it through aws:PrincipalArn, since a
# policy naming a principal that does not exist yet is refused.
AUDIT_REPORTS_ROLE = "role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"


@dataclass(frozen=True)
class Control:
    """One framework control, scoped to one data item's resources by its continuity tag
    (a control scope takes a single tag key and value)."""

    name: str
    data_item: str
    parameters: tuple[tuple[str, str], ...]
    source: str  # the plan values this control's numbers come from

    @property
    def scope_tags(self) -> dict[str, str]:
        return {tags.DATA_ITEM: self.data_item}

    def parameter(self, name: str) -> str | None:
        return dict(self.parameters).get(name)


@dataclass(frozen=True)
class FrameworkSettings:
    """The Backup Audit Manager framework of one stack, and the report plan that delivers its
    compliance to a bucket."""

    name: str
    report_plan_name: str
    description: str
    controls: tuple[Control, ...]
    omitted: tuple[Omitted, ...] = ()

    def of_item(self, item: str) -> list[Control]:
        return [c for c in self.controls if c.data_item == item]


def backup_name(*parts: str) -> str:
    """A framework or report plan name: hyphens (which plan names use) become underscores."""
    name = "_".join(part.replace("-", "_") for part in parts)
    if not _BACKUP_NAME.match(name):
        raise AssuranceError(f"{name!r} is not a valid AWS Backup framework or report plan name")
    return name


def required_frequency(frequency: Duration, *, continuous: bool = False) -> tuple[str, int] | None:
    """(requiredFrequencyUnit, requiredFrequencyValue) no looser than a rule's frequency, or None
    when the control cannot express it (less often than every 31 days).

    Continuous backups still run on the hourly schedule AWS Backup requires of every rule
    (continuity.derive), so they are checked at one hour. Otherwise the frequency is rounded
    down to the control's units (hours up to 24, then days), so the control never accepts less
    than the plan asks."""
    if continuous or frequency.continuous:
        return ("hours", 1)
    if frequency.seconds <= FREQUENCY_MAX_HOURS * 3600:
        return ("hours", frequency.seconds // 3600)
    days = frequency.seconds // 86_400
    return ("days", days) if days <= FREQUENCY_MAX_DAYS else None


def exposure_budget_seconds(plan: Plan, item: str) -> int:
    """How far a replica may lag before the plan is broken, in seconds: the item's alarm threshold
    (``derive(plan).alarm_thresholds``, the tier's RPO), which the exposure model
    (continuity/exposure.py, ``read_replica``) also takes as the replica's bound. Every lag alarm
    and the policy judging it read this one function."""
    return derive(plan).alarm_thresholds[item]


def recovery_point_budget_seconds(plan: Plan, item: str) -> int:
    """How old the newest AWS Backup recovery point of an item can be while its backup rules run as
    derived, in seconds: the best of the item's ``backup:`` protections in the primary region
    (continuity/exposure.py: a scheduled rule's gap + start window + completion window, a
    continuous rule's log upload). The item's RPO when AWS Backup does not protect it.

    Not the RPO itself: an RDS item is held to its RPO by point-in-time recovery, which is no AWS
    Backup recovery point, so a daily rule beside it is correct while its points are a day old
    plus the job's windows; the exposure model, not this control, judges the RPO."""
    protections = derive(plan).exposures[item].primary.protections
    backups = [p.seconds for p in protections if p.key.startswith("backup:")]
    return min(backups) if backups else plan.rpo_of(plan.data[item]).seconds


def recovery_point_age(seconds: int) -> tuple[str, int] | None:
    """(recoveryPointAgeUnit, recoveryPointAgeValue) for an age budget: whole hours rounded up
    (the control counts whole hours, at least one), or None past the control's 744 hours. Days
    add nothing: 31 days is 744 hours."""
    hours = max(1, math.ceil(seconds / 3600))
    return ("hours", hours) if hours <= RECOVERY_POINT_AGE_MAX_HOURS else None


def _item_controls(
    plan: Plan, settings: Settings, name: str, rules: list[BackupRule], other_region: str, *, active: bool
) -> tuple[list[Control], list[Omitted]]:
    item = plan.data[name]
    controls: list[Control] = []
    omitted: list[Omitted] = []
    wanted: list[tuple[int, int, Control]] = []  # (period seconds, retention days, control)
    for rule in rules:
        archive = rule.rule_name == f"{name}-archive"
        if archive:
            assert item.archive is not None
            frequency = required_frequency(item.archive.frequency)
        else:
            # A continuous rule beside a schedule (derive adds one where the schedule alone would
            # risk more than the RPO) is judged as continuous, not at the item's frequency.
            frequency = required_frequency(item.frequency, continuous=rule.continuous)
        source = rule.source
        if frequency is None:
            omitted.append(
                Omitted(
                    name,
                    f"{PLAN_FREQUENCY_AND_RETENTION} for rule {rule.rule_name}",
                    f"a backup less often than every {FREQUENCY_MAX_DAYS} days cannot be required "
                    f"by the control ({source})",
                )
            )
            continue
        unit, value = frequency
        control = Control(
            PLAN_FREQUENCY_AND_RETENTION,
            name,
            (
                ("requiredFrequencyUnit", unit),
                ("requiredFrequencyValue", str(value)),
                ("requiredRetentionDays", str(rule.delete_after_days)),
            ),
            source,
        )
        wanted.append((value * (3600 if unit == "hours" else 86_400), rule.delete_after_days, control))
    # The control passes when the backup plan "has a backup rule that satisfies the required
    # frequency and retention period" (AWS Config Developer Guide,
    # backup-plan-min-frequency-and-min-retention-check): a requirement another one of the item's
    # implies (as often or more, kept as long or longer) adds nothing but a control against the
    # quota of 50.
    for i, (period, retention, control) in enumerate(wanted):
        implied = any(
            (p, r) != (period, retention) or j < i
            for j, (p, r, _) in enumerate(wanted)
            if j != i and p <= period and r >= retention
        )
        if not implied:
            controls.append(control)
    if not active:
        # A standby region's resources are not backed up until a failover (continuity:backup is
        # standby), so only its backup plans, ready for that moment, are judged.
        return controls, omitted
    shortest = min(rules, key=lambda r: r.delete_after_days)
    controls.append(
        Control(
            RECOVERY_POINT_RETENTION,
            name,
            (("requiredRetentionDays", str(shortest.delete_after_days)),),
            shortest.source,
        )
    )
    controls.append(Control(PROTECTED_BY_PLAN, name, (), f"data.{name} (store {item.store})"))
    if settings.vault_lock is not None:
        controls.append(
            Control(
                PROTECTED_BY_VAULT_LOCK,
                name,
                (("minRetentionDays", str(settings.vault_lock.min_retention_days)),),
                f"vault lock of {settings.vault_lock.source}",
            )
        )
    if item.copy_to_dr:
        controls.append(
            Control(
                PROTECTED_CROSS_REGION,
                name,
                (("crossRegionList", other_region),),
                f"data.{name}.copy_to_dr true",
            )
        )
    budget = recovery_point_budget_seconds(plan, name)
    age = recovery_point_age(budget)
    if age is None:
        omitted.append(
            Omitted(
                name,
                LAST_RECOVERY_POINT,
                f"recovery points up to {budget}s old exceed the control's "
                f"{RECOVERY_POINT_AGE_MAX_HOURS} hours",
            )
        )
    else:
        controls.append(
            Control(
                LAST_RECOVERY_POINT,
                name,
                (("recoveryPointAgeUnit", age[0]), ("recoveryPointAgeValue", str(age[1]))),
                f"data.{name}: newest recovery point at most {budget}s old "
                f"(tier {item.tier} RPO {plan.rpo_of(item)})",
            )
        )
    return controls, omitted


def framework_for(plan: Plan, role: str, *, promoted: bool = False) -> FrameworkSettings | None:
    """The framework a stack declares, or None when AWS Backup protects none of its data
    (in-cluster data is dumped by CronJobs, which the missed-schedule alarms watch instead).

    Raises AssuranceError when the controls exceed what one account and Region may run."""
    settings = derive(plan)
    by_item: dict[str, list[BackupRule]] = {}
    for rule in settings.backup_rules:
        by_item.setdefault(rule.data_item, []).append(rule)
    if not by_item:
        return None
    active = role == "primary" or promoted
    other = plan.regions.dr if role == "primary" else plan.regions.primary
    controls: list[Control] = []
    omitted: list[Omitted] = []
    for name, rules in by_item.items():
        found, left = _item_controls(plan, settings, name, rules, other, active=active)
        controls += found
        omitted += left
    if len(controls) > CONTROLS_PER_ACCOUNT_REGION:
        raise AssuranceError(
            f"{plan.service} {role}: {len(controls)} AWS Backup Audit Manager controls for "
            f"{len(by_item)} data items; an account runs at most {CONTROLS_PER_ACCOUNT_REGION} per Region"
        )
    description = (
        f"Continuity plan {plan.service} ({role}): every data item backed up, kept, locked and "
        "copied as the plan says"
    )[:DESCRIPTION_MAX]
    return FrameworkSettings(
        name=backup_name(plan.service, role, "continuity"),
        report_plan_name=backup_name(plan.service, role, "compliance"),
        description=description,
        controls=tuple(controls),
        omitted=tuple(omitted),
    )


# ---------------------------------------------------------------------------------------------
# AWS Resilience Hub resiliency policies
#
# CreateResiliencyPolicy (AWS Resilience Hub API Reference): policy maps each disruption type
# (Software, Hardware, AZ, Region) to rtoInSecs and rpoInSecs, integers of at least 0; tier is
# one of MissionCritical, Critical, Important, CoreServices, NonCritical, NotApplicable;
# policyName matches ^[A-Za-z0-9][A-Za-z0-9_\-]{1,59}$.

DISRUPTIONS = ("Software", "Hardware", "AZ", "Region")
# The business tiers, strictest first; CoreServices is for shared infrastructure, which a plan's
# business tiers are not.
RESILIENCE_HUB_TIERS = ("MissionCritical", "Critical", "Important")
RESILIENCE_HUB_LOWEST_TIER = "NonCritical"
_POLICY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,59}$")


@dataclass(frozen=True)
class ResiliencyPolicySettings:
    plan_tier: str
    name: str
    tier: str  # Resilience Hub's
    rto_seconds: int
    rpo_seconds: int
    source: str

    @property
    def disruptions(self) -> dict[str, tuple[int, int]]:
        """The tier's objectives hold whatever the disruption: the plan does not excuse any."""
        return {d: (self.rto_seconds, self.rpo_seconds) for d in DISRUPTIONS}


def resiliency_policies(plan: Plan) -> list[ResiliencyPolicySettings]:
    """One policy per plan tier. Resilience Hub's tier is the plan tier's rank by strictness
    (RTO, then RPO): the strictest MissionCritical, then Critical, Important, the rest
    NonCritical; tiers with the same objectives share a rank."""
    objectives = sorted(
        {(t.rto.seconds, t.rpo.seconds if t.rpo else t.rto.seconds) for t in plan.tiers.values()}
    )
    policies = []
    for name, tier in plan.tiers.items():
        # Resilience Hub needs an RPO for every disruption. A tier without one holds no data,
        # so any RPO is met: asking the RTO keeps the policy from demanding what the plan does not.
        rpo = tier.rpo.seconds if tier.rpo else tier.rto.seconds
        rank = objectives.index((tier.rto.seconds, rpo))
        policy_name = f"{plan.service}-{name}"
        if not _POLICY_NAME.match(policy_name):
            raise AssuranceError(f"{policy_name!r} is not a valid Resilience Hub policy name")
        policies.append(
            ResiliencyPolicySettings(
                plan_tier=name,
                name=policy_name,
                tier=RESILIENCE_HUB_TIERS[rank]
                if rank < len(RESILIENCE_HUB_TIERS)
                else RESILIENCE_HUB_LOWEST_TIER,
                rto_seconds=tier.rto.seconds,
                rpo_seconds=rpo,
                source=f"tiers.{name}: rto {tier.rto}, rpo {tier.rpo if tier.rpo else 'none (no data)'}",
            )
        )
    return policies


def go_duration(seconds: int) -> str:
    """A Go duration string (what the provider's rto/rpo fields take): whole seconds."""
    return f"{seconds}s"


_GO_UNITS = {"h": 3600, "m": 60, "s": 1}


def go_seconds(value: object) -> int | None:
    """Seconds of a Go duration of hours, minutes and seconds ("1800s", "24h", "1h30m"), or
    None for anything else (the provider sends nothing else for rto and rpo)."""
    if not isinstance(value, str) or not value:
        return None
    total, number = 0, ""
    for char in value:
        if char.isdigit():
            number += char
        elif char in _GO_UNITS and number:
            total, number = total + int(number) * _GO_UNITS[char], ""
        else:
            return None
    return None if number else total


# ---------------------------------------------------------------------------------------------
# ARC Region switch plan
#
# ARC Region switch API Reference: PlanName 1-32 characters [a-zA-Z0-9-], starting and ending
# with a letter or digit; recoveryTimeObjectiveMinutes 1-10,080; every timeoutMinutes at least
# 1; ECS and EC2 capacity steps name exactly two resources (one per Region of the plan), EKS
# steps at least two clusters.

PLAN_NAME_MAX = 32
_PLAN_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$")
RTO_MINUTES_MAX = 10_080

APPROVAL = "ManualApproval"
PARALLEL = "Parallel"
RDS_PROMOTE = "RdsPromoteReadReplica"
ECS_SCALING = "ECSServiceScaling"
EKS_SCALING = "EKSResourceScaling"
LAMBDA = "CustomActionLambda"
ROUTE53 = "Route53HealthCheck"

# Capacity steps match a percentage of the deactivating Region's running capacity, sampled over
# 24 hours: the primary runs capacity.primary, so 100% is capacity.primary ("Amazon ECS service
# scaling execution block": ceil(percentToMatch * source capacity)).
CAPACITY_TARGET_PERCENT = 100
ECS_CAPACITY_MONITORING = "sampledMaxInLast24Hours"
# The only approach the EKS block offers ("Amazon EKS resource scaling execution block").
EKS_CAPACITY_MONITORING = "sampledMaxInLast24Hours"
# Region switch supports apps/v1 Deployments for EKS scaling.
EKS_RESOURCE = ("apps/v1", "Deployment")
# The custom action re-runs the Lambda until it reports done: every minute, the finest the
# console offers, since a promotion takes minutes and each call is one describe per database.
LAMBDA_RETRY_MINUTES = 1.0
# The Lambda runs where the plan activates: the deactivating Region may be the one that failed.
LAMBDA_REGION = "activatingRegion"
# The associated alarm that can trigger the plan, and the state that does.
HEALTH_ALARM_KEY = "primary-health"
TRIGGER_CONDITION = "red"


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, at least one (Region switch timeouts count whole minutes)."""
    return max(1, math.ceil(seconds / 60))


@dataclass(frozen=True)
class SwitchStep:
    name: str
    block: str  # the execution block type
    timeout_minutes: int | None  # None for a Parallel block, whose children carry theirs
    target: str  # what it acts on: a data item, a service, or the whole plan
    source: str  # the plan values its timeout comes from
    children: tuple[SwitchStep, ...] = ()


@dataclass(frozen=True)
class RegionSwitchSettings:
    name: str
    primary_region: str
    dr_region: str
    recovery_time_objective_minutes: int
    steps: tuple[SwitchStep, ...]  # the workflow that activates the DR region, in order
    automatic: bool
    trigger_delay_minutes: int

    def flat(self) -> list[SwitchStep]:
        return [s for step in self.steps for s in (step, *step.children)]

    def step(self, name: str) -> SwitchStep:
        return next(s for s in self.flat() if s.name == name)


def region_switch_for(plan: Plan, *, eks: bool) -> RegionSwitchSettings:
    """The failover ``promote_dr.py`` performs, as a Region switch plan activating the DR region:
    approve (unless the plan fails over automatically), then at the same time promote each
    replica and scale each service to capacity.primary, then settle every database (the Lambda:
    plan retention and Multi-AZ on the promoted instance, or the restore under backup-restore),
    then move traffic. ``eks``: the Kubernetes services run on EKS (Region switch scales only
    EKS clusters)."""
    settings = derive(plan)
    name = f"{plan.service}-dr"
    if len(name) > PLAN_NAME_MAX or not _PLAN_NAME.match(name):
        raise AssuranceError(f"{name!r} is not a valid Region switch plan name")
    rto = settings.objectives.rto_seconds
    tier_rto = {n: t.rto for n, t in plan.tiers.items()}
    steps: list[SwitchStep] = []
    if not plan.automatic_failover:
        steps.append(
            SwitchStep(
                "approve",
                APPROVAL,
                minutes(rto),
                plan.service,
                f"strictest RTO {describe_seconds(rto)}",
            )
        )
    recover: list[SwitchStep] = []
    for rds in settings.rds:
        if rds.replica:
            recover.append(
                SwitchStep(
                    f"promote-{rds.data_item}",
                    RDS_PROMOTE,
                    minutes(tier_rto[rds.tier].seconds),
                    rds.data_item,
                    f"tier {rds.tier} RTO {tier_rto[rds.tier]}",
                )
            )
    for service in settings.services:
        if service.compute == "ecs" or eks:
            recover.append(
                SwitchStep(
                    f"scale-{service.name}",
                    ECS_SCALING if service.compute == "ecs" else EKS_SCALING,
                    minutes(service.rto.seconds),
                    service.name,
                    f"tier {service.tier} RTO {service.rto}",
                )
            )
    if len(recover) > 1:
        steps.append(SwitchStep("recover", PARALLEL, None, plan.service, "in parallel", tuple(recover)))
    else:
        steps += recover
    if settings.rds:
        strictest = min(settings.rds, key=lambda r: tier_rto[r.tier].seconds)
        steps.append(
            SwitchStep(
                "settle-databases",
                LAMBDA,
                minutes(tier_rto[strictest.tier].seconds),
                ",".join(r.data_item for r in settings.rds),
                f"tier {strictest.tier} RTO {tier_rto[strictest.tier]}",
            )
        )
    if settings.services:
        strictest_service = min(settings.services, key=lambda s: s.rto.seconds)
        steps.append(
            SwitchStep(
                "route-traffic",
                ROUTE53,
                minutes(strictest_service.rto.seconds),
                plan.service,
                f"tier {strictest_service.tier} RTO {strictest_service.rto}",
            )
        )
    return RegionSwitchSettings(
        name=name,
        primary_region=plan.regions.primary,
        dr_region=plan.regions.dr,
        recovery_time_objective_minutes=min(minutes(rto), RTO_MINUTES_MAX),
        steps=tuple(steps),
        automatic=plan.automatic_failover,
        # After a failover, no second one before the first could have finished.
        trigger_delay_minutes=minutes(rto),
    )


# ---------------------------------------------------------------------------------------------
# AWS FIS experiment templates
#
# AWS FIS actions reference: aws:network:disrupt-connectivity (targets aws:ec2:subnet, parameters
# scope and duration), aws:network:route-table-disrupt-cross-region-connectivity (aws:ec2:subnet;
# region, duration), aws:rds:reboot-db-instances (aws:rds:db; forceFailover),
# aws:s3:bucket-pause-replication (aws:s3:bucket, by tags only; duration, region). Durations are
# ISO 8601, from one minute to 12 hours.

EXPERIMENT_DURATION_MIN_SECONDS = 60
EXPERIMENT_DURATION_MAX_SECONDS = 12 * 3600
# FIS quotas ("Quotas and limitations"): five stop conditions per template; at most five subnets
# for disrupt-connectivity and six for route-table-disrupt-cross-region-connectivity.
STOP_CONDITIONS_MAX = 5

AZ_POWER = "az-power-interruption"
REGION_CONNECTIVITY = "region-connectivity-loss"
DATABASE_FAILOVER = "database-failover"


@dataclass(frozen=True)
class ExperimentAction:
    name: str
    action_id: str
    target: str  # the target's key in the template
    resource_type: str
    parameters: tuple[tuple[str, str], ...]
    # What the component resolves the target to: "zone-subnets" (the subnets of one AZ),
    # "private-subnets", "databases" (the primary instances), or "bucket:<item>" (by tags).
    selects: str


@dataclass(frozen=True)
class ExperimentSettings:
    name: str
    description: str
    duration: str
    actions: tuple[ExperimentAction, ...]
    # Which alarms stop it: "primary-health" and "replication:<item>".
    stop_alarms: tuple[str, ...]
    source: str
    omitted: tuple[Omitted, ...] = ()


def iso_duration(seconds: int) -> str:
    """ISO 8601 as FIS takes it, clamped to FIS's one minute to 12 hours."""
    bounded = min(max(seconds, EXPERIMENT_DURATION_MIN_SECONDS), EXPERIMENT_DURATION_MAX_SECONDS)
    whole_minutes = math.ceil(bounded / 60)
    hours, rest = divmod(whole_minutes, 60)
    return f"PT{hours}H{rest}M" if hours and rest else (f"PT{hours}H" if hours else f"PT{rest}M")


def experiments_for(plan: Plan) -> list[ExperimentSettings]:
    """The seeds' drills as FIS templates in the primary region: an AZ power interruption, the
    loss of connectivity to the primary region, and a database failover. Each fault lasts the
    plan's strictest RTO (within FIS's 12 hours): the time the plan gives the environment to
    recover from it."""
    settings = derive(plan)
    rto = settings.objectives.rto_seconds
    duration = iso_duration(rto)
    source = f"strictest RTO {describe_seconds(rto)}"
    has_services = bool(settings.services)
    health = ("primary-health",) if has_services else ()
    databases = settings.rds
    az_actions = [
        ExperimentAction(
            "disrupt-zone",
            "aws:network:disrupt-connectivity",
            "ZoneSubnets",
            "aws:ec2:subnet",
            (("scope", "all"), ("duration", duration)),
            "zone-subnets",
        )
    ]
    if databases:
        az_actions.append(
            ExperimentAction(
                "fail-over-databases",
                "aws:rds:reboot-db-instances",
                "Databases",
                "aws:rds:db",
                (("forceFailover", "true"),),
                "databases",
            )
        )
    experiments = [
        ExperimentSettings(
            AZ_POWER,
            f"{plan.service}: one availability zone of {plan.regions.primary} loses power for {duration}",
            duration,
            tuple(az_actions),
            health,
            source,
        )
    ]
    replicated = [b.data_item for b in settings.buckets if b.replicate_to_dr]
    connectivity = [
        ExperimentAction(
            "isolate-region",
            "aws:network:route-table-disrupt-cross-region-connectivity",
            "PrivateSubnets",
            "aws:ec2:subnet",
            (("region", plan.regions.dr), ("duration", duration)),
            "private-subnets",
        ),
        *(
            ExperimentAction(
                f"pause-replication-{item}",
                "aws:s3:bucket-pause-replication",
                f"Bucket-{item}",
                "aws:s3:bucket",
                (("region", plan.regions.dr), ("duration", duration)),
                f"bucket:{item}",
            )
            for item in replicated
        ),
    ]
    stops = (*health, *(f"replication:{item}" for item in replicated))
    experiments.append(
        ExperimentSettings(
            REGION_CONNECTIVITY,
            f"{plan.service}: {plan.regions.primary} loses connectivity to {plan.regions.dr} for {duration}",
            duration,
            tuple(connectivity),
            stops[:STOP_CONDITIONS_MAX],
            source,
            tuple(
                Omitted(
                    stop.split(":", 1)[-1],
                    f"stop condition {stop}",
                    f"a template takes at most {STOP_CONDITIONS_MAX} stop conditions",
                )
                for stop in stops[STOP_CONDITIONS_MAX:]
            ),
        )
    )
    if databases:
        experiments.append(
            ExperimentSettings(
                DATABASE_FAILOVER,
                f"{plan.service}: every primary database fails over to its standby in another zone",
                duration,
                (
                    ExperimentAction(
                        "fail-over-databases",
                        "aws:rds:reboot-db-instances",
                        "Databases",
                        "aws:rds:db",
                        (("forceFailover", "true"),),
                        "databases",
                    ),
                ),
                health,
                source,
            )
        )
    return experiments


# ---------------------------------------------------------------------------------------------
# Notifications: subscriptions, and the alarms for every way the plan can silently break

# SNS subscription protocols (Subscribe, AWS SNS API Reference).
EMAIL = "email"
HTTPS = "https"
# AWS Backup EventBridge events ("Monitoring AWS Backup events using Amazon EventBridge"): the
# job states that leave an item without its recovery point (BackupJobState, CopyJobState).
BACKUP_JOB_EVENT = "Backup Job State Change"
COPY_JOB_EVENT = "Copy Job State Change"
BACKUP_JOB_FAILED_STATES = ("FAILED", "EXPIRED", "ABORTED", "PARTIAL")
COPY_JOB_FAILED_STATES = ("FAILED", "PARTIAL")
# S3 Replication Time Control's threshold: replication metrics (ReplicationLatency, in seconds)
# are published per rule once RTC and metrics are enabled on it (components/bucket_replication.py
# enables both, event threshold 15 minutes).
REPLICATION_THRESHOLD_SECONDS = int(S3_REPLICATION_TIME.total_seconds())
# CloudWatch alarms: a period of 60 seconds or a multiple of it, and a whole evaluation of at most
# one day (PutMetricAlarm; "the total evaluation period can be no longer than one day").
ALARM_PERIOD_UNIT = 60
ALARM_EVALUATION_MAX_SECONDS = 86_400


@dataclass(frozen=True)
class Subscription:
    protocol: str
    endpoint: str


def subscriptions(plan: Plan) -> list[Subscription]:
    return [Subscription(EMAIL, e) for e in plan.notify.email] + [
        Subscription(HTTPS, w) for w in plan.notify.webhooks
    ]


def event_pattern(detail_type: str, states: tuple[str, ...]) -> dict[str, object]:
    return {"source": ["aws.backup"], "detail-type": [detail_type], "detail": {"state": list(states)}}


def replication_rule_id(item: str) -> str:
    """The replication rule of an item's bucket (components/bucket_replication.py names it so);
    S3's replication metrics carry it as the RuleId dimension."""
    return f"{item}-to-dr"


@dataclass(frozen=True)
class CronJobWatch:
    """A backup CronJob's uploads counted by S3 request metrics on its prefix: none within the
    window means the schedule was missed (or the job failed before uploading)."""

    data_item: str
    prefix: str
    period_seconds: int
    source: str


def cron_job_watch(job: CronJobSettings) -> CronJobWatch | Omitted:
    """The window: the schedule's longest gap, plus the time the job may take to start and to
    finish (its startingDeadlineSeconds and activeDeadlineSeconds), in whole minutes."""
    window = job.longest_gap.total_seconds() + job.starting_deadline_seconds + job.active_deadline_seconds
    period = ALARM_PERIOD_UNIT * math.ceil(window / ALARM_PERIOD_UNIT)
    if period > ALARM_EVALUATION_MAX_SECONDS:
        return Omitted(
            job.data_item,
            "missed-schedule alarm",
            f"the job may upload {period}s apart, beyond the one day a CloudWatch alarm evaluates",
        )
    return CronJobWatch(job.data_item, job.bucket_prefix, int(period), job.source)


@dataclass(frozen=True)
class AssuranceSettings:
    """Everything this module derives for a plan, as validate_plan and the tests show it."""

    frameworks: dict[str, FrameworkSettings | None] = field(default_factory=dict)
    policies: list[ResiliencyPolicySettings] = field(default_factory=list)
    experiments: list[ExperimentSettings] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)


def assurance_for(plan: Plan) -> AssuranceSettings:
    return AssuranceSettings(
        frameworks={role: framework_for(plan, role) for role in ("primary", "dr")},
        policies=resiliency_policies(plan),
        experiments=experiments_for(plan),
        subscriptions=subscriptions(plan),
    )
