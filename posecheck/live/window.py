"""The live window (OpenCV/Qt): the overlay of ``analyze`` plus what live needs on top of it.

:class:`Hud` composes each picture (pure drawing, testable without a display): the shared
:class:`~posecheck.sinks.overlay.Overlay` (skeleton, failing segments, live values, counter, phase, hold
timer, cue), then set-up guidance, countdown, pause, notices and spec errors, and a status bar with the
keys, frame rate and latency; and the end-of-session summary screen. :class:`Window` shows pictures
and reads keys. :func:`probe_display` checks, in a child process, that a window can open at all,
because Qt aborts the whole process when it cannot reach a display.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import DisplayError
from ..events import Event
from ..sinks.overlay import Overlay, Theme
from ..sinks.step import Step
from ..sinks.terminal import format_summary
from ..spec.schema import ExerciseSpec
from .coach import LiveStatus
from .guide import VIEW_TEXT
from .keys import HELP
from .stats import LiveStats, StatsSummary

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: waitKey codes from here up are Qt's non-character keys.
_QT_SPECIAL_KEYS = 0x1000000
STATUS_BAR_PX = 44
#: Platforms where Qt draws without an X or Wayland display.
_QT_NO_DISPLAY_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")
_PROBE = """
import cv2
cv2.namedWindow("posecheck-probe", cv2.WINDOW_AUTOSIZE)
cv2.waitKey(1)
cv2.destroyAllWindows()
"""
_ALTERNATIVES = (
    "use --headless to run without a window (events are printed), or `posecheck analyze VIDEO` for a recording"
)


def probe_display(timeout_s: float = 30.0) -> None:
    """Raise :class:`DisplayError` unless an OpenCV window can be opened here.

    On X11/Wayland systems, a missing ``$DISPLAY``/``$WAYLAND_DISPLAY`` is reported at once; otherwise
    a child process opens and closes a window, so that a Qt abort cannot kill this process.
    macOS and Windows always have a display and are not probed.
    """
    if sys.platform in ("darwin", "win32"):
        return
    qpa = os.environ.get("QT_QPA_PLATFORM", "")
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if not display and not qpa.startswith(_QT_NO_DISPLAY_PLATFORMS):
        raise DisplayError(f"no display to open a window on ($DISPLAY is not set); {_ALTERNATIVES}")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=timeout_s,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise DisplayError(f"opening a window on display {display!r} hangs; {_ALTERNATIVES}") from None
    except OSError as exc:
        raise DisplayError(f"cannot check the display ({exc.strerror}); {_ALTERNATIVES}") from None
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if "could not connect" in line.lower()), lines[0] if lines else "")
        detail = f": {reason}" if reason else f" (exit status {proc.returncode})"
        raise DisplayError(f"cannot open a window on display {display!r}{detail}; {_ALTERNATIVES}")


def window_title(name: str) -> str:
    """The window's title: the exercise and the keys."""
    return f"posecheck live: {name}   [{HELP}]"


class Window:
    """An OpenCV window: ``show(image)``, ``poll(wait_ms) -> key``, ``closed``, ``close()``.

    Must be used from the main thread (Qt). Raises :class:`DisplayError` if it cannot be created.
    """

    def __init__(self, name: str) -> None:
        self.title = window_title(name)
        self._shown = 0
        self._size: tuple[int, int] | None = None
        self._closed = False
        try:
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        except cv2.error as exc:
            raise DisplayError(f"cannot open a window ({str(exc).strip().splitlines()[-1]}); {_ALTERNATIVES}") from None

    def show(self, image: np.ndarray) -> None:
        """Draw ``image`` (BGR) in the window, sizing the window to the first picture."""
        if self._closed:
            return
        size = (image.shape[1], image.shape[0])
        if size != self._size:
            cv2.resizeWindow(self.title, *size)
            self._size = size
        cv2.imshow(self.title, image)
        self._shown += 1

    def poll(self, wait_ms: int = 1) -> str | None:
        """Process window events for ``wait_ms``; return the key pressed, if any."""
        if self._closed:
            return None
        code = cv2.waitKey(max(int(wait_ms), 1))
        if self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            self._closed = True
        if code < 0 or code >= _QT_SPECIAL_KEYS:
            return None  # Shift, arrows and the like: their low byte could pass for a letter
        return chr(code & 0xFF)

    @property
    def closed(self) -> bool:
        """True once the user closed the window."""
        return self._closed

    def close(self) -> None:
        """Destroy the window. Safe to call twice."""
        if not self._closed:
            self._closed = True
            try:
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)
            except cv2.error:
                pass  # already gone with the display


