"""Seated / standing / away from one pose per sample, against a seated baseline calibrated at the start."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..landmarks import INDEX, NAMES
from ..pose.types import Pose
from .config import DeskConfig
from .events import Calibrated, DeskEvent, DeskState, StateChanged

NOSE = INDEX["nose"]
SHOULDERS = (INDEX["left_shoulder"], INDEX["right_shoulder"])
#: Face and shoulders: what a desk webcam sees (the width of these tells the nearest person).
UPPER_BODY_NAMES: tuple[str, ...] = NAMES[: NAMES.index("right_shoulder") + 1]
UPPER_BODY = np.array([INDEX[name] for name in UPPER_BODY_NAMES])


@dataclass(frozen=True)
class Observation:
    """What one sample shows, in fractions of the frame height (y down from the top).

    ``seen``: a person's face or shoulders were found. ``nose_y``/``shoulder_y`` NaN where unseen;
    ``shoulder_width`` the distance between the shoulders (NaN unless both are seen).
    """

    t_s: float
    seen: bool
    nose_y: float = math.nan
    shoulder_y: float = math.nan
    shoulder_width: float = math.nan

    @property
    def shoulders_seen(self) -> bool:
        return math.isfinite(self.shoulder_y) and math.isfinite(self.shoulder_width)


def _followed(poses: list[Pose]) -> Pose | None:
    """The person nearest the camera: the widest upper body (a passer-by behind is smaller)."""
    if not poses:
        return None

    def width(p: Pose) -> float:
        xy = p.image_px[UPPER_BODY]
        return float(np.ptp(xy[:, 0])) if np.isfinite(xy).all() else 0.0

    return max(poses, key=width)


def observe(poses: list[Pose], t_s: float, config: DeskConfig) -> Observation:
    """The :class:`Observation` of a sample from the model's poses (possibly none)."""
    pose = _followed(poses)
    if pose is None:
        return Observation(t_s, False)
    height = float(pose.image_size[1])
    px, vis = pose.image_px, pose.visibility
    ok = vis >= config.min_visibility

    def inside(i: int) -> bool:
        return bool(ok[i] and 0.0 <= px[i, 1] < height and 0.0 <= px[i, 0] < pose.image_size[0])

    nose = float(px[NOSE, 1]) / height if inside(NOSE) else math.nan
    left, right = SHOULDERS
    if inside(left) and inside(right):
        shoulder_y = float(px[left, 1] + px[right, 1]) / 2 / height
        width = float(np.hypot(*(px[left] - px[right]))) / height
    else:
        shoulder_y = width = math.nan
    seen = math.isfinite(nose) or math.isfinite(shoulder_y)
    return Observation(t_s, seen, nose, shoulder_y, width)


@dataclass(frozen=True)
class Baseline:
    """The seated position: nose and shoulder heights and shoulder width (fractions of the frame height)."""

    nose_y: float
    shoulder_y: float
    shoulder_width: float

    def rise(self, obs: Observation) -> float:
        """How far the upper body is above the seated position, in seated shoulder widths (NaN if unseen)."""
        if obs.shoulders_seen:
            return (self.shoulder_y - obs.shoulder_y) / self.shoulder_width
        if math.isfinite(obs.nose_y) and math.isfinite(self.nose_y):
            return (self.nose_y - obs.nose_y) / self.shoulder_width
        return math.nan


