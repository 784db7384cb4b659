"""Smoothing of landmark tracks: the One Euro filter (Casiez, Roussel, Vogel, CHI 2012)."""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray:
    tau = 1.0 / (2 * math.pi * np.asarray(cutoff_hz, float))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Adaptive low-pass filter over arrays of any fixed shape.

    Slow movement is smoothed hard (``min_cutoff``); fast movement passes with little lag (``beta``).
    NaN inputs leave the state unchanged and come out as NaN.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a dropout the next value is taken as it is)."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def update(self, x: np.ndarray, t_s: float) -> np.ndarray:
        """Filter one observation at time ``t_s`` (seconds); returns the smoothed value."""
        x = np.asarray(x, float)
        if self._x is None or self._t is None or t_s <= self._t:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t_s
            return x.copy()
        dt = t_s - self._t
        self._t = t_s
        finite = np.isfinite(x)
        prev = np.where(np.isfinite(self._x), self._x, x)
        dx = np.where(finite, (x - prev) / dt, 0.0)
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        a = _alpha(self.min_cutoff + self.beta * np.abs(self._dx), dt)
        smoothed = a * x + (1 - a) * prev
        self._x = np.where(finite, smoothed, self._x)
        return np.where(finite, smoothed, np.nan)
