"""One component declared in isolation under the offline mocks, as the engine would record it.

``declare(build)`` runs ``build`` (which constructs components and returns the outputs to read)
inside a Pulumi program of its own, with every registration recorded exactly as
``offline.program.run_program`` records a whole stack, and returns what was declared with the
returned outputs resolved. Component tests import the component they test and nothing else of
the program.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import config as pulumi_config
from pulumi.runtime import mocks as pm
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from offline.mocks import OfflineMocks
from offline.program import _RUN_LOCK, RecordedResource, _RecordingMonitor, _resolve

PROJECT = "continuity"


@dataclass
class Declared:
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str) -> RecordedResource:
        found = self.of_type(typ)
        assert len(found) == 1, f"{len(found)} resources of type {typ}: {[r.urn for r in found]}"
        return found[0]

    def named(self, name: str) -> RecordedResource:
        return next(r for r in self.resources if r.name == name)


def declare(
    build: Callable[[], dict[str, Any]],
    *,
    region: str = "us-west-2",
    stack: str = "dr",
    mocks: pm.Mocks | None = None,
) -> Declared:
    with _RUN_LOCK:
        pulumi_settings.ROOT.set(None)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        worker_loops: list[asyncio.AbstractEventLoop] = []

        def worker_loop() -> None:
            worker_loops.append(asyncio.new_event_loop())
            asyncio.set_event_loop(worker_loops[-1])

        executor = concurrent.futures.ThreadPoolExecutor(initializer=worker_loop)
        loop.set_default_executor(executor)
        pulumi_config.set_all_config({"aws:region": region}, [])
        monitor = _RecordingMonitor(mocks or OfflineMocks(region))
        pm.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
        # A program stopped by an error (a refusal under test) leaves its output tasks behind,
        # bound to its closed loop; the next program must not wait on them.
        pulumi_settings.SETTINGS.outputs.clear()
        returned: dict[str, Any] = {}
        try:

            def program() -> None:
                returned.update(build())

            _sync_await(run_pulumi_func(program))
            outputs = {k: _resolve(v) for k, v in returned.items()}
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            executor.shutdown(wait=True)
            for worker in worker_loops:
                worker.close()
            loop.close()
            asyncio.set_event_loop(None)
        return Declared(resources=list(monitor.records), outputs=outputs)
