"""A live session: camera capture, the pose loop and the window, each on its own thread.

- The capture thread reads the camera (or a file played at real-time pace) and keeps only the newest
  frame in a one-slot mailbox: a frame nobody took in time is replaced, never queued.
- The pose thread runs :func:`posecheck.pipeline.run_loop` (the same loop as ``analyze``) on the newest
  frame each time it is free; its last sink, the :class:`~posecheck.live.coach.Coach`, handles guidance,
  cues, the session log, voice and commands, and publishes each result.
- The main thread draws every new camera frame with the newest pose result over it, waiting briefly
  for the result of that very frame when the model is about to deliver it (so the skeleton matches the
  picture whenever the model keeps up), and redraws as soon as a result lands (so feedback is never
  held back to the next frame). Headless, it only waits for keys and Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from ..errors import OutputError, PosecheckError
from ..evaluator import Evaluator
from ..events import Event, Summary
from ..frame import Frame
from ..pipeline import MESSAGES, LoopStats, run_loop
from ..track import TRACK_NAME, TrackWriter
from ..pose.types import Pose, PoseBackend
from ..sinks import Sink
from ..sinks.report import FRAMES_NAME, REPORT_NAME, FramesCsv, build_report, json_safe, write_json_atomic
from ..sinks.step import Step
from ..spec.schema import ExerciseSpec
from .coach import Coach, LiveStatus, SideSampler
from .keys import Command, KeySource, NoKeys, command_for
from .log import LOG_NAME, SessionLog
from .printer import Printer
from .stats import LiveStats, StatsSummary
from .voice import SilentVoice, Voice

T = TypeVar("T")

RECORDING_NAME = "recording.mp4"
#: How long the display waits for the pose result of the frame it is about to show, in multiples of
#: the model's recent time per frame (past that, it draws the frame with the previous result).
RESULT_PATIENCE = 1.5
#: Upper bound on waiting for a thread to stop (a camera read or a model call in progress).
JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class LiveOptions:
    """How a live session behaves.

    ``headless``: no window, events printed to the terminal. ``mirror``: show the picture mirrored
    (selfie view; the pose is measured on the true image, so left stays left). ``record``: also save
    the annotated frames (otherwise no image is ever written). ``guidance``: set-up guidance and a
    ``countdown_s`` countdown before counting (off: count from the first frame, as ``analyze`` does).
    ``summary_timeout_s``: how long the end screen stays up (None: until a key or the window closes).
    ``hold_announce_every_s``: say the good-form seconds of a hold this often.
    ``max_display``: the window's largest picture size (width, height); bigger frames are scaled down.
    """

    headless: bool = False
    mirror: bool = False
    record: bool = False
    guidance: bool = True
    countdown_s: float = 3.0
    summary_timeout_s: float | None = None
    hold_announce_every_s: float = 10.0
    max_display: tuple[int, int] = (1280, 800)


@dataclass
class LiveResult:
    """How a session ended: ``report`` (also in report.json), ``ended_by`` (quit, end of input, camera
    stopped, interrupted, window closed, error), ``spec`` (the one in force at the end, after any
    reload), ``error`` (to re-raise after showing the summary)."""

    report: dict[str, Any]
    out_dir: Path
    ended_by: str
    stats: StatsSummary
    spec: ExerciseSpec
    error: BaseException | None = None
    previous_sets: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Captured:
    """A camera frame and when it arrived (``time.perf_counter`` seconds)."""

    frame: Frame
    at: float


@dataclass(frozen=True)
class PoseResult:
    """A step of the loop as the window sees it, with its frame's arrival time."""

    step: Step
    captured_at: float


class Latest(Generic[T]):
    """A one-slot mailbox: ``put`` replaces whatever is there; readers see the newest value and its
    sequence number. Slots sharing one condition let a reader wait for news from any of them."""

    def __init__(self, wake: threading.Condition) -> None:
        self._wake = wake
        self._seq = 0
        self._value: T | None = None
        self.closed = False

    def put(self, value: T) -> None:
        with self._wake:
            self._seq += 1
            self._value = value
            self._wake.notify_all()

    def close(self) -> None:
        """No more values will come."""
        with self._wake:
            self.closed = True
            self._wake.notify_all()

    @property
    def seq(self) -> int:
        """The sequence number of the newest value (0 before the first)."""
        return self._seq

    def peek(self) -> tuple[int, T | None]:
        """(sequence number, newest value); (0, None) before the first put."""
        with self._wake:
            return self._seq, self._value

    def wait_newer(self, seq: int, timeout: float) -> tuple[int, T | None]:
        """Wait up to ``timeout`` for a value newer than ``seq`` (or the slot closing); then peek."""
        with self._wake:
            self._wake.wait_for(lambda: self._seq > seq or self.closed, timeout)
            return self._seq, self._value


