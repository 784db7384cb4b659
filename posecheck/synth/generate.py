"""From a clip description to frames, an mp4 and its ground truth.

The loop: clip -> timeline of parameters -> per-frame pose (builder) -> placed on the floor ->
landmarks (truth) and mesh -> rendered frame -> video writer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .body import Body, load_body
from .clip import Clip
from .kinematics import Pose
from .look import Look
from .motions import EXERCISES, Exercise, Fault, Keyframe, RepTiming, Timeline, fault_value
from .poses import BUILDERS, other, rig_for
from .render import Camera, Renderer, render_background
from .truth import measures, write_truth

Array = np.ndarray
FPS = 30
WIDTH, HEIGHT = 640, 480
TIMING_JITTER = 0.08  # each phase lasts +/- this fraction of its nominal time
FILL = 0.78  # fraction of the frame the motion's bounding box may take
HEAD_TURN_DEG = {"glute_bridge": 35.0, "lunge": 15.0, "clamshell": 0.0, "hip_flexor_stretch": 20.0}
# Which point holds still horizontally (x, z): a segment pivot name ("{side}" = the rep's side,
# "{other}" = the other one) or "origin" to keep the pelvis on that axis.
ANCHORS: dict[str, tuple[str, str]] = {
    "glute_bridge": ("origin", "foot_l"),
    "lunge": ("origin", "toes_{other}"),
    "clamshell": ("origin", "origin"),
    "hip_flexor_stretch": ("origin", "shin_{side}"),
}
DEFAULT_HEIGHT_M = {"glute_bridge": 0.55, "lunge": 0.9, "clamshell": 0.3, "hip_flexor_stretch": 0.75}
# Exercises done on a mat, and how it lies: along the lying body, or along the heading under the hips.
MAT_EXERCISES = {"glute_bridge": "body", "clamshell": "body", "hip_flexor_stretch": "heading"}
JITTER_ROTATION_DEG_PER_PX = 0.15
JITTER_FREQS_HZ = (0.13, 0.29, 0.71)
GOOD_TOLERANCE = 0.5  # a hold frame is good while each faulted parameter is within this share of the fault


@dataclass
class Motion:
    """Per-frame poses (placed on the floor), landmarks and the timeline they came from."""

    times: Array
    poses: list[Pose]
    sides: list[str | None]
    params: list[dict[str, float]]
    landmarks: Array  # (T,33,3) world
    timeline: Timeline


def _with_fault(values: dict[str, float], fault: Fault | None, phase: str, size: float | None) -> dict[str, float]:
    """``values`` with a fault's changes for ``phase`` applied (unchanged when there is no fault)."""
    if fault is None or size is None:
        return values
    changed = {k: fault_value(fault, phase, k, size, v) for k, v in values.items()}
    return {k: v if changed[k] is None else changed[k] for k, v in values.items()}  # type: ignore[misc]


def build_timeline(clip: Clip, ex: Exercise) -> Timeline:
    """Keyframes for a clip: lead-in stillness, each rep's phases (or each hold stretch), lead-out."""
    rng = np.random.default_rng(clip.seed)
    current = dict(ex.start)
    keys = [Keyframe(0.0, dict(current))]
    t = clip.lead_in_s
    keys.append(Keyframe(t, dict(current)))
    sides: list[tuple[float, str | None]] = []
    reps: list[RepTiming] = []

    def side_of(i: int, given: str | None) -> str | None:
        if not ex.sided:
            return None
        if given is not None:
            return given
        if clip.alternate:
            return clip.first_side if i % 2 == 0 else other(clip.first_side)
        return clip.first_side

    # Parameters a fault may change go back to their good values at the start of every rep.
    faulted = {param for f in ex.faults.values() for rule in f.changes.values() for param in rule}
    if ex.kind == "reps":
        sides.append((0.0, side_of(0, clip.reps[0].side)))
        for i, rep in enumerate(clip.reps):
            side = side_of(i, rep.side)
            sides.append((t, side))
            start = t
            key_s = t
            requested: dict[str, float] = {}
            fault = ex.faults[rep.fault] if rep.fault else None
            size = (rep.size if rep.size is not None else fault.default_size) if fault else None
            current.update({k: v for k, v in ex.start.items() if k in faulted})
            for phase in ex.phases:
                t += phase.seconds / clip.tempo * (1.0 + rng.uniform(-TIMING_JITTER, TIMING_JITTER))
                values = _with_fault({**current, **phase.values}, fault, phase.name, size)
                keys.append(Keyframe(t, values))
                current = values
                if phase.name == ex.key_phase:
                    key_s = t - phase.seconds / clip.tempo / 2
                    requested = dict(values)
            reps.append(RepTiming(i + 1, side, start, t, key_s, fault.labels if fault else (),
                                  (size,) if size is not None else (), requested))
            t += ex.rest_s / clip.tempo
            keys.append(Keyframe(t, dict(current)))
    else:
        first = clip.holds[0].side or clip.first_side
        sides.append((0.0, first))
        good = dict(ex.phases[0].values)
        for i, hold in enumerate(clip.holds):
            fault = ex.faults[hold.fault] if hold.fault else None
            size = (hold.size if hold.size is not None else fault.default_size) if fault else None
            values = _with_fault(dict(good), fault, ex.phases[0].name, size)
            start = t
            keys.append(Keyframe(t + min(ex.transition_s, hold.seconds / 2), dict(values)))
            t += hold.seconds
            keys.append(Keyframe(t, dict(values)))
            reps.append(RepTiming(i + 1, hold.side or first, start, t, (start + t) / 2,
                                  fault.labels if fault else (), (size,) if size is not None else (),
                                  values))
    t += clip.lead_out_s
    keys.append(Keyframe(t, dict(keys[-1].values)))
    return Timeline(keys, sides, reps, t)


