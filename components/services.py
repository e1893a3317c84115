"""The plan's ECS services in one region: Fargate tasks in private subnets behind one ALB.

The front service (the one with the strictest RTO) answers the load balancer's default route and
its health is the region's health; the others answer their own host names. Desired counts are the
plan's capacity for this region, and the autoscaling floor matches them, so a failover that raises
the floor cannot be undone by scaling in.
"""

from __future__ import annotations

import functools
import json
import posixpath
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from continuity import names as aws_names
from continuity.derive import ServiceSettings
from continuity.stack_config import ServiceRuntime


@dataclass
class DatabaseConnection:
    """How a region's services reach one of the plan's databases: a name that follows the instance
    serving now (DatabaseEndpoints), and the master credentials in this region's Secrets Manager."""

    data_item: str
    host: str
    port: int
    secret_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]  # decrypts the secret in this region


@dataclass
class ServicesArgs:
    prefix: str
    services: list[ServiceSettings]
    runtime: dict[str, ServiceRuntime]
    # Tasks per service in this region now (primary: capacity.primary; DR: capacity.dr, or
    # capacity.primary once promoted).
    desired_counts: dict[str, int]
    host_names: dict[str, str]
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[list[str]]
    private_subnet_ids: pulumi.Input[list[str]]
    kms_key_arn: pulumi.Input[str]
    # Tasks join this group too: it is the one databases admit.
    clients_security_group_id: pulumi.Input[str]
    certificate_arn: str | None = None
    databases: list[DatabaseConnection] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    service_tags: dict[str, dict[str, str]] = field(default_factory=dict)


def front_service(services: list[ServiceSettings]) -> ServiceSettings:
    """The service whose health stands for the region's: strictest RTO, first in the plan on ties."""
    return min(services, key=lambda s: s.rto.seconds)


def database_variable(item: str, what: str) -> str:
    """``DATABASE_<ITEM>_<WHAT>``: the environment variable that carries one database setting."""
    return f"DATABASE_{item.upper().replace('-', '_')}_{what}"


def placeholder_command(port: int, health_check: str) -> list[str]:
    """What the placeholder image runs: busybox httpd answering 200 on the plan's port and health
    path (a file there), and 404 elsewhere, so load balancer and Route 53 checks tell the truth."""
    path = urlsplit(health_check).path or "/"
    served = f"/www{path}index.html" if path.endswith("/") else f"/www{path}"
    script = (
        f"mkdir -p {shlex.quote(posixpath.dirname(served))} && echo ok > {shlex.quote(served)} "
        f"&& exec httpd -f -v -p {port} -h /www"
    )
    return ["sh", "-c", script]


def container_environment(databases: list[DatabaseConnection]) -> list[dict[str, str]]:
    return [
        entry
        for db in databases
        for entry in (
            {"name": database_variable(db.data_item, "HOST"), "value": db.host},
            {"name": database_variable(db.data_item, "PORT"), "value": str(db.port)},
        )
    ]


def container_secrets(databases: list[DatabaseConnection], secret_arns: list[str]) -> list[dict[str, str]]:
    """ECS reads each key of the JSON secret into its own variable at task start (valueFrom
    ``<secret ARN>:<json key>::``, Fargate platform 1.4 and later)."""
    return [
        {"name": database_variable(db.data_item, key.upper()), "valueFrom": f"{arn}:{key}::"}
        for db, arn in zip(databases, secret_arns, strict=True)
        for key in ("username", "password")
    ]


def container_definitions(
    service: ServiceSettings,
    *,
    runtime: ServiceRuntime,
    log_group: str,
    region: str,
    databases: list[DatabaseConnection],
    secret_arns: list[str],
) -> str:
    definition: dict[str, object] = {
        "name": service.name,
        "image": runtime.image,
        "essential": True,
        "portMappings": [{"containerPort": service.port, "protocol": "tcp"}],
        "environment": container_environment(databases),
        "secrets": container_secrets(databases, secret_arns),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": service.name,
            },
        },
    }
    if runtime.placeholder:
        definition["command"] = placeholder_command(service.port, service.health_check)
    return json.dumps([definition])


