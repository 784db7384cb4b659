"""From a pose to a :class:`Sample`: reliability, smoothing, side choice and the spec's metrics."""

from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass

import numpy as np

from . import metrics as m
from .landmarks import COUNT, INDEX, LIMB_BONES, MIDPOINTS, OTHER_SIDE, SIDES
from .pose.types import Pose
from .smoothing import OneEuroFilter
from .spec.schema import ExerciseSpec, MetricSpec

#: Landmarks followed by the midpoints, so specs can name either.
POINT_INDEX: dict[str, int] = {**INDEX, **{name: COUNT + i for i, name in enumerate(MIDPOINTS)}}
_MID_PAIRS = np.array([[INDEX[a], INDEX[b]] for a, b in MIDPOINTS.values()])
_BONES = np.array([[INDEX[a], INDEX[b]] for a, b in LIMB_BONES])
_BONE_HISTORY = 90  # frames of bone lengths kept for the running median
_BONE_MEDIAN_EVERY = 5
_FILTER_RESET_GAP_S = 0.5  # after a longer dropout the body may have moved: restart the smoothing
BASELINE_WINDOW_S = 10.0


@dataclass(frozen=True)
class Sample:
    """What the evaluator sees of one frame.

    ``values`` holds every spec metric (NaN when its landmarks are missing or unreliable);
    ``points_px`` the smoothed landmarks and midpoints (NaN where unreliable), for drawing.
    """

    timestamp_ms: float
    values: dict[str, float]
    side: str | None = None
    facing: int = 0
    width_ratio: float = float("nan")
    pose: Pose | None = None
    points_px: np.ndarray | None = None
    people_in_view: int = 0

    @property
    def pose_found(self) -> bool:
        return self.pose is not None

    @property
    def t_s(self) -> float:
        return self.timestamp_ms / 1000.0


def extend_with_midpoints(px: np.ndarray) -> np.ndarray:
    """(..., 33, 2) landmarks → (..., 33 + midpoints, 2)."""
    mids = px[..., _MID_PAIRS, :].mean(axis=-2)
    return np.concatenate([px, mids], axis=-2)


