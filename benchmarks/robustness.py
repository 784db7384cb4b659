"""Robustness suite: seeded synthetic clips that we cannot overfit, scored against their truth.

Each clip description is drawn from its seed: camera yaw uniform 0-90 deg, pitch, distance, body variant
and scale, tempo 0.6-1.6 (and per-rep variation), lead-in 0-2 s (often 0), rest 0-1 s (often 0), sometimes
a start inside the first rep, sometimes one brief exit from the frame, 2-6 reps, and faults of random size
either side of the threshold in ../shared/docs/exercise-criteria.md (TRUE units, :data:`FAULTS`; never our
spec files, whose camera-measured thresholds are what is being tested).

Two disjoint seed sets: ``tune`` (choose thresholds with it) and ``held`` (held back: report it, never
choose anything with it). Each clip is rendered once into ``--work`` (default ``~/.cache/posecheck/suite``,
keyed by a hash of its description and the generator version) and analysed once with the real model
(posecheck's track cache, and a copy beside the clip); every later run re-scores the recorded pose tracks
with ``posecheck.tune.evaluate`` and takes seconds.

    python benchmarks/robustness.py                         # both sets, held-back first: tables + misses
    python benchmarks/robustness.py --seeds tune --spec-dir my_specs/   # score candidate thresholds
    python benchmarks/robustness.py --subset ci             # the ~6 short clips of the CI gate
    python benchmarks/robustness.py --write-baseline        # benchmarks/robustness_baseline.{json,md}
    python benchmarks/robustness.py --check                 # exit 1 if a figure fell below the baseline
    python benchmarks/robustness.py --only 10203 --json     # one clip, as JSON

Cost (2 cores): the renderer draws ~8 frames/s (~16 with the still moments it repeats) and analysing
takes ~14 frames/s with the model's start-up, so clips are rendered at :data:`DEFAULT_FPS` frames/s: the
first run of the default 104 clips (~19,000 frames) took 42 minutes on one core; ``--jobs`` (default one per
CPU) analyses clips at once. A re-score takes ~3 s.
``--fps 30`` renders at full rate (twice the frames, other cache keys).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scoring import match_items  # noqa: E402

from posecheck.errors import PosecheckError  # noqa: E402
from posecheck.landmarks import INDEX, OTHER_SIDE, SIDES  # noqa: E402
from posecheck.pose.segments import usable_cpus  # noqa: E402
from posecheck.synth.clip import parse_clip  # noqa: E402
from posecheck.synth.generate import GENERATOR_VERSION, build_timeline  # noqa: E402
from posecheck.synth.motions import EXERCISES  # noqa: E402

BASELINE_JSON = ROOT / "benchmarks" / "robustness_baseline.json"
BASELINE_MD = ROOT / "benchmarks" / "robustness_baseline.md"
CRITERIA = "shared/docs/exercise-criteria.md"


@dataclass(frozen=True)
class FaultRow:
    """One suite fault: the generator's fault id and size, the criteria threshold in true units.

    A rep is faulty when its size is past ``threshold`` in ``direction`` (">" or "<"). Sizes are drawn
    from ``band`` and never from inside the ambiguous zone: within ``gap`` of the threshold on the good
    side, ``fault_gap`` on the faulty side (``fault_gap`` defaults to ``gap``).
    """

    exercise: str
    fault: str
    direction: str
    threshold: float
    band: tuple[float, float]
    gap: float
    cite: str
    fault_gap: float | None = None

    def zone(self) -> tuple[float, float]:
        """The ambiguous sizes, never drawn: (low, high)."""
        far = self.gap if self.fault_gap is None else self.fault_gap
        if self.direction == ">":
            return round(self.threshold - self.gap, 6), round(self.threshold + far, 6)
        return round(self.threshold - far, 6), round(self.threshold + self.gap, 6)

    def is_fault(self, size: float) -> bool:
        return size > self.threshold if self.direction == ">" else size < self.threshold


#: The suite's fault thresholds, in the criteria doc's TRUE units (the generator's ``size`` of each fault,
#: see posecheck/synth/motions.py). Each row cites the criteria line it comes from.
FAULTS: tuple[FaultRow, ...] = (
    FaultRow("glute_bridge", "hips_low", "<", 165.0, (140.0, 178.0), 4.0,
             f"{CRITERIA} (Glute bridge): 'Top: shoulder-hip-knee close to 180 deg; pass at >=165 deg (guess)'"),
    FaultRow("glute_bridge", "over_lift", ">", 190.0, (180.0, 206.0), 3.0,
             f"{CRITERIA} (Glute bridge): 'Over-lifting: ... signed angle past ~190 deg (guess)'"),
    FaultRow("glute_bridge", "hip_sag", ">", 10.0, (2.0, 22.0), 3.0,
             f"{CRITERIA} (Glute bridge): 'Sagging in the hold: the angle falls >10 deg below the rep's own peak'"),
    FaultRow("lunge", "shallow_front_knee", ">", 105.0, (80.0, 135.0), 4.0,
             f"{CRITERIA} (Forward lunge): 'Front knee 90 deg +-15 deg (guess)'"),
    FaultRow("lunge", "torso_lean", ">", 20.0, (0.0, 40.0), 4.0,
             f"{CRITERIA} (Forward lunge): 'Torso: shoulder-hip line within ~20 deg of vertical (guess)'"),
    # The doc gives a range (30 deg pro / 45 deg beginner): 30 is the cut, and 30-45 is ambiguous.
    FaultRow("lunge", "knee_past_toes", ">", 30.0, (4.0, 50.0), 4.0,
             f"{CRITERIA} (Forward lunge): 'shin tilt from vertical > 30-45 deg (... 30/45 for pro/beginner)'",
             fault_gap=15.0),
    FaultRow("clamshell", "pelvis_roll", ">", 25.0, (0.0, 45.0), 5.0,
             f"{CRITERIA} (Clamshell): 'Pelvis rolling back ... a ratio < 0.9 is about 25 deg of roll, guess'"),
    FaultRow("clamshell", "feet_apart", ">", 0.15, (0.0, 0.40), 0.04,
             f"{CRITERIA} (Clamshell): 'Feet together: ankle or heel gap / thigh length < 0.15 (guess)'"),
    # Forward lean only: leaning back is the spec's other check (hips_back), with no criteria number.
    FaultRow("hip_flexor_stretch", "torso_lean", ">", 10.0, (0.0, 30.0), 3.0,
             f"{CRITERIA} (Half-kneeling hip flexor): 'torso within ~10 deg of vertical'"),
    FaultRow("butterfly_stretch", "torso_lean", ">", 15.0, (0.0, 40.0), 5.0,
             f"{CRITERIA} (Butterfly): 'torso upright within ~15 deg of vertical'"),
    # No number in the criteria ('heels near the body'): heels more than 0.9 thigh lengths ahead of the hips.
    FaultRow("butterfly_stretch", "heels_far", ">", 0.9, (0.4, 1.4), 0.12,
             f"{CRITERIA} (Butterfly): 'heels near the body' (0.9 thigh lengths is ours)"),
    FaultRow("pigeon_stretch", "back_knee_bent", "<", 150.0, (105.0, 178.0), 6.0,
             f"{CRITERIA} (Pigeon): 'back leg long (hip-knee-ankle >= 150 deg, guess)'"),
    # No number in the criteria ('hips down'): the back thigh more than 20 deg below level holds the hips up.
    FaultRow("pigeon_stretch", "hips_high", ">", 20.0, (5.0, 40.0), 4.0,
             f"{CRITERIA} (Pigeon): 'hips down' (20 deg of back thigh slope is ours)"),
    FaultRow("pigeon_stretch", "hips_uneven", ">", 8.0, (0.0, 20.0), 3.0,
             f"{CRITERIA} (Pigeon): 'hips level in a front view (hip-line tilt < ~8 deg, guess)'"),
    FaultRow("hip_90_90", "torso_lean", ">", 15.0, (0.0, 40.0), 5.0,
             f"{CRITERIA} (90/90): 'torso upright' (15 deg as for the butterfly)"),
    # "Near 90" with a widened tolerance: a back knee opened past 135 deg (90 + 45) is the fault.
    FaultRow("hip_90_90", "back_knee", ">", 135.0, (80.0, 170.0), 10.0,
             f"{CRITERIA} (90/90): 'both hips and knees at 90 deg ... widen the tolerance' (+-45 deg is ours)"),
)


def true_back_knee_height(rep: dict[str, Any], arrays: dict[str, Any]) -> float:
    """The back knee's height above the floor in shank lengths, from the truth's 3D joints (y up) at the
    rep's bottom (``key_s``)."""
    frame = int(np.argmin(np.abs(arrays["t_ms"] - 1000.0 * rep["key_s"])))
    world = arrays["world_m"][frame]
    back = OTHER_SIDE[rep["side"]]
    knee, ankle = world[INDEX[f"{back}_knee"]], world[INDEX[f"{back}_ankle"]]
    floor = min(world[INDEX[f"{s}_{part}"], 1] for s in SIDES for part in ("ankle", "heel", "foot_index"))
    return float((knee[1] - floor) / np.linalg.norm(knee - ankle))


