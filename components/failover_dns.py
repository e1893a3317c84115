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


@dataclass
class FailoverDnsArgs:
    zone_id: pulumi.Input[str]
    failover: str  # PRIMARY or SECONDARY
    set_identifier: str
    record_names: list[str]
    target_dns_name: pulumi.Input[str]
    target_zone_id: pulumi.Input[str]
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
            fqdn=args.target_dns_name,
            port=args.health_check_port,
            resource_path=args.health_check_path,
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
            tags={**args.tags, "Name": f"{name}-health"},
            opts=child,
        )
        for record_name in args.record_names:
            aws.route53.Record(
                f"{name}-{record_name}",
                zone_id=args.zone_id,
                name=record_name,
                type="A",
                set_identifier=args.set_identifier,
                failover_routing_policies=[{"type": args.failover}],
                health_check_id=check.id,
                aliases=[
                    {
                        "name": args.target_dns_name,
                        "zone_id": args.target_zone_id,
                        "evaluate_target_health": True,
                    }
                ],
                opts=child,
            )
        self.health_check_id = check.id
        self.health_check_arn = check.arn
        self.register_outputs(
            {"health_check_id": self.health_check_id, "health_check_arn": self.health_check_arn}
        )
