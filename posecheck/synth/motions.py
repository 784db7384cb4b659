"""Exercise motions as data: start parameters, phases of a rep or hold, faults and their sizes.

A rep is a list of :class:`Phase` rows; each row says how long it takes (seconds at tempo 1) and
which builder parameters (see ``poses``) it reaches by its end. A fault changes parameters of some
phases as a function of its *size* (:class:`FromSize`). ``"*"`` as a phase name means every phase of
the rep. A timeline of keyframes is built from a clip and interpolated per frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

Params = dict[str, float]


@dataclass(frozen=True)
class Phase:
    """One stage of a rep: reach ``values`` over ``seconds``."""

    name: str
    seconds: float
    values: Params = field(default_factory=dict)


@dataclass(frozen=True)
class FromSize:
    """A fault's parameter value: ``scale * size``, plus the good value when ``relative``."""

    scale: float = 1.0
    relative: bool = False


@dataclass(frozen=True)
class Fault:
    """A named form fault: what it changes, its default size and what the size measures."""

    id: str
    default_size: float
    measures: str
    changes: dict[str, dict[str, FromSize]]
    #: Other faults this one brings with it by geometry, listed in the truth too.
    implies: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.id, *self.implies)


@dataclass(frozen=True)
class Exercise:
    """Everything the generator needs about one exercise.

    ``constants`` are builder parameters that never change; ``start`` the parameters of the
    starting position; ``phases`` one rep (or, for holds, ``hold`` the good hold posture);
    ``key_phase`` the phase whose middle is reported as the rep's peak/bottom.
    """

    id: str
    kind: str  # "reps" or "hold"
    view: str
    sided: bool
    side_is: str
    constants: Params
    start: Params
    phases: tuple[Phase, ...]
    key_phase: str
    faults: dict[str, Fault]
    rest_s: float = 0.6
    transition_s: float = 1.0
    #: How far the head turns towards a camera off to one side (deg).
    head_turn_deg: float = 0.0
    #: Which point holds still horizontally (x, z): a segment pivot name ("{side}" = the rep's side,
    #: "{other}" = the other one) or "origin" to keep the pelvis on that axis.
    anchors: tuple[str, str] = ("origin", "origin")
    #: The camera lens's height above the floor unless a clip gives one (m).
    camera_height_m: float = 0.75
    #: The exercise mat: along the lying body ("body"), along the heading under the hips ("heading"), or none.
    mat: str = "none"
    #: Holds: parameters that drift over the whole hold, (value at its start, value at its end), as a
    #: stretch deepens (the butterfly's knees lower).
    settle: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Holds: true measures (``truth.measures`` names) reported at the hold's start and end, as the spec's
    #: ``[hold] measure`` reports them.
    hold_measures: tuple[str, ...] = ()


SAG = FromSize(-1.0, relative=True)

GLUTE_BRIDGE = Exercise(
    id="glute_bridge",
    kind="reps",
    view="side",
    sided=False,
    side_is="none",
    constants={"neck_follow": 0.7, "knee_out": 4.0, "arm_out": 12.0, "arm_follow": 0.6, "head_turn": 0.0},
    start={"hip": 128.0, "knee": 80.0},
    phases=(
        Phase("lift", 1.2, {"hip": 178.0, "knee": 90.0}),
        Phase("hold", 0.5, {"hip": 178.0, "knee": 90.0}),
        Phase("top", 1.6, {"hip": 178.0, "knee": 90.0}),
        Phase("lower", 1.3, {"hip": 128.0, "knee": 80.0}),
    ),
    key_phase="top",
    faults={
        "hips_low": Fault("hips_low", 150.0, "shoulder-hip-knee angle at the top (deg)",
                          {"hold": {"hip": FromSize()}, "top": {"hip": FromSize()}, "lift": {"hip": FromSize()}}),
        "hip_sag": Fault("hip_sag", 15.0, "drop of the shoulder-hip-knee angle during the hold (deg)",
                         {"hold": {"hip": SAG}, "top": {"hip": SAG}}),
        "over_lift": Fault("over_lift", 200.0, "signed shoulder-hip-knee angle at the top (deg, > 180 arches)",
                           {"lift": {"hip": FromSize()}, "hold": {"hip": FromSize()}, "top": {"hip": FromSize()}}),
    },
    rest_s=0.8,
    head_turn_deg=35.0,
    anchors=("origin", "foot_l"),
    camera_height_m=0.55,
    mat="body",
)

