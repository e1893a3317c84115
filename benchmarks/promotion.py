#!/usr/bin/env python3
"""How close a failover comes to the time AWS itself needs: achieved vs critical path vs sequential.

    python benchmarks/promotion.py [--scale 30] [--services 2]

The whole failover (operations/failover) runs against moto under a latency model of AWS: every
API call takes at least its modelled latency, a promoted replica reports "modifying" (still a
replica) until its promotion time has passed, and a scaled service runs its warm task count until
its new tasks have started and passed the load balancer's first health check. Durations are real
AWS durations divided by ``--scale``; figures are printed in AWS time (wall time x scale).

The critical path is the slowest chain of each step, added up over the steps (steps 3 and 4
overlap, so they count as the slower of the two); "sequential" is every call and every wait one
after another. The aim is an achieved time within 5% of the critical path. Figures are printed,
never asserted.

The latency model (promotion, tasks to steady state, API calls, with where each figure comes
from) and the critical-path arithmetic are continuity/recovery.py's, the same the validator judges
each tier's RTO with. Route 53 sees an inverted health check after request interval x failure
threshold; the script does not wait for it (it reports it), so it is not in either figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Benchmarks run as `python benchmarks/<name>.py`; the repository must be importable, and no
# real credentials or endpoints may be used.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(key, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials, never a real account's
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    MOTO_ECS_SERVICE_RUNNING="1",
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
)

from moto import mock_aws

from continuity.outputs import parse_promotion
from continuity.recovery import PROMOTION, TASKS_STEADY, FailoverModel, failover_model, latency
from operations.aws import Aws
from operations.clock import SystemClock, format_seconds
from operations.failover.run import FailoverOptions, FailoverRun, run_failover
from operations.failover.steps import Timing
from operations.progress import SilentProgress
from operations.stack_outputs import PulumiCli
from tests.operations.harness import ClientCache, fresh_session
from tests.operations.world import ServiceSpec, World, build_world, moto_like_aws

POLL = Timing().poll_seconds  # the script's own poll interval, scaled like everything else
CLIENTS = [
    ("rds", "us-west-2"),
    ("cloudwatch", "us-west-2"),
    ("cloudwatch", "us-east-1"),
    ("ecs", "us-west-2"),
    ("application-autoscaling", "us-west-2"),
    ("route53", "us-east-1"),
]


def model(services: int) -> FailoverModel:
    """The critical path and the sequential total, in AWS seconds, for one database and
    ``services`` services: what the world below holds."""
    return failover_model(databases=1, services=services)


class LatencyModel:
    """botocore hooks that make moto take AWS's time, divided by ``scale``."""

    def __init__(self, world: World, scale: float) -> None:
        self.world = world
        self.scale = scale
        self._started = threading.local()
        self._lock = threading.Lock()
        self.promoted_at: dict[str, float] = {}  # identifier -> when its promotion completes
        self.steady_at: dict[str, tuple[float, int]] = {}  # service -> (when, tasks running before)

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        # 'before-parameter-build' sees the call's own parameters, once per call.
        self._started.at = time.monotonic()
        self._started.params = dict(params)

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        operation = model.name
        params: dict[str, Any] = getattr(self._started, "params", {})
        now = time.monotonic()
        with self._lock:
            if operation == "PromoteReadReplica":
                self.promoted_at[params["DBInstanceIdentifier"]] = now + PROMOTION / self.scale
            elif operation == "UpdateService":
                warm = next(
                    s["warm_desired_count"]
                    for s in self.world.promotion["services"]
                    if s["service"] == params["service"]
                )
                self.steady_at[params["service"]] = (now + TASKS_STEADY / self.scale, warm)
            elif operation == "DescribeDBInstances":
                for db in parsed.get("DBInstances", []):
                    if now < self.promoted_at.get(db["DBInstanceIdentifier"], 0):
                        # still rebooting into a standalone instance: AWS lists it as a replica
                        db["DBInstanceStatus"] = "modifying"
                        db["ReadReplicaSourceDBInstanceIdentifier"] = self.world.primary_arn
            elif operation == "DescribeServices":
                for service in parsed.get("services", []):
                    when, warm = self.steady_at.get(service["serviceName"], (0.0, 0))
                    if now < when:
                        service["runningCount"] = warm
                        service["pendingCount"] = service["desiredCount"] - warm
        # Every call takes at least its modelled latency (moto's own time counts towards it).
        elapsed = now - getattr(self._started, "at", now)
        time.sleep(max(0.0, latency(operation) / self.scale - elapsed))

    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        return [("before-parameter-build", self._before), ("after-call", self._after)]


def one_run(*, concurrent: bool, scale: float, services: int) -> FailoverRun:
    with mock_aws():
        clients = ClientCache(fresh_session())
        extra = tuple(ServiceSpec(f"worker{i}", "critical", 3, 1) for i in range(1, services))
        world = build_world(clients, extra_services=extra)
        latency_model = LatencyModel(world, scale)
        timing = Timing(
            poll_seconds=POLL / scale,
            database_timeout=3600 / scale,
            service_timeout=1200 / scale,
            dns_timeout=600 / scale,
        )
        aws = Aws(fresh_session(), hooks=latency_model.hooks())
        # Clients are made before the clock starts: making one is local CPU time (tens of
        # milliseconds), which scaling would multiply as if it were AWS's time.
        for service, region in CLIENTS:
            aws.client(service, region)
        with moto_like_aws(world):
            run = run_failover(
                parse_promotion(world.outputs),
                aws,
                options=FailoverOptions(force=False, assume_yes=True, concurrent=concurrent),
                clock=SystemClock(),
                progress=SilentProgress(sys.stderr, SystemClock()),
                confirm=None,
                pulumi=PulumiCli(executable=None),
                timing=timing,
            )
        assert run.exit_code == 0, run.message
        return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=30.0,
        help="AWS seconds per wall-clock second (default 30; higher is quicker, but magnifies moto's own "
        "CPU time, which the scale counts as AWS time)",
    )
    parser.add_argument("--services", type=int, default=2, help="DR services to scale (default 2)")
    args = parser.parse_args(argv)
    scale = args.scale
    expected = model(args.services)
    one_run(concurrent=True, scale=600, services=args.services)  # warm up: imports, service models
    concurrent = one_run(concurrent=True, scale=scale, services=args.services)
    sequential = one_run(concurrent=False, scale=scale, services=args.services)

    def aws_time(run: FailoverRun) -> float:
        assert run.seconds is not None
        return run.seconds * scale

    achieved = aws_time(concurrent)
    critical = expected.critical_path
    print(
        f"Promotion benchmark: 1 database, {args.services} services; AWS durations / {scale:g}, "
        f"shown in AWS time (poll every {POLL:g}s)"
    )
    print(f"  {'critical path (model)':<32}{format_seconds(critical):>10}")
    print(
        f"  {'achieved, steps 3 and 4 at once':<32}{format_seconds(achieved):>10}"
        f"   {100 * (achieved - critical) / critical:+.1f}% of the critical path"
    )
    print(f"  {'sequential (model)':<32}{format_seconds(expected.sequential):>10}")
    print(
        f"  {'achieved, one after another':<32}{format_seconds(aws_time(sequential)):>10}"
        f"   {100 * (aws_time(sequential) - critical) / critical:+.1f}% of the critical path"
    )
    print("  per step (achieved, concurrent run):")
    for step in concurrent.steps:
        took = (step.seconds or 0.0) * scale
        modelled = expected.steps.get(step.key)
        note = f"   model {format_seconds(modelled)}" if modelled is not None else ""
        print(f"    {step.label:<28}{format_seconds(took):>10}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
