"""Pose tracks: what the pose model saw in a session, kept so that everything after the model can run again.

A track holds, per frame, every person the backend reported (image landmarks in pixels with visibility
and presence, world landmarks in metres), which of them was followed, and how many were in view; plus
what made it (backend, model, options) and the source's content hash. ``analyze`` writes one beside
report.json (``pose_track.npz``); ``posecheck tune`` re-evaluates it with another spec in a fraction of a
second, and the track cache (:mod:`posecheck.cache`) lets a second analysis of the same video skip the
model.

File format (``pose_track.npz``, numpy's compressed zip of arrays), version :data:`FORMAT_VERSION`:

==================  =====================  ==========================================================
array               shape, dtype           meaning
==================  =====================  ==========================================================
``format``          (), str                ``"posecheck-pose-track"``
``version``         (), int                :data:`FORMAT_VERSION`; readers refuse newer versions
``meta``            (), str                JSON: source, source_hash, backend, model, options, fps,
                                           complete (False for a run that was stopped)
``index``           (T,), int64            frame index in the source
``t_ms``            (T,), float64          frame timestamp, ms (from the container or the camera)
``image_size``      (T, 2), int32          width, height of the frame the landmarks refer to
``n_poses``         (T,), int8             people reported in the frame (0..P)
``image_px``        (T, P, 33, 2), float32 landmarks in pixels; NaN beyond ``n_poses``
``visibility``      (T, P, 33), float32    MediaPipe visibility in [0, 1]
``presence``        (T, P, 33), float32    MediaPipe presence in [0, 1]
``world_m``         (T, P, 33, 3), float32 world landmarks, metres, origin mid-hip; NaN when absent
``followed``        (T,), int8             which pose was followed (-1: nobody)
==================  =====================  ==========================================================

While a session runs, :class:`TrackWriter` adds a part file about every second to
``pose_track.npz.parts/``; closing joins them into ``pose_track.npz``. A run killed before that keeps
its parts, and :func:`load_track` reads them: the track is never lost beyond its last second.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import OutputError, TrackError, writing
from .frame import Frame
from .landmarks import COUNT
from .pose.types import Pose

TRACK_NAME = "pose_track.npz"
FORMAT_NAME = "posecheck-pose-track"
FORMAT_VERSION = 1
PARTS_SUFFIX = ".parts"
#: A part file is written once this much media time has passed since the last one.
PART_EVERY_S = 1.0
_ARRAYS = ("index", "t_ms", "image_size", "n_poses", "image_px", "visibility", "presence", "world_m", "followed")


_NO_IMAGE = np.zeros((1, 1, 3), np.uint8)


@dataclass(frozen=True)
class PoseTrack:
    """A whole recorded track (see the module docstring for the arrays). ``len(track)`` is T."""

    index: np.ndarray
    t_ms: np.ndarray
    image_size: np.ndarray
    n_poses: np.ndarray
    image_px: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world_m: np.ndarray
    followed: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        t = len(self.t_ms)
        p = self.image_px.shape[1] if self.image_px.ndim == 4 else 0
        shapes = {
            "index": (t,), "image_size": (t, 2), "n_poses": (t,), "image_px": (t, p, COUNT, 2),
            "visibility": (t, p, COUNT), "presence": (t, p, COUNT), "world_m": (t, p, COUNT, 3), "followed": (t,),
        }  # fmt: skip
        for name, shape in shapes.items():
            got = getattr(self, name).shape
            if got != shape:
                raise TrackError(f"{self.path or 'pose track'}: array '{name}' has shape {got}, expected {shape}")
        for name in _ARRAYS:
            getattr(self, name).setflags(write=False)

    def __len__(self) -> int:
        return len(self.t_ms)

    @property
    def complete(self) -> bool:
        """False for the track of a run that was stopped or killed before its end."""
        return bool(self.meta.get("complete", False))

    def poses(self, i: int) -> list[Pose]:
        """Every pose of frame ``i``, as the backend reported them."""
        size = (int(self.image_size[i, 0]), int(self.image_size[i, 1]))
        out = []
        for k in range(int(self.n_poses[i])):
            world = self.world_m[i, k]
            out.append(
                Pose(
                    self.image_px[i, k], self.visibility[i, k], size, self.presence[i, k],
                    world if np.isfinite(world).all() else None,
                )
            )  # fmt: skip
        return out

    def frames(self) -> Iterator[Frame]:
        """The track's frames without pixels (a 1x1 image), for running the loop on the track alone."""
        for i in range(len(self)):
            yield Frame(int(self.index[i]), float(self.t_ms[i]), _NO_IMAGE)

    @property
    def duration_s(self) -> float:
        return float(self.t_ms[-1] - self.t_ms[0]) / 1000.0 if len(self) else 0.0


