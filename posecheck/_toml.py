"""TOML reading: the standard library's ``tomllib`` from Python 3.11, its backport ``tomli`` on 3.10."""

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["tomllib"]
