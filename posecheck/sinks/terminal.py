"""The terminal: a progress line while running, and a one-screen summary at the end."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ..events import Summary
from ..spec.schema import ExerciseSpec
from ..stages.messages import article_note, format_metric, say
from .step import Step


class Progress:
    """A one-line progress bar on stderr: frames done, fps, time left. Redrawn at most 4 times a second."""

    def __init__(self, total_frames: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total_frames
        self.stream = stream or sys.stderr
        self.width = width
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._done = 0
        self._tty = self.stream.isatty()  # a bar only on a terminal; asked once, not every frame

    def write(self, step: Step) -> None:
        self._done += 1
        now = time.perf_counter()
        if self._tty and now - self._last_draw >= 0.25:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-6)
        fps = self._done / elapsed
        if self.total > 0:
            frac = min(self._done / self.total, 1.0)
            bar = "#" * int(frac * self.width)
            left = (self.total - self._done) / fps if fps > 0 else 0.0
            line = f"\r[{bar:<{self.width}}] {self._done}/{self.total} frames  {fps:5.1f} fps  {left:4.0f} s left "
        else:
            line = f"\r{self._done} frames  {fps:5.1f} fps "
        self.stream.write(line)
        self.stream.flush()

    def close(self, summary: Summary) -> None:
        if self._tty:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()


def format_summary(report: dict[str, Any], spec: ExerciseSpec) -> str:
    """The one-screen summary printed after an analysis."""
    labels = report.get("fault_labels", {})
    lines = [f"{spec.name}: {report['source']} ({report['duration_s']:.1f} s, "
             f"person found in {report['frames_with_pose']}/{report['frames']} frames)"]  # fmt: skip
    if note := article_note(spec):
        lines.append(note)
    if spec.kind == "reps":
        by_side = report["rep_count_by_side"]
        sides = f" (left {by_side.get('left', 0)}, right {by_side.get('right', 0)})" if by_side else ""
        clean = sum(1 for r in report["reps"] if not r["faults"] and not r.get("not_judged"))
        unjudged = sum(1 for r in report["reps"] if not r["faults"] and r.get("not_judged"))
        partly = f", {unjudged} with no fault seen but not fully judged (camera view)" if unjudged else ""
        lines.append(f"Reps counted: {report['rep_count']}{sides}, {clean} in good form{partly}")
        shown = spec.shown_metrics
        for rep in report["reps"]:
            side = f" {rep['side']}" if rep["side"] else ""
            angles = ", ".join(
                f"{spec.metrics[m].label or m} {format_metric(rep['metrics'].get(m), spec.metrics[m].kind)}" for m in shown
            )
            not_judged = rep.get("not_judged") or ()
            faults = "; ".join(labels.get(f, f) for f in rep["faults"]) or (
                f"no fault seen ({len(not_judged)} of {len(labels)} checks not judged from this view)" if not_judged
                else "good form"
            )  # fmt: skip
            lines.append(f"  #{rep['index']}{side} {rep['start_s']:.1f}-{rep['end_s']:.1f} s  {angles}  -> {faults}")
    else:
        target = spec.hold.target_s if spec.hold else 0
        if not report["holds"]:
            lines.append("No hold found: the position was never held long enough")
        for i, hold in enumerate(report["holds"], 1):
            side = f" {hold['side']}" if hold["side"] else ""
            faults = "; ".join(labels.get(f, f) for f in hold["faults"]) or "good form throughout"
            lines.append(
                f"  hold {i}{side} {hold['start_s']:.1f}-{hold['end_s']:.1f} s: {hold['good_form_s']:.1f} s "
                f"in good form (target {target:.0f} s) -> {faults}"
            )
            for name, (start, end) in (hold.get("measures") or {}).items():
                metric = spec.metrics[name]
                lines.append("    " + say("hold_measure", label=metric.label or name,
                                             start=format_metric(start, metric.kind), end=format_metric(end, metric.kind)))
    for warning in report["warnings"]:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)