@dataclass(frozen=True)
class MeasuredFault:
    """A fault the suite does not draw but other faults bring by geometry (a shallow front knee, or a shin
    tilted far forward, straightens the back leg and lifts its knee). Its label comes from the truth's 3D
    joints (``measure(truth rep, truth arrays)``): faulty above ``zone[1]``, good below ``zone[0]``, not
    judged in between."""

    exercise: str
    fault: str
    measure: Callable[[dict[str, Any], dict[str, Any]], float]
    zone: tuple[float, float]
    cite: str

    def label(self, rep: dict[str, Any], arrays: dict[str, Any] | None) -> bool | None:
        """True (faulty), False (good) or None (not judged: in the zone, or no truth arrays)."""
        if arrays is None:
            return None
        size = self.measure(rep, arrays)
        return True if size > self.zone[1] else False if size < self.zone[0] else None


#: The criteria say < 0.3 shank lengths (a guess); the generator's good-form lunge leaves the back knee
#: 0.24-0.36 up, so below 0.4 is good, above 0.7 (a straightened back leg reads ~1.0) faulty.
MEASURED: tuple[MeasuredFault, ...] = (
    MeasuredFault("lunge", "back_knee_high", true_back_knee_height, (0.4, 0.7),
                  f"{CRITERIA} (Forward lunge): 'back-knee height above the floor / shank length < 0.3 (guess)'"),
)
SUITE_EXERCISES = ("glute_bridge", "lunge", "clamshell", "hip_flexor_stretch", "butterfly_stretch",
                   "pigeon_stretch", "hip_90_90")
