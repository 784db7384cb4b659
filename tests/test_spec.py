import json

import pytest

from posecheck.errors import SpecError
from posecheck.spec import find_spec, json_schema, list_specs, load_spec

VALID = """
id = "mini"
name = "Mini bridge"
kind = "reps"

[metrics.hip_line]
kind = "line_angle"
points = ["{side}_shoulder", "{side}_hip", "{side}_knee"]
positive = "up"

[reps]
metric = "hip_line"
enter = 150.0
exit = 140.0

[checks.hips_low]
metric = "hip_line"
when = "peak"
min = 165.0
cue = "Lift your hips"
"""


def write(tmp_path, text, name="mini.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_spec_loads_with_defaults(tmp_path):
    spec = load_spec(write(tmp_path, VALID))
    assert spec.id == "mini" and spec.reps.enter == 150.0
    assert spec.view.expect == "side" and spec.smoothing.method == "one_euro"
    assert spec.checks["hips_low"].min == 165.0


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('metric = "hip_line"\nwhen', 'metrik = "hip_line"\nwhen', "unknown key 'metrik' in [checks.hips_low]; did you mean 'metric'?"),
        ('enter = 150.0', 'enter = "high"', "'enter' in [reps] has the wrong type; expected a number, got 'high'"),
        ('min = 165.0', 'min = 165.0\nmax = 100.0', "[checks.hips_low] has min 165.0 above max 100.0; that range can never pass"),
        ('"{side}_knee"]', '"{side}_kneee"]', "names unknown landmark '{side}_kneee'; did you mean 'knee'?"),
        ('points = ["{side}_shoulder"', 'points = ["left_sholder"', "names unknown landmark 'left_sholder'; did you mean 'left_shoulder'?"),
        ('metric = "hip_line"\nenter', 'metric = "hipline"\nenter', "'metric' in [reps] names unknown metric 'hipline'; did you mean 'hip_line'?"),
        ('exit = 140.0', 'exit = 150.0', "[reps] 'enter' and 'exit' are both 150.0; they must differ"),
        ('when = "peak"', 'when = "top"', "'when' in [checks.hips_low] is 'top'"),
        ('kind = "reps"', 'kind = "reps"\n[view]\nside_max_width = -1.0', "'side_max_width' in [view] is -1.0; expected a value between 0.0 and 2.0"),
        ('name = "Mini bridge"\n', '', "missing key 'name'"),
        ('[reps]\nmetric = "hip_line"\nenter = 150.0\nexit = 140.0\n', '', "[reps] is missing; kind = 'reps' needs a [reps] table"),
        ('points = ["{side}_shoulder", ', 'points = [', "'points' has 2 names; kind 'line_angle' takes 3"),
        ('min = 165.0\n', '', "[checks.hips_low] has neither 'min' nor 'max'"),
        ('positive = "up"', 'positive = "up"\nbogus = 1', "unknown key 'bogus' in [metrics.hip_line]"),
        ('id = "mini"', 'id = "mini"\nid = "again"', "not valid TOML"),
        ('kind = "reps"', 'kind = "reps"\nview = "side"', "[view] must be a table, got str"),
    ],
)
def test_each_spec_error_names_the_file_and_the_key(tmp_path, old, new, message):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    text = str(err.value)
    assert str(path) in text
    assert message in text


def test_a_hold_check_on_a_rep_exercise_is_refused(tmp_path):
    path = write(tmp_path, VALID.replace('when = "peak"', 'when = "hold"'))
    with pytest.raises(SpecError, match="'when' is 'hold' but the exercise counts reps"):
        load_spec(path)


def test_missing_and_non_text_files(tmp_path):
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.toml")
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecError, match="not a UTF-8 text file"):
        load_spec(binary)


def test_spec_files_are_data_never_code(tmp_path):
    evil = VALID.replace('name = "Mini bridge"', 'name = __import__("os").system("touch pwned")')
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(write(tmp_path, evil))
    assert not (tmp_path / "pwned").exists()


def test_shipped_specs_all_load_and_cover_the_issue():
    specs = {s.id: s for s in list_specs()}
    assert {"glute_bridge", "lunge", "clamshell", "hip_flexor_stretch"} <= set(specs)
    assert specs["lunge"].side.per_side and specs["clamshell"].side.per_side
    assert specs["hip_flexor_stretch"].kind == "hold"
    assert {"hips_low", "over_lift", "hip_sag"} <= set(specs["glute_bridge"].checks)


@pytest.mark.parametrize("name, expected", [("bridge", "glute_bridge"), ("Hip Airplanes", "lunge"), ("clams", "clamshell")])
def test_find_spec_by_alias(name, expected):
    assert find_spec(name).id == expected


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(SpecError) as err:
        find_spec("glute_brigde")
    assert "did you mean 'glute_bridge'?" in str(err.value) and "lunge" in str(err.value)


def test_json_schema_describes_every_key():
    schema = json_schema()
    json.dumps(schema)
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert props["kind"]["enum"] == ["reps", "hold"]
    check = props["checks"]["additionalProperties"]
    assert set(check["required"]) == {"metric", "cue"}
    assert check["properties"]["when"]["enum"] == ["always", "peak", "rep", "hold"]
    assert props["view"]["properties"]["side_max_width"]["maximum"] == 2.0
