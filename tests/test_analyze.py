"""End to end through the real pose model: `posecheck analyze` on sample and real videos, and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS

from posecheck.pipeline import analyze
from posecheck.spec import find_spec

pytestmark = pytest.mark.model
REPORT_KEYS = {"exercise", "source", "duration_s", "frames", "frames_with_pose", "rep_count",
               "rep_count_by_side", "reps", "holds", "warnings"}  # fmt: skip


def sample(name: str) -> Path:
    path = SAMPLE_VIDEOS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: regenerate with `python -m posecheck.synth sample_videos`")
    return path


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def bridge_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bridge")
    proc = cli("analyze", str(sample("glute_bridge_demo.mp4")), "--exercise", "glute_bridge", "--out", str(out))
    return proc, out


def test_analyze_writes_the_report_contract_csv_and_annotated_video(bridge_run):
    proc, out = bridge_run
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert REPORT_KEYS <= set(report)
    assert report["exercise"] == "glute_bridge" and report["rep_count_by_side"] == {}
    assert report["frames_with_pose"] >= 0.95 * report["frames"]
    for rep in report["reps"]:
        assert {"index", "side", "start_s", "end_s", "faults", "metrics"} <= set(rep)
        assert rep["end_s"] > rep["start_s"]
    with (out / "frames.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == report["frames"]
    assert {"time_s", "pose_found", "hip_line", "knee"} <= set(rows[0])
    times = [float(r["time_s"]) for r in rows]
    assert all(b > a for a, b in zip(times, times[1:]))
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == report["frames"]
    ok, first = cap.read()
    cap.release()
    assert ok and first.shape[:2] == (480, 640)
    assert "Reps counted:" in proc.stdout and "Results:" in proc.stdout


def test_the_bridge_sample_matches_its_truth(bridge_run):
    _, out = bridge_run
    report = json.loads((out / "report.json").read_text())
    truth = json.loads(sample("glute_bridge_demo.truth.json").read_text())
    assert report["rep_count"] == truth["rep_count"]
    assert [r["faults"] for r in report["reps"]] == [sorted(r["faults"]) for r in truth["reps"]]


def test_quiet_prints_nothing(tmp_path):
    proc = cli("analyze", str(sample("hip_flexor_stretch_demo.mp4")), "-e", "hip_flexor_stretch",
               "--out", str(tmp_path), "--quiet", "--no-video")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert not (tmp_path / "annotated.mp4").exists()


def _one_line_error(proc: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("posecheck: error: ") and "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_video(tmp_path):
    proc = cli("analyze", str(tmp_path / "nope.mp4"), "-e", "lunge", "--out", str(tmp_path / "o"))
    _one_line_error(proc, 3, "nope.mp4")


def test_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are my notes, not a video\n" * 10)
    _one_line_error(cli("analyze", str(fake), "-e", "lunge", "--out", str(tmp_path / "o")), 3, "notes.mp4")


def test_malformed_spec(tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text((Path(find_spec("glute_bridge").path)).read_text().replace("min = 165.0", "mni = 165.0"))
    proc = cli("analyze", str(sample("glute_bridge_demo.mp4")), "--spec", str(spec), "--out", str(tmp_path / "o"))
    _one_line_error(proc, 2, "mine.toml", "unknown key 'mni' in [checks.hips_low]; did you mean 'min'?")


def test_unknown_exercise_and_no_exercise(tmp_path):
    _one_line_error(cli("analyze", "x.mp4", "-e", "bridgez"), 2, "unknown exercise 'bridgez'")
    _one_line_error(cli("analyze", "x.mp4"), 2, "no exercise given")


def test_no_person_in_the_video_is_an_error_and_the_report_is_kept(tmp_path):
    video = tmp_path / "empty_room.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (320, 240))
    rng = np.random.default_rng(0)
    for _ in range(45):
        writer.write(np.full((240, 320, 3), 120, np.uint8) + rng.integers(0, 8, (240, 320, 3), dtype=np.uint8))
    writer.release()
    out = tmp_path / "o"
    proc = cli("analyze", str(video), "-e", "glute_bridge", "--out", str(out), "--no-video")
    _one_line_error(proc, 5, "no person found in any of its 45 frames")
    report = json.loads((out / "report.json").read_text())
    assert report["frames"] == 45 and report["frames_with_pose"] == 0 and report["rep_count"] == 0


def test_a_truncated_video_keeps_what_was_analysed(tmp_path):
    data = sample("glute_bridge_demo.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "o"
    proc = cli("analyze", str(cut), "-e", "glute_bridge", "--out", str(out), "--no-video")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    if (out / "report.json").exists():  # the container index was readable: frames up to the cut are kept
        report = json.loads((out / "report.json").read_text())
        assert any("stopped early" in w for w in report["warnings"])


def test_analyze_help_shows_examples():
    proc = cli("analyze", "--help")
    assert proc.returncode == 0 and "examples:" in proc.stdout and "--exercise" in proc.stdout


# -- real footage (../shared/videos), skipped when absent ------------------------------------------
REAL = [
    ("lunge/wahoo_lunges.mp4", "lunge", 8),
    ("glute_bridge/skatefit_glute_bridges.mp4", "glute_bridge", 3),
]


@pytest.mark.realvideo
@pytest.mark.parametrize("clip, exercise, expected", REAL)
def test_real_clips_count_within_one_of_the_manifest(shared_videos, tmp_path, clip, exercise, expected):
    report = analyze(shared_videos / clip, find_spec(exercise), tmp_path, write_video=False).to_json()
    assert abs(report["rep_count"] - expected) <= 1, report["reps"]


def test_an_annotated_video_writer_that_dies_is_one_clear_error(tmp_path):
    import os
    import signal

    from posecheck.errors import OutputError
    from posecheck.frame import Frame
    from posecheck.sampler import Sample
    from posecheck.sinks import Step
    from posecheck.sinks.video import ReplayedAnnotatedVideo

    video = sample("glute_bridge_demo.mp4")
    sink = ReplayedAnnotatedVideo(tmp_path / "annotated.mp4", find_spec("glute_bridge"), video, 30.0)
    step = Step(Frame(0, 0.0, np.zeros((4, 4, 3), np.uint8)), Sample(0.0, {}), (), "rest", False, 0, {}, frozenset())
    sink.write(step)
    os.kill(sink._process.pid, signal.SIGKILL)
    sink._process.join(10)
    with pytest.raises(OutputError, match=r"annotated\.mp4: the annotated-video writer stopped \(exit code -9\); "
                                          r"rerun with --no-video"):  # fmt: skip
        sink.write(step)
    with pytest.raises(OutputError, match=r"annotated-video writer failed \(exit code -9\)"):
        sink.close(None)


def test_an_annotated_video_that_cannot_be_opened_says_why(tmp_path):
    from posecheck.errors import OutputError
    from posecheck.frame import Frame
    from posecheck.sampler import Sample
    from posecheck.sinks import Step
    from posecheck.sinks.video import ReplayedAnnotatedVideo

    target = tmp_path / "no such folder" / "annotated.mp4"
    sink = ReplayedAnnotatedVideo(target, find_spec("glute_bridge"), sample("glute_bridge_demo.mp4"), 30.0)
    sink.write(Step(Frame(0, 0.0, np.zeros((4, 4, 3), np.uint8)), Sample(0.0, {}), (), "rest", False, 0, {},
                    frozenset()))  # fmt: skip
    with pytest.raises(OutputError, match=r"no such folder/annotated\.mp4: cannot open a video writer \(mp4v, 640x480\)"):
        sink.close(None)
