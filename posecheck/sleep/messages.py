"""Every word ``posecheck sleep`` says to a user, in one table (keys are stable; the words may change)."""

from __future__ import annotations

#: Position ids as shown.
POSITION_NAMES: dict[str, str] = {
    "back": "on the back",
    "side_left": "on the left side",
    "side_right": "on the right side",
    "stomach": "on the stomach",
    "unsure": "unsure",
}

#: Why a frame is "unsure".
UNSURE: dict[str, str] = {
    "no_person": "no person found: a duvet, the dark or the frame's edge may hide the body",
    "legs_hidden": "the legs are not seen (presence {presence:.2f} < {minimum:.2f}): a duvet may cover them, so the "
                   "hips the torso is measured from cannot be trusted",
    "no_world": "the pose model gave no 3D landmarks for this person",
    "torso_hidden": "the shoulders and hips are not seen well (presence {presence:.2f} < {minimum:.2f}): a duvet "
                    "may cover the body",
    "tilted": "the torso is turned between {best} and {second} (alignment {alignment:.2f} < {minimum:.2f})",
    "disagree": "the cues disagree: the torso fits {best} almost as well as {second} (lead {margin:.2f} < {minimum:.2f})",
    "facing": "the 2D outline and the 3D landmarks disagree on which way the chest faces",
    "camera": "from the body alone this is {best} seen from above or {other} seen from beside the bed; pass "
              "--camera above or --camera side",
}

#: The article's advice per position, and what the pose shows of it.
ADVICE: dict[str, str] = {
    "back_raised": "knees raised (knee angle {knee:.0f} deg): as advised, a pillow under the knees eases the lower back",
    "back_flat": "legs flat (knee angle {knee:.0f} deg): a pillow under the knees would ease the lower back",
    "side_drawn_up": "knees drawn up toward the chest (hip {hip:.0f} deg, knee {knee:.0f} deg): as advised",
    "side_straight": "legs straight (hip {hip:.0f} deg, knee {knee:.0f} deg): drawing the knees up toward the chest eases the hips "
                     "and lower back",
    "stomach": "sleeping on the stomach strains the lower back and neck: try the back or a side",
    "legs_unseen": "the legs are not seen well enough to check the knees",
}

#: What the camera cannot judge, said in every summary.
CANNOT_JUDGE: tuple[str, ...] = (
    "a pillow between the knees (advised on the side) cannot be seen by the camera",
    "the mattress (its firmness and support) cannot be judged from a camera",
    "a body under a duvet is often not found or is unsure: the positions are of the time the body was seen",
)

#: Notes and errors.
TEXT: dict[str, str] = {
    "no_inputs": "no input given; pass photos, videos or folders of images: posecheck sleep PHOTO_OR_VIDEO... --out DIR",
    "bad_every": "--every must be a positive number of seconds, got {value}",
    "bad_timelapse": "--timelapse must be a positive number of seconds per frame, got {value}",
    "bad_pitch": "--camera must be above, side, auto or a pitch in degrees from 0 (level) to 90 (straight down), "
                 "got {value!r}",
    "failed_inputs": "{failed} of {total} inputs failed ({names}: said above); the results of the others are in "
                     "{out}",
    "interrupted": "stopped at {t:.0f} s of {name}; its result so far is kept",
    "turns": "{turns} turn(s)",
    "as_advised_for": "knees as advised {ok:.0f} of {of:.0f} min; mostly ",
    "no_frames": "no frame was classified",
}

#: The terminal summary: one photo, one video or time-lapse, and the lines after all inputs.
SUMMARY: dict[str, str] = {
    "unsure": "{name}: unsure: {reason}",
    "sure": "{name}: {label} (confidence {confidence:.2f})",
    "advice": "  {advice}",
    "night": "{name}: {span}{state}: {shares}; {turns}",
    "hours": "{value:.1f} h",
    "minutes": "{value:.1f} min",
    "stopped_early": " (stopped early)",
    "share": "{position} {share:.0%}",
    "share_separator": ", ",
    "position_advice": "  {position}: {advice}",
    "unsure_for": "  unsure {seconds:.0f} s: {reason}",
    "not_judged": "Not judged: {items}.",
    "not_judged_separator": "; ",
    "results": "Results: {out}/",
}
