"""Pose builders: from a few exercise parameters (degrees, ratios) to a full rig :class:`Pose`.

Builders work in the *exercise frame*: x = the person's left when standing, y = up, z = the heading
(the way a standing person faces; head-to-feet for the glute bridge). Most segments are placed by a
sagittal angle ``alpha``: ``rot_x(alpha)`` applied to the neutral standing orientation, so a limb's
distal end points along ``down(alpha)`` = (0, -cos a, -sin a): 0 hangs straight down, -90 points
forward, +90 backwards. For the trunk, ``alpha`` > 0 leans forward. Knee angle = 180 - (alpha_shin -
alpha_thigh); hip angle (shoulder-hip-knee) = 180 - (alpha_trunk - alpha_thigh).

Every builder returns a pose with the pelvis at the origin; the clip generator puts it on the floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .body import Body
from .kinematics import Pose, axis_angle, rot_x, rot_y, rot_z

Array = np.ndarray
Params = dict[str, float]
SIDES = ("left", "right")
REACH_MARGIN_M = 0.004  # keep a leg this much short of straight, so its knee angle stays defined
MAX_HEEL_DEG = 85.0
MAX_OPEN_DEG = 90.0
MAX_FOOT_LIFT_DEG = 60.0
TRUNK = ("pelvis", "spine", "chest")
LEG = ("thigh", "shin", "foot", "toes")
ARM = ("upperarm", "forearm", "hand")


def other(side: str) -> str:
    """The other side."""
    return "right" if side == "left" else "left"


def seg(part: str, side: str) -> str:
    """Segment name of a limb part on a side, e.g. ``seg("thigh", "left") == "thigh_l"``."""
    return f"{part}_{side[0]}"


def outward(side: str) -> float:
    """Sign of the x axis that points away from the body's midline on ``side``."""
    return 1.0 if side == "left" else -1.0


@dataclass(frozen=True, eq=False)
class Rig:
    """Lengths and contact offsets of one body, measured once from its rest mesh."""

    body: Body
    thigh: float
    shin: float
    ankle_height: float
    toe_offset: Array  # ankle pivot -> toes pivot, (y, z)
    hip_half_width: float
    knee_front: float  # knee pivot -> front of the knee
    back_point: Array  # a point on the upper back (rest coordinates), attached to the chest

    @classmethod
    def of(cls, body: Body) -> Rig:
        """Measure a body."""
        p = {n: body.pivots[body.seg(n)] for n in body.segment_names}
        verts = body.vertices
        near_knee = np.abs(verts[:, 1] - p["shin_l"][1]) < 0.02
        near_knee &= np.abs(verts[:, 0] - p["shin_l"][0]) < 0.06
        shoulders = (p["upperarm_l"] + p["upperarm_r"]) / 2
        blade_y = shoulders[1] - 0.08
        band = (np.abs(verts[:, 1] - blade_y) < 0.02) & (np.abs(verts[:, 0]) < 0.1)
        back = np.array([0.0, blade_y, verts[band, 2].min()])
        return cls(
            body=body,
            thigh=body.length("thigh_l", "shin_l"),
            shin=body.length("shin_l", "foot_l"),
            ankle_height=float(p["foot_l"][1]),
            toe_offset=(p["toes_l"] - p["foot_l"])[[1, 2]],
            hip_half_width=float(abs(p["thigh_l"][0])),
            knee_front=float(verts[near_knee, 2].max() - p["shin_l"][2]),
            back_point=back,
        )


@lru_cache(maxsize=8)
def rig_for(body: Body) -> Rig:
    """Cached :class:`Rig` of a body."""
    return Rig.of(body)


@dataclass
class SagittalPose:
    """Per-segment (alpha, outward, twist) in degrees; ``outward`` moves a limb away from the midline."""

    angles: dict[str, tuple[float, float, float]]

    def set(self, name: str, alpha: float, out: float = 0.0, twist: float = 0.0) -> None:
        """Set one segment."""
        self.angles[name] = (alpha, out, twist)

    def to_pose(self, body: Body) -> Pose:
        """Rotation matrices for all segments (unset ones follow their parent's alpha)."""
        pose = Pose.neutral(len(body.segment_names))
        for i, name in enumerate(body.segment_names):
            if name not in self.angles:
                parent = body.parents[i]
                inherited = self.angles.get(body.segment_names[parent]) if parent >= 0 else None
                self.angles[name] = inherited or (0.0, 0.0, 0.0)
            alpha, out, twist = self.angles[name]
            sign = -1.0 if name.endswith("_r") else 1.0
            pose.rotations[i] = rot_x(alpha) @ rot_z(sign * out) @ rot_y(sign * twist)
        return pose


