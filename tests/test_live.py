"""The live mode: pacing, guidance, keys, reload, log and voice on synthetic steps; then the whole loop
through the real pose model with a video file as the camera; then the window under Xvfb.

Only true boundaries are faked: the camera (a recording played at real-time pace, or one that stops
like an unplugged camera), the keyboard (scripted keys) and the loudspeaker (a voice that records).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from builders import pose_from_points

from posecheck.errors import CameraError, SpecError
from posecheck.evaluator import Evaluator
from posecheck.events import Cue
from posecheck.frame import Frame
from posecheck.live.coach import Coach, LiveStatus, SideSampler
from posecheck.stages.cues import CuePacer
from posecheck.live.guide import Guidance, SetupGuide, missing_message, out_of_frame
from posecheck.live.keys import HELP, Command, ScriptedKeys, command_for
from posecheck.live.log import LOG_NAME, SessionLog, read_log
from posecheck.live.reload import SpecWatcher
from posecheck.live.voice import BellVoice, SilentVoice, SpeechVoice
from posecheck.pipeline import make_step
from posecheck.sampler import Sample
from posecheck.sinks.overlay import Theme
from posecheck.spec import find_spec, load_spec
from posecheck.spec.schema import CueSpec

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_VIDEOS = ROOT / "sample_videos"
FRANK = ROOT.parent / "shared" / "videos" / "glute_bridge" / "frank_glute_bridge.mp4"
SIZE = (640, 480)

# A side-lying-on-the-back bridge pose, whole body inside a 640x480 frame.
BRIDGE_POINTS = {
    "nose": (60.0, 300.0), "left_ear": (70.0, 295.0), "right_ear": (70.0, 295.0),
    "left_shoulder": (120.0, 310.0), "right_shoulder": (122.0, 312.0),
    "left_hip": (300.0, 300.0), "right_hip": (302.0, 302.0),
    "left_knee": (420.0, 220.0), "right_knee": (422.0, 222.0),
    "left_ankle": (500.0, 320.0), "right_ankle": (502.0, 322.0),
    "left_heel": (505.0, 330.0), "right_heel": (507.0, 332.0),
    "left_foot_index": (540.0, 330.0), "right_foot_index": (542.0, 332.0),
}  # fmt: skip


# -- builders ---------------------------------------------------------------------------------------
def bridge_pose(**moved: tuple[float, float]):
    return pose_from_points({**BRIDGE_POINTS, **moved}, SIZE)


def bridge_values(values: dict[str, float]) -> dict[str, float]:
    """A bridge's metrics as the sampler gives them: lying down (torso tilt), and the hip line's rise above a
    resting 135 deg (hip_rise, the counting metric)."""
    rise = {"hip_rise": values["hip_line"] - 135.0} if "hip_line" in values else {}
    return {"torso_tilt": 95.0, **rise, **values}


def sample_at(t_s: float, pose, values: dict[str, float] | None = None, width: float = 0.1, view: float = 85.0) -> Sample:
    pts = None
    if pose is not None:
        from posecheck.sampler import extend_with_midpoints

        pts = extend_with_midpoints(pose.image_px.astype(float))
    return Sample(
        timestamp_ms=t_s * 1000.0, values=bridge_values(values or {"hip_line": 135.0, "knee": 90.0}),
        side="left", width_ratio=width if pose is not None else float("nan"),
        view_deg=view if pose is not None else float("nan"), pose=pose, points_px=pts,
        people_in_view=1 if pose is not None else 0,
    )  # fmt: skip


def frame_at(i: int, t_s: float) -> Frame:
    return Frame(i, t_s * 1000.0, np.zeros((SIZE[1], SIZE[0], 3), np.uint8))


def feed(evaluator: Evaluator, sink, samples: list[Sample]) -> None:
    """The loop's evaluator → step → sink part, on prepared samples."""
    for i, s in enumerate(samples):
        events = evaluator.update(s)
        sink.write(make_step(frame_at(i, s.t_s), s, events, evaluator))


def bridge_samples(start_s: float, seconds: float, fps: float = 30.0, **kw) -> list[Sample]:
    n = round(seconds * fps)
    return [sample_at(start_s + i / fps, bridge_pose(), **kw) for i in range(n)]


def spec_copy(tmp_path: Path, spec_id: str = "glute_bridge") -> Path:
    path = tmp_path / f"{spec_id}.toml"
    shutil.copy(find_spec(spec_id).path, path)
    return path


def make_coach(tmp_path: Path, spec=None, **kw) -> tuple[Coach, Evaluator, SilentVoice]:
    spec = spec or find_spec("glute_bridge")
    evaluator = Evaluator(spec)
    voice = SilentVoice()
    coach = Coach(spec, evaluator, SideSampler(spec), log=SessionLog(tmp_path / LOG_NAME), voice=voice, **kw)
    return coach, evaluator, voice


