"""The hold timer: in position while every ``[hold] position`` range holds; good form while no hold check
fails."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from .. import events as ev
from ..sampler import Sample
from ..spec.schema import ExerciseSpec
from .checks import Faulted
from .messages import say
from .position import Position


@dataclass
class HoldInProgress(Faulted):
    start_s: float = 0.0
    last_in_position_s: float = 0.0
    good_form_s: float = 0.0
    sides: Counter = field(default_factory=Counter)
    next_progress_s: float = 1.0
    target_announced: bool = False
    #: (t, values of the ``measure`` metrics) over the hold's first and its latest ``measure_s``.
    first: list[tuple[float, tuple[float, ...]]] = field(default_factory=list)
    latest: deque = field(default_factory=deque)

    def keep(self, t: float, values: tuple[float, ...], span_s: float) -> None:
        """Remember a frame's measures: all of the first ``span_s``, and a sliding ``span_s`` at the end."""
        if t - self.start_s <= span_s:
            self.first.append((t, values))
        self.latest.append((t, values))
        while self.latest and t - self.latest[0][0] > span_s:
            self.latest.popleft()

    def measures(self, names: tuple[str, ...]) -> dict[str, tuple[float | None, float | None]]:
        """Median of each measure over the first and the last span (None when never measured)."""

        def median(rows: list | deque, i: int) -> float | None:
            values = np.array([v[i] for _, v in rows], float)
            values = values[np.isfinite(values)]
            return round(float(np.median(values)), 3) if len(values) else None

        return {name: (median(self.first, i), median(self.latest, i)) for i, name in enumerate(names)}


class HoldTimer:
    """``update`` starts and ends holds frame by frame; ``tick`` times each frame in position."""

    def __init__(self, spec: ExerciseSpec) -> None:
        assert spec.hold is not None
        self.position = Position(spec, spec.hold.position)
        self.swap_spec(spec)
        self.holds: list[ev.HoldRecord] = []
        self.hold: HoldInProgress | None = None

    def swap_spec(self, spec: ExerciseSpec) -> None:
        """Use ``spec``'s position ranges from the next frame."""
        assert spec.hold is not None
        self.spec = spec
        self.position.set_ranges(spec, spec.hold.position)

    def in_position(self, sample: Sample) -> bool:
        return self.position.miss(sample.values) is None

    def why_none(self) -> str:
        """Why no hold was found ('' when one was, or nothing was seen)."""
        return "" if self.holds or self.hold is not None else self.position.why()

    def update(self, sample: Sample, t: float, in_position: bool, out: list[ev.Event]) -> HoldInProgress | None:
        """Start or end the hold for this frame; return the hold the frame belongs to (None if none)."""
        hs = self.spec.hold
        assert hs is not None
        hold = self.hold
        if hold is not None and t - hold.last_in_position_s > hs.grace_s:
            # Out of position (or no frames) for longer than the grace: that hold is over.
            self.end(hold.last_in_position_s, out)
            hold = None
        if in_position and hold is None:
            hold = self.hold = HoldInProgress(start_s=t, last_in_position_s=t)
            out.append(ev.HoldStarted(t, sample.side))
        return hold if in_position else None

    def tick(self, sample: Sample, t: float, good: bool, out: list[ev.Event]) -> None:
        """Time a frame in position (after the checks judged it: ``good`` = no hold fault in force)."""
        hs = self.spec.hold
        hold = self.hold
        assert hs is not None and hold is not None
        if sample.side is not None:
            hold.sides[sample.side] += 1
        if hs.measure:
            hold.keep(t, tuple(sample.values.get(name, np.nan) for name in hs.measure), hs.measure_s)
        gap = t - hold.last_in_position_s
        hold.last_in_position_s = t
        if good:
            hold.good_form_s += gap
        if hold.taken_back_s:
            hold.good_form_s = max(0.0, hold.good_form_s - hold.taken_back_s)
            hold.taken_back_s = 0.0
        if hold.good_form_s >= hold.next_progress_s:
            hold.next_progress_s = np.floor(hold.good_form_s) + 1.0
            out.append(ev.HoldProgress(t, sample.side, round(hold.good_form_s, 2), hs.target_s, good))
        if hold.good_form_s >= hs.target_s and not hold.target_announced:
            hold.target_announced = True
            out.append(ev.Cue(t, say("hold_target", target=hs.target_s), "", self.spec.cues.show_s))

    def end(self, end_s: float, out: list[ev.Event]) -> None:
        hold = self.hold
        hs = self.spec.hold
        assert hold is not None and hs is not None
        self.hold = None
        if end_s - hold.start_s < hs.min_hold_s:
            return
        side = hold.sides.most_common(1)[0][0] if hold.sides and self.spec.side.per_side else None
        record = ev.HoldRecord(
            side, round(hold.start_s, 3), round(end_s, 3), round(hold.good_form_s, 2), tuple(sorted(hold.faults)),
            hold.measures(hs.measure),
        )
        self.holds.append(record)
        out.append(ev.HoldEnded(end_s, record))
