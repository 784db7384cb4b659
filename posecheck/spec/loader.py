"""Load and validate exercise spec files (TOML; read as data, never evaluated as code).

Whatever the text, loading gives an ExerciseSpec or raises SpecError with one bounded line: user values
quoted in messages go through :func:`shown`, numbers must be finite, and anything unexpected from the
TOML parser or the checks is turned into a SpecError that names the exception type.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import math
import os
import re
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from .._toml import tomllib
from ..errors import SpecError
from ..landmarks import INDEX, MIDPOINTS, SIDED_NAMES, known_point
from .schema import POINTS_PER_KIND, ExerciseSpec

SPEC_SUFFIX = ".toml"
SPECS_ENV = "POSECHECK_SPECS"
#: A user value quoted in an error message is cut to about this many characters.
MAX_SHOWN = 60
#: Lists and inline tables nested deeper than this are refused before parsing: specs nest 2 deep, and
#: the TOML parser recurses, so a few hundred levels would hit Python's recursion limit.
MAX_NESTING = 32
_LISTED = 6  # names listed in "defined: a, b, ..." before "and N more"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# What opens or closes a nesting level, or hides brackets from it: the four kinds of string (a
# multi-line one may end with up to two extra quotes) and comments.
_TOKEN = re.compile(
    r'"""(?:\\.|[^\\])*?(?:"{3,5}|\Z)'
    r"|'''.*?(?:'{3,5}|\Z)"
    r'|"(?:[^"\\\n]|\\.)*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
    r"|[\[\]{}]",
    re.S,
)


def shipped_specs_dir() -> Path:
    """The folder of specs that ship with posecheck (``$POSECHECK_SPECS`` overrides it): the
    repository's ``exercise_specs/`` in a source checkout or editable install, else the copy an
    installed wheel holds inside the package."""
    override = os.environ.get(SPECS_ENV)
    if override:
        return Path(override)
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent / "exercise_specs"
    return checkout if checkout.is_dir() else package / "exercise_specs"


def list_specs(folder: Path | None = None) -> list[ExerciseSpec]:
    """Every spec in ``folder`` (default: the shipped ones), sorted by id."""
    folder = folder or shipped_specs_dir()
    if not folder.is_dir():
        raise SpecError(f"{folder}: spec folder not found; set {SPECS_ENV} to the folder of exercise specs")
    return sorted((load_spec(p) for p in folder.glob(f"*{SPEC_SUFFIX}")), key=lambda s: s.id)


def find_spec(name: str, folder: Path | None = None) -> ExerciseSpec:
    """The shipped spec whose id, name or alias is ``name`` (case and spaces/hyphens ignored).

    Raises SpecError listing the valid names, and the nearest id, name or alias, when none matches.
    """
    specs = list_specs(folder)
    key = _normalise(name)
    for spec in specs:
        if key in {_normalise(n) for n in _names(spec)}:
            return spec
    owners: dict[str, tuple[str, str]] = {}  # normalised -> (as written, spec id); an id wins a tie
    for spec in reversed(specs):
        for written in _names(spec):
            owners[_normalise(written)] = (written, spec.id)
    near = suggest(key, owners)
    did_you_mean = ""
    if near is not None:
        written, spec_id = owners[near]
        owner = "" if written == spec_id else f" ({spec_id})"
        did_you_mean = f"; did you mean {shown(written)}{owner}?"
    ids = [s.id for s in specs]
    raise SpecError(f"unknown exercise {shown(name)}{did_you_mean} Known: {_listing(ids)} (or pass --spec FILE)")


