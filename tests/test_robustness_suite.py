"""The robustness suite (benchmarks/robustness.py): its seed sets and draws, its fault labels, and a CI gate
on its small ``ci`` subset, rendered and analysed with the real model."""

from __future__ import annotations

import json
import re
import sys
import time

import numpy as np
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import robustness  # noqa: E402

from posecheck.synth import parse_clip  # noqa: E402
from posecheck.synth.motions import EXERCISES  # noqa: E402

CRITERIA = ROOT.parent / "shared" / "docs" / "exercise-criteria.md"


def test_seed_sets_are_disjoint_and_cover_every_exercise():
    tune = robustness.seeds("tune")
    held = robustness.seeds("held")
    assert not {s for _, s in tune} & {s for _, s in held}
    assert len(tune) + len(held) >= 100
    for plan in (tune, held):
        assert {ex for ex, _ in plan} == set(robustness.SUITE_EXERCISES)
        assert len({s for _, s in plan}) == len(plan)
    # More clips per exercise never reuse the other set's seeds either.
    assert not {s for _, s in robustness.seeds("tune", 100)} & {s for _, s in robustness.seeds("held", 100)}
    with pytest.raises(ValueError, match="unknown seed set 'test'"):
        robustness.seeds("test")


def test_draws_are_deterministic_valid_and_vary(monkeypatch):
    plan = robustness.seeds("tune") + robustness.seeds("held")
    descs = [robustness.draw_clip(ex, seed) for ex, seed in plan]
    assert descs == [robustness.draw_clip(ex, seed) for ex, seed in plan]
    assert len({robustness.clip_key(d) for d in descs}) == len(descs)
    for d in descs:
        clip = parse_clip(d, d["name"])
        assert 0 <= clip.camera.yaw <= 90 and 0.6 <= clip.tempo <= 1.6 and 0 <= clip.lead_in_s <= 2
        if clip.reps:
            assert 2 <= len(clip.reps) <= 6 and 0 <= clip.rest_s <= 1
    yaws = [d["camera"]["yaw_deg"] for d in descs]
    assert min(yaws) < 15 and max(yaws) > 75
    assert sum(d["lead_in_s"] == 0 for d in descs) > 20 and sum(d.get("rest_s") == 0 for d in descs) > 15
    assert any(d.get("start_phase") for d in descs) and any(d.get("exits") for d in descs)
    assert len({d["look"]["body"] for d in descs}) >= 3
    # The generator's version is in the cache key: a changed generator renders again.
    key = robustness.clip_key(descs[0])
    monkeypatch.setattr(robustness, "GENERATOR_VERSION", robustness.GENERATOR_VERSION + 1)
    assert robustness.clip_key(descs[0]) != key


def test_drawn_fault_sizes_avoid_the_ambiguous_zone_and_labels_follow_the_criteria():
    seen: dict[tuple[str, str], set[bool]] = {}
    for ex, seed in robustness.seeds("tune", 60) + robustness.seeds("held", 60):
        d = robustness.draw_clip(ex, seed)
        for item in d.get("reps", []) + d.get("holds", []):
            if not item.get("fault"):
                continue
            row = next(r for r in robustness.FAULTS if (r.exercise, r.fault) == (ex, item["fault"]))
            lo, hi = row.zone()
            assert not lo < item["size"] < hi, (row, item)
            assert row.band[0] <= item["size"] <= row.band[1]
            labels = robustness.truth_labels(ex, item["fault"], item["size"])
            past = item["size"] > row.threshold if row.direction == ">" else item["size"] < row.threshold
            assert labels == ({item["fault"]} if past else set())
            seen.setdefault((ex, item["fault"]), set()).add(past)
    # Every fault is drawn on both sides of its threshold.
    assert set(seen) == {(r.exercise, r.fault) for r in robustness.FAULTS}
    assert all(sides == {True, False} for sides in seen.values()), seen


@pytest.mark.parametrize(("exercise", "fault", "size", "want"), [
    ("glute_bridge", "hips_low", 150.0, {"hips_low"}),
    ("glute_bridge", "hips_low", 172.0, set()),
    ("glute_bridge", "over_lift", 196.0, {"over_lift"}),
    ("glute_bridge", "hip_sag", 6.0, set()),
    ("lunge", "shallow_front_knee", 120.0, {"shallow_front_knee"}),
    ("lunge", "knee_past_toes", 24.0, set()),
    ("clamshell", "feet_apart", 0.3, {"feet_apart"}),
    ("hip_flexor_stretch", "torso_lean", 20.0, {"torso_lean"}),
    ("lunge", None, None, set()),
])
def test_truth_labels_use_the_criteria_thresholds(exercise, fault, size, want):
    assert robustness.truth_labels(exercise, fault, size) == want


