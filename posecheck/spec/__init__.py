"""Exercise specs: the schema (one definition), the loader and the JSON Schema generator."""

from .jsonschema import json_schema
from .loader import find_spec, list_specs, load_spec, parse_spec, shipped_specs_dir
from .schema import CheckSpec, ExerciseSpec, HoldSpec, MetricSpec, RepSpec

__all__ = [
    "CheckSpec", "ExerciseSpec", "HoldSpec", "MetricSpec", "RepSpec",
    "find_spec", "json_schema", "list_specs", "load_spec", "parse_spec", "shipped_specs_dir",
]  # fmt: skip
