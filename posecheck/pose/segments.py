"""One video's poses found by several model processes at once, each on a segment of it.

Why: the pose model uses one core. On a machine with more, a long video is cut into segments of
:data:`SEGMENT_S`, and a pool of processes runs the model on them, each decoding its own segment
(OpenCV seeks to it). Each segment starts :data:`WARM_S` early, so that tracking has found the person
and settled by the segment's first frame; those frames overlap the segment before and are dropped.

The segments are handed back in order as they finish, so the rest of the loop (metrics, evaluator,
sinks, the annotated video) runs on the first while later ones are still in the model.

Exactness: a seek is trusted only when the frames it lands on have the index and container time that
the previous segment gave them (the overlap is compared); otherwise that segment is decoded again
from the start of the file. The landmarks are not bit for bit those of one process (tracking takes
its region from the previous frame, so two runs that started apart stay a pixel or so apart); the
counts and faults are the same on the samples and real clips here (``tests/test_segments.py``;
``benchmarks/accuracy.py --workers 2``).

Usage::

    with ParallelPoses("clip.mp4", workers=2) as poses:
        for frame in poses.frames():        # frames without pixels, in order
            people = poses.detect(frame)     # a PoseBackend: the poses of that frame
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import ModelError
from ..frame import Frame
from ..processes import exit_with_parent, model_context
from .types import Pose

#: Media seconds per segment: long enough that the warm-up costs little, short enough that the loop
#: after the model starts early and both processes finish together.
SEGMENT_S = 8.0
#: Each segment is started this much earlier (at least :data:`WARM_FRAMES`); measured on the 1080p
#: lunge clip, landmarks differ from one process's by about as much after 10 frames as after 40.
WARM_S = 0.4
WARM_FRAMES = 10
#: A video shorter than this is analysed in one process: starting a pool would cost more than it saves.
MIN_PARALLEL_S = 12.0
#: Two frame times closer than this (ms) are the same time.
_SAME_MS = 0.5

_P = TypeVar("_P", bound="ParallelPoses")


@dataclass(frozen=True)
class Segment:
    """Frames ``[start, stop)`` of a video (``stop`` None: to its end), decoded from ``start - warm``."""

    start: int
    stop: int | None
    warm: int

    @property
    def first(self) -> int:
        return self.start - self.warm


@dataclass(frozen=True)
class SegmentPoses:
    """What the model found in one segment, warm-up frames included: per frame its index in the file,
    its time, and every pose reported."""

    segment: Segment
    index: np.ndarray  # (n,) int64
    t_ms: np.ndarray  # (n,) float64
    poses: list[list[Pose]]
    seeked: bool


def usable_cpus() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def plan(frame_count: int, fps: float, workers: int) -> list[Segment]:
    """The segments a video of ``frame_count`` frames at ``fps`` is cut into for ``workers`` processes
    (:data:`SEGMENT_S` each, at least one per worker); one segment (the whole video) when it is too
    short for that to pay (:data:`MIN_PARALLEL_S`). The last segment reads on to the file's end."""
    if workers < 2 or frame_count <= 0 or fps <= 0 or frame_count < MIN_PARALLEL_S * fps:
        return [Segment(0, None, 0)]
    per = max(int(SEGMENT_S * fps), 1)
    count = max(math.ceil(frame_count / per), workers)
    bounds = np.linspace(0, frame_count, count + 1).round().astype(int)
    warm = max(WARM_FRAMES, math.ceil(WARM_S * fps))
    stops: list[int | None] = [int(b) for b in bounds[1:-1]] + [None]  # the last reads on: a count may be short
    return [Segment(int(a), b, min(warm, int(a))) for a, b in zip(bounds[:-1], stops)]


def extract(
    path: str, segment: Segment, backend: str, model_path: Path | None, options: Any, *, seek: bool = True
) -> SegmentPoses:
    """Run the model on ``segment`` of the video at ``path`` (in a pool's process). ``seek`` False:
    decode from the file's start, skipping the frames before the segment without converting them."""
    from . import create_backend
    from ..sources import VideoFileSource

    index: list[int] = []
    t_ms: list[float] = []
    found: list[list[Pose]] = []
    stop = segment.stop if segment.stop is not None else math.inf
    start = segment.first if seek else 0
    with (
        VideoFileSource(path, start=start) as source,
        create_backend(backend, model_path=model_path, options=options) as model,
    ):
        frames = iter(source)
        for frame in frames:
            if frame.index >= stop:
                break
            if frame.index < segment.first:
                continue
            if _stop is not None and _stop.is_set():
                break  # nobody waits for this segment any more
            index.append(frame.index)
            t_ms.append(frame.timestamp_ms)
            found.append(model.detect(frame))
    return SegmentPoses(segment, np.asarray(index, np.int64), np.asarray(t_ms, np.float64), found, seek)


