"""One person tracked with a periodic look for others (PersonCheck), and a video's segments run by
several model processes at once (posecheck.pose.segments): same frames, same counts and faults."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import SAMPLE_SPECS, SAMPLE_VIDEOS

from posecheck.errors import ModelError
from posecheck.frame import Frame
from posecheck.pose import PersonSelector, create_backend, segments
from posecheck.pose.mediapipe_backend import MediaPipeOptions, PersonCheck
from posecheck.pose.segments import ParallelPoses, Segment, SegmentPoses, plan


# -- PersonCheck: when the many-person model answers ------------------------------------------------
def test_the_first_frame_is_checked_then_one_frame_per_period_on_a_fixed_grid():
    check = PersonCheck(2000.0)
    due = []
    for t in np.arange(0.0, 6000.0, 100.0):
        due.append(check.due(t))
        if due[-1]:
            check.saw(t, 1)
    assert [t for t, d in zip(np.arange(0.0, 6000.0, 100.0), due) if d] == [0.0, 2000.0, 4000.0]
    late = PersonCheck(2000.0)  # a segment that starts at 5.3 s checks on the same grid
    assert late.due(5300.0)
    late.saw(5300.0, 1)
    assert not late.due(5900.0) and late.due(6000.0)


def test_while_two_people_are_seen_every_frame_is_checked_until_a_period_without():
    check = PersonCheck(2000.0)
    check.saw(0.0, 2)
    assert check.crowded(1900.0) and check.due(100.0) and check.due(1900.0)
    check.saw(1900.0, 1)
    assert check.due(3800.0) and not check.crowded(3900.0)
    check.saw(3900.0, 1)
    assert not check.due(3950.0)


def test_a_zero_period_checks_every_frame():
    check = PersonCheck(0.0)
    check.saw(0.0, 1)
    assert check.due(1.0) and check.due(2.0)


def test_a_negative_check_period_is_refused():
    with pytest.raises(ModelError, match=r"MediaPipeOptions.person_check_s must be a number of seconds of at least 0"):
        MediaPipeOptions(person_check_s=-1)


# -- plan: how a video is cut ----------------------------------------------------------------------
def test_a_short_video_or_one_worker_is_not_cut():
    assert plan(300, 30.0, 2) == [Segment(0, None, 0)]  # 10 s < MIN_PARALLEL_S
    assert plan(3000, 30.0, 1) == [Segment(0, None, 0)]
    assert plan(0, 30.0, 2) == [Segment(0, None, 0)]  # frame count unknown


def test_a_long_video_is_cut_into_contiguous_warmed_segments():
    cuts = plan(2000, 25.0, 2)
    assert len(cuts) == 10 and cuts[0] == Segment(0, 200, 0) and cuts[-1].stop is None
    assert all(a.stop == b.start for a, b in zip(cuts, cuts[1:]))
    assert all(s.warm == 10 and s.first == s.start - 10 for s in cuts[1:])
    assert len(plan(12 * 30, 30.0, 4)) == 4  # at least one segment per worker


def _poses(first: int, t_ms: list[float]) -> SegmentPoses:
    n = len(t_ms)
    return SegmentPoses(Segment(first, first + n, 0), np.arange(first, first + n), np.array(t_ms), [[]] * n, True)


def test_a_seek_is_trusted_only_where_the_overlap_has_the_same_indices_and_times():
    before = _poses(0, [0.0, 40.0, 80.0, 120.0])
    after = SegmentPoses(Segment(4, 8, 2), np.arange(2, 8), np.array([80.0, 120.0, 160, 200, 240, 280]), [[]] * 6, True)
    assert segments._continues(before, after)
    shifted = SegmentPoses(after.segment, after.index, after.t_ms + 40.0, after.poses, True)
    assert not segments._continues(before, shifted)
    landed_elsewhere = SegmentPoses(after.segment, after.index + 1, after.t_ms, after.poses, True)
    assert not segments._continues(before, landed_elsewhere)


# -- with the real model -----------------------------------------------------------------------------
@pytest.fixture()
def short_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut even the short sample clips: segments of 3 s from 0 s of video."""
    monkeypatch.setattr(segments, "SEGMENT_S", 3.0)
    monkeypatch.setattr(segments, "MIN_PARALLEL_S", 0.0)


