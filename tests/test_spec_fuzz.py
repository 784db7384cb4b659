"""Property tests: whatever the text, the spec and clip loaders give a result or one bounded SpecError.

Three sources of input for each loader: (a) arbitrary text and bytes, (b) the shipped files with values
replaced, keys deleted, renamed or inserted, (c) documents built from the schema with wild values mixed
in (also passed as dicts, which reach values TOML cannot spell). Any other exception, a message over
400 characters (besides the path), a multi-line message or the loaders' "internal error" safety net
fails the test.

The default run is ~200 cases per test. ``HYPOTHESIS_PROFILE=fuzz`` runs 5,000 (``FUZZ_EXAMPLES``
changes that) and, with ``pytest -s``, prints how many cases loaded and how many were refused.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import os
import re
import shutil
import tempfile
import typing
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posecheck.errors import SpecError
from posecheck.landmarks import INDEX, MIDPOINTS, SIDED_NAMES
from posecheck.spec import find_spec, load_spec, parse_spec
from posecheck.spec.schema import ExerciseSpec
from posecheck.synth.clip import (
    CAMERA_KEYS, FACINGS, HOLD_KEYS, LOOK_KEYS, REP_KEYS, SIDES, TOP_KEYS, VIEWS, load_clip, parse_clip,
)  # fmt: skip
from posecheck.synth.motions import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
SPEC_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "exercise_specs").glob("*.toml"))]
CLIP_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "posecheck/synth/clips").glob("*.toml"))]
MAX_MESSAGE = 400

_BASE = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout; a failure prints its example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILES = {
    "default": _BASE,
    "fuzz": settings(_BASE, max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000"))),
}
FUZZ = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "default"), _BASE)
LONG = 100_000 if FUZZ is not _BASE else 5_000  # longest generated string (the corpus has 1 MB ones)

OUTCOMES: Counter[tuple[str, str]] = Counter()
LONGEST: Counter[str] = Counter()
WORK = Path(tempfile.mkdtemp(prefix="posecheck-fuzz-"))


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    shutil.rmtree(WORK, ignore_errors=True)
    for test in sorted({t for t, _ in OUTCOMES}):
        loaded, refused = OUTCOMES[test, "loaded"], OUTCOMES[test, "SpecError"]
        print(f"\n{test}: {loaded + refused} cases, {loaded} loaded, {refused} SpecError, "
              f"longest message {LONGEST[test]} characters besides the path", end="")


def outcome(test: str, source: str, run: Callable[[], object]) -> None:
    """Run a load; it must succeed or raise a bounded, one-line SpecError that starts with ``source``."""
    try:
        run()
    except SpecError as exc:
        message = str(exc)
        assert message.startswith(f"{source}: "), message[:300]
        size = len(message) - len(source)
        assert size <= MAX_MESSAGE, f"{size} characters: {message[:300]}"
        assert "\n" not in message, message[:300]
        assert "internal error" not in message, message
        OUTCOMES[test, "SpecError"] += 1
        LONGEST[test] = max(LONGEST[test], size)
    else:
        OUTCOMES[test, "loaded"] += 1


def load_text(test: str, loader: Callable[[Path], object], text: str | bytes) -> None:
    path = WORK / f"{test}.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    outcome(test, str(path), lambda: loader(path))


# --- TOML pieces --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Deep:
    """Lists or inline tables nested ``depth`` levels (built without recursion)."""

    depth: int
    table: bool = False

    def python(self) -> Any:
        value: Any = 1 if self.table else []
        for _ in range(self.depth):
            value = {"a": value} if self.table else [value]
        return value

    def toml(self) -> str:
        if self.table:
            return "{a=" * self.depth + "1" + "}" * self.depth
        return "[" * self.depth + "]" * self.depth


@dataclasses.dataclass(frozen=True)
class Digits:
    """A decimal integer of ``n`` digits (past 4,300 Python refuses to convert it)."""

    n: int

    def python(self) -> int:
        return 10**self.n - 1

    def toml(self) -> str:
        return "9" * self.n


def python_value(value: Any) -> Any:
    if isinstance(value, (Deep, Digits)):
        return value.python()
    if isinstance(value, list):
        return [python_value(v) for v in value]
    if isinstance(value, dict):
        return {k: python_value(v) for k, v in value.items()}
    return value


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    if isinstance(value, (Deep, Digits)):
        return value.toml()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return hex(value) if abs(value).bit_length() > 10_000 else str(value)
    if isinstance(value, float):
        return repr(value)  # nan, inf, -inf, 1e+300 and 5e-324 are all TOML
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """``doc`` as TOML: plain keys first, then a [table] per dict value (nested ones dotted)."""
    lines = [f"[{'.'.join(toml_key(k) for k in prefix)}]"] if prefix else []
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(toml_document(v, (*prefix, k)))
    return "\n".join(lines)


def schema_words(cls: type, seen: set[str]) -> set[str]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        seen.add(f.name)
        for tp in (hints[f.name], *typing.get_args(hints[f.name])):
            if dataclasses.is_dataclass(tp):
                schema_words(tp, seen)
            if typing.get_origin(tp) is Literal:
                seen.update(typing.get_args(tp))
    return seen


METRIC_NAMES = ("hip_line", "knee", "torso")
LANDMARKS = (*INDEX, *MIDPOINTS, *(f"{s}_{n}" for s in ("{side}", "{other}") for n in sorted(SIDED_NAMES)))
SPEC_WORDS = (*sorted(schema_words(ExerciseSpec, set()) - {"path"}), *METRIC_NAMES, *LANDMARKS)
CLIP_WORDS = tuple(sorted({*TOP_KEYS, *CAMERA_KEYS, *LOOK_KEYS, *REP_KEYS, *HOLD_KEYS, *EXERCISES, *VIEWS, *FACINGS,
                     *(f for e in EXERCISES.values() for f in e.faults)}))


@functools.cache
def typo(words: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A word with one character dropped, doubled or swapped for another."""
    @st.composite
    def build(draw: st.DrawFn) -> str:
        word = draw(st.sampled_from(words))
        i = draw(st.integers(0, max(0, len(word) - 1)))
        how = draw(st.sampled_from(["drop", "double", "swap"]))
        if how == "drop":
            return word[:i] + word[i + 1:]
        if how == "double":
            return word[: i + 1] + word[i:]
        return word[:i] + draw(st.characters(codec="utf-8")) + word[i + 1:]

    return build()