def log_types(path: Path) -> list[str]:
    return [r["type"] for r in read_log(path)] if path.is_file() else []


# -- keys -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key, command",
    [("q", Command.QUIT), ("\x1b", Command.QUIT), (" ", Command.PAUSE), ("r", Command.RESET),
     ("s", Command.SWITCH_SIDE), ("m", Command.MUTE), ("M", Command.MUTE), ("x", None), (None, None)],
)  # fmt: skip
def test_keys_map_to_commands(key, command):
    assert command_for(key) is command


def test_help_line_names_every_key():
    for word in ("q quit", "space pause", "r reset", "s switch side", "m mute"):
        assert word in HELP


def test_scripted_keys_fire_in_order_by_time_or_condition():
    now = [0.0]
    flag = [False]
    keys = ScriptedKeys([(0.5, " "), (lambda: flag[0], "q")], clock=lambda: now[0])
    assert keys.poll() is None
    now[0] = 0.6
    assert keys.poll() == " "
    assert keys.poll() is None
    flag[0] = True
    assert keys.poll() == "q" and keys.done and keys.pressed == [" ", "q"]


# -- cue pacing -------------------------------------------------------------------------------------
def test_cue_pacer_shows_one_cue_at_a_time_and_drops_stale_ones():
    pacer = CuePacer(CueSpec(show_s=2.0, cooldown_s=4.0))
    a, b, c = Cue(0.0, "lift higher", "hips_low", 2.0), Cue(0.5, "feet flat", "knee", 2.0), Cue(5.0, "c", "x", 2.0)
    assert pacer.update([a], 0.0) == (Cue(0.0, "lift higher", "hips_low", 2.0),)
    assert pacer.update([b], 0.5) == ()  # the screen is taken: b waits
    assert pacer.update([], 1.9) == ()
    assert [e.text for e in pacer.update([], 2.0)] == ["feet flat"]  # a's time is up, b is still fresh
    pacer.update([c], 5.0)
    assert pacer.update([Cue(5.1, "stale", "y", 2.0)], 5.1) == ()
    assert pacer.update([], 9.0) == ()  # waited 3.9 s > its 2 s: dropped, not shown late


def test_cue_pacer_does_not_repeat_a_text_within_the_cooldown():
    pacer = CuePacer(CueSpec(show_s=1.0, cooldown_s=4.0))
    assert pacer.update([Cue(0.0, "same", "a", 1.0)], 0.0)
    assert pacer.update([Cue(2.0, "same", "b", 1.0)], 2.0) == ()
    assert pacer.update([Cue(4.5, "same", "a", 1.0)], 4.5)


# -- set-up guidance --------------------------------------------------------------------------------
class GuideSink:
    """A sink that runs ``guide`` on every step and keeps what it said in ``seen``."""

    def __init__(self, guide: SetupGuide) -> None:
        self.guide, self.seen = guide, []

    def write(self, step):
        self.seen.append(self.guide.update(step))


def test_guidance_needs_the_person_then_the_view_then_counts_down_and_starts():
    spec = find_spec("glute_bridge")
    sink = GuideSink(SetupGuide(spec, countdown_s=2.0))
    evaluator = Evaluator(spec)
    seen: list[Guidance] = sink.seen

    feed(evaluator, sink, [sample_at(i / 30, None) for i in range(15)])
    assert seen[-1].stage == "setup" and seen[-1].reason == "absent" and not seen[-1].view_ok
    feed(evaluator, sink, bridge_samples(0.5, 4.0))
    stages = [g.stage for g in seen]
    assert "countdown" in stages and stages[-1] == "counting"
    countdowns = [g.countdown for g in seen if g.countdown is not None]
    assert countdowns[0] == 2 and countdowns[-1] == 1
    assert sum(g.started for g in seen) == 1
    first_ok = next(g for g in seen if g.view_ok)
    assert first_ok.message == "in view: get ready"


def test_guidance_says_which_part_is_out_of_frame_and_waits():
    spec = find_spec("glute_bridge")
    feet_out = {"left_ankle": (700.0, 320.0), "right_ankle": (702.0, 322.0)}
    sample = sample_at(0.0, bridge_pose(**feet_out))
    assert out_of_frame(spec, sample) == ["feet"]
    assert missing_message(["feet"]) == "step back: your feet are out of frame"
    assert missing_message(["head"]) == "step back: your head is out of frame"
    sink = GuideSink(SetupGuide(spec, countdown_s=1.0))
    out: list[Guidance] = sink.seen
    feed(Evaluator(spec), sink, [sample_at(i / 30, bridge_pose(**feet_out)) for i in range(90)])
    assert out[-1].message == "step back: your feet are out of frame" and out[-1].reason == "frame"
    assert {g.stage for g in out} == {"setup"}


