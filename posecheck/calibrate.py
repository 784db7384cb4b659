"""``posecheck calibrate``: thresholds from one's own reps.

The user marks reps of a recorded session as good (and optionally bad). For each check, the value it
judged in each marked rep (:func:`posecheck.sinks.changes.check_values`) decides a new bound: a stated
margin outside the good reps, or, where bad reps fall beyond every good one, half-way between the two.
A copy of the spec is written with each changed line carrying a comment saying where its number came
from; everything else in the file (comments included) is kept as it was.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SpecError, writing
from .sinks.changes import check_values, unit_text
from .spec import ExerciseSpec
from .spec.loader import parse_spec
from .spec.schema import UNIT_OF_KIND
from .track import load_track

#: How far outside the good reps a bound is put, per unit of the metric (the pose model's typical
#: 2D angle error on side views is 2-4 deg: see README "Honest limits").
MARGIN: dict[str, float] = {"deg": 3.0, "ratio": 0.03}
#: Fewer good reps than this say too little about one's own range.
MIN_GOOD_REPS = 3

MESSAGES = {
    "too_few": "calibration needs at least {need} good reps; {given} given ({reps}). Mark more with --good",
    "no_reps": "{folder}: the session has {count} reps; rep {rep} does not exist (reps are numbered 1-{count}, see the summary)",
    "bad_range": "--{flag} '{text}': expected rep numbers and ranges such as 1-5,7",
    "both": "rep {rep} is marked both good and bad",
    "not_reps": "{spec}: calibrate works on exercises that count reps; this one is a hold",
    "overlap_item": "{check} {value} (good reps {lo} to {hi})",
    "no_check": "bad rep {rep} is not told apart from the good reps by any check: {values}",
    "changed": "{check}.{bound}: {old} -> {new} ({why})",
    "kept": "{check}.{bound}: {old} kept ({why})",
    "why_margin": "good reps {reps}: {lo} to {hi}, margin {margin}",
    "why_between": "between good reps {reps} ({good}) and bad rep{s} {bad} ({bad_value})",
    "unmeasured": "not measured in the marked reps",
}


@dataclass(frozen=True)
class Change:
    check: str
    bound: str  # "min" or "max"
    old: float
    new: float
    why: str


def parse_reps(text: str, flag: str) -> list[int]:
    """'1-5,7' → [1, 2, 3, 4, 5, 7]. Raises SpecError for anything else."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(\d{1,6})(?:\s*-\s*(\d{1,6}))?", part)
        if not m:
            raise SpecError(MESSAGES["bad_range"].format(flag=flag, text=text[:40]))
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo:
            raise SpecError(MESSAGES["bad_range"].format(flag=flag, text=text[:40]))
        out.extend(range(lo, hi + 1))
    if not out:
        raise SpecError(MESSAGES["bad_range"].format(flag=flag, text=text[:40]))
    return sorted(set(out))


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{v:.1f}"


def _list(reps: list[int]) -> str:
    return ",".join(map(str, reps))


def propose(
    spec: ExerciseSpec, folder: Path, good: list[int], bad: list[int]
) -> tuple[list[Change], list[str]]:
    """The bound changes the marked reps support, and the problems found (each one line)."""
    from .tune import TimelineSink, evaluate

    if spec.kind != "reps":
        raise SpecError(MESSAGES["not_reps"].format(spec=spec.path or spec.id))
    if len(good) < MIN_GOOD_REPS:
        raise SpecError(MESSAGES["too_few"].format(need=MIN_GOOD_REPS, given=len(good), reps=_list(good) or "none"))
    if set(good) & set(bad):
        raise SpecError(MESSAGES["both"].format(rep=min(set(good) & set(bad))))
    timeline_sink = TimelineSink(list(spec.metrics))
    report = evaluate(load_track(folder), spec, [timeline_sink]).to_json()
    timeline = timeline_sink.timeline()
    reps = {r["index"]: r for r in report["reps"]}
    for rep in (*good, *bad):
        if rep not in reps:
            raise SpecError(MESSAGES["no_reps"].format(folder=folder, count=len(reps), rep=rep))
    values = {i: check_values(reps[i], spec, timeline) for i in (*good, *bad)}
    changes: list[Change] = []
    problems: list[str] = []
    separated: set[int] = set()
    overlaps: dict[int, list[str]] = {}  # bad rep -> its values that sit among the good reps'
    for cid, check in spec.checks.items():
        kind = spec.metrics[check.metric].kind
        margin = MARGIN[UNIT_OF_KIND[kind]]
        for bound in ("min", "max"):
            old = getattr(check, bound)
            if old is None:
                continue
            sign = 1.0 if bound == "min" else -1.0  # passing side: above a min, below a max

            def judged(rep: int) -> float | None:
                cv = values[rep].get(cid)
                if cv is None:
                    return None
                return cv.value if cv.bound_name == bound else _side_value(reps[rep], spec, timeline, cid, bound)

            good_v = [v for r in good if (v := judged(r)) is not None]
            if len(good_v) < MIN_GOOD_REPS:
                continue
            worst_good = min(good_v) if bound == "min" else max(good_v)
            bad_v = {r: v for r in bad if (v := judged(r)) is not None}
            # A bad rep is told apart only if it lies clearly (more than the margin) beyond every good one.
            beyond = {r: v for r, v in bad_v.items() if sign * (v - worst_good) < -margin}
            if beyond:
                nearest = max(beyond.values()) if bound == "min" else min(beyond.values())
                new = (worst_good + nearest) / 2
                separated |= set(beyond)
                s = "s" if len(beyond) > 1 else ""
                why = MESSAGES["why_between"].format(
                    reps=_list(good), good=unit_text(worst_good, kind), s=s, bad=_list(sorted(beyond)),
                    bad_value=unit_text(nearest, kind),
                )  # fmt: skip
            else:
                new = worst_good - sign * margin
                why = MESSAGES["why_margin"].format(
                    reps=_list(good), lo=unit_text(min(good_v), kind), hi=unit_text(max(good_v), kind),
                    margin=unit_text(margin, kind),
                )  # fmt: skip
            new = round(new, 1 if UNIT_OF_KIND[kind] == "deg" else 3)
            changes.append(Change(cid, bound, old, new, why))
            for r, v in bad_v.items():
                if r not in beyond:
                    overlaps.setdefault(r, []).append(
                        MESSAGES["overlap_item"].format(
                            check=f"{cid}.{bound}", value=unit_text(v, kind), lo=unit_text(min(good_v), kind),
                            hi=unit_text(max(good_v), kind),
                        )
                    )  # fmt: skip
    for rep in bad:
        if rep not in separated:
            problems.append(MESSAGES["no_check"].format(rep=rep, values="; ".join(overlaps.get(rep, []))))
    return changes, problems


