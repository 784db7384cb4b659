"""Sleeping positions from photos or a night's video: ``posecheck sleep``.

The loop, for one input::

    classifier, timeline = SleepClassifier(camera="above"), PositionTimeline()
    with open_source("night.mp4") as frames, create_backend() as backend:
        for frame in frames:
            poses = backend.detect(frame)
            verdict = classifier.update(poses[0] if poses else None)   # position, confidence, reason, advice
            timeline.update(frame.timestamp_ms / 1000, verdict.position)
    night = timeline.finish(end_s)                                     # shares, turns, segments

Thresholds are in :mod:`.defaults`, every word shown in :mod:`.messages`.
"""

from .classify import POSITIONS, SleepClassifier, Verdict
from .defaults import DEFAULTS, SleepDefaults
from .timeline import NightSummary, PositionTimeline, Segment

__all__ = ["DEFAULTS", "NightSummary", "POSITIONS", "PositionTimeline", "Segment", "SleepClassifier", "SleepDefaults",
           "Verdict"]
