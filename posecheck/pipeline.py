"""The loop shared by every mode: source → pose → metrics → evaluator → sinks."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import NoPersonError, PosecheckError, output_error, writing
from .evaluator import Evaluator
from .events import Event, HoldEnded, RepCompleted, Summary
from .frame import Frame, VideoInfo
from .interrupts import FrameBoundary
from .pose import PersonSelector, Pose, PoseBackend, create_backend, detect_each
from .sampler import Sample, Sampler
from .sinks import Sink, Step
from .sinks.report import FRAMES_NAME, REPORT_NAME, FramesCsv, Report, write_json_atomic
from .spec.schema import ExerciseSpec
from .track import PARTS_SUFFIX, TRACK_NAME, TrackWriter, load_track

if TYPE_CHECKING:
    from .cache import TrackCache

ANNOTATED_NAME = "annotated.mp4"
HTML_NAME = "report.html"
#: posecheck's own files in a results folder: what a new run there replaces.
RESULT_NAMES = (
    REPORT_NAME, REPORT_NAME + ".tmp", FRAMES_NAME, ANNOTATED_NAME, HTML_NAME, HTML_NAME + ".tmp", TRACK_NAME,
    TRACK_NAME + ".tmp",
    TRACK_NAME + PARTS_SUFFIX,
)
#: What a run says of itself in report.json's warnings (or, for notes, to the user at the end).
MESSAGES = {
    "replaced": "replaced the results of an earlier run in {out}",
    "stopped": "analysis stopped early after {frames} frames: {why}",
    "sink_failed": "not all results could be written: {error}",
    "track_failed": "the pose track could not be written: {error}",
    "interrupted": "interrupted",
}
#: report.json is rewritten at least this often while a run goes (and after each rep or hold).
CHECKPOINT_EVERY_S = 2.0


class Measures(Protocol):
    """What the loop needs of a sampler: one Sample per frame."""

    def update(self, pose: Pose | None, timestamp_ms: float, people_in_view: int = 0) -> Sample: ...


@dataclass
class LoopStats:
    frames: int = 0
    frames_with_pose: int = 0
    first_ms: float | None = None
    last_ms: float = 0.0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the user now, not for the report

    @property
    def duration_s(self) -> float:
        return (self.last_ms - self.first_ms) / 1000.0 if self.first_ms is not None else 0.0


def make_step(frame: Frame, sample: Sample, events: Sequence[Event], evaluator: Evaluator) -> Step:
    """Bundle one pass of the loop with the evaluator's state after it."""
    return Step(
        frame=frame,
        sample=sample,
        events=tuple(events),
        phase=evaluator.phase,
        ready=evaluator.ready,
        rep_count=len(evaluator.reps),
        rep_count_by_side=evaluator.rep_count_by_side,
        active_faults=frozenset(evaluator.active_faults),
        hold_good_s=evaluator.hold_good_s,
    )


class SinkSet:
    """Every sink of a run, each fed every step. A sink that fails (a full disk, a writer that died) is
    closed and dropped, its error kept in ``failures``, and the others go on: what they record is kept
    whatever one of them did. An ``OSError`` from a sink becomes an :class:`OutputError` here."""

    def __init__(self, sinks: Sequence[Sink] = ()) -> None:
        self.sinks: list[Sink] = list(sinks)
        self.failures: list[PosecheckError] = []

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def _fail(self, sink: Sink, exc: Exception) -> PosecheckError:
        if isinstance(exc, OSError):
            exc = output_error(getattr(sink, "path", type(sink).__name__), "write", exc)
        assert isinstance(exc, PosecheckError)
        self.failures.append(exc)
        return exc

    def write(self, step: Step) -> None:
        for sink in list(self.sinks):
            try:
                sink.write(step)
            except (PosecheckError, OSError) as exc:
                self._fail(sink, exc)
                self.sinks.remove(sink)
                try:
                    sink.close(Summary())
                except (PosecheckError, OSError):
                    pass

    def close(self, summary: Summary) -> None:
        for sink in self.sinks:
            try:
                sink.close(summary)
            except (PosecheckError, OSError) as exc:
                self._fail(sink, exc)
        self.sinks = []