def _anchor_point(name: str, side: str | None, body: Body, q: Array) -> Array | None:
    if name == "origin":
        return None
    s = side or "left"
    return q[body.seg(name.format(side=s[0], other=other(s)[0]))]


def plan_motion(clip: Clip, body: Body) -> Motion:
    """Poses and world landmarks of every frame, each placed on the floor and anchored."""
    ex = EXERCISES[clip.exercise]
    rig = rig_for(body)
    timeline = build_timeline(clip, ex)
    n = round(timeline.duration_s * FPS)
    times = np.arange(n) / FPS
    builder = BUILDERS[ex.id]
    turn = HEAD_TURN_DEG[ex.id] * camera_side_sign(clip)
    ax, az = ANCHORS[ex.id]
    poses, sides, params = [], [], []
    lms = np.empty((n, 33, 3))
    for i, t in enumerate(times):
        p = {**ex.constants, **timeline.params_at(float(t))}
        p["head_turn"] = turn
        side = timeline.side_at(float(t))
        pose = builder(rig, p, side)  # type: ignore[arg-type]
        g, q = body.transforms(pose)
        verts = body.skin(pose, (g, q))
        shift = np.zeros(3)
        shift[1] = -verts[:, 1].min()
        for axis, name in ((0, ax), (2, az)):
            point = _anchor_point(name, side, body, q)
            shift[axis] = -(point[axis] if point is not None else q[0][axis])
        pose.root = pose.root + shift
        poses.append(pose)
        sides.append(side)
        params.append(p)
        lms[i] = body.landmarks(pose, verts + shift, (g, q + shift))
    return Motion(times, poses, sides, params, lms, timeline)


def camera_side_sign(clip: Clip) -> float:
    """+1 when the camera is on the person's left (+x), -1 on their right, 0 straight in front."""
    if clip.camera.view == "front":
        return 0.0
    return 1.0 if clip.camera.facing == "left" else -1.0


def place_camera(clip: Clip, landmarks: Array) -> Camera:
    """A camera for the clip's view that keeps the whole motion in the frame (or at its distance)."""
    spec = clip.camera
    lo = np.nanmin(landmarks.reshape(-1, 3), axis=0)
    hi = np.nanmax(landmarks.reshape(-1, 3), axis=0)
    centre = (lo + hi) / 2
    sign = camera_side_sign(clip)
    if spec.view == "side":
        direction = np.array([sign, 0.0, 0.0])
    elif spec.view == "front":
        direction = np.array([0.0, 0.0, 1.0])
    else:
        direction = np.array([sign, 0.0, 1.0]) / np.sqrt(2.0)
    height = spec.height_m if spec.height_m is not None else DEFAULT_HEIGHT_M[clip.exercise]
    if spec.distance_m is not None:
        distance = spec.distance_m
    else:
        across = np.cross(direction, [0.0, 1.0, 0.0])
        pts = landmarks.reshape(-1, 3) - centre
        half_w = np.nanmax(np.abs(pts @ across)) + 0.12
        half_h = (hi[1] - lo[1]) / 2 + 0.12
        depth = np.nanmax(np.abs(pts @ direction))
        tan_h = np.tan(np.radians(spec.hfov_deg) / 2)
        tan_v = tan_h * HEIGHT / WIDTH
        distance = max(half_w / (tan_h * FILL), half_h / (tan_v * FILL)) + depth
    position = centre + direction * distance
    position[1] = height
    target = centre.copy()
    return Camera(position, target, WIDTH, HEIGHT, spec.hfov_deg)


