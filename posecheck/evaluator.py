"""The exercise state machine: fed one Sample at a time, it counts reps, times holds and checks form.

It knows nothing of where frames come from (file or camera) nor of any exercise by name: everything
exercise-specific is in the spec.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from . import events as ev
from .sampler import Sample
from .spec.schema import CheckSpec, ExerciseSpec

SPEED_WINDOW_S = 0.2


@dataclass
class _CheckState:
    out_since: float | None = None
    active: bool = False
    last_cue_s: float = -np.inf


@dataclass
class _RepState:
    start_s: float
    samples: deque = field(default_factory=lambda: deque(maxlen=10_000))
    extreme: float = np.nan
    faults: set[str] = field(default_factory=set)


@dataclass
class _HoldState:
    start_s: float
    last_in_position_s: float
    good_form_s: float = 0.0
    sides: Counter = field(default_factory=Counter)
    faults: set[str] = field(default_factory=set)
    next_progress_s: float = 1.0
    target_announced: bool = False


class Evaluator:
    """Counts reps or times holds for one spec, and checks form.

    ``update(sample)`` returns the events that sample caused; ``finish()`` closes what is open;
    ``summary`` holds every rep, hold and warning so far. One instance per set; ``reset()`` starts anew.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.reset()

    # -- public -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: a new set."""
        self.ready = False
        self.phase = "setup"
        self.reps: list[ev.RepRecord] = []
        self.holds: list[ev.HoldRecord] = []
        self.active_faults: set[str] = set()
        self._checks = {cid: _CheckState() for cid in self.spec.checks}
        self._rep: _RepState | None = None
        self._hold: _HoldState | None = None
        self._last_t: float | None = None
        self._lost_since: float | None = None
        self._person_lost = True
        self._rest_since: float | None = None
        self._last_rest_s: float | None = None
        self._view_bad_since: float | None = None
        self._view_warned = False
        self._recent: deque[tuple[float, dict[str, float]]] = deque()
        self._time_absent = 0.0
        self._time_view_bad = 0.0
        self._time_crowded = 0.0
        self._rejected: Counter[str] = Counter()
        self._compile()

    def _compile(self) -> None:
        """Look up once what every frame needs of the spec (again after each swap_spec)."""
        spec = self.spec
        # Checks judged frame by frame; the others (at the peak) only ever have out_since None.
        self._check_list = [
            (cid, c, self._checks[cid], c.metric, c.when, c.min, c.max, c.max_speed, c.relative_to == "peak",
             c.min_duration_s)
            for cid, c in spec.checks.items() if c.when in ("always", "rep", "hold")
        ]  # fmt: skip
        for cid, c in spec.checks.items():
            if c.when not in ("always", "rep", "hold"):
                self._checks[cid].out_since = None
        self._hold_ids = frozenset(cid for cid, c in spec.checks.items() if c.when in ("hold", "always"))
        self._grace_s = spec.reps.dropout_s if spec.reps else spec.hold.grace_s  # type: ignore[union-attr]
        self._position = [(name, lo, hi) for name, (lo, hi) in spec.hold.position.items()] if spec.hold else []

    def swap_spec(self, spec: ExerciseSpec) -> None:
        """Use new thresholds from the next sample on, keeping counts (for spec hot reload)."""
        self.spec = spec
        self._checks = {cid: self._checks.get(cid, _CheckState()) for cid in spec.checks}
        self._compile()

    @property
    def rep_count_by_side(self) -> dict[str, int]:
        """Reps per side for one-sided exercises, else {}."""
        if not self.spec.side.per_side:
            return {}
        counts = Counter(rep.side for rep in self.reps)
        return {"left": counts["left"], "right": counts["right"]}

    @property
    def hold_good_s(self) -> float | None:
        """Good-form seconds of the hold under way, or None."""
        return self._hold.good_form_s if self._hold is not None else None

    @property
    def summary(self) -> ev.Summary:
        return ev.Summary(tuple(self.reps), tuple(self.holds), tuple(self._warnings()), self.rep_count_by_side)

    def update(self, sample: Sample) -> list[ev.Event]:
        """Take one frame's sample; return the events it caused, in order."""
        t = sample.t_s
        dt = t - self._last_t if self._last_t is not None else 0.0
        self._last_t = t
        out: list[ev.Event] = []
        if sample.people_in_view > 1:
            self._time_crowded += dt
        present = sample.pose_found
        if not present:
            self._time_absent += dt
        if present and not self._person_lost:
            self._lost_since = None  # what _track_presence does in this common case, without the call
        else:
            self._track_presence(present, t, sample, out)
        view_ok = self._track_view(sample, t, dt, out, present)
        recent = self._recent
        recent.append((t, sample.values))
        while recent and t - recent[0][0] > SPEED_WINDOW_S:
            recent.popleft()
        if self.spec.kind == "reps":
            self._update_reps(sample, t, present and view_ok, out)
        else:
            self._update_hold(sample, t, present and view_ok, out)
        return out

    def finish(self) -> list[ev.Event]:
        """End of the input: close an open hold; an unfinished rep is not counted."""
        out: list[ev.Event] = []
        t = self._last_t if self._last_t is not None else 0.0
        if self._rep is not None:
            self._reject("the input ended mid-rep", t, out)
        if self._hold is not None:
            self._end_hold(self._hold.last_in_position_s, out)
        return out

    # -- presence and view ---------------------------------------------------------------------
    def _track_presence(self, present: bool, t: float, sample: Sample, out: list[ev.Event]) -> None:
        if present:
            self._lost_since = None
            if self._person_lost:
                self._person_lost = False
                out.append(ev.PersonFound(t, sample.people_in_view))
            return
        if self._lost_since is None:
            self._lost_since = t
        if not self._person_lost and t - self._lost_since > self._grace_s:
            self._person_lost = True
            out.append(ev.PersonLost(t))
            if self._rep is not None:
                self._reject("the person left the frame", t, out)
            self._set_ready(False)

    def _view_matches(self, sample: Sample) -> bool | None:
        view = self.spec.view
        w = sample.width_ratio
        if view.expect == "any" or not math.isfinite(w):
            return None
        return w <= view.side_max_width if view.expect == "side" else w >= view.front_min_width

    def _track_view(self, sample: Sample, t: float, dt: float, out: list[ev.Event], present: bool) -> bool:
        matches = self._view_matches(sample) if present else None
        if matches is None:
            return not self._view_warned
        if matches:
            self._view_bad_since = None
            if self._view_warned:
                self._view_warned = False
                out.append(ev.ViewOk(t))
            return True
        self._time_view_bad += dt
        if self._view_bad_since is None:
            self._view_bad_since = t
        if not self._view_warned and t - self._view_bad_since >= self.spec.view.grace_s:
            self._view_warned = True
            out.append(ev.ViewWarning(t, self._view_message()))
            if self._rep is not None:
                self._reject("the camera view changed", t, out)
            self._set_ready(False)
        return not self._view_warned

    def _view_message(self) -> str:
        hint = f": {self.spec.view.hint}" if self.spec.view.hint else ""
        return f"camera is not {self.spec.view.expect}-on to the body{hint}"

    def _set_ready(self, ready: bool) -> None:
        self.ready = ready
        if not ready:
            self._rest_since = None
            self.phase = "setup"

    # -- reps ----------------------------------------------------------------------------------
    def _update_reps(self, sample: Sample, t: float, usable: bool, out: list[ev.Event]) -> None:
        rs = self.spec.reps
        assert rs is not None
        value = sample.values.get(rs.metric, np.nan)
        rising = rs.enter > rs.exit
        if not usable or not math.isfinite(value):
            self._update_checks(sample, t, out)
            return
        at_rest = value < rs.exit if rising else value > rs.exit
        past_enter = value >= rs.enter if rising else value <= rs.enter
        if at_rest:
            self._last_rest_s = t
        if self._rep is None:
            if not self.ready:
                if at_rest:
                    self._rest_since = self._rest_since if self._rest_since is not None else t
                    if t - self._rest_since >= rs.ready_s:
                        self._set_ready(True)
                        self.phase = "rest"
                        out.append(ev.Ready(t))
                else:
                    self._rest_since = None
            elif past_enter:
                start = self._last_rest_s if self._last_rest_s is not None else t
                self._rep = _RepState(start_s=start, extreme=value)
                self.phase = "rep"
                out.append(ev.RepStarted(t, sample.side))
        if self._rep is not None:
            rep = self._rep
            rep.samples.append((t, sample.values, sample.side))
            rep.extreme = max(rep.extreme, value) if rising else min(rep.extreme, value)
            self._update_checks(sample, t, out)
            if at_rest:
                self._complete_rep(t, out)
        else:
            self._update_checks(sample, t, out)

    def _complete_rep(self, t: float, out: list[ev.Event]) -> None:
        rs = self.spec.reps
        rep = self._rep
        assert rs is not None and rep is not None
        duration = t - rep.start_s
        if duration < rs.min_rep_s:
            self._reject(f"too quick ({duration:.1f} s < {rs.min_rep_s} s)", t, out)
            return
        if duration > rs.max_rep_s:
            self._reject(f"too slow ({duration:.1f} s > {rs.max_rep_s} s)", t, out)
            return
        times = np.array([s[0] for s in rep.samples])
        key = np.array([s[1].get(rs.metric, np.nan) for s in rep.samples])
        i_ext = int(np.nanargmax(key) if rs.enter > rs.exit else np.nanargmin(key))
        near = np.abs(times - times[i_ext]) <= rs.peak_window_s / 2
        window = [s for s, keep in zip(rep.samples, near) if keep]
        peak = {
            name: _nanmedian([s[1].get(name, np.nan) for s in window]) for name in self.spec.metrics
        }
        sides = Counter(s[2] for s in window if s[2] is not None)
        side = sides.most_common(1)[0][0] if sides else None
        for cid, check in self.spec.checks.items():
            if check.when == "peak" and not _passes(check, peak.get(check.metric, np.nan)):
                rep.faults.add(cid)
                self._cue(cid, check, t, out)
        record = ev.RepRecord(
            index=len(self.reps) + 1,
            side=side if self.spec.side.per_side else None,
            start_s=round(rep.start_s, 3),
            end_s=round(t, 3),
            faults=tuple(sorted(rep.faults)),
            metrics={k: round(v, 2) for k, v in peak.items()},
        )
        self.reps.append(record)
        self._rep = None
        self.phase = "rest"
        self._end_checks("rep", t, out)
        out.append(ev.RepCompleted(t, record))

    def _reject(self, reason: str, t: float, out: list[ev.Event]) -> None:
        self._rep = None
        self.phase = "rest" if self.ready else "setup"
        self._rejected[reason.split(" (")[0]] += 1
        self._end_checks("rep", t, out)
        out.append(ev.RepRejected(t, reason))

    # -- holds ---------------------------------------------------------------------------------
    def _in_position(self, sample: Sample) -> bool:
        values = sample.values
        for name, lo, hi in self._position:
            v = values.get(name, np.nan)
            if not (math.isfinite(v) and lo <= v <= hi):
                return False
        return True

    def _update_hold(self, sample: Sample, t: float, usable: bool, out: list[ev.Event]) -> None:
        hs = self.spec.hold
        assert hs is not None
        in_position = usable and self._in_position(sample)
        hold = self._hold
        if hold is not None and t - hold.last_in_position_s > hs.grace_s:
            # Out of position (or no frames) for longer than the grace: that hold is over.
            self._end_hold(hold.last_in_position_s, out)
            hold = None
        if in_position and hold is None:
            hold = self._hold = _HoldState(start_s=t, last_in_position_s=t)
            self.phase = "hold"
            out.append(ev.HoldStarted(t, sample.side))
        self._update_checks(sample, t, out, holding=in_position)
        if hold is None or not in_position:
            return
        if sample.side is not None:
            hold.sides[sample.side] += 1
        gap = t - hold.last_in_position_s
        hold.last_in_position_s = t
        good = not (self.active_faults & self._hold_ids)
        if good:
            hold.good_form_s += gap
        if hold.good_form_s >= hold.next_progress_s:
            hold.next_progress_s = np.floor(hold.good_form_s) + 1.0
            out.append(ev.HoldProgress(t, sample.side, round(hold.good_form_s, 2), hs.target_s, good))
        if hold.good_form_s >= hs.target_s and not hold.target_announced:
            hold.target_announced = True
            out.append(ev.Cue(t, f"{hs.target_s:.0f} s held in good form: well done", "", self.spec.cues.show_s))

    def _end_hold(self, end_s: float, out: list[ev.Event]) -> None:
        hold = self._hold
        hs = self.spec.hold
        assert hold is not None and hs is not None
        self._hold = None
        self.phase = "setup"
        self._end_checks("hold", end_s, out)
        if end_s - hold.start_s < hs.min_hold_s:
            return
        side = hold.sides.most_common(1)[0][0] if hold.sides and self.spec.side.per_side else None
        record = ev.HoldRecord(
            side, round(hold.start_s, 3), round(end_s, 3), round(hold.good_form_s, 2), tuple(sorted(hold.faults))
        )
        self.holds.append(record)
        out.append(ev.HoldEnded(end_s, record))

    # -- form checks ---------------------------------------------------------------------------
    def _speed(self, metric: str) -> float:
        if len(self._recent) < 2:
            return 0.0
        (t0, v0), (t1, v1) = self._recent[0], self._recent[-1]
        a, b = v0.get(metric, np.nan), v1.get(metric, np.nan)
        return abs(b - a) / (t1 - t0) if t1 > t0 and math.isfinite(a) and math.isfinite(b) else np.inf

    def _update_checks(self, sample: Sample, t: float, out: list[ev.Event], holding: bool = False) -> None:
        values = sample.values
        rep = self._rep
        tracked = not self._person_lost
        isfinite = math.isfinite
        for cid, check, state, metric, when, lo, hi, max_speed, from_peak, min_duration in self._check_list:
            value = values.get(metric, np.nan)
            if when == "always":
                judged = tracked
            elif when == "rep":
                judged = rep is not None
            else:
                judged = holding
            if not judged or not isfinite(value):
                state.out_since = None
                continue
            if from_peak and rep is not None:
                value = value - rep.extreme
            slow = max_speed is None or self._speed(metric) <= max_speed
            # _passes(check, value), inline
            if not isfinite(value) or ((lo is None or value >= lo) and (hi is None or value <= hi)) or not slow:
                state.out_since = None
                if state.active:
                    self._end_fault(cid, t, out)
                continue
            state.out_since = state.out_since if state.out_since is not None else t
            if not state.active and t - state.out_since >= min_duration:
                state.active = True
                self.active_faults.add(cid)
                if self._rep is not None:
                    self._rep.faults.add(cid)
                if self._hold is not None:
                    self._hold.faults.add(cid)
                    # The spell before the fault was confirmed was counted as good form: take it back.
                    self._hold.good_form_s = max(0.0, self._hold.good_form_s - (t - state.out_since))
                out.append(ev.FaultStarted(t, cid, round(float(value), 2)))
                self._cue(cid, check, t, out)

    def _end_fault(self, cid: str, t: float, out: list[ev.Event]) -> None:
        self._checks[cid].active = False
        self._checks[cid].out_since = None
        self.active_faults.discard(cid)
        out.append(ev.FaultEnded(t, cid))

    def _end_checks(self, when: str, t: float, out: list[ev.Event]) -> None:
        for cid, check in self.spec.checks.items():
            if check.when == when:
                if self._checks[cid].active:
                    self._end_fault(cid, t, out)
                self._checks[cid].out_since = None

    def _cue(self, cid: str, check: CheckSpec, t: float, out: list[ev.Event]) -> None:
        state = self._checks[cid]
        if t - state.last_cue_s >= self.spec.cues.cooldown_s:
            state.last_cue_s = t
            out.append(ev.Cue(t, check.cue, cid, self.spec.cues.show_s))

    # -- summary -------------------------------------------------------------------------------
    def _warnings(self) -> list[str]:
        out = []
        if self._time_absent >= 0.5:
            out.append(f"no person in {self._time_absent:.1f} s of the input")
        if self._time_view_bad >= self.spec.view.grace_s:
            out.append(f"{self._view_message()} ({self._time_view_bad:.1f} s)")
        if self._time_crowded >= 0.5:
            out.append(
                f"more than one person in view for {self._time_crowded:.1f} s: followed the one exercising"
            )
        for reason, n in self._rejected.items():
            out.append(f"{n} movement{'s' if n > 1 else ''} not counted as reps: {reason}")
        return out


def _passes(check: CheckSpec, value: float) -> bool:
    if not math.isfinite(value):
        return True
    return (check.min is None or value >= check.min) and (check.max is None or value <= check.max)


def _nanmedian(values: list[float]) -> float:
    arr = np.asarray(values, float)
    return float(np.median(arr[np.isfinite(arr)])) if np.isfinite(arr).any() else float("nan")
