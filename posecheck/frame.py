"""The values a frame source yields: :class:`Frame` and :class:`VideoInfo`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What is known about a source before reading it.

    ``fps`` is the nominal rate (an image folder's is the rate it was opened with, default 30);
    ``frame_count`` is 0 when unknown (a camera). ``width``/``height`` are of the frames as yielded, after rotation.
    """

    source: str
    width: int
    height: int
    fps: float
    frame_count: int
    rotation: int = 0
    is_live: bool = False

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 and self.frame_count > 0 else 0.0


@dataclass(frozen=True)
class Frame:
    """One image with its time. ``timestamp_ms`` comes from the container or the camera clock."""

    index: int
    timestamp_ms: float
    image: np.ndarray  # H x W x 3, uint8, BGR

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                f"Frame {self.index}: expected an HxWx3 uint8 BGR image, got shape "
                f"{self.image.shape} dtype {self.image.dtype}"
            )

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]
