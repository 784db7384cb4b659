"""What the evaluator tells the sinks: small frozen dataclasses, each with the time it happened."""

from __future__ import annotations

from dataclasses import dataclass, field

from .stages.messages import Reason


@dataclass(frozen=True)
class Event:
    t_s: float


@dataclass(frozen=True)
class RepRecord:
    """One counted rep. ``metrics`` holds each metric's value at the rep's extreme (median nearby);
    ``not_judged`` the checks the camera's view kept from being judged on it."""

    index: int
    side: str | None
    start_s: float
    end_s: float
    faults: tuple[str, ...]
    metrics: dict[str, float]
    not_judged: tuple[str, ...] = ()


@dataclass(frozen=True)
class HoldRecord:
    """One hold: time in position, of which ``good_form_s`` with no fault active."""

    side: str | None
    start_s: float
    end_s: float
    good_form_s: float
    faults: tuple[str, ...]
    #: Each ``[hold] measure`` metric at the hold's start and at its end (None where never measured).
    measures: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ready(Event):
    """In position and in the right view: counting starts."""


@dataclass(frozen=True)
class RepStarted(Event):
    side: str | None


@dataclass(frozen=True)
class RepCompleted(Event):
    rep: RepRecord


@dataclass(frozen=True)
class RepRejected(Event):
    """A movement that was not counted as a rep: why (as data and in words), when it began, and the
    value the rep metric reached (for a shallow one)."""

    reason: Reason
    message: str
    start_s: float
    reached: float | None = None


@dataclass(frozen=True)
class HoldStarted(Event):
    side: str | None


@dataclass(frozen=True)
class HoldProgress(Event):
    side: str | None
    good_form_s: float
    target_s: float
    good_form: bool


@dataclass(frozen=True)
class HoldEnded(Event):
    hold: HoldRecord


@dataclass(frozen=True)
class FaultStarted(Event):
    fault: str
    value: float


@dataclass(frozen=True)
class FaultEnded(Event):
    fault: str


@dataclass(frozen=True)
class Cue(Event):
    """Advice to show or say now. ``fault`` is the check it comes from ('' for general advice)."""

    text: str
    fault: str = ""
    show_s: float = 2.5


@dataclass(frozen=True)
class ViewWarning(Event):
    message: str


@dataclass(frozen=True)
class ViewOk(Event):
    pass


@dataclass(frozen=True)
class PersonLost(Event):
    pass


@dataclass(frozen=True)
class PersonFound(Event):
    people_in_view: int = 1


@dataclass(frozen=True)
class Summary:
    """Everything an evaluator concluded so far."""

    reps: tuple[RepRecord, ...] = ()
    holds: tuple[HoldRecord, ...] = ()
    warnings: tuple[str, ...] = ()
    rep_count_by_side: dict[str, int] = field(default_factory=dict)
    rejected: tuple[RepRejected, ...] = ()
    view_deg: float | None = None

    @property
    def rep_count(self) -> int:
        return len(self.reps)
