import json
import re
from pathlib import Path

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


# --- Hostile input: every text gives a spec or one bounded SpecError line --------------------------

CORPUS = Path(__file__).with_name("spec_corpus")
# Corpus files stay small: "<<x*N>>" stands for x repeated N times (a 1 MB name is "<<a*1048576>>").
RECIPE = re.compile(r"<<(.+?)\*(\d+)>>", re.S)
MAX_MESSAGE = 400  # characters of a message besides the file path


def expand(path: Path) -> tuple[str, str]:
    """A corpus file's text with its recipes expanded, and its '# expect:' line (or 'loads')."""
    raw = path.read_text(encoding="utf-8")
    expect = next(line[len("# expect: "):] for line in raw.splitlines() if line.startswith("# expect: "))
    return RECIPE.sub(lambda m: m.group(1) * int(m.group(2)), raw), expect


def assert_bounded(message: str, path: Path) -> None:
    assert message.startswith(f"{path}: "), message[:300]
    assert len(message) - len(str(path)) <= MAX_MESSAGE, f"{len(message)} characters: {message[:300]}"
    assert "\n" not in message and "internal error" not in message, message[:300]


@pytest.mark.parametrize("case", sorted(CORPUS.glob("*.toml")), ids=lambda p: p.stem)
def test_spec_corpus_of_nasty_files(tmp_path, case):
    from posecheck.synth.clip import load_clip

    text, expect = expand(case)
    path = write(tmp_path, text, case.name)
    load = load_clip if case.name.startswith("clip_") else load_spec
    if expect == "loads":
        load(path)
        return
    with pytest.raises(SpecError) as err:
        load(path)
    assert_bounded(str(err.value), path)
    assert expect in str(err.value), str(err.value)[:400]


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("enter = 150.0", "enter = nan", "'enter' in [reps] is nan; expected a finite number"),
        ("exit = 140.0", "exit = -inf", "'exit' in [reps] is -inf; expected a finite number"),
        ("enter = 150.0", "enter = 1e400", "'enter' in [reps] is inf; expected a finite number"),
        ("min = 165.0", "min = nan", "'min' in [checks.hips_low] is nan; expected a finite number"),
        ("enter = 150.0", "enter = " + "9" * 320, "'enter' in [reps] is an integer of about 320 digits; expected a finite number"),
        ("enter = 150.0", "enter = " + "1" * 4400, "not valid TOML: an integer of more than 4300 digits at line 13; expected a number of ordinary size"),
        ("kind = \"reps\"", "kind = \"reps\"\nx = " + "[" * 33 + "]" * 33, "not valid TOML: nesting deeper than 32 levels at line 5; expected lists and inline tables a few levels deep at most"),
        ('"{side}_knee"]', '"{side}_hip"]', "[metrics.hip_line] 'points' names '{side}_hip' twice; expected 3 different landmarks"),
        ('positive = "up"', 'kind = "tilt"', "not valid TOML"),  # stays a TOML error, untouched
        ('"{side}_knee"]', '"' + "a" * 100 + '"]', "names unknown landmark '" + "a" * 60 + "…' (100 characters)"),
        ('positive = "up"', '"' + "k" * 100 + '" = 1', "unknown key '" + "k" * 60 + "…' (100 characters) in [metrics.hip_line]; expected one of kind,"),
        ("enter = 150.0", "enter = [[[[[1]]]]]", "'enter' in [reps] has the wrong type; expected a number, got [[[[…]]]]"),
        ("enter = 150.0", "enter = 2024-01-31", "'enter' in [reps] has the wrong type; expected a number, got 2024-01-31"),
        ('when = "peak"', 'when = "pe\\nak"', r"'when' in [checks.hips_low] is 'pe\nak' (did you mean 'peak'?); expected one of"),
    ],
)
def test_each_new_spec_error_message(tmp_path, old, new, message):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert message in str(err.value)
    if message != "not valid TOML":
        assert_bounded(str(err.value), path)


HOLD = """
id = "mini_hold"
name = "Mini hold"
kind = "hold"
[metrics.knee]
kind = "distance_ratio"
points = ["left_knee", "right_knee"]
per = ["left_hip", "left_knee"]
[hold]
position = { knee = [0.2, 0.8] }
target_s = 30.0
"""


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("target_s = 30.0", "target_s = -nan", "'target_s' in [hold] is nan; expected a finite number"),
        ("[0.2, 0.8]", "[0.2, inf]", "'knee' in [hold.position] is inf; expected a finite number"),
        ("[0.2, 0.8]", "[0.5, 0.5]", "[hold] 'position.knee' is [0.5, 0.5]; expected [min, max] with min below max"),
        ('"left_hip", "left_knee"]', '"left_hip", "left_hip"]', "[metrics.knee] 'per' names 'left_hip' twice; expected 2 different landmarks (a segment)"),
    ],
)
def test_each_new_hold_error_message(tmp_path, old, new, message):
    load_spec(write(tmp_path, HOLD))
    path = write(tmp_path, HOLD.replace(old, new, 1))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert message in str(err.value)


