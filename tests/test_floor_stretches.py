"""The floor stretches of the article (butterfly, pigeon, 90/90): finding them by the article's names, the
hold's start/end measures, the world-space front leg and the heel distance in 3D, and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from builders import concat, hold, ramp, samples
from conftest import ROOT

from posecheck import metrics as m
from posecheck.cli import main
from posecheck.errors import SpecError
from posecheck.evaluator import Evaluator
from posecheck.landmarks import INDEX
from posecheck.sinks.report import build_report
from posecheck.sinks.terminal import format_summary
from posecheck.spec import find_spec, load_spec


def run(spec, seq):
    evaluator = Evaluator(spec)
    for s in seq:
        evaluator.update(s)
    evaluator.finish()
    return evaluator


@pytest.mark.parametrize(
    ("name", "spec_id"),
    [("90x90", "butterfly_stretch"), ("90x90 hip stretch", "butterfly_stretch"), ("adductor stretch", "pigeon_stretch"),
     ("Adductor stretch", "pigeon_stretch"), ("90/90", "hip_90_90"), ("hip airplanes", "lunge")],
)
def test_the_articles_names_find_the_movement_it_describes(name, spec_id):
    assert find_spec(name).id == spec_id


def test_specs_lists_the_articles_names_beside_ours(capsys):
    assert main(["specs"]) == 0
    out = capsys.readouterr().out
    assert 'butterfly_stretch' in out and '[the article\'s "90x90 hip stretch"]' in out
    assert '[the article\'s "Adductor stretch"]' in out


def butterfly_values(n: int, knee_l: np.ndarray, knee_r: np.ndarray, torso: float | np.ndarray = 5.0):
    return {"torso": np.broadcast_to(torso, (n,)).astype(float), "left_knee_height": knee_l,
            "right_knee_height": knee_r, "left_knee_bend": np.full(n, 40.0), "right_knee_bend": np.full(n, 40.0),
            "knees_apart": np.full(n, 4.0)}


def test_a_hold_reports_its_measures_at_the_start_and_the_end():
    spec = find_spec("butterfly_stretch")
    knees = ramp(0.6, 0.3, 20.0)
    seq = samples(butterfly_values(len(knees), knees, knees + 0.1), side=None, view_deg=5.0)
    holds = run(spec, seq).summary.holds
    assert len(holds) == 1
    left, right = holds[0].measures["left_knee_height"], holds[0].measures["right_knee_height"]
    # Medians of the first and the last 2 s of a straight ramp: 1 s in from each end.
    assert left == pytest.approx((0.585, 0.315), abs=0.005)
    assert right == pytest.approx((0.685, 0.415), abs=0.005)


def test_the_summary_says_which_movement_is_checked_and_the_measures():
    spec = find_spec("butterfly_stretch")
    knees = concat(hold(0.6, 10.0), hold(0.4, 10.0))
    seq = samples(butterfly_values(len(knees), knees, knees), side=None, view_deg=5.0)
    evaluator = run(spec, seq)
    report = build_report(spec, "clip.mp4", evaluator.summary, len(seq), len(seq), 20.0)
    text = format_summary(report, spec)
    assert 'Checked as the butterfly stretch, the movement the article\'s "90x90 hip stretch" describes' in text
    assert "left knee height: 0.60 at the start, 0.40 at the end" in text


def test_a_measure_never_seen_is_reported_as_unknown_not_as_a_number():
    spec = find_spec("butterfly_stretch")
    n = 30 * 6
    seq = samples(butterfly_values(n, np.full(n, np.nan), np.full(n, 0.5)), side=None, view_deg=5.0)
    holds = run(spec, seq).summary.holds
    assert holds[0].measures["left_knee_height"] == (None, None)
    assert holds[0].measures["right_knee_height"] == (0.5, 0.5)


def test_an_unknown_measure_metric_is_a_clear_error(tmp_path):
    text = find_spec("butterfly_stretch").path.read_text().replace(
        'measure = ["left_knee_height", "right_knee_height"]', 'measure = ["left_knee_hieght"]')
    path = tmp_path / "b.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=r"'measure' in \[hold\] names unknown metric 'left_knee_hieght'; did you mean 'left_knee_height'"):
        load_spec(path)


def world_person(lean_deg: float, pitch_deg: float) -> np.ndarray:
    """World landmarks (camera axes, y down) of someone seated on the floor, leaning ``lean_deg`` towards a
    camera in front that looks down by ``pitch_deg``."""
    w = np.zeros((33, 3))
    a = np.radians(lean_deg)
    for name, x in (("left", 0.1), ("right", -0.1)):
        w[INDEX[f"{name}_hip"]] = (x, 0.0, 0.0)
        w[INDEX[f"{name}_ankle"]] = (x / 3, 0.0, -0.4)  # ahead: towards the camera (-z)
        w[INDEX[f"{name}_shoulder"]] = (x * 1.8, -0.5 * np.cos(a), -0.5 * np.sin(a))
    p = np.radians(pitch_deg)
    # The camera pitched down: its axes turn about x.
    turn = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    return w @ turn.T


def test_the_front_leg_is_found_in_3d_from_any_view():
    w = world_person(0.0, 10.0)
    w[INDEX["left_ankle"]] += (0.0, 0.0, -0.3)  # the left foot further towards the camera: in front
    assert float(m.ankles_ahead(w)) > 0.25
    w[INDEX["left_ankle"]] += (0.0, 0.0, 0.6)
    assert float(m.ankles_ahead(w)) < -0.25


def seated_pose(left_knee_deg: float, right_knee_deg: float, heel_m: float = 0.2):
    """A Pose whose world landmarks (metres, camera axes) sit someone on the floor with the given 3D knee
    angles, feet ``heel_m`` in front of the hips, and plausible pixels (a whole body in view)."""
    w = np.zeros((33, 3))
    px = np.zeros((33, 2))
    for name, x in (("left", 0.1), ("right", -0.1)):
        knee = {"left": left_knee_deg, "right": right_knee_deg}[name]
        w[INDEX[f"{name}_hip"]] = (x, 0.0, 0.0)
        w[INDEX[f"{name}_knee"]] = (x * 4, 0.0, -0.4)  # thigh 0.4 m out and forward
        thigh = w[INDEX[f"{name}_knee"]] - w[INDEX[f"{name}_hip"]]
        a = np.radians(knee)
        # the shin leaves the knee at `knee` degrees from the thigh's line back to the hip, in the floor plane
        back = -thigh / np.linalg.norm(thigh)
        side = np.cross(back, [0.0, -1.0, 0.0])
        w[INDEX[f"{name}_ankle"]] = w[INDEX[f"{name}_knee"]] + 0.4 * (np.cos(a) * back + np.sin(a) * side)
        w[INDEX[f"{name}_shoulder"]] = (x * 1.8, -0.5, 0.0)
    for i in range(33):
        px[i] = (320 + 400 * w[i, 0], 300 + 400 * w[i, 1] - 100 * w[i, 2])
    from posecheck.pose.types import Pose

    return Pose(image_px=px.astype(np.float32), visibility=np.ones(33, np.float32), image_size=(640, 480),
                world_m=w.astype(np.float32))


def test_the_bent_leg_is_the_pigeons_front_leg_from_its_3d_knee_angles():
    from posecheck.sampler import Sampler

    spec = find_spec("pigeon_stretch")
    for bent, straight, side in ((50.0, 170.0, "left"), (170.0, 50.0, "right")):
        sampler = Sampler(spec)
        sample = None
        for i in range(10):
            sample = sampler.update(seated_pose(bent, straight), i * 33.3)
        assert sample.side == side
        assert sample.values["front_knee_3d"] == pytest.approx(50.0, abs=2.0)
        assert sample.values["back_leg_3d"] == pytest.approx(170.0, abs=2.0)


def test_a_distance_ratio_in_world_space():
    from posecheck.sampler import Sampler

    sampler = Sampler(find_spec("butterfly_stretch"))
    pose = seated_pose(90.0, 90.0)
    sample = None
    for i in range(10):
        sample = sampler.update(pose, i * 33.3)
    w = pose.world_m
    ankles = (w[INDEX["left_ankle"]] + w[INDEX["right_ankle"]]) / 2
    thigh = np.linalg.norm(w[INDEX["left_knee"]] - w[INDEX["left_hip"]])
    assert sample.values["heel_reach"] == pytest.approx(np.linalg.norm(ankles) / thigh, rel=0.02)


def test_the_butterflys_knees_lower_over_the_whole_hold_in_the_generator():
    from posecheck.synth.clip import load_clip
    from posecheck.synth.generate import build_timeline
    from posecheck.synth.motions import EXERCISES

    clip = load_clip(ROOT / "posecheck" / "synth" / "clips" / "butterfly_stretch_demo.toml")
    tl = build_timeline(clip, EXERCISES[clip.exercise])
    start, end = EXERCISES["butterfly_stretch"].settle["knee_rise"]
    rises = [tl.params_at(t)["knee_rise"] for t in np.linspace(0.0, tl.duration_s, 50)]
    assert rises[0] == pytest.approx(start) and rises[-1] == pytest.approx(end)
    assert all(b <= a + 1e-9 for a, b in zip(rises, rises[1:]))  # only ever lower


def test_the_butterfly_samples_truth_reports_the_knees_falling():
    import json

    truth = json.loads((ROOT / "sample_videos" / "butterfly_stretch_demo.truth.json").read_text())
    (hold,) = truth["holds"]
    for side in ("left", "right"):
        first, last = hold["measures"][f"{side}_knee_height"]
        assert last < first - 0.2
