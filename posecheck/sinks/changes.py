"""What tuning shows in the terminal: what changed against the previous evaluation of the same track, and
each rep's margin on each check (how far it passed or failed, in the metric's unit).

:func:`check_values` is the one definition of "the value a check judged in a rep or hold": the
terminal, report.html and ``posecheck calibrate`` all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..evaluator import SPEED_WINDOW_S
from ..spec.schema import CheckSpec, ExerciseSpec
from .terminal import format_metric as unit_text

#: Two reps are the same movement when their spans overlap by at least this fraction of the shorter.
SAME_REP_OVERLAP = 0.5
#: Rejections this close to a rep that disappeared are taken as its reason.
REASON_NEAR_S = 0.5

MESSAGES = {
    "first": "first evaluation of this track: nothing to compare with yet",
    "other_exercise": "the previous evaluation was of {previous}; compared by time",
    "unchanged": "no change against the previous evaluation",
    "count": "rep count {old} -> {new}",
    "holds": "holds {old} -> {new}",
    "verdict": "rep {index} ({span}): {old} -> {new}",
    "lost": "rep {index} ({span}) is no longer counted: {why}",
    "gained": "rep {index} ({span}) is newly counted",
    "hold_changed": "hold {index} ({span}): {old_s:.1f} s -> {new_s:.1f} s in good form{faults}",
    "not_reached": "the movement reached {value} but a rep needs {need} ('enter' in [reps])",
    "not_back": "it did not return past {need} ('exit' in [reps])",
    "unknown": "no movement past the thresholds there",
    "good": "good form",
    "margin_head": "Margins (value each check judged vs its threshold):",
    "margin": "{label} {value} vs {bound_name} {bound}: {verdict} by {margin}",
    "brief": "{label} {value} vs {bound_name} {bound}: outside by {margin} too briefly to count",
    "unmeasured": "{label}: not measured",
    "relative": "{label} below its peak",
}


@dataclass(frozen=True)
class Timeline:
    """Per-frame values of an evaluation: times (s), each metric's value (NaN = not measured), and the
    movements the evaluator rejected (time, reason)."""

    t_s: np.ndarray
    values: Mapping[str, np.ndarray]
    rejected: tuple[tuple[float, str], ...] = ()

    def window(self, start_s: float, end_s: float) -> np.ndarray:
        return (self.t_s >= start_s - 1e-6) & (self.t_s <= end_s + 1e-6)


@dataclass(frozen=True)
class CheckValue:
    """The value ``check`` judged in one rep or hold, against which bound, and the margin (> 0: passed by)."""

    check_id: str
    value: float
    bound_name: str  # "min" or "max"
    bound: float
    margin: float

    @property
    def passed(self) -> bool:
        return not self.margin < 0


def _judged(check: CheckSpec, spec: ExerciseSpec, item: Mapping[str, Any], timeline: Timeline) -> np.ndarray:
    """The values ``check`` saw during ``item`` (a rep or hold of report.json)."""
    if check.when == "peak":
        v = item.get("metrics", {}).get(check.metric)
        return np.array([np.nan if v is None else v], float)
    inside = timeline.window(item["start_s"], item["end_s"])
    every = np.asarray(timeline.values.get(check.metric, np.full(len(timeline.t_s), np.nan)))
    values = every[inside]
    if check.max_speed is not None:  # as the evaluator: a value is judged only while the metric moves slowly
        values = np.where(_speed(timeline.t_s, every)[inside] <= check.max_speed, values, np.nan)
    if check.relative_to == "peak" and spec.reps is not None:
        # Against the check metric's own best value so far in the rep, as the evaluator judges it.
        key = every[inside]
        key = np.where(np.isfinite(key), key, -np.inf if spec.reps.enter > spec.reps.exit else np.inf)
        extreme = np.maximum.accumulate(key) if spec.reps.enter > spec.reps.exit else np.minimum.accumulate(key)
        values = values - np.where(np.isfinite(extreme), extreme, np.nan)
    return values


def _speed(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """|change| per second of ``v`` over the last :data:`SPEED_WINDOW_S`, as the evaluator measures it."""
    first = np.searchsorted(t, t - SPEED_WINDOW_S - 1e-9, side="left")
    dt = t - t[first]
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.abs(v - v[first]) / dt
    speed = np.where(dt > 0, speed, 0.0)
    return np.where(np.isfinite(v) & np.isfinite(v[first]) | (dt == 0), speed, np.inf)


def check_values(item: Mapping[str, Any], spec: ExerciseSpec, timeline: Timeline) -> dict[str, CheckValue | None]:
    """For each check of ``spec`` judged in ``item`` (a rep or a hold of report.json): its worst value
    there against its bound (None where never measured). Peak checks use the rep's value at its peak,
    as the evaluator does; the others the worst frame (the evaluator also needs it to last
    ``min_duration_s``, so a brief worse frame can show a negative margin on a rep judged good)."""
    is_rep = "index" in item
    out: dict[str, CheckValue | None] = {}
    for cid, check in spec.checks.items():
        if (check.when in ("peak", "rep")) != is_rep and check.when != "always":
            continue
        values = _judged(check, spec, item, timeline)
        values = values[np.isfinite(values)]
        if not len(values):
            out[cid] = None
            continue
        candidates = []
        if check.min is not None:
            v = float(values.min())
            candidates.append(CheckValue(cid, v, "min", check.min, v - check.min))
        if check.max is not None:
            v = float(values.max())
            candidates.append(CheckValue(cid, v, "max", check.max, check.max - v))
        out[cid] = min(candidates, key=lambda c: c.margin)
    return out


def _span(item: Mapping[str, Any]) -> str:
    return f"{item['start_s']:.1f}-{item['end_s']:.1f} s"


def _verdict(item: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    return "; ".join(labels.get(f, f) for f in item.get("faults", ())) or MESSAGES["good"]


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    inter = min(a["end_s"], b["end_s"]) - max(a["start_s"], b["start_s"])
    shorter = min(a["end_s"] - a["start_s"], b["end_s"] - b["start_s"])
    return inter / shorter if shorter > 0 else float(inter >= 0)


def _match(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs (old i, new j) of the same movement, old ones with no partner, new ones with none."""
    pairs, used = [], set()
    for i, a in enumerate(old):
        best = max(
            ((j, _overlap(a, b)) for j, b in enumerate(new) if j not in used), key=lambda x: x[1], default=(None, 0.0)
        )
        if best[0] is not None and best[1] >= SAME_REP_OVERLAP:
            pairs.append((i, best[0]))
            used.add(best[0])
    lost = [i for i in range(len(old)) if i not in {p[0] for p in pairs}]
    gained = [j for j in range(len(new)) if j not in used]
    return pairs, lost, gained


