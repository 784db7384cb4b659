"""From a clip description to frames, an mp4 and its ground truth.

The loop: clip -> timeline of parameters -> per-frame pose (builder) -> placed on the floor ->
landmarks (truth) and mesh -> rendered frame -> video writer.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .body import Body, load_body
from .clip import Clip, ClipError
from .kinematics import Pose
from .look import Look
from .motions import EXERCISES, Exercise, Fault, Keyframe, RepTiming, Timeline, fault_value
from .floor_poses import BUILDERS as FLOOR_BUILDERS
from .poses import BUILDERS as STANDING_BUILDERS
from .poses import other, rig_for
from .render import Camera, Renderer, render_background
from .truth import measures, write_truth

Array = np.ndarray
FPS = 30  # the default frame rate (a clip's ``fps``)
#: Bumped whenever the same clip description would render different frames or truth (caches key on it).
GENERATOR_VERSION = 2
TEMPO_JITTER_SEED = 15485863  # per-rep tempo draws use a generator of their own: old clips keep their timing
WIDTH, HEIGHT = 640, 480
TIMING_JITTER = 0.08  # each phase lasts +/- this fraction of its nominal time
FILL = 0.78  # fraction of the frame the motion's bounding box may take
BUILDERS = {**STANDING_BUILDERS, **FLOOR_BUILDERS}
JITTER_ROTATION_DEG_PER_PX = 0.15
JITTER_FREQS_HZ = (0.13, 0.29, 0.71)
MEASURE_SPAN_S = 2.0  # a hold's measures are medians over its first and last this many seconds (as the specs')
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
    #: (T,) whether the person is in view (False during the clip's exits).
    visible: Array | None = None
    #: Per frame, a key equal for frames with the same pose (their meshes are identical).
    keys: list[tuple] | None = None


def _with_fault(values: dict[str, float], fault: Fault | None, phase: str, size: float | None) -> dict[str, float]:
    """``values`` with a fault's changes for ``phase`` applied (unchanged when there is no fault)."""
    if fault is None or size is None:
        return values
    changed = {k: fault_value(fault, phase, k, size, v) for k, v in values.items()}
    return {k: v if changed[k] is None else changed[k] for k, v in values.items()}  # type: ignore[misc]


def build_timeline(clip: Clip, ex: Exercise) -> Timeline:
    """Keyframes for a clip: lead-in stillness, each rep's phases (or each hold stretch), lead-out.

    A clip with ``start_phase`` starts inside its first rep (that rep is partial); a rep overlapping
    one of the clip's ``exits`` is partial too.

    Raises:
        ClipError: an exit starts after the clip's end.
    """
    rng = np.random.default_rng(clip.seed)
    tempo_rng = np.random.default_rng(clip.seed + TEMPO_JITTER_SEED)
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
            tempo = clip.tempo
            if clip.tempo_jitter > 0:
                tempo *= 1.0 + tempo_rng.uniform(-clip.tempo_jitter, clip.tempo_jitter)
            for phase in ex.phases:
                t += phase.seconds / tempo * (1.0 + rng.uniform(-TIMING_JITTER, TIMING_JITTER))
                values = _with_fault({**current, **phase.values}, fault, phase.name, size)
                keys.append(Keyframe(t, values))
                current = values
                if phase.name == ex.key_phase:
                    key_s = t - phase.seconds / tempo / 2
                    requested = dict(values)
            reps.append(RepTiming(i + 1, side, start, t, key_s, fault.labels if fault else (),
                                  (size,) if size is not None else (), requested))
            t += clip.rest_s if clip.rest_s is not None else ex.rest_s / clip.tempo
            keys.append(Keyframe(t, dict(current)))
    else:
        first = clip.holds[0].side or clip.first_side
        sides.append((0.0, first))
        good = dict(ex.phases[0].values)
        hold_start, hold_s = t, sum(h.seconds for h in clip.holds)

        def settled(values: dict[str, float], at: float) -> dict[str, float]:
            """``values`` with the drifting parameters at time ``at`` of the hold."""
            w = (at - hold_start) / hold_s
            return {**values, **{k: a + (b - a) * w for k, (a, b) in ex.settle.items()}}

        for i, hold in enumerate(clip.holds):
            fault = ex.faults[hold.fault] if hold.fault else None
            size = (hold.size if hold.size is not None else fault.default_size) if fault else None
            values = _with_fault(dict(good), fault, ex.phases[0].name, size)
            start = t
            settle_at = t + min(ex.transition_s, hold.seconds / 2)
            keys.append(Keyframe(settle_at, settled(values, settle_at)))
            t += hold.seconds
            keys.append(Keyframe(t, settled(values, t)))
            reps.append(RepTiming(i + 1, hold.side or first, start, t, (start + t) / 2,
                                  fault.labels if fault else (), (size,) if size is not None else (),
                                  values))
    t += clip.lead_out_s
    keys.append(Keyframe(t, dict(keys[-1].values)))
    timeline = Timeline(keys, sides, reps, t)
    if clip.start_phase > 0:
        timeline = _start_inside_first_rep(timeline, clip.start_phase)
    return _with_exits(timeline, clip)


