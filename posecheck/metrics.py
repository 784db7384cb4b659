"""Pure geometry on landmark pixels. Angles in degrees; points are (..., 2) arrays, x right, y down.

Every function broadcasts over leading dimensions so it works on one frame or a whole track, and
returns NaN where an input point is NaN.
"""

from __future__ import annotations

import numpy as np

from .landmarks import INDEX

_EPS = 1e-9


def angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle a-b-c at b, in [0, 180]."""
    u = np.asarray(a, float) - b
    v = np.asarray(c, float) - b
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    return np.degrees(np.arctan2(np.abs(cross), (u * v).sum(-1)))


def side_of_line(a: np.ndarray, c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Signed distance of p from the line a-c, in pixels; positive when p is above it (smaller y)."""
    d = np.asarray(c, float) - a
    w = np.asarray(p, float) - a
    # The cross product's sign depends on the line's direction; orient it so 'above' is positive.
    cross = d[..., 0] * w[..., 1] - d[..., 1] * w[..., 0]
    sign = np.where(d[..., 0] >= 0, -1.0, 1.0)
    return sign * cross / (np.linalg.norm(d, axis=-1) + _EPS)


def line_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray, positive: str = "up") -> np.ndarray:
    """Angle a-b-c in [0, 360): 180 is a straight line; above 180 when b is above the line a-c.

    With ``positive="none"`` it is the plain angle.
    """
    theta = angle(a, b, c)
    if positive == "none":
        return theta
    above = side_of_line(a, c, b) > 0
    return np.where(above, 360.0 - theta, theta)


def tilt(p0: np.ndarray, p1: np.ndarray, reference: str = "vertical", direction: np.ndarray | float | None = None) -> np.ndarray:
    """Tilt of the segment p0→p1 from vertical (0 when p1 is straight above p0) or horizontal, in degrees.

    Unsigned when ``direction`` is None. Otherwise signed: from vertical, positive when p1 lies toward
    ``direction`` (+1 image-right, -1 image-left: pass the facing direction to get "leaning forward");
    from horizontal, positive when p1 is above p0 times ``direction``. Where ``direction`` is 0 (facing
    unknown) the unsigned value is returned.
    """
    d = np.asarray(p1, float) - p0
    if reference == "vertical":
        magnitude = np.degrees(np.arctan2(np.abs(d[..., 0]), -d[..., 1]))
        lateral = d[..., 0]
    else:
        magnitude = np.degrees(np.arctan2(np.abs(d[..., 1]), np.abs(d[..., 0])))
        lateral = -d[..., 1]
    if direction is None:
        return magnitude
    direction = np.asarray(direction, float)
    return np.where(direction != 0, magnitude * np.sign(lateral * direction), magnitude)


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance in pixels."""
    d = np.asarray(a, float) - b
    # np.linalg.norm(d, axis=-1) to the bit (the same sum of squares), without its overhead.
    return np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1]) if d.shape[-1] == 2 else np.linalg.norm(d, axis=-1)


def distance_ratio(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """|ab| / |cd|: a distance normalised by a body length."""
    return distance(a, b) / (distance(c, d) + _EPS)


def height_ratio(p: np.ndarray, floor_y: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Height of p above the floor line y = floor_y, divided by |cd|."""
    return (np.asarray(floor_y, float) - np.asarray(p, float)[..., 1]) / (distance(c, d) + _EPS)


def width_ratio(px: np.ndarray) -> np.ndarray:
    """(shoulder width + hip width) / (2 x torso length) of (..., 33, 2) landmarks.

    Near 0 when the body is side-on to the camera, around 0.6-0.8 when it faces the camera,
    whatever the body's orientation in the image (standing or lying).
    """
    ls, rs = px[..., INDEX["left_shoulder"], :], px[..., INDEX["right_shoulder"], :]
    lh, rh = px[..., INDEX["left_hip"], :], px[..., INDEX["right_hip"], :]
    torso = distance((ls + rs) / 2, (lh + rh) / 2)
    return (distance(ls, rs) + distance(lh, rh)) / (2 * torso + _EPS)


def _mean_of(points: np.ndarray, *names: str) -> np.ndarray:
    """The mean of the named landmarks of (..., 33, D) points."""
    return sum(points[..., INDEX[n], :] for n in names) / len(names)


