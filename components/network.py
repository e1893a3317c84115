"""A VPC across availability zones: public subnets for load balancers, private ones for the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity.network import SubnetPair


@dataclass
class NetworkArgs:
    cidr: str
    subnets: list[SubnetPair]
    # "per-az" keeps egress alive through a zone outage; "single" trades that for cost where
    # little runs (a warm standby), and a zone outage there only delays a failover's image pulls.
    nat_gateways: str
    tags: dict[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    clients_security_group_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,  # RDS endpoints and interface endpoints resolve only with DNS on
            enable_dns_support=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags={**tags, "Name": f"{name}-public"},
            opts=child,
        )
        public_ids: list[pulumi.Output[str]] = []
        private_ids: list[pulumi.Output[str]] = []
        nats: list[aws.ec2.NatGateway] = []
        for index, pair in enumerate(args.subnets):
            zone = pair.availability_zone
            public = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=pair.public_cidr,
                availability_zone=zone,
                tags={**tags, "Name": f"{name}-public-{zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            public_ids.append(public.id)
            if args.nat_gateways == "per-az" or index == 0:
                address = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=tags, opts=child)
                nats.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{zone}",
                        allocation_id=address.id,
                        subnet_id=public.id,
                        tags={**tags, "Name": f"{name}-nat-{zone}"},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                    )
                )
            private = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=pair.private_cidr,
                availability_zone=zone,
                tags={**tags, "Name": f"{name}-private-{zone}"},
                opts=child,
            )
            routes = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nats[-1].id}],
                tags={**tags, "Name": f"{name}-private-{zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=private.id, route_table_id=routes.id, opts=child
            )
            private_ids.append(private.id)

        clients = aws.ec2.SecurityGroup(
            f"{name}-clients",
            vpc_id=vpc.id,
            description=f"{name}: workloads allowed to reach the databases",
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=tags,
            opts=child,
        )
        self.vpc_id = vpc.id
        self.clients_security_group_id = clients.id
        self.public_subnet_ids = pulumi.Output.all(*public_ids)
        self.private_subnet_ids = pulumi.Output.all(*private_ids)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "clients_security_group_id": self.clients_security_group_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )
