"""Sleeping-position accuracy of ``posecheck sleep`` on synthetic renders and on the ../shared lying clips.

    python benchmarks/sleep.py                  # report seeds (10-14), both cameras, given and auto
    python benchmarks/sleep.py --seeds 0-2      # the seeds the thresholds were chosen on
    python benchmarks/sleep.py --json out.json  # also the numbers as JSON
    python benchmarks/sleep.py --seeds 10 --covered-seeds "" --night-seeds ""   # a quick look

Per position and camera (above / side): renders, correct, wrong, unsure; the advice check (knees raised
on the back, drawn up on the side) against truth on the renders judged correctly; renders under a duvet
(the share said "unsure" and the share wrongly said sure); the real lying clips where present.

Every input goes through ``posecheck.sleep.run`` as the CLI does: a render is saved as a PNG photo and
judged by ``judge_photo`` (a fresh model per photo and camera mode, the largest person), a clip or a
night by ``VideoJudge``. Runs the real pose model: about 2 s per render (both camera modes) on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from posecheck.sleep.classify import SleepClassifier  # noqa: E402
from posecheck.sleep.run import VideoJudge, judge_photo, open_backend  # noqa: E402
from posecheck.synth.lying import CAMERAS, NIGHT_FRAME_S, POSITIONS, render_night, render_shot  # noqa: E402

SHARED = ROOT.parent / "shared" / "videos"
#: Real clips that fit: (path under ../shared/videos, true position, knees as advised, camera, seconds to judge).
REAL_CLIPS = (
    ("glute_bridge/frank_glute_bridge.mp4", "back", True, "side", ((0.0, 0.35), (2.8, 3.5))),  # rest between reps
    ("glute_bridge/skatefit_glute_bridges.mp4", "back", True, "side", ((1.0, 2.8),)),  # set-up, lying
    ("clamshell/chloe_side_lying_clamshells.gif", "side", True, "side", ((0.0, 99.0),)),
    ("clamshell/chloe_banded_clamshell.gif", "side", True, "side", ((0.0, 99.0),)),
)


def parse_seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def evaluate_renders(seeds: list[int], folder: Path, covered: bool = False) -> list[dict]:
    """Each render saved as a photo in ``folder`` and judged as `posecheck sleep PHOTO` does (a fresh
    model per photo and camera mode, the largest person)."""
    rows = []
    for seed in seeds:
        for camera in CAMERAS:
            for name in POSITIONS:
                shot = render_shot(name, camera, seed, covered=covered)
                photo = folder / f"{name}_{camera}_{seed}{'_covered' if covered else ''}.png"
                cv2.imwrite(str(photo), shot.image)
                for mode in ("given", "auto"):
                    classifier = SleepClassifier(camera if mode == "given" else "auto")
                    with open_backend() as backend:
                        v = judge_photo(photo, backend, classifier)["result"]
                    advised = shot.knees_raised if shot.position == "back" else shot.knees_drawn_up
                    rows.append({"seed": seed, "name": name, "position": shot.position, "camera": camera,
                                 "mode": mode, "got": v["position"], "reason": v["reason_id"], "covered": covered,
                                 "knees_truth": None if shot.position == "stomach" else advised,
                                 "knees_got": v["knees_as_advised"] if shot.position != "stomach" else None,
                                 "knee_deg": v["knee_deg"], "hip_deg": v["hip_deg"]})
    return rows


def evaluate_real() -> list[dict]:
    rows = []
    for rel, truth, advised, camera, spans in REAL_CLIPS:
        path = SHARED / rel
        if not path.exists():
            continue
        counts: dict[str, int] = defaultdict(int)
        knees = [0, 0]
        # Every frame, as `posecheck sleep CLIP --every 0.001 --camera side` judges it.
        judge = VideoJudge(path, "video", SleepClassifier(camera), every_s=0.001, timelapse_s=None)
        with open_backend() as backend:
            judge.run(backend, lambda r: None)
        for t, v in judge.samples:
            if not any(a <= t < b for a, b in spans):
                continue
            got = "side" if v.position.startswith("side") else v.position
            counts[got] += 1
            if got == truth and v.knees_ok is not None:
                knees[0] += v.knees_ok == advised
                knees[1] += 1
        n = sum(counts.values())
        rows.append({"clip": rel, "truth": truth, "frames": n, "correct": counts[truth], "counts": dict(counts),
                     "knees_right": knees[0], "knees_judged": knees[1]})
    return rows


def evaluate_nights(seeds: list[int], folder: Path) -> list[dict]:
    """The synthetic night time-lapse per seed and camera: per-frame agreement, shares and turns."""
    rows = []
    for seed in seeds:
        for camera in CAMERAS:
            video = folder / f"night_{seed}_{camera}.mp4"
            truth = render_night(video, seed=seed, camera_kind=camera)
            judge = VideoJudge(video, "timelapse", SleepClassifier(camera), every_s=1.0, timelapse_s=NIGHT_FRAME_S)
            with open_backend() as backend:
                result = judge.run(backend, lambda r: None)
            segs = truth["segments"]
            agree = unsure = 0
            for t, v in judge.samples:
                want = next(s["position"] for s in segs if s["start_s"] <= t < s["end_s"])
                agree += v.position == want
                unsure += v.position == "unsure"
            got = result["timeline"]
            err = max(abs(got["shares"].get(p, 0.0) - truth["shares"].get(p, 0.0))
                      for p in ("back", "side_left", "side_right", "stomach"))
            rows.append({"seed": seed, "camera": camera, "frames": len(judge.samples), "agree": agree,
                         "unsure": unsure, "turns": got["turns"], "turns_truth": truth["turns"],
                         "max_share_error": round(err, 3)})
    return rows


def table(rows: list[dict], mode: str) -> list[str]:
    lines = [f"| position | camera | renders | correct | wrong | unsure | knees check right ({mode} camera) |",
             "|---|---|---|---|---|---|---|"]
    mine = [r for r in rows if r["mode"] == mode]
    for camera in CAMERAS:
        for position in ("back", "side_left", "side_right", "stomach"):
            rs = [r for r in mine if r["camera"] == camera and r["position"] == position]
            ok = [r for r in rs if r["got"] == r["position"]]
            unsure = sum(r["got"] == "unsure" for r in rs)
            judged = [r for r in ok if r["knees_truth"] is not None and r["knees_got"] is not None]
            knees = f"{sum(r['knees_got'] == r['knees_truth'] for r in judged)}/{len(judged)}" if judged else "-"
            lines.append(f"| {position} | {camera} | {len(rs)} | {len(ok)} | {len(rs) - len(ok) - unsure} | "
                         f"{unsure} | {knees} |")
        rs = [r for r in mine if r["camera"] == camera]
        ok = sum(r["got"] == r["position"] for r in rs)
        unsure = sum(r["got"] == "unsure" for r in rs)
        lines.append(f"| **all** | {camera} | {len(rs)} | {ok} ({ok / len(rs):.0%}) | {len(rs) - ok - unsure} | "
                     f"{unsure} ({unsure / len(rs):.0%}) | |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="10-14", help="render seeds, e.g. 10-14 or 0,1,2 (default 10-14)")
    parser.add_argument("--covered-seeds", default="10-11", help="seeds of the renders under a duvet")
    parser.add_argument("--night-seeds", default="10-11", help="seeds of the synthetic night time-lapse")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    t0 = time.perf_counter()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rows = evaluate_renders(parse_seeds(args.seeds), Path(tmp))
        covered = evaluate_renders(parse_seeds(args.covered_seeds), Path(tmp), covered=True) if args.covered_seeds else []
        real = evaluate_real()
        nights = evaluate_nights(parse_seeds(args.night_seeds), Path(tmp)) if args.night_seeds else []
    print(f"seeds {args.seeds}: {len(rows) // 2} renders, {time.perf_counter() - t0:.0f} s\n")
    for mode in ("given", "auto"):
        print("\n".join(table(rows, mode)) + "\n")
    if covered:
        given = [r for r in covered if r["mode"] == "given"]
        unsure = sum(r["got"] == "unsure" for r in given)
        right = sum(r["got"] == r["position"] for r in given)
        print(f"under a duvet (seeds {args.covered_seeds}, camera given): {len(given)} renders, {unsure} unsure, "
              f"{right} right, {len(given) - unsure - right} wrong")
        reasons = defaultdict(int)
        for r in given:
            reasons[r["reason"] or "sure"] += 1
        print("  reasons: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + "\n")
    if real:
        print("| real clip | truth | frames judged | correct | all answers | knees as advised |")
        print("|---|---|---|---|---|---|")
        for r in real:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(r["counts"].items()))
            print(f"| {r['clip']} | {r['truth']} | {r['frames']} | {r['correct']} | {counts} | "
                  f"{r['knees_right']}/{r['knees_judged']} |")
    else:
        print(f"(no real clips: {SHARED} is absent)")
    if nights:
        print("\n| night (seed, camera given) | frames | per-frame right | unsure | turns (truth) | worst share error |")
        print("|---|---|---|---|---|---|")
        for r in nights:
            print(f"| {r['seed']}, {r['camera']} | {r['frames']} | {r['agree']} ({r['agree'] / r['frames']:.0%}) | "
                  f"{r['unsure']} | {r['turns']} ({r['turns_truth']}) | {r['max_share_error']:.1%} |")
    if args.verbose:
        for r in rows + covered:
            if r["got"] != r["position"]:
                print("miss:", r)
    if args.json:
        args.json.write_text(json.dumps({"renders": rows, "covered": covered, "real": real, "nights": nights}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