def view_angle(world_m: np.ndarray) -> np.ndarray:
    """The camera's view of the body in degrees, from (..., 33, 3) world landmarks (metres, camera axes,
    y down): 0 when the camera looks at the person's front (or back), 90 when it looks along their
    left-right axis, in any posture and however far the camera looks down.

    The body's axes are across (left to right), up (hips to shoulders) and forward (their cross product).
    The one nearest the image's vertical is the one the floor is under (up when standing or kneeling,
    forward when lying on the back, across when lying on the side); the view is the camera's turn about it,
    from the other two. The camera's tilt moves the vertical axis only, so it changes nothing: measuring
    the left-right axis against the image plane instead read a camera looking down 30 deg as 30 deg less
    side-on, and a side-lying body (whose left-right axis is vertical) as the camera's tilt.
    """
    w = world_m
    across = _mean_of(w, "right_shoulder", "right_hip") - _mean_of(w, "left_shoulder", "left_hip")
    across /= np.linalg.norm(across, axis=-1, keepdims=True) + _EPS
    up = _mean_of(w, "left_shoulder", "right_shoulder") - _mean_of(w, "left_hip", "right_hip")
    up -= np.sum(up * across, axis=-1, keepdims=True) * across
    up /= np.linalg.norm(up, axis=-1, keepdims=True) + _EPS
    forward = np.cross(across, up)
    axes = np.stack([across, up, forward], axis=-2)  # (..., 3 axes, xyz)
    vertical = np.argmax(np.abs(axes[..., 1]), axis=-1)
    depth = np.abs(axes[..., 2])  # each axis's share of the camera's line of sight
    # (side-on axis, front-on axis) for each vertical axis: across -> (up, forward), up -> (across,
    # forward), forward -> (across, up).
    side = np.where(vertical == 0, depth[..., 1], depth[..., 0])
    front = np.where(vertical == 2, depth[..., 1], depth[..., 2])
    return np.degrees(np.arctan2(side, front))


def ankles_ahead(world_m: np.ndarray) -> np.ndarray:
    """How far the left ankle is ahead of the right along the torso's facing direction, in metres, from
    (..., 33, 3) world landmarks (camera axes): > 0 when the left leg is in front. Any camera view.

    The facing direction is the normal of the torso: left-right hip axis x (shoulders - hips)."""
    w = world_m
    across = w[..., INDEX["left_hip"], :] - w[..., INDEX["right_hip"], :]
    up = _mean_of(w, "left_shoulder", "right_shoulder") - _mean_of(w, "left_hip", "right_hip")
    forward = np.cross(across, up)
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True) + _EPS
    gap = w[..., INDEX["left_ankle"], :] - w[..., INDEX["right_ankle"], :]
    return np.sum(gap * forward, axis=-1)


def view_from_width(width: np.ndarray, side_max: float, front_min: float) -> np.ndarray:
    """The view in degrees from :func:`width_ratio` alone (no world landmarks): 90 at or below
    ``side_max``, 0 at or above ``front_min``, linear between. Coarse: use :func:`view_angle` when possible."""
    lo, hi = min(side_max, front_min), max(side_max, front_min)
    share = np.clip((np.asarray(width, float) - lo) / max(hi - lo, _EPS), 0.0, 1.0)
    return 90.0 * (1.0 - share)


def angle_3d(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle a-b-c at b, in [0, 180], of (..., 3) points."""
    u = np.asarray(a, float) - b
    v = np.asarray(c, float) - b
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), (u * v).sum(-1)))


def line_angle_3d(a: np.ndarray, b: np.ndarray, c: np.ndarray, positive: str = "up") -> np.ndarray:
    """:func:`line_angle` of (..., 3) world points (camera axes, y down): above 180 when b lies above the
    line a-c, "above" being up in the camera's frame (against gravity for a level camera)."""
    theta = angle_3d(a, b, c)
    if positive == "none":
        return theta
    d = np.asarray(c, float) - a
    d = d / (np.linalg.norm(d, axis=-1, keepdims=True) + _EPS)
    w = np.asarray(b, float) - a
    off = w - (w * d).sum(-1, keepdims=True) * d  # b's offset from the line
    return np.where(off[..., 1] < 0, 360.0 - theta, theta)


def tilt_3d(p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Unsigned tilt of the (..., 3) segment p0→p1 from the camera's vertical, in degrees (0: p1 above p0)."""
    d = np.asarray(p1, float) - p0
    return np.degrees(np.arctan2(np.hypot(d[..., 0], d[..., 2]), -d[..., 1]))


def facing(px: np.ndarray) -> np.ndarray:
    """+1 if the person faces image-right, -1 if image-left, 0 if it cannot be told.

    The nose ahead of the ears is the cue; toes ahead of heels is the fallback.
    """
    nose = px[..., INDEX["nose"], 0]
    ears = (px[..., INDEX["left_ear"], 0] + px[..., INDEX["right_ear"], 0]) / 2
    head = nose - ears
    toes = (
        px[..., INDEX["left_foot_index"], 0] - px[..., INDEX["left_heel"], 0]
        + px[..., INDEX["right_foot_index"], 0] - px[..., INDEX["right_heel"], 0]
    )
    # NaN counts as 0 (as np.nan_to_num does; the sums of pixels are never infinite).
    head = np.where(np.isnan(head), 0.0, head)
    toes = np.where(np.isnan(toes), 0.0, toes)
    return np.sign(np.where(head != 0, head, toes))
