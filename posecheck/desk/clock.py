"""Simulated time for the desk loop: wall time scaled by ``speed``, or a manual clock for tests."""

from __future__ import annotations

import time
from collections.abc import Callable


class ScaledClock:
    """Seconds since the start, running ``speed`` times faster than the wall clock.

    ``hold(t_s)``: when the loop is behind (the model slower than the scaled clock), the clock is set
    back to ``t_s`` so that no sample of a file is skipped: a file plays at most ``speed`` times
    faster than real time."""

    def __init__(self, speed: float = 1.0, *, wall: Callable[[], float] = time.monotonic,
                 sleeper: Callable[[float], None] = time.sleep) -> None:
        self.speed = speed
        self._wall, self._sleep = wall, sleeper
        self._origin = wall()

    def now(self) -> float:
        return (self._wall() - self._origin) * self.speed

    def sleep_until(self, t_s: float) -> None:
        ahead = t_s - self.now()
        if ahead > 0:
            self._sleep(ahead / self.speed)

    def hold(self, t_s: float) -> None:
        if self.now() > t_s:
            self._origin = self._wall() - t_s / self.speed


class ManualClock:
    """A clock that only moves when slept on: the loop runs as fast as the model (tests, benchmarks)."""

    speed = float("inf")

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep_until(self, t_s: float) -> None:
        self.t = max(self.t, t_s)

    def hold(self, t_s: float) -> None:
        self.t = t_s
