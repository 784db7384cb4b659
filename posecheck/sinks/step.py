"""One pass of the loop as the sinks see it."""

from __future__ import annotations

from dataclasses import dataclass

from ..events import Event
from ..frame import Frame
from ..sampler import Sample


@dataclass(frozen=True)
class Step:
    """A frame, what was measured in it, what happened, and the evaluator's state after it."""

    frame: Frame
    sample: Sample
    events: tuple[Event, ...]
    phase: str
    ready: bool
    rep_count: int
    rep_count_by_side: dict[str, int]
    active_faults: frozenset[str]
    hold_good_s: float | None = None
