"""How Ctrl-C and SIGTERM end a run: cleanly, and never half-way through recording a frame."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_STOPPING = (signal.SIGINT, signal.SIGTERM) if hasattr(signal, "SIGTERM") else (signal.SIGINT,)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``, ``timeout``, a service manager) ends the run as Ctrl-C does:
    cleanly, with its report and everything recorded so far."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class FrameBoundary:
    """Holds back Ctrl-C (and SIGTERM where a Python handler takes it) while one frame is being
    recorded, and delivers it when the frame is done: the pose track, the counts, frames.csv and the
    report then all end on the same frame. Outside :meth:`step` (waiting for a frame or for the model)
    the signal acts at once, as before.

    Only signals whose handler is Python code are held, and only in the main thread (the only one that
    receives them); elsewhere this does nothing.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Callable[[int, FrameType | None], Any]] = {}
        self._busy = False
        self._pending: tuple[int, FrameType | None] | None = None

    def __enter__(self) -> FrameBoundary:
        if threading.current_thread() is threading.main_thread():
            for signum in _STOPPING:
                handler = signal.getsignal(signum)
                if callable(handler):
                    self._previous[signum] = handler
                    signal.signal(signum, self._receive)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _receive(self, signum: int, frame: FrameType | None) -> None:
        if self._busy:
            self._pending = (signum, frame)
        else:
            self._previous[signum](signum, frame)

    @contextmanager
    def step(self) -> Iterator[None]:
        """The recording of one frame: a stopping signal that arrives within it acts when it ends."""
        self._busy = True
        try:
            yield
        finally:
            self._busy = False
            pending, self._pending = self._pending, None
            if pending is not None:
                self._previous[pending[0]](*pending)