LUNGE = Exercise(
    id="lunge",
    kind="reps",
    view="side",
    sided=True,
    side_is="front leg",
    constants={
        "good_front_knee": 90.0, "good_shin_tilt": 8.0, "good_back_heel": 62.0, "back_knee": 92.0,
        "top_knee": 170.0, "top_back_heel": 38.0, "top_hip_fraction": 0.42,
        "swing_hip": 28.0, "swing_knee": 62.0, "swing_foot": 12.0, "head_turn": 0.0,
    },
    start={"step": 0.0, "depth": 0.0, "front_knee": 90.0, "shin_tilt": 8.0, "torso_lean": 4.0, "back_heel": 62.0},
    phases=(
        Phase("step", 0.8, {"step": 1.0, "depth": 0.0}),
        Phase("descend", 1.1, {"depth": 1.0}),
        Phase("bottom", 0.7, {"depth": 1.0}),
        Phase("ascend", 1.0, {"depth": 0.0}),
        Phase("step_back", 0.8, {"step": 0.0}),
    ),
    key_phase="bottom",
    faults={
        # A 125 deg front knee keeps the hips high, so the back knee stays ~0.75 shank lengths up.
        "shallow_front_knee": Fault("shallow_front_knee", 125.0, "front knee angle at the bottom (deg)",
                                    {"*": {"front_knee": FromSize()}}, implies=("back_knee_high",)),
        "torso_lean": Fault("torso_lean", 35.0, "torso forward of vertical at the bottom (deg)",
                            {"*": {"torso_lean": FromSize()}}),
        "knee_past_toes": Fault("knee_past_toes", 40.0, "front shin forward of vertical at the bottom (deg)",
                                {"*": {"shin_tilt": FromSize()}}),
    },
    rest_s=0.5,
    head_turn_deg=15.0,
    anchors=("origin", "toes_{other}"),
    camera_height_m=0.9,
    mat="none",
)

CLAMSHELL = Exercise(
    id="clamshell",
    kind="reps",
    view="front",
    sided=True,
    side_is="top leg",
    constants={
        "hip_flex": 45.0, "knee": 90.0, "ankle": 100.0, "knee_gap_m": 0.11, "ankle_gap_m": 0.075,
        "neck_flex": -8.0, "neck_tilt": 0.0,
        "bottom_arm": -165.0, "bottom_arm_out": -4.0, "bottom_elbow": 0.0,
        "top_arm": -60.0, "top_arm_in": 28.0, "top_elbow": 30.0,
    },
    start={"open": 0.0, "roll": 0.0, "foot_gap": 0.0},
    phases=(
        Phase("open", 1.5, {"open": 40.0, "roll": 0.0, "foot_gap": 0.0}),
        Phase("top", 0.4, {"open": 40.0}),
        Phase("close", 1.5, {"open": 0.0, "roll": 0.0, "foot_gap": 0.0}),
    ),
    key_phase="top",
    faults={
        "pelvis_roll": Fault("pelvis_roll", 25.0, "pelvis rolled back at the top (deg)",
                             {"open": {"roll": FromSize()}, "top": {"roll": FromSize()}}),
        "feet_apart": Fault("feet_apart", 0.35, "ankle gap at the top / thigh length",
                            {"open": {"foot_gap": FromSize()}, "top": {"foot_gap": FromSize()}}),
    },
    rest_s=0.5,
    head_turn_deg=0.0,
    anchors=("origin", "origin"),
    camera_height_m=0.3,
    mat="body",
)

HIP_FLEXOR_STRETCH = Exercise(
    id="hip_flexor_stretch",
    kind="hold",
    view="side",
    sided=True,
    side_is="back (kneeling) leg",
    constants={"back_knee": 90.0, "front_knee": 90.0, "back_foot": 78.0, "arm": -14.0, "elbow": 38.0,
               "arm_out": 10.0, "head_turn": 0.0},
    start={"torso_lean": 0.0, "back_thigh": 15.0},
    phases=(Phase("hold", 1.0, {"torso_lean": 0.0, "back_thigh": 15.0}),),
    key_phase="hold",
    faults={
        "torso_lean": Fault("torso_lean", 20.0, "torso from vertical (deg, > 0 forward, < 0 back)",
                            {"hold": {"torso_lean": FromSize()}}),
    },
    transition_s=1.0,
    head_turn_deg=20.0,
    anchors=("origin", "shin_{side}"),
    camera_height_m=0.75,
    mat="heading",
)

BUTTERFLY_STRETCH = Exercise(
    id="butterfly_stretch",
    kind="hold",
    view="front",
    sided=False,
    side_is="none",
    constants={"spread": 62.0, "head_turn": 0.0},
    start={"torso_lean": 5.0, "heel_in": 0.55, "knee_rise": 30.0},
    phases=(Phase("hold", 1.0, {"torso_lean": 5.0, "heel_in": 0.55}),),
    key_phase="hold",
    faults={
        "torso_lean": Fault("torso_lean", 35.0, "torso forward of vertical (deg)", {"hold": {"torso_lean": FromSize()}}),
        "heels_far": Fault("heels_far", 1.15, "heels' distance in front of the hips / thigh length",
                           {"hold": {"heel_in": FromSize()}}),
    },
    transition_s=1.5,
    settle={"knee_rise": (30.0, 16.0)},
    hold_measures=("left_knee_height", "right_knee_height"),
    head_turn_deg=0.0,
    anchors=("origin", "origin"),
    camera_height_m=0.6,
    mat="heading",
)

