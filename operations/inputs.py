"""What the operations toolkit reads before it touches AWS: the plan, the DR stack's outputs and
where the drill history lives, checked against each other.

Readiness, restore tests, drills and failback judge the live environment against the plan, so
the plan and the outputs must describe the same service in the same regions; a mismatch is bad
input (exit 2), reported in one line before any AWS call.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from continuity.outputs import Inventory
from continuity.plan import Plan, PlanError, load_plan
from operations.errors import BadInput
from operations.history import HistoryLocation, parse_location
from operations.stack_outputs import PROJECT_DIR, OutputsDocument, PulumiCli, load_outputs

DEFAULT_PLAN = PROJECT_DIR / "continuity-plan.yaml"


def add_plan_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan",
        metavar="FILE",
        default=str(DEFAULT_PLAN),
        help="the continuity plan to judge against (default: continuity-plan.yaml at the repository root)",
    )


def add_history_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--history",
        metavar="LOCATION",
        help="the drill history, a file or s3://bucket/key (default: the outputs' inventory.drill_history)",
    )


def load_plan_input(path: str | Path) -> Plan:
    try:
        return load_plan(path)
    except PlanError as exc:
        first, *rest = exc.messages or [f"{path}: not a valid plan"]
        more = f" (and {len(rest)} more; see python scripts/validate_plan.py {path})" if rest else ""
        raise BadInput(first + more) from None


def consistency_problems(plan: Plan, inventory: Inventory) -> list[str]:
    """Why this plan cannot judge the environment these outputs describe (empty: it can)."""
    where = "outputs.inventory"
    problems = []
    if inventory.service != plan.service:
        problems.append(f"{where}.service: {inventory.service}, but plan {plan.source} is for {plan.service}")
    if (inventory.primary_region, inventory.dr_region) != (plan.regions.primary, plan.regions.dr):
        problems.append(
            f"{where}: regions {inventory.primary_region} → {inventory.dr_region}, but plan {plan.source} "
            f"says {plan.regions.primary} → {plan.regions.dr}"
        )
    if inventory.strategy != plan.strategy:
        problems.append(
            f"{where}.strategy: {inventory.strategy}, but plan {plan.source} says {plan.strategy}"
        )
    for name, item in plan.data.items():
        if item.store == "rds":
            for role in ("primary", "dr"):
                if name not in inventory.region(role).db_instance_identifiers:
                    problems.append(f"{where}.regions.{role}.db_instance_identifiers: no data item {name}")
        elif name not in inventory.primary.bucket_names or name not in inventory.dr.bucket_names:
            problems.append(f"{where}.regions: no bucket for data item {name} in both regions")
    return problems


@dataclass(frozen=True)
class Inputs:
    plan: Plan
    outputs: OutputsDocument
    inventory: Inventory


def load_inputs(*, plan_path: str, stack: str | None, outputs_file: str | None, pulumi: PulumiCli) -> Inputs:
    """The plan and the outputs' inventory, consistent with each other, or BadInput."""
    plan = load_plan_input(plan_path)
    outputs = load_outputs(stack=stack, outputs_file=outputs_file, pulumi=pulumi)
    inventory = outputs.inventory()
    problems = consistency_problems(plan, inventory)
    if problems:
        raise BadInput(f"{outputs.where}: " + "; ".join(problems))
    return Inputs(plan, outputs, inventory)


def history_location(given: str | None, inventory: Inventory) -> HistoryLocation:
    return parse_location(given if given is not None else inventory.drill_history)
