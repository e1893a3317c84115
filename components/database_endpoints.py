"""One stable name per database inside a region's VPC, so the services never hold an RDS endpoint.

A private hosted zone (`db.<service>.internal`, associated with the region's VPC only) holds a
CNAME per data item pointing at the instance that serves it now. The services read
`<item>.db.<service>.internal`, which is the same name in both regions: in the DR region it points
at the replica, whose endpoint a promotion keeps; where the database is restored rather than
replicated (backup-restore), the failover points it at the restored instance, and a recovery into
production (scripts/recover.py) points it at the recovered one, reversibly. Those repoints are
operations' to make, so Pulumi creates each record and then leaves its target alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.failover_dns import CNAME_TTL_SECONDS


@dataclass
class DatabaseEndpointsArgs:
    service: str
    vpc_id: pulumi.Input[str]
    region: str
    items: list[str]
    # Data item -> the address of the instance serving it here. Items without one (restored only
    # by a failover) get their name once the failover creates the record.
    addresses: dict[str, pulumi.Input[str]]
    tags: dict[str, str] = field(default_factory=dict)


def zone_name(service: str) -> str:
    # `.internal` is reserved for private use (ICANN, 2024): it can never resolve on the internet.
    return f"db.{service}.internal"


def host_name(service: str, item: str) -> str:
    return f"{item}.{zone_name(service)}"


class DatabaseEndpoints(pulumi.ComponentResource):
    zone_id: pulumi.Output[str]
    host_names: dict[str, str]

    def __init__(
        self, name: str, args: DatabaseEndpointsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:DatabaseEndpoints", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=zone_name(args.service),
            comment=f"{args.service}: the databases, by data item, for the services in this VPC",
            vpcs=[{"vpc_id": args.vpc_id, "vpc_region": args.region}],
            force_destroy=False,
            tags=args.tags,
            opts=child,
        )
        self.host_names = {item: host_name(args.service, item) for item in args.items}
        for item, address in args.addresses.items():
            aws.route53.Record(
                f"{name}-{item}",
                zone_id=zone.zone_id,
                name=host_name(args.service, item),
                type="CNAME",
                ttl=CNAME_TTL_SECONDS,
                records=[address],
                # Failovers and recoveries repoint the name at the instance that serves now.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["records"]),
            )
        self.zone_id = zone.zone_id
        self.register_outputs({"zone_id": self.zone_id, "host_names": self.host_names})
