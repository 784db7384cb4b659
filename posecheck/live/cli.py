"""`posecheck live`: the command-line layer of the live mode (arguments, checks in order, summary)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from ..cli import add_exercise_args, spec_from_args
from ..interrupts import terminate_as_interrupt
from ..errors import OutputError, SpecError
from .keys import HELP

LIVE_EXAMPLES = f"""\
examples:
  posecheck live --exercise glute_bridge                  # default camera (0), a window
  posecheck live --exercise lunge --camera 1 --mirror     # another camera, selfie view
  posecheck live --exercise clamshell --camera clip.mp4   # a video file played at real-time pace
  posecheck live --spec my_bridge.toml --out session/ --headless   # no window: events printed

keys: {HELP}
Edit the spec file while the session runs: new thresholds apply on the next frame.
Every rep and hold is appended to OUT/session.jsonl as it happens; OUT/report.json has the same
fields as `posecheck analyze` writes. No picture is saved unless --record is given.
"""


def default_out_dir(now: datetime | None = None) -> Path:
    """A new dated folder for a session: ``$XDG_DATA_HOME/posecheck/sessions/YYYY-mm-dd_HHMMSS``
    (``~/.local/share/...`` when XDG_DATA_HOME is unset; ``%LOCALAPPDATA%`` on Windows)."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H%M%S")
    folder = base / "posecheck" / "sessions" / stamp
    n = 2
    while folder.exists():
        folder = base / "posecheck" / "sessions" / f"{stamp}-{n}"
        n += 1
    return folder


def add_camera_args(p: argparse.ArgumentParser, *, out_help: str, headless_help: str, mute_help: str) -> None:
    """The options of every camera mode (live, desk): --camera, --out, --headless, --mute."""
    p.add_argument("--camera", "-c", default="0", help="camera index (default 0) or a video file to play as a camera")
    p.add_argument("--out", "-o", type=Path, help=out_help)
    p.add_argument("--headless", action="store_true", help=headless_help)
    p.add_argument("--mute", action="store_true", help=mute_help)


def add_live_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register the ``live`` subcommand on ``subparsers``; its handler is ``args.func``."""
    p = subparsers.add_parser(
        "live",
        help="coach from a webcam in real time: counter, cues, voice",
        description="Check form and count reps live from a webcam (or a video played at real-time pace).",
        epilog=LIVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_exercise_args(p, "an exercise spec file of your own (TOML); edits apply live")
    add_camera_args(p, out_help="session folder (default: a new dated folder under the user data folder)",
                    headless_help="no window: print events to the terminal",
                    mute_help="no voice or sound (m toggles it in the window)")
    p.add_argument("--mirror", action="store_true", help="show the picture mirrored (selfie view)")
    p.add_argument("--record", action="store_true", help="also save the annotated frames (recording.mp4)")
    p.add_argument(
        "--countdown", type=float, default=None, metavar="S",
        help="countdown before counting (default 3 s with a camera; 0 with a video file, which counts from "
        "its starting position as analyze does)",
    )  # fmt: skip
    p.add_argument("--no-setup", action="store_true", help="skip set-up guidance and countdown: count at once")
    p.add_argument(
        "--one-person", action="store_true",
        help="look for one person only: about twice as fast on a slow computer, but someone walking into "
        "view may be followed instead of you",
    )  # fmt: skip
    p.set_defaults(func=run_live)
    return p


def run_live(args: argparse.Namespace) -> int:
    """Handler of ``posecheck live``. Returns the exit code; raises PosecheckError for user errors.

    Checks run cheapest and most likely first, before the camera starts: the spec, the display, the
    camera (listing the ones that open), the output folder, then the model.
    """
    from ..pose import create_backend
    from ..sinks.terminal import format_summary
    from ..sources import open_source
    from .session import LiveOptions, LiveSession
    from .voice import SilentVoice, make_voice

    spec = spec_from_args(args)
    if args.countdown is None:
        args.countdown = 0.0 if Path(args.camera).is_file() else 3.0
    if args.countdown < 0:
        raise SpecError(f"--countdown must be 0 or more seconds, got {args.countdown}")
    if not args.headless:
        from .window import probe_display

        probe_display()
    out = Path(args.out) if args.out else default_out_dir()
    with open_source(args.camera, realtime=True) as source:  # a camera is live anyway; a file plays at its pace
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the session folder ({exc.strerror})") from None
        options = LiveOptions(
            headless=args.headless, mirror=args.mirror, record=args.record, guidance=not args.no_setup,
            countdown_s=args.countdown,
        )  # fmt: skip
        voice = SilentVoice() if args.mute and args.headless else make_voice(muted=args.mute)
        backend_options = None
        if args.one_person:
            from ..pose.mediapipe_backend import MediaPipeOptions

            backend_options = MediaPipeOptions(num_poses=1)
        # In its own process the model is not held up by the window and camera threads of this one
        # (benchmarks/live_latency.py --compare, 30 s headless: 0.1% of frames dropped instead of 1.4%,
        # p95 latency 35 ms instead of 60; with a window: 0.9% instead of 2.0%, latency the same).
        with create_backend(model_path=args.model, options=backend_options, own_process=True, pin_cpus=True) as backend:
            if args.headless:
                print(f"{spec.name}: live from {source.info.source}, headless; Ctrl-C ends the session", flush=True)
            with terminate_as_interrupt():
                result = LiveSession(source, backend, spec, out, options, voice=voice).run()
    print(format_summary(result.report, result.spec))
    print(f"Live: {result.stats.line()}")
    print(f"Session: {out}/ (ended by {result.ended_by})")
    if result.error is not None:
        raise result.error
    return 0
