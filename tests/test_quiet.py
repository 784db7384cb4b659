"""The fd-2 silencer: native noise dropped, everything else written back, fd 2 always restored."""

from __future__ import annotations

import os
import threading

import pytest

from posecheck._quiet import is_noise, quiet_stderr

NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795634053.155618    2902 task_runner.cc:85] GPU suport is not available\n"
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
    "W0000 00:00:1795634053.300696    2920 inference_feedback_manager.cc:114] Feedback manager ...\n"
    "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55b332a7ac00] moov atom not found\n"
    "[ WARN:0@0.014] global cap_v4l.cpp:913 open VIDEOIO(V4L2:/dev/video0): can't open camera by index\n"
)


@pytest.mark.parametrize("line", NOISE.splitlines())
def test_known_noise(line: str) -> None:
    assert is_noise(line)


@pytest.mark.parametrize(
    "line",
    [
        "E0000 00:00:1795634053.1 123 graph.cc:1] calculator failed",
        "Traceback (most recent call last):",
        "ERROR: The model is not a valid Flatbuffer buffer",
        "[ERROR:0@0.030] global obsensor_uvc_stream_channel.cpp:158 Camera index out of range",
    ],
)
def test_real_errors_are_not_noise(line: str) -> None:
    assert not is_noise(line)


def test_noise_is_dropped_and_the_rest_written_back(capfd: pytest.CaptureFixture[str]) -> None:
    with quiet_stderr() as log:
        os.write(2, NOISE.encode())
        os.write(2, b"E0000 something real went wrong\n")
    assert log.text == NOISE + "E0000 something real went wrong\n"
    assert capfd.readouterr().err == "E0000 something real went wrong\n"
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"  # fd 2 is back


def test_fd2_is_restored_when_the_block_raises(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ZeroDivisionError), quiet_stderr():
        os.write(2, b"ERROR: kept\n")
        _ = 1 / 0
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "ERROR: kept\nafter\n"


def test_discard_drops_even_real_lines(capfd: pytest.CaptureFixture[str]) -> None:
    with quiet_stderr():
        os.write(2, b"ERROR: shown\n")
        with quiet_stderr() as inner:
            os.write(2, b"ERROR: reported in an exception instead\n")
            inner.discard = True
    assert capfd.readouterr().err == "ERROR: shown\n"


def test_overlapping_blocks_from_two_threads_restore_fd2(capfd: pytest.CaptureFixture[str]) -> None:
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with quiet_stderr():
            os.write(2, b"ERROR: from the other thread\n")
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with quiet_stderr():
        thread.start()
        entered.wait(5)
    os.write(2, b"ERROR: while the other block is open\n")  # still redirected: replayed at the end
    release.set()
    thread.join()
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert err.splitlines() == ["ERROR: from the other thread", "ERROR: while the other block is open", "after"]