@functools.cache
def texts(words: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(words), typo(words), st.text(max_size=12),
        st.integers(100, LONG).map(lambda n: "a" * n),
        st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u2028\U000e0001"), max_size=8),
    )  # fmt: skip


@functools.cache
def wild(words: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Any TOML value, with the ones that broke the loaders made likely."""
    scalars = st.one_of(
        st.integers(-(2**70), 2**70),
        st.integers(20, 400).map(lambda n: 10**n),  # past a float
        st.integers(4000, 6000).map(Digits),  # past Python's int-str limit
        st.floats(),  # includes nan and +-inf
        st.sampled_from([float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1e308]),
        st.booleans(),
        st.dates(), st.times(),
        texts(words),
        st.builds(Deep, st.integers(1, 600), st.booleans()),
    )  # fmt: skip
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts(words), inner, max_size=3),
        max_leaves=6,
    )


def numbers(lo: float = -1000, hi: float = 1000) -> st.SearchStrategy[Any]:
    """Mostly a number in [lo, hi]; sometimes any number, NaN and infinities included."""
    return rarely(st.floats(lo, hi) | st.integers(int(lo), int(hi)), st.floats() | st.integers(), 10)


# --- (a) arbitrary text ---------------------------------------------------------------------------

TOML_CHARACTERS = st.sampled_from(list("[]{}=\"',.#\n \t0123456789+-_:eExobinfa\\TZ"))
TOMLISH = st.text(alphabet=TOML_CHARACTERS | st.characters(codec="utf-8"))


@FUZZ
@given(st.one_of(st.text(), TOMLISH, st.binary()))
def test_spec_loader_takes_any_text(text):
    load_text("spec_any_text", load_spec, text)


@FUZZ
@given(st.one_of(st.text(), TOMLISH, st.binary()))
def test_clip_loader_takes_any_text(text):
    load_text("clip_any_text", load_clip, text)


@settings(FUZZ, max_examples=max(50, FUZZ.max_examples // 4))  # each case loads the four shipped specs
@given(texts(("bridge", "glute_bridge", "lunges", "clamshell", "hip flexor")))
def test_find_spec_takes_any_name(name):
    try:
        find_spec(name)
    except SpecError as exc:
        assert len(str(exc)) <= MAX_MESSAGE and "\n" not in str(exc), str(exc)[:300]


# --- (b) mutations of the shipped files -----------------------------------------------------------

ASSIGNMENT = re.compile(r"^([A-Za-z0-9_.\"' -]+?)\s*=\s*(.*)$")
HEADER = re.compile(r"^\[.*\]\s*(#.*)?$")


@st.composite
def mutated(draw: st.DrawFn, files: list[str], words: tuple[str, ...]) -> str:
    lines = draw(st.sampled_from(files)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        assigns = [i for i, line in enumerate(lines) if ASSIGNMENT.match(line)]
        headers = [i for i, line in enumerate(lines) if HEADER.match(line)]
        how = draw(st.sampled_from(["value", "value", "delete", "rename", "insert", "header"]))
        if how in ("value", "delete", "rename") and assigns:
            i = draw(st.sampled_from(assigns))
            key, value = ASSIGNMENT.match(lines[i]).groups()
            if how == "value":
                lines[i] = f"{key} = {toml_value(draw(wild(words)))}"
            elif how == "delete":
                del lines[i]
            else:
                lines[i] = f"{toml_key(draw(texts(words)))} = {value}"
        elif how == "header" and headers:
            i = draw(st.sampled_from(headers))
            parts = draw(st.lists(texts(words), min_size=1, max_size=3))
            lines[i] = "[" + ".".join(toml_key(p) for p in parts) + "]"
        else:
            i = draw(st.integers(0, len(lines)))
            lines.insert(i, f"{toml_key(draw(texts(words)))} = {toml_value(draw(wild(words)))}")
    return "\n".join(lines)


@FUZZ
@given(mutated(SPEC_TEXTS, SPEC_WORDS))
def test_spec_loader_takes_mutated_shipped_specs(text):
    load_text("spec_mutated", load_spec, text)


@FUZZ
@given(mutated(CLIP_TEXTS, CLIP_WORDS))
def test_clip_loader_takes_mutated_sample_clips(text):
    load_text("clip_mutated", load_clip, text)


# --- (c) documents built from the schema ----------------------------------------------------------

def maybe(strategy: st.SearchStrategy[Any], words: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Mostly a sensible value, sometimes anything (rarely enough that some documents are valid)."""
    return rarely(strategy, wild(words))


def rarely(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], one_in: int = 30) -> st.SearchStrategy[Any]:
    return odds(one_in).flatmap(lambda is_odd: odd if is_odd else usual)


