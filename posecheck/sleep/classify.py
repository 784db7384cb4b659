"""From one pose to a sleeping position and the article's advice for it: the classifier stage.

The geometry: the torso's three axes from the 3D world landmarks (head-ward U from mid-hip to
mid-shoulder, the person's left L across shoulders and hips, the chest's facing F = L x U) are compared
with "up" in the bed. The camera's roll is taken as level, so up lies in the camera's vertical plane,
(0, -cos p, -sin p) in camera axes for a camera looking down by p degrees; p is searched within the
camera placement's range. On the back the chest faces up, on the stomach down, on the left side the left
side is down. A camera above a side-lier and a camera beside a back-lier see the same body shape, so
with ``camera="auto"`` a pose that fits both readings is "unsure" and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..landmarks import INDEX
from ..metrics import angle, angle_3d
from ..pose.types import Pose
from .defaults import CAMERA_PITCH_RANGES, DEFAULTS, PITCH_SEARCH_DEG, PITCH_STEP_DEG, SleepDefaults
from .messages import ADVICE, POSITION_NAMES, UNSURE

#: The positions, in the order of :attr:`Verdict.scores`; "unsure" is none of them.
POSITIONS: tuple[str, ...] = ("back", "side_left", "side_right", "stomach")
UNSURE_ID = "unsure"
_TORSO = tuple(INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
_LEGS = tuple(INDEX[n] for n in ("left_knee", "right_knee", "left_ankle", "right_ankle"))


@dataclass(frozen=True)
class Verdict:
    """The classifier's answer for one pose.

    ``position``: one of :data:`POSITIONS` or "unsure"; ``confidence`` in [0, 1] (0 when unsure);
    ``reason``: why it is unsure, in words ("" when sure); ``reason_id``: the key of that reason in
    :data:`~posecheck.sleep.messages.UNSURE`; ``scores``: (4,) alignment of each position's body axis
    with up in the bed, NaN when not measured; ``pitch_deg``: the camera pitch at which the winner fits;
    ``advice_id``/``advice``: the article's advice for the position and what the pose shows of it;
    ``knee_deg``/``hip_deg``: the mean 2D hip-knee-ankle and shoulder-hip-knee angles (NaN if unseen);
    ``knees_ok``: knees raised (back) or drawn up (side) as advised; None when not judged.
    ``guess``: the best-fitting position even when unsure (never shown as the result).
    """

    position: str
    confidence: float
    reason: str
    reason_id: str
    scores: np.ndarray
    pitch_deg: float
    advice_id: str
    advice: str
    knee_deg: float
    hip_deg: float
    knees_ok: bool | None
    guess: str

    def __post_init__(self) -> None:
        if self.position not in POSITIONS + (UNSURE_ID,):
            raise ValueError(f"Verdict.position: expected one of {POSITIONS + (UNSURE_ID,)}, got {self.position!r}")
        if not isinstance(self.scores, np.ndarray) or self.scores.shape != (len(POSITIONS),):
            raise ValueError(f"Verdict.scores: expected an array of shape ({len(POSITIONS)},)")
        self.scores.setflags(write=False)

    @property
    def sure(self) -> bool:
        return self.position != UNSURE_ID

    def to_json(self) -> dict[str, object]:
        def num(v: float, nd: int = 1) -> float | None:
            return None if not math.isfinite(v) else round(float(v), nd)

        return {
            "position": self.position, "label": POSITION_NAMES[self.position], "confidence": round(self.confidence, 2),
            "reason": self.reason or None, "reason_id": self.reason_id or None,
            "best_guess": self.guess or None,
            "scores": {p: num(s, 3) for p, s in zip(POSITIONS, self.scores)},
            "camera_pitch_deg": num(self.pitch_deg, 0), "knee_deg": num(self.knee_deg), "hip_deg": num(self.hip_deg),
            "knees_as_advised": self.knees_ok, "advice_id": self.advice_id or None, "advice": self.advice or None,
        }  # fmt: skip


def parse_camera(value: str | float) -> tuple[float, float]:
    """The pitch range (deg) of a camera placement name (:data:`CAMERA_PITCH_RANGES`) or of one pitch
    in degrees (searched +/- :data:`PITCH_SEARCH_DEG`). Raises ValueError for anything else."""
    if isinstance(value, str) and value in CAMERA_PITCH_RANGES:
        return CAMERA_PITCH_RANGES[value]
    pitch = float(value)
    lo, hi = CAMERA_PITCH_RANGES["auto"]
    if not (lo <= pitch <= hi):
        raise ValueError(f"pitch {pitch} outside {lo:g}-{hi:g}")
    return max(lo, pitch - PITCH_SEARCH_DEG), min(hi, pitch + PITCH_SEARCH_DEG)


def _ups(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    pitch = np.arange(lo, hi + 1e-9, PITCH_STEP_DEG)
    r = np.radians(pitch)
    return pitch, np.stack([np.zeros_like(r), -np.cos(r), -np.sin(r)], axis=1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-12)


def body_axes(world: np.ndarray) -> np.ndarray:
    """(4, 3) unit vectors, in camera axes, that point up in the bed for each of :data:`POSITIONS`:
    the chest (back), the right side (side_left), the left side (side_right), the back (stomach)."""
    ls, rs, lh, rh = (world[i].astype(float) for i in _TORSO)
    up = _unit((ls + rs) / 2 - (lh + rh) / 2)
    left = _unit((ls - rs) + (lh - rh))
    front = _unit(np.cross(left, up))
    left = np.cross(up, front)
    return np.stack([front, -left, left, -front])


def _facing_2d(px: np.ndarray) -> float:
    """The 2D outline's chest direction: < 0 when the chest faces the camera (the person's left on the
    image's right with the head up), > 0 when the back does, near 0 side-on."""
    ls, rs, lh, rh = (px[i].astype(float) for i in _TORSO)
    across = (ls - rs + lh - rh) / 2
    along = (ls + rs) / 2 - (lh + rh) / 2
    return float((across[0] * along[1] - across[1] * along[0]) / (along @ along + 1e-9))


