"""Cue pacing: one cue on screen (and in the ear) at a time, each long enough to read."""

from __future__ import annotations

from collections.abc import Sequence

from ..events import Cue, Event
from ..spec.schema import CueSpec


class CuePacer:
    """Lets one cue through at a time; it owns the screen for the spec's ``show_s``.

    A cue that arrives while another is shown waits (only the latest waits: no backlog) and is shown
    when the screen is free, unless it is older than its own ``show_s`` by then. The same text is not
    shown again within ``cooldown_s`` (so one check repeating itself, or two checks giving the same
    advice, is said once). The evaluator's last stage: analyze, live and tune all see the cues it lets
    through. ``update`` returns the events with Cue events replaced by the cues to show now.
    """

    def __init__(self, cues: CueSpec) -> None:
        self.cues = cues
        self.reset()

    def reset(self) -> None:
        """Forget the cue on screen and the one waiting (a new set)."""
        self._until = float("-inf")
        self._waiting: Cue | None = None
        self._last_shown: dict[str, float] = {}

    def update(self, events: Sequence[Event], t_s: float) -> tuple[Event, ...]:
        """The events to pass on at time ``t_s``: non-cue events unchanged, plus at most one cue."""
        others = [e for e in events if not isinstance(e, Cue)]
        batch = [e for e in events if isinstance(e, Cue)]
        if batch:
            self._waiting = batch[0]  # the spec lists checks by importance; one cue per moment
        shown = self._next(t_s)
        return (*others, shown) if shown is not None else tuple(others)

    def _next(self, t_s: float) -> Cue | None:
        cue = self._waiting
        if cue is None or t_s < self._until:
            return None
        self._waiting = None
        if t_s - cue.t_s > cue.show_s:
            return None
        if t_s - self._last_shown.get(cue.text, float("-inf")) < self.cues.cooldown_s:
            return None
        show_s = self.cues.show_s
        self._until = t_s + show_s
        self._last_shown[cue.text] = t_s
        return Cue(t_s, cue.text, cue.fault, show_s)
