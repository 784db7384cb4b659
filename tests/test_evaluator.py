"""The evaluator frame by frame on synthetic metric sequences (no video, no model)."""

import numpy as np
import pytest
from builders import concat, hold, ramp, rep, samples

from posecheck import events as ev
from posecheck.evaluator import Evaluator
from posecheck.spec import find_spec
from posecheck.stages.messages import Reason

REST, TOP = 135.0, 178.0


def run(spec, seq):
    evaluator = Evaluator(spec)
    out = []
    for s in seq:
        out.extend(evaluator.update(s))
    out.extend(evaluator.finish())
    return evaluator, out


LYING, SITTING = 95.0, 20.0  # torso tilt from vertical


def bridge(hip_line, knee=None, torso_tilt=None, **kw):
    knee = np.full(len(hip_line), 90.0) if knee is None else knee
    torso_tilt = np.full(len(hip_line), LYING) if torso_tilt is None else torso_tilt
    # hip_rise is the hip line above its resting value (the sampler's minus_low baseline): here REST.
    rise = np.asarray(hip_line, float) - REST
    return samples({"hip_line": hip_line, "hip_rise": rise, "knee": knee, "torso_tilt": torso_tilt}, **kw)


@pytest.fixture(scope="module")
def bridge_spec():
    return find_spec("glute_bridge")


def test_clean_reps_are_counted_with_no_faults(bridge_spec):
    seq = concat(hold(REST, 1.5), *[concat(rep(REST, TOP), hold(REST, 0.8)) for _ in range(5)])
    evaluator, out = run(bridge_spec, bridge(seq))
    summary = evaluator.summary
    assert summary.rep_count == 5
    assert all(r.faults == () for r in summary.reps)
    assert summary.reps[0].metrics["hip_line"] == pytest.approx(TOP, abs=0.5)
    assert sum(isinstance(e, ev.RepCompleted) for e in out) == 5
    assert isinstance(out[1], ev.Ready)


def test_flicker_at_a_threshold_does_not_double_count(bridge_spec):
    rng = np.random.default_rng(1)
    enter = bridge_spec.reps.enter
    flicker = enter + rng.uniform(-3, 3, 90)  # 3 s hovering around the enter threshold
    seq = concat(hold(REST, 1.5), ramp(REST, enter, 0.5), flicker, ramp(enter, TOP, 0.5), hold(TOP, 0.5),
                 ramp(TOP, REST, 1.0), hold(REST, 1.0))
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rep_count == 1


def test_movement_while_getting_into_position_is_not_counted(bridge_spec):
    # Sitting down and lying back: the hip line swings through the rep range while the torso is upright.
    settling = concat(ramp(180, 120, 0.6), ramp(120, 170, 0.6), ramp(170, REST, 0.6))
    seq = concat(settling, hold(REST, 1.2), rep(REST, TOP), hold(REST, 0.5))
    tilt = concat(np.full(len(settling), SITTING), np.full(len(seq) - len(settling), LYING))
    evaluator, out = run(bridge_spec, bridge(seq, torso_tilt=tilt))
    assert evaluator.summary.rep_count == 1
    assert [e for e in out if isinstance(e, ev.Ready)][0].t_s == pytest.approx(len(settling) / 30, abs=0.05)


def test_a_rep_from_the_first_frames_counts(bridge_spec):
    # No lead-in: the hips start rising 0.1 s in.
    seq = concat(hold(REST, 0.1), rep(REST, TOP, up_s=0.8), hold(REST, 0.5), rep(REST, TOP), hold(REST, 0.3))
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rep_count == 2
    assert evaluator.summary.reps[0].start_s <= 0.25


def test_a_clip_that_starts_mid_rep_counts_from_the_next_rep(bridge_spec):
    seq = concat(hold(TOP, 0.5), ramp(TOP, REST, 1.0), hold(REST, 0.5), rep(REST, TOP), hold(REST, 0.5))
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rep_count == 1
    assert evaluator.summary.reps[0].start_s >= 1.5


