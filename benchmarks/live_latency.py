"""Live-mode timing: a 30 fps video played at real-time pace as the camera, through the real pose model.

Prints frames per second through the model, latency from capture to events ready (p50/p95), the model's
own time per frame, the latency beyond the model (the target is at most one frame interval), and the
share of frames dropped to stay on the newest frame. Headless by default; ``--window`` also draws (needs
a display, e.g. ``xvfb-run``) and reports on-screen latency.

    python benchmarks/live_latency.py                          # sample_videos/glute_bridge*.mp4 (or a shared clip)
    python benchmarks/live_latency.py CLIP.mp4 -e lunge --seconds 20
    python benchmarks/live_latency.py --single-person         # MediaPipe with num_poses=1
    python benchmarks/live_latency.py --compare               # also with the model in this process
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posecheck.live.keys import ScriptedKeys
from posecheck.live.session import LiveOptions, LiveSession
from posecheck.live.voice import SilentVoice
from posecheck.pose import create_backend
from posecheck.pose.mediapipe_backend import MediaPipeOptions
from posecheck.sources import open_source
from posecheck.spec import find_spec

SHARED = ROOT.parent / "shared" / "videos"


def default_clip() -> Path:
    clips = sorted((ROOT / "sample_videos").glob("glute_bridge*.mp4"))
    for clip in [*clips, SHARED / "glute_bridge" / "frank_glute_bridge.mp4"]:
        if clip.is_file():
            return clip
    raise SystemExit("no clip: pass one (a 30 fps video)")


def run_session(clip: Path, args: argparse.Namespace, own_process: bool) -> tuple[float, object, dict]:
    """(camera fps, LiveStats, report) of one session on ``clip`` played at real-time pace."""
    spec = find_spec(args.exercise)
    backend_options = MediaPipeOptions(num_poses=1) if args.single_person else None
    options = LiveOptions(headless=not args.window, guidance=False, summary_timeout_s=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        with create_backend(options=backend_options, own_process=own_process) as backend:
            with open_source(clip, realtime=True) as source, contextlib.redirect_stdout(io.StringIO()):
                session = LiveSession(
                    source, backend, spec, Path(tmp), options, keys=ScriptedKeys([(args.seconds, "q")]),
                    voice=SilentVoice(),
                )  # fmt: skip
                result = session.run()
                return source.info.fps, result.stats, result.report


def rows_of(fps: float, s, report: dict, window: bool) -> list[tuple[str, str]]:
    interval = 1000.0 / fps
    beyond = s.result_latency_p50_ms - s.model_p50_ms
    rows = [
        ("frames from the camera", f"{s.frames_captured}"),
        ("frames through the model", f"{s.frames_processed} ({s.pose_fps:.1f} fps)"),
        ("dropped to stay current", f"{s.frames_dropped} ({100 * s.dropped_share:.1f}%)"),
        ("model time p50 / p95", f"{s.model_p50_ms:.1f} / {s.model_p95_ms:.1f} ms"),
        ("latency capture->events p50 / p95", f"{s.result_latency_p50_ms:.1f} / {s.result_latency_p95_ms:.1f} ms"),
        ("latency beyond the model (p50)", f"{beyond:.1f} ms = {beyond / interval:.2f} frame intervals (target <= 1)"),
    ]
    if window:
        rows.append(
            ("latency capture->screen p50 / p95", f"{s.screen_latency_p50_ms:.1f} / {s.screen_latency_p95_ms:.1f} ms")
        )
        rows.append(("window redraws", f"{s.display_fps:.1f} fps"))
    rows.append(("reps counted", str(report["rep_count"])))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clip", nargs="?", type=Path, help="video played as the camera (default: a glute bridge clip)")
    parser.add_argument("--exercise", "-e", default="glute_bridge")
    parser.add_argument("--seconds", type=float, default=30.0, help="stop after this long (default 30 s)")
    parser.add_argument("--window", action="store_true", help="draw in a window too (needs a display)")
    parser.add_argument("--single-person", action="store_true", help="MediaPipe num_poses=1 (default: the backend's 2)")
    parser.add_argument(
        "--compare", action="store_true", help="run a second session with the model in this process, side by side"
    )
    args = parser.parse_args()
    clip = args.clip or default_clip()
    columns = [("model in its own process (as `posecheck live`)", True)]
    if args.compare:
        columns.append(("model in this process", False))
    results = [(title, *run_session(clip, args, own)) for title, own in columns]
    fps = results[0][1]
    print(f"clip: {clip.name} ({fps:.1f} fps), {args.exercise}; people per frame: "
          f"{'1' if args.single_person else '2 (default)'}")  # fmt: skip
    table = [rows_of(f, s, r, args.window) for _, f, s, r in results]
    width = max(len(k) for k, _ in table[0])
    widths = [max(len(title), *(len(v) for _, v in rows)) for (title, *_), rows in zip(results, table)]
    print(f"{'':<{width}}  " + "  ".join(f"{title:<{w}}" for (title, *_), w in zip(results, widths)))
    for i, (key, _) in enumerate(table[0]):
        print(f"{key:<{width}}  " + "  ".join(f"{rows[i][1]:<{w}}" for rows, w in zip(table, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