#: Seed set -> first seed; a clip's seed is first + 100 * exercise index + i, so the sets never meet.
SEED_SETS = {"tune": 10_000, "held": 20_000}
PER_EXERCISE = 13  # per seed set: 7 exercises x 13 x 2 sets = 182 clips
DEFAULT_FPS = 15
SUITE_VERSION = 1  # bump when the draw below changes (it changes every description, hence every cache key)
REP_COUNTS = (2, 3, 4, 5, 6)
REP_WEIGHTS = (0.45, 0.3, 0.12, 0.08, 0.05)
P_FAULT = 0.45  # a rep is drawn with a fault (of either side of its threshold) this often
BUCKETS = ((0.0, 30.0, "0-30"), (30.0, 45.0, "30-45"), (45.0, 90.01, "45-90"))
BEST_VIEW_DEG = {"side": 90.0, "front": 0.0}
#: How far a figure may fall below its baseline before --check fails (as benchmarks/accuracy.py).
TOLERANCE = {"exact_count_rate": 0.0, "within_one_rate": 0.0, "fault_precision": 0.05, "fault_recall": 0.05}
HOLD_ERROR_TOLERANCE_S = 0.5  # the hold good-form error may grow by this much
HOLD_MISS_S = 1.5  # a hold whose good-form time is off by more than this is listed as a miss
FIGURES = ("exact_count_rate", "within_one_rate", "fault_precision", "fault_recall", "hold_error_s")


def fault_rows(exercise: str) -> list[FaultRow]:
    return [r for r in FAULTS if r.exercise == exercise]


def seeds(seed_set: str, per_exercise: int = PER_EXERCISE) -> list[tuple[str, int]]:
    """(exercise, seed) of every clip of a seed set."""
    if seed_set not in SEED_SETS:
        raise ValueError(f"unknown seed set {seed_set!r}; expected one of {', '.join(SEED_SETS)}")
    if not 0 < per_exercise <= 100:
        raise ValueError(f"per_exercise = {per_exercise}; expected 1-100")
    base = SEED_SETS[seed_set]
    return [(ex, base + 100 * e + i) for e, ex in enumerate(SUITE_EXERCISES) for i in range(per_exercise)]


def draw_size(row: FaultRow, faulty: bool, rng: np.random.Generator) -> float:
    """A size from ``row.band`` on the faulty (or good) side of the threshold, outside the zone."""
    lo, hi = row.band
    z_lo, z_hi = row.zone()
    below = (lo, z_lo)
    above = (z_hi, hi)
    want_above = faulty == (row.direction == ">")
    a, b = above if want_above else below
    size = float(rng.uniform(a, b))
    return round(size, 3 if abs(hi - lo) < 2 else 1)


