"""Live coaching from a webcam: the loop of ``analyze`` on the newest camera frame, with a window.

Usage (what ``posecheck live`` does)::

    from posecheck import find_spec, open_source, create_backend
    from posecheck.live import LiveOptions, LiveSession

    spec = find_spec("glute_bridge")
    with open_source(0) as camera, create_backend() as backend:
        result = LiveSession(camera, backend, spec, "session/", LiveOptions()).run()
    print(result.report["rep_count"], result.stats.line())

Modules: ``session`` (threads and the window loop), ``coach`` (what each step means: guidance, cues,
log, voice, keys, reload), ``guide`` (set-up guidance), ``cues`` (pacing), ``window`` (drawing, keys,
display probe), ``voice``, ``reload``, ``log``, ``stats``, ``keys``, ``printer``, ``cli``.
Importing this package imports neither OpenCV nor MediaPipe.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LiveOptions", "LiveResult", "LiveSession", "add_live_parser"]


def __getattr__(name: str) -> Any:
    # Lazy, like the top-level package: `posecheck --help` must not pay for OpenCV.
    if name in ("LiveOptions", "LiveResult", "LiveSession"):
        from . import session

        return getattr(session, name)
    if name == "add_live_parser":
        from .cli import add_live_parser

        return add_live_parser
    raise AttributeError(f"module 'posecheck.live' has no attribute {name!r}")