def test_every_suite_fault_is_a_generator_fault_citing_the_criteria():
    for row in robustness.FAULTS:
        assert row.fault in EXERCISES[row.exercise].faults
        assert row.cite.startswith("shared/docs/exercise-criteria.md (")
        lo, hi = row.zone()
        assert row.band[0] < lo < row.threshold < hi < row.band[1]
    if CRITERIA.is_file():  # the section each row names is in the doc
        text = CRITERIA.read_text()
        for row in robustness.FAULTS:
            section = re.search(r"\(([^)]*)\)", row.cite).group(1)
            assert section in text, section


def test_view_buckets_measure_from_the_specs_best_view():
    assert robustness.bucket_of(robustness.view_offset(80.0, "side")) == "0-30"
    assert robustness.bucket_of(robustness.view_offset(50.0, "side")) == "30-45"
    assert robustness.bucket_of(robustness.view_offset(10.0, "side")) == "45-90"
    assert robustness.bucket_of(robustness.view_offset(10.0, "front")) == "0-30"
    assert robustness.bucket_of(robustness.view_offset(90.0, "front")) == "45-90"


def test_scoring_excludes_partial_reps_and_judges_faults_by_the_criteria():
    desc = {"exercise": "lunge", "seed": 1, "camera": {"yaw_deg": 80.0}, "look": {"body": "default", "body_scale": 1},
            "tempo": 1.0, "lead_in_s": 0.0, "reps": [{}, {"fault": "shallow_front_knee", "size": 120.0},
                                                      {"fault": "torso_lean", "size": 10.0}]}
    truth = {"view_deg": 80.0, "reps": [
        {"index": 1, "start_s": 0.0, "end_s": 2.0, "partial": True, "faults": []},
        {"index": 2, "start_s": 2.0, "end_s": 6.0, "partial": False, "faults": ["shallow_front_knee"]},
        {"index": 3, "start_s": 6.0, "end_s": 10.0, "partial": False, "faults": ["torso_lean"]},
    ]}
    report = {"rep_count": 2, "warnings": ["w"], "reps": [
        {"start_s": 2.1, "end_s": 5.9, "faults": ["shallow_front_knee", "back_knee_high"]},  # implied: not judged
        {"start_s": 6.2, "end_s": 9.8, "faults": ["torso_lean"]},  # drawn below the criteria: a false fault
    ]}
    r = robustness.score_clip("tune", desc, truth, report, "side")
    assert (r.truth_reps, r.counted, r.partial) == (2, 2, 1)
    assert (r.tp, r.fp, r.fn) == (1, 1, 0) and r.bucket == "0-30"
    assert len(r.problems) == 1 and "rep 3" in r.problems[0] and r.warnings == ["w"]
    rows = robustness.table([r])
    assert rows["lunge 0-30"]["exact_count_rate"] == 1.0 and rows["all"]["fault_precision"] == 0.5


def lunge_bottom(back_knee_up: float) -> dict:
    """Truth arrays of one frame at 1 s: the back (left) knee ``back_knee_up`` shank lengths above the floor."""
    from posecheck.landmarks import COUNT, INDEX

    world = np.zeros((1, COUNT, 3))  # y up; the feet (ankles, heels, toes) on the floor at 0
    world[0, INDEX["left_ankle"]] = [0.0, 0.0, -0.5]
    world[0, INDEX["left_knee"]] = [0.0, 0.4 * back_knee_up, -0.5 + 0.4 * np.sqrt(1 - back_knee_up**2)]  # shank 0.4 m
    world[0, INDEX["right_ankle"]] = [0.0, 0.0, 0.5]
    return {"t_ms": np.array([1000.0]), "world_m": world}


