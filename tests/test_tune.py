"""Pose tracks, the replay backend, the track cache, `posecheck tune` and `posecheck calibrate`."""

from __future__ import annotations

import json
import queue
import re
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_SPECS, SAMPLE_VIDEOS, seed_cache

from posecheck.cache import TrackCache
from posecheck.errors import SpecError, TrackError
from posecheck.frame import Frame
from posecheck.pipeline import analyze
from posecheck.pose import PersonSelector
from posecheck.pose.replay import ReplayBackend
from posecheck.pose.types import Pose
from posecheck.spec import find_spec
from posecheck.track import FORMAT_VERSION, TRACK_NAME, TrackWriter, load_track
from posecheck.tune import evaluate

BRIDGE = "glute_bridge_demo"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})  # fmt: skip


def _pose(rng: np.random.Generator, world: bool = True) -> Pose:
    return Pose(
        rng.uniform(0, 640, (33, 2)).astype(np.float32), rng.uniform(0, 1, 33).astype(np.float32), (640, 480),
        rng.uniform(0, 1, 33).astype(np.float32), rng.normal(0, 0.3, (33, 3)).astype(np.float32) if world else None,
    )  # fmt: skip


def _write_track(folder: Path, frames: int = 80, close: bool = True) -> tuple[Path, list]:
    rng = np.random.default_rng(1)
    writer = TrackWriter(folder / TRACK_NAME, {"source": "x.mp4"}, max_poses=2)
    rows = []
    for i in range(frames):
        poses = [_pose(rng, world=i % 3 != 0) for _ in range(i % 3)]  # 0, 1 or 2 people
        followed = 0 if poses else -1
        frame = Frame(i, i * 33.3, np.zeros((480, 640, 3), np.uint8))
        writer.update(frame, poses, followed)
        rows.append((frame, poses, followed))
    if close:
        writer.close()
    return folder / TRACK_NAME, rows


# -- the track format ---------------------------------------------------------------------------------
def test_a_track_round_trips_every_array(tmp_path):
    path, rows = _write_track(tmp_path)
    track = load_track(tmp_path)
    assert len(track) == len(rows) and track.complete and track.meta["source"] == "x.mp4"
    assert not (tmp_path / (TRACK_NAME + ".parts")).exists()
    for i, (frame, poses, followed) in enumerate(rows):
        assert track.index[i] == frame.index and track.t_ms[i] == frame.timestamp_ms
        assert track.followed[i] == followed
        got = track.poses(i)
        assert len(got) == len(poses)
        for a, b in zip(got, poses):
            assert np.array_equal(a.image_px, b.image_px) and np.array_equal(a.visibility, b.visibility)
            assert np.array_equal(a.presence, b.presence) and a.image_size == b.image_size
            assert (a.world_m is None) == (b.world_m is None)
            if b.world_m is not None:
                assert np.array_equal(a.world_m, b.world_m)


def test_a_killed_run_keeps_its_track_up_to_the_last_second(tmp_path):
    _write_track(tmp_path, frames=100, close=False)  # 3.3 s; parts written each second, the rest lost
    track = load_track(tmp_path)
    assert not track.complete
    assert 60 <= len(track) < 100 and track.index[0] == 0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b"not a zip at all"), "cannot read the pose track"),
        (lambda p: np.savez(p, a=np.zeros(3)), "not a posecheck pose track"),
        (lambda p: np.savez(p, format=np.array("posecheck-pose-track"), version=np.array(FORMAT_VERSION + 1)),
         f"format version {FORMAT_VERSION + 1} is newer than this posecheck reads"),
        (lambda p: np.savez(p, format=np.array("posecheck-pose-track"), version=np.array(1)), "lacks the arrays"),
    ],
)  # fmt: skip
def test_a_bad_track_file_is_one_clear_error(tmp_path, make, message):
    path = tmp_path / TRACK_NAME
    make(path)
    with pytest.raises(TrackError, match=message):
        load_track(path)


def test_a_folder_without_a_track_says_what_to_do(tmp_path):
    with pytest.raises(TrackError, match=r"holds no pose_track.npz; analyse the video first: posecheck analyze"):
        load_track(tmp_path)


def test_replay_refuses_a_frame_the_track_does_not_hold(tmp_path):
    _write_track(tmp_path, frames=10)
    backend = ReplayBackend(load_track(tmp_path))
    with pytest.raises(TrackError, match=r"holds no frame 50 \(it has frames 0-9\)"):
        backend.detect(Frame(50, 0.0, np.zeros((4, 4, 3), np.uint8)))


