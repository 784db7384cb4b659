from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
SAMPLE_VIDEOS = ROOT / "sample_videos"
# Processes the tests start (and module fixtures, which run before the per-test cache below) never use
# the user's track cache.
SESSION_TRACKS = Path(tempfile.mkdtemp(prefix="posecheck-test-tracks-"))
os.environ["POSECHECK_CACHE"] = str(SESSION_TRACKS)


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """../shared/videos (real clips with a manifest), or skip when this clone has none."""
    if not (SHARED_VIDEOS / "MANIFEST.tsv").is_file():
        pytest.skip(f"real clips not present at {SHARED_VIDEOS} (only the project's own machines have them)")
    return SHARED_VIDEOS


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private bundle cache, so the tests neither use nor fill the user's."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture()
def private_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``cache`` as the user cache of this process and of every process it starts (the environment)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(autouse=True)
def private_track_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty track cache of its own: no test reuses another's pose track by accident,
    and none touches the user's."""
    folder = tmp_path_factory.mktemp("tracks")
    monkeypatch.setenv("POSECHECK_CACHE", str(folder))
    return folder


#: The spec of each sample video (sample_videos/<id>_demo.mp4).
SAMPLE_SPECS = {"glute_bridge_demo": "glute_bridge", "lunge_demo": "lunge", "clamshell_demo": "clamshell",
                "hip_flexor_stretch_demo": "hip_flexor_stretch"}  # fmt: skip


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``recorded("glute_bridge_demo")``: that sample analysed once per test session with the real model
    (no annotated video); returns its results folder (report.json, frames.csv, pose_track.npz). The
    model runs once per sample and session: the tracks are shared through :func:`shared_tracks`."""
    from posecheck.cache import TrackCache
    from posecheck.pipeline import analyze
    from posecheck.spec import find_spec

    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            out = tmp_path_factory.mktemp(name)
            tracks = TrackCache(SESSION_TRACKS, 10**10)
            analyze(SAMPLE_VIDEOS / f"{name}.mp4", find_spec(SAMPLE_SPECS[name]), out, write_video=False, cache=tracks)
            done[name] = out
        return done[name]

    return get


@pytest.fixture()
def shared_tracks(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's shared track cache as this test's cache: each sample video meets the model once per
    session, whichever test analyses it first (replayed tracks give the same results: test_tune)."""
    monkeypatch.setenv("POSECHECK_CACHE", str(SESSION_TRACKS))
    return SESSION_TRACKS


def seed_cache(results: Path, cache: Path) -> None:
    """Put the pose track of ``results`` into the track cache folder ``cache``, as a finished run would."""
    from posecheck.track import load_track

    track = load_track(results)
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(results / "pose_track.npz", cache / f"{track.meta['key']}.npz")
