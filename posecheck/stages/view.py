"""The camera's view of the body: degrees from in front (0) to side-on (90), smoothed, and its history."""

from __future__ import annotations

import math

import numpy as np

from ..spec.schema import Range

#: Time constant of the smoothing: the per-frame estimate wobbles by several degrees.
SMOOTH_S = 0.5


class ViewTracker:
    """``update(view_deg, dt)`` smooths each frame's estimate (``Sample.view_deg``); ``allows(views)``
    says whether a stage or check declared for ``views`` can work now (an unknown view allows all)."""

    def __init__(self) -> None:
        self.deg = math.nan
        self._frames_at = np.zeros(91)  # frames seen at each whole degree: the median, with flat memory

    def update(self, view_deg: float, dt: float) -> float:
        """Take one frame's estimate (NaN: none); return the smoothed view."""
        if math.isfinite(view_deg):
            if math.isfinite(self.deg):
                self.deg += (view_deg - self.deg) * min(1.0, dt / SMOOTH_S)
            else:
                self.deg = view_deg
            self._frames_at[min(max(round(self.deg), 0), 90)] += 1
        return self.deg

    def allows(self, views: Range) -> bool:
        deg = self.deg
        return not math.isfinite(deg) or views[0] <= deg <= views[1]

    @property
    def median_deg(self) -> float | None:
        """The median view over the input so far (whole degrees), None before any estimate."""
        total = self._frames_at.sum()
        if total == 0:
            return None
        return float(np.searchsorted(np.cumsum(self._frames_at), total / 2))