def _why_lost(rep: Mapping[str, Any], spec: ExerciseSpec, timeline: Timeline) -> str:
    near = [
        reason for t, reason in timeline.rejected
        if rep["start_s"] - REASON_NEAR_S <= t <= rep["end_s"] + REASON_NEAR_S
    ]  # fmt: skip
    if near:
        return near[0]
    rs = spec.reps
    if rs is None or rs.metric not in timeline.values:
        return MESSAGES["unknown"]
    kind = spec.metrics[rs.metric].kind
    values = np.asarray(timeline.values[rs.metric])[timeline.window(rep["start_s"], rep["end_s"])]
    values = values[np.isfinite(values)]
    if not len(values):
        return MESSAGES["unknown"]
    rising = rs.enter > rs.exit
    peak = values.max() if rising else values.min()
    if (peak < rs.enter) if rising else (peak > rs.enter):
        return MESSAGES["not_reached"].format(value=unit_text(peak, kind), need=unit_text(rs.enter, kind))
    return MESSAGES["not_back"].format(need=unit_text(rs.exit, kind))


def format_changes(
    previous: Mapping[str, Any] | None, report: Mapping[str, Any], spec: ExerciseSpec, timeline: Timeline
) -> str:
    """What changed from ``previous`` (an earlier report.json of the same track) to ``report``, in words."""
    if previous is None:
        return MESSAGES["first"]
    lines = []
    if previous.get("exercise") != report.get("exercise"):
        lines.append(MESSAGES["other_exercise"].format(previous=previous.get("exercise")))
    labels = {**previous.get("fault_labels", {}), **report.get("fault_labels", {})}
    old_reps, new_reps = list(previous.get("reps", [])), list(report.get("reps", []))
    if len(old_reps) != len(new_reps):
        lines.append(MESSAGES["count"].format(old=len(old_reps), new=len(new_reps)))
    pairs, lost, gained = _match(old_reps, new_reps)
    for i, j in pairs:
        a, b = old_reps[i], new_reps[j]
        if sorted(a.get("faults", [])) != sorted(b.get("faults", [])):
            lines.append(
                MESSAGES["verdict"].format(index=b["index"], span=_span(b), old=_verdict(a, labels), new=_verdict(b, labels))
            )
    for i in lost:
        rep = old_reps[i]
        lines.append(MESSAGES["lost"].format(index=rep["index"], span=_span(rep), why=_why_lost(rep, spec, timeline)))
    for j in gained:
        lines.append(MESSAGES["gained"].format(index=new_reps[j]["index"], span=_span(new_reps[j])))
    old_holds, new_holds = list(previous.get("holds", [])), list(report.get("holds", []))
    if len(old_holds) != len(new_holds):
        lines.append(MESSAGES["holds"].format(old=len(old_holds), new=len(new_holds)))
    pairs, _, _ = _match(old_holds, new_holds)
    for i, j in pairs:
        a, b = old_holds[i], new_holds[j]
        if abs(a["good_form_s"] - b["good_form_s"]) >= 0.05 or sorted(a["faults"]) != sorted(b["faults"]):
            faults = f" ({_verdict(b, labels)})" if b["faults"] else ""
            lines.append(
                MESSAGES["hold_changed"].format(
                    index=j + 1, span=_span(b), old_s=a["good_form_s"], new_s=b["good_form_s"], faults=faults
                )
            )
    return "\n".join(lines) if lines else MESSAGES["unchanged"]


