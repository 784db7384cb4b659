"""Pose backend (real MediaPipe model, a handful of frames per test), model bundle, PersonSelector."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.errors import ModelError
from posecheck.frame import Frame
from posecheck.landmarks import COUNT, INDEX
from posecheck.pose import PersonSelector, Pose, SelectorOptions, bundle, create_backend
from posecheck.pose.mediapipe_backend import MediaPipeOptions
from posecheck.sources import open_source

REPO = Path(__file__).parents[1]
SHARED_VIDEOS = REPO / ".." / "shared" / "videos"
WAHOO = SHARED_VIDEOS / "lunge" / "wahoo_lunges.mp4"
SAMPLE_VIDEOS = sorted((REPO / "sample_videos").glob("*.mp4"))


@pytest.fixture()
def backend(private_cache: Path):
    with create_backend() as b:
        yield b


def frames_from(path: Path, start_ms: float, count: int) -> list[Frame]:
    with open_source(path) as source:
        out = []
        for frame in source:
            if frame.timestamp_ms >= start_ms:
                out.append(frame)
                if len(out) == count:
                    break
    return out


def scenery(i: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A room-like image with no person: gradient wall, floor, a shelf and a lamp."""
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = np.linspace(90, 200, w, dtype=np.uint8)[None, :, None]
    img[int(h * 0.7) :] = (60, 80, 100)
    cv2.rectangle(img, (60 + i, 120), (220 + i, 180), (40, 90, 160), -1)
    cv2.circle(img, (480, 150), 40, (200, 230, 250), -1)
    return img


# ---------------------------------------------------------------- the real model


@pytest.mark.model
def test_no_person_gives_no_pose(backend) -> None:
    results = [backend.detect(Frame(i, i * 33.3, scenery(i))) for i in range(4)]
    assert results == [[], [], [], []]


def check_person(pose: Pose, width: int, height: int) -> None:
    assert pose.image_size == (width, height)
    assert pose.image_px.shape == (COUNT, 2) and pose.image_px.dtype == np.float32
    seen = pose.visibility > 0.5
    assert seen.sum() >= 20
    x, y = pose.image_px[seen, 0], pose.image_px[seen, 1]
    assert (x >= 0).all() and (x < width).all() and (y >= 0).all() and (y < height).all()
    assert pose.bbox[3] - pose.bbox[1] > 0.3 * height  # a whole body, in pixels not normalized units
    assert pose.image_px[INDEX["nose"], 1] < pose.image_px[INDEX["left_hip"], 1] < pose.image_px[INDEX["left_ankle"], 1]
    assert ((pose.visibility >= 0) & (pose.visibility <= 1)).all()
    assert ((pose.presence >= 0) & (pose.presence <= 1)).all()
    assert pose.world_m is not None and pose.world_m.shape == (COUNT, 3)
    hips = pose.world_m[[INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=0)
    assert np.abs(hips).max() < 0.1  # world origin at the mid-hip, metres


@pytest.mark.model
@pytest.mark.realvideo
@pytest.mark.skipif(not WAHOO.exists(), reason="shared lunge clip not present")
def test_person_in_a_real_lunge_frame(backend) -> None:
    frames = frames_from(WAHOO, 8200.0, 3)
    results = [backend.detect(f) for f in frames]
    for poses in results:
        assert len(poses) == 1  # one woman; num_poses=2 finds no one else
        check_person(poses[0], 1920, 1080)
    # at the bottom of the lunge both knees are bent (about 65 and 85 degrees by eye and by model)
    pose = results[-1][0]
    for side in ("left", "right"):
        hip, knee, ankle = (pose.image_px[INDEX[f"{side}_{j}"]] for j in ("hip", "knee", "ankle"))
        a, b = hip - knee, ankle - knee
        angle = math.degrees(math.acos(float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))))
        assert 45 < angle < 110, (side, angle)


MAJOR_JOINTS = [
    INDEX[f"{side}_{joint}"] for side in ("left", "right") for joint in ("shoulder", "hip", "knee", "ankle")
]


