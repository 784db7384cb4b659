"""JSON Schema for spec files, generated from the same dataclasses that validate them."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal

from .schema import ExerciseSpec


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) describing an exercise spec file."""
    schema = _object_schema(ExerciseSpec)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "posecheck exercise spec"
    return schema


def _object_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {}
    required = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        prop = _type_schema(hints[f.name])
        if f.metadata.get("doc"):
            prop["description"] = f.metadata["doc"]
        lo, hi = f.metadata.get("range") or (None, None)
        if lo is not None:
            prop["minimum"] = lo
        if hi is not None:
            prop["maximum"] = hi
        if f.default is not dataclasses.MISSING and f.default is not None:
            prop["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
        props[f.name] = prop
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if cls.__doc__:
        out["description"] = cls.__doc__.strip().splitlines()[0]
    if required:
        out["required"] = required
    return out


def _type_schema(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return _type_schema(next(a for a in args if a is not type(None)))
    if origin is Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1])}
    if dataclasses.is_dataclass(tp):
        return _object_schema(tp)
    simple = {float: "number", int: "integer", str: "string", bool: "boolean"}
    return {"type": simple[tp]}
