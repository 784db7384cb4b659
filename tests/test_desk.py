"""posecheck desk: the state and break stages frame by frame, then the real model on synthetic desk footage,
the command line end to end, interrupts and every error message."""

from __future__ import annotations

import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from posecheck.cli import main
from posecheck.desk.breaks import BreakTracker
from posecheck.desk.clock import ManualClock
from posecheck.desk.config import DeskConfig
from posecheck.desk.events import BreakEnded, BreakStarted, DeskState, Reminder, ReminderOutcome, StateChanged
from posecheck.desk.keys import ScheduledCommands
from posecheck.desk.log import DaySummary
from posecheck.desk.notify import Notifier
from posecheck.desk.state import DeskStateTracker, Observation
from posecheck.errors import PosecheckError, SourceError
from posecheck.frame import Frame, VideoInfo
from posecheck.live.voice import SilentVoice

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "sample_videos" / "desk_demo.mp4"
NOTE = "posecheck: note: "
STEP = 1.5
SEATED, STANDING, AWAY = DeskState.SEATED, DeskState.STANDING, DeskState.AWAY
#: The stage-test script: (state, seconds).
Script = list[tuple[DeskState, float]]


def run_breaks(script: Script, config: DeskConfig, snooze_at: tuple[float, ...] = ()) -> list:
    """Feed a BreakTracker the confirmed state of each 1.5 s sample of ``script``; all its events."""
    tracker = BreakTracker(config)
    events: list = []
    t, spans = 0.0, []
    start = 0.0
    for state, seconds in script:
        spans.append((start, start + seconds, state))
        start += seconds
    snoozes = list(snooze_at)
    previous, since = None, 0.0
    while t < start:
        state = next(s for a, b, s in spans if a <= t < b)
        if state is not previous:
            previous, since = state, t  # the state stage dates a change at the first sample showing it
        events += tracker.update(t, state, since)
        while snoozes and snoozes[0] <= t:
            snoozes.pop(0)
            events += tracker.snooze(t)
        t += STEP
    return events


def times(events: list, kind: type) -> list[float]:
    return [e.t_s for e in events if isinstance(e, kind)]


# ---------------------------------------------------------------- the break stage
def test_reminder_at_the_sit_limit_then_every_repeat() -> None:
    events = run_breaks([(SEATED, 55 * 60)], DeskConfig())
    assert times(events, Reminder) == [1800.0, 2400.0, 3000.0]
    assert [e.index for e in events if isinstance(e, Reminder)] == [1, 2, 3]


def test_reminder_minute_follows_the_option() -> None:
    events = run_breaks([(SEATED, 20 * 60)], DeskConfig(sit_limit_s=7 * 60, repeat_s=5 * 60))
    assert times(events, Reminder) == [420.0, 720.0, 1020.0]


def test_a_break_resets_the_sitting_timer() -> None:
    script = [(SEATED, 1000.0), (STANDING, 150.0), (SEATED, 2000.0)]
    events = run_breaks(script, DeskConfig())
    assert times(events, BreakStarted) == [1000.5]  # the first sample up (samples fall on a 1.5 s grid)
    assert times(events, BreakEnded) == [1150.5]
    assert times(events, Reminder)[0] == pytest.approx(1150.5 + 1800, abs=STEP)


def test_a_short_stand_is_not_a_break() -> None:
    script = [(SEATED, 1000.0), (STANDING, 60.0), (AWAY, 50.0), (SEATED, 1000.0)]
    events = run_breaks(script, DeskConfig())
    assert times(events, BreakStarted) == []
    assert times(events, Reminder)[0] == 1800.0  # the stretch went on through 110 s up and away


def test_no_reminder_while_standing() -> None:
    script = [(SEATED, 1790.0), (STANDING, 100.0), (SEATED, 300.0)]
    events = run_breaks(script, DeskConfig())
    assert times(events, Reminder) == [1890.0]  # due at 1800 but up then: given on sitting down again