@pytest.mark.model
@pytest.mark.skipif(not SAMPLE_VIDEOS, reason="no sample video in sample_videos/")
@pytest.mark.parametrize("path", SAMPLE_VIDEOS, ids=lambda p: p.name)
def test_rendered_person_found_where_the_renderer_put_them(backend, path: Path) -> None:
    """One pose per frame in pixels; against the renderer's truth (``.truth.npz``) when present."""
    truth_file = path.with_suffix(".truth.npz")
    truth = np.load(truth_file) if truth_file.exists() else None
    frames = frames_from(path, 0.0, 40)[35:]  # 35 frames in: tracking has settled
    for frame in frames:
        poses = backend.detect(frame)
        assert len(poses) == 1, f"frame {frame.index}: {len(poses)} poses"
        height, width = frame.image.shape[:2]
        pose = poses[0]
        assert pose.image_size == (width, height)
        seen = pose.visibility > 0.5
        assert (pose.image_px[seen] >= -1).all() and (pose.image_px[seen, 0] <= width + 1).all()
        if truth is not None:
            assert truth["t_ms"][frame.index] == pytest.approx(frame.timestamp_ms, abs=1.0)
            joints = [i for i in MAJOR_JOINTS if truth["in_frame"][frame.index, i]]
            error = np.linalg.norm(pose.image_px[joints] - truth["image_px"][frame.index, joints], axis=1)
            assert np.median(error) < 15.0, f"frame {frame.index}: median joint error {np.median(error):.1f} px"


@pytest.mark.model
def test_timestamps_must_increase(backend) -> None:
    backend.detect(Frame(0, 100.0, scenery(0)))
    backend.detect(Frame(1, 100.4, scenery(1)))  # same millisecond once rounded: spaced internally
    with pytest.raises(ModelError) as info:
        backend.detect(Frame(2, 100.4, scenery(2)))
    assert str(info.value) == (
        "frame 2: timestamp 100.400 ms is not after the previous frame's 100.400 ms; the pose model "
        "tracks people over time and needs strictly increasing timestamps (open a new backend to start over)"
    )
    with pytest.raises(ModelError, match="frame 3: timestamp 50.000 ms is not after"):
        backend.detect(Frame(3, 50.0, scenery(3)))
    with pytest.raises(ModelError, match="frame 4: timestamp nan ms is not a finite number"):
        backend.detect(Frame(4, math.nan, scenery(4)))


@pytest.mark.model
def test_startup_prints_nothing_and_mediapipe_loads_lazily(cache: Path) -> None:
    script = (
        "import sys\n"
        "import posecheck.pose, posecheck.sources\n"
        "assert 'mediapipe' not in sys.modules, 'imported at import time'\n"
        "import numpy as np\n"
        "from posecheck.frame import Frame\n"
        "b = posecheck.pose.create_backend()\n"
        "for i in range(3):\n"
        "    b.detect(Frame(i, i * 40.0, np.full((240, 320, 3), 128, np.uint8)))\n"
        "b.close()\n"
        "print('ok')\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"
    assert done.stderr == ""


# ---------------------------------------------------------------- names, models, options


def test_unknown_backend_lists_the_valid_names() -> None:
    with pytest.raises(ModelError) as info:
        create_backend("mediapip")
    assert str(info.value) == "unknown pose backend 'mediapip'; valid names: mediapipe; did you mean 'mediapipe'?"
    with pytest.raises(ModelError, match=r"^unknown pose backend 'openpose'; valid names: mediapipe$"):
        create_backend("openpose")


def _text_file(tmp: Path) -> Path:
    (tmp / "notes.task").write_text("hello")
    return tmp / "notes.task"


def _garbage_bundle(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name in bundle.BUNDLE_MEMBERS:
            zf.writestr(name, b"not a model" * 50)
    return path


@pytest.mark.model
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.task", "no such file; pass the path of a pose_landmarker_*.task file"),
        (lambda tmp: tmp, "not a file; pass the path of a pose_landmarker_*.task file"),
        (
            _text_file,
            (
                "not a pose landmarker .task bundle (expected a zip holding pose_detector.tflite and "
                "pose_landmarks_detector.tflite)"
            ),
        ),
        (lambda tmp: _garbage_bundle(tmp / "garbage.task"), "cannot be loaded by mediapipe ("),
    ],
    ids=["missing", "folder", "not-a-zip", "bad-models"],
)
def test_bad_model_path_is_named(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ModelError) as info:
        create_backend(model_path=path)
    assert str(info.value).startswith(f"pose model {path}")
    assert message in str(info.value)