def blend(a: SagittalPose, b: SagittalPose, w: float) -> SagittalPose:
    """Per-angle linear blend of two sagittal poses (``w`` = 0 gives ``a``)."""
    keys = set(a.angles) | set(b.angles)
    zero = (0.0, 0.0, 0.0)
    return SagittalPose({
        k: tuple(float(x + (y - x) * w) for x, y in zip(a.angles.get(k, zero), b.angles.get(k, zero)))  # type: ignore[misc]
        for k in keys
    })


def two_link(hip: Array, target: Array, upper: float, lower: float) -> tuple[float, float]:
    """Sagittal IK: alphas of thigh and shin reaching ``target`` (y, z) from ``hip``, knee forward."""
    d = target - hip
    dist = float(np.clip(np.hypot(*d), abs(upper - lower) + 1e-6, upper + lower - 1e-6))
    line = np.degrees(np.arctan2(-d[1], -d[0]))  # alpha of the hip->target direction
    at_hip = np.degrees(np.arccos(np.clip((upper**2 + dist**2 - lower**2) / (2 * upper * dist), -1, 1)))
    knee = np.degrees(np.arccos(np.clip((upper**2 + lower**2 - dist**2) / (2 * upper * lower), -1, 1)))
    thigh = line - at_hip
    return thigh, thigh + (180.0 - knee)


def yz(alpha: float) -> Array:
    """(y, z) of ``down(alpha)``."""
    a = np.radians(alpha)
    return np.array([-np.cos(a), -np.sin(a)])