#: Set in a pool's workers: the parent no longer wants the segments under way (it is closing the pool).
_stop: EventType | None = None


def _start_worker(parent: int, stop: EventType) -> None:
    global _stop
    _stop = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the pool
    # A killed parent cannot shut the pool down: its worker would finish its segment, then wait for the
    # next forever, holding the parent's output pipes open.
    exit_with_parent(parent)


class ParallelPoses:
    """The poses of a video file found in ``workers`` processes (see the module docstring).

    A :class:`~posecheck.pose.types.PoseBackend` for the frames :meth:`frames` yields: ``detect(frame)``
    returns the poses of the frame last yielded. Errors of a segment (a truncated file, the model
    failing) are raised by :meth:`frames` as they were raised in the worker.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        frame_count: int,
        fps: float,
        size: tuple[int, int],
        workers: int = 2,
        backend: str = "mediapipe",
        model_path: Path | None = None,
        options: Any = None,
    ) -> None:
        self.name = backend
        self.options = options
        self.path = str(path)
        self.segments = plan(frame_count, fps, workers)
        self.workers = min(workers, len(self.segments))
        self.reseeked = 0  # segments decoded again from the start because their seek was not exact
        self._args = (backend, model_path, options)
        self._blank = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (size[1], size[0], 3))
        self._pool: ProcessPoolExecutor | None = None
        self._stop: EventType | None = None
        self._futures: list[Future[SegmentPoses]] = []
        self._current: list[Pose] = []
        self._current_index = -1

    def __enter__(self: _P) -> _P:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Start the pool and hand it every segment (they are taken in order)."""
        if self._pool is not None:
            return
        context = model_context()
        self._stop = context.Event()
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), self._stop)
        )
        self._futures = [self._pool.submit(extract, self.path, s, *self._args) for s in self.segments]

    def close(self) -> None:
        """Stop the workers and wait for them: a segment still under way is no longer wanted."""
        if self._pool is not None:
            assert self._stop is not None
            self._stop.set()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _result(self, future: Future[SegmentPoses]) -> SegmentPoses:
        try:
            return future.result()
        except BrokenProcessPool:
            raise ModelError(
                f"{self.path}: a pose model process stopped unexpectedly; any message it left is above. "
                "Try again with --workers 1, or report it with that message"
            ) from None

    def frames(self) -> Iterator[Frame]:
        """Every frame of the video in order, without pixels (an image of the right size that holds none)."""
        if self._pool is None:
            self.open()
        tail: SegmentPoses | None = None
        for segment, future in zip(self.segments, self._futures):
            got = self._result(future)
            if tail is not None and not _continues(tail, got):
                assert self._pool is not None
                self.reseeked += 1
                got = self._result(self._pool.submit(extract, self.path, segment, *self._args, seek=False))
            keep = got.index >= segment.start
            for i in np.flatnonzero(keep):
                self._current, self._current_index = got.poses[i], int(got.index[i])
                yield Frame(int(got.index[i]), float(got.t_ms[i]), self._blank)
            tail = got
            if segment.stop is not None and (not len(got.index) or got.index[-1] < segment.stop - 1):
                return  # the file ended early (within its container's tolerance): later segments hold nothing

    def detect(self, frame: Frame) -> list[Pose]:
        if frame.index != self._current_index:
            raise ModelError(f"frame {frame.index}: ParallelPoses answers only the frame its frames() gave last")
        return self._current


def _continues(before: SegmentPoses, after: SegmentPoses) -> bool:
    """Whether ``after``'s warm-up frames are the frames ``before`` ended with: same indices, same times."""
    first = after.segment.first
    if not len(after.index) or after.index[0] != first:
        return False
    overlap = before.index >= first
    theirs = before.t_ms[overlap]
    mine = after.t_ms[: len(theirs)]
    return len(theirs) == len(mine) and bool(np.all(np.abs(theirs - mine) < _SAME_MS))
