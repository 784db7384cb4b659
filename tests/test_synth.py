"""Tests of the synthetic footage generator (no MediaPipe): determinism, truth layout, requested
angles reaching the image, and clip-description errors."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecheck.landmarks import INDEX
from posecheck.synth import ClipError, load_clip, load_truth, parse_clip, render_clip
from posecheck.synth.body import load_body, variants
from posecheck.synth.generate import (
    choose_look,
    jitter_transforms,
    place_camera,
    plan_motion,
    project_truth,
    render_frames,
    summarise,
)
from posecheck.synth.motions import EXERCISES
from posecheck.synth.truth import measures

CLIPS_DIR = Path(__file__).resolve().parents[1] / "posecheck" / "synth" / "clips"


def quick(exercise: str, **extra) -> dict:
    """A short clip description: one rep (or a short hold), fast tempo, no lead-in."""
    d = {"exercise": exercise, "lead_in_s": 0.1, "lead_out_s": 0.0, "tempo": 4.0}
    if EXERCISES[exercise].kind == "reps":
        d["reps"] = [{}]
    else:
        d["holds"] = [{"seconds": 1.0}]
    d.update(extra)
    return d


def plan(desc: dict):
    clip = parse_clip(desc, "test")
    body = load_body(clip.body)
    motion = plan_motion(clip, body)
    camera = place_camera(clip, motion.landmarks)
    warps = jitter_transforms(len(motion.times), 0.0, clip.seed)
    px, inside = project_truth(camera, motion.landmarks, warps)
    return clip, body, motion, camera, px, inside


def test_same_seed_gives_identical_frames():
    frames = []
    for _ in range(2):
        clip = parse_clip(quick("hip_flexor_stretch", seed=4, camera={"jitter_px": 2.0}), "test")
        body = load_body(clip.body)
        motion = plan_motion(clip, body)
        camera = place_camera(clip, motion.landmarks)
        warps = jitter_transforms(len(motion.times), clip.camera.jitter_px, clip.seed)
        gen = render_frames(clip, body, motion, camera, choose_look(clip), warps)
        frames.append([f.copy() for f in itertools.islice(gen, 0, 9, 4)])
    for a, b in zip(*frames):
        np.testing.assert_array_equal(a, b)
    assert frames[0][0].shape == (480, 640, 3) and frames[0][0].dtype == np.uint8


def test_different_seed_changes_the_look():
    a = choose_look(parse_clip(quick("lunge", seed=1), "t"))
    b = choose_look(parse_clip(quick("lunge", seed=2), "t"))
    assert a != b


def test_truth_files_shapes_and_landmark_order(tmp_path):
    result = render_clip(parse_clip(quick("lunge", seed=3), "t"), tmp_path, "clip")
    summary, arrays = load_truth(tmp_path / "clip")
    t = summary["frames"]
    assert result.frames == t
    assert arrays["t_ms"].shape == (t,) and arrays["t_ms"].dtype == np.float64
    np.testing.assert_allclose(np.diff(arrays["t_ms"]), 1000 / 30)
    assert arrays["image_px"].shape == (t, 33, 2) and arrays["image_px"].dtype == np.float32
    assert arrays["world_m"].shape == (t, 33, 3) and arrays["world_m"].dtype == np.float32
    assert arrays["in_frame"].shape == (t, 33) and arrays["in_frame"].dtype == bool
    assert arrays["in_frame"].all()
    # World origin at the mid-hip, y up: the head is above the hips and the feet below.
    w = arrays["world_m"]
    np.testing.assert_allclose((w[:, 23] + w[:, 24]) / 2, 0, atol=1e-6)
    assert (w[:, 0, 1] > 0.4).all() and w[0, 27, 1] < -0.6
    # "left" is the person's left: standing facing +z, their left hip is at +x.
    assert w[0, INDEX["left_hip"], 0] > w[0, INDEX["right_hip"], 0]
    assert INDEX["left_knee"] == 25 and INDEX["right_foot_index"] == 32
    body = load_body()
    assert body.landmark_names == tuple(sorted(INDEX, key=INDEX.get))
    for key in ("exercise", "view", "fps", "frames", "duration_s", "rep_count", "rep_count_by_side", "reps",
                "holds", "clip"):
        assert key in summary
    assert summary["rep_count"] == 1 and summary["rep_count_by_side"] == {"left": 1, "right": 0}
    rep = summary["reps"][0]
    assert rep["side"] == "left" and rep["faults"] == [] and rep["start_s"] < rep["end_s"]
    json.dumps(summary)
    assert (tmp_path / "clip.mp4").stat().st_size > 1000


def test_knee_landmark_is_the_knee_joint():
    _, body, motion, _, _, _ = plan(quick("lunge"))
    g_q = body.transforms(motion.poses[10])
    knee = g_q[1][body.seg("shin_l")]
    np.testing.assert_allclose(motion.landmarks[10, INDEX["left_knee"]], knee, atol=1e-9)


# (exercise, description extras, metric, requested value, tolerance in degrees)
ANGLE_CASES = [
    ("glute_bridge", {}, "hip_line", 178.0, 2.0),
    ("glute_bridge", {}, "knee", 90.0, 2.0),
    ("glute_bridge", {"reps": [{"fault": "hips_low", "size": 150}]}, "hip_line", 150.0, 2.5),
    ("glute_bridge", {"reps": [{"fault": "over_lift", "size": 200}]}, "hip_line", 200.0, 2.0),
    ("glute_bridge", {"reps": [{"fault": "hip_sag", "size": 15}]}, "hip_line", 163.0, 2.5),
    ("lunge", {}, "front_knee", 90.0, 2.0),
    ("lunge", {"reps": [{"fault": "shallow_front_knee", "size": 125}]}, "front_knee", 125.0, 2.0),
    ("lunge", {"reps": [{"fault": "torso_lean", "size": 35}]}, "torso", 35.0, 2.0),
    ("lunge", {"reps": [{"fault": "knee_past_toes", "size": 40}]}, "shin", 40.0, 2.0),
    ("lunge", {"reps": [{"side": "right"}], "camera": {"facing": "left"}}, "front_knee", 90.0, 2.0),
    ("hip_flexor_stretch", {}, "front_knee", 90.0, 2.0),
    ("hip_flexor_stretch", {}, "back_knee", 90.0, 2.0),
    ("hip_flexor_stretch", {}, "back_thigh", 15.0, 2.0),
    ("hip_flexor_stretch", {"holds": [{"seconds": 1.0, "fault": "torso_lean", "size": -20}]}, "torso", -20.0, 2.0),
    ("clamshell", {"camera": {"distance_m": 2.1, "height_m": 0.3}}, "opening", 40.0, 2.0),
]


@pytest.mark.parametrize(("exercise", "extra", "metric", "want", "tol"), ANGLE_CASES)
def test_requested_angles_reach_the_image(exercise, extra, metric, want, tol):
    desc = quick(exercise)
    desc.update(extra)
    desc["camera"] = {**desc.get("camera", {}), "jitter_px": 0.0}
    clip, body, motion, camera, px, _ = plan(desc)
    summary = summarise(clip, EXERCISES[exercise], motion, camera, px, choose_look(clip), body)
    item = summary["reps"][0] if summary["reps"] else summary["holds"][0]["segments"][0]
    assert abs(item["true_angles"][metric] - want) <= tol, item["true_angles"]


def test_truth_angles_follow_the_jittered_image():
    clip = parse_clip(quick("lunge", camera={"jitter_px": 3.0}), "t")
    body = load_body()
    motion = plan_motion(clip, body)
    camera = place_camera(clip, motion.landmarks)
    warps = jitter_transforms(len(motion.times), 3.0, 0)
    px, _ = project_truth(camera, motion.landmarks, warps)
    still, _ = project_truth(camera, motion.landmarks, jitter_transforms(len(motion.times), 0.0, 0))
    assert np.abs(px - still).max() > 0.5
    i = len(px) // 2
    a = measures("lunge", px[i], motion.landmarks[i], "left", 1.0, "right")["front_knee"]
    b = measures("lunge", still[i], motion.landmarks[i], "left", 1.0, "right")["front_knee"]
    assert abs(a - b) < 0.2  # a similarity warp keeps angles


def test_hold_truth_counts_good_form():
    clip, body, motion, camera, px, _ = plan(quick(
        "hip_flexor_stretch", holds=[{"seconds": 4.0}, {"seconds": 3.0, "fault": "torso_lean"}, {"seconds": 3.0}],
    ))
    summary = summarise(clip, EXERCISES["hip_flexor_stretch"], motion, camera, px, choose_look(clip), body)
    hold = summary["holds"][0]
    assert hold["faults"] == ["torso_lean"] and hold["side"] == "left"
    assert 6.0 < hold["good_form_s"] < 8.0
    assert summary["rep_count"] == 0 and summary["reps"] == []


def test_sample_clip_descriptions_are_valid():
    stems = {p.stem for p in CLIPS_DIR.glob("*.toml")}
    assert stems >= {"glute_bridge_demo", "lunge_demo", "clamshell_demo", "hip_flexor_stretch_demo"}
    for path in CLIPS_DIR.glob("*.toml"):
        assert load_clip(path).name == path.stem


# (TOML text, fragments the error message must contain)
BAD_CLIPS = [
    ('exercise = "lunge"\n[[reps]]\nfualt = "torso_lean"\n', ["reps[0].fualt", "did you mean 'fault'"]),
    ('exercise = "lunges"\n[[reps]]\n', ["exercise", "'lunges'", "did you mean 'lunge'"]),
    ('exercise = "lunge"\n[[reps]]\nfault = "hips_low"\n', ["reps[0].fault", "shallow_front_knee"]),
    ('exercise = "lunge"\n[camera]\nview = "top"\n[[reps]]\n', ["camera.view", "side, front, oblique"]),
    ('exercise = "lunge"\n[camera]\ndistance_m = "far"\n[[reps]]\n', ["camera.distance_m", "expected a number"]),
    ('exercise = "lunge"\n', ["reps", "at least one"]),
    ('exercise = "hip_flexor_stretch"\n[[holds]]\nfault = "torso_lean"\n', ["holds[0]", "missing key 'seconds'"]),
    ('exercise = "glute_bridge"\n[[reps]]\nside = "left"\n', ["reps[0].side", "not one-sided"]),
    ('exercise = "lunge"\n[look]\nskin = "green"\n[[reps]]\n', ["look.skin", "'green'"]),
    ('exercise = "lunge"\n[look]\nbody = "giant"\n[[reps]]\n', ["look.body", "default"]),
    ('[[reps]]\n', ["missing key 'exercise'"]),
    ('exercise = "lunge"\n[[reps]\n', ["invalid TOML"]),
    ('exercise = "lunge"\ntempo = 0\n[[reps]]\n', ["tempo", "[0.25, 4]"]),
]


@pytest.mark.parametrize(("text", "fragments"), BAD_CLIPS)
def test_malformed_clip_names_file_and_key(tmp_path, text, fragments):
    path = tmp_path / "bad_clip.toml"
    path.write_text(text)
    with pytest.raises(ClipError) as info:
        load_clip(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_clip_error_is_a_spec_error():
    from posecheck.errors import SpecError

    assert issubclass(ClipError, SpecError) and issubclass(ClipError, ValueError)


def test_missing_clip_file(tmp_path):
    with pytest.raises(ClipError, match="cannot read"):
        load_clip(tmp_path / "nope.toml")


def test_body_variants_and_unknown_variant():
    assert "default" in variants() and len(variants()) >= 2
    with pytest.raises(ValueError, match="unknown body variant 'giant'"):
        load_body("giant")


def test_synth_never_imports_torch_or_anny():
    code = (
        "import sys, posecheck.synth, posecheck.synth.generate;"
        "print(any(m.split('.')[0] in ('torch', 'anny', 'mediapipe') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_rejects_bad_clip(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('exercise = "nope"\n')
    out = subprocess.run([sys.executable, "-m", "posecheck.synth", "--clip", str(bad), "--out", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2 and "bad.toml" in out.stderr and "exercise" in out.stderr