PIGEON_STRETCH = Exercise(
    id="pigeon_stretch",
    kind="hold",
    view="side",
    sided=True,
    side_is="front (bent) leg",
    constants={"front_out": 40.0, "front_drop": 6.0, "shin_drop": 4.0, "front_knee": 55.0, "head_turn": 0.0},
    start={"torso_lean": 8.0, "hip_lift": 10.0, "back_knee": 172.0, "hip_tilt": 0.0},
    phases=(Phase("hold", 1.0, {"torso_lean": 8.0, "hip_lift": 10.0, "back_knee": 172.0, "hip_tilt": 0.0}),),
    key_phase="hold",
    faults={
        "back_knee_bent": Fault("back_knee_bent", 120.0, "back knee angle (deg)", {"hold": {"back_knee": FromSize()}}),
        "hips_high": Fault("hips_high", 32.0, "back thigh below level (deg): the hips held up",
                           {"hold": {"hip_lift": FromSize()}}),
        "hips_uneven": Fault("hips_uneven", 16.0, "pelvis tilted down towards the front leg (deg)",
                             {"hold": {"hip_tilt": FromSize()}}),
    },
    transition_s=1.5,
    head_turn_deg=15.0,
    anchors=("origin", "origin"),
    camera_height_m=0.55,
    mat="heading",
)

HIP_90_90 = Exercise(
    id="hip_90_90",
    kind="hold",
    view="front",
    sided=True,
    side_is="front leg",
    constants={"front_out": 5.0, "back_out": 85.0, "thigh_drop": 6.0, "shin_drop": 3.0, "head_turn": 0.0},
    start={"torso_lean": 3.0, "front_knee": 90.0, "back_knee": 90.0},
    phases=(Phase("hold", 1.0, {"torso_lean": 3.0, "front_knee": 90.0, "back_knee": 90.0}),),
    key_phase="hold",
    faults={
        "torso_lean": Fault("torso_lean", 35.0, "torso forward of vertical (deg)", {"hold": {"torso_lean": FromSize()}}),
        "back_knee": Fault("back_knee", 150.0, "back knee angle (deg)", {"hold": {"back_knee": FromSize()}}),
    },
    transition_s=1.5,
    head_turn_deg=10.0,
    anchors=("origin", "origin"),
    camera_height_m=0.6,
    mat="heading",
)

EXERCISES: dict[str, Exercise] = {
    e.id: e
    for e in (GLUTE_BRIDGE, LUNGE, CLAMSHELL, HIP_FLEXOR_STRETCH, BUTTERFLY_STRETCH, PIGEON_STRETCH, HIP_90_90)
}


@dataclass(frozen=True)
class Keyframe:
    """Parameters reached at time ``t`` (seconds)."""

    t: float
    values: Params


@dataclass(frozen=True)
class RepTiming:
    """Where one rep or hold segment lies in the timeline."""

    index: int
    side: str | None
    start_s: float
    end_s: float
    key_s: float
    faults: tuple[str, ...]
    sizes: tuple[float, ...]
    requested: Params
    #: Not a whole countable rep: the clip starts inside it, or the person is out of view during it.
    partial: bool = False


@dataclass
class Timeline:
    """Keyframes plus the side that each moment belongs to (for one-sided builders)."""

    keyframes: list[Keyframe]
    sides: list[tuple[float, str | None]]
    reps: list[RepTiming]
    duration_s: float
    #: (start_s, end_s) spans in which the person is out of view.
    exits: list[tuple[float, float]] = field(default_factory=list)

    def params_at(self, t: float) -> Params:
        """Parameters at time ``t``: eased (cosine) interpolation between keyframes."""
        ks = self.keyframes
        if t <= ks[0].t:
            return dict(ks[0].values)
        for a, b in itertools.pairwise(ks):
            if t <= b.t:
                span = b.t - a.t
                s = 0.0 if span <= 0 else (t - a.t) / span
                w = 0.5 - 0.5 * np.cos(np.pi * s)
                return {k: a.values[k] + (b.values[k] - a.values[k]) * w for k in a.values}
        return dict(ks[-1].values)

    def side_at(self, t: float) -> str | None:
        """The side in force at time ``t``."""
        side = self.sides[0][1]
        for start, s in self.sides:
            if t >= start:
                side = s
        return side


def fault_value(fault: Fault, phase: str, param: str, size: float, good: float) -> float | None:
    """The value a fault sets for ``param`` in ``phase`` (None when it leaves it alone)."""
    for key in (phase, "*"):
        rule = fault.changes.get(key, {}).get(param)
        if rule is not None:
            return rule.scale * size + (good if rule.relative else 0.0)
    return None
