"""The rep counter: hysteresis on one metric, from rest past ``enter`` and back past ``exit``.

Every movement that leaves rest and is not counted is kept as a :class:`~posecheck.events.RepRejected`
with its reason, so a count lower than what was seen always says why.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from .. import events as ev
from ..sampler import Sample
from ..spec.schema import ExerciseSpec
from .checks import Faulted, FormChecks
from .messages import Reason, format_metric, say
from .view import ViewTracker

#: A movement away from rest that went this share of the way from ``exit`` to ``enter`` and took at least
#: SHALLOW_MIN_S is reported as a too-shallow rep; smaller wobbles are not movements.
SHALLOW_SHARE = 0.5
SHALLOW_MIN_S = 0.3


@dataclass
class RepInProgress(Faulted):
    start_s: float = 0.0
    samples: deque = field(default_factory=lambda: deque(maxlen=10_000))


@dataclass
class _Excursion:
    start_s: float
    extreme: float


class RepCounter:
    """``update`` takes each countable frame (person tracked, counting begun, view fit for the rep metric).

    ``reps`` are the counted reps, ``rejected`` every movement not counted, ``rep`` the one under way.
    """

    def __init__(self, spec: ExerciseSpec, checks: FormChecks) -> None:
        assert spec.reps is not None
        self.spec = spec
        self.checks = checks
        self.reps: list[ev.RepRecord] = []
        self.rejected: list[ev.RepRejected] = []
        self.rep: RepInProgress | None = None
        self._last_rest_s: float | None = None
        self._excursion: _Excursion | None = None
        self._last: tuple[float, float] | None = None  # the last countable frame's time and value
        self._under_way: _Excursion | None = None  # a movement past enter seen before counting began

    @property
    def rising(self) -> bool:
        rs = self.spec.reps
        return rs.enter > rs.exit  # type: ignore[union-attr]

    def at_rest(self, value: float) -> bool:
        rs = self.spec.reps
        assert rs is not None
        return math.isfinite(value) and (value < rs.exit if self.rising else value > rs.exit)

    def _further(self, a: float, b: float) -> float:
        return max(a, b) if self.rising else min(a, b)

    def update(self, t: float, value: float, sample: Sample, view: ViewTracker, out: list[ev.Event]) -> None:
        rs = self.spec.reps
        assert rs is not None
        self._last = (t, value)
        rest = self.at_rest(value)
        if rest:
            self._last_rest_s = t
            if self._excursion is not None:
                self._end_excursion(t, out)
        rep = self.rep
        if rep is None:
            past_enter = value >= rs.enter if self.rising else value <= rs.enter
            if past_enter and self._last_rest_s is not None:  # a rep begins at rest: a half-seen one is not
                rep = self.rep = RepInProgress(start_s=self._last_rest_s, extreme=value)
                self._excursion = None
                out.append(ev.RepStarted(t, sample.side))
            elif not rest and self._last_rest_s is not None:
                ex = self._excursion
                if ex is None:
                    self._excursion = _Excursion(self._last_rest_s, value)
                else:
                    ex.extreme = self._further(ex.extreme, value)
                return
            else:
                return
        rep.samples.append((t, sample.values, sample.side))
        rep.extreme = self._further(rep.extreme, value)
        if rest:
            self._complete(t, view, out)

    def before_start(self, t: float, value: float) -> None:
        """A frame before counting began (the start gate shut): a movement already past ``enter`` is noted,
        to be reported rather than silently lost."""
        rs = self.spec.reps
        assert rs is not None
        past = value >= rs.enter if self.rising else value <= rs.enter
        if past and self._under_way is None:
            self._under_way = _Excursion(t, value)
        elif past and self._under_way is not None:
            self._under_way.extreme = self._further(self._under_way.extreme, value)

    def started(self, t: float, out: list[ev.Event]) -> None:
        """Counting began: report a movement seen before it (one already past ``enter`` when first seen)."""
        if self._under_way is not None:
            early, self._under_way = self._under_way, None
            self._record(Reason.UNDER_WAY, t, early.start_s, out, reached=early.extreme)

    def finish(self, view: ViewTracker, out: list[ev.Event]) -> None:
        """The input ended. A rep on its way back that is already past ``enter`` is complete (only the
        hysteresis band is left: the lowering was seen); one short of that is partial, not counted."""
        if self.rep is None or self._last is None:
            return
        rs = self.spec.reps
        assert rs is not None
        t, value = self._last
        back = value < rs.enter if self.rising else value > rs.enter
        if back and self.rep.extreme != value:
            self._complete(t, view, out)
        else:
            self.reject(Reason.INPUT_ENDED, t, out)

    def _end_excursion(self, t: float, out: list[ev.Event]) -> None:
        rs = self.spec.reps
        ex = self._excursion
        assert rs is not None and ex is not None
        self._excursion = None
        went = abs(ex.extreme - rs.exit) / abs(rs.enter - rs.exit)
        if went >= SHALLOW_SHARE and t - ex.start_s >= SHALLOW_MIN_S:
            kind = self.spec.metrics[rs.metric].kind
            self._record(
                Reason.SHALLOW, t, ex.start_s, out, reached=ex.extreme,
                label=self.spec.metrics[rs.metric].label or rs.metric,
                needed=format_metric(rs.enter, kind, precise=True),
            )  # fmt: skip

    def _complete(self, t: float, view: ViewTracker, out: list[ev.Event]) -> None:
        rs = self.spec.reps
        rep = self.rep
        assert rs is not None and rep is not None
        duration = t - rep.start_s
        if duration < rs.min_rep_s:
            self.reject(Reason.TOO_QUICK, t, out, duration=duration, limit=rs.min_rep_s)
            return
        if duration > rs.max_rep_s:
            self.reject(Reason.TOO_SLOW, t, out, duration=duration, limit=rs.max_rep_s)
            return
        times = np.array([s[0] for s in rep.samples])
        key = np.array([s[1].get(rs.metric, np.nan) for s in rep.samples])
        i_ext = int(np.nanargmax(key) if self.rising else np.nanargmin(key))
        near = np.abs(times - times[i_ext]) <= rs.peak_window_s / 2
        window = [s for s, keep in zip(rep.samples, near) if keep]
        peak = {name: _nanmedian([s[1].get(name, np.nan) for s in window]) for name in self.spec.metrics}
        sides = Counter(s[2] for s in window if s[2] is not None)
        side = sides.most_common(1)[0][0] if sides else None
        self.checks.at_peak(peak, t, view, rep, out)
        record = ev.RepRecord(
            index=len(self.reps) + 1,
            side=side if self.spec.side.per_side else None,
            start_s=round(rep.start_s, 3),
            end_s=round(t, 3),
            faults=tuple(sorted(rep.faults)),
            metrics={k: round(v, 2) for k, v in peak.items()},
            not_judged=tuple(sorted(rep.not_judged - rep.faults)),
        )
        self.reps.append(record)
        self.rep = None
        self.checks.end("rep", t, out)
        out.append(ev.RepCompleted(t, record))

    def reject(self, reason: Reason, t: float, out: list[ev.Event], **fields: object) -> None:
        """Drop the rep under way (if any) for ``reason``; the message's fields come in ``fields``."""
        self._excursion = None
        if self.rep is None:
            return
        start, reached = self.rep.start_s, self.rep.extreme
        self.rep = None
        self.checks.end("rep", t, out)
        self._record(reason, t, start, out, reached=reached, **fields)

    def _record(self, reason: Reason, t: float, start: float, out: list[ev.Event], *, reached: float, **fields: object) -> None:
        kind = self.spec.metrics[self.spec.reps.metric].kind  # type: ignore[union-attr]
        message = say(reason, reached=format_metric(reached, kind, precise=reason is Reason.SHALLOW), **fields)
        rejection = ev.RepRejected(round(t, 3), reason, message, round(start, 3), round(float(reached), 3))
        self.rejected.append(rejection)
        out.append(rejection)


def _nanmedian(values: list[float]) -> float:
    arr = np.asarray(values, float)
    return float(np.median(arr[np.isfinite(arr)])) if np.isfinite(arr).any() else float("nan")
