"""Speed benchmark: posecheck against what a user would write instead, side by side in one run.

Every figure is frames per second and its ratio to (p), MediaPipe's own Pose solution
(``mp.solutions.pose.Pose(model_complexity=1)``, the same full model, one person, tracking between frames)
on frames decoded beforehand, in one process:

(p)  the plain solution, frames decoded beforehand (chunks of ``--chunk``, so memory stays bounded);
(p') the plain solution as a 20-line script runs it: decode a frame, process it, next;
(a1) posecheck's model stage alone, decoded beforehand: one person tracked (``num_poses=1``);
(a2) the same with the default options (``num_poses=2``): MediaPipe's detector on every frame;
(a)  the same with ``--fast-model``'s options: one person tracked, a fresh look for others every 2 s;
(c1) ``posecheck analyze CLIP --no-video --workers 1``, wall time of the command as a user runs it;
(c2) ``posecheck analyze CLIP --no-video`` (default: one model process per CPU, segments in parallel);
(f2) the same with ``--fast-model``;
(v1), (v2): the same two with the annotated video drawn.

Then the start-up figures (mediapipe import, bundle build, log lines at start-up), each stage's peak RSS
and the CPU that other processes used meanwhile (on a shared machine they take the second core and spoil
the ratios). Target (issue 12): (c2) at least 1.6 x (p).

    python benchmarks/speed.py                                   # the shared 1080p wahoo lunge clip
    python benchmarks/speed.py path/to/clip.mp4 --spec lunge --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posecheck.pose import bundle, create_backend  # noqa: E402
from posecheck.pose.mediapipe_backend import MediaPipeOptions  # noqa: E402
from posecheck.sources import open_source  # noqa: E402

DEFAULT_CLIP = ROOT.parent / "shared" / "videos" / "lunge" / "wahoo_lunges.mp4"
TARGET = 1.6
POSECHECK = [sys.executable, "-m", "posecheck"]


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # kB on Linux


class CpuMeter:
    """CPU used by this process (and its finished children) and by every other process while a stage runs."""

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        try:
            with open("/proc/stat") as fh:
                fields = [int(v) for v in fh.readline().split()[1:]]
            busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            busy = float("nan")
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def cores(self) -> tuple[float, float]:
        """(cores used by this process and its children, by all others), averaged since creation."""
        busy, own, now = self._sample()
        busy0, own0, then = self._start
        wall = max(now - then, 1e-9)
        return (own - own0) / wall, max((busy - busy0) - (own - own0), 0.0) / wall


def count_startup_lines(options: MediaPipeOptions, clip: Path) -> int:
    """Lines the process writes to fd 2 while creating a backend and running its first frames."""
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            with open_source(clip) as source, create_backend(options=options) as backend:
                for _, frame in zip(range(30), source):
                    backend.detect(frame)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read().decode("utf-8", "replace")
    if text.strip():
        print("start-up stderr:\n" + text, end="")
    return len([line for line in text.splitlines() if line.strip()])


def decoded_chunks(clip: Path, chunk: int):
    """The clip's frames as BGR arrays, ``chunk`` at a time (decoding is not timed by the callers)."""
    cap = cv2.VideoCapture(str(clip))
    batch: list = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        batch.append(image)
        if len(batch) == chunk:
            yield batch
            batch = []
    cap.release()
    if batch:
        yield batch


def plain_solution(clip: Path, chunk: int, predecoded: bool) -> tuple[int, float]:
    """(frames, seconds) of MediaPipe's own Pose solution: on decoded chunks (only ``process`` timed),
    or as a script runs it (read, convert, process: all timed)."""
    import mediapipe as mp

    n = 0
    with mp.solutions.pose.Pose(model_complexity=1) as pose:
        if predecoded:
            rgb = lambda start, batch: [cv2.cvtColor(image, cv2.COLOR_BGR2RGB) for image in batch]  # noqa: E731
            return timed_chunks(clip, chunk, rgb, pose.process)
        started = time.perf_counter()
        cap = cv2.VideoCapture(str(clip))
        while True:
            ok, image = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            n += 1
        cap.release()
        return n, time.perf_counter() - started


def model_alone(clip: Path, options: MediaPipeOptions, chunk: int) -> tuple[int, float]:
    """(frames, seconds spent in detect) of posecheck's backend, in this process, on decoded chunks."""
    from posecheck.frame import Frame

    with open_source(clip) as source:
        fps = source.info.fps
    with create_backend(options=options) as backend:
        return timed_chunks(
            clip, chunk,
            lambda start, batch: [Frame(start + i, (start + i) * 1000.0 / fps, im) for i, im in enumerate(batch)],
            backend.detect,
        )  # fmt: skip


def timed_chunks(clip: Path, chunk: int, prepare: Callable, run: Callable) -> tuple[int, float]:
    """(frames, seconds in ``run``): each decoded chunk is made ready (``prepare(first index, images)``,
    not timed), then ``run`` is timed on each item."""
    n, busy = 0, 0.0
    for batch in decoded_chunks(clip, chunk):
        items = prepare(n, batch)
        started = time.perf_counter()
        for item in items:
            run(item)
        busy += time.perf_counter() - started
        n += len(batch)
    return n, busy