def _frames(path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    images = [cap.read()[1] for _ in range(n)]
    cap.release()
    return images


@pytest.mark.model
def test_a_second_person_is_noticed_within_a_check_period_and_followed_out_again(private_cache):
    """One person alone for 2 s, a second beside them for 3 s, then alone again: the model tracks one,
    looks for more every person_check_s, and answers with everyone while there are two."""
    images = _frames(SAMPLE_VIDEOS / "lunge_demo.mp4", 200)
    empty = np.full_like(images[0], 200)
    counts = []
    with create_backend(options=MediaPipeOptions(person_check_s=1.0)) as backend:  # --fast-model's way
        selector = PersonSelector()
        for i in range(240):
            t = i * 1000.0 / 30
            right = images[(i + 40) % 200] if 60 <= i < 150 else empty
            poses = backend.detect(Frame(i, t, np.hstack([images[i % 200], right])))
            selector.update(poses, t)
            counts.append(selector.people_in_view)
    assert counts[:60] == [1] * 60
    assert 2 not in counts[:60] and all(c == 2 for c in counts[95:150])  # noticed by the check at 3 s
    assert all(c == 1 for c in counts[190:])  # back to one person tracked after a period without


@pytest.mark.model
def test_segments_give_every_frame_once_with_the_times_of_one_read(private_cache, short_segments):
    path = SAMPLE_VIDEOS / "clamshell_demo.mp4"
    cap = cv2.VideoCapture(str(path))
    times = []
    while cap.grab():
        times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    cap.release()
    with ParallelPoses(path, frame_count=len(times), fps=30.0, size=size, workers=2) as poses:
        got = [(f.index, f.timestamp_ms, f.size, len(poses.detect(f))) for f in poses.frames()]
        assert len(poses.segments) > 2 and poses.reseeked == 0
    assert [g[0] for g in got] == list(range(len(times)))
    assert np.allclose([g[1] for g in got], times, atol=0.5)
    assert {g[2] for g in got} == {size} and sum(g[3] for g in got) > 0.9 * len(times)


@pytest.mark.model
def test_a_seek_that_lands_wrong_is_decoded_again_from_the_start(private_cache, short_segments, monkeypatch):
    monkeypatch.setattr(segments, "_continues", lambda before, after: after.seeked is False)
    path = SAMPLE_VIDEOS / "clamshell_demo.mp4"
    with ParallelPoses(path, frame_count=900, fps=30.0, size=(640, 480), workers=2) as poses:
        third = poses.segments[2].start
        indices = []
        for frame in poses.frames():  # the first three segments are enough to see it
            if frame.index >= third:
                break
            indices.append(frame.index)
        assert poses.reseeked == 2
    assert indices == list(range(third))


def _outcome(report: dict) -> list[tuple]:
    return [(r.get("side"), tuple(sorted(r.get("faults", [])))) for r in report["reps"]]


@pytest.mark.model
@pytest.mark.parametrize("name", ["lunge_demo"])  # all samples and real clips: benchmarks/accuracy.py --workers 2
def test_analysed_in_segments_the_counts_and_faults_are_those_of_one_process(
    name, recorded, shared_tracks, short_segments, tmp_path
):
    from posecheck.pipeline import analyze
    from posecheck.spec import find_spec

    whole = json.loads((recorded(name) / "report.json").read_text())
    report = analyze(SAMPLE_VIDEOS / f"{name}.mp4", find_spec(SAMPLE_SPECS[name]), tmp_path, write_video=False,
                     write_html=False, cache=False, workers=2).to_json()  # fmt: skip
    assert report["rep_count"] == whole["rep_count"] > 0
    assert _outcome(report) == _outcome(whole)
    assert report["frames"] == whole["frames"]


def test_the_default_model_keeps_the_cache_keys_of_earlier_tracks_and_the_fast_one_has_its_own():
    from posecheck.pipeline import model_identity

    default = model_identity("mediapipe", None, MediaPipeOptions())["options"]
    fast = model_identity("mediapipe", None, MediaPipeOptions(person_check_s=2.0))["options"]
    assert "person_check_s" not in default and fast["person_check_s"] == 2.0


@pytest.mark.model
def test_a_segment_under_way_when_the_run_stops_is_dropped_at_once(private_cache, short_segments):
    path = SAMPLE_VIDEOS / "clamshell_demo.mp4"
    with ParallelPoses(path, frame_count=900, fps=30.0, size=(640, 480), workers=2) as poses:
        next(iter(poses.frames()))  # the first segment is done; the third has just begun
        third = poses.segments[2]
    futures = poses._futures
    assert len(futures[2].result().index) < third.stop - third.first
    assert all(f.cancelled() or len(f.result().index) < 10 for f in futures[3:])