def _start_inside_first_rep(tl: Timeline, phase: float) -> Timeline:
    """The timeline shifted so that it starts ``phase`` of the way into its first rep (the keyframes
    before the start stay, at negative times, so the motion runs on exactly as it would have)."""
    first = tl.reps[0]
    offset = first.start_s + phase * (first.end_s - first.start_s)
    keys = [Keyframe(k.t - offset, k.values) for k in tl.keyframes]
    sides = [(start - offset, side) for start, side in tl.sides]
    reps = [dataclasses.replace(r, start_s=max(0.0, r.start_s - offset), end_s=r.end_s - offset,
                                key_s=r.key_s - offset, partial=r.partial or r.index == first.index)
            for r in tl.reps]
    return Timeline(keys, sides, reps, tl.duration_s - offset)


def _with_exits(tl: Timeline, clip: Clip) -> Timeline:
    """The clip's exits (cut at its end) on the timeline; reps that overlap one become partial."""
    exits = []
    for i, (start, seconds) in enumerate(clip.exits):
        if start >= tl.duration_s:
            raise ClipError(f"{clip.name or clip.exercise}: exits[{i}] starts at {start:g} s but the clip "
                            f"lasts {tl.duration_s:.1f} s; expected a start inside the clip")
        exits.append((start, min(start + seconds, tl.duration_s)))
    if not exits:
        return tl
    reps = tl.reps
    if clip.reps:
        reps = [dataclasses.replace(r, partial=r.partial or any(a < r.end_s and b > r.start_s for a, b in exits))
                for r in reps]
    return Timeline(tl.keyframes, tl.sides, reps, tl.duration_s, exits)


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
    n = round(timeline.duration_s * clip.fps)
    times = np.arange(n) / clip.fps
    builder = BUILDERS[ex.id]
    turn = ex.head_turn_deg * camera_side_sign(clip)
    ax, az = ex.anchors
    poses, sides, params, keys = [], [], [], []
    lms = np.empty((n, 33, 3))
    previous: tuple | None = None
    for i, t in enumerate(times):
        p = {**ex.constants, **timeline.params_at(float(t))}
        p["head_turn"] = turn
        side = timeline.side_at(float(t))
        key = (tuple(p.items()), side)
        if key == previous:  # a still moment: the same pose as the frame before (building it is costly)
            poses.append(poses[-1])
            sides.append(side)
            params.append(p)
            keys.append(key)
            lms[i] = lms[i - 1]
            continue
        previous = key
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
        keys.append(key)
        lms[i] = body.landmarks(pose, verts + shift, (g, q + shift))
    visible = np.ones(n, bool)
    for a, b in timeline.exits:
        visible[(times >= a) & (times < b)] = False
    return Motion(times, poses, sides, params, lms, timeline, visible, keys)


def body_for(clip: Clip) -> Body:
    """The clip's body: its variant, scaled by ``body_scale``."""
    return _scaled_body(clip.body, clip.body_scale)


@lru_cache(maxsize=8)
def _scaled_body(variant: str, scale: float) -> Body:
    body = load_body(variant)
    if scale == 1.0:
        return body
    return dataclasses.replace(body, vertices=body.vertices * scale, pivots=body.pivots * scale,
                               hand_points=body.hand_points * scale)


def camera_side_sign(clip: Clip) -> float:
    """+1 when the camera is on the person's left (+x), -1 on their right, 0 straight in front."""
    if clip.camera.yaw == 0.0:
        return 0.0
    return 1.0 if clip.camera.facing == "left" else -1.0


