"""The pose backend in a process of its own (real MediaPipe model in the child): same answers as in
this process, frames in flight, ring resizing, errors, a child that dies, clean-up."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS
from test_pose_backend import frames_from, scenery

from posecheck.errors import ModelError
from posecheck.frame import Frame
from posecheck.pose import create_backend, detect_each
from posecheck.pose.process import PoseProcess

BRIDGE = SAMPLE_VIDEOS / "glute_bridge_demo.mp4"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def frames() -> list[Frame]:
    return frames_from(BRIDGE, 2000.0, 12)


def same_poses(a, b) -> bool:
    return len(a) == len(b) and all(
        np.allclose(p.image_px, q.image_px, atol=1e-3) and np.allclose(p.visibility, q.visibility, atol=1e-4)
        for p, q in zip(a, b)
    )


def test_the_child_answers_as_the_backend_in_this_process_would(private_cache, frames) -> None:
    with create_backend() as here:
        expected = [here.detect(f) for f in frames]
    with create_backend(own_process=True) as there:
        assert isinstance(there, PoseProcess)
        got = list(detect_each(frames, there))
    assert [f.index for f, _ in got] == [f.index for f in frames]
    assert all(same_poses(p, e) for (_, p), e in zip(got, expected))
    assert sum(1 for e in expected if e) >= 10  # the comparison was about people, not empty lists
    pose = got[0][1][0]
    assert not pose.image_px.flags.writeable  # validated again on this side, read-only like any Pose


def test_frames_stay_in_flight_and_a_stopped_stream_leaves_nothing_behind(private_cache, frames) -> None:
    with PoseProcess(in_flight=3) as backend:
        stream = backend.stream(frames)
        first = [next(stream) for _ in range(2)]
        assert backend._unread == 2  # while the caller works on a result, the model has the next two
        stream.close()
        later = frames[6]
        fresh = backend.detect(Frame(later.index, later.timestamp_ms, later.image))
    with create_backend() as here:  # the frames the child saw: four sent ahead, then frame 6
        for f in [*frames[:4], frames[6]]:
            expected = here.detect(f)
    assert [f.index for f, _ in first] == [frames[0].index, frames[1].index]
    assert same_poses(fresh, expected)


def test_a_larger_frame_gets_a_larger_ring(private_cache) -> None:
    sizes = [(320, 240), (320, 240), (640, 480), (320, 240), (800, 600)]
    frames = [Frame(i, 40.0 * i, scenery(i, size)) for i, size in enumerate(sizes)]
    with PoseProcess(in_flight=2) as backend:
        got = list(backend.stream(frames))
    assert [f.index for f, _ in got] == list(range(len(sizes)))
    assert all(poses == [] for _, poses in got)


def test_errors_of_the_backend_arrive_as_the_same_error(private_cache, frames, tmp_path) -> None:
    missing = tmp_path / "nope.task"
    with pytest.raises(ModelError, match=r"nope\.task") as here:
        create_backend(model_path=missing)
    with pytest.raises(ModelError) as there:
        create_backend(model_path=missing, own_process=True)
    assert str(there.value) == str(here.value)
    with PoseProcess() as backend:
        backend.detect(frames[1])
        with pytest.raises(ModelError, match=r"frame \d+: timestamp .* is not after the previous frame"):
            backend.detect(frames[0])


def test_a_child_that_dies_is_one_clear_error(private_cache, frames) -> None:
    backend = PoseProcess()
    backend.open()
    try:
        os.kill(backend._proc.pid, signal.SIGKILL)
        with pytest.raises(ModelError, match=r"pose model's process stopped unexpectedly \(exit code -9\)"):
            list(backend.stream(frames[:4]))
    finally:
        backend.close()


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")
def test_the_model_gets_cpus_of_its_own_and_gives_them_back(private_cache) -> None:
    before = os.sched_getaffinity(0)
    with PoseProcess() as backend:  # a library does not move its caller's threads unless asked
        assert os.sched_getaffinity(backend._proc.pid) == os.sched_getaffinity(0) == before
    with PoseProcess(pin_cpus=True) as backend:
        child = os.sched_getaffinity(backend._proc.pid)
        here = os.sched_getaffinity(0)
        proc = backend._proc
    assert child and here and not (child & here) and child | here == before
    assert os.sched_getaffinity(0) == before
    assert proc.poll() == 0  # asked to stop, and it did
    backend.close()  # twice is fine
