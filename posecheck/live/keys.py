"""Keyboard commands of the live mode, and where key presses come from (a window, or a script in tests)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Protocol


class Command(Enum):
    """What a key asks the session to do."""

    QUIT = "quit"
    PAUSE = "pause"
    RESET = "reset"
    SWITCH_SIDE = "switch side"
    MUTE = "mute"


#: Key → command. Escape quits too, as in most camera tools.
KEYMAP: dict[str, Command] = {
    "q": Command.QUIT,
    "\x1b": Command.QUIT,
    " ": Command.PAUSE,
    "r": Command.RESET,
    "s": Command.SWITCH_SIDE,
    "m": Command.MUTE,
}

#: The help line of the window and of --help.
HELP = "q quit | space pause | r reset set | s switch side | m mute"


def command_for(key: str | None) -> Command | None:
    """The command bound to ``key`` (case-insensitive), or None."""
    if not key:
        return None
    return KEYMAP.get(key if key in KEYMAP else key.lower())


class KeySource(Protocol):
    """Gives the key pressed since the last poll, if any. ``poll`` must return within ``wait_ms``."""

    def poll(self, wait_ms: int = 1) -> str | None: ...


class NoKeys:
    """A key source that never has a key (headless runs without a script)."""

    def poll(self, wait_ms: int = 1) -> str | None:
        return None


class ScriptedKeys:
    """Presses keys at given times after the first poll: ``ScriptedKeys([(0.5, " "), (2.0, "q")])``.

    A step may also be ``(predicate, key)``: the key is pressed at the first poll where ``predicate()``
    is true (e.g. "once a rep was counted"). Steps fire in order, one per poll. ``pressed`` lists
    what was delivered. Used by tests and benchmarks in place of a keyboard.
    """

    def __init__(
        self, script: Sequence[tuple[float | Callable[[], bool], str]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._script = list(script)
        self._clock = clock
        self._start: float | None = None
        self.pressed: list[str] = []

    def poll(self, wait_ms: int = 1) -> str | None:
        now = self._clock()
        if self._start is None:
            self._start = now
        if not self._script:
            return None
        when, key = self._script[0]
        due = when() if callable(when) else now - self._start >= when
        if not due:
            return None
        self._script.pop(0)
        self.pressed.append(key)
        return key

    @property
    def done(self) -> bool:
        """True when every scripted key was pressed."""
        return not self._script
