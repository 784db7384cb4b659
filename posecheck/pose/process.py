"""A pose backend run in a Python process of its own, so nothing else in this one makes it wait.

Why: MediaPipe lets go of Python's interpreter lock while it infers, but takes it back several times
per frame; when another thread of the same process holds the lock then (decoding, metrics, result
files), the model waits up to the 5 ms switch interval each time. Measured here: a 1080p frame that
takes 15 ms alone took 43 ms beside one busy Python thread. In a process of its own, on a CPU of its
own if asked (:func:`own_cpus`), the model runs as fast as it does alone.

How: :class:`PoseProcess` starts a Python running this module's :func:`main`, which opens the real
backend and answers frame after frame. Pixels go through a ring of shared-memory slots (copied once,
on the caller's side); poses come back pickled through a pipe. :meth:`PoseProcess.stream` keeps a
few frames in flight, so the caller's work on one frame overlaps the model's work on the next. Only
what the child this module started sends is unpickled: numpy arrays, poses and posecheck errors.
"""

from __future__ import annotations

import mmap
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from ..errors import ModelError, PosecheckError
from ..frame import Frame
from .types import Pose

#: Frames handed to the model before the first result is read back: enough that the model never
#: idles while the caller finishes the previous frame; each costs one frame of shared memory.
IN_FLIGHT = 3
#: The child's command: this module's main(), importing exactly the caller's posecheck. ``python -c``
#: puts the current folder first on sys.path, where another checkout's posecheck may sit: it is taken
#: off, and the folder holding the caller's package goes first.
_CHILD_CODE = (
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r}); "
    "from posecheck.pose.process import main; main()"
)
_SHM_DIR = "/dev/shm"  # memory-backed where it exists; elsewhere the temp folder (page cache)
_CLOSE_TIMEOUT_S = 10.0

_P = TypeVar("_P", bound="PoseProcess")


class _Ring:
    """``slots`` image slots of ``slot_bytes`` each, in a file both processes map into memory.

    :meth:`create` makes the file (the parent, which removes it); :meth:`attach` maps it (the child).
    """

    def __init__(self, path: str, slot_bytes: int, slots: int, *, owner: bool) -> None:
        self.slot_bytes, self.slots = slot_bytes, slots
        with open(path, "r+b") as fh:
            self._map = mmap.mmap(fh.fileno(), slot_bytes * slots)
        self.path: str | None = path if owner else None  # only the owner removes the file

    @classmethod
    def create(cls, slot_bytes: int, slots: int) -> _Ring:
        fd, path = tempfile.mkstemp(prefix="posecheck-frames-", dir=_SHM_DIR if os.path.isdir(_SHM_DIR) else None)
        try:
            os.ftruncate(fd, slot_bytes * slots)
        finally:
            os.close(fd)
        return cls(path, slot_bytes, slots, owner=True)

    @classmethod
    def attach(cls, path: str, slot_bytes: int, slots: int) -> _Ring:
        return cls(path, slot_bytes, slots, owner=False)

    def view(self, slot: int, shape: tuple[int, ...]) -> np.ndarray:
        return np.ndarray(shape, np.uint8, self._map, slot * self.slot_bytes)

    def unlink(self) -> None:
        """Remove the file; both mappings stay valid (POSIX). Windows keeps it until :meth:`close`."""
        if self.path is not None:
            try:
                os.unlink(self.path)
                self.path = None
            except OSError:
                pass

    def close(self) -> None:
        try:
            self._map.close()
        except BufferError:  # a caller still holds a view; the mapping goes with it
            pass
        self.unlink()


