"""The exercise evaluator: fed one Sample at a time, it runs the counting stages (:mod:`posecheck.stages`)
and returns what happened.

It knows nothing of where frames come from (file or camera) nor of any exercise by name: everything
exercise-specific is in the spec. The same evaluator serves analyze, live and tune.
"""

from __future__ import annotations

import math
from collections import Counter

from . import events as ev
from .sampler import Sample
from .spec.schema import ExerciseSpec, Range
from .stages.checks import SPEED_WINDOW_S, FormChecks
from .stages.cues import CuePacer
from .stages.holds import HoldTimer
from .stages.messages import Phase, Reason, advice, say, where
from .stages.presence import Presence
from .stages.reps import RepCounter
from .stages.start import Gate, StartGate
from .stages.view import ViewTracker

__all__ = ["SPEED_WINDOW_S", "Evaluator"]


class Evaluator:
    """Counts reps or times holds for one spec, and checks form.

    ``update(sample)`` returns the events that sample caused (cues already paced: one at a time);
    ``finish()`` closes what is open; ``summary`` holds every rep, hold, rejected movement and warning so
    far. One instance per set; ``reset()`` starts anew, ``start()`` begins counting at once.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.reset()

    # -- public -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: a new set."""
        spec = self.spec
        self.presence = Presence(spec.reps.dropout_s if spec.reps else spec.hold.grace_s)  # type: ignore[union-attr]
        self.view = ViewTracker()
        self.checks = FormChecks(spec)
        self.gate = StartGate(spec) if spec.reps else None
        self.counter = RepCounter(spec, self.checks) if spec.reps else None
        self.timer = HoldTimer(spec) if spec.hold and spec.kind == "hold" else None
        self.cues = CuePacer(spec.cues)
        self._last_t: float | None = None
        self._views = self._view_ranges()
        self._not_counted_view_s = 0.0
        self._blocked_since: float | None = None
        self._blocked_notice = False

    def start(self) -> None:
        """Count from now on, whatever the posture (live: set-up guidance and the countdown are the gate)."""
        if self.gate is not None:
            self.gate.force_open()

    def swap_spec(self, spec: ExerciseSpec) -> None:
        """Use new thresholds from the next sample on, keeping counts (for spec hot reload)."""
        self.spec = spec
        self.checks.swap_spec(spec)
        for stage in (self.gate, self.timer):
            if stage is not None:
                stage.swap_spec(spec)
        if self.counter is not None:
            self.counter.spec = spec  # it reads its thresholds from the spec on every frame
        self.cues.cues = spec.cues
        self._views = self._view_ranges()

    def _view_ranges(self) -> list[Range]:
        """Every camera-view range the spec declares (the rep metric's, each check's), without repeats."""
        rep = [self.spec.reps.views] if self.spec.reps is not None else []
        return list(dict.fromkeys([*rep, *(c.views for c in self.spec.checks.values())]))

    @property
    def ready(self) -> bool:
        """Counting has begun (reps: the body reached the starting position)."""
        return self.gate.open if self.gate is not None else not self.presence.lost

    @property
    def phase(self) -> Phase:
        if self.counter is not None:
            if self.counter.rep is not None:
                return Phase.REP
            return Phase.REST if self.ready else Phase.SETUP
        return Phase.HOLD if self.timer is not None and self.timer.hold is not None else Phase.SETUP

    @property
    def reps(self) -> list[ev.RepRecord]:
        return self.counter.reps if self.counter is not None else []

    @property
    def holds(self) -> list[ev.HoldRecord]:
        return self.timer.holds if self.timer is not None else []

    @property
    def active_faults(self) -> set[str]:
        return self.checks.active

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
        hold = self.timer.hold if self.timer is not None else None
        return hold.good_form_s if hold is not None else None

    @property
    def summary(self) -> ev.Summary:
        rejected = tuple(self.counter.rejected) if self.counter is not None else ()
        return ev.Summary(
            tuple(self.reps), tuple(self.holds), tuple(self._warnings()), self.rep_count_by_side, rejected,
            self.view.median_deg,
        )

    def update(self, sample: Sample) -> list[ev.Event]:
        """Take one frame's sample; return the events it caused, in order."""
        t = sample.t_s
        dt = t - self._last_t if self._last_t is not None else 0.0
        self._last_t = t
        out: list[ev.Event] = []
        if self.presence.update(sample, t, dt, out):
            if self.counter is not None:
                self.counter.reject(Reason.LEFT_FRAME, t, out)
            if self.gate is not None:
                self.gate.close()
        view = self.view
        view.update(sample.view_deg, dt)
        self._notice_view(t, out)
        tracked = not self.presence.lost
        usable = sample.pose_found and tracked
        if self.counter is not None:
            self._count(sample, t, dt, usable, out)
            self.checks.update(sample.values, t, dt, view, out, tracked=tracked, rep=self.counter.rep)
        elif self.timer is not None:
            hold = self.timer.update(sample, t, usable and self.timer.in_position(sample), out)
            self.checks.update(sample.values, t, dt, view, out, tracked=tracked, hold=hold)
            if hold is not None:
                self.timer.tick(sample, t, not (self.checks.active & self.checks.hold_ids), out)
        return list(self.cues.update(out, t))

    def finish(self) -> list[ev.Event]:
        """End of the input: close an open hold; an unfinished rep is not counted (it is partial)."""
        out: list[ev.Event] = []
        t = self._last_t if self._last_t is not None else 0.0
        if self.counter is not None:
            self.counter.finish(self.view, out)
        if self.timer is not None and self.timer.hold is not None:
            self.checks.end("hold", t, out)
            self.timer.end(self.timer.hold.last_in_position_s, out)
        return out

    # -- stages ----------------------------------------------------------------------------------
    def _count(self, sample: Sample, t: float, dt: float, usable: bool, out: list[ev.Event]) -> None:
        counter, gate, rs = self.counter, self.gate, self.spec.reps
        assert counter is not None and gate is not None and rs is not None
        if not usable:
            return
        value = sample.values.get(rs.metric, math.nan)
        opened = gate.update(sample.values, counter.at_rest(value), t)
        if opened is Gate.OPENED:
            out.append(ev.Ready(t))
            counter.started(t, out)
        elif opened is Gate.CLOSED:
            counter.reject(Reason.LEFT_POSITION, t, out, what=gate.left_what)
        if not gate.open:
            if math.isfinite(value) and not gate.ever_opened:
                counter.before_start(t, value)
            return
        if not self.view.allows(rs.views):
            self._not_counted_view_s += dt
            label = self.spec.metrics[rs.metric].label or rs.metric
            counter.reject(Reason.VIEW, t, out, view=self.view.deg, label=label)
            return
        if math.isfinite(value):
            counter.update(t, value, sample, self.view, out)

    def _blocked(self) -> tuple[list[str], list[Range]]:
        """What the current view keeps from working (the rep metric first, then the checks' metrics, as
        labels) and the views each of them needs."""
        spec = self.spec
        wanted = [] if spec.reps is None or self.view.allows(spec.reps.views) else [(spec.reps.metric, spec.reps.views)]
        wanted += [(spec.checks[cid].metric, spec.checks[cid].views) for cid in self.checks.blocked(self.view)]
        labels = list(dict.fromkeys(spec.metrics[name].label or name for name, _ in wanted))
        return labels, [views for _, views in wanted]

    def _notice_view(self, t: float, out: list[ev.Event]) -> None:
        """A ViewWarning once the view has kept something from working for the view's grace; ViewOk after."""
        if all(self.view.allows(views) for views in self._views):
            self._blocked_since = None
            if self._blocked_notice:
                self._blocked_notice = False
                out.append(ev.ViewOk(t))
            return
        self._blocked_since = self._blocked_since if self._blocked_since is not None else t
        if not self._blocked_notice and t - self._blocked_since >= self.spec.view.grace_s:
            self._blocked_notice = True
            labels, views = self._blocked()
            words = say("view_notice", labels=", ".join(labels), where=where(self.view.deg),
                        advice=advice(views[0], self.spec.view.hint))  # fmt: skip
            out.append(ev.ViewWarning(t, words))

    # -- summary -------------------------------------------------------------------------------
    def _warnings(self) -> list[str]:
        out = []
        presence = self.presence
        if presence.absent_s >= 0.5:
            out.append(say("absent", seconds=presence.absent_s))
        if presence.crowded_s >= 0.5:
            out.append(say("crowded", seconds=presence.crowded_s))
        if self.gate is not None and not self.gate.ever_opened and self.gate.why():
            out.append(say("never_started", why=self.gate.why()))
        if self.timer is not None and self.timer.why_none():
            out.append(say("no_hold", why=self.timer.why_none()))
        if self.counter is not None:
            by_reason: dict[Reason, list[ev.RepRejected]] = {}
            for r in self.counter.rejected:
                by_reason.setdefault(r.reason, []).append(r)
            for reason, items in by_reason.items():
                best = items[-1]
                if reason is Reason.SHALLOW:  # the closest to a rep says most
                    best = max(items, key=lambda r: r.reached if self.counter.rising else -r.reached)  # type: ignore[union-attr]
                n = len(items)
                out.append(say("rejected", n=n, s="s" if n > 1 else "", message=best.message))
        if self._not_counted_view_s >= self.spec.view.grace_s:
            rs = self.spec.reps
            assert rs is not None
            out.append(
                say("not_counted_view", seconds=self._not_counted_view_s, where=where(self.view.deg),
                    advice=advice(rs.views, self.spec.view.hint))
            )  # fmt: skip
        skipped = {cid: s for cid, s in self.checks.not_judged_s.items() if s >= self.spec.view.grace_s}
        if skipped:
            labels = ", ".join(dict.fromkeys(self.spec.metrics[self.spec.checks[c].metric].label or c for c in skipped))
            views = self.spec.checks[next(iter(skipped))].views
            out.append(
                say("not_judged", labels=labels, seconds=max(skipped.values()), where=where(self.checks.skipped_view_deg),
                    advice=advice(views, self.spec.view.hint))
            )  # fmt: skip
        return out
