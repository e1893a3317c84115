#!/usr/bin/env python3
"""How fast scripts/check_policies.py checks a large stack: a synthetic `pulumi stack export` of a few
thousand resources, read, configured and analyzed offline by the whole pack. Printed, never asserted.

    python benchmarks/policy_check.py [--resources N]

The stack is a DR stack of a plan with 40 data items and 10 services (every resource the pack
judges, joined as the stacks join them), padded with unrelated tagged resources to N.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Benchmarks run as `python benchmarks/<name>.py`, which puts benchmarks/ (not the repository) on the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml

from continuity.plan import load_plan
from offline.policy_check import ResourceState, check, load_pack, read_json, states_from_stack_export
from tests.policies.synthetic import stack_states


def large_plan() -> dict[str, Any]:
    data: dict[str, Any] = {}
    for index in range(40):
        if index % 4 == 0:
            data[f"db-{index:02d}"] = {
                "tier": "critical",
                "store": "rds",
                "frequency": "continuous",
                "retention": "30d",
                "copy_to_dr": True,
            }
        else:
            data[f"files-{index:02d}"] = {
                "tier": "important",
                "store": "s3",
                "frequency": "1h",
                "retention": "90d",
                "immutable": True,
                "copy_to_dr": True,
            }
    services = {
        f"svc-{index:02d}": {
            "tier": "critical",
            "port": 8000 + index,
            "health_check": "/health",
            "capacity": {"primary": 4, "dr": 1},
        }
        for index in range(10)
    }
    return {
        "version": 1,
        "service": "bench",
        "regions": {"primary": "us-east-1", "dr": "us-west-2"},
        "strategy": "warm-standby",
        "tiers": {"critical": {"rto": "30m", "rpo": "15m"}, "important": {"rto": "24h", "rpo": "1h"}},
        "data": data,
        "services": services,
        "testing": {"restore_test": "30d", "failover_drill": "90d"},
    }


def export_document(states: list[ResourceState]) -> dict[str, Any]:
    resources = []
    for state in states:
        resource: dict[str, Any] = {"urn": state.urn, "custom": state.custom, "type": state.type}
        for key, value in (
            ("inputs", dict(state.inputs)),
            ("outputs", dict(state.outputs)),
            ("parent", state.parent),
            ("dependencies", list(state.dependencies)),
            ("provider", state.provider),
            ("propertyDependencies", {k: list(v) for k, v in state.property_dependencies.items()}),
        ):
            if value:
                resource[key] = value
        resources.append(resource)
    return {"version": 3, "deployment": {"manifest": {"version": "v3.199.0"}, "resources": resources}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=3000, help="resources in the stack (default 3000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        plan_file = Path(directory) / "plan.yaml"
        plan_file.write_text(yaml.safe_dump(large_plan()))
        judged = stack_states(load_plan(plan_file), "dr")
        states = stack_states(load_plan(plan_file), "dr", filler=max(0, args.resources - len(judged)))
        export = Path(directory) / "export.json"
        export.write_text(json.dumps(export_document(states)))

        started, cpu = time.perf_counter(), time.process_time()
        loaded = states_from_stack_export(read_json(export), str(export))
        read = time.perf_counter()
        servicer = load_pack()
        ready = time.perf_counter()
        result = check(loaded, plan_file, None, servicer)
        done, cpu = time.perf_counter(), time.process_time() - cpu

    total = done - started
    print(f"policy check: {len(loaded)} resources ({len(judged)} from the plan), {result.policies} policies")
    print(f"  read export  {read - started:6.2f} s")
    print(f"  load pack    {ready - read:6.2f} s")
    print(f"  check        {done - ready:6.2f} s")
    print(f"  total        {total:6.2f} s  ({len(loaded) / total:,.0f} resources/s; {cpu:.2f} s of CPU)")
    print(f"  violations   {len(result.violations)} (mandatory {len(result.mandatory)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