# -- the cache --------------------------------------------------------------------------------------
def test_the_cache_turns_damaged_and_foreign_files_into_warnings(tmp_path):
    cache = TrackCache(tmp_path / "c", 10**9)
    assert cache.get("k1") == (None, None)
    cache.folder.mkdir()
    cache.path("k1").write_bytes(b"garbage")
    track, why = cache.get("k1")
    assert track is None and "damaged and is made again" in why and not cache.path("k1").exists()
    path, _ = _write_track(tmp_path)  # a complete track, but made for no key
    assert cache.put("k2", path) is None
    track, why = cache.get("k2")
    assert track is None and "belongs to another video or run" in why


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used(tmp_path):
    path, _ = _write_track(tmp_path)
    size = path.stat().st_size
    cache = TrackCache(tmp_path / "c", int(size * 2.5))
    for i, key in enumerate(("a", "b", "c")):
        cache.put(key, path)
        os.utime(cache.path(key), (1000 + i, 1000 + i))
    cache.put("d", path)
    assert sorted(p.stem for p in cache.folder.glob("*.npz")) == ["c", "d"]


# -- tune gives exactly what analyze gave -------------------------------------------------------------
@pytest.mark.model
@pytest.mark.parametrize("name", sorted(SAMPLE_SPECS))
def test_tune_with_the_unchanged_spec_reports_exactly_what_analyze_did(recorded, name):
    out = recorded(name)
    analysed = json.loads((out / "report.json").read_text())
    spec = find_spec(SAMPLE_SPECS[name])
    track = load_track(out)
    assert track.complete and len(track) == analysed["frames"]
    tuned = evaluate(track, spec).to_json()
    for key in ("rep_count", "rep_count_by_side", "reps", "holds", "warnings", "frames", "frames_with_pose"):
        assert tuned[key] == analysed[key], key
    # The recorded choice of person is what the selector gives again: replay it with the selector too.
    from posecheck.evaluator import Evaluator
    from posecheck.pipeline import LoopStats, run_loop

    evaluator = Evaluator(spec)
    run_loop(track.frames(), ReplayBackend(track), evaluator, [], LoopStats(), selector=PersonSelector())
    evaluator.finish()
    assert [r.faults for r in evaluator.summary.reps] == [tuple(r["faults"]) for r in analysed["reps"]]
    assert len(evaluator.summary.holds) == len(analysed["holds"])


@pytest.mark.model
def test_a_second_analysis_of_the_same_video_does_not_run_the_model(recorded, tmp_path, private_track_cache, monkeypatch):
    out = recorded(BRIDGE)
    seed_cache(out, private_track_cache)

    def no_model(*args, **kwargs):
        raise AssertionError("the pose model was started although the track is cached")

    monkeypatch.setattr("posecheck.pipeline.create_backend", no_model)
    report = analyze(SAMPLE_VIDEOS / f"{BRIDGE}.mp4", find_spec("lunge"), tmp_path / "again", write_video=False)
    assert report.exercise == "lunge" and report.frames == json.loads((out / "report.json").read_text())["frames"]
    same = analyze(SAMPLE_VIDEOS / f"{BRIDGE}.mp4", find_spec("glute_bridge"), tmp_path / "b", write_video=False)
    assert same.to_json()["reps"] == json.loads((out / "report.json").read_text())["reps"]


# -- the tune command ---------------------------------------------------------------------------------
def _edited_bridge(tmp_path: Path, **changes: str) -> Path:
    text = Path(find_spec("glute_bridge").path).read_text()
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "my_bridge.toml"
    path.write_text(text)
    return path


@pytest.mark.model
def test_tune_says_what_changed_per_rep_and_why(recorded, tmp_path):
    out = recorded(BRIDGE)
    spec = _edited_bridge(tmp_path, **{"min = 165.0": "min = 189.0", "enter = 11.0": "enter = 18.0"})
    proc = cli("tune", str(out), "--spec", str(spec), "--out", str(tmp_path / "t"))
    assert proc.returncode == 0, proc.stderr
    assert "rep count 8 -> 7" in proc.stdout
    assert "rep 1 (1.8-4.6 s): good form -> hips not lifted to a straight line" in proc.stdout
    assert "rep 6 (21.9-24.4 s) is no longer counted: the hip rise reached 16.2 deg but a rep needs 18.0 deg" in proc.stdout
    assert re.search(r"rep 1: hip line 18[78]\.\d deg vs min 189 deg: failed by [01]\.\d deg", proc.stdout), proc.stdout
    report = json.loads((tmp_path / "t" / "report.json").read_text())
    assert report["rep_count"] == 7 and (tmp_path / "t" / "frames.csv").is_file()
    again = cli("tune", str(out), "--spec", str(spec), "--out", str(tmp_path / "t"), "--quiet")
    assert again.returncode == 0 and "no change against the previous evaluation" in again.stdout


