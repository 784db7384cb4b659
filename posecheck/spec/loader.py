"""Load and validate exercise spec files (TOML; read as data, never evaluated as code)."""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any, Literal

from .._toml import tomllib
from ..errors import SpecError
from ..landmarks import INDEX, MIDPOINTS, SIDED_NAMES, known_point
from .schema import POINTS_PER_KIND, ExerciseSpec

SPEC_SUFFIX = ".toml"
SPECS_ENV = "POSECHECK_SPECS"


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
    """The shipped spec whose id or alias is ``name`` (case and spaces/hyphens ignored).

    Raises SpecError listing the valid names when none matches.
    """
    specs = list_specs(folder)
    key = _normalise(name)
    for spec in specs:
        if key in {_normalise(n) for n in (spec.id, spec.name, *spec.aliases)}:
            return spec
    ids = [s.id for s in specs]
    hint = difflib.get_close_matches(key, ids, n=1)
    did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
    raise SpecError(
        f"unknown exercise '{name}'{did_you_mean} Known: {', '.join(ids)} (or pass --spec FILE)"
    )


def load_spec(path: str | Path) -> ExerciseSpec:
    """Read and validate one spec file. Raises SpecError naming the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: spec file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    return parse_spec(data, path)


def parse_spec(data: dict[str, Any], path: Path) -> ExerciseSpec:
    """Build an ExerciseSpec from parsed TOML data, validating types, ranges and references."""
    spec = _build(ExerciseSpec, data, "", path)
    spec = dataclasses.replace(spec, path=path)
    _check_consistency(spec, path)
    return spec


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _where(section: str, key: str | None = None) -> str:
    if key is None:
        return f"[{section}]" if section else "the top level"
    return f"'{key}' in [{section}]" if section else f"'{key}'"


def _build(cls: type, data: Any, section: str, path: Path) -> Any:
    if not isinstance(data, dict):
        raise SpecError(f"{path}: {_where(section)} must be a table, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            near = difflib.get_close_matches(key, list(fields), n=1)
            did_you_mean = f"; did you mean '{near[0]}'?" if near else f"; expected one of {', '.join(fields)}"
            raise SpecError(f"{path}: unknown key '{key}' in {_where(section)}{did_you_mean}")
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
                    f"{path}: {_where(section, name)} is {value}; expected a value between {lo} and {hi}"
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
    wrong = (
        f"{path}: {_where(section, key)} has the wrong type; expected {_type_name(tp)}, "
        f"got {value!r}"
    )
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, sub, section, key, path)
    if origin is Literal:
        if value not in args:
            near = difflib.get_close_matches(str(value), [str(a) for a in args], n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise SpecError(
                f"{path}: {_where(section, key)} is {value!r}{hint}; expected {_type_name(tp)}"
            )
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise SpecError(wrong)
        item = args[0]
        items = [_convert(item, v, sub, section, key, path) for v in value]
        return tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise SpecError(wrong)
        item = args[1]
        return {k: _convert(item, v, f"{sub}.{k}", sub, k, path) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, sub, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(wrong)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(wrong)
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise SpecError(wrong)
        return value
    raise TypeError(f"spec schema uses an unsupported type {tp!r}")


def _check_consistency(spec: ExerciseSpec, path: Path) -> None:
    def fail(where: str, message: str) -> typing.NoReturn:
        raise SpecError(f"{path}: {where} {message}")

    if not spec.metrics:
        fail("[metrics]", "is empty; define at least one metric")
    for name, metric in spec.metrics.items():
        where = f"[metrics.{name}]"
        expected = POINTS_PER_KIND[metric.kind]
        if len(metric.points) != expected:
            fail(where, f"'points' has {len(metric.points)} names; kind '{metric.kind}' takes {expected}")
        if metric.kind in ("distance_ratio", "height") and len(metric.per) != 2:
            fail(where, f"'per' must name 2 points (the normalising segment) for kind '{metric.kind}'")
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
    if spec.kind == "hold":
        if spec.hold is None:
            fail("[hold]", "is missing; kind = 'hold' needs a [hold] table with 'position'")
        if not spec.hold.position:
            fail("[hold]", "'position' is empty; list at least one metric = [min, max]")
        for name, bounds in spec.hold.position.items():
            if name not in spec.metrics:
                _unknown_metric(name, "'position' in [hold]", spec, path)
            if len(bounds) != 2 or bounds[0] > bounds[1]:
                fail(f"[hold] 'position.{name}'", f"is {list(bounds)}; expected [min, max] with min <= max")

    for check_id, check in spec.checks.items():
        where = f"[checks.{check_id}]"
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


def _unknown_metric(name: str, where: str, spec: ExerciseSpec, path: Path) -> typing.NoReturn:
    near = difflib.get_close_matches(name, list(spec.metrics), n=1)
    hint = f"; did you mean '{near[0]}'?" if near else f"; defined: {', '.join(spec.metrics)}"
    raise SpecError(f"{path}: {where} names unknown metric '{name}'{hint}")


def _check_point(point: str, spec: ExerciseSpec, where: str, path: Path) -> None:
    if point.startswith(("{side}_", "{other}_")):
        if spec.side.choose == "none":
            raise SpecError(f"{path}: {where} uses '{point}' but [side] choose = 'none'; pick a side rule")
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
    near = difflib.get_close_matches(bad, candidates, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    raise SpecError(f"{path}: {where} names unknown landmark '{point}'{hint}")