@functools.cache
def odds(one_in: int) -> st.SearchStrategy[bool]:
    # sampled_from with the odd one last: Hypothesis favours the ends of integer ranges and the first
    # element of a list.
    return st.sampled_from([False] * (one_in - 1) + [True])


ONE_IN_30, ONE_IN_4 = odds(30), odds(4)
REQUIRED = ("id", "name", "kind", "metrics", "metric", "cue", "enter", "exit", "position", "exercise", "seconds",
            "points", "per", "floor")


@st.composite
def table(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]], words: tuple[str, ...]) -> dict[str, Any]:
    """Some of ``fields`` (required ones nearly always), now and then an unknown key."""
    out = {name: draw(s) for name, s in fields.items() if not draw(ONE_IN_30 if name in REQUIRED else ONE_IN_4)}
    if draw(ONE_IN_30):
        out[draw(texts(words))] = draw(wild(words))
    return out


@functools.cache
def spec_documents() -> st.SearchStrategy[dict[str, Any]]:
    words = SPEC_WORDS
    metric_name = rarely(st.sampled_from(METRIC_NAMES), typo(METRIC_NAMES), 10)
    landmark = rarely(st.sampled_from([n for n in LANDMARKS if "{other}" not in n]), typo(LANDMARKS), 10)

    def metric(kind: str, points: int, per: bool = False, floor: bool = False) -> st.SearchStrategy[dict[str, Any]]:
        return table({
            "kind": maybe(st.just(kind), words),
            "points": maybe(st.lists(landmark, min_size=points, max_size=points, unique=True), words),
            **({"per": maybe(st.lists(landmark, min_size=2, max_size=2, unique=True), words)} if per else {}),
            **({"floor": maybe(st.lists(landmark, min_size=1, max_size=3), words)} if floor else {}),
            "positive": maybe(st.sampled_from(["up", "forward", "none"]), words),
            "baseline": maybe(st.sampled_from(["none", "ratio_to_high", "minus_low"]), words),
        }, words)  # fmt: skip

    metric = st.one_of(metric("angle", 3), metric("line_angle", 3), metric("tilt", 2),
                       metric("distance_ratio", 2, per=True), metric("height", 1, per=True, floor=True))
    reps = table({"metric": maybe(metric_name, words), "enter": maybe(numbers(100, 200), words),
                  "exit": maybe(numbers(0, 99), words), "min_rep_s": maybe(numbers(0, 5), words)}, words)
    hold = table({"position": maybe(st.dictionaries(metric_name, st.lists(numbers(0, 200), min_size=2, max_size=2), max_size=2), words),
                  "target_s": maybe(numbers(1, 60), words), "grace_s": maybe(numbers(0, 5), words)}, words)  # fmt: skip
    check = table({"metric": maybe(metric_name, words), "cue": st.text(max_size=10),
                   "when": maybe(st.sampled_from(["always", "peak", "rep", "hold"]), words),
                   "min": maybe(numbers(-50, 200), words), "max": maybe(numbers(-50, 200), words),
                   "max_speed": maybe(numbers(0, 100), words), "min_duration_s": maybe(numbers(0, 5), words)}, words)  # fmt: skip
    section = table({"choose": maybe(st.sampled_from(["auto", "left", "right", "none"]), words)}, words)
    return table({
        "id": texts(words), "name": texts(words), "kind": maybe(st.sampled_from(["reps", "hold"]), words),
        "aliases": maybe(st.lists(texts(words), max_size=2), words),
        "metrics": maybe(rarely(st.fixed_dictionaries({n: metric for n in METRIC_NAMES}),
                                st.dictionaries(metric_name, metric, max_size=3), 5), words),
        "reps": maybe(reps, words), "hold": maybe(hold, words),
        "checks": maybe(st.dictionaries(texts(words), check, max_size=2), words),
        "side": section, "view": table({"side_max_width": maybe(numbers(0, 2), words)}, words),
        "smoothing": table({"beta": maybe(numbers(0, 10), words)}, words),
        "key_metrics": maybe(st.lists(metric_name, max_size=2), words),
    }, words)  # fmt: skip