def test_an_unreadable_spec_file_is_a_spec_error(tmp_path):
    folder = tmp_path / "specs.toml"
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(folder)
    long = tmp_path / ("x" * 5000 + ".toml")  # too long a name for the OS: OSError from is_file()
    with pytest.raises(SpecError, match=r"cannot read spec file \(File name too long\)"):
        load_spec(long)


def test_a_posecheck_bug_in_the_checks_still_gives_one_line(tmp_path, monkeypatch):
    import posecheck.spec.loader as loader

    def broken(*args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(loader, "_check_consistency", broken)
    path = write(tmp_path, VALID)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value) == (
        f"{path}: internal error while reading it (ZeroDivisionError: division by zero); "
        "please report this posecheck bug"
    )
    assert isinstance(err.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize(
    "value, text",
    [
        ("short", "'short'"),
        ("a" * 1_048_576, "'" + "a" * 60 + "…' (1048576 characters)"),
        ("\x00" * 100, "'" + "\\x00" * 14 + "…' (100 characters)"),
        (10**5000, "an integer of about 5001 digits"),
        (float("nan"), "nan"),
        (True, "true"),
        ([1, [2, [3, [4, [5]]]]], "[1, [2, [3, […]]]]"),
        ({"k" * 100: "v"}, "{'" + "k" * 15 + "'… = 'v'}"),
    ],
    ids=["short", "1mb", "escapes", "huge_int", "nan", "bool", "deep_list", "long_key"],
)
def test_shown_quotes_any_value_briefly(value, text):
    from posecheck.spec.loader import shown

    assert shown(value) == text


def test_shown_survives_deep_data():
    from posecheck.spec.loader import shown

    deep: list = []
    for _ in range(100_000):  # far past the recursion limit: repr() itself would fail
        deep = [deep]
    assert shown(deep) == "[[[[…]]]]"


@pytest.mark.parametrize(
    "name, message",
    [
        ("brige", "did you mean 'bridge' (glute_bridge)?"),
        ("hip flexr", "did you mean 'hip flexor' (hip_flexor_stretch)?"),
        ("lunges!", "did you mean 'lunges' (lunge)?"),
        ("clamshel", "did you mean 'clamshell'?"),
        ("x" * 1_000_000, "unknown exercise '" + "x" * 60 + "…' (1000000 characters) Known: butterfly_stretch, clamshell,"),
    ],
    ids=["alias", "alias_with_space", "alias_typo", "id", "1mb"],
)
def test_unknown_exercise_suggests_ids_names_and_aliases(name, message):
    with pytest.raises(SpecError) as err:
        find_spec(name)
    assert message in str(err.value)
    assert len(str(err.value)) <= MAX_MESSAGE


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("exit = 140.0", "exit = 140.0\nviews = [60.0, 40.0]",
         "[reps] 'views' is [60.0, 40.0]; expected [min, max] in degrees with 0 <= min < max <= 90"),
        ('cue = "Lift your hips"', 'cue = "Lift your hips"\nviews = [0.0, 120.0]', "[checks.hips_low] 'views' is [0.0, 120.0]"),
        ("exit = 140.0", "exit = 140.0\nposition = { hip_lin = [0.0, 1.0] }",
         "'position' in [reps] names unknown metric 'hip_lin'; did you mean 'hip_line'?"),
        ("exit = 140.0", "exit = 140.0\nposition = { hip_line = [9.0, 1.0] }",
         "[reps] 'position.hip_line' is [9.0, 1.0]; expected [min, max] with min below max"),
        ('positive = "up"', 'positive = "up"\nspace = "world"\n[metrics.gap]\nkind = "height"\n'
         'points = ["left_ankle"]\nfloor = ["left_heel"]\nper = ["left_hip", "left_knee"]\nspace = "world"',
         "[metrics.gap] space = 'world' works for kinds angle, line_angle, distance_ratio and unsigned tilt, "
         "not 'height'"),
        ('positive = "up"', 'positive = "up"\nspace = "mars"', "'space' in [metrics.hip_line] is 'mars'"),
    ],
)
def test_each_view_and_position_error_message(tmp_path, old, new, message):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert message in str(err.value), str(err.value)
    assert_bounded(str(err.value), path)
