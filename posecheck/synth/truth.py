"""Ground truth beside each clip, and reading it back.

``<stem>.truth.npz`` holds, for T frames:

- ``t_ms`` (T,) float64: frame timestamps in milliseconds.
- ``image_px`` (T,33,2) float32: the landmarks projected into the image, in pixels (x right, y down,
  the image's top-left corner at 0,0; a pixel's centre at +0.5), in MediaPipe Pose's 33-landmark
  order; "left" is the person's left.
- ``world_m`` (T,33,3) float32: the same landmarks in metres, origin at the mid-hip, **y up**,
  x and z horizontal (z = the person's heading for standing exercises).
- ``in_frame`` (T,33) bool: the landmark projects inside the image (it may still be hidden by the
  body itself). False, and ``image_px`` NaN, while the person is out of view (the clip's ``exits``).

``<stem>.truth.json`` has the shape of the analyser's report.json (exercise, view, fps, frames,
duration_s, rep_count, rep_count_by_side, reps, holds) plus the clip description, the camera and
per-rep requested values; ``view_deg`` is the camera's yaw from the person's front as rendered (0 front,
90 side-on) and ``exits`` the spans out of view (``start_s``, ``end_s``). Each rep has ``partial``: true
for a rep the clip starts inside (``start_phase``) or that overlaps an exit; ``rep_count`` and
``rep_count_by_side`` count only the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..landmarks import INDEX, MIDPOINTS, OTHER_SIDE
from ..metrics import angle as _angle
from ..metrics import angle_3d, line_angle, tilt

Array = np.ndarray
NPZ_KEYS = ("t_ms", "image_px", "world_m", "in_frame")


def angle(a: Array, b: Array, c: Array) -> float:
    return float(_angle(a, b, c))


def angle3(a: Array, b: Array, c: Array) -> float:
    return float(angle_3d(a, b, c))


def line_angle_up(a: Array, b: Array, c: Array) -> float:
    return float(line_angle(a, b, c, "up"))


def tilt_from_vertical(p0: Array, p1: Array, forward_sign: float) -> float:
    return float(tilt(p0, p1, "vertical", forward_sign))


def _pt(px: Array, name: str) -> Array:
    """Landmark or midpoint ``name`` (see posecheck.landmarks) in one frame's (33, 2) pixels."""
    if name in MIDPOINTS:
        a, b = MIDPOINTS[name]
        return (px[INDEX[a]] + px[INDEX[b]]) / 2
    return px[INDEX[name]]


def measures(exercise: str, px: Array, world: Array, side: str | None, forward_sign: float,
             near: str) -> dict[str, float]:
    """The spec metrics of one frame computed from true 2D landmarks (and 3D where noted).

    ``side`` is the rep's side (front leg, top leg or back leg), ``near`` the side nearer the camera,
    ``forward_sign`` the image x direction of the person's heading (+1 right, -1 left).
    """
    def named(name: str) -> str:
        return name.format(side=side, other=OTHER_SIDE.get(side, "right"), near=near)

    def p(name: str) -> Array:
        return _pt(px, named(name))

    def w(name: str) -> Array:
        return _pt(world, named(name))

    if exercise == "glute_bridge":
        return {
            "hip_line": line_angle_up(p("{near}_shoulder"), p("{near}_hip"), p("{near}_knee")),
            "knee": angle(p("{near}_hip"), p("{near}_knee"), p("{near}_ankle")),
        }
    if exercise == "lunge":
        return {
            "front_knee": angle(p("{side}_hip"), p("{side}_knee"), p("{side}_ankle")),
            "back_knee": angle(p("{other}_hip"), p("{other}_knee"), p("{other}_ankle")),
            "torso": tilt_from_vertical(p("mid_hip"), p("mid_shoulder"), forward_sign),
            "shin": tilt_from_vertical(p("{side}_ankle"), p("{side}_knee"), forward_sign),
        }
    if exercise == "clamshell":
        thigh = float(np.linalg.norm(p("{side}_hip") - p("{side}_knee")))
        roll = _pelvis_roll(world)
        return {
            "opening": angle(p("{side}_knee"), p("mid_hip"), p("{other}_knee")),
            "feet_gap": float(np.linalg.norm(p("left_ankle") - p("right_ankle"))) / thigh,
            "hip_width_px": float(np.linalg.norm(p("left_hip") - p("right_hip"))),
            "pelvis_roll_3d": roll,
        }
    if exercise == "hip_flexor_stretch":
        return {
            "front_knee": angle(p("{other}_hip"), p("{other}_knee"), p("{other}_ankle")),
            "back_knee": angle(p("{side}_hip"), p("{side}_knee"), p("{side}_ankle")),
            "torso": tilt_from_vertical(p("mid_hip"), p("mid_shoulder"), forward_sign),
            "back_thigh": tilt_from_vertical(p("{side}_knee"), p("{side}_hip"), forward_sign),
        }
    if exercise == "butterfly_stretch":
        floor = max(p("left_ankle")[1], p("right_ankle")[1])
        shoulders = float(np.linalg.norm(p("left_shoulder") - p("right_shoulder")))
        return {
            "left_knee_height": float(floor - p("left_knee")[1]) / shoulders,
            "right_knee_height": float(floor - p("right_knee")[1]) / shoulders,
            "torso_3d": _tilt_3d(w("mid_hip"), w("mid_shoulder")),
            "left_knee_3d": angle3(w("left_hip"), w("left_knee"), w("left_ankle")),
            "right_knee_3d": angle3(w("right_hip"), w("right_knee"), w("right_ankle")),
        }
    if exercise == "pigeon_stretch":
        return {
            "back_knee": angle(p("{other}_hip"), p("{other}_knee"), p("{other}_ankle")),
            "hip_level": float(tilt(p("left_hip"), p("right_hip"), "horizontal")),
            "front_knee_3d": angle3(w("{side}_hip"), w("{side}_knee"), w("{side}_ankle")),
            "back_leg_3d": angle3(w("{other}_hip"), w("{other}_knee"), w("{other}_ankle")),
        }
    if exercise == "hip_90_90":
        return {
            "torso_3d": _tilt_3d(w("mid_hip"), w("mid_shoulder")),
            "front_knee_3d": angle3(w("{side}_hip"), w("{side}_knee"), w("{side}_ankle")),
            "back_knee_3d": angle3(w("{other}_hip"), w("{other}_knee"), w("{other}_ankle")),
        }
    raise KeyError(exercise)


