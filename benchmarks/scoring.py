"""Scoring an analysis against ground truth: counts, per-rep faults, per-frame metric error.

Shared by benchmarks/accuracy.py and the CI accuracy gate (tests/test_accuracy_gate.py).
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.landmarks import COUNT
from posecheck.pose.types import Pose
from posecheck.sampler import Sampler
from posecheck.spec.schema import ExerciseSpec, SmoothingSpec
from posecheck.synth.truth import camera_axes


@dataclass
class ClipScore:
    """How one analysed clip compares with its truth."""

    clip: str
    exercise: str
    view: str
    expected_reps: int | None
    counted_reps: int
    true_positive_faults: int = 0
    false_positive_faults: int = 0
    missed_faults: int = 0
    fault_rows: list[str] = field(default_factory=list)
    metric_error: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (mean, p95)
    angle_metrics: tuple[str, ...] = ()
    good_form_error_s: float | None = None

    @property
    def count_error(self) -> int | None:
        return None if self.expected_reps is None else self.counted_reps - self.expected_reps


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    return max(0.0, min(a["end_s"], b["end_s"]) - max(a["start_s"], b["start_s"]))


def match_items(predicted: list[dict], truth: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair predicted and true reps (or holds) by greatest time overlap; unmatched get None."""
    pairs: list[tuple[dict | None, dict | None]] = []
    used: set[int] = set()
    for t in truth:
        best, best_overlap = None, 0.0
        for i, p in enumerate(predicted):
            if i not in used and (o := _overlap(p, t)) > best_overlap:
                best, best_overlap = i, o
        if best is None:
            pairs.append((None, t))
        else:
            used.add(best)
            pairs.append((predicted[best], t))
    pairs.extend((p, None) for i, p in enumerate(predicted) if i not in used)
    return pairs


def score_faults(score: ClipScore, report: dict, truth: dict) -> None:
    """Per-rep (or per-hold) fault precision/recall counts, plus a readable row per item."""
    key = "reps" if truth.get("reps") else "holds"
    for pred, true in match_items(report.get(key, []), truth.get(key, [])):
        got = set(pred["faults"]) if pred else set()
        want = set(true["faults"]) if true else set()
        score.true_positive_faults += len(got & want)
        score.false_positive_faults += len(got - want)
        score.missed_faults += len(want - got)
        when = (true or pred)["start_s"]
        if pred is None:
            score.fault_rows.append(f"{when:6.1f}s missed {key[:-1]}: truth {sorted(want) or 'good'}")
        elif true is None:
            score.fault_rows.append(f"{when:6.1f}s extra {key[:-1]}: reported {sorted(got) or 'good'}")
        elif got != want:
            score.fault_rows.append(f"{when:6.1f}s truth {sorted(want) or 'good'} reported {sorted(got) or 'good'}")
        if key == "holds" and pred and true:
            score.good_form_error_s = abs(pred["good_form_s"] - true["good_form_s"])


def truth_metrics(spec: ExerciseSpec, arrays: dict[str, np.ndarray], camera: dict | None = None) -> dict[str, np.ndarray]:
    """Each spec metric per frame, computed from the true landmarks by the analyser's own code (world-space
    metrics from the true world landmarks in the camera's axes, given the truth's ``camera``)."""
    exact = dataclasses.replace(spec, smoothing=SmoothingSpec(method="none"))
    sampler = Sampler(exact)
    px, t_ms = arrays["image_px"], arrays["t_ms"]
    world = arrays.get("world_m")
    if world is not None and camera is not None:
        world = camera_axes(world, camera)
    out: dict[str, list[float]] = {name: [] for name in spec.metrics}
    ones = np.ones(COUNT, np.float32)
    for i in range(len(t_ms)):
        pose = Pose(
            np.nan_to_num(px[i].astype(np.float32), nan=-1.0), ones, (640, 480),
            world_m=None if world is None else np.nan_to_num(world[i].astype(np.float32)),
        )  # fmt: skip
        sample = sampler.update(pose, float(t_ms[i]))
        for name in out:
            out[name].append(sample.values[name])
    return {k: np.array(v) for k, v in out.items()}


def read_frames_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: np.array([float(r[k]) if r[k] not in ("", None) else np.nan for r in rows]) for k in rows[0]
            if k not in ("side", "phase", "faults", "view_width", "cue")}  # fmt: skip


def score_metrics(
    score: ClipScore, spec: ExerciseSpec, frames_csv: Path, arrays: dict[str, np.ndarray], camera: dict | None = None
) -> None:
    """Mean and 95th-percentile absolute error of each metric, over frames where both are known."""
    score.angle_metrics = tuple(n for n, m in spec.metrics.items() if m.kind in ("angle", "line_angle", "tilt"))
    measured = read_frames_csv(frames_csv)
    truth = truth_metrics(spec, arrays, camera)
    n = min(len(measured.get("frame", [])), len(arrays["t_ms"]))
    for name, true in truth.items():
        got = measured[name][:n]
        err = np.abs(got - true[:n])
        err = err[np.isfinite(err)]
        if len(err):
            score.metric_error[name] = (float(err.mean()), float(np.percentile(err, 95)))


def summarise(scores: list[ClipScore]) -> dict[str, float]:
    """Exact-count rate, within-one rate, fault precision and recall, angle error per view."""
    counted = [s for s in scores if s.expected_reps is not None and s.expected_reps > 0]
    tp = sum(s.true_positive_faults for s in scores)
    fp = sum(s.false_positive_faults for s in scores)
    fn = sum(s.missed_faults for s in scores)
    out: dict[str, float] = {
        "clips": len(scores),
        "exact_count_rate": float(np.mean([s.count_error == 0 for s in counted])) if counted else float("nan"),
        "within_one_rate": float(np.mean([abs(s.count_error) <= 1 for s in counted])) if counted else float("nan"),
        "fault_precision": tp / (tp + fp) if tp + fp else 1.0,
        "fault_recall": tp / (tp + fn) if tp + fn else 1.0,
    }
    by_view: dict[str, list[float]] = {}
    for s in scores:
        for name, (mean, _) in s.metric_error.items():
            if name in s.angle_metrics:
                by_view.setdefault(s.view, []).append(mean)
    for view, errs in by_view.items():
        out[f"angle_error_deg_{view}"] = float(np.mean(errs))
    return out
