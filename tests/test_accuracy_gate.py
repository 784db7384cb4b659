"""The accuracy gate: the synthetic sample clips must score at least as well as the committed baseline.

Runs benchmarks/accuracy.py on sample_videos/ only (the fast subset) and compares its summary with the
"fast" section of benchmarks/accuracy_baseline.json, the way norfair gates tracking metrics.
"""

import json
import sys

import pytest
from conftest import ROOT

from posecheck.pose.segments import usable_cpus

sys.path.insert(0, str(ROOT / "benchmarks"))

import accuracy  # noqa: E402

pytestmark = pytest.mark.model


def test_accuracy_on_the_sample_clips_does_not_drop_below_the_baseline(tmp_path, shared_tracks):
    baseline = json.loads(accuracy.BASELINE.read_text())["fast"]
    jobs = usable_cpus()  # a model process per CPU, a clip each
    scores = accuracy.evaluate([ROOT / "sample_videos"], include_real=False, work=tmp_path, jobs=jobs)
    summary = accuracy.summarise(scores)
    accuracy.print_table(scores, summary)
    assert summary["clips"] == baseline["clips"]  # no clips scored would fail nothing below
    assert accuracy.check(summary, baseline) == []


def test_the_gate_fails_when_accuracy_drops():
    baseline = {"exact_count_rate": 1.0, "fault_recall": 0.9, "angle_error_deg_side": 4.0}
    worse = {"exact_count_rate": 0.75, "fault_recall": 0.9, "angle_error_deg_side": 6.0}
    failures = accuracy.check(worse, baseline)
    assert len(failures) == 2 and failures[0].startswith("exact_count_rate")