def load_spec(path: str | Path) -> ExerciseSpec:
    """Read and validate one spec file.

    Raises SpecError naming the file and the key, whatever the file holds.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise SpecError(f"{path}: spec file not found")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec file ({exc.strerror or type(exc).__name__})") from None
    return parse_spec(parse_toml(text, str(path)), path)


def parse_spec(data: dict[str, Any], path: Path) -> ExerciseSpec:
    """Build an ExerciseSpec from parsed TOML data, validating types, ranges and references.

    Raises SpecError for anything that is not a valid spec.
    """
    with guarded(str(path)):
        spec = _build(ExerciseSpec, data, "", path)
        spec = dataclasses.replace(spec, path=path)
        _check_consistency(spec, path)
    return spec


def parse_toml(
    text: str, source: str, error: type[SpecError] = SpecError, invalid: str = "not valid TOML"
) -> dict[str, Any]:
    """The TOML document ``text`` (read from ``source``) as a dict.

    Raises ``error`` (a SpecError class) for anything the parser refuses or chokes on: the message
    starts with ``source`` and ``invalid``.
    """
    depth, pos = _nesting(text)
    if depth > MAX_NESTING:
        raise error(
            f"{source}: {invalid}: nesting deeper than {MAX_NESTING} levels at line {_line(text, pos)}; "
            "expected lists and inline tables a few levels deep at most"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: {invalid}: {_cut(str(exc))}") from None
    except RecursionError:
        raise error(
            f"{source}: {invalid}: nested too deeply to read; expected lists and inline tables a few "
            "levels deep at most"
        ) from None
    except ValueError as exc:
        if "digits" not in str(exc):
            raise _internal(source, exc, error) from exc
        # Python refuses to convert decimal integers this long (a guard against quadratic time).
        limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
        long = re.search(r"[0-9](?:_?[0-9]){%d,}" % limit, text)
        where = f" at line {_line(text, long.start())}" if long else ""
        raise error(
            f"{source}: {invalid}: an integer of more than {limit} digits{where}; expected a number of "
            "ordinary size"
        ) from None
    except Exception as exc:
        raise _internal(source, exc, error) from exc


@contextlib.contextmanager
def guarded(source: str, error: type[SpecError] = SpecError) -> Iterator[None]:
    """Let SpecError through and turn any other exception raised inside into ``error``.

    The message names the exception type (and chains it), so that a posecheck bug still shows as
    one reportable line rather than a traceback or a silent result.
    """
    try:
        yield
    except SpecError:
        raise
    except RecursionError:
        raise error(f"{source}: values nested too deeply to check; expected at most a few levels") from None
    except Exception as exc:
        raise _internal(source, exc, error) from exc


def shown(value: object) -> str:
    """``value`` as an error message quotes it: like its repr, in at most about 100 characters.

    A long string is cut with an ellipsis and its length (``'aaaa…' (1048576 characters)``); huge
    integers and deep or long lists and tables are summarised. Never raises.
    """
    if isinstance(value, str):
        return _quote(value)
    text = _brief(value, 0)
    return text if len(text) <= MAX_SHOWN + 5 else text[:MAX_SHOWN] + "…"


def suggest(word: object, candidates: Iterable[str]) -> str | None:
    """The candidate nearest ``word`` (for "did you mean"), or None.

    Long words get (and are) no suggestion: they are no typo, and difflib takes seconds on them.
    """
    if not isinstance(word, str) or len(word) > 2 * MAX_SHOWN:
        return None
    short = [c for c in candidates if isinstance(c, str) and len(c) <= 2 * MAX_SHOWN]
    near = difflib.get_close_matches(word, short, n=1)
    return near[0] if near else None


def _internal(source: str, exc: BaseException, error: type[SpecError]) -> SpecError:
    return error(
        f"{source}: internal error while reading it ({type(exc).__name__}: {_cut(_text_of(exc))}); "
        "please report this posecheck bug"
    )


def _quote(text: str) -> str:
    keep = min(len(text), MAX_SHOWN)
    quoted = repr(text[:keep])
    while len(quoted) > MAX_SHOWN + 2 and keep > 1:  # escapes (\x00, \U000e0001) lengthen a repr
        keep = max(1, keep * MAX_SHOWN // len(quoted))
        quoted = repr(text[:keep])
    if keep == len(text):
        return quoted
    return f"{quoted[:-1]}…{quoted[-1]} ({len(text)} characters)"


def _brief(value: object, depth: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        bits = abs(value).bit_length()
        if bits <= 3 * MAX_SHOWN:
            return repr(value)
        digits = int(math.log10(abs(value))) + 1
        if digits < 10_000 and 10 ** (digits - 1) > abs(value):  # log10 of 99...9 rounds up
            digits -= 1
        return f"an integer of about {digits} digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        short = value[: MAX_SHOWN // 4]
        return _quote(short) + ("…" if len(short) < len(value) else "")
    if isinstance(value, (list, tuple)):
        if not value or depth >= 3:
            return "[…]" if value else "[]"
        items = [_brief(v, depth + 1) for v in value[:4]] + ["…"] * (len(value) > 4)
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        if not value or depth >= 3:
            return "{…}" if value else "{}"
        items = [f"{_brief(k, depth + 1)} = {_brief(v, depth + 1)}" for k, v in list(value.items())[:4]]
        return "{" + ", ".join(items + ["…"] * (len(value) > 4)) + "}"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return _cut(_text_of(value, repr), MAX_SHOWN)


def _cut(text: str, limit: int = 200) -> str:
    """``text`` in at most about ``limit`` characters, keeping its end (where tomllib puts the line)."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return f"{text[: limit - tail]}…{text[-tail:]}"


def _text_of(thing: object, conv: Any = str) -> str:
    try:
        return conv(thing)
    except Exception:  # a failing str()/repr() must not replace the error being reported
        return f"<{type(thing).__name__}>"