def test_snooze_delays_reminders() -> None:
    events = run_breaks([(SEATED, 50 * 60)], DeskConfig(), snooze_at=(1810.0,))
    reminders = times(events, Reminder)
    assert reminders[0] == 1800.0
    assert reminders[1] == pytest.approx(1810.5 + 600, abs=STEP)  # due at 2400, snoozed until 2410.5
    outcomes = [e for e in events if isinstance(e, ReminderOutcome)]
    assert outcomes[0].index == 1 and outcomes[0].outcome == "snoozed"


def test_heeded_and_ignored_reminders() -> None:
    script = [(SEATED, 1800.0 + 240), (AWAY, 200.0), (SEATED, 1800.0 + 400)]
    events = run_breaks(script, DeskConfig())
    outcomes = [(e.index, e.outcome) for e in events if isinstance(e, ReminderOutcome)]
    assert outcomes == [(1, "heeded"), (2, "ignored")]  # break 4 min after the 1st; none within 5 of the 2nd


# ---------------------------------------------------------------- the state stage
def seated_obs(t: float, rise: float = 0.0, seen: bool = True, face: bool = True) -> Observation:
    width = 0.25
    if not seen:
        return Observation(t, False)
    return Observation(t, True, 0.35 - rise * width if face else math.nan, 0.6 - rise * width, width)


def track(obs: list[Observation], config: DeskConfig | None = None) -> tuple[DeskStateTracker, list]:
    tracker = DeskStateTracker(config or DeskConfig())
    events: list = []
    for o in obs:
        events += tracker.update(o)
    return tracker, events


def test_calibration_then_standing_with_onset() -> None:
    obs = [seated_obs(i * STEP) for i in range(10)] + [seated_obs(15 + i * STEP, rise=1.0) for i in range(4)]
    tracker, events = track(obs)
    assert tracker.baseline is not None and tracker.baseline.shoulder_y == pytest.approx(0.6)
    changes = [(e.t_s, e.state) for e in events if isinstance(e, StateChanged)]
    assert changes == [(0.0, SEATED), (15.0, STANDING)]  # dated at the first sample up, confirmed later


@pytest.mark.parametrize("bad", [
    seated_obs(0, rise=1.0),              # one frame that looks risen
    seated_obs(0, rise=0.0, seen=False),  # one frame with nobody found
])  # fmt: skip
def test_one_bad_frame_does_not_flip_the_state(bad: Observation) -> None:
    obs = [seated_obs(i * STEP) for i in range(10)]
    obs.append(replace(bad, t_s=15.0))
    obs += [seated_obs(16.5 + i * STEP) for i in range(5)]
    _, events = track(obs)
    assert [e.state for e in events if isinstance(e, StateChanged)] == [SEATED]


def test_away_after_the_absence_time_dated_at_its_start() -> None:
    obs = [seated_obs(i * STEP) for i in range(10)] + [seated_obs(15 + i * STEP, seen=False) for i in range(10)]
    tracker, _ = track(obs)
    assert tracker.state is AWAY and tracker.since == 15.0


def test_face_out_of_the_top_needs_less_rise() -> None:
    obs = [seated_obs(i * STEP) for i in range(10)] + [seated_obs(15 + i * STEP, rise=0.35, face=False) for i in range(4)]
    tracker, _ = track(obs)
    assert tracker.state is STANDING
    tracker, _ = track(obs[:10] + [seated_obs(15 + i * STEP, rise=0.35) for i in range(4)])
    assert tracker.state is SEATED  # the same rise with the face in view is fidgeting


def test_summary_says_why_nothing_was_judged() -> None:
    summary = DaySummary(DeskConfig())
    tracker = DeskStateTracker(DeskConfig())
    breaks = BreakTracker(DeskConfig())
    for i in range(40):
        o = Observation(i * STEP, False)
        summary.update(o.t_s, False, tracker.update(o))
    s = summary.to_json(breaks, source="x", duration_s=60.0, ended_by="end of input", started=datetime.now())
    assert not s["judged"] and s["seated_s"] == 0
    assert any("no person was seen in 1 min of input" in n for n in s["notes"])


