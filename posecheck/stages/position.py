"""A position as metric ranges (a set's starting position, a hold's position): is the body in it, and if
it never was, what kept it out, in words."""

from __future__ import annotations

import math
from collections import Counter, deque

import numpy as np

from ..spec.schema import ExerciseSpec, Range
from .messages import format_metric, say

#: How many recent values of each position metric are kept to say what they read (last ~20 s at 30 fps).
SEEN_FRAMES = 600


class Position:
    """``miss(values)`` gives the first range not met (and notes it for :meth:`why`), None when in position."""

    def __init__(self, spec: ExerciseSpec, ranges: dict[str, Range]) -> None:
        self.misses: Counter[tuple[str, str]] = Counter()
        self._seen: dict[str, deque[float]] = {}
        self.set_ranges(spec, ranges)

    def set_ranges(self, spec: ExerciseSpec, ranges: dict[str, Range]) -> None:
        """New ranges (a spec reload); what was seen is kept."""
        self.spec = spec
        self.ranges = [(name, lo, hi) for name, (lo, hi) in ranges.items()]
        self._seen = {name: self._seen.get(name, deque(maxlen=SEEN_FRAMES)) for name, _, _ in self.ranges}

    def miss(self, values: dict[str, float]) -> tuple[str, str] | None:
        """("unmeasured" | "out_of_range", metric) for the first range not met, or None; noted for why()."""
        for name, lo, hi in self.ranges:
            v = values.get(name, math.nan)
            if not math.isfinite(v):
                return self.note(("unmeasured", name))
            self._seen[name].append(v)
            if not lo <= v <= hi:
                return self.note(("out_of_range", name))
        return None

    def note(self, miss: tuple[str, str]) -> tuple[str, str]:
        self.misses[miss] += 1
        return miss

    def outside(self, values: dict[str, float]) -> str | None:
        """Words for the first measured value outside its range (unmeasured values are no evidence), or None."""
        for name, lo, hi in self.ranges:
            v = values.get(name, math.nan)
            if math.isfinite(v) and not lo <= v <= hi:
                kind = self.spec.metrics[name].kind
                return say("outside", label=self.label(name), value=format_metric(v, kind),
                           lo=format_metric(lo, kind), hi=format_metric(hi, kind))  # fmt: skip
        return None

    def why(self) -> str:
        """What most often kept the body out of position ('' if nothing was noted)."""
        if not self.misses:
            return ""
        (key, name), _ = self.misses.most_common(1)[0]
        return self.describe(key, name)

    def describe(self, key: str, name: str) -> str:
        label = self.label(name)
        if key == "unmeasured":
            return say("unmeasured", label=label)
        kind = self.spec.metrics[name].kind
        lo, hi = next((lo, hi) for n, lo, hi in self.ranges if n == name)
        seen = np.percentile(np.asarray(self._seen[name]), [10, 90])
        return say(
            "out_of_range", label=label, lo=format_metric(lo, kind), hi=format_metric(hi, kind),
            seen=f"{format_metric(seen[0], kind)} to {format_metric(seen[1], kind)} mostly",
        )  # fmt: skip

    def label(self, name: str) -> str:
        return self.spec.metrics[name].label or name
