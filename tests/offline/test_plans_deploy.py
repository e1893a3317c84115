"""Every plan the validator accepts deploys: generated plans across the format's whole space (names
at their longest, every strategy and store, capacities down to 0, ECS and Kubernetes services,
several databases) either deploy both stacks through the emulator with no AWS or Kubernetes rule
refused (and could be destroyed), or are rejected by the validator with messages naming the field.

CI runs a few seeded examples (profile "ci"); `make soak` runs many more (profile "soak").
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from continuity.plan import PlanError, load_plan
from offline.deployment import EmulatedAccount
from offline.fake_kubernetes import running_cluster
from offline.moto_fidelity import Fidelity, aws_fidelity
from offline.moto_server import Emulator, running_emulator

# A deployment takes seconds, so no shrinking: a failing example is reported as generated.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
settings.register_profile(
    "ci",
    max_examples=4,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=PHASES,
)
settings.register_profile(
    "soak", max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), phases=PHASES
)

# The stack files deploy the primary in us-east-1 and the DR region in us-west-2.
REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


def names(min_size: int = 2) -> st.SearchStrategy[str]:
    """Plan names: lowercase letters, digits and hyphens, starting with a letter, up to 24, often the longest."""
    body = st.text(NAME_CHARS, min_size=min_size - 2, max_size=22).map(lambda t: t.replace("--", "-a"))
    return st.builds(
        lambda first, middle, last: f"{first}{middle}{last}",
        st.sampled_from("abcxyz"),
        body,
        st.sampled_from("az09"),
    ) | st.just("x" * 24)


DURATIONS = st.sampled_from(["5m", "15m", "30m", "1h", "4h", "24h", "3d", "7d"])


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    strategy = draw(st.sampled_from(["backup-restore", "pilot-light", "warm-standby"]))
    tiers = draw(
        st.dictionaries(
            names(), st.fixed_dictionaries({"rto": DURATIONS, "rpo": DURATIONS}), min_size=1, max_size=3
        )
    )
    tier_names = list(tiers)
    data: dict[str, Any] = {}
    for item in draw(st.lists(names(), max_size=4, unique=True)):
        store = draw(st.sampled_from(["rds", "rds", "s3", "kubernetes"]))
        spec: dict[str, Any] = {
            "tier": draw(st.sampled_from(tier_names)),
            "store": store,
            "frequency": draw(st.sampled_from(["continuous", "1h", "6h", "1d"])),
            "retention": draw(st.sampled_from(["7d", "30d", "35d", "90d", "1y"])),
            "copy_to_dr": draw(st.booleans()),
        }
        if store != "rds":
            spec["immutable"] = draw(st.booleans())
        if store == "kubernetes":
            spec.update(namespace=draw(names()), image="postgres:16", command="pg_dumpall")
        data[item] = spec
    services: dict[str, Any] = {}
    for name in draw(st.lists(names(), max_size=3, unique=True)):
        primary = draw(st.integers(1, 4))
        dr = 0 if strategy != "warm-standby" else draw(st.integers(1, primary))
        compute = draw(st.sampled_from(["ecs", "kubernetes"]))
        service: dict[str, Any] = {
            "tier": draw(st.sampled_from(tier_names)),
            "port": draw(st.sampled_from([80, 3000, 8080, 65535])),
            "health_check": draw(st.sampled_from(["/", "/health", "/health/detailed"])),
            "capacity": {"primary": primary, "dr": dr},
            "compute": compute,
        }
        if compute == "kubernetes":
            service["namespace"] = draw(names())
        services[name] = service
    return {
        "version": 1,
        "service": draw(names()),
        "regions": REGIONS,
        "strategy": strategy,
        "tiers": tiers,
        "data": data,
        "services": services,
        "testing": {"restore_test": "30d", "failover_drill": "90d"},
    }


@pytest.fixture(scope="module")
def emulated(aws_credentials_module: None) -> Iterator[tuple[Emulator, Fidelity]]:
    with running_emulator() as emulator, aws_fidelity(Fidelity()) as fidelity:
        yield emulator, fidelity


@pytest.fixture(scope="module")
def aws_credentials_module() -> Iterator[None]:
    """Fake credentials for the module's shared emulator (the per-test fixture is function-scoped)."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(key, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        yield


# A validator message: "<file>: <field path>: <problem>" (the field path is dotted plan keys).
FIELD_MESSAGE = re.compile(r"^[^:]+: (\(top\)|[a-z_]+(\.[A-Za-z0-9_-]+)*): .+")


@settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))
@given(document=plans())
def test_a_plan_the_validator_accepts_deploys(
    document: dict[str, Any], emulated: tuple[Emulator, Fidelity], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("plan") / "plan.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    # GIVEN a generated plan WHEN the validator reads it
    try:
        plan = load_plan(path)
    except PlanError as err:
        refused = err.messages
    else:
        refused = []
    if refused:
        # THEN either it is refused, every message naming the field at fault
        for message in refused:
            assert FIELD_MESSAGE.match(message), message
        return
    # OR both stacks deploy through the emulator, every resource passing AWS's and Kubernetes' rules
    emulator, fidelity = emulated
    emulator.reset()
    with ExitStack() as stack:
        in_cluster = any(s.compute == "kubernetes" for s in plan.services.values()) or any(
            d.store == "kubernetes" for d in plan.data.values()
        )
        clusters = (
            {
                region: stack.enter_context(running_cluster(f"{plan.service}-{role}"))
                for role, region in REGIONS.items()
            }
            if in_cluster
            else {}
        )
        deployment = EmulatedAccount(emulator, fidelity, clusters).deploy_plan(plan, Path(path))
    assert deployment.primary.outputs
    assert "promotion" in deployment.dr.outputs