def format_margins(report: Mapping[str, Any], spec: ExerciseSpec, timeline: Timeline) -> str:
    """Every rep's (or hold's) margin on each check, e.g. "hip line 163 deg vs min 165 deg: failed by 2 deg"."""
    items = [(f"rep {r['index']}", r) for r in report.get("reps", [])]
    items += [(f"hold {i}", h) for i, h in enumerate(report.get("holds", []), 1)]
    if not items or not spec.checks:
        return ""
    lines = [MESSAGES["margin_head"]]
    for name, item in items:
        parts = []
        for cid, cv in check_values(item, spec, timeline).items():
            check = spec.checks[cid]
            label = spec.metrics[check.metric].label or check.metric
            kind = spec.metrics[check.metric].kind
            if check.relative_to == "peak":
                label = MESSAGES["relative"].format(label=label)
            if cv is None:
                parts.append(MESSAGES["unmeasured"].format(label=label))
                continue
            failed = cid in item.get("faults", ())
            message = MESSAGES["brief"] if not failed and not cv.passed else MESSAGES["margin"]
            parts.append(
                message.format(
                    label=label, value=unit_text(cv.value, kind, True), bound_name=cv.bound_name,
                    bound=unit_text(cv.bound, kind), verdict="failed" if failed else "passed",
                    margin=unit_text(abs(cv.margin), kind, True),
                )
            )  # fmt: skip
        lines.append(f"  {name}: " + "\n         ".join(parts))
    return "\n".join(lines)