def _tilt_3d(a: Array, b: Array) -> float:
    """Angle of the segment a -> b from straight up (y), degrees, in the generator's world frame."""
    d = b - a
    return float(np.degrees(np.arccos(np.clip(d[1] / (np.linalg.norm(d) + 1e-12), -1.0, 1.0))))


def _pelvis_roll(world: Array) -> float:
    """How far the hip line has turned from vertical (3D, degrees) for a side-lying body."""
    d = world[INDEX["left_hip"]] - world[INDEX["right_hip"]]
    return float(np.degrees(np.arctan2(abs(d[2]), np.hypot(d[0], d[1]))))


def camera_axes(world_m: Array, camera: dict[str, Any]) -> Array:
    """World landmarks (..., 3) of the generator's frame turned into the camera's axes (x right, y down,
    z away), as the pose model reports them: the view angle and world-space metrics are read in these."""
    forward = np.subtract(camera["target_m"], camera["position_m"])
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return (np.asarray(world_m, float) @ np.stack([right, down, forward]).T).astype(np.float32)


def write_truth(stem: Path, summary: dict[str, Any], arrays: dict[str, Array]) -> tuple[Path, Path]:
    """Write ``<stem>.truth.json`` and ``<stem>.truth.npz``; returns both paths."""
    missing = [k for k in NPZ_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"truth arrays lack {missing}")
    json_path = stem.with_name(stem.name + ".truth.json")
    npz_path = stem.with_name(stem.name + ".truth.npz")
    json_path.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    np.savez_compressed(
        npz_path,
        t_ms=arrays["t_ms"].astype(np.float64),
        image_px=arrays["image_px"].astype(np.float32),
        world_m=arrays["world_m"].astype(np.float32),
        in_frame=arrays["in_frame"].astype(bool),
    )
    return json_path, npz_path


def load_truth(stem: str | Path) -> tuple[dict[str, Any], dict[str, Array]]:
    """Read a clip's truth: (the JSON summary, the arrays of the .npz).

    ``stem`` may be ``dir/name``, ``dir/name.mp4`` or either truth file.

    Raises:
        FileNotFoundError: a truth file is missing.
    """
    stem = Path(stem)
    name = stem.name
    for suffix in (".truth.json", ".truth.npz", ".mp4"):
        name = name.removesuffix(suffix)
    base = stem.with_name(name)
    summary = json.loads(base.with_name(name + ".truth.json").read_text(encoding="utf-8"))
    with np.load(base.with_name(name + ".truth.npz")) as data:
        arrays = {k: data[k] for k in data.files}
    return summary, arrays