@pytest.mark.model
def test_user_model_is_used_as_given(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "pose_landmarker_full.task"
    own.write_bytes(bundle.ensure_bundle(cache).read_bytes())
    monkeypatch.setattr(bundle, "build_bundle", lambda output: pytest.fail("must not build"))
    with create_backend(model_path=own) as b:
        assert b.model_path == own.resolve()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_poses": 0}, "MediaPipeOptions.num_poses must be an integer of at least 1, got 0"),
        (
            {"min_tracking_confidence": 1.5},
            "MediaPipeOptions.min_tracking_confidence must be a number in [0, 1], got 1.5",
        ),
    ],
)
def test_options_are_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(ModelError) as info:
        MediaPipeOptions(**kwargs)
    assert str(info.value) == message


def test_wrong_options_type_is_named() -> None:
    with pytest.raises(ModelError, match="options for the mediapipe backend must be MediaPipeOptions, got dict"):
        create_backend(options={"num_poses": 1})


# ---------------------------------------------------------------- the bundle


def test_bundle_is_built_once_then_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds = []
    real_build = bundle.build_bundle
    monkeypatch.setattr(bundle, "build_bundle", lambda output: builds.append(output) or real_build(output))
    first = bundle.ensure_bundle(tmp_path)
    second = bundle.ensure_bundle(tmp_path)
    assert first == second == tmp_path / bundle.bundle_name()
    assert len(builds) == 1
    assert bundle.is_pose_bundle(first)
    assert f"mediapipe{bundle.mediapipe_version()}" in first.name
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no temporary file left behind
    with zipfile.ZipFile(first) as zf:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())


@pytest.mark.model
def test_second_backend_reuses_the_cached_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    create_backend().close()
    built = tmp_path / "posecheck" / bundle.bundle_name()
    stamp = built.stat().st_mtime_ns
    monkeypatch.setattr(bundle, "build_bundle", lambda output: pytest.fail("rebuilt a cached bundle"))
    create_backend().close()
    assert built.stat().st_mtime_ns == stamp


def test_a_damaged_cached_bundle_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / bundle.bundle_name()).write_bytes(b"half a file")
    path = bundle.ensure_bundle(tmp_path)
    assert bundle.is_pose_bundle(path)


def test_unwritable_cache_falls_back_to_a_temporary_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    path = bundle.ensure_bundle(blocker / "posecheck")
    assert bundle.is_pose_bundle(path) and blocker not in path.parents


def test_missing_wheel_models_say_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "mediapipe_dir", lambda: tmp_path)
    with pytest.raises(ModelError) as info:
        bundle.ensure_bundle(tmp_path / "cache")
    text = str(info.value)
    assert text.startswith(f"mediapipe {bundle.mediapipe_version()} ships no pose model (missing ")
    assert text.endswith(
        "install mediapipe==0.10.21 (pip install mediapipe==0.10.21) or pass --model path/to/pose_landmarker_full.task"
    )


# ---------------------------------------------------------------- PersonSelector on built poses