def test_standing_up_mid_rep_drops_it_and_says_why(bridge_spec):
    up = concat(hold(REST, 0.5), ramp(REST, TOP, 1.0), hold(TOP, 1.5))
    tilt = concat(np.full(len(up) - 30, LYING), np.full(30, SITTING))
    evaluator, out = run(bridge_spec, bridge(up, torso_tilt=tilt))
    rejected = evaluator.summary.rejected
    assert [r.reason for r in rejected] == [Reason.LEFT_POSITION]
    assert "the torso tilt read 20 deg; the position needs 55 deg-180 deg" in rejected[0].message
    assert evaluator.summary.rep_count == 0 and evaluator.phase == "setup"


def test_a_shallow_movement_is_reported_with_how_far_it_went(bridge_spec):
    seq = concat(hold(REST, 1.0), rep(REST, 145.0), hold(REST, 1.0))
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rep_count == 0
    (r,) = evaluator.summary.rejected
    assert r.reason is Reason.SHALLOW and r.reached == pytest.approx(145.0 - REST, abs=0.5)
    assert "1 movement not counted as reps: the hip rise reached 10.0 deg but a rep needs 11.0 deg" in evaluator.summary.warnings


def test_jitter_at_rest_is_not_a_movement(bridge_spec):
    rng = np.random.default_rng(3)
    seq = REST + 3 + rng.uniform(-2, 2, 150)  # hovering around the exit threshold, far below enter
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rejected == () and evaluator.summary.warnings == ()


def test_never_reaching_the_start_position_says_why(bridge_spec):
    seq = concat(*[concat(rep(REST, TOP), hold(REST, 0.5)) for _ in range(3)])
    evaluator, _ = run(bridge_spec, bridge(seq, torso_tilt=np.full(len(seq), SITTING)))
    assert evaluator.summary.rep_count == 0
    (warning,) = evaluator.summary.warnings
    assert warning.startswith("counting never began: the torso tilt was never in 55 deg-180 deg (it read 20 deg")


def test_a_rep_cut_off_at_the_end_is_partial_unless_it_came_back(bridge_spec):
    cut = concat(hold(REST, 0.5), ramp(REST, TOP, 1.0), hold(TOP, 1.0))
    evaluator, _ = run(bridge_spec, bridge(cut))
    assert evaluator.summary.rep_count == 0
    assert [r.reason for r in evaluator.summary.rejected] == [Reason.INPUT_ENDED]
    assert "1 movement not counted as reps: the input ended mid-rep (a partial rep)" in evaluator.summary.warnings
    # Lowered to just above exit when the clip ends: the lowering was seen, the rep counts.
    back = concat(cut, ramp(TOP, 142.0, 1.0))
    evaluator, _ = run(bridge_spec, bridge(back))
    assert evaluator.summary.rep_count == 1


def test_a_short_dropout_mid_rep_keeps_the_rep(bridge_spec):
    seq = concat(hold(REST, 1.5), rep(REST, TOP, top_s=2.0), hold(REST, 1.0))
    present = np.ones(len(seq), bool)
    present[80:90] = False  # 0.33 s at the top
    evaluator, out = run(bridge_spec, bridge(seq, present=present))
    assert evaluator.summary.rep_count == 1
    assert not any(isinstance(e, ev.PersonLost) for e in out)


def test_a_long_dropout_mid_rep_drops_the_rep_and_says_so(bridge_spec):
    seq = concat(hold(REST, 1.5), rep(REST, TOP, top_s=3.0), hold(REST, 1.5))
    present = np.ones(len(seq), bool)
    present[80:120] = False  # 1.3 s
    evaluator, out = run(bridge_spec, bridge(seq, present=present))
    assert evaluator.summary.rep_count == 0
    assert any(isinstance(e, ev.PersonLost) for e in out)
    assert any(isinstance(e, ev.RepRejected) and e.reason is Reason.LEFT_FRAME for e in out)
    assert "1 movement not counted as reps: the person left the frame" in evaluator.summary.warnings
    assert any("no person in 1.3 s" in w for w in evaluator.summary.warnings)


