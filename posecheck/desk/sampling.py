"""One frame per sample: from a video file at the frame nearest a (simulated) time, or from a camera.

A file is read forward with ``grab()`` (no colour conversion) up to the frame nearest the requested
time, and only that one is converted (:meth:`posecheck.sources.VideoFileSource.frame_at`). A camera
is held open (opening a device costs far more than reading it, and its exposure needs frames to
settle) with its driver buffer drained before each sample, so the frame is fresh rather than the one
buffered since the previous sample.
"""

from __future__ import annotations

from typing import Protocol

import cv2

from ..frame import Frame, VideoInfo
from ..sources import CameraSource, VideoFileSource

#: Frames a camera driver may hold; grabbed and dropped before each sample so the sample is fresh.
CAMERA_STALE_FRAMES = 4


class Sampler(Protocol):
    """``frame_at(t_s)``: the frame for (simulated) time ``t_s``, or None after the end of the input."""

    info: VideoInfo
    is_file: bool

    def frame_at(self, t_s: float) -> Frame | None: ...

    def close(self) -> None: ...


class FileSampler(VideoFileSource):
    """A video file sampled at chosen times: ``frame_at`` is
    :meth:`~posecheck.sources.VideoFileSource.frame_at` (the frame nearest the time, decoding forward
    only as far as needed). Raises what :class:`~posecheck.sources.VideoFileSource` raises (a missing,
    empty, undecodable or truncated file)."""

    is_file = True


class CameraSampler(CameraSource):
    """A camera held open and read once per sample (``frame_at``), its stale buffered frames dropped.

    Raises what :class:`~posecheck.sources.CameraSource` raises (a camera that does not open, or
    stops delivering frames)."""

    is_file = False

    def __init__(self, index: int, **kwargs: object) -> None:
        super().__init__(index, **kwargs)  # type: ignore[arg-type]
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)

    def frame_at(self, t_s: float) -> Frame | None:
        if self._peeked is None:
            for _ in range(CAMERA_STALE_FRAMES - 1):
                self._cap.grab()
        return next(self)


def open_sampler(target: str) -> FileSampler | CameraSampler:
    """A camera (a digit string) or a video file. Raises SourceError / CameraError."""
    if target.strip().isdigit():
        return CameraSampler(int(target))
    return FileSampler(target)
