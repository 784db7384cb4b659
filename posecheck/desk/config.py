"""Every threshold and default of the desk watcher, in one place (the command line reads its defaults here)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..errors import PosecheckError
from .messages import say

MINUTE = 60.0


@dataclass(frozen=True)
class DeskConfig:
    """How the desk watcher judges and reminds. Times are seconds of (simulated) time.

    ``sit_limit_s``: continuous sitting before the first reminder (30 min: alternating sitting and
    standing every 30 minutes reduced fatigue and low back pain in office workers, Thorp et al. 2014).
    ``break_s``: standing or away this long counts as a break and restarts the sitting timer.
    ``repeat_s``: a reminder repeats this often while still seated. ``snooze_s``: how long ``s`` + Enter
    silences reminders. ``heed_s``: a reminder is *heeded* if a break begins within this time of it
    (the break's first second counts), *ignored* if none does and it was not snoozed.
    ``sample_every_s``: one frame through the pose model this often.
    ``calibrate_s``/``calibrate_min_samples``: the first seconds in which the person is seen (seated, by
    assumption) set the seated baseline of head and shoulders.
    ``away_after_s``: no person for this long is *away*. ``confirm_s``: a change between seated and
    standing must hold this long (so one bad frame never flips the state).
    ``stand_rise``: standing when the shoulders (or, with the shoulders unseen, the nose) are this many
    seated shoulder widths above their seated baseline (tuned on synthetic seeds 0-3, see
    benchmarks/desk.py; seated fidgeting stays under 0.25, standing up gives 0.7-1.2).
    ``top_exit_rise``: with the face out of the top of the frame, a smaller rise is enough.
    ``min_visibility``: a landmark counts as seen above this visibility.
    ``baseline_follow_s``: while seated, the baseline follows slow drift (slouching, a moved chair) with
    this time constant. ``num_poses``: people the model looks for (1: the detector runs only when
    tracking is lost, half the cost; the person nearest the camera is followed anyway).
    ``summary_every_s``: summary.json is rewritten this often (and at the end).
    """

    sit_limit_s: float = 30 * MINUTE
    break_s: float = 2 * MINUTE
    repeat_s: float = 10 * MINUTE
    snooze_s: float = 10 * MINUTE
    heed_s: float = 5 * MINUTE
    sample_every_s: float = 1.5
    calibrate_s: float = 6.0
    calibrate_min_samples: int = 3
    away_after_s: float = 10.0
    confirm_s: float = 2.0
    stand_rise: float = 0.5
    top_exit_rise: float = 0.3
    min_visibility: float = 0.5
    baseline_follow_s: float = 300.0
    num_poses: int = 1
    summary_every_s: float = 60.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise PosecheckError(say("bad_setting", name=f.name, value=value))
