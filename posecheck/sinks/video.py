"""annotated.mp4: the overlay drawn and encoded on a worker thread, off the pose model's core."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import cv2

from ..errors import OutputError
from ..events import Summary
from ..spec.schema import ExerciseSpec
from .overlay import Overlay
from .step import Step

_FOURCC = "mp4v"  # H.264 encoders are not in the OpenCV wheel; mp4v plays everywhere that matters
_QUEUE_DEPTH = 16  # frames in flight: bounds memory however long the video


class AnnotatedVideo:
    """Writes every frame with the overlay. Drawing and encoding run on a background thread."""

    def __init__(self, path: Path, spec: ExerciseSpec, fps: float) -> None:
        self.path = path
        self.fps = fps if fps and fps > 0 else 30.0
        self._overlay = Overlay(spec)
        self._queue: queue.Queue[Step | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._writer: cv2.VideoWriter | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="posecheck-video", daemon=True)
        self._thread.start()

    def _open(self, size: tuple[int, int]) -> cv2.VideoWriter:
        writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*_FOURCC), self.fps, size)
        if not writer.isOpened():
            raise OutputError(f"{self.path}: cannot open a video writer ({_FOURCC}, {size[0]}x{size[1]})")
        return writer

    def _run(self) -> None:
        try:
            while (step := self._queue.get()) is not None:
                image = step.frame.image.copy()
                self._overlay.annotate(image, step)
                if self._writer is None:
                    self._writer = self._open((image.shape[1], image.shape[0]))
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