@pytest.mark.parametrize("back_knee_up, label", [(0.2, "good"), (0.55, "not judged"), (0.95, "faulty")])
def test_a_high_back_knee_is_labelled_from_the_truths_joints(back_knee_up, label):
    desc = {"exercise": "lunge", "seed": 1, "camera": {"yaw_deg": 80.0}, "look": {"body": "default", "body_scale": 1},
            "tempo": 1.0, "lead_in_s": 0.0, "reps": [{"fault": "knee_past_toes", "size": 45.0}]}
    truth = {"view_deg": 80.0, "reps": [{"index": 1, "side": "right", "start_s": 0.0, "end_s": 2.0, "key_s": 1.0,
                                         "partial": False, "faults": ["knee_past_toes"]}]}
    arrays = lunge_bottom(back_knee_up)
    assert robustness.true_back_knee_height(truth["reps"][0], arrays) == pytest.approx(back_knee_up)
    both = {"rep_count": 1, "reps": [{"start_s": 0.0, "end_s": 2.0, "faults": ["knee_past_toes", "back_knee_high"]}]}
    r = robustness.score_clip("tune", desc, truth, both, "side", arrays)
    assert (r.tp, r.fp, r.fn) == {"good": (1, 1, 0), "not judged": (1, 0, 0), "faulty": (2, 0, 0)}[label]
    # Without the truth's arrays the label is not judged.
    r = robustness.score_clip("tune", desc, truth, both, "side")
    assert (r.tp, r.fp, r.fn) == (1, 0, 0)


def test_check_fails_when_a_figure_drops():
    base = {"all": {"exact_count_rate": 0.5, "within_one_rate": 0.8, "fault_precision": 0.7,
                    "fault_recall": 0.6, "hold_error_s": 1.0}}
    same = {"all": dict(base["all"], fault_recall=0.57, hold_error_s=1.4)}
    assert robustness.check(same, base) == []
    worse = {"all": dict(base["all"], exact_count_rate=0.4, hold_error_s=2.0)}
    failures = robustness.check(worse, base)
    assert len(failures) == 2 and failures[0].startswith("all: exact_count_rate")


def test_the_ci_subset_is_small_and_has_the_asked_for_clips():
    plan = robustness.ci_subset()
    descs = [robustness.draw_clip(ex, seed) for _, ex, seed in plan]
    tune = {s for _, s in robustness.seeds("tune")}
    assert 5 <= len(plan) <= 6 and all(s in tune for _, _, s in plan)
    by_ex = [d["exercise"] for d in descs]
    # The floor stretches are gated by their sample clips (tests/test_accuracy_gate.py), not here.
    assert set(by_ex) == {"glute_bridge", "lunge", "clamshell", "hip_flexor_stretch"}
    assert max(map(by_ex.count, set(by_ex))) <= 2
    assert any(d["exercise"] == "lunge" and abs(d["camera"]["yaw_deg"] - 45) <= 10 for d in descs)
    assert any(d["exercise"] == "glute_bridge" and d["lead_in_s"] == 0 for d in descs)
    assert any(d.get("rest_s") == 0 for d in descs)
    assert sum(robustness.estimated_seconds(d) for d in descs) < 45


@pytest.fixture()
def pose_model(private_cache):
    """Skip when the MediaPipe pose model cannot be loaded here."""
    from posecheck.errors import ModelError

    try:
        import mediapipe  # noqa: F401

        from posecheck.pose.bundle import ensure_bundle

        ensure_bundle()
    except (ImportError, ModelError) as exc:
        pytest.skip(f"the MediaPipe pose model cannot be loaded: {exc}")


@pytest.mark.model
def test_the_ci_subset_does_not_drop_below_the_baseline(tmp_path, pose_model):
    baseline = json.loads(robustness.BASELINE_JSON.read_text())["ci"]["rows"]
    start = time.perf_counter()
    results = robustness.run_suite(robustness.ci_subset(), tmp_path)
    rows = robustness.table(results)
    print(robustness.format_table(rows))
    print(robustness.format_misses(results))
    print(f"{len(results)} clips rendered and analysed in {time.perf_counter() - start:.1f} s")
    assert rows["all"]["clips"] == baseline["all"]["clips"]
    assert robustness.check(rows, baseline) == []
    # Re-scoring the recorded tracks does not run the model again: it takes a fraction of the first run.
    again = time.perf_counter()
    assert json.dumps(robustness.table(robustness.run_suite(robustness.ci_subset(), tmp_path))) == json.dumps(rows)
    assert time.perf_counter() - again < 10