def test_guidance_relays_the_evaluators_view_notice_without_stopping():
    # A front view keeps the bridge's checks (and its hip-line count) from working: guidance says so, and
    # the countdown still runs (the view never stops the set; the summary says what was not judged).
    spec = find_spec("glute_bridge")
    sink = GuideSink(SetupGuide(spec, countdown_s=0.5))
    out: list[Guidance] = sink.seen
    feed(Evaluator(spec), sink, [sample_at(i / 30, bridge_pose(), view=10.0) for i in range(60)])
    notices = [g for g in out if g.reason == "view"]
    assert notices and spec.view.hint in notices[0].message and "in front of you" in notices[0].message
    assert out[-1].stage == "counting"


def test_with_no_countdown_the_set_starts_on_the_first_frame_in_view():
    # A video file played as the camera has no countdown: it counts from the start, as analyze does.
    spec = find_spec("glute_bridge")
    sink = GuideSink(SetupGuide(spec, countdown_s=0.0))
    feed(Evaluator(spec), sink, [sample_at(i / 30, None) for i in range(3)] + bridge_samples(0.1, 0.5))
    started = next(i for i, g in enumerate(sink.seen) if g.started)
    assert sink.seen[started - 1].reason == "absent" and sink.seen[started].stage == "counting"


def test_guidance_off_counts_at_once():
    guide = SetupGuide(find_spec("glute_bridge"), enabled=False)
    assert guide.stage == "counting"


# -- the coach: keys, reload, log -------------------------------------------------------------------
def _start(coach: Coach, evaluator: Evaluator, t0: float = 0.0) -> float:
    """Walk the coach through set-up (1 s grace + countdown) with a good bridge pose; return the time."""
    seconds = coach.spec.view.grace_s + coach.guide.countdown_s + 0.5
    feed(evaluator, coach, bridge_samples(t0, seconds))
    assert coach.counting
    return t0 + seconds


def test_coach_holds_back_counting_during_setup_then_logs_reps(tmp_path):
    coach, evaluator, voice = make_coach(tmp_path, countdown_s=1.0)
    hip = np.concatenate(
        [
            np.full(10, 135.0),  # the hips are up at "go" (1.5 s): half a rep is not a rep
            np.linspace(135, 178, 30),
            np.full(30, 178.0),
            np.linspace(178, 135, 30),
            np.full(30, 135.0),
        ]
    )
    rep = [sample_at(i / 30, bridge_pose(), {"hip_line": v, "knee": 90.0}) for i, v in enumerate(hip)]
    feed(evaluator, coach, rep)  # a rep while setting up: not counted
    assert "rep" not in log_types(tmp_path / LOG_NAME)
    t = _start(coach, evaluator, 6.0)
    assert evaluator.reps == [] and "go" in voice.said
    later = [replace(s, timestamp_ms=s.timestamp_ms + t * 1000 + 1000) for s in rep]
    feed(evaluator, coach, later)
    records = read_log(tmp_path / LOG_NAME)
    reps = [r for r in records if r["type"] == "rep"]
    assert len(reps) == 1 and reps[0]["set"] == 1 and reps[0]["index"] == 1
    assert "1" in voice.said[-1]


@pytest.mark.parametrize("spec_id", ["clamshell"])
def test_coach_keys_pause_reset_switch_side_and_mute(tmp_path, spec_id):
    spec = find_spec(spec_id)
    coach, _, voice = make_coach(tmp_path, spec=spec, countdown_s=0.5)
    coach.command(Command.PAUSE)
    assert coach.paused and coach.status.paused
    coach.command(Command.PAUSE)
    assert not coach.paused
    coach.command(Command.MUTE)
    assert voice.muted and coach.status.muted
    coach.command(Command.MUTE)
    coach._last_side = "left"
    coach.command(Command.SWITCH_SIDE)
    assert coach.sampler.forced == "right" and coach.status.forced_side == "right"
    pose = pose_from_points({"left_hip": (300, 200), "right_hip": (300, 260)}, SIZE)  # left hip on top
    assert coach.sampler.update(pose, 0.0).side == "right"
    coach.command(Command.SWITCH_SIDE)
    assert coach.sampler.forced is None and coach.sampler.update(pose, 40.0).side == "left"
    coach.command(Command.RESET)
    assert coach.set_index == 2 and coach.guide.stage == "setup"
    types = log_types(tmp_path / LOG_NAME)
    assert types == ["paused", "resumed", "muted", "unmuted", "side", "side", "set_reset"]


def test_switch_side_on_a_two_sided_exercise_only_says_so(tmp_path):
    coach, _, _ = make_coach(tmp_path)
    coach.command(Command.SWITCH_SIDE)
    assert coach.sampler.forced is None and "not done per side" in coach.status.notice