def jitter_transforms(n: int, amplitude_px: float, seed: int) -> Array:
    """(n,2,3) small, smooth image warps (shift and rotation about the centre) imitating a hand-free
    but not rock-steady camera."""
    rng = np.random.default_rng(seed + 7919)
    t = np.arange(n) / FPS
    out = np.zeros((n, 2, 3))
    comps = []
    for _ in range(3):
        phases = rng.uniform(0, 2 * np.pi, len(JITTER_FREQS_HZ))
        weights = rng.uniform(0.5, 1.0, len(JITTER_FREQS_HZ))
        wave = sum(w * np.sin(2 * np.pi * f * t + ph) for w, f, ph in zip(weights, JITTER_FREQS_HZ, phases))
        comps.append(wave / sum(weights))
    for i in range(n):
        angle = comps[2][i] * amplitude_px * JITTER_ROTATION_DEG_PER_PX
        m = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), angle, 1.0)
        m[:, 2] += (comps[0][i] * amplitude_px, comps[1][i] * amplitude_px)
        out[i] = m
    return out


def project_truth(camera: Camera, landmarks: Array, warps: Array) -> tuple[Array, Array]:
    """Image positions (T,33,2) after each frame's warp, and whether each lies inside the image."""
    px, depth = camera.project(landmarks)
    ones = np.ones(px.shape[:-1] + (1,))
    warped = np.einsum("tij,tkj->tki", warps, np.concatenate([px, ones], axis=-1))
    inside = (
        (depth > 0) & (warped[..., 0] >= 0) & (warped[..., 0] < camera.width)
        & (warped[..., 1] >= 0) & (warped[..., 1] < camera.height)
    )
    return warped, inside


@dataclass(frozen=True)
class RenderResult:
    """Paths written and timing of one clip."""

    video: Path
    truth_json: Path
    truth_npz: Path
    frames: int
    seconds: float


def choose_look(clip: Clip) -> Look:
    """The clip's look: given fields as they are, the rest from the clip's seed."""
    rng = np.random.default_rng(clip.seed + 104729)
    return Look.choose(rng, **clip.look)


def _mat_placement(exercise: str, lm: Array) -> tuple[Array, Array]:
    """Centre and long axis of the exercise mat: under the lying body, or along the heading."""
    hips = (lm[23] + lm[24]) / 2
    if MAT_EXERCISES[exercise] == "heading":
        return np.array([hips[0], 0.0, hips[2]]), np.array([0.0, 0.0, 1.0])
    head, feet = lm[0], (lm[27] + lm[28]) / 2
    axis = head - hips
    axis[1] = 0.0
    axis /= np.linalg.norm(axis) + 1e-9
    mid = (head + feet) / 2
    return np.array([mid[0], 0.0, mid[2]]), axis


def render_frames(clip: Clip, body: Body, motion: Motion, camera: Camera, look: Look,
                  warps: Array) -> Iterator[Array]:
    """BGR frames of the clip, one per pose."""
    mat_centre = mat_axis = None
    if clip.exercise in MAT_EXERCISES and look.mat != "none":
        mat_centre, mat_axis = _mat_placement(clip.exercise, motion.landmarks[0])
    centre = np.nanmean(motion.landmarks.reshape(-1, 3), axis=0)
    centre[1] = 0.0
    background, floor = render_background(camera, look, centre, mat_centre, mat_axis, clip.seed)
    renderer = Renderer(body, camera, look, background, floor)
    for pose, warp in zip(motion.poses, warps):
        yield renderer.render(body.skin(pose), warp)


