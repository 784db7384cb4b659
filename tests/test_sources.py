"""Frame sources: formats, timestamps, rotation, every error message, realtime pacing and prefetch."""

from __future__ import annotations

import gc
import itertools
import shutil
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.errors import CameraError, SourceError
from posecheck.frame import Frame, VideoInfo
from posecheck.sources import (
    CameraSource,
    FrameSource,
    ImageFolderSource,
    RealtimeSource,
    VideoFileSource,
    open_source,
    prefetch,
)

SHARED_VIDEOS = Path(__file__).parents[1] / ".." / "shared" / "videos"
SIZE = (64, 48)  # width, height


# ---------------------------------------------------------------- builders


def frame_image(i: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """A flat frame whose grey level encodes ``i`` (survives lossy codecs to within a few levels)."""
    return np.full((size[1], size[0], 3), (i * 8) % 256, np.uint8)


def write_video(path: Path, n: int = 30, fps: float = 30.0, fourcc: str = "mp4v") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, SIZE)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} into {path.suffix}"
    for i in range(n):
        writer.write(frame_image(i))
    writer.release()
    return path


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(kind, offset, header length, size) of the MP4 boxes between start and end."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], 16
        elif size == 0:
            size = end - pos
        yield kind, pos, header, size
        pos += size


def _shift_chunk_offsets(moov: bytearray, start: int, end: int, delta: int) -> None:
    for kind, pos, header, size in _boxes(moov, start, end):
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
            _shift_chunk_offsets(moov, pos + header, pos + size, delta)
        elif kind in (b"stco", b"co64"):
            count = struct.unpack(">I", moov[pos + 12 : pos + 16])[0]
            fmt, width = (">I", 4) if kind == b"stco" else (">Q", 8)
            for k in range(count):
                at = pos + 16 + width * k
                struct.pack_into(fmt, moov, at, struct.unpack(fmt, moov[at : at + width])[0] + delta)


def faststart(data: bytes) -> bytes:
    """The same MP4 with its index ('moov') moved before the media data, as streaming exports do."""
    top = list(_boxes(data, 0, len(data)))
    _kind, pos, _header, size = next(b for b in top if b[0] == b"moov")
    moov = bytearray(data[pos : pos + size])
    _shift_chunk_offsets(moov, 8, len(moov), len(moov))
    rest = [data[p : p + s] for k, p, _h, s in top if k != b"moov"]
    return rest[0] + bytes(moov) + b"".join(rest[1:])


def set_rotation(data: bytes, matrix: tuple[int, int, int, int]) -> bytes:
    """Write a display matrix (a, b, c, d in 16.16 fixed point) into the video track header."""
    out = bytearray(data)
    pos = out.find(b"tkhd") - 4
    version = out[pos + 8]
    at = pos + (48 if version == 0 else 60)
    a, b, c, d = matrix
    struct.pack_into(">9i", out, at, a, b, 0, c, d, 0, 0, 0, 0x40000000)
    return bytes(out)


ROT90 = (0, 0x10000, -0x10000, 0)  # what OpenCV and FFmpeg report as rotation 90


