"""Joint names, indices and skeleton edges of MediaPipe Pose's 33 landmarks (data, not logic)."""

from __future__ import annotations

NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip

COUNT = len(NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}

#: Points that are the mean of two landmarks; specs may use them like any landmark.
MIDPOINTS: dict[str, tuple[str, str]] = {
    "mid_shoulder": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
    "mid_knee": ("left_knee", "right_knee"),
    "mid_ankle": ("left_ankle", "right_ankle"),
}

SIDES: tuple[str, str] = ("left", "right")
OTHER_SIDE: dict[str, str] = {"left": "right", "right": "left"}

#: Bones drawn by the overlay, as pairs of landmark names.
SKELETON: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
    ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)  # fmt: skip

SKELETON_INDICES: tuple[tuple[int, int], ...] = tuple((INDEX[a], INDEX[b]) for a, b in SKELETON)

#: Landmarks whose side a spec may choose with "{side}" / "{other}" placeholders.
SIDED_NAMES: frozenset[str] = frozenset(n.split("_", 1)[1] for n in NAMES if n.startswith(SIDES))


def known_point(name: str) -> bool:
    """True if ``name`` is a landmark or a midpoint."""
    return name in INDEX or name in MIDPOINTS

#: Limb bones whose on-screen length is tracked to catch landmarks that jump (left/right swaps etc.).
LIMB_BONES: tuple[tuple[str, str], ...] = tuple(
    (f"{side}_{a}", f"{side}_{b}")
    for side in SIDES
    for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))
)