def test_a_too_quick_movement_is_not_a_rep(bridge_spec):
    seq = concat(hold(REST, 1.5), rep(REST, TOP, up_s=0.2, top_s=0.1, down_s=0.2), hold(REST, 1.0))
    evaluator, out = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rep_count == 0
    assert any(isinstance(e, ev.RepRejected) and e.message.startswith("too quick (0.") for e in out)


@pytest.mark.parametrize(
    "top_part, knee, fault",
    [
        (hold(155, 1.5), 90.0, "hips_low"),
        (hold(200, 1.5), 90.0, "over_lift"),
        (concat(hold(TOP, 0.5), ramp(TOP, 163, 0.4), hold(163, 1.5)), 90.0, "hip_sag"),
        (hold(TOP, 1.5), 150.0, "knee_angle"),
    ],
)
def test_each_bridge_fault_is_reported_on_its_rep_only(bridge_spec, top_part, knee, fault):
    good = concat(ramp(REST, TOP, 1.0), hold(TOP, 1.5), ramp(TOP, REST, 1.0), hold(REST, 0.8))
    peak = top_part[0]
    bad = concat(ramp(REST, peak, 1.0), top_part, ramp(top_part[-1], REST, 1.0), hold(REST, 0.8))
    seq = concat(hold(REST, 1.5), good, bad, good)
    knees = np.full(len(seq), 90.0)
    start = int(1.5 * 30) + len(good)
    knees[start : start + len(bad)] = knee
    evaluator, out = run(bridge_spec, bridge(seq, knee=knees))
    faults = [r.faults for r in evaluator.summary.reps]
    assert faults == [(), (fault,), ()]
    assert any(isinstance(e, ev.Cue) and e.fault == fault for e in out)


def test_a_slow_lowering_is_not_a_sag(bridge_spec):
    seq = concat(hold(REST, 1.5), ramp(REST, TOP, 1.0), hold(TOP, 2.0), ramp(TOP, REST, 3.0), hold(REST, 1.0))
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert [r.faults for r in evaluator.summary.reps] == [()]


def test_a_front_view_keeps_counting_lunges_and_skips_the_side_view_checks():
    spec = find_spec("lunge")
    stand, bottom = 1.0, 0.55
    hip = concat(hold(stand, 0.5), *[concat(rep(stand, bottom), hold(stand, 0.5)) for _ in range(3)])
    n = len(hip)
    values = {"hip_height": hip, "front_knee": np.full(n, 140.0), "back_knee": np.full(n, 95.0),
              "torso": np.full(n, 5.0), "shin": np.full(n, 10.0), "back_knee_height": np.full(n, 0.9)}  # fmt: skip
    evaluator, out = run(spec, samples(values, view_deg=10.0))
    summary = evaluator.summary
    assert summary.rep_count == 3
    assert all(r.faults == () for r in summary.reps)  # a 140 deg knee read from the front is not judged
    assert set(summary.reps[0].not_judged) == set(spec.checks)
    assert summary.view_deg == 10.0
    notes = [w for w in summary.warnings if "not judged" in w]
    assert len(notes) == 1 and notes[0].startswith("hip height, front knee") is False
    assert "front knee" in notes[0] and "the camera is in front of you (about 10 deg from in front)" in notes[0]
    assert spec.view.hint in notes[0]
    assert sum(isinstance(e, ev.ViewWarning) for e in out) == 1


def test_a_view_the_rep_metric_cannot_count_in_is_said(bridge_spec):
    seq = concat(hold(REST, 0.5), *[concat(rep(REST, TOP), hold(REST, 0.8)) for _ in range(3)])
    evaluator, _ = run(bridge_spec, bridge(seq, view_deg=5.0))
    assert evaluator.summary.rep_count == 0
    assert any(w.startswith("reps not counted for") and "in front of you" in w for w in evaluator.summary.warnings)


