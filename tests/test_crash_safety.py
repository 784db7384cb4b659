"""Nothing lost, never a traceback: signals, full disks, failing sinks, stale results, the pose child."""

from __future__ import annotations

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS, seed_cache

from posecheck.errors import OutputError
from posecheck.pipeline import analyze
from posecheck.spec import find_spec
from posecheck.track import load_track

BRIDGE = SAMPLE_VIDEOS / "glute_bridge_demo.mp4"
SHM = Path("/dev/shm")


def _shm_rings() -> set[str]:
    return {p.name for p in SHM.glob("posecheck-frames-*")} if SHM.is_dir() else set()


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0): look at its state
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pids: list[int], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while any(_alive(c) for c in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [c for c in pids if _alive(c)], "a child process outlived the run"


def _valid_outputs(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text())
    with (out / "frames.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    complete = [r for r in rows[1:] if len(r) == len(header)]
    assert len(complete) >= len(rows) - 2  # at most the row being written when killed is cut
    return report


@pytest.mark.model
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_mid_run_keeps_a_valid_report_of_the_reps_done(tmp_path, sig):
    out = tmp_path / "o"
    rings_before = _shm_rings()
    proc = subprocess.Popen(
        [sys.executable, "-m", "posecheck", "analyze", str(BRIDGE), "-e", "glute_bridge", "--out", str(out), "--no-cache"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen = 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            seen = json.loads((out / "report.json").read_text())["rep_count"]
        except (OSError, ValueError, KeyError):
            pass
        if seen >= 2:
            break
        time.sleep(0.2)
    assert seen >= 2, "the run ended or stalled before its second rep"
    children = _children(proc.pid)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and stderr.strip().splitlines()[-1].endswith("results so far were kept")
        assert "Traceback" not in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    _wait_gone(children)
    assert _shm_rings() <= rings_before
    report = _valid_outputs(out)
    assert seen <= report["rep_count"] <= seen + 1
    track = load_track(out)
    assert not track.complete and len(track) >= report["frames"] - 45  # all but the last ~second
    if sig == signal.SIGTERM:
        assert any("interrupted" in w for w in report["warnings"])
        assert len(track) == report["frames"]


@pytest.fixture()
def bridge_cached(recorded, private_track_cache):
    """The bridge sample's track in this test's cache: analyze replays it (the same results, no model)."""
    seed_cache(recorded("glute_bridge_demo"), private_track_cache)
    return recorded("glute_bridge_demo")


@pytest.mark.model
def test_a_full_disk_is_one_clear_error_and_the_report_is_still_written(bridge_cached, tmp_path, monkeypatch):
    from posecheck.sinks.report import FramesCsv

    real_write = FramesCsv.write

    def write(self, step):
        if step.frame.index >= 300:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, step)

    monkeypatch.setattr(FramesCsv, "write", write)
    with pytest.raises(OutputError, match=r"frames\.csv: cannot write \(No space left on device\): the disk is full"):
        analyze(BRIDGE, find_spec("glute_bridge"), tmp_path, write_video=False)
    report = json.loads((tmp_path / "report.json").read_text())
    expected = json.loads((bridge_cached / "report.json").read_text())
    assert report["reps"] == expected["reps"]  # the analysis went on; only frames.csv stopped
    assert any("the disk is full" in w for w in report["warnings"])


def test_a_real_full_disk_gives_one_line_and_keeps_the_report(bridge_cached, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "posecheck", "analyze", str(BRIDGE), "-e", "glute_bridge", "--out", str(mnt / "a"),
             "--no-video"], capture_output=True, text=True, timeout=300, env=os.environ.copy(),
        )  # fmt: skip
        assert proc.returncode == 6, proc.stderr
        assert "Traceback" not in proc.stderr and "the disk is full" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        report = json.loads((mnt / "a" / "report.json").read_text())
        assert report["rep_count"] == 8
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.mark.model
def test_an_annotated_video_writer_that_fails_mid_run_does_not_lose_the_report(bridge_cached, tmp_path, monkeypatch):
    from posecheck.sinks.video import ReplayedAnnotatedVideo

    def write(self, step):
        if step.frame.index == 200:
            raise OutputError(f"{self.path}: the annotated-video writer stopped (exit code -9)")

    monkeypatch.setattr(ReplayedAnnotatedVideo, "write", write)
    with pytest.raises(OutputError, match="annotated-video writer stopped"):
        analyze(BRIDGE, find_spec("glute_bridge"), tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["rep_count"] == 8 and (tmp_path / "frames.csv").is_file()
    assert any("annotated-video writer stopped" in w for w in report["warnings"])


@pytest.mark.model
def test_a_used_output_folder_is_cleared_of_the_old_results_first(bridge_cached, tmp_path):
    (tmp_path / "annotated.mp4").write_bytes(b"old")
    (tmp_path / "report.json").write_text("{}")
    (tmp_path / "my_notes.txt").write_text("mine")
    report = analyze(BRIDGE, find_spec("glute_bridge"), tmp_path, write_video=False)
    assert not (tmp_path / "annotated.mp4").exists() and (tmp_path / "my_notes.txt").read_text() == "mine"
    assert any("replaced the results of an earlier run" in n for n in report.notes)
    proc = subprocess.run([sys.executable, "-m", "posecheck", "analyze", str(BRIDGE), "-e", "glute_bridge",
                           "--out", str(tmp_path), "--no-video"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0 and "posecheck: note: replaced the results of an earlier run" in proc.stderr


def test_an_image_named_like_a_video_is_refused(tmp_path):
    import cv2

    fake = tmp_path / "clip.mp4"
    ok, png = cv2.imencode(".png", np.zeros((32, 32, 3), np.uint8))
    fake.write_bytes(png.tobytes())
    proc = subprocess.run([sys.executable, "-m", "posecheck", "analyze", str(fake), "-e", "glute_bridge",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 3
    assert proc.stderr.strip() == (
        f"posecheck: error: {fake}: is a still PNG image named like a video; a rep needs movement: pass a "
        "video, or a folder of images taken in sequence"
    )


@pytest.mark.model
def test_the_pose_child_imports_the_callers_posecheck_not_the_current_folders(tmp_path, monkeypatch):
    from posecheck.frame import Frame
    from posecheck.pose.process import PoseProcess

    impostor = tmp_path / "posecheck"
    impostor.mkdir()
    (impostor / "__init__.py").write_text("raise SystemExit('the wrong posecheck was imported')\n")
    monkeypatch.chdir(tmp_path)
    with PoseProcess() as backend:
        assert backend.detect(Frame(0, 0.0, np.zeros((64, 64, 3), np.uint8))) == []


@pytest.mark.model
def test_the_pose_child_exits_quietly_when_its_parent_is_killed(tmp_path):
    code = (
        "import sys, time, numpy as np; from posecheck.pose.process import PoseProcess; "
        "from posecheck.frame import Frame; b = PoseProcess(); b.open(); "
        "frames = (Frame(i, i * 33.0, np.zeros((480, 640, 3), np.uint8)) for i in range(10**6)); "
        "print('ready', flush=True); [None for _ in b.stream(frames)]"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    children = _children(proc.pid)
    proc.kill()
    _, stderr = proc.communicate(timeout=30)  # EOF once the child, which shares stderr, has gone too
    assert children
    _wait_gone(children)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
