"""Pose builders for stretches on the floor: the butterfly, the 90/90 and the pigeon.

These legs leave the sagittal plane (thighs turned out, shins across the body), so limbs are aimed at
directions in the exercise frame (x = the person's left, y = up, z = the heading) instead of given a
sagittal angle. A limb's frame is built from where it points and its hinge axis, so a knee always bends
about its own hinge and the mesh folds the way a knee does.

Every builder returns a pose with the pelvis at the origin; the clip generator puts it on the floor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .body import Body
from .kinematics import Pose, rot_z
from .poses import SIDES, Params, Rig, SagittalPose, other, outward, seg, set_trunk

Array = np.ndarray
UP = np.array([0.0, 1.0, 0.0])
SOLES_GAP_M = 0.07  # ankle centres of feet pressed sole to sole
FOOT_EDGE_M = 0.045  # ankle centre above the floor with the foot on its outer edge


def unit(v: Array) -> Array:
    return np.asarray(v, float) / (np.linalg.norm(v) + 1e-12)


def limb_frame(distal: Array, hinge: Array) -> Array:
    """Rotation of a limb pointing along ``distal`` whose hinge (the knee's or elbow's axis, x at rest)
    is as near ``hinge`` as the direction allows."""
    y = -unit(distal)
    x = np.asarray(hinge, float) - (np.asarray(hinge, float) @ y) * y
    if np.linalg.norm(x) < 1e-6:
        x = np.cross(y, [0.0, 0.0, 1.0]) if abs(y[2]) < 0.9 else np.cross(y, [1.0, 0.0, 0.0])
    x = unit(x)
    return np.column_stack([x, y, np.cross(x, y)])


def foot_frame(toes: Array, top: Array) -> Array:
    """Rotation of a foot whose toes point along ``toes`` and whose top (instep) faces ``top``."""
    z = unit(toes)
    y = unit(np.asarray(top, float) - (np.asarray(top, float) @ z) * z)
    return np.column_stack([np.cross(y, z), y, z])


def knee_hinge(thigh: Array, shin: Array, straight: Array) -> Array:
    """The hinge that bends ``thigh`` into ``shin`` the way a knee flexes (``straight`` when they are in line)."""
    h = np.cross(unit(thigh), unit(shin))
    return unit(h) if np.linalg.norm(h) > 1e-6 else np.asarray(straight, float)


def turned(v: Array, deg: float) -> Array:
    """``v`` turned about the vertical by ``deg`` (positive: from +z towards +x)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([c * v[0] + s * v[2], v[1], -s * v[0] + c * v[2]])


def horizontal(deg_from_heading: float, side: str, drop_deg: float = 0.0) -> Array:
    """A direction ``deg_from_heading`` out to ``side`` from straight ahead, ``drop_deg`` below level."""
    a, d = np.radians(deg_from_heading), np.radians(drop_deg)
    return np.array([outward(side) * np.sin(a) * np.cos(d), -np.sin(d), np.cos(a) * np.cos(d)])


