"""What AWS's own resilience services get in one region, as one component of the region's:
Backup Audit Manager, Resilience Hub policies and the notification paths in both stacks; in the
DR stack also the Region switch plan and, in the primary region it disrupts, the FIS templates.

Why the DR stack declares the experiments: their stop conditions include the S3 replication
alarms, which live in the primary region but belong to the DR stack (it owns the replication
rules), and each stack deploys in one pass, primary first. The primary region's subnets and
databases come from the primary's outputs, as the replication rules' buckets do.

Every number is continuity.assurance's; this module only joins its settings to the region's
resources. ``outputs`` is what the stacks export as ``assurance`` (docs/outputs.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.backup_audit import BackupAudit, BackupAuditArgs
from components.experiments import Experiments, ExperimentsArgs
from components.notifications import (
    CronJobBucket,
    Notifications,
    NotificationsArgs,
    ReplicationWatch,
)
from components.region_switch import (
    EksClusters,
    RegionSwitch,
    RegionSwitchArgs,
    SwitchDatabase,
    SwitchDeployment,
    SwitchService,
)
from components.resiliency_policies import ResiliencyPolicies, ResiliencyPoliciesArgs
from continuity import names as aws_names
from continuity.assurance import (
    AssuranceError,
    CronJobWatch,
    cron_job_watch,
    experiments_for,
    framework_for,
    region_switch_for,
    resiliency_policies,
    subscriptions,
)
from continuity.derive import Settings
from continuity.plan import Plan

# Route 53 publishes health-check metrics only in us-east-1, so the primary's health alarm lives
# there: an experiment can stop on it only when the primary region is us-east-1.
HEALTH_ALARM_REGION = "us-east-1"


@dataclass
class StandbyInputs:
    """What only the DR stack has: the primary's outputs, and its own DR resources."""

    primary: Callable[[str], pulumi.Output[Any]]  # a required output of the primary stack
    # data item -> (DR identifier, DR ARN or None under backup-restore, automated-backups ARN,
    # subnet group, security group)
    databases: dict[str, tuple[str, pulumi.Input[str] | None, Any, Any, Any]] = field(default_factory=dict)
    ecs_cluster_arn: pulumi.Input[str] | None = None
    ecs_service_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    deployments: dict[str, tuple[pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=dict)
    hosted_zone_id: pulumi.Input[str] | None = None
    replicated_buckets: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # item -> DR bucket
    kms_key_arn: pulumi.Input[str] | None = None


@dataclass
class RegionAssuranceArgs:
    plan: Plan
    settings: Settings
    role: str
    region: str
    account_id: str
    topic_arn: pulumi.Input[str]  # the region's alarm topic
    kms_key_arn: pulumi.Input[str]  # the region's key
    # Other alarm topics notify subscribes to, by region (the us-east-1 health topic).
    other_topics: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    promoted: bool = False
    bucket_names: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # this region's data buckets
    backed_up_by_jobs: bool = False  # KubernetesBackups runs the plan's CronJobs here
    eks_cluster_name: str | None = None
    record_name: str = ""
    operator_principals: list[str] = field(default_factory=list)
    instance_class: str | None = None
    standby: StandbyInputs | None = None
    tags: dict[str, str] = field(default_factory=dict)


def entry(values: pulumi.Output[Any], *path: str) -> pulumi.Output[Any]:
    """One entry of a mapping output, down ``path`` (an item's ARN among the primary's, say)."""

    def walk(found: Any) -> Any:
        for key in path:
            found = found[key]
        return found

    return values.apply(walk)


def ecs_cluster_arn(region: str, account_id: str, cluster: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:cluster/{cluster}"


def ecs_service_arn(region: str, account_id: str, cluster: str, service: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:service/{cluster}/{service}"


class RegionAssurance(pulumi.ComponentResource):
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: RegionAssuranceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:RegionAssurance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan, settings, svc = args.plan, args.settings, args.plan.service
        try:
            framework = framework_for(plan, args.role, promoted=args.promoted)
        except AssuranceError as err:
            raise pulumi.RunError(str(err)) from None
        outputs: dict[str, Any] = {}
        audit = None
        if framework is not None:
            audit = BackupAudit(
                f"{name}-audit",
                BackupAuditArgs(
                    framework,
                    args.account_id,
                    aws_names.fit_prefix(f"{svc}-{args.role}-audit-", aws_names.BUCKET_PREFIX_MAX),
                    args.kms_key_arn,
                    args.tags,
                ),
                child,
            )
            outputs.update(
                framework_arn=audit.framework_arn,
                report_plan_arn=audit.report_plan_arn,
                report_bucket=audit.report_bucket_name,
            )
        policies = ResiliencyPolicies(
            f"{name}-resilience", ResiliencyPoliciesArgs(resiliency_policies(plan), args.tags), child
        )
        outputs["resiliency_policy_arns"] = policies.policy_arns

        watches = [w for w in (cron_job_watch(j) for j in settings.cron_jobs) if isinstance(w, CronJobWatch)]
        standby = args.standby
        replication = (
            [
                ReplicationWatch(item, entry(standby.primary("bucket_names"), item), bucket)
                for item, bucket in standby.replicated_buckets.items()
            ]
            if standby is not None
            else []
        )
        notifications = Notifications(
            f"{name}-notify",
            NotificationsArgs(
                prefix=f"{svc}-{args.role}",
                region=args.region,
                account_id=args.account_id,
                topic_arn=args.topic_arn,
                subscriptions=subscriptions(plan),
                other_topics=args.other_topics,
                replication=replication,
                replication_region=plan.regions.primary,
                cron_jobs=[CronJobBucket(w, args.bucket_names[w.data_item]) for w in watches]
                if args.backed_up_by_jobs
                else [],
                tags=args.tags,
            ),
            child,
        )
        outputs["notification_rule_arns"] = notifications.rule_arns
        outputs["alarm_arns"] = {
            **{f"replication:{k}": v for k, v in notifications.replication_alarm_arns.items()},
            **{f"missed-backup:{k}": v for k, v in notifications.cron_job_alarm_arns.items()},
        }
        if standby is not None:
            outputs.update(self._failover(name, args, standby, audit, notifications))
        self.outputs = outputs
        self.register_outputs(outputs)

    def _failover(
        self,
        name: str,
        args: RegionAssuranceArgs,
        standby: StandbyInputs,
        audit: BackupAudit | None,
        notifications: Notifications,
    ) -> dict[str, Any]:
        """The DR stack's part: the Region switch plan, and the experiments on the primary."""
        plan, settings, child = args.plan, args.settings, pulumi.ResourceOptions(parent=self)
        p, d, account = plan.regions.primary, plan.regions.dr, args.account_id
        primary_db_arns = standby.primary("db_instance_arns")
        has_dns = standby.hosted_zone_id is not None
        health = standby.primary("primary_health_alarm_arn") if has_dns else None
        eks = args.eks_cluster_name is not None and bool(standby.deployments)
        databases = []
        for r in settings.rds:
            identifier, dr_arn, backups_arn, subnet_group, security_group = standby.databases[r.data_item]
            databases.append(
                SwitchDatabase(
                    data_item=r.data_item,
                    mode="replica" if r.replica else "restore",
                    identifier=identifier,
                    primary_arn=entry(primary_db_arns, r.data_item),
                    dr_arn=dr_arn if dr_arn is not None else f"arn:aws:rds:{d}:{account}:db:{identifier}",
                    backup_retention_days=r.backup_retention_period,
                    automated_backups_arn=None if r.replica else backups_arn,
                    subnet_group=None if r.replica else subnet_group,
                    security_group_ids=[] if r.replica else [security_group],
                    instance_class=None if r.replica else args.instance_class,
                )
            )
        services = []
        if standby.ecs_cluster_arn is not None:
            primary_cluster = standby.primary("cluster_name")
            primary_services = standby.primary("service_names")
            for s in settings.services:
                if s.compute != "ecs":
                    continue
                services.append(
                    SwitchService(
                        s.name,
                        primary_cluster.apply(lambda c: ecs_cluster_arn(p, account, c)),
                        pulumi.Output.all(primary_cluster, entry(primary_services, s.name)).apply(
                            lambda v: ecs_service_arn(p, account, v[0], v[1])
                        ),
                        standby.ecs_cluster_arn,
                        standby.ecs_service_arns[s.name],
                    )
                )
        deployments = []
        if eks:
            primary_kubernetes = standby.primary("kubernetes")
            for s in settings.services:
                if s.compute != "kubernetes":
                    continue
                dr_deployment, dr_autoscaler = standby.deployments[s.name]
                deployments.append(
                    SwitchDeployment(
                        s.name,
                        plan.services[s.name].namespace or plan.service,
                        entry(primary_kubernetes, "deployments", s.name, "deployment"),
                        entry(primary_kubernetes, "deployments", s.name, "autoscaler"),
                        dr_deployment,
                        dr_autoscaler,
                    )
                )
        found: dict[str, Any] = {}
        if databases or services or deployments or has_dns:
            cluster = args.eks_cluster_name or ""
            switch = RegionSwitch(
                f"{name}-region-switch",
                RegionSwitchArgs(
                    settings=region_switch_for(plan, eks=eks),
                    account_id=account,
                    approvers=args.operator_principals,
                    databases=databases,
                    services=services,
                    deployments=deployments,
                    eks=EksClusters(
                        f"arn:aws:eks:{p}:{account}:cluster/{cluster}",
                        cluster,
                        f"arn:aws:eks:{d}:{account}:cluster/{cluster}",
                        cluster,
                    )
                    if eks
                    else None,
                    hosted_zone_id=standby.hosted_zone_id,
                    record_name=args.record_name or None,
                    set_identifiers={p: "primary", d: "dr"},
                    health_alarm_arn=health,
                    report_bucket=audit.report_bucket_name if audit is not None else None,
                    kms_key_arn=standby.kms_key_arn,
                    tags=args.tags,
                ),
                child,
            )
            found["region_switch"] = {
                "plan_arn": switch.plan_arn,
                "execution_role_arn": switch.execution_role_arn,
                "approval_role_arn": switch.approval_role_arn,
                "settle_function_name": switch.function_name,
            }
        stops: dict[str, pulumi.Input[str]] = {
            f"replication:{item}": arn for item, arn in notifications.replication_alarm_arns.items()
        }
        if health is not None and p == HEALTH_ALARM_REGION:
            stops["primary-health"] = health
        public = standby.primary("public_subnet_ids")
        private = standby.primary("private_subnet_ids")
        experiments = Experiments(
            f"{name}-drills",
            ExperimentsArgs(
                experiments=experiments_for(plan),
                service=plan.service,
                region=p,
                account_id=account,
                # The first zone of the primary's layout: its public and private subnet.
                zone_subnet_ids=pulumi.Output.all(public, private).apply(lambda v: [v[0][0], v[1][0]]),
                private_subnet_ids=private,
                db_instance_arns=[entry(primary_db_arns, r.data_item) for r in settings.rds],
                stop_alarm_arns=stops,
                tags=args.tags,
            ),
            child,
        )
        found["experiment_template_ids"] = experiments.template_ids
        found["experiment_role_arn"] = experiments.role_arn
        return found