def _definitions(
    service: ServiceSettings,
    runtime: ServiceRuntime,
    region: str,
    databases: list[DatabaseConnection],
    values: list[Any],
) -> str:
    """container_definitions, once the log group's name and the secrets' ARNs are known."""
    log_group, secret_arns = values
    return container_definitions(
        service,
        runtime=runtime,
        log_group=log_group,
        region=region,
        databases=databases,
        secret_arns=secret_arns,
    )


def secrets_policy(secret_arns: list[str], key_arns: list[str], region: str) -> str:
    """The execution role reads the databases' secrets at task start, and nothing else of them."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret_arns},
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": key_arns,
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                    },
                },
            ],
        }
    )


class Services(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    service_names: dict[str, pulumi.Output[str]]
    service_arns: dict[str, pulumi.Output[str]]
    scalable_targets: dict[str, pulumi.Output[str]]
    load_balancer_dns_name: pulumi.Output[str]
    load_balancer_zone_id: pulumi.Output[str]
    tasks_security_group_id: pulumi.Output[str]
    front: ServiceSettings
    health_port: int
    health_protocol: str

    def __init__(self, name: str, args: ServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:Services", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region().region
        https = args.certificate_arn is not None
        self.health_port = 443 if https else 80
        self.health_protocol = "HTTPS" if https else "HTTP"
        lb_group = aws.ec2.SecurityGroup(
            f"{name}-lb-sg",
            vpc_id=args.vpc_id,
            description=f"{name}: the load balancer, open to clients",
            ingress=[
                {"protocol": "tcp", "from_port": p, "to_port": p, "cidr_blocks": ["0.0.0.0/0"]}
                for p in ([80, 443] if https else [80])
            ],
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=args.tags,
            opts=child,
        )
        tasks_group = aws.ec2.SecurityGroup(
            f"{name}-tasks-sg",
            vpc_id=args.vpc_id,
            description=f"{name}: the tasks, reachable from the load balancer only",
            # One rule per port: services sharing a port share it (EC2 refuses a duplicate rule,
            # InvalidPermission.Duplicate).
            ingress=[
                {"protocol": "tcp", "from_port": port, "to_port": port, "security_groups": [lb_group.id]}
                for port in sorted({s.port for s in args.services})
            ],
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=args.tags,
            opts=child,
        )
        balancer = aws.lb.LoadBalancer(
            # Auto-named: the logical name, "-" and 7 characters, within ELB's 32 (longer names are
            # refused at preview: "'name' cannot be longer than 32 characters").
            aws_names.autonamed(f"{name}-lb", aws_names.ELB_NAME_MAX),
            load_balancer_type="application",
            internal=False,
            security_groups=[lb_group.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=True,
            tags=args.tags,
            opts=child,
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": "enabled"}],
            tags=args.tags,
            opts=child,
        )
        execution_role = aws.iam.Role(
            f"{name}-execution",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-execution",
            role=execution_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            opts=child,
        )
        secret_arns = pulumi.Output.all(*[db.secret_arn for db in args.databases])
        # Tasks read the secrets as they start: the service waits for the grant.
        task_grants: list[pulumi.Resource] = []
        if args.databases:
            grant = aws.iam.RolePolicy(
                f"{name}-execution-secrets",
                role=execution_role.id,
                policy=pulumi.Output.all(secret_arns, *[db.key_arn for db in args.databases]).apply(
                    lambda values: secrets_policy(values[0], sorted(set(values[1:])), region)
                ),
                opts=child,
            )
            task_grants.append(grant)
        self.front = front_service(args.services)
        groups = {
            s.name: aws.lb.TargetGroup(
                aws_names.autonamed(f"{name}-{s.name}", aws_names.ELB_NAME_MAX),
                port=s.port,
                protocol="HTTP",
                target_type="ip",  # Fargate tasks register by IP
                vpc_id=args.vpc_id,
                health_check={"path": s.health_check, "matcher": "200-399"},
                tags=args.service_tags.get(s.name, args.tags),
                opts=child,
            )
            for s in args.services
        }
        forward: list[aws.lb.ListenerDefaultActionArgsDict] = [
            {"type": "forward", "target_group_arn": groups[self.front.name].arn}
        ]
        if https:
            listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=balancer.arn,
                port=443,
                protocol="HTTPS",
                certificate_arn=args.certificate_arn,
                ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                default_actions=forward,
                tags=args.tags,
                opts=child,
            )
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(
                        type="redirect",
                        redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                            port="443", protocol="HTTPS", status_code="HTTP_301"
                        ),
                    )
                ],
                tags=args.tags,
                opts=child,
            )
        else:
            listener = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=forward,
                tags=args.tags,
                opts=child,
            )
        rules = [
            aws.lb.ListenerRule(
                f"{name}-{s.name}",
                listener_arn=listener.arn,
                priority=index + 1,
                actions=[{"type": "forward", "target_group_arn": groups[s.name].arn}],
                conditions=[{"host_header": {"values": [args.host_names[s.name]]}}],
                tags=args.service_tags.get(s.name, args.tags),
                opts=child,
            )
            for index, s in enumerate(x for x in args.services if x.name != self.front.name)
        ]
        self.service_names, self.service_arns, self.scalable_targets = {}, {}, {}
        for s in args.services:
            runtime = args.runtime[s.name]
            service_tags = args.service_tags.get(s.name, args.tags)
            logs = aws.cloudwatch.LogGroup(
                f"{name}-{s.name}",
                name=f"/continuity/{args.prefix}/{s.name}",
                kms_key_id=args.kms_key_arn,
                tags=service_tags,
                opts=child,
            )
            task = aws.ecs.TaskDefinition(
                f"{name}-{s.name}",
                family=f"{args.prefix}-{s.name}",
                cpu=str(runtime.cpu),
                memory=str(runtime.memory),
                network_mode="awsvpc",
                requires_compatibilities=["FARGATE"],
                execution_role_arn=execution_role.arn,
                container_definitions=pulumi.Output.all(logs.name, secret_arns).apply(
                    functools.partial(_definitions, s, runtime, region, args.databases)
                ),
                tags=service_tags,
                opts=child,
            )
            desired = args.desired_counts[s.name]
            service = aws.ecs.Service(
                f"{name}-{s.name}",
                name=s.name,
                cluster=cluster.arn,
                task_definition=task.arn,
                desired_count=desired,
                launch_type="FARGATE",
                deployment_circuit_breaker={"enable": True, "rollback": True},
                network_configuration={
                    "subnets": args.private_subnet_ids,
                    "security_groups": [tasks_group.id, args.clients_security_group_id],
                    "assign_public_ip": False,
                },
                load_balancers=[
                    {
                        "target_group_arn": groups[s.name].arn,
                        "container_name": s.name,
                        "container_port": s.port,
                    }
                ],
                propagate_tags="SERVICE",
                enable_ecs_managed_tags=True,
                tags=service_tags,
                # ECS refuses a service whose target group is not yet behind a listener.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[listener, *rules, *task_grants]),
            )
            resource_id = pulumi.Output.concat("service/", cluster.name, "/", service.name)
            aws.appautoscaling.Target(
                f"{name}-{s.name}",
                service_namespace="ecs",
                scalable_dimension="ecs:service:DesiredCount",
                resource_id=resource_id,
                min_capacity=desired,
                max_capacity=max(desired, s.full_desired_count),
                tags=service_tags,
                opts=child,
            )
            self.service_names[s.name] = service.name
            self.service_arns[s.name] = service.id
            self.scalable_targets[s.name] = resource_id
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.load_balancer_dns_name = balancer.dns_name
        self.load_balancer_zone_id = balancer.zone_id
        self.tasks_security_group_id = tasks_group.id
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "service_names": self.service_names,
                "service_arns": self.service_arns,
                "scalable_targets": self.scalable_targets,
                "load_balancer_dns_name": self.load_balancer_dns_name,
                "load_balancer_zone_id": self.load_balancer_zone_id,
                "tasks_security_group_id": self.tasks_security_group_id,
            }
        )