def corner_image() -> np.ndarray:
    """Left half red, right half blue, a green top-left corner: shows any rotation."""
    img = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    img[:, : SIZE[0] // 2] = (0, 0, 255)
    img[:, SIZE[0] // 2 :] = (255, 0, 0)
    img[:8, :8] = (0, 255, 0)
    return img


def write_rotated(path: Path) -> Path:
    plain = path.with_name("plain.mp4")
    writer = cv2.VideoWriter(str(plain), cv2.VideoWriter_fourcc(*"mp4v"), 25, SIZE)
    for _ in range(5):
        writer.write(corner_image())
    writer.release()
    path.write_bytes(set_rotation(plain.read_bytes(), ROT90))
    return path


class ListSource(FrameSource):
    """A source over made-up frames that can fail after some of them; records which thread reads."""

    def __init__(self, n: int | None, fail_after: int | None = None, live: bool = False) -> None:
        super().__init__()
        self.n, self.fail_after, self.produced = n, fail_after, 0
        self.threads: set[str] = set()
        self.info = VideoInfo("list", SIZE[0], SIZE[1], 30.0, n or 0, is_live=live)

    def _next(self) -> Frame | None:
        self.threads.add(threading.current_thread().name)
        if self.fail_after is not None and self.produced == self.fail_after:
            raise SourceError(f"list: broken at frame {self.produced}")
        if self.n is not None and self.produced >= self.n:
            return None
        frame = Frame(self.produced, self.produced * 1000 / 30, frame_image(self.produced))
        self.produced += 1
        return frame


class FakeCapture:
    """Stands in for cv2.VideoCapture on a camera: opens or not, delivers ``good`` frames then fails."""

    def __init__(self, opens: bool, good: int = 10**9) -> None:
        self.opens, self.good, self.reads = opens, good, 0

    def isOpened(self) -> bool:
        return self.opens

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.reads += 1
        if self.reads > self.good:
            return False, None
        return True, frame_image(self.reads)

    def get(self, prop: int) -> float:
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def release(self) -> None:
        pass


def grey(frame: Frame) -> int:
    return int(frame.image.mean())


# ---------------------------------------------------------------- errors, one per message


def _missing(tmp: Path) -> Path:
    return tmp / "nope.mp4"


def _empty(tmp: Path) -> Path:
    (tmp / "empty.mp4").write_bytes(b"")
    return tmp / "empty.mp4"


def _text_as_mp4(tmp: Path) -> Path:
    (tmp / "notes.mp4").write_text("squat notes\nthree sets of ten\n")
    return tmp / "notes.mp4"


def _noise_as_mp4(tmp: Path) -> Path:
    (tmp / "noise.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 4000, np.uint8).tobytes())
    return tmp / "noise.mp4"


def _cut_before_index(tmp: Path) -> Path:
    data = write_video(tmp / "whole.mp4", n=40).read_bytes()
    assert data.find(b"moov") > len(data) // 2  # OpenCV writes the index last
    (tmp / "cut.mp4").write_bytes(data[: len(data) // 2])
    return tmp / "cut.mp4"


def _unsupported(tmp: Path) -> Path:
    (tmp / "clip.txt").write_text("x")
    return tmp / "clip.txt"


def _single_image(tmp: Path) -> Path:
    cv2.imwrite(str(tmp / "photo.jpg"), frame_image(1))
    return tmp / "photo.jpg"


def _empty_folder(tmp: Path) -> Path:
    (tmp / "frames").mkdir()
    (tmp / "frames" / "readme.txt").write_text("no images here")
    return tmp / "frames"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (_missing, SourceError, "nope.mp4: no such file or folder; check the path"),
        (_empty, SourceError, "empty.mp4: the file is empty (0 bytes); the recording or copy failed"),
        (_text_as_mp4, SourceError, "notes.mp4: cannot be read as a video (it holds text, not video)"),
        (_noise_as_mp4, SourceError, "noise.mp4: cannot be read as a video (decoder: "),
        (_cut_before_index, SourceError, "cut.mp4: the MP4 index ('moov' box) is missing, so the file is truncated"),
        (
            _unsupported,
            SourceError,
            (
                "clip.txt: unsupported file type '.txt'; supported: videos (.avi, .gif, .mkv, .mov, .mp4, "
                ".webm), a folder of images (.bmp, .jpeg, .jpg, .png, .webp) or a camera index"
            ),
        ),
        (_single_image, SourceError, "photo.jpg: a single image is not a video; put the images in a folder"),
        (_empty_folder, SourceError, "frames: the folder holds no images (looked for .bmp, .jpeg"),
    ],
    ids=["missing", "empty", "text-as-mp4", "noise-as-mp4", "cut-before-index", "unsupported", "image", "empty-folder"],
)
def test_open_errors(tmp_path: Path, make: Callable[[Path], Path], error: type[Exception], message: str) -> None:
    target = make(tmp_path)
    with pytest.raises(error) as info:
        open_source(target)
    text = str(info.value)
    assert message in text
    assert text.startswith(str(target))
    assert "\n" not in text


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        (3.5, SourceError, "cannot open 3.5 (float); expected a path or a camera index"),
        (True, SourceError, "cannot open True (bool)"),
        ("  ", SourceError, "empty source path"),
        (-1, CameraError, "camera index must be 0 or more, got -1"),
    ],
)
def test_invalid_targets(target: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_source(target)  # type: ignore[arg-type]


@pytest.mark.parametrize("container", ["mp4", "avi"])
def test_truncated_file_yields_frames_then_names_where_it_stopped(tmp_path: Path, container: str) -> None:
    if container == "mp4":
        data = faststart(write_video(tmp_path / "whole.mp4", n=60).read_bytes())
    else:
        data = write_video(tmp_path / "whole.avi", n=60, fourcc="MJPG").read_bytes()
    cut = tmp_path / f"cut.{container}"
    cut.write_bytes(data[: len(data) // 2])
    got: list[Frame] = []
    with open_source(cut) as source:
        assert source.info.frame_count == 60
        with pytest.raises(SourceError) as info:
            got.extend(source)  # keeps the frames read before the error
    assert 10 < len(got) < 50
    assert [f.index for f in got] == list(range(len(got)))
    assert str(info.value).startswith(
        f"{cut}: decoding stopped at frame {len(got)} (about "
    ) and "but the container announces 60 frames; the file looks truncated" in str(info.value)


def test_faststart_helper_keeps_a_whole_file_readable(tmp_path: Path) -> None:
    moved = tmp_path / "moved.mp4"
    moved.write_bytes(faststart(write_video(tmp_path / "whole.mp4", n=20).read_bytes()))
    with open_source(moved) as source:
        assert [grey(f) for f in source] == pytest.approx([(i * 8) % 256 for i in range(20)], abs=4)


# ---------------------------------------------------------------- formats and timestamps


@pytest.mark.parametrize(
    ("name", "fourcc"),
    [("a.mp4", "mp4v"), ("a.mov", "mp4v"), ("a.avi", "MJPG"), ("a.avi", "XVID"), ("a.webm", "VP80"), ("a.mkv", "VP90")],
)
def test_video_formats_decode_in_order(tmp_path: Path, name: str, fourcc: str) -> None:
    path = write_video(tmp_path / name, n=20, fps=25.0, fourcc=fourcc)
    with open_source(path) as source:
        frames = list(source)
        assert source.info == VideoInfo(str(path), SIZE[0], SIZE[1], 25.0, 20)
    assert [f.index for f in frames] == list(range(20))
    assert [grey(f) for f in frames] == pytest.approx([(i * 8) % 256 for i in range(20)], abs=6)
    assert [f.timestamp_ms for f in frames] == pytest.approx([i * 40.0 for i in range(20)], abs=1.0)


def test_gif_timestamps_come_from_the_container(tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")
    durations = [100, 100, 250, 100, 50, 100]
    frames = [image.fromarray(frame_image(i * 4)[:, :, ::-1]) for i in range(len(durations))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    with open_source(path) as source:
        got = list(source)
        assert source.container_timestamps  # type: ignore[attr-defined]
    assert [f.timestamp_ms for f in got] == pytest.approx([0, 100, 200, 450, 550, 600], abs=1.0)


class NoTimestamps:
    """Wraps a capture so the container seems to carry no timestamps."""

    def __init__(self, cap: cv2.VideoCapture) -> None:
        self.cap = cap

    def read(self) -> tuple[bool, np.ndarray]:
        return self.cap.read()

    def get(self, prop: int) -> float:
        return 0.0 if prop == cv2.CAP_PROP_POS_MSEC else self.cap.get(prop)

    def release(self) -> None:
        self.cap.release()


def test_timestamps_fall_back_to_the_frame_rate_when_the_container_gives_none(tmp_path: Path) -> None:
    source = VideoFileSource(write_video(tmp_path / "a.mp4", n=10, fps=20.0))
    source._cap = NoTimestamps(source._cap)
    with source:
        stamps = [f.timestamp_ms for f in source]
    assert not source.container_timestamps
    assert stamps == pytest.approx([i * 50.0 for i in range(10)])


def test_rotation_metadata_is_honoured(tmp_path: Path) -> None:
    path = write_rotated(tmp_path / "phone.mp4")
    with open_source(path) as source:
        frame = next(source)
        assert (source.info.rotation, source.info.width, source.info.height) == (90, SIZE[1], SIZE[0])
    assert frame.image.shape == (SIZE[0], SIZE[1], 3)
    # turned a quarter clockwise: the left (red) half is now on top, the green corner at the top right
    assert tuple(frame.image[2, 2]) == pytest.approx((0, 0, 255), abs=40)
    assert tuple(frame.image[2, -3]) == pytest.approx((0, 255, 0), abs=40)
    assert tuple(frame.image[-3, 2]) == pytest.approx((255, 0, 0), abs=40)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_rotation_matches_what_ffmpeg_displays(tmp_path: Path) -> None:
    path = write_rotated(tmp_path / "phone.mp4")
    png = tmp_path / "ffmpeg.png"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(path), "-frames:v", "1", str(png)], check=True)
    with open_source(path) as source:
        ours = next(source).image
    theirs = cv2.imread(str(png))
    assert ours.shape == theirs.shape
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 8


# ---------------------------------------------------------------- image folders


def test_image_folder_natural_order_and_nominal_timestamps(tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    for name, level in [("img_10.png", 10), ("img_2.PNG", 2), ("img_1.jpg", 1), ("img_3.bmp", 3), ("img_4.webp", 4)]:
        cv2.imwrite(str(folder / name), frame_image(level))
    cv2.imwrite(str(folder / ".hidden.png"), frame_image(20))
    (folder / "notes.txt").write_text("ignored")
    with open_source(folder, fps=10) as source:
        frames = list(source)
        assert source.info == VideoInfo(str(folder), SIZE[0], SIZE[1], 10.0, 5)
    assert [grey(f) for f in frames] == pytest.approx([8, 16, 24, 32, 80], abs=4)
    assert [f.timestamp_ms for f in frames] == [0.0, 100.0, 200.0, 300.0, 400.0]
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (lambda p: p.write_bytes(b"not a png"), "cannot be read as an image (image 2 of 2); remove or replace it"),
        (
            lambda p: cv2.imwrite(str(p), np.zeros((10, 10, 3), np.uint8)),
            "image is 10x10 but the first image is 64x48; all images of a folder must have one size",
        ),
    ],
    ids=["unreadable", "other-size"],
)
def test_image_folder_bad_image(tmp_path: Path, second: Callable[[Path], object], message: str) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), frame_image(1))
    second(tmp_path / "b.png")
    with open_source(tmp_path) as source:
        assert next(source).index == 0
        with pytest.raises(SourceError) as info:
            next(source)
    assert str(info.value) == f"{tmp_path / 'b.png'}: {message}"


def test_image_folder_rejects_a_bad_rate(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), frame_image(1))
    with pytest.raises(SourceError, match="frame rate of an image folder must be positive, got 0"):
        ImageFolderSource(tmp_path, fps=0)


