"""The command line: a thin layer that parses arguments, calls the library and maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import PosecheckError, SpecError
from .interrupts import terminate_as_interrupt
from .pose.segments import usable_cpus
from .spec import ExerciseSpec, find_spec, json_schema, list_specs, load_spec

ANALYZE_EXAMPLES = """\
examples:
  posecheck analyze sample_videos/glute_bridge_demo.mp4 --exercise glute_bridge --out results/
  posecheck analyze my_lunges.mov --exercise lunge --out results/lunges --no-video
  posecheck analyze my_bridges.mp4 --spec my_tuned_bridge.toml --out results/
  posecheck analyze frames_folder/ --exercise clamshell --out results/   # an image folder
  posecheck analyze monday/*.mp4 tuesday/ --exercise lunge --out results/week   # a batch, with an index
  posecheck analyze clinic/ -e glute_bridge --out results/ --scheduler tcp://10.0.0.5:8786   # on Dask
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


def say_notes(notes: tuple[str, ...] | list[str]) -> None:
    for note in notes:
        print(f"posecheck: note: {note}", file=sys.stderr)


def say_error(exc: PosecheckError) -> None:
    """The one line a user error is said in (on stderr)."""
    print(f"posecheck: error: {exc}", file=sys.stderr)


def model_options(args: argparse.Namespace):
    """The pose model's options from --fast-model (None: the backend's defaults)."""
    if not args.fast_model:
        return None
    from .pose.mediapipe_backend import FAST_PERSON_CHECK_S, MediaPipeOptions

    return MediaPipeOptions(person_check_s=FAST_PERSON_CHECK_S)


def worker_count(text: str) -> int:
    """--workers: a whole number of at least 1 (argparse reports the ValueError as a usage error)."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _cmd_analyze(args: argparse.Namespace) -> int:
    from .batch import is_batch
    from .pipeline import analyze
    from .sinks.terminal import format_summary

    spec = spec_from_args(args)
    if is_batch(args.source) or args.scheduler:
        return _cmd_batch(args, spec)
    source = args.source[0]
    out = Path(args.out) if args.out else Path("results") / Path(str(source)).stem
    workers = args.workers or usable_cpus()
    with terminate_as_interrupt():
        report = analyze(
            source, spec, out, model_path=args.model, write_video=not args.no_video, quiet=args.quiet,
            cache=not args.no_cache, workers=workers, pin_cpus=workers == 1, model_options=model_options(args),
        )  # fmt: skip
    if not args.quiet:
        say_notes(report.notes)
        print(format_summary(report.to_json(), spec))
        print(f"Results: {out}/")
    return 0


def _cmd_batch(args: argparse.Namespace, spec: ExerciseSpec) -> int:
    """Many videos: a results folder each under --out (default results/), an index, one progress line."""
    from .batch import INDEX_CSV, MESSAGES, BatchProgress, Index, collect, plan_outputs, run_batch

    out_root = Path(args.out) if args.out else Path("results")
    items = plan_outputs(collect(args.source), out_root)
    cpus = usable_cpus()
    jobs = args.jobs or min(cpus, len(items))
    options = {
        "model_path": args.model, "write_video": not args.no_video, "quiet": True, "cache": not args.no_cache,
        "workers": args.workers or max(1, cpus // jobs), "model_options": model_options(args),
    }  # fmt: skip
    submit = None
    if args.scheduler:
        from .cluster import dask_submitter

        submit = dask_submitter(args.scheduler, spec, options)
    index = Index(out_root)
    progress = BatchProgress(len(items)) if not args.quiet else None
    with terminate_as_interrupt():
        rows = run_batch(
            items, spec, index, jobs=jobs, options=options, progress=progress.update if progress else lambda r: None,
            submit=submit,
        )  # fmt: skip
    counts = {status: sum(1 for r in rows if r.status == status) for status in ("ok", "skipped", "failed")}
    if not args.quiet or counts["failed"]:
        print(MESSAGES["summary"].format(
            ok=counts["ok"], total=len(items), skipped=counts["skipped"], failed=counts["failed"],
            index=out_root / INDEX_CSV,
        ))  # fmt: skip
    return 1 if counts["failed"] else 0


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
    p.add_argument(
        "source", nargs="+",
        help="video file (mp4, avi, mov, mkv, webm, gif) or a folder of images; several videos, or folders of "
        "videos, are a batch: a results folder each under --out, and an index (index.csv, index.json)",
    )  # fmt: skip
    add_exercise_args(p, "an exercise spec file of your own (TOML)")
    p.add_argument(
        "--out", "-o", type=Path, help="output folder (default: results/<video name>; for a batch, results/)"
    )
    p.add_argument("--no-video", action="store_true", help="skip writing annotated.mp4")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    p.add_argument(
        "--no-cache", action="store_true",
        help="run the pose model even if this video's pose track is in the cache (and do not cache it)",
    )  # fmt: skip
    p.add_argument(
        "--workers", type=worker_count, default=None, metavar="N",
        help=f"pose model processes per video (default: one per CPU, {usable_cpus()} here, shared by a batch's "
        "jobs); a video of 12 s or more is cut into segments that they work on at once; 1: one process, on a "
        "CPU of its own",
    )
    p.add_argument(
        "--fast-model", action="store_true",
        help="track one person and look for others every 2 s instead of running the person detector on every "
        "frame: about 1.4x faster, less accurate (see README, Speed)",
    )
    p.add_argument(
        "--jobs", "-j", type=worker_count, default=None, metavar="N",
        help="for a batch: videos analysed at once (default: one per CPU, at most one per video)",
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="for a batch: run it on this Dask scheduler (e.g. tcp://host:8786); needs posecheck[cluster], and "
        "the videos and --out at the same paths on every worker",
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
