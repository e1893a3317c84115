"""Run the real Pulumi program (`__main__.py`, unchanged) for a stack, without the Pulumi CLI.

Config comes from Pulumi.yaml (defaults) and Pulumi.<stack>.yaml, as `pulumi up` would read it;
the DR stack is fed the outputs of a run of the primary stack. Every resource registration is
recorded with what the engine would see (type, URN, parent, inputs, dependencies, property
dependencies), and the stack's exports are resolved.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import runpy
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import mocks as pm
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import massage, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from offline.mocks import OfflineMocks

ROOT = Path(__file__).resolve().parent.parent
ROOT_TYPE = "pulumi:pulumi:Stack"
# The organization a self-managed backend (file://, s3://) gives every stack; stack references
# there are organization/<project>/<stack>.
ORGANIZATION = "organization"
_RUN_LOCK = threading.Lock()  # the Pulumi runtime keeps global state: one program at a time

MocksFactory = Callable[[str, dict[str, dict[str, Any]]], pm.Mocks]


class OfflineError(Exception):
    """The program could not run for this stack; the message is the whole explanation."""


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]  # wire form: camelCase, unknowns as the string sentinel, secrets wrapped
    outputs: dict[str, Any]
    parent: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    id: str | None = None
    # Where the program constructed it, as the engine records it (project:///<path>#<line>).
    source_position: str = ""
    # The aliases the program gave (wire form: {"urn": ...} or {"spec": {...}}), as the engine sees them.
    aliases: list[dict[str, Any]] = field(default_factory=list)
    retain_on_delete: bool = False  # `pulumi destroy` leaves it in the cloud

    def plain_inputs(self) -> dict[str, Any]:
        return unwrap_secrets(self.inputs)

    def plain_outputs(self) -> dict[str, Any]:
        return unwrap_secrets(self.outputs)


@dataclass
class StackRun:
    project: str
    stack: str
    region: str
    config: dict[str, str]
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    stack_urn: str = ""

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == typ]

    def by_urn(self, urn: str) -> RecordedResource:
        return next(r for r in self.resources if r.urn == urn)


def unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if rpc._special_sig_key in value and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


class _RecordingMonitor(pm.MockMonitor):
    """Records registrations; names URNs the way the engine does (full parent type chain, no
    root Stack type), unlike MockMonitor's own rule."""

    def __init__(self, mocks: pm.Mocks, root: Path = ROOT) -> None:
        super().__init__(mocks)
        self.root = root
        self.records: list[RecordedResource] = []
        self.stack_urn = ""
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            qualified = parent.split("::")[2]
            if qualified != ROOT_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == ROOT_TYPE:
            self.stack_urn = response.urn
            return response
        record = RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=request.custom,
            inputs=json_format.MessageToDict(request.object),
            outputs=json_format.MessageToDict(response.object),
            parent=request.parent or None,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            provider=request.provider,
            id=response.id or None,
            source_position=_source_position(request, self.root),
            aliases=[json_format.MessageToDict(alias) for alias in request.aliases],
            retain_on_delete=bool(request.retainOnDelete),
        )
        with self._lock:
            self.records.append(record)
        return response


def _source_position(request: Any, root: Path) -> str:
    """The request's sourcePosition as the engine writes it into state (ResourceV3.sourcePosition,
    pkg/resource/deploy/source_eval.go): project-relative, ``project:///<path>#<line>[,<column>]``."""
    position = request.sourcePosition
    if not position.uri.startswith("file://") or position.line <= 0:
        return ""
    try:
        path = Path(unquote(urlparse(position.uri).path)).relative_to(root)
    except ValueError:
        return ""
    column = f",{position.column}" if position.column else ""
    return f"project:///{path.as_posix()}#{position.line}{column}"


def stack_config(stack: str, *, root: Path = ROOT) -> tuple[str, dict[str, str]]:
    """(project name, config) as the CLI assembles it: Pulumi.yaml defaults, then the stack file."""
    project_file = root / "Pulumi.yaml"
    stack_file = root / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise OfflineError(f"unknown stack {stack!r} (no {stack_file.name}; stacks: {', '.join(known)})")
    project = yaml.safe_load(project_file.read_text())
    name = str(project["name"])
    values: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict) and spec.get("secret") and "default" in spec:
            # The CLI merges project defaults into the stack's config as plain text, then refuses any
            # secret key whose value is not encrypted (pulumi/pulumi pkg/workspace/config.go).
            raise OfflineError(
                f"Pulumi.yaml: config {key}: a secret key cannot have a plain default (the CLI: "
                f"\"Stack '{stack}' with configuration key '{name}:{key}' must be encrypted as it's secret\")"
            )
        if isinstance(spec, dict) and "default" in spec:
            values[f"{name}:{key}"] = _config_text(spec["default"])
    for key, value in ((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}).items():
        values[key if ":" in key else f"{name}:{key}"] = _config_text(value)
    return name, values


