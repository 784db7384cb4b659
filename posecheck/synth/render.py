"""A small software renderer: pinhole camera, procedural room, flat-per-face Lambert body.

The body is drawn with the painter's algorithm (back faces culled, far faces first) by OpenCV's
polygon filler at ``SUPERSAMPLE`` times the output size, then averaged down, which smooths edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .body import Body
from .look import (
    BROW_MIX,
    CLOTHING,
    FACE_COLOURS,
    FLOORS,
    HAIR,
    LIGHTING,
    LIP_MIX,
    MAT_SIZE,
    MATS,
    SHOES,
    SKIN_TONES,
    WALLS,
    Look,
)

Array = np.ndarray
SUPERSAMPLE = 2
SUBPIXEL_BITS = 4
WALL_DISTANCE_M = 2.2  # behind the subject's centre, along the camera's viewing direction
SHADOW_STRENGTH = 0.38
SHADOW_BLUR_M = 0.06
SHADOW_DOWNSAMPLE = 4
BACKGROUND_BLUR_PX = 1.3
LENS_BLUR_PX = 0.6  # a webcam's softness; also keeps flat-shaded facets from costing video bits
BASEBOARD_M = 0.09

# Which rig segments each clothing region covers (dominant skinning segment of a face).
TOP_SEGMENTS = ("spine", "chest")
ARM_SEGMENTS = ("upperarm_l", "upperarm_r")
FOREARM_SEGMENTS = ("forearm_l", "forearm_r")
BOTTOM_SEGMENTS = ("pelvis", "thigh_l", "thigh_r")
SHIN_SEGMENTS = ("shin_l", "shin_r")
SHORT_SLEEVE_FRACTION = 0.45  # of the upper arm, from the shoulder
SHORTS_FRACTION = 0.55  # of the thigh, from the hip
WAIST_ABOVE_HIP_M = 0.14  # waistband height above the hip joints (rest pose)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking from ``position`` at ``target`` (world y up), OpenCV image axes."""

    position: Array
    target: Array
    width: int = 640
    height: int = 480
    hfov_deg: float = 62.0

    @property
    def rotation(self) -> Array:
        """World -> camera rotation; rows are the camera's right, down and forward axes."""
        f = self.target - self.position
        f = f / np.linalg.norm(f)
        r = np.cross(f, [0.0, 1.0, 0.0])
        r = r / np.linalg.norm(r)
        u = np.cross(r, f)
        return np.stack([r, -u, f])

    @property
    def focal(self) -> float:
        """Focal length in pixels."""
        return (self.width / 2) / np.tan(np.radians(self.hfov_deg) / 2)

    def to_camera(self, points: Array) -> Array:
        """World points (...,3) in camera coordinates (x right, y down, z forward)."""
        return (np.asarray(points) - self.position) @ self.rotation.T

    def project(self, points: Array) -> tuple[Array, Array]:
        """Pixel positions (...,2) and depths (...) of world points."""
        pc = self.to_camera(points)
        z = pc[..., 2]
        safe = np.where(z > 1e-6, z, np.nan)
        px = np.stack(
            [self.focal * pc[..., 0] / safe + self.width / 2, self.focal * pc[..., 1] / safe + self.height / 2],
            axis=-1,
        )
        return px, z

    def rays(self, scale: int = 1) -> Array:
        """World direction of the ray through each pixel centre, (H*scale, W*scale, 3)."""
        h, w = self.height * scale, self.width * scale
        u = (np.arange(w) + 0.5) / scale - self.width / 2
        v = (np.arange(h) + 0.5) / scale - self.height / 2
        uu, vv = np.meshgrid(u, v)
        d = np.stack([uu / self.focal, vv / self.focal, np.ones_like(uu)], axis=-1)
        return d @ self.rotation


