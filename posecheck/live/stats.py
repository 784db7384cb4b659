"""Live timing: frame rates, latency from capture to feedback, and frames dropped to stay current."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Timings of the first second are left out of percentiles (the model's first calls include its
#: warm-up), unless fewer than MIN_WARM timings came after it.
WARMUP_S = 1.0
MIN_WARM = 10


@dataclass(frozen=True)
class StatsSummary:
    """A session's timing figures (milliseconds, frames per second, shares in [0, 1]).

    ``result_latency_*``: capture → events ready (what the terminal and voice see);
    ``screen_latency_*``: capture → drawn in the window (NaN when headless); ``model_*``: pose model time
    per frame; ``dropped_share``: frames the camera delivered (or a real-time file played) that never
    went through the pose model, because a newer frame had arrived (``frames_paused`` were not analysed
    because the session was paused; they are not counted as dropped).
    """

    frames_captured: int
    frames_processed: int
    frames_dropped: int
    frames_paused: int
    dropped_share: float
    pose_fps: float
    display_fps: float
    result_latency_p50_ms: float
    result_latency_p95_ms: float
    screen_latency_p50_ms: float
    screen_latency_p95_ms: float
    model_p50_ms: float
    model_p95_ms: float

    def line(self) -> str:
        """One line for the terminal."""
        screen = (
            f", on screen {_ms(self.screen_latency_p50_ms)}/{_ms(self.screen_latency_p95_ms)} ms"
            if np.isfinite(self.screen_latency_p50_ms)
            else ""
        )
        return (
            f"{self.pose_fps:.1f} fps through the model (model {_ms(self.model_p50_ms)} ms); latency p50/p95 "
            f"{_ms(self.result_latency_p50_ms)}/{_ms(self.result_latency_p95_ms)} ms{screen}; dropped "
            f"{self.frames_dropped}/{self.frames_captured} frames ({100 * self.dropped_share:.1f}%)"
        )


def _pct(timed: list[tuple[float, float]], q: float, warm_from: float) -> float:
    """Percentile ``q`` of the values timed after ``warm_from`` (of all, if too few came after)."""
    warm = [v for t, v in timed if t >= warm_from]
    values = warm if len(warm) >= MIN_WARM else [v for _, v in timed]
    return float(np.percentile(values, q)) if values else float("nan")


def _ms(value: float) -> str:
    return f"{value:.0f}" if np.isfinite(value) else "-"


class LiveStats:
    """Collects timings from the capture, pose and display threads (each appends its own lists)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.start = clock()
        self.captured = 0
        self.processed = 0
        self.skipped = 0
        self.paused = 0
        self.source_dropped = 0
        self._model: list[tuple[float, float]] = []  # (when, milliseconds)
        self._result: list[tuple[float, float]] = []
        self._screen: list[tuple[float, float]] = []
        self._results_at: deque[float] = deque(maxlen=30)
        self._draws_at: deque[float] = deque(maxlen=30)
        self._lock = threading.Lock()
        self.last_latency_ms = float("nan")
        self._model_ema = float("nan")

    def model_time(self, seconds: float) -> None:
        """One pose model call took ``seconds``."""
        self._model_ema = seconds if not np.isfinite(self._model_ema) else 0.8 * self._model_ema + 0.2 * seconds
        self._model.append((self.clock(), seconds * 1000.0))

    @property
    def model_ema_s(self) -> float:
        """Recent pose model time per frame (seconds; NaN before the first)."""
        return self._model_ema

    def result(self, captured_at: float) -> None:
        """A frame's events are ready (all sinks done)."""
        now = self.clock()
        self.processed += 1
        with self._lock:
            self._results_at.append(now)
        self._result.append((now, (now - captured_at) * 1000.0))

    def shown(self, captured_at: float | None) -> None:
        """The window was redrawn; ``captured_at`` is set when it showed a new pose result."""
        now = self.clock()
        with self._lock:
            self._draws_at.append(now)
        if captured_at is not None:
            self.last_latency_ms = (now - captured_at) * 1000.0
            self._screen.append((now, self.last_latency_ms))

    @staticmethod
    def _rate(times: deque[float]) -> float:
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    @property
    def pose_fps(self) -> float:
        """Pose results per second, over the last 30."""
        with self._lock:
            return self._rate(self._results_at)

    @property
    def display_fps(self) -> float:
        """Window redraws per second, over the last 30."""
        with self._lock:
            return self._rate(self._draws_at)

    def summary(self) -> StatsSummary:
        """The figures of the whole session so far."""
        elapsed = self.clock() - self.start
        captured = self.captured + self.source_dropped
        dropped = self.skipped + self.source_dropped
        considered = captured - self.paused
        warm = self.start + WARMUP_S
        return StatsSummary(
            frames_captured=captured,
            frames_processed=self.processed,
            frames_dropped=dropped,
            frames_paused=self.paused,
            dropped_share=dropped / considered if considered > 0 else 0.0,
            pose_fps=self.processed / elapsed if elapsed > 0 else 0.0,
            display_fps=self.display_fps,
            result_latency_p50_ms=_pct(self._result, 50, warm),
            result_latency_p95_ms=_pct(self._result, 95, warm),
            screen_latency_p50_ms=_pct(self._screen, 50, warm),
            screen_latency_p95_ms=_pct(self._screen, 95, warm),
            model_p50_ms=_pct(self._model, 50, warm),
            model_p95_ms=_pct(self._model, 95, warm),
        )