# ---------------------------------------------------------------- cameras


def test_camera_that_does_not_open_lists_those_that_do() -> None:
    opens = {1, 4}
    with pytest.raises(CameraError) as info:
        CameraSource(0, capture_factory=lambda i: FakeCapture(i in opens))
    assert str(info.value) == "camera 0 does not open; cameras that open: 1, 4; pass one of those"


def test_camera_message_when_none_opens() -> None:
    with pytest.raises(CameraError) as info:
        CameraSource(2, capture_factory=lambda i: FakeCapture(False))
    assert str(info.value) == (
        "camera 2 does not open; no camera opens on this machine; plug one in or close the program using it"
    )


def test_camera_that_stops_delivering_frames() -> None:
    source = CameraSource(0, capture_factory=lambda i: FakeCapture(True, good=5), max_failed_reads=3, retry_delay_s=0)
    got = []
    with source, pytest.raises(CameraError) as info:
        got.extend(source)
    assert len(got) == 5
    assert source.info.is_live and source.info.frame_count == 0 and source.info.fps == 30.0
    assert str(info.value) == (
        "camera 0 stopped delivering frames after 5 frames (unplugged?); reconnect it and start again"
    )
    stamps = [f.timestamp_ms for f in got]
    assert stamps[0] == 0.0 and all(b > a for a, b in itertools.pairwise(stamps))


