"""The start gate: counting begins when the body is in the exercise's starting position."""

from __future__ import annotations

import math
from collections import Counter, deque
from enum import Enum

import numpy as np

from ..spec.schema import ExerciseSpec
from .messages import format_metric, say

#: How many recent values of each position metric are kept to say what they read (last ~20 s at 30 fps).
SEEN_FRAMES = 600


class Gate(str, Enum):
    OPENED = "opened"
    CLOSED = "closed"


class StartGate:
    """Open once every ``[reps] position`` range holds with the rep metric at rest for ``ready_s``; then
    open while the body stays in position (spells out of it up to ``dropout_s`` are allowed, and
    unmeasured frames do not count against it). ``update`` says when it opens or closes; ``why`` says in
    words what kept it shut."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self._seen: dict[str, deque[float]] = {}
        self.swap_spec(spec)
        self.open = False
        self.ever_opened = False
        self.left_what = ""
        self._since: float | None = None
        self._out_since: float | None = None
        self._misses: Counter[tuple[str, str]] = Counter()

    def swap_spec(self, spec: ExerciseSpec) -> None:
        """Use ``spec``'s starting position from the next frame (the gate stays as it is)."""
        rs = spec.reps
        assert rs is not None
        self.spec = spec
        self.ready_s = rs.ready_s
        self.grace_s = rs.dropout_s
        self.position = [(name, lo, hi) for name, (lo, hi) in rs.position.items()]
        self._seen = {name: self._seen.get(name, deque(maxlen=SEEN_FRAMES)) for name, _, _ in self.position}

    def force_open(self) -> None:
        """Open now (live: set-up guidance and the countdown have done the gate's job)."""
        self.open = self.ever_opened = True

    def close(self) -> None:
        self.open = False
        self._since = self._out_since = None

    def update(self, values: dict[str, float], at_rest: bool, t: float) -> Gate | None:
        """Take one frame of a tracked person."""
        if self.open:
            return self._stay(values, t)
        miss = self._miss(values, at_rest)
        if miss is not None:
            self._misses[miss] += 1
            self._since = None
            return None
        self._since = self._since if self._since is not None else t
        if t - self._since >= self.ready_s:
            self.open = self.ever_opened = True
            self._out_since = None
            return Gate.OPENED
        return None

    def _miss(self, values: dict[str, float], at_rest: bool) -> tuple[str, str] | None:
        """The first thing that keeps the body out of the starting position, or None."""
        for name, lo, hi in self.position:
            v = values.get(name, math.nan)
            if not math.isfinite(v):
                return ("unmeasured", name)
            self._seen[name].append(v)
            if not lo <= v <= hi:
                return ("out_of_range", name)
        return None if at_rest else ("not_at_rest", self.spec.reps.metric)  # type: ignore[union-attr]

    def _stay(self, values: dict[str, float], t: float) -> Gate | None:
        for name, lo, hi in self.position:
            v = values.get(name, math.nan)
            if math.isfinite(v) and not lo <= v <= hi:
                self._out_since = self._out_since if self._out_since is not None else t
                if t - self._out_since > self.grace_s:
                    kind = self.spec.metrics[name].kind
                    self.left_what = (
                        f"the {self._label(name)} read {format_metric(v, kind)}; the position needs "
                        f"{format_metric(lo, kind)}-{format_metric(hi, kind)}"
                    )
                    self.close()
                    return Gate.CLOSED
                return None
        self._out_since = None
        return None

    def why(self) -> str:
        """What most often kept the body out of the starting position ('' if nothing was seen)."""
        if not self._misses:
            return ""
        (key, name), _ = self._misses.most_common(1)[0]
        kind = self.spec.metrics[name].kind
        label = self._label(name)
        if key == "unmeasured":
            return say("unmeasured", label=label)
        if key == "not_at_rest":
            rs = self.spec.reps
            assert rs is not None
            side = "below" if rs.enter > rs.exit else "above"
            return say("not_at_rest", label=label, rest=f"{side} {format_metric(rs.exit, kind)}")
        lo, hi = next((lo, hi) for n, lo, hi in self.position if n == name)
        seen = np.percentile(np.asarray(self._seen[name]), [10, 90])
        return say(
            "out_of_range", label=label, lo=format_metric(lo, kind), hi=format_metric(hi, kind),
            seen=f"{format_metric(seen[0], kind)} to {format_metric(seen[1], kind)} mostly",
        )  # fmt: skip

    def _label(self, name: str) -> str:
        return self.spec.metrics[name].label or name
