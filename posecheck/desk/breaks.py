"""The sitting timer: breaks, reminders after the sitting limit (repeated while seated), snooze, and
whether each reminder was heeded."""

from __future__ import annotations

from dataclasses import dataclass

from .config import DeskConfig
from .events import BreakEnded, BreakStarted, DeskEvent, DeskState, Reminder, ReminderOutcome, Snoozed

OFF = (DeskState.STANDING, DeskState.AWAY)


@dataclass(frozen=True)
class Stretch:
    """A sitting stretch from ``start_s`` to ``end_s`` (the start of the break that ended it)."""

    start_s: float
    end_s: float

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


class BreakTracker:
    """``update(t_s, state, since) -> events`` once per sample, with the state stage's current state
    and its onset; ``snooze(t_s)`` when the user asks.

    A sitting stretch starts when the person sits (after a break, or at the first seated sample) and
    goes on through stands and absences shorter than ``break_s``; once one reaches ``break_s`` it is a
    :class:`BreakStarted` dated at its first second, and sitting again ends it. While seated, a
    :class:`Reminder` comes ``sit_limit_s`` into the stretch, then every ``repeat_s`` (not while
    snoozed: a reminder due during a snooze comes when it ends). Each reminder's
    :class:`ReminderOutcome` follows: heeded (a break began within ``heed_s``), snoozed, or ignored.
    """

    def __init__(self, config: DeskConfig) -> None:
        self.config = config
        self.stretch_start: float | None = None
        self.stretches: list[Stretch] = []
        self.off_since: float | None = None
        self.on_break = False
        self.reminders = 0
        self.next_due: float | None = None
        self.snoozed_until = -1.0
        self._pending: list[Reminder] = []

    def update(self, t_s: float, state: DeskState, since: float) -> list[DeskEvent]:
        cfg = self.config
        events: list[DeskEvent] = []
        if state is DeskState.SEATED:
            if self.off_since is not None and self.on_break:
                events.append(BreakEnded(since, self.off_since))
                self.stretch_start = None
            self.off_since, self.on_break = None, False
            if self.stretch_start is None:
                self.stretch_start = since
                self.next_due = since + cfg.sit_limit_s
            assert self.next_due is not None
            if t_s >= self.next_due and t_s >= self.snoozed_until:
                self.reminders += 1
                reminder = Reminder(t_s, self.reminders, t_s - self.stretch_start)
                events.append(reminder)
                self._pending.append(reminder)
                self.next_due = t_s + cfg.repeat_s
        elif state in OFF:
            if self.off_since is None:
                self.off_since = since
            if not self.on_break and self.stretch_start is not None and t_s - self.off_since >= cfg.break_s:
                self.on_break = True
                events.append(BreakStarted(self.off_since, state, self.off_since - self.stretch_start, t_s))
                self.stretches.append(Stretch(self.stretch_start, self.off_since))
                events += self._resolve(t_s, heeded_at=self.off_since)
        events += self._resolve(t_s)
        return events

    def snooze(self, t_s: float) -> list[DeskEvent]:
        """Silence reminders for ``snooze_s`` from ``t_s``; reminders still undecided count as snoozed."""
        self.snoozed_until = t_s + self.config.snooze_s
        events: list[DeskEvent] = [Snoozed(t_s, self.snoozed_until)]
        events += [ReminderOutcome(t_s, r.index, r.t_s, "snoozed") for r in self._pending]
        self._pending = []
        return events

    def _resolve(self, t_s: float, heeded_at: float | None = None) -> list[DeskEvent]:
        """Outcomes of pending reminders: heeded by a break begun at ``heeded_at``, or ignored once
        ``heed_s`` has passed with no break under way that began in time."""
        out: list[DeskEvent] = []
        keep = []
        window = self.config.heed_s
        for r in self._pending:
            if heeded_at is not None and heeded_at <= r.t_s + window:
                out.append(ReminderOutcome(t_s, r.index, r.t_s, "heeded", heeded_at))
            elif t_s >= r.t_s + window and not (self.off_since is not None and self.off_since <= r.t_s + window):
                out.append(ReminderOutcome(t_s, r.index, r.t_s, "ignored"))
            else:
                keep.append(r)
        self._pending = keep
        return out

    @property
    def pending(self) -> int:
        """Reminders neither heeded, snoozed nor ignored yet."""
        return len(self._pending)

    def longest_stretch(self, t_s: float) -> float:
        """The longest sitting stretch so far, counting the one under way at ``t_s``."""
        spans = [s.seconds for s in self.stretches]
        if self.stretch_start is not None and not self.on_break:
            spans.append(t_s - self.stretch_start)
        return max(spans, default=0.0)