def test_camera_that_opens_but_delivers_nothing() -> None:
    with pytest.raises(CameraError, match="camera 0 opens but delivered no frame in 3 tries; another program"):
        CameraSource(0, capture_factory=lambda i: FakeCapture(True, good=0), max_failed_reads=3, retry_delay_s=0)


@pytest.mark.parametrize("target", [1, "1", " 1 "])
def test_ints_and_digit_strings_are_cameras(monkeypatch, target: object) -> None:
    monkeypatch.setattr("posecheck.sources._open_camera", lambda i: FakeCapture(i == 1, good=3))
    with open_source(target) as source:  # type: ignore[arg-type]
        assert isinstance(source, CameraSource) and source.index == 1


# ---------------------------------------------------------------- realtime pacing


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_realtime_waits_for_each_frame_and_drops_late_ones() -> None:
    clock = FakeClock()
    source = RealtimeSource(ListSource(30), clock=clock, sleep=clock.sleep)
    assert source.info.is_live
    got = []
    for frame in source:
        got.append(frame.index)
        clock.now += 0.1 if frame.index >= 10 else 0.0  # the consumer slows down after frame 10
    assert got[:11] == list(range(11))  # a fast consumer gets every frame, paced by the clock
    gaps = np.diff(got[10:])
    assert (gaps >= 2).all() and (gaps <= 4).all()  # 100 ms per frame at 30 fps: 1-3 dropped in between
    assert source.dropped == 30 - len(got)