def test_reset_keeps_the_finished_set(tmp_path):
    coach, evaluator, _ = make_coach(tmp_path, countdown_s=0.5)
    t = _start(coach, evaluator)
    hip = np.concatenate(
        [
            np.full(40, 135.0),
            np.linspace(135, 178, 30),
            np.full(30, 178.0),
            np.linspace(178, 135, 30),
            np.full(20, 135.0),
        ]
    )
    feed(
        evaluator,
        coach,
        [sample_at(t + i / 30, bridge_pose(), {"hip_line": v, "knee": 90.0}) for i, v in enumerate(hip)],
    )
    assert len(evaluator.reps) == 1
    coach.command(Command.RESET)
    assert evaluator.reps == [] and coach.previous_sets[0]["rep_count"] == 1
    assert [r["type"] for r in read_log(tmp_path / LOG_NAME)][-2:] == ["set_end", "set_reset"]


def test_hot_reload_applies_valid_edits_and_keeps_the_spec_on_invalid_ones(tmp_path):
    path = spec_copy(tmp_path)
    spec = load_spec(path)
    coach, evaluator, _ = make_coach(tmp_path, spec=spec)
    text = path.read_text()
    path.write_text(text.replace("min = 165.0", "min = 150.0"))
    coach.poll_reload()  # what the loop does before the next frame
    assert evaluator.spec.checks["hips_low"].min == 150.0 and coach.status.spec is evaluator.spec
    assert coach.status.reload_error is None and "checks" in coach.status.notice
    path.write_text(text.replace("min = 165.0", "min = [oops"))
    coach.poll_reload()
    assert evaluator.spec.checks["hips_low"].min == 150.0
    assert coach.status.reload_error and str(path) in coach.status.reload_error
    path.write_text(text.replace('kind = "reps"', 'kind = "hold"'))
    coach.poll_reload()
    assert "kind" in coach.status.reload_error and evaluator.spec.kind == "reps"
    path.write_text(text.replace("min = 165.0", "min = 160.0"))
    coach.poll_reload()
    assert evaluator.spec.checks["hips_low"].min == 160.0 and coach.status.reload_error is None
    types = log_types(tmp_path / LOG_NAME)
    assert types == ["spec_reloaded", "spec_reload_failed", "spec_reload_failed", "spec_reloaded"]


def test_spec_watcher_sees_each_save_once_and_ignores_a_missing_file(tmp_path):
    path = spec_copy(tmp_path)
    watcher = SpecWatcher(path)
    assert watcher.poll() is None
    path.write_text(path.read_text() + "\n# edited\n")
    first = watcher.poll()
    assert first is not None and first.spec is not None and watcher.poll() is None
    moved = path.with_suffix(".bak")
    path.rename(moved)
    assert watcher.poll() is None
    moved.rename(path)
    path.write_text("id = 1\n")
    outcome = watcher.poll()
    assert outcome is not None and outcome.spec is None and "id" in outcome.error


def test_session_log_is_on_disk_before_close(tmp_path):
    log = SessionLog(tmp_path / LOG_NAME)
    log.append("rep", index=1, metrics={"knee": float("nan"), "hip": 178.123456})
    record = json.loads((tmp_path / LOG_NAME).read_text().splitlines()[0])
    assert record["type"] == "rep" and record["metrics"] == {"knee": None, "hip": 178.123} and "time" in record
    log.close()
    log.close()


# -- voice ------------------------------------------------------------------------------------------
def test_speech_never_blocks_nor_builds_a_backlog(tmp_path):
    marker = tmp_path / "spoken.txt"
    engine = [
        sys.executable,
        "-c",
        f"import sys, time; open({str(marker)!r}, 'a').write(sys.argv[1] + '\\n'); time.sleep(0.3)",
    ]
    voice = SpeechVoice(engine)
    start = time.perf_counter()
    for i in range(10):
        voice.say(f"phrase {i}")
    assert time.perf_counter() - start < 0.2
    deadline = time.monotonic() + 10
    while voice.busy and time.monotonic() < deadline:
        time.sleep(0.05)
    voice.close()
    spoken = marker.read_text().split("\n")[:-1]
    assert spoken[-1] == "phrase 9" and len(spoken) <= 2


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_ng_speaks_offline(tmp_path):
    wav = tmp_path / "say.wav"
    voice = SpeechVoice(["espeak-ng", "-w", str(wav)])
    voice.say("three")
    deadline = time.monotonic() + 10
    while voice.busy and time.monotonic() < deadline:
        time.sleep(0.05)
    voice.close()
    assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 1000


def test_bell_rings_only_on_a_terminal_and_not_when_muted():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bell = BellVoice(stream)
    bell.say("3")
    bell.muted = True
    bell.say("4")
    assert stream.getvalue() == "\a"
    plain = io.StringIO()
    BellVoice(plain).say("3")
    assert plain.getvalue() == ""


