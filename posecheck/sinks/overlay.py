"""Draws the skeleton, live metric values, the counter and cues onto a frame (OpenCV)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .. import events as ev
from ..landmarks import OTHER_SIDE, SKELETON_INDICES
from ..sampler import POINT_INDEX
from ..spec.schema import UNIT_OF_KIND, ExerciseSpec
from .step import Step


@dataclass(frozen=True)
class Theme:
    """Colours (BGR) and sizes of the overlay."""

    bone: tuple[int, int, int] = (80, 220, 80)
    bone_fault: tuple[int, int, int] = (40, 40, 235)
    joint: tuple[int, int, int] = (255, 255, 255)
    text: tuple[int, int, int] = (255, 255, 255)
    panel: tuple[int, int, int] = (30, 30, 30)
    good: tuple[int, int, int] = (80, 200, 80)
    warn: tuple[int, int, int] = (0, 170, 255)
    font_scale: float = 0.55
    thickness: int = 2


def _text(img: np.ndarray, text: str, org: tuple[int, int], theme: Theme, color=None, scale: float = 1.0) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    s = theme.font_scale * scale
    (w, h), base = cv2.getTextSize(text, font, s, 1)
    x, y = org
    cv2.rectangle(img, (x - 3, y - h - 4), (x + w + 3, y + base + 2), theme.panel, -1)
    cv2.putText(img, text, (x, y), font, s, color or theme.text, 1, cv2.LINE_AA)


class Overlay:
    """``annotate(image, step) -> image``: the picture a user sees live, also written to annotated.mp4.

    Keeps the current cue on screen for its ``show_s``.
    """

    def __init__(self, spec: ExerciseSpec, theme: Theme | None = None) -> None:
        self.spec = spec
        self.theme = theme or Theme()
        self._cue: tuple[str, float] | None = None  # text, until (s)
        self._message: tuple[str, float] | None = None

    def _points_of(self, metric: str, side: str | None) -> list[int]:
        names = self.spec.metrics[metric].points
        if side is not None:
            names = tuple(n.replace("{side}", side).replace("{other}", OTHER_SIDE[side]) for n in names)
        return [POINT_INDEX[n] for n in names if n in POINT_INDEX]

    def annotate(self, image: np.ndarray, step: Step) -> np.ndarray:
        """Draw on ``image`` in place and return it."""
        t = step.sample.t_s
        for e in step.events:
            if isinstance(e, ev.Cue):
                self._cue = (e.text, t + e.show_s)
            elif isinstance(e, (ev.ViewWarning,)):
                self._message = (e.message, t + 4.0)
            elif isinstance(e, ev.PersonLost):
                self._message = ("no person in view: counting paused", t + 3.0)
            elif isinstance(e, ev.Ready):
                self._message = ("ready: start when you like", t + 2.0)
        self._draw_skeleton(image, step)
        self._draw_panel(image, step)
        self._draw_cue(image, t)
        return image

    def _draw_skeleton(self, image: np.ndarray, step: Step) -> None:
        pts = step.sample.points_px
        if pts is None:
            return
        th = self.theme
        faulty: set[tuple[int, int]] = set()
        for cid in step.active_faults:
            check = self.spec.checks.get(cid)
            if check is not None:
                idx = self._points_of(check.metric, step.sample.side)
                faulty.update(zip(idx, idx[1:]))
                faulty.update(zip(idx[1:], idx))
        for a, b in SKELETON_INDICES:
            pa, pb = pts[a], pts[b]
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                color = th.bone_fault if (a, b) in faulty else th.bone
                cv2.line(image, tuple(np.round(pa).astype(int)), tuple(np.round(pb).astype(int)), color, th.thickness, cv2.LINE_AA)
        for p in pts[: len(pts)]:
            if np.isfinite(p).all():
                cv2.circle(image, tuple(np.round(p).astype(int)), 3, th.joint, -1, cv2.LINE_AA)
        for name in self.spec.shown_metrics:
            value = step.sample.values.get(name, np.nan)
            idx = self._points_of(name, step.sample.side)
            if not np.isfinite(value) or not idx:
                continue
            anchor = pts[idx[len(idx) // 2]]
            if not np.isfinite(anchor).all():
                continue
            degrees = UNIT_OF_KIND[self.spec.metrics[name].kind] == "deg"
            label = f"{value:.0f}deg" if degrees else f"{value:.2f}"
            _text(image, label, (int(anchor[0]) + 8, int(anchor[1]) - 8), th, scale=0.9)

    def _draw_panel(self, image: np.ndarray, step: Step) -> None:
        th = self.theme
        if self.spec.kind == "reps":
            if step.rep_count_by_side:
                counts = "  ".join(f"{k[0].upper()} {v}" for k, v in step.rep_count_by_side.items())
                head = f"Reps {step.rep_count} ({counts})"
            else:
                head = f"Reps {step.rep_count}"
        else:
            good = step.hold_good_s or 0.0
            target = self.spec.hold.target_s if self.spec.hold else 0.0
            head = f"Hold {good:4.1f} / {target:.0f} s"
            h, w = image.shape[:2]
            frac = min(good / target, 1.0) if target else 0.0
            cv2.rectangle(image, (10, 44), (10 + int(200 * frac), 54), th.good, -1)
            cv2.rectangle(image, (10, 44), (210, 54), th.text, 1)
        _text(image, f"{self.spec.name}: {head}", (12, 28), th, scale=1.1)
        phase = step.phase if step.ready or self.spec.kind == "hold" else "getting ready"
        _text(image, phase, (12, 76), th, th.good if step.ready else th.warn)

    def _draw_cue(self, image: np.ndarray, t: float) -> None:
        h = image.shape[0]
        for item, y, color in ((self._message, h - 46, self.theme.warn), (self._cue, h - 16, self.theme.bone_fault)):
            if item is not None and t <= item[1]:
                _text(image, item[0], (12, y), self.theme, color, scale=1.1)
