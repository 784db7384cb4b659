"""One input at a time: frames -> pose model -> :class:`SleepClassifier` -> :class:`PositionTimeline`
-> ``sleep.json``; and the index over all inputs.

Photos are judged one by one (a fresh model each, so nothing carries over); a video is sampled every
``every_s`` seconds of its own time; a time-lapse (``timelapse_s``: seconds of the night per frame, or
any folder of images) has every frame judged, its frames spaced ``timelapse_s`` apart. ``sleep.json``
of a video is rewritten every few seconds of work, so an interrupted or killed run keeps a valid one.
Frames are never saved.
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import output_error, writing
from ..pose.types import Pose, PoseBackend
from ..sinks.report import write_json_atomic
from ..sources import IMAGE_EXTENSIONS, open_source
from .classify import POSITIONS, UNSURE_ID, SleepClassifier, Verdict
from .defaults import DEFAULTS, SleepDefaults
from .messages import ADVICE, CANNOT_JUDGE, POSITION_NAMES, SUMMARY, TEXT
from .timeline import PositionTimeline

INDEX_COLUMNS: tuple[str, ...] = (
    "input", "name", "kind", "status", "position", "confidence", "reason", "knees_as_advised", "duration_s",
    *(f"share_{p}" for p in POSITIONS + (UNSURE_ID,)), "turns", "error",
)


@dataclass(frozen=True)
class InputResult:
    """What became of one input: its ``sleep.json`` content (``result``) or the error that stopped it."""

    source: str
    name: str
    kind: str  # photo / video / timelapse
    status: str  # ok / error / interrupted
    result: dict[str, Any]
    error: str = ""


def kind_of(path: Path, timelapse_s: float | None) -> str:
    """photo, timelapse or video, from the path and the options (the file itself is checked when opened)."""
    if path.is_dir() or (timelapse_s is not None and path.suffix.lower() not in IMAGE_EXTENSIONS):
        return "timelapse"
    return "photo" if path.suffix.lower() in IMAGE_EXTENSIONS else "video"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees half a file), creating its folder.
    Raises OutputError."""
    with writing(path.parent, "create the folder"):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, data, action="write")


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` as CSV (UTF-8) to ``path`` atomically, as :func:`write_json`. Raises OutputError."""
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=list(columns))
    w.writeheader()
    w.writerows(rows)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text.getvalue(), encoding="utf-8", newline="")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise output_error(path, "write", exc) from None


def open_backend(model_path: Path | None = None) -> PoseBackend:
    """The pose model as ``posecheck sleep`` runs it (a fresh one per input: nothing carries over)."""
    from ..pose import create_backend
    from ..pose.mediapipe_backend import MediaPipeOptions

    return create_backend(model_path=model_path, options=MediaPipeOptions(num_poses=1))


def _largest(poses: list[Pose]) -> Pose | None:
    """The person nearest the camera (largest on screen) when the model reports several."""
    if not poses:
        return None

    def area(p: Pose) -> float:
        x0, y0, x1, y1 = p.bbox
        return (x1 - x0) * (y1 - y0)

    return max(poses, key=area)


def judge_photo(path: Path, backend: PoseBackend, classifier: SleepClassifier) -> dict[str, Any]:
    """sleep.json content for one photo. Raises SourceError for an unreadable one."""
    with open_source(path, photos=True) as source:
        frame = next(iter(source))
        verdict = classifier.update(_largest(backend.detect(frame)))
    return {"input": str(path), "kind": "photo", "complete": True, "result": verdict.to_json(),
            "cannot_judge": list(CANNOT_JUDGE)}


class VideoJudge:
    """Judges a video or time-lapse frame by frame, keeping a result that can be saved at any time."""

    def __init__(self, path: Path, kind: str, classifier: SleepClassifier, *, every_s: float,
                 timelapse_s: float | None, defaults: SleepDefaults = DEFAULTS) -> None:
        self.path, self.kind, self.classifier, self.defaults = path, kind, classifier, defaults
        self.every_s = every_s
        self.step_s = timelapse_s if timelapse_s is not None else (defaults.folder_frame_s if path.is_dir() else None)
        self.samples: list[tuple[float, Verdict]] = []
        self.poses: list[Pose | None] = []  # kept in "auto" camera mode, to judge again once the placement is known
        self.votes = {"above": 0, "side": 0}
        self.placement: str | None = None
        self._fixed: SleepClassifier | None = None
        self._judged: list[tuple[float, Verdict]] = []
        self.last_t = 0.0

    def run(self, backend: PoseBackend, save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Judge the whole input, calling ``save`` with the result so far every ``save_every_s`` seconds
        of work, and return the final result. An interruption leaves the last save in place; the
        caller saves :meth:`result` (``complete`` false) on its way out."""
        next_t, saved = 0.0, time.monotonic()
        with open_source(self.path) as source:
            for frame in source:
                t = frame.index * self.step_s if self.step_s is not None else frame.timestamp_ms / 1000.0
                if self.step_s is None and t + 1e-6 < next_t:
                    continue
                next_t = t + self.every_s
                pose = _largest(backend.detect(frame))
                verdict = self.classifier.update(pose)
                self.samples.append((t, verdict))
                if self.classifier.camera == "auto":
                    self.poses.append(pose)
                    vote = self.classifier.placement(pose)
                    if vote is not None:
                        self.votes[vote] += 1
                self.last_t = t
                if time.monotonic() - saved >= self.defaults.save_every_s:
                    save(self.result(complete=False))
                    saved = time.monotonic()
        return self.result(complete=True)

    def _decided(self) -> list[tuple[float, Verdict]]:
        """The samples, judged again with the camera placement the video's frames agree on (auto mode;
        frames judged before are kept, so each save costs only the new frames)."""
        total = sum(self.votes.values())
        best = max(self.votes, key=lambda k: self.votes[k])
        d = self.defaults
        if self.classifier.camera != "auto" or total < d.auto_min_votes or self.votes[best] < d.auto_min_share * total:
            self.placement = None
            return self.samples
        if best != self.placement:
            self.placement, self._fixed, self._judged = best, SleepClassifier(best, d), []
        for (t, _), pose in zip(self.samples[len(self._judged):], self.poses[len(self._judged):]):
            self._judged.append((t, self._fixed.update(pose)))
        return self._judged

    def result(self, complete: bool) -> dict[str, Any]:
        """sleep.json content from the frames judged so far."""
        samples = self._decided()
        step = self.step_s if self.step_s is not None else self.every_s
        if len(samples) >= 2 and self.step_s is None:
            step = min(step, samples[-1][0] - samples[-2][0])
        end = self.last_t + step if samples else 0.0
        # A copy of the timeline is finished, so that judging can go on after a save.
        timeline = PositionTimeline(self.defaults)
        for t, v in samples:
            timeline.update(t, v.position)
        night = timeline.finish(end)
        return {
            "input": str(self.path), "kind": self.kind, "complete": complete,
            "seconds_per_sample": step, "camera": self.classifier.camera, "camera_decided": self.placement,
            "camera_votes": dict(self.votes) if self.classifier.camera == "auto" else None, "samples_judged": len(samples),
            "timeline": night.to_json(), "advice": advice_summary(samples, step),
            "unsure_reasons": unsure_summary(samples, step),
            "cannot_judge": list(CANNOT_JUDGE),
            "samples": [{"t_s": round(t, 2), **_brief(v)} for t, v in samples],
        }


def _brief(v: Verdict) -> dict[str, Any]:
    full = v.to_json()
    return {k: full[k] for k in ("position", "confidence", "reason_id", "knees_as_advised", "knee_deg", "hip_deg")}


def advice_summary(samples: list[tuple[float, Verdict]], step: float) -> dict[str, Any]:
    """Per sure position: seconds seen, seconds with the knees as advised, and the advice in words."""
    out: dict[str, Any] = {}
    for position in POSITIONS:
        mine = [v for _, v in samples if v.position == position]
        if not mine:
            continue
        judged = [v for v in mine if v.knees_ok is not None]
        ok = sum(bool(v.knees_ok) for v in judged)
        entry: dict[str, Any] = {"seconds": round(len(mine) * step, 1)}
        if position == "stomach":
            entry["advice"] = ADVICE["stomach"]
        else:
            entry["knees_judged_s"] = round(len(judged) * step, 1)
            entry["knees_as_advised_s"] = round(ok * step, 1)
            key = "back_raised" if position == "back" else "side_drawn_up"
            bad = "back_flat" if position == "back" else "side_straight"
            knee = _median([v.knee_deg for v in judged])
            hip = _median([v.hip_deg for v in judged])
            entry["advice"] = (TEXT["as_advised_for"].format(ok=ok * step / 60, of=len(judged) * step / 60)
                               + ADVICE[key if ok * 2 >= len(judged) else bad].format(knee=knee, hip=hip)
                               if judged else ADVICE["legs_unseen"])
        out[position] = entry
    return out


def _median(values: list[float]) -> float:
    ok = sorted(v for v in values if math.isfinite(v))
    return ok[len(ok) // 2] if ok else math.nan


def unsure_summary(samples: list[tuple[float, Verdict]], step: float) -> dict[str, float]:
    """Seconds of each reason for "unsure", by the reason's words (its first frame's)."""
    out: dict[str, float] = {}
    words: dict[str, str] = {}
    for _, v in samples:
        if v.position == UNSURE_ID:
            key = words.setdefault(v.reason_id, v.reason)
            out[key] = out.get(key, 0.0) + step
    return {k: round(s, 1) for k, s in out.items()}


def index_row(r: InputResult) -> dict[str, Any]:
    """One row of index.csv (and entry of index.json)."""
    row: dict[str, Any] = {k: "" for k in INDEX_COLUMNS}
    row.update(input=r.source, name=r.name, kind=r.kind, status=r.status, error=r.error)
    res = r.result
    if "result" in res:
        v = res["result"]
        row.update(position=v["position"], confidence=v["confidence"], reason=v["reason"] or "",
                   knees_as_advised="" if v["knees_as_advised"] is None else v["knees_as_advised"])
    if "timeline" in res:
        tl = res["timeline"]
        row.update(duration_s=tl["duration_s"], turns=tl["turns"],
                   **{f"share_{p}": s for p, s in tl["shares"].items()})
    return row


def write_index(out: Path, results: list[InputResult]) -> None:
    """DIR/index.json and DIR/index.csv over all inputs so far. Raises OutputError."""
    rows = [index_row(r) for r in results]
    write_json(out / "index.json", {"inputs": rows, "cannot_judge": list(CANNOT_JUDGE)})
    write_csv(out / "index.csv", INDEX_COLUMNS, rows)


#: Names in --out that are not an input's folder.
RESERVED_NAMES = frozenset({"index.json", "index.csv", "index.json.tmp", "index.csv.tmp"})


def output_names(paths: list[Path]) -> list[str]:
    """A folder name per input, each directly inside --out: the file's stem or the folder's own name
    (``.`` and ``..`` as the folders they are), ``input<N>`` when there is none (``/``), made unique
    (``a.jpg`` and ``a.mp4`` -> ``a_jpg``, ``a_mp4``)."""
    stems = []
    for n, p in enumerate(paths, 1):
        stem = Path(os.path.abspath(p)).stem
        stems.append(stem if stem not in ("", ".", "..") and os.sep not in stem else f"input{n}")
    names: list[str] = []
    for p, stem in zip(paths, stems):
        name = stem if stems.count(stem) == 1 else f"{stem}_{p.suffix.lstrip('.') or 'dir'}"
        while name in names or name in RESERVED_NAMES:
            name += "_"
        names.append(name)
    return names


def summary_lines(r: InputResult) -> list[str]:
    """The terminal summary of one input (none for a failed one: its error line says it)."""
    if r.status == "error":
        return []
    name, res, say = Path(r.source).name, r.result, SUMMARY
    if "result" in res:
        v = res["result"]
        if v["position"] == UNSURE_ID:
            return [say["unsure"].format(name=name, reason=v["reason"])]
        lines = [say["sure"].format(name=name, label=v["label"], confidence=v["confidence"])]
        if v["advice"]:
            lines.append(say["advice"].format(advice=v["advice"]))
        return lines
    tl = res["timeline"]
    shares = say["share_separator"].join(say["share"].format(position=POSITION_NAMES[p], share=s)
                                         for p, s in tl["shares"].items() if s > 0)
    hours = tl["duration_s"] / 3600
    span = say["hours"].format(value=hours) if hours >= 1 else say["minutes"].format(value=tl["duration_s"] / 60)
    lines = [say["night"].format(name=name, span=span, state="" if res["complete"] else say["stopped_early"],
                                 shares=shares or TEXT["no_frames"], turns=TEXT["turns"].format(turns=tl["turns"]))]
    lines += [say["position_advice"].format(position=POSITION_NAMES[p], advice=a["advice"])
              for p, a in res["advice"].items()]
    lines += [say["unsure_for"].format(seconds=s, reason=why) for why, s in res["unsure_reasons"].items()]
    return lines
