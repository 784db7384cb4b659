"""report.json (the contract other tools read) and frames.csv (one row per frame)."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..events import Summary
from ..spec.schema import ExerciseSpec
from .step import Step

REPORT_NAME = "report.json"
FRAMES_NAME = "frames.csv"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` via a temporary file, so a crash never leaves half a report."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report ({exc.strerror})") from None


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
    }


def build_report(
    spec: ExerciseSpec, source: str, summary: Summary, frames: int, frames_with_pose: int, duration_s: float,
    extra_warnings: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The report.json dictionary (see README, "report.json")."""
    return json_safe(
        {
            "exercise": spec.id,
            "exercise_name": spec.name,
            "spec_path": str(spec.path) if spec.path else None,
            "source": source,
            "duration_s": duration_s,
            "frames": frames,
            "frames_with_pose": frames_with_pose,
            **summary_fields(summary),
            "warnings": [*summary.warnings, *extra_warnings],
            "fault_labels": {cid: c.label or cid for cid, c in spec.checks.items()},
        }
    )


def _fmt(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else ""


class FramesCsv:
    """Streams frames.csv: time, pose found, side, then every metric of the spec. Flushed every second."""

    def __init__(self, path: Path, spec: ExerciseSpec) -> None:
        self.path = path
        self._metrics = list(spec.metrics)
        try:
            self._file = path.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
        self._csv = csv.writer(self._file)
        self._csv.writerow(
            ["frame", "time_s", "pose_found", "side", "phase", "faults", "view_width", *self._metrics]
        )
        self._rows = 0

    def write(self, step: Step) -> None:
        s = step.sample
        values = [_fmt(s.values.get(m, math.nan)) for m in self._metrics]  # a live spec edit may drop one
        self._csv.writerow(
            [step.frame.index, f"{s.t_s:.3f}", int(s.pose_found), s.side or "", step.phase,
             ";".join(sorted(step.active_faults)), _fmt(s.width_ratio), *values]
        )  # fmt: skip
        self._rows += 1
        if self._rows % 30 == 0:
            self._file.flush()

    def close(self, summary: Summary) -> None:
        self._file.close()
