"""posecheck sleep: the classifier on synthetic renders (real pose model), the advice checks, the timeline,
"unsure" with its reason, every error message, several inputs with a bad one, SIGTERM, and the real
lying clips of ../shared/videos when present."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.errors import OutputError, SourceError
from posecheck.frame import Frame
from posecheck.pose import create_backend
from posecheck.pose.mediapipe_backend import MediaPipeOptions
from posecheck.pose.types import Pose
from posecheck.sleep import DEFAULTS, PositionTimeline, SleepClassifier, SleepDefaults
from posecheck.sleep.classify import body_axes
from posecheck.sleep.messages import ADVICE, CANNOT_JUDGE, POSITION_NAMES, SUMMARY, TEXT, UNSURE
from posecheck.sleep.run import InputResult, VideoJudge, advice_summary, output_names, summary_lines
from posecheck.sources import ImageFileSource, open_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos" / "sleep"
SAMPLE_TRUTH = ROOT / "sample_videos" / "sleep.truth.json"
#: Seeds of the test renders: neither those the thresholds were chosen on (0-2) nor the reported ones (10-14).
TEST_SEEDS = (3, 4)


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", "sleep", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def one_error_line(proc: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("posecheck: error:")]
    assert errors, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert any(fragment in line for line in errors), (fragment, proc.stderr)
    return errors[0]


def detect(image: np.ndarray) -> Pose | None:
    with create_backend(options=MediaPipeOptions(num_poses=1)) as backend:
        poses = backend.detect(Frame(0, 0.0, image))
    return poses[0] if poses else None


@pytest.fixture(scope="session")
def renders():
    """Every position x camera (above, side) x TEST_SEEDS rendered once and run through the pose model:
    a list of (truth, pose)."""
    from posecheck.synth.lying import render_set

    return [(shot.truth(), detect(shot.image)) for shot in render_set(TEST_SEEDS)]


# -- classification on synthetic truth (real pose model) ----------------------------------------------
@pytest.mark.model
@pytest.mark.parametrize("camera", ["above", "side"])
def test_accuracy_per_position_on_held_out_renders(renders, camera):
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, wrong, unsure
    for truth, pose in renders:
        if truth["camera"] != camera:
            continue
        got = SleepClassifier(camera).update(pose).position
        tally[truth["position"]][0 if got == truth["position"] else 2 if got == "unsure" else 1] += 1
    right = sum(t[0] for t in tally.values())
    total = sum(sum(t) for t in tally.values())
    wrong = sum(t[1] for t in tally.values())
    assert set(tally) == {"back", "side_left", "side_right", "stomach"}
    assert right / total >= 0.85, dict(tally)
    assert wrong / total <= 0.10, dict(tally)
    for position, (r, w, u) in tally.items():
        assert r >= (r + w + u) / 2, (position, dict(tally))  # at least half of each position


@pytest.mark.model
def test_auto_camera_is_unsure_rather_than_wrong(renders):
    answers = [(truth, SleepClassifier("auto").update(pose)) for truth, pose in renders]
    right = sum(v.position == t["position"] for t, v in answers)
    wrong = sum(v.position not in (t["position"], "unsure") for t, v in answers)
    assert right / len(answers) >= 0.6
    assert wrong / len(answers) <= 0.10
    for _, v in answers:
        if v.reason_id == "camera":
            assert "--camera above or --camera side" in v.reason and v.confidence == 0.0


@pytest.mark.model
def test_knee_advice_against_truth(renders):
    checked = agree = 0
    for truth, pose in renders:
        v = SleepClassifier(truth["camera"]).update(pose)
        if v.position != truth["position"] or v.knees_ok is None:
            continue
        if truth["position"] == "stomach":
            assert v.advice_id == "stomach" and "try the back or a side" in v.advice
            continue
        want = truth["knees_raised"] if truth["position"] == "back" else truth["knees_drawn_up"]
        checked += 1
        agree += v.knees_ok == want
        assert v.advice_id in {"back_raised", "back_flat", "side_drawn_up", "side_straight"}
    assert checked >= 20
    assert agree / checked >= 0.85, (agree, checked)


def test_blank_image_is_unsure_with_the_reason(tmp_path):
    photo = tmp_path / "dark_room.png"
    cv2.imwrite(str(photo), np.full((360, 480, 3), 25, np.uint8))
    proc = cli(str(photo), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "unsure: no person found: a duvet" in proc.stdout
    assert "pillow between the knees" in proc.stdout
    result = json.loads((tmp_path / "out" / "dark_room" / "sleep.json").read_text())
    assert result["result"]["position"] == "unsure" and result["result"]["reason_id"] == "no_person"
    assert result["result"]["reason"] == UNSURE["no_person"]
    assert result["cannot_judge"] == list(CANNOT_JUDGE)
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["inputs"][0]["position"] == "unsure"
    assert not list((tmp_path / "out").rglob("*.png")), "frames are never saved"


def _pose(world: np.ndarray, presence: float = 1.0) -> Pose:
    return Pose(np.zeros((33, 2), np.float32), np.ones(33, np.float32), (640, 480),
                np.full(33, presence, np.float32), world.astype(np.float32))


def _lying_world(front: np.ndarray, head: np.ndarray) -> np.ndarray:
    """World landmarks (camera axes) of a torso whose chest faces ``front`` with the head towards ``head``."""
    left = np.cross(head, front)
    world = np.zeros((33, 3))
    for name, point in {11: 0.5 * head + 0.18 * left, 12: 0.5 * head - 0.18 * left, 23: 0.1 * left, 24: -0.1 * left,
                        25: -0.45 * head + 0.1 * left, 26: -0.45 * head - 0.1 * left,
                        27: -0.85 * head + 0.1 * left, 28: -0.85 * head - 0.1 * left}.items():
        world[name] = point
    return world


@pytest.mark.parametrize("front, camera, want", [
    ((0, 0, -1), "above", "back"),      # chest to a camera straight above
    ((0, 0, 1), "above", "stomach"),
    ((0, -1, 0), "side", "back"),       # chest to the ceiling, camera level beside the bed
    ((0, 1, 0), "side", "stomach"),
    ((0, 0, -1), "side", "side_right"),  # facing a level camera, head to image-left: left side up
])  # fmt: skip
def test_geometry_of_each_position(front, camera, want):
    pose = _pose(_lying_world(np.array(front, float), np.array([-1.0, 0.0, 0.0])))
    v = SleepClassifier(camera if camera == "side" else 85.0).update(pose)
    assert v.position == want, v
    assert body_axes(pose.world_m).shape == (4, 3)


def test_hidden_torso_and_legs_are_unsure_with_reasons():
    world = _lying_world(np.array([0.0, 0.0, -1.0]), np.array([-1.0, 0.0, 0.0]))
    v = SleepClassifier("above").update(_pose(world, presence=0.2))
    assert v.position == "unsure" and v.reason_id == "torso_hidden" and "duvet" in v.reason
    pose = _pose(world)
    presence = pose.presence.copy()
    presence[25:29] = 0.1
    v = SleepClassifier("above").update(Pose(pose.image_px, pose.visibility, pose.image_size, presence, pose.world_m))
    assert v.reason_id == "legs_hidden" and "duvet" in v.reason
    tilted = _lying_world(np.array([0.0, -0.7, -0.7]) / math.sqrt(0.98), np.array([-1.0, 0.0, 0.0]))
    v = SleepClassifier(45.0).update(_pose(tilted))
    assert v.position == "back"  # the chest straight up for a camera looking down at 45 deg
    half = _lying_world(np.array([0.0, -0.6, -0.8]), np.array([-1.0, 0.0, 0.0]))
    v = SleepClassifier(0.0).update(_pose(half))  # level camera: the chest is 53 deg from up
    assert v.position == "unsure" and v.reason_id in {"tilted", "disagree"} and v.guess


def _with(pose: Pose, *, image_px: np.ndarray | None = None, presence: np.ndarray | None = None,
          world_m: np.ndarray | None | str = "same") -> Pose:
    return Pose(pose.image_px if image_px is None else image_px.astype(np.float32), pose.visibility,
                pose.image_size, pose.presence if presence is None else presence.astype(np.float32),
                pose.world_m if isinstance(world_m, str) else world_m)


_BACK_ABOVE = _pose(_lying_world(np.array([0.0, 0.0, -1.0]), np.array([-1.0, 0.0, 0.0])))  # sure "back" at 85 deg


def test_no_world_landmarks_is_unsure():
    v = SleepClassifier("above").update(_with(_BACK_ABOVE, world_m=None))
    assert v.position == "unsure" and v.reason_id == "no_world" and v.reason == UNSURE["no_world"]
    assert v.confidence == 0.0 and v.knees_ok is None


def test_tilted_torso_is_unsure():
    # Half sitting up: the head 50 deg up from level, the chest to a level camera; no body axis within
    # 41 deg of up, so none fits (the left side, 50 deg from up, fits best).
    b = math.radians(50)
    head = np.array([-math.cos(b), -math.sin(b), 0.0])
    v = SleepClassifier(0.0).update(_pose(_lying_world(np.array([0.0, 0.0, -1.0]), head)))
    assert v.position == "unsure" and v.reason_id == "tilted", v
    assert v.guess == "side_right"
    assert v.reason.startswith(f"the torso is turned between {POSITION_NAMES['side_right']} and ")
    assert f"< {DEFAULTS.min_alignment:.2f})" in v.reason


def test_cues_that_disagree_are_unsure():
    # The chest 50 deg from level: for a level camera (searched 0-10 deg) the back fits at 40 deg off,
    # the right side at 40 deg off: both fit, neither leads.
    a = math.radians(50)
    front = np.array([0.0, -math.cos(a), -math.sin(a)])
    v = SleepClassifier(0.0).update(_pose(_lying_world(front, np.array([-1.0, 0.0, 0.0]))))
    assert v.position == "unsure" and v.reason_id == "disagree", v
    back, side = POSITION_NAMES["back"], POSITION_NAMES["side_right"]
    assert v.guess in {"back", "side_right"}
    assert any(v.reason.startswith(f"the cues disagree: the torso fits {x} almost as well as {y} (lead ")
               for x, y in ((back, side), (side, back))), v.reason
    assert v.reason.endswith(f"< {DEFAULTS.min_margin:.2f})")


def test_2d_and_3d_facing_that_disagree_are_unsure():
    px = np.zeros((33, 2))
    # Head up in the image, the person's left on the image's left: the outline shows the back, while the
    # 3D landmarks have the chest to the camera.
    px[11], px[12], px[23], px[24] = (270, 100), (330, 100), (270, 200), (330, 200)
    v = SleepClassifier(85.0).update(_with(_BACK_ABOVE, image_px=px))
    assert v.position == "unsure" and v.reason_id == "facing" and v.reason == UNSURE["facing"] and v.guess == "back"
    px[[11, 12, 23, 24]] = px[[12, 11, 24, 23]]  # the outline agrees: the chest to the camera
    assert SleepClassifier(85.0).update(_with(_BACK_ABOVE, image_px=px)).position == "back"


def test_legs_not_seen_well_enough_for_the_knee_advice():
    presence = _BACK_ABOVE.presence.copy()
    presence[27] = 0.1  # one ankle unseen: the legs are there (mean presence 0.78) but not all seen
    v = SleepClassifier(85.0).update(_with(_BACK_ABOVE, presence=presence))
    assert v.position == "back" and v.advice_id == "legs_unseen" and v.advice == ADVICE["legs_unseen"]
    assert v.knees_ok is None
    assert advice_summary([(0.0, v), (30.0, v)], 30.0)["back"] == {
        "seconds": 60.0, "knees_judged_s": 0.0, "knees_as_advised_s": 0.0, "advice": ADVICE["legs_unseen"]}


def test_summary_lines_of_a_night():
    night = {"complete": False, "timeline": {"duration_s": 5400.0, "turns": 1,
                                            "shares": {"back": 0.5, "side_left": 0.25, "stomach": 0.0, "unsure": 0.25}},
             "advice": {"back": {"advice": "knees raised"}}, "unsure_reasons": {UNSURE["no_person"]: 1350.0}}
    lines = summary_lines(InputResult("/n/night.mp4", "night", "video", "interrupted", night))
    assert lines == [
        "night.mp4: 1.5 h (stopped early): on the back 50%, on the left side 25%, unsure 25%; 1 turn(s)",
        "  on the back: knees raised",
        f"  unsure 1350 s: {UNSURE['no_person']}",
    ]
    night = {**night, "complete": True, "timeline": {**night["timeline"], "duration_s": 90.0}}
    assert summary_lines(InputResult("n.mp4", "n", "video", "ok", night))[0].startswith("n.mp4: 1.5 min: ")
    assert summary_lines(InputResult("bad.jpg", "bad", "photo", "error", {}, "broken")) == []
    assert set(SUMMARY) >= {"night", "hours", "minutes", "stopped_early", "unsure_for", "not_judged", "results"}


# -- the timeline -------------------------------------------------------------------------------------
def run_timeline(labels: list[str], step: float = 30.0, defaults: SleepDefaults = DEFAULTS):
    tl = PositionTimeline(defaults)
    for i, label in enumerate(labels):
        tl.update(i * step, label)
    return tl.finish(len(labels) * step)


def test_timeline_shares_turns_and_flickers():
    labels = ["back"] * 10 + ["side_left"] + ["back"] * 5 + ["side_left"] * 8 + ["stomach"] * 2 + ["side_left"] * 4
    night = run_timeline(labels)
    assert night.duration_s == 30 * len(labels)
    assert [s.position for s in night.segments] == ["back", "side_left", "stomach", "side_left"]
    assert night.turns == 3  # a single 30 s frame of side_left among back is a flicker, not two turns
    assert night.flickers == 1
    assert night.shares["back"] == pytest.approx(16 / 30)
    assert night.shares["stomach"] == pytest.approx(2 / 30)
    assert sum(night.shares.values()) == pytest.approx(1.0)


def test_unsure_between_one_position_is_not_a_turn():
    night = run_timeline(["back"] * 6 + ["unsure"] * 4 + ["back"] * 6 + ["unsure"] * 3 + ["side_right"] * 6)
    assert night.turns == 1
    assert night.shares["unsure"] == pytest.approx(7 / 25)
    assert [s.position for s in night.segments] == ["back", "unsure", "back", "unsure", "side_right"]


def test_a_short_input_is_one_position_and_an_empty_one_is_nothing():
    night = run_timeline(["side_left", "back", "back"], step=1.0)
    assert [s.position for s in night.segments] == ["back"] and night.shares["back"] == 1.0 and night.turns == 0
    assert run_timeline([]).duration_s == 0.0


@pytest.mark.model
def test_night_timelapse_sample_against_its_truth(tmp_path):
    truth = json.loads(SAMPLE_TRUTH.read_text())["night_timelapse.mp4"]
    judge = VideoJudge(SAMPLES / "night_timelapse.mp4", "timelapse", SleepClassifier("auto"), every_s=1.0,
                       timelapse_s=truth["seconds_per_frame"])
    with create_backend(options=MediaPipeOptions(num_poses=1)) as backend:
        result = judge.run(backend, lambda r: None)
    assert result["camera_decided"] == truth["camera"]
    tl = result["timeline"]
    assert tl["duration_s"] == pytest.approx(truth["duration_s"])
    assert tl["turns"] == truth["turns"]
    for position, share in truth["shares"].items():
        assert abs(tl["shares"][position] - share) <= 0.06, (position, tl["shares"], truth["shares"])
    assert result["advice"]["stomach"]["advice"].startswith("sleeping on the stomach")


# -- errors, several inputs, interruption ---------------------------------------------------------------
@pytest.mark.parametrize("make, code, fragment", [
    (lambda d: d / "missing.jpg", 3, "missing.jpg: no such file; check the path"),
    (lambda d: d / "missing.mp4", 3, "missing.mp4: no such file or folder"),
    (lambda d: (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\x00garbage") and d / "broken.jpg", 3,
     "broken.jpg: cannot be read as an image"),
    (lambda d: (d / "empty.png").write_bytes(b"") or d / "empty.png", 3, "empty.png: the file is empty"),
    (lambda d: (d / "notes.mp4").write_text("hello") and d / "notes.mp4", 3, "notes.mp4: cannot be read as a video"),
    (lambda d: (d / "frames").mkdir() or d / "frames", 3, "frames: the folder holds no images"),
])  # fmt: skip
def test_each_bad_input_is_one_line(tmp_path, make, code, fragment):
    target = make(tmp_path)
    proc = cli(str(target), "--out", str(tmp_path / "out"))
    line = one_error_line(proc, code, fragment)
    # (libjpeg itself may add "Premature end of JPEG file" for a damaged JPEG: not a posecheck line)
    assert [x for x in proc.stderr.splitlines() if x.startswith("posecheck:")] == [line], "one input, one error line"
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["inputs"][0]["status"] == "error" and fragment.split(": ", 1)[1] in index["inputs"][0]["error"]


@pytest.mark.parametrize("args, line", [
    (["x.jpg", "--every", "0"], TEXT["bad_every"].format(value="0")),
    (["x.jpg", "--every", "abc"], TEXT["bad_every"].format(value="abc")),
    (["x.jpg", "--every", "inf"], TEXT["bad_every"].format(value="inf")),
    (["x.jpg", "--timelapse", "-3"], TEXT["bad_timelapse"].format(value="-3")),
    (["x.jpg", "--timelapse", "nan"], TEXT["bad_timelapse"].format(value="nan")),
    (["x.jpg", "--camera", "ceiling"], TEXT["bad_pitch"].format(value="ceiling")),
    (["x.jpg", "--camera", "120"], TEXT["bad_pitch"].format(value="120")),
    ([], TEXT["no_inputs"]),
])
def test_bad_options_are_one_error_line(tmp_path, capsys, args, line):
    from posecheck.cli import main

    assert main(["sleep", *args, "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"posecheck: error: {line}"] and not captured.out
    assert not (tmp_path / "out").exists(), "options are checked before anything is written"


def test_camera_option_values():
    from posecheck.sleep.cli import _camera

    assert _camera("above") == "above" and _camera("auto") == "auto" and _camera("60") == 60.0
    assert SleepClassifier(60.0)._ranges == [(50.0, 70.0)] and SleepClassifier(5.0)._ranges == [(0.0, 15.0)]


@pytest.mark.model
def test_several_inputs_one_bad_the_rest_go_on(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a photo")
    inputs = [SAMPLES / "side_left_curled_above.jpg", bad, SAMPLES / "back_knees_up_above.jpg"]
    proc = cli(*map(str, inputs), "--camera", "above", "--out", str(tmp_path / "out"))
    one_error_line(proc, 3, "bad.jpg: cannot be read as an image")
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"posecheck: error: {bad}: cannot be read as an image")
    assert lines[1] == "posecheck: error: " + TEXT["failed_inputs"].format(failed=1, total=3, names="bad.jpg",
                                                                          out=tmp_path / "out")
    assert "side_left_curled_above.jpg: on the left side" in proc.stdout
    assert "back_knees_up_above.jpg: on the back" in proc.stdout
    rows = (tmp_path / "out" / "index.csv").read_text().splitlines()
    assert len(rows) == 4 and ",error," in rows[2]
    for name in ("side_left_curled_above", "back_knees_up_above"):
        assert json.loads((tmp_path / "out" / name / "sleep.json").read_text())["complete"] is True


def test_a_full_disk_is_one_clear_error(tmp_path, monkeypatch):
    from posecheck.sleep import run as run_module

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError, match=r"sleep.json: cannot write \(No space left on device\): the disk is full"):
        run_module.write_json(tmp_path / "a" / "sleep.json", {"x": 1})
    with pytest.raises(OutputError, match=r"index.csv: cannot write \(No space left on device\): the disk is full"):
        run_module.write_csv(tmp_path / "a" / "index.csv", run_module.INDEX_COLUMNS, [])
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [], "no half-written or temporary file is left"


def test_index_csv_is_replaced_whole_and_utf8(tmp_path):
    from posecheck.sleep import run as run_module

    result = InputResult("/x/Schlafzimmer_ä.jpg", "Schlafzimmer_ä", "photo", "error", {}, "kaputt: ü")
    run_module.write_index(tmp_path, [result])
    first = (tmp_path / "index.csv").read_bytes()
    assert "Schlafzimmer_ä".encode() in first and "kaputt: ü".encode() in first
    run_module.write_index(tmp_path, [result, result])
    rows = (tmp_path / "index.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3 and rows[0].startswith("input,name,kind,status")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.csv", "index.json"]


@pytest.mark.model
def test_sigterm_mid_night_keeps_the_result_so_far(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "sleep", str(SAMPLES / "night_timelapse.mp4"),
                             "--timelapse", "30", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    target = out / "night_timelapse" / "sleep.json"
    deadline = time.monotonic() + 120
    while not target.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert target.exists(), "the first save never came"
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted; results so far were kept" in stderr
    assert any(line.startswith("posecheck: note: stopped at ") and line.endswith("its result so far is kept")
               for line in stderr.splitlines()), stderr
    result = json.loads(target.read_text())
    assert result["complete"] is False and 0 < result["samples_judged"] < 240
    assert json.loads((out / "index.json").read_text())["inputs"][0]["status"] == "interrupted"


# -- the photo source -----------------------------------------------------------------------------------
def test_a_photo_opens_as_one_frame_only_when_asked(tmp_path):
    photo = tmp_path / "bed.png"
    cv2.imwrite(str(photo), np.zeros((20, 30, 3), np.uint8))
    with open_source(photo, photos=True) as source:
        assert isinstance(source, ImageFileSource) and source.info.frame_count == 1
        frames = list(source)
    assert len(frames) == 1 and frames[0].image.shape == (20, 30, 3) and frames[0].timestamp_ms == 0.0
    with pytest.raises(SourceError, match="a single image is not a video"):
        open_source(photo)


def test_output_names_are_unique():
    assert output_names([Path("a.jpg"), Path("x/a.mp4"), Path("b.png")]) == ["a_jpg", "a_mp4", "b"]
    assert output_names([Path("index.json.mp4"), Path("x/index.csv.jpg")]) == ["index.json_", "index.csv_"]


def test_output_names_never_leave_out(tmp_path, monkeypatch):
    night = tmp_path / "bedroom" / "night"
    night.mkdir(parents=True)
    monkeypatch.chdir(night)
    names = output_names([Path("."), Path(".."), Path("/"), Path("..jpg"), Path("..."), Path("../../input3.png")])
    # "/" has no name and "..jpg" would be ".": input<N>; "..." is an ordinary name; clashes take the suffix.
    assert names == ["night", "bedroom", "input3_dir", "input4", "...", "input3_png"]
    out = tmp_path / "out"
    for name in names:
        assert (out / name).resolve().parent == out.resolve()


@pytest.mark.parametrize("where, given, want", [("night", ".", "night"), ("night/sub", "..", "night")])
def test_dot_inputs_are_written_inside_out(tmp_path, monkeypatch, capsys, where, given, want):
    from posecheck.cli import main

    night = tmp_path / "night"
    (tmp_path / where).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(night / "frame_0001.png"), np.full((120, 160, 3), 25, np.uint8))
    monkeypatch.chdir(tmp_path / where)
    out = tmp_path / "out"
    assert main(["sleep", given, "--out", str(out)]) == 0, capsys.readouterr().err
    assert json.loads((out / want / "sleep.json").read_text())["kind"] == "timelapse"
    assert sorted(p.name for p in out.iterdir()) == ["index.csv", "index.json", want]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night", "out"], "nothing written outside --out"
    assert json.loads((out / "index.json").read_text())["inputs"][0]["name"] == want


# -- real lying clips (../shared/videos), skipped when absent ---------------------------------------------
@pytest.mark.model
@pytest.mark.realvideo
@pytest.mark.parametrize("clip, spans, want, min_share", [
    ("glute_bridge/frank_glute_bridge.mp4", ((0.0, 0.35), (2.8, 3.5)), "back", 0.9),   # rest between reps
    ("glute_bridge/skatefit_glute_bridges.mp4", ((1.0, 2.8),), "back", 0.9),           # lying, before rep 1
    ("clamshell/chloe_banded_clamshell.gif", ((0.0, 99.0),), "side", 0.9),
    ("clamshell/chloe_side_lying_clamshells.gif", ((0.0, 99.0),), "side", 0.9),
])  # fmt: skip
def test_real_lying_clips(shared_videos, clip, spans, want, min_share):
    classifier = SleepClassifier("side")
    verdicts = []
    with open_source(shared_videos / clip) as source, create_backend(options=MediaPipeOptions(num_poses=1)) as be:
        for frame in source:
            if frame.timestamp_ms / 1000 >= max(b for _, b in spans):
                break
            poses = be.detect(frame)
            if any(a <= frame.timestamp_ms / 1000 < b for a, b in spans):
                verdicts.append(classifier.update(poses[0] if poses else None))
    assert len(verdicts) >= 10
    right = [v for v in verdicts if v.position.split("_")[0] == want]
    assert len(right) >= min_share * len(verdicts), [v.position for v in verdicts]
    advised = [v for v in right if v.knees_ok]  # knees raised (bridge rest) / drawn up (clamshell)
    assert len(advised) >= 0.5 * len(right), [(v.knee_deg, v.hip_deg) for v in right]
