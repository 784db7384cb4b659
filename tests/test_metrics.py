import numpy as np
import pytest

from posecheck import metrics as m
from posecheck.landmarks import COUNT, INDEX
from posecheck.smoothing import OneEuroFilter


@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        ((0, 0), (1, 0), (2, 0), 180.0),
        ((0, 0), (1, 0), (1, 1), 90.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((0, 0), (1, 0), (0, 0), 0.0),
    ],
)
def test_angle(a, b, c, expected):
    assert m.angle(np.array(a), np.array(b), np.array(c)) == pytest.approx(expected, abs=1e-6)


def test_angle_is_nan_when_a_point_is_missing():
    assert np.isnan(m.angle(np.array([np.nan, 0]), np.array([1, 0]), np.array([2, 0])))


def test_angle_in_pixels_differs_from_normalised_coordinates_on_a_wide_frame():
    # A 90 deg knee in a 640x360 frame: in normalised units the x axis is squeezed and the angle is wrong.
    w, h = 640, 360
    hip, knee, ankle = np.array([300.0, 100.0]), np.array([300.0, 200.0]), np.array([400.0, 200.0])
    assert m.angle(hip, knee, ankle) == pytest.approx(90)
    scale = np.array([w, h])
    assert m.angle(hip / scale, knee / scale, ankle / scale) == pytest.approx(90)  # axis-aligned: unchanged
    hip2 = np.array([250.0, 100.0])
    true = m.angle(hip2, knee, ankle)
    assert abs(m.angle(hip2 / scale, knee / scale, ankle / scale) - true) > 5


@pytest.mark.parametrize(
    "hip_y, expected",
    [(100.0, 180.0), (120.0, 180 - np.degrees(2 * np.arctan(20 / 100))), (80.0, 180 + np.degrees(2 * np.arctan(20 / 100)))],
)
def test_line_angle_is_above_180_when_the_middle_point_rises_above_the_line(hip_y, expected):
    shoulder, knee = np.array([0.0, 100.0]), np.array([200.0, 100.0])
    hip = np.array([100.0, hip_y])
    assert m.line_angle(shoulder, hip, knee, "up") == pytest.approx(expected, abs=1e-6)
    # direction of the line does not matter
    assert m.line_angle(knee, hip, shoulder, "up") == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "p1, direction, expected",
    [
        ((0, -100), None, 0.0),
        ((100, -100), None, 45.0),
        ((100, -100), 1, 45.0),     # facing right, leaning right: forward
        ((100, -100), -1, -45.0),   # facing left, leaning right: backward
        ((-100, -100), 0, 45.0),    # facing unknown: unsigned
    ],
)
def test_tilt_from_vertical(p1, direction, expected):
    assert m.tilt(np.array([0.0, 0.0]), np.array(p1, float), "vertical", direction) == pytest.approx(expected)


def test_tilt_from_horizontal_signed_up():
    assert m.tilt(np.zeros(2), np.array([100.0, -100.0]), "horizontal", 1.0) == pytest.approx(45)
    assert m.tilt(np.zeros(2), np.array([100.0, 100.0]), "horizontal", 1.0) == pytest.approx(-45)


def test_distance_ratio_and_height():
    assert m.distance_ratio(np.array([0, 0]), np.array([3, 4]), np.array([0, 0]), np.array([0, 10])) == pytest.approx(0.5)
    assert m.height_ratio(np.array([5.0, 40.0]), 100.0, np.array([0, 0]), np.array([0, 30])) == pytest.approx(2.0)


def _body(shoulder_half_width: float) -> np.ndarray:
    px = np.zeros((COUNT, 2))
    px[INDEX["left_shoulder"]] = (320 - shoulder_half_width, 100)
    px[INDEX["right_shoulder"]] = (320 + shoulder_half_width, 100)
    px[INDEX["left_hip"]] = (320 - shoulder_half_width * 0.8, 300)
    px[INDEX["right_hip"]] = (320 + shoulder_half_width * 0.8, 300)
    return px


def test_width_ratio_tells_side_on_from_facing():
    assert m.width_ratio(_body(5)) < 0.1
    assert m.width_ratio(_body(80)) > 0.6


def test_facing_from_nose_then_toes():
    px = np.zeros((COUNT, 2))
    px[INDEX["nose"]] = (110, 50)
    px[INDEX["left_ear"]] = px[INDEX["right_ear"]] = (100, 50)
    assert m.facing(px) == 1
    px[INDEX["nose"]] = (100, 50)  # head gives no cue: toes decide
    px[INDEX["left_foot_index"]] = px[INDEX["right_foot_index"]] = (80, 400)
    px[INDEX["left_heel"]] = px[INDEX["right_heel"]] = (100, 400)
    assert m.facing(px) == -1


