"""Clip descriptions: what to render, as data (a TOML file or a dict), validated with clear errors.

Example (``posecheck/synth/clips/glute_bridge_demo.toml``)::

    exercise = "glute_bridge"     # glute_bridge | lunge | clamshell | hip_flexor_stretch
    seed = 7                      # same seed, same frames; also picks any look field left out
    tempo = 1.0                   # > 1 is faster
    lead_in_s = 1.5               # still, in the starting position, before the first rep
    lead_out_s = 1.0
    first_side = "left"           # one-sided exercises: the side of the first rep (or of the hold)
    alternate = true              # lunges alternate legs unless a rep names its side
    [camera]
    view = "side"                 # side | front | oblique
    facing = "right"              # which image side the person's front (bridge: feet) points to
    height_m = 0.55               # lens height above the floor
    distance_m = 3.0              # leave out to fit the whole motion in the frame
    hfov_deg = 62.0
    jitter_px = 0.6               # slow shake of the image, pixels
    [look]                        # every field optional; see posecheck.synth.look for the names
    body = "female"               # default | female | male | heavy
    skin = "medium"
    top = "teal"
    bottom = "black"
    legs = "long"                 # long | shorts
    sleeves = "short"             # short | long
    lighting = "neutral"
    [[reps]]
    count = 5                     # five good reps
    [[reps]]
    fault = "hips_low"            # a fault id of the exercise
    size = 150                    # its size (see motions.py for what each size measures)

Holds use ``[[holds]]`` entries instead: ``seconds`` (required), optional ``fault``, ``size``, ``side``.

Further keys, all optional (the robustness suite, ``benchmarks/robustness.py``, draws them at random)::

    fps = 30                      # frames per second of the video (10-60)
    rest_s = 0.0                  # seconds of stillness between reps (default: the exercise's own,
                                  # shortened by tempo); 0 = the next rep starts at once
    tempo_jitter = 0.2            # each rep's tempo varies by up to +/- this fraction (0-0.5)
    start_phase = 0.4             # reps only: the clip starts 40% of the way into the first rep, with no
                                  # lead-in; that rep is in the truth with "partial": true and is not in
                                  # rep_count
    exits = [[6.0, 1.5]]          # [start s, seconds]: the person is out of view (only the room is
                                  # rendered; the motion goes on unseen); the truth lists them, and a rep
                                  # that overlaps one is "partial" (not countable); a hold's good-form
                                  # seconds leave them out
    [camera]
    yaw_deg = 30.0                # 0 = straight in front of the person, 90 = side-on; overrides view,
                                  # which is a shorthand: front = 0, oblique = 45, side = 90. "Front" is
                                  # the exercise's own front: the feet end for the glute bridge, the
                                  # belly for the side-lying clamshell. facing picks the side (yaw > 0).
    pitch_deg = 20.0              # the camera looks down at the body's centre from this angle (0-40),
                                  # at distance_m (or the fitted distance) along that line; replaces height_m
    [look]
    body_scale = 1.1              # the whole body scaled by this factor (0.85-1.15): height and limbs
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..spec.loader import guarded, parse_toml, shown, suggest
from .body import variants
from .look import Look
from .motions import EXERCISES

VIEWS = ("side", "front", "oblique")
#: Camera yaw from the person's front (degrees) of each view name.
VIEW_YAW_DEG = {"front": 0.0, "oblique": 45.0, "side": 90.0}
FACINGS = ("left", "right")
SIDES = ("left", "right")
TOP_KEYS = ("exercise", "seed", "tempo", "lead_in_s", "lead_out_s", "first_side", "alternate", "camera",
            "look", "reps", "holds", "name", "fps", "rest_s", "tempo_jitter", "start_phase", "exits")
CAMERA_KEYS = ("view", "facing", "height_m", "distance_m", "hfov_deg", "jitter_px", "yaw_deg", "pitch_deg")
LOOK_KEYS = ("body", "body_scale", *Look.__dataclass_fields__.keys())
MAX_EXITS = 20
REP_KEYS = ("fault", "size", "side", "count")
HOLD_KEYS = ("seconds", "fault", "size", "side")
MAX_REPS = 200
MAX_SECONDS = 600.0
MAX_NAME = 100
# The name becomes the output file stem: no folders (a separator or ".." would write elsewhere), not
# hidden, no control characters.
_NAME = re.compile(r"[^./\\\x00-\x1f][^/\\\x00-\x1f]*")


class ClipError(SpecError, ValueError):
    """A clip description is malformed; the message names the file, the key, what was expected and
    what was found."""


@dataclass(frozen=True)
class CameraSpec:
    """Where the camera is: ``view`` of the person, the image side they face, height and distance.

    ``distance_m`` None means: fit the whole motion in the frame. ``yaw_deg`` None means: the yaw of
    ``view`` (:data:`VIEW_YAW_DEG`); ``pitch_deg`` None means: at ``height_m`` (or the exercise's
    default height), looking at the body's centre.
    """

    view: str = "side"
    facing: str = "right"
    height_m: float | None = None
    distance_m: float | None = None
    hfov_deg: float = 62.0
    jitter_px: float = 0.6
    yaw_deg: float | None = None
    pitch_deg: float | None = None

    @property
    def yaw(self) -> float:
        """The camera's yaw from the person's front in degrees (0 front .. 90 side-on)."""
        return self.yaw_deg if self.yaw_deg is not None else VIEW_YAW_DEG[self.view]


@dataclass(frozen=True)
class RepSpec:
    """One rep: good (``fault`` None) or with a named fault of ``size`` (None = the fault's default)."""

    fault: str | None = None
    size: float | None = None
    side: str | None = None


@dataclass(frozen=True)
class HoldSpec:
    """One stretch of a hold: ``seconds`` of good posture or of a fault."""

    seconds: float
    fault: str | None = None
    size: float | None = None
    side: str | None = None


@dataclass(frozen=True)
class Clip:
    """A validated clip description."""

    exercise: str
    seed: int = 0
    tempo: float = 1.0
    lead_in_s: float = 1.5
    lead_out_s: float = 1.0
    first_side: str = "left"
    alternate: bool = True
    camera: CameraSpec = field(default_factory=CameraSpec)
    body: str = "default"
    look: dict[str, str] = field(default_factory=dict)
    reps: tuple[RepSpec, ...] = ()
    holds: tuple[HoldSpec, ...] = ()
    name: str = ""
    fps: int = 30
    rest_s: float | None = None
    tempo_jitter: float = 0.0
    start_phase: float = 0.0
    exits: tuple[tuple[float, float], ...] = ()
    body_scale: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the description (as stored in the truth file)."""
        d = asdict(self)
        d["reps"] = [asdict(r) for r in self.reps]
        d["holds"] = [asdict(h) for h in self.holds]
        d["exits"] = [list(e) for e in self.exits]
        return d


def _where(source: str, key: str) -> str:
    return f"{source}: {key}" if key else source


def _key(key: object) -> str:
    """A user's key in a message: as written when short and plain, else quoted and cut."""
    return key if isinstance(key, str) and len(key) <= 60 and key.isidentifier() else shown(key)


def _unknown_keys(table: dict[str, Any], allowed: tuple[str, ...], source: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            near = suggest(key, allowed)
            hint = f"; did you mean {near!r}?" if near else f"; expected one of {', '.join(allowed)}"
            raise ClipError(f"{_where(source, prefix + _key(key))}: unknown key{hint}")


def _choice(value: Any, choices: tuple[str, ...] | list[str], source: str, key: str) -> str:
    if not isinstance(value, str) or value not in choices:
        near = suggest(value, choices)
        hint = f" (did you mean {near!r}?)" if near else ""
        raise ClipError(f"{_where(source, key)} = {shown(value)}; expected one of {', '.join(choices)}{hint}")
    return value


def _number(value: Any, source: str, key: str, lo: float, hi: float, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        kind = "an integer" if integer else "a number"
        raise ClipError(f"{_where(source, key)} = {shown(value)}; expected {kind} in [{lo:g}, {hi:g}]")
    if isinstance(value, float) and not math.isfinite(value):
        raise ClipError(f"{_where(source, key)} = {shown(value)}; expected a finite number in [{lo:g}, {hi:g}]")
    if not lo <= value <= hi:
        raise ClipError(f"{_where(source, key)} = {shown(value)}; expected a value in [{lo:g}, {hi:g}]")
    return value


def _optional(table: dict[str, Any], key: str, source: str, prefix: str, lo: float, hi: float) -> float | None:
    return None if key not in table else float(_number(table[key], source, prefix + key, lo, hi))


def _table(value: Any, source: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ClipError(f"{_where(source, key)}: expected a table, got {type(value).__name__}")
    return value


def parse_clip(data: dict[str, Any], source: str = "<clip>") -> Clip:
    """Validate a clip description (as parsed from TOML).

    Raises:
        ClipError: the first problem found, naming ``source`` and the key (also for data no check
            foresaw: then the message names the exception).
    """
    with guarded(source, ClipError):
        return _parse_clip(_table(data, source, ""), source)


def _parse_clip(data: dict[str, Any], source: str) -> Clip:
    _unknown_keys(data, TOP_KEYS, source, "")
    if "exercise" not in data:
        raise ClipError(f"{source}: missing key 'exercise'; expected one of {', '.join(EXERCISES)}")
    ex_id = _choice(data["exercise"], list(EXERCISES), source, "exercise")
    ex = EXERCISES[ex_id]
    seed = int(_number(data.get("seed", 0), source, "seed", 0, 2**31 - 1, integer=True))
    tempo = float(_number(data.get("tempo", 1.0), source, "tempo", 0.25, 4.0))
    lead_in = float(_number(data.get("lead_in_s", 1.5), source, "lead_in_s", 0.0, 30.0))
    lead_out = float(_number(data.get("lead_out_s", 1.0), source, "lead_out_s", 0.0, 30.0))
    first_side = _choice(data.get("first_side", "left"), SIDES, source, "first_side")
    alternate = data.get("alternate", ex.id == "lunge")
    if not isinstance(alternate, bool):
        raise ClipError(f"{source}: alternate = {shown(alternate)}; expected true or false")

    cam_raw = _table(data.get("camera", {}), source, "camera")
    _unknown_keys(cam_raw, CAMERA_KEYS, source, "camera.")
    camera = CameraSpec(
        view=_choice(cam_raw.get("view", ex.view), VIEWS, source, "camera.view"),
        facing=_choice(cam_raw.get("facing", "right"), FACINGS, source, "camera.facing"),
        height_m=_optional(cam_raw, "height_m", source, "camera.", 0.05, 3.0),
        distance_m=_optional(cam_raw, "distance_m", source, "camera.", 1.0, 8.0),
        hfov_deg=float(_number(cam_raw.get("hfov_deg", 62.0), source, "camera.hfov_deg", 30.0, 100.0)),
        jitter_px=float(_number(cam_raw.get("jitter_px", 0.6), source, "camera.jitter_px", 0.0, 10.0)),
        yaw_deg=_optional(cam_raw, "yaw_deg", source, "camera.", 0.0, 90.0),
        pitch_deg=_optional(cam_raw, "pitch_deg", source, "camera.", 0.0, 40.0),
    )
    if camera.pitch_deg is not None and camera.height_m is not None:
        raise ClipError(f"{source}: camera.pitch_deg: give either pitch_deg or height_m, not both "
                        "(the pitch sets the height)")
    fps = int(_number(data.get("fps", 30), source, "fps", 10, 60, integer=True))
    rest = _optional(data, "rest_s", source, "", 0.0, 30.0)
    tempo_jitter = float(_number(data.get("tempo_jitter", 0.0), source, "tempo_jitter", 0.0, 0.5))
    start_phase = float(_number(data.get("start_phase", 0.0), source, "start_phase", 0.0, 0.95))
    if start_phase > 0 and ex.kind != "reps":
        raise ClipError(f"{source}: start_phase: {ex.id} is a hold; start_phase starts a clip inside its first rep")
    if start_phase > 0 and data.get("lead_in_s", 0) != 0:
        raise ClipError(f"{source}: start_phase = {start_phase:g} starts the clip inside the first rep; "
                        "leave out lead_in_s or set it to 0")
    if start_phase > 0:
        lead_in = 0.0
    if rest is not None and ex.kind != "reps":
        raise ClipError(f"{source}: rest_s: {ex.id} is a hold; rest_s is the pause between reps")
    exits = _exits(data.get("exits", []), source)

    look_raw = _table(data.get("look", {}), source, "look")
    _unknown_keys(look_raw, LOOK_KEYS, source, "look.")
    body = _choice(look_raw.get("body", "default"), list(variants()), source, "look.body")
    body_scale = float(_number(look_raw.get("body_scale", 1.0), source, "look.body_scale", 0.85, 1.15))
    look = {k: v for k, v in look_raw.items() if k not in ("body", "body_scale")}
    for k, v in look.items():
        if not isinstance(v, str):
            raise ClipError(f"{source}: look.{k} = {shown(v)}; expected a string (a name from posecheck.synth.look)")
    probe = Look(**{f: look.get(f, _first_valid(f)) for f in Look.__dataclass_fields__})
    for problem in probe.validate():
        key, _, rest = problem.partition(" = ")  # "skin = 'x'; expected one of ...", value re-quoted short
        raise ClipError(f"{source}: look.{key} = {shown(look.get(key))}; {rest.rpartition('; ')[2]}")

    reps: list[RepSpec] = []
    holds: list[HoldSpec] = []
    if ex.kind == "reps":
        if "holds" in data:
            raise ClipError(f"{source}: holds: {ex.id} is counted in reps; use [[reps]] entries")
        raw = data.get("reps")
        if not isinstance(raw, list) or not raw:
            raise ClipError(f"{source}: reps: expected at least one [[reps]] entry for {ex.id}")
        for i, entry in enumerate(raw):
            key = f"reps[{i}]"
            entry = _table(entry, source, key)
            _unknown_keys(entry, REP_KEYS, source, key + ".")
            fault, size = _fault(entry, ex, source, key)
            side = None
            if "side" in entry:
                if not ex.sided:
                    raise ClipError(f"{source}: {key}.side: {ex.id} is not one-sided; remove 'side'")
                side = _choice(entry["side"], SIDES, source, key + ".side")
            count = int(_number(entry.get("count", 1), source, key + ".count", 1, MAX_REPS, integer=True))
            if len(reps) + count > MAX_REPS:
                raise ClipError(f"{source}: reps: more than {MAX_REPS} reps by {key}; expected at most {MAX_REPS}")
            reps.extend(RepSpec(fault, size, side) for _ in range(count))
        if ex.id == "clamshell":
            sides = {r.side or first_side for r in reps}
            if len(sides) > 1:
                raise ClipError(f"{source}: reps: a clamshell set keeps one top leg; found sides {sorted(sides)}")
    else:
        if "reps" in data:
            raise ClipError(f"{source}: reps: {ex.id} is a hold; use [[holds]] entries")
        raw = data.get("holds")
        if not isinstance(raw, list) or not raw:
            raise ClipError(f"{source}: holds: expected at least one [[holds]] entry for {ex.id}")
        for i, entry in enumerate(raw):
            key = f"holds[{i}]"
            entry = _table(entry, source, key)
            _unknown_keys(entry, HOLD_KEYS, source, key + ".")
            if "seconds" not in entry:
                raise ClipError(f"{source}: {key}: missing key 'seconds'")
            seconds = float(_number(entry["seconds"], source, key + ".seconds", 0.5, MAX_SECONDS))
            fault, size = _fault(entry, ex, source, key)
            side = _choice(entry["side"], SIDES, source, key + ".side") if "side" in entry else None
            holds.append(HoldSpec(seconds, fault, size, side))
    name = data.get("name", "")
    if not isinstance(name, str) or (name and (len(name) > MAX_NAME or not _NAME.fullmatch(name))):
        raise ClipError(
            f"{source}: name = {shown(name)}; expected a file name of at most {MAX_NAME} characters "
            "without / or \\ and not starting with a dot (it names the output files)"
        )
    return Clip(
        exercise=ex.id, seed=seed, tempo=tempo, lead_in_s=lead_in, lead_out_s=lead_out,
        first_side=first_side, alternate=alternate, camera=camera, body=body, look=look,
        reps=tuple(reps), holds=tuple(holds), name=name, fps=fps, rest_s=rest, tempo_jitter=tempo_jitter,
        start_phase=start_phase, exits=exits, body_scale=body_scale,
    )


def _exits(raw: Any, source: str) -> tuple[tuple[float, float], ...]:
    """``exits = [[start_s, seconds], ...]``: sorted, not overlapping."""
    if not isinstance(raw, list) or len(raw) > MAX_EXITS:
        raise ClipError(f"{source}: exits = {shown(raw)}; expected a list of at most {MAX_EXITS} "
                        "[start_s, seconds] pairs")
    out: list[tuple[float, float]] = []
    for i, item in enumerate(raw):
        key = f"exits[{i}]"
        if not isinstance(item, list) or len(item) != 2:
            raise ClipError(f"{source}: {key} = {shown(item)}; expected [start_s, seconds], e.g. [6.0, 1.5]")
        start = float(_number(item[0], source, key + "[0] (start_s)", 0.0, MAX_SECONDS))
        seconds = float(_number(item[1], source, key + "[1] (seconds)", 0.1, 30.0))
        if out and start < out[-1][0] + out[-1][1]:
            prev = out[-1][0] + out[-1][1]
            raise ClipError(f"{source}: {key} starts at {start:g} s, before exits[{i - 1}] ends at {prev:g} s; "
                            "expected exits in time order, not overlapping")
        out.append((start, seconds))
    return tuple(out)


def _first_valid(field_name: str) -> str:
    from .look import CLOTHING, FLOORS, HAIR, LIGHTING, MATS, SHOES, SKIN_TONES, WALLS

    first = {
        "skin": SKIN_TONES, "hair": HAIR, "top": CLOTHING, "bottom": CLOTHING, "shoes": SHOES,
        "lighting": LIGHTING, "floor": FLOORS, "wall": WALLS, "mat": MATS,
        "legs": {"shorts": 0}, "sleeves": {"short": 0},
    }[field_name]
    return next(iter(first))


def _fault(entry: dict[str, Any], ex: Any, source: str, key: str) -> tuple[str | None, float | None]:
    fault = entry.get("fault")
    if fault is None:
        if "size" in entry:
            raise ClipError(f"{source}: {key}.size: a size needs a fault; add fault = one of {', '.join(ex.faults)}")
        return None, None
    fault = _choice(fault, list(ex.faults), source, key + ".fault")
    size = entry.get("size")
    if size is not None:
        size = float(_number(size, source, key + ".size", -400.0, 400.0))
    return fault, size


def load_clip(path: str | Path) -> Clip:
    """Read and validate a clip TOML file.

    Raises:
        ClipError: unreadable file, TOML syntax error or invalid description (message names the file).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ClipError(f"{path}: cannot read clip file (not UTF-8 text: {exc.reason})") from None
    except OSError as exc:
        raise ClipError(f"{path}: cannot read clip file ({exc.strerror or type(exc).__name__})") from exc
    data = parse_toml(text, str(path), ClipError, "invalid TOML")
    clip = parse_clip(data, str(path))
    if not clip.name:
        clip = Clip(**{**clip.__dict__, "name": path.stem})
    return clip
