"""Fixtures for the operational scripts: a moto world, and throttling below botocore's retries.

Every test runs under fake credentials (`aws_credentials`) and moto; nothing reaches AWS. The
world is built with the primary (us-east-1) and DR (us-west-2) regional clients side by side;
world.py says what it holds and where moto is patched to behave like AWS.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.endpoint
import botocore.retries.bucket
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from tests.operations.estate import build_estate
from tests.operations.harness import (
    ClientCache,
    Scenario,
    Throttle,
    fresh_session,
    protocol_of_this_thread,
    throttle_response,
)
from tests.operations.toolkit import Toolkit
from tests.operations.world import build_world, moto_like_aws


@pytest.fixture
def aws_env(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto starts services with 0 running tasks unless told to run what they ask for.
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    # The EC2 backend loads thousands of AMIs per region unless told not to; none are used.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def scenario(aws_env: None, tmp_path: Path) -> Iterator[Callable[..., Scenario]]:
    """``scenario(**build_world_kwargs)``: a fresh world in moto, patched to behave like AWS."""
    with mock_aws(), contextlib.ExitStack() as stack:

        def make(**kwargs: Any) -> Scenario:
            clients = ClientCache(fresh_session())
            world = build_world(clients, **kwargs)
            stack.enter_context(moto_like_aws(world))
            return Scenario(world, clients, tmp_path)

        yield make


@pytest.fixture
def throttle(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, int]], Throttle]:
    """Throttling through botocore's real retry handler, without its real sleeps."""
    original = BotocoreStubber.__call__

    def install(operations: dict[str, int]) -> Throttle:
        throttler = Throttle(operations)

        def stubbed(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            if self.enabled and throttler.should_throttle(event_name):
                return throttle_response(request, protocol_of_this_thread())
            return original(self, event_name, request, **kwargs)

        monkeypatch.setattr(BotocoreStubber, "__call__", stubbed)
        return throttler

    no_backoff_sleep(monkeypatch)
    return install


def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries without their real sleeps (backoff)."""

    class NoSleep:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            pass

    monkeypatch.setattr(botocore.endpoint, "time", NoSleep())
    monkeypatch.setattr(
        botocore.retries.bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True
    )


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    no_backoff_sleep(monkeypatch)


@pytest.fixture
def estate(aws_env: None, tmp_path: Path) -> Iterator[Callable[..., Toolkit]]:
    """``estate(**build_world_kwargs)``: the toolkit's whole estate in moto (estate.py), patched
    like ``scenario``; the drill history is a file in the test's directory."""
    with mock_aws(), contextlib.ExitStack() as stack:

        def make(**kwargs: Any) -> Toolkit:
            clients = ClientCache(fresh_session())
            built = build_estate(clients, tmp_path / "history.jsonl", **kwargs)
            stack.enter_context(moto_like_aws(built.world))
            return Toolkit(built, clients, tmp_path)

        yield make
