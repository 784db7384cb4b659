"""Choosing whom to follow when several people are in view: :class:`PersonSelector`."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..landmarks import INDEX
from .types import Pose

#: Landmarks whose motion (relative to the body centre) shows that someone is exercising.
LIMB_POINTS: tuple[str, ...] = (
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
CENTRE_POINTS: tuple[str, ...] = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")

_LIMBS = np.array([INDEX[n] for n in LIMB_POINTS])
_CENTRE = np.array([INDEX[n] for n in CENTRE_POINTS])


@dataclass(frozen=True)
class SelectorOptions:
    """Tunables of :class:`PersonSelector`. Distances are in units of the person's size (bbox diagonal).

    ``motion_window_ms``: limb motion is summed over this trailing window.
    ``min_iou``: a pose whose bbox overlaps a tracked person's last bbox by at least this IoU is that
    person; ``max_landmark_distance``: ...or whose mean landmark distance to their last pose is at
    most this (keeps fast movers whose bbox moved a lot).
    ``rejoin_iou``: while the followed person is unmatched, a pose that no one else claims and that
    overlaps their last bbox by at least this IoU is taken as them (re-detections come back with
    different boxes).
    ``forget_after_ms``: a tracked person unseen this long is forgotten; if it was the one followed,
    someone else is chosen.
    ``min_visibility``: landmarks below this visibility are ignored for motion.
    ``switch_motion_ratio``: another person must move at least this many times more than the one
    followed, ``min_switch_motion`` must be exceeded, and both must hold for ``switch_hold_ms`` in a
    row before the selector switches (this is what prevents flip-flopping).
    ``max_travel``: a person whose body centre travelled further than this over the motion window is
    walking through the scene, not exercising, and is never switched to.
    """

    motion_window_ms: float = 2000.0
    min_iou: float = 0.3
    max_landmark_distance: float = 0.25
    rejoin_iou: float = 0.1
    forget_after_ms: float = 1000.0
    min_visibility: float = 0.5
    switch_motion_ratio: float = 2.0
    min_switch_motion: float = 0.3
    switch_hold_ms: float = 1500.0
    max_travel: float = 1.0


@dataclass
class _Track:
    id: int
    pose: Pose
    bbox: tuple[float, float, float, float]
    first_seen_ms: float
    last_seen_ms: float
    # (timestamp, limb offset from centre / size, visible mask, centre / size)
    samples: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=deque)
    steps: deque[tuple[float, float]] = field(default_factory=deque)  # (timestamp, limb motion)

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, 0.0) * max(y1 - y0, 0.0)


def _bbox(pose: Pose) -> tuple[float, float, float, float]:
    finite = np.isfinite(pose.image_px).all(axis=1)
    if not finite.any():
        return (0.0, 0.0, 0.0, 0.0)
    return pose.bbox


def _size(bbox: tuple[float, float, float, float]) -> float:
    return max(math.hypot(bbox[2] - bbox[0], bbox[3] - bbox[1]), 1.0)


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class PersonSelector:
    """Follows the person who is exercising when several are in view: ``update(poses, t) -> Pose | None``.

    People are tracked from frame to frame by bbox overlap or landmark distance. The first person
    chosen is the largest in view; the selector then stays with them and switches only when someone
    else has moved their limbs clearly more (:class:`SelectorOptions`) for a sustained time, or when
    the followed person has been gone for ``forget_after_ms``. While the followed person is briefly
    missing, ``update`` returns None rather than someone else.

    Readable after each update: ``people_in_view`` (poses given), ``switched`` (True on the update
    where the followed person changed from one person to another; someone who left and came back
    counts as another person), ``person_id`` (a number per tracked person, or None).
    """

    def __init__(self, options: SelectorOptions | None = None) -> None:
        self.options = options if options is not None else SelectorOptions()
        self.people_in_view = 0
        self.switched = False
        self.person_id: int | None = None
        self._tracks: dict[int, _Track] = {}
        self._next_id = 0
        self._challenger: tuple[int, float] | None = None  # (track id, since when)
        self._last_followed: int | None = None

    def update(self, poses: list[Pose], timestamp_ms: float) -> Pose | None:
        """The pose of the person followed in this frame, or None if they are not in it."""
        self.people_in_view = len(poses)
        self.switched = False
        seen = self._associate(poses, timestamp_ms)
        opts = self.options
        for tid in [t for t, tr in self._tracks.items() if timestamp_ms - tr.last_seen_ms > opts.forget_after_ms]:
            del self._tracks[tid]
        if self.person_id is not None and self.person_id not in self._tracks:
            self.person_id = None
        if self.person_id is None:
            self._challenger = None
            candidates = [self._tracks[t] for t in seen]
            if candidates:
                chosen = max(
                    candidates,
                    key=lambda tr: (self._motion(tr, timestamp_ms) >= opts.min_switch_motion, tr.area),
                )
                self.person_id = chosen.id
                self.switched = self._last_followed is not None and self._last_followed != chosen.id
                self._last_followed = chosen.id
        else:
            self._consider_switch(seen, timestamp_ms)
        return self._tracks[self.person_id].pose if self.person_id in seen else None

    def _associate(self, poses: list[Pose], now: float) -> list[int]:
        """Match poses to tracks (best overlap first), start tracks for the rest; return matched ids."""
        opts = self.options
        boxes = [_bbox(p) for p in poses]
        pairs = []
        for i, pose in enumerate(poses):
            for tid, track in self._tracks.items():
                iou = _iou(boxes[i], track.bbox)
                dist = self._landmark_distance(pose, track)
                if iou >= opts.min_iou or dist <= opts.max_landmark_distance:
                    pairs.append((iou - dist, i, tid))
        pairs.sort(reverse=True)
        used_pose: set[int] = set()
        matched: dict[int, int] = {}
        for _score, i, tid in pairs:
            if i in used_pose or tid in matched:
                continue
            used_pose.add(i)
            matched[tid] = i
        followed = self._tracks.get(self.person_id) if self.person_id is not None else None
        if followed is not None and followed.id not in matched:
            # A re-detection of the followed person often comes back with a different box (after a
            # fast move or a missed frame): accept a looser overlap rather than start a new identity.
            rejoin = [(_iou(boxes[i], followed.bbox), i) for i in range(len(poses)) if i not in used_pose]
            rejoin = [(iou, i) for iou, i in rejoin if iou >= opts.rejoin_iou]
            if rejoin:
                _iou_best, i = max(rejoin)
                used_pose.add(i)
                matched[followed.id] = i
        for i in range(len(poses)):
            if i not in used_pose:
                tid = self._next_id
                self._next_id += 1
                self._tracks[tid] = _Track(tid, poses[i], boxes[i], now, now)
                matched[tid] = i
        for tid, i in matched.items():
            self._observe(self._tracks[tid], poses[i], boxes[i], now)
        return list(matched)

    def _landmark_distance(self, pose: Pose, track: _Track) -> float:
        both = (pose.visibility >= self.options.min_visibility) & (track.pose.visibility >= self.options.min_visibility)
        if not both.any():
            return math.inf
        d = np.linalg.norm(pose.image_px[both] - track.pose.image_px[both], axis=1)
        return float(d.mean()) / _size(track.bbox)

    def _observe(self, track: _Track, pose: Pose, bbox: tuple[float, float, float, float], now: float) -> None:
        size = _size(bbox)
        centre = pose.image_px[_CENTRE].mean(axis=0)
        limbs = (pose.image_px[_LIMBS] - centre) / size
        visible = pose.visibility[_LIMBS] >= self.options.min_visibility
        if track.samples:
            _t, prev_limbs, prev_visible, _c = track.samples[-1]
            both = visible & prev_visible
            step = float(np.linalg.norm(limbs[both] - prev_limbs[both], axis=1).mean()) if both.any() else 0.0
            track.steps.append((now, step))
        track.samples.append((now, limbs, visible, centre / size))
        horizon = now - self.options.motion_window_ms
        while track.samples and track.samples[0][0] < horizon:
            track.samples.popleft()
        while track.steps and track.steps[0][0] < horizon:
            track.steps.popleft()
        track.pose, track.bbox, track.last_seen_ms = pose, bbox, now

    def _motion(self, track: _Track, now: float) -> float:
        """Limb path length over the window, in sizes (0 for a still person)."""
        horizon = now - self.options.motion_window_ms
        return sum(step for t, step in track.steps if t >= horizon)

    def _travel(self, track: _Track) -> float:
        if len(track.samples) < 2:
            return 0.0
        return float(np.linalg.norm(track.samples[-1][3] - track.samples[0][3]))

    def _consider_switch(self, seen: list[int], now: float) -> None:
        opts = self.options
        assert self.person_id is not None
        current = self._motion(self._tracks[self.person_id], now)
        best: _Track | None = None
        for tid in seen:
            track = self._tracks[tid]
            if tid == self.person_id or self._travel(track) > opts.max_travel:
                continue
            motion = self._motion(track, now)
            clearly_more = motion >= opts.min_switch_motion and motion >= opts.switch_motion_ratio * current
            if clearly_more and (best is None or motion > self._motion(best, now)):
                best = track
        if best is None:
            self._challenger = None
            return
        if self._challenger is None or self._challenger[0] != best.id:
            self._challenger = (best.id, now)
            return
        if now - self._challenger[1] >= opts.switch_hold_ms:
            self.person_id = self._last_followed = best.id
            self._challenger = None
            self.switched = True