class DeskStateTracker:
    """The state stage: ``update(observation) -> events``; ``state`` and ``since`` (its onset) after it.

    The first ``calibrate_s`` in which the person is seen set the seated :class:`Baseline` (the person
    is assumed seated then; until calibrated a seen person counts as seated). Then a sample is
    standing when the upper body has risen ``stand_rise`` seated shoulder widths (``top_exit_rise``
    when the face has left the top of the frame), else seated. A change between seated and standing
    must hold ``confirm_s``; no person for ``away_after_s`` is away. Each change is dated at its
    onset (the first sample that showed it).
    """

    def __init__(self, config: DeskConfig) -> None:
        self.config = config
        self.state = DeskState.UNKNOWN
        self.since = 0.0
        self.baseline: Baseline | None = None
        self.seen_samples = 0
        self._calibration: list[Observation] = []
        self._candidate: DeskState | None = None
        self._candidate_since = 0.0
        self._absent_since: float | None = 0.0
        self._last_t: float | None = None

    def label(self, obs: Observation) -> DeskState:
        """The state one seen sample shows on its own (seated before calibration)."""
        if self.baseline is None:
            return DeskState.SEATED
        rise = self.baseline.rise(obs)
        if not math.isfinite(rise):
            return self.state if self.state in (DeskState.SEATED, DeskState.STANDING) else DeskState.SEATED
        face_gone = not math.isfinite(obs.nose_y) and obs.shoulders_seen
        limit = self.config.top_exit_rise if face_gone else self.config.stand_rise
        return DeskState.STANDING if rise >= limit else DeskState.SEATED

    def update(self, obs: Observation) -> list[DeskEvent]:
        events: list[DeskEvent] = []
        cfg = self.config
        dt = obs.t_s - self._last_t if self._last_t is not None else 0.0
        self._last_t = obs.t_s
        if not obs.seen:
            if self._absent_since is None:
                self._absent_since = obs.t_s
            if self.state is not DeskState.AWAY and obs.t_s - self._absent_since >= cfg.away_after_s:
                events.append(self._change(DeskState.AWAY, self._absent_since, obs.t_s))
            return events
        self._absent_since = None
        self.seen_samples += 1
        if self.baseline is None:
            events += self._calibrate(obs)
        raw = self.label(obs)
        if self.state in (DeskState.UNKNOWN, DeskState.AWAY):
            # Coming into view: judged at once (away already needed away_after_s of absence).
            events.append(self._change(raw, obs.t_s, obs.t_s))
            self._candidate = None
        elif raw is self.state:
            self._candidate = None
        elif raw is not self._candidate:
            self._candidate, self._candidate_since = raw, obs.t_s
        elif obs.t_s - self._candidate_since >= cfg.confirm_s:
            events.append(self._change(raw, self._candidate_since, obs.t_s))
            self._candidate = None
        if self.state is DeskState.SEATED and raw is DeskState.SEATED and self.baseline is not None:
            self._follow(obs, dt)
        return events

    def _change(self, state: DeskState, onset: float, now: float) -> StateChanged:
        event = StateChanged(onset, state, self.state, now)
        self.state, self.since = state, onset
        return event

    def _calibrate(self, obs: Observation) -> list[DeskEvent]:
        cfg = self.config
        if obs.shoulders_seen:
            self._calibration.append(obs)
        first = self._calibration[0].t_s if self._calibration else obs.t_s
        enough = len(self._calibration) >= cfg.calibrate_min_samples
        if not (enough and obs.t_s - first >= cfg.calibrate_s):
            return []
        noses = [o.nose_y for o in self._calibration if math.isfinite(o.nose_y)]
        self.baseline = Baseline(
            float(np.median(noses)) if noses else math.nan,
            float(np.median([o.shoulder_y for o in self._calibration])),
            float(np.median([o.shoulder_width for o in self._calibration])),
        )
        b = self.baseline
        return [Calibrated(obs.t_s, len(self._calibration), b.nose_y, b.shoulder_y, b.shoulder_width)]

    def _follow(self, obs: Observation, dt: float) -> None:
        assert self.baseline is not None
        w = min(1.0, dt / self.config.baseline_follow_s)
        b = self.baseline

        def mix(old: float, new: float) -> float:
            return old + (new - old) * w if math.isfinite(new) and math.isfinite(old) else old

        self.baseline = Baseline(mix(b.nose_y, obs.nose_y), mix(b.shoulder_y, obs.shoulder_y),
                                 mix(b.shoulder_width, obs.shoulder_width))
