"""Presence: is someone there? A dropout shorter than the grace is not leaving."""

from __future__ import annotations

from .. import events as ev
from ..sampler import Sample


class Presence:
    """Tracks whether the person is in view, and for how long nobody, or more than one, was."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.lost = True
        self.absent_s = 0.0
        self.crowded_s = 0.0
        self._lost_since: float | None = None

    def update(self, sample: Sample, t: float, dt: float, out: list[ev.Event]) -> bool:
        """Take one frame; True on the frame the person is declared gone."""
        if sample.people_in_view > 1:
            self.crowded_s += dt
        if sample.pose_found:
            self._lost_since = None
            if self.lost:
                self.lost = False
                out.append(ev.PersonFound(t, sample.people_in_view))
            return False
        self.absent_s += dt
        if self._lost_since is None:
            self._lost_since = t
        if not self.lost and t - self._lost_since > self.grace_s:
            self.lost = True
            out.append(ev.PersonLost(t))
            return True
        return False
