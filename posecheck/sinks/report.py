"""report.json (the contract other tools read) and frames.csv (one row per frame)."""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
import json
import math
import os
from pathlib import Path
from typing import Any

from ..errors import output_error, writing
from ..events import Cue, HoldRecord, RepRecord, RepRejected, Summary
from ..spec.schema import ExerciseSpec
from .step import Step

REPORT_NAME = "report.json"
FRAMES_NAME = "frames.csv"


def write_json_atomic(path: Path, data: Any, *, action: str = "write the report") -> None:
    """Write JSON to ``path`` via a temporary file, so a crash never leaves half a report. ``action``
    is what the :class:`OutputError` says could not be done."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise output_error(path, action, exc) from None


def json_safe(value: Any) -> Any:
    """``value`` for ``json.dumps(allow_nan=False)``: NaN/inf as None, tuples as lists, floats rounded
    to 3 decimals."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 3)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def summary_fields(summary: Summary) -> dict[str, Any]:
    """What report.json says of the evaluator's results (not JSON-safe yet: see :func:`json_safe`)."""
    return {
        "rep_count": summary.rep_count,
        "rep_count_by_side": summary.rep_count_by_side,
        "reps": [dataclasses.asdict(r) for r in summary.reps],
        "holds": [dataclasses.asdict(h) for h in summary.holds],
        "warnings": list(summary.warnings),
        "rejected": [dataclasses.asdict(r) for r in summary.rejected],
        "view_deg": summary.view_deg,
    }


@dataclass(frozen=True)
class Report:
    """What an analysis concluded: the typed form of report.json (:meth:`to_json` gives the contract)."""

    exercise: str
    exercise_name: str
    spec_path: str | None
    source: str
    duration_s: float
    frames: int
    frames_with_pose: int
    reps: tuple[RepRecord, ...]
    holds: tuple[HoldRecord, ...]
    rep_count_by_side: dict[str, int]
    warnings: tuple[str, ...]
    fault_labels: dict[str, str]
    rejected: tuple[RepRejected, ...] = ()
    view_deg: float | None = None
    notes: tuple[str, ...] = ()  # said to the user at the end (cache, replaced files); not in report.json

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @classmethod
    def of(
        cls, spec: ExerciseSpec, source: str, summary: Summary, frames: int, frames_with_pose: int,
        duration_s: float, extra_warnings: tuple[str, ...] = (), notes: tuple[str, ...] = (),
    ) -> Report:
        return cls(
            spec.id, spec.name, str(spec.path) if spec.path else None, source, duration_s, frames,
            frames_with_pose, summary.reps, summary.holds, dict(summary.rep_count_by_side),
            (*summary.warnings, *extra_warnings), {cid: c.label or cid for cid, c in spec.checks.items()},
            summary.rejected, summary.view_deg, notes,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The report.json dictionary (see README, "report.json"): JSON-safe, NaN as null."""
        return json_safe(
            {
                "exercise": self.exercise,
                "exercise_name": self.exercise_name,
                "spec_path": self.spec_path,
                "source": self.source,
                "duration_s": self.duration_s,
                "frames": self.frames,
                "frames_with_pose": self.frames_with_pose,
                "rep_count": self.rep_count,
                "rep_count_by_side": self.rep_count_by_side,
                "reps": [dataclasses.asdict(r) for r in self.reps],
                "holds": [dataclasses.asdict(h) for h in self.holds],
                "warnings": list(self.warnings),
                "fault_labels": self.fault_labels,
                "view_deg": self.view_deg,
                "rejected": [dataclasses.asdict(r) for r in self.rejected],
            }
        )


def build_report(
    spec: ExerciseSpec, source: str, summary: Summary, frames: int, frames_with_pose: int, duration_s: float,
    extra_warnings: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The report.json dictionary (see README, "report.json")."""
    return Report.of(spec, source, summary, frames, frames_with_pose, duration_s, extra_warnings).to_json()


def _fmt(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else ""


class FramesCsv:
    """Streams frames.csv: time, pose found, side, then every metric of the spec. Flushed every second."""

    def __init__(self, path: Path, spec: ExerciseSpec) -> None:
        self.path = path
        self._metrics = list(spec.metrics)
        with writing(path):
            self._file = path.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            self._csv.writerow(["frame", "time_s", "pose_found", "side", "phase", "faults", "view_width", "cue", *self._metrics])
        self._rows = 0

    def write(self, step: Step) -> None:
        s = step.sample
        values = [_fmt(s.values.get(m, math.nan)) for m in self._metrics]  # a live spec edit may drop one
        cue = " / ".join(e.text for e in step.events if isinstance(e, Cue))
        with writing(self.path):
            self._csv.writerow(
                [step.frame.index, f"{s.t_s:.3f}", int(s.pose_found), s.side or "", step.phase,
                 ";".join(sorted(step.active_faults)), _fmt(s.width_ratio), cue, *values]
            )  # fmt: skip
            self._rows += 1
            if self._rows % 30 == 0:
                self._file.flush()

    def close(self, summary: Summary) -> None:
        if self._file.closed:
            return
        try:
            self._file.close()
        except OSError as exc:
            raise output_error(self.path, "write", exc) from None
