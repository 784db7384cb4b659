"""Kill `posecheck analyze` with SIGKILL at random moments and count what each killed run kept.

    python benchmarks/crash_safety.py [--tries 10] [--seed 0] [--video sample_videos/glute_bridge_demo.mp4]

Per try: when the kill came, the frames and reps in report.json (rewritten as the run goes), the frames
in the pose track (kept in parts of about a second), the reps the run had finished by its last kept
frame (from the clip's .truth.json), and whether any child process or shared-memory file was left.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posecheck.track import load_track  # noqa: E402


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tries", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--video", type=Path, default=ROOT / "sample_videos" / "glute_bridge_demo.mp4")
    ap.add_argument("--exercise", default="glute_bridge")
    args = ap.parse_args()
    truth = json.loads(args.video.with_suffix(".truth.json").read_text())
    rng = random.Random(args.seed)
    print(f"{'try':>3} {'kill s':>6} {'report frames':>13} {'track frames':>12} {'reps kept':>9} "
          f"{'reps done':>9} {'left over':>9}")  # fmt: skip
    totals = []
    for n in range(args.tries):
        out = Path(tempfile.mkdtemp(prefix="crash-"))
        rings = set(Path("/dev/shm").glob("posecheck-frames-*"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "posecheck", "analyze", str(args.video), "-e", args.exercise, "--out", str(out),
             "--no-video", "--no-cache", "--quiet"], stderr=subprocess.DEVNULL,
        )  # fmt: skip
        delay = rng.uniform(3.0, 30.0)
        time.sleep(delay)
        kids = children(proc.pid)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 15
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = sum(alive(k) for k in kids) + len(set(Path("/dev/shm").glob("posecheck-frames-*")) - rings)
        report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
        try:
            track = load_track(out)
            kept, last_s = len(track), float(track.t_ms[-1]) / 1000 if len(track) else 0.0
        except Exception:  # noqa: BLE001 - a benchmark reports, it does not stop
            kept, last_s = 0, 0.0
        done = sum(1 for r in truth["reps"] if r["end_s"] <= last_s)
        reps = report.get("rep_count", 0)
        totals.append((report.get("frames", 0), kept, reps, done, left))
        print(f"{n + 1:>3} {delay:6.1f} {report.get('frames', 0):>13} {kept:>12} {reps:>9} {done:>9} {left:>9}")
    ok = sum(1 for _, _, reps, done, left in totals if abs(reps - done) <= 1 and left == 0)
    print(f"\n{ok}/{len(totals)} killed runs kept a valid report within one rep of the reps finished, nothing left over")


if __name__ == "__main__":
    main()
