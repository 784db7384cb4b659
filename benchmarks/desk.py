"""Desk watcher figures: state accuracy on synthetic afternoons, and CPU and memory in real time.

    .venv/bin/python benchmarks/desk.py accuracy                 # tuning seeds 0-3 and held-out seeds 10-17
    .venv/bin/python benchmarks/desk.py cpu --seconds 90         # `posecheck desk --speed 1` on the demo
    .venv/bin/python benchmarks/desk.py all

Accuracy: each seed renders a random afternoon (posecheck.synth.desk.random_script, 1 fps, a random
webcam set-up, body and look), runs the desk session on it with the real pose model as fast as the model
goes (the simulated clock makes that identical to real time), and compares the judged state with the
truth second by second. The thresholds in DeskConfig were chosen on seeds 0-3 only.

CPU: runs the real command line on a file at --speed 1 (the default sample rate), reads the process's CPU
time (its own and its waited-for children's) from /proc at the start of the steady state and at the
end, and its resident memory at 60 s and at the end; then ends it with SIGTERM, as `timeout` would.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TUNING_SEEDS = (0, 1, 2, 3)
HELD_OUT_SEEDS = (10, 11, 12, 13, 14, 15, 16, 17)
MINUTES = 10.0
DEMO = ROOT / "sample_videos" / "desk_demo.mp4"


def accuracy(seeds: tuple[int, ...], minutes: float, work: Path) -> dict:
    from posecheck.desk.session import watch_file
    from posecheck.synth.desk import load_desk_truth, random_script, render_desk, score_states

    totals: dict[str, dict[str, int]] = {}
    right = seconds = 0
    rows = []
    for seed in seeds:
        clip = render_desk(work, f"desk_seed{seed}", random_script(seed, minutes), seed=seed, fps=1.0)
        t0 = time.perf_counter()
        result = watch_file(clip.video, work / f"out{seed}")
        took = time.perf_counter() - t0
        score = score_states([(x["t_s"], x["state"]) for x in result.summary["timeline"]], load_desk_truth(clip.video))
        for true, row in score["confusion"].items():
            for judged, n in row.items():
                totals.setdefault(true, {}).setdefault(judged, 0)
                totals[true][judged] += n
        right += round(score["share"] * score["seconds"])
        seconds += score["seconds"]
        rows.append((seed, score["seconds"], score["share"], {s: v["right"] for s, v in score["per_state"].items()},
                     took))
    per_state = {s: (row.get(s, 0) / sum(row.values()), sum(row.values())) for s, row in totals.items() if row}
    return {"rows": rows, "share": right / seconds, "per_state": per_state, "confusion": totals, "seconds": seconds}


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu(seconds: float, video: Path, work: Path, warmup_s: float = 15.0) -> dict:
    out = work / "cpu"
    cmd = [sys.executable, "-m", "posecheck", "desk", "--camera", str(video), "--speed", "1", "--headless",
           "--mute", "--out", str(out)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(warmup_s)
    cpu_a, wall_a = _proc_cpu(proc.pid), time.monotonic()
    rss_60 = None
    while time.monotonic() - t0 < seconds:
        time.sleep(1.0)
        if rss_60 is None and time.monotonic() - t0 >= 60:
            rss_60 = _rss_mb(proc.pid)
    cpu_b, wall_b = _proc_cpu(proc.pid), time.monotonic()
    rss_end = _rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    total_wall = wall_b - t0
    summary = json.loads((out / "summary.json").read_text())
    return {
        "steady_share": (cpu_b - cpu_a) / (wall_b - wall_a),
        "total_share": cpu_b / total_wall,
        "startup_cpu_s": cpu_a,
        "wall_s": total_wall,
        "rss_60_mb": rss_60,
        "rss_end_mb": rss_end,
        "exit_code": proc.returncode,
        "samples": summary["samples"],
        "ended_by": summary["ended_by"],
        "last_line": stderr.strip().splitlines()[-1] if stderr.strip() else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("accuracy", "cpu", "all"))
    parser.add_argument("--seconds", type=float, default=90.0, help="wall time of the CPU run")
    parser.add_argument("--minutes", type=float, default=MINUTES, help="length of each synthetic afternoon")
    parser.add_argument("--video", type=Path, default=DEMO)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="posecheck-desk-bench-") as tmp:
        work = Path(tmp)
        if args.what in ("accuracy", "all"):
            for name, seeds in (("tuning", TUNING_SEEDS), ("held-out", HELD_OUT_SEEDS)):
                r = accuracy(seeds, args.minutes, work)
                print(f"\n{name} seeds {seeds}: {r['seconds']} s of footage, {100 * r['share']:.1f}% of seconds right")
                print("| seed | seconds | right | seated | standing | away | model run s |")
                print("|---|---|---|---|---|---|---|")
                for seed, n, share, per, took in r["rows"]:
                    cells = [f"{100 * per[s]:.1f}%" if per[s] is not None else "-" for s in ("seated", "standing", "away")]
                    print(f"| {seed} | {n} | {100 * share:.1f}% | " + " | ".join(cells) + f" | {took:.1f} |")
                print("| all | | " + f"{100 * r['share']:.1f}% | " + " | ".join(
                    f"{100 * r['per_state'][s][0]:.1f}% of {r['per_state'][s][1]} s" if s in r["per_state"] else "-"
                    for s in ("seated", "standing", "away")) + " | |")
                print("confusion (true -> judged, seconds):", json.dumps(r["confusion"]))
        if args.what in ("cpu", "all"):
            r = cpu(args.seconds, args.video, work)
            print(f"\nCPU at --speed 1, a sample every 1.5 s, {r['wall_s']:.0f} s wall ({r['samples']} samples):")
            print("| steady CPU (after 15 s) | whole run | start-up CPU | RSS at 60 s | RSS at end | exit |")
            print("|---|---|---|---|---|---|")
            print(f"| {100 * r['steady_share']:.2f}% of a core | {100 * r['total_share']:.2f}% | "
                  f"{r['startup_cpu_s']:.1f} s | {r['rss_60_mb']:.0f} MB | {r['rss_end_mb']:.0f} MB | "
                  f"{r['exit_code']} ({r['ended_by']}) |")
            print(f"last stderr line: {r['last_line']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