class _CompiledMetric:
    """A metric spec with its landmark names resolved to indices for each side."""

    def __init__(self, spec: MetricSpec) -> None:
        self.spec = spec
        self.by_side = {side: self._resolve(side) for side in (*SIDES, None)}

    @staticmethod
    def _index(name: str, side: str | None) -> int:
        if side is not None:
            name = name.replace("{side}", side).replace("{other}", OTHER_SIDE[side])
        return POINT_INDEX.get(name, -1)

    def _resolve(self, side: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.spec
        return tuple(np.array([self._index(n, side) for n in names], int) for names in (s.points, s.per, s.floor))

    def value(self, pts: np.ndarray, side: str | None, facing: int) -> float:
        points, per, floor = self.by_side[side]
        if (points < 0).any():
            return float("nan")
        p = pts[points]
        s = self.spec
        if s.kind == "angle":
            return float(m.angle(p[0], p[1], p[2]))
        if s.kind == "line_angle":
            return float(m.line_angle(p[0], p[1], p[2], s.positive))
        if s.kind == "tilt":
            direction = {"forward": facing, "up": 1.0, "none": None}[s.positive]
            return float(m.tilt(p[0], p[1], s.reference, direction))
        q = pts[per]
        if s.kind == "distance_ratio":
            return float(m.distance_ratio(p[0], p[1], q[0], q[1]))
        floor_y = np.nanmax(pts[floor][:, 1]) if np.isfinite(pts[floor][:, 1]).any() else np.nan
        return float(m.height_ratio(p[0], floor_y, q[0], q[1]))


class SideChooser:
    """Chooses the body side the metrics use, switching only after the other side wins for a while."""

    def __init__(self, rule: str, switch_after_s: float) -> None:
        self.rule = rule
        self.switch_after_s = switch_after_s
        self.side: str | None = rule if rule in SIDES else None
        self._challenger_since: float | None = None

    def _candidate(self, px: np.ndarray, pose: Pose, facing: int) -> str | None:
        def x(name: str) -> float:
            return px[INDEX[name], 0]

        def y(name: str) -> float:
            return px[INDEX[name], 1]

        if self.rule == "auto":
            if pose.world_m is not None:
                idx = {s: [INDEX[f"{s}_{j}"] for j in ("shoulder", "hip", "knee", "ankle")] for s in SIDES}
                z = {s: pose.world_m[idx[s], 2].mean() for s in SIDES}
                return "left" if z["left"] < z["right"] else "right"
            vis = {s: pose.visibility[[INDEX[f"{s}_hip"], INDEX[f"{s}_knee"]]].mean() for s in SIDES}
            return "left" if vis["left"] >= vis["right"] else "right"
        if self.rule in ("front_leg", "back_leg"):
            if facing == 0 or not np.isfinite([x("left_ankle"), x("right_ankle")]).all():
                return None
            front = "left" if (x("left_ankle") - x("right_ankle")) * facing > 0 else "right"
            return front if self.rule == "front_leg" else OTHER_SIDE[front]
        if self.rule == "top_leg":
            if not np.isfinite([y("left_hip"), y("right_hip")]).all():
                return None
            return "left" if y("left_hip") < y("right_hip") else "right"
        return None

    def update(self, px: np.ndarray, pose: Pose, facing: int, t_s: float) -> str | None:
        """The side to use at time ``t_s``."""
        if self.rule in SIDES or self.rule == "none":
            return self.side
        candidate = self._candidate(px, pose, facing)
        if candidate is None or candidate == self.side:
            self._challenger_since = None
        elif self.side is None:
            self.side = candidate
        elif self._challenger_since is None:
            self._challenger_since = t_s
        elif t_s - self._challenger_since >= self.switch_after_s:
            self.side = candidate
            self._challenger_since = None
        return self.side


class Sampler:
    """Turns the followed pose of each frame into a Sample of the spec's metrics.

    Stateful (smoothing, side choice, bone-length and baseline history); one per session.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self._metrics = {name: _CompiledMetric(ms) for name, ms in spec.metrics.items()}
        sm = spec.smoothing
        self._filter = OneEuroFilter(sm.min_cutoff, sm.beta, sm.d_cutoff) if sm.method == "one_euro" else None
        self._sides = SideChooser(spec.side.choose, spec.side.switch_after_s)
        self._bones: deque[np.ndarray] = deque(maxlen=_BONE_HISTORY)
        self._bone_frames = 0  # frames seen; the deque's length stops growing once it is full
        self._bone_median: np.ndarray | None = None
        self._baseline: dict[str, deque[tuple[float, float]]] = {
            n: deque() for n, ms in spec.metrics.items() if ms.baseline != "none"
        }
        self._last_pose_t: float | None = None

    def force_side(self, side: str | None) -> None:
        """Measure ``side`` ('left'/'right') whatever the spec's rule says; None goes back to the rule."""
        self._sides = SideChooser(side if side is not None else self.spec.side.choose, self.spec.side.switch_after_s)

    def update(self, pose: Pose | None, timestamp_ms: float, people_in_view: int = 0) -> Sample:
        """Measure one frame; ``pose`` is None when nobody is followed."""
        t_s = timestamp_ms / 1000.0
        nan_values = {name: float("nan") for name in self._metrics}
        if pose is None:
            return Sample(timestamp_ms, nan_values, self._sides.side, people_in_view=people_in_view)
        raw = self._reliable(pose)
        if self._filter is not None:
            gap = t_s - self._last_pose_t if self._last_pose_t is not None else 0.0
            if gap > _FILTER_RESET_GAP_S:
                self._filter.reset()
            raw = self._filter.update(raw, t_s)
        self._last_pose_t = t_s
        pts = extend_with_midpoints(raw)
        face = int(m.facing(raw))
        side = self._sides.update(raw, pose, face, t_s)
        values = dict(nan_values)
        for name, metric in self._metrics.items():
            if side is None and metric.spec.points and any("{" in p for p in metric.spec.points):
                continue
            value = metric.value(pts, side, face)
            if name in self._baseline:
                value = self._relative_to_baseline(name, value, t_s)
            values[name] = value
        return Sample(
            timestamp_ms, values, side, face, float(m.width_ratio(raw)), pose, pts, people_in_view
        )

    def _reliable(self, pose: Pose) -> np.ndarray:
        """Landmark pixels with NaN where visibility, presence or bone length says not to trust them."""
        lm = self.spec.landmarks
        px = pose.image_px.astype(float)
        bad = (pose.visibility < lm.min_visibility) | (pose.presence < lm.min_presence)
        lengths = m.distance(px[_BONES[:, 0]], px[_BONES[:, 1]])
        self._bone_frames += 1
        if len(self._bones) >= 10 and self._bone_frames % _BONE_MEDIAN_EVERY == 0:
            # Bone lengths change slowly: a median refreshed every few frames is as good and far cheaper.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a bone never seen yet: all-NaN column
                self._bone_median = np.nanmedian(np.array(self._bones), axis=0)
        if self._bone_median is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                jumped = np.abs(lengths / self._bone_median - 1.0) > lm.max_bone_change
            bad[_BONES[jumped].ravel()] = True
        else:
            jumped = np.zeros(len(_BONES), bool)
        self._bones.append(np.where(jumped, np.nan, lengths))
        px[bad] = np.nan
        return px

    def _relative_to_baseline(self, name: str, value: float, t_s: float) -> float:
        """Value against its own recent history (see MetricSpec.baseline); NaN until 5 values are known."""
        history = self._baseline[name]
        while history and t_s - history[0][0] > BASELINE_WINDOW_S:
            history.popleft()
        ratio = self.spec.metrics[name].baseline == "ratio_to_high"
        if len(history) >= 5:
            base = float(np.percentile([v for _, v in history], 90 if ratio else 10))
        else:
            base = np.nan
        if np.isfinite(value):
            history.append((t_s, value))
        if ratio:
            return float(value / base) if np.isfinite(base) and base > 0 else float("nan")
        return float(value - base)
