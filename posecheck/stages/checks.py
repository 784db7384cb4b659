"""Form checks: each metric against its passing range, at the moment the check names, in the views it is
valid in. Failing checks become faults on the rep or hold under way, and cues."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .. import events as ev
from ..spec.schema import CheckSpec, ExerciseSpec
from .view import ViewTracker

#: Speeds (for a check's ``max_speed``) are taken over this much of the recent past.
SPEED_WINDOW_S = 0.2


@dataclass
class Faulted:
    """What a rep or hold under way collects from the checks."""

    faults: set[str] = field(default_factory=set)
    not_judged: set[str] = field(default_factory=set)
    extreme: float = math.nan  # the rep metric's best value so far
    peaks: dict[str, float] = field(default_factory=dict)  # each relative_to = "peak" metric's best so far
    taken_back_s: float = 0.0  # good-form time to take back: the spell before a fault was confirmed


@dataclass
class _CheckState:
    out_since: float | None = None
    active: bool = False


class FormChecks:
    """``update`` judges the frame-by-frame checks (always, rep, hold); ``at_peak`` the peak ones.

    ``active`` holds the faults in force now; ``not_judged_s`` how long each check could not be judged
    because of the camera's view.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.active: set[str] = set()
        self.not_judged_s: dict[str, float] = dict.fromkeys(spec.checks, 0.0)
        self._skipped = [0.0, 0.0]  # view x seconds, seconds: while some check was skipped for the view
        self._state = {cid: _CheckState() for cid in spec.checks}
        self._recent: deque[tuple[float, dict[str, float]]] = deque()
        self._best = max if spec.reps is None or spec.reps.enter > spec.reps.exit else min
        self._compile()

    def swap_spec(self, spec: ExerciseSpec) -> None:
        """New thresholds from the next frame on, keeping faults in force."""
        self.spec = spec
        self._state = {cid: self._state.get(cid, _CheckState()) for cid in spec.checks}
        self.not_judged_s = {cid: self.not_judged_s.get(cid, 0.0) for cid in spec.checks}
        self.active &= set(spec.checks)
        self._compile()

    def _compile(self) -> None:
        self._frame_checks = [
            (cid, c, self._state[cid], c.metric, c.when, c.min, c.max, c.max_speed, c.relative_to == "peak",
             c.min_duration_s, c.views)
            for cid, c in self.spec.checks.items() if c.when in ("always", "rep", "hold")
        ]  # fmt: skip
        self._peak_checks = [(cid, c) for cid, c in self.spec.checks.items() if c.when == "peak"]
        self.hold_ids = frozenset(cid for cid, c in self.spec.checks.items() if c.when in ("hold", "always"))

    def blocked(self, view: ViewTracker) -> list[str]:
        """The checks the current view keeps from being judged."""
        return [cid for cid, c in self.spec.checks.items() if not view.allows(c.views)]

    # -- frame by frame ------------------------------------------------------------------------
    def _speed(self, metric: str) -> float:
        if len(self._recent) < 2:
            return 0.0
        (t0, v0), (t1, v1) = self._recent[0], self._recent[-1]
        a, b = v0.get(metric, np.nan), v1.get(metric, np.nan)
        return abs(b - a) / (t1 - t0) if t1 > t0 and math.isfinite(a) and math.isfinite(b) else np.inf

    def update(
        self, values: dict[str, float], t: float, dt: float, view: ViewTracker, out: list[ev.Event], *,
        tracked: bool, rep: Faulted | None = None, hold: Faulted | None = None,
    ) -> None:
        """Judge one frame. ``rep``/``hold``: what is under way (their faults are added to)."""
        recent = self._recent
        recent.append((t, values))
        while recent and t - recent[0][0] > SPEED_WINDOW_S:
            recent.popleft()
        isfinite = math.isfinite
        skipped = False
        if rep is not None:
            for cid, check in self._peak_checks:
                if not view.allows(check.views):
                    self.not_judged_s[cid] += dt
                    skipped = True
        for cid, check, state, metric, when, lo, hi, max_speed, from_peak, min_duration, views in self._frame_checks:
            judged = tracked if when == "always" else (rep is not None if when == "rep" else hold is not None)
            if judged and not view.allows(views):
                self.not_judged_s[cid] += dt
                skipped = True
                for item in (rep, hold):
                    if item is not None:
                        item.not_judged.add(cid)
                judged = False
            value = values.get(metric, np.nan)
            if not judged or not isfinite(value):
                state.out_since = None
                if not judged and state.active:
                    self._end(cid, t, out)
                continue
            if from_peak and rep is not None:
                peak = rep.peaks[metric] = self._best(rep.peaks.get(metric, value), value)
                value = value - peak
            slow = max_speed is None or self._speed(metric) <= max_speed
            if ((lo is None or value >= lo) and (hi is None or value <= hi)) or not slow:
                state.out_since = None
                if state.active:
                    self._end(cid, t, out)
                continue
            state.out_since = state.out_since if state.out_since is not None else t
            if not state.active and t - state.out_since >= min_duration:
                state.active = True
                self.active.add(cid)
                for item in (rep, hold):
                    if item is not None:
                        item.faults.add(cid)
                if hold is not None:
                    # The spell before the fault was confirmed was counted as good form: take it back.
                    hold.taken_back_s += t - state.out_since
                out.append(ev.FaultStarted(t, cid, round(float(value), 2)))
                out.append(ev.Cue(t, check.cue, cid, self.spec.cues.show_s))
        if skipped and isfinite(view.deg):
            self._skipped[0] += view.deg * dt
            self._skipped[1] += dt

    @property
    def skipped_view_deg(self) -> float:
        """The mean camera view while checks were skipped for it (NaN if none were)."""
        return self._skipped[0] / self._skipped[1] if self._skipped[1] > 0 else math.nan

    def at_peak(self, peak: dict[str, float], t: float, view: ViewTracker, rep: Faulted, out: list[ev.Event]) -> None:
        """Judge the peak checks on a finished rep's peak values."""
        for cid, check in self._peak_checks:
            if not view.allows(check.views):
                rep.not_judged.add(cid)
                continue
            if not passes(check, peak.get(check.metric, np.nan)):
                rep.faults.add(cid)
                out.append(ev.Cue(t, check.cue, cid, self.spec.cues.show_s))

    def end(self, when: str, t: float, out: list[ev.Event]) -> None:
        """A rep or hold is over: its checks start afresh."""
        for cid, check in self.spec.checks.items():
            if check.when == when:
                if self._state[cid].active:
                    self._end(cid, t, out)
                self._state[cid].out_since = None

    def _end(self, cid: str, t: float, out: list[ev.Event]) -> None:
        self._state[cid].active = False
        self._state[cid].out_since = None
        self.active.discard(cid)
        out.append(ev.FaultEnded(t, cid))


def passes(check: CheckSpec, value: float) -> bool:
    """A value passes a check when unknown or inside its range."""
    if not math.isfinite(value):
        return True
    return (check.min is None or value >= check.min) and (check.max is None or value <= check.max)
