"""The whole-track path (``Sampler.update_track``) against the frame-by-frame one (``Sampler.update``).

``posecheck tune`` re-evaluates recorded tracks with the whole-track path; ``analyze`` and ``live``
feed one frame at a time. Both must give the same Samples (values to the bit here; the contract is
1e-9) and so the same evaluator events and summary, for every shipped spec and any landmark sequence:
dropouts, NaN and low-visibility landmarks, jumps, uneven and repeated timestamps, long gaps, both
facing directions, with and without world landmarks, in one batch or several, mixed with per-frame
calls. Both must also compute what the per-frame sampler always computed (``ReferenceSampler``, the
plain per-frame code the fast path replaced), so that analyze's reports do not change; and the exact
numpy equivalents the fast path relies on (running median, percentile, float32 means, the filter in
chunks) are each held to numpy.

``HYPOTHESIS_PROFILE=fuzz`` runs 20 times more cases.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import posecheck.smoothing as smoothing
from posecheck import metrics as m
from posecheck.evaluator import Evaluator
from posecheck.landmarks import COUNT, INDEX, LIMB_BONES, MIDPOINTS, SIDES
from posecheck.pose.types import Pose
from posecheck.sampler import POINT_INDEX, Sample, Sampler, SideChooser, _Baseline, window_nanmedians
from posecheck.smoothing import OneEuroFilter
from posecheck.spec import load_spec
from posecheck.spec.schema import ExerciseSpec, SmoothingSpec
from posecheck.synth.truth import camera_axes, load_truth

ROOT = Path(__file__).resolve().parents[1]
SPECS = {p.stem: load_spec(p) for p in sorted((ROOT / "exercise_specs").glob("*.toml"))}
CLIPS = sorted((ROOT / "sample_videos").glob("*.truth.npz"))
BONES = np.array([[INDEX[a], INDEX[b]] for a, b in LIMB_BONES])
MID_PAIRS = np.array([[INDEX[a], INDEX[b]] for a, b in MIDPOINTS.values()])
SIDE_RULES = ("auto", "left", "right", "front_leg", "back_leg", "top_leg", "bent_leg", "none")

_BASE = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout; a failure prints its example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CASES = settings(_BASE, max_examples=500) if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else _BASE


# -- builders -------------------------------------------------------------------------------------
def _truth_px(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """A stretch of a sample clip's true landmarks (pixels, world), at a random start."""
    _, arrays = load_truth(CLIPS[int(rng.integers(len(CLIPS)))])
    px, world = arrays["image_px"], arrays["world_m"]
    start = int(rng.integers(0, max(1, len(px) - frames)))
    px, world = px[start : start + frames], world[start : start + frames]
    reps = frames // len(px) + 1
    return np.tile(px, (reps, 1, 1))[:frames].copy(), np.tile(world, (reps, 1, 1))[:frames].copy()