def camera_direction(clip: Clip) -> Array:
    """Horizontal unit vector from the body's centre towards the camera, in the exercise frame (x = the
    person's left, z = their front: the heading, the feet end of a bridge, the belly of a clamshell)."""
    yaw = clip.camera.yaw
    sign = camera_side_sign(clip)
    # The view names' exact vectors, so clips written with them render as they always have.
    if yaw == 90.0:
        return np.array([sign, 0.0, 0.0])
    if yaw == 0.0:
        return np.array([0.0, 0.0, 1.0])
    if yaw == 45.0:
        return np.array([sign, 0.0, 1.0]) / np.sqrt(2.0)
    a = np.radians(yaw)
    return np.array([sign * np.sin(a), 0.0, np.cos(a)])


def place_camera(clip: Clip, landmarks: Array) -> Camera:
    """A camera for the clip's view that keeps the whole motion in the frame (or at its distance)."""
    spec = clip.camera
    lo = np.nanmin(landmarks.reshape(-1, 3), axis=0)
    hi = np.nanmax(landmarks.reshape(-1, 3), axis=0)
    centre = (lo + hi) / 2
    direction = camera_direction(clip)
    height = spec.height_m if spec.height_m is not None else EXERCISES[clip.exercise].camera_height_m
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
    if spec.pitch_deg is not None:
        pitch = np.radians(spec.pitch_deg)
        position = centre + (direction * np.cos(pitch) + np.array([0.0, np.sin(pitch), 0.0])) * distance
    else:
        position = centre + direction * distance
        position[1] = height
    target = centre.copy()
    return Camera(position, target, WIDTH, HEIGHT, spec.hfov_deg)


def jitter_transforms(n: int, amplitude_px: float, seed: int, fps: int = FPS) -> Array:
    """(n,2,3) small, smooth image warps (shift and rotation about the centre) imitating a hand-free
    but not rock-steady camera."""
    rng = np.random.default_rng(seed + 7919)
    t = np.arange(n) / fps
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
    fps: int = FPS


def choose_look(clip: Clip) -> Look:
    """The clip's look: given fields as they are, the rest from the clip's seed."""
    rng = np.random.default_rng(clip.seed + 104729)
    return Look.choose(rng, **clip.look)


def _mat_placement(ex: Exercise, lm: Array) -> tuple[Array, Array]:
    """Centre and long axis of the exercise mat: under the lying body, or along the heading."""
    hips = (lm[23] + lm[24]) / 2
    if ex.mat == "heading":
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
    ex = EXERCISES[clip.exercise]
    if ex.mat != "none" and look.mat != "none":
        mat_centre, mat_axis = _mat_placement(ex, motion.landmarks[0])
    centre = np.nanmean(motion.landmarks.reshape(-1, 3), axis=0)
    centre[1] = 0.0
    background, floor = render_background(camera, look, centre, mat_centre, mat_axis, clip.seed)
    renderer = Renderer(body, camera, look, background, floor)
    visible = motion.visible if motion.visible is not None else np.ones(len(motion.poses), bool)
    keys = motion.keys or [None] * len(motion.poses)
    previous: object = object()
    drawn = None
    for pose, warp, seen, key in zip(motion.poses, warps, visible, keys):
        # Still moments (and exits) repeat the frame before, up to the camera shake: draw it once.
        key = key if seen else "out of view"
        if drawn is None or key is None or key != previous:
            drawn = renderer.draw(body.skin(pose) if seen else None)
        previous = key
        yield renderer.shake(drawn, warp)