def test_realtime_paces_a_real_video(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.mp4", n=30, fps=30.0)
    started = time.monotonic()
    with open_source(path, realtime=True) as fast:
        assert fast.info.is_live
        n_fast = sum(1 for _ in fast)
    assert time.monotonic() - started >= 0.9
    with open_source(path, realtime=True) as slow:
        got = []
        for frame in slow:
            got.append(frame.index)
            time.sleep(0.1)
    assert n_fast >= 27  # a few may drop on a busy machine, like a camera
    assert 5 <= len(got) <= 13 and slow.dropped == 30 - len(got)  # type: ignore[attr-defined]
    assert got == sorted(got)


# ---------------------------------------------------------------- prefetch


def test_prefetch_gives_the_same_frames_read_on_another_thread(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.mp4", n=25)
    with open_source(path) as direct:
        expected = [(f.index, f.timestamp_ms, grey(f)) for f in direct]
    source = ListSource(25)
    with source, prefetch(source, depth=3) as frames:
        got = [f.index for f in frames]
    assert got == list(range(25))
    assert source.threads == {"posecheck-prefetch"}
    with open_source(path) as video, prefetch(video) as frames:
        assert [(f.index, f.timestamp_ms, grey(f)) for f in frames] == expected


def test_prefetch_reraises_the_readers_error_after_the_frames_before_it() -> None:
    source = ListSource(None, fail_after=7)
    got = []
    with prefetch(source, depth=2) as frames:
        with pytest.raises(SourceError, match="list: broken at frame 7"):
            for frame in frames:
                got.append(frame.index)
        assert not frames.running
        assert list(frames) == []  # exhausted after the error
    assert got == list(range(7))


def test_prefetch_reraises_truncation(tmp_path: Path) -> None:
    data = faststart(write_video(tmp_path / "whole.mp4", n=60).read_bytes())
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    got: list[Frame] = []
    with (
        open_source(tmp_path / "cut.mp4") as source,
        prefetch(source) as frames,
        pytest.raises(SourceError, match=r"decoding stopped at frame \d+ .* announces 60 frames"),
    ):
        got.extend(frames)
    assert len(got) > 10


def test_prefetch_thread_stops_when_the_consumer_stops_early() -> None:
    source = ListSource(None)  # endless
    frames = prefetch(source, depth=4)
    for _, frame in zip(range(3), frames):
        pass
    assert frames.running
    frames.close()
    assert not frames.running
    assert source.produced <= 3 + 4 + 2


def test_prefetch_thread_stops_when_the_prefetcher_is_abandoned() -> None:
    source = ListSource(None)
    frames = prefetch(source, depth=2)
    next(frames)
    thread = frames._thread
    del frames
    gc.collect()
    thread.join(2.0)
    assert not thread.is_alive()


def test_prefetch_of_a_live_source_keeps_the_newest_frames() -> None:
    source = ListSource(200, live=True)
    with prefetch(source, depth=2) as frames:
        first = next(frames)
        time.sleep(0.3)  # the reader runs far ahead meanwhile
        rest = [f.index for f in frames]
    assert rest == sorted(rest) and rest[0] > first.index
    assert rest[-1] == 199 and len(rest) < 50  # stale frames were dropped, the end was not


def test_prefetch_rejects_depth_zero() -> None:
    with pytest.raises(ValueError, match="prefetch depth must be at least 1, got 0"):
        prefetch(ListSource(1), depth=0)


# ---------------------------------------------------------------- real footage (skipped when absent)


@pytest.mark.realvideo
@pytest.mark.skipif(not SHARED_VIDEOS.is_dir(), reason="shared videos not present")
@pytest.mark.parametrize(
    "name", ["lunge/wahoo_lunges.mp4", "clamshell/chloe_side_lying_clamshells.gif", "lunge/rnhrn_band_lunges.mp4"]
)
def test_real_clips_read_whole_with_increasing_timestamps(name: str) -> None:
    path = SHARED_VIDEOS / name
    if not path.exists():
        pytest.skip(f"{name} not present")
    with open_source(path) as source, prefetch(source) as frames:
        stamps = [f.timestamp_ms for f in frames]
        assert len(stamps) == source.info.frame_count
    assert stamps[0] == 0.0 and all(b > a for a, b in itertools.pairwise(stamps))


def test_closing_a_source_first_stops_its_prefetch_thread(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.mp4", n=60)
    source = open_source(path)
    frames = prefetch(source, depth=2)
    next(frames)
    source.close()  # as when an error unwinds `with open_source(...)` around an unclosed prefetch
    assert not frames.running
    assert list(frames) == []


class GreyCapture(FakeCapture):
    def read(self) -> tuple[bool, np.ndarray | None]:
        ok, image = super().read()
        return ok, None if image is None else image[:, :, 0]


def test_grey_camera_frames_become_bgr() -> None:
    with CameraSource(0, capture_factory=lambda i: GreyCapture(True, good=3)) as source:
        frames = list(itertools.islice(source, 2))
    assert all(f.image.shape == (SIZE[1], SIZE[0], 3) for f in frames)
