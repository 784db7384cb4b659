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