def _stop_child(proc: subprocess.Popen, ring: list[_Ring], cpus: list[tuple[int, set[int]]]) -> None:
    """Ask the child to finish, wait, kill it if it does not; drop the ring; give back the CPUs.

    The request is a message, not just the end of the pipe: a process forked meanwhile (the
    annotated-video writer) holds a copy of the pipe's writing end, so the child would see no end.
    """
    try:
        if proc.stdin is not None:
            pickle.dump(("close",), proc.stdin)
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=_CLOSE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    for r in ring:
        r.close()
    ring.clear()
    for thread_id, previous in cpus:
        try:
            os.sched_setaffinity(thread_id, previous)
        except OSError:  # that thread has ended
            pass
    cpus.clear()


def own_cpus(child_pid: int) -> list[tuple[int, set[int]]]:
    """Give the model's process every usable CPU but one, and the calling thread (with the threads
    and processes it starts from now on) that one. Returns what to restore: ``[(thread id, its CPUs)]``,
    empty where CPU affinity cannot be set (not Linux) or only one CPU is usable.

    Left to itself, the scheduler now and then runs decoding or drawing on the model's CPU: on the
    2-core machine here, analysing the 1080p lunge clip went from 31.5-32.9 fps to 35.5-36.0 fps
    (the model alone: 36.7) once the CPUs were split.
    """
    if not (hasattr(os, "sched_getaffinity") and hasattr(os, "sched_setaffinity")):
        return []
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return []
    thread_id = threading.get_native_id()
    try:
        os.sched_setaffinity(child_pid, set(cpus[1:]))
        os.sched_setaffinity(thread_id, {cpus[0]})
    except OSError:
        return []
    return [(thread_id, set(cpus))]


