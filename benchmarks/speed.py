"""Speed benchmark: is the pose model the only bottleneck? Prints one table, measured in one run.

(a) the pose model alone, on frames decoded beforehand (in chunks, so memory stays bounded), in this
    process, and (a') in a process of its own as ``analyze`` runs it (its own CPU; frames reach it
    through shared memory);
(b) decode -> pose with ``prefetch`` decoding on the other core;
(c) the full ``posecheck.pipeline.analyze`` (metrics, evaluator, CSV/JSON, annotated video);
then each stage's ratio to the faster of (a) and (a') (target: (c) >= 95 %), the start-up figures (mediapipe
import, bundle build, log lines printed at start-up), the peak RSS after each stage, and the CPU that
other processes used meanwhile (on a shared machine they take the second core and spoil the ratios).

    python benchmarks/speed.py                                   # the shared wahoo lunge clip
    python benchmarks/speed.py path/to/clip.mp4 --spec lunge --num-poses 1
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posecheck.pose import bundle, create_backend, detect_each
from posecheck.pose.mediapipe_backend import MediaPipeOptions
from posecheck.sources import open_source, prefetch

DEFAULT_CLIP = ROOT.parent / "shared" / "videos" / "lunge" / "wahoo_lunges.mp4"
TARGET = 0.95


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


class CpuMeter:
    """CPU used by this process and by every other process while a stage runs (Linux /proc/stat).

    On a shared machine other processes steal the second core from decoding and the pipeline's
    worker threads; the table says how much, so a bad ratio is not mistaken for a slow pipeline.
    """

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
        t = os.times()  # children: analyze() draws the annotated video in a child process
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def cores(self) -> tuple[float, float]:
        """(cores used by this process and its finished children, by all others), averaged since creation."""
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


def model_alone(clip: Path, options: MediaPipeOptions, chunk: int, own_process: bool) -> tuple[int, float]:
    """(frames, seconds spent in detect) over the whole clip, decoding ``chunk`` frames at a time."""
    frames_done, busy = 0, 0.0
    with open_source(clip) as source, create_backend(options=options, own_process=own_process) as backend:
        batch: list = []
        for frame in source:
            batch.append(frame)
            if len(batch) == chunk:
                busy += _timed_detect(backend, batch)
                frames_done += len(batch)
                batch = []
        busy += _timed_detect(backend, batch)
        frames_done += len(batch)
    return frames_done, busy


def _timed_detect(backend, batch: list) -> float:
    started = time.perf_counter()
    for _ in detect_each(batch, backend):
        pass
    return time.perf_counter() - started


def decode_and_pose(clip: Path, options: MediaPipeOptions) -> tuple[int, float]:
    with open_source(clip) as source, create_backend(options=options) as backend:
        n = 0
        started = time.perf_counter()
        with prefetch(source) as frames:
            for frame in frames:
                backend.detect(frame)
                n += 1
        return n, time.perf_counter() - started


def full_pipeline(
    clip: Path, spec_name: str, options: MediaPipeOptions, out_dir: Path, *, warm: bool
) -> tuple[int, float]:
    """(frames, seconds) of ``analyze``; ``warm``: with a backend opened beforehand, else exactly as the
    CLI calls it (analyze opens the default model itself, so ``options`` do not apply)."""
    from posecheck.pipeline import analyze
    from posecheck.spec import find_spec

    spec = find_spec(spec_name)
    backend = create_backend(options=options, own_process=True) if warm else None
    started = time.perf_counter()
    report = analyze(clip, spec, out_dir, quiet=True, backend=backend, cache=False)  # the model runs each time
    return report.frames, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--spec", default="lunge", help="exercise spec for the full pipeline (default: lunge)")
    parser.add_argument("--num-poses", type=int, default=MediaPipeOptions().num_poses)
    parser.add_argument("--chunk", type=int, default=32, help="frames decoded ahead of (a) at a time")
    parser.add_argument("--repeat", type=int, default=1, help="run every stage this many times; medians shown")
    args = parser.parse_args()
    if not args.clip.is_file():
        sys.exit(f"{args.clip}: no such clip; pass one as the first argument")
    options = MediaPipeOptions(num_poses=args.num_poses)
    with open_source(args.clip) as source:
        info = source.info
    print(f"clip: {args.clip} ({info.width}x{info.height}, {info.frame_count} frames, {info.fps:.3f} fps)")
    print(f"options: num_poses={options.num_poses}; cpus: {os.cpu_count()}")

    started = time.perf_counter()
    import mediapipe  # noqa: F401  (timed here so the build below is the build alone)

    import_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        bundle.ensure_bundle(Path(scratch))
        build_s = bundle.last_build.seconds if bundle.last_build else float("nan")
    bundle.ensure_bundle()  # the user cache, so later stages do not build
    lines = count_startup_lines(options, args.clip)
    print(f"import mediapipe: {import_s:.2f} s; bundle build: {build_s:.2f} s; start-up log lines: {lines}")

    # (a) runs last: its decoded chunk would otherwise set the peak RSS shown for (b) and (c).
    runs: dict[str, list[tuple[int, float, float, tuple[float, float]]]] = {}

    def measure(key: str, stage: Callable[[], tuple[int, float]]) -> None:
        meter = CpuMeter()
        n, seconds = stage()
        runs.setdefault(key, []).append((n, seconds, peak_rss_mb(), meter.cores()))

    for _ in range(args.repeat):
        measure("b", lambda: decode_and_pose(args.clip, options))
        with tempfile.TemporaryDirectory() as out:
            measure("c", lambda: full_pipeline(args.clip, args.spec, options, Path(out) / "w", warm=True))
            measure("c'", lambda: full_pipeline(args.clip, args.spec, options, Path(out) / "c", warm=False))
        measure("a", lambda: model_alone(args.clip, options, args.chunk, own_process=False))
        measure("a'", lambda: model_alone(args.clip, options, args.chunk, own_process=True))
    names = {
        "a": "(a) pose model alone, frames decoded beforehand",
        "a'": "(a') the same, model in its own process",
        "b": "(b) decode -> pose with prefetch",
        "c": "(c) analyze(), model opened beforehand",
        "c'": "(c') analyze() as the CLI calls it (opens the model)",
    }
    medians = {}  # key -> (frames, seconds, first run's peak RSS, (own cores, most by others))
    for key, key_runs in runs.items():
        median = sorted(key_runs, key=lambda r: r[0] / r[1])[len(key_runs) // 2]
        others = max(r[3][1] for r in key_runs)
        first_rss = key_runs[0][2]  # later repeats would show the peak left by (a)'s decoded chunk
        medians[key] = (median[0], median[1], first_rss, (median[3][0], others))
    rows = [(names[key], *medians[key]) for key in names]

    def fps_of(key: str) -> float:
        return medians[key][0] / medians[key][1]

    base_fps = max(fps_of("a"), fps_of("a'"))  # the faster way to run the model alone
    print(
        f"\n{'stage':<54} {'frames':>6} {'seconds':>8} {'fps':>7} {'ratio':>7} {'peak RSS MB':>12}"
        f" {'cores used':>10} {'by others':>9}"
    )
    for name, n, s, rss, (own, others) in rows:
        fps = n / s
        print(
            f"{name:<54} {n:>6} {s:>8.2f} {fps:>7.1f} {fps / base_fps:>7.1%} {rss:>12.0f} {own:>10.2f} {others:>9.2f}"
        )
    busiest = max(others for *_, (_own, others) in rows)
    if busiest > 0.15:
        print(f"\nwarning: other processes used up to {busiest:.2f} cores during a stage; ratios are unreliable")
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(
        f"median of {args.repeat} run(s) per stage; 'by others': the most any run saw; peak RSS: this "
        f"process's peak after the stage's first run (order b, c, c', a, a'); child processes peaked at "
        f"{children_mb:.0f} MB"
    )
    print("ratio: fps over the faster of (a) and (a')")
    ratio = fps_of("c") / base_fps
    verdict = "meets" if ratio >= TARGET else "misses"
    print(f"\n(c) = {ratio:.1%} of the model alone: {verdict} the {TARGET:.0%} target")


if __name__ == "__main__":
    main()