def _side_value(rep: dict, spec: ExerciseSpec, timeline, cid: str, bound: str) -> float | None:
    """The check's worst value on the side of ``bound`` only (when it has both a min and a max)."""
    from dataclasses import replace

    check = spec.checks[cid]
    one = replace(check, min=check.min if bound == "min" else None, max=check.max if bound == "max" else None)
    narrowed = replace(spec, checks={cid: one})
    cv = check_values(rep, narrowed, timeline).get(cid)
    return None if cv is None else cv.value


def rewrite(text: str, changes: list[Change], source_note: str) -> str:
    """``text`` (a spec file) with each changed bound's value replaced and commented; the rest kept."""
    lines = text.splitlines(keepends=True)
    for ch in changes:
        header = re.compile(rf"^\s*\[\s*checks\s*\.\s*\"?{re.escape(ch.check)}\"?\s*\]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if start is None:
            raise SpecError(f"cannot find [checks.{ch.check}] in the spec text to rewrite it")
        key = re.compile(rf"^(\s*{ch.bound}\s*=\s*)([^#\n]*?)(\s*(#.*)?)$")
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            m = key.match(lines[i].rstrip("\n"))
            if m:
                ending = "\n" if lines[i].endswith("\n") else ""
                lines[i] = f"{m[1]}{ch.new}   # calibrated from {source_note}: {ch.why}; was {_fmt(ch.old)}{ending}"
                break
        else:
            raise SpecError(f"cannot find '{ch.bound} =' in [checks.{ch.check}] to rewrite it")
    return "".join(lines)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .tune import spec_for

    folder = Path(args.folder)
    spec = spec_for(folder, args)
    good = parse_reps(args.good, "good")
    bad = parse_reps(args.bad, "bad") if args.bad else []
    changes, problems = propose(spec, folder, good, bad)
    if spec.path is None:
        raise SpecError(f"{spec.id}: the spec has no file to copy; pass --spec FILE")
    text = Path(spec.path).read_text(encoding="utf-8")
    new_text = rewrite(text, [c for c in changes if c.new != c.old], f"{folder} reps")
    out = Path(args.out)
    from ._toml import tomllib

    parse_spec(tomllib.loads(new_text), out)  # the copy must load: never write a broken spec
    with writing(out):
        out.write_text(new_text, encoding="utf-8")
    for ch in changes:
        kind = spec.metrics[spec.checks[ch.check].metric].kind
        message = MESSAGES["changed"] if ch.new != ch.old else MESSAGES["kept"]
        print(message.format(check=ch.check, bound=ch.bound, old=unit_text(ch.old, kind), new=unit_text(ch.new, kind), why=ch.why))
    for problem in problems:
        print(f"posecheck: warning: {problem}")
    print(f"Written: {out}  (try it: posecheck tune {folder} --spec {out})")
    return 0


def add_calibrate_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from .cli import add_exercise_args

    p = sub.add_parser(
        "calibrate",
        help="write a spec copy whose thresholds fit the reps you mark good (and bad)",
        description="Set each check's threshold from reps of a recorded session that you mark good (and bad).",
    )
    p.add_argument("folder", help="a results folder written by `posecheck analyze`")
    add_exercise_args(p, "the spec to start from (default: the one the folder was analysed with)", model=False)
    p.add_argument("--good", required=True, help="reps in good form, e.g. 1-5 (numbers as in the summary)")
    p.add_argument("--bad", help="reps in bad form, e.g. 7,9")
    p.add_argument("--out", "-o", required=True, type=Path, help="the spec copy to write (TOML)")
    p.set_defaults(func=_cmd_calibrate)


__all__ = ["Change", "MARGIN", "parse_reps", "propose", "rewrite"]