def test_live_counting_starts_when_told(bridge_spec):
    # Live: the set-up guide and its countdown are the gate; the evaluator counts from "go" even when the
    # starting position cannot be measured (here: no torso tilt), which on its own it would wait for.
    seq = concat(hold(REST, 0.5), rep(REST, TOP), hold(REST, 0.5))
    for started, reps in ((True, 1), (False, 0)):
        evaluator = Evaluator(bridge_spec)
        if started:
            evaluator.start()
        for s in bridge(seq, torso_tilt=np.full(len(seq), np.nan)):
            evaluator.update(s)
        assert evaluator.summary.rep_count == reps
    assert evaluator.summary.warnings == ("counting never began: the torso tilt could not be measured",)


def test_two_people_in_view_is_reported(bridge_spec):
    seq = concat(hold(REST, 1.5), rep(REST, TOP), hold(REST, 0.5))
    evaluator, _ = run(bridge_spec, bridge(seq, people=2))
    assert evaluator.summary.rep_count == 1
    assert any("more than one person in view" in w for w in evaluator.summary.warnings)


def test_lunges_are_counted_per_side():
    spec = find_spec("lunge")
    stand, bottom = 1.0, 0.55
    values = {"hip_height": concat(hold(stand, 1.5), rep(stand, bottom), hold(stand, 0.5), rep(stand, bottom), hold(stand, 0.5))}
    n = len(values["hip_height"])
    for name in ("front_knee", "back_knee", "torso", "shin", "back_knee_height"):
        values[name] = np.full(n, {"front_knee": 90, "back_knee": 95, "torso": 5, "shin": 10, "back_knee_height": 0.2}[name])
    seq = samples(values)
    half = int((1.5 + 3.0 + 0.25) * 30)
    seq = [s if i < half else type(s)(**{**s.__dict__, "side": "right"}) for i, s in enumerate(seq)]
    evaluator, _ = run(spec, seq)
    assert evaluator.summary.rep_count_by_side == {"left": 1, "right": 1}
    assert [r.side for r in evaluator.summary.reps] == ["left", "right"]


def test_hold_good_form_time_and_fault():
    spec = find_spec("hip_flexor_stretch")
    torso = concat(hold(0.0, 10.0), hold(20.0, 4.0), hold(0.0, 6.0))
    n = len(torso)
    seq = samples({"front_knee": np.full(n, 90.0), "back_knee": np.full(n, 95.0), "torso": torso,
                   "back_thigh": np.full(n, 15.0)}, side="right")
    evaluator, out = run(spec, seq)
    holds = evaluator.summary.holds
    assert len(holds) == 1
    h = holds[0]
    assert h.side == "right" and h.faults == ("torso_lean",)
    assert h.good_form_s == pytest.approx(16.0, abs=0.1)  # the spell before the fault was confirmed is taken back
    assert any(isinstance(e, ev.HoldProgress) for e in out)


def test_hold_survives_a_short_dropout_but_not_a_long_one():
    spec = find_spec("hip_flexor_stretch")
    n = 30 * 12
    vals = {"front_knee": np.full(n, 90.0), "back_knee": np.full(n, 95.0), "torso": np.zeros(n), "back_thigh": np.full(n, 15.0)}
    present = np.ones(n, bool)
    present[90:100] = False   # 0.33 s: bridged
    present[200:260] = False  # 2 s: ends the hold
    evaluator, _ = run(spec, samples(vals, present=present))
    holds = evaluator.summary.holds
    assert len(holds) == 2
    assert holds[0].good_form_s == pytest.approx(200 / 30, abs=0.1)


def test_reset_and_hot_swap(bridge_spec):
    evaluator = Evaluator(bridge_spec)
    for s in bridge(concat(hold(REST, 1.5), rep(REST, TOP), hold(REST, 0.5))):
        evaluator.update(s)
    assert evaluator.summary.rep_count == 1
    import dataclasses
    stricter = dataclasses.replace(
        bridge_spec, checks={**bridge_spec.checks, "hips_low": dataclasses.replace(bridge_spec.checks["hips_low"], min=179.0)}
    )
    evaluator.swap_spec(stricter)
    t0 = 4.5
    for s in bridge(concat(rep(REST, TOP), hold(REST, 0.5))):
        evaluator.update(type(s)(**{**s.__dict__, "timestamp_ms": s.timestamp_ms + t0 * 1000}))
    assert [r.faults for r in evaluator.summary.reps] == [(), ("hips_low",)]
    evaluator.reset()
    assert evaluator.summary.rep_count == 0


