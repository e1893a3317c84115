"""Both stacks of a plan, deployed into the emulator as `pulumi up` would deploy them.

The rehearsal, the property test that every valid plan deploys (tests/offline/test_plans_deploy.py)
and `make soak` share this: the account prepared as a team's would be (the public hosted zone the
stacks expect, an EKS cluster per region for plans that run in Kubernetes), the primary stack, the
DR stack fed the primary's outputs, and then the rules about deleting, since `pulumi destroy` must
work too. Every resource goes through the AWS rules catalogue (offline/aws_rules.py) on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from continuity.plan import Plan
from offline.emulator import EmulatedMocks, Emulation, check_destroy
from offline.fake_kubernetes import FakeCluster
from offline.moto_fidelity import Fidelity
from offline.moto_server import Emulator
from offline.program import StackRun, run_program, stack_config

# What an EKS cluster's role would be in a team's account (the emulator checks no trust).
EKS_ROLE = "arn:aws:iam::123456789012:role/eks-cluster"


@dataclass
class Deployment:
    primary: StackRun
    dr: StackRun
    emulation: Emulation


class EmulatedAccount:
    """The emulated AWS account (and clusters) a deployment goes into."""

    def __init__(self, emulator: Emulator, fidelity: Fidelity, clusters: dict[str, FakeCluster]) -> None:
        self.emulator = emulator
        self.fidelity = fidelity
        self.clusters = clusters  # by region
        self.emulation = Emulation()

    def client(self, service: str, region: str) -> Any:
        return self.emulator.client(service, region)

    def prepare(self, root: Path | None = None) -> None:
        """What the stacks expect to exist already: the team's public zone (config hostedZone) and,
        for plans in Kubernetes, an EKS cluster per region."""
        project, config = stack_config("primary", **({"root": root} if root else {}))
        zone = config[f"{project}:hostedZone"]
        self.client("route53", "us-east-1").create_hosted_zone(Name=zone, CallerReference=f"emulated-{zone}")
        for region, cluster in self.clusters.items():
            created = self.client("eks", region).create_cluster(
                name=cluster.name, roleArn=EKS_ROLE, resourcesVpcConfig={"subnetIds": []}
            )
            # `aws eks update-kubeconfig --name <name> --region <region>` names the context by the ARN.
            cluster.context = created["cluster"]["arn"]

    def deploy(
        self,
        plan: Plan,
        plan_path: Path,
        stack: str,
        primary_outputs: dict[str, Any] | None = None,
        config: Mapping[str, str] | None = None,
    ) -> StackRun:
        def mocks(region: str, outputs: dict[str, dict[str, Any]]) -> EmulatedMocks:
            return EmulatedMocks(
                region,
                outputs,
                endpoint_url=self.emulator.endpoint_url,
                emulation=self.emulation,
                fidelity=self.fidelity,
                clusters=self.clusters,
            )

        region = plan.regions.primary if stack == "primary" else plan.regions.dr
        # The plan's regions, whatever Pulumi.<stack>.yaml says (rehearse.py --plan), and --config.
        overrides = {"aws:region": region, **(config or {})}
        if region in self.clusters:
            overrides["continuity:eksClusterName"] = self.clusters[region].name
        return run_program(
            stack, plan_path, mocks_factory=mocks, primary_outputs=primary_outputs, config_overrides=overrides
        )

    def deploy_plan(self, plan: Plan, plan_path: Path) -> Deployment:
        """Prepare the account, deploy primary then DR, and check both could be destroyed."""
        self.prepare()
        primary = self.deploy(plan, plan_path, "primary")
        dr = self.deploy(plan, plan_path, "dr", primary_outputs=primary.outputs)
        check_destroy(self.emulation, self)
        return Deployment(primary, dr, self.emulation)