@pytest.mark.model
def test_tune_runs_with_mediapipe_and_opencv_unimportable(recorded, tmp_path):
    out = recorded(BRIDGE)
    code = (
        "import sys; sys.modules['mediapipe'] = None; sys.modules['cv2'] = None; "
        "from posecheck.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.run([sys.executable, "-c", code, "tune", str(out), "--out", str(tmp_path / "t"), "-q"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "no change against the previous evaluation" in proc.stdout


@pytest.mark.model
def test_tune_errors_are_one_line(recorded, tmp_path):
    out = recorded(BRIDGE)
    bad = _edited_bridge(tmp_path, **{"min = 165.0": "mni = 165.0"})
    proc = cli("tune", str(out), "--spec", str(bad))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "did you mean 'min'?" in proc.stderr
    proc = cli("tune", str(tmp_path / "nothing"), "-e", "glute_bridge")
    assert proc.returncode == 3 and "not a results folder" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("tune", str(out), "--watch")  # before any evaluation: nothing is written
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--watch needs --spec FILE" in proc.stderr
    assert not (out / "tune").exists()


@pytest.mark.model
def test_tune_watch_reevaluates_on_save_and_keeps_the_last_good_result(recorded, tmp_path):
    out = recorded(BRIDGE)
    spec = _edited_bridge(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "tune", str(out), "--spec", str(spec), "--watch", "-q",
                             "--out", str(tmp_path / "t")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    # A thread reads the output, so a line that never comes fails the test after 60 s instead of hanging it.
    output: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [output.put(line) for line in proc.stdout], daemon=True).start()
    try:
        lines: list[str] = []

        def wait_for(fragment: str) -> None:
            deadline = time.monotonic() + 60
            while (left := deadline - time.monotonic()) > 0:
                try:
                    line = output.get(timeout=left)
                except queue.Empty:
                    break
                lines.append(line)
                if fragment in line:
                    return
            raise AssertionError(f"{fragment!r} not seen in {lines}")

        wait_for("watching")
        spec.write_text(spec.read_text().replace("enter = 11.0", "enter = 18.0"))
        wait_for("rep count 8 -> 7")
        spec.write_text(spec.read_text().replace("min = 165.0", "mni = 165.0"))
        wait_for("the last good result is kept")
    finally:
        proc.terminate()
        proc.wait(10)
    assert json.loads((tmp_path / "t" / "report.json").read_text())["rep_count"] == 7


# -- calibrate ----------------------------------------------------------------------------------------
@pytest.mark.model
def test_calibrate_puts_thresholds_between_good_and_bad_reps(recorded, tmp_path):
    out = recorded(BRIDGE)  # reps 1-5 good, 6 hips low, 7 hip sag, 8 over-lift (sample truth)
    mine = tmp_path / "mine.toml"
    proc = cli("calibrate", str(out), "--good", "1-5", "--bad", "6,8", "--out", str(mine))
    assert proc.returncode == 0, proc.stderr
    assert "hips_low.min: 165 deg ->" in proc.stdout and "over_lift.max: 195 deg ->" in proc.stdout
    # Bad reps 6 and 8 are bad for their hip line, not their knees: a hair's difference in the knee angle
    # does not make it a separating check (the margin rule applies).
    assert re.search(r"knee_angle\.max: 140 deg -> \d+ deg \(good reps 1,2,3,4,5: ", proc.stdout), proc.stdout
    assert "not told apart" not in proc.stdout
    text = mine.read_text()
    assert "# calibrated from" in text and "between good reps 1,2,3,4,5" in text
    tuned = cli("tune", str(out), "--spec", str(mine), "--out", str(tmp_path / "t"), "-q")
    assert tuned.returncode == 0, tuned.stderr
    report = json.loads((tmp_path / "t" / "report.json").read_text())
    faults = {r["index"]: r["faults"] for r in report["reps"]}
    assert all(not faults[i] for i in range(1, 6)), faults
    assert "hips_low" in faults[6] and "over_lift" in faults[8]


@pytest.mark.model
def test_calibrate_says_which_reps_cannot_be_separated(recorded, tmp_path):
    out = recorded(BRIDGE)
    with pytest.raises(SpecError, match=r"at least 3 good reps; 2 given"):
        from posecheck.calibrate import propose

        propose(find_spec("glute_bridge"), out, [1, 2], [])
    proc = cli("calibrate", str(out), "--good", "1-4", "--bad", "5", "--out", str(tmp_path / "m.toml"))
    assert proc.returncode == 0, proc.stderr
    assert "bad rep 5 is not told apart from the good reps by any check" in proc.stdout
    proc = cli("calibrate", str(out), "--good", "1-5", "--bad", "99", "--out", str(tmp_path / "m.toml"))
    assert proc.returncode == 2 and "rep 99 does not exist" in proc.stderr
    proc = cli("calibrate", str(out), "--good", "one", "--out", str(tmp_path / "m.toml"))
    assert proc.returncode == 2 and "expected rep numbers and ranges such as 1-5,7" in proc.stderr
