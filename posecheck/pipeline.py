"""The loop shared by every mode: source → pose → metrics → evaluator → sinks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import NoPersonError, OutputError, PosecheckError
from .evaluator import Evaluator
from .events import Event
from .frame import Frame, VideoInfo
from .pose import PersonSelector, Pose, PoseBackend, create_backend, detect_each
from .sampler import Sample, Sampler
from .sinks import Sink, Step
from .sinks.report import FRAMES_NAME, REPORT_NAME, FramesCsv, build_report, write_json_atomic
from .sinks.terminal import Progress
from .sinks.video import AnnotatedVideo, ReplayedAnnotatedVideo
from .sources import open_source, prefetch
from .spec.schema import ExerciseSpec

ANNOTATED_NAME = "annotated.mp4"


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


def run_loop(
    frames: Iterable[Frame],
    backend: PoseBackend,
    evaluator: Evaluator,
    sinks: Sequence[Sink],
    stats: LoopStats,
    selector: PersonSelector | None = None,
    sampler: Measures | None = None,
) -> None:
    """Run every frame through pose → metrics → evaluator → sinks, updating ``stats`` as it goes."""
    selector = selector or PersonSelector()
    sampler = sampler or Sampler(evaluator.spec)
    for frame, poses in detect_each(frames, backend):
        pose = selector.update(poses, frame.timestamp_ms)
        sample = sampler.update(pose, frame.timestamp_ms, selector.people_in_view)
        events = evaluator.update(sample)
        stats.frames += 1
        stats.frames_with_pose += pose is not None
        if stats.first_ms is None:
            stats.first_ms = frame.timestamp_ms
        stats.last_ms = frame.timestamp_ms
        step = make_step(frame, sample, events, evaluator)
        for sink in sinks:
            sink.write(step)


def analyze(
    source: str | Path,
    spec: ExerciseSpec,
    out_dir: str | Path,
    *,
    model_path: Path | None = None,
    write_video: bool = True,
    quiet: bool = True,
    backend: PoseBackend | None = None,
) -> dict[str, Any]:
    """Analyse a recorded video (or image folder) and write report.json, frames.csv, annotated.mp4.

    Returns the report dictionary. Raises SourceError, ModelError, OutputError or NoPersonError; the
    files written so far (with the report of what was analysed) are kept on disk either way.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    evaluator = Evaluator(spec)
    stats = LoopStats()
    sinks: list[Sink] = []
    with open_source(source) as src:
        info: VideoInfo = src.info
        failure: BaseException | None = None
        try:
            # The model's process starts first: it takes a CPU of its own, and the sinks' threads and
            # processes started after it share the other one (see pose.process).
            with backend or create_backend(model_path=model_path, own_process=True) as pose_backend:
                sinks.append(FramesCsv(out / FRAMES_NAME, spec))
                if write_video:  # a file is decoded again by the drawing process; a camera cannot be
                    video = out / ANNOTATED_NAME
                    sinks.append(
                        AnnotatedVideo(video, spec, info.fps) if info.is_live
                        else ReplayedAnnotatedVideo(video, spec, source, info.fps)
                    )  # fmt: skip
                if not quiet:
                    sinks.append(Progress(info.frame_count))
                with prefetch(src) as frames:
                    run_loop(frames, pose_backend, evaluator, sinks, stats)
        except (PosecheckError, KeyboardInterrupt) as exc:
            failure = exc
            why = str(exc) or "interrupted"  # a KeyboardInterrupt says nothing
            stats.warnings.append(f"analysis stopped early after {stats.frames} frames: {why}")
        finally:
            evaluator.finish()
            summary = evaluator.summary
            for sink in sinks:
                sink.close(summary)
            report = build_report(
                spec, str(source), summary, stats.frames, stats.frames_with_pose,
                stats.duration_s or info.duration_s, tuple(stats.warnings),
            )  # fmt: skip
            write_json_atomic(out / REPORT_NAME, report)
    if failure is not None:
        raise failure
    if stats.frames_with_pose == 0:
        raise NoPersonError(
            f"{source}: no person found in any of its {stats.frames} frames; make sure the whole body is "
            f"in view and lit (results so far in {out})"
        )
    return report