class Limbs:
    """A pose under construction: trunk and head from a :class:`SagittalPose`, limbs aimed one by one.

    Aiming a segment needs the positions of the ones above it, so each ``aim`` re-runs the forward
    kinematics (a few microseconds for this rig)."""

    def __init__(self, body: Body, sp: SagittalPose) -> None:
        self.body = body
        self.pose = sp.to_pose(body)

    def pivot(self, name: str) -> Array:
        return self.body.transforms(self.pose)[1][self.body.seg(name)]

    def set(self, name: str, rotation: Array) -> None:
        self.pose.rotations[self.body.seg(name)] = rotation

    def leg(self, side: str, thigh: Array, shin: Array, toes: Array, top: Array) -> None:
        """Aim a whole leg: thigh and shin directions, the foot's toes and instep."""
        hinge = knee_hinge(thigh, shin, [1.0, 0.0, 0.0])
        self.set(seg("thigh", side), limb_frame(thigh, hinge))
        self.set(seg("shin", side), limb_frame(shin, hinge))
        self.set(seg("foot", side), foot_frame(toes, top))
        self.set(seg("toes", side), foot_frame(toes, top))

    def arm(self, side: str, elbow_at: Array, hand_at: Array) -> None:
        """Aim an arm from its shoulder at two points (the elbow bends forward, as elbows do)."""
        upper = unit(elbow_at - self.pivot(seg("upperarm", side)))
        self.set(seg("upperarm", side), limb_frame(upper, [1.0, 0.0, 0.0]))
        fore = unit(hand_at - self.pivot(seg("forearm", side)))
        hinge = knee_hinge(fore, upper, [1.0, 0.0, 0.0])
        self.set(seg("forearm", side), limb_frame(fore, hinge))
        self.set(seg("hand", side), limb_frame(fore, hinge))

    def seat_height(self, parts: tuple[str, ...] = ("pelvis", "thigh_l", "thigh_r")) -> float:
        """The lowest point of these parts' skin relative to the pelvis pivot (negative: below it)."""
        body = self.body
        verts = body.skin(self.pose)
        owner = body.skin_index[np.arange(len(verts)), np.argmax(body.skin_weight, axis=1)]
        mask = np.isin(owner, [body.seg(p) for p in parts])
        return float(verts[mask, 1].min() - self.pivot("pelvis")[1])


def _seated_trunk(p: Params) -> SagittalPose:
    sp = SagittalPose({})
    lean = p["torso_lean"]
    set_trunk(sp, lean, neck=-lean * 0.6, head_turn=p["head_turn"])
    return sp


# ---------------------------------------------------------------- butterfly
def butterfly(rig: Rig, p: Params, side: str | None) -> Pose:
    """Seated butterfly: soles together, knees out. ``knee_rise`` = thighs above level (deg; the knees
    lower as the stretch deepens), ``spread`` = thighs out from straight ahead (deg), ``heel_in`` =
    heels' distance in front of the hips / thigh length, ``torso_lean`` = trunk forward of vertical."""
    limbs = Limbs(rig.body, _seated_trunk(p))
    thighs = {s: horizontal(p["spread"], s, -p["knee_rise"]) for s in SIDES}
    for s in SIDES:
        limbs.leg(s, thighs[s], thighs[s], [0.0, 0.0, 1.0], UP)
    seat = limbs.seat_height()
    for s in SIDES:
        knee = limbs.pivot(seg("shin", s))
        hip = limbs.pivot(seg("thigh", s))
        ankle = np.array([outward(s) * SOLES_GAP_M / 2, seat + FOOT_EDGE_M, hip[2] + p["heel_in"] * rig.thigh])
        # The shin keeps its length: the ankle goes where the knee lets it, towards that target.
        reach = ankle - knee
        flat = np.hypot(reach[1], reach[2])
        if flat < rig.shin:
            sideways = np.sqrt(rig.shin**2 - flat**2)
            ankle[0] = knee[0] - outward(s) * sideways
        shin = unit(ankle - knee)
        limbs.leg(s, thighs[s], shin, turned([0.0, 0.0, 1.0], -outward(s) * 20.0), [outward(s), 0.4, 0.0])
    feet = (limbs.pivot("foot_l") + limbs.pivot("foot_r")) / 2
    for s in SIDES:
        knee = limbs.pivot(seg("shin", s))
        limbs.arm(s, (knee * 0.6 + feet * 0.4) + [0.0, 0.1, 0.0], feet + [outward(s) * 0.03, 0.02, 0.02])
    return limbs.pose


