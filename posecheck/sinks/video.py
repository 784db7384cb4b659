"""annotated.mp4: the overlay drawn and encoded off the pose model's core (another process or thread)."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import queue
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from ..errors import OutputError, PosecheckError
from ..events import Summary
from ..frame import Frame
from ..processes import child_context
from ..sources import DEFAULT_FPS, open_source
from ..spec.schema import ExerciseSpec
from .overlay import Overlay
from .step import Step

_FOURCC = "mp4v"  # H.264 encoders are not in the OpenCV wheel; mp4v plays everywhere that matters
_QUEUE_DEPTH = 16  # frames in flight: bounds memory however long the video
_NO_IMAGE = np.zeros((1, 1, 3), np.uint8)  # steps sent to the replay process carry no pixels
_CHILD_POLL_S = 1.0


def _open_writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    fps = fps if fps and fps > 0 else DEFAULT_FPS
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*_FOURCC), fps, size)
    if not writer.isOpened():
        raise OutputError(f"{path}: cannot open a video writer ({_FOURCC}, {size[0]}x{size[1]})")
    return writer


class AnnotatedVideo:
    """Writes every frame it is given with the overlay, drawn and encoded on a background thread.

    For frames that exist only in memory (a camera); a video file uses :class:`ReplayedAnnotatedVideo`.
    """

    def __init__(self, path: Path, spec: ExerciseSpec, fps: float) -> None:
        self.path = path
        self.fps = fps
        self._overlay = Overlay(spec)
        self._queue: queue.Queue[Step | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._writer: cv2.VideoWriter | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="posecheck-video", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (step := self._queue.get()) is not None:
                image = step.frame.image.copy()
                self._overlay.annotate(image, step)
                if self._writer is None:
                    self._writer = _open_writer(self.path, self.fps, (image.shape[1], image.shape[0]))
                self._writer.write(image)
        except BaseException as exc:  # re-raised in the caller's thread by write()/close()
            self._error = exc
            while self._queue.get() is not None:
                pass
        finally:
            if self._writer is not None:
                self._writer.release()

    def write(self, step: Step) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(step)

    def close(self, summary: Summary) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _next_step(steps: mp.Queue, parent: int) -> Step | None:
    """The parent's next step; None at the end, or when the parent has died without saying so."""
    while True:
        try:
            return steps.get(timeout=_CHILD_POLL_S)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _render_replay(
    source: str, path: Path, spec: ExerciseSpec, fps: float, steps: mp.Queue, errors: mp.SimpleQueue, parent: int
) -> None:
    """Child process: decode ``source`` again and draw each step's overlay on its frame. A
    :class:`PosecheckError` is handed to the parent as its message, and the child exits with 1."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop, and closes cleanly
    overlay = Overlay(spec)
    writer: cv2.VideoWriter | None = None
    try:
        with open_source(source) as frames:
            frame_iter = iter(frames)
            while (step := _next_step(steps, parent)) is not None:
                frame = next(frame_iter)
                while frame.index < step.frame.index:
                    frame = next(frame_iter)
                image = overlay.annotate(frame.image, dataclasses.replace(step, frame=frame))
                if writer is None:
                    writer = _open_writer(path, fps, (image.shape[1], image.shape[0]))
                writer.write(image)
    except StopIteration:
        pass  # the parent's reader hit a truncated end first: everything it analysed is drawn
    except PosecheckError as exc:
        errors.put(str(exc))
        sys.exit(1)
    finally:
        if writer is not None:
            writer.release()


class ReplayedAnnotatedVideo:
    """annotated.mp4 for a video file, drawn in another process that decodes the file again.

    Only the small per-frame results cross the process boundary, so neither decoding, drawing nor
    encoding shares the pose model's core or its interpreter lock.
    """

    def __init__(self, path: Path, spec: ExerciseSpec, source: str | Path, fps: float) -> None:
        self.path = path
        ctx = child_context()
        self._steps: mp.Queue = ctx.Queue(maxsize=_QUEUE_DEPTH * 4)
        self._errors: mp.SimpleQueue = ctx.SimpleQueue()
        self._process = ctx.Process(
            target=_render_replay,
            args=(str(source), path, spec, fps, self._steps, self._errors, os.getpid()),
            name="posecheck-annotate",
            daemon=True,
        )
        self._process.start()

    def _failure(self, what: str, hint: str = "") -> OutputError:
        """The child's own message if it left one, else what happened to it."""
        if not self._errors.empty():
            return OutputError(self._errors.get())
        return OutputError(f"{self.path}: the annotated-video writer {what} (exit code {self._process.exitcode}){hint}")

    def _put(self, item: Step | None) -> None:
        """Queue ``item`` for the child; never blocks forever on a child that died."""
        while True:
            if not self._process.is_alive():
                raise self._failure("stopped", "; rerun with --no-video to skip it")
            try:
                self._steps.put(item, timeout=_CHILD_POLL_S)
                return
            except queue.Full:
                continue

    def write(self, step: Step) -> None:
        """Send ``step`` without what the overlay does not draw: the pixels and the raw pose."""
        light = Frame(step.frame.index, step.frame.timestamp_ms, _NO_IMAGE)
        self._put(dataclasses.replace(step, frame=light, sample=dataclasses.replace(step.sample, pose=None)))

    def close(self, summary: Summary) -> None:
        if self._process.is_alive():
            self._put(None)
        self._process.join()
        if self._process.exitcode != 0:
            raise self._failure("failed")
