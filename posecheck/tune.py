"""Tuning thresholds: re-evaluate recorded pose tracks with an edited spec in a fraction of a second.

``evaluate(track, spec)`` runs the same loop as ``analyze`` (person selection, sampler, evaluator)
on a recorded :class:`~posecheck.track.PoseTrack` through the :class:`~posecheck.pose.replay.ReplayBackend`,
so an unchanged spec gives exactly the report ``analyze`` gave. Nothing here imports MediaPipe or OpenCV.

Usage::

    track = load_track("results/b")                 # the folder analyze wrote, or its pose_track.npz
    report = evaluate(track, load_spec("my_bridge.toml"))
    print(report.rep_count, report.to_json()["reps"])
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PosecheckError, SpecError, TrackError, writing
from .evaluator import Evaluator
from .events import RepRejected, Summary
from .pipeline import HTML_NAME, LoopStats, SinkSet, evaluate_step
from .sampler import Sample, Sampler
from .sinks import Step
from .sinks.changes import Timeline, format_changes, format_margins
from .sinks.report import FRAMES_NAME, REPORT_NAME, FramesCsv, Report, write_json_atomic
from .spec import ExerciseSpec, find_spec, load_spec
from .track import TRACK_NAME, PoseTrack, load_track

TUNE_DIR = "tune"
MESSAGES = {
    "incomplete": "the pose track is of a run that stopped early",
    "watching": "watching {path} for changes (Ctrl-C to stop)",
    "watch_needs_spec": "--watch needs --spec FILE: the file whose edits are watched",
    "kept": "posecheck: error: {error} (the last good result is kept; fix the file and save again)",
    "not_results": "{folder}: not a results folder; give the --out folder of `posecheck analyze`",
    "no_spec": "{folder}: no report.json saying which exercise it is; add --spec FILE or --exercise NAME",
    "no_page": "{path} not written: {error}",
}
WATCH_POLL_S = 0.25

TUNE_EXAMPLES = """\
examples:
  posecheck analyze bridges.mp4 -e glute_bridge --out results/b   # records results/b/pose_track.npz
  cp exercise_specs/glute_bridge.toml my_bridge.toml              # edit a threshold
  posecheck tune results/b --spec my_bridge.toml                  # what changed, per rep, and why
  posecheck tune results/b --spec my_bridge.toml --watch          # again on every save of the file
  posecheck tune results/*/ --spec my_bridge.toml                 # many recorded sessions at once
  posecheck calibrate results/b --good 1-5 --bad 7 --out my_bridge.toml
"""


class TimelineSink:
    """Keeps what the tuning views need of every frame: time, metric values, rejected movements."""

    def __init__(self, metrics: Sequence[str]) -> None:
        self.metrics = list(metrics)
        self._t: list[float] = []
        self._values: list[list[float]] = []
        self.rejected: list[tuple[float, str]] = []

    def write(self, step: Step) -> None:
        values = step.sample.values
        self._t.append(step.sample.t_s)
        self._values.append([values.get(m, np.nan) for m in self.metrics])
        self.rejected.extend((e.t_s, e.message) for e in step.events if isinstance(e, RepRejected))

    def close(self, summary: Summary) -> None:
        pass

    def timeline(self) -> Timeline:
        table = np.asarray(self._values, float).reshape(len(self._t), len(self.metrics))
        return Timeline(
            np.asarray(self._t, float), {m: table[:, i] for i, m in enumerate(self.metrics)}, tuple(self.rejected)
        )


def sample_track(track: PoseTrack, spec: ExerciseSpec) -> list[Sample]:
    """The Samples of the followed person in every frame of ``track``, measured over the whole track at once
    (:meth:`Sampler.update_track`: the same values as frame by frame, tens of times faster)."""
    t = len(track)
    rows = np.arange(t)
    found = track.followed >= 0
    who = np.where(found, track.followed, 0).astype(int)
    if track.image_px.shape[1] == 0:  # nobody in any frame
        nan = np.full((t, 33), np.nan, np.float32)
        return Sampler(spec).update_track(track.t_ms, np.full((t, 33, 2), np.nan), nan, nan, None, track.n_poses, found)
    pick = lambda a: a[rows, who]  # noqa: E731
    return Sampler(spec).update_track(
        track.t_ms, pick(track.image_px), pick(track.visibility), pick(track.presence), pick(track.world_m),
        track.n_poses.astype(int), found,
    )  # fmt: skip


def evaluate(track: PoseTrack, spec: ExerciseSpec, sinks: Sequence[Any] = ()) -> Report:
    """The report of ``spec`` on ``track``: the stages after the model, as analyze runs them, on the
    recorded poses of the person analyze followed.

    ``sinks`` are fed every step (see :mod:`posecheck.sinks`). Raises :class:`TrackError` for a track
    that does not fit (and whatever a sink raises)."""
    evaluator = Evaluator(spec)
    stats = LoopStats()
    out = SinkSet(sinks)
    for frame, sample in zip(track.frames(), sample_track(track, spec)):
        evaluate_step(frame, sample, evaluator, out, stats)
    evaluator.finish()
    out.close(evaluator.summary)
    warnings = [] if track.complete else [MESSAGES["incomplete"]]
    if out.failures:
        raise out.failures[0]
    return Report.of(
        spec, str(track.meta.get("source", track.path)), evaluator.summary, stats.frames, stats.frames_with_pose,
        stats.duration_s, tuple(warnings),
    )  # fmt: skip


@dataclass
class Tuned:
    """One results folder re-evaluated: where, the new report, what it was before, the timeline."""

    folder: Path
    out: Path
    report: Report
    previous: dict[str, Any] | None
    timeline: Timeline
    track: PoseTrack = field(repr=False)


def _previous_report(folder: Path, out: Path) -> dict[str, Any] | None:
    for path in (out / REPORT_NAME, folder / REPORT_NAME):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None


def tune_folder(folder: Path, spec: ExerciseSpec, out: Path, track: PoseTrack | None = None) -> Tuned:
    """Re-evaluate the session in ``folder`` with ``spec``; write report.json and frames.csv to ``out``."""
    track = track or load_track(folder)
    previous = _previous_report(folder, out)
    with writing(out, "create the output folder"):
        out.mkdir(parents=True, exist_ok=True)
    timeline = TimelineSink(list(spec.metrics))
    report = evaluate(track, spec, [FramesCsv(out / FRAMES_NAME, spec), timeline])
    write_json_atomic(out / REPORT_NAME, report.to_json())
    return Tuned(folder, out, report, previous, timeline.timeline(), track)


def spec_for(folder: Path, args: argparse.Namespace) -> ExerciseSpec:
    """--spec / --exercise when given, else the spec the folder's report was made with."""
    if args.spec or args.exercise:
        from .cli import spec_from_args

        return spec_from_args(args)
    try:
        report = json.loads((folder / REPORT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SpecError(MESSAGES["no_spec"].format(folder=folder)) from None
    path = report.get("spec_path")
    if path and Path(path).is_file():
        return load_spec(path)
    return find_spec(str(report.get("exercise", "")))


def _print_result(tuned: Tuned, spec: ExerciseSpec, quiet: bool) -> None:
    from .sinks.terminal import format_summary

    report = tuned.report.to_json()
    print(f"== {tuned.folder} ==")
    if not quiet:
        print(format_summary(report, spec))
    print(format_changes(tuned.previous, report, spec, tuned.timeline))
    if not quiet:
        print(format_margins(report, spec, tuned.timeline))
    sys.stdout.flush()


def write_page(out: Path, spec: ExerciseSpec, track: PoseTrack | None, series: Any = None, plot: Path | None = None) -> list[str]:
    """report.html in ``out`` (and ``plot``, a PNG), from its report.json and frames.csv, with a key frame
    per rep drawn from ``track``; ``series``: the per-frame values if already in memory (a
    :class:`Timeline`), else read from frames.csv. Returns what could not be drawn, as warnings: the
    results themselves are already on disk, so a page that fails never fails the run."""
    try:
        from .sinks.html import write_report_html
        from .sinks.keyframes import draw_keyframes, rep_peak_times
        from .sinks.plots import load_frames, write_plots_png

        report = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))
        series = series if series is not None else load_frames(out / FRAMES_NAME, list(spec.metrics))
        moments = {}
        size = tuple(int(v) for v in track.image_size[0]) if track is not None and len(track) else None
        for index, t_s in rep_peak_times(series, report, spec).items():
            if track is None or not len(track):
                break
            i = int(np.argmin(np.abs(track.t_ms - t_s * 1000.0)))
            who = int(track.followed[i])
            moments[index] = (t_s, track.image_px[i, who] if who >= 0 else None)
        source = (track.meta.get("source") if track is not None else None) or report.get("source")
        write_report_html(out, spec, keyframes=draw_keyframes(source, moments, image_size=size) if moments else None)
        if plot is not None:
            write_plots_png(out, spec, plot)
    except (ImportError, OSError, ValueError, PosecheckError) as exc:
        return [MESSAGES["no_page"].format(path=out / HTML_NAME, error=exc)]
    return []


def _cmd_tune(args: argparse.Namespace) -> int:
    folders = [Path(f) for f in args.folders]
    for folder in folders:
        if not (folder / TRACK_NAME).is_file() and not folder.is_dir():
            raise TrackError(MESSAGES["not_results"].format(folder=folder))

    def out_of(folder: Path) -> Path:
        if args.out is None:
            return folder / TUNE_DIR
        return Path(args.out) / folder.name if len(folders) > 1 else Path(args.out)

    tracks = {folder: load_track(folder) for folder in folders}

    def run_once() -> list[Tuned]:
        results = []
        for folder in folders:
            spec = spec_for(folder, args)
            tuned = tune_folder(folder, spec, out_of(folder), tracks[folder])
            _print_result(tuned, spec, args.quiet)
            results.append((tuned, spec))
        for tuned, spec in results:
            for problem in write_page(tuned.out, spec, tuned.track, tuned.timeline, args.plot if len(folders) == 1 else None):
                print(f"posecheck: warning: {problem}", file=sys.stderr)
        return [t for t, _ in results]

    if args.watch and not args.spec:
        raise SpecError(MESSAGES["watch_needs_spec"])
    spec_path = Path(args.spec) if args.spec else None
    # Stamped before the first read of the spec: a save made while it is evaluated is not missed.
    last = _stamp(spec_path) if args.watch and spec_path else None
    run_once()
    if not args.watch or spec_path is None:
        return 0
    print(MESSAGES["watching"].format(path=spec_path), flush=True)
    while True:
        time.sleep(WATCH_POLL_S)
        stamp = _stamp(spec_path)
        if stamp == last:
            continue
        last = stamp
        try:
            run_once()
        except SpecError as exc:  # a broken edit: the last good result stays on screen
            print(MESSAGES["kept"].format(error=exc), flush=True)


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime, st.st_size


def add_tune_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``tune`` and ``calibrate`` on the CLI's subparsers."""
    from .cli import add_exercise_args

    p = sub.add_parser(
        "tune",
        help="re-evaluate recorded sessions with an edited spec, instantly (no pose model)",
        description="Re-evaluate the pose tracks that analyze recorded with another spec, and show what changed.",
        epilog=TUNE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folders", nargs="+", help="results folders written by `posecheck analyze` (holding pose_track.npz)")
    add_exercise_args(p, "the edited spec file (default: the spec each folder was analysed with)", model=False)
    p.add_argument("--out", "-o", type=Path, help=f"output folder (default: FOLDER/{TUNE_DIR}/)")
    p.add_argument("--watch", "-w", action="store_true", help="re-evaluate on every save of the --spec file")
    p.add_argument("--plot", type=Path, help="also write the plots as one PNG (one folder only)")
    p.add_argument("--quiet", "-q", action="store_true", help="only what changed, not the whole summary")
    p.set_defaults(func=_cmd_tune)

    from .calibrate import add_calibrate_parser

    add_calibrate_parser(sub)


__all__ = ["HTML_NAME", "Timeline", "TimelineSink", "Tuned", "evaluate", "load_track", "tune_folder"]
