"""Synthetic desk footage for ``posecheck desk``: a person seated at a desk facing a webcam, standing
up, walking out of the frame, coming back and sitting down, with a per-second truth timeline.

The scene: a webcam on the monitor in front of the person (``DeskScene``: distance, height, field of
view), a desk top between them that hides the hips and legs, the room behind. A script is a list of
``Segment`` (``seated``, ``standing`` or ``away``, seconds); transitions (standing up, walking out and
back, sitting down) are drawn between them and labelled by what they look like (the upper body risen
more than half way: standing; the person out of the picture: away). Long afternoons are cheap: a low
frame rate (1-2 fps) and frames that repeat the one before are drawn once.

    python -m posecheck.synth.desk sample_videos --demo          # sample_videos/desk_demo.mp4 + truth
    python -m posecheck.synth.desk out/ --seed 3 --minutes 12    # a random afternoon of 12 minutes

Writes ``<stem>.mp4`` and ``<stem>.truth.json`` (``labels``: one state per second of video, the state at
that second; ``segments``; the scene and look).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .body import Body, load_body
from .kinematics import Pose, rot_y
from .look import Look
from .poses import SIDES, SagittalPose, arms_hanging, blend, seg, set_trunk
from .render import Camera, Renderer, render_background

Array = np.ndarray
STATES = ("seated", "standing", "away")
GENERATOR = "posecheck.synth.desk"
GENERATOR_VERSION = 1
WIDTH, HEIGHT = 640, 480
HIP_SEAT_HEIGHT_M = 0.55  # hip joints above the floor when seated on an office chair
DESK_HEIGHT_M = 0.74
DESK_NEAR_M = 0.28  # the desk's near edge, in front of the seated pelvis (knees go under it)
DESK_HALF_WIDTH_M = 0.8
DESK_RGB = (196, 170, 132)
STAND_UP_S = 2.0  # seated -> standing (and back), leaning forward half way
WALK_S = 4.0  # standing at the desk -> out of the picture (and back)
WALK_OUT_M = 1.8  # how far to the side the person walks before the away span
STAND_LEAN_DEG = 30.0  # forward lean of the trunk in the middle of standing up
IDLE_EVERY_S = (8.0, 40.0)  # a seated or standing person shifts (head turn, lean) this often
IDLE_HEAD_TURN_DEG = 18.0
IDLE_LEAN_DEG = (-4.0, 10.0)
IDLE_NECK_DEG = 12.0


@dataclass(frozen=True)
class DeskScene:
    """Where the webcam is and who sits there. ``camera_distance_m`` from the seated pelvis,
    ``camera_height_m`` above the floor, ``step_back_m`` how far back from the chair the person stands."""

    camera_distance_m: float = 1.0
    camera_height_m: float = 1.15
    hfov_deg: float = 66.0
    step_back_m: float = 0.3
    body: str = "default"
    walk_side: float = 1.0  # +1 walks out to the camera's left, -1 to its right

    @classmethod
    def random(cls, rng: np.random.Generator, bodies: tuple[str, ...] = ("default", "female", "male")) -> DeskScene:
        """A plausible monitor-webcam set-up drawn from ``rng``."""
        return cls(
            camera_distance_m=float(rng.uniform(0.85, 1.2)),
            camera_height_m=float(rng.uniform(1.05, 1.25)),
            hfov_deg=float(rng.uniform(60.0, 78.0)),
            step_back_m=float(rng.uniform(0.15, 0.5)),
            body=str(bodies[int(rng.integers(len(bodies)))]),
            walk_side=float(rng.choice([-1.0, 1.0])),
        )


@dataclass(frozen=True)
class Segment:
    """``seconds`` spent ``state`` (one of :data:`STATES`)."""

    state: str
    seconds: float

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"desk segment state {self.state!r}; expected one of {', '.join(STATES)}")
        if not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"desk segment {self.state}: seconds must be positive, got {self.seconds}")


def demo_script() -> tuple[Segment, ...]:
    """The sample afternoon (about 36 min): 31 min seated (a reminder at 30 with the defaults), up
    for a short stretch, away for 3 min (a break), back, seated again."""
    return (
        Segment("seated", 31 * 60.0), Segment("standing", 40.0), Segment("away", 180.0),
        Segment("standing", 20.0), Segment("seated", 150.0),
    )  # fmt: skip


def random_script(seed: int, minutes: float) -> tuple[Segment, ...]:
    """A random afternoon of about ``minutes``: seated spans of 1-6 min, standing 10 s-2 min, away
    30 s-4 min (away always passes through standing), starting seated (the calibration needs it)."""
    rng = np.random.default_rng(seed + 7877)
    out: list[Segment] = [Segment("seated", float(rng.uniform(90, 360)))]
    total = out[0].seconds
    while total < minutes * 60:
        if rng.random() < 0.5:
            parts = [Segment("standing", float(rng.uniform(10, 120)))]
        else:
            parts = [Segment("standing", float(rng.uniform(8, 30))), Segment("away", float(rng.uniform(30, 240))),
                     Segment("standing", float(rng.uniform(5, 20)))]
        parts.append(Segment("seated", float(rng.uniform(60, 360))))
        out.extend(parts)
        total += sum(p.seconds for p in parts)
    return tuple(out)


@dataclass(frozen=True)
class Moment:
    """The person at one instant: ``rise`` 0 seated .. 1 standing, ``out`` 0 at the desk .. 1 gone to
    the side (walking between), ``idle`` which idle posture, ``present`` False when out of the scene."""

    rise: float
    out: float
    idle: int
    present: bool = True


class Timeline:
    """Segments laid on a time axis with their transitions: ``moment(t)`` and ``label(t)``."""

    def __init__(self, script: tuple[Segment, ...], seed: int) -> None:
        if not script:
            raise ValueError("a desk script needs at least one segment")
        self.script = script
        self.spans: list[tuple[float, float, str]] = []
        t = 0.0
        for s in script:
            self.spans.append((t, t + s.seconds, s.state))
            t += s.seconds
        self.duration_s = t
        rng = np.random.default_rng(seed + 3301)
        self._idle_times: list[float] = []
        u = 0.0
        while u < t:
            u += float(rng.uniform(*IDLE_EVERY_S))
            self._idle_times.append(u)

    def _span(self, t: float) -> int:
        for i, (a, b, _) in enumerate(self.spans):
            if a <= t < b:
                return i
        return len(self.spans) - 1

    def moment(self, t: float) -> Moment:
        i = self._span(t)
        a, b, state = self.spans[i]
        prev = self.spans[i - 1][2] if i > 0 else state
        nxt = self.spans[i + 1][2] if i + 1 < len(self.spans) else state
        idle = int(np.searchsorted(self._idle_times, t))
        if state == "away":
            return Moment(1.0, 1.0, idle, present=False)
        if state == "seated":
            return Moment(0.0, 0.0, idle)
        # Standing: the transitions happen inside the standing span, at its ends.
        rise, out = 1.0, 0.0
        if prev == "seated":
            rise = min(rise, _ease((t - a) / STAND_UP_S))
        if nxt == "seated":
            rise = min(rise, _ease((b - t) / STAND_UP_S))
        if prev == "away":
            out = max(out, 1.0 - _ease((t - a) / WALK_S))
        if nxt == "away":
            out = max(out, 1.0 - _ease((b - t) / WALK_S))
        return Moment(rise, out, idle)


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * x)


def _posture(idle: int, seed: int, rise: float, walking: float) -> SagittalPose:
    """The sagittal pose for a moment: seated (rise 0) blended to standing (rise 1), with an idle shift."""
    rng = np.random.default_rng(seed * 1009 + idle)
    turn = float(rng.uniform(-IDLE_HEAD_TURN_DEG, IDLE_HEAD_TURN_DEG))
    lean = float(rng.uniform(*IDLE_LEAN_DEG))
    neck = float(rng.uniform(-IDLE_NECK_DEG, IDLE_NECK_DEG / 2))
    sit = SagittalPose({})
    set_trunk(sit, lean, neck=neck - lean * 0.5, head_turn=turn)
    for side in SIDES:
        sit.set(seg("upperarm", side), lean - 15.0, 8.0)
        sit.set(seg("forearm", side), -75.0, 4.0)
        sit.set(seg("hand", side), -75.0, 4.0)
        sit.set(seg("thigh", side), -88.0, 6.0)
        sit.set(seg("shin", side), -4.0, 0.0)
        sit.set(seg("foot", side), 0.0)
        sit.set(seg("toes", side), 0.0)
    stand = SagittalPose({})
    set_trunk(stand, lean * 0.4, neck=neck * 0.5, head_turn=turn * (1.0 - walking))
    arms_hanging(stand, lean * 0.4, swing=12.0 * walking)
    for side in SIDES:
        for part in ("thigh", "shin", "foot", "toes"):
            stand.set(seg(part, side), 0.0)
    if walking:
        stand.set(seg("thigh", "left"), -18.0 * walking)
        stand.set(seg("shin", "left"), 6.0 * walking)
    sp = blend(sit, stand, rise)
    middle = math.sin(math.pi * rise) * STAND_LEAN_DEG
    if middle:
        for name in ("pelvis", "spine", "chest", "neck", "head"):
            a, o, tw = sp.angles[name]
            sp.angles[name] = (a + middle, o, tw)
    return sp


@dataclass(frozen=True)
class DeskClip:
    """What :func:`render_desk` wrote."""

    video: Path
    truth: Path
    frames: int
    duration_s: float
    seconds: float


class DeskRenderer:
    """Draws desk frames for one scene, look and body."""

    def __init__(self, scene: DeskScene, look: Look, seed: int) -> None:
        self.scene, self.seed = scene, seed
        self.body: Body = load_body(scene.body)
        cam_pos = np.array([0.0, scene.camera_height_m, scene.camera_distance_m])
        target = np.array([0.0, scene.camera_height_m - 0.12, 0.0])
        self.camera = Camera(cam_pos, target, WIDTH, HEIGHT, scene.hfov_deg)
        background, floor = render_background(self.camera, look, np.zeros(3), None, None, seed)
        self.renderer = Renderer(self.body, self.camera, look, background, floor)
        self._desk = self._desk_polygon()
        self._standing_floor: float | None = None

    def _desk_polygon(self) -> Array:
        z_far = self.scene.camera_distance_m - 0.05
        w, y = DESK_HALF_WIDTH_M, DESK_HEIGHT_M
        corners = np.array([[-w, y, DESK_NEAR_M], [w, y, DESK_NEAR_M], [w, y, z_far], [-w, y, z_far]])
        px, _ = self.camera.project(corners)
        return np.round(px).astype(np.int32)

    def _place(self, sp: SagittalPose, rise: float, out: float) -> tuple[Pose, Array]:
        pose = sp.to_pose(self.body)
        g, q = self.body.transforms(pose)
        verts = self.body.skin(pose, (g, q))
        hips = (q[self.body.seg("thigh_l")] + q[self.body.seg("thigh_r")]) / 2
        seated_y = HIP_SEAT_HEIGHT_M - hips[1]
        standing_y = -verts[:, 1].min()
        shift = np.array([0.0, seated_y + (standing_y - seated_y) * rise, -self.scene.step_back_m * rise])
        if out > 0:
            yaw = 80.0 * self.scene.walk_side * min(1.0, out * 3.0)
            turn = rot_y(yaw)
            pose.rotations = turn @ pose.rotations
            g, q = self.body.transforms(pose)
            verts = self.body.skin(pose, (g, q))
            shift[0] = self.scene.walk_side * WALK_OUT_M * out
        pose.root = pose.root + shift
        return pose, verts + shift

    def draw(self, m: Moment) -> tuple[Array, bool]:
        """A BGR frame and whether the person's head or shoulders are inside it."""
        verts = None
        in_view = False
        if m.present:
            sp = _posture(m.idle, self.seed, m.rise, walking=1.0 if 0 < m.out < 1 else 0.0)
            pose, verts = self._place(sp, m.rise, m.out)
            lms = self.body.landmarks(pose, verts)
            px, z = self.camera.project(lms[[0, 11, 12]])
            inside = (z > 0) & (px[:, 0] >= 0) & (px[:, 0] < WIDTH) & (px[:, 1] >= 0) & (px[:, 1] < HEIGHT)
            in_view = bool(inside.any())
        frame = self.renderer.draw(verts)
        cv2.fillConvexPoly(frame, self._desk, DESK_RGB[::-1], cv2.LINE_AA)
        return frame, in_view


