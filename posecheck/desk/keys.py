"""Snooze from the keyboard: ``s`` + Enter on stdin (a line at a time, so it works in any terminal)."""

from __future__ import annotations

import queue
import sys
import threading
from typing import Protocol, TextIO

SNOOZE_KEYS = ("s", "snooze")


class Commands(Protocol):
    """``poll(t_s)``: the commands ("snooze") that arrived since the last call."""

    def poll(self, t_s: float) -> list[str]: ...


class NoCommands:
    def poll(self, t_s: float) -> list[str]:
        return []


class StdinCommands:
    """Reads lines from ``stream`` on a daemon thread; ``s`` (or ``snooze``) + Enter is a snooze."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, name="posecheck-desk-keys", daemon=True).start()

    def _read(self) -> None:
        for line in self._stream:
            if line.strip().lower() in SNOOZE_KEYS:
                self._queue.put("snooze")

    def poll(self, t_s: float) -> list[str]:
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out


class ScheduledCommands:
    """Commands at given simulated times (tests and benchmarks): ``{t_s: "snooze"}``."""

    def __init__(self, at: dict[float, str]) -> None:
        self._due = sorted(at.items())

    def poll(self, t_s: float) -> list[str]:
        out = [c for t, c in self._due if t <= t_s]
        self._due = [(t, c) for t, c in self._due if t > t_s]
        return out