def cli_analyze(clip: Path, spec: str, out: Path, *extra: str) -> tuple[int, float]:
    """(frames, wall seconds) of the ``posecheck analyze`` command, as a user runs it (no track cache)."""
    import json

    command = [*POSECHECK, "analyze", str(clip), "--exercise", spec, "--out", str(out), "--no-cache", "-q", *extra]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return json.loads((out / "report.json").read_text())["frames"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--spec", default="lunge", help="exercise spec for analyze (default: lunge)")
    parser.add_argument("--chunk", type=int, default=32, help="frames decoded ahead of the model at a time")
    parser.add_argument("--repeat", type=int, default=1, help="run every stage this many times; medians shown")
    parser.add_argument("--workers", type=int, default=None, help="for (c2)/(v2) (default: analyze's, one per CPU)")
    args = parser.parse_args()
    if not args.clip.is_file():
        sys.exit(f"{args.clip}: no such clip; pass one as the first argument")
    with open_source(args.clip) as source:
        info = source.info
    print(f"clip: {args.clip} ({info.width}x{info.height}, {info.frame_count} frames, {info.fps:.3f} fps)")
    print(
        f"cpus: {os.cpu_count()} (usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'})"
    )

    started = time.perf_counter()
    import mediapipe  # noqa: F401  (timed here so the build below is the build alone)

    import_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        bundle.ensure_bundle(Path(scratch))
        build_s = bundle.last_build.seconds if bundle.last_build else float("nan")
    bundle.ensure_bundle()  # the user cache, so later stages do not build
    lines = count_startup_lines(MediaPipeOptions(), args.clip)
    print(f"import mediapipe: {import_s:.2f} s; bundle build: {build_s:.2f} s; start-up log lines: {lines}")

    parallel = ["--workers", str(args.workers)] if args.workers else []
    stages: dict[str, tuple[str, Callable[[Path], tuple[int, float]]]] = {
        "p": ("(p)  MediaPipe Pose solution, decoded beforehand", lambda _: plain_solution(args.clip, args.chunk, True)),
        "p'": ("(p') the same as a 20-line script (decode + process)", lambda _: plain_solution(args.clip, 0, False)),
        "a1": ("(a1) posecheck model alone, num_poses=1", lambda _: model_alone(args.clip, MediaPipeOptions(num_poses=1), args.chunk)),
        "a2": ("(a2) model alone, default (detector every frame, 2 poses)", lambda _: model_alone(
            args.clip, MediaPipeOptions(num_poses=2, person_check_s=0), args.chunk)),
        "a": ("(a)  model alone, --fast-model (1 tracked, look every 2 s)", lambda _: model_alone(args.clip, MediaPipeOptions(person_check_s=2.0), args.chunk)),
        "c1": ("(c1) analyze --no-video --workers 1", lambda out: cli_analyze(args.clip, args.spec, out, "--no-video", "--workers", "1")),
        "c2": ("(c2) analyze --no-video (parallel segments)", lambda out: cli_analyze(args.clip, args.spec, out, "--no-video", *parallel)),
        "f2": ("(f2) analyze --no-video --fast-model (parallel)", lambda out: cli_analyze(
            args.clip, args.spec, out, "--no-video", "--fast-model", *parallel)),
        "v1": ("(v1) analyze --workers 1, annotated video", lambda out: cli_analyze(args.clip, args.spec, out, "--workers", "1")),
        "v2": ("(v2) analyze, annotated video (parallel)", lambda out: cli_analyze(args.clip, args.spec, out, *parallel)),
    }  # fmt: skip
    runs: dict[str, list[tuple[int, float, tuple[float, float]]]] = {}
    rss: dict[str, float] = {}
    for _ in range(args.repeat):
        for key, (_name, stage) in stages.items():  # interleaved, so a slow spell of the machine hits all
            meter = CpuMeter()
            with tempfile.TemporaryDirectory() as out:
                n, seconds = stage(Path(out) / "results")
            runs.setdefault(key, []).append((n, seconds, meter.cores()))
            rss.setdefault(key, peak_rss_mb() if key[0] in "pa" else peak_rss_mb(resource.RUSAGE_CHILDREN))

    def median(key: str) -> tuple[int, float, float, float]:
        ordered = sorted(runs[key], key=lambda r: r[0] / r[1])
        n, seconds, (own, _others) = ordered[len(ordered) // 2]
        return n, seconds, own, max(r[2][1] for r in runs[key])

    base = median("p")[0] / median("p")[1]
    print(
        f"\n{'stage':<56} {'frames':>6} {'seconds':>8} {'fps':>7} {'x (p)':>6} {'peak RSS MB':>11} {'cores':>6} {'others':>6}"
    )
    for key, (name, _stage) in stages.items():
        n, seconds, own, others = median(key)
        fps = n / seconds
        print(
            f"{name:<56} {n:>6} {seconds:>8.2f} {fps:>7.1f} {fps / base:>6.2f} {rss[key]:>11.0f} {own:>6.2f} {others:>6.2f}"
        )
    busiest = max(median(k)[3] for k in stages)
    if busiest > 0.15:
        print(f"\nwarning: other processes used up to {busiest:.2f} cores during a stage; ratios are unreliable")
    print(
        f"median of {args.repeat} run(s) per stage, stages interleaved; 'others': the most CPU any run saw used by "
        "other processes; peak RSS: this process's peak for (p)/(a) stages, the largest child's for analyze "
        "(a high-water mark: it only grows)"
    )
    ratio = median("c2")[0] / median("c2")[1] / base
    verdict = "meets" if ratio >= TARGET else "misses"
    print(f"\n(c2) = {ratio:.2f} x the plain solution on decoded frames: {verdict} the {TARGET:.1f} x target")


if __name__ == "__main__":
    main()
