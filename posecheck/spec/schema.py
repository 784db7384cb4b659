"""The exercise spec, defined once as typed dataclasses.

The field metadata (``doc``, ``range``) drives validation (:mod:`posecheck.spec.loader`), defaults and the
JSON Schema (:func:`posecheck.spec.jsonschema.json_schema`). Nothing here knows any exercise by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Unit = Literal["deg", "ratio"]
MetricKind = Literal["angle", "line_angle", "tilt", "distance_ratio", "height"]
SideChoice = Literal["auto", "left", "right", "front_leg", "back_leg", "top_leg", "bent_leg", "none"]
When = Literal["always", "peak", "rep", "hold"]
Range = tuple[float, float]

#: Camera views in degrees from straight in front of the person (0) to exactly side-on (90).
VIEW_DEG: dict[str, float] = {"front": 0.0, "side": 90.0}
ALL_VIEWS: Range = (0.0, 90.0)

#: How many points each metric kind takes, and what unit it gives.
POINTS_PER_KIND: dict[str, int] = {"angle": 3, "line_angle": 3, "tilt": 2, "distance_ratio": 2, "height": 1}
UNIT_OF_KIND: dict[str, Unit] = {
    "angle": "deg", "line_angle": "deg", "tilt": "deg", "distance_ratio": "ratio", "height": "ratio",
}  # fmt: skip


def doc(text: str, *, range: tuple[float | None, float | None] | None = None, **kw: object) -> dict:
    """Field metadata: a description for the JSON Schema, and an allowed numeric range."""
    return {"doc": text, "range": range, **kw}


@dataclass(frozen=True)
class ViewSpec:
    """Which camera view the exercise needs and how it is recognised."""

    expect: Literal["side", "front", "any"] = field(
        default="side",
        metadata=doc(
            "The camera view the exercise is best seen from: side, front or any. Counting and each check "
            "work in the views they declare ('views'); this one is what set-up advice asks for."
        ),
    )
    side_max_width: float = field(
        default=0.45,
        metadata=doc(
            "Without world landmarks the view is estimated from (shoulder width + hip width) / (2 x torso "
            "length): side-on (90 deg) at or below this.",
            range=(0.0, 2.0),
        ),
    )
    front_min_width: float = field(
        default=0.55,
        metadata=doc("... and facing the camera (0 deg) at or above this.", range=(0.0, 2.0)),
    )
    hint: str = field(default="", metadata=doc("Set-up advice for getting the best view."))
    grace_s: float = field(
        default=1.0,
        metadata=doc("How long the view may keep checks from being judged before a notice.", range=(0.0, 60.0)),
    )

    @property
    def best_deg(self) -> float | None:
        """The best view in degrees from in front of the person (0 front, 90 side), None for any."""
        return VIEW_DEG.get(self.expect)


@dataclass(frozen=True)
class SideSpec:
    """Which body side the metrics use ('{side}' in landmark names; '{other}' is the opposite)."""

    choose: SideChoice = field(
        default="auto",
        metadata=doc(
            "auto: the side nearer the camera; left/right: fixed; front_leg/back_leg: the leg whose ankle "
            "is ahead of / behind the other along the facing direction; top_leg: the leg whose hip is "
            "higher in the image (side-lying); bent_leg: the leg whose knee is more bent (in 3D with world "
            "landmarks; the front leg of a pigeon); none: the spec uses no '{side}' placeholder."
        ),
    )
    per_side: bool = field(default=False, metadata=doc("Count reps and holds per side."))
    space: Literal["image", "world"] = field(
        default="image",
        metadata=doc(
            "front_leg/back_leg: image compares the ankles across the picture (side views only); world "
            "compares them along the torso's facing direction in the world landmarks (any view)."
        ),
    )
    switch_after_s: float = field(
        default=0.3,
        metadata=doc("The other side must win this long before the choice switches.", range=(0.0, 10.0)),
    )


@dataclass(frozen=True)
class SmoothingSpec:
    """One Euro filter on landmark pixels (Casiez et al. 2012)."""

    method: Literal["one_euro", "none"] = field(default="one_euro", metadata=doc("Filter on landmarks."))
    min_cutoff: float = field(
        default=1.5, metadata=doc("Cut-off at rest, Hz: lower = smoother, more lag.", range=(0.01, 100.0))
    )
    beta: float = field(
        default=0.02, metadata=doc("Speed coefficient: higher = less lag when moving.", range=(0.0, 100.0))
    )
    d_cutoff: float = field(
        default=1.0, metadata=doc("Cut-off of the speed estimate, Hz.", range=(0.01, 100.0))
    )


@dataclass(frozen=True)
class LandmarkSpec:
    """When a landmark is trusted. Untrusted landmarks make the metrics that use them NaN."""

    min_visibility: float = field(default=0.5, metadata=doc("Minimum visibility.", range=(0.0, 1.0)))
    min_presence: float = field(default=0.5, metadata=doc("Minimum presence.", range=(0.0, 1.0)))
    max_bone_change: float = field(
        default=0.4,
        metadata=doc(
            "A limb bone whose on-screen length differs from its running median by more than this "
            "fraction marks its joints unreliable (visibility alone is not trustworthy).",
            range=(0.05, 10.0),
        ),
    )


@dataclass(frozen=True)
class MetricSpec:
    """A named measurement computed from landmarks each frame."""

    kind: MetricKind = field(
        metadata=doc(
            "angle: at the middle of 3 points, 0-180; line_angle: like angle but above 180 when the middle "
            "point lies on the 'positive' side of the line through the outer two; tilt: of the segment "
            "from the first to the second point, from 'reference'; distance_ratio: distance between 2 "
            "points / length of the 'per' segment; height: of 1 point above the lowest 'floor' point / "
            "length of the 'per' segment."
        )
    )
    points: tuple[str, ...] = field(metadata=doc("Landmark names; may use {side} and {other}."))
    label: str = field(default="", metadata=doc("Short label for the overlay and the summary."))
    reference: Literal["vertical", "horizontal"] = field(
        default="vertical", metadata=doc("tilt: measured from this direction.")
    )
    positive: Literal["up", "forward", "none"] = field(
        default="none",
        metadata=doc(
            "Sign: line_angle/tilt count toward image-up or the facing direction as positive; none = unsigned."
        ),
    )
    per: tuple[str, ...] = field(default=(), metadata=doc("distance_ratio/height: the 2-point normalising segment."))
    floor: tuple[str, ...] = field(default=(), metadata=doc("height: landmarks whose lowest marks the floor."))
    space: Literal["image", "world"] = field(
        default="image",
        metadata=doc(
            "image: measured on the picture's pixels (exact in the camera plane, distorted out of it); world: "
            "on the pose model's 3D world landmarks (the same from any camera view, but less precise). "
            "world works for angle, line_angle ('positive' up = against gravity, as the camera sees it), "
            "distance_ratio and unsigned tilt."
        ),
    )
    baseline: Literal["none", "ratio_to_high", "minus_low"] = field(
        default="none",
        metadata=doc(
            "Calibrate against the person's own recent values (last 10 s): ratio_to_high divides by the "
            "90th percentile (e.g. hip height as a fraction of standing), minus_low subtracts the 10th "
            "percentile (e.g. knee opening above its closed value)."
        ),
    )


@dataclass(frozen=True)
class RepSpec:
    """The rep state machine: hysteresis on one metric."""

    metric: str = field(metadata=doc("The metric whose excursion is one rep."))
    enter: float = field(metadata=doc("The rep starts when the metric crosses this, away from rest."))
    exit: float = field(
        metadata=doc("The rep ends when it crosses back past this. enter > exit: the metric rises in a rep.")
    )
    min_rep_s: float = field(default=0.8, metadata=doc("Shorter excursions are not reps.", range=(0.0, 60.0)))
    max_rep_s: float = field(default=20.0, metadata=doc("Longer excursions are not reps.", range=(0.1, 600.0)))
    position: dict[str, Range] = field(
        default_factory=dict,
        metadata=doc(
            "The starting position, metric = [min, max] (e.g. lying on the back: torso near horizontal). "
            "Counting begins once the body is in it with the rep metric at rest; a movement made out of it "
            "(getting down onto the mat, standing up) is not a rep."
        ),
    )
    ready_s: float = field(
        default=0.2,
        metadata=doc(
            "How long the body must be in the starting position, at rest, before counting begins.",
            range=(0.0, 60.0),
        ),
    )
    views: Range = field(
        default=ALL_VIEWS,
        metadata=doc("Camera views [min, max] in degrees (0 front, 90 side) in which the rep metric counts."),
    )
    dropout_s: float = field(
        default=0.5,
        metadata=doc("A rep survives losing the person for this long.", range=(0.0, 10.0)),
    )
    peak_window_s: float = field(
        default=0.3,
        metadata=doc("Peak values are medians over this window around the rep's extreme.", range=(0.0, 5.0)),
    )


@dataclass(frozen=True)
class HoldSpec:
    """A static hold: timed while in position, counted as good while every hold check passes."""

    position: dict[str, Range] = field(
        metadata=doc("metric = [min, max]: in position while every listed metric is inside its range.")
    )
    target_s: float = field(default=30.0, metadata=doc("Good-form seconds to aim for.", range=(1.0, 3600.0)))
    grace_s: float = field(
        default=0.5,
        metadata=doc("Dropouts and out-of-position spells shorter than this do not end the hold.", range=(0.0, 10.0)),
    )
    min_hold_s: float = field(default=2.0, metadata=doc("Shorter holds are not reported.", range=(0.0, 600.0)))
    measure: tuple[str, ...] = field(
        default=(),
        metadata=doc(
            "Metrics reported at the start and the end of each hold (median of its first and last "
            "'measure_s'): a range-of-motion figure to watch improve, e.g. the knees' height in a butterfly."
        ),
    )
    measure_s: float = field(
        default=2.0,
        metadata=doc("The span at each end of a hold over which 'measure' metrics are taken.", range=(0.1, 60.0)),
    )


@dataclass(frozen=True)
class CheckSpec:
    """A form check: a metric that must stay inside [min, max] at a given moment."""

    metric: str = field(metadata=doc("The metric checked."))
    cue: str = field(metadata=doc("What the user is told when the check fails."))
    when: When = field(
        default="rep",
        metadata=doc(
            "peak: at the rep's extreme (top of a bridge, bottom of a lunge); rep: while a rep is under "
            "way; hold: while holding; always: whenever the person is tracked."
        ),
    )
    min: float | None = field(default=None, metadata=doc("Lowest passing value."))
    max: float | None = field(default=None, metadata=doc("Highest passing value."))
    relative_to: Literal["none", "peak"] = field(
        default="none", metadata=doc("peak: compare value minus the rep's best value so far.")
    )
    min_duration_s: float = field(
        default=0.3,
        metadata=doc("The value must be out of range this long before the fault counts.", range=(0.0, 60.0)),
    )
    max_speed: float | None = field(
        default=None,
        metadata=doc(
            "Only judged while the metric changes slower than this, per second (e.g. to judge a hold at the "
            "top and not the lowering after it).",
            range=(0.0, None),
        ),
    )
    label: str = field(default="", metadata=doc("The fault in plain words for the summary."))
    views: Range = field(
        default=ALL_VIEWS,
        metadata=doc(
            "Camera views [min, max] in degrees (0 front, 90 side) in which this check can be judged "
            "(e.g. image-plane joint angles need a side view); outside them it is skipped and the summary says so."
        ),
    )


@dataclass(frozen=True)
class CueSpec:
    """How cues are paced so feedback does not flicker."""

    show_s: float = field(default=2.5, metadata=doc("How long a cue stays on screen.", range=(0.1, 60.0)))
    cooldown_s: float = field(
        default=4.0, metadata=doc("The same cue is not repeated within this time.", range=(0.0, 600.0))
    )


@dataclass(frozen=True)
class ExerciseSpec:
    """A whole exercise: what to measure, how to count, what to check."""

    id: str = field(metadata=doc("Identifier used on the command line and in reports."))
    name: str = field(metadata=doc("Display name."))
    kind: Literal["reps", "hold"] = field(metadata=doc("reps: count repetitions; hold: time a static hold."))
    metrics: dict[str, MetricSpec] = field(metadata=doc("Named measurements."))
    aliases: tuple[str, ...] = field(default=(), metadata=doc("Other names accepted by --exercise."))
    description: str = field(default="", metadata=doc("One or two sentences on how to do it."))
    article: str = field(
        default="",
        metadata=doc(
            "The name a source (the user's physio article) gives this movement when it differs from ours; "
            "--exercise finds the spec by it, and the summary says which movement is checked."
        ),
    )
    view: ViewSpec = field(default_factory=ViewSpec, metadata=doc("Camera view."))
    side: SideSpec = field(default_factory=SideSpec, metadata=doc("Which body side to measure."))
    smoothing: SmoothingSpec = field(default_factory=SmoothingSpec, metadata=doc("Landmark smoothing."))
    landmarks: LandmarkSpec = field(default_factory=LandmarkSpec, metadata=doc("Landmark reliability."))
    reps: RepSpec | None = field(default=None, metadata=doc("Rep counting (kind = reps)."))
    hold: HoldSpec | None = field(default=None, metadata=doc("Hold timing (kind = hold)."))
    checks: dict[str, CheckSpec] = field(default_factory=dict, metadata=doc("Form checks by fault id."))
    cues: CueSpec = field(default_factory=CueSpec, metadata=doc("Cue pacing."))
    key_metrics: tuple[str, ...] = field(
        default=(), metadata=doc("Metrics shown on the overlay and in the summary (default: all).")
    )
    path: Path | None = field(default=None, metadata=doc("", internal=True))

    @property
    def shown_metrics(self) -> tuple[str, ...]:
        return self.key_metrics or tuple(self.metrics)