#: A standing figure, 1 unit tall, centred on the mid-hip (x right, y down).
TEMPLATE = {
    "nose": (0.0, -0.45), "left_eye_inner": (0.01, -0.47), "left_eye": (0.02, -0.47), "left_eye_outer": (0.03, -0.47),
    "right_eye_inner": (-0.01, -0.47), "right_eye": (-0.02, -0.47), "right_eye_outer": (-0.03, -0.47),
    "left_ear": (0.05, -0.46), "right_ear": (-0.05, -0.46), "mouth_left": (0.02, -0.42), "mouth_right": (-0.02, -0.42),
    "left_shoulder": (0.1, -0.3), "right_shoulder": (-0.1, -0.3), "left_elbow": (0.14, -0.15),
    "right_elbow": (-0.14, -0.15), "left_wrist": (0.16, 0.0), "right_wrist": (-0.16, 0.0),
    "left_pinky": (0.17, 0.03), "right_pinky": (-0.17, 0.03), "left_index": (0.16, 0.04),
    "right_index": (-0.16, 0.04), "left_thumb": (0.15, 0.03), "right_thumb": (-0.15, 0.03),
    "left_hip": (0.08, 0.0), "right_hip": (-0.08, 0.0), "left_knee": (0.09, 0.25), "right_knee": (-0.09, 0.25),
    "left_ankle": (0.1, 0.48), "right_ankle": (-0.1, 0.48), "left_heel": (0.1, 0.5), "right_heel": (-0.1, 0.5),
    "left_foot_index": (0.14, 0.5), "right_foot_index": (-0.14, 0.5),
}  # fmt: skip
BASE = np.array([TEMPLATE[name] for name in sorted(INDEX, key=INDEX.get)], np.float32)


def person(x: float, y: float, height: float, squat: float = 0.0, swing: float = 0.0) -> Pose:
    """A figure at mid-hip (x, y) px; ``squat`` in [0, 1] bends knees and raises arms, ``swing`` moves limbs
    in opposition as in walking."""
    pts = BASE.copy()
    legs = [INDEX[n] for n in ("left_knee", "right_knee")]
    arms = [INDEX[n] for n in ("left_wrist", "right_wrist", "left_elbow", "right_elbow")]
    pts[legs, 0] += 0.12 * squat
    pts[:, 1] += np.where(pts[:, 1] < 0.3, 0.15 * squat, 0.0)  # hips and above drop
    pts[arms, 1] -= 0.3 * squat
    for name, sign in (("left_ankle", 1), ("right_ankle", -1), ("left_knee", 1), ("right_knee", -1),
                       ("left_wrist", -1), ("right_wrist", 1)):  # fmt: skip
        pts[INDEX[name], 0] += sign * 0.15 * swing
    return Pose(
        image_px=(pts * height + np.array([x, y], np.float32)).astype(np.float32),
        visibility=np.ones(COUNT, np.float32),
        image_size=(1920, 1080),
    )


def squat_phase(t_ms: float, period_ms: float = 2000.0) -> float:
    return 0.5 - 0.5 * math.cos(2 * math.pi * t_ms / period_ms)


FPS_MS = 1000.0 / 30


def run(selector: PersonSelector, scene, seconds: float) -> list[tuple[Pose | None, bool, float]]:
    """Feed ``scene(t_ms) -> list[Pose]`` at 30 fps; return (chosen, switched, t) per frame."""
    out = []
    for k in range(int(seconds * 30)):
        t = k * FPS_MS
        chosen = selector.update(scene(t), t)
        out.append((chosen, selector.switched, t))
    return out


def x_of(pose: Pose | None) -> float | None:
    """Mid-hip x to the nearest 100 px: which person it is in these scenes."""
    if pose is None:
        return None
    return round(float(pose.image_px[[INDEX["left_hip"], INDEX["right_hip"]], 0].mean()), -2)


def test_a_single_person_is_followed() -> None:
    selector = PersonSelector()
    pose = person(500, 500, 600)
    assert selector.update([pose], 0.0) is pose
    assert selector.people_in_view == 1 and not selector.switched and selector.person_id is not None
    assert selector.update([], 33.0) is None and selector.people_in_view == 0


def test_the_larger_person_is_chosen_first_and_kept_when_the_order_changes() -> None:
    big, small = person(500, 600, 700), person(1400, 500, 400)
    results = run(PersonSelector(), lambda t: [big, small] if int(t / FPS_MS) % 2 else [small, big], 3.0)
    assert {x_of(chosen) for chosen, _, _ in results} == {x_of(big)}
    assert not any(switched for _, switched, _ in results)


