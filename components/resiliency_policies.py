"""The plan's tiers as AWS Resilience Hub resiliency policies, so a team that assesses its
applications in Resilience Hub measures them against the plan's own RTO and RPO.

One policy per tier, the same objectives for every disruption type (continuity.assurance). The
policies are regional; each stack declares them in its own region, where its resources are
assessed. docs/assurance.md shows how the application is registered from the stacks' resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity import tags as tag
from continuity.assurance import ResiliencyPolicySettings, go_duration


def policy_map(settings: ResiliencyPolicySettings) -> aws.resiliencehub.ResiliencyPolicyPolicyArgsDict:
    """The API's map of disruption type (Software, Hardware, AZ, Region) to RTO and RPO, under the
    provider's field names, each as a Go duration."""

    def objective(disruption: str) -> aws.resiliencehub.ResiliencyPolicyPolicyAzArgsDict:
        rto, rpo = settings.disruptions[disruption]
        return {"rto": go_duration(rto), "rpo": go_duration(rpo)}

    region_rto, region_rpo = settings.disruptions["Region"]
    return {
        "software": objective("Software"),
        "hardware": objective("Hardware"),
        "az": objective("AZ"),
        "region": {"rto": go_duration(region_rto), "rpo": go_duration(region_rpo)},
    }


@dataclass
class ResiliencyPoliciesArgs:
    policies: list[ResiliencyPolicySettings]
    tags: dict[str, str] = field(default_factory=dict)


class ResiliencyPolicies(pulumi.ComponentResource):
    policy_arns: dict[str, pulumi.Output[str]]  # plan tier -> policy ARN

    def __init__(
        self, name: str, args: ResiliencyPoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:ResiliencyPolicies", name, None, opts)
        self.policy_arns = {}
        for settings in args.policies:
            policy = aws.resiliencehub.ResiliencyPolicy(
                f"{name}-{settings.plan_tier}",
                name=settings.name,
                description=f"Continuity plan {settings.source}"[:500],
                tier=settings.tier,
                policy=policy_map(settings),
                tags={**args.tags, tag.TIER: settings.plan_tier},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.policy_arns[settings.plan_tier] = policy.arn
        self.register_outputs({"policy_arns": self.policy_arns})
