"""From a pose to a :class:`Sample`: reliability, smoothing, side choice and the spec's metrics.

One frame at a time (:meth:`Sampler.update`, for ``analyze`` and ``live``) or a whole recorded track
at once (:meth:`Sampler.update_track`, for ``tune``): the first is the second on a track of one frame,
so the two give the same Samples. Everything that is not recursive is computed over the whole track
at once; what is (smoothing, the bone-length median, the side choice, the baselines) runs in tight
loops.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Sequence
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
_BONE_JOINTS = np.zeros((len(_BONES), COUNT), bool)  # bone → its two landmarks
_BONE_JOINTS[np.arange(len(_BONES)), _BONES[:, 0]] = True
_BONE_JOINTS[np.arange(len(_BONES)), _BONES[:, 1]] = True
_BONE_HISTORY = 90  # frames of bone lengths kept for the running median
_BONE_MEDIAN_EVERY = 5
_BLOCK = 16  # at most this many median refreshes are computed at once (see Sampler._bone_jumps)
_FILTER_RESET_GAP_S = 0.5  # after a longer dropout the body may have moved: restart the smoothing
BASELINE_WINDOW_S = 10.0
#: A baseline is used once this many values are known (few enough for a set that begins in the first
#: frames, enough not to take one odd frame for the person's rest), or values spanning BASELINE_MIN_S
#: (a low frame rate: a 3 fps GIF).
BASELINE_MIN_VALUES = 3
BASELINE_MIN_S = 0.3
_AUTO_JOINTS = {s: [INDEX[f"{s}_{j}"] for j in ("shoulder", "hip", "knee", "ankle")] for s in SIDES}
_NAN = float("nan")


@dataclass(frozen=True)
class Sample:
    """What the evaluator sees of one frame.

    ``values`` holds every spec metric (NaN when its landmarks are missing or unreliable);
    ``points_px`` the smoothed landmarks and midpoints (NaN where unreliable), for drawing.
    ``pose`` is the followed pose when the sample was made from one (:meth:`Sampler.update`);
    ``found`` says a person was followed even where ``pose`` is not kept (:meth:`Sampler.update_track`).
    """

    timestamp_ms: float
    values: dict[str, float]
    side: str | None = None
    facing: int = 0
    width_ratio: float = float("nan")
    pose: Pose | None = None
    points_px: np.ndarray | None = None
    people_in_view: int = 0
    found: bool = False
    view_deg: float = float("nan")  # the camera's view of the body: 0 in front, 90 side-on

    @property
    def pose_found(self) -> bool:
        return self.found or self.pose is not None

    @property
    def t_s(self) -> float:
        return self.timestamp_ms / 1000.0


_new = object.__new__


def _sample(
    t: float, values: dict[str, float], side: str | None, facing: int, width: float, view: float,
    pose: Pose | None, points: np.ndarray | None, people: int, found: bool,
) -> Sample:
    """``Sample(...)`` without the frozen dataclass's nine ``object.__setattr__`` calls (a third of the
    cost of a Sample on a whole track). No validation is skipped: Sample has none."""
    sample = _new(Sample)
    sample.__dict__.update(
        timestamp_ms=t, values=values, side=side, facing=facing, width_ratio=width, view_deg=view, pose=pose,
        points_px=points, people_in_view=people, found=found,
    )  # fmt: skip
    return sample


def extend_with_midpoints(px: np.ndarray) -> np.ndarray:
    """(..., 33, 2) landmarks → (..., 33 + midpoints, 2)."""
    mids = px[..., _MID_PAIRS, :].mean(axis=-2)
    return np.concatenate([px, mids], axis=-2)


def window_nanmedians(values: np.ndarray, ends: Sequence[int], size: int) -> np.ndarray:
    """``np.nanmedian(values[max(0, e - size):e], axis=0)`` for each e of ``ends``, bit for bit: (R, K).

    ``values`` (N, K). A column with no finite value gives NaN (without numpy's warning).
    """
    k = values.shape[1]
    ends = np.asarray(ends, int)
    low, high = (max(0, int(ends.min()) - size), int(ends.max())) if len(ends) else (0, 0)
    if high <= low:
        return np.full((len(ends), k), np.nan)
    span = values[low:high]  # the rows the windows cover
    # Rows before the start count as NaN, which the median ignores: every window has ``size`` rows.
    rows = ends[:, None] - low + np.arange(-size, 0)  # (R, size), in span
    before = rows < 0
    windows = span.T[:, np.maximum(rows, 0)]  # (K, R, size)
    if before[:, 0].any():
        windows[:, before] = np.nan
    windows.sort(axis=-1)  # NaN sorts last
    nans = np.zeros((len(span) + 1, k), int)
    np.cumsum(np.isnan(span), axis=0, out=nans[1:])
    first = np.maximum(ends - low - size, 0)
    # Finite values per window and column: its rows (fewer than size at the start) less its NaNs.
    count = (np.minimum(ends, size)[:, None] - (nans[ends - low] - nans[first])).T  # (K, R)
    half = count // 2
    low_i = np.where(count % 2 == 1, half, half - 1)
    c, r = np.indices(count.shape)
    # As numpy: the mean of the two middle values, (x + x) / 2 = x when there is one.
    median = (windows[c, r, np.maximum(low_i, 0)] + windows[c, r, np.minimum(half, size - 1)]) / 2.0
    median[count == 0] = np.nan
    return median.T


class _CompiledMetric:
    """A metric spec with its landmark names resolved to indices for each side."""

    def __init__(self, spec: MetricSpec) -> None:
        self.spec = spec
        self.by_side = {side: self._resolve(side) for side in (*SIDES, None)}
        #: Needs a side: NaN while no side is chosen.
        self.sided = bool(spec.points) and any("{" in p for p in spec.points)

    @staticmethod
    def _index(name: str, side: str | None) -> int:
        if side is not None:
            name = name.replace("{side}", side).replace("{other}", OTHER_SIDE[side])
        return POINT_INDEX.get(name, -1)

    def _resolve(self, side: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.spec
        return tuple(np.array([self._index(n, side) for n in names], int) for names in (s.points, s.per, s.floor))

    def values(
        self, pts: np.ndarray, side: str | None, facing: np.ndarray, world: np.ndarray | None = None
    ) -> np.ndarray:
        """The metric of each frame of ``pts`` (T, 37, 2) measured on ``side``, facing (T,): (T,) floats.

        ``world`` (T, 37, 3): the world landmarks with midpoints, for metrics in world space (NaN without)."""
        points, per, floor = self.by_side[side]
        if (points < 0).any():
            return np.full(len(pts), np.nan)
        s = self.spec
        if s.space == "world":
            if world is None:
                return np.full(len(pts), np.nan)
            w = world[:, points]
            if s.kind == "angle":
                return m.angle_3d(w[:, 0], w[:, 1], w[:, 2])
            if s.kind == "line_angle":
                return m.line_angle_3d(w[:, 0], w[:, 1], w[:, 2], s.positive)
            if s.kind == "distance_ratio":
                q = world[:, per]
                return m.distance_ratio(w[:, 0], w[:, 1], q[:, 0], q[:, 1])
            return m.tilt_3d(w[:, 0], w[:, 1])
        p = pts[:, points]
        if s.kind == "angle":
            return m.angle(p[:, 0], p[:, 1], p[:, 2])
        if s.kind == "line_angle":
            return m.line_angle(p[:, 0], p[:, 1], p[:, 2], s.positive)
        if s.kind == "tilt":
            direction = {"forward": facing, "up": 1.0, "none": None}[s.positive]
            return m.tilt(p[:, 0], p[:, 1], s.reference, direction)
        q = pts[:, per]
        if s.kind == "distance_ratio":
            return m.distance_ratio(p[:, 0], p[:, 1], q[:, 0], q[:, 1])
        floor_y = np.fmax.reduce(pts[:, floor, 1], axis=1) if len(floor) else np.full(len(pts), np.nan)
        return m.height_ratio(p[:, 0], floor_y, q[:, 0], q[:, 1])

    def value(self, pts: np.ndarray, side: str | None, facing: int) -> float:
        """The metric of one frame's ``pts`` (37, 2)."""
        return float(self.values(pts[None], side, np.array([facing]))[0])


class SideChooser:
    """Chooses the body side the metrics use, switching only after the other side wins for a while."""

    def __init__(self, rule: str, switch_after_s: float, space: str = "image") -> None:
        self.rule = rule
        self.switch_after_s = switch_after_s
        self.space = space
        self.side: str | None = rule if rule in SIDES else None
        self._challenger_since: float | None = None

    @property
    def fixed(self) -> bool:
        return self.rule in SIDES or self.rule == "none"

    def candidates(
        self,
        px: np.ndarray,
        visibility: np.ndarray,
        world_m: np.ndarray | None,
        has_world: np.ndarray,
        facing: np.ndarray,
    ) -> list[str | None]:
        """The side each frame alone would choose (None: cannot tell), for T frames at once.

        ``px`` (T, 33, 2) smoothed pixels, ``visibility`` (T, 33), ``world_m`` (T, 33, 3) or None,
        ``has_world`` (T,) bool (use ``world_m`` in that frame), ``facing`` (T,) -1/0/+1.
        """
        n = len(px)
        names = np.array([None, "left", "right"], object)
        if self.rule == "auto":
            v = {s: visibility[:, [INDEX[f"{s}_hip"], INDEX[f"{s}_knee"]]] for s in SIDES}
            # The sums np.mean does (in the arrays' own precision), so near-ties go the same way.
            left = v["left"][:, 0] + (0 + v["left"][:, 1]) >= v["right"][:, 0] + (0 + v["right"][:, 1])
            if world_m is not None and has_world.any():
                z = {s: world_m[:, _AUTO_JOINTS[s], 2] for s in SIDES}
                zsum = {s: z[s][:, 0] + (((0 + z[s][:, 1]) + z[s][:, 2]) + z[s][:, 3]) for s in SIDES}
                left = np.where(has_world, zsum["left"] < zsum["right"], left)
            return names[np.where(left, 1, 2)].tolist()
        if self.rule in ("front_leg", "back_leg"):
            xl, xr = px[:, INDEX["left_ankle"], 0], px[:, INDEX["right_ankle"], 0]
            known = (facing != 0) & np.isfinite(xl) & np.isfinite(xr)
            front_left = (xl - xr) * facing > 0
            if self.space == "world" and world_m is not None:
                # Frames with world landmarks: which ankle is ahead along the torso's facing, in any view.
                ahead = m.ankles_ahead(world_m)
                known = np.where(has_world, np.isfinite(ahead), known)
                front_left = np.where(has_world, ahead > 0, front_left)
            chosen_left = front_left if self.rule == "front_leg" else ~front_left
            return names[np.where(known, np.where(chosen_left, 1, 2), 0)].tolist()
        if self.rule == "bent_leg":
            bend = {}
            for s in SIDES:
                joints = [INDEX[f"{s}_{j}"] for j in ("hip", "knee", "ankle")]
                bend[s] = m.angle(*(px[:, j] for j in joints))
                if world_m is not None:  # in 3D where the frame has world landmarks
                    w = world_m[:, joints]
                    bend[s] = np.where(has_world, m.angle_3d(w[:, 0], w[:, 1], w[:, 2]), bend[s])
            known = np.isfinite(bend["left"]) & np.isfinite(bend["right"])
            return names[np.where(known, np.where(bend["left"] < bend["right"], 1, 2), 0)].tolist()
        if self.rule == "top_leg":
            yl, yr = px[:, INDEX["left_hip"], 1], px[:, INDEX["right_hip"], 1]
            known = np.isfinite(yl) & np.isfinite(yr)
            return names[np.where(known, np.where(yl < yr, 1, 2), 0)].tolist()
        return [None] * n

    def step(self, candidate: str | None, t_s: float) -> str | None:
        """The side at ``t_s`` given that frame's candidate (the hysteresis)."""
        if self.fixed:
            return self.side
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

    def update_track(
        self,
        px: np.ndarray,
        visibility: np.ndarray,
        world_m: np.ndarray | None,
        has_world: np.ndarray,
        facing: np.ndarray,
        t_s: np.ndarray,
    ) -> list[str | None]:
        """The side of each of T frames (see :meth:`candidates` for the arrays)."""
        if self.fixed:
            return [self.side] * len(px)
        candidates = self.candidates(px, visibility, world_m, has_world, facing)
        step = self.step
        return [step(c, t) for c, t in zip(candidates, np.asarray(t_s, float).tolist())]

    def update(self, px: np.ndarray, pose: Pose, facing: int, t_s: float) -> str | None:
        """The side to use at time ``t_s``."""
        world = None if pose.world_m is None else pose.world_m[None]
        return self.update_track(
            px[None], pose.visibility[None], world, np.array([world is not None]), np.array([facing]), np.array([t_s])
        )[0]


def _world_joints(metrics: dict[str, _CompiledMetric]) -> np.ndarray:
    """The landmarks the world-space metrics read, on either side (a midpoint by its two ends)."""
    out: set[int] = set()
    for metric in metrics.values():
        if metric.spec.space == "world":
            for points, per, _ in metric.by_side.values():
                used = np.concatenate([points, per])
                for i in used[used >= 0]:
                    out.update(_MID_PAIRS[i - COUNT] if i >= COUNT else (int(i),))
    return np.array(sorted(out), int)


class _Baseline:
    """A metric's recent finite values (the last BASELINE_WINDOW_S), kept sorted for the percentile."""

    def __init__(self, kind: str) -> None:
        self.ratio = kind == "ratio_to_high"
        self._times: deque[float] = deque()
        self._values: deque[float] = deque()
        self._sorted: list[float] = []

    def relative(self, value: float, t_s: float) -> float:
        """``value`` against the history before it (see MetricSpec.baseline); NaN until BASELINE_MIN_VALUES
        values, or values spanning BASELINE_MIN_S, are known."""
        return self.relative_many([value], [t_s])[0]

    def relative_many(self, values: list[float], times: list[float], keep: list[bool] | None = None) -> list[float]:
        """:meth:`relative` of each value in turn; where ``keep`` is False the value passes untouched."""
        window_t, window_v, ordered = self._times, self._values, self._sorted
        popleft_t, popleft_v, push_t, push_v = window_t.popleft, window_v.popleft, window_t.append, window_v.append
        ratio = self.ratio
        q = (90 if ratio else 10) / 100
        out = list(values)
        isfinite = math.isfinite
        frames = range(len(values)) if keep is None else [k for k, kept in enumerate(keep) if kept]
        for k in frames:
            value, t_s = values[k], times[k]
            while window_t and t_s - window_t[0] > BASELINE_WINDOW_S:
                popleft_t()
                del ordered[bisect_left(ordered, popleft_v())]
            size = len(ordered)
            if size == 1 and t_s - window_t[0] >= BASELINE_MIN_S:
                base = ordered[0]  # (the interpolation below needs two values)
            elif size >= BASELINE_MIN_VALUES or (size and t_s - window_t[0] >= BASELINE_MIN_S):
                # np.percentile(ordered, q * 100) as numpy computes it (linear method), to the bit.
                index = (size - 1) * q
                below = int(index)  # floor: index >= 0, and q < 1 keeps it below size - 1
                gamma = index - below
                a = ordered[below]
                diff = ordered[below + 1] - a
                base = ordered[below + 1] - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
            else:
                base = _NAN
            if isfinite(value):
                push_t(t_s)
                push_v(value)
                insort(ordered, value)
            if ratio:
                out[k] = value / base if isfinite(base) and base > 0 else _NAN
            else:
                out[k] = value - base
        return out


class Sampler:
    """Turns the followed pose of each frame into a Sample of the spec's metrics.

    Stateful (smoothing, side choice, bone-length and baseline history); one per session. Feed it
    frame by frame (:meth:`update`) or whole tracks (:meth:`update_track`), or both in turn: the
    Samples are the same.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self._metrics = {name: _CompiledMetric(ms) for name, ms in spec.metrics.items()}
        sm = spec.smoothing
        self._filter = OneEuroFilter(sm.min_cutoff, sm.beta, sm.d_cutoff) if sm.method == "one_euro" else None
        #: World landmarks are kept (and smoothed alike) only when a metric is measured on them.
        self._uses_world = any(ms.space == "world" for ms in spec.metrics.values())
        self._world_filter = (
            OneEuroFilter(sm.min_cutoff, sm.beta, sm.d_cutoff) if sm.method == "one_euro" and self._uses_world else None
        )
        self._world_joints = _world_joints(self._metrics)  # only these are smoothed: the filter is a third of the cost
        self._sides = SideChooser(spec.side.choose, spec.side.switch_after_s, spec.side.space)
        self._bones = np.zeros((0, len(_BONES)))  # the last _BONE_HISTORY frames' lengths, NaN where jumped
        self._bone_frames = 0  # frames seen
        self._bone_median: np.ndarray | None = None
        self._baseline = {n: _Baseline(ms.baseline) for n, ms in spec.metrics.items() if ms.baseline != "none"}
        self._last_pose_t: float | None = None

    def force_side(self, side: str | None) -> None:
        """Measure ``side`` ('left'/'right') whatever the spec's rule says; None goes back to the rule."""
        self._sides = SideChooser(
            side if side is not None else self.spec.side.choose, self.spec.side.switch_after_s, self.spec.side.space
        )

    def update(self, pose: Pose | None, timestamp_ms: float, people_in_view: int = 0) -> Sample:
        """Measure one frame; ``pose`` is None when nobody is followed. The Sample keeps the pose."""
        if pose is None:
            return self._measure([timestamp_ms], np.zeros(1, bool), None, None, None, None, None, [people_in_view])[0]
        world = pose.world_m
        return self._measure(
            [timestamp_ms], np.ones(1, bool), pose.image_px[None], pose.visibility[None], pose.presence[None],
            None if world is None else world[None], np.array([world is not None]), [people_in_view], [pose],
        )[0]  # fmt: skip

    def update_track(
        self,
        t_ms: np.ndarray,
        image_px: np.ndarray,
        visibility: np.ndarray,
        presence: np.ndarray | None = None,
        world_m: np.ndarray | None = None,
        people_in_view: np.ndarray | None = None,
        found: np.ndarray | None = None,
    ) -> list[Sample]:
        """Measure T frames at once; the same Samples as :meth:`update` frame by frame.

        ``t_ms`` (T,) timestamps in ms, in order; ``image_px`` (T, 33, 2) pixels, ``visibility`` and
        ``presence`` (T, 33) (presence 1 when None), ``world_m`` (T, 33, 3) metres or None: the arrays
        of the Pose of each frame (same dtypes; a world row that is not all finite counts as a Pose
        without world landmarks, as :meth:`PoseTrack.poses <posecheck.track.PoseTrack.poses>` does).
        ``people_in_view`` (T,) int (0 when None). ``found`` (T,) bool: a person was followed in that
        frame (default: the frames whose ``image_px`` has a finite value); the other frames' arrays
        are ignored. The Samples hold ``pose=None`` and ``found``; ``points_px`` are views of one array.
        Raises ValueError when the arrays' shapes do not match.
        """
        t_list = np.asarray(t_ms, float).tolist()
        n = len(t_list)
        expect = {"image_px": (image_px, (n, COUNT, 2)), "visibility": (visibility, (n, COUNT))}
        if presence is not None:
            expect["presence"] = (presence, (n, COUNT))
        if world_m is not None:
            expect["world_m"] = (world_m, (n, COUNT, 3))
        if people_in_view is not None:
            expect["people_in_view"] = (people_in_view, (n,))
        if found is not None:
            expect["found"] = (found, (n,))
        for name, (arr, shape) in expect.items():
            if np.shape(arr) != shape:
                raise ValueError(
                    f"Sampler.update_track: {name} should have shape {shape} for {n} timestamps, got {np.shape(arr)}"
                )
        image_px = np.asarray(image_px)
        found = np.isfinite(image_px).any(axis=(1, 2)) if found is None else np.asarray(found, bool)
        if presence is None:
            presence = np.ones((n, COUNT), np.float32)
        has_world = None
        if world_m is not None:
            has_world = np.isfinite(world_m).all(axis=(1, 2))
        people = [0] * n if people_in_view is None else np.asarray(people_in_view).tolist()
        return self._measure(t_list, found, image_px, visibility, presence, world_m, has_world, people)

    # -- the one definition both entry points share --------------------------------------------
    def _measure(
        self,
        stamps: list[float],
        found: np.ndarray,
        image_px: np.ndarray | None,
        visibility: np.ndarray | None,
        presence: np.ndarray | None,
        world_m: np.ndarray | None,
        has_world: np.ndarray | None,
        people: list[int],
        poses: list[Pose] | None = None,
    ) -> list[Sample]:
        names = list(self._metrics)
        nan_values = dict.fromkeys(names, _NAN)
        idx = np.flatnonzero(found)
        side_before = self._sides.side
        if len(idx) == 0:
            return [
                _sample(t, dict(nan_values), side_before, 0, _NAN, _NAN, None, None, p, False) for t, p in zip(stamps, people)
            ]
        assert image_px is not None and visibility is not None and presence is not None
        all_found = len(idx) == len(stamps)
        sel = slice(None) if all_found else idx
        t_s = np.asarray(stamps, float)[sel] / 1000.0
        vis = visibility[sel]
        raw = self._reliable(image_px[sel], vis, presence[sel])
        gaps = np.empty(len(t_s))
        gaps[0] = t_s[0] - self._last_pose_t if self._last_pose_t is not None else 0.0
        gaps[1:] = t_s[1:] - t_s[:-1]
        restart = gaps > _FILTER_RESET_GAP_S
        world = None if world_m is None else world_m[sel]
        hw = np.zeros(len(idx), bool) if has_world is None else has_world[sel]
        wpts = self._world_points(world, hw, raw, t_s, restart) if self._uses_world else None
        if self._filter is not None:
            raw = self._filter.filter_track(raw, t_s, restart)
        self._last_pose_t = float(t_s[-1])
        pts = extend_with_midpoints(raw)
        face = m.facing(raw).astype(int)
        width_arr = m.width_ratio(raw)
        width = width_arr.tolist()
        view = self._view(width_arr, world, hw)
        sides = self._sides.update_track(raw, vis, world, hw, face, t_s)
        present = set(sides)
        labels = np.array(sides, object) if len(present) > 1 else None
        groups = None if labels is None else {side: labels == side for side in present}
        t_list = t_s.tolist()
        columns = [
            self._column(n, metric, pts, face, t_list, sides, groups, wpts) for n, metric in self._metrics.items()
        ]
        rows = zip(*columns) if columns else ([] for _ in idx)
        faces = face.tolist()
        if all_found:
            return [
                _sample(t, dict(zip(names, row)), side, f, w, v, pose, p, n, True)
                for t, row, side, f, w, v, pose, p, n in zip(
                    stamps, rows, sides, faces, width, view, poses or [None] * len(stamps), pts, people
                )
            ]  # fmt: skip
        out: list[Sample] = []
        k = 0
        side = side_before
        for i, (t, n) in enumerate(zip(stamps, people)):
            if not found[i]:
                out.append(_sample(t, dict(nan_values), side, 0, _NAN, _NAN, None, None, n, False))
                continue
            side = sides[k]
            pose = poses[i] if poses is not None else None
            out.append(
                _sample(t, dict(zip(names, next(rows))), side, faces[k], width[k], view[k], pose, pts[k], n, True)
            )
            k += 1
        return out

    def _view(self, width: np.ndarray, world: np.ndarray | None, has_world: np.ndarray) -> list[float]:
        """Each frame's camera view in degrees: from the world landmarks, else from the width ratio."""
        vs = self.spec.view
        view = m.view_from_width(width, vs.side_max_width, vs.front_min_width)
        if world is not None and has_world.any():
            view = np.where(has_world, m.view_angle(np.where(has_world[:, None, None], world, 0.0)), view)
        return view.tolist()

    def _world_points(
        self, world: np.ndarray | None, has_world: np.ndarray, raw: np.ndarray, t_s: np.ndarray, restart: np.ndarray
    ) -> np.ndarray:
        """World landmarks with midpoints (T, 37, 3), NaN where the image landmark is not trusted or there
        is no world pose, smoothed like the pixels."""
        if world is None:  # the filter still sees these frames, so its timing is the same frame by frame
            world, has_world = np.full((len(raw), raw.shape[1], 3), np.nan), np.zeros(len(raw), bool)
        joints = self._world_joints
        w = np.full(world.shape, np.nan)
        w[:, joints] = np.where(has_world[:, None, None] & ~np.isnan(raw[:, joints, :1]), world[:, joints], np.nan)
        if self._world_filter is not None:
            w[:, joints] = self._world_filter.filter_track(w[:, joints], t_s, restart)
        return extend_with_midpoints(w)

    def _column(
        self, name: str, metric: _CompiledMetric, pts: np.ndarray, face: np.ndarray, t_s: list[float],
        sides: list[str | None], groups: dict[str | None, np.ndarray] | None, world: np.ndarray | None = None,
    ) -> list[float]:
        """One metric over the frames with a pose, relative to its baseline if it has one.

        ``groups``: the rows of each side when the frames do not all have the same one, else None.
        """
        if groups is None:
            side = sides[0]
            if side is None and metric.sided:
                return [_NAN] * len(sides)
            values = metric.values(pts, side, face, world)
        else:
            values = np.full(len(sides), np.nan)
            for side, rows in groups.items():
                if not (side is None and metric.sided):
                    values[rows] = metric.values(pts[rows], side, face[rows], None if world is None else world[rows])
        column = values.tolist()
        baseline = self._baseline.get(name)
        if baseline is not None:
            keep = [side is not None for side in sides] if metric.sided and None in (groups or ()) else None
            column = baseline.relative_many(column, t_s, keep)
        return column

    def _reliable(self, image_px: np.ndarray, visibility: np.ndarray, presence: np.ndarray) -> np.ndarray:
        """Landmark pixels (T, 33, 2) with NaN where visibility, presence or bone length says not to trust them."""
        lm = self.spec.landmarks
        px = image_px.astype(float)
        bad = (visibility < lm.min_visibility) | (presence < lm.min_presence)
        lengths = m.distance(px[:, _BONES[:, 0]], px[:, _BONES[:, 1]])
        jumped = self._bone_jumps(lengths)
        if jumped.any():
            bad |= jumped @ _BONE_JOINTS
        px[bad] = np.nan
        return px

    def _bone_jumps(self, lengths: np.ndarray) -> np.ndarray:
        """Which bones of each frame (T, 8) changed length too much from their running median.

        The median is of the last _BONE_HISTORY frames' lengths (NaN where they jumped), refreshed every
        _BONE_MEDIAN_EVERY frames once 10 are known. Jumps are rare: the medians of a few refreshes
        ahead are computed at once as if no frame jumped, and recomputed from the first frame that did.
        """
        n, width = lengths.shape
        limit = self.spec.landmarks.max_bone_change
        known = len(self._bones)
        pad = _BONE_HISTORY - known
        history = np.concatenate([np.full((pad, width), np.nan), self._bones, lengths])
        offset = _BONE_HISTORY  # history row of the batch's first frame
        first = self._bone_frames + 1  # the number of the batch's first frame
        refresh = [
            k for k in range(-first % _BONE_MEDIAN_EVERY, n, _BONE_MEDIAN_EVERY)
            if min(known + k, _BONE_HISTORY) >= 10
        ]  # fmt: skip
        starts = [0, *refresh] if not refresh or refresh[0] else refresh
        ends = [*starts[1:], n]
        fresh = [k in refresh for k in starts[:1]] + [True] * (len(starts) - 1)
        medians = np.empty((len(starts), width))
        current = self._bone_median if self._bone_median is not None else np.full(width, np.nan)
        jumped = np.zeros(lengths.shape, bool)
        block = _BLOCK  # segments whose medians are computed at once
        j = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            while j < len(starts):
                segs = range(j, min(j + block, len(starts)))
                new = [s for s in segs if fresh[s]]
                if new:
                    medians[new] = window_nanmedians(history, [offset + starts[s] for s in new], _BONE_HISTORY)
                for s in segs:
                    if not fresh[s]:
                        medians[s] = current
                    current = medians[s]
                a, b = starts[j], ends[segs[-1]]
                per_frame = np.repeat(medians[j : segs[-1] + 1], [ends[s] - starts[s] for s in segs], axis=0)
                jump = np.abs(lengths[a:b] / per_frame - 1.0) > limit
                hit = jump.any(axis=1)
                last = segs[-1]
                if hit.any():
                    # Frames after the first jump have medians that did not leave it out: redo them,
                    # fewer at a time while jumps are frequent.
                    i = a + int(np.argmax(hit))
                    last = next(s for s in segs if ends[s] > i)
                    current = medians[last]
                    block = max(1, (last - j + 1) * 2)
                else:
                    block = min(block * 2, _BLOCK)
                c = ends[last]
                jumped[a:c] = jump[: c - a]
                rows = history[offset + a : offset + c]
                rows[jumped[a:c]] = np.nan
                j = last + 1
        if refresh:
            self._bone_median = current
        self._bone_frames += n
        real = history[pad:]
        self._bones = real[-_BONE_HISTORY:].copy()
        return jumped
