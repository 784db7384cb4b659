"""Where results go: report files, the annotated video, the terminal. Each sink is fed every frame.

A sink has ``write(step)`` called once per frame and ``close(summary)`` once at the end (also after an
error, so what was recorded so far is kept).
"""

from __future__ import annotations

from typing import Protocol

from ..events import Summary
from .step import Step


class Sink(Protocol):
    def write(self, step: Step) -> None: ...

    def close(self, summary: Summary) -> None: ...


__all__ = ["Sink", "Step"]