def face_colours(body: Body, look: Look) -> Array:
    """Base RGB colour (F,3) in 0-1 of every face for a look (skin, clothes, hair, face details)."""
    part = np.array(body.part_names)[body.part]
    dominant_vertex_seg = body.skin_index[:, 0]
    seg_names = np.array(body.segment_names)
    face_seg = seg_names[dominant_vertex_seg[body.faces[:, 0]]]
    centre = body.vertices[body.faces].mean(axis=1)
    skin = np.array(SKIN_TONES[look.skin], float)
    colours = np.repeat(skin[None], len(body.faces), axis=0)

    def along(seg_a: str, seg_b: str) -> Array:
        a, b = body.pivots[body.seg(seg_a)], body.pivots[body.seg(seg_b)]
        d = b - a
        return ((centre - a) @ d) / (d @ d)

    hips_y = body.pivots[body.seg("thigh_l"), 1]
    trunk = np.isin(face_seg, TOP_SEGMENTS + BOTTOM_SEGMENTS[:1])
    top = trunk & (centre[:, 1] > hips_y + WAIST_ABOVE_HIP_M)
    for side in ("l", "r"):
        arm = face_seg == f"upperarm_{side}"
        if look.sleeves == "short":
            arm &= along(f"upperarm_{side}", f"forearm_{side}") < SHORT_SLEEVE_FRACTION
        top |= arm
        if look.sleeves == "long":
            top |= face_seg == f"forearm_{side}"
    bottom = np.isin(face_seg, BOTTOM_SEGMENTS) | (trunk & ~top)
    if look.legs == "shorts":
        for side in ("l", "r"):
            thigh = face_seg == f"thigh_{side}"
            bottom &= ~(thigh & (along(f"thigh_{side}", f"shin_{side}") > SHORTS_FRACTION))
    else:
        bottom |= np.isin(face_seg, SHIN_SEGMENTS)
    body_part = part == "body"
    colours[top & body_part] = CLOTHING[look.top]
    colours[bottom & body_part] = CLOTHING[look.bottom]
    if SHOES[look.shoes][0] >= 0:
        colours[part == "foot"] = SHOES[look.shoes]
    colours[part == "hair"] = HAIR[look.hair]
    colours[part == "eye_white"] = FACE_COLOURS["eye_white"]
    colours[part == "iris"] = FACE_COLOURS["iris"]
    colours[part == "brow"] = skin * (1 - BROW_MIX) + np.array(HAIR[look.hair]) * BROW_MIX
    colours[part == "lip"] = skin * (1 - LIP_MIX) + np.array(FACE_COLOURS["lip_tint"]) * LIP_MIX
    return colours / 255.0


