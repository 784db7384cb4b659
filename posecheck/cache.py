"""The track cache: pose tracks kept by (source content, model, options), so a video analysed once is
never run through the model again, whatever spec it is analysed with next.

Where: ``$POSECHECK_CACHE`` or ``$XDG_CACHE_HOME/posecheck/tracks`` (``~/.cache/posecheck/tracks``),
never inside the repository. Bounded: ``$POSECHECK_CACHE_MAX_MB`` (default :data:`DEFAULT_MAX_MB`);
the least recently used tracks go first. A damaged or foreign file in the cache is a warning and a
fresh model run, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TrackError
from .pose.bundle import cache_dir as _posecheck_cache_dir
from .track import FORMAT_VERSION, TRACK_NAME, PoseTrack, load_track

CACHE_ENV = "POSECHECK_CACHE"
CACHE_MAX_ENV = "POSECHECK_CACHE_MAX_MB"
DEFAULT_MAX_MB = 2048
_CHUNK = 1 << 20


def default_cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else _posecheck_cache_dir() / "tracks"


def content_hash(source: Path) -> str:
    """sha256 of a video file's bytes, or of a folder's file names and bytes (in name order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]
    for path in files:
        if source.is_dir():
            digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def track_key(source_hash: str, model: dict[str, Any]) -> str:
    """The cache key of a track: the source's content, the model and its options, the track format."""
    blob = json.dumps({"source": source_hash, "model": model, "format": FORMAT_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


@dataclass
class TrackCache:
    """A folder of tracks named by :func:`track_key`. ``get`` and ``put`` never raise: they return a
    warning to show instead (a damaged file, a full disk), and the caller runs the model."""

    folder: Path
    max_bytes: int

    @classmethod
    def default(cls) -> TrackCache:
        try:
            max_mb = float(os.environ.get(CACHE_MAX_ENV, DEFAULT_MAX_MB))
        except ValueError:
            max_mb = DEFAULT_MAX_MB
        return cls(default_cache_dir(), int(max_mb * 1024 * 1024))

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def get(self, key: str) -> tuple[PoseTrack | None, str | None]:
        """(the cached track, None), (None, None) when there is none, or (None, why it was not used)."""
        path = self.path(key)
        if not path.is_file():
            return None, None
        try:
            track = load_track(path)
        except TrackError as exc:
            self._remove(path)
            return None, f"the cached pose track was damaged and is made again ({exc})"
        if not track.complete or track.meta.get("key") != key:
            self._remove(path)
            return None, f"{path}: the cached pose track belongs to another video or run; it is made again"
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        return track, None

    def put(self, key: str, track_file: Path) -> str | None:
        """Keep a copy of ``track_file`` under ``key``; then trim the cache to its size. Returns a warning
        if that failed (the results are unaffected)."""
        path = self.path(key)
        tmp = path.with_name(path.name + ".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(track_file, tmp)
            os.replace(tmp, path)
            self._trim(keep=path)
        except OSError as exc:
            self._remove(tmp)
            return f"the pose track was not cached ({self.folder}: {exc.strerror or exc})"
        return None

    def _trim(self, keep: Path) -> None:
        sizes = []
        for path in self.folder.glob("*.npz"):
            try:
                info = path.stat()
            except OSError:  # removed meanwhile by another run trimming the same cache
                continue
            sizes.append((info.st_mtime, info.st_size, path))
        total = 0
        for _, size, path in sorted(sizes, key=lambda s: s[0], reverse=True):
            total += size
            if total > self.max_bytes and path != keep:
                self._remove(path)

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass


__all__ = ["TRACK_NAME", "TrackCache", "content_hash", "default_cache_dir", "track_key"]
