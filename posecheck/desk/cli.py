"""`posecheck desk`: the command-line layer of the desk watcher (options, checks in order, summary)."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path

from ..errors import PosecheckError, SourceError
from .config import MINUTE, DeskConfig
from .messages import say

DESK_EXAMPLES = """\
examples:
  posecheck desk                                   # default camera (0): reminders after 30 min of sitting
  posecheck desk --camera 1 --sit-limit 45 --break 3
  posecheck desk --camera sample_videos/desk_demo.mp4 --speed 60 --headless --mute --out results/desk

A file as --camera plays with its clock scaled by --speed (60: a 30-minute afternoon in 30 s; if the
model cannot keep up, the clock slows rather than skipping samples). Type s + Enter to snooze the
reminders (--snooze minutes). The first seconds in view set your seated position: sit as usual when it
starts. Every state change and reminder is appended to OUT/desk.jsonl as it happens; OUT/summary.json
holds the session's summary (rewritten every minute and at the end). No picture is ever saved.
"""

#: Options given in minutes -> the DeskConfig field they set.
MINUTE_OPTIONS: dict[str, str] = {
    "sit_limit": "sit_limit_s", "break_": "break_s", "repeat": "repeat_s", "snooze": "snooze_s",
}
DEFAULTS = DeskConfig()


def add_desk_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register the ``desk`` subcommand on ``subparsers``; its handler is ``args.func``."""
    from ..live.cli import add_camera_args

    p = subparsers.add_parser(
        "desk",
        help="watch your sitting at a desk and remind you to take breaks",
        description="Track seated / standing / away from a webcam and remind you to stand up after a "
        "stretch of sitting.",
        epilog=DESK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_camera_args(p, out_help="output folder (default: results/desk-<date>)",
                    headless_help="no desktop notifications: reminders in the terminal (and voice) only",
                    mute_help="no voice or sound")
    m = DEFAULTS
    p.add_argument("--speed", metavar="K", help="with a video file as --camera: play it K times faster (default 1)")
    p.add_argument("--sit-limit", metavar="MIN", dest="sit_limit", default=f"{m.sit_limit_s / MINUTE:g}",
                   help=f"minutes of continuous sitting before a reminder (default {m.sit_limit_s / MINUTE:g})")
    p.add_argument("--break", metavar="MIN", dest="break_", default=f"{m.break_s / MINUTE:g}",
                   help=f"minutes standing or away that count as a break (default {m.break_s / MINUTE:g})")
    p.add_argument("--repeat", metavar="MIN", default=f"{m.repeat_s / MINUTE:g}",
                   help=f"repeat the reminder this often while still seated (default {m.repeat_s / MINUTE:g})")
    p.add_argument("--snooze", metavar="MIN", default=f"{m.snooze_s / MINUTE:g}",
                   help=f"how long s + Enter silences reminders (default {m.snooze_s / MINUTE:g})")
    p.add_argument("--sample-every", metavar="S", dest="sample_every", default=f"{m.sample_every_s:g}",
                   help=f"seconds between frames given to the pose model (default {m.sample_every_s:g})")
    p.add_argument("--model", type=Path, help="a MediaPipe pose landmarker .task file (lite/full/heavy)")
    p.set_defaults(func=run_desk)
    return p


def _positive(option: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise PosecheckError(say("not_positive", option=option, text=text))
    return value


def config_from_args(args: argparse.Namespace) -> DeskConfig:
    """The :class:`DeskConfig` of the options. Raises PosecheckError naming a bad option value."""
    values: dict[str, float] = {}
    for dest, field in MINUTE_OPTIONS.items():
        flag = "--" + dest.rstrip("_").replace("_", "-")
        values[field] = _positive(flag, getattr(args, dest)) * MINUTE
    values["sample_every_s"] = _positive("--sample-every", args.sample_every)
    known = {f.name for f in fields(DeskConfig)}
    assert set(values) <= known
    return replace(DEFAULTS, **values)


def default_out(now: datetime | None = None) -> Path:
    return Path("results") / f"desk-{(now or datetime.now()).strftime('%Y-%m-%d')}"


def run_desk(args: argparse.Namespace) -> int:
    """Handler of ``posecheck desk``. Checks run cheapest first: option values, the source, the output
    folder, then the model. Returns 0; raises PosecheckError (or KeyboardInterrupt) after the summary."""
    from ..cli import say_notes
    from ..interrupts import terminate_as_interrupt
    from ..live.voice import SilentVoice, make_voice
    from ..pose import create_backend
    from ..pose.mediapipe_backend import MediaPipeOptions
    from .clock import ScaledClock
    from .keys import NoCommands, StdinCommands
    from .log import SUMMARY_NAME, format_summary, make_out_dir
    from .messages import duration
    from .notify import Notifier
    from .sampling import open_sampler
    from .session import DeskSession

    config = config_from_args(args)
    is_camera = str(args.camera).strip().isdigit()
    speed = 1.0
    if args.speed is not None:
        if is_camera:
            raise SourceError(say("speed_with_camera", speed=args.speed))
        speed = _positive("--speed", args.speed)
    out = Path(args.out) if args.out else default_out()
    with open_sampler(str(args.camera)) as sampler:
        make_out_dir(out)
        voice = SilentVoice() if args.mute else make_voice()
        notifier = Notifier(voice, desktop=not args.headless)
        try:
            interactive = sys.stdin is not None and sys.stdin.isatty()
            commands = StdinCommands() if interactive else NoCommands()
            with create_backend(model_path=args.model, options=MediaPipeOptions(num_poses=config.num_poses)) as backend:
                snooze = say("snooze_hint", snooze=duration(config.snooze_s)) if interactive else ""
                print(say("start", source=sampler.info.source, every=config.sample_every_s,
                          speed=say("start_speed", speed=speed) if speed != 1 else "", limit=duration(config.sit_limit_s),
                          brk=duration(config.break_s), snooze=snooze), flush=True)
                if not interactive:
                    say_notes([say("snooze_unavailable")])
                with terminate_as_interrupt():
                    session = DeskSession(sampler, backend, config, out, notifier, ScaledClock(speed),
                                          commands=commands)
                    result = session.run()
        finally:
            notifier.close()
    print(format_summary(result.summary, result.log_path, result.summary_path or out / SUMMARY_NAME))
    if result.error is not None:
        raise result.error
    return 0
