"""A night's positions over time: the timeline stage, ``update(t_s, position)`` per classified frame.

A position counts once it has lasted ``min_position_s`` over at least ``min_samples`` samples; shorter
runs (a flicker of the pose model, a moment of turning) are absorbed by the position around them. A
turn is a change between two different sure positions; "unsure" time is kept in the shares but a
position on both sides of it (back, unsure, back) is not a turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .classify import POSITIONS, UNSURE_ID
from .defaults import DEFAULTS, SleepDefaults


@dataclass(frozen=True)
class Segment:
    """One stretch of the night in one position (seconds from the start of the input)."""

    start_s: float
    end_s: float
    position: str

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class NightSummary:
    """The timeline of an input: its segments, each position's share of the time (all of
    :data:`POSITIONS` and "unsure", summing to 1), the number of turns and of flickers ignored."""

    duration_s: float
    segments: tuple[Segment, ...]
    shares: dict[str, float] = field(default_factory=dict)
    turns: int = 0
    flickers: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "duration_s": round(self.duration_s, 1),
            "shares": {k: round(v, 4) for k, v in self.shares.items()},
            "turns": self.turns,
            "flickers_ignored": self.flickers,
            "segments": [{"start_s": round(s.start_s, 1), "end_s": round(s.end_s, 1), "position": s.position}
                         for s in self.segments],
        }


@dataclass
class _Run:
    position: str
    start_s: float
    samples: int = 1


class PositionTimeline:
    """Debounces per-frame positions into segments; :meth:`finish` gives the :class:`NightSummary`."""

    def __init__(self, defaults: SleepDefaults = DEFAULTS) -> None:
        self.min_s = defaults.min_position_s
        self.min_samples = defaults.min_samples
        self._origin: float | None = None
        self._last_t: float | None = None
        self._current: _Run | None = None
        self._candidate: _Run | None = None
        self._segments: list[Segment] = []
        self._last_sure: str | None = None
        self.turns = 0
        self.flickers = 0

    def update(self, t_s: float, position: str) -> list[Segment]:
        """Add one classified frame at ``t_s`` (increasing). Returns the segments this frame closed."""
        if position not in POSITIONS + (UNSURE_ID,):
            raise ValueError(f"unknown position {position!r}")
        step = t_s - self._last_t if self._last_t is not None else 0.0
        if self._origin is None:
            self._origin = t_s
        self._last_t = t_s
        current, cand = self._current, self._candidate
        if current is not None and position == current.position:
            if cand is not None:
                self.flickers += 1
            self._candidate = None
            return []
        if cand is not None and cand.position == position:
            cand.samples += 1
        else:
            if cand is not None:
                self.flickers += 1
            cand = self._candidate = _Run(position, t_s)
        if cand.samples >= self.min_samples and t_s + step - cand.start_s >= self.min_s:
            closed = [self._close(current, cand.start_s)] if current is not None else []
            # The first position counted starts with the input: what came before it was too short to count.
            self._confirm(cand.position, cand.start_s if current is not None else self._origin)
            return closed
        return []

    def _confirm(self, position: str, start: float) -> None:
        self._current = _Run(position, start)
        self._candidate = None
        if position != UNSURE_ID:
            if self._last_sure is not None and position != self._last_sure:
                self.turns += 1
            self._last_sure = position

    def _close(self, run: _Run, end: float) -> Segment:
        seg = Segment(run.start_s, end, run.position)
        self._segments.append(seg)
        return seg

    def finish(self, end_s: float) -> NightSummary:
        """Close the timeline at ``end_s`` (the end of the last frame's time). An input too short for
        any position to count is all in its last candidate position."""
        if self._origin is None:
            return NightSummary(0.0, (), {p: 0.0 for p in POSITIONS + (UNSURE_ID,)}, 0, 0)
        if self._current is None and self._candidate is not None:
            self._confirm(self._candidate.position, self._origin)
        elif self._candidate is not None:
            self.flickers += 1
            self._candidate = None
        assert self._current is not None
        end_s = max(end_s, self._last_t or 0.0)
        self._close(self._current, end_s)
        self._current = None
        total = end_s - self._origin
        shares = {p: 0.0 for p in POSITIONS + (UNSURE_ID,)}
        for s in self._segments:
            shares[s.position] += s.seconds / total if total > 0 else 1.0 / len(self._segments)
        return NightSummary(total, tuple(self._segments), shares, self.turns, self.flickers)
