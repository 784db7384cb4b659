"""One exception hierarchy. The CLI turns any :class:`PosecheckError` into one line and an exit code."""

from __future__ import annotations


class PosecheckError(Exception):
    """Base class of every error posecheck raises on purpose.

    The message says what was wrong, where (file, key, frame) and what was expected.
    """

    exit_code: int = 1


class SpecError(PosecheckError):
    """An exercise spec file is missing, malformed or inconsistent."""

    exit_code = 2


class SourceError(PosecheckError):
    """A video file, image folder or camera cannot be read."""

    exit_code = 3


class CameraError(SourceError):
    """A camera is absent, busy or stopped delivering frames."""


class ModelError(PosecheckError):
    """The pose model cannot be found, assembled or run."""

    exit_code = 4


class NoPersonError(PosecheckError):
    """No person was found in the whole input, so nothing could be analysed."""

    exit_code = 5


class DisplayError(PosecheckError):
    """No window can be opened (no display, or the GUI toolkit fails)."""

    exit_code = 7


class OutputError(PosecheckError):
    """A result file or folder cannot be written."""

    exit_code = 6