def draw_clip(exercise: str, seed: int, fps: int = DEFAULT_FPS) -> dict[str, Any]:
    """The clip description of one seed (a dict for :func:`posecheck.synth.parse_clip`)."""
    rng = np.random.default_rng([SUITE_VERSION, seed])
    ex = EXERCISES[exercise]
    camera: dict[str, Any] = {
        "yaw_deg": round(float(rng.uniform(0.0, 90.0)), 1),
        "facing": str(rng.choice(["left", "right"])),
        "jitter_px": round(float(rng.uniform(0.0, 1.5)), 2),
    }
    if rng.random() < 0.7:
        camera["pitch_deg"] = round(float(rng.uniform(0.0, 35.0)), 1)
    if rng.random() < 0.4:
        camera["distance_m"] = round(float(rng.uniform(2.6, 4.0)), 2)
    from posecheck.synth.body import variants

    look = {"body": str(rng.choice(list(variants()))), "body_scale": round(float(rng.uniform(0.88, 1.12)), 3)}
    d: dict[str, Any] = {
        "exercise": exercise, "seed": seed, "fps": fps, "camera": camera, "look": look,
        "tempo": round(float(rng.uniform(0.6, 1.6)), 2),
        "lead_in_s": 0.0 if rng.random() < 0.5 else round(float(rng.uniform(0.3, 2.0)), 2),
        "lead_out_s": round(float(rng.uniform(0.3, 1.0)), 2),
        "first_side": str(rng.choice(["left", "right"])),
        "name": f"{exercise}-{seed}",
    }
    rows = fault_rows(exercise)
    if ex.kind == "reps":
        d["rest_s"] = 0.0 if rng.random() < 0.5 else round(float(rng.uniform(0.2, 1.0)), 2)
        if rng.random() < 0.5:
            d["tempo_jitter"] = round(float(rng.uniform(0.05, 0.2)), 2)
        n = int(rng.choice(REP_COUNTS, p=REP_WEIGHTS))
        reps = []
        for _ in range(n):
            if rng.random() < P_FAULT:
                row = rows[int(rng.integers(len(rows)))]
                reps.append({"fault": row.fault, "size": draw_size(row, bool(rng.random() < 0.5), rng)})
            else:
                reps.append({})
        d["reps"] = reps
        if rng.random() < 0.2:
            d["start_phase"] = round(float(rng.uniform(0.2, 0.7)), 2)
            d["lead_in_s"] = 0.0
    else:
        holds = [{"seconds": round(float(rng.uniform(3.0, 6.0)), 1)}]
        if rng.random() < 0.6:
            row = rows[int(rng.integers(len(rows)))]
            holds.append({"seconds": round(float(rng.uniform(2.5, 4.0)), 1), "fault": row.fault,
                          "size": draw_size(row, bool(rng.random() < 0.5), rng)})
            holds.append({"seconds": round(float(rng.uniform(1.5, 3.0)), 1)})
        d["holds"] = holds
    if rng.random() < 0.15:
        # One brief exit somewhere in the middle of the clip (the timeline is cheap to build).
        duration = build_timeline(parse_clip(d, d["name"]), ex).duration_s
        seconds = round(float(rng.uniform(0.8, 2.0)), 2)
        start = round(float(rng.uniform(0.25 * duration, max(0.25 * duration, 0.75 * duration - seconds))), 2)
        d["exits"] = [[start, seconds]]
    return d


