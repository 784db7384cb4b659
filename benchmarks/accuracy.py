"""Accuracy benchmark: analyse clips with known truth and print one table and a summary.

(a) synthetic clips (``<stem>.mp4`` beside ``<stem>.truth.json`` / ``.truth.npz``: sample_videos/ and any
    ``--synthetic DIR``), scored on counts, per-rep faults and per-frame metric error;
(b) ../shared/videos clips whose manifest rep count is an integer, scored on counts.

    python benchmarks/accuracy.py                      # everything, prints the table
    python benchmarks/accuracy.py --write-baseline     # store the summary in benchmarks/accuracy_baseline.json
    python benchmarks/accuracy.py --check              # exit 1 if below the committed baseline
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scoring import ClipScore, score_faults, score_metrics, summarise  # noqa: E402

from posecheck.errors import PosecheckError  # noqa: E402
from posecheck.pipeline import analyze  # noqa: E402
from posecheck.pose.segments import usable_cpus  # noqa: E402
from posecheck.spec import find_spec  # noqa: E402
from posecheck.synth import load_truth  # noqa: E402

BASELINE = ROOT / "benchmarks" / "accuracy_baseline.json"
SHARED = ROOT.parent / "shared" / "videos"
#: Manifest exercise names → spec ids; exercises with no spec are skipped.
MANIFEST_EXERCISES = {
    "forward lunge": "lunge", "reverse lunge": "lunge", "reverse lunge (banded)": "lunge",
    "glute bridge": "glute_bridge", "clamshell (banded, side-lying)": "clamshell",
}  # fmt: skip
#: How far a summary figure may fall below its baseline before the gate fails (run-to-run noise).
TOLERANCE = {"exact_count_rate": 0.0, "within_one_rate": 0.0, "fault_precision": 0.05, "fault_recall": 0.05}
ANGLE_TOLERANCE_DEG = 1.0


def synthetic_clips(folders: list[Path]) -> list[Path]:
    """The exercise clips of ``folders``: videos whose truth names an exercise (not the desk or sleep footage)."""

    def is_exercise(video: Path) -> bool:
        truth = video.with_suffix(".truth.json")
        return truth.is_file() and "exercise" in json.loads(truth.read_text(encoding="utf-8"))

    return sorted(p for folder in folders for p in folder.glob("*.mp4") if is_exercise(p))


def real_clips() -> list[tuple[Path, str, int, str]]:
    """(path, spec id, expected full reps, view) for manifest rows with an integer count."""
    manifest = SHARED / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    out = []
    with manifest.open(newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            spec_id = MANIFEST_EXERCISES.get(row["exercise"])
            # "8 (+1 partial)" counts 8 full reps; "~3?", "1?" and "?" are not ground truth.
            m = re.fullmatch(r"(\d+)( \(\+\d+ partial\))?", row["reps_counted_by_eye"].strip())
            if spec_id and m:
                out.append((SHARED / row["file"], spec_id, int(m.group(1)), row["view"].split()[0]))
    return out


#: Pose model processes per clip (``--workers``): 2 or more cuts clips of 12 s or more into segments.
WORKERS = 1


def run_clip(path: Path, spec_id: str, out_root: Path) -> tuple[dict | None, Path, float]:
    out = out_root / path.stem
    start = time.perf_counter()
    try:
        # The track cache makes a re-run (another spec, new thresholds) score in seconds; segments are
        # checked with the model itself, never a track one process made.
        report = analyze(path, find_spec(spec_id), out, write_video=False, quiet=True, workers=WORKERS,
                         cache=WORKERS < 2).to_json()  # fmt: skip
    except PosecheckError as exc:
        print(f"  {path.name}: {exc}", file=sys.stderr)
        report = json.loads((out / "report.json").read_text()) if (out / "report.json").is_file() else None
    return report, out, time.perf_counter() - start


def evaluate(synthetic_dirs: list[Path], include_real: bool, work: Path, jobs: int = 1) -> list[ClipScore]:
    """Analyse every clip (``jobs`` at a time, each with its own model process) and score it."""
    clips = [(clip, *load_truth(clip)) for clip in synthetic_clips(synthetic_dirs)]
    real = real_clips() if include_real else []
    runs = [(clip, truth["exercise"]) for clip, truth, _ in clips] + [(path, spec_id) for path, spec_id, *_ in real]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        done = list(pool.map(lambda run: run_clip(*run, work), runs))
    scores: list[ClipScore] = []
    for (clip, truth, arrays), (report, out, secs) in zip(clips, done):
        expected = truth["rep_count"] if truth.get("reps") else None
        score = ClipScore(clip.name, truth["exercise"], truth.get("view", "?"), expected,
                          report["rep_count"] if report else 0)  # fmt: skip
        if report:
            score_faults(score, report, truth)
            score_metrics(score, find_spec(truth["exercise"]), out / "frames.csv", arrays, truth.get("camera"))
            if truth.get("holds") and not report.get("holds"):
                score.fault_rows.append("no hold reported")
        scores.append(score)
        print(f"  {clip.name}: {secs:.1f} s", file=sys.stderr)
    for (path, spec_id, expected, view), (report, _, secs) in zip(real, done[len(clips):]):
        scores.append(ClipScore(path.name, spec_id, f"real-{view}", expected, report["rep_count"] if report else 0))
        print(f"  {path.name}: {secs:.1f} s", file=sys.stderr)
    return scores


def print_table(scores: list[ClipScore], summary: dict[str, float]) -> None:
    print(f"{'clip':42s} {'exp':>4s} {'got':>4s} {'faults tp/fp/miss':>18s}  metric error mean/p95")
    for s in scores:
        exp = "-" if s.expected_reps is None else str(s.expected_reps)
        errs = ", ".join(f"{k} {m:.1f}/{p:.1f}" for k, (m, p) in s.metric_error.items())
        faults = f"{s.true_positive_faults}/{s.false_positive_faults}/{s.missed_faults}"
        hold = f"  hold good-form error {s.good_form_error_s:.2f} s" if s.good_form_error_s is not None else ""
        print(f"{s.clip:42s} {exp:>4s} {s.counted_reps:>4d} {faults:>18s}  {errs}{hold}")
        for row in s.fault_rows:
            print(f"{'':46s}{row}")
    print("\nsummary:")
    for k, v in summary.items():
        print(f"  {k:28s} {v:.3f}" if isinstance(v, float) else f"  {k:28s} {v}")


def check(summary: dict[str, float], baseline: dict[str, float]) -> list[str]:
    """The figures that fell below the baseline (beyond tolerance)."""
    failures = []
    for key, base in baseline.items():
        got = summary.get(key)
        if got is None or (isinstance(base, float) and np.isnan(base)):
            continue
        if key.startswith("angle_error"):
            if got > base + ANGLE_TOLERANCE_DEG:
                failures.append(f"{key}: {got:.2f} deg, baseline {base:.2f}")
        elif key in TOLERANCE and got < base - TOLERANCE[key]:
            failures.append(f"{key}: {got:.3f}, baseline {base:.3f}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=Path, action="append", default=[], help="folder of synthetic clips")
    parser.add_argument("--no-samples", action="store_true", help="leave out sample_videos/")
    parser.add_argument("--no-real", action="store_true", help="leave out ../shared/videos")
    parser.add_argument("--baseline-key", default="full", help="section of the baseline file (full, fast)")
    parser.add_argument("--write-baseline", action="store_true")
    parser.add_argument("--check", action="store_true", help="fail if below the committed baseline")
    parser.add_argument("--workers", type=int, default=1, help="model processes per clip (2+: segments, no cache)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="clips analysed at once (default: CPUs / workers)")
    args = parser.parse_args(argv)
    global WORKERS
    WORKERS = args.workers
    dirs = ([] if args.no_samples else [ROOT / "sample_videos"]) + args.synthetic
    with tempfile.TemporaryDirectory() as work:
        jobs = args.jobs or max(1, usable_cpus() // max(1, args.workers))
        scores = evaluate(dirs, not args.no_real, Path(work), jobs)
    summary = summarise(scores)
    print_table(scores, summary)
    baselines = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
    if args.write_baseline:
        baselines[args.baseline_key] = summary
        BASELINE.write_text(json.dumps(baselines, indent=2) + "\n")
        print(f"baseline '{args.baseline_key}' written to {BASELINE}")
    if args.check:
        failures = check(summary, baselines.get(args.baseline_key, {}))
        for f in failures:
            print(f"ACCURACY DROPPED: {f}")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