# -- output folder, display, CLI errors -------------------------------------------------------------
def test_default_session_folder_is_dated_under_the_user_data_folder(tmp_path, monkeypatch):
    from datetime import datetime

    from posecheck.live.cli import default_out_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    when = datetime(2026, 3, 4, 5, 6, 7)
    first = default_out_dir(when)
    assert first == tmp_path / "posecheck" / "sessions" / "2026-03-04_050607"
    first.mkdir(parents=True)
    assert default_out_dir(when).name == "2026-03-04_050607-2"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_out_dir(when).parent == tmp_path / "home" / ".local" / "share" / "posecheck" / "sessions"


def test_no_display_says_so_and_suggests_headless_or_analyze(monkeypatch):
    from posecheck.errors import DisplayError
    from posecheck.live.window import probe_display

    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(DisplayError, match=r"no display .*--headless.*posecheck analyze"):
        probe_display()


def test_unreachable_display_is_found_in_a_child_process(monkeypatch):
    from posecheck.errors import DisplayError
    from posecheck.live.window import probe_display

    monkeypatch.setenv("DISPLAY", ":4242")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    with pytest.raises(DisplayError, match=r"cannot open a window on display ':4242'.*--headless"):
        probe_display()


def _live_main(argv: list[str]) -> int:
    from posecheck.cli import main

    return main(["live", *argv])


