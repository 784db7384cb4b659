"""Every threshold of ``posecheck sleep`` in one table, with where its number comes from."""

from __future__ import annotations

from dataclasses import dataclass

#: Camera placements a user can name: the range of the camera's look down from horizontal (deg) searched
#: for the direction of "up" in the bed. "auto" searches both and says "unsure" when they disagree.
CAMERA_PITCH_RANGES: dict[str, tuple[float, float]] = {
    "above": (30.0, 80.0),  # on the wall over the headboard or a high shelf (straight down: pass --camera 90)
    "side": (0.0, 40.0),  # on a bedside table or a shelf beside the bed
    "auto": (0.0, 90.0),
}
#: A camera pitch given in degrees (``--camera 60``) is searched this far either side (within 0-90), so a
#: pitch guessed by eye still fits.
PITCH_SEARCH_DEG: float = 10.0
#: Step of the pitch search (deg): the best alignment found is within 1 - cos(0.5 deg) < 0.0001 of the true one.
PITCH_STEP_DEG: float = 1.0


@dataclass(frozen=True)
class SleepDefaults:
    """Thresholds of the classifier, the advice checks and the timeline.

    Chosen on synthetic renders of seeds 0-2 (``benchmarks/sleep.py --tune``), reported on others.
    """

    #: Seconds between the frames classified in a video (a night at 1 s is 28,800 model runs, ~20 min).
    every_s: float = 1.0
    #: A time-lapse folder's seconds per image unless ``--timelapse`` says otherwise.
    folder_frame_s: float = 30.0
    #: Presence score below which a torso landmark counts as not seen (MediaPipe's own default cut-off).
    min_presence: float = 0.5
    #: Alignment (cosine) of the winning body axis with "up" in the bed: below it the torso is tilted
    #: between two positions (0.75 ~ within 41 deg of a clean position).
    min_alignment: float = 0.75
    #: Lead of the winning position's alignment over the next one's; below it the cues disagree.
    min_margin: float = 0.12
    #: The lead at which the confidence is full (a clean position leads the next by 0.6-0.9).
    full_confidence_margin: float = 0.5
    #: In "auto" camera mode, how much better one camera placement must explain the body than the other.
    auto_decisive: float = 0.10
    #: A video in "auto" mode takes the placement most of its decisive frames show (at least this many
    #: frames, and this share of them), and judges every frame with it.
    auto_min_votes: int = 3
    auto_min_share: float = 0.75
    #: 2D chest direction vs the 3D one: a 2D outline whose facing score is beyond this, with the 3D
    #: chest turned to/away from the camera by more than ``facing_3d``, must agree in sign.
    facing_2d: float = 0.30
    facing_3d: float = 0.50
    #: On the back, knees count as raised below this hip-knee-ankle angle (2D, mean of both legs). Renders:
    #: knees on a pillow read 100-143 deg, flat legs 162-176 deg (from above, foreshortened).
    knees_raised_max_deg: float = 158.0
    #: On the side, knees count as drawn up when the hips are flexed below this shoulder-hip-knee angle and
    #: the knees bent below ``side_knee_bent_max_deg`` (each the more bent of the 2D and 3D readings,
    #: mean of both legs). Renders: curled hips 31-133 deg, knees 42-150; straight hips 141-177, knees
    #: 159-178. The real clamshell GIFs (hips about 45 deg flexed, seen from the front) read hips
    #: 137-152 (3D), knees 83-96.
    knees_drawn_up_max_deg: float = 155.0
    side_knee_bent_max_deg: float = 140.0
    #: A position must last this long (and at least ``min_samples`` samples) to count; shorter ones are
    #: flickers of the model or a moment of turning, not a change of position.
    min_position_s: float = 60.0
    min_samples: int = 2
    #: sleep.json of a video is rewritten after this many seconds of work, so a killed run keeps a result.
    save_every_s: float = 5.0


DEFAULTS = SleepDefaults()