def summarise(clip: Clip, ex: Exercise, motion: Motion, camera: Camera, px: Array, look: Look,
              body: Body) -> dict[str, Any]:
    """The truth JSON: report.json's shape plus the clip description and requested values."""
    n = len(motion.times)
    forward = float(np.sign(camera.rotation[0] @ np.array([0.0, 0.0, 1.0]))) or 1.0
    near = "left" if camera.position[0] > 0 else "right"

    def frame_at(t: float) -> int:
        return int(np.clip(round(t * FPS), 0, n - 1))

    def measure(i: int, side: str | None) -> dict[str, float]:
        world = motion.landmarks[i] - (motion.landmarks[i, 23] + motion.landmarks[i, 24]) / 2
        return {k: round(v, 2) for k, v in measures(ex.id, px[i], world, side, forward, near).items()}

    reps, holds = [], []
    if ex.kind == "reps":
        for r in motion.timeline.reps:
            item = {
                "index": r.index, "side": r.side, "start_s": round(r.start_s, 3), "end_s": round(r.end_s, 3),
                "faults": list(r.faults), "true_angles": measure(frame_at(r.key_s), r.side),
                "key_s": round(r.key_s, 3), "fault_sizes": list(r.sizes),
                "requested": {k: round(v, 3) for k, v in r.requested.items()},
            }
            if ex.id == "clamshell":
                # The spec compares the on-screen hip distance with its start-of-set value.
                start_width = measure(0, r.side)["hip_width_px"]
                item["true_angles"]["hip_width_ratio"] = round(item["true_angles"]["hip_width_px"] / start_width, 3)
            if ex.id == "glute_bridge":
                lo, hi = frame_at(r.start_s), frame_at(r.end_s)
                peak = max(measure(i, r.side)["hip_line"] for i in range(lo, hi + 1))
                item["true_angles"]["peak_hip_line"] = round(peak, 2)
            reps.append(item)
    else:
        segs = motion.timeline.reps
        # The person is in position from the first frame to the last: the lead-in and lead-out are held too.
        start, end = 0.0, n / FPS
        good = _good_hold_seconds(ex, motion, start, end)
        holds.append({
            "side": segs[0].side, "start_s": round(start, 3), "end_s": round(end, 3), "good_form_s": round(good, 3),
            "faults": sorted({f for s in segs for f in s.faults}),
            "segments": [
                {"start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3), "faults": list(s.faults),
                 "fault_sizes": list(s.sizes), "true_angles": measure(frame_at(s.key_s), s.side),
                 "requested": {k: round(v, 3) for k, v in s.requested.items()}}
                for s in segs
            ],
        })
    by_side: dict[str, int] = {}
    if ex.sided and ex.kind == "reps":
        by_side = {"left": sum(r["side"] == "left" for r in reps), "right": sum(r["side"] == "right" for r in reps)}
    return {
        "exercise": ex.id,
        "view": clip.camera.view,
        "fps": FPS,
        "frames": n,
        "duration_s": round(n / FPS, 3),
        "rep_count": len(reps),
        "rep_count_by_side": by_side,
        "reps": reps,
        "holds": holds,
        "clip": clip.to_dict(),
        "camera": {"position_m": [round(float(v), 3) for v in camera.position],
                   "target_m": [round(float(v), 3) for v in camera.target], "hfov_deg": camera.hfov_deg,
                   "near_side": near, "faces_image": "right" if forward > 0 else "left"},
        "look": look.__dict__,
        "body": {"variant": body.variant},
        "generator": "posecheck.synth",
    }


def _good_hold_seconds(ex: Exercise, motion: Motion, start: float, end: float) -> float:
    """Seconds of the hold whose faulted parameters stay near their good values."""
    good = ex.phases[0].values
    sizes = {p: abs(f.default_size) for f in ex.faults.values() for rule in f.changes.values() for p in rule}
    ok = 0
    for t, p in zip(motion.times, motion.params):
        if start <= t < end and all(abs(p[k] - good[k]) <= GOOD_TOLERANCE * s for k, s in sizes.items()):
            ok += 1
    return ok / FPS


def render_clip(clip: Clip, out_dir: str | Path, stem: str | None = None) -> RenderResult:
    """Render ``clip`` to ``out_dir/<stem>.mp4`` with its truth files beside it.

    Returns the paths and the wall time taken.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or clip.name or clip.exercise
    ex = EXERCISES[clip.exercise]
    body = load_body(clip.body)
    motion = plan_motion(clip, body)
    camera = place_camera(clip, motion.landmarks)
    warps = jitter_transforms(len(motion.times), clip.camera.jitter_px, clip.seed)
    px, inside = project_truth(camera, motion.landmarks, warps)
    look = choose_look(clip)
    video = out_dir / f"{stem}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write video {video}")
    try:
        for frame in render_frames(clip, body, motion, camera, look, warps):
            writer.write(frame)
    finally:
        writer.release()
    mid_hip = (motion.landmarks[:, 23] + motion.landmarks[:, 24]) / 2
    arrays = {
        "t_ms": motion.times * 1000.0,
        "image_px": px,
        "world_m": motion.landmarks - mid_hip[:, None, :],
        "in_frame": inside,
    }
    summary = summarise(clip, ex, motion, camera, px, look, body)
    j, z = write_truth(out_dir / stem, summary, arrays)
    return RenderResult(video, j, z, len(motion.times), time.perf_counter() - t0)
