"""pyproject.toml lists every package folder, and a built wheel would carry the shipped specs."""

from __future__ import annotations

from pathlib import Path

from posecheck._toml import tomllib
from posecheck.spec import list_specs
from posecheck.spec.loader import shipped_specs_dir

ROOT = Path(__file__).resolve().parents[1]


def setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    folders = [ROOT / "posecheck", *(ROOT / "posecheck").rglob("*")]
    on_disk = {
        ".".join(d.relative_to(ROOT).parts)
        for d in folders
        if d.is_dir() and d.name != "__pycache__" and any(f.is_file() for f in d.iterdir())
    }
    listed = set(setuptools_config()["packages"])
    assert listed - {"posecheck.exercise_specs"} == on_disk


def test_the_wheel_maps_the_top_level_specs_folder_into_the_package() -> None:
    config = setuptools_config()
    assert config["package-dir"]["posecheck.exercise_specs"] == "exercise_specs"
    assert config["package-data"]["posecheck.exercise_specs"] == ["*.toml"]
    # In a checkout the loader reads that folder; an installed wheel has it at posecheck/exercise_specs.
    assert shipped_specs_dir() == ROOT / "exercise_specs"
    assert {s.path.name for s in list_specs()} == {p.name for p in (ROOT / "exercise_specs").glob("*.toml")}
