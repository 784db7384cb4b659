"""The pose model as a MediaPipe Tasks ``.task`` bundle, assembled offline from the mediapipe wheel.

mediapipe 0.10.21 is the last release whose wheel carries the pose models (as bare ``.tflite`` files for
its legacy API). The Tasks API needs them zipped into a ``.task`` bundle, and refuses the landmark
model until it carries normalization metadata. :func:`ensure_bundle` does both with the wheel's own
tools, once per mediapipe version, and caches the result outside the repository. No network is used.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError

DETECTOR_TFLITE = Path("modules/pose_detection/pose_detection.tflite")
LANDMARKS_TFLITE = Path("modules/pose_landmark/pose_landmark_full.tflite")
#: Member names the Tasks PoseLandmarker expects inside a ``.task`` file.
BUNDLE_MEMBERS: tuple[str, str] = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
#: Raise when the way the bundle is assembled changes, so stale caches are rebuilt.
BUNDLE_FORMAT = 1
#: The legacy graph feeds the landmark model floats in [0, 1]: (pixel - 0) / 255.
LANDMARK_NORM_MEAN, LANDMARK_NORM_STD = 0.0, 255.0
LANDMARK_OUTPUTS = 5  # landmarks, pose flag, segmentation, heatmap, world landmarks

_INSTALL_HINT = (
    "install mediapipe==0.10.21 (pip install mediapipe==0.10.21) or pass --model path/to/pose_landmarker_full.task"
)


@dataclass(frozen=True)
class BundleBuild:
    """Where the last bundle was built and how long it took (for benchmarks and tests)."""

    path: Path
    seconds: float


#: The last build done in this process, or None if every bundle came from the cache.
last_build: BundleBuild | None = None


def mediapipe_dir() -> Path:
    """The installed ``mediapipe`` package folder, found without importing it.

    Raises :class:`ModelError` if mediapipe is not installed.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"mediapipe is not installed; {_INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def mediapipe_version() -> str:
    """The installed mediapipe's version string ("unknown" if its metadata is missing)."""
    try:
        return importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def wheel_models() -> tuple[Path, Path]:
    """Paths of the detector and full landmark ``.tflite`` files inside the installed wheel.

    Raises :class:`ModelError` when they are absent (mediapipe 0.10.30 and later ship no models).
    """
    root = mediapipe_dir()
    paths = (root / DETECTOR_TFLITE, root / LANDMARKS_TFLITE)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ModelError(
            f"mediapipe {mediapipe_version()} ships no pose model (missing {', '.join(missing)}); {_INSTALL_HINT}"
        )
    return paths


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/posecheck`` (or ``~/.cache/posecheck``); the folder may not exist yet."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "posecheck"


def bundle_name() -> str:
    """File name of the cached bundle, keyed by the mediapipe version and :data:`BUNDLE_FORMAT`."""
    return f"pose_landmarker_full-mediapipe{mediapipe_version()}-f{BUNDLE_FORMAT}.task"


def is_pose_bundle(path: Path) -> bool:
    """True if ``path`` is a zip holding both models a pose landmarker ``.task`` needs."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return set(BUNDLE_MEMBERS) <= names


def build_bundle(output: Path) -> None:
    """Write a pose landmarker ``.task`` bundle assembled from the wheel's models to ``output``.

    The detector already carries TFLite metadata; the landmark model gets an image input with
    normalization mean 0, std 255 and one feature output per output tensor.
    Raises :class:`ModelError` if the models are missing or the wheel's metadata tools fail.
    """
    detector_path, landmarks_path = wheel_models()
    try:
        from mediapipe.tasks.python.metadata.metadata_writers import (
            metadata_writer,
            model_asset_bundle_utils,
        )
    except ImportError as exc:
        raise ModelError(f"mediapipe's metadata tools cannot be imported ({exc}); {_INSTALL_HINT}") from exc
    try:
        writer = metadata_writer.MetadataWriter.create(bytearray(landmarks_path.read_bytes()))
        writer.add_general_info("pose_landmark_full", "MediaPipe Pose landmarks (full), from the mediapipe wheel")
        writer.add_image_input(norm_mean=[LANDMARK_NORM_MEAN], norm_std=[LANDMARK_NORM_STD])
        for _ in range(LANDMARK_OUTPUTS):
            writer.add_feature_output()
        landmarks, _json = writer.populate()
        models = {
            BUNDLE_MEMBERS[0]: detector_path.read_bytes(),
            BUNDLE_MEMBERS[1]: bytes(landmarks),
        }
        model_asset_bundle_utils.create_model_asset_bundle(models, str(output))
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot assemble the pose model from {landmarks_path} ({exc}); {_INSTALL_HINT}") from exc


def _build_atomically(folder: Path) -> Path:
    """Build into a temporary file in ``folder`` and rename it into place (readers never see half a file)."""
    global last_build
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / bundle_name()
    fd, tmp_name = tempfile.mkstemp(prefix=".building-", suffix=".task", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    started = time.perf_counter()
    try:
        build_bundle(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    last_build = BundleBuild(target, time.perf_counter() - started)
    return target


def ensure_bundle(folder: Path | None = None) -> Path:
    """Path of a ready pose landmarker bundle, building and caching it on first use.

    ``folder`` defaults to :func:`cache_dir`. An existing valid bundle is reused; an invalid one is
    rebuilt. If the folder is not writable the bundle is built in a fresh temporary folder instead.
    Raises :class:`ModelError` when the wheel has no models or the bundle cannot be written anywhere.
    """
    folder = folder if folder is not None else cache_dir()
    cached = folder / bundle_name()
    if is_pose_bundle(cached):
        return cached
    try:
        return _build_atomically(folder)
    except OSError as first:
        try:
            scratch = Path(tempfile.mkdtemp(prefix="posecheck-model-"))
            atexit.register(shutil.rmtree, scratch, ignore_errors=True)
            return _build_atomically(scratch)
        except OSError as second:
            raise ModelError(
                f"cannot write the pose model bundle to {folder} ({first.strerror}) nor to a "
                f"temporary folder ({second.strerror}); set XDG_CACHE_HOME to a writable folder"
            ) from second


def check_user_model(path: Path) -> Path:
    """Validate a user-supplied ``.task`` file (e.g. Google's pose_landmarker_lite/full/heavy.task).

    Returns the resolved path. Raises :class:`ModelError` naming the path if it is missing or is not a
    pose landmarker bundle.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelError(f"pose model {path}: no such file; pass the path of a pose_landmarker_*.task file")
    if not path.is_file():
        raise ModelError(f"pose model {path}: not a file; pass the path of a pose_landmarker_*.task file")
    if not is_pose_bundle(path):
        raise ModelError(
            f"pose model {path}: not a pose landmarker .task bundle (expected a zip holding "
            f"{' and '.join(BUNDLE_MEMBERS)}); download pose_landmarker_full.task from MediaPipe's "
            "model page, or omit --model to use the model built from mediapipe 0.10.21"
        )
    return path.resolve()