@functools.cache
def clip_documents() -> st.SearchStrategy[dict[str, Any]]:
    """A clip for one exercise, its faults and entries matching it (most of the time)."""
    words = CLIP_WORDS
    side = st.sampled_from(SIDES)
    number = numbers(0, 3)

    def for_exercise(ex_id: str) -> st.SearchStrategy[dict[str, Any]]:
        ex = EXERCISES[ex_id]
        fault = rarely(st.sampled_from(sorted(ex.faults)), st.sampled_from(CLIP_WORDS), 10)
        entry = table({
            "fault": maybe(fault, words), "size": maybe(numbers(-50, 200), words),
            **({"side": maybe(side, words)} if ex.sided else {}),
            **({"count": maybe(st.integers(1, 250), words)} if ex.kind == "reps" else
               {"seconds": maybe(numbers(1, 60), words)}),
        }, words)  # fmt: skip
        return table({
            "exercise": maybe(rarely(st.just(ex_id), typo(tuple(sorted(EXERCISES))), 10), words),
            "seed": maybe(st.integers(-5, 2**32), words), "tempo": maybe(number, words),
            "lead_in_s": maybe(number, words), "first_side": maybe(side, words),
            "alternate": maybe(st.booleans(), words), "name": maybe(texts(words), words),
            "camera": maybe(table({"view": maybe(st.sampled_from(VIEWS), words), "height_m": maybe(number, words),
                                   "jitter_px": maybe(number, words)}, words), words),
            "look": maybe(table({"skin": maybe(st.sampled_from(["light", "tan", "green"]), words),
                                 "body": maybe(st.sampled_from(["default", "female", "giant"]), words)}, words), words),
            ex.kind if ex.kind == "reps" else "holds": maybe(st.lists(entry, min_size=1, max_size=3), words),
        }, words)  # fmt: skip

    return st.one_of(*(for_exercise(e) for e in sorted(EXERCISES)))


@FUZZ
@given(spec_documents())
def test_spec_loader_takes_documents_built_from_the_schema(doc):
    load_text("spec_documents", load_spec, toml_document(doc))


@FUZZ
@given(spec_documents())
def test_parse_spec_takes_any_data(doc):
    path = WORK / "data.toml"
    outcome("spec_data", str(path), lambda: parse_spec(python_value(doc), path))


@FUZZ
@given(clip_documents())
def test_clip_loader_takes_documents_built_from_the_schema(doc):
    load_text("clip_documents", load_clip, toml_document(doc))


@FUZZ
@given(clip_documents())
def test_parse_clip_takes_any_data(doc):
    outcome("clip_data", "data", lambda: parse_clip(python_value(doc), "data"))