def bisect(f: Callable[[float], float], lo: float, hi: float, iterations: int = 28) -> float:
    """Root of a function that changes sign on [lo, hi] (the nearer end when it does not)."""
    flo, fhi = f(lo), f(hi)
    if flo * fhi > 0:
        return lo if abs(flo) < abs(fhi) else hi
    for _ in range(iterations):
        mid = (lo + hi) / 2
        fm = f(mid)
        if (fm < 0) == (flo < 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return (lo + hi) / 2


def arms_hanging(sp: SagittalPose, trunk: float, swing: float = 0.0, out: float = 8.0, elbow: float = 12.0) -> None:
    """Arms relaxed by the sides of a trunk at ``trunk`` degrees."""
    for side in SIDES:
        a = trunk + swing * (1 if side == "left" else -1)
        sp.set(seg("upperarm", side), a, out)
        sp.set(seg("forearm", side), a - elbow, out)
        sp.set(seg("hand", side), a - elbow, out)


def set_trunk(sp: SagittalPose, alpha: float, neck: float = 0.0, head: float = 0.0, head_turn: float = 0.0) -> None:
    """Rigid trunk at ``alpha``; neck and head relative to it; ``head_turn`` > 0 turns to the left."""
    for name in TRUNK:
        sp.set(name, alpha)
    sp.set("neck", alpha + neck)
    sp.set("head", alpha + neck + head, 0.0, head_turn)


# ---------------------------------------------------------------- lunge
def lunge_geometry(rig: Rig, p: Params) -> tuple[Array, Array, Array]:
    """Bottom hip position, front ankle and back toes (all (y, z)) for a lunge's bottom parameters.

    The back toes sit at z = 0; the stride comes from the *good-form* bottom (``good_*`` parameters):
    the one that puts the back knee at ``back_knee`` degrees, so a fault keeps the same stride.
    """
    def hip_from_front(knee: float, tilt: float) -> Array:
        shin, thigh = tilt, tilt + knee - 180.0
        return -rig.shin * yz(shin) - rig.thigh * yz(thigh)  # relative to the front ankle

    toes = np.array([rig.ankle_height + rig.toe_offset[0], 0.0])
    back_ankle = toes - rot2(p["good_back_heel"]) @ rig.toe_offset
    good_hip_rel = hip_from_front(p["good_front_knee"], p["good_shin_tilt"])
    reach = leg_reach(rig, p["back_knee"])
    dy = rig.ankle_height + good_hip_rel[0] - back_ankle[0]
    dz = np.sqrt(max(reach**2 - dy**2, 0.0))
    front_ankle = np.array([rig.ankle_height, back_ankle[1] + dz - good_hip_rel[1]])
    hip = front_ankle + hip_from_front(p["front_knee"], p["shin_tilt"])
    return hip, front_ankle, toes


def leg_reach(rig: Rig, knee: float) -> float:
    """Hip-to-ankle distance at a knee angle (law of cosines)."""
    c = np.cos(np.radians(knee))
    return float(np.sqrt(rig.thigh**2 + rig.shin**2 - 2 * rig.thigh * rig.shin * c))


def rot2(alpha: float) -> Array:
    """``rot_x(alpha)`` restricted to the (y, z) plane."""
    a = np.radians(alpha)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def lunge(rig: Rig, p: Params, side: str) -> Pose:
    """Forward lunge; ``side`` is the front leg.

    Parameters: ``step`` 0 standing .. 1 front foot planted; ``depth`` 0 top .. 1 bottom of the split;
    bottom shape ``front_knee``, ``shin_tilt``, ``torso_lean``, ``back_heel`` (heel raise of the back
    foot, deg); ``top_knee`` (front knee at the top of the split); ``back_knee`` and ``good_*`` fix
    the stride; ``head_turn``.
    """
    back = other(side)
    hip_bottom, front_ankle, toes = lunge_geometry(rig, p)
    # Top of the split: hips between the feet, front knee nearly straight.
    dz = (front_ankle[1] - toes[1]) * p["top_hip_fraction"]
    reach = leg_reach(rig, p["top_knee"])
    top_z = toes[1] + dz
    hip_top = np.array([front_ankle[0] + np.sqrt(max(reach**2 - (front_ankle[1] - top_z) ** 2, 0.0)), top_z])
    depth = p["depth"]
    hip = hip_top + (hip_bottom - hip_top) * depth
    heel = p["top_back_heel"] + (p["back_heel"] - p["top_back_heel"]) * depth
    heel = _heel_within_reach(hip, toes, heel, rig)
    back_ankle = toes - rot2(heel) @ rig.toe_offset
    split = SagittalPose({})
    ft, fs = two_link(hip, front_ankle, rig.thigh, rig.shin)
    bt, bs = two_link(hip, back_ankle, rig.thigh, rig.shin)
    lean = p["torso_lean"] * depth
    set_trunk(split, lean, neck=-lean * 0.6, head_turn=p["head_turn"])
    split.set(seg("thigh", side), ft)
    split.set(seg("shin", side), fs)
    split.set(seg("foot", side), 0.0)
    split.set(seg("toes", side), 0.0)
    split.set(seg("thigh", back), bt)
    split.set(seg("shin", back), bs)
    split.set(seg("foot", back), heel)
    split.set(seg("toes", back), 0.0)
    arms_hanging(split, lean, swing=0.0)
    step = p["step"]
    if step >= 1.0:
        return split.to_pose(rig.body)
    stand = SagittalPose({})
    set_trunk(stand, 0.0, head_turn=p["head_turn"])
    arms_hanging(stand, 0.0)
    for s in SIDES:
        for part in LEG:
            stand.set(seg(part, s), 0.0)
    mixed = blend(stand, split, step)
    lift = np.sin(np.pi * step)
    t, _, _ = mixed.angles[seg("thigh", side)]
    sh, _, _ = mixed.angles[seg("shin", side)]
    mixed.set(seg("thigh", side), t - p["swing_hip"] * lift)
    mixed.set(seg("shin", side), sh + (p["swing_knee"] - p["swing_hip"]) * lift)
    mixed.set(seg("foot", side), p["swing_foot"] * lift)
    return mixed.to_pose(rig.body)


def _heel_within_reach(hip: Array, toes: Array, heel: float, rig: Rig) -> float:
    """Raise the back heel (rotating the foot about the toes) until the back leg reaches its ankle.

    A shallow lunge keeps the same stride, so the straighter back leg comes up onto its toes.
    """
    limit = rig.thigh + rig.shin - REACH_MARGIN_M

    def excess(h: float) -> float:
        return float(np.hypot(*(hip - (toes - rot2(h) @ rig.toe_offset)))) - limit

    if excess(heel) <= 0:
        return heel
    return bisect(excess, heel, MAX_HEEL_DEG)


# ---------------------------------------------------------------- glute bridge
def glute_bridge(rig: Rig, p: Params, side: str | None) -> Pose:
    """Supine glute bridge (head towards -z). ``hip`` = shoulder-hip-knee angle (> 180 arches),
    ``knee`` = hip-knee-ankle angle; the trunk tilts so shoulders and feet both touch the floor."""
    body = rig.body
    chest = "chest"

    def build(incline: float, knee: float) -> SagittalPose:
        sp = SagittalPose({})
        trunk = -90.0 - incline
        set_trunk(sp, trunk, neck=incline * p["neck_follow"], head=0.0, head_turn=p["head_turn"])
        thigh = trunk - (180.0 - p["hip"])
        shin = thigh + (180.0 - knee)
        for s in SIDES:
            sp.set(seg("thigh", s), thigh, p["knee_out"])
            sp.set(seg("shin", s), shin, -p["knee_out"])
            sp.set(seg("foot", s), 0.0)
            sp.set(seg("toes", s), 0.0)
            sp.set(seg("upperarm", s), -90.0 + incline * p["arm_follow"], p["arm_out"])
            sp.set(seg("forearm", s), -90.0, p["arm_out"])
            sp.set(seg("hand", s), -90.0, p["arm_out"])
        return sp

    def gap(incline: float, knee: float) -> float:
        pose = build(incline, knee).to_pose(body)
        g, q = body.transforms(pose)
        ankle = q[body.seg("foot_l")]
        backp = body.point(pose, chest, rig.back_point, (g, q))
        return float(ankle[1] - backp[1] - rig.ankle_height)

    knee = p["knee"]
    if gap(0.0, knee) >= 0.0:
        # Flat on the back already: bend the knee until the feet touch the floor.
        knee = bisect(lambda k: gap(0.0, k), 30.0, knee)
        incline = 0.0
    else:
        incline = bisect(lambda a: gap(a, knee), 0.0, 75.0)
    return build(incline, knee).to_pose(body)


# ---------------------------------------------------------------- clamshell
def clamshell(rig: Rig, p: Params, side: str) -> Pose:
    """Side-lying clamshell facing +z; ``side`` is the top leg. ``open`` = angle top knee - mid-hip -
    bottom knee in the frontal (x-y) plane; ``foot_gap`` = ankle gap / thigh length when > the
    closed gap; ``roll`` = pelvis rolled back (deg)."""
    body = rig.body
    bottom = other(side)
    up = outward(side)
    sp = SagittalPose({})
    set_trunk(sp, 0.0, neck=p["neck_flex"], head=0.0, head_turn=0.0)
    sp.set("neck", p["neck_flex"], up * p["neck_tilt"])
    sp.set("head", p["neck_flex"], up * p["neck_tilt"])
    knee_in = np.degrees(np.arcsin(np.clip((rig.hip_half_width - p["knee_gap_m"] / 2) / rig.thigh, -1, 1)))
    thigh_a = -p["hip_flex"]
    shin_a = thigh_a + (180.0 - p["knee"])
    for s in SIDES:
        sp.set(seg("thigh", s), thigh_a, -knee_in)
        sp.set(seg("shin", s), shin_a, 0.0)
        sp.set(seg("foot", s), shin_a - 90.0 + p["ankle"])
        sp.set(seg("toes", s), shin_a - 90.0 + p["ankle"])
    # Shins angled in so the ankles stack at ``ankle_gap_m``.
    knee_x = rig.hip_half_width - rig.thigh * np.sin(np.radians(knee_in))
    shin_in = np.degrees(np.arcsin(np.clip((knee_x - p["ankle_gap_m"] / 2) / rig.shin, -1, 1)))
    for s in SIDES:
        sp.set(seg("shin", s), shin_a, -shin_in)
    sp.set(seg("upperarm", bottom), p["bottom_arm"], p["bottom_arm_out"])
    sp.set(seg("forearm", bottom), p["bottom_arm"] - p["bottom_elbow"], p["bottom_arm_out"])
    sp.set(seg("hand", bottom), p["bottom_arm"] - p["bottom_elbow"], p["bottom_arm_out"])
    sp.set(seg("upperarm", side), p["top_arm"], -p["top_arm_in"])
    sp.set(seg("forearm", side), p["top_arm"] - p["top_elbow"], -p["top_arm_in"])
    sp.set(seg("hand", side), p["top_arm"] - p["top_elbow"], -p["top_arm_in"])
    base = sp.to_pose(body)
    leg = [body.seg(seg(part, side)) for part in LEG]
    q = body.transforms(base)[1]
    hip_i, ankle_i = body.seg(seg("thigh", side)), body.seg(seg("foot", side))
    axis = q[ankle_i] - q[hip_i]
    knee_top, knee_bot = body.seg(seg("shin", side)), body.seg(seg("shin", bottom))
    mid = (q[hip_i] + q[body.seg(seg("thigh", bottom))]) / 2

    def opened(omega: float, lift: float) -> Pose:
        pose = base.copy()
        r = axis_angle([0.0, 0.0, 1.0], up * lift) @ axis_angle(axis, -up * omega)
        for i in leg:
            pose.rotations[i] = r @ base.rotations[i]
        return pose

    def opening(pose: Pose) -> float:
        qq = body.transforms(pose)[1]
        a = (qq[knee_top] - mid)[:2]
        b = (qq[knee_bot] - mid)[:2]
        return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))

    closed = opening(base)
    omega = 0.0
    if p["open"] > closed + 1e-3:
        omega = bisect(lambda w: opening(opened(w, 0.0)) - p["open"], 0.0, MAX_OPEN_DEG)
    lift = 0.0
    gap_now = np.linalg.norm(body.transforms(opened(omega, 0.0))[1][ankle_i] - q[body.seg(seg("foot", bottom))])
    want = p["foot_gap"] * rig.thigh
    if want > gap_now + 1e-4:
        bottom_ankle = q[body.seg(seg("foot", bottom))]

        def gap_error(b: float) -> float:
            return float(np.linalg.norm(body.transforms(opened(omega, b))[1][ankle_i] - bottom_ankle)) - want

        lift = bisect(gap_error, 0.0, MAX_FOOT_LIFT_DEG)
    pose = opened(omega, lift)
    if p["roll"]:
        roll = rot_y(up * p["roll"])
        moving = [i for i, n in enumerate(body.segment_names) if not any(n == seg(part, bottom) for part in LEG)]
        for i in moving:
            pose.rotations[i] = roll @ pose.rotations[i]
    lie = rot_z(90.0 * up)
    pose.rotations = lie @ pose.rotations
    return pose


