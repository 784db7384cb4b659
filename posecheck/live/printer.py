"""Headless mode's terminal output: one line per thing that happened (reps, holds, cues, guidance)."""

from __future__ import annotations

import math
import sys
from typing import TextIO

from .. import events as ev
from ..sinks.terminal import format_metric
from ..spec.schema import ExerciseSpec


def _value(spec: ExerciseSpec, metric: str, value: float) -> str:
    return f"{spec.metrics[metric].label or metric} {format_metric(value, spec.metrics[metric].kind)}"


def describe(event: ev.Event, spec: ExerciseSpec) -> str | None:
    """The terminal line for ``event``, or None for events not worth a line (progress, fault ends)."""
    labels = {cid: c.label or cid for cid, c in spec.checks.items()}
    if isinstance(event, ev.RepCompleted):
        rep = event.rep
        side = f" ({rep.side})" if rep.side else ""
        values = ", ".join(
            _value(spec, m, rep.metrics[m]) for m in spec.shown_metrics if math.isfinite(rep.metrics.get(m, math.nan))
        )
        faults = "; ".join(labels.get(f, f) for f in rep.faults) or (
            "no fault seen (some checks not judged from this view)" if rep.not_judged else "good form"
        )
        return f"rep {rep.index}{side}: {faults}" + (f"  [{values}]" if values else "")
    if isinstance(event, ev.HoldEnded):
        hold = event.hold
        side = f" ({hold.side})" if hold.side else ""
        faults = "; ".join(labels.get(f, f) for f in hold.faults) or "good form throughout"
        return f"hold{side} ended: {hold.good_form_s:.1f} s in good form -> {faults}"
    if isinstance(event, ev.HoldStarted):
        return "hold started"
    if isinstance(event, ev.Cue):
        return f"cue: {event.text}"
    if isinstance(event, ev.Ready):
        return "ready: start when you like"
    if isinstance(event, ev.RepRejected):
        return f"not counted: {event.message}"
    if isinstance(event, ev.ViewWarning):
        return event.message
    if isinstance(event, ev.ViewOk):
        return "camera view OK"
    if isinstance(event, ev.PersonLost):
        return "no person in view: counting paused"
    if isinstance(event, ev.PersonFound):
        many = (
            f" ({event.people_in_view} people in view: following the one exercising)"
            if event.people_in_view > 1
            else ""
        )
        return f"person in view{many}"
    return None


class Printer:
    """Prints timestamped lines to a stream (stdout by default), flushing each one."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def line(self, t_s: float, text: str) -> None:
        """Print ``text`` stamped with the session time ``t_s``."""
        self.stream.write(f"{t_s:7.1f} s  {text}\n")
        self.stream.flush()