class _Feed:
    """Last sink of the coach: hands each step to the window, merging the events of steps the window
    has not drawn yet (so no cue or message is lost when it skips a result)."""

    def __init__(self, slot: Latest[PoseResult], captured_at: Callable[[], float]) -> None:
        self.slot = slot
        self._captured_at = captured_at
        self._pending: list[Event] = []
        self._lock = threading.Lock()

    def write(self, step: Step) -> None:
        with self._lock:
            self._pending.extend(step.events)
        self.slot.put(PoseResult(step, self._captured_at()))

    def take_events(self) -> tuple[Event, ...]:
        with self._lock:
            events, self._pending = tuple(self._pending), []
        return events

    def close(self, summary: Summary) -> None:
        self.slot.close()


class _TimedBackend:
    """The pose backend, timed (the model's own time per frame is what latency is compared with)."""

    def __init__(self, inner: PoseBackend, stats: LiveStats) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "backend")
        self._stats = stats

    def detect(self, frame: Frame) -> list[Pose]:
        start = time.perf_counter()
        poses = self.inner.detect(frame)
        self._stats.model_time(time.perf_counter() - start)
        return poses


class LiveSession:
    """One live session: ``run()`` captures, analyses and shows until quit, end of input or a camera
    failure, then writes report.json and returns a :class:`LiveResult`.

    ``source`` is an open frame source (a camera, or a file opened with ``realtime=True``), iterated on
    the capture thread; ``backend`` an open pose backend. The caller closes both afterwards.
    ``keys`` replaces the keyboard (tests); ``voice`` the speech engine; ``window_factory`` the window
    (default: :class:`posecheck.live.window.Window`). Output goes to ``out_dir``: session.jsonl (every
    rep and hold as it happens), report.json (rewritten after each rep or hold and at the end),
    frames.csv, and recording.mp4 with ``record``; the folder is created if needed (OutputError if it
    cannot be).
    """

    def __init__(
        self,
        source: Any,
        backend: PoseBackend,
        spec: ExerciseSpec,
        out_dir: str | Path,
        options: LiveOptions | None = None,
        *,
        keys: KeySource | None = None,
        voice: Voice | None = None,
        window_factory: Callable[[str], Any] | None = None,
    ) -> None:
        self.source = source
        self.backend = backend
        self.spec = spec
        self.out_dir = Path(out_dir)
        self.options = options or LiveOptions()
        self.keys = keys
        self.voice = voice if voice is not None else SilentVoice()
        self.window_factory = window_factory
        self.stats = LiveStats()
        self.loop_stats = LoopStats()
        self.evaluator = Evaluator(spec)
        self._wake = threading.Condition()
        self._frames: Latest[Captured] = Latest(self._wake)
        self._results: Latest[PoseResult] = Latest(self._wake)
        self._commands: list[Command] = []
        self._commands_lock = threading.Lock()
        self._stop = threading.Event()
        self._capture_error: BaseException | None = None
        self._worker_error: BaseException | None = None
        self._worker_done = threading.Event()
        self._busy_with: int | None = None  # index of the frame the pose thread is on, None when idle
        self._busy_since = 0.0
        fps = getattr(getattr(source, "info", None), "fps", 0.0) or 30.0
        self._interval_s = 1.0 / fps
        self._current_capture = 0.0
        self._ended_by = ""
        self._warnings: list[str] = []
        self._hud_instance: Any = None
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.out_dir}: cannot create the session folder ({exc.strerror})") from None
        self.log = SessionLog(self.out_dir / LOG_NAME)
        self._sinks: list[Sink] = [FramesCsv(self.out_dir / FRAMES_NAME, spec)]
        if self.options.record:
            from ..sinks.video import AnnotatedVideo

            self._sinks.append(_PacedRecording(AnnotatedVideo(self.out_dir / RECORDING_NAME, spec, fps), fps))
        # The landmarks (never the pixels) of the session, for `posecheck tune` afterwards.
        num_poses = getattr(getattr(backend, "options", None), "num_poses", 2)
        self._track = TrackWriter(
            self.out_dir / TRACK_NAME,
            {"source": str(getattr(getattr(source, "info", None), "source", source)), "fps": fps, "mode": "live",
             "backend": getattr(backend, "name", "unknown")},
            max_poses=num_poses if isinstance(num_poses, int) else 2,
        )  # fmt: skip
        self.feed = _Feed(self._results, lambda: self._current_capture)
        self.coach = Coach(
            spec, self.evaluator, SideSampler(spec), log=self.log, voice=self.voice,
            sinks=[*self._sinks, self.feed], printer=Printer() if self.options.headless else None,
            countdown_s=self.options.countdown_s, guidance=self.options.guidance,
            hold_announce_every_s=self.options.hold_announce_every_s, on_record=self._write_report,
        )  # fmt: skip

    # -- public ----------------------------------------------------------------------------------
    @property
    def status(self) -> LiveStatus:
        """The coach's latest status (guidance, pause, side, reload error)."""
        return self.coach.status

    def send(self, cmd: Command) -> None:
        """Ask for a command from any thread (quit is immediate; others apply before the next frame)."""
        if cmd is Command.QUIT:
            self._end("quit")
            return
        with self._commands_lock:
            self._commands.append(cmd)

    def run(self) -> LiveResult:
        """Run until the end (see the class docstring). Ctrl-C ends the session cleanly.

        Raises :class:`~posecheck.errors.DisplayError` if the window cannot open (nothing is
        started then); errors during the session are in ``LiveResult.error``, after the report.
        """
        window = None
        try:
            if not self.options.headless:
                window = self._open_window()
        except PosecheckError:
            self._close_outputs(Summary())
            raise
        info = getattr(self.source, "info", None)
        self.log.append(
            "session_start", exercise=self.spec.id, spec_path=str(self.spec.path) if self.spec.path else None,
            source=getattr(info, "source", str(self.source)), out_dir=str(self.out_dir),
            options=dataclasses.asdict(self.options),
        )  # fmt: skip
        try:
            capture = threading.Thread(target=self._capture, name="posecheck-capture", daemon=True)
            worker = threading.Thread(target=self._work, name="posecheck-pose", daemon=True)
            capture.start()
            worker.start()
            try:
                if window is not None:
                    self._display(window)
                else:
                    self._wait_headless()
            except KeyboardInterrupt:
                self._end("interrupted")
            self._stop.set()
            self._frames.close()
            worker.join(JOIN_TIMEOUT_S)
            capture.join(JOIN_TIMEOUT_S)
            result = self._finish()
            if window is not None:
                self._show_summary(window, result)
            return result
        finally:
            if window is not None:
                window.close()
            self.voice.close()

    # -- threads ---------------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            for frame in self.source:
                if self._stop.is_set():
                    return
                self.stats.captured += 1
                self._frames.put(Captured(frame, time.perf_counter()))
        except Exception as exc:  # handed to the main thread: the session ends cleanly with it
            self._capture_error = exc
        finally:
            self.stats.source_dropped = int(getattr(self.source, "dropped", 0) or 0)
            self._frames.close()

    def _live_frames(self) -> Iterator[Frame]:
        """The newest camera frame each time the loop asks, on the session clock (pauses removed)."""
        seen = 0
        paused_ms = 0.0
        last_raw: float | None = None
        last_ts = float("-inf")
        while not self._stop.is_set():
            self._busy_with = None
            self._apply_commands()
            self.coach.poll_reload()
            seq, item = self._frames.wait_newer(seen, 0.05)
            if seq == seen or item is None:
                if self._frames.closed:
                    return
                continue
            self.stats.skipped += seq - seen - 1
            seen = seq
            raw = item.frame.timestamp_ms
            if self.coach.paused and last_raw is not None:
                paused_ms += raw - last_raw
            last_raw = raw
            if self.coach.paused:
                self.stats.paused += 1
                continue
            ts = max(raw - paused_ms, last_ts + 1e-3)
            last_ts = ts
            self._busy_with, self._busy_since = item.frame.index, time.perf_counter()
            self._current_capture = item.at
            yield Frame(item.frame.index, ts, item.frame.image)

    def _apply_commands(self) -> None:
        with self._commands_lock:
            commands, self._commands = self._commands, []
        for cmd in commands:
            self.coach.command(cmd)

    def _work(self) -> None:
        try:
            run_loop(
                self._live_frames(), _TimedBackend(self.backend, self.stats), self.evaluator,  # type: ignore[arg-type]
                [self.coach, _Done(self.stats, lambda: self._current_capture)], self.loop_stats,
                sampler=self.coach.sampler, track=self._track,
            )  # fmt: skip
        except Exception as exc:  # re-raised by run() after the report is written
            self._worker_error = exc
        finally:
            self._busy_with = None
            self._worker_done.set()
            self._results.close()

    def _end(self, why: str) -> None:
        if not self._ended_by:
            self._ended_by = why
        self._stop.set()
        with self._wake:
            self._wake.notify_all()

    # -- main thread: headless -------------------------------------------------------------------
    def _wait_headless(self) -> None:
        keys = self.keys or NoKeys()
        while not self._stop.is_set() and not self._worker_done.wait(0.02):
            cmd = command_for(keys.poll(1))
            if cmd is not None:
                self.send(cmd)

    # -- main thread: window ---------------------------------------------------------------------
    def _open_window(self) -> Any:
        factory = self.window_factory
        if factory is None:
            from .window import Window

            factory = Window
        return factory(self.spec.name)

    def _display(self, window: Any) -> None:
        hud = self._hud()
        shown_index = -1
        seen_result = seen_frame = 0
        on_screen: Frame | None = None
        overlay: PoseResult | None = None
        while not self._stop.is_set():
            with self._wake:  # news that came while drawing is not missed: the predicate sees it
                self._wake.wait_for(lambda r=seen_result, f=seen_frame: self._news(r, f), 0.01)
            for key in (window.poll(1), self.keys.poll(1) if self.keys else None):
                cmd = command_for(key)
                if cmd is not None:
                    self.send(cmd)
            if window.closed:
                self._end("window closed")
                return
            if self._worker_done.is_set():
                return
            res_seq, res = self._results.peek()
            seen_frame, cam = self._frames.peek()
            status = self.status
            image: Frame | None = None
            latency_from: float | None = None  # capture time of a pose result drawn for the first time
            if res is not None and res_seq != seen_result:
                seen_result, overlay, latency_from = res_seq, res, res.captured_at
                if res.step.frame.index >= shown_index or on_screen is None:
                    image = res.step.frame  # the picture the pose was found in: they match exactly
                else:
                    image = on_screen  # a newer picture is up: redraw it now rather than at the next frame
            if (
                image is None
                and cam is not None
                and cam.frame.index > shown_index
                and not self._result_due(cam, status.paused)
            ):
                image = cam.frame  # the newest picture, with the newest pose result over it
            if image is None:
                continue
            shown_index, on_screen = max(shown_index, image.index), image
            step = overlay.step if overlay is not None else None
            window.show(hud.compose(image.image, step, self.feed.take_events(), status, self.stats))
            self.stats.shown(latency_from)

    def _news(self, seen_result: int, seen_frame: int) -> bool:
        return self._results.seq != seen_result or self._frames.seq != seen_frame or self._stop.is_set()

    def _result_due(self, cam: Captured, paused: bool) -> bool:
        """True if a pose result will land soon enough that drawing ``cam`` now would be wasted: the pose
        thread is on ``cam`` (or about to take it), or is about to finish an older frame."""
        if paused:
            return False
        model_s = self.stats.model_ema_s
        model_s = model_s if math.isfinite(model_s) else self._interval_s
        now = time.perf_counter()
        busy = self._busy_with
        if busy is None or busy == cam.frame.index:
            return now - cam.at < RESULT_PATIENCE * model_s
        return self._busy_since + model_s - now < self._interval_s / 2

    def _hud(self) -> Any:
        if self._hud_instance is None:
            from .window import Hud

            self._hud_instance = Hud(self.spec, self.options.mirror, self.options.max_display)
        return self._hud_instance

    def _show_summary(self, window: Any, result: LiveResult) -> None:
        if window.closed or result.ended_by == "interrupted":
            return
        window.show(
            self._hud().summary_screen(result.report, self.status.spec, result.out_dir, result.ended_by, result.stats)
        )
        timeout = self.options.summary_timeout_s
        start = time.monotonic()
        try:
            while not window.closed and (timeout is None or time.monotonic() - start < timeout):
                if window.poll(50) is not None or (self.keys is not None and self.keys.poll(1) is not None):
                    return
        except KeyboardInterrupt:
            return

    # -- the end ---------------------------------------------------------------------------------
    def _finish(self) -> LiveResult:
        error: BaseException | None = self._worker_error
        if error is None and self._capture_error is not None:
            error = self._capture_error
        if not self._ended_by:
            self._ended_by = "end of input"
        if isinstance(self._capture_error, PosecheckError) and error is self._capture_error:
            self._ended_by = "camera stopped"
            self._warnings.append(f"the session ended early: {self._capture_error}")
        elif error is not None:
            self._ended_by = "error"
            self._warnings.append(f"the session stopped on an error: {error}")
        summary = self.coach.finish() if self._worker_done.is_set() else self.evaluator.summary
        stats = self.stats.summary()
        report = self._build_report(summary, final=True, stats=stats)
        first_error = self._close_outputs(summary, keep_log=True)
        try:
            self._track.close(complete=error is None)
        except PosecheckError as exc:
            first_error = first_error or exc
            report["warnings"].append(MESSAGES["track_failed"].format(error=exc))
        write_json_atomic(self.out_dir / REPORT_NAME, report)
        self.log.append(
            "session_end", ended_by=self._ended_by, rep_count=summary.rep_count,
            holds=len(summary.holds), stats=dataclasses.asdict(stats),
        )  # fmt: skip
        self.log.close()
        return LiveResult(
            report, self.out_dir, self._ended_by, stats, self.coach.spec, error or first_error, self.coach.previous_sets
        )

    def _close_outputs(self, summary: Summary, keep_log: bool = False) -> PosecheckError | None:
        """Close frames.csv and the recording (and the log unless ``keep_log``); return the first error."""
        first_error: PosecheckError | None = None
        for sink in self._sinks:
            try:
                sink.close(summary)
            except PosecheckError as exc:
                first_error = first_error or exc
        if not keep_log:
            self.log.close()
        return first_error

    def _build_report(self, summary: Summary, *, final: bool, stats: StatsSummary | None = None) -> dict[str, Any]:
        info = getattr(self.source, "info", None)
        source = getattr(info, "source", str(self.source))
        warnings = list(self._warnings)
        if not self.coach.counting and final:
            warnings.append("the session ended during set-up: nothing was counted")
        report = build_report(
            self.coach.spec, source, summary, self.loop_stats.frames, self.loop_stats.frames_with_pose,
            self.loop_stats.duration_s, tuple(warnings),
        )  # fmt: skip
        report.update(
            mode="live",
            session_complete=final,
            ended_by=self._ended_by if final else None,
            set=self.coach.set_index,
            previous_sets=self.coach.previous_sets,
            session_log=LOG_NAME,
        )
        if stats is not None:
            report["live"] = json_safe(dataclasses.asdict(stats))
        return report

    def _write_report(self) -> None:
        """After each rep or hold: report.json as of now (so even a hard crash leaves one)."""
        write_json_atomic(self.out_dir / REPORT_NAME, self._build_report(self.evaluator.summary, final=False))


class _PacedRecording:
    """The recording at the camera's pace: a step is written once per frame interval it stood for,
    so a session whose model skipped frames still plays back in real time."""

    def __init__(self, video: Sink, fps: float) -> None:
        self.video = video
        self.interval_ms = 1000.0 / fps
        self._next_ms: float | None = None

    def write(self, step: Step) -> None:
        t = step.frame.timestamp_ms
        if self._next_ms is None:
            self._next_ms = t
        copies = 0
        while self._next_ms <= t + self.interval_ms / 2:
            copies += 1
            self._next_ms += self.interval_ms
        for i in range(copies):
            self.video.write(step if i == 0 else replace(step, events=()))

    def close(self, summary: Summary) -> None:
        self.video.close(summary)


class _Done:
    """After every other sink: the frame's result is out; record its latency."""

    def __init__(self, stats: LiveStats, captured_at: Callable[[], float]) -> None:
        self._stats = stats
        self._captured_at = captured_at

    def write(self, step: Step) -> None:
        self._stats.result(self._captured_at())

    def close(self, summary: Summary) -> None:
        pass
