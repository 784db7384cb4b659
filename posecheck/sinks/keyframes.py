"""Key-frame thumbnails: each rep's video frame at its peak, with the skeleton drawn on it (OpenCV).

Usage::

    peaks = rep_peak_times(load_frames(out / "frames.csv", spec.metrics), report, spec)   # rep -> s
    thumbs = draw_keyframes(report["source"], {i: (t, landmarks_px[i]) for i, t in peaks.items()})

A missing or unreadable source never raises: the skeleton is then drawn on a plain background.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from .._quiet import quiet_stderr
from ..errors import SourceError
from ..landmarks import SKELETON_INDICES
from ..spec.schema import ExerciseSpec
from .overlay import Theme

#: Thumbnail height in pixels.
THUMB_HEIGHT = 240
#: Size (w, h) of the plain background when neither the video nor an image size is known.
FALLBACK_SIZE = (640, 480)
#: Colours (BGR) and sizes of the thumbnail drawing, beyond the overlay's theme.
STYLE: dict[str, Any] = {
    "background": (58, 52, 48),
    "note": (210, 210, 210),
    "bone_px": 2,
    "joint_px": 2,
    "font_scale": 0.45,
}
#: Text written on a thumbnail drawn without its video frame.
MESSAGES = {"no_video": "video not available"}
#: A seek whose frame lands further than this many frame intervals away is redone by reading forward.
SEEK_TOLERANCE_FRAMES = 1.5
#: Image-folder frames are this far apart (the frame rate image folders are analysed at).
FOLDER_FPS = 30.0


class _Series(Protocol):
    t_s: np.ndarray
    values: Mapping[str, np.ndarray]


def rep_peak_times(frames: _Series, report: Mapping[str, Any], spec: ExerciseSpec) -> dict[int, float]:
    """Rep index -> time (s) within the rep's [start_s, end_s] where the rep metric is at its extreme:
    its maximum when ``reps.enter > reps.exit`` (the metric rises in a rep), else its minimum.

    ``frames`` is anything with ``t_s`` and ``values`` arrays (a :class:`~posecheck.sinks.plots.FrameTable`
    or a :class:`~posecheck.sinks.changes.Timeline`). A rep whose metric was never measured gets its
    middle; a spec without reps gives ``{}``."""
    rs = spec.reps
    if rs is None:
        return {}
    t = np.asarray(frames.t_s, float)
    v = np.asarray(frames.values.get(rs.metric, np.full(len(t), np.nan)), float)
    rising = rs.enter > rs.exit
    out: dict[int, float] = {}
    for rep in report.get("reps", []):
        start, end = float(rep["start_s"]), float(rep["end_s"])
        inside = np.flatnonzero((t >= start - 1e-6) & (t <= end + 1e-6) & np.isfinite(v))
        if not len(inside):
            out[int(rep["index"])] = (start + end) / 2
            continue
        pick = np.argmax(v[inside]) if rising else np.argmin(v[inside])
        out[int(rep["index"])] = float(t[inside[pick]])
    return out


#: The name tune.py imports: the same function, fed a Timeline.


def draw_keyframes(
    source: str | Path | None,
    moments: Mapping[int, tuple[float, np.ndarray | None]],
    size: int = THUMB_HEIGHT,
    *,
    image_size: tuple[int, int] | None = None,
    theme: Theme | None = None,
) -> dict[int, np.ndarray]:
    """Rep index -> a BGR thumbnail ``size`` pixels high: the frame of ``source`` (a video file or an image
    folder) nearest to the moment's time (s), with the moment's landmarks ((33, 2) pixels of the full
    frame, NaN = missing; or None) drawn as the overlay's skeleton.

    When the source is None, missing or unreadable, the skeleton is drawn on a plain background of
    ``image_size`` (w, h; else the landmarks' extent, else :data:`FALLBACK_SIZE`). Never raises for an
    unreadable source."""
    theme = theme or Theme()
    frames = _thumbnail_frames(source, sorted({float(t) for t, _ in moments.values()}), size)
    out: dict[int, np.ndarray] = {}
    for index, (t_s, points) in moments.items():
        pts = None if points is None else np.asarray(points, float).reshape(-1, 2)
        frame = frames.get(float(t_s))
        if frame is None:
            image = _background(pts, image_size)
            scale = size / image.shape[0]
            thumb = cv2.resize(image, (max(1, round(image.shape[1] * scale)), size), interpolation=cv2.INTER_AREA)
            note = True
        else:
            scale, thumb, note = frame[0], frame[1].copy(), False
        if pts is not None:
            _skeleton(thumb, pts * scale, theme)
        if note:
            cv2.putText(thumb, MESSAGES["no_video"], (8, size - 10), cv2.FONT_HERSHEY_SIMPLEX,
                        STYLE["font_scale"], STYLE["note"], 1, cv2.LINE_AA)  # fmt: skip
        out[index] = thumb
    return out


def _background(pts: np.ndarray | None, image_size: tuple[int, int] | None) -> np.ndarray:
    w, h = image_size or FALLBACK_SIZE
    if image_size is None and pts is not None and np.isfinite(pts).all(axis=1).any():
        far = np.nanmax(np.where(np.isfinite(pts), pts, np.nan), axis=0)
        w, h = max(int(far[0] * 1.1), 64), max(int(far[1] * 1.1), 64)
    image = np.empty((int(h), int(w), 3), np.uint8)
    image[:] = STYLE["background"]
    return image


def _skeleton(image: np.ndarray, pts: np.ndarray, theme: Theme) -> None:
    ok = np.isfinite(pts).all(axis=1)
    for a, b in SKELETON_INDICES:
        if a < len(pts) and b < len(pts) and ok[a] and ok[b]:
            cv2.line(image, _px(pts[a]), _px(pts[b]), theme.bone, STYLE["bone_px"], cv2.LINE_AA)
    for p in pts[ok]:
        cv2.circle(image, _px(p), STYLE["joint_px"], theme.joint, -1, cv2.LINE_AA)


def _px(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


#: Recently read thumbnails (scale, image) by (source, its mtime and size, time, height): ``tune --watch``
#: redraws the page on every save, mostly at the same moments.
_CACHE: OrderedDict[tuple[str, float, int, float, int], tuple[float, np.ndarray]] = OrderedDict()
CACHE_ENTRIES = 64


def _thumbnail_frames(
    source: str | Path | None, times: list[float], size: int
) -> dict[float, tuple[float, np.ndarray]]:
    """Time -> (scale, the frame nearest it downscaled to ``size`` pixels high); absent where unreadable."""
    if source is None or not str(source).strip():
        return {}
    path = Path(source).expanduser()
    try:
        st = path.stat()
        stamp = (str(path.resolve()), st.st_mtime, st.st_size)
    except OSError:
        return {}
    out = {}
    for t in times:
        hit = _CACHE.get((*stamp, t, size))
        if hit is not None:
            _CACHE.move_to_end((*stamp, t, size))
            out[t] = hit
    missing = [t for t in times if t not in out]
    for t, image in (_read_frames(path, missing) if missing else {}).items():
        if image is None:
            continue
        scale = size / image.shape[0]
        thumb = cv2.resize(image, (max(1, round(image.shape[1] * scale)), size), interpolation=cv2.INTER_AREA)
        out[t] = _CACHE[(*stamp, t, size)] = (scale, thumb)
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return out


def _read_frames(source: str | Path | None, times: list[float]) -> dict[float, np.ndarray | None]:
    """The frame nearest each time (s), None where it cannot be read."""
    if source is None or not str(source).strip() or not times:
        return {}
    path = Path(source).expanduser()
    try:
        if path.is_dir():
            return _folder_frames(path, times)
        if path.is_file():
            return _video_frames(path, times)
    except (OSError, SourceError, cv2.error):
        pass
    return {}


def _folder_frames(path: Path, times: list[float]) -> dict[float, np.ndarray | None]:
    from ..sources import ImageFolderSource

    source = ImageFolderSource(path, fps=FOLDER_FPS)
    try:
        files = source.files
    finally:
        source.close()
    out: dict[float, np.ndarray | None] = {}
    for t in times:
        i = min(max(int(round(t * FOLDER_FPS)), 0), len(files) - 1)
        out[t] = cv2.imread(str(files[i]), cv2.IMREAD_COLOR)
    return out


def _video_frames(path: Path, times: list[float]) -> dict[float, np.ndarray | None]:
    with quiet_stderr():
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            return {}
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)  # as the sources do: landmarks are of the rotated frame
        fps = cap.get(cv2.CAP_PROP_FPS)
        interval_ms = 1000.0 / fps if math.isfinite(fps) and fps > 0 else 1000.0 / FOLDER_FPS
        out: dict[float, np.ndarray | None] = {}
        missed = []
        with quiet_stderr():
            for t in times:
                cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000.0)
                ok, image = cap.read()
                got = cap.get(cv2.CAP_PROP_POS_MSEC)
                if ok and image is not None and abs(got - t * 1000.0) <= SEEK_TOLERANCE_FRAMES * interval_ms:
                    out[t] = image
                else:
                    missed.append(t)
            if missed:
                out.update(_read_forward(cap, missed))
        return out
    finally:
        cap.release()


def _read_forward(cap: cv2.VideoCapture, times: list[float]) -> dict[float, np.ndarray | None]:
    """From the start, the decoded frame nearest each time (for containers where seeking is inexact)."""
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    best: dict[float, tuple[float, np.ndarray | None]] = {t: (math.inf, None) for t in times}
    last = max(times) * 1000.0
    while True:
        ok, image = cap.read()
        if not ok or image is None:
            break
        ts = cap.get(cv2.CAP_PROP_POS_MSEC)
        for t in times:
            gap = abs(ts - t * 1000.0)
            if gap < best[t][0]:
                best[t] = (gap, image)
        if ts > last + 1000.0:
            break
    return {t: image for t, (_, image) in best.items()}