class SleepClassifier:
    """The stage: ``update(pose) -> Verdict``. Stateless between frames; ``camera`` is "above", "side",
    "auto" or a pitch in degrees (see :func:`parse_camera`)."""

    def __init__(self, camera: str | float = "auto", defaults: SleepDefaults = DEFAULTS) -> None:
        self.defaults = defaults
        self.camera = camera
        self._ranges = [parse_camera(camera)]
        if camera == "auto":
            self._ranges = [CAMERA_PITCH_RANGES["above"], CAMERA_PITCH_RANGES["side"]]
        self._grids = [_ups(lo, hi) for lo, hi in self._ranges]

    def placement(self, pose: Pose | None) -> str | None:
        """"above" or "side" when this pose fits one camera placement clearly better than the other
        (only in "auto" mode), else None: a video's frames vote for its placement."""
        if len(self._grids) != 2 or pose is None or pose.world_m is None:
            return None
        if not np.isfinite(pose.world_m[list(_TORSO)]).all():
            return None
        axes = body_axes(pose.world_m)
        (sa, ss) = ((ups @ axes.T).max(axis=0) for _, ups in self._grids)
        wa, ws = int(np.argmax(sa)), int(np.argmax(ss))
        if wa == ws or abs(sa[wa] - ss[ws]) < self.defaults.auto_decisive:
            return None
        return "above" if sa[wa] > ss[ws] else "side"

    def update(self, pose: Pose | None) -> Verdict:
        d = self.defaults
        if pose is None:
            return _unsure("no_person")
        presence = float(pose.presence[list(_TORSO)].min())
        if presence < d.min_presence:
            return _unsure("torso_hidden", presence=presence, minimum=d.min_presence)
        legs = float(pose.presence[list(_LEGS)].mean())
        if legs < d.min_presence:
            return _unsure("legs_hidden", presence=legs, minimum=d.min_presence)
        if pose.world_m is None or not np.isfinite(pose.world_m[list(_TORSO)]).all():
            return _unsure("no_world")
        axes = body_axes(pose.world_m)
        fits = []
        for pitch, ups in self._grids:
            align = ups @ axes.T  # (P, 4)
            best = align.max(axis=0)
            fits.append((best, pitch[align.argmax(axis=0)]))
        scores, pitches = fits[0]
        if len(fits) == 2:
            (sa, pa), (ss, ps) = fits
            wa, ws = int(np.argmax(sa)), int(np.argmax(ss))
            if wa == ws or abs(sa[wa] - ss[ws]) >= d.auto_decisive:
                # The placement that explains the body better; its own scores decide the lead.
                scores, pitches = fits[0] if sa[wa] >= ss[ws] else fits[1]
            else:
                return _unsure("camera", scores=np.maximum(sa, ss), guess=POSITIONS[wa if sa[wa] > ss[ws] else ws],
                               best=POSITION_NAMES[POSITIONS[wa]], other=POSITION_NAMES[POSITIONS[ws]])
        order = np.argsort(-scores)
        win, second = int(order[0]), int(order[1])
        best, runner = POSITION_NAMES[POSITIONS[win]], POSITION_NAMES[POSITIONS[second]]
        margin = float(scores[win] - scores[second])
        if scores[win] < d.min_alignment:
            return _unsure("tilted", scores=scores, guess=POSITIONS[win], best=best, second=runner,
                           alignment=float(scores[win]), minimum=d.min_alignment)
        if margin < d.min_margin:
            return _unsure("disagree", scores=scores, guess=POSITIONS[win], best=best, second=runner, margin=margin,
                           minimum=d.min_margin)
        front_z = float(axes[0][2])
        facing = _facing_2d(pose.image_px)
        if abs(facing) > d.facing_2d and abs(front_z) > d.facing_3d and np.sign(facing) != np.sign(front_z):
            return _unsure("facing", scores=scores, guess=POSITIONS[win])
        position = POSITIONS[win]
        confidence = float(scores[win]) * min(1.0, margin / d.full_confidence_margin)
        advice_id, knees_ok, knee, hip = _advice(position, pose, d)
        advice = ADVICE[advice_id].format(knee=knee, hip=hip)
        return Verdict(position, round(confidence, 3), "", "", scores.astype(float), float(pitches[win]), advice_id,
                       advice, knee, hip, knees_ok, position)