def _empty_arrays(p: int) -> dict[str, np.ndarray]:
    return {
        "index": np.zeros(0, np.int64), "t_ms": np.zeros(0, np.float64), "image_size": np.zeros((0, 2), np.int32),
        "n_poses": np.zeros(0, np.int8), "image_px": np.zeros((0, p, COUNT, 2), np.float32),
        "visibility": np.zeros((0, p, COUNT), np.float32), "presence": np.zeros((0, p, COUNT), np.float32),
        "world_m": np.zeros((0, p, COUNT, 3), np.float32), "followed": np.zeros(0, np.int8),
    }  # fmt: skip


_Row = tuple[int, float, tuple[int, int], Sequence[Pose], int]  # index, time, image size, poses, followed


def _frame_arrays(rows: Sequence[_Row], p: int) -> dict[str, np.ndarray]:
    """The arrays of a few frames."""
    t = len(rows)
    a = _empty_arrays(p)
    out = {k: np.full((t, *v.shape[1:]), np.nan if v.dtype.kind == "f" else 0, v.dtype) for k, v in a.items()}
    for i, (index, t_ms, size, poses, followed) in enumerate(rows):
        out["index"][i], out["t_ms"][i], out["followed"][i] = index, t_ms, followed
        out["n_poses"][i] = min(len(poses), p)
        out["image_size"][i] = size if not poses else poses[0].image_size
        for k, pose in enumerate(poses[:p]):
            out["image_px"][i, k] = pose.image_px
            out["visibility"][i, k] = pose.visibility
            out["presence"][i, k] = pose.presence
            if pose.world_m is not None:
                out["world_m"][i, k] = pose.world_m
    return out


