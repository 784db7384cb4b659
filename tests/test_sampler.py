import numpy as np
import pytest
from builders import pose_from_points

from posecheck.landmarks import COUNT
from posecheck.pose.types import Pose
from posecheck.sampler import Sampler, SideChooser
from posecheck.spec import find_spec


def standing_lunge(front: str, facing: int = 1) -> Pose:
    """A side-view lunge at the bottom, facing image-right (+1) or left (-1), front leg ``front``."""
    back = "right" if front == "left" else "left"
    cx = 320
    f = facing
    pts = {
        "nose": (cx + 30 * f, 100), "left_ear": (cx, 100), "right_ear": (cx, 100),
        "left_shoulder": (cx, 140), "right_shoulder": (cx, 140),
        "left_hip": (cx, 300), "right_hip": (cx, 300),
        f"{front}_knee": (cx + 100 * f, 300), f"{front}_ankle": (cx + 100 * f, 400),
        f"{back}_knee": (cx - 60 * f, 390), f"{back}_ankle": (cx - 160 * f, 400),
        "left_heel": (cx, 405), "right_heel": (cx, 405), "left_foot_index": (cx, 405), "right_foot_index": (cx, 405),
    }  # fmt: skip
    return pose_from_points(pts)


@pytest.mark.parametrize("front, facing", [("left", 1), ("right", 1), ("left", -1), ("right", -1)])
def test_front_leg_is_found_whichever_way_the_person_faces(front, facing):
    spec = find_spec("lunge")
    sample = Sampler(spec).update(standing_lunge(front, facing), 0.0)
    assert sample.side == front
    assert sample.facing == facing
    assert sample.values["front_knee"] == pytest.approx(90, abs=1)
    assert sample.values["torso"] == pytest.approx(0, abs=1)
    assert np.isnan(sample.values["hip_height"])  # relative to standing: unknown on the first frame


def test_side_switch_needs_the_other_side_to_win_for_a_while():
    chooser = SideChooser("front_leg", switch_after_s=0.3)
    left, right = standing_lunge("left"), standing_lunge("right")
    assert chooser.update(left.image_px, left, 1, 0.0) == "left"
    assert chooser.update(right.image_px, right, 1, 0.1) == "left"   # one flipped frame: ignored
    assert chooser.update(left.image_px, left, 1, 0.2) == "left"
    for t in (0.3, 0.5, 0.7):
        side = chooser.update(right.image_px, right, 1, t)
    assert side == "right"


def test_auto_side_prefers_the_side_nearer_the_camera():
    pose = standing_lunge("left")
    world = np.zeros((COUNT, 3), np.float32)
    world[[12, 24, 26, 28], 2] = -0.2  # right side has smaller z: nearer the camera
    near = Pose(pose.image_px.copy(), pose.visibility.copy(), pose.image_size, world_m=world)
    assert SideChooser("auto", 0.3).update(near.image_px, near, 1, 0.0) == "right"


def test_unreliable_landmarks_make_their_metrics_nan():
    spec = find_spec("lunge")
    pose = standing_lunge("left")
    vis = pose.visibility.copy()
    vis[25] = 0.1  # left knee
    low = Pose(pose.image_px.copy(), vis, pose.image_size)
    sample = Sampler(spec).update(low, 0.0)
    assert np.isnan(sample.values["front_knee"])
    assert np.isfinite(sample.values["torso"])


def test_a_bone_that_suddenly_changes_length_is_not_trusted():
    spec = find_spec("lunge")
    sampler = Sampler(spec)
    pose = standing_lunge("left")
    for i in range(15):
        sampler.update(pose, i * 33.3)
    px = pose.image_px.copy()
    px[27] = (420, 700)  # left ankle jumps far away: the shank triples in length
    jumped = Pose(px, pose.visibility.copy(), pose.image_size)
    sample = sampler.update(jumped, 16 * 33.3)
    assert np.isnan(sample.values["front_knee"])


def test_no_pose_gives_nan_values():
    sample = Sampler(find_spec("glute_bridge")).update(None, 0.0, people_in_view=0)
    assert not sample.pose_found and all(np.isnan(v) for v in sample.values.values())


def test_baseline_metric_is_relative_to_its_usual_value():
    spec = find_spec("clamshell")
    sampler = Sampler(spec)
    base = {"left_hip": (300, 300), "right_hip": (300, 260), "left_knee": (400, 300), "right_knee": (400, 260),
            "left_ankle": (380, 380), "right_ankle": (380, 380), "left_shoulder": (150, 300), "right_shoulder": (150, 250)}
    for i in range(20):
        sample = sampler.update(pose_from_points(base), i * 33.3)
    assert sample.values["hip_width"] == pytest.approx(1.0, abs=0.02)
    rolled = {**base, "right_hip": (300, 264)}  # hips 10% closer on screen
    for i in range(20, 40):
        sample = sampler.update(pose_from_points(rolled), i * 33.3)
    assert sample.values["hip_width"] == pytest.approx(0.9, abs=0.03)
