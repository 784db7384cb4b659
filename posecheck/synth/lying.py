"""Synthetic sleeping positions with exact truth: photos and a time-lapse "night" for ``posecheck sleep``.

A body is posed lying on its back (knees raised on a pillow, or flat), on either side (curled, hips and
knees near 90 deg, or straight) or on its stomach (head turned), laid on a bed (a mattress on the floor
with a pillow) and seen from above (a camera over the bed looking down) or from beside the bed; a
duvet (a box over the body from the chest down) makes the case the pose model cannot see. Every image
comes with its truth: position, knees raised / drawn up, camera, covered.

Usage::

    python -m posecheck.synth.lying sample_videos/sleep       # the committed samples
    shots = render_set(seeds=range(3))                          # in Python: LyingShot images + truth
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from .body import Body, load_body
from .kinematics import Pose, rot_y, rot_z
from .look import Look
from .poses import SIDES, SagittalPose, outward, seg, set_trunk
from .render import Camera, Renderer, render_background

Array = np.ndarray
WIDTH, HEIGHT = 640, 480
#: The positions rendered: name -> (truth position, knees raised on the back, knees drawn up on the side).
POSITIONS: dict[str, tuple[str, bool, bool]] = {
    "back_knees_up": ("back", True, False),
    "back_flat": ("back", False, False),
    "side_left_curled": ("side_left", False, True),
    "side_left_straight": ("side_left", False, False),
    "side_right_curled": ("side_right", False, True),
    "side_right_straight": ("side_right", False, False),
    "stomach": ("stomach", False, False),
}
#: Camera placements: pitch range (deg down from horizontal) and where around the bed (deg of yaw from
#: the bed's side; 0 = beside the bed at its middle, 90 = at the foot end).
CAMERAS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "above": ((50.0, 75.0), (-50.0, 50.0)),
    "side": ((8.0, 30.0), (-25.0, 25.0)),
}
BED_SIZE_M = (2.0, 1.4)  # length, width
PILLOW_SIZE_M = (0.45, 0.65)
BED_COLOURS = ((232, 228, 220), (206, 214, 226), (224, 210, 196), (200, 204, 196))  # sheets, RGB
PILLOW_COLOUR = (244, 242, 238)
DUVET_COLOURS = ((196, 206, 224), (222, 210, 186), (190, 196, 186), (210, 188, 196))
DUVET_MARGIN_M = (0.12, 0.10)  # beyond the body's width and feet
DUVET_FROM_SHOULDER_M = 0.12  # the duvet's top edge below the shoulders
FIT = 0.78  # share of the frame the body may take
BODIES = ("default", "female", "male", "heavy")


@dataclass(frozen=True)
class LyingShot:
    """One rendered image and its truth."""

    image: Array  # H x W x 3 uint8 BGR
    name: str  # POSITIONS key
    position: str  # back / side_left / side_right / stomach
    knees_raised: bool
    knees_drawn_up: bool
    camera: str  # above / side
    covered: bool
    seed: int
    body: str
    pitch_deg: float  # the camera's look down from horizontal

    def truth(self) -> dict[str, object]:
        """The truth as JSON-ready values (without the image)."""
        return {k: v for k, v in asdict(self).items() if k != "image"}


def _arms(sp: SagittalPose, alpha: float, out: float, elbow: float = 10.0) -> None:
    for side in SIDES:
        sp.set(seg("upperarm", side), alpha, out)
        sp.set(seg("forearm", side), alpha - elbow, out)
        sp.set(seg("hand", side), alpha - elbow, out)


def build_pose(body: Body, name: str, rng: np.random.Generator) -> Pose:
    """A lying pose in the bed frame (y up), the pelvis at the origin; the head towards -z or +z."""
    position, raised, curled = POSITIONS[name]
    sp = SagittalPose({})
    j = lambda spread: float(rng.uniform(-spread, spread))  # noqa: E731
    if position == "back":
        set_trunk(sp, -90.0, neck=j(8), head_turn=j(35))
        hip = 180.0 - (40.0 + j(10)) if raised else 180.0 - abs(j(6))
        knee = 115.0 + j(15) if raised else 176.0 - abs(j(5))
        thigh = -90.0 - (180.0 - hip)
        for side in SIDES:
            sp.set(seg("thigh", side), thigh, 4.0 + abs(j(4)))
            sp.set(seg("shin", side), thigh + (180.0 - knee), -2.0)
            sp.set(seg("foot", side), -90.0 + 60.0 if not raised else thigh + (180.0 - knee) - 90.0 + 100.0)
        _arms(sp, -90.0 + j(10), 12.0 + abs(j(10)), 10.0 + abs(j(20)))
        return sp.to_pose(body)
    if position == "stomach":
        set_trunk(sp, 90.0, neck=-10.0, head_turn=float(rng.choice([-1, 1])) * (70.0 + j(10)))
        for side in SIDES:
            sp.set(seg("thigh", side), 90.0 + j(4), 5.0 + abs(j(4)))
            sp.set(seg("shin", side), 90.0 + abs(j(6)), -2.0)
            sp.set(seg("foot", side), 150.0)
        if rng.random() < 0.5:
            _arms(sp, -90.0, 35.0 + j(10), 60.0)  # hands up by the head
        else:
            _arms(sp, 90.0, 10.0 + abs(j(5)), 5.0)  # along the sides
        return sp.to_pose(body)
    # On a side: built standing (facing +z), then laid down as the clamshell builder does.
    top = "right" if position == "side_left" else "left"
    set_trunk(sp, 10.0 + j(8), neck=15.0 + j(8))
    hip_flex = 90.0 + j(15) if curled else 15.0 + j(10)
    knee = 90.0 + j(15) if curled else 165.0 + j(8)
    for side in SIDES:
        lead = 8.0 if side == top else 0.0
        thigh = -(hip_flex + lead)
        sp.set(seg("thigh", side), thigh, -4.0)
        sp.set(seg("shin", side), thigh + (180.0 - knee), 0.0)
        sp.set(seg("foot", side), thigh + (180.0 - knee) - 20.0)
    _arms(sp, -70.0 + j(15), -5.0, 40.0 + j(20))
    pose = sp.to_pose(body)
    up = outward(top)
    pose.rotations = rot_z(90.0 * up) @ pose.rotations  # lie down
    return pose


def _place(body: Body, pose: Pose) -> tuple[Array, Array]:
    """``pose`` moved so its lowest vertex rests on the bed (y = 0) and its pelvis is over the origin;
    returns the skinned vertices and the 33 landmarks."""
    g, q = body.transforms(pose)
    verts = body.skin(pose, (g, q))
    shift = np.array([-q[0][0], -verts[:, 1].min(), -q[0][2]])
    pose.root = pose.root + shift
    return verts + shift, body.landmarks(pose, verts + shift, (g, q + shift))


def _camera(kind: str, landmarks: Array, rng: np.random.Generator) -> Camera:
    (p_lo, p_hi), (y_lo, y_hi) = CAMERAS[kind]
    pitch = np.radians(rng.uniform(p_lo, p_hi))
    yaw = np.radians(rng.uniform(y_lo, y_hi)) * (1 if rng.random() < 0.5 else -1)
    side = 1.0 if rng.random() < 0.5 else -1.0
    horizontal = np.array([side * np.cos(yaw), 0.0, np.sin(yaw)])
    centre = (landmarks.min(axis=0) + landmarks.max(axis=0)) / 2
    direction = horizontal * np.cos(pitch) + np.array([0.0, np.sin(pitch), 0.0])
    distance = 2.5
    for _ in range(3):  # fit the body's projection to the frame
        cam = Camera(centre + direction * distance, centre.copy(), WIDTH, HEIGHT, 62.0)
        px, _ = cam.project(landmarks)
        span = np.maximum(np.abs(px - [WIDTH / 2, HEIGHT / 2]).max(axis=0) + 20, 1.0)
        distance *= max(span[0] / (WIDTH / 2 * FIT), span[1] / (HEIGHT / 2 * FIT))
    return Camera(centre + direction * distance, centre.copy(), WIDTH, HEIGHT, 62.0)


def _quad(camera: Camera, corners: Array) -> Array:
    px, _ = camera.project(corners)
    return np.round(np.nan_to_num(px, nan=0.0) * 16).astype(np.int32)


def _box_faces(lo: Array, hi: Array) -> list[tuple[Array, Array]]:
    """The six faces of an axis-aligned box as (corners (4,3), outward normal)."""
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    return [
        (np.array([[x0, y1, z0], [x1, y1, z0], [x1, y1, z1], [x0, y1, z1]]), np.array([0.0, 1.0, 0.0])),
        (np.array([[x0, y0, z0], [x0, y1, z0], [x0, y1, z1], [x0, y0, z1]]), np.array([-1.0, 0.0, 0.0])),
        (np.array([[x1, y0, z0], [x1, y1, z0], [x1, y1, z1], [x1, y0, z1]]), np.array([1.0, 0.0, 0.0])),
        (np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0]]), np.array([0.0, 0.0, -1.0])),
        (np.array([[x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]]), np.array([0.0, 0.0, 1.0])),
    ]


def _draw_box(image: Array, camera: Camera, lo: Array, hi: Array, rgb: tuple[int, int, int]) -> None:
    """Paint the camera-facing faces of a box, Lambert-shaded from above, onto a BGR uint8 image."""
    for corners, normal in _box_faces(lo, hi):
        if normal @ (camera.position - corners.mean(axis=0)) <= 0:
            continue
        shade = 0.62 + 0.38 * max(normal[1], 0.0) + 0.1 * abs(normal[0])
        colour = tuple(int(min(255, c * shade)) for c in rgb[::-1])
        cv2.fillConvexPoly(image, _quad(camera, corners), colour, cv2.LINE_AA, 4)


def render_shot(name: str, camera_kind: str, seed: int, *, covered: bool = False, body_name: str | None = None,
                look: Look | None = None) -> LyingShot:
    """One image of position ``name`` (a :data:`POSITIONS` key) seen by a ``camera_kind`` camera
    (``above`` / ``side``), everything else drawn from ``seed``."""
    rng = np.random.default_rng(seed * 7919 + list(POSITIONS).index(name) * 31 + (camera_kind == "side"))
    body = load_body(body_name or BODIES[int(rng.integers(len(BODIES)))])
    pose = build_pose(body, name, rng)
    g, q = body.transforms(pose)
    axis = q[body.seg("head")] - q[0]  # turn the body head to -z (the pillow end), then a little off
    heading = np.degrees(np.arctan2(axis[0], -axis[2])) + rng.uniform(-12.0, 12.0)
    pose.rotations = rot_y(heading) @ pose.rotations
    verts, landmarks = _place(body, pose)
    camera = _camera(camera_kind, landmarks, rng)
    look = look or Look.choose(rng, shoes="barefoot", mat="none")
    image = _draw(body, verts, landmarks, camera, look, rng, covered)
    position, raised, curled = POSITIONS[name]
    rel = camera.position - camera.target
    pitch = float(np.degrees(np.arctan2(rel[1], np.hypot(rel[0], rel[2]))))
    return LyingShot(image, name, position, raised, curled, camera_kind, covered, seed, body.variant, round(pitch, 1))


def _bed_background(camera: Camera, look: Look, landmarks: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    centre = np.array([0.0, 0.0, 0.0])
    background, floor = render_background(camera, look, centre, None, None, int(rng.integers(1 << 16)))
    canvas = np.ascontiguousarray((background[..., ::-1] * 255).astype(np.uint8))
    head = landmarks[0]
    length, width = BED_SIZE_M
    bed_z0 = head[2] - 0.35
    sheet = BED_COLOURS[int(rng.integers(len(BED_COLOURS)))]
    lo, hi = np.array([-width / 2, -0.02, bed_z0]), np.array([width / 2, 0.0, bed_z0 + length])
    _draw_box(canvas, camera, lo, hi, sheet)
    pl, pw = PILLOW_SIZE_M
    _draw_box(canvas, camera, np.array([-pw / 2, -0.01, bed_z0 + 0.05]), np.array([pw / 2, 0.0, bed_z0 + 0.05 + pl]),
              PILLOW_COLOUR)
    return canvas[..., ::-1].astype(float) / 255.0, floor


def _draw(body: Body, verts: Array, landmarks: Array, camera: Camera, look: Look, rng: np.random.Generator,
          covered: bool) -> Array:
    background, floor = _bed_background(camera, look, landmarks, rng)
    image = Renderer(body, camera, look, background, floor).draw(verts)
    if covered:
        shoulders = (landmarks[11] + landmarks[12]) / 2
        x_lo, x_hi = verts[:, 0].min() - DUVET_MARGIN_M[0], verts[:, 0].max() + DUVET_MARGIN_M[0]
        z_lo = shoulders[2] + DUVET_FROM_SHOULDER_M
        z_hi = verts[:, 2].max() + DUVET_MARGIN_M[1]
        below = verts[verts[:, 2] > z_lo]
        top = (below[:, 1].max() if len(below) else 0.2) + 0.04
        rgb = DUVET_COLOURS[int(rng.integers(len(DUVET_COLOURS)))]
        image = image.copy()
        _draw_box(image, camera, np.array([x_lo, 0.0, z_lo]), np.array([x_hi, top, z_hi]), rgb)
    return image


def render_set(seeds: Iterable[int], cameras: Iterable[str] = tuple(CAMERAS), names: Iterable[str] = tuple(POSITIONS),
               covered: bool = False) -> Iterator[LyingShot]:
    """Every position x camera x seed, one :class:`LyingShot` each."""
    names, cameras = tuple(names), tuple(cameras)
    for seed in seeds:
        for camera in cameras:
            for name in names:
                yield render_shot(name, camera, seed, covered=covered)


# ---------------------------------------------------------------- a night's time-lapse
#: The synthetic night: (position name, minutes); one frame per ``NIGHT_FRAME_S`` simulated seconds.
NIGHT: tuple[tuple[str, float], ...] = (
    ("back_knees_up", 20.0), ("side_left_curled", 30.0), ("back_flat", 15.0), ("side_right_curled", 25.0),
    ("stomach", 10.0), ("side_right_straight", 20.0),
)
NIGHT_FRAME_S = 30.0
NIGHT_FPS = 10.0


def render_night(out: Path, seed: int = 0, camera_kind: str = "above", night: tuple[tuple[str, float], ...] = NIGHT,
                 frame_s: float = NIGHT_FRAME_S, fps: float = NIGHT_FPS) -> dict[str, object]:
    """Write a time-lapse mp4 of ``night`` (one frame per ``frame_s`` simulated seconds, played at ``fps``)
    to ``out``; returns its truth. One camera and body all night;
    each position is drawn once and held, its brightness drifting a little per frame."""
    rng = np.random.default_rng(seed)
    body_name = BODIES[int(rng.integers(len(BODIES)))]
    look = Look.choose(rng, shoes="barefoot", mat="none")
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write video {out}")
    segments, t = [], 0.0
    try:
        for i, (name, minutes) in enumerate(night):
            shot = render_shot(name, camera_kind, seed * 1000 + i, body_name=body_name, look=look)
            frames = int(round(minutes * 60.0 / frame_s))
            for _ in range(frames):  # the room's light drifts a little from frame to frame
                gain = 1.0 + rng.normal(0.0, 0.015)
                writer.write(np.clip(shot.image * gain, 0, 255).astype(np.uint8))
            segments.append({"start_s": t, "end_s": t + frames * frame_s, "position": shot.position,
                             "knees_raised": shot.knees_raised, "knees_drawn_up": shot.knees_drawn_up,
                             "name": name})
            t += frames * frame_s
    finally:
        writer.release()
    changes = sum(a["position"] != b["position"] for a, b in zip(segments, segments[1:]))
    shares: dict[str, float] = {}
    for s in segments:
        shares[s["position"]] = shares.get(s["position"], 0.0) + (s["end_s"] - s["start_s"]) / t
    truth = {"video": out.name, "seconds_per_frame": frame_s, "fps": fps, "duration_s": t, "camera": camera_kind,
             "body": body_name, "segments": segments, "turns": changes,
             "shares": {k: round(v, 4) for k, v in shares.items()}}
    return truth


#: The committed samples: (file stem, position name, camera, seed, covered).
SAMPLES: tuple[tuple[str, str, str, int, bool], ...] = (
    ("back_knees_up_above", "back_knees_up", "above", 101, False),
    ("side_left_curled_above", "side_left_curled", "above", 102, False),
    ("stomach_side", "stomach", "side", 103, False),
    ("side_right_straight_side", "side_right_straight", "side", 104, False),
    ("back_under_duvet_above", "back_flat", "above", 105, True),
)


def truth_path(folder: Path) -> Path:
    """Where the truth of the samples in ``folder`` is kept: beside the folder, so that ``folder/*`` holds
    only inputs (``sample_videos/sleep`` -> ``sample_videos/sleep.truth.json``)."""
    return folder.with_name(folder.name + ".truth.json")


def write_samples(folder: Path) -> list[Path]:
    """The sample photos (JPEG) and the night time-lapse into ``folder``, their truth in
    :func:`truth_path`."""
    folder.mkdir(parents=True, exist_ok=True)
    written, truth = [], {}
    for stem, name, camera, seed, covered in SAMPLES:
        shot = render_shot(name, camera, seed, covered=covered)
        path = folder / f"{stem}.jpg"
        cv2.imwrite(str(path), shot.image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        truth[path.name] = shot.truth()
        written.append(path)
    night = folder / "night_timelapse.mp4"
    truth[night.name] = render_night(night, seed=5)
    written.append(night)
    truth_path(folder).write_text(json.dumps(truth, indent=2) + "\n")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m posecheck.synth.lying", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the sample photos and the night time-lapse")
    args = parser.parse_args(argv)
    for path in write_samples(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