def test_the_person_exercising_is_followed_once_it_is_clear() -> None:
    still = person(500, 600, 700)  # larger, chosen first

    def scene(t: float) -> list[Pose]:
        return [still, person(1400, 550, 450, squat=squat_phase(t))]

    results = run(PersonSelector(), scene, 10.0)
    switches = [t for _, switched, t in results if switched]
    assert len(switches) == 1 and 1500 <= switches[0] <= 4000
    after = {x_of(chosen) for chosen, _, t in results if t > switches[0]}
    assert after == {1400}  # and it never flips back


def test_two_people_exercising_alike_do_not_flip_flop() -> None:
    def scene(t: float) -> list[Pose]:
        a = person(500, 600, 650, squat=squat_phase(t))
        b = person(1400, 600, 600, squat=squat_phase(t + 700, 1700))
        return [a, b] if int(t / FPS_MS) % 3 else [b, a]

    results = run(PersonSelector(), scene, 12.0)
    assert {x_of(chosen) for chosen, _, _ in results} == {500}
    assert not any(switched for _, switched, _ in results)


def test_someone_walking_through_is_not_taken_for_the_exerciser() -> None:
    holder = person(400, 700, 500)  # holding a still position, e.g. a plank or a stretch

    def scene(t: float) -> list[Pose]:
        if t < 1000:
            return [holder]
        walker_x = 1900 - 0.5 * (t - 1000)  # 500 px/s, about one body height per second
        return [holder, person(walker_x, 600, 550, swing=math.sin(t / 150))] if walker_x > 100 else [holder]

    results = run(PersonSelector(), scene, 7.0)
    assert {x_of(chosen) for chosen, _, _ in results} == {400}


def test_a_brief_dropout_returns_none_then_the_same_person() -> None:
    a, b = person(500, 600, 700), person(1400, 600, 650)
    selector = PersonSelector()
    selector.update([a, b], 0.0)
    followed = selector.person_id
    assert selector.update([b], 33.0) is None  # the followed person is missing: nobody else is substituted
    assert selector.update([b], 66.0) is None
    assert selector.update([a, b], 100.0) is a
    assert selector.person_id == followed and not selector.switched


def test_a_person_gone_for_good_is_replaced() -> None:
    a, b = person(500, 600, 700), person(1400, 600, 650)
    selector = PersonSelector(SelectorOptions(forget_after_ms=500.0))
    selector.update([a, b], 0.0)
    results = [(selector.update([b], t), selector.switched) for t in np.arange(33.0, 1000.0, 33.0)]
    assert results[0] == (None, False)
    first_b = next(i for i, (chosen, _) in enumerate(results) if chosen is b)
    assert results[first_b][1] is True and 450 <= 33.0 * (first_b + 1) <= 600
    assert all(chosen is b and not switched for chosen, switched in results[first_b + 1 :])


def test_identity_follows_a_fast_mover_whose_boxes_do_not_overlap() -> None:
    selector = PersonSelector()
    ids, switched = set(), []
    for k in range(10):
        assert selector.update([person(300 + 40 * k, 600, 200)], k * FPS_MS) is not None
        ids.add(selector.person_id)
        switched.append(selector.switched)
    assert len(ids) == 1 and not any(switched)


def test_one_person_reported_twice_is_kept_once() -> None:
    from posecheck.pose.mediapipe_backend import drop_duplicates

    a = person(500, 600, 600)
    refit = Pose(  # a second, slightly smaller fit of the same person, less visible
        image_px=(a.image_px - np.array([500, 600])) * 0.9 + np.array([505, 590], np.float32),
        visibility=np.full(COUNT, 0.6, np.float32),
        image_size=a.image_size,
    )
    other = person(1400, 600, 600)
    assert drop_duplicates([refit, other, a], 0.9) == [other, a]
    assert drop_duplicates([a, other], 0.9) == [a, other]
    assert drop_duplicates([refit, a], 1.5) == [refit, a]  # above 1: keep everything
