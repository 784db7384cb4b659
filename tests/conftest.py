from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
SAMPLE_VIDEOS = ROOT / "sample_videos"


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