class ReportCheckpoint:
    """Rewrites report.json (atomically) after each rep or hold and every :data:`CHECKPOINT_EVERY_S`
    seconds, so a run killed at any point leaves a valid report of what it had done."""

    def __init__(self, path: Path, build: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self._build = build
        self._last = time.monotonic()

    def write(self, step: Step) -> None:
        now = time.monotonic()
        if now - self._last >= CHECKPOINT_EVERY_S or any(isinstance(e, (RepCompleted, HoldEnded)) for e in step.events):
            self._last = now
            write_json_atomic(self.path, self._build())

    def close(self, summary: Summary) -> None:
        pass  # the final report is written by the caller, whatever the sinks did


def followed_index(poses: Sequence[Pose], pose: Pose | None) -> int:
    """Where ``pose`` is in ``poses`` (-1 for None)."""
    return next((i for i, p in enumerate(poses) if p is pose), -1)


def run_loop(
    frames: Iterable[Frame],
    backend: PoseBackend,
    evaluator: Evaluator,
    sinks: Sequence[Sink] | SinkSet,
    stats: LoopStats,
    selector: PersonSelector | None = None,
    sampler: Measures | None = None,
    track: TrackWriter | None = None,
) -> None:
    """Run every frame through pose → (track) → metrics → evaluator → sinks, updating ``stats``. A
    Ctrl-C or SIGTERM ends the loop between frames (:class:`~posecheck.interrupts.FrameBoundary`)."""
    selector = selector or PersonSelector()
    sampler = sampler or Sampler(evaluator.spec)
    out = sinks if isinstance(sinks, SinkSet) else None
    with FrameBoundary() as boundary:
        for frame, poses in detect_each(frames, backend):
            with boundary.step():
                pose = selector.update(poses, frame.timestamp_ms)
                if track is not None:
                    track.update(frame, poses, followed_index(poses, pose))
                sample = sampler.update(pose, frame.timestamp_ms, selector.people_in_view)
                evaluate_step(frame, sample, evaluator, out or sinks, stats)


def evaluate_step(
    frame: Frame, sample: Sample, evaluator: Evaluator, sinks: Sequence[Sink] | SinkSet, stats: LoopStats
) -> None:
    """The loop after the sampler, for one frame: evaluator → stats → sinks. Shared by :func:`run_loop`
    and the whole-track re-evaluation of ``tune``, so both give the same steps."""
    events = evaluator.update(sample)
    stats.frames += 1
    stats.frames_with_pose += sample.pose_found
    if stats.first_ms is None:
        stats.first_ms = frame.timestamp_ms
    stats.last_ms = frame.timestamp_ms
    step = make_step(frame, sample, events, evaluator)
    if isinstance(sinks, SinkSet):
        sinks.write(step)
    else:
        for sink in sinks:
            sink.write(step)


def prepare_output(out: Path) -> list[str]:
    """Create ``out`` and remove the results an earlier run left there (only posecheck's own files), so
    that a failed run never sits beside stale results. Returns the names removed."""
    with writing(out, "create the output folder"):
        out.mkdir(parents=True, exist_ok=True)
        removed = []
        for name in RESULT_NAMES:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
                removed.append(name)
            elif path.exists():
                path.unlink()
                removed.append(name)
    return removed


def model_identity(backend_name: str, model_path: Path | None, options: Any) -> dict[str, Any]:
    """What decides a track's landmarks besides the video: backend, model file and options."""
    from .pose.bundle import bundle_name
    from .pose.mediapipe_backend import MediaPipeOptions

    if model_path is not None:
        from .cache import content_hash

        model = {"file": Path(model_path).name, "sha256": content_hash(Path(model_path))}
    else:
        model = {"bundle": bundle_name()}
    opts = dataclasses.asdict(options if options is not None else MediaPipeOptions())
    if not opts.get("person_check_s"):
        opts.pop("person_check_s", None)  # MediaPipe's own way: the key tracks made before the option had
    return {"backend": backend_name, "model": model, "options": opts}


def analyze(
    source: str | Path,
    spec: ExerciseSpec,
    out_dir: str | Path,
    *,
    model_path: Path | None = None,
    write_video: bool = True,
    quiet: bool = True,
    backend: PoseBackend | None = None,
    cache: TrackCache | None | bool = True,
    write_html: bool = True,
    workers: int = 1,
    pin_cpus: bool = False,
    model_options: Any = None,
) -> Report:
    """Analyse a recorded video (or image folder) and write report.json, frames.csv, pose_track.npz and
    annotated.mp4 into ``out_dir`` (posecheck's files from an earlier run there are replaced first).

    ``write_html``: also write report.html (plots of every metric against its thresholds).
    ``cache``: True for the default track cache (:mod:`posecheck.cache`), a :class:`TrackCache`, or
    False: a video already analysed with the same model is not run through it again.
    ``workers``: processes that run the pose model. 1 (the default): one child process, so that this
    process's other work never makes the model wait; 0: in this process, no child; 2 or more: a video
    file of at least :data:`~posecheck.pose.segments.MIN_PARALLEL_S` is cut into segments that that
    many child processes work on at once (:mod:`posecheck.pose.segments`; the CLI's default is one per
    CPU). The annotated video is drawn in one more child process. Children are started with 'fork'
    where there is one (:func:`posecheck.processes.child_context`).
    ``model_options``: the backend's options (for mediapipe a :class:`MediaPipeOptions`; e.g.
    ``person_check_s=2.0`` for the faster, less accurate one-person tracking); ignored with ``backend``.
    ``pin_cpus``: with one model process, give it every CPU but one and this thread (and the threads
    it starts later) that one (:func:`posecheck.pose.process.own_cpus`; the CLI does; restored when
    the run ends). Off by default: a library does not move its caller's threads.

    Returns the :class:`Report`. Raises SourceError, ModelError, OutputError or NoPersonError; the files
    written so far (with the report of what was analysed, and the pose track) are kept on disk either way.
    report.json is rewritten as the run goes (:class:`ReportCheckpoint`), so even a killed run leaves one.
    """
    from .cache import TrackCache, content_hash, track_key
    from .pose.replay import ReplayBackend
    from .pose.segments import ParallelPoses, plan
    from .sinks.terminal import Progress
    from .sinks.video import AnnotatedVideo, ReplayedAnnotatedVideo
    from .sources import VideoFileSource, open_source, prefetch

    out = Path(out_dir)
    replaced = prepare_output(out)
    evaluator = Evaluator(spec)
    stats = LoopStats()
    if replaced:
        stats.notes.append(MESSAGES["replaced"].format(out=out))
    sinks = SinkSet()
    tracks = TrackCache.default() if cache is True else (cache or None)

    def report_now() -> Report:
        return Report.of(
            spec, str(source), evaluator.summary, stats.frames, stats.frames_with_pose,
            stats.duration_s or info.duration_s, tuple(stats.warnings), tuple(stats.notes),
        )  # fmt: skip

    with open_source(source) as src, ExitStack() as stack:
        info: VideoInfo = src.info
        identity = model_identity(
            getattr(backend, "name", "mediapipe"), model_path, getattr(backend, "options", model_options)
        )
        meta: dict[str, Any] = {"source": str(source), "fps": info.fps, **identity}
        key, cached = None, None
        if not info.is_live:
            meta["source_hash"] = content_hash(Path(source))
            meta["key"] = track_key(meta["source_hash"], identity)
        if tracks is not None and backend is None and not info.is_live:
            key = meta["key"]
            cached, why = tracks.get(key)
            if why:
                stats.notes.append(why)
        failure: BaseException | None = None
        writer: TrackWriter | None = None
        try:
            # The model's processes start first: with pin_cpus the one process takes a CPU of its own,
            # and the sinks' threads and processes started after it share the other (see pose.process).
            segments = None
            if cached is not None:
                pose_backend: PoseBackend = stack.enter_context(ReplayBackend(cached))
                frames: Iterable[Frame] = cached.frames()
            elif backend is None and workers >= 2 and isinstance(src, VideoFileSource) and len(plan(
                info.frame_count, info.fps, workers)) > 1:
                segments = stack.enter_context(ParallelPoses(
                    source, frame_count=info.frame_count, fps=info.fps, size=(info.width, info.height),
                    workers=workers, model_path=model_path, options=model_options,
                ))  # fmt: skip
                pose_backend, frames = segments, segments.frames()
            else:
                pose_backend = stack.enter_context(
                    backend or create_backend(
                        model_path=model_path, options=model_options, own_process=workers > 0, pin_cpus=pin_cpus
                    )
                )
            writer = TrackWriter(out / TRACK_NAME, meta, max_poses=identity["options"].get("num_poses", 2))
            sinks.add(FramesCsv(out / FRAMES_NAME, spec))
            if write_video:  # a file is decoded again by the drawing process; a camera cannot be
                video = out / ANNOTATED_NAME
                sinks.add(
                    AnnotatedVideo(video, spec, info.fps) if info.is_live
                    else ReplayedAnnotatedVideo(video, spec, source, info.fps)
                )  # fmt: skip
            if not quiet:
                sinks.add(Progress(len(cached) if cached is not None else info.frame_count))
            sinks.add(ReportCheckpoint(out / REPORT_NAME, lambda: report_now().to_json()))
            if cached is None and segments is None:
                frames = stack.enter_context(prefetch(src))
            run_loop(frames, pose_backend, evaluator, sinks, stats, track=writer)
        except (PosecheckError, KeyboardInterrupt) as exc:
            failure = exc
            why = str(exc) or MESSAGES["interrupted"]  # a KeyboardInterrupt says nothing
            stats.warnings.append(MESSAGES["stopped"].format(frames=stats.frames, why=why))
        finally:
            evaluator.finish()
            sinks.close(evaluator.summary)
            for exc in sinks.failures:
                stats.warnings.append(MESSAGES["sink_failed"].format(error=exc))
            if writer is not None:
                try:
                    track_file = writer.close(complete=failure is None)
                except PosecheckError as exc:
                    sinks.failures.append(exc)
                    stats.warnings.append(MESSAGES["track_failed"].format(error=exc))
                else:
                    if failure is None and key is not None and cached is None and tracks is not None:
                        why = tracks.put(key, track_file)
                        if why:
                            stats.notes.append(why)
            report = report_now()
            write_json_atomic(out / REPORT_NAME, report.to_json())
    if write_html and stats.frames:
        from .tune import write_page

        track = load_track(out) if (out / TRACK_NAME).is_file() else None
        report = dataclasses.replace(report, notes=(*report.notes, *write_page(out, spec, track)))
    if failure is not None:
        raise failure
    if sinks.failures:
        raise sinks.failures[0]
    if stats.frames_with_pose == 0:
        raise NoPersonError(
            f"{source}: no person found in any of its {stats.frames} frames; make sure the whole body is "
            f"in view and lit (results so far in {out})"
        )
    return report