def _save(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write a track file atomically (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    # Compressed in memory first: numpy leaves its zip file open when a write fails (a full disk), and
    # that file then complains at exit; one plain write of the bytes fails cleanly instead.
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, format=np.array(FORMAT_NAME), version=np.array(FORMAT_VERSION), meta=np.array(json.dumps(meta)),
        **arrays,
    )  # fmt: skip
    try:
        with writing(path, "write the pose track"):
            tmp.write_bytes(buffer.getbuffer())
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class TrackWriter:
    """Records a session's track as it goes: ``update(frame, poses, followed)`` each frame, ``close()``.

    ``max_poses``: people kept per frame (the backend's ``num_poses``). A part file is written about every
    :data:`PART_EVERY_S` of media time, so a killed run keeps all but its last second.
    """

    def __init__(self, path: Path, meta: dict[str, Any], max_poses: int = 2) -> None:
        self.path = Path(path)
        self.meta = dict(meta)
        self.max_poses = max(1, max_poses)
        self.parts = self.path.with_name(self.path.name + PARTS_SUFFIX)
        self._rows: list[_Row] = []  # never the frames themselves: their pixels are not kept
        self._part_start_ms: float | None = None
        self._written = 0
        self.failure: OutputError | None = None  # set once writing failed: the rest of the run goes on
        with writing(self.parts, "create the pose track's folder"):
            shutil.rmtree(self.parts, ignore_errors=True)
            self.parts.mkdir(parents=True)

    def update(self, frame: Frame, poses: Sequence[Pose], followed: int) -> None:
        if self.failure is not None:
            return
        self._rows.append((frame.index, frame.timestamp_ms, frame.size, poses, followed))
        if self._part_start_ms is None:
            self._part_start_ms = frame.timestamp_ms
        if frame.timestamp_ms - self._part_start_ms >= PART_EVERY_S * 1000.0:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        arrays = _frame_arrays(self._rows, self.max_poses)
        try:
            _save(self.parts / f"{self._written:06d}.npz", arrays, {**self.meta, "complete": False})
        except OutputError as exc:
            # A full disk: give its space back to the results that matter more (the report), stop here.
            self.failure = exc
            self._rows = []
            shutil.rmtree(self.parts, ignore_errors=True)
            return
        self._written += 1
        self._rows = []
        self._part_start_ms = None

    def close(self, complete: bool = True) -> Path:
        """Join the parts into the track file (``complete`` False: the run stopped early). Returns its path.
        Raises the :class:`OutputError` that stopped the writing, if any (nothing of the track is kept then)."""
        self._flush()
        if self.failure is not None:
            raise self.failure
        track = _join_parts(self.parts, {**self.meta, "complete": complete}, self.max_poses)
        try:
            _save(self.path, {k: getattr(track, k) for k in _ARRAYS}, track.meta)
        except OutputError as exc:
            self.failure = exc
            raise
        finally:
            shutil.rmtree(self.parts, ignore_errors=True)
        return self.path


def _read(path: Path) -> PoseTrack:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files or str(data["format"]) != FORMAT_NAME:
                raise TrackError(f"{path}: not a posecheck pose track")
            version = int(data["version"])
            if version > FORMAT_VERSION:
                raise TrackError(
                    f"{path}: pose track format version {version} is newer than this posecheck reads "
                    f"({FORMAT_VERSION}); upgrade posecheck or analyse the video again"
                )
            missing = [k for k in _ARRAYS if k not in data.files]
            if missing:
                raise TrackError(f"{path}: pose track lacks the arrays {', '.join(missing)}")
            arrays = {k: data[k] for k in _ARRAYS}
            meta = json.loads(str(data["meta"]))
    except TrackError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise TrackError(f"{path}: cannot read the pose track ({type(exc).__name__}: {exc})") from None
    return PoseTrack(**arrays, meta=meta, path=path)


def _join_parts(parts: Path, meta: dict[str, Any], max_poses: int) -> PoseTrack:
    pieces = [_read(p) for p in sorted(parts.glob("*.npz"))]
    if not pieces:
        return PoseTrack(**_empty_arrays(max_poses), meta=meta)
    arrays = {k: np.concatenate([getattr(piece, k) for piece in pieces]) for k in _ARRAYS}
    return PoseTrack(**arrays, meta={**pieces[0].meta, **meta}, path=parts)


def load_track(path: str | Path) -> PoseTrack:
    """The pose track at ``path``: a ``pose_track.npz`` file, or a results folder holding one (or, after a
    killed run, only its parts). Raises :class:`TrackError` when there is none or it cannot be read."""
    path = Path(path)
    file = path / TRACK_NAME if path.is_dir() else path
    parts = file.with_name(file.name + PARTS_SUFFIX)
    if file.is_file():
        return _read(file)
    if parts.is_dir():
        probe = next(iter(sorted(parts.glob("*.npz"))), None)
        if probe is not None:
            return _join_parts(parts, {"complete": False}, _read(probe).image_px.shape[1])
    where = f"{path} holds no {TRACK_NAME}" if path.is_dir() else f"{path}: no such pose track"
    raise TrackError(f"{where}; analyse the video first: posecheck analyze VIDEO --out {path}")
