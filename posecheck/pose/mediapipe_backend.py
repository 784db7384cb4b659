"""MediaPipe Tasks PoseLandmarker in VIDEO running mode, behind the :class:`PoseBackend` protocol.

mediapipe is imported when a backend is opened, never when posecheck is imported (it takes ~2 s and
prints log lines).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, fields
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import cv2
import numpy as np

from .._quiet import quiet_stderr
from ..errors import ModelError
from ..frame import Frame
from ..landmarks import COUNT
from .bundle import check_user_model, ensure_bundle
from .types import Pose

_B = TypeVar("_B", bound="MediaPipeBackend")


@dataclass(frozen=True)
class MediaPipeOptions:
    """Thresholds of the MediaPipe pose landmarker; the defaults are MediaPipe's own, except num_poses.

    ``MediaPipeOptions(person_check_s=FAST_PERSON_CHECK_S)`` is the faster setting (``--fast-model``).

    ``num_poses``: most people reported per frame. 2 lets a second person in view be noticed (and the
    :class:`~posecheck.pose.selection.PersonSelector` follow the one exercising).
    ``person_check_s``: with num_poses > 1, how the others are looked for. 0 (the default): MediaPipe's
    own way: its person detector runs on every frame while fewer than ``num_poses`` people are tracked,
    which costs a third of the frame rate (on the 1080p lunge clip here 18-20 fps against 26-31 with
    one person tracked). Above 0: the model tracks one person (the detector runs only when that person
    is lost) and once every ``person_check_s`` of the video's time looks afresh for up to ``num_poses``
    people; while it finds others, they are tracked on every frame too, until none has been seen for
    ``person_check_s``. Checks fall on a fixed grid of timestamps (multiples of ``person_check_s``), so
    a video analysed in segments sees the same checks. Faster, but less accurate: the tracker alone
    sometimes holds on to a partial fit of the person for several frames, where the detector would
    start afresh; on the robustness suite's held seeds (``benchmarks/robustness.py``) exact clamshell
    counts fell from 85% to 62% and bridge counts from 54% to 46%, so it is an option
    (``posecheck analyze --fast-model``), not the default.
    ``min_pose_detection_confidence``: score in [0, 1] the person detector needs to start a pose.
    ``min_pose_presence_confidence``: score in [0, 1] the landmark model needs to report the pose.
    ``min_tracking_confidence``: score in [0, 1] below which tracking is dropped and the detector runs
    again on the next frame.
    ``duplicate_overlap``: with num_poses > 1 MediaPipe sometimes reports one person twice (two fits,
    one box inside the other; on a multi-person clip here the pairs overlapped 93-100% of the smaller
    box, distinct people 0%). Two poses whose boxes share at least this fraction of the smaller box
    are taken as one person and the less visible is dropped (values above 1 keep every pose).
    """

    num_poses: int = 2
    person_check_s: float = 0.0
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    duplicate_overlap: float = 0.9

    def __post_init__(self) -> None:
        if not isinstance(self.num_poses, int) or self.num_poses < 1:
            raise ModelError(f"MediaPipeOptions.num_poses must be an integer of at least 1, got {self.num_poses!r}")
        for f in fields(self):
            if f.name.startswith("min_"):
                value = getattr(self, f.name)
                if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
                    raise ModelError(f"MediaPipeOptions.{f.name} must be a number in [0, 1], got {value!r}")
        if not (isinstance(self.person_check_s, (int, float)) and 0.0 <= self.person_check_s < math.inf):
            raise ModelError(
                "MediaPipeOptions.person_check_s must be a number of seconds of at least 0, "
                f"got {self.person_check_s!r}"
            )
        if not (isinstance(self.duplicate_overlap, (int, float)) and self.duplicate_overlap > 0):
            raise ModelError(
                f"MediaPipeOptions.duplicate_overlap must be a positive number, got {self.duplicate_overlap!r}"
            )


#: ``person_check_s`` of ``--fast-model``: a second person is noticed within 2 s, for 3-6% of the frame rate.
FAST_PERSON_CHECK_S = 2.0


@dataclass
class PersonCheck:
    """When the many-person model answers a frame, given that one person is tracked in between (see
    :attr:`MediaPipeOptions.person_check_s`): ``due(t)`` before a frame, ``saw(t, people)`` after it
    ran. ``every_ms`` 0: always due."""

    every_ms: float
    _next_ms: float = -math.inf
    _crowd_ms: float = -math.inf  # when more than one person was last found

    def due(self, timestamp_ms: float) -> bool:
        return self.every_ms <= 0 or timestamp_ms >= self._next_ms or self.crowded(timestamp_ms)

    def crowded(self, timestamp_ms: float) -> bool:
        """More than one person was found less than ``every_ms`` ago."""
        return timestamp_ms - self._crowd_ms < self.every_ms

    def saw(self, timestamp_ms: float, people: int) -> None:
        if self.every_ms > 0:
            self._next_ms = (math.floor(timestamp_ms / self.every_ms) + 1) * self.every_ms
        if people > 1:
            self._crowd_ms = timestamp_ms


class MediaPipeBackend:
    """Pose landmarks from MediaPipe's PoseLandmarker (Tasks API, VIDEO running mode).

    ``model_path`` is a pose landmarker ``.task`` file; by default the bundle assembled from the
    mediapipe 0.10.21 wheel (:func:`~posecheck.pose.bundle.ensure_bundle`). The model is loaded by
    :meth:`open` (called by :func:`~posecheck.pose.create_backend`) or on first use.

    With ``num_poses`` > 1 and ``person_check_s`` > 0, one landmarker tracks one person (VIDEO mode)
    and answers every frame; at the times :class:`PersonCheck` says, a second looks afresh for up to
    ``num_poses`` people (IMAGE mode: in VIDEO mode it would start from where people stood at the last
    check, seconds before, and fit ghosts there). Once others are found, a third (VIDEO mode, opened
    new each time) tracks everyone on every frame until nobody else has been seen for
    ``person_check_s``. The person tracked keeps the first landmarker's pose; the others add only
    people whose box is not that person's (``duplicate_overlap``).
    """

    name = "mediapipe"

    def __init__(self, options: MediaPipeOptions | None = None, *, model_path: Path | None = None) -> None:
        self.options = options if options is not None else MediaPipeOptions()
        self.model_path: Path | None = check_user_model(model_path) if model_path is not None else None
        self._one: Any = None  # tracks one person; None when the crowd model answers every frame
        self._look: Any = None  # the checks' fresh look for up to num_poses people
        self._crowd: Any = None  # tracks up to num_poses people while others are in view
        self._make: Callable[[int, bool], Any] | None = None  # (num_poses, video mode) -> a landmarker
        self._check = PersonCheck(self.options.person_check_s * 1000.0)
        self._mp: Any = None
        self._finalizers: dict[int, weakref.finalize] = {}
        self._last_ts_ms: float | None = None
        self._last_mp_ts: int = -1
        # MediaPipe logs once more on the first frame that holds a person, so fd 2 stays silenced
        # around a landmarker's calls until then (non-noise lines are still written back by quiet_stderr).
        self._quiet: set[int] = set()

    def __enter__(self: _B) -> _B:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._make is not None

    def open(self) -> None:
        """Load the model (building the default bundle if needed). Does nothing if already open.

        Raises :class:`ModelError` if mediapipe or the model is missing or the model does not load.
        """
        if self.is_open:
            return
        path = self.model_path if self.model_path is not None else ensure_bundle()
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise ModelError(
                f"mediapipe cannot be imported ({exc}); install mediapipe==0.10.21 (pip install mediapipe==0.10.21)"
            ) from exc

        def landmarker(num_poses: int, video: bool) -> Any:
            opts = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(path)),
                running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
                num_poses=num_poses,
                min_pose_detection_confidence=self.options.min_pose_detection_confidence,
                min_pose_presence_confidence=self.options.min_pose_presence_confidence,
                min_tracking_confidence=self.options.min_tracking_confidence,
            )
            with quiet_stderr() as log:
                try:
                    created = vision.PoseLandmarker.create_from_options(opts)
                except (RuntimeError, ValueError) as exc:
                    log.discard = True  # its one useful line is in the message below
                    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    raise ModelError(f"pose model {path}: cannot be loaded by mediapipe ({detail})") from exc
            self._finalizers[id(created)] = weakref.finalize(self, created.close)
            self._quiet.add(id(created))
            return created

        many = self.options.num_poses > 1
        try:
            if not many or self.options.person_check_s > 0:
                self._one = landmarker(1, True)
            if many:
                self._look, self._crowd = (landmarker(self.options.num_poses, False), None) if self._one else (
                    None, landmarker(self.options.num_poses, True))  # fmt: skip
        except ModelError:
            self.close()
            raise
        self._mp, self._make = mp, landmarker
        self._check = PersonCheck(self.options.person_check_s * 1000.0)
        self._last_ts_ms, self._last_mp_ts = None, -1
        self.model_path = path

    def close(self) -> None:
        """Release the model. Safe to call twice; the backend can be opened again afterwards."""
        for finalizer in self._finalizers.values():
            finalizer()
        self._finalizers.clear()
        self._one = self._look = self._crowd = self._make = None

    def _drop(self, landmarker: Any) -> None:
        self._finalizers.pop(id(landmarker))()

    def detect(self, frame: Frame) -> list[Pose]:
        """Every person found in ``frame`` (possibly none), landmarks in pixels of that frame.

        Frames must come in strictly increasing ``timestamp_ms`` order (the model tracks over time).
        Two timestamps that round to the same millisecond are spaced 1 ms apart for MediaPipe.
        Raises :class:`ModelError` for a timestamp not after the previous one, or if inference fails.
        """
        if not self.is_open:
            self.open()
        ts = frame.timestamp_ms
        if not math.isfinite(ts):
            raise ModelError(f"frame {frame.index}: timestamp {ts} ms is not a finite number")
        if self._last_ts_ms is not None and ts <= self._last_ts_ms:
            raise ModelError(
                f"frame {frame.index}: timestamp {ts:.3f} ms is not after the previous frame's "
                f"{self._last_ts_ms:.3f} ms; the pose model tracks people over time and needs strictly "
                "increasing timestamps (open a new backend to start over)"
            )
        mp_ts = max(round(ts), self._last_mp_ts + 1)
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        self._last_ts_ms, self._last_mp_ts = ts, mp_ts
        if self._one is None:  # num_poses > 1 with person_check_s 0: MediaPipe's own way, every frame
            return self._run(self._crowd, image, mp_ts, frame)
        tracked = self._run(self._one, image, mp_ts, frame)
        if self._look is None or not self._check.due(ts):
            return tracked
        assert self._make is not None
        if self._check.crowded(ts):
            self._crowd = self._crowd or self._make(self.options.num_poses, True)
            found = self._run(self._crowd, image, mp_ts, frame)
        else:
            if self._crowd is not None:  # nobody else for a while: the next crowd starts afresh
                self._drop(self._crowd)
                self._crowd = None
            found = self._run(self._look, image, None, frame)
        same = self.options.duplicate_overlap
        others = [p for p in found if all(_overlap(p.bbox, mine.bbox) < same for mine in tracked)]
        self._check.saw(ts, len(tracked) + len(others))
        return tracked + others

    def _run(self, landmarker: Any, image: Any, mp_ts: int | None, frame: Frame) -> list[Pose]:
        """``landmarker``'s poses in ``image``: at ``mp_ts`` in VIDEO mode, or (None) in IMAGE mode."""
        call = landmarker.detect if mp_ts is None else lambda im: landmarker.detect_for_video(im, mp_ts)
        try:
            if id(landmarker) in self._quiet:
                with quiet_stderr():
                    result = call(image)
            else:
                result = call(image)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"pose model failed on frame {frame.index} ({frame.timestamp_ms:.1f} ms): {exc}") from exc
        if result.pose_landmarks:
            self._quiet.discard(id(landmarker))
        height, width = frame.image.shape[:2]
        world = result.pose_world_landmarks or [None] * len(result.pose_landmarks)
        poses = [_to_pose(lms, wlms, width, height) for lms, wlms in zip(result.pose_landmarks, world)]
        return drop_duplicates(poses, self.options.duplicate_overlap) if len(poses) > 1 else poses