@st.composite
def tracks(draw: st.DrawFn) -> dict[str, np.ndarray]:
    """A random recorded track, as the arrays ``Sampler.update_track`` takes.

    The structure (length, rates of dropouts, NaNs, jumps, low visibility, the timestamps' pattern)
    is drawn by Hypothesis; the bulk values come from a generator seeded by it.
    """
    n = draw(st.integers(1, 140))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        px, world = _truth_px(rng, n)
    else:  # a random walk of a random body
        px = (rng.uniform(50, 600, (1, COUNT, 2)) + np.cumsum(rng.normal(0, 3, (n, COUNT, 2)), axis=0))
        world = rng.normal(0, 0.3, (n, COUNT, 3))
    px = px + rng.normal(0, draw(st.sampled_from([0.0, 0.5, 4.0])), px.shape)
    if draw(st.booleans()):
        px[..., 0] = 640 - px[..., 0]  # facing the other way
    if draw(st.booleans()):
        left = [i for name, i in INDEX.items() if name.startswith("left_")]
        right = [INDEX["right_" + name[5:]] for name, i in INDEX.items() if name.startswith("left_")]
        swap = rng.random(n) < draw(st.sampled_from([0.05, 0.3]))
        px[np.ix_(swap, left + right)] = px[np.ix_(swap, right + left)]  # the model's left/right swaps
    jumps = rng.random((n, COUNT)) < draw(st.sampled_from([0.0, 0.01, 0.05]))
    px[jumps] += rng.normal(0, 150, (int(jumps.sum()), 2))
    px[rng.random((n, COUNT)) < draw(st.sampled_from([0.0, 0.02, 0.2]))] = np.nan
    vis = rng.uniform(0, 1, (n, COUNT)) ** draw(st.sampled_from([0.05, 0.3, 1.0]))
    pres = np.where(rng.random((n, COUNT)) < draw(st.sampled_from([0.0, 0.05])), 0.2, 0.99)
    world[rng.random(n) < draw(st.sampled_from([0.0, 0.3, 1.0]))] = np.nan  # frames without world landmarks
    found = rng.random(n) >= draw(st.sampled_from([0.0, 0.1, 0.5]))
    if n > 3 and draw(st.booleans()):
        start = int(rng.integers(0, n))
        found[start : start + int(rng.integers(1, 40))] = False  # a dropout
    # Frame intervals (ms): 30 fps with its rounding, 60 and 25 fps, repeated stamps, gaps past the
    # smoothing's 0.5 s restart.
    intervals = st.sampled_from([33.333, 33.334, 16.7, 40.0, 0.0, 250.0, 700.0])
    steps = np.array(draw(st.lists(intervals, min_size=1, max_size=5)))
    t_ms = np.cumsum(rng.choice(steps, n)) + draw(st.floats(0, 1e6))
    return {
        "t_ms": t_ms,
        "image_px": np.where(found[:, None, None], px, np.nan).astype(np.float32),
        "visibility": vis.astype(np.float32),
        "presence": pres.astype(np.float32),
        "world_m": world.astype(np.float32),
        "people_in_view": rng.integers(0, 3, n) * found,
        "found": found,
    }


def poses_of(track: dict[str, np.ndarray]) -> list[Pose | None]:
    """The Pose of each frame, as :meth:`PoseTrack.poses <posecheck.track.PoseTrack.poses>` builds them."""
    out: list[Pose | None] = []
    for i, found in enumerate(track["found"]):
        world = track["world_m"][i]
        out.append(
            Pose(track["image_px"][i], track["visibility"][i], (640, 480), track["presence"][i],
                 world if np.isfinite(world).all() else None) if found else None
        )  # fmt: skip
    return out


def frame_by_frame(spec: ExerciseSpec, track: dict[str, np.ndarray]) -> list[Sample]:
    sampler = Sampler(spec)
    return [
        sampler.update(pose, t, n)
        for pose, t, n in zip(poses_of(track), track["t_ms"].tolist(), track["people_in_view"].tolist())
    ]  # fmt: skip


def by_track(sampler: Sampler, track: dict[str, np.ndarray], a: int = 0, b: int | None = None) -> list[Sample]:
    part = {k: v[a:b] for k, v in track.items()}
    return sampler.update_track(
        part["t_ms"], part["image_px"], part["visibility"], part["presence"], part["world_m"],
        part["people_in_view"], part["found"],
    )  # fmt: skip


def assert_same(got: list[Sample], want: list[Sample]) -> None:
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        where = f"frame {i}"
        assert g.timestamp_ms == w.timestamp_ms, where
        fields = ("side", "facing", "pose_found", "people_in_view")
        assert [getattr(g, f) for f in fields] == [getattr(w, f) for f in fields], where
        assert list(g.values) == list(w.values), where
        np.testing.assert_allclose(
            [g.width_ratio, *g.values.values()], [w.width_ratio, *w.values.values()], rtol=0, atol=1e-9, err_msg=where
        )  # fmt: skip
        assert (g.points_px is None) == (w.points_px is None), where
        if w.points_px is not None:
            np.testing.assert_allclose(g.points_px, w.points_px, rtol=0, atol=1e-9, err_msg=where)