# ---------------------------------------------------------------- 90/90
def hip_90_90(rig: Rig, p: Params, side: str) -> Pose:
    """Seated 90/90; ``side`` is the front leg. The front thigh points ``front_out`` deg out from
    straight ahead with its shin across the body (``front_knee``); the back thigh points ``back_out``
    deg out to the other side with its shin back (``back_knee``); ``torso_lean`` forward."""
    back = other(side)
    limbs = Limbs(rig.body, _seated_trunk(p))
    front_thigh = horizontal(p["front_out"], side, p["thigh_drop"])
    back_thigh = horizontal(p["back_out"], back, p["thigh_drop"])
    # A knee angle k turns the shin (180 - k) from the thigh's line, in the floor's plane: the front shin
    # inwards (across the body), the back shin backwards.
    front_shin = turned(front_thigh, -outward(side) * (180.0 - p["front_knee"]))
    back_shin = turned(back_thigh, outward(back) * (180.0 - p["back_knee"]))
    front_shin[1] = back_shin[1] = -np.sin(np.radians(p["shin_drop"]))
    limbs.leg(side, front_thigh, front_shin, turned(front_shin, -outward(side) * 30.0), [outward(side), 0.3, 0.0])
    limbs.leg(back, back_thigh, back_shin, unit(back_shin + [0.0, -0.4, 0.0]), [0.0, 0.3, 1.0])
    for s in SIDES:
        shoulder = limbs.pivot(seg("upperarm", s))
        # Hands on the floor beside the hips, a little ahead.
        hand = shoulder + [outward(s) * 0.12, -0.5, 0.15]
        limbs.arm(s, (shoulder + hand) / 2 + [outward(s) * 0.06, 0.0, 0.02], hand)
    return limbs.pose


# ---------------------------------------------------------------- pigeon
def pigeon(rig: Rig, p: Params, side: str) -> Pose:
    """Pigeon stretch; ``side`` is the front (bent) leg. Its thigh points ``front_out`` deg out from the
    heading, its shin turned ``front_knee`` deg from the thigh towards the other hip; the back leg lies
    long behind, its thigh ``hip_lift`` deg below level (the hips' height), its knee at ``back_knee``;
    ``hip_tilt`` rolls the pelvis towards the front leg's side (hips not level); ``torso_lean`` forward."""
    back = other(side)
    limbs = Limbs(rig.body, _seated_trunk(p))
    front_thigh = horizontal(p["front_out"], side, p["front_drop"])
    front_shin = turned(-front_thigh, outward(side) * p["front_knee"])  # from the hip's line, inwards
    front_shin = unit([front_shin[0], -np.sin(np.radians(p["shin_drop"])), front_shin[2]])
    lift = np.radians(p["hip_lift"])
    back_thigh = np.array([0.0, -np.sin(lift), -np.cos(lift)])
    bend = np.radians(180.0 - p["back_knee"])
    # The back knee flexes in the sagittal plane: the foot rises off the floor behind.
    back_shin = np.array([0.0, np.sin(bend - lift), -np.cos(bend - lift)])
    limbs.leg(side, front_thigh, front_shin, turned(front_shin, outward(side) * 10.0), [outward(side) * 0.3, 1.0, 0.0])
    limbs.leg(back, back_thigh, back_shin, unit(back_shin + [0.0, -0.25, 0.0]), [0.0, -1.0, 0.0])
    hips = limbs.pivot("pelvis")
    for s in SIDES:
        shoulder = limbs.pivot(seg("upperarm", s))
        # Hands on the floor either side of the front knee, arms long.
        hand = np.array([shoulder[0] + outward(s) * 0.1, hips[1] - 0.12, shoulder[2] + 0.25])
        limbs.arm(s, (shoulder + hand) / 2 + [outward(s) * 0.03, 0.0, 0.05], hand)
    if p["hip_tilt"]:
        limbs.pose.rotations = rot_z(-outward(side) * p["hip_tilt"]) @ limbs.pose.rotations
    return limbs.pose


BUILDERS: dict[str, Callable[[Rig, Params, str], Pose]] = {
    "butterfly_stretch": butterfly,  # type: ignore[dict-item]
    "hip_90_90": hip_90_90,
    "pigeon_stretch": pigeon,
}