def label_of(m: Moment, in_view: bool) -> str:
    """The true state of a moment: away when the person is out of the picture, else by how far risen."""
    if not m.present or not in_view:
        return "away"
    return "standing" if m.rise >= 0.5 else "seated"


def render_desk(
    out_dir: str | Path,
    stem: str,
    script: tuple[Segment, ...],
    *,
    seed: int = 0,
    fps: float = 1.0,
    scene: DeskScene | None = None,
) -> DeskClip:
    """Render ``script`` to ``out_dir/<stem>.mp4`` (640x480 at ``fps``) and ``<stem>.truth.json``.

    ``scene`` None draws one from ``seed`` (as does the look). Returns the paths, the frame count, the
    video's duration and the wall time taken.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    scene = scene if scene is not None else DeskScene.random(rng)
    look = Look.choose(np.random.default_rng(seed + 104729), mat="none", sleeves="long")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timeline = Timeline(script, seed)
    drawer = DeskRenderer(scene, look, seed)
    n = math.floor(timeline.duration_s * fps)
    video = out_dir / f"{stem}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write video {video}")
    frame_labels: list[str] = []
    cache: dict[Moment, tuple[Array, bool]] = {}
    try:
        for i in range(n):
            m = timeline.moment(i / fps)
            if m not in cache:
                if len(cache) > 64:
                    cache.clear()
                cache[m] = drawer.draw(m)
            frame, in_view = cache[m]
            writer.write(frame)
            frame_labels.append(label_of(m, in_view))
    finally:
        writer.release()
    per_second = [frame_labels[min(round(s * fps), n - 1)] for s in range(int(n / fps))]
    truth = {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "fps": fps,
        "frames": n,
        "duration_s": round(n / fps, 3),
        "labels": per_second,
        "segments": [{"state": s, "start_s": round(a, 3), "end_s": round(b, 3)} for a, b, s in timeline.spans],
        "scene": asdict(scene),
        "look": asdict(look),
    }
    truth_path = out_dir / f"{stem}.truth.json"
    truth_path.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return DeskClip(video, truth_path, n, n / fps, time.perf_counter() - t0)


def load_desk_truth(video: str | Path) -> dict[str, Any]:
    """The truth JSON beside a desk video (``clip.mp4`` -> ``clip.truth.json``)."""
    path = Path(video).with_suffix(".truth.json")
    return json.loads(path.read_text(encoding="utf-8"))


def iter_labels(truth: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """(second, true state) for every second of a desk clip's truth."""
    return enumerate(truth["labels"])