# ---------------------------------------------------------------- half-kneeling hip flexor stretch
def hip_flexor_stretch(rig: Rig, p: Params, side: str) -> Pose:
    """Half-kneeling hip flexor stretch; ``side`` is the back (kneeling) leg.

    ``back_thigh`` = back thigh behind vertical (deg), ``front_knee``/``back_knee`` = knee angles,
    ``torso_lean`` = trunk forward of vertical (negative leans back).
    """
    body = rig.body
    front = other(side)
    sp = SagittalPose({})
    lean = p["torso_lean"]
    set_trunk(sp, lean, neck=-lean * 0.7, head_turn=p["head_turn"])
    bt = p["back_thigh"]
    bs = bt + (180.0 - p["back_knee"])
    sp.set(seg("thigh", side), bt)
    sp.set(seg("shin", side), bs)
    sp.set(seg("foot", side), p["back_foot"])
    sp.set(seg("toes", side), 0.0)
    knee = np.array([0.0, 0.0])
    hip = knee - rig.thigh * yz(bt)
    floor = knee[0] - rig.knee_front
    target_y = floor + rig.ankle_height

    def ankle_y(thigh: float) -> float:
        shin = thigh + (180.0 - p["front_knee"])
        return float((hip + rig.thigh * yz(thigh) + rig.shin * yz(shin))[0] - target_y)

    ft = bisect(ankle_y, -130.0, -10.0)
    sp.set(seg("thigh", front), ft)
    sp.set(seg("shin", front), ft + (180.0 - p["front_knee"]))
    sp.set(seg("foot", front), 0.0)
    sp.set(seg("toes", front), 0.0)
    for s in SIDES:
        sp.set(seg("upperarm", s), lean + p["arm"], p["arm_out"])
        sp.set(seg("forearm", s), lean + p["arm"] - p["elbow"], p["arm_out"])
        sp.set(seg("hand", s), lean + p["arm"] - p["elbow"], p["arm_out"])
    return sp.to_pose(body)


BUILDERS: dict[str, Callable[[Rig, Params, str], Pose]] = {
    "glute_bridge": glute_bridge,  # type: ignore[dict-item]
    "lunge": lunge,
    "clamshell": clamshell,
    "hip_flexor_stretch": hip_flexor_stretch,
}
