"""Running the toolkit scripts (readiness, restore test, drill, failback) in-process against the
moto estate, the way harness.Scenario runs promote_dr.py: a fresh session with a CallRecorder, a
virtual clock, fast timings, the fake Pulumi CLI, and the report read back."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from operations.aws import Aws, CallRecorder, EventHook
from tests.operations.estate import Estate, RecoveryPointsAnswer, history_entry
from tests.operations.harness import ClientCache, FakeClock, FakePulumi, fresh_session

Main = Callable[..., int]


def _main(script: str) -> Main:
    if script == "dr_readiness":
        from scripts.dr_readiness import main as readiness

        return readiness
    if script == "restore_test":
        from scripts.restore_test import main as restore

        return restore
    if script == "dr_drill":
        from scripts.dr_drill import main as drill

        return drill
    if script == "failback":
        from scripts.failback import main as failback

        return failback
    if script == "promote_dr":
        from scripts.promote_dr import main as promote

        return promote
    if script == "recover":
        from scripts.recover import main as recover

        return recover
    raise ValueError(script)


@dataclass
class Run:
    code: int
    out: str
    err: str
    report: dict[str, Any] | None
    markdown: str | None
    recorder: CallRecorder
    clock: FakeClock

    @property
    def operations(self) -> list[str]:
        return self.recorder.operations()

    def check(self, check_id: str) -> dict[str, Any]:
        assert self.report is not None, self.err
        return next(c for c in self.report["checks"] if c["check"] == check_id)

    def step(self, key: str) -> dict[str, Any]:
        assert self.report is not None, self.err
        return next(s for s in self.report["steps"] if s["step"] == key)


@dataclass
class Toolkit:
    estate: Estate
    client: ClientCache
    tmp_path: Path
    pulumi: FakePulumi = field(default_factory=FakePulumi)
    runs: int = 0
    answer_recovery_points: bool = False

    def outputs_file(self, document: object | None = None) -> Path:
        path = self.tmp_path / f"outputs-{self.runs}.json"
        path.write_text(json.dumps(self.estate.outputs if document is None else document))
        return path

    def run(
        self,
        script: str,
        *extra: str,
        hooks: list[EventHook] | None = None,
        outputs: Path | None = None,
        plan: Path | None = None,
        clock: FakeClock | None = None,
        pulumi: FakePulumi | None = None,
        **kwargs: Any,
    ) -> Run:
        self.runs += 1
        report = self.tmp_path / f"{script}-{self.runs}.json"
        recorder = CallRecorder()
        extra_hooks = list(hooks or [])
        if self.answer_recovery_points:
            extra_hooks.append(RecoveryPointsAnswer(self.estate).hook)
        args = ["--outputs", str(outputs or self.outputs_file()), "--report", str(report)]
        if plan is not None:
            args += ["--plan", str(plan)]
        out, err = io.StringIO(), io.StringIO()
        the_clock = clock or FakeClock()
        code = _main(script)(
            [*args, *extra],
            aws=Aws(fresh_session(), hooks=[recorder.hook, *extra_hooks]),
            pulumi=pulumi or self.pulumi,
            clock=the_clock,
            stdout=out,
            stderr=err,
            **kwargs,
        )
        data = json.loads(report.read_text()) if report.exists() else None
        md = report.with_suffix(".md")
        return Run(
            code,
            out.getvalue(),
            err.getvalue(),
            data,
            md.read_text() if md.exists() else None,
            recorder,
            the_clock,
        )


def ready(make: Callable[..., Toolkit], before: Callable[[Toolkit], None] | None = None) -> Toolkit:
    """An estate where everything the plan asks for is in place and recent (recovery points answered
    in moto's place, a restore test 10 days ago, a drill 20 days ago, objects replicated); ``before``
    changes it before the buckets get their objects (S3 refuses some changes to a bucket holding any)."""
    t = make(primary_down=False)
    t.answer_recovery_points = True
    t.estate.fresh_recovery_points()
    t.estate.write_history(
        *[
            history_entry("restore_test", age=timedelta(days=10), data_item=item)
            for item in ("database", "user-files", "audit-logs")
        ],
        history_entry("drill", age=timedelta(days=20)),
    )
    if before is not None:
        before(t)
    for item in ("user-files", "audit-logs"):
        t.estate.put_object(t.client, "primary", item, f"{item}/2026/11/23/a.json")
        t.estate.replicate(t.client, item)
    return t