def summarise(clip: Clip, ex: Exercise, motion: Motion, camera: Camera, px: Array, look: Look,
              body: Body) -> dict[str, Any]:
    """The truth JSON: report.json's shape plus the clip description and requested values."""
    n = len(motion.times)
    fps = clip.fps
    forward = float(np.sign(camera.rotation[0] @ np.array([0.0, 0.0, 1.0]))) or 1.0
    near = "left" if camera.position[0] > 0 else "right"

    def frame_at(t: float) -> int:
        return int(np.clip(round(t * fps), 0, n - 1))

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
                "partial": r.partial,
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
        start, end = 0.0, n / fps
        good = _good_hold_seconds(ex, motion, start, end, fps)
        span = max(1, round(MEASURE_SPAN_S * fps))

        def measured(name: str, frames: range) -> float:
            return round(float(np.median([measure(i, segs[0].side)[name] for i in frames])), 3)

        holds.append({
            "side": segs[0].side, "start_s": round(start, 3), "end_s": round(end, 3), "good_form_s": round(good, 3),
            "faults": sorted({f for s in segs for f in s.faults}),
            "measures": {name: [measured(name, range(0, min(span, n))), measured(name, range(max(0, n - span), n))]
                         for name in ex.hold_measures},
            "segments": [
                {"start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3), "faults": list(s.faults),
                 "fault_sizes": list(s.sizes), "true_angles": measure(frame_at(s.key_s), s.side),
                 "requested": {k: round(v, 3) for k, v in s.requested.items()}}
                for s in segs
            ],
        })
    by_side: dict[str, int] = {}
    full = [r for r in reps if not r["partial"]]
    if ex.sided and ex.kind == "reps":
        by_side = {"left": sum(r["side"] == "left" for r in full), "right": sum(r["side"] == "right" for r in full)}
    rel = camera.position - camera.target
    return {
        "exercise": ex.id,
        "view": clip.camera.view if clip.camera.yaw_deg is None else view_name(clip.camera.yaw),
        "view_deg": round(clip.camera.yaw, 2),
        "fps": fps,
        "frames": n,
        "duration_s": round(n / fps, 3),
        "rep_count": len(full),
        "rep_count_by_side": by_side,
        "reps": reps,
        "holds": holds,
        "exits": [{"start_s": round(a, 3), "end_s": round(b, 3)} for a, b in motion.timeline.exits],
        "clip": clip.to_dict(),
        "camera": {"position_m": [round(float(v), 3) for v in camera.position],
                   "target_m": [round(float(v), 3) for v in camera.target], "hfov_deg": camera.hfov_deg,
                   "near_side": near, "faces_image": "right" if forward > 0 else "left",
                   "pitch_deg": round(float(np.degrees(np.arctan2(rel[1], np.hypot(rel[0], rel[2])))), 2)},
        "look": look.__dict__,
        "body": {"variant": body.variant, "scale": clip.body_scale},
        "generator": "posecheck.synth",
        "generator_version": GENERATOR_VERSION,
    }


def view_name(yaw_deg: float) -> str:
    """The view name nearest a yaw: front (< 22.5 deg), oblique, side (>= 67.5 deg)."""
    return "front" if yaw_deg < 22.5 else "oblique" if yaw_deg < 67.5 else "side"


def _good_hold_seconds(ex: Exercise, motion: Motion, start: float, end: float, fps: int = FPS) -> float:
    """Seconds of the hold in view whose faulted parameters stay near their good values."""
    good = ex.phases[0].values
    sizes = {p: abs(f.default_size) for f in ex.faults.values() for rule in f.changes.values() for p in rule}
    visible = motion.visible if motion.visible is not None else np.ones(len(motion.times), bool)
    ok = 0
    for t, p, seen in zip(motion.times, motion.params, visible):
        if seen and start <= t < end and all(abs(p[k] - good[k]) <= GOOD_TOLERANCE * s for k, s in sizes.items()):
            ok += 1
    return ok / fps


def render_clip(clip: Clip, out_dir: str | Path, stem: str | None = None) -> RenderResult:
    """Render ``clip`` to ``out_dir/<stem>.mp4`` with its truth files beside it.

    Returns the paths and the wall time taken.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or clip.name or clip.exercise
    ex = EXERCISES[clip.exercise]
    body = body_for(clip)
    motion = plan_motion(clip, body)
    camera = place_camera(clip, motion.landmarks)
    warps = jitter_transforms(len(motion.times), clip.camera.jitter_px, clip.seed, clip.fps)
    px, inside = project_truth(camera, motion.landmarks, warps)
    look = choose_look(clip)
    video = out_dir / f"{stem}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), clip.fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write video {video}")
    try:
        for frame in render_frames(clip, body, motion, camera, look, warps):
            writer.write(frame)
    finally:
        writer.release()
    mid_hip = (motion.landmarks[:, 23] + motion.landmarks[:, 24]) / 2
    summary = summarise(clip, ex, motion, camera, px, look, body)
    away = ~motion.visible if motion.visible is not None else np.zeros(len(px), bool)
    arrays = {
        "t_ms": motion.times * 1000.0,
        "image_px": np.where(away[:, None, None], np.nan, px),  # out of view: nowhere in the image
        "world_m": motion.landmarks - mid_hip[:, None, :],
        "in_frame": inside & ~away[:, None],
    }
    j, z = write_truth(out_dir / stem, summary, arrays)
    return RenderResult(video, j, z, len(motion.times), time.perf_counter() - t0, clip.fps)
