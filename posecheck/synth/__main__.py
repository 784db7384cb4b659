"""Command line: ``python -m posecheck.synth sample_videos`` or ``--clip FILE.toml --out DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .clip import ClipError, load_clip
from .generate import render_clip

SAMPLE_CLIPS = Path(__file__).with_name("clips")


def main(argv: list[str] | None = None) -> int:
    """Render clips; print one line per clip; exit 2 on a bad clip description."""
    parser = argparse.ArgumentParser(prog="python -m posecheck.synth", description=__doc__)
    parser.add_argument("out_dir", nargs="?", type=Path, help="render the sample clips into this folder")
    parser.add_argument("--clip", type=Path, action="append", default=[], help="a clip description (.toml)")
    parser.add_argument("--out", type=Path, help="output folder for --clip (default: the current folder)")
    parser.add_argument("--only", action="append", default=[], help="render only sample clips with this stem")
    args = parser.parse_args(argv)
    if args.clip and args.out_dir:
        parser.error("give either a sample folder or --clip, not both")
    if not args.clip and not args.out_dir:
        parser.error("give a folder for the sample clips (e.g. sample_videos) or --clip FILE --out DIR")
    paths = args.clip or sorted(SAMPLE_CLIPS.glob("*.toml"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    out = args.out_dir or args.out or Path(".")
    try:
        clips = [load_clip(p) for p in paths]
    except ClipError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for clip in clips:
        r = render_clip(clip, out)
        size = r.video.stat().st_size / 1e6
        print(f"{r.video}: {r.frames} frames ({r.frames / r.fps:.1f} s) in {r.seconds:.1f} s, {size:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
