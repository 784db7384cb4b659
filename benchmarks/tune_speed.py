"""Re-evaluation speed: how fast a recorded pose track goes through the sampler and the evaluator.

``posecheck tune`` re-evaluates a recorded session every time a threshold is edited; the target is a
10-minute 30 fps session (18,000 frames) in 0.5 s, i.e. 36,000 frames/s for sampler + evaluator.
For each shipped spec this builds such a track (the spec's sample clip's true landmarks, tiled, with
noise, low-visibility and dropped frames), then prints side by side, in frames/s:

- the frame-by-frame path ``analyze`` and ``live`` use (``Sampler.update`` + ``Evaluator.update``),
  measured on the first ``--per-frame`` frames;
- the whole-track path (``Sampler.update_track``, then ``Evaluator.update`` on its samples): sampler
  alone, evaluator alone, both, and the ratio of both to the target;

then where the track path's time goes, in µs per frame, stage by stage, and the cost of one numpy
ufunc call on 66 floats on this machine (the unit most of the recursive stages are counted in: a busy
machine slows them all alike). Every figure is the best of ``--repeat`` runs, in process CPU time.
It also checks that both paths gave the same samples.

    python benchmarks/tune_speed.py
    python benchmarks/tune_speed.py --spec lunge --minutes 10 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posecheck import metrics as m
from posecheck.evaluator import Evaluator
from posecheck.landmarks import COUNT
from posecheck.pose.types import Pose
from posecheck.sampler import Sample, Sampler, extend_with_midpoints
from posecheck.spec import ExerciseSpec, find_spec
from posecheck.spec.loader import load_spec

TARGET_FPS = 36_000.0
FPS = 30.0
SPECS_DIR = ROOT / "exercise_specs"
CLIPS = ROOT / "sample_videos"


def make_track(spec_id: str, frames: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A ``frames``-long 30 fps track: the spec's sample clip's true landmarks, tiled, made realistic.

    Pixel noise (1 px), visibility high where the landmark is in the image and low elsewhere (0.1 %
    of the in-frame ones dip below 0.5), occasional landmark jumps (bone-length check), and 1 % of the
    frames with nobody followed, some in runs.
    """
    rng = np.random.default_rng(seed)
    clip = CLIPS / f"{spec_id}_demo.truth.npz"
    with np.load(clip) as z:
        px0, world0, in_frame0 = z["image_px"], z["world_m"], z["in_frame"]
    reps = frames // len(px0) + 1
    px = np.tile(px0, (reps, 1, 1))[:frames] + rng.normal(0, 1.0, (frames, COUNT, 2)).astype(np.float32)
    jumps = rng.random((frames, COUNT)) < 0.0005
    px[jumps] += rng.normal(0, 120, (int(jumps.sum()), 2)).astype(np.float32)
    in_frame = np.tile(in_frame0, (reps, 1))[:frames]
    vis = np.where(in_frame, rng.uniform(0.8, 1.0, in_frame.shape), rng.uniform(0.0, 0.3, in_frame.shape))
    vis[rng.random(vis.shape) < 0.001] = 0.3
    world = np.tile(world0, (reps, 1, 1))[:frames]
    found = rng.random(frames) > 0.005
    for start in rng.integers(0, frames, max(1, frames // 3000)):
        found[start : start + 10] = False
    px[~found] = np.nan
    world[~found] = np.nan
    return {
        "t_ms": np.arange(frames) * 1000.0 / FPS,
        "image_px": px.astype(np.float32),
        "visibility": vis.astype(np.float32),
        "presence": np.ones((frames, COUNT), np.float32),
        "world_m": world.astype(np.float32),
        "people_in_view": found.astype(int),
        "found": found,
    }


def poses_of(track: dict[str, np.ndarray], frames: int) -> list[Pose | None]:
    """The Pose objects the frame-by-frame path would get."""
    out: list[Pose | None] = []
    for i in range(frames):
        if not track["found"][i]:
            out.append(None)
            continue
        w = track["world_m"][i]
        out.append(Pose(track["image_px"][i], track["visibility"][i], (640, 480), track["presence"][i],
                        w if np.isfinite(w).all() else None))  # fmt: skip
    return out


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The least CPU time of ``repeat`` runs (seconds) and the last run's result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.process_time()
        result = run()
        times.append(time.process_time() - t0)
    return min(times), result


def same_samples(a: list[Sample], b: list[Sample]) -> bool:
    for x, y in zip(a, b):
        fields = ("timestamp_ms", "side", "facing", "pose_found", "people_in_view")
        if [getattr(x, f) for f in fields] + list(x.values) != [getattr(y, f) for f in fields] + list(y.values):
            return False
        if not np.array_equal([x.width_ratio, *x.values.values()], [y.width_ratio, *y.values.values()], equal_nan=True):
            return False
        if (x.points_px is None) != (y.points_px is None):
            return False
        if x.points_px is not None and not np.array_equal(x.points_px, y.points_px, equal_nan=True):
            return False
    return len(a) == len(b)


def run_track(spec: ExerciseSpec, track: dict[str, np.ndarray]) -> list[Sample]:
    return Sampler(spec).update_track(
        track["t_ms"], track["image_px"], track["visibility"], track["presence"], track["world_m"],
        track["people_in_view"], track["found"],
    )  # fmt: skip


def evaluate(spec: ExerciseSpec, samples: list[Sample]) -> Evaluator:
    evaluator = Evaluator(spec)
    update = evaluator.update
    for s in samples:
        update(s)
    evaluator.finish()
    return evaluator


def stage_times(spec: ExerciseSpec, track: dict[str, np.ndarray], repeat: int) -> dict[str, float]:
    """Seconds per stage of the track path, each stage run alone on the previous stage's output.

    Mirrors the steps of ``Sampler._measure`` (a benchmark may look inside; the code it measures
    is the code the sampler runs).
    """
    found = track["found"]
    t_s = track["t_ms"][found] / 1000.0
    vis, pres, px32 = track["visibility"][found], track["presence"][found], track["image_px"][found]
    world = track["world_m"][found]
    has_world = np.isfinite(world).all(axis=(1, 2))
    out: dict[str, float] = {}
    out["reliability (masks, bone median)"], raw = best_of(repeat, lambda: Sampler(spec)._reliable(px32, vis, pres))
    sampler = Sampler(spec)
    if sampler._filter is not None:
        gaps = np.diff(t_s, prepend=np.nan) > 0.5

        def smooth() -> np.ndarray:
            assert sampler._filter is not None
            sampler._filter.reset()
            return sampler._filter.filter_track(raw, t_s, gaps)

        out["One Euro filter"], raw = best_of(repeat, smooth)

    def geometry() -> tuple[np.ndarray, np.ndarray]:
        pts = extend_with_midpoints(raw)
        face = m.facing(raw).astype(int)
        m.width_ratio(raw).tolist()
        return pts, face

    out["midpoints, facing, width"], (pts, face) = best_of(repeat, geometry)

    def sides() -> list[str | None]:
        return Sampler(spec)._sides.update_track(raw, vis, world, has_world, face, t_s)

    out["side choice"], chosen = best_of(repeat, sides)
    metrics = Sampler(spec)._metrics
    side = max(set(chosen), key=chosen.count)

    def values() -> list[list[float]]:
        return [metric.values(pts, side, face).tolist() for metric in metrics.values()]

    out["metric geometry"], columns = best_of(repeat, values)

    def baselines() -> None:
        s = Sampler(spec)
        for (name, _), column in zip(metrics.items(), columns):
            if name in s._baseline:
                s._baseline[name].relative_many(column, t_s.tolist())

    out["baselines (sliding percentile)"], _ = best_of(repeat, baselines)
    total, _ = best_of(repeat, lambda: run_track(spec, track))
    out["Samples + rest (total - above)"] = max(0.0, total - sum(out.values()))
    return out


def ufunc_call_us(repeat: int) -> float:
    a, b, c = np.random.rand(66), np.random.rand(66), np.empty(66)
    add = np.add

    def run() -> None:
        for _ in range(20_000):
            add(a, b, c)

    return best_of(repeat, run)[0] / 20_000 * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", action="append", help="a spec id or file (default: every shipped spec)")
    parser.add_argument("--minutes", type=float, default=10.0, help="track length (default 10 = 18,000 frames)")
    parser.add_argument("--per-frame", type=int, default=3000, help="frames timed on the frame-by-frame path")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    args = parser.parse_args(argv)
    specs = [load_spec(s) if s.endswith(".toml") else find_spec(s) for s in args.spec] if args.spec else [
        load_spec(p) for p in sorted(SPECS_DIR.glob("*.toml"))
    ]  # fmt: skip
    frames = int(round(args.minutes * 60 * FPS))
    per_frame = min(args.per_frame, frames)
    print(f"track: {frames} frames ({args.minutes:g} min at {FPS:g} fps); target {TARGET_FPS:,.0f} frames/s "
          f"(sampler + evaluator); best of {args.repeat}, CPU time")  # fmt: skip
    header = (
        f"{'spec':20s} {'per-frame':>10s} | {'sampler':>9s} {'evaluator':>9s} {'both':>9s} {'vs target':>9s} "
        f"{'speed-up':>8s}  same"
    )
    print(header)
    print("-" * len(header))
    breakdowns = {}
    for spec in specs:
        track = make_track(spec.id, frames)
        poses = poses_of(track, per_frame)

        def frame_by_frame() -> list[Sample]:
            sampler, evaluator = Sampler(spec), Evaluator(spec)
            out = []
            for i, pose in enumerate(poses):
                s = sampler.update(pose, float(track["t_ms"][i]), int(track["people_in_view"][i]))
                evaluator.update(s)
                out.append(s)
            return out

        t_frame, by_frame = best_of(args.repeat, frame_by_frame)
        t_sampler, samples = best_of(args.repeat, lambda: run_track(spec, track))
        t_eval, _ = best_of(args.repeat, lambda: evaluate(spec, samples))
        t_both, _ = best_of(args.repeat, lambda: evaluate(spec, run_track(spec, track)))
        fps_frame = per_frame / t_frame
        fps_both = frames / t_both
        same = same_samples(by_frame, samples[:per_frame])
        print(
            f"{spec.id:20s} {fps_frame:10,.0f} | {frames / t_sampler:9,.0f} {frames / t_eval:9,.0f} {fps_both:9,.0f} "
            f"{fps_both / TARGET_FPS:8.0%} {fps_both / fps_frame:7.0f}x  {'yes' if same else 'NO'}"
        )
        stages = stage_times(spec, track, args.repeat)
        stages["evaluator"] = t_eval
        breakdowns[spec.id] = stages
    print()
    names = list(dict.fromkeys(k for b in breakdowns.values() for k in b))
    print(f"track path, µs per frame: {'stage':32s} " + " ".join(f"{s[:12]:>12s}" for s in breakdowns))
    for name in names:
        cells = " ".join(f"{1e6 * b.get(name, 0.0) / frames:12.2f}" for b in breakdowns.values())
        print(f"{'':26s}{name:32s} {cells}")
    cells = " ".join(f"{1e6 * sum(b.values()) / frames:12.2f}" for b in breakdowns.values())
    print(f"{'':26s}{'total':32s} {cells}")
    print(f"{'':26s}{'(target: 27.8 µs per frame)':32s}")
    print(f"\none numpy ufunc call on 66 floats here: {ufunc_call_us(args.repeat):.2f} µs "
          "(the One Euro filter is ~15 of them per frame)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
