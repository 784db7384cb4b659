"""The desk loop: a frame every ``sample_every_s`` of simulated time through the pose model, the
state, break and summary stages, and the log, terminal, voice and notification sinks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import PosecheckError
from ..frame import Frame
from ..pose.types import PoseBackend
from .breaks import BreakTracker
from .clock import ManualClock, ScaledClock
from .config import DeskConfig
from .events import BreakEnded, BreakStarted, Calibrated, DeskEvent, Reminder, ReminderOutcome, Snoozed, StateChanged
from .keys import Commands, NoCommands
from .log import DaySummary, DeskLog, make_out_dir, write_summary
from .messages import clock, duration, duration_words, say
from .notify import Notifier
from .sampling import Sampler
from .state import DeskStateTracker, observe


@dataclass
class DeskResult:
    """How a session ended: the summary (also in summary.json), where it was written, why it ended,
    and an error to raise after showing the summary (None if it ended well)."""

    summary: dict[str, Any]
    log_path: Path
    summary_path: Path | None
    ended_by: str
    error: BaseException | None = None


class DeskSession:
    """One desk session: ``run()`` samples until the input ends, Ctrl-C/SIGTERM or an error, then
    writes summary.json and returns a :class:`DeskResult` (an interrupt or error is in ``error``).

    ``sampler`` and ``backend`` are open; the caller closes them. ``clock`` is the simulated time
    (:class:`ScaledClock` or :class:`ManualClock`); frames are asked for at its ``now()``.
    """

    def __init__(
        self,
        sampler: Sampler,
        backend: PoseBackend,
        config: DeskConfig,
        out_dir: Path,
        notifier: Notifier,
        clock_: ScaledClock | ManualClock,
        *,
        commands: Commands | None = None,
        started: datetime | None = None,
    ) -> None:
        self.sampler, self.backend, self.config = sampler, backend, config
        self.out_dir, self.notifier, self.clock = out_dir, notifier, clock_
        self.commands = commands if commands is not None else NoCommands()
        self.started = started or datetime.now().astimezone()
        self.tracker = DeskStateTracker(config)
        self.breaks = BreakTracker(config)
        self.summary = DaySummary(config)
        self.log = DeskLog(out_dir, self.started)
        self.t_s = 0.0

    def _stamp(self, t_s: float) -> str:
        if self.sampler.is_file:
            return clock(t_s)
        return (self.started + timedelta(seconds=t_s)).strftime("%H:%M:%S")

    def _show(self, event: DeskEvent) -> None:
        cfg, n = self.config, self.notifier
        stamp = self._stamp(event.t_s if not isinstance(event, (BreakStarted,)) else event.confirmed_s)
        if isinstance(event, Calibrated):
            n.line(stamp, say("calibrated", n=event.samples))
        elif isinstance(event, StateChanged):
            n.line(self._stamp(event.t_s), say("state", previous=event.previous.value, state=event.state.value))
        elif isinstance(event, BreakStarted):
            n.line(stamp, say("break_started", state=event.state.value, since=self._stamp(event.t_s),
                              sat=duration(event.sat_s)))
        elif isinstance(event, BreakEnded):
            n.line(stamp, say("break_ended", length=duration(event.seconds)))
        elif isinstance(event, Reminder):
            n.remind(stamp, say("reminder", sat=duration(event.sat_s), brk=duration(cfg.break_s)),
                     say("reminder_say", sat_words=duration_words(event.sat_s)), say("reminder_title"))
        elif isinstance(event, ReminderOutcome) and event.outcome != "snoozed":
            key = "heeded" if event.outcome == "heeded" else "ignored"
            n.line(stamp, say(key, index=event.index, after=duration(max(0.0, (event.t_s if event.break_s is None else event.break_s) - event.reminder_s)),
                              within=duration(cfg.heed_s)))
        elif isinstance(event, Snoozed):
            n.line(stamp, say("snoozed", until=self._stamp(event.until_s)))

    def _summary(self, ended_by: str) -> dict[str, Any]:
        return self.summary.to_json(self.breaks, source=self.sampler.info.source, duration_s=self.t_s,
                                    ended_by=ended_by, started=self.started)

    def run(self) -> DeskResult:
        """Sample until the input ends, then finish (:meth:`_finish`). However the loop ends, desk.jsonl
        gets its ``session_end`` and summary.json is written: an interrupt or a PosecheckError is
        returned in ``error``; any other exception (a bug, a decoder crash) is re-raised after that."""
        ended_by, error = say("error"), None  # what an unexpected exception leaves
        summary: dict[str, Any] = {}
        summary_path: Path | None = None
        try:
            self._loop()
            ended_by = say("end_of_input")
        except KeyboardInterrupt as exc:
            ended_by, error = say("interrupted"), exc
        except PosecheckError as exc:
            error = exc
        finally:
            summary, summary_path, error = self._finish(ended_by, error)
        return DeskResult(summary, self.log.path, summary_path, ended_by, error)

    def _loop(self) -> None:
        cfg = self.config
        next_sample, next_summary, index = 0.0, cfg.summary_every_s, 0
        self.log.record("session_start", 0.0, source=self.sampler.info.source, settings=cfg.__dict__)
        while True:
            self.clock.sleep_until(next_sample)
            # A file's samples fall exactly on the grid; a camera's when the clock says.
            t = next_sample if self.sampler.is_file else max(self.clock.now(), self.t_s + 1e-3)
            frame = self.sampler.frame_at(t)
            if frame is None:
                return
            self.t_s = t
            # Frames are never kept: the image goes to the model and is dropped with ``frame``.
            poses = self.backend.detect(Frame(index, t * 1000.0, frame.image))
            index += 1
            obs = observe(poses, t, cfg)
            events = self.tracker.update(obs)
            events += self.breaks.update(t, self.tracker.state, self.tracker.since)
            for command in self.commands.poll(t):
                if command == "snooze":
                    events += self.breaks.snooze(t)
            self.summary.update(t, obs.seen, events)
            for e in events:
                self.log.write(e)
                self._show(e)
            if t >= next_summary:
                write_summary(self.out_dir, self._summary(say("still_running")))
                next_summary = t + cfg.summary_every_s
            next_sample += cfg.sample_every_s
            if self.sampler.is_file:
                self.clock.hold(next_sample)  # behind: slow the simulated clock, skip no sample of a file
            elif next_sample < t:
                next_sample = t  # a camera is live: a sample missed is gone

    def _finish(self, ended_by: str, error: BaseException | None
                ) -> tuple[dict[str, Any], Path | None, BaseException | None]:
        """Append ``session_end``, close desk.jsonl and write summary.json. Returns the summary, its
        path (None if it could not be written) and the error to raise (the first of ``error`` and an
        OutputError met here)."""
        summary = self._summary(ended_by)
        summary_path: Path | None = None
        try:
            self.log.record("session_end", self.t_s, ended_by=ended_by, summary={
                k: summary[k] for k in ("seated_s", "longest_stretch_s", "breaks_taken", "reminders_given",
                                        "reminders_ignored")})  # fmt: skip
        except PosecheckError as exc:
            error = error or exc
        finally:
            self.log.close()
        try:
            summary_path = write_summary(self.out_dir, summary)
        except PosecheckError as exc:
            error = error or exc
        return summary, summary_path, error


def watch_file(
    video: str | Path,
    out_dir: str | Path,
    config: DeskConfig | None = None,
    *,
    commands: Commands | None = None,
    speed: float | None = None,
    stream: Any = None,
) -> DeskResult:
    """Run a desk session on a video file with the real pose model, in this process: as fast as the
    model goes (``speed`` None: a :class:`ManualClock`) or at ``speed`` times real time. Terminal lines
    go to ``stream`` (default: discarded). Returns the :class:`DeskResult`; raises SourceError,
    ModelError or OutputError before the session starts."""
    import io

    from ..live.voice import SilentVoice
    from ..pose import create_backend
    from ..pose.mediapipe_backend import MediaPipeOptions
    from .sampling import FileSampler

    config = config or DeskConfig()
    out = make_out_dir(Path(out_dir))
    notifier = Notifier(SilentVoice(), desktop=False, stream=stream if stream is not None else io.StringIO())
    clock_: ScaledClock | ManualClock = ManualClock() if speed is None else ScaledClock(speed)
    with FileSampler(str(video)) as sampler, create_backend(options=MediaPipeOptions(num_poses=config.num_poses)) as be:
        return DeskSession(sampler, be, config, out, notifier, clock_, commands=commands).run()
