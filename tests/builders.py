"""Builders of fake data for tests: poses and sample sequences with known values."""

from __future__ import annotations

import numpy as np

from posecheck.landmarks import COUNT, INDEX
from posecheck.pose.types import Pose
from posecheck.sampler import Sample

FPS = 30.0


def pose_from_points(points: dict[str, tuple[float, float]], size: tuple[int, int] = (640, 480), **kw) -> Pose:
    """A Pose with the named landmarks at the given pixels, the rest at the image centre."""
    px = np.tile(np.array([size[0] / 2, size[1] / 2], np.float32), (COUNT, 1))
    for name, xy in points.items():
        px[INDEX[name]] = xy
    return Pose(image_px=px, visibility=np.ones(COUNT, np.float32), image_size=size, **kw)


SOME_POSE = pose_from_points({})


def samples(
    values: dict[str, np.ndarray] | dict[str, list[float]],
    *,
    fps: float = FPS,
    side: str | None = "left",
    width_ratio: float = 0.1,
    view_deg: float | np.ndarray = 85.0,
    present: np.ndarray | None = None,
    people: int = 1,
) -> list[Sample]:
    """One Sample per frame from per-metric value arrays of equal length.

    ``present[i] = False`` makes frame i a dropout (no pose, NaN values). ``view_deg``: the camera's
    view (0 front, 90 side), one value or one per frame.
    """
    arrays = {k: np.asarray(v, float) for k, v in values.items()}
    n = len(next(iter(arrays.values())))
    views = np.broadcast_to(np.asarray(view_deg, float), (n,))
    out = []
    for i in range(n):
        found = present is None or bool(present[i])
        vals = {k: (float(a[i]) if found else float("nan")) for k, a in arrays.items()}
        out.append(
            Sample(
                timestamp_ms=i * 1000.0 / fps,
                values=vals,
                side=side if found else None,
                width_ratio=width_ratio if found else float("nan"),
                view_deg=float(views[i]) if found else float("nan"),
                pose=SOME_POSE if found else None,
                people_in_view=people if found else 0,
            )
        )
    return out


def hold(value: float, seconds: float, fps: float = FPS) -> np.ndarray:
    return np.full(int(round(seconds * fps)), value, float)


def ramp(a: float, b: float, seconds: float, fps: float = FPS) -> np.ndarray:
    n = int(round(seconds * fps))
    return np.linspace(a, b, n, endpoint=False) if n else np.zeros(0)


def rep(rest: float, peak: float, *, up_s: float = 1.0, top_s: float = 1.0, down_s: float = 1.0,
        fps: float = FPS) -> np.ndarray:
    """One rep: rest → peak (ramp), hold at peak, back to rest."""
    return np.concatenate([ramp(rest, peak, up_s, fps), hold(peak, top_s, fps), ramp(peak, rest, down_s, fps)])


def concat(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts)