def evaluated(spec: ExerciseSpec, samples: list[Sample]) -> tuple[list[str], str]:
    evaluator = Evaluator(spec)
    events = [repr(e) for s in samples for e in evaluator.update(s)]
    events += [repr(e) for e in evaluator.finish()]
    return events, repr(evaluator.summary)


def variant(spec: ExerciseSpec, rule: str, smooth: bool) -> ExerciseSpec:
    spec = dataclasses.replace(spec, side=dataclasses.replace(spec.side, choose=rule))
    return spec if smooth else dataclasses.replace(spec, smoothing=SmoothingSpec(method="none"))


# -- the behaviour to keep: the per-frame sampler as it was, written plainly ---------------------------
class ReferenceSampler:
    """The per-frame sampler before the whole-track path existed, as the oracle of what both paths
    must compute: one frame at a time, numpy's nanmedian, percentile and means, the One Euro filter's
    textbook form. Bit-identical Samples keep every report analyze made before the same."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        sm = spec.smoothing
        self.smooth = sm.method == "one_euro"
        self.filters: dict[str, dict] = {"px": {}, "world": {}}  # One Euro state (x, dx, t) of pixels and world
        self.side: str | None = spec.side.choose if spec.side.choose in SIDES else None
        self.challenger: float | None = None
        self.bones: collections.deque[np.ndarray] = collections.deque(maxlen=90)
        self.frames = 0
        self.median: np.ndarray | None = None
        self.baseline = {n: collections.deque() for n, ms in spec.metrics.items() if ms.baseline != "none"}
        self.last_t: float | None = None

    def _filter(self, x: np.ndarray, t: float, which: str = "px") -> np.ndarray:
        sm = self.spec.smoothing
        f = self.filters[which]

        def alpha(cutoff, dt):
            return 1.0 / (1.0 + (1.0 / (2 * math.pi * np.asarray(cutoff, float))) / dt)

        if f.get("x") is None or f.get("t") is None or t <= f["t"]:
            f.update(x=x.copy(), dx=np.zeros_like(x), t=t)
            return x.copy()
        dt, f["t"] = t - f["t"], t
        finite = np.isfinite(x)
        prev = np.where(np.isfinite(f["x"]), f["x"], x)
        dx = np.where(finite, (x - prev) / dt, 0.0)
        a_d = alpha(sm.d_cutoff, dt)
        f["dx"] = a_d * dx + (1 - a_d) * f["dx"]
        a = alpha(sm.min_cutoff + sm.beta * np.abs(f["dx"]), dt)
        smoothed = a * x + (1 - a) * prev
        f["x"] = np.where(finite, smoothed, f["x"])
        return np.where(finite, smoothed, np.nan)

    def _reliable(self, pose: Pose) -> np.ndarray:
        lm = self.spec.landmarks
        px = pose.image_px.astype(float)
        bad = (pose.visibility < lm.min_visibility) | (pose.presence < lm.min_presence)
        jumped = self._bone_jumps(np.linalg.norm(px[BONES[:, 0]] - px[BONES[:, 1]], axis=-1))
        bad[BONES[jumped].ravel()] = True
        px[bad] = np.nan
        return px

    def _bone_jumps(self, lengths: np.ndarray) -> np.ndarray:
        self.frames += 1
        if len(self.bones) >= 10 and self.frames % 5 == 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self.median = np.nanmedian(np.array(self.bones), axis=0)
        jumped = np.zeros(len(BONES), bool)
        if self.median is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                jumped = np.abs(lengths / self.median - 1.0) > self.spec.landmarks.max_bone_change
        self.bones.append(np.where(jumped, np.nan, lengths))
        return jumped

    def _candidate(self, px: np.ndarray, pose: Pose, facing: int) -> str | None:
        rule = self.spec.side.choose
        if rule == "auto":
            if pose.world_m is not None:
                z = {s: pose.world_m[[INDEX[f"{s}_{j}"] for j in ("shoulder", "hip", "knee", "ankle")], 2].mean()
                     for s in SIDES}  # fmt: skip
                return "left" if z["left"] < z["right"] else "right"
            v = {s: pose.visibility[[INDEX[f"{s}_hip"], INDEX[f"{s}_knee"]]].mean() for s in SIDES}
            return "left" if v["left"] >= v["right"] else "right"
        if rule == "bent_leg":
            bend = {}
            for s in SIDES:
                j = [INDEX[f"{s}_{k}"] for k in ("hip", "knee", "ankle")]
                w = None if pose.world_m is None else pose.world_m[j]
                bend[s] = float(m.angle(px[j[0]], px[j[1]], px[j[2]]) if w is None else m.angle_3d(w[0], w[1], w[2]))
            if not np.isfinite(list(bend.values())).all():
                return None
            return "left" if bend["left"] < bend["right"] else "right"
        xl, xr = px[INDEX["left_ankle"], 0], px[INDEX["right_ankle"], 0]
        if rule in ("front_leg", "back_leg"):
            if self.spec.side.space == "world" and pose.world_m is not None:
                ahead = float(m.ankles_ahead(pose.world_m))
                if not np.isfinite(ahead):
                    return None
                front = "left" if ahead > 0 else "right"
            elif facing == 0 or not np.isfinite([xl, xr]).all():
                return None
            else:
                front = "left" if (xl - xr) * facing > 0 else "right"
            return front if rule == "front_leg" else {"left": "right", "right": "left"}[front]
        yl, yr = px[INDEX["left_hip"], 1], px[INDEX["right_hip"], 1]
        if not np.isfinite([yl, yr]).all():
            return None
        return "left" if yl < yr else "right"

    def _value(self, ms, pts: np.ndarray, side: str | None, facing: int, world: np.ndarray | None = None) -> float:
        other = {"left": "right", "right": "left"}

        def index(name: str) -> int:
            if side is not None:
                name = name.replace("{side}", side).replace("{other}", other[side])
            return POINT_INDEX.get(name, -1)

        points, per, floor = ([index(n) for n in names] for names in (ms.points, ms.per, ms.floor))
        if min(points) < 0:
            return float("nan")
        if ms.space == "world":
            if world is None:
                return float("nan")
            w = world[points]
            if ms.kind == "angle":
                return float(m.angle_3d(w[0], w[1], w[2]))
            if ms.kind == "line_angle":
                return float(m.line_angle_3d(w[0], w[1], w[2], ms.positive))
            if ms.kind == "distance_ratio":
                q = world[per]
                return float(np.linalg.norm(w[0] - w[1]) / (np.linalg.norm(q[0] - q[1]) + 1e-9))
            return float(m.tilt_3d(w[0], w[1]))
        p, q = pts[points], pts[per]
        if ms.kind == "angle":
            return float(m.angle(p[0], p[1], p[2]))
        if ms.kind == "line_angle":
            return float(m.line_angle(p[0], p[1], p[2], ms.positive))
        if ms.kind == "tilt":
            return float(m.tilt(p[0], p[1], ms.reference, {"forward": facing, "up": 1.0, "none": None}[ms.positive]))
        d = lambda a, b: np.linalg.norm(np.asarray(a, float) - b, axis=-1)  # noqa: E731
        if ms.kind == "distance_ratio":
            return float(d(p[0], p[1]) / (d(q[0], q[1]) + 1e-9))
        ys = pts[floor][:, 1]
        floor_y = np.nanmax(ys) if np.isfinite(ys).any() else np.nan
        return float((floor_y - p[0][1]) / (d(q[0], q[1]) + 1e-9))

    def _relative(self, name: str, value: float, t: float) -> float:
        history = self.baseline[name]
        while history and t - history[0][0] > 10.0:
            history.popleft()
        ratio = self.spec.metrics[name].baseline == "ratio_to_high"
        known = len(history) >= 3 or (history and t - history[0][0] >= 0.3)  # enough values, or enough time
        base = float(np.percentile([v for _, v in history], 90 if ratio else 10)) if known else np.nan
        if np.isfinite(value):
            history.append((t, value))
        if ratio:
            return float(value / base) if np.isfinite(base) and base > 0 else float("nan")
        return float(value - base)

    def update(self, pose: Pose | None, timestamp_ms: float, people: int) -> Sample:
        t = timestamp_ms / 1000.0
        values = {name: float("nan") for name in self.spec.metrics}
        if pose is None:
            return Sample(timestamp_ms, values, self.side, people_in_view=people)
        raw = self._reliable(pose)
        uses_world = any(ms.space == "world" for ms in self.spec.metrics.values())
        world = None
        if uses_world:
            w = pose.world_m if pose.world_m is not None else np.full((COUNT, 3), np.nan)
            world = np.where(np.isnan(raw[:, :1]), np.nan, w.astype(float))  # trusted where the pixel is
        if self.smooth:
            if self.last_t is not None and t - self.last_t > 0.5:
                self.filters = {"px": {}, "world": {}}
            raw = self._filter(raw, t)
            if world is not None:
                world = self._filter(world, t, "world")
        if world is not None:
            world = np.concatenate([world, world[MID_PAIRS].mean(axis=-2)])
        self.last_t = t
        pts = np.concatenate([raw, raw[MID_PAIRS].mean(axis=-2)])
        nose, ears = raw[INDEX["nose"], 0], (raw[INDEX["left_ear"], 0] + raw[INDEX["right_ear"], 0]) / 2
        toes = (raw[INDEX["left_foot_index"], 0] - raw[INDEX["left_heel"], 0]
                + raw[INDEX["right_foot_index"], 0] - raw[INDEX["right_heel"], 0])  # fmt: skip
        head, toes = np.nan_to_num(nose - ears), np.nan_to_num(toes)
        face = int(np.sign(head if head != 0 else toes))
        if self.spec.side.choose not in (*SIDES, "none"):
            c = self._candidate(raw, pose, face)
            if c is None or c == self.side:
                self.challenger = None
            elif self.side is None:
                self.side = c
            elif self.challenger is None:
                self.challenger = t
            elif t - self.challenger >= self.spec.side.switch_after_s:
                self.side, self.challenger = c, None
        for name, ms in self.spec.metrics.items():
            if self.side is None and ms.points and any("{" in p for p in ms.points):
                continue
            v = self._value(ms, pts, self.side, face, world)
            values[name] = self._relative(name, v, t) if name in self.baseline else v
        ls, rs, lh, rh = (raw[INDEX[n]] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
        norm = lambda a: np.linalg.norm(a, axis=-1)  # noqa: E731
        width = (norm(ls - rs) + norm(lh - rh)) / (2 * norm((ls + rs) / 2 - (lh + rh) / 2) + 1e-9)
        return Sample(timestamp_ms, values, self.side, face, float(width), pose, pts, people)


# -- the two paths agree ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec_id", sorted(SPECS))
@CASES
@given(track=tracks(), cuts=st.lists(st.integers(0, 140), max_size=3), data=st.data())
def test_whole_track_gives_the_samples_and_the_report_of_frame_by_frame(spec_id, track, cuts, data):
    spec = SPECS[spec_id]
    if data.draw(st.booleans(), label="other side rule or no smoothing"):
        rule = data.draw(st.sampled_from(SIDE_RULES), label="side rule")
        spec = variant(spec, rule, data.draw(st.booleans(), label="smooth"))
    want = frame_by_frame(spec, track)
    sampler = Sampler(spec)
    bounds = sorted({0, len(want), *[min(c, len(want)) for c in cuts]})
    got: list[Sample] = []
    for a, b in zip(bounds, bounds[1:]):  # several batches carry the state from one to the next
        got += by_track(sampler, track, a, b)
    assert_same(got, want)
    assert all(s.pose is None for s in got)
    assert evaluated(spec, got) == evaluated(spec, want)


@pytest.mark.parametrize("spec_id", sorted(SPECS))
@CASES
@given(track=tracks(), cut=st.integers(0, 140), data=st.data())
def test_both_paths_compute_what_the_sampler_always_computed(spec_id, track, cut, data):
    spec = SPECS[spec_id]
    if data.draw(st.booleans(), label="other side rule or no smoothing"):
        rule = data.draw(st.sampled_from(SIDE_RULES), label="side rule")
        spec = variant(spec, rule, data.draw(st.booleans(), label="smooth"))
    reference = ReferenceSampler(spec)
    stamps, people = track["t_ms"].tolist(), track["people_in_view"].tolist()
    want = [reference.update(pose, t, n) for pose, t, n in zip(poses_of(track), stamps, people)]
    sampler = Sampler(spec)
    assert_same(by_track(sampler, track, 0, cut) + by_track(sampler, track, cut), want)


@CASES
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 400), batch=st.sampled_from([1, 7, 50, 400]))
def test_the_bone_length_check_is_the_running_nanmedian_of_90_frames(seed, frames, batch):
    # Limbs whose length wanders by up to +-50 %: many frames near the 40 % limit, where any
    # difference in the median's window or refresh shows.
    rng = np.random.default_rng(seed)
    spec = SPECS["lunge"]
    lengths = rng.uniform(50, 150, len(BONES)) * (1 + rng.uniform(-0.5, 0.5, (frames, len(BONES))))
    lengths[rng.random(lengths.shape) < 0.03] = np.nan
    reference, sampler = ReferenceSampler(spec), Sampler(spec)
    for a in range(0, frames, batch):
        b = min(a + batch, frames)
        want = [reference._bone_jumps(lengths[i]) for i in range(a, b)]
        np.testing.assert_array_equal(sampler._bone_jumps(lengths[a:b]), np.array(want))
        if reference.median is None:
            assert sampler._bone_median is None
        else:
            np.testing.assert_array_equal(sampler._bone_median, reference.median)


@pytest.mark.parametrize("spec_id", sorted(SPECS))
@CASES
@given(track=tracks(), per_frame=st.lists(st.booleans(), min_size=1, max_size=8))
def test_batches_and_single_frames_can_be_mixed(spec_id, track, per_frame):
    spec = SPECS[spec_id]
    want = frame_by_frame(spec, track)
    sampler = Sampler(spec)
    poses = poses_of(track)
    n = len(want)
    bounds = np.linspace(0, n, len(per_frame) + 1).astype(int)
    got: list[Sample] = []
    for (a, b), single in zip(zip(bounds, bounds[1:]), per_frame):
        if single:
            stamps, people = track["t_ms"].tolist(), track["people_in_view"].tolist()
            got += [sampler.update(poses[i], stamps[i], people[i]) for i in range(a, b)]
        else:
            got += by_track(sampler, track, a, b)
    assert_same(got, want)


@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.name.split(".")[0])
def test_a_real_landmark_sequence_gives_the_same_samples_and_report(clip):
    summary, arrays = load_truth(clip)
    spec = SPECS[summary["exercise"]]
    n = len(arrays["t_ms"])
    rng = np.random.default_rng(0)
    vis = np.where(arrays["in_frame"], rng.uniform(0.6, 1.0, (n, COUNT)), rng.uniform(0.0, 0.4, (n, COUNT)))
    found = np.ones(n, bool)
    found[n // 3 : n // 3 + 20] = False  # the person leaves the frame for 0.7 s
    track = {
        "t_ms": arrays["t_ms"],
        "image_px": np.where(found[:, None, None], arrays["image_px"], np.nan).astype(np.float32),
        "visibility": vis.astype(np.float32),
        "presence": np.ones((n, COUNT), np.float32),
        "world_m": camera_axes(arrays["world_m"], summary["camera"]),
        "people_in_view": found.astype(int),
        "found": found,
    }
    want = frame_by_frame(spec, track)
    got = by_track(Sampler(spec), track)
    assert_same(got, want)
    reference = ReferenceSampler(spec)
    stamps, people = track["t_ms"].tolist(), track["people_in_view"].tolist()
    assert_same(got, [reference.update(pose, t, p) for pose, t, p in zip(poses_of(track), stamps, people)])
    assert any(np.isfinite(list(s.values.values())).all() for s in got)  # the clip is measured, not all NaN
    events, report = evaluated(spec, got)
    assert (events, report) == evaluated(spec, want)
    assert "RepCompleted" in " ".join(events) or "HoldEnded" in " ".join(events)


def test_a_track_with_nobody_in_it_gives_empty_samples():
    spec = SPECS["lunge"]
    n = 5
    samples = Sampler(spec).update_track(
        np.arange(n) * 33.3, np.full((n, COUNT, 2), np.nan, np.float32), np.zeros((n, COUNT), np.float32)
    )  # fmt: skip
    assert [s.pose_found for s in samples] == [False] * n
    assert all(np.isnan(v) for s in samples for v in s.values.values())
    assert samples[0].side is None and samples[0].points_px is None


def test_found_frames_keep_pose_found_without_the_pose():
    spec = SPECS["glute_bridge"]
    rng = np.random.default_rng(3)
    px, _ = _truth_px(rng, 4)
    samples = Sampler(spec).update_track(np.arange(4) * 33.3, px.astype(np.float32), np.ones((4, COUNT), np.float32))
    assert all(s.pose is None and s.found and s.pose_found for s in samples)
    assert samples[0].points_px.shape == (COUNT + 4, 2)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"image_px": np.zeros((4, 33, 3))},
         "image_px should have shape (5, 33, 2) for 5 timestamps, got (4, 33, 3)"),
        ({"visibility": np.zeros((5, 32))}, "visibility should have shape (5, 33) for 5 timestamps, got (5, 32)"),
        ({"world_m": np.zeros((5, COUNT, 2))}, "world_m should have shape (5, 33, 3) for 5 timestamps, got (5, 33, 2)"),
        ({"found": np.ones(4, bool)}, "found should have shape (5,) for 5 timestamps, got (4,)"),
    ],
)  # fmt: skip
def test_arrays_that_do_not_fit_the_timestamps_are_refused(change, message):
    args = {"t_ms": np.arange(5.0), "image_px": np.zeros((5, COUNT, 2)), "visibility": np.ones((5, COUNT))}
    with pytest.raises(ValueError, match="Sampler.update_track: ") as err:
        Sampler(SPECS["lunge"]).update_track(**{**args, **change})
    assert message in str(err.value)


# -- the exact equivalents the fast path is built on ------------------------------------------------
@CASES
@given(
    seed=st.integers(0, 2**32 - 1), rows=st.integers(0, 120), cols=st.integers(1, 8), size=st.integers(1, 95),
    nan_rate=st.sampled_from([0.0, 0.05, 0.5, 1.0]), ties=st.booleans(),
)  # fmt: skip
def test_window_nanmedians_is_numpys_nanmedian(seed, rows, cols, size, nan_rate, ties):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, (rows, cols)).astype(float) if ties else rng.normal(100, 30, (rows, cols))
    values[rng.random(values.shape) < nan_rate] = np.nan
    ends = rng.integers(0, rows + 1, 4)
    got = window_nanmedians(values, ends, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "All-NaN slice" on the reference side
        for e, g in zip(ends, got):
            window = values[max(0, e - size) : e]
            want = np.nanmedian(window, axis=0) if len(window) else np.full(cols, np.nan)
            np.testing.assert_array_equal(g, want)


@CASES
@given(
    values=st.lists(st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 1.0, 2.0, float("nan")])), max_size=300),
    kind=st.sampled_from(["ratio_to_high", "minus_low"]), fps=st.sampled_from([5.0, 30.0, 60.0]),
    batch=st.sampled_from([1, 13, 300]),
)  # fmt: skip
def test_the_baseline_is_numpys_percentile_of_the_last_10_s(values, kind, fps, batch):
    times = [i / fps for i in range(len(values))]
    reference = ReferenceSampler(dataclasses.replace(SPECS["lunge"], metrics={"m": dataclasses.replace(
        SPECS["lunge"].metrics["hip_height"], baseline=kind)}))  # fmt: skip
    want = [reference._relative("m", v, t) for v, t in zip(values, times)]
    baseline = _Baseline(kind)
    got: list[float] = []
    for a in range(0, len(values), batch):
        got += baseline.relative_many(values[a : a + batch], times[a : a + batch])
    np.testing.assert_array_equal(got, want)


@CASES
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 60), chunk=st.integers(1, 9))
def test_the_filter_on_a_track_is_the_filter_frame_by_frame(seed, frames, chunk):
    rng = np.random.default_rng(seed)
    x = 300 + np.cumsum(rng.normal(0, 5, (frames, 7, 2)), axis=0)
    x[rng.random(x.shape) < 0.15] = np.nan
    t = np.cumsum(rng.choice([0.0, 0.01, 0.033, 0.2, -0.05], frames))
    restart = rng.random(frames) < 0.05
    kw = {"min_cutoff": rng.uniform(0.1, 3), "beta": rng.uniform(0, 1), "d_cutoff": rng.uniform(0.1, 3)}
    one = OneEuroFilter(**kw)
    want = []
    for k in range(frames):
        if restart[k]:
            one.reset()
        want.append(one.update(x[k], t[k]))
    old = smoothing._CHUNK
    smoothing._CHUNK = chunk  # long tracks are filtered in chunks: make these short ones use several
    try:
        got = OneEuroFilter(**kw).filter_track(x, t, restart)
    finally:
        smoothing._CHUNK = old
    np.testing.assert_array_equal(got, np.array(want))


@CASES
@given(seed=st.integers(0, 2**32 - 1), ties=st.booleans())
def test_the_auto_side_compares_what_numpys_float32_means_compare(seed, ties):
    rng = np.random.default_rng(seed)
    n = 50
    world = (rng.integers(-3, 3, (n, COUNT, 3)) / 8 if ties else rng.normal(0, 0.3, (n, COUNT, 3))).astype(np.float32)
    vis = (rng.integers(0, 4, (n, COUNT)) / 4 if ties else rng.random((n, COUNT))).astype(np.float32)
    has_world = rng.random(n) < 0.5
    got = SideChooser("auto", 0.3).candidates(np.zeros((n, COUNT, 2)), vis, world, has_world, np.zeros(n, int))
    for i in range(n):
        if has_world[i]:
            joints = {s: [INDEX[f"{s}_{j}"] for j in ("shoulder", "hip", "knee", "ankle")] for s in SIDES}
            z = {s: world[i, joints[s], 2].mean() for s in SIDES}
            want = "left" if z["left"] < z["right"] else "right"
        else:
            v = {s: vis[i, [INDEX[f"{s}_hip"], INDEX[f"{s}_knee"]]].mean() for s in SIDES}
            want = "left" if v["left"] >= v["right"] else "right"
        assert got[i] == want, i
