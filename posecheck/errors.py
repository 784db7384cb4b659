"""One exception hierarchy. The CLI turns any :class:`PosecheckError` into one line and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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


class TrackError(SourceError):
    """A pose track file is missing, damaged, of another format or of a newer version."""


class ModelError(PosecheckError):
    """The pose model cannot be found, assembled or run."""

    exit_code = 4


class NoPersonError(PosecheckError):
    """No person was found in the whole input, so nothing could be analysed."""

    exit_code = 5


class DisplayError(PosecheckError):
    """No window can be opened (no display, or the GUI toolkit fails)."""

    exit_code = 7


class ClusterError(PosecheckError):
    """A batch cannot be run on the Dask cluster named (distributed missing, scheduler unreachable)."""

    exit_code = 8


class OutputError(PosecheckError):
    """A result file or folder cannot be written."""

    exit_code = 6


#: What to do about an output error, by errno name: the hint a user needs to go on.
OUTPUT_HINTS: dict[str, str] = {
    "ENOSPC": "the disk is full; free some space or choose another --out",
    "EDQUOT": "the disk quota is used up; free some space or choose another --out",
    "EACCES": "no permission; choose another --out",
    "EROFS": "the file system is read-only; choose another --out",
    "ENOTDIR": "part of the path is a file, not a folder; choose another --out",
    "EEXIST": "a file of that name is in the way; choose another --out",
}


def output_error(path: object, action: str, exc: OSError) -> OutputError:
    """The one translation of an ``OSError`` on an output path into an :class:`OutputError` that names
    the file, what was being done and why (with what to do for the usual causes)."""
    import errno as _errno

    name = _errno.errorcode.get(exc.errno or 0, "")
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = OUTPUT_HINTS.get(name)
    return OutputError(f"{path}: cannot {action} ({reason})" + (f": {hint}" if hint else ""))


@contextmanager
def writing(path: object, action: str = "write") -> Iterator[None]:
    """Within the block, an ``OSError`` becomes :func:`output_error` for ``path``."""
    try:
        yield
    except OSError as exc:
        raise output_error(path, action, exc) from None