def drop_duplicates(poses: list[Pose], min_overlap: float) -> list[Pose]:
    """``poses`` without those whose bbox shares at least ``min_overlap`` of the smaller box with a
    more visible pose's bbox (one person reported twice). Order is kept."""
    ranked = sorted(range(len(poses)), key=lambda i: -float(poses[i].visibility.mean()))
    kept: list[int] = []
    for i in ranked:
        if not any(_overlap(poses[i].bbox, poses[k].bbox) >= min_overlap for k in kept):
            kept.append(i)
    return [poses[i] for i in sorted(kept)]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection of two boxes over the area of the smaller one."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if w > 0 and h > 0 and smaller > 0 else 0.0


def _value(v: float | None, default: float) -> float:
    return default if v is None else v


def _to_pose(landmarks: Any, world: Any, width: int, height: int) -> Pose:
    if len(landmarks) != COUNT:
        raise ModelError(f"pose model returned {len(landmarks)} landmarks, expected {COUNT}; is it a pose model?")
    rows = np.array(
        [(p.x, p.y, _value(p.visibility, 1.0), _value(p.presence, 1.0)) for p in landmarks],
        dtype=np.float32,
    )
    image_px = rows[:, :2] * np.array([width, height], dtype=np.float32)
    world_m = None
    if world is not None and len(world) == COUNT:
        world_m = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float32)
    return Pose(
        image_px=np.ascontiguousarray(image_px),
        visibility=np.ascontiguousarray(rows[:, 2]),
        presence=np.ascontiguousarray(rows[:, 3]),
        world_m=world_m,
        image_size=(width, height),
    )
