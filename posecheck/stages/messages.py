"""Phases, reasons and the user-facing words of the counting stages: one table, no text elsewhere."""

from __future__ import annotations

import math
from enum import Enum

from ..spec.schema import UNIT_OF_KIND, ExerciseSpec


class _Word(str, Enum):
    """An enum whose members print, format and serialise as their value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Phase(_Word):
    """Where the set is: getting into the starting position, resting between reps, mid-rep, holding."""

    SETUP = "setup"
    REST = "rest"
    REP = "rep"
    HOLD = "hold"


class Reason(_Word):
    """Why a movement was not counted as a rep (``report.json``'s ``rejected[].reason``)."""

    TOO_QUICK = "too_quick"
    TOO_SLOW = "too_slow"
    SHALLOW = "shallow"
    LEFT_FRAME = "left_frame"
    LEFT_POSITION = "left_position"
    VIEW = "view"
    INPUT_ENDED = "input_ended"
    UNDER_WAY = "under_way"


#: Every sentence the stages say. ``{...}`` fields are filled by the stage that says it.
MESSAGES: dict[str, str] = {
    Reason.TOO_QUICK: "too quick ({duration:.1f} s; a rep takes at least {limit:g} s)",
    Reason.TOO_SLOW: "too slow ({duration:.1f} s; a rep takes at most {limit:g} s)",
    Reason.SHALLOW: "the {label} reached {reached} but a rep needs {needed}",
    Reason.LEFT_FRAME: "the person left the frame",
    Reason.LEFT_POSITION: "the body left the starting position ({what})",
    Reason.VIEW: "the camera view ({view:.0f} deg from in front) is one the {label} cannot count in",
    Reason.INPUT_ENDED: "the input ended mid-rep (a partial rep)",
    Reason.UNDER_WAY: "it was already under way when first seen (a rep is counted from the starting position)",
    "rejected": "{n} movement{s} not counted as reps: {message}",
    "absent": "no person in {seconds:.1f} s of the input",
    "crowded": "more than one person in view for {seconds:.1f} s: followed the one exercising",
    "never_started": "counting never began: {why}",
    "out_of_range": "the {label} was never in {lo}-{hi} (it read {seen})",
    "unmeasured": "the {label} could not be measured",
    "not_at_rest": "the {label} was never at rest ({rest}) in the starting position",
    "outside": "the {label} read {value}; the position needs {lo}-{hi}",
    "no_hold": "no hold found: {why}",
    "not_counted_view": "reps not counted for {seconds:.1f} s: the camera {where}; {advice}",
    "not_judged": "{labels} not judged for {seconds:.1f} s: the camera {where}; {advice}",
    "view_notice": "{labels} not judged from here: the camera {where}; {advice}",
    "hold_target": "{target:.0f} s held in good form: well done",
    "article": "Checked as the {name}, the movement the article's \"{article}\" describes: {description}",
    "hold_measure": "{label}: {start} at the start, {end} at the end",
}
#: How the camera's view is put in words, by the largest angle (degrees from in front) each covers.
WHERE: tuple[tuple[float, str], ...] = (
    (30.0, "is in front of you"),
    (60.0, "is at an angle to you"),
    (90.1, "is side-on to you"),
)
ADVICE = {"side": "turn side-on to the camera for them", "front": "face the camera for them"}


def say(key: str, **fields: object) -> str:
    """The message ``key`` with its fields filled in."""
    return MESSAGES[key].format(**fields)


def article_note(spec: ExerciseSpec) -> str:
    """Which movement is checked, when the user's article calls it by another name ('' otherwise)."""
    if not spec.article:
        return ""
    return say("article", name=spec.name.lower(), article=spec.article, description=spec.description)


def where(view_deg: float) -> str:
    """'is in front of you (about 12 deg from in front)' and the like."""
    if not math.isfinite(view_deg):
        return "view is unknown"
    words = next(text for limit, text in WHERE if view_deg < limit)
    return f"{words} (about {view_deg:.0f} deg from in front)"


def advice(views: tuple[float, float], hint: str) -> str:
    """What to do to get into ``views``: the spec's hint, or a generic turn."""
    return hint or ADVICE["side" if views[0] >= 45.0 else "front"]


def format_metric(value: float | None, kind: str, precise: bool = False) -> str:
    """A metric value as the summary and the live lines print it: '87 deg' ('87.4 deg' if ``precise``),
    '0.85', or '-' if unknown."""
    if value is None or not math.isfinite(value):
        return "-"
    if UNIT_OF_KIND[kind] == "deg":
        return f"{value:.1f} deg" if precise else f"{value:.0f} deg"
    return f"{value:.3f}" if precise else f"{value:.2f}"