def _key(key: object) -> str:
    """A key inside a table name: bare when TOML could write it bare, else quoted and cut."""
    if isinstance(key, str) and len(key) <= MAX_SHOWN and _BARE_KEY.fullmatch(key):
        return key
    return shown(key)


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    head = ", ".join(_key(n) for n in names[:_LISTED])
    return head + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def _nesting(text: str) -> tuple[int, int]:
    """The deepest nesting of [ and { outside strings and comments, and where it first passes
    MAX_NESTING (else the end of the text)."""
    depth = deepest = 0
    for m in _TOKEN.finditer(text):
        c = m.group()
        if c in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    return deepest, m.start()
        elif c in ("]", "}"):
            depth = max(0, depth - 1)
    return deepest, len(text)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _names(spec: ExerciseSpec) -> tuple[str, ...]:
    """The names ``--exercise`` knows a spec by, weakest first: aliases, the article's name, name, id."""
    return (*spec.aliases, *((spec.article,) if spec.article else ()), spec.name, spec.id)


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _where(section: str, key: object = None) -> str:
    if key is None:
        return f"[{section}]" if section else "the top level"
    return f"{shown(key)} in [{section}]" if section else shown(key)


def _build(cls: type, data: Any, section: str, path: Path) -> Any:
    if not isinstance(data, dict):
        raise SpecError(f"{path}: {_where(section)} must be a table, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            near = suggest(key, fields)
            did_you_mean = f"; did you mean '{near}'?" if near else f"; expected one of {', '.join(fields)}"
            raise SpecError(f"{path}: unknown key {shown(key)} in {_where(section)}{did_you_mean}")
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SpecError(f"{path}: missing key {_where(section, name)}")
            continue
        sub = f"{section}.{name}" if section else name
        value = _convert(hints[name], data[name], sub, section, name, path)
        bounds = f.metadata.get("range")
        if bounds is not None and value is not None:
            lo, hi = bounds
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise SpecError(
                    f"{path}: {_where(section, name)} is {shown(value)}; expected a value between {lo} and {hi}"
                )
        values[name] = value
    return cls(**values)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a table"
    return {float: "a number", int: "an integer", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _convert(tp: Any, value: Any, sub: str, section: str, key: str, path: Path) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)

    def wrong() -> SpecError:
        return SpecError(
            f"{path}: {_where(section, key)} has the wrong type; expected {_type_name(tp)}, got {shown(value)}"
        )

    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, sub, section, key, path)
    if origin is Literal:
        if not isinstance(value, str) or value not in args:
            near = suggest(value, [str(a) for a in args])
            hint = f" (did you mean '{near}'?)" if near else ""
            raise SpecError(f"{path}: {_where(section, key)} is {shown(value)}{hint}; expected {_type_name(tp)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise wrong()
        item = args[0]
        items = [_convert(item, v, sub, section, key, path) for v in value]
        return tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong()
        item = args[1]
        return {k: _convert(item, v, f"{sub}.{_key(k)}", sub, k, path) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, sub, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
        # NaN passes every range check (comparisons with it are false), infinity most of them.
        if not (-sys.float_info.max <= value <= sys.float_info.max):
            raise SpecError(f"{path}: {_where(section, key)} is {shown(value)}; expected a finite number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong()
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise wrong()
        return value
    raise TypeError(f"spec schema uses an unsupported type {tp!r}")


def _check_consistency(spec: ExerciseSpec, path: Path) -> None:
    def fail(where: str, message: str) -> typing.NoReturn:
        raise SpecError(f"{path}: {where} {message}")

    if not spec.metrics:
        fail("[metrics]", "is empty; define at least one metric")
    for name, metric in spec.metrics.items():
        where = f"[metrics.{_key(name)}]"
        expected = POINTS_PER_KIND[metric.kind]
        if len(metric.points) != expected:
            fail(where, f"'points' has {len(metric.points)} names; kind '{metric.kind}' takes {expected}")
        if len(set(metric.points)) != len(metric.points):
            twice = next(p for p in metric.points if metric.points.count(p) > 1)
            fail(where, f"'points' names {shown(twice)} twice; expected {expected} different landmarks")
        if metric.kind in ("distance_ratio", "height") and len(metric.per) != 2:
            fail(where, f"'per' must name 2 points (the normalising segment) for kind '{metric.kind}'")
        if len(metric.per) == 2 and metric.per[0] == metric.per[1]:
            fail(where, f"'per' names {shown(metric.per[0])} twice; expected 2 different landmarks (a segment)")
        if metric.space == "world" and (
            metric.kind not in ("angle", "line_angle", "tilt", "distance_ratio")
            or (metric.kind == "tilt" and metric.positive != "none")
        ):
            fail(where, "space = 'world' works for kinds angle, line_angle, distance_ratio and unsigned tilt, "
                 f"not '{metric.kind}'"
                 + (" with positive = '" + metric.positive + "'" if metric.kind == "tilt" else ""))
        if metric.kind == "height" and not metric.floor:
            fail(where, "'floor' must name at least one landmark for kind 'height'")
        for point in (*metric.points, *metric.per, *metric.floor):
            _check_point(point, spec, f"{where} 'points'", path)
    for name in spec.key_metrics:
        if name not in spec.metrics:
            _unknown_metric(name, "'key_metrics'", spec, path)

    if spec.kind == "reps":
        if spec.reps is None:
            fail("[reps]", "is missing; kind = 'reps' needs a [reps] table (metric, enter, exit)")
        if spec.reps.metric not in spec.metrics:
            _unknown_metric(spec.reps.metric, "'metric' in [reps]", spec, path)
        if spec.reps.enter == spec.reps.exit:
            fail("[reps]", f"'enter' and 'exit' are both {spec.reps.enter}; they must differ (hysteresis)")
        if spec.reps.min_rep_s >= spec.reps.max_rep_s:
            fail("[reps]", "'min_rep_s' must be below 'max_rep_s'")
        _check_position(spec.reps.position, "reps", spec, path)
        _check_views(spec.reps.views, "[reps]", path)
    if spec.kind == "hold":
        if spec.hold is None:
            fail("[hold]", "is missing; kind = 'hold' needs a [hold] table with 'position'")
        if not spec.hold.position:
            fail("[hold]", "'position' is empty; list at least one metric = [min, max]")
        _check_position(spec.hold.position, "hold", spec, path)
        for name in spec.hold.measure:
            if name not in spec.metrics:
                _unknown_metric(name, "'measure' in [hold]", spec, path)

    for check_id, check in spec.checks.items():
        where = f"[checks.{_key(check_id)}]"
        if check.metric not in spec.metrics:
            _unknown_metric(check.metric, f"'metric' in {where}", spec, path)
        if check.min is None and check.max is None:
            fail(where, "has neither 'min' nor 'max'; give the passing range")
        if check.min is not None and check.max is not None and check.min > check.max:
            fail(where, f"has min {check.min} above max {check.max}; that range can never pass")
        if spec.kind == "hold" and check.when in ("peak", "rep"):
            fail(where, f"'when' is '{check.when}' but the exercise is a hold; use 'hold' or 'always'")
        if spec.kind == "reps" and check.when == "hold":
            fail(where, "'when' is 'hold' but the exercise counts reps; use 'peak', 'rep' or 'always'")
        if check.relative_to == "peak" and check.when != "rep":
            fail(where, "'relative_to = \"peak\"' needs when = 'rep' (the peak so far within a rep)")
        _check_views(check.views, where, path)


def _check_position(position: dict[str, Any], section: str, spec: ExerciseSpec, path: Path) -> None:
    for name, bounds in position.items():
        if name not in spec.metrics:
            _unknown_metric(name, f"'position' in [{section}]", spec, path)
        # min == max: a measured angle or ratio is never exactly one value, so the position is never held.
        if len(bounds) != 2 or bounds[0] >= bounds[1]:
            raise SpecError(
                f"{path}: [{section}] 'position.{_key(name)}' is {shown(list(bounds))}; "
                "expected [min, max] with min below max"
            )


def _check_views(views: tuple[float, ...], where: str, path: Path) -> None:
    if len(views) != 2 or not 0.0 <= views[0] < views[1] <= 90.0:
        raise SpecError(
            f"{path}: {where} 'views' is {shown(list(views))}; expected [min, max] in degrees with "
            "0 <= min < max <= 90 (0 = camera in front of the person, 90 = side-on)"
        )


def _unknown_metric(name: str, where: str, spec: ExerciseSpec, path: Path) -> typing.NoReturn:
    near = suggest(name, spec.metrics)
    hint = f"; did you mean '{near}'?" if near else f"; defined: {_listing(spec.metrics)}"
    raise SpecError(f"{path}: {where} names unknown metric {shown(name)}{hint}")


def _check_point(point: str, spec: ExerciseSpec, where: str, path: Path) -> None:
    if point.startswith(("{side}_", "{other}_")):
        if spec.side.choose == "none":
            raise SpecError(f"{path}: {where} uses {shown(point)} but [side] choose = 'none'; pick a side rule")
        base = point.split("_", 1)[1]
        if base in SIDED_NAMES:
            return
        candidates = sorted(SIDED_NAMES)
        bad = base
    elif known_point(point):
        return
    else:
        candidates = [*INDEX, *MIDPOINTS]
        bad = point
    near = suggest(bad, candidates)
    hint = f"; did you mean '{near}'?" if near else ""
    raise SpecError(f"{path}: {where} names unknown landmark {shown(point)}{hint}")