def test_display_is_checked_before_the_camera(monkeypatch, capsys, tmp_path):
    from posecheck.errors import DisplayError

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    code = _live_main(["-e", "glute_bridge", "--camera", "7", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == DisplayError.exit_code and len(err) == 1 and "no display" in err[0]
    assert not (tmp_path / "s").exists()


def test_missing_camera_is_one_line_listing_the_cameras_that_open(capsys, tmp_path):
    code = _live_main(["-e", "glute_bridge", "--camera", "7", "--headless", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == CameraError.exit_code and len(err) == 1
    assert "camera 7 does not open" in err[0] and ("cameras that open" in err[0] or "no camera opens" in err[0])


@pytest.mark.parametrize(
    "argv, message",
    [(["--camera", "0"], "no exercise given"),
     (["-e", "bridge", "--spec", "x.toml"], "not both"),
     (["-e", "glute_bridge", "--countdown", "-1"], "--countdown")],
)  # fmt: skip
def test_argument_errors_are_one_line(argv, message, capsys):
    assert _live_main([*argv, "--headless"]) == SpecError.exit_code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


# -- drawing (no display needed) --------------------------------------------------------------------
def _bone_pixels(img: np.ndarray) -> int:
    bone = np.array(Theme().bone, np.int16)
    return int((np.abs(img.astype(np.int16) - bone).max(axis=2) < 40).sum())


def test_hud_draws_skeleton_counter_guidance_and_status_bar():
    from posecheck.live.window import STATUS_BAR_PX, Hud

    spec = find_spec("glute_bridge")
    evaluator = Evaluator(spec)
    sample = sample_at(1.0, bridge_pose())
    step = make_step(frame_at(0, 1.0), sample, evaluator.update(sample), evaluator)
    image = np.full((SIZE[1], SIZE[0], 3), 90, np.uint8)
    hud = Hud(spec)
    status = LiveStatus(spec, Guidance("countdown", "in view: get ready", "ok", True, 2))
    canvas = hud.compose(image, step, (), status, now=0.0)
    assert canvas.shape == (SIZE[1] + STATUS_BAR_PX, SIZE[0], 3)
    assert (image == 90).all()  # the camera frame is never drawn on
    assert _bone_pixels(canvas) > 300
    green = np.array(Theme().good, np.int16)
    centre = canvas[SIZE[1] // 2 - 60 : SIZE[1] // 2 + 60, SIZE[0] // 2 - 60 : SIZE[0] // 2 + 60]
    assert (np.abs(centre.astype(np.int16) - green).max(axis=2) < 30).sum() > 500  # the big countdown digit
    assert canvas[SIZE[1] :].max() > 150  # text in the status bar
    paused = hud.compose(image, step, (), replace(status, paused=True, guidance=Guidance("counting")), now=0.0)
    assert _bone_pixels(paused) < 50  # no frozen skeleton while paused
    error = hud.compose(image, step, (), replace(status, reload_error="x.toml: bad"), now=0.0)
    assert (np.abs(error[80:110].astype(np.int16) - np.array([40, 40, 200])).max(axis=2) < 10).sum() > 1000


def test_hud_mirror_flips_picture_and_skeleton_together():
    from posecheck.live.window import Hud

    spec = find_spec("glute_bridge")
    evaluator = Evaluator(spec)
    sample = sample_at(1.0, bridge_pose())
    step = make_step(frame_at(0, 1.0), sample, evaluator.update(sample), evaluator)
    image = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    image[:, :100] = 255  # a white band on the left of the true picture
    status = LiveStatus(spec, Guidance("counting"))
    plain = Hud(spec).compose(image, step, (), status, now=0.0)[: SIZE[1]]
    mirrored = Hud(spec, mirror=True).compose(image, step, (), status, now=0.0)[: SIZE[1]]
    assert mirrored[200:, -50:].mean() > 200 and mirrored[200:, :50].mean() < 100
    bones = lambda img: np.argwhere(np.abs(img.astype(np.int16) - np.array(Theme().bone)).max(axis=2) < 40)  # noqa: E731
    assert abs(bones(plain)[:, 1].mean() - (SIZE[0] - bones(mirrored)[:, 1].mean())) < 6  # text pixels too


def test_summary_screen_lists_the_reps():
    from posecheck.live.window import Hud

    spec = find_spec("glute_bridge")
    report = {"source": "camera 0", "duration_s": 60.0, "frames_with_pose": 10, "frames": 10, "rep_count": 1,
              "rep_count_by_side": {}, "reps": [{"index": 1, "side": None, "start_s": 1.0, "end_s": 3.0, "faults": [],
              "metrics": {"hip_line": 178.0, "knee": 90.0}}], "holds": [], "warnings": [], "fault_labels": {}}  # fmt: skip
    img = Hud(spec).summary_screen(report, spec, Path("/tmp/s"), "quit")
    assert img.shape[0] >= 420 and (img > 200).sum() > 2000


# -- the whole loop through the real model ----------------------------------------------------------
def _bridge_clip() -> Path:
    clips = sorted(SAMPLE_VIDEOS.glob("glute_bridge*.mp4"))
    if clips:
        return clips[0]
    if FRANK.is_file():
        return FRANK
    pytest.skip("no glute bridge clip: sample_videos/ holds none and ../shared/videos is absent")


def _truth_reps(clip: Path) -> list[dict]:
    truth = clip.with_suffix(".truth.json")
    return json.loads(truth.read_text())["reps"] if truth.is_file() else []


def _run(source, spec, out: Path, options, keys=None, voice=None, backend=None):
    from posecheck.live.session import LiveSession
    from posecheck.pose import create_backend

    with backend or create_backend() as pose_backend:
        session = LiveSession(source, pose_backend, spec, out, options, keys=keys, voice=voice or SilentVoice())
        return session, session.run()


class After:
    """A key-script condition: true ``seconds`` after ``condition`` first held."""

    def __init__(self, condition, seconds: float) -> None:
        self.condition, self.seconds, self.since = condition, seconds, None

    def __call__(self) -> bool:
        if self.since is None and self.condition():
            self.since = time.monotonic()
        return self.since is not None and time.monotonic() - self.since >= self.seconds


@pytest.mark.model
def test_live_loop_through_the_model_with_a_file_as_camera(tmp_path):
    from posecheck.live.session import LiveOptions
    from posecheck.sources import open_source

    clip = _bridge_clip()
    spec = find_spec("glute_bridge")
    out = tmp_path / "session"
    out.mkdir()
    started = After(lambda: "set_start" in log_types(out / LOG_NAME), 0.5)  # the log is on disk at once
    timeout = After(lambda: True, 6.0)
    keys = ScriptedKeys([(lambda: started() or timeout(), "q")])
    options = LiveOptions(headless=True, countdown_s=1.0)
    voice = SilentVoice()
    with open_source(clip, realtime=True) as source:
        _, result = _run(source, spec, out, options, keys, voice)
    report = json.loads((out / "report.json").read_text())
    for key in ("exercise", "source", "duration_s", "frames", "frames_with_pose", "rep_count", "rep_count_by_side",
                "reps", "holds", "warnings"):  # fmt: skip
        assert key in report
    assert report["mode"] == "live" and report["session_complete"] and report["exercise"] == "glute_bridge"
    assert result.ended_by in ("quit", "end of input")
    assert report["frames_with_pose"] >= 0.9 * report["frames"] > 0
    assert "set_start" in log_types(out / LOG_NAME), "set-up guidance never reached the countdown's end"
    assert voice.said[:2] == ["1", "go"]
    stats = result.stats
    assert stats.frames_processed > 20 and stats.frames_captured >= stats.frames_processed
    assert stats.dropped_share < 0.8 and np.isfinite(stats.result_latency_p50_ms)
    assert report["live"]["frames_processed"] == stats.frames_processed
    assert not any(out.glob("*.mp4")), "no picture may be saved without --record"


@pytest.mark.model
def test_camera_unplugged_mid_set_keeps_every_rep_and_writes_the_report(tmp_path):
    from posecheck.live.session import LiveOptions
    from posecheck.sources import open_source

    clip = _bridge_clip()
    truth = _truth_reps(clip)
    stop_s = truth[0]["end_s"] + 1.0 if truth else 2.0

    class UnpluggedCamera:
        """A camera (here a recording at real-time pace) that stops delivering after ``stop_s``."""

        def __init__(self) -> None:
            self.inner = open_source(clip, realtime=True)
            self.info = replace(self.inner.info, source="camera 0")

        def __iter__(self):
            for frame in self.inner:
                if frame.timestamp_ms > stop_s * 1000:
                    raise CameraError(f"camera 0 stopped delivering frames after {frame.index} frames (unplugged?)")
                yield frame

    camera = UnpluggedCamera()
    out = tmp_path / "session"
    out.mkdir()
    try:
        _, result = _run(camera, find_spec("glute_bridge"), out, LiveOptions(headless=True, guidance=False))
    finally:
        camera.inner.close()
    assert result.ended_by == "camera stopped" and isinstance(result.error, CameraError)
    report = json.loads((out / "report.json").read_text())
    assert report["session_complete"] and any("unplugged" in w for w in report["warnings"])
    logged = [r for r in read_log(out / LOG_NAME) if r["type"] == "rep"]
    assert [r["index"] for r in logged] == [r["index"] for r in report["reps"]]
    if truth:
        assert len(logged) >= 1
    assert log_types(out / LOG_NAME)[-1] == "session_end"


@pytest.mark.model
def test_injected_keys_drive_the_running_session(tmp_path):
    from posecheck.live.session import LiveOptions
    from posecheck.sources import open_source

    clip = _bridge_clip()
    out = tmp_path / "session"
    out.mkdir()
    voice = SilentVoice()
    keys = ScriptedKeys([(0.3, "m"), (0.6, " "), (1.6, " "), (1.9, "s"), (2.2, "r"), (2.6, "q")])
    with open_source(clip, realtime=True) as source:
        session, result = _run(
            source, find_spec("glute_bridge"), out, LiveOptions(headless=True, countdown_s=0.5), keys, voice
        )
    assert keys.done and result.ended_by == "quit"
    types = log_types(out / LOG_NAME)
    for kind in ("muted", "paused", "resumed", "set_reset"):
        assert kind in types
    assert types.index("muted") < types.index("paused") < types.index("resumed") < types.index("set_reset")
    assert session.status.muted and session.status.set_index == 2
    stats = result.stats
    assert stats.frames_paused >= 20, "frames during the 1 s pause are not analysed"
    assert stats.frames_processed + stats.frames_dropped + stats.frames_paused <= stats.frames_captured
    assert result.report["set"] == 2


@pytest.mark.model
def test_hot_reload_while_running(tmp_path):
    from posecheck.live.session import LiveOptions
    from posecheck.sources import open_source

    clip = _bridge_clip()
    path = spec_copy(tmp_path)
    text = path.read_text()
    out = tmp_path / "session"
    out.mkdir()

    def edit(new_text: str):
        def do() -> bool:
            path.write_text(new_text)
            return True

        return do

    valid, invalid = text.replace("min = 165.0", "min = 150.0"), text.replace("min = 165.0", "min = [")
    # The key script doubles as the clock of the edits: "" is no key.
    keys = ScriptedKeys([(0.8, ""), (edit(valid), ""), (1.8, ""), (edit(invalid), ""), (3.0, "q")])
    with open_source(clip, realtime=True) as source:
        session, result = _run(source, load_spec(path), out, LiveOptions(headless=True, guidance=False), keys)
    types = log_types(out / LOG_NAME)
    assert types.index("spec_reloaded") < types.index("spec_reload_failed")
    assert result.spec.checks["hips_low"].min == 150.0
    assert session.evaluator.spec.checks["hips_low"].min == 150.0
    assert session.status.reload_error and "not valid TOML" in session.status.reload_error


@pytest.mark.model
def test_ctrl_c_ends_cleanly_with_summary_and_report(tmp_path):
    clip = _bridge_clip()
    out = tmp_path / "session"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "posecheck", "live", "-e", "glute_bridge", "--camera", str(clip), "--headless",
         "--mute", "--no-setup", "--out", str(out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell that runs pytest in the background ignores SIGINT, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()  # printed once the model is loaded and the session starts
    assert "Ctrl-C" in first
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "ended by interrupted" in stdout and "Reps counted" in stdout
    report = json.loads((out / "report.json").read_text())
    assert report["ended_by"] == "interrupted" and report["session_complete"]


@pytest.mark.model
def test_closing_the_window_ends_the_session_cleanly(tmp_path):
    from posecheck.live.session import LiveOptions, LiveSession
    from posecheck.live.window import STATUS_BAR_PX
    from posecheck.pose import create_backend
    from posecheck.sources import open_source

    class ClosedByUser:
        """The window (the GUI toolkit is the boundary): keeps what it was shown; the user closes it
        after 45 pictures."""

        def __init__(self, name: str) -> None:
            self.name, self.shown, self.closed = name, [], False

        def show(self, image: np.ndarray) -> None:
            assert not self.closed
            self.shown.append(image)

        def poll(self, wait_ms: int = 1) -> str | None:
            time.sleep(wait_ms / 1000)
            self.closed = self.closed or len(self.shown) >= 45
            return None

        def close(self) -> None:
            self.closed = True

    windows: list[ClosedByUser] = []
    out = tmp_path / "session"
    out.mkdir()
    with open_source(_bridge_clip(), realtime=True) as source, create_backend() as backend:
        size = (source.info.height, source.info.width)
        session = LiveSession(
            source, backend, find_spec("glute_bridge"), out, LiveOptions(guidance=False), voice=SilentVoice(),
            window_factory=lambda name: windows.append(ClosedByUser(name)) or windows[-1],
        )  # fmt: skip
        result = session.run()
    assert result.ended_by == "window closed" and result.error is None
    window = windows[0]
    assert window.name == "Glute bridge" and len(window.shown) == 45  # no summary screen on a closed window
    assert all(img.shape[:2] == (size[0] + STATUS_BAR_PX, size[1]) for img in window.shown)
    assert np.isfinite(result.stats.screen_latency_p50_ms) and result.stats.display_fps > 0
    report = json.loads((out / "report.json").read_text())
    assert report["ended_by"] == "window closed" and log_types(out / LOG_NAME)[-1] == "session_end"


# -- the window under a virtual X display -----------------------------------------------------------
@pytest.fixture(scope="module")
def xvfb():
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None or shutil.which("import") is None:
        pytest.skip("Xvfb, xdotool and ImageMagick's import are needed (apt-get install xvfb xdotool imagemagick)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def _xdo(display: str, *args: str) -> str:
    env = {**os.environ, "DISPLAY": display}
    return subprocess.run(
        ["xdotool", *args], env=env, capture_output=True, text=True, timeout=20, check=False
    ).stdout.strip()


def _screenshot(display: str, window: str, path: Path) -> np.ndarray | None:
    subprocess.run(
        ["import", "-display", display, "-window", window, str(path)], capture_output=True, timeout=20, check=False
    )
    return cv2.imread(str(path)) if path.is_file() else None


def _text_template(text: str) -> np.ndarray:
    from posecheck.sinks.overlay import _text

    img = np.zeros((60, 40 + 14 * len(text), 3), np.uint8)
    _text(img, text, (10, 35), Theme(), scale=1.1)
    ys, xs = np.nonzero(img.max(axis=2))
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@pytest.mark.model
def test_window_shows_skeleton_and_counter_under_xvfb(xvfb, tmp_path):
    clip = _bridge_clip()
    out = tmp_path / "session"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPLAY": xvfb}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "posecheck", "live", "-e", "glute_bridge", "--camera", str(clip), "--mute",
         "--no-setup", "--out", str(out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        window = ""
        deadline = time.monotonic() + 30
        while not window and time.monotonic() < deadline and proc.poll() is None:
            window = _xdo(xvfb, "search", "--name", "posecheck live").split("\n")[0]
            time.sleep(0.2)
        assert window, "the window never appeared"
        title = _xdo(xvfb, "getwindowname", window)
        assert "Glute bridge" in title and "q quit" in title and "space pause" in title
        shot = None
        for i in range(40):  # until the first pose result is drawn
            shot = _screenshot(xvfb, window, tmp_path / f"shot{i}.png")
            if shot is not None and _bone_pixels(shot) > 150:
                break
            time.sleep(0.2)
        assert shot is not None and _bone_pixels(shot) > 150, "no skeleton on screen"
        top = shot[:60, :400]
        scores = [cv2.matchTemplate(top, _text_template(f"Glute bridge: Reps {n}"), cv2.TM_CCOEFF_NORMED).max()
                  for n in range(4)]  # fmt: skip
        assert max(scores) > 0.9, f"no rep counter in the window (best match {max(scores):.2f})"
        _xdo(xvfb, "windowfocus", "--sync", window, "key", "q")
        time.sleep(1.0)
        summary = _screenshot(xvfb, window, tmp_path / "summary.png")
        assert summary is not None and (summary == 24).all(axis=2).mean() > 0.6, "no summary screen at the end"
        _xdo(xvfb, "windowfocus", "--sync", window, "key", "space")
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "ended by quit" in stdout
    report = json.loads((out / "report.json").read_text())
    assert report["live"]["display_fps"] > 0 and report["live"]["screen_latency_p50_ms"] is not None


def test_a_finished_set_with_an_unmeasured_metric_still_makes_valid_json():
    import json
    import math

    from posecheck.events import RepRecord, Summary
    from posecheck.live.coach import _set_record

    rep = RepRecord(1, "left", 1.0, 2.5, (), {"knee": math.nan, "hip_line": 178.04321})
    record = _set_record(Summary(reps=(rep,)), 1)
    assert json.loads(json.dumps(record, allow_nan=False))["reps"][0]["metrics"] == {"knee": None, "hip_line": 178.043}
