"""Tests of the synthetic footage generator (no MediaPipe): determinism, truth layout, requested
angles reaching the image, and clip-description errors."""

from __future__ import annotations

import itertools
import json
import math
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


def plan(desc):
    """Plan a clip (a description dict or a parsed Clip) without rendering it."""
    from posecheck.synth.generate import body_for

    clip = desc if not isinstance(desc, dict) else parse_clip(desc, "test")
    body = body_for(clip)
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


# ---------------------------------------------------------------- clip fields for the robustness suite
SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _subset_diff(old, new, path=""):
    """Where ``new`` differs from ``old`` on the keys ``old`` has (new keys are allowed)."""
    if isinstance(old, dict):
        return [d for k, v in old.items() for d in ([f"{path}.{k} missing"] if k not in new
                                                      else _subset_diff(v, new[k], f"{path}.{k}"))]
    if isinstance(old, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items, now {len(new)}"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _subset_diff(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path}: {old!r}, now {new!r}"]


def test_the_hold_sample_truth_is_what_the_generator_makes():
    clip, body, motion, camera, px, _ = plan(load_clip(CLIPS_DIR / "hip_flexor_stretch_demo.toml"))
    warps = jitter_transforms(len(motion.times), clip.camera.jitter_px, clip.seed)
    px, _ = project_truth(camera, motion.landmarks, warps)
    summary = json.loads(json.dumps(summarise(clip, EXERCISES[clip.exercise], motion, camera, px, choose_look(clip),
                                              body)))
    committed = json.loads((SAMPLES / "hip_flexor_stretch_demo.truth.json").read_text())
    assert _subset_diff(committed, summary) == []
    assert summary["view_deg"] == 90.0 and summary["exits"] == []


@pytest.mark.parametrize("stem", ["glute_bridge_demo", "lunge_demo", "clamshell_demo"])
def test_the_rep_sample_timelines_are_what_the_generator_makes(stem):
    """The committed truth's rep timing, faults and requested values (the whole truth of each sample was
    checked once: planning every frame of these clips takes ~20 s)."""
    from posecheck.synth.generate import build_timeline

    clip = load_clip(CLIPS_DIR / f"{stem}.toml")
    tl = build_timeline(clip, EXERCISES[clip.exercise])
    committed = json.loads((SAMPLES / f"{stem}.truth.json").read_text())
    assert round(tl.duration_s * 30) == committed["frames"] and committed["rep_count"] == len(tl.reps)
    for r, c in zip(tl.reps, committed["reps"]):
        assert (round(r.start_s, 3), round(r.end_s, 3), round(r.key_s, 3)) == (c["start_s"], c["end_s"], c["key_s"])
        assert (list(r.faults), list(r.sizes), r.side) == (c["faults"], c["fault_sizes"], c["side"])
        assert {k: round(v, 3) for k, v in r.requested.items()} == c["requested"]
        assert not r.partial


@pytest.mark.parametrize(("exercise", "view", "yaw"), [
    ("lunge", "side", 90), ("lunge", "front", 0), ("lunge", "oblique", 45),
    ("clamshell", "front", 0), ("clamshell", "side", 90), ("glute_bridge", "oblique", 45),
])
def test_yaw_matches_the_view_names_camera(exercise, view, yaw):
    from posecheck.synth.generate import camera_side_sign

    named = parse_clip(quick(exercise, camera={"view": view, "facing": "left"}), "t")
    _, _, motion, cam_named, _, _ = plan(named)
    by_yaw = parse_clip(quick(exercise, camera={"yaw_deg": yaw, "facing": "left"}), "t")
    cam_yaw = place_camera(by_yaw, motion.landmarks)
    np.testing.assert_array_equal(cam_named.position, cam_yaw.position)
    np.testing.assert_array_equal(cam_named.target, cam_yaw.target)
    assert camera_side_sign(named) == camera_side_sign(by_yaw)
    assert by_yaw.camera.yaw == named.camera.yaw == yaw


@pytest.mark.parametrize("yaw", [10.0, 30.0, 62.5])
def test_a_yaw_between_the_names_puts_the_camera_at_that_angle(yaw):
    clip, body, motion, camera, px, _ = plan(quick("lunge", camera={"yaw_deg": yaw, "facing": "left",
                                                                    "jitter_px": 0.0}))
    d = camera.position - camera.target
    assert math.degrees(math.atan2(d[0], d[2])) == pytest.approx(yaw, abs=1e-6)  # from the front (+z) to the left
    summary = summarise(clip, EXERCISES["lunge"], motion, camera, px, choose_look(clip), body)
    assert summary["view_deg"] == yaw and summary["view"] == ("front" if yaw < 22.5 else "oblique")


