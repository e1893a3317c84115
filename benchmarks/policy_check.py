#!/usr/bin/env python3
"""How fast the offline policy check (offline/policy_check.py) judges a large stack, and where the time
goes. Printed, never asserted.

    python benchmarks/policy_check.py [--resources N ...] [--profile]

For each size (default 5,000 and 50,000) it writes a synthetic `pulumi stack export`, then reads it,
loads the pack and checks it, as `scripts/check_policies.py --state` does, and prints the time (wall
and CPU), the rate, and the peak memory the read and check allocate (traced in a second, untimed
pass, so tracing does not slow the timed one). --profile adds a cProfile summary of the largest
check: the functions that take the most time, with their own and cumulative seconds.

The stack is the DR stack of a plan with 40 data items and 10 services (every resource the pack
judges, joined as the stacks join them), padded to N with resources the pack also reads: in turn a
subnet, an exempt EBS volume, an exempt DynamoDB table, and an exempt S3 bucket with its public
access block and encryption configuration (the plan-item, public-access and encryption policies
judge all of those).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

# Benchmarks run as `python benchmarks/<name>.py`, which puts benchmarks/ (not the repository) on the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml

from continuity.plan import load_plan
from offline.policy_check import Pack, Result, check, load_pack
from offline.stack_state import ResourceState, read_json, states_from_stack_export
from tests.policies.synthetic import stack_states, urn

EXEMPT = {"continuity:exempt": "benchmark filler rebuilt from source"}
KMS_DEFAULT = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws:kms:us-west-2:123456789012:key/bench"}


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


def _state(
    type_: str, name: str, inputs: dict[str, Any], deps: dict[str, list[str]] | None = None
) -> ResourceState:
    deps = deps or {}
    return ResourceState(
        urn=urn("dr", type_, name),
        type=type_,
        inputs=inputs,
        outputs=dict(inputs),
        dependencies=tuple(sorted({u for urns in deps.values() for u in urns})),
        property_dependencies={k: tuple(v) for k, v in deps.items()},
    )


def filler(count: int) -> list[ResourceState]:
    """``count`` resources besides the plan's, each kind in turn (a bucket brings its two side resources)."""
    states: list[ResourceState] = []
    index = 0
    while len(states) < count:
        # A bucket comes with its two side resources: where they would not fit, a subnet instead.
        kind = index % 4 if count - len(states) >= 3 else 0
        if kind == 0:
            states.append(_state("aws:ec2/subnet:Subnet", f"subnet-{index}", {"cidrBlock": "10.0.0.0/24"}))
        elif kind == 1:
            states.append(
                _state("aws:ebs/volume:Volume", f"volume-{index}", {"encrypted": True, "tags": EXEMPT})
            )
        elif kind == 2:
            states.append(
                _state("aws:dynamodb/table:Table", f"table-{index}", {"hashKey": "id", "tags": EXEMPT})
            )
        else:
            bucket = _state("aws:s3/bucket:Bucket", f"bucket-{index}", {"tags": EXEMPT})
            block = _state(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                f"bucket-{index}-block",
                {
                    "bucket": "x",
                    "blockPublicAcls": True,
                    "blockPublicPolicy": True,
                    "ignorePublicAcls": True,
                    "restrictPublicBuckets": True,
                },
                {"bucket": [bucket.urn]},
            )
            encryption = _state(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                f"bucket-{index}-encryption",
                {
                    "bucket": "x",
                    "rules": [{"applyServerSideEncryptionByDefault": KMS_DEFAULT}],
                },
                {"bucket": [bucket.urn]},
            )
            states += [bucket, block, encryption]
        index += 1
    return states


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


def read_and_check(export: Path, plan: Path, pack: Pack) -> Result:
    return check(states_from_stack_export(read_json(export), str(export)), plan, None, pack)


def measure(size: int, directory: Path, plan_file: Path, profile: bool) -> None:
    plan = load_plan(plan_file)
    judged = stack_states(plan, "dr")
    export = directory / f"export-{size}.json"
    export.write_text(json.dumps(export_document(judged + filler(max(0, size - len(judged))))))

    started, cpu = time.perf_counter(), time.process_time()
    loaded = states_from_stack_export(read_json(export), str(export))
    read = time.perf_counter()
    pack = load_pack()
    ready = time.perf_counter()
    result = check(loaded, plan_file, None, pack)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    total = done - started

    tracemalloc.start()
    read_and_check(export, plan_file, pack)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        f"policy check: {len(loaded):,} resources ({len(judged)} from the plan), {result.policies} policies"
    )
    print(f"  read export  {read - started:6.2f} s")
    print(f"  load pack    {ready - read:6.2f} s")
    print(f"  check        {done - ready:6.2f} s")
    print(f"  total        {total:6.2f} s  ({len(loaded) / total:,.0f} resources/s; {cpu:.2f} s of CPU)")
    print(f"  peak memory  {peak / 2**20:6.1f} MiB  ({peak / len(loaded) / 1024:.1f} KiB per resource)")
    print(f"  violations   {len(result.violations)} (mandatory {len(result.mandatory)})")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        read_and_check(export, plan_file, pack)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(12)
        print(f"  where the time goes ({len(loaded):,} resources, cProfile, by own time):")
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        for line in lines[start : start + 13]:
            print(f"    {line.replace(str(ROOT) + '/', '')[:140]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--resources", type=int, nargs="+", default=[5000, 50000], help="stack sizes (default 5000 50000)"
    )
    parser.add_argument("--profile", action="store_true", help="profile the largest check (cProfile)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        plan_file = directory / "plan.yaml"
        plan_file.write_text(yaml.safe_dump(large_plan()))
        for size in sorted(args.resources):
            measure(size, directory, plan_file, args.profile and size == max(args.resources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
