"""Pose estimation: frames in, :class:`Pose` values out.

Usage::

    with create_backend("mediapipe") as backend:
        selector = PersonSelector()
        for frame in frames:
            person = selector.update(backend.detect(frame), frame.timestamp_ms)   # Pose | None

    with create_backend("mediapipe", own_process=True) as backend:   # the model in a process of its own
        for frame, poses in detect_each(frames, backend):              # ... working a few frames ahead
            ...

Backends are imported lazily: importing this package does not import mediapipe.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..frame import Frame
from .selection import PersonSelector, SelectorOptions
from .types import Pose, PoseBackend

__all__ = [
    "BACKENDS",
    "PersonSelector",
    "Pose",
    "PoseBackend",
    "SelectorOptions",
    "create_backend",
    "detect_each",
]


def _mediapipe(model_path: Path | None, options: Any) -> PoseBackend:
    from .mediapipe_backend import MediaPipeBackend, MediaPipeOptions

    if options is not None and not isinstance(options, MediaPipeOptions):
        raise ModelError(f"options for the mediapipe backend must be MediaPipeOptions, got {type(options).__name__}")
    return MediaPipeBackend(options, model_path=model_path)


#: Backend name -> factory(model_path, options). Registering a name here makes it valid everywhere.
BACKENDS: dict[str, Callable[[Path | None, Any], PoseBackend]] = {"mediapipe": _mediapipe}


def create_backend(
    name: str = "mediapipe",
    *,
    model_path: Path | None = None,
    options: Any = None,
    own_process: bool = False,
    pin_cpus: bool = False,
) -> PoseBackend:
    """Create and open the pose backend called ``name`` (see :data:`BACKENDS`).

    ``model_path`` is a model file for the backend (for mediapipe a pose landmarker ``.task``; default:
    the bundle built from the installed wheel); ``options`` its options object (for mediapipe a
    :class:`~posecheck.pose.mediapipe_backend.MediaPipeOptions`). ``own_process``: run the backend in
    a child process (:class:`~posecheck.pose.process.PoseProcess`), so that the other work of this
    process never makes the model wait; the way to analyse a video at the model's own speed.

    Returns an open backend, usable as a context manager that closes it. Raises :class:`ModelError`
    for an unknown name (listing the valid ones), a missing or invalid model, or a model that does not
    load.
    """
    factory = BACKENDS.get(name)
    if factory is None:
        near = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        raise ModelError(f"unknown pose backend '{name}'; valid names: {', '.join(sorted(BACKENDS))}{hint}")
    model_path = Path(model_path) if model_path is not None else None
    if own_process:
        from .process import PoseProcess

        backend: PoseBackend = PoseProcess(name, model_path=model_path, options=options, pin_cpus=pin_cpus)
    else:
        backend = factory(model_path, options)
    opener = getattr(backend, "open", None)
    if callable(opener):
        opener()
    return backend


def detect_each(frames: Iterable[Frame], backend: PoseBackend) -> Iterator[tuple[Frame, list[Pose]]]:
    """``(frame, poses)`` for each of ``frames`` in order. A backend with a ``stream`` method (one
    that can work ahead, such as :class:`~posecheck.pose.process.PoseProcess`) is given the frames
    whole; any other is asked frame by frame."""
    stream = getattr(backend, "stream", None)
    if callable(stream):
        return stream(frames)
    return ((frame, backend.detect(frame)) for frame in frames)
