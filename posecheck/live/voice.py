"""Spoken feedback, offline: an installed speech engine (espeak-ng or espeak) or else a terminal bell.

Speaking never blocks the caller and never builds a backlog: while one phrase is being spoken, only the
latest new phrase waits; older waiting phrases are dropped (a rep number from 5 s ago is noise).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Protocol, TextIO

from ..events import Cue, HoldEnded, HoldProgress, RepCompleted
from ..sinks.step import Step

#: Speech engines tried in order, with the arguments that come before the text ("--": a phrase that
#: starts with "-", such as a negative angle, is not an option).
ENGINES: tuple[tuple[str, ...], ...] = (("espeak-ng", "-s", "165", "--"), ("espeak", "-s", "165", "--"))


class Voice(Protocol):
    """Says short phrases. ``muted`` silences it; ``close`` stops it."""

    muted: bool

    def say(self, text: str) -> None: ...

    def close(self) -> None: ...


class SilentVoice:
    """Says nothing; remembers what it was asked to say in ``said`` (for tests and --mute)."""

    def __init__(self) -> None:
        self.muted = False
        self.said: list[str] = []

    def say(self, text: str) -> None:
        if not self.muted and text:
            self.said.append(text)

    def close(self) -> None:
        pass


class BellVoice:
    """No speech engine: rings the terminal bell once per phrase (when the stream is a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.muted = False
        self._stream = stream if stream is not None else sys.stderr

    def say(self, text: str) -> None:
        if self.muted or not text or not self._stream.isatty():
            return
        self._stream.write("\a")
        self._stream.flush()

    def close(self) -> None:
        pass


class SpeechVoice:
    """Speaks through a speech engine run as a subprocess (``argv`` + the text) on a worker thread.

    ``say`` returns at once. One phrase at a time; a phrase asked for while one is spoken waits in a
    single slot (a newer one replaces it). ``close`` stops the phrase being spoken.
    """

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = tuple(argv)
        self.muted = False
        self._pending: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="posecheck-voice", daemon=True)
        self._thread.start()

    def say(self, text: str) -> None:
        if self.muted or not text:
            return
        with self._cond:
            self._pending = text
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                text, self._pending = self._pending, None
                try:
                    self._proc = subprocess.Popen(
                        [*self.argv, text], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                except OSError:
                    self._closed = True  # the engine vanished: stay silent rather than fail the session
                    return
                proc = self._proc
            proc.wait()

    @property
    def busy(self) -> bool:
        """True while a phrase is being spoken or waits."""
        proc = self._proc
        return self._pending is not None or (proc is not None and proc.poll() is None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._thread.join(timeout=2)


def make_voice(muted: bool = False) -> Voice:
    """The best voice available here: an offline speech engine, else the terminal bell."""
    voice: Voice
    for engine, *args in ENGINES:
        path = shutil.which(engine)
        if path:
            voice = SpeechVoice([path, *args])
            break
    else:
        voice = BellVoice()
    voice.muted = muted
    return voice


def phrases(step: Step, hold_every_s: float) -> list[str]:
    """What to say about a step's (already paced) events: rep numbers (per side for one-sided
    exercises), hold milestones every ``hold_every_s`` of good form, then cues."""
    out: list[str] = []
    for e in step.events:
        if isinstance(e, RepCompleted):
            side = e.rep.side
            count = step.rep_count_by_side.get(side, e.rep.index) if side else e.rep.index
            out.append(f"{side} {count}" if side else str(count))
        elif isinstance(e, HoldProgress) and hold_every_s > 0 and e.good_form:
            whole = int(e.good_form_s)
            if whole and whole % max(int(hold_every_s), 1) == 0 and whole < e.target_s:
                out.append(f"{whole} seconds")
        elif isinstance(e, HoldEnded):
            out.append(f"hold ended: {e.hold.good_form_s:.0f} seconds in good form")
    return out + [e.text for e in step.events if isinstance(e, Cue)]