def test_one_euro_keeps_a_constant_and_reduces_jitter():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    out = [f.update(np.array([5.0]), i / 30) for i in range(30)]
    assert out[-1] == pytest.approx(5.0)
    f.reset()
    noisy = 100 + rng.normal(0, 3, 300)
    smooth = np.array([f.update(np.array([v]), i / 30)[0] for i, v in enumerate(noisy)])
    assert smooth[30:].std() < noisy[30:].std() / 2


def test_one_euro_passes_nan_without_losing_state():
    f = OneEuroFilter()
    f.update(np.array([1.0, 2.0]), 0.0)
    out = f.update(np.array([np.nan, 2.0]), 0.1)
    assert np.isnan(out[0]) and out[1] == pytest.approx(2.0)
    assert f.update(np.array([1.0, 2.0]), 0.2)[0] == pytest.approx(1.0)


def test_world_angles_are_the_same_from_any_camera_turn():
    # A bridge-like hip line in 3D (camera axes, y down): the same angle whatever the yaw of the camera.
    shoulder, hip, knee = np.array([-0.5, 0.0, 0.0]), np.array([0.0, -0.2, 0.0]), np.array([0.45, -0.1, 0.0])
    for yaw in (0.0, 30.0, 60.0, 90.0):
        c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
        turn = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        a, b, k = shoulder @ turn.T, hip @ turn.T, knee @ turn.T
        assert m.line_angle_3d(a, b, k) > 180.0  # the hip is above the shoulder-knee line
        assert m.line_angle_3d(a, b, k) == pytest.approx(m.line_angle_3d(shoulder, hip, knee), abs=1e-9)
        assert m.angle_3d(a, b, k) == pytest.approx(360.0 - m.line_angle_3d(shoulder, hip, knee), abs=1e-9)
    assert m.tilt_3d(np.array([0.0, 0.0, 0.0]), np.array([0.0, -1.0, 0.0])) == pytest.approx(0.0)  # upright
    assert m.tilt_3d(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])) == pytest.approx(90.0)  # lying


POSTURES = {  # body axes (across = left to right, up = hips to shoulders) in camera axes, y down
    "standing": ((1.0, 0.0, 0.0), (0.0, -1.0, 0.0)),
    "lying on the back": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),  # forward (chest) is up; yaw 0: from the feet
    "lying on the side": ((0.0, -1.0, 0.0), (1.0, 0.0, 0.0)),  # across is vertical; yaw 0: in front
}


@pytest.mark.parametrize("posture", sorted(POSTURES))
@pytest.mark.parametrize("pitch", [0.0, 20.0, 35.0])
@pytest.mark.parametrize("yaw", [0.0, 30.0, 60.0, 90.0])
def test_the_view_is_the_cameras_turn_about_the_vertical_whatever_its_tilt_and_the_posture(posture, pitch, yaw):
    across, up = (np.array(v) for v in POSTURES[posture])
    world = np.zeros((COUNT, 3))
    for name, point in (("left_shoulder", -0.2 * across + 0.5 * up), ("right_shoulder", 0.2 * across + 0.5 * up),
                        ("left_hip", -0.15 * across), ("right_hip", 0.15 * across)):
        world[INDEX[name]] = point
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    turn = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # about the vertical
    c, s = np.cos(np.radians(pitch)), np.sin(np.radians(pitch))
    tilt = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # the camera looking down
    assert m.view_angle(world @ (tilt @ turn).T) == pytest.approx(yaw, abs=0.01)


@pytest.mark.parametrize("yaw, expected", [(0.0, 0.0), (45.0, 45.0), (90.0, 90.0)])
def test_the_view_angle_reads_the_camera_turn_from_world_landmarks(yaw, expected):
    world = np.zeros((COUNT, 3))
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    for name, x in (("left_shoulder", 0.2), ("right_shoulder", -0.2), ("left_hip", 0.15), ("right_hip", -0.15)):
        world[INDEX[name]] = [x * c, -0.5 if "shoulder" in name else 0.0, x * s]
    assert m.view_angle(world) == pytest.approx(expected, abs=0.01)
    assert m.view_from_width(np.array([0.1, 0.5, 0.9]), 0.45, 0.55).tolist() == pytest.approx([90.0, 45.0, 0.0])
