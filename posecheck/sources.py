"""Frame sources: video files, image folders and cameras, each an iterator of :class:`~posecheck.frame.Frame`.

Usage::

    with open_source("clip.mp4") as source, prefetch(source) as frames:
        for frame in frames:          # decoded on another thread while you work on the previous one
            ...

:func:`open_source` picks the source from its target: an int or digit string is a camera index, a folder
is an image sequence, a file is a video. ``realtime=True`` plays a file at its own pace, dropping frames
whose time has passed, so the live mode can be exercised without a camera.
"""

from __future__ import annotations

import math
import queue
import re
import struct
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol, TypeVar

import cv2
import numpy as np

from ._quiet import quiet_stderr
from .errors import CameraError, SourceError
from .frame import Frame, VideoInfo

VIDEO_EXTENSIONS: tuple[str, ...] = (".avi", ".gif", ".mkv", ".mov", ".mp4", ".webm")
IMAGE_EXTENSIONS: tuple[str, ...] = (".bmp", ".jpeg", ".jpg", ".png", ".webp")
#: Camera indices tried when the requested one does not open, to tell the user which ones do.
CAMERA_PROBE_INDICES: range = range(10)
#: Frame rate of an image folder, and of a video whose container states none.
DEFAULT_FPS = 30.0
#: One decoder thread leaves the other core to the pose model; FFmpeg's default (all cores) fights it.
DEFAULT_DECODE_THREADS = 1
#: A container's frame count may be estimated (duration x fps in MKV/WebM); a shortfall within this
#: fraction (and at least this many frames) is not reported as truncation.
TRUNCATION_TOLERANCE = (0.01, 2)

_S = TypeVar("_S", bound="FrameSource")
_P = TypeVar("_P", bound="Prefetcher")


def _supported_list() -> str:
    return (
        f"videos ({', '.join(VIDEO_EXTENSIONS)}), a folder of images ({', '.join(IMAGE_EXTENSIONS)}) "
        "or a camera index (0, 1, ...)"
    )