def score_states(timeline: list[tuple[float, str]], truth: dict[str, Any]) -> dict[str, Any]:
    """How a judged timeline ((onset, state) changes, as in summary.json) agrees with a clip's truth,
    second by second: ``share`` of all seconds right, and per true state its ``seconds`` and ``right``
    share (recall), with ``confusion[true][judged]`` in seconds. Seconds before the first judgement
    count as "unknown" (wrong)."""
    onsets = np.array([t for t, _ in timeline], float)
    states = [s for _, s in timeline]
    confusion: dict[str, dict[str, int]] = {s: {} for s in STATES}
    right = 0
    labels = truth["labels"]
    for second, true in enumerate(labels):
        i = int(np.searchsorted(onsets, second, side="right")) - 1
        judged = states[i] if i >= 0 else "unknown"
        confusion[true][judged] = confusion[true].get(judged, 0) + 1
        right += judged == true
    per_state = {
        s: {"seconds": sum(row.values()), "right": (row.get(s, 0) / sum(row.values())) if row else None}
        for s, row in confusion.items()
    }
    return {"seconds": len(labels), "share": right / len(labels) if labels else None, "per_state": per_state,
            "confusion": confusion}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m posecheck.synth.desk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--demo", action="store_true", help="the sample afternoon (desk_demo)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of a random afternoon")
    parser.add_argument("--fps", type=float, default=1.0)
    parser.add_argument("--stem", help="file name without extension (default desk_demo or desk_seed<N>)")
    args = parser.parse_args(argv)
    script = demo_script() if args.demo else random_script(args.seed, args.minutes)
    stem = args.stem or ("desk_demo" if args.demo else f"desk_seed{args.seed}")
    scene = replace(DeskScene(), body="default") if args.demo else None
    r = render_desk(args.out_dir, stem, script, seed=args.seed, fps=args.fps, scene=scene)
    size = r.video.stat().st_size / 1e6
    print(f"{r.video}: {r.frames} frames ({r.duration_s / 60:.1f} min) in {r.seconds:.1f} s, {size:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