def test_pitch_looks_down_from_that_angle():
    clip, body, motion, camera, px, _ = plan(quick("glute_bridge", camera={"pitch_deg": 30.0, "distance_m": 3.0}))
    d = camera.position - camera.target
    assert math.degrees(math.atan2(d[1], math.hypot(d[0], d[2]))) == pytest.approx(30.0)
    assert np.linalg.norm(d) == pytest.approx(3.0)
    assert summarise(clip, EXERCISES["glute_bridge"], motion, camera, px, choose_look(clip), body)[
        "camera"]["pitch_deg"] == pytest.approx(30.0, abs=0.01)


def test_start_phase_makes_a_partial_first_rep_that_is_not_counted():
    desc = quick("glute_bridge", lead_in_s=0.0, reps=[{"count": 3}], tempo=2.0)
    _, _, whole, _, _, _ = plan(desc)
    clip, body, motion, camera, px, _ = plan(desc | {"start_phase": 0.5, "lead_in_s": 0})
    summary = summarise(clip, EXERCISES["glute_bridge"], motion, camera, px, choose_look(clip), body)
    reps = summary["reps"]
    assert [r["partial"] for r in reps] == [True, False, False]
    assert summary["rep_count"] == 2 and reps[0]["start_s"] == 0.0
    r0 = whole.timeline.reps[0]
    offset = 0.5 * (r0.end_s - r0.start_s)
    assert reps[1]["start_s"] == pytest.approx(whole.timeline.reps[1].start_s - offset, abs=1e-3)
    # The motion runs on as it would have: the first frame is the pose half-way through the first rep.
    i = round(offset * 30)
    np.testing.assert_allclose(motion.landmarks[0], whole.landmarks[i], atol=0.02)


def test_exits_are_in_the_truth_and_make_their_reps_partial(tmp_path):
    desc = quick("clamshell", lead_in_s=0.0, reps=[{"count": 3}], tempo=3.0, fps=10, rest_s=0.2,
                 exits=[[1.2, 0.5]], camera={"jitter_px": 0.0})
    clip = parse_clip(desc, "t")
    result = render_clip(clip, tmp_path, "exit")
    summary, arrays = load_truth(result.video)
    assert summary["exits"] == [{"start_s": 1.2, "end_s": 1.7}]
    overlaps = [r["start_s"] < 1.7 and r["end_s"] > 1.2 for r in summary["reps"]]
    assert [r["partial"] for r in summary["reps"]] == overlaps and any(overlaps)
    assert summary["rep_count"] == 3 - sum(overlaps)
    t = arrays["t_ms"] / 1000
    away = (t >= 1.2) & (t < 1.7)
    assert not arrays["in_frame"][away].any() and arrays["in_frame"][~away].all()
    assert np.isnan(arrays["image_px"][away]).all()
    # Only the room is drawn while the person is away: those frames are all alike.
    body = load_body(clip.body)
    motion = plan_motion(clip, body)
    camera = place_camera(clip, motion.landmarks)
    idx = np.nonzero(away)[0]
    gen = render_frames(clip, body, motion, camera, choose_look(clip), jitter_transforms(len(t), 0.0, 0, 10))
    frames = [f.copy() for f in itertools.islice(gen, idx[-1] + 1)]
    np.testing.assert_array_equal(frames[idx[0]], frames[idx[-1]])
    assert np.abs(frames[idx[0]].astype(int) - frames[idx[0] - 1]).max() > 50


def test_an_exit_after_the_end_is_an_error():
    with pytest.raises(ClipError, match=r"exits\[0\] starts at 90 s but the clip lasts"):
        plan(quick("lunge", exits=[[90.0, 1.0]]))


def test_rest_zero_starts_each_rep_where_the_last_ended():
    from posecheck.synth.generate import build_timeline

    clip = parse_clip(quick("lunge", reps=[{"count": 3}], rest_s=0.0), "t")
    reps = build_timeline(clip, EXERCISES["lunge"]).reps
    assert all(b.start_s == a.end_s for a, b in itertools.pairwise(reps))
    rested = build_timeline(parse_clip(quick("lunge", reps=[{"count": 3}], rest_s=0.7), "t"), EXERCISES["lunge"]).reps
    assert all(b.start_s == pytest.approx(a.end_s + 0.7) for a, b in itertools.pairwise(rested))


