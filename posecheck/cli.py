"""The command line: a thin layer that parses arguments, calls the library and maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import PosecheckError, SpecError
from .pose.segments import usable_cpus
from .spec import ExerciseSpec, find_spec, json_schema, list_specs, load_spec

ANALYZE_EXAMPLES = """\
examples:
  posecheck analyze sample_videos/glute_bridge_demo.mp4 --exercise glute_bridge --out results/
  posecheck analyze my_lunges.mov --exercise lunge --out results/lunges --no-video
  posecheck analyze my_bridges.mp4 --spec my_tuned_bridge.toml --out results/
  posecheck analyze frames_folder/ --exercise clamshell --out results/   # an image folder
"""


def add_exercise_args(parser: argparse.ArgumentParser, spec_help: str, model: bool = True) -> None:
    """The options every mode shares: which exercise (--exercise or --spec) and, where the pose model
    runs (``model``), which model."""
    parser.add_argument("--exercise", "-e", help="shipped exercise id or alias (see `posecheck specs`)")
    parser.add_argument("--spec", type=Path, help=spec_help)
    if model:
        parser.add_argument("--model", type=Path, help="a MediaPipe pose landmarker .task file (lite/full/heavy)")


def spec_from_args(args: argparse.Namespace) -> ExerciseSpec:
    """The spec named by --exercise or --spec (exactly one). Raises SpecError."""
    if args.spec and args.exercise:
        raise SpecError("give either --exercise NAME or --spec FILE, not both")
    if args.spec:
        return load_spec(args.spec)
    if args.exercise:
        return find_spec(args.exercise)
    raise SpecError("no exercise given: add --exercise NAME (see `posecheck specs`) or --spec FILE")


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``, ``timeout``, a service manager) ends the run as Ctrl-C does:
    cleanly, with its report and everything recorded so far."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def say_notes(notes: tuple[str, ...] | list[str]) -> None:
    for note in notes:
        print(f"posecheck: note: {note}", file=sys.stderr)


def say_error(exc: PosecheckError) -> None:
    """The one line a user error is said in (on stderr)."""
    print(f"posecheck: error: {exc}", file=sys.stderr)


def worker_count(text: str) -> int:
    """--workers: a whole number of at least 1 (argparse reports the ValueError as a usage error)."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _cmd_analyze(args: argparse.Namespace) -> int:
    from .pipeline import analyze
    from .sinks.terminal import format_summary

    spec = spec_from_args(args)
    out = Path(args.out) if args.out else Path("results") / Path(str(args.source)).stem
    with terminate_as_interrupt():
        report = analyze(
            args.source, spec, out, model_path=args.model, write_video=not args.no_video, quiet=args.quiet,
            cache=not args.no_cache, workers=args.workers, pin_cpus=args.workers == 1,
        )  # fmt: skip
    if not args.quiet:
        say_notes(report.notes)
        print(format_summary(report.to_json(), spec))
        print(f"Results: {out}/")
    return 0


def _cmd_specs(args: argparse.Namespace) -> int:
    if args.schema:
        print(json.dumps(json_schema(), indent=2))
        return 0
    folder = Path(args.folder) if args.folder else None
    for spec in list_specs(folder):
        aliases = f" (also: {', '.join(spec.aliases)})" if spec.aliases else ""
        side = ", per side" if spec.side.per_side else ""
        article = f"  [the article's \"{spec.article}\"]" if spec.article else ""
        print(f"{spec.id:20s} {spec.name}: {spec.kind}{side}, {spec.view.expect} view{aliases}{article}")
        print(f"{'':20s} {spec.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecheck", description="Check exercise form and count reps from a webcam or a video."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "analyze",
        help="analyse a recorded video: reps, holds, form faults, report",
        description="Analyse a recorded exercise video and write report.json, frames.csv and annotated.mp4.",
        epilog=ANALYZE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", help="video file (mp4, avi, mov, mkv, webm, gif) or a folder of images")
    add_exercise_args(p, "an exercise spec file of your own (TOML)")
    p.add_argument("--out", "-o", type=Path, help="output folder (default: results/<video name>)")
    p.add_argument("--no-video", action="store_true", help="skip writing annotated.mp4")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    p.add_argument(
        "--no-cache", action="store_true",
        help="run the pose model even if this video's pose track is in the cache (and do not cache it)",
    )  # fmt: skip
    p.add_argument(
        "--workers", type=worker_count, default=usable_cpus(), metavar="N",
        help="pose model processes for one video (default: one per CPU, %(default)s here); a video of 12 s or "
        "more is cut into segments that they work on at once; 1: one process, on a CPU of its own",
    )  # fmt: skip
    p.set_defaults(func=_cmd_analyze)

    from .tune import add_tune_parsers

    add_tune_parsers(sub)

    from .live.cli import add_live_parser

    add_live_parser(sub)

    from .sleep.cli import add_sleep_parser

    add_sleep_parser(sub)

    from .desk.cli import add_desk_parser

    add_desk_parser(sub)

    p = sub.add_parser("specs", help="list the shipped exercise specs", description="List exercise specs.")
    p.add_argument("--folder", help="list the specs in this folder instead")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of spec files")
    p.set_defaults(func=_cmd_specs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `posecheck` command. Returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PosecheckError as exc:
        say_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("posecheck: interrupted; results so far were kept", file=sys.stderr)
        return 130
