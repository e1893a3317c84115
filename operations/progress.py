"""Progress as a script runs: a live status line on a terminal, plain timestamped lines otherwise.

Steps can run at once (a failover promotes databases while it scales services), so progress is
keyed by step and thread-safe. On a terminal one status line at the bottom shows every running
step with its latest state and elapsed time, redrawn a few times a second; finished steps and
notes scroll above it. Anywhere else (a pipe, CI, `script` logs) each change is one line.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from operations.clock import Clock, format_seconds

_SPINNER = "|/-\\"


class Progress:
    """Plain lines: ``[+01:23] promote: orders-db-dr: modifying``. Repeated states are not reprinted."""

    def __init__(self, stream: TextIO, clock: Clock) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock.monotonic()
        self._lock = threading.RLock()
        self._running: dict[str, tuple[str, float, str]] = {}  # step -> (title, started, state)
        self._paused = False

    # -- what steps report
    def step_started(self, step: str, title: str) -> None:
        with self._lock:
            self._running[step] = (title, self.clock.monotonic(), "")
            self._line(f"{title} ...")

    def state(self, step: str, text: str) -> None:
        with self._lock:
            title, started, last = self._running.get(step, (step, self.clock.monotonic(), ""))
            if text == last:
                return
            self._running[step] = (title, started, text)
            self._state_changed(title, text)

    def step_finished(self, step: str, outcome: str, detail: str = "") -> None:
        with self._lock:
            title, started, _ = self._running.pop(step, (step, self.clock.monotonic(), ""))
            took = format_seconds(self.clock.monotonic() - started)
            self._line(f"{title}: {outcome} in {took}" + (f" ({detail})" if detail else ""))

    def note(self, text: str) -> None:
        with self._lock:
            self._line(text)

    def close(self) -> None:
        """Stop any background drawing; safe to call twice."""

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the display still (an operator is typing an answer)."""
        with self._lock:
            self._paused = True
            self._clear()
        try:
            yield
        finally:
            with self._lock:
                self._paused = False

    def _clear(self) -> None:
        pass

    # -- output
    def _elapsed(self) -> str:
        whole = int(self.clock.monotonic() - self.started)
        return f"+{whole // 60:02d}:{whole % 60:02d}"

    def _line(self, text: str) -> None:
        self.stream.write(f"[{self._elapsed()}] {text}\n")
        self.stream.flush()

    def _state_changed(self, title: str, text: str) -> None:
        self._line(f"{title}: {text}")


class LiveProgress(Progress):
    """A redrawn status line under the scrolling log, for an operator at a terminal."""

    def __init__(self, stream: TextIO, clock: Clock, interval: float = 0.2) -> None:
        super().__init__(stream, clock)
        self._interval = interval
        self._tick = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw_loop, name="progress", daemon=True)
        self._thread.start()

    def _draw_loop(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                self._tick += 1
                self._draw()

    def _status(self) -> str:
        now = self.clock.monotonic()
        parts = []
        for title, started, state in self._running.values():
            elapsed = int(now - started)
            parts.append(f"{title} [{elapsed // 60:02d}:{elapsed % 60:02d}]" + (f" {state}" if state else ""))
        if not parts:
            return ""
        width = shutil.get_terminal_size((100, 20)).columns - 1
        text = f"{_SPINNER[self._tick % len(_SPINNER)]} " + " | ".join(parts)
        return text if len(text) <= width else text[: max(0, width - 3)] + "..."

    def _draw(self) -> None:
        if self._paused:
            return
        self.stream.write("\r\x1b[2K" + self._status())
        self.stream.flush()

    def _clear(self) -> None:
        self.stream.write("\r\x1b[2K")
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write("\r\x1b[2K")
        super()._line(text)
        self._draw()

    def _state_changed(self, title: str, text: str) -> None:
        # States go to the live line only; the scrolling log keeps steps and notes.
        self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        with self._lock:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


class SilentProgress(Progress):
    def _line(self, text: str) -> None:
        pass


def progress_for(stream: TextIO, clock: Clock, *, live: bool | None = None) -> Progress:
    """Live on a terminal (unless TERM=dumb), plain lines anywhere else."""
    if live is None:
        isatty = getattr(stream, "isatty", None)
        live = bool(isatty and isatty()) and os.environ.get("TERM", "") != "dumb"
    return LiveProgress(stream, clock) if live else Progress(stream, clock)


class Nested(Progress):
    """Progress of a run inside another (a drill's readiness and failover): every step title is
    prefixed, and everything goes to the outer run's display."""

    def __init__(self, outer: Progress, prefix: str) -> None:
        super().__init__(outer.stream, outer.clock)
        self.outer = outer
        self.prefix = prefix

    def step_started(self, step: str, title: str) -> None:
        self.outer.step_started(f"{self.prefix}.{step}", f"{self.prefix}: {title}")

    def state(self, step: str, text: str) -> None:
        self.outer.state(f"{self.prefix}.{step}", text)

    def step_finished(self, step: str, outcome: str, detail: str = "") -> None:
        self.outer.step_finished(f"{self.prefix}.{step}", outcome, detail)

    def note(self, text: str) -> None:
        self.outer.note(f"{self.prefix}: {text}")

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self.outer.paused():
            yield
