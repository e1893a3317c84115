"""The Pulumi program: one region of the continuity plan, as the primary or the DR stack.

It reads stack config, loads the plan, and builds the region's component; every number comes from
the plan (through continuity.derive) or from stack config. `pulumi up --stack primary` first, then
`pulumi up --stack dr`, which reads the primary's outputs through a StackReference.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.primary_region import PrimaryRegion, PrimaryRegionArgs
from components.standby_region import PrimaryStack, StandbyRegion, StandbyRegionArgs
from continuity.derive import derive
from continuity.plan import Plan, PlanError, load_plan
from continuity.stack_config import CONFIG_KEYS, ConfigError, StackConfig, read_stack_config

HERE = Path(__file__).resolve().parent


def load() -> tuple[Plan, StackConfig]:
    config = pulumi.Config()
    values = {key: config.get(key) for key in CONFIG_KEYS}
    if values.get("role") == "dr" and not values.get("primaryStack"):
        # Stack references are <organization>/<project>/<stack>; a self-managed backend's organization
        # is the literal "organization", which get_organization() returns there too.
        values["primaryStack"] = f"{pulumi.get_organization()}/{pulumi.get_project()}/primary"
    region = pulumi.Config("aws").get("region") or ""
    plan_path = Path(values.get("plan") or "continuity-plan.yaml")
    try:
        plan = load_plan(plan_path if plan_path.is_absolute() else HERE / plan_path)
        return plan, read_stack_config(values, region, plan)
    except PlanError as err:
        # RunError ends the program with its message alone, no stack trace.
        raise pulumi.RunError("\n".join(err.messages)) from None
    except ConfigError as err:
        raise pulumi.RunError(str(err)) from None


def main() -> None:
    plan, cfg = load()
    settings = derive(plan)
    account_id = aws.get_caller_identity().account_id
    kubeconfig = pulumi.Config().get_secret("kubeconfig") if cfg.kubeconfig_set else None
    region: PrimaryRegion | StandbyRegion
    if cfg.role == "primary":
        region = PrimaryRegion(
            f"{plan.service}-primary",
            PrimaryRegionArgs(plan, settings, cfg, account_id, kubeconfig=kubeconfig),
        )
    else:
        assert cfg.primary_stack is not None, "read_stack_config requires it for the dr role"
        region = StandbyRegion(
            f"{plan.service}-dr",
            StandbyRegionArgs(
                plan,
                settings,
                cfg,
                account_id,
                kubeconfig=kubeconfig,
                primary=PrimaryStack(cfg.primary_stack),
            ),
        )
    for name, value in region.stack_outputs.items():
        pulumi.export(name, value)


main()