def test_lead_in_zero_starts_the_first_rep_at_once():
    from posecheck.synth.generate import build_timeline

    clip = parse_clip(quick("glute_bridge", lead_in_s=0), "t")
    assert build_timeline(clip, EXERCISES["glute_bridge"]).reps[0].start_s == 0.0


def test_tempo_jitter_varies_rep_lengths_and_leaves_other_clips_alone():
    from posecheck.synth.generate import build_timeline

    def lengths(**extra):
        clip = parse_clip(quick("clamshell", reps=[{"count": 6}], tempo=1.0, **extra), "t")
        return [r.end_s - r.start_s for r in build_timeline(clip, EXERCISES["clamshell"]).reps]

    steady, varied = lengths(), lengths(tempo_jitter=0.4)
    assert np.std(varied) > 2 * np.std(steady)
    assert lengths(tempo_jitter=0.0) == steady


def test_body_scale_and_fps():
    _, _, small, _, _, _ = plan(quick("lunge", look={"body_scale": 0.9}))
    _, _, big, _, _, _ = plan(quick("lunge", look={"body_scale": 1.1}, fps=15))
    def height(m):
        return m.landmarks[0, :, 1].max() - m.landmarks[0, :, 1].min()
    assert height(big) / height(small) == pytest.approx(1.1 / 0.9, rel=0.01)
    assert len(big.times) == pytest.approx(len(small.times) / 2, abs=1)
    np.testing.assert_allclose(np.diff(big.times), 1 / 15)


NEW_BAD_CLIPS = [
    ({"camera": {"yaw_deg": 120}}, ["camera.yaw_deg = 120", "[0, 90]"]),
    ({"camera": {"yaw_deg": "side"}}, ["camera.yaw_deg", "expected a number"]),
    ({"camera": {"pitch_deg": 50}}, ["camera.pitch_deg = 50", "[0, 40]"]),
    ({"camera": {"pitch_deg": 10, "height_m": 1.0}}, ["camera.pitch_deg", "not both"]),
    ({"look": {"body_scale": 1.5}}, ["look.body_scale = 1.5", "[0.85, 1.15]"]),
    ({"fps": 25.5}, ["fps = 25.5", "an integer"]),
    ({"rest_s": -1}, ["rest_s = -1", "[0, 30]"]),
    ({"tempo_jitter": 0.8}, ["tempo_jitter = 0.8", "[0, 0.5]"]),
    ({"start_phase": 1.0}, ["start_phase = 1", "[0, 0.95]"]),
    ({"start_phase": 0.5, "lead_in_s": 1.0}, ["start_phase = 0.5", "lead_in_s"]),
    ({"exits": [[1.0]]}, ["exits[0]", "[start_s, seconds]"]),
    ({"exits": "soon"}, ["exits = 'soon'", "[start_s, seconds]"]),
    ({"exits": [[1.0, 0.0]]}, ["exits[0][1] (seconds) = 0.0", "[0.1, 30]"]),
    ({"exits": [[4.0, 1.0], [4.5, 1.0]]}, ["exits[1] starts at 4.5 s, before exits[0] ends at 5 s"]),
]


@pytest.mark.parametrize(("extra", "fragments"), NEW_BAD_CLIPS)
def test_new_clip_fields_are_validated(extra, fragments):
    desc = quick("lunge", lead_in_s=0.0) if "start_phase" in extra and "lead_in_s" not in extra else quick("lunge")
    desc.pop("lead_in_s") if "start_phase" in extra and "lead_in_s" in extra else None
    desc.update(extra)
    with pytest.raises(ClipError) as info:
        parse_clip(desc, "clip.toml")
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"start_phase": 0.3}, "start_phase: hip_flexor_stretch is a hold"),
    ({"rest_s": 0.0}, "rest_s: hip_flexor_stretch is a hold"),
])
def test_rep_only_fields_refuse_holds(extra, fragment):
    with pytest.raises(ClipError, match=fragment):
        parse_clip(quick("hip_flexor_stretch", lead_in_s=0.0, **extra), "t")


def test_every_clip_key_is_documented():
    import posecheck.synth.clip as clip_module
    from posecheck.synth.clip import CAMERA_KEYS, LOOK_KEYS, TOP_KEYS

    doc = clip_module.__doc__
    for key in (*TOP_KEYS, *CAMERA_KEYS, "body", "body_scale"):
        if key not in ("camera", "look", "reps", "holds", "name"):
            assert f"{key} =" in doc, key
    assert set(LOOK_KEYS) >= {"body", "body_scale"}
