"""The start gate: counting begins when the body is in the exercise's starting position."""

from __future__ import annotations

from enum import Enum

from ..spec.schema import ExerciseSpec
from .messages import format_metric, say
from .position import Position


class Gate(str, Enum):
    OPENED = "opened"
    CLOSED = "closed"


class StartGate:
    """Open once every ``[reps] position`` range holds with the rep metric at rest for ``ready_s``; then
    open while the body stays in position (spells out of it up to ``dropout_s`` are allowed, and
    unmeasured frames do not count against it). ``update`` says when it opens or closes; ``why`` says in
    words what kept it shut."""

    def __init__(self, spec: ExerciseSpec) -> None:
        assert spec.reps is not None
        self.position = Position(spec, spec.reps.position)
        self.swap_spec(spec)
        self.open = False
        self.ever_opened = False
        self.left_what = ""
        self._since: float | None = None
        self._out_since: float | None = None

    def swap_spec(self, spec: ExerciseSpec) -> None:
        """Use ``spec``'s starting position from the next frame (the gate stays as it is)."""
        rs = spec.reps
        assert rs is not None
        self.spec = spec
        self.ready_s = rs.ready_s
        self.grace_s = rs.dropout_s
        self.position.set_ranges(spec, rs.position)

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
        miss = self.position.miss(values)
        if miss is None and not at_rest:
            miss = self.position.note(("not_at_rest", self.spec.reps.metric))  # type: ignore[union-attr]
        if miss is not None:
            self._since = None
            return None
        self._since = self._since if self._since is not None else t
        if t - self._since >= self.ready_s:
            self.open = self.ever_opened = True
            self._out_since = None
            return Gate.OPENED
        return None

    def _stay(self, values: dict[str, float], t: float) -> Gate | None:
        outside = self.position.outside(values)
        if outside is None:
            self._out_since = None
            return None
        self._out_since = self._out_since if self._out_since is not None else t
        if t - self._out_since > self.grace_s:
            self.left_what = outside
            self.close()
            return Gate.CLOSED
        return None

    def why(self) -> str:
        """What most often kept the body out of the starting position ('' if nothing was seen)."""
        if not self.position.misses:
            return ""
        (key, name), _ = self.position.misses.most_common(1)[0]
        if key != "not_at_rest":
            return self.position.describe(key, name)
        rs = self.spec.reps
        assert rs is not None
        side = "below" if rs.enter > rs.exit else "above"
        rest = f"{side} {format_metric(rs.exit, self.spec.metrics[name].kind)}"
        return say("not_at_rest", label=self.position.label(name), rest=rest)
