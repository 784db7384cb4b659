"""What the desk stages report: small frozen dataclasses, each with a ``kind`` for the log."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class DeskState(str, Enum):
    """Where the person is. UNKNOWN until the first judgement (nobody seen yet)."""

    UNKNOWN = "unknown"
    SEATED = "seated"
    STANDING = "standing"
    AWAY = "away"


@dataclass(frozen=True)
class Calibrated:
    """The seated baseline (fractions of the frame height) was set at ``t_s`` from ``samples``."""

    t_s: float
    samples: int
    nose_y: float
    shoulder_y: float
    shoulder_width: float
    kind: str = "calibrated"


@dataclass(frozen=True)
class StateChanged:
    """The state became ``state`` at ``t_s`` (its onset); it was confirmed at ``confirmed_s``."""

    t_s: float
    state: DeskState
    previous: DeskState
    confirmed_s: float
    kind: str = "state"


@dataclass(frozen=True)
class BreakStarted:
    """A break began at ``t_s`` (the first second up or away) after ``sat_s`` of sitting; known at ``confirmed_s``."""

    t_s: float
    state: DeskState
    sat_s: float
    confirmed_s: float
    kind: str = "break_started"


@dataclass(frozen=True)
class BreakEnded:
    """The break that began at ``started_s`` ended at ``t_s`` (sitting down again)."""

    t_s: float
    started_s: float
    kind: str = "break_ended"

    @property
    def seconds(self) -> float:
        return self.t_s - self.started_s


@dataclass(frozen=True)
class Reminder:
    """Reminder number ``index`` of the session, at ``t_s``, after ``sat_s`` of continuous sitting."""

    t_s: float
    index: int
    sat_s: float
    kind: str = "reminder"


@dataclass(frozen=True)
class ReminderOutcome:
    """What became of reminder ``index`` (given at ``reminder_s``): heeded, ignored or snoozed; decided at ``t_s``."""

    t_s: float
    index: int
    reminder_s: float
    outcome: str
    break_s: float | None = None  # when heeded: the first second of the break
    kind: str = "reminder_outcome"


@dataclass(frozen=True)
class Snoozed:
    """Reminders are silenced from ``t_s`` until ``until_s``."""

    t_s: float
    until_s: float
    kind: str = "snoozed"


DeskEvent = Calibrated | StateChanged | BreakStarted | BreakEnded | Reminder | ReminderOutcome | Snoozed