def _unsure(reason_id: str, scores: np.ndarray | None = None, guess: str = "", **values: object) -> Verdict:
    return Verdict(UNSURE_ID, 0.0, UNSURE[reason_id].format(**values), reason_id,
                   np.full(len(POSITIONS), np.nan) if scores is None else scores.astype(float), math.nan, "", "",
                   math.nan, math.nan, None, guess)


def _leg_angles(pose: Pose) -> tuple[float, float, float, float]:
    """Mean over both legs of the knee (hip-knee-ankle) and hip (shoulder-hip-knee) angles: in 2D
    pixels, and in 3D world landmarks (NaN without them)."""
    px = pose.image_px.astype(float)
    world = pose.world_m.astype(float) if pose.world_m is not None else None
    out = {"k2": [], "h2": [], "k3": [], "h3": []}
    for side in ("left", "right"):
        s, h, k, a = (INDEX[f"{side}_{j}"] for j in ("shoulder", "hip", "knee", "ankle"))
        out["k2"].append(float(angle(px[h], px[k], px[a])))
        out["h2"].append(float(angle(px[s], px[h], px[k])))
        if world is not None:
            out["k3"].append(float(angle_3d(world[h], world[k], world[a])))
            out["h3"].append(float(angle_3d(world[s], world[h], world[k])))
    mean = {key: float(np.mean(v)) if v else math.nan for key, v in out.items()}
    return mean["k2"], mean["h2"], mean["k3"], mean["h3"]


def _advice(position: str, pose: Pose, d: SleepDefaults) -> tuple[str, bool | None, float, float]:
    """(advice id, knees as advised or None, the knee angle, the hip angle) for a sure position."""
    k2, h2, k3, h3 = _leg_angles(pose)
    if position == "stomach":
        return "stomach", False, k2, h2
    if pose.presence[list(_LEGS)].min() < d.min_presence:
        return "legs_unseen", None, k2, h2
    if position == "back":
        raised = k2 < d.knees_raised_max_deg
        return ("back_raised" if raised else "back_flat"), raised, k2, h2
    # Side-lying: flexion toward (or away from) the camera is foreshortened in 2D and the 3D depth is
    # noisy, so the bend seen in either counts.
    knee, hip = float(np.nanmin([k2, k3])), float(np.nanmin([h2, h3]))
    drawn = knee < d.side_knee_bent_max_deg and hip < d.knees_drawn_up_max_deg
    return ("side_drawn_up" if drawn else "side_straight"), drawn, knee, hip
