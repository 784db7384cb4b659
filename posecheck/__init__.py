"""posecheck: exercise form checking from a webcam or a video, fully offline.

The whole loop, as the command line runs it::

    from posecheck import Evaluator, Sampler, create_backend, find_spec, open_source, PersonSelector

    spec = find_spec("glute_bridge")                  # or load_spec("my_bridge.toml")
    sampler, evaluator, selector = Sampler(spec), Evaluator(spec), PersonSelector()
    with open_source("bridges.mp4") as frames, create_backend() as backend:
        for frame in frames:
            pose = selector.update(backend.detect(frame), frame.timestamp_ms)
            sample = sampler.update(pose, frame.timestamp_ms, selector.people_in_view)
            for event in evaluator.update(sample):
                print(event)
    print(evaluator.summary)

``analyze(source, spec, out_dir)`` does the same and writes report.json, frames.csv, pose_track.npz and
annotated.mp4, returning a :class:`Report`. Tuning re-runs everything after the model on the track::

    report = evaluate(load_track("results/b"), load_spec("my_bridge.toml"))   # no model, milliseconds
    print(report.rep_count, report.to_json())
"""

from .errors import (
    CameraError, ModelError, NoPersonError, OutputError, PosecheckError, SourceError, SpecError, TrackError,
)  # fmt: skip
from .evaluator import Evaluator
from .sampler import Sample, Sampler
from .sinks.report import Report
from .spec import ExerciseSpec, find_spec, list_specs, load_spec
from .track import PoseTrack, load_track

__all__ = [
    "CameraError", "Evaluator", "ExerciseSpec", "ModelError", "NoPersonError", "OutputError",
    "PersonSelector", "PosecheckError", "PoseTrack", "Report", "Sample", "Sampler", "SourceError", "SpecError",
    "TrackError", "analyze", "create_backend", "evaluate", "find_spec", "list_specs", "load_spec", "load_track",
    "open_source",
]  # fmt: skip


def __getattr__(name: str):
    # Lazy: importing posecheck must not import OpenCV or MediaPipe (metrics and tuning stay fast).
    if name == "analyze":
        from .pipeline import analyze

        return analyze
    if name in ("create_backend", "PersonSelector"):
        from . import pose

        return getattr(pose, name)
    if name == "evaluate":
        from .tune import evaluate

        return evaluate
    if name == "open_source":
        from .sources import open_source

        return open_source
    raise AttributeError(f"module 'posecheck' has no attribute {name!r}")
