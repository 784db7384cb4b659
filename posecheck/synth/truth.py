"""Ground truth beside each clip, and reading it back.

``<stem>.truth.npz`` holds, for T frames:

- ``t_ms`` (T,) float64: frame timestamps in milliseconds.
- ``image_px`` (T,33,2) float32: the landmarks projected into the image, in pixels (x right, y down,
  the image's top-left corner at 0,0; a pixel's centre at +0.5), in MediaPipe Pose's 33-landmark
  order; "left" is the person's left.
- ``world_m`` (T,33,3) float32: the same landmarks in metres, origin at the mid-hip, **y up**,
  x and z horizontal (z = the person's heading for standing exercises).
- ``in_frame`` (T,33) bool: the landmark projects inside the image (it may still be hidden by the
  body itself).

``<stem>.truth.json`` has the shape of the analyser's report.json (exercise, view, fps, frames,
duration_s, rep_count, rep_count_by_side, reps, holds) plus the clip description, the camera and
per-rep requested values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

Array = np.ndarray
LANDMARK_INDEX = {
    "nose": 0, "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
    "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24, "left_knee": 25, "right_knee": 26,
    "left_ankle": 27, "right_ankle": 28, "left_heel": 29, "right_heel": 30, "left_foot_index": 31,
    "right_foot_index": 32,
}
NPZ_KEYS = ("t_ms", "image_px", "world_m", "in_frame")


def _pt(px: Array, name: str) -> Array:
    if name == "mid_hip":
        return (px[23] + px[24]) / 2
    if name == "mid_shoulder":
        return (px[11] + px[12]) / 2
    return px[LANDMARK_INDEX[name]]


def angle(a: Array, b: Array, c: Array) -> float:
    """Angle a-b-c at b, degrees."""
    u, v = a - b, c - b
    cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def line_angle_up(a: Array, b: Array, c: Array) -> float:
    """Angle a-b-c, reported past 180 when b lies above (smaller image y) the line a-c."""
    plain = angle(a, b, c)
    t = (b - a) @ (c - a) / ((c - a) @ (c - a) + 1e-12)
    on_line = a + t * (c - a)
    return 360.0 - plain if b[1] < on_line[1] else plain


def tilt_from_vertical(p0: Array, p1: Array, forward_sign: float) -> float:
    """Angle of p0->p1 from image-up, positive when p1 lies towards ``forward_sign`` * x."""
    d = p1 - p0
    return float(np.degrees(np.arctan2(forward_sign * d[0], -d[1])))


def measures(exercise: str, px: Array, world: Array, side: str | None, forward_sign: float,
             near: str) -> dict[str, float]:
    """The spec metrics of one frame computed from true 2D landmarks (and 3D where noted).

    ``side`` is the rep's side (front leg, top leg or back leg), ``near`` the side nearer the camera,
    ``forward_sign`` the image x direction of the person's heading (+1 right, -1 left).
    """
    def p(name: str) -> Array:
        return _pt(px, name.format(side=side, other=_other(side), near=near))

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
        roll = _pelvis_roll(world, side)
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
    raise KeyError(exercise)


def _other(side: str | None) -> str:
    return "left" if side == "right" else "right"


def _pelvis_roll(world: Array, top: str | None) -> float:
    """How far the hip line has turned from vertical (3D, degrees) for a side-lying body."""
    d = world[23] - world[24]
    return float(np.degrees(np.arctan2(abs(d[2]), np.hypot(d[0], d[1]))))


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

