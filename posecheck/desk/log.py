"""desk.jsonl (every state change and reminder, appended and synced as it happens) and the day summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import writing
from ..live.log import SessionLog
from ..sinks.report import json_safe, write_json_atomic
from .breaks import BreakTracker
from .config import DeskConfig
from .events import BreakStarted, DeskEvent, DeskState, Reminder, ReminderOutcome, StateChanged
from .messages import DEFINITIONS, duration, say

LOG_NAME = "desk.jsonl"
SUMMARY_NAME = "summary.json"


class DeskLog:
    """Appends one JSON line per event to ``out_dir/desk.jsonl`` (flushed and synced per line, so a
    kill loses nothing). Each record: ``type`` (the event's kind), ``time`` (wall clock), ``clock``
    (the simulated time of day: the start plus ``t_s``), ``t_s`` and the event's fields.
    Raises :class:`~posecheck.errors.OutputError` when the file cannot be written."""

    def __init__(self, out_dir: Path, started: datetime) -> None:
        self.path = out_dir / LOG_NAME
        self.started = started
        self._log = SessionLog(self.path)

    def record(self, kind: str, t_s: float, **fields: Any) -> None:
        clock = (self.started + timedelta(seconds=t_s)).isoformat(timespec="seconds")
        self._log.append(kind, clock=clock, t_s=t_s, **fields)

    def write(self, event: DeskEvent) -> None:
        fields = {k: (v.value if isinstance(v, DeskState) else v) for k, v in asdict(event).items()}
        kind, t_s = fields.pop("kind"), fields.pop("t_s")
        self.record(kind, t_s, **fields)

    def close(self) -> None:
        try:
            self._log.close()
        except OSError:
            pass  # a full disk: the failed write already raised OutputError, which is what the user sees


@dataclass
class DaySummary:
    """The summary stage: ``update(t_s, seen, events)`` per sample; ``to_json(...)`` at any time.

    Time in each state is counted from sample to sample by the state in force at the earlier one
    (each change is taken from its onset)."""

    config: DeskConfig
    seconds: dict[str, float] = field(default_factory=lambda: {s.value: 0.0 for s in DeskState})
    breaks: list[dict[str, Any]] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=lambda: {"heeded": 0, "ignored": 0, "snoozed": 0})
    samples: int = 0
    seen_samples: int = 0
    calibrated_s: float | None = None
    _changes: list[tuple[float, str]] = field(default_factory=lambda: [(0.0, DeskState.UNKNOWN.value)])
    _end_s: float = 0.0

    def update(self, t_s: float, seen: bool, events: list[DeskEvent]) -> None:
        self.samples += 1
        self.seen_samples += int(seen)
        self._end_s = max(self._end_s, t_s)
        for e in events:
            if isinstance(e, StateChanged):
                self._changes.append((e.t_s, e.state.value))
            elif isinstance(e, BreakStarted):
                self.breaks.append({"start_s": e.t_s, "state": e.state.value, "after_sitting_s": e.sat_s})
            elif isinstance(e, Reminder):
                self.reminders.append({"t_s": e.t_s, "index": e.index, "sat_s": e.sat_s, "outcome": None})
            elif isinstance(e, ReminderOutcome):
                self.outcomes[e.outcome] += 1
                self.reminders[e.index - 1]["outcome"] = e.outcome
            elif e.kind == "calibrated":
                self.calibrated_s = e.t_s
            elif e.kind == "break_ended" and self.breaks:
                self.breaks[-1]["end_s"] = e.t_s

    def timeline(self) -> list[tuple[float, str]]:
        """(onset, state) of every change, in time order (a retro-dated onset never goes backwards)."""
        out: list[tuple[float, str]] = []
        for t, s in self._changes:
            t = max(t, out[-1][0]) if out else t
            out.append((t, s))
        return out

    def state_seconds(self, end_s: float) -> dict[str, float]:
        spans = {s.value: 0.0 for s in DeskState}
        line = self.timeline()
        for (t, s), nxt in zip(line, line[1:] + [(end_s, "")]):
            spans[s] += max(0.0, min(nxt[0], end_s) - t)
        return spans

    def to_json(self, breaks: BreakTracker, *, source: str, duration_s: float, ended_by: str,
                started: datetime) -> dict[str, Any]:
        cfg = self.config
        spans = self.state_seconds(duration_s)
        judged = duration_s - spans["unknown"]
        notes = []
        if self.seen_samples == 0:
            notes.append(say("never_seen", duration=duration(duration_s)))
        elif self.calibrated_s is None:
            notes.append(say("never_calibrated", n=self.seen_samples, need=cfg.calibrate_min_samples))
        if self.seen_samples and spans["unknown"] >= cfg.sample_every_s * 2:
            notes.append(say("unknown_time", unknown=duration(spans["unknown"])))
        if breaks.pending:
            notes.append(say("pending_reminders", n=breaks.pending, within=duration(cfg.heed_s)))
        return json_safe({
            "source": source,
            "started": started.isoformat(timespec="seconds"),
            "duration_s": duration_s,
            "ended_by": ended_by,
            "judged": self.seen_samples > 0,
            "calibrated": self.calibrated_s is not None,
            "calibrated_at_s": self.calibrated_s,
            "seated_s": spans["seated"],
            "standing_s": spans["standing"],
            "away_s": spans["away"],
            "unknown_s": spans["unknown"],
            "seated_share": spans["seated"] / judged if judged > 0 else None,
            "longest_stretch_s": breaks.longest_stretch(duration_s),
            "breaks_taken": len(self.breaks),
            "breaks": self.breaks,
            "reminders_given": len(self.reminders),
            "reminders_heeded": self.outcomes["heeded"],
            "reminders_snoozed": self.outcomes["snoozed"],
            "reminders_ignored": self.outcomes["ignored"],
            "reminders_pending": breaks.pending,
            "reminders": self.reminders,
            "timeline": [{"t_s": t, "state": s} for t, s in self.timeline()],
            "samples": self.samples,
            "samples_with_person": self.seen_samples,
            "notes": notes,
            "settings": asdict(cfg),
            "definitions": DEFINITIONS,
        })


def make_out_dir(out_dir: Path) -> Path:
    """Create the output folder (and its parents). Raises OutputError naming it and what to do."""
    with writing(out_dir, say("create_out")):
        out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def write_summary(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write summary.json atomically (a crash never leaves half of it). Raises OutputError."""
    path = out_dir / SUMMARY_NAME
    write_json_atomic(path, summary)
    return path


def format_summary(s: dict[str, Any], log: Path, summary_path: Path) -> str:
    """The terminal summary of a summary.json dict."""
    lines = [
        say("summary_title", source=s["source"], duration=duration(s["duration_s"]), ended_by=s["ended_by"]),
        say("summary_line", seated=duration(s["seated_s"]), seated_pct=100 * (s["seated_share"] or 0.0),
            standing=duration(s["standing_s"]), away=duration(s["away_s"]), unknown=duration(s["unknown_s"])),
        say("summary_stretch", longest=duration(s["longest_stretch_s"]), breaks=s["breaks_taken"]),
        say("summary_reminders", given=s["reminders_given"], heeded=s["reminders_heeded"],
            snoozed=s["reminders_snoozed"], ignored=s["reminders_ignored"], pending=s["reminders_pending"]),
    ]
    lines += [say("summary_note", note=n) for n in s["notes"]]
    lines.append(say("summary_files", log=log, summary=summary_path))
    return "\n".join(lines)