class PoseProcess:
    """The backend ``name`` (see :data:`posecheck.pose.BACKENDS`) run in a child process.

    A :class:`~posecheck.pose.types.PoseBackend`: ``detect(frame)`` answers one frame; ``stream(frames)``
    yields ``(frame, poses)`` for every frame in order with up to ``in_flight`` frames at the model.
    ``pin_cpus``: split the CPUs between the child and the calling thread while it runs (:func:`own_cpus`).
    Errors of the backend (a missing model, a bad timestamp) are raised here as the same
    :class:`~posecheck.errors.ModelError`; a child that dies raises one too.
    """

    def __init__(
        self,
        name: str = "mediapipe",
        *,
        model_path: Path | None = None,
        options: Any = None,
        in_flight: int = IN_FLIGHT,
        pin_cpus: bool = False,
    ) -> None:
        self.name = name
        self.pin_cpus = pin_cpus
        self.model_path = model_path
        self.options = options
        self.in_flight = max(1, in_flight)
        self._proc: subprocess.Popen | None = None
        self._ring: list[_Ring] = []  # zero or one; a list so the finalizer sees replacements
        self._cpus: list[tuple[int, set[int]]] = []
        self._sent = 0
        self._unread = 0
        self._finalizer: weakref.finalize | None = None

    def __enter__(self: _P) -> _P:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Start the child and load the model there. Raises :class:`ModelError` if either fails."""
        if self._proc is not None:
            return
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        except OSError as exc:
            raise ModelError(f"cannot start a process for the pose model ({exc.strerror or exc})") from None
        self._cpus[:] = own_cpus(self._proc.pid) if self.pin_cpus else []
        self._finalizer = weakref.finalize(self, _stop_child, self._proc, self._ring, self._cpus)
        self._sent = self._unread = 0
        try:
            self._send(("open", self.name, self.model_path, self.options))
            self._receive()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the child. Safe to call twice; the backend can be opened again afterwards."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._proc = None

    def detect(self, frame: Frame) -> list[Pose]:
        """Every person found in ``frame``, as the backend in the child reports them."""
        self._drain()
        self._submit(frame)
        return self._receive_poses()

    def stream(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, list[Pose]]]:
        """``(frame, poses)`` for each of ``frames`` in order, the model working ahead on later frames."""
        self._drain()
        pending: deque[Frame] = deque()
        for frame in frames:
            if len(pending) == self.in_flight:
                yield pending.popleft(), self._receive_poses()
            while pending and not self._fits(frame):  # a larger frame needs a new ring: empty the old
                yield pending.popleft(), self._receive_poses()
            self._submit(frame)
            pending.append(frame)
        while pending:
            yield pending.popleft(), self._receive_poses()

    # -- protocol ----------------------------------------------------------------------------------
    def _fits(self, frame: Frame) -> bool:
        return bool(self._ring) and frame.image.nbytes <= self._ring[0].slot_bytes

    def _submit(self, frame: Frame) -> None:
        if self._proc is None:
            self.open()
        if not self._fits(frame):
            for old in self._ring:
                old.close()
            self._ring[:] = [_Ring.create(frame.image.nbytes, self.in_flight)]
            self._send(("ring", self._ring[0].path, frame.image.nbytes, self.in_flight))
            self._receive()  # mapped on the other side: the file's name is no longer needed
            self._ring[0].unlink()
        slot = self._sent % self.in_flight
        np.copyto(self._ring[0].view(slot, frame.image.shape), frame.image)
        self._send(("frame", slot, frame.index, frame.timestamp_ms, frame.image.shape))
        self._sent += 1
        self._unread += 1

    def _receive_poses(self) -> list[Pose]:
        self._unread -= 1
        return [replace(p) for p in self._receive()]  # replace(): validated and read-only again

    def _drain(self) -> None:
        """Read the answers a stream left behind when its consumer stopped early."""
        while self._unread:
            self._unread -= 1
            try:
                self._receive()
            except ModelError:
                pass

    def _send(self, message: tuple) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            pickle.dump(message, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def _receive(self) -> Any:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            kind, value = pickle.load(self._proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise self._died() from None
        if kind == "error":
            raise value
        return value

    def _died(self) -> ModelError:
        assert self._proc is not None
        try:
            code = self._proc.wait(timeout=_CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        return ModelError(
            f"the pose model's process stopped unexpectedly (exit code {code}); any message it left is "
            "above. Try again, or report it with that message"
        )


# -- the child ---------------------------------------------------------------------------------------
class _ParentGone(Exception):
    """The parent's end of the reply pipe is closed."""


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer the parent's messages until its end of the pipe closes."""
    from . import create_backend

    def reply(kind: str, value: Any = None) -> None:
        try:
            pickle.dump((kind, value), replies, protocol=pickle.HIGHEST_PROTOCOL)
            replies.flush()
        except OSError:  # the parent is gone (killed): nobody to answer, nothing to say
            raise _ParentGone from None

    backend = None
    ring: _Ring | None = None
    try:
        while True:
            try:
                message = pickle.load(requests)
            except (EOFError, pickle.UnpicklingError):  # the parent is gone, or stopped mid-message
                return
            kind, args = message[0], message[1:]
            try:
                if kind == "frame":
                    slot, index, timestamp_ms, shape = args
                    assert backend is not None and ring is not None
                    reply("poses", backend.detect(Frame(index, timestamp_ms, ring.view(slot, shape))))
                elif kind == "ring":
                    ring = _Ring.attach(*args)
                    reply("ok")
                elif kind == "close":
                    return
                elif kind == "open":
                    name, model_path, options = args
                    backend = create_backend(name, model_path=model_path, options=options)
                    reply("ok")
            except _ParentGone:
                return
            except PosecheckError as exc:
                reply("error", exc)
            except Exception as exc:  # a bug here is still reported as the model failing, in one line
                where = f" on frame {args[1]}" if kind == "frame" else ""
                reply("error", ModelError(f"pose model failed{where}: {type(exc).__name__}: {exc}"))
    finally:
        if backend is not None:
            backend.close()


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us cleanly
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the replies
    sys.stdout = sys.stderr
    try:
        _serve(sys.stdin.buffer, replies)
    except _ParentGone:
        pass
    try:
        replies.close()
    except OSError:  # a reply still buffered for a parent that is gone
        pass