def _put(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    color: tuple[int, int, int],
    scale: float = 0.55,
    thickness: int = 1,
    bg: tuple[int, int, int] | None = None,
) -> int:
    """Draw ``text`` at ``org`` (baseline left), on a box of ``bg`` if given; return its width."""
    (w, h), base = cv2.getTextSize(text, FONT, scale, thickness)
    x, y = org
    if bg is not None:
        cv2.rectangle(img, (x - 4, y - h - 5), (x + w + 4, y + base + 3), bg, -1)
    cv2.putText(img, text, (x, y), FONT, scale, color, thickness, cv2.LINE_AA)
    return w


def _wrap(text: str, width_px: int, scale: float, thickness: int = 1) -> list[str]:
    """``text`` broken into lines no wider than ``width_px`` when drawn (a word longer than that, such
    as a path, gets a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(candidate, FONT, scale, thickness)[0][0] <= width_px:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or [""]


def _check_mark(img: np.ndarray, centre: tuple[int, int], size: int, color: tuple[int, int, int]) -> None:
    x, y = centre
    pts = np.array([[x - size, y], [x - size // 3, y + size * 2 // 3], [x + size, y - size * 2 // 3]], np.int32)
    cv2.polylines(img, [pts], False, color, max(size // 4, 3), cv2.LINE_AA)


class Hud:
    """Composes what the window shows. ``compose`` for each live picture, ``summary_screen`` at the end."""

    def __init__(
        self, spec: ExerciseSpec, mirror: bool = False, max_display: tuple[int, int] = (1280, 800),
        theme: Theme | None = None,
    ) -> None:  # fmt: skip
        self.theme = theme or Theme()
        self.overlay = Overlay(spec, self.theme)
        self.mirror = mirror
        self.max_display = max_display
        self.size: tuple[int, int] = (960, 640)

    def _display_step(self, step: Step, events: tuple[Event, ...], paused: bool, scale: float, width: int) -> Step:
        points = step.sample.points_px
        if points is not None:
            points = points.astype(float)
            if self.mirror:
                points[:, 0] = width - points[:, 0]
            points = points * scale
        if paused:
            points = None
        return replace(step, sample=replace(step.sample, points_px=points), events=events)

    def compose(
        self, image: np.ndarray, step: Step | None, events: tuple[Event, ...], status: LiveStatus,
        stats: LiveStats | None = None, now: float | None = None,
    ) -> np.ndarray:  # fmt: skip
        """The picture for the window: ``image`` (never modified) with ``step``'s overlay, guidance and
        the status bar. ``events`` are the step events not yet drawn (cues, messages)."""
        h, w = image.shape[:2]
        scale = min(1.0, self.max_display[0] / w, self.max_display[1] / h)
        pic = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
        pic = cv2.flip(pic, 1) if self.mirror else pic.copy()
        self.overlay.spec = status.spec
        if step is not None:
            self.overlay.annotate(pic, self._display_step(step, events, status.paused, scale, w))
        top = 104  # below the overlay's counter and phase
        if status.reload_error:
            top = self._lines(pic, _wrap(f"spec not reloaded (the previous one is in use): {status.reload_error}",
                                         pic.shape[1] - 24, 0.5)[:4], top, self.theme.text, (40, 40, 200))  # fmt: skip
        self._guidance(pic, status, top)
        if status.paused:
            self._centre(pic, "PAUSED", 1.6, self.theme.warn)
            self._centre(pic, "press space to go on", 0.7, self.theme.text, dy=40)
        clock = now if now is not None else (stats.clock() if stats is not None else 0.0)
        if status.notice and clock <= status.notice_until:
            _put(pic, status.notice, (12, pic.shape[0] - 76), self.theme.text, 0.6, bg=self.theme.panel)
        canvas = np.zeros((pic.shape[0] + STATUS_BAR_PX, pic.shape[1], 3), np.uint8)
        canvas[: pic.shape[0]] = pic
        self._status_bar(canvas, status, stats)
        self.size = (canvas.shape[1], canvas.shape[0])
        return canvas

    def _centre(
        self, img: np.ndarray, text: str, scale: float, color: tuple[int, int, int], dy: int = 0, thickness: int = 2
    ) -> None:
        (tw, th), _ = cv2.getTextSize(text, FONT, scale, thickness)
        org = ((img.shape[1] - tw) // 2, (img.shape[0] + th) // 2 + dy)
        cv2.putText(img, text, org, FONT, scale, (0, 0, 0), thickness + 4, cv2.LINE_AA)
        cv2.putText(img, text, org, FONT, scale, color, thickness, cv2.LINE_AA)

    @staticmethod
    def _lines(
        img: np.ndarray, lines: list[str], top: int, color: tuple[int, int, int], bg: tuple[int, int, int],
        scale: float = 0.5, thickness: int = 1, step: int = 22,
    ) -> int:  # fmt: skip
        """Draw ``lines`` from baseline ``top`` down; return the baseline below them."""
        for i, line in enumerate(lines):
            _put(img, line, (12, top + step * i), color, scale, thickness, bg=bg)
        return top + step * len(lines) + 6

    def _guidance(self, img: np.ndarray, status: LiveStatus, top: int) -> None:
        g = status.guidance
        spec = status.spec
        th = self.theme
        width = img.shape[1] - 24
        if g.stage == "counting":
            if g.reason in ("absent", "view", "frame"):
                text = f"counting paused: {g.message}"
                self._lines(img, _wrap(text, width, 0.6, 2)[:3], top, th.warn, th.panel, 0.6, 2, 26)
            return
        lines = [VIEW_TEXT.get(spec.view.expect, spec.view.expect)]
        if spec.view.hint:
            lines += _wrap(spec.view.hint, width, 0.5)
        top = self._lines(img, lines, top, th.text, th.panel)
        if g.view_ok:
            _check_mark(img, (30, top + 4), 14, th.good)
            _put(img, g.message, (56, top + 12), th.good, 0.65, 2, bg=th.panel)
        elif g.message:
            color = th.text if g.reason == "ok" else th.warn
            self._lines(img, _wrap(g.message, width, 0.6, 2)[:3], top + 12, color, th.panel, 0.6, 2, 26)
        if g.countdown is not None:
            self._centre(img, str(g.countdown), 4.0, th.good, thickness=8)

    def _status_bar(self, canvas: np.ndarray, status: LiveStatus, stats: LiveStats | None) -> None:
        h, w = canvas.shape[:2]
        _put(canvas, HELP, (8, h - 8), (200, 200, 200), 0.45)
        parts = []
        if status.forced_side:
            parts.append(f"side {status.forced_side} (forced)")
        if status.set_index > 1:
            parts.append(f"set {status.set_index}")
        if status.muted:
            parts.append("muted")
        if stats is not None:
            latency = stats.last_latency_ms
            parts.append(f"{stats.display_fps:.0f} fps")
            parts.append(f"pose {stats.pose_fps:.0f} fps")
            parts.append(f"latency {latency:.0f} ms" if math.isfinite(latency) else "latency -")
        text = "  |  ".join(parts)
        (tw, _), _ = cv2.getTextSize(text, FONT, 0.45, 1)
        _put(canvas, text, (max(w - tw - 8, 8), h - 26), (255, 255, 255), 0.45)

    def summary_screen(
        self,
        report: dict[str, Any],
        spec: ExerciseSpec,
        out_dir: Path,
        ended_by: str,
        stats: StatsSummary | None = None,
    ) -> np.ndarray:
        """The end-of-session screen: the terminal summary, where the files are, how to close."""
        w, h = self.size
        w, h = max(w, 640), max(h, 420)
        img = np.full((h, w, 3), 24, np.uint8)
        th = self.theme
        _put(img, f"{spec.name}: session over ({ended_by})", (16, 36), th.good, 0.8, 2)
        lines: list[str] = []
        for raw in format_summary(report, spec).splitlines()[1:]:
            lines += _wrap(raw, w - 32, 0.5)
        if stats is not None:
            lines += _wrap(stats.line(), w - 32, 0.5)
        lines += _wrap(f"Saved in {out_dir}", w - 32, 0.5)
        room = (h - 110) // 22
        if len(lines) > room:
            lines = lines[: room - 1] + [f"... ({len(lines) - room + 1} more lines in report.json)"]
        for i, line in enumerate(lines):
            _put(img, line, (16, 70 + 22 * i), th.text, 0.5)
        _put(img, "press any key to close", (16, h - 20), (200, 200, 200), 0.55)
        return img
