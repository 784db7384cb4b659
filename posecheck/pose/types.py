"""The typed pose value every stage after the backend works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..frame import Frame
from ..landmarks import COUNT


@dataclass(frozen=True)
class Pose:
    """One person's landmarks in one frame.

    ``image_px``: (33, 2) float32 pixel coordinates (x right, y down) in the frame as seen.
    ``visibility``/``presence``: (33,) float32 in [0, 1]; presence is 1 where the backend has none.
    ``world_m``: (33, 3) float32 metres, origin at the mid-hip, or None when the backend has none.
    ``image_size``: (width, height) of the frame the landmarks refer to.
    """

    image_px: np.ndarray
    visibility: np.ndarray
    image_size: tuple[int, int]
    presence: np.ndarray = field(default_factory=lambda: np.ones(COUNT, np.float32))
    world_m: np.ndarray | None = None

    def __post_init__(self) -> None:
        checks = {
            "image_px": (self.image_px, (COUNT, 2)),
            "visibility": (self.visibility, (COUNT,)),
            "presence": (self.presence, (COUNT,)),
        }
        if self.world_m is not None:
            checks["world_m"] = (self.world_m, (COUNT, 3))
        for name, (arr, shape) in checks.items():
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = getattr(arr, "shape", type(arr).__name__)
                raise ValueError(f"Pose.{name}: expected an array of shape {shape}, got {got}")
            arr.setflags(write=False)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the landmarks in pixels."""
        xy = self.image_px[np.isfinite(self.image_px).all(axis=1)]
        return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


class PoseBackend(Protocol):
    """Turns frames into poses. Used as a context manager; frames arrive in timestamp order.

    ``detect`` returns every person found (possibly empty): choosing whom to follow is not its job.
    """

    name: str

    def __enter__(self) -> "PoseBackend": ...

    def __exit__(self, *exc: object) -> None: ...

    def detect(self, frame: Frame) -> list[Pose]: ...