def test_a_hot_swap_reaches_the_checks_judged_every_frame():
    # The evaluator looks up each check's thresholds once; a swap must make it look again.
    import dataclasses

    spec = find_spec("hip_flexor_stretch")
    n = 30 * 8
    seq = samples({"front_knee": np.full(n, 90.0), "back_knee": np.full(n, 95.0), "torso": np.full(n, 8.0),
                   "back_thigh": np.full(n, 15.0)})  # fmt: skip
    evaluator = Evaluator(spec)
    first = [e for s in seq[: n // 2] for e in evaluator.update(s)]
    assert not any(isinstance(e, ev.FaultStarted) for e in first)
    good_before = evaluator.hold_good_s
    lean = dataclasses.replace(spec.checks["torso_lean"], max=5.0)
    stricter = dataclasses.replace(spec, checks={"torso_lean": lean}, hold=dataclasses.replace(spec.hold, target_s=3.0))
    evaluator.swap_spec(stricter)
    second = [e for s in seq[n // 2 :] for e in evaluator.update(s)]
    assert [e.fault for e in second if isinstance(e, ev.FaultStarted)] == ["torso_lean"]
    assert evaluator.hold_good_s == pytest.approx(good_before, abs=0.1)  # a hold check failing: no good form
    assert evaluator.active_faults == {"torso_lean"}


def test_the_summary_does_not_call_unjudged_reps_good_form():
    from posecheck.sinks.report import Report
    from posecheck.sinks.terminal import format_summary

    spec = find_spec("lunge")
    hip = concat(hold(1.0, 0.5), rep(1.0, 0.55), hold(1.0, 0.5))
    n = len(hip)
    values = {"hip_height": hip, **{k: np.full(n, v) for k, v in
              {"front_knee": 90, "back_knee": 95, "torso": 5, "shin": 10, "back_knee_height": 0.2}.items()}}  # fmt: skip
    evaluator, _ = run(spec, samples(values, view_deg=10.0))
    report = Report.of(spec, "clip.mp4", evaluator.summary, n, n, n / 30).to_json()
    text = format_summary(report, spec)
    assert "0 in good form, 1 with no fault seen but not fully judged (camera view)" in text
    assert f"no fault seen ({len(spec.checks)} of {len(spec.checks)} checks not judged from this view)" in text
    assert report["view_deg"] == 10.0 and report["reps"][0]["not_judged"] == sorted(spec.checks)


def test_a_rep_already_under_way_when_first_seen_is_reported(bridge_spec):
    # Live on a file, the first frames may be dropped: the hips are already rising when first seen.
    seq = concat(ramp(REST + 8, TOP, 0.8), hold(TOP, 1.0), ramp(TOP, REST, 1.0), hold(REST, 0.5))
    evaluator, _ = run(bridge_spec, bridge(seq))
    assert evaluator.summary.rep_count == 0
    (r,) = evaluator.summary.rejected
    assert r.reason is Reason.UNDER_WAY and r.start_s < 0.5
    assert evaluator.summary.warnings == (
        "1 movement not counted as reps: it was already under way when first seen (a rep is counted from the "
        "starting position)",
    )


def test_no_hold_found_says_what_kept_the_body_out_of_position():
    spec = find_spec("hip_flexor_stretch")
    n = 30 * 5
    seq = samples({"front_knee": np.full(n, 170.0), "back_knee": np.full(n, 95.0), "torso": np.zeros(n),
                   "back_thigh": np.full(n, 15.0)})  # fmt: skip
    evaluator, _ = run(spec, seq)
    assert evaluator.summary.holds == ()
    assert evaluator.summary.warnings == (
        "no hold found: the front knee was never in 55 deg-130 deg (it read 170 deg to 170 deg mostly)",
    )
