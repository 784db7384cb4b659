"""Set-up guidance: get the person into the right view, whole in frame, then count down and start.

Pure logic over the steps the loop produces; the window and the terminal show what it says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .. import events as ev
from ..landmarks import INDEX, MIDPOINTS, OTHER_SIDE, SIDES
from ..sampler import Sample
from ..sinks.step import Step
from ..spec.schema import ExerciseSpec

Stage = Literal["setup", "countdown", "counting"]

#: Landmark name (without left_/right_) → the body part named in guidance.
BODY_PART: dict[str, str] = {
    "ankle": "feet", "heel": "feet", "foot_index": "feet",
    "knee": "knees", "hip": "hips", "shoulder": "shoulders",
    "elbow": "arms", "wrist": "hands", "pinky": "hands", "index": "hands", "thumb": "hands",
    "nose": "head", "eye": "head", "eye_inner": "head", "eye_outer": "head", "ear": "head",
    "mouth_left": "head", "mouth_right": "head",
}  # fmt: skip

#: How each camera view is explained on the set-up screen.
VIEW_TEXT: dict[str, str] = {
    "side": "camera view: from the side (side-on to the camera)",
    "front": "camera view: from the front (facing the camera)",
    "any": "camera view: any",
}

#: A point this close to the image edge (fraction of the size) with low visibility counts as outside.
EDGE_FRACTION = 0.01
#: A part must be out of frame this long before guidance says so (landmarks jitter at the edges).
MISSING_GRACE_S = 0.5


@dataclass(frozen=True)
class Guidance:
    """What set-up guidance says after one step.

    ``stage``: setup (not counting yet), countdown, or counting. ``message``: the instruction to show
    now ('' when all is well); ``reason``: what it is about (absent, view, frame, ok or '').
    ``view_ok``: person in view, right view, every needed body part in frame, for long enough that the
    evaluator would have objected to a wrong view (the green check).
    ``countdown``: whole seconds left while counting down. ``started``: True on the one step where
    counting starts.
    """

    stage: Stage = "setup"
    message: str = ""
    reason: Literal["", "absent", "view", "frame", "ok"] = ""
    view_ok: bool = False
    countdown: int | None = None
    started: bool = False


def required_points(spec: ExerciseSpec, side: str | None) -> list[str]:
    """Landmarks that the spec's metrics use, for ``side`` (both sides when it is not known yet)."""
    names: list[str] = []
    sides = [side] if side in SIDES else list(SIDES)
    for metric in spec.metrics.values():
        for name in (*metric.points, *metric.per, *metric.floor):
            for s in sides:
                resolved = name.replace("{side}", s).replace("{other}", OTHER_SIDE[s])  # type: ignore[index]
                for part in MIDPOINTS.get(resolved, (resolved,)):
                    if part in INDEX and part not in names:
                        names.append(part)
    return names


def _part(name: str) -> str:
    base = name.split("_", 1)[1] if name.startswith(("left_", "right_")) else name
    return BODY_PART.get(base, "body")


def out_of_frame(spec: ExerciseSpec, sample: Sample) -> list[str]:
    """Body parts (e.g. "feet", "head") whose needed landmarks lie outside the image in ``sample``.

    Uses the raw landmarks, which the model places beyond the edges for parts it cannot see; a part
    hidden behind the body (inside the image) is not "out of frame".
    """
    pose = sample.pose
    if pose is None:
        return []
    w, h = pose.image_size
    mx, my = EDGE_FRACTION * w, EDGE_FRACTION * h
    min_vis = spec.landmarks.min_visibility
    parts: list[str] = []
    for name in required_points(spec, sample.side):
        i = INDEX[name]
        x, y = pose.image_px[i]
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        outside = x < 0 or y < 0 or x > w or y > h
        at_edge = x < mx or y < my or x > w - mx or y > h - my
        if (outside or (at_edge and pose.visibility[i] < min_vis)) and _part(name) not in parts:
            parts.append(_part(name))
    return parts


def missing_message(parts: list[str]) -> str:
    """The guidance for parts out of frame: ``["feet"]`` gives "step back: your feet are out of frame"."""
    if not parts:
        return ""
    named = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    verb = "is" if parts == ["head"] else "are"
    return f"step back: your {named} {verb} out of frame"


class SetupGuide:
    """Before counting: is the person in view with every needed part in frame? Once that holds, a
    countdown runs; when it ends, ``started`` is True and counting begins (this is the set's only gate:
    the evaluator counts from "go"). While counting, it keeps saying what is wrong when the person leaves,
    and which checks the camera's view keeps from being judged (the view never stops counting).

    Fed each step with ``update(step) -> Guidance``. Presence and view come from the evaluator's own
    events (PersonFound/PersonLost, ViewWarning/ViewOk), so guidance and counting agree.
    """

    def __init__(self, spec: ExerciseSpec, countdown_s: float = 3.0, enabled: bool = True) -> None:
        self.spec = spec
        self.countdown_s = max(countdown_s, 0.0)
        self.enabled = enabled
        self.restart()

    def restart(self) -> None:
        """Back to set-up (a new set), or straight to counting when guidance is off."""
        self.stage: Stage = "setup" if self.enabled else "counting"
        self._ok_since: float | None = None
        self._countdown_from = 0.0
        self.evaluator_reset()

    def evaluator_reset(self) -> None:
        """The evaluator was reset: it will announce presence and view afresh."""
        self._present = False
        self._view_message: str | None = None
        self._missing_since: float | None = None

    def update(self, step: Step) -> Guidance:
        """Take one step; say what to do and whether counting starts now."""
        t = step.sample.t_s
        for e in step.events:
            if isinstance(e, ev.PersonFound):
                self._present = True
            elif isinstance(e, ev.PersonLost):
                self._present = False
            elif isinstance(e, ev.ViewWarning):
                self._view_message = e.message
            elif isinstance(e, ev.ViewOk):
                self._view_message = None
        parts = out_of_frame(self.spec, step.sample)
        if not parts:
            self._missing_since = None
        elif self._missing_since is None:
            self._missing_since = t
        missing = self._missing_since is not None and t - self._missing_since >= MISSING_GRACE_S
        reason: Literal["", "absent", "view", "frame", "ok"] = ""
        message = ""
        if not self._present:
            reason, message = "absent", "no one in view: get into position in front of the camera"
        elif missing:
            reason, message = "frame", missing_message(parts)
        elif self._view_message:  # advice only: the view never holds counting back
            reason, message = "view", self._view_message
        ok = self._present and not missing
        started = self._advance(ok, t)
        countdown = None
        if self.stage == "countdown":
            countdown = max(math.ceil(self.countdown_s - (t - self._countdown_from)), 1)
        if ok and not reason and self.stage != "counting":
            reason, message = "ok", "in view: get ready"
        checked = ok and self.stage != "setup"
        return Guidance(self.stage, message, reason, checked, countdown, started)

    def _advance(self, ok: bool, t: float) -> bool:
        if self.stage == "counting":
            return False
        if not ok:
            self.stage, self._ok_since = "setup", None
            return False
        if self._ok_since is None:
            self._ok_since = t
        # What the frame check waits, unless there is no countdown (a video file as the camera): then the
        # set starts on the first frame in view, as analyze counts from the first frame.
        if self.stage == "setup" and (self.countdown_s == 0 or t - self._ok_since >= MISSING_GRACE_S):
            self.stage, self._countdown_from = "countdown", t
        if self.stage == "countdown" and t - self._countdown_from >= self.countdown_s:
            self.stage = "counting"
            return True
        return False
