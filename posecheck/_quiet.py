"""Silence the C/C++ log noise that MediaPipe, TFLite, FFmpeg and OpenCV write to file descriptor 2.

Those libraries log from native code straight to fd 2, so ``sys.stderr`` redirection and environment
variables (``GLOG_minloglevel``, ``TF_CPP_MIN_LOG_LEVEL``) do not reach them. :func:`quiet_stderr`
points fd 2 at a temporary file for the duration of a ``with`` block, then restores it and writes back
every captured line that is not known noise, so real errors and Python output are never lost.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, ClassVar

#: Lines dropped when fd 2 is restored. Anything else captured is written back.
NOISE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"^[IW]\d{4} "),  # glog/absl INFO and WARNING lines (E and F lines are kept)
    re.compile(r"^INFO: "),  # TFLite, e.g. "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
    re.compile(r"^\[[\w,]+ @ 0x[0-9a-f]+\] "),  # FFmpeg av_log lines
    re.compile(r"^\[ ?(WARN|INFO|DEBUG):\d+@"),  # OpenCV's own logger
)


def is_noise(line: str) -> bool:
    """True if ``line`` is a known start-up or decoder log line that users need not see."""
    return any(p.match(line) for p in NOISE_PATTERNS)


@dataclass
class Captured:
    """What native code wrote to fd 2 inside one :func:`quiet_stderr` block (``text`` is filled in on
    exit). Setting ``discard`` inside the block drops its output instead of writing it back, for when
    the caller reports the outcome itself (e.g. in an exception message)."""

    discard: bool = False
    text: str = ""


class _Redirect:
    """Process-wide state: fd 2 is one resource, so overlapping blocks (from any thread) share one file."""

    lock: ClassVar[threading.Lock] = threading.Lock()
    depth: ClassVar[int] = 0
    saved_fd: ClassVar[int] = -1
    file: ClassVar[IO[bytes] | None] = None
    discarded: ClassVar[list[tuple[int, int]]] = []


def _flush_python_stderr() -> None:
    stream = sys.stderr
    if stream is not None:
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken sys.stderr must not stop us restoring fd 2


@contextmanager
def quiet_stderr(*, discard: bool = False) -> Iterator[Captured]:
    """Redirect file descriptor 2 to a temporary file for the block; restore it on exit, even on error.

    Yields a :class:`Captured` whose ``text`` holds what was written during the block. On leaving the
    outermost block, lines that are not :func:`is_noise` are written back to the real fd 2, except
    those written inside a ``discard=True`` block (the caller reports the outcome itself, e.g. a camera
    probe whose failures become one error message). If fd 2 cannot be redirected, the block runs
    unsilenced. Never raises by itself.
    """
    captured = Captured(discard=discard)
    start = _enter()
    try:
        yield captured
    finally:
        captured.text = _exit(start, captured.discard)


def _enter() -> int | None:
    with _Redirect.lock:
        if _Redirect.depth == 0:
            _flush_python_stderr()
            try:
                capture = tempfile.TemporaryFile()  # noqa: SIM115 (stays open until the outermost block exits)
            except OSError:
                return None
            try:
                saved = os.dup(2)
            except OSError:
                capture.close()
                return None
            try:
                os.dup2(capture.fileno(), 2)
            except OSError:
                os.close(saved)
                capture.close()
                return None
            _Redirect.file, _Redirect.saved_fd = capture, saved
        _Redirect.depth += 1
        assert _Redirect.file is not None
        return os.fstat(_Redirect.file.fileno()).st_size


def _exit(start: int | None, discard: bool) -> str:
    if start is None:
        return ""
    with _Redirect.lock:
        _flush_python_stderr()
        capture = _Redirect.file
        assert capture is not None
        size = os.fstat(capture.fileno()).st_size
        text = os.pread(capture.fileno(), size - start, start).decode("utf-8", "replace")
        if discard:
            _Redirect.discarded.append((start, size))
        _Redirect.depth -= 1
        if _Redirect.depth > 0:
            return text
        os.dup2(_Redirect.saved_fd, 2)
        os.close(_Redirect.saved_fd)
        everything = os.pread(capture.fileno(), size, 0)
        kept_bytes, pos = [], 0
        for begin, end in sorted(_Redirect.discarded):
            kept_bytes.append(everything[pos:begin] if begin > pos else b"")
            pos = max(pos, end)
        everything = b"".join(kept_bytes) + everything[pos:]
        capture.close()
        _Redirect.file, _Redirect.saved_fd, _Redirect.discarded = None, -1, []
    lines = everything.decode("utf-8", "replace").splitlines(keepends=True)
    kept = [line for line in lines if not is_noise(line)]
    if kept:
        data = "".join(kept).encode("utf-8", "replace")
        try:
            while data:
                data = data[os.write(2, data) :]
        except OSError:
            pass  # nowhere left to report to
    return text
