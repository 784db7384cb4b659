"""Live on a file as camera against analyze on the same file: the same counts and holds?

Each clip (the seven samples, and the ../shared/videos clips whose manifest count is a whole number) is
analysed once with ``posecheck analyze`` and played once through ``posecheck live --camera FILE --headless``
at real-time pace (the camera path: frames the model cannot keep up with are dropped, as with a webcam).
The table gives both counts (reps, or holds and good-form seconds) and the truth where there is one.

    python benchmarks/live_vs_analyze.py              # every clip: about 4 minutes of video, played in real time
    python benchmarks/live_vs_analyze.py --only lunge_demo.mp4 --only wahoo_lunges.mp4

Exit status 1 if a clip's live count differs from analyze's (holds: good-form time by more than 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from accuracy import real_clips, synthetic_clips  # noqa: E402

from posecheck.synth import load_truth  # noqa: E402

#: Live drops the frames the model cannot keep up with, so a hold's edges may move by a frame or two.
HOLD_TOLERANCE_S = 0.5


def clips() -> list[tuple[Path, str, int | None]]:
    """(video, spec id, true full reps or None for holds) of every clip."""
    out: list[tuple[Path, str, int | None]] = []
    for video in synthetic_clips([ROOT / "sample_videos"]):
        truth, _ = load_truth(video)
        reps = [r for r in truth.get("reps", []) if not r.get("partial")]
        out.append((video, truth["exercise"], len(reps) if truth.get("reps") else None))
    out += [(path, spec, reps) for path, spec, reps, _ in real_clips()]
    return out


def run(args: list[str]) -> tuple[dict[str, Any] | None, float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "posecheck", *args], capture_output=True, text=True, cwd=ROOT)
    out = Path(args[args.index("--out") + 1]) / "report.json"
    report = json.loads(out.read_text()) if out.is_file() else None
    problem = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]
    return report, time.perf_counter() - start, problem


def outcome(report: dict[str, Any] | None) -> str:
    if report is None:
        return "no report"
    if report.get("holds") or report.get("rep_count") is None:
        holds = report.get("holds", [])
        return f"{len(holds)} holds, {sum(h['good_form_s'] for h in holds):.1f} s good"
    return f"{report['rep_count']} reps"


def agree(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """The same reps, or the same number of holds with good-form time within HOLD_TOLERANCE_S."""
    if a is None or b is None:
        return False
    if a.get("holds") or b.get("holds"):
        good = [sum(h["good_form_s"] for h in r.get("holds", [])) for r in (a, b)]
        return len(a.get("holds", [])) == len(b.get("holds", [])) and abs(good[0] - good[1]) <= HOLD_TOLERANCE_S
    return a.get("rep_count") == b.get("rep_count")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], help="only the clip of this file name")
    args = parser.parse_args(argv)
    plan = [c for c in clips() if not args.only or c[0].name in args.only]
    differ = 0
    print(f"{'clip':34s} {'truth':>6s}  {'analyze':>24s}  {'live (file as camera)':>24s}  live frames used")
    with tempfile.TemporaryDirectory() as work:
        for video, spec, truth in plan:
            a, _, a_err = run(["analyze", str(video), "-e", spec, "--out", f"{work}/{video.stem}-a", "--no-video",
                               "--quiet"])
            live, secs, l_err = run(["live", "--camera", str(video), "-e", spec, "--headless", "--mute",
                                     "--out", f"{work}/{video.stem}-l"])
            same = agree(a, live)
            differ += not same
            used = live.get("live", {}) if live else {}
            frames = f"{used.get('frames_processed', '?')} of {used.get('frames_captured', '?')} in {secs:.0f} s"
            print(f"{video.name:34s} {'-' if truth is None else truth:>6}  {outcome(a):>24s}  {outcome(live):>24s}  "
                  f"{frames}{'' if same else '  DIFFERENT'}{' ' + a_err if a_err else ''}{' ' + l_err if l_err else ''}",
                  flush=True)
    print(f"\n{len(plan) - differ} of {len(plan)} clips: live counts as analyze does")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