def _config_text(value: Any) -> str:
    """Config values reach a program as text; structured values as JSON, booleans lower-case."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


# The program's own packages: reloaded for every run, so that each run declares its resources
# afresh (the plan library is pure and keeps its caches).
PROGRAM_PACKAGES = ("components",)


def _execute(program: Path) -> None:
    for module in [m for m in sys.modules if m.split(".")[0] in PROGRAM_PACKAGES]:
        del sys.modules[module]
    directory = str(program.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    runpy.run_path(str(program), run_name="__main__")


def _resolve(value: Any) -> Any:
    async def resolve() -> Any:
        output = pulumi.Output.from_input(massage(value, []))
        return await output.future(with_unknowns=True)

    return _sync_await(resolve())


def _ignore_orphans(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """After a failed run, the error it was stopped by is also in every future that was waiting on
    it; asyncio would report each as "never retrieved". Anything else is still reported."""
    if "never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def run_program(
    stack: str,
    plan_path: str | Path | None = None,
    *,
    config_overrides: dict[str, str] | None = None,
    mocks_factory: MocksFactory | None = None,
    primary_outputs: dict[str, Any] | None = None,
    preview: bool = False,
    root: Path = ROOT,
) -> StackRun:
    """Run the program for ``stack`` under mocks and return what it declared and exported."""
    project, config = stack_config(stack, root=root)
    if plan_path is not None:
        config[f"{project}:plan"] = str(Path(plan_path).resolve())
    config.update(config_overrides or {})
    region = config.get("aws:region", "")
    stack_outputs: dict[str, dict[str, Any]] = {}
    reference = config.get(f"{project}:primaryStack", "")
    if config.get(f"{project}:role") == "dr" and not reference:
        reference = f"{ORGANIZATION}/{project}/primary"  # what __main__.py defaults to
    if config.get(f"{project}:role") == "dr" and reference:
        if primary_outputs is None:
            primary_stack = reference.rsplit("/", 1)[-1]
            # What the DR stack was given beyond its own file applies to the primary too (a cluster
            # named for both, say), except what says which stack and where it is.
            own = {"aws:region", *(f"{project}:{k}" for k in ("role", "primaryStack", "promoted", "vpcCidr"))}
            shared = {k: v for k, v in (config_overrides or {}).items() if k not in own}
            primary_outputs = run_program(
                primary_stack, plan_path, config_overrides=shared, mocks_factory=mocks_factory, root=root
            ).outputs
        stack_outputs[reference] = primary_outputs
    factory: MocksFactory = mocks_factory or OfflineMocks
    mocks = factory(region, stack_outputs)
    with _RUN_LOCK:
        return _run(
            root / "__main__.py",
            project=project,
            stack=stack,
            region=region,
            config=config,
            mocks=mocks,
            preview=preview,
        )


def _run(
    program: Path,
    *,
    project: str,
    stack: str,
    region: str,
    config: dict[str, str],
    mocks: pm.Mocks,
    preview: bool,
) -> StackRun:
    pulumi_settings.ROOT.set(None)  # set_mocks otherwise reuses the previous run's Stack
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # MockMonitor answers from executor threads, each of which makes itself an event loop and
    # never closes it; give those threads loops this run can close.
    worker_loops: list[asyncio.AbstractEventLoop] = []

    def worker_loop() -> None:
        worker_loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(worker_loops[-1])

    executor = concurrent.futures.ThreadPoolExecutor(initializer=worker_loop)
    loop.set_default_executor(executor)
    pulumi_config.set_all_config(config, [])
    monitor = _RecordingMonitor(mocks, program.parent)
    pm.set_mocks(
        mocks, project=project, stack=stack, preview=preview, monitor=monitor, organization=ORGANIZATION
    )
    root_resource = pulumi_settings.get_root_resource()
    pulumi_settings.SETTINGS.outputs.clear()
    try:
        _sync_await(run_pulumi_func(lambda: _execute(program)))
        outputs = {k: _resolve(v) for k, v in (root_resource.outputs if root_resource else {}).items()}  # type: ignore[attr-defined]
    except pulumi.RunError as err:
        loop.set_exception_handler(_ignore_orphans)
        raise OfflineError(f"stack {stack}: {err}") from None
    except KeyError as err:
        loop.set_exception_handler(_ignore_orphans)
        raise OfflineError(f"stack {stack}: {err.args[0] if err.args else err}") from None
    finally:
        # A run stopped by an error leaves applies waiting on outputs that will never resolve.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        executor.shutdown(wait=True)
        for worker in worker_loops:
            worker.close()
        loop.close()
        asyncio.set_event_loop(None)
    return StackRun(
        project=project,
        stack=stack,
        region=region,
        config=config,
        resources=list(monitor.records),
        outputs=outputs,
        stack_urn=monitor.stack_urn,
    )
