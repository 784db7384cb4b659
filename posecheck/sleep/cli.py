"""``posecheck sleep INPUT... --out DIR``: the argument layer over :mod:`posecheck.sleep.run`."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelError, OutputError, PosecheckError, SourceError
from .classify import SleepClassifier, parse_camera
from .defaults import CAMERA_PITCH_RANGES, DEFAULTS
from .messages import CANNOT_JUDGE, SUMMARY, TEXT

if TYPE_CHECKING:
    from .run import InputResult

EXAMPLES = """\
examples:
  posecheck sleep sample_videos/sleep/* --timelapse 30 --out results/sleep   # photos + a time-lapse
  posecheck sleep bedroom.jpg --camera above --out results/photo
  posecheck sleep night.mp4 --every 5 --camera side --out results/night
  posecheck sleep timelapse.mp4 --timelapse 30 --out results/night   # one frame per 30 s of the night
  posecheck sleep frames_folder/ --timelapse 60 --out results/night  # a folder of photos, one a minute
"""


def _positive(text: str | None, key: str) -> float | None:
    """``text`` as a positive, finite number of seconds (None stays None). Raises PosecheckError."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise PosecheckError(TEXT[key].format(value=text))
    return value


def _camera(text: str) -> str | float:
    """A placement name or a pitch in degrees. Raises PosecheckError."""
    try:
        parse_camera(text)
    except ValueError:
        raise PosecheckError(TEXT["bad_pitch"].format(value=text)) from None
    return text if text in CAMERA_PITCH_RANGES else float(text)


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`run_sleep` from the options, checked. Raises PosecheckError naming
    a bad option value, or saying that no input was given."""
    if not args.inputs:
        raise PosecheckError(TEXT["no_inputs"])
    return {"camera": _camera(args.camera), "every_s": _positive(args.every, "bad_every"),
            "timelapse_s": _positive(args.timelapse, "bad_timelapse"),
            "model_path": args.model, "quiet": args.quiet}


def add_sleep_parser(sub: Any) -> None:
    """Add the ``sleep`` command to the top-level subparsers."""
    p = sub.add_parser(
        "sleep",
        help="sleeping position from photos or a night's video: back / side / stomach, the advice, a timeline",
        description="Classify sleeping positions (on the back, left or right side, stomach) in photos, videos "
                    "or time-lapses from a camera above or beside the bed, check the advice for each "
                    "position, and give a night's timeline. Frames are never saved.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("inputs", nargs="*", metavar="INPUT", type=Path,
                   help="photos (.jpg, .png, ...), videos, or folders of images (a time-lapse)")
    p.add_argument("--out", "-o", type=Path, default=Path("results") / "sleep",
                   help="output folder (default: results/sleep): DIR/<name>/sleep.json, DIR/index.json and .csv")
    p.add_argument("--every", default=f"{DEFAULTS.every_s:g}", metavar="S",
                   help=f"in a video, judge one frame every S seconds (default {DEFAULTS.every_s:g})")
    p.add_argument("--timelapse", metavar="S",
                   help="the video or folder is a time-lapse: each frame is S seconds of the night, and every "
                        f"frame is judged (a folder's default: {DEFAULTS.folder_frame_s:g})")
    p.add_argument("--camera", default="auto",
                   help="where the camera is: above (looking down on the bed), side (beside it), a pitch in "
                        "degrees (0 level, 90 straight down) or auto (default; unsure when the body alone "
                        "cannot tell)")
    p.add_argument("--model", type=Path, help="a MediaPipe pose landmarker .task file (lite/full/heavy)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary")
    p.set_defaults(func=_cmd_sleep)


def _cmd_sleep(args: argparse.Namespace) -> int:
    from ..interrupts import terminate_as_interrupt

    options = options_from_args(args)
    with terminate_as_interrupt():
        return run_sleep(args.inputs, args.out, **options)


def run_sleep(inputs: list[Path], out: Path, *, camera: str | float = "auto", every_s: float = DEFAULTS.every_s,
              timelapse_s: float | None = None, model_path: Path | None = None, quiet: bool = False) -> int:
    """Judge every input into ``out``; a failed input does not stop the others.

    Returns 0 when every input was judged. With one input, its failure is raised after the index is
    written; with several, each failure is said on stderr as it happens and a :class:`PosecheckError`
    of the first failure's kind (and exit code) naming the failed inputs is raised at the end. A failure
    to write (:class:`OutputError`) or to load the model stops the run at once. KeyboardInterrupt
    (Ctrl-C, SIGTERM) saves the input under way as ``complete: false`` and the index, then propagates.
    """
    from ..cli import say_error, say_notes
    from .run import InputResult, VideoJudge, judge_photo, kind_of, open_backend, output_names, write_index, write_json

    classifier = SleepClassifier(camera)
    results: list[InputResult] = []
    failures: list[PosecheckError] = []
    for path, name in zip(inputs, output_names(inputs)):
        kind = kind_of(path, timelapse_s)
        target = out / name / "sleep.json"
        judge: VideoJudge | None = None
        try:
            with open_backend(model_path) as backend:
                if kind == "photo":
                    result = judge_photo(path, backend, classifier)
                else:
                    judge = VideoJudge(path, kind, classifier, every_s=every_s, timelapse_s=timelapse_s)
                    result = judge.run(backend, lambda r: write_json(target, r))
            write_json(target, result)
            results.append(InputResult(str(path), name, kind, "ok", result))
        except KeyboardInterrupt:
            if judge is not None and judge.samples:
                partial = judge.result(complete=False)
                write_json(target, partial)
                results.append(InputResult(str(path), name, kind, "interrupted", partial))
                say_notes([TEXT["interrupted"].format(t=judge.last_t, name=path)])
                _print(results[-1:], quiet)
            write_index(out, results)
            raise
        except (OutputError, ModelError):
            raise
        except PosecheckError as exc:
            partial = judge.result(complete=False) if judge is not None and judge.samples else {}
            if partial:
                write_json(target, partial)
            if len(inputs) > 1:
                say_error(exc)
            failures.append(exc)
            results.append(InputResult(str(path), name, kind, "error", partial, str(exc)))
        write_index(out, results)
        _print(results[-1:], quiet)
    if not quiet:
        print(SUMMARY["not_judged"].format(items=SUMMARY["not_judged_separator"].join(CANNOT_JUDGE[:2])))
        print(SUMMARY["results"].format(out=out))
    if failures and len(inputs) == 1:
        raise failures[0]
    if failures:
        first = failures[0]
        kind = type(first) if isinstance(first, SourceError) else PosecheckError
        names = ", ".join(Path(r.source).name for r in results if r.status == "error")
        error = kind(TEXT["failed_inputs"].format(failed=len(failures), total=len(inputs), names=names, out=out))
        error.exit_code = first.exit_code
        raise error
    return 0


def _print(results: list[InputResult], quiet: bool) -> None:
    from .run import summary_lines

    if quiet:
        return
    for r in results:
        for line in summary_lines(r):
            print(line)
