"""A pose backend that answers from a recorded :class:`~posecheck.track.PoseTrack` instead of a model.

Every stage after the model runs unchanged on it: ``analyze`` uses it when the track cache already has
the video, ``tune`` to re-evaluate a session with another spec, tests to run the loop without MediaPipe.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from ..errors import TrackError
from ..frame import Frame
from ..track import PoseTrack
from .types import Pose

_R = TypeVar("_R", bound="ReplayBackend")


class ReplayBackend:
    """Meets :class:`~posecheck.pose.types.PoseBackend`: ``detect(frame)`` returns the poses recorded for
    the frame with ``frame.index``. A frame the track does not hold raises :class:`TrackError` (the
    track is of another video, or ended before it)."""

    name = "replay"

    def __init__(self, track: PoseTrack) -> None:
        self.track = track
        self._next = 0

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        self._next = 0

    def close(self) -> None:
        pass

    def detect(self, frame: Frame) -> list[Pose]:
        index = self.track.index
        i = self._next
        if not (i < len(index) and index[i] == frame.index):
            i = int(np.searchsorted(index, frame.index))
            if not (i < len(index) and index[i] == frame.index):
                where = self.track.path or "the pose track"
                raise TrackError(
                    f"{where}: holds no frame {frame.index} (it has frames {index[0] if len(index) else '-'}"
                    f"-{index[-1] if len(index) else '-'}); it was made from another video or stopped early"
                )
        self._next = i + 1
        return self.track.poses(i)