def _hash_noise(ix: Array, iy: Array, seed: int) -> Array:
    """Deterministic pseudo-random values in [0,1) per integer cell."""
    h = (ix.astype(np.int64) * 73856093) ^ (iy.astype(np.int64) * 19349663) ^ (seed * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return ((h ^ (h >> 16)) & 0xFFFF) / 65536.0


def render_background(camera: Camera, look: Look, centre: Array, mat_centre: Array | None,
                      mat_axis: Array | None, seed: int) -> tuple[Array, Array]:
    """Floor, wall and optional mat seen by ``camera``: (H,W,3) float RGB 0-1 and a floor mask."""
    rays = camera.rays()
    o = camera.position
    floor = FLOORS[look.floor]
    wall_rgb = np.array(WALLS[look.wall], float) / 255.0
    view = camera.target - o
    view[1] = 0.0
    view /= np.linalg.norm(view)
    wall_point = centre + view * WALL_DISTANCE_M
    denom = rays @ view
    t_wall = np.where(denom > 1e-6, ((wall_point - o) @ view) / np.where(denom > 1e-6, denom, 1), np.inf)
    t_floor = np.where(rays[..., 1] < -1e-6, -o[1] / np.where(rays[..., 1] < -1e-6, rays[..., 1], -1), np.inf)
    on_floor = t_floor < t_wall
    hit = o + rays * np.minimum(t_floor, t_wall)[..., None]
    img = np.empty(rays.shape, float)

    # Wall: paint with a soft vertical gradient and a baseboard.
    height = hit[..., 1]
    shade = 0.92 + 0.08 * np.clip(height / 2.5, 0, 1)
    img[:] = wall_rgb * shade[..., None]
    img[(height < BASEBOARD_M) & ~on_floor] = wall_rgb * 0.8

    # Floor: planks (long along the wall) or tiles, per-cell tone, grain and a seam line.
    side = np.cross(view, [0.0, 1.0, 0.0])
    a = hit @ side
    b = hit @ view
    if floor.kind == "planks":
        row = np.floor(b / floor.size)
        col = np.floor((a + _hash_noise(row, row, seed) * 1.3) / 1.3)
        cell_a, cell_b = row, col
        seam = np.minimum(b / floor.size - row, 1 - (b / floor.size - row)) * floor.size
        grain = np.sin(a * floor.grain * 6.0 + 3.0 * _hash_noise(row, col, seed + 1)) * 0.03
    else:
        cell_a, cell_b = np.floor(a / floor.size), np.floor(b / floor.size)
        fa, fb = a / floor.size - cell_a, b / floor.size - cell_b
        seam = np.minimum.reduce([fa, 1 - fa, fb, 1 - fb]) * floor.size
        grain = (_hash_noise(np.floor(a * 40), np.floor(b * 40), seed + 2) - 0.5) * 0.02 * floor.grain
    tone = _hash_noise(cell_a, cell_b, seed)
    base = np.array(floor.colour_a, float) / 255.0
    alt = np.array(floor.colour_b, float) / 255.0
    floor_rgb = base * (1 - tone[..., None]) + alt * tone[..., None]
    floor_rgb = floor_rgb * (1.0 + grain[..., None])
    floor_rgb = np.where((seam < 0.004)[..., None], floor_rgb * 0.8, floor_rgb)
    if mat_centre is not None and MATS[look.mat][0] >= 0:
        along_m = (hit - mat_centre) @ mat_axis
        across = (hit - mat_centre) @ np.cross(mat_axis, [0.0, 1.0, 0.0])
        on_mat = (np.abs(along_m) < MAT_SIZE[0] / 2) & (np.abs(across) < MAT_SIZE[1] / 2)
        floor_rgb[on_mat] = np.array(MATS[look.mat], float) / 255.0
    # Light falls off away from the subject.
    dist = np.linalg.norm((hit - centre)[..., [0, 2]], axis=-1)
    floor_rgb = floor_rgb * (1.0 - 0.18 * np.clip(dist / 4.0, 0, 1))[..., None]
    img[on_floor] = floor_rgb[on_floor]
    # The background is out of focus: a real camera focused on the person blurs it, and the video
    # codec spends far fewer bits on it.
    img = cv2.GaussianBlur(img, (0, 0), BACKGROUND_BLUR_PX)
    return np.clip(img, 0, 1), on_floor


class Renderer:
    """Draws posed meshes of one body into frames for one camera and look."""

    def __init__(self, body: Body, camera: Camera, look: Look, background: Array, floor_mask: Array) -> None:
        self.body = body
        self.camera = camera
        self.base_colour = face_colours(body, look)
        light = LIGHTING[look.lighting]
        cam_rot = camera.rotation
        # Light presets are camera-relative (x right, y up, z towards the camera).
        to_world = np.stack([cam_rot[0], -cam_rot[1], -cam_rot[2]], axis=1)
        self.key = to_world @ _unit(light.key_direction)
        self.fill = to_world @ _unit(light.fill_direction)
        self.light = light
        self.tint = np.array(light.tint)
        self.background = background
        self.floor_mask = floor_mask
        # Vertex normals as sums over incident faces, via one sorted gather (faster than np.add.at).
        incidence = body.faces.ravel()
        self._by_vertex = np.argsort(incidence, kind="stable") // 3
        counts = np.bincount(incidence, minlength=len(body.vertices))
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    def shade(self, vertices: Array) -> Array:
        """RGB (F,3) in 0-1 for every face, from smoothed vertex normals and the look's lights."""
        tri = vertices[self.body.faces]
        fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        vn = np.add.reduceat(fn[self._by_vertex], self._starts, axis=0)
        vn /= np.linalg.norm(vn, axis=1, keepdims=True) + 1e-12
        lam = (
            self.light.ambient
            + self.light.key * np.clip(vn @ self.key, 0, None)
            + self.light.fill * np.clip(vn @ self.fill, 0, None)
        )
        face_lam = lam[self.body.faces].mean(axis=1)
        return np.clip(self.base_colour * face_lam[:, None] * self.tint, 0, 1)

    def shadow(self, vertices: Array) -> Array:
        """A soft contact shadow (H,W) in 0-1: the body's footprint on the floor, blurred."""
        cam = self.camera
        foot = vertices.copy()
        height = foot[:, 1].copy()
        foot[:, 1] = 0.0
        px, z = cam.project(foot)
        ok = np.isfinite(px).all(axis=1) & (z > 0)
        weight = np.clip(1.0 - height / 0.6, 0, 1)
        mask = np.zeros((cam.height, cam.width), np.float32)
        ij = np.round(px[ok]).astype(int)
        inside = (ij[:, 0] >= 0) & (ij[:, 0] < cam.width) & (ij[:, 1] >= 0) & (ij[:, 1] < cam.height)
        np.maximum.at(mask, (ij[inside, 1], ij[inside, 0]), weight[ok][inside].astype(np.float32))
        centre_depth = float(np.median(z[ok])) if ok.any() else 3.0
        blur = max(1.0, SHADOW_BLUR_M * cam.focal / centre_depth)
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        small = cv2.resize(mask, (cam.width // SHADOW_DOWNSAMPLE, cam.height // SHADOW_DOWNSAMPLE),
                           interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), max(0.5, blur / SHADOW_DOWNSAMPLE))
        mask = cv2.resize(small, (cam.width, cam.height), interpolation=cv2.INTER_LINEAR)
        mask = np.clip(mask * 2.0 * SHADOW_DOWNSAMPLE, 0, 1)
        return mask * self.floor_mask

    def render(self, vertices: Array, jitter: Array | None = None) -> Array:
        """One BGR uint8 frame of the body at ``vertices`` (V,3); ``jitter`` is a 2x3 image warp."""
        return self.shake(self.draw(vertices), jitter)

    def draw(self, vertices: Array | None) -> Array:
        """The frame of :meth:`render` before the camera shake; ``vertices`` None draws the room alone."""
        cam = self.camera
        s = SUPERSAMPLE
        if vertices is None:
            canvas = cv2.resize((self.background[..., ::-1] * 255).astype(np.uint8), (cam.width * s, cam.height * s),
                                interpolation=cv2.INTER_LINEAR)
            frame = cv2.resize(canvas, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
            return cv2.GaussianBlur(frame, (0, 0), LENS_BLUR_PX)
        bg = self.background * (1.0 - SHADOW_STRENGTH * self.shadow(vertices))[..., None]
        canvas = cv2.resize((bg[..., ::-1] * 255).astype(np.uint8), (cam.width * s, cam.height * s),
                            interpolation=cv2.INTER_LINEAR)
        px, depth = cam.project(vertices)
        faces = self.body.faces
        tri = vertices[faces]
        normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        facing = np.einsum("fi,fi->f", normal, cam.position - tri.mean(axis=1)) > 0
        fdepth = depth[faces].mean(axis=1)
        visible = facing & np.all(depth[faces] > 0.05, axis=1)
        order = np.argsort(-fdepth)
        order = order[visible[order]]
        colour = (self.shade(vertices)[order][:, ::-1] * 255).round().astype(int).tolist()
        pts = np.round((px * s - 0.5) * (1 << SUBPIXEL_BITS)).astype(np.int32)[faces[order]]
        fill, line, bits = cv2.fillConvexPoly, cv2.LINE_8, SUBPIXEL_BITS
        for poly, c in zip(pts, colour):
            fill(canvas, poly, c, line, bits)
        frame = cv2.resize(canvas, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(frame, (0, 0), LENS_BLUR_PX)

    def shake(self, frame: Array, jitter: Array | None) -> Array:
        """``frame`` moved by a 2x3 image warp (a copy; ``frame`` itself when there is none)."""
        if jitter is None:
            return frame
        return cv2.warpAffine(frame, jitter, (self.camera.width, self.camera.height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT)


def _unit(v: tuple[float, float, float]) -> Array:
    a = np.asarray(v, float)
    return a / np.linalg.norm(a)


__all__ = ["Camera", "Renderer", "face_colours", "render_background"]