def clip_key(desc: dict[str, Any]) -> str:
    """The cache key of a description: its content and the generator's version."""
    blob = json.dumps({"clip": desc, "generator": GENERATOR_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def truth_labels(exercise: str, fault: str | None, size: float | None) -> set[str]:
    """The suite's fault label of a rep (or hold stretch): the fault if its size is past the criteria."""
    if fault is None or size is None:
        return set()
    row = next(r for r in FAULTS if r.exercise == exercise and r.fault == fault)
    return {fault} if row.is_fault(size) else set()


def ignored_labels(exercise: str, fault: str | None) -> set[str]:
    """Reported faults not judged on a rep drawn with ``fault``: the ones it brings by geometry (a
    shallow lunge keeps the back knee high), which the criteria do not size."""
    return set(EXERCISES[exercise].faults[fault].implies) if fault else set()


def view_offset(yaw: float, expect: str) -> float:
    """Degrees between the clip's camera yaw and the spec's best view (``any``: 0)."""
    best = BEST_VIEW_DEG.get(expect)
    return 0.0 if best is None else abs(yaw - best)


def bucket_of(offset: float) -> str:
    return next(name for lo, hi, name in BUCKETS if lo <= offset < hi)


# ---------------------------------------------------------------- render, analyse, re-score
def default_work() -> Path:
    return Path.home() / ".cache" / "posecheck" / "suite"


def clip_folder(work: Path, desc: dict[str, Any]) -> Path:
    return work / f"{desc['name']}-{clip_key(desc)}"


def ensure_render(desc: dict[str, Any], folder: Path) -> tuple[Path, float]:
    """The clip's video in ``folder`` (rendered now if missing), and the seconds spent rendering."""
    from posecheck.synth import render_clip

    video = folder / "clip.mp4"
    if video.is_file() and (folder / "clip.truth.json").is_file() and (folder / "clip.truth.npz").is_file():
        return video, 0.0
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clip.json").write_text(json.dumps(desc, indent=1) + "\n")
    # The truth files are written after the video: a render killed half-way is rendered again.
    render_clip(parse_clip(desc, desc["name"]), folder, "clip")
    return video, time.perf_counter() - start


def ensure_track(video: Path, spec: Any, folder: Path) -> tuple[Any, float]:
    """The clip's pose track, from posecheck's track cache or the copy beside the clip; the model runs
    only when neither has it. Returns the track and the seconds spent analysing."""
    from posecheck.cache import TrackCache, content_hash, track_key
    from posecheck.pipeline import analyze, model_identity
    from posecheck.track import TRACK_NAME, load_track

    key = track_key(content_hash(video), model_identity("mediapipe", None, None))
    track, _ = TrackCache.default().get(key)
    if track is not None:
        return track, 0.0
    beside = folder / "analysis"
    if (beside / TRACK_NAME).is_file():
        try:
            track = load_track(beside)
        except PosecheckError:
            track = None
        if track is not None and track.complete and track.meta.get("key") == key:
            return track, 0.0
    start = time.perf_counter()
    try:
        analyze(video, spec, beside, write_video=False, write_html=False, quiet=True)
    except PosecheckError as exc:  # e.g. nobody found in any frame: the track is kept, and scored
        print(f"  {folder.name}: {exc}", file=sys.stderr)
    return load_track(beside), time.perf_counter() - start


@dataclass
class ClipResult:
    """One clip scored: what it was, what was counted and found, and what went wrong."""

    seed_set: str
    exercise: str
    seed: int
    desc: dict[str, Any]
    offset_deg: float
    bucket: str
    truth_reps: int | None
    counted: int | None
    partial: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    hold_error_s: float | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def missed(self) -> bool:
        return bool(self.problems)


def _faults_of(item: dict[str, Any]) -> set[str]:
    return set(item.get("faults", []))


def score_clip(seed_set: str, desc: dict[str, Any], truth: dict[str, Any], report: dict[str, Any],
               expect: str, truth_arrays: dict[str, Any] | None = None) -> ClipResult:
    """Compare one report (report.json's dict) with the clip's truth and the suite's fault labels
    (:data:`MEASURED` faults only with ``truth_arrays``, the truth's .npz; not judged without)."""
    ex = desc["exercise"]
    offset = view_offset(float(truth.get("view_deg", desc["camera"]["yaw_deg"])), expect)
    res = ClipResult(seed_set, ex, desc["seed"], desc, offset, bucket_of(offset), None, None)
    res.warnings = list(report.get("warnings", []))
    if EXERCISES[ex].kind == "reps":
        true_reps = truth["reps"]
        full = [r for r in true_reps if not r.get("partial")]
        res.truth_reps, res.counted, res.partial = len(full), int(report["rep_count"]), len(true_reps) - len(full)
        if res.counted != res.truth_reps:
            res.problems.append(f"counted {res.counted}, truth {res.truth_reps} full reps"
                                + (f" (+{res.partial} partial)" if res.partial else ""))
        for pred, true in match_items(report.get("reps", []), true_reps):
            if true is None or pred is None or true.get("partial"):
                continue  # unmatched reps are counting errors, already told; partial reps are not judged
            spec_rep = desc["reps"][true["index"] - 1]
            want = truth_labels(ex, spec_rep.get("fault"), spec_rep.get("size"))
            ignored = ignored_labels(ex, spec_rep.get("fault"))
            for row in (m for m in MEASURED if m.exercise == ex):
                faulty = row.label(true, truth_arrays)
                ignored.discard(row.fault)
                if faulty:
                    want.add(row.fault)
                elif faulty is None:
                    ignored.add(row.fault)
            got = _faults_of(pred) - ignored
            res.tp += len(got & want)
            res.fp += len(got - want)
            res.fn += len(want - got)
            if got != want:
                drawn = f"{spec_rep['fault']} {spec_rep['size']:g}" if spec_rep.get("fault") else "good"
                res.problems.append(f"rep {true['index']} ({true['start_s']:.1f}-{true['end_s']:.1f} s, drawn "
                                    f"{drawn}): truth {sorted(want) or 'good'}, reported {sorted(got) or 'good'}")
    else:
        holds = report.get("holds", [])
        want = set().union(*(truth_labels(ex, h.get("fault"), h.get("size")) for h in desc["holds"]))
        got = set().union(*(_faults_of(h) for h in holds)) if holds else set()
        res.tp, res.fp, res.fn = len(got & want), len(got - want), len(want - got)
        if got != want:
            res.problems.append(f"hold faults: truth {sorted(want) or 'good'}, reported {sorted(got) or 'good'}")
        true_good = sum(h["good_form_s"] for h in truth["holds"])
        res.hold_error_s = abs(sum(float(h["good_form_s"]) for h in holds) - true_good)
        if not holds:
            res.problems.append(f"no hold reported (truth {true_good:.1f} s in good form)")
        elif res.hold_error_s > HOLD_MISS_S:
            res.problems.append(f"good form {sum(float(h['good_form_s']) for h in holds):.1f} s, truth {true_good:.1f} s")
    return res


def run_suite(plan: list[tuple[str, str, int]], work: Path, spec_dir: Path | None = None, fps: int = DEFAULT_FPS,
              log: Any = sys.stderr, jobs: int = 1) -> list[ClipResult]:
    """Render (once), analyse (once, ``jobs`` clips at a time) and score every (seed set, exercise, seed)
    of ``plan``."""
    from posecheck.spec import find_spec
    from posecheck.synth.truth import load_truth
    from posecheck.tune import evaluate

    specs = {ex: find_spec(ex, spec_dir) if spec_dir else find_spec(ex) for ex in SUITE_EXERCISES}

    def prepare(item: tuple[str, str, int]) -> tuple[dict[str, Any], Path, Any]:
        seed_set, ex, seed = item
        desc = draw_clip(ex, seed, fps)
        folder = clip_folder(work, desc)
        video, render_s = ensure_render(desc, folder)
        track, model_s = ensure_track(video, specs[ex], folder)
        if render_s or model_s:
            print(f"  {seed_set} {desc['name']}: rendered in {render_s:.1f} s, analysed in {model_s:.1f} s",
                  file=log, flush=True)
        return desc, folder, track

    results = []
    # Each analysis has its own model process, so clips analysed at once share the cores.
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        prepared = list(pool.map(prepare, plan))
    for (seed_set, ex, _), (desc, folder, track) in zip(plan, prepared):
        truth, arrays = load_truth(folder / "clip")
        report = evaluate(track, specs[ex]).to_json()
        results.append(score_clip(seed_set, desc, truth, report, specs[ex].view.expect, arrays))
    return results


# ---------------------------------------------------------------- subsets, tables, baseline
def estimated_seconds(desc: dict[str, Any]) -> float:
    return build_timeline(parse_clip(desc, desc["name"]), EXERCISES[desc["exercise"]]).duration_s


def ci_subset(fps: int = DEFAULT_FPS) -> list[tuple[str, str, int]]:
    """Five or six short clips from the tune seeds, each the shortest of its kind: a lunge seen at ~45 deg,
    a bridge with no lead-in, a clamshell, a hold, a clip with no rest between reps (unless one of those
    has none) and a clip starting mid-rep or with an exit; at most two per exercise."""
    descs = [draw_clip(ex, s, fps) for ex, s in seeds("tune")]
    length = {d["seed"]: estimated_seconds(d) for d in descs}
    picked: list[dict[str, Any]] = []

    def pick(test: Any) -> None:
        full = {ex for ex in SUITE_EXERCISES if sum(d["exercise"] == ex for d in picked) >= 2}
        pool = [d for d in descs if test(d) and d not in picked and d["exercise"] not in full]
        if pool:
            picked.append(min(pool, key=lambda d: length[d["seed"]]))

    pick(lambda d: d["exercise"] == "lunge" and abs(d["camera"]["yaw_deg"] - 45) <= 10)
    pick(lambda d: d["exercise"] == "glute_bridge" and d["lead_in_s"] == 0 and not d.get("start_phase"))
    pick(lambda d: d["exercise"] == "clamshell")
    pick(lambda d: d["exercise"] == "hip_flexor_stretch")
    if not any(d.get("rest_s") == 0 for d in picked):
        pick(lambda d: d.get("rest_s") == 0 and d["exercise"] in ("lunge", "glute_bridge"))
    pick(lambda d: EXERCISES[d["exercise"]].kind == "reps" and bool(d.get("start_phase") or d.get("exits")))
    return [("tune", d["exercise"], d["seed"]) for d in picked]


def _rate(values: list[bool]) -> float:
    return float(np.mean(values)) if values else float("nan")


def summarise(results: list[ClipResult]) -> dict[str, float]:
    """Clips, exact and within-one count rates, fault precision and recall, mean hold good-form error."""
    counted = [r for r in results if r.truth_reps is not None]
    tp, fp, fn = sum(r.tp for r in results), sum(r.fp for r in results), sum(r.fn for r in results)
    holds = [r.hold_error_s for r in results if r.hold_error_s is not None]
    return {
        "clips": len(results),
        "exact_count_rate": _rate([r.counted == r.truth_reps for r in counted]),
        "within_one_rate": _rate([abs(r.counted - r.truth_reps) <= 1 for r in counted]),  # type: ignore[operator]
        "fault_precision": tp / (tp + fp) if tp + fp else float("nan"),
        "fault_recall": tp / (tp + fn) if tp + fn else float("nan"),
        "hold_error_s": float(np.mean(holds)) if holds else float("nan"),
    }


def table(results: list[ClipResult]) -> dict[str, dict[str, float]]:
    """Rows "exercise view-bucket" (and "exercise all", "all") -> summary figures."""
    rows: dict[str, dict[str, float]] = {}
    for ex in SUITE_EXERCISES:
        mine = [r for r in results if r.exercise == ex]
        for _, _, name in BUCKETS:
            cell = [r for r in mine if r.bucket == name]
            if cell:
                rows[f"{ex} {name}"] = summarise(cell)
        if mine:
            rows[f"{ex} all"] = summarise(mine)
    if results:
        rows["all"] = summarise(results)
    return rows


def _fmt(v: float, pct: bool = True) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return f"{100 * v:.0f}%" if pct else f"{v:.2f}"


def format_table(rows: dict[str, dict[str, float]], markdown: bool = False) -> str:
    head = ["exercise / off best view", "clips", "exact", "within 1", "fault prec", "fault recall", "hold err s"]
    lines = []
    for name, s in rows.items():
        lines.append([name, str(s["clips"]), _fmt(s["exact_count_rate"]), _fmt(s["within_one_rate"]),
                      _fmt(s["fault_precision"]), _fmt(s["fault_recall"]), _fmt(s["hold_error_s"], pct=False)])
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    return "\n".join([fmt(head), *(fmt(line) for line in lines)])


def describe(desc: dict[str, Any]) -> str:
    """A clip description's key numbers, on one line."""
    c, look = desc["camera"], desc["look"]
    bits = [f"yaw {c['yaw_deg']:g}", f"pitch {c['pitch_deg']:g}" if "pitch_deg" in c else "pitch default",
            f"dist {c['distance_m']:g} m" if "distance_m" in c else "dist fit",
            f"{look['body']} x{look['body_scale']:g}", f"tempo {desc['tempo']:g}"]
    if desc.get("tempo_jitter"):
        bits.append(f"+-{desc['tempo_jitter']:g}")
    bits.append(f"lead-in {desc['lead_in_s']:g} s")
    if "rest_s" in desc:
        bits.append(f"rest {desc['rest_s']:g} s")
    if desc.get("start_phase"):
        bits.append(f"starts {desc['start_phase']:g} into rep 1")
    for start, secs in desc.get("exits", []):
        bits.append(f"exit {start:g}+{secs:g} s")
    if "reps" in desc:
        drawn = [f"{r['fault']} {r['size']:g}" for r in desc["reps"] if r.get("fault")]
        bits.append(f"{len(desc['reps'])} reps" + (f" ({', '.join(drawn)})" if drawn else ""))
    else:
        bits.append("holds " + ", ".join(f"{h['seconds']:g} s" + (f" {h['fault']} {h['size']:g}" if h.get("fault") else "")
                                         for h in desc["holds"]))
    return ", ".join(bits)


def format_misses(results: list[ClipResult]) -> str:
    lines = []
    for r in results:
        if r.missed:
            lines.append(f"  {r.seed} {r.exercise} [{r.bucket} deg off best]: {describe(r.desc)}")
            lines += [f"      - {p}" for p in r.problems]
            lines += [f"      warning: {w}" for w in r.warnings]
    return "\n".join(lines) if lines else "  (none)"


def check(rows: dict[str, dict[str, float]], baseline: dict[str, dict[str, float]]) -> list[str]:
    """The figures that fell below the baseline beyond tolerance (rows or figures missing now are not
    compared)."""
    failures = []
    for name, base in baseline.items():
        got = rows.get(name)
        if got is None:
            continue
        for key in FIGURES:
            b, g = base.get(key), got.get(key)
            if b is None or g is None or math.isnan(b) or math.isnan(g):
                continue
            if key == "hold_error_s":
                if g > b + HOLD_ERROR_TOLERANCE_S:
                    failures.append(f"{name}: {key} {g:.2f} s, baseline {b:.2f} s")
            elif g < b - TOLERANCE[key]:
                failures.append(f"{name}: {key} {g:.3f}, baseline {b:.3f}")
    return failures


def write_markdown(sections: dict[str, Any], path: Path = BASELINE_MD) -> None:
    intro = (
        "Written by `python benchmarks/robustness.py --write-baseline` (see its docstring) from the evaluator of "
        "the day. Rows: exercise x the camera's angle from the spec's best view (side = 90 deg; the clamshell's "
        "front = 0). A count is exact when the reps counted equal the truth's full reps (partial reps excluded); "
        "faults are per matched rep, judged by the criteria thresholds in true units (FAULTS in the script); "
        "hold err is the good-form time error in seconds."
    )
    parts = ["# Robustness suite baseline", "", intro, ""]
    for name in ("held", "tune", "ci"):
        if name in sections:
            parts += [f"## {name} seeds" + (" (held back: report only)" if name == "held" else ""), "",
                      format_table(sections[name]["rows"], markdown=True), ""]
    path.write_text("\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", choices=["both", *SEED_SETS], default="both",
                        help="which seed set to run (default both, held-back first)")
    parser.add_argument("--subset", choices=["ci"], help="ci: about six short clips of the tune seeds")
    parser.add_argument("--per-exercise", type=int, default=PER_EXERCISE, help="clips per exercise per seed set")
    parser.add_argument("--only", type=int, action="append", default=[], help="only the clip of this seed")
    parser.add_argument("--exercise", action="append", default=[], choices=SUITE_EXERCISES,
                        help="only the clips of this exercise (repeatable)")
    parser.add_argument("--work", type=Path, default=None, help="render and analysis cache (default "
                        "~/.cache/posecheck/suite)")
    parser.add_argument("--spec-dir", type=Path, help="score with the spec files of this folder")
    parser.add_argument("--fps", type=int, default=DEFAULT_FPS, help=f"frame rate of the clips (default {DEFAULT_FPS})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="clips rendered and analysed at once "
                        "(default: one per CPU)")
    parser.add_argument("--write-baseline", action="store_true", help="store the figures as the baseline")
    parser.add_argument("--check", action="store_true", help="exit 1 if a figure is below the baseline")
    args = parser.parse_args(argv)

    if args.subset == "ci":
        plan = ci_subset(args.fps)
        section_of = {"tune": "ci"}
    else:
        sets = ["held", "tune"] if args.seeds == "both" else [args.seeds]
        plan = [(s, ex, seed) for s in sets for ex, seed in seeds(s, args.per_exercise)]
        section_of = {s: s for s in sets}
    if args.only:
        plan = [p for p in plan if p[2] in args.only]
        if not plan:
            parser.error(f"no clip of the chosen seeds has seed {args.only}")
    if args.exercise:
        plan = [p for p in plan if p[1] in args.exercise]
    work = args.work or default_work()
    start = time.perf_counter()
    results = run_suite(plan, work, args.spec_dir, args.fps, jobs=args.jobs or usable_cpus())
    elapsed = time.perf_counter() - start

    sections: dict[str, Any] = {}
    for seed_set, section in section_of.items():
        mine = [r for r in results if r.seed_set == seed_set]
        if mine:
            sections[section] = {"rows": table(mine), "misses": [
                {"seed": r.seed, "exercise": r.exercise, "bucket": r.bucket, "clip": describe(r.desc),
                 "problems": r.problems, "warnings": r.warnings} for r in mine if r.missed]}
    if args.json:
        print(json.dumps({"seconds": round(elapsed, 1), "sections": sections}, indent=1))
    else:
        for name, sec in sections.items():
            note = " (held back: report, never tune)" if name == "held" else ""
            print(f"\n== {name} seeds{note}: {sum(1 for r in results if section_of.get(r.seed_set) == name)} clips\n")
            print(format_table(sec["rows"]))
            print(f"\nmisses ({name}):")
            print(format_misses([r for r in results if section_of.get(r.seed_set) == name]))
        print(f"\n{len(results)} clips in {elapsed:.1f} s", file=sys.stderr)

    baseline = json.loads(BASELINE_JSON.read_text()) if BASELINE_JSON.is_file() else {}
    if args.write_baseline:
        if args.only or args.exercise or args.spec_dir or args.per_exercise != PER_EXERCISE or args.fps != DEFAULT_FPS:
            parser.error("--write-baseline stores the default suite only (no --only, --exercise, --spec-dir, "
                         "--per-exercise, --fps)")
        for name, sec in sections.items():
            baseline[name] = {"rows": sec["rows"], "generator_version": GENERATOR_VERSION,
                              "suite_version": SUITE_VERSION}
        BASELINE_JSON.write_text(json.dumps(baseline, indent=1, allow_nan=True) + "\n")
        write_markdown(baseline)
        print(f"baseline written to {BASELINE_JSON} and {BASELINE_MD}", file=sys.stderr)
    if args.check:
        failures = [f"{name}: {f}" for name, sec in sections.items()
                    for f in check(sec["rows"], baseline.get(name, {}).get("rows", {}))]
        for f in failures:
            print(f"ROBUSTNESS DROPPED: {f}")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