def test_summary_says_calibration_never_happened() -> None:
    summary = DaySummary(DeskConfig())
    tracker = DeskStateTracker(DeskConfig())
    obs = [seated_obs(0.0), seated_obs(1.5)] + [Observation(3 + i * STEP, False) for i in range(20)]
    for o in obs:
        summary.update(o.t_s, o.seen, tracker.update(o))
    s = summary.to_json(BreakTracker(DeskConfig()), source="x", duration_s=31.5, ended_by="end of input",
                        started=datetime.now())
    assert not s["calibrated"]
    assert any("never calibrated" in n for n in s["notes"])


# ---------------------------------------------------------------- notifications
def test_notification_runs_notify_send_and_survives_its_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    called = tmp_path / "called.txt"
    tool = tmp_path / "notify-send"
    tool.write_text(f"#!/bin/sh\necho \"$@\" >> {called}\nexit 1\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out, voice = io.StringIO(), SilentVoice()
    n = Notifier(voice, desktop=True, stream=out)
    n.remind("0:30:00", "time to stand", "stand up", "posecheck: time for a break")
    deadline = time.monotonic() + 5
    while not called.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "time to stand" in called.read_text()
    assert out.getvalue() == "[0:30:00] time to stand\n" and voice.said == ["stand up"]
    assert Notifier(SilentVoice(), desktop=False, stream=out).notify_send is None  # --headless: none


# ---------------------------------------------------------------- the real model on synthetic footage
#: A short afternoon: 200 s seated, up 30 s, away 150 s (a break), back, seated 160 s.
CLIP_SCRIPT = (("seated", 200.0), ("standing", 30.0), ("away", 150.0), ("standing", 12.0), ("seated", 160.0))


@pytest.fixture(scope="module")
def desk_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from posecheck.synth.desk import Segment, render_desk

    script = tuple(Segment(s, d) for s, d in CLIP_SCRIPT)
    return render_desk(tmp_path_factory.mktemp("desk"), "desk_test", script, seed=5, fps=1.0).video


@pytest.fixture(scope="module")
def desk_run(desk_clip: Path, tmp_path_factory: pytest.TempPathFactory):
    from posecheck.desk.session import watch_file

    config = DeskConfig(sit_limit_s=120.0, repeat_s=60.0)
    out = tmp_path_factory.mktemp("desk_out")
    return watch_file(desk_clip, out, config, commands=ScheduledCommands({}))


def test_state_accuracy_on_synthetic_footage(desk_clip: Path, desk_run) -> None:
    from posecheck.synth.desk import load_desk_truth, score_states

    timeline = [(x["t_s"], x["state"]) for x in desk_run.summary["timeline"]]
    score = score_states(timeline, load_desk_truth(desk_clip))
    assert score["share"] >= 0.95, score
    for state in ("seated", "standing", "away"):
        assert score["per_state"][state]["right"] >= 0.8, (state, score)


def test_reminders_fire_at_the_right_simulated_minute(desk_run) -> None:
    s = desk_run.summary
    given = [r["t_s"] for r in s["reminders"]]
    assert given[0] == pytest.approx(120.0, abs=STEP)  # sit limit 2 min
    assert given[1] == pytest.approx(180.0, abs=STEP)  # repeat 1 min while still seated
    assert s["breaks_taken"] == 1
    assert s["breaks"][0]["start_s"] == pytest.approx(200.0, abs=2 * STEP)
    # After the break (back at about 392 s) the timer starts again: the next reminder 2 min later.
    back = s["breaks"][0]["end_s"]
    assert back == pytest.approx(200 + 30 + 150 + 12, abs=3 * STEP)
    assert next(r for r in given if r > back) == pytest.approx(back + 120.0, abs=STEP)
    assert s["reminders"][0]["outcome"] == "heeded" and s["reminders"][1]["outcome"] == "heeded"


def test_desk_jsonl_has_every_change_and_reminder(desk_run) -> None:
    records = [json.loads(line) for line in desk_run.log_path.read_text().splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end"
    assert kinds.count("reminder") == desk_run.summary["reminders_given"]
    states = [r["state"] for r in records if r["type"] == "state"]
    assert states[:4] == ["seated", "standing", "away", "standing"] and states[-1] == "seated"
    assert all(set(r) >= {"time", "clock", "t_s"} for r in records)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", "desk", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, check=False, stdin=subprocess.DEVNULL)


def test_command_line_end_to_end(desk_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("--camera", str(desk_clip), "--speed", "100000", "--headless", "--mute", "--out", str(out),
                "--sit-limit", "2", "--break", "1.5")
    assert r.returncode == 0, r.stderr
    assert "You have been sitting for 2 min" in r.stdout
    assert "Desk summary" in r.stdout and "breaks taken 1" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ended_by"] == "end of input" and summary["settings"]["break_s"] == 90.0
    assert summary["reminders_given"] >= 1
    # stdin was not a terminal: told once that s + Enter cannot snooze.
    notes = [x for x in r.stderr.splitlines() if x.startswith(NOTE)]
    assert notes == [NOTE + "snooze: stdin is not a terminal, so s + Enter cannot be read"]


def test_interrupt_keeps_the_log_and_writes_the_summary(desk_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "posecheck", "desk", "--camera", str(desk_clip), "--speed", "20", "--headless",
         "--mute", "--out", str(out), "--sit-limit", "0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT,
    )  # fmt: skip
    log = out / "desk.jsonl"
    deadline = time.monotonic() + 90
    seen: list[dict] = []
    while time.monotonic() < deadline:
        if log.exists():
            seen = [json.loads(x) for x in log.read_text().splitlines()]
            if any(r["type"] == "reminder" for r in seen):
                break
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    assert any(r["type"] == "reminder" for r in seen), "the reminder was not in desk.jsonl while running"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1] == "posecheck: interrupted; results so far were kept"
    assert "Traceback" not in stderr
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert records[: len(seen)] == seen and records[-1]["type"] == "session_end"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ended_by"] == "interrupted" and summary["reminders_given"] >= 1
    assert summary["duration_s"] < 300  # interrupted well before the end of the clip


# ---------------------------------------------------------------- errors: one line, non-zero exit
def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """Run ``posecheck desk argv``: its exit code and its one error line (notes aside)."""
    code = main(["desk", *argv])
    err = [x for x in capsys.readouterr().err.strip().splitlines() if not x.startswith(NOTE)]
    assert len(err) == 1, err
    assert err[0].startswith("posecheck: error: ")
    return code, err[0]


@pytest.mark.parametrize("argv, code, words", [
    (["--camera", "no_such_clip.mp4"], 3, "no_such_clip.mp4: no such file"),
    (["--camera", "0", "--speed", "60"], 3, "a camera runs in real time; --speed needs a video file"),
    (["--camera", "x.mp4", "--sit-limit", "abc"], 1, "--sit-limit abc: expected a positive number"),
    (["--camera", "x.mp4", "--break", "0"], 1, "--break 0: expected a positive number"),
    (["--camera", "x.mp4", "--repeat", "-5"], 1, "--repeat -5: expected a positive number"),
    (["--camera", "x.mp4", "--snooze", "nan"], 1, "--snooze nan: expected a positive number"),
    (["--camera", "x.mp4", "--sample-every", "inf"], 1, "--sample-every inf: expected a positive number"),
])  # fmt: skip
def test_error_messages(capsys: pytest.CaptureFixture[str], argv: list[str], code: int, words: str) -> None:
    got, line = one_error(capsys, argv)
    assert got == code and words in line


def test_bad_speed_with_a_file(capsys: pytest.CaptureFixture[str], desk_clip: Path) -> None:
    got, line = one_error(capsys, ["--camera", str(desk_clip), "--speed", "0"])
    assert got == 1 and "--speed 0: expected a positive number" in line


def test_corrupt_video(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video at all\n")
    got, line = one_error(capsys, ["--camera", str(bad)])
    assert got == 3 and "it holds text, not video" in line


def test_absent_camera(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from posecheck import sources

    class Closed:
        def isOpened(self) -> bool:
            return False

        def release(self) -> None:
            pass

    monkeypatch.setattr(sources, "_open_camera", lambda index: Closed())
    got, line = one_error(capsys, ["--camera", "3"])
    assert got == 3 and "camera 3 does not open; no camera opens on this machine" in line


def test_full_disk(capsys: pytest.CaptureFixture[str], desk_clip: Path, tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    out = tmp_path / "out"
    out.mkdir()
    (out / "desk.jsonl").symlink_to("/dev/full")
    got, line = one_error(capsys, ["--camera", str(desk_clip), "--speed", "100000", "--headless", "--mute",
                                   "--out", str(out)])
    assert got == 6 and "desk.jsonl: cannot write the session log (No space left on device)" in line


@pytest.mark.parametrize("under, words", [
    (True, ("cannot create the output folder (Not a directory): part of the path is a file, not a folder; "
            "choose another --out")),
    (False, "cannot create the output folder (File exists): a file of that name is in the way; choose another --out"),
])  # fmt: skip
def test_output_folder_cannot_be_created(capsys: pytest.CaptureFixture[str], tmp_path: Path, under: bool,
                                         words: str) -> None:
    from posecheck.desk.session import watch_file
    from posecheck.errors import OutputError

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n")
    out = blocker / "out" if under else blocker
    got, line = one_error(capsys, ["--camera", str(DEMO), "--headless", "--mute", "--out", str(out)])
    assert got == 6 and line == f"posecheck: error: {out}: {words}"
    with pytest.raises(OutputError, match=re.escape(words)):
        watch_file(DEMO, out)


@pytest.mark.parametrize("field, value", [("break_s", 0.0), ("sit_limit_s", -60.0), ("sample_every_s", math.nan),
                                          ("num_poses", 0)])
def test_desk_config_refuses_a_setting_that_is_not_positive(field: str, value: float) -> None:
    words = f"desk setting {field} must be a positive number, got {value!r}; give it a value above 0"
    with pytest.raises(PosecheckError, match=re.escape(words)):
        DeskConfig(**{field: value})


def test_video_cut_before_its_index(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = DEMO.read_bytes()
    cut = tmp_path / "desk_cut.mp4"
    cut.write_bytes(data[: len(data) * 4 // 10])  # OpenCV writes the MP4 index last: it is cut off
    got, line = one_error(capsys, ["--camera", str(cut), "--headless", "--mute", "--out", str(tmp_path / "out")])
    assert got == 3 and "desk_cut.mp4: the MP4 index ('moov' box) is missing, so the file is truncated" in line


def cut_avi(tmp_path: Path, frames: int = 60) -> Path:
    """An AVI of ``frames`` 1 fps frames cut to its first 40% of bytes (its header announces them all)."""
    import cv2

    whole = tmp_path / "whole.avi"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 1.0, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (48, 64, 3), np.uint8))
    writer.release()
    data = whole.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 4 // 10])
    return cut


def test_video_truncated_mid_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cut, out = cut_avi(tmp_path), tmp_path / "out"
    got, line = one_error(capsys, ["--camera", str(cut), "--speed", "100000", "--headless", "--mute",
                                   "--out", str(out)])
    assert got == 3 and re.search(r"cut\.avi: decoding stopped at frame \d+ \(about [\d.]+ s\) but the container "
                                  r"announces 60 frames; the file looks truncated", line), line
    summary = json.loads((out / "summary.json").read_text())  # what was read before the damage is kept
    assert summary["ended_by"] == "error" and summary["samples"] > 5
    assert json.loads((out / "desk.jsonl").read_text().splitlines()[-1])["type"] == "session_end"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["desk", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--camera", "--speed", "--sit-limit", "--break", "--repeat", "--snooze", "--sample-every",
                   "--headless", "--mute", "--out", "s + Enter"):
        assert option in text


# ---------------------------------------------------------------- sampling
def test_file_sampler_takes_the_nearest_frame(desk_clip: Path) -> None:
    from posecheck.desk.sampling import FileSampler

    with FileSampler(str(desk_clip)) as s:
        a = s.frame_at(0.0)
        assert a is not None and a.index == 0
        assert s.frame_at(0.4) is a  # nearer frame 0 than frame 1 (1 fps)
        b = s.frame_at(10.6)
        assert b is not None and b.index == 11 and b.timestamp_ms == 11_000.0  # the container's time
        assert s.frame_at(10_000.0) is None


def test_file_sampler_names_a_truncated_file(tmp_path: Path) -> None:
    from posecheck.desk.sampling import FileSampler

    with FileSampler(str(cut_avi(tmp_path))) as s:
        assert s.info.frame_count == 60
        assert s.frame_at(10.0) is not None  # frames before the cut are read
        with pytest.raises(SourceError, match="the file looks truncated"):
            s.frame_at(59.0)


def test_camera_sampler_drops_stale_frames() -> None:
    from posecheck.desk.sampling import CAMERA_STALE_FRAMES, CameraSampler

    class Fake:
        def __init__(self) -> None:
            self.grabs = self.reads = 0

        def isOpened(self) -> bool:
            return True

        def read(self) -> tuple[bool, np.ndarray]:
            self.reads += 1
            return True, np.zeros((4, 4, 3), np.uint8)

        def grab(self) -> bool:
            self.grabs += 1
            return True

        def get(self, prop: int) -> float:
            return 30.0

        def set(self, prop: int, value: float) -> bool:
            return True

        def release(self) -> None:
            pass

    fake = Fake()
    sampler = CameraSampler(0, capture_factory=lambda i: fake)
    sampler.frame_at(0.0)  # the frame read when the camera opened
    assert fake.grabs == 0
    sampler.frame_at(1.5)
    assert fake.grabs == CAMERA_STALE_FRAMES - 1 and fake.reads == 2
    sampler.close()


# ---------------------------------------------------------------- the session loop with stand-ins
class StillSampler:
    """A file-like sampler of blank frames, ``seconds`` long."""

    is_file = True

    def __init__(self, seconds: float = 600.0) -> None:
        self.info = VideoInfo("still.mp4", 64, 48, 1.0, int(seconds))
        self.seconds = seconds

    def frame_at(self, t_s: float) -> Frame | None:
        return Frame(int(t_s), t_s * 1000.0, np.zeros((48, 64, 3), np.uint8)) if t_s < self.seconds else None

    def close(self) -> None:
        pass


class FailingBackend:
    """Finds nobody, then fails the way a bug or a native crash would (not a PosecheckError)."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0

    def detect(self, frame: Frame) -> list:
        self.calls += 1
        if self.calls > self.after:
            raise RuntimeError("decoder crashed")
        return []


def session(out: Path, backend: object, stream: io.StringIO | None = None):
    from posecheck.desk.session import DeskSession

    notifier = Notifier(SilentVoice(), desktop=False, stream=stream or io.StringIO())
    return DeskSession(StillSampler(), backend, DeskConfig(), out, notifier, ManualClock())  # type: ignore[arg-type]


def test_an_unexpected_error_still_ends_the_log_and_writes_the_summary(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="decoder crashed"):  # re-raised, not swallowed
        session(tmp_path, FailingBackend(after=4)).run()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ended_by"] == "error" and summary["samples"] == 4
    last = json.loads((tmp_path / "desk.jsonl").read_text().splitlines()[-1])
    assert last["type"] == "session_end" and last["ended_by"] == "error"


def test_a_break_at_second_zero_is_not_taken_as_missing(tmp_path: Path) -> None:
    stream = io.StringIO()
    s = session(tmp_path, FailingBackend(after=0), stream)
    s._show(ReminderOutcome(400.0, 1, 0.0, "heeded", break_s=0.0))
    assert "reminder 1 heeded: a break began 0 s after it" in stream.getvalue()


def test_the_voice_is_closed_when_the_session_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    from posecheck import pose
    from posecheck.live import voice

    class Voice(SilentVoice):
        closed = False

        def close(self) -> None:
            self.closed = True

    spoken = Voice()
    monkeypatch.setattr(voice, "make_voice", lambda: spoken)
    monkeypatch.setattr(pose, "create_backend", lambda **kw: contextlib.nullcontext(FailingBackend(after=2)))
    with pytest.raises(RuntimeError, match="decoder crashed"):
        main(["desk", "--camera", str(DEMO), "--speed", "100000", "--headless", "--out", str(tmp_path)])
    assert spoken.closed
    assert json.loads((tmp_path / "summary.json").read_text())["ended_by"] == "error"
