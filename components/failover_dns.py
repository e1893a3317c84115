"""Route 53 failover for one region: a health check on the region's entry point, and a failover
record per service name (PRIMARY from the primary stack, SECONDARY from the DR stack).

Route 53 answers PRIMARY while its health check passes, SECONDARY otherwise. Failing over
therefore changes no record: the failover script inverts the primary's health check, which works
even when the primary region still answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Route 53's standard checker interval and failure threshold: three failed checks 30 seconds apart
# mark an endpoint unhealthy (the 10-second interval costs extra and saves about a minute).
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTH_CHECK_FAILURE_THRESHOLD = 3
# A CNAME (to a Kubernetes load balancer, which Route 53 cannot alias) is cached for its TTL: a
# minute keeps the switch to the DR record within the health check's own detection time.
CNAME_TTL_SECONDS = 60


@dataclass
class FailoverTarget:
    record_name: str
    dns_name: pulumi.Input[str]
    # The load balancer's canonical zone for an alias record; None for a CNAME.
    zone_id: pulumi.Input[str] | None


@dataclass
class FailoverDnsArgs:
    zone_id: pulumi.Input[str]
    failover: str  # PRIMARY or SECONDARY
    set_identifier: str
    records: list[FailoverTarget]
    health_check_target: pulumi.Input[str]
    health_check_path: str
    health_check_port: int
    health_check_protocol: str
    tags: dict[str, str] = field(default_factory=dict)


class FailoverDns(pulumi.ComponentResource):
    health_check_id: pulumi.Output[str]
    health_check_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FailoverDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("continuity:components:FailoverDns", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        check = aws.route53.HealthCheck(
            f"{name}-health",
            type=args.health_check_protocol,
            fqdn=args.health_check_target,
            port=args.health_check_port,
            resource_path=args.health_check_path,
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
            tags={**args.tags, "Name": f"{name}-health"},
            opts=child,
        )
        for target in args.records:
            common = {
                "zone_id": args.zone_id,
                "name": target.record_name,
                "set_identifier": args.set_identifier,
                "failover_routing_policies": [{"type": args.failover}],
                "health_check_id": check.id,
            }
            if target.zone_id is not None:
                aws.route53.Record(
                    f"{name}-{target.record_name}",
                    type="A",
                    aliases=[
                        {"name": target.dns_name, "zone_id": target.zone_id, "evaluate_target_health": True}
                    ],
                    opts=child,
                    **common,  # type: ignore[arg-type]
                )
            else:
                aws.route53.Record(
                    f"{name}-{target.record_name}",
                    type="CNAME",
                    ttl=CNAME_TTL_SECONDS,
                    records=[target.dns_name],
                    opts=child,
                    **common,  # type: ignore[arg-type]
                )
        self.health_check_id = check.id
        self.health_check_arn = check.arn
        self.register_outputs(
            {"health_check_id": self.health_check_id, "health_check_arn": self.health_check_arn}
        )