class FrameSource(ABC):
    """A context-managed iterator of :class:`Frame` with an :class:`VideoInfo` in ``info``.

    Iteration ends (``StopIteration``) at the end of the input or after :meth:`close`; a failure while
    reading raises :class:`SourceError` (or :class:`CameraError`) after the frames read before it.
    """

    info: VideoInfo

    def __init__(self) -> None:
        self._closed = False
        self._reader: weakref.ref[Prefetcher] | None = None  # set by prefetch(); stopped before release

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        return self

    def __next__(self) -> Frame:
        if self._closed:
            raise StopIteration
        frame = self._next()
        if frame is None:
            raise StopIteration
        return frame

    @abstractmethod
    def _next(self) -> Frame | None:
        """The next frame, or None at the end of the input."""

    def close(self) -> None:
        """Stop a :func:`prefetch` thread still reading this source, then release the file or device.
        Safe to call twice."""
        if self._closed:
            return
        reader = self._reader() if self._reader is not None else None
        if reader is not None and reader._thread is not threading.current_thread():
            reader.close()  # releasing a capture while another thread reads it can crash the decoder
        self._release()
        self._closed = True

    def _release(self) -> None:
        """Free what the source holds (called once, after any reader thread stopped)."""


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` the sources use (lets tests stand in for a camera)."""

    def isOpened(self) -> bool: ...

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def get(self, prop: int) -> float: ...

    def release(self) -> None: ...


def _looks_like_text(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a multi-byte character cut at 512 bytes
            return False
        text = head[: exc.start].decode("utf-8")
    return bool(text) and all(c.isprintable() or c in "\r\n\t" for c in text)


def _decoder_reason(path: Path, log: str) -> str:
    """Why ``path`` did not open: a text file is named as such, else FFmpeg's last complaint."""
    if _looks_like_text(path):
        return "it holds text, not video"
    ffmpeg = re.findall(r"^\[[\w,]+ @ 0x[0-9a-f]+\]\s*(.+)$", log, re.MULTILINE)
    return f"decoder: {ffmpeg[-1].strip()}" if ffmpeg else "the decoder gave no reason"


def _mp4_index_missing(path: Path) -> bool:
    """True if ``path`` starts like an MP4/MOV file but has no top-level 'moov' box (its index)."""
    try:
        total = path.stat().st_size
        with path.open("rb") as fh:
            if fh.read(8)[4:8] != b"ftyp":
                return False
            pos, kinds = 0, set()
            while pos + 8 <= total:
                fh.seek(pos)
                header = fh.read(16)
                size, kind = struct.unpack(">I4s", header[:8])
                if size == 1 and len(header) == 16:
                    size = struct.unpack(">Q", header[8:16])[0]
                elif size == 0:
                    size = total - pos
                if size < 8:
                    break
                kinds.add(kind)
                pos += size
            return b"moov" not in kinds
    except OSError:
        return False


class VideoFileSource(FrameSource):
    """Frames of a video file, decoded with OpenCV's FFmpeg backend.

    Timestamps are the container's presentation times (``CAP_PROP_POS_MSEC`` after each read). Only
    where the container gives none (0 after the first frame, or not finite) is ``index * 1000 / fps``
    used instead, and ``container_timestamps`` becomes False. A timestamp not after the previous one is
    replaced by the previous one plus one nominal frame interval, so timestamps strictly increase.

    Rotation metadata (phone videos) is honoured: OpenCV 4.11 does *not* rotate by default
    (``CAP_PROP_ORIENTATION_AUTO`` reads 0), so it is switched on here; ``info.rotation`` holds the
    container's angle (``CAP_PROP_ORIENTATION_META``) and ``info.width``/``height`` are after rotation.

    ``start``: the first frame to yield (OpenCV seeks to it); frames keep their indices in the file.
    After a seek the container's times may differ from those of a read from the start (a file with
    no usable index): :mod:`posecheck.pose.segments` checks that before trusting a seek.

    Raises :class:`SourceError` when the file is missing, empty, not a decodable video, or (while
    iterating) ends well before the frame count its container announces.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float = DEFAULT_FPS,
        decode_threads: int | None = DEFAULT_DECODE_THREADS,
        start: int = 0,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.container_timestamps = True
        _check_video_path(self.path)
        params = [cv2.CAP_PROP_N_THREADS, decode_threads] if decode_threads else []
        with quiet_stderr() as log:
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            if _mp4_index_missing(self.path):
                raise SourceError(
                    f"{self.path}: the MP4 index ('moov' box) is missing, so the file is truncated "
                    "(an interrupted recording or copy); record or copy it again"
                )
            raise SourceError(
                f"{self.path}: cannot be read as a video ({_decoder_reason(self.path, log.text)}); expected "
                "a video such as MP4, MOV, WebM, MKV, AVI or GIF; check what the file really is "
                "or re-export it"
            )
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        self._cap = cap
        self._index = 0
        if start > 0 and cap.set(cv2.CAP_PROP_POS_FRAMES, start):
            self._index = start
        self._last_ts: float | None = None
        container_fps = cap.get(cv2.CAP_PROP_FPS)
        self._fps = container_fps if math.isfinite(container_fps) and container_fps > 0 else fps
        self._expected = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        with quiet_stderr():
            first = self._read_frame()
        if first is None:
            cap.release()
            count = f"its container announces {self._expected} frames" if self._expected else "it has no frames"
            raise SourceError(
                f"{self.path}: no frame could be decoded ({count}); the file is damaged or uses a "
                "codec this OpenCV cannot decode; re-export it as MP4 (H.264) or WebM"
            )
        self._peeked: Frame | None = first
        self._at: Frame | None = None  # the frame frame_at() last gave
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
        self.info = VideoInfo(
            source=str(self.path),
            width=first.image.shape[1],
            height=first.image.shape[0],
            fps=float(self._fps),
            frame_count=self._expected,
            rotation=rotation,
        )

    def _read_frame(self) -> Frame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        index = self._index
        return Frame(index, self._stamp(), image)

    def _stamp(self) -> float:
        """The timestamp (ms) of the frame just read or grabbed, as the class describes; counts it."""
        ts = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        interval = 1000.0 / self._fps
        if not math.isfinite(ts) or (self._index > 0 and ts <= 0.0):
            self.container_timestamps = False
            ts = self._index * interval
        if self._last_ts is not None and ts <= self._last_ts:
            ts = self._last_ts + interval
        self._index += 1
        self._last_ts = float(ts)
        return self._last_ts

    def frame_at(self, t_s: float) -> Frame | None:
        """The frame nearest ``t_s`` seconds into the file, or None after its last frame.

        Reads forward only: the frames before it are grabbed (no colour conversion) and only the one
        returned is converted; the next frame is taken to come one nominal interval after the current
        one, and frame times are the container's (see the class). Asking again for a time nearer the
        current frame than the next returns the same frame; an earlier time never goes back. Raises
        :class:`SourceError` when the file ends well before the frame count its container announces
        (truncated) or the chosen frame cannot be decoded. Use this or iteration on a source, not both.
        """
        if self._peeked is not None:
            self._at, self._peeked = self._peeked, None
        interval = 1000.0 / self._fps
        grabbed = False
        with quiet_stderr():  # FFmpeg's complaints about a damaged file; the SourceError says it in one line
            while t_s * 1000.0 >= (self._last_ts or 0.0) + interval / 2:
                if not self._cap.grab():
                    self._check_complete()
                    return None
                self._stamp()
                grabbed = True
            if grabbed:
                ok, image = self._cap.retrieve()
                if not ok or image is None:
                    raise SourceError(
                        f"{self.path}: frame {self._index - 1} (about {t_s:.1f} s) cannot be decoded; the "
                        "file is damaged there; copy or export it again"
                    )
                self._at = Frame(self._index - 1, self._last_ts or 0.0, image)
        return self._at

    def _next(self) -> Frame | None:
        if self._peeked is not None:
            frame, self._peeked = self._peeked, None
            return frame
        frame = self._read_frame()
        if frame is None:
            self._check_complete()
        return frame

    def _check_complete(self) -> None:
        read, expected = self._index, self._expected
        fraction, minimum = TRUNCATION_TOLERANCE
        if expected and expected - read > max(minimum, fraction * expected):
            seconds = (self._last_ts or 0.0) / 1000.0
            raise SourceError(
                f"{self.path}: decoding stopped at frame {read} (about {seconds:.1f} s) but the "
                f"container announces {expected} frames; the file looks truncated (an interrupted "
                f"recording or copy). Frames 0-{read - 1} were read; copy or export the file again to "
                "analyse all of it"
            )

    def _release(self) -> None:
        self._cap.release()


#: How still images start: a file with a video's name but one of these heads is an image in disguise.
IMAGE_SIGNATURES: dict[bytes, str] = {
    b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"BM": "BMP", b"RIFF": "WebP",
}


def _image_kind(path: Path) -> str | None:
    """'PNG', 'JPEG'... if ``path`` starts like a still image (a WebP is RIFF....WEBP; AVI is RIFF too)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return None
    for magic, kind in IMAGE_SIGNATURES.items():
        if head.startswith(magic) and (kind != "WebP" or head[8:12] == b"WEBP"):
            return kind
    return None


def _check_video_path(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder; check the path (a camera is a number like 0)")
    if not path.is_file():
        raise SourceError(f"{path}: not a regular file; expected {_supported_list()}")
    suffix = path.suffix.lower()
    if suffix not in VIDEO_EXTENSIONS:
        if suffix in IMAGE_EXTENSIONS:
            raise SourceError(f"{path}: a single image is not a video; put the images in a folder and pass the folder")
        raise SourceError(f"{path}: unsupported file type '{path.suffix or '(none)'}'; supported: {_supported_list()}")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes); the recording or copy failed, make it again")
    image = _image_kind(path)
    if image is not None:
        raise SourceError(
            f"{path}: is a still {image} image named like a video; a rep needs movement: pass a video, "
            "or a folder of images taken in sequence"
        )
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise SourceError(f"{path}: cannot be opened ({exc.strerror}); check its permissions") from None


def natural_key(name: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class ImageFolderSource(FrameSource):
    """The images of a folder (extensions in :data:`IMAGE_EXTENSIONS`), in natural name order.

    ``img2.png`` comes before ``img10.png``; hidden files are skipped. Timestamps are
    ``index * 1000 / fps`` at the nominal ``fps``. Raises :class:`SourceError` when the folder holds no
    image, or (while iterating) an image cannot be read or differs in size from the first.
    """

    def __init__(self, path: str | Path, *, fps: float = DEFAULT_FPS) -> None:
        super().__init__()
        self.path = Path(path)
        if not (fps > 0 and math.isfinite(fps)):
            raise SourceError(f"{self.path}: the frame rate of an image folder must be positive, got {fps}")
        try:
            entries = list(self.path.iterdir())
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot list the folder ({exc.strerror}); check its permissions") from None
        self.files = sorted(
            (p for p in entries if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()),
            key=lambda p: natural_key(p.name),
        )
        if not self.files:
            raise SourceError(
                f"{self.path}: the folder holds no images (looked for {', '.join(IMAGE_EXTENSIONS)}); "
                "pass a folder of frames or a video file"
            )
        self._fps = float(fps)
        self._index = 0
        first = self._load(0)
        self._peeked: Frame | None = first
        self.info = VideoInfo(
            source=str(self.path),
            width=first.image.shape[1],
            height=first.image.shape[0],
            fps=self._fps,
            frame_count=len(self.files),
        )

    def _load(self, index: int) -> Frame:
        file = self.files[index]
        image = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(
                f"{file}: cannot be read as an image (image {index + 1} of {len(self.files)}); remove or replace it"
            )
        if index > 0 and (image.shape[1], image.shape[0]) != (self.info.width, self.info.height):
            raise SourceError(
                f"{file}: image is {image.shape[1]}x{image.shape[0]} but the first image is "
                f"{self.info.width}x{self.info.height}; all images of a folder must have one size"
            )
        return Frame(index, index * 1000.0 / self._fps, image)

    def _next(self) -> Frame | None:
        if self._peeked is not None:
            frame, self._peeked = self._peeked, None
            self._index = 1
            return frame
        if self._index >= len(self.files):
            return None
        frame = self._load(self._index)
        self._index += 1
        return frame


class ImageFileSource(FrameSource):
    """One still image (a photo) as a source of one frame at time 0.

    Raises :class:`SourceError` when the file is missing, empty or cannot be decoded as an image.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file; check the path")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path}: the file is empty (0 bytes); take or copy the photo again")
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(
                f"{self.path}: cannot be read as an image (damaged, or not really {self.path.suffix or 'an image'}); "
                f"expected {', '.join(IMAGE_EXTENSIONS)}; save or export the photo again"
            )
        self._frame: Frame | None = Frame(0, 0.0, image)
        self.info = VideoInfo(source=str(self.path), width=image.shape[1], height=image.shape[0], fps=DEFAULT_FPS,
                              frame_count=1)

    def _next(self) -> Frame | None:
        frame, self._frame = self._frame, None
        return frame


def _open_camera(index: int) -> Capture:
    return cv2.VideoCapture(index)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Some cameras deliver grey or BGRA frames; every stage after the source expects BGR."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


class CameraSource(FrameSource):
    """Frames of a camera. Timestamps are the monotonic clock, in ms since the first frame.

    Raises :class:`CameraError` when the camera does not open (listing the indices in
    :data:`CAMERA_PROBE_INDICES` that do), delivers no first frame, or (while iterating) fails
    ``max_failed_reads`` reads in a row. ``capture_factory`` opens a capture for an index; it exists so
    tests and other capture libraries can stand in for OpenCV.
    """

    def __init__(
        self,
        index: int,
        *,
        max_failed_reads: int = 30,
        retry_delay_s: float = 0.01,
        capture_factory: Callable[[int], Capture] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.index = index
        self._factory = capture_factory if capture_factory is not None else _open_camera
        self._max_failed = max(1, max_failed_reads)
        self._retry_delay = retry_delay_s
        self._clock = clock
        with quiet_stderr(discard=True):
            cap = self._factory(index)
        if not cap.isOpened():
            cap.release()
            others = self._probe()
            found = (
                f"cameras that open: {', '.join(map(str, others))}; pass one of those"
                if others
                else "no camera opens on this machine; plug one in or close the program using it"
            )
            raise CameraError(f"camera {index} does not open; {found}")
        self._cap = cap
        self._delivered = 0
        self._origin: float | None = None
        self._last_ts = -math.inf
        image = self._read_image()
        if image is None:
            cap.release()
            raise CameraError(
                f"camera {index} opens but delivered no frame in {self._max_failed} tries; "
                "another program may be using it; close it and try again"
            )
        self._peeked: Frame | None = self._frame(image)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.info = VideoInfo(
            source=f"camera {index}",
            width=image.shape[1],
            height=image.shape[0],
            fps=float(fps) if math.isfinite(fps) and fps > 0 else 0.0,
            frame_count=0,
            is_live=True,
        )

    def _probe(self) -> list[int]:
        found = []
        for i in CAMERA_PROBE_INDICES:
            if i == self.index:
                continue
            with quiet_stderr(discard=True):
                cap = self._factory(i)
                try:
                    if cap.isOpened():
                        found.append(i)
                finally:
                    cap.release()
        return found

    def _read_image(self) -> np.ndarray | None:
        for attempt in range(self._max_failed):
            ok, image = self._cap.read()
            if ok and image is not None:
                return _as_bgr(image)
            if attempt + 1 < self._max_failed:
                time.sleep(self._retry_delay)
        return None

    def _frame(self, image: np.ndarray) -> Frame:
        now = self._clock() * 1000.0
        if self._origin is None:
            self._origin = now
        ts = max(now - self._origin, math.nextafter(self._last_ts, math.inf))
        self._last_ts = ts
        frame = Frame(self._delivered, ts, image)
        self._delivered += 1
        return frame

    def _next(self) -> Frame | None:
        if self._peeked is not None:
            frame, self._peeked = self._peeked, None
            return frame
        image = self._read_image()
        if image is None:
            raise CameraError(
                f"camera {self.index} stopped delivering frames after {self._delivered} frames "
                "(unplugged?); reconnect it and start again"
            )
        return self._frame(image)

    def _release(self) -> None:
        self._cap.release()


class RealtimeSource(FrameSource):
    """Plays a recorded source at its own pace, as a camera would deliver it (``info.is_live`` is True).

    A frame is delivered no earlier than its timestamp after the first frame; a frame is dropped when,
    by the time it is asked for, the next one is already due (one nominal interval later). Dropped
    frames are counted in ``dropped``. Frame indices and timestamps are those of the recording, so the
    gaps show. Raises what the wrapped source raises.
    """

    def __init__(
        self,
        inner: FrameSource,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.info = replace(inner.info, is_live=True)
        self.dropped = 0
        self._clock, self._sleep = clock, sleep
        self._interval_s = 1.0 / (inner.info.fps if inner.info.fps > 0 else DEFAULT_FPS)
        self._origin: float | None = None

    def _next(self) -> Frame | None:
        while True:
            frame = next(self.inner, None)
            if frame is None:
                return None
            if self._origin is None:
                self._origin = self._clock() - frame.timestamp_ms / 1000.0
                return frame
            due = self._origin + frame.timestamp_ms / 1000.0
            now = self._clock()
            if now >= due + self._interval_s:
                self.dropped += 1
                continue
            if now < due:
                self._sleep(due - now)
            return frame

    def _release(self) -> None:
        self.inner.close()


def open_source(
    target: str | Path | int,
    *,
    realtime: bool = False,
    fps: float = DEFAULT_FPS,
    photos: bool = False,
) -> FrameSource:
    """Open a camera (int or digit string), an image folder (directory) or a video file.

    ``fps`` is the nominal frame rate of an image folder (and of a video whose container states none).
    ``photos=True`` opens a single image file as a one-frame :class:`ImageFileSource` (for callers that
    judge a still, such as ``posecheck sleep``; rep counting needs movement, so by default it is refused).
    ``realtime=True`` paces a file or folder like a camera (see :class:`RealtimeSource`); cameras are
    always live. Returns an unstarted :class:`FrameSource`; use it as a context manager.
    Raises :class:`SourceError` for an invalid target and :class:`CameraError` for a camera that
    does not open.
    """
    if isinstance(target, bool) or not isinstance(target, (str, Path, int)):
        raise SourceError(f"cannot open {target!r} ({type(target).__name__}); expected a path or a camera index")
    if isinstance(target, int) or (isinstance(target, str) and target.strip().isdigit()):
        index = int(target)
        if index < 0:
            raise CameraError(f"camera index must be 0 or more, got {index}")
        return CameraSource(index)
    if isinstance(target, str) and not target.strip():
        raise SourceError(f"empty source path; expected {_supported_list()}")
    path = Path(target).expanduser()
    source: FrameSource
    if path.is_dir():
        source = ImageFolderSource(path, fps=fps)
    elif photos and path.suffix.lower() in IMAGE_EXTENSIONS:
        source = ImageFileSource(path)
    else:
        source = VideoFileSource(path, fps=fps)
    return RealtimeSource(source) if realtime else source


_END = object()


class _Channel:
    """State shared by a :class:`Prefetcher` and its reader thread (the thread must not hold the
    Prefetcher itself, or an abandoned Prefetcher would never be collected and stop its thread)."""

    def __init__(self, depth: int, live: bool) -> None:
        self.queue: queue.Queue[tuple[object, object]] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.live = live

    def put(self, kind: object, value: object) -> bool:
        """Queue an item; False if the consumer has gone. Live frames replace the oldest when full."""
        drop_oldest = self.live and kind is Frame
        while not self.stop.is_set():
            try:
                self.queue.put((kind, value), block=not drop_oldest, timeout=0.05)
                return True
            except queue.Full:
                if drop_oldest:
                    try:
                        self.queue.get_nowait()
                    except queue.Empty:
                        pass
        return False

    def halt(self) -> None:
        self.stop.set()
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return


def _read_into(source: FrameSource, channel: _Channel) -> None:
    try:
        for frame in source:
            if not channel.put(Frame, frame):
                return
    except Exception as exc:  # noqa: BLE001 (handed to the consumer, who re-raises it after the frames before it)
        channel.put(Exception, exc)
        return
    channel.put(_END, None)


class Prefetcher:
    """Iterator over a source's frames, decoded ahead on a background thread. See :func:`prefetch`."""

    def __init__(self, source: FrameSource, depth: int = 8) -> None:
        if depth < 1:
            raise ValueError(f"prefetch depth must be at least 1, got {depth}")
        self.source = source
        self._channel = _Channel(depth, source.info.is_live)
        self._thread = threading.Thread(
            target=_read_into, args=(source, self._channel), name="posecheck-prefetch", daemon=True
        )
        self._started = False
        self._finished = False
        self._finalizer = weakref.finalize(self, self._channel.halt)
        source._reader = weakref.ref(self)

    def __enter__(self: _P) -> _P:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Prefetcher:
        return self

    def __next__(self) -> Frame:
        if self._finished:
            raise StopIteration
        if not self._started:
            self._started = True
            self._thread.start()
        while True:
            try:
                kind, value = self._channel.queue.get(timeout=0.5)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._channel.queue.empty():
                    self._finished = True
                    raise StopIteration from None
        if kind is Frame:
            assert isinstance(value, Frame)
            return value
        self._finished = True
        self._thread.join()
        if kind is Exception:
            assert isinstance(value, Exception)
            raise value
        raise StopIteration

    @property
    def running(self) -> bool:
        """True while the reader thread is alive."""
        return self._thread.is_alive()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the reader thread and wait for it (it may be inside a blocking camera read)."""
        self._finished = True
        self._channel.halt()
        if self._started:
            self._thread.join(timeout_s)


def prefetch(source: FrameSource, depth: int = 8) -> Prefetcher:
    """Decode ``source`` on a background thread, at most ``depth`` frames ahead of the consumer.

    Returns a :class:`Prefetcher`: an iterator of the same frames in the same order, and a context
    manager. The thread starts at the first ``next()``; it stops when the source ends, when the
    consumer calls ``close()`` or leaves the ``with`` block, or when the Prefetcher is garbage
    collected. An exception raised by the source is re-raised by ``next()`` after every frame read
    before it. For a live source (``info.is_live``) the oldest unread frame is dropped when the
    consumer falls behind, so latency stays at most ``depth`` frames. The caller still closes
    ``source``, after the Prefetcher.
    """
    return Prefetcher(source, depth)
