"""Where a database lives: private subnets, and a security group open only to the services."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

ENGINE_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}


def engine_port(engine: str) -> int:
    if engine not in ENGINE_PORTS:
        raise pulumi.RunError(f"config dbEngine: {engine!r} is not one of {', '.join(ENGINE_PORTS)}")
    return ENGINE_PORTS[engine]


def database_network(
    name: str,
    parent: pulumi.Resource,
    *,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[list[str]],
    client_security_group_id: pulumi.Input[str],
    port: int,
    tags: dict[str, str],
) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup]:
    child = pulumi.ResourceOptions(parent=parent)
    subnets = aws.rds.SubnetGroup(
        f"{name}-subnets",
        subnet_ids=subnet_ids,
        description=f"{name}: private subnets",
        tags=tags,
        opts=child,
    )
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{name}: the database, reachable from the services only",
        ingress=[
            {
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "security_groups": [client_security_group_id],
                "description": "services",
            }
        ],
        tags=tags,
        opts=child,
    )
    return subnets, group
