"""Rotations and the pose of the simplified rig.

A :class:`Pose` gives each rig segment a world rotation of its *anatomical frame*: x = the person's
left, y = along the segment towards its parent (up for a standing person), z = forward. With every
rotation the identity the body stands upright, facing +z, arms and legs straight down ("neutral").
Segment pivots then follow from the rest skeleton by forward kinematics (see ``body.Body``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def rot_x(deg: float) -> Array:
    """Rotation about +x (pitch in the sagittal plane). Positive swings a hanging segment backwards."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> Array:
    """Rotation about +y (yaw, or twist of a hanging segment)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> Array:
    """Rotation about +z (roll in the frontal plane). Positive swings a hanging segment to +x."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def axis_angle(axis: Array, deg: float) -> Array:
    """Rotation of ``deg`` degrees about ``axis`` (Rodrigues)."""
    k = np.asarray(axis, float)
    k = k / np.linalg.norm(k)
    a = np.radians(deg)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(a) * kx + (1.0 - np.cos(a)) * (kx @ kx)


def align(src: Array, dst: Array) -> Array:
    """Smallest rotation taking direction ``src`` onto direction ``dst``."""
    a = np.asarray(src, float) / np.linalg.norm(src)
    b = np.asarray(dst, float) / np.linalg.norm(dst)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis)
    c = float(np.dot(a, b))
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        perp = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        return axis_angle(perp, 180.0)
    return axis_angle(axis, np.degrees(np.arctan2(s, c)))


def down(alpha_deg: float) -> Array:
    """Unit direction of a segment's distal end after ``rot_x(alpha)``: (0, -cos a, -sin a)."""
    a = np.radians(alpha_deg)
    return np.array([0.0, -np.cos(a), -np.sin(a)])


@dataclass
class Pose:
    """World rotations of every segment's anatomical frame, plus the pelvis pivot position.

    ``rotations`` is (S, 3, 3); ``root`` is (3,) metres. Builders usually leave ``root`` at zero and let
    the clip generator place the body on the floor.
    """

    rotations: Array
    root: Array

    @classmethod
    def neutral(cls, n_segments: int) -> Pose:
        """Standing upright, facing +z, limbs straight down."""
        return cls(np.repeat(np.eye(3)[None], n_segments, axis=0), np.zeros(3))

    def copy(self) -> Pose:
        """A deep copy."""
        return Pose(self.rotations.copy(), self.root.copy())
